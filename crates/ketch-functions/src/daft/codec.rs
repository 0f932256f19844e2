//! `daft.functions.binary`, the JSON string functions and `serialize` /
//! `deserialize`: byte encodings (`utf-8`, `base64`, `hex`), compression
//! (`deflate`, `gzip`/`gz`, `zlib` via `flate2`), JSON parsing via
//! `serde_json` and Arrow's JSON codec. `try_` forms give null where the
//! plain form raises.

use std::io::{Read, Write};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, Int32Builder, ListBuilder, StringArray, StringBuilder,
    StructArray,
};
use arrow::datatypes::{DataType, Field, Fields, Schema};
use arrow::record_batch::RecordBatch;
use base64::Engine;
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::logical_expr::{Expr, ScalarUDF};

use super::kernels::udf;
use super::{cast, expect, is_string};
use crate::function::{Args, DaftFunction};

fn is_bytes(t: &DataType) -> bool {
    is_string(t)
        || matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_))
}

/// A string or binary argument as Binary.
fn bytes_arg(a: &Args, i: usize) -> Expr {
    cast(a.arg(i), DataType::Binary)
}

/// Maps each value's bytes through `f`; `Ok(None)` is null, `Err` raises unless `try_`.
fn map_bytes(name: &str, out: DataType, try_: bool, f: fn(&[u8]) -> Result<Vec<u8>>) -> ScalarUDF {
    let utf8_out = out == DataType::Utf8;
    udf(name, vec![DataType::Binary], out, move |a| {
        let input: &BinaryArray = a[0].as_binary();
        let mut results: Vec<Option<Vec<u8>>> = Vec::with_capacity(input.len());
        for v in input.iter() {
            results.push(match v.map(f) {
                None => None,
                Some(Ok(b)) => Some(b),
                Some(Err(e)) if !try_ => return Err(e),
                Some(Err(_)) => None,
            });
        }
        if utf8_out {
            let s: StringArray = results.into_iter().map(|b| b.and_then(|b| String::from_utf8(b).ok())).collect();
            Ok(Arc::new(s))
        } else {
            let mut b = BinaryBuilder::new();
            for r in results {
                b.append_option(r);
            }
            Ok(Arc::new(b.finish()))
        }
    })
}

fn codec_error<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> DataFusionError + '_ {
    move |e| DataFusionError::Execution(format!("{what}: {e}"))
}

fn encoding(a: &Args, decode: bool, try_: bool) -> Result<Expr> {
    expect(a, 0, is_bytes, "a string or binary input")?;
    let charset = a.str(1)?.unwrap_or_default().to_lowercase();
    let name = a.name();
    let udf = match (charset.as_str(), decode) {
        ("utf-8" | "utf8", false) => return Ok(bytes_arg(a, 0)),
        ("utf-8" | "utf8", true) => map_bytes(name, DataType::Utf8, true, |b| Ok(b.to_vec())),
        ("base64", false) => map_bytes(name, DataType::Binary, try_, |b| {
            Ok(base64::engine::general_purpose::STANDARD.encode(b).into_bytes())
        }),
        ("base64", true) => map_bytes(name, DataType::Binary, try_, |b| {
            base64::engine::general_purpose::STANDARD.decode(b).map_err(codec_error("base64 decode"))
        }),
        ("hex", false) => map_bytes(name, DataType::Binary, try_, |b| {
            Ok(b.iter().map(|x| format!("{x:02x}")).collect::<String>().into_bytes())
        }),
        ("hex", true) => map_bytes(name, DataType::Binary, try_, |b| {
            if b.len() % 2 != 0 {
                return exec_err!("hex decode: odd number of digits");
            }
            b.chunks(2)
                .map(|p| {
                    let s = std::str::from_utf8(p).map_err(codec_error("hex decode"))?;
                    u8::from_str_radix(s, 16).map_err(codec_error("hex decode"))
                })
                .collect()
        }),
        (other, _) => return a.type_error(&format!("a charset 'utf-8', 'base64' or 'hex', not {other:?}")),
    };
    Ok(udf.call(vec![bytes_arg(a, 0)]))
}

fn compression(a: &Args, decompress: bool, try_: bool) -> Result<Expr> {
    expect(a, 0, is_bytes, "a string or binary input")?;
    let codec = a.str(1)?.unwrap_or_default().to_lowercase();
    let f: fn(&[u8]) -> Result<Vec<u8>> = match (codec.as_str(), decompress) {
        ("deflate", false) => |b| {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).and_then(|_| e.finish()).map_err(codec_error("deflate"))
        },
        ("gzip" | "gz", false) => |b| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).and_then(|_| e.finish()).map_err(codec_error("gzip"))
        },
        ("zlib", false) => |b| {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).and_then(|_| e.finish()).map_err(codec_error("zlib"))
        },
        ("deflate", true) => |b| {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(b).read_to_end(&mut out).map(|_| out).map_err(codec_error("deflate"))
        },
        ("gzip" | "gz", true) => |b| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(b).read_to_end(&mut out).map(|_| out).map_err(codec_error("gzip"))
        },
        ("zlib", true) => |b| {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(b).read_to_end(&mut out).map(|_| out).map_err(codec_error("zlib"))
        },
        (other, _) => return a.type_error(&format!("a codec 'deflate', 'gzip', 'gz' or 'zlib', not {other:?}")),
    };
    Ok(map_bytes(a.name(), DataType::Binary, try_, f).call(vec![bytes_arg(a, 0)]))
}

