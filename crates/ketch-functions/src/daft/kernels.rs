//! ketch's own row kernels for Daft functions DataFusion lacks: case
//! conversion (`heck`), edit distances (`strsim`), Unicode normalization,
//! regular-expression extraction and splitting (`regex`). Each is a plain
//! DataFusion UDF over `Utf8` inputs; the Daft-named functions in
//! [`super::string`] cast their inputs and call these.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int64Builder, ListBuilder, StringArray, StringBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use regex::Regex;

fn arrays(args: &[ColumnarValue]) -> Result<(Vec<ArrayRef>, bool)> {
    let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    Ok((ColumnarValue::values_to_arrays(args)?, scalar))
}

fn done(out: ArrayRef, scalar: bool) -> Result<ColumnarValue> {
    if scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
    } else {
        Ok(ColumnarValue::Array(out))
    }
}

fn strings(a: &ArrayRef) -> Result<&StringArray> {
    a.as_string_opt::<i32>().ok_or_else(|| DataFusionError::Execution(format!("expected Utf8, got {}", a.data_type())))
}

/// A UDF over whole arrays: `f` maps the argument arrays (scalars broadcast)
/// to the result array; an all-scalar call returns a scalar.
pub(crate) fn udf(
    name: &str,
    inputs: Vec<DataType>,
    out: DataType,
    f: impl Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync + 'static,
) -> ScalarUDF {
    create_udf(
        name,
        inputs,
        out,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let (arrays, scalar) = arrays(args)?;
            done(f(&arrays)?, scalar)
        }),
    )
}

/// `Utf8 -> Utf8`, null in null out.
pub fn string_map(name: &str, f: fn(&str) -> String) -> ScalarUDF {
    udf(name, vec![DataType::Utf8], DataType::Utf8, move |a| {
        let s = strings(&a[0])?;
        Ok(Arc::new(s.iter().map(|v| v.map(f)).collect::<StringArray>()))
    })
}

/// `(Utf8, Utf8) -> Int64` edit distance, null when either side is null.
pub fn distance(name: &str, f: fn(&str, &str) -> Option<usize>) -> ScalarUDF {
    udf(name, vec![DataType::Utf8, DataType::Utf8], DataType::Int64, move |a| {
        let (l, r) = (strings(&a[0])?, strings(&a[1])?);
        let mut b = Int64Builder::with_capacity(l.len());
        for (x, y) in l.iter().zip(r.iter()) {
            b.append_option(match (x, y) {
                (Some(x), Some(y)) => f(x, y).map(|d| d as i64),
                _ => None,
            });
        }
        Ok(Arc::new(b.finish()))
    })
}

/// `(Utf8, Utf8) -> Float64` similarity, null when either side is null.
pub fn similarity(name: &str, f: fn(&str, &str) -> f64) -> ScalarUDF {
    udf(name, vec![DataType::Utf8, DataType::Utf8], DataType::Float64, move |a| {
        let (l, r) = (strings(&a[0])?, strings(&a[1])?);
        let mut b = Float64Builder::with_capacity(l.len());
        for (x, y) in l.iter().zip(r.iter()) {
            b.append_option(x.zip(y).map(|(x, y)| f(x, y)));
        }
        Ok(Arc::new(b.finish()))
    })
}

/// Regexes compiled once per distinct pattern in a batch.
struct Patterns(HashMap<String, Regex>);

impl Patterns {
    fn get(&mut self, p: &str) -> Result<&Regex> {
        if !self.0.contains_key(p) {
            let re = Regex::new(p).map_err(|e| DataFusionError::Execution(format!("invalid regex {p:?}: {e}")))?;
            self.0.insert(p.to_string(), re);
        }
        Ok(&self.0[p])
    }
}

