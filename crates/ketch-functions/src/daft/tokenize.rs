//! `tokenize_encode` / `tokenize_decode`: byte-pair encoding with `tiktoken-rs`.
//! `tokens_path` names one of the bundled OpenAI encodings (`r50k_base`,
//! `p50k_base`, `p50k_edit`, `cl100k_base`, `o200k_base`) or a local
//! `.tiktoken` file (base64 token and rank per line), which then needs the
//! split `pattern`. Tokens are `List[UInt32]`, as in Daft.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringArray, UInt32Builder};
use arrow::datatypes::{DataType, Field, UInt32Type};
use base64::Engine;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use tiktoken_rs::CoreBPE;

use super::kernels::udf;
use super::{cast, expect, is_list, is_string};
use crate::function::{Args, DaftFunction};

type Cache = Mutex<HashMap<(String, Option<String>), Arc<CoreBPE>>>;

/// Encodings are loaded once per (path, pattern) and shared.
fn encoding(path: &str, pattern: Option<&str>) -> Result<Arc<CoreBPE>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (path.to_string(), pattern.map(str::to_string));
    let cache = CACHE.get_or_init(Default::default);
    if let Some(bpe) = cache.lock().map_err(|_| DataFusionError::Internal("tokenizer cache poisoned".into()))?.get(&key)
    {
        return Ok(bpe.clone());
    }
    let fail = |e: String| DataFusionError::Execution(format!("tokenizer {path:?}: {e}"));
    let bpe = match (path, pattern) {
        ("r50k_base", None) => tiktoken_rs::r50k_base(),
        ("p50k_base", None) => tiktoken_rs::p50k_base(),
        ("p50k_edit", None) => tiktoken_rs::p50k_edit(),
        ("cl100k_base", None) => tiktoken_rs::cl100k_base(),
        ("o200k_base", None) => tiktoken_rs::o200k_base(),
        (_, None) => {
            return Err(fail("a tokens file needs the split `pattern` (or name a bundled encoding)".into()));
        }
        (file, Some(pattern)) => {
            let text = std::fs::read_to_string(file).map_err(|e| fail(e.to_string()))?;
            let mut ranks = HashMap::default();
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let (token, rank) =
                    line.split_once(' ').ok_or_else(|| fail(format!("line {}: expected 'token rank'", n + 1)))?;
                let token = base64::engine::general_purpose::STANDARD.decode(token).map_err(|e| fail(e.to_string()))?;
                let rank: u32 = rank.trim().parse().map_err(|e| fail(format!("line {}: {e}", n + 1)))?;
                ranks.insert(token, rank);
            }
            CoreBPE::new(ranks, HashMap::default(), pattern)
        }
    }
    .map_err(|e| fail(e.to_string()))?;
    let bpe = Arc::new(bpe);
    cache.lock().map_err(|_| DataFusionError::Internal("tokenizer cache poisoned".into()))?.insert(key, bpe.clone());
    Ok(bpe)
}

/// (tokens_path, pattern) after checking the options ketch supports.
fn options(a: &Args) -> Result<(String, Option<String>)> {
    let Some(path) = a.str(1)? else { return a.type_error("a tokens_path") };
    if !a.is_none(2) {
        return a.type_error("io_config=None (tokens files are read from local paths)");
    }
    if !a.is_none(4) {
        return a.type_error("special_tokens=None (no special-token sets are bundled)");
    }
    Ok((path, a.str(3)?))
}

fn encode(a: &Args) -> Result<Expr> {
    expect(a, 0, is_string, "a string input")?;
    let (path, pattern) = options(a)?;
    let with_special = a.bool(5)?.unwrap_or(false);
    encoding(&path, pattern.as_deref())?;
    let out = DataType::List(Arc::new(Field::new("item", DataType::UInt32, true)));
    let udf = udf("tokenize_encode", vec![DataType::Utf8], out, move |arr| {
        let bpe = encoding(&path, pattern.as_deref())?;
        let mut b = ListBuilder::new(UInt32Builder::new());
        for v in arr[0].as_string::<i32>().iter() {
            match v {
                Some(text) => {
                    let tokens =
                        if with_special { bpe.encode_with_special_tokens(text) } else { bpe.encode_ordinary(text) };
                    b.values().append_slice(&tokens);
                    b.append(true);
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

fn decode(a: &Args) -> Result<Expr> {
    expect(a, 0, is_list, "a list of token ids")?;
    let (path, pattern) = options(a)?;
    encoding(&path, pattern.as_deref())?;
    let input = DataType::List(Arc::new(Field::new("item", DataType::UInt32, true)));
    let udf = udf("tokenize_decode", vec![input.clone()], DataType::Utf8, move |arr| {
        let bpe = encoding(&path, pattern.as_deref())?;
        let lists = arr[0].as_list::<i32>();
        let mut out: Vec<Option<String>> = Vec::with_capacity(lists.len());
        for i in 0..lists.len() {
            if lists.is_null(i) {
                out.push(None);
                continue;
            }
            let ids = lists.value(i);
            let ids: Vec<u32> = ids.as_primitive::<UInt32Type>().iter().flatten().collect();
            let text = bpe.decode(&ids).map_err(|e| DataFusionError::Execution(format!("tokenize_decode: {e}")))?;
            out.push(Some(text));
        }
        Ok(Arc::new(StringArray::from(out)) as ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), input)]))
}

pub fn functions() -> Vec<DaftFunction> {
    vec![DaftFunction::new("tokenize_encode", 6, encode), DaftFunction::new("tokenize_decode", 6, decode)]
}