fn parse_json(s: &str) -> Option<serde_json::Value> {
    serde_json::from_str(s).ok()
}

fn json_array_length() -> ScalarUDF {
    udf("json_array_length", vec![DataType::Utf8], DataType::Int32, |a| {
        let s = a[0].as_string::<i32>();
        let mut b = Int32Builder::with_capacity(s.len());
        for v in s.iter() {
            b.append_option(v.and_then(parse_json).and_then(|j| j.as_array().map(|x| x.len() as i32)));
        }
        Ok(Arc::new(b.finish()))
    })
}

fn json_object_keys() -> ScalarUDF {
    let out = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    udf("json_object_keys", vec![DataType::Utf8], out, |a| {
        let s = a[0].as_string::<i32>();
        let mut b = ListBuilder::new(StringBuilder::new());
        for v in s.iter() {
            match v.and_then(parse_json).and_then(|j| j.as_object().cloned()) {
                Some(o) => {
                    for k in o.keys() {
                        b.values().append_value(k);
                    }
                    b.append(true);
                }
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    })
}

/// A JSON value as Daft's `json_tuple` shows it: strings unquoted, the rest as JSON text.
fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn json_tuple(a: &Args) -> Result<Expr> {
    expect(a, 0, is_string, "a string input")?;
    let keys: Vec<String> =
        (1..a.exprs.len()).map(|i| a.str(i).map(|s| s.unwrap_or_default())).collect::<Result<_>>()?;
    if keys.is_empty() {
        return a.type_error("at least one field name");
    }
    let fields: Fields = keys.iter().map(|k| Field::new(k, DataType::Utf8, true)).collect();
    let out = DataType::Struct(fields.clone());
    let udf = udf("json_tuple", vec![DataType::Utf8], out, move |arr| {
        let s = arr[0].as_string::<i32>();
        let parsed: Vec<Option<serde_json::Map<String, serde_json::Value>>> =
            s.iter().map(|v| v.and_then(parse_json).and_then(|j| j.as_object().cloned())).collect();
        let columns: Vec<ArrayRef> = keys
            .iter()
            .map(|k| {
                let c: StringArray =
                    parsed.iter().map(|o| o.as_ref().and_then(|o| o.get(k)).and_then(json_text)).collect();
                Arc::new(c) as ArrayRef
            })
            .collect();
        let nulls = arrow::buffer::NullBuffer::from(parsed.iter().map(|o| o.is_some()).collect::<Vec<_>>());
        Ok(Arc::new(StructArray::try_new(fields.clone(), columns, Some(nulls))?))
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

fn check_json_format(a: &Args) -> Result<()> {
    match a.str(1)?.as_deref() {
        Some("json") => Ok(()),
        other => a.type_error(&format!("format 'json', not {other:?}")),
    }
}

/// `serialize(x, 'json')`: each value as compact JSON text (Arrow's JSON writer).
fn serialize(a: &Args) -> Result<Expr> {
    check_json_format(a)?;
    let t = a.ty(0).clone();
    let udf = udf("serialize", vec![t.clone()], DataType::Utf8, move |arr| {
        let v = &arr[0];
        let batch =
            RecordBatch::try_new(Arc::new(Schema::new(vec![Field::new("v", t.clone(), true)])), vec![v.clone()])?;
        let mut buf = Vec::new();
        {
            let mut w = arrow::json::writer::ArrayWriter::new(&mut buf);
            w.write(&batch)?;
            w.finish()?;
        }
        let rows: Vec<serde_json::Value> = if buf.is_empty() {
            vec![]
        } else {
            serde_json::from_slice(&buf).map_err(|e| DataFusionError::Execution(format!("serialize: {e}")))?
        };
        let out: StringArray = (0..v.len())
            .map(|i| if v.is_null(i) { None } else { rows.get(i).and_then(|r| r.get("v")).map(|x| x.to_string()) })
            .collect();
        Ok(Arc::new(out))
    });
    Ok(udf.call(vec![a.arg(0)]))
}

/// Parses one JSON text as a value of type `t` (Arrow's JSON reader).
fn decode_one(text: &str, t: &DataType) -> Result<ArrayRef> {
    let schema = Arc::new(Schema::new(vec![Field::new("v", t.clone(), true)]));
    let line = format!("{{\"v\": {text}}}");
    let mut reader = arrow::json::ReaderBuilder::new(schema).build(line.as_bytes())?;
    match reader.next() {
        Some(batch) => Ok(batch?.column(0).clone()),
        None => exec_err!("deserialize: no value in {text:?}"),
    }
}

/// `deserialize(s, 'json', dtype)`: the dtype is carried by argument 3, a typed null.
fn deserialize(a: &Args, try_: bool) -> Result<Expr> {
    expect(a, 0, is_string, "a string input")?;
    check_json_format(a)?;
    let t = a.ty(2).clone();
    if t == DataType::Null {
        return plan_err!("{}: pass the target dtype", a.name());
    }
    let out_type = t.clone();
    let udf = udf(a.name(), vec![DataType::Utf8], out_type, move |arr| {
        let s = arr[0].as_string::<i32>();
        let mut parts: Vec<ArrayRef> = Vec::with_capacity(s.len());
        let null = arrow::array::new_null_array(&t, 1);
        for v in s.iter() {
            parts.push(match v.map(|text| decode_one(text, &t)) {
                None => null.clone(),
                Some(Ok(p)) => p,
                Some(Err(e)) if !try_ => return Err(e),
                Some(Err(_)) => null.clone(),
            });
        }
        let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
        if refs.is_empty() {
            return Ok(arrow::array::new_empty_array(&t));
        }
        Ok(arrow::compute::concat(&refs)?)
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

/// Runs the jq program `filter` on the JSON text `input` (jaq, a jq
/// interpreter): no output is `""`, one output its JSON text, several a JSON
/// array of them (Daft's rule). Errors name the filter.
fn run_jq(filter: &str, input: &str) -> Result<String> {
    use jaq_core::load::{Arena, File, Loader};
    use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
    let fail = |e: String| DataFusionError::Execution(format!("Error running jq filter ({filter}): {e}"));
    let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
    let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
    let arena = Arena::default();
    let modules =
        Loader::new(defs).load(&arena, File { code: filter, path: () }).map_err(|e| fail(format!("{e:?}")))?;
    let program = Compiler::default().with_funs(funs).compile(modules).map_err(|e| fail(format!("{e:?}")))?;
    let value = jaq_json::read::parse_single(input.as_bytes()).map_err(|e| fail(e.to_string()))?;
    let ctx = Ctx::<data::JustLut<jaq_json::Val>>::new(&program.lut, Vars::new([]));
    let outs = program.id.run((ctx, value)).map(unwrap_valr).collect::<std::result::Result<Vec<_>, _>>();
    let outs = outs.map_err(|e| fail(e.to_string()))?;
    Ok(match outs.len() {
        0 => String::new(),
        1 => outs[0].to_string(),
        _ => format!("[{}]", outs.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")),
    })
}

/// Parses and compiles `filter` only, so a bad filter is an error before the query runs.
fn check_jq(filter: &str) -> Result<()> {
    use jaq_core::load::{Arena, File, Loader};
    let fail = |e: String| DataFusionError::Plan(format!("invalid jq filter ({filter}): {e}"));
    let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
    let funs =
        jaq_core::funs::<jaq_core::data::JustLut<jaq_json::Val>>().chain(jaq_std::funs()).chain(jaq_json::funs());
    let arena = Arena::default();
    let modules =
        Loader::new(defs).load(&arena, File { code: filter, path: () }).map_err(|e| fail(format!("{e:?}")))?;
    jaq_core::Compiler::default().with_funs(funs).compile(modules).map_err(|e| fail(format!("{e:?}")))?;
    Ok(())
}

fn jq(a: &Args) -> Result<Expr> {
    expect(a, 0, is_string, "a string input")?;
    let Some(filter) = a.str(1)? else { return a.type_error("a jq filter string") };
    check_jq(&filter)?;
    let udf = udf("jq", vec![DataType::Utf8], DataType::Utf8, move |arr| {
        let s = arr[0].as_string::<i32>();
        let out: StringArray =
            s.iter().map(|v| v.map(|text| run_jq(&filter, text)).transpose()).collect::<Result<_>>()?;
        Ok(Arc::new(out) as ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

pub fn functions() -> Vec<DaftFunction> {
    vec![
        DaftFunction::new("encode", 2, |a| encoding(a, false, false)),
        DaftFunction::new("try_encode", 2, |a| encoding(a, false, true)),
        DaftFunction::new("decode", 2, |a| encoding(a, true, false)),
        DaftFunction::new("try_decode", 2, |a| encoding(a, true, true)),
        DaftFunction::new("compress", 2, |a| compression(a, false, false)),
        DaftFunction::new("try_compress", 2, |a| compression(a, false, true)),
        DaftFunction::new("decompress", 2, |a| compression(a, true, false)),
        DaftFunction::new("try_decompress", 2, |a| compression(a, true, true)),
        DaftFunction::new("json_array_length", 1, |a| {
            expect(a, 0, is_string, "a string input")?;
            Ok(json_array_length().call(vec![cast(a.arg(0), DataType::Utf8)]))
        }),
        DaftFunction::new("json_object_keys", 1, |a| {
            expect(a, 0, is_string, "a string input")?;
            Ok(json_object_keys().call(vec![cast(a.arg(0), DataType::Utf8)]))
        }),
        DaftFunction::variadic("json_tuple", json_tuple),
        DaftFunction::new("jq", 2, jq),
        DaftFunction::new("serialize", 2, serialize),
        DaftFunction::new("deserialize", 3, |a| deserialize(a, false)),
        DaftFunction::new("try_deserialize", 3, |a| deserialize(a, true)),
    ]
}
