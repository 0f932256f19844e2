//! `daft.functions.str`: Daft's string functions. Lengths and counts are
//! `UInt64`, positions are 0-based (`find` returns -1 when absent), and
//! substrings count characters, as in Daft.

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::expr::Like;
use datafusion::logical_expr::{Expr, Operator, binary_expr, when};
use heck::{
    ToKebabCase, ToLowerCamelCase, ToShoutyKebabCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase, ToUpperCamelCase,
};
use unicode_normalization::UnicodeNormalization;

use super::kernels;
use super::{call, cast, expect, is_string, lit};
use crate::function::{Args, DaftFunction};

fn utf8(e: Expr) -> Expr {
    cast(e, DataType::Utf8)
}

fn string_fn(name: &'static str, arity: usize, f: fn(&Args) -> Result<Expr>) -> DaftFunction {
    DaftFunction::new(name, arity, move |a| {
        expect(a, 0, is_string, "a string input")?;
        f(a)
    })
}

fn forward(name: &'static str, arity: usize, df: &'static str) -> DaftFunction {
    DaftFunction::new(name, arity, move |a| {
        expect(a, 0, is_string, "a string input")?;
        call(df, a.exprs.clone())
    })
}

/// Daft's pattern functions (`contains`, `split`, `like`, ...) take strings
/// for the input and the pattern: a number, a binary or a null-typed column is
/// rejected, not cast.
fn utf8_only(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Daft's counts and lengths (`left`, `repeat`, `substr`) take integers.
fn integer_only(t: &DataType) -> bool {
    t.is_integer()
}

/// `f` after checking that arguments `strings` are strings and `integers`
/// (where given) integers.
fn checked(
    name: &'static str,
    arity: usize,
    strings: &'static [usize],
    integers: &'static [usize],
    f: impl Fn(&Args) -> Result<Expr> + Send + Sync + 'static,
) -> DaftFunction {
    DaftFunction::new(name, arity, move |a| {
        for &i in strings {
            expect(a, i, utf8_only, "string inputs")?;
        }
        for &i in integers {
            if !a.is_none(i) {
                expect(a, i, integer_only, "integer counts and positions")?;
            }
        }
        f(a)
    })
}

/// A pattern function: input and pattern strings, forwarded to DataFusion's `df`.
fn pattern(name: &'static str, df: &'static str) -> DaftFunction {
    checked(name, 2, &[0, 1], &[], move |a| call(df, a.exprs.clone()))
}

fn u64(e: Expr) -> Expr {
    cast(e, DataType::UInt64)
}

fn kernel_map(name: &'static str, f: fn(&str) -> String) -> DaftFunction {
    DaftFunction::new(name, 1, move |a| {
        expect(a, 0, is_string, "a string input")?;
        Ok(kernels::string_map(&format!("ketch_{name}"), f).call(vec![utf8(a.arg(0))]))
    })
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

fn like(a: &Args, case_insensitive: bool) -> Result<Expr> {
    Ok(Expr::Like(Like::new(false, Box::new(a.arg(0)), Box::new(a.arg(1)), None, case_insensitive)))
}

fn normalize(a: &Args) -> Result<Expr> {
    expect(a, 0, is_string, "a string input")?;
    let flags = [a.bool(1)?, a.bool(2)?, a.bool(3)?, a.bool(4)?].map(|b| b.unwrap_or(false));
    let f: fn(&str) -> String = match flags {
        [false, false, false, false] => |s| s.to_string(),
        _ => {
            // One kernel per flag combination: the flags are literals.
            let [p, l, n, w] = flags;
            let idx = (p as usize) | (l as usize) << 1 | (n as usize) << 2 | (w as usize) << 3;
            NORMALIZERS[idx]
        }
    };
    Ok(kernels::string_map("ketch_normalize", f).call(vec![utf8(a.arg(0))]))
}

fn normalize_with(s: &str, remove_punct: bool, lowercase: bool, nfd: bool, white_space: bool) -> String {
    let mut out: String =
        if remove_punct { s.chars().filter(|c| !c.is_ascii_punctuation()).collect() } else { s.into() };
    if lowercase {
        out = out.to_lowercase();
    }
    if nfd {
        out = out.nfd().collect();
    }
    if white_space {
        out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    out
}

macro_rules! normalizers {
    ($($i:literal),*) => {
        [$(|s: &str| normalize_with(s, $i & 1 != 0, $i & 2 != 0, $i & 4 != 0, $i & 8 != 0)),*]
    };
}

const NORMALIZERS: [fn(&str) -> String; 16] = normalizers!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

/// The capture group of `regexp_extract(_all)`: argument 3, 0 (the whole match) by default.
fn group_index(a: &Args) -> Expr {
    if a.is_none(2) { lit(0i64) } else { cast(a.arg(2), DataType::Int64) }
}

pub fn functions() -> Vec<DaftFunction> {
    vec![
        forward("lower", 1, "lower"),
        forward("upper", 1, "upper"),
        forward("reverse", 1, "reverse"),
        forward("lstrip", 1, "ltrim"),
        forward("rstrip", 1, "rtrim"),
        forward("strip", 1, "btrim"),
        pattern("contains", "contains"),
        pattern("startswith", "starts_with"),
        pattern("endswith", "ends_with"),
        forward("translate", 3, "translate"),
        forward("ascii_func", 1, "ascii"),
        DaftFunction::new("chr_func", 1, |a| call("chr", vec![cast(a.arg(0), DataType::Int64)])),
        checked("replace", 3, &[0, 1, 2], &[], |a| call("replace", a.exprs.clone())),
        checked("repeat", 2, &[0], &[1], |a| call("repeat", vec![a.arg(0), cast(a.arg(1), DataType::Int64)])),
        checked("left", 2, &[0], &[1], |a| call("left", vec![a.arg(0), cast(a.arg(1), DataType::Int64)])),
        checked("right", 2, &[0], &[1], |a| call("right", vec![a.arg(0), cast(a.arg(1), DataType::Int64)])),
        string_fn("lpad", 3, |a| call("lpad", vec![a.arg(0), cast(a.arg(1), DataType::Int64), a.arg(2)])),
        string_fn("rpad", 3, |a| call("rpad", vec![a.arg(0), cast(a.arg(1), DataType::Int64), a.arg(2)])),
        string_fn("split_part", 3, |a| call("split_part", vec![a.arg(0), a.arg(1), cast(a.arg(2), DataType::Int64)])),
        string_fn("substring_index", 3, |a| {
            call("substr_index", vec![a.arg(0), a.arg(1), cast(a.arg(2), DataType::Int64)])
        }),
        string_fn("length_bytes", 1, |a| Ok(u64(call("octet_length", vec![a.arg(0)])?))),
        checked("find", 2, &[0, 1], &[], |a| {
            Ok(cast(call("strpos", vec![a.arg(0), a.arg(1)])?, DataType::Int64) - lit(1i64))
        }),
        checked("substr", 3, &[0], &[1, 2], |a| {
            // Daft: null when `start` is at or past the end, or `length` is 0.
            let start = cast(a.arg(1), DataType::Int64);
            let mut past_end = start.clone().gt_eq(cast(call("character_length", vec![a.arg(0)])?, DataType::Int64));
            let sub = if a.is_none(2) {
                call("substr", vec![a.arg(0), start + lit(1i64)])?
            } else {
                let len = cast(a.arg(2), DataType::Int64);
                past_end = past_end.or(len.clone().eq(lit(0i64)));
                call("substr", vec![a.arg(0), start + lit(1i64), len])?
            };
            when(past_end, super::null_of(&DataType::Utf8)?).otherwise(sub)
        }),
        // Strings join as strings; if either side is binary both join as bytes (Daft's `concat`).
        DaftFunction::new("concat", 2, |a| {
            let binary = |t: &DataType| matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView);
            if binary(a.ty(0)) || binary(a.ty(1)) {
                let (l, r) = (cast(a.arg(0), DataType::Binary), cast(a.arg(1), DataType::Binary));
                return Ok(binary_expr(l, Operator::StringConcat, r));
            }
            expect(a, 0, is_string, "string or binary inputs")?;
            Ok(binary_expr(utf8(a.arg(0)), Operator::StringConcat, utf8(a.arg(1))))
        }),
        checked("like", 2, &[0, 1], &[], |a| like(a, false)),
        checked("ilike", 2, &[0, 1], &[], |a| like(a, true)),
        pattern("regexp", "regexp_like"),
        string_fn("regexp_count", 2, |a| Ok(u64(call("regexp_count", vec![a.arg(0), a.arg(1)])?))),
        string_fn("regexp_replace", 3, |a| call("regexp_replace", vec![a.arg(0), a.arg(1), a.arg(2), lit("g")])),
        checked("regexp_extract", 3, &[0, 1], &[], |a| {
            Ok(kernels::regexp_extract().call(vec![utf8(a.arg(0)), utf8(a.arg(1)), group_index(a)]))
        }),
        checked("regexp_extract_all", 3, &[0, 1], &[], |a| {
            Ok(kernels::regexp_extract_all().call(vec![utf8(a.arg(0)), utf8(a.arg(1)), group_index(a)]))
        }),
        checked("regexp_split", 2, &[0, 1], &[], |a| {
            Ok(kernels::split(true).call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))
        }),
        checked("split", 2, &[0, 1], &[], |a| Ok(kernels::split(false).call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))),
        string_fn("capitalize", 1, |a| {
            Ok(kernels::string_map("ketch_capitalize", capitalize).call(vec![utf8(a.arg(0))]))
        }),
        kernel_map("to_camel_case", |s| s.to_lower_camel_case()),
        kernel_map("to_upper_camel_case", |s| s.to_upper_camel_case()),
        kernel_map("to_snake_case", |s| s.to_snake_case()),
        kernel_map("to_upper_snake_case", |s| s.to_shouty_snake_case()),
        kernel_map("to_kebab_case", |s| s.to_kebab_case()),
        kernel_map("to_upper_kebab_case", |s| s.to_shouty_kebab_case()),
        kernel_map("to_title_case", |s| s.to_title_case()),
        DaftFunction::new("normalize", 5, normalize),
        string_fn("levenshtein_distance", 2, |a| {
            Ok(kernels::distance("ketch_levenshtein", |x, y| Some(strsim::levenshtein(x, y)))
                .call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))
        }),
        string_fn("damerau_levenshtein_distance", 2, |a| {
            Ok(kernels::distance("ketch_damerau_levenshtein", |x, y| Some(strsim::damerau_levenshtein(x, y)))
                .call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))
        }),
        string_fn("hamming_distance_str", 2, |a| {
            Ok(kernels::distance("ketch_hamming", |x, y| strsim::hamming(x, y).ok())
                .call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))
        }),
        string_fn("jaro_similarity", 2, |a| {
            Ok(kernels::similarity("ketch_jaro", strsim::jaro).call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))
        }),
        string_fn("jaro_winkler_similarity", 2, |a| {
            Ok(kernels::similarity("ketch_jaro_winkler", strsim::jaro_winkler)
                .call(vec![utf8(a.arg(0)), utf8(a.arg(1))]))
        }),
        string_fn("count_matches", 4, |a| {
            // patterns: a string or a list of strings, matched literally.
            let patterns = a.strings(1)?;
            let whole = a.bool(2)?.unwrap_or(false);
            let case = a.bool(3)?.unwrap_or(true);
            let alts: Vec<String> = patterns.iter().map(|p| regex::escape(p)).collect();
            let mut re = format!("(?:{})", alts.join("|"));
            if whole {
                re = format!(r"\b{re}\b");
            }
            if !case {
                re = format!("(?i){re}");
            }
            Ok(kernels::count_regex().call(vec![utf8(a.arg(0)), lit(re)]))
        }),
        forward("soundex", 1, "spark.soundex"),
        DaftFunction::new("space", 1, |a| call("spark.space", vec![cast(a.arg(0), DataType::Int32)])),
        DaftFunction::variadic("concat_ws", |a| {
            let Some(sep) = a.exprs.first() else { return a.type_error("a separator") };
            let mut args = vec![sep.clone()];
            args.extend(a.exprs[1..].iter().cloned().map(utf8));
            call("concat_ws", args)
        }),
        DaftFunction::variadic("format", |a| {
            let Some(f) = a.str(0)? else { return a.type_error("a format string") };
            let pieces: Vec<&str> = f.split("{}").collect();
            if pieces.len() != a.exprs.len() {
                return a.type_error(&format!("{} arguments for {:?}", pieces.len() - 1, f));
            }
            let mut out = lit(pieces[0]);
            for (i, p) in pieces[1..].iter().enumerate() {
                out = binary_expr(out, Operator::StringConcat, utf8(a.arg(i + 1)));
                if !p.is_empty() {
                    out = binary_expr(out, Operator::StringConcat, lit(*p));
                }
            }
            Ok(out)
        }),
    ]
}