fn index_at(a: &ArrayRef, i: usize) -> Result<Option<usize>> {
    let idx =
        a.as_primitive_opt::<Int64Type>().ok_or_else(|| DataFusionError::Execution("index must be Int64".into()))?;
    if idx.is_null(i) {
        return Ok(None);
    }
    usize::try_from(idx.value(i))
        .map(Some)
        .map_err(|_| DataFusionError::Execution("regex group index must be >= 0".into()))
}

/// `regexp_extract(s, pattern, index)`: group `index` of the first match (0 = whole match).
pub fn regexp_extract() -> ScalarUDF {
    udf("ketch_regexp_extract", vec![DataType::Utf8, DataType::Utf8, DataType::Int64], DataType::Utf8, |a| {
        let (s, p) = (strings(&a[0])?, strings(&a[1])?);
        let mut pats = Patterns(HashMap::new());
        let mut b = StringBuilder::new();
        for i in 0..s.len() {
            if s.is_null(i) || p.is_null(i) {
                b.append_null();
                continue;
            }
            let Some(g) = index_at(&a[2], i)? else {
                b.append_null();
                continue;
            };
            let re = pats.get(p.value(i))?;
            b.append_option(re.captures(s.value(i)).and_then(|c| c.get(g)).map(|m| m.as_str()));
        }
        Ok(Arc::new(b.finish()))
    })
}

fn list_of_strings() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// `regexp_extract_all(s, pattern, index)`: group `index` of every match.
pub fn regexp_extract_all() -> ScalarUDF {
    udf("ketch_regexp_extract_all", vec![DataType::Utf8, DataType::Utf8, DataType::Int64], list_of_strings(), |a| {
        let (s, p) = (strings(&a[0])?, strings(&a[1])?);
        let mut pats = Patterns(HashMap::new());
        let mut b = ListBuilder::new(StringBuilder::new());
        for i in 0..s.len() {
            let g = index_at(&a[2], i)?;
            if s.is_null(i) || p.is_null(i) || g.is_none() {
                b.append_null();
                continue;
            }
            let re = pats.get(p.value(i))?;
            for c in re.captures_iter(s.value(i)) {
                b.values().append_option(g.and_then(|g| c.get(g)).map(|m| m.as_str()));
            }
            b.append(true);
        }
        Ok(Arc::new(b.finish()))
    })
}

/// `split(s, sep, regex)`: the parts of `s` between occurrences of `sep`
/// (a regular expression when `regex`), as Rust's `str::split` gives them.
pub fn split(regex: bool) -> ScalarUDF {
    let name = if regex { "ketch_regexp_split" } else { "ketch_split" };
    udf(name, vec![DataType::Utf8, DataType::Utf8], list_of_strings(), move |a| {
        let (s, p) = (strings(&a[0])?, strings(&a[1])?);
        let mut pats = Patterns(HashMap::new());
        let mut b = ListBuilder::new(StringBuilder::new());
        for i in 0..s.len() {
            if s.is_null(i) || p.is_null(i) {
                b.append_null();
                continue;
            }
            if regex {
                for part in pats.get(p.value(i))?.split(s.value(i)) {
                    b.values().append_value(part);
                }
            } else {
                for part in s.value(i).split(p.value(i)) {
                    b.values().append_value(part);
                }
            }
            b.append(true);
        }
        Ok(Arc::new(b.finish()))
    })
}

/// `count_matches(s, pattern)`: non-overlapping matches of a regular expression, as UInt64.
pub fn count_regex() -> ScalarUDF {
    udf("ketch_count_matches", vec![DataType::Utf8, DataType::Utf8], DataType::UInt64, |a| {
        let (s, p) = (strings(&a[0])?, strings(&a[1])?);
        let mut pats = Patterns(HashMap::new());
        let mut b = UInt64Builder::with_capacity(s.len());
        for i in 0..s.len() {
            if s.is_null(i) || p.is_null(i) {
                b.append_null();
            } else {
                b.append_value(pats.get(p.value(i))?.find_iter(s.value(i)).count() as u64);
            }
        }
        Ok(Arc::new(b.finish()))
    })
}
