//! `daft.functions.misc`, `columnar` and `partition`: null handling,
//! lengths of strings, binaries and lists, row-wise column reductions and
//! the partition transforms.

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, Operator, binary_expr, when};

use super::{call, cast, expect, is_list, is_string, is_temporal, lit};
use crate::function::{Args, DaftFunction};

fn length(a: &Args) -> Result<Expr> {
    let n = match a.ty(0) {
        t if is_string(t) => call("character_length", vec![a.arg(0)])?,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            call("octet_length", vec![a.arg(0)])?
        }
        t if is_list(t) => call("cardinality", vec![a.arg(0)])?,
        _ => return a.type_error("a string, binary or list input"),
    };
    Ok(cast(n, DataType::UInt64))
}

fn columns(name: &'static str, f: fn(&Args) -> Result<Expr>) -> DaftFunction {
    DaftFunction::variadic(name, move |a| if a.exprs.is_empty() { a.type_error("at least one column") } else { f(a) })
}

/// True where every argument is null.
fn all_null(a: &Args) -> Expr {
    a.exprs.iter().map(|e| e.clone().is_null()).reduce(Expr::and).unwrap_or(lit(true))
}

/// The sum of the non-null arguments (null when all are null), as Daft's `columns_sum`.
fn columns_sum(a: &Args) -> Result<Expr> {
    let zero = |e: Expr| call("coalesce", vec![e, lit(0i64)]);
    let mut it = a.exprs.iter().cloned();
    let first = zero(it.next().unwrap_or_else(|| lit(0i64)))?;
    let sum = it.try_fold(first, |acc, e| {
        Ok::<_, datafusion::common::DataFusionError>(binary_expr(acc, Operator::Plus, zero(e)?))
    })?;
    when(all_null(a), super::null_of(&DataType::Null)?).otherwise(sum)
}

/// The mean of the non-null arguments (null when all are null).
fn columns_mean(a: &Args) -> Result<Expr> {
    let count = a
        .exprs
        .iter()
        .map(|e| cast(e.clone().is_not_null(), DataType::Int64))
        .reduce(|x, y| x + y)
        .unwrap_or(lit(0i64));
    when(all_null(a), super::null_of(&DataType::Float64)?)
        .otherwise(cast(columns_sum(a)?, DataType::Float64) / cast(count, DataType::Float64))
}

fn partition(name: &'static str, f: fn(&Args) -> Result<Expr>) -> DaftFunction {
    DaftFunction::new(name, 1, move |a| {
        expect(a, 0, is_temporal, "a date or timestamp input")?;
        f(a)
    })
}

fn year_month(a: &Args) -> Result<(Expr, Expr)> {
    let y = cast(call("date_part", vec![lit("year"), a.arg(0)])?, DataType::Int32);
    let m = cast(call("date_part", vec![lit("month"), a.arg(0)])?, DataType::Int32);
    Ok((y, m))
}

/// Haversine distance in meters on a sphere of radius 6,371,000 m (Daft's).
fn great_circle_distance(a: &Args) -> Result<Expr> {
    let rad = |i: usize| call("radians", vec![cast(a.arg(i), DataType::Float64)]);
    let (lat1, lon1, lat2, lon2) = (rad(0)?, rad(1)?, rad(2)?, rad(3)?);
    let half_sin_sq = |d: Expr| -> Result<Expr> {
        let s = call("sin", vec![d / lit(2.0)])?;
        Ok(s.clone() * s)
    };
    let x = half_sin_sq(lat2.clone() - lat1.clone())?
        + call("cos", vec![lat1])? * call("cos", vec![lat2])? * half_sin_sq(lon2 - lon1)?;
    let d = lit(2.0 * 6_371_000.0) * call("asin", vec![call("sqrt", vec![x])?])?;
    // Daft gives null, not NaN, where an input is not a finite coordinate.
    datafusion::logical_expr::when(call("isnan", vec![d.clone()])?, super::null_of(&DataType::Float64)?).otherwise(d)
}

/// `conv(x, from_base, to_base)`: the number written in `from_base` (x's
/// digits; an integer x is read as its decimal digits) rewritten in
/// `to_base`, upper case; negative numbers as 64-bit two's complement.
fn conv(a: &Args) -> Result<Expr> {
    let (Some(from), Some(to)) = (a.int(1)?, a.int(2)?) else { return a.type_error("integer bases") };
    if !(2..=36).contains(&from) || !(2..=36).contains(&to) {
        return a.type_error("bases between 2 and 36");
    }
    let (from, to) = (from as u32, to as u32);
    let udf = super::kernels::udf("conv", vec![DataType::Utf8], DataType::Utf8, move |arrays| {
        use arrow::array::{AsArray, StringArray};
        let out: StringArray = arrays[0]
            .as_string::<i32>()
            .iter()
            .map(|v| {
                let v = v?.trim();
                let n = match v.strip_prefix('-') {
                    Some(rest) => u64::from_str_radix(rest, from).ok()?.wrapping_neg(),
                    None => u64::from_str_radix(v, from).ok()?,
                };
                Some(to_radix(n, to))
            })
            .collect();
        Ok(std::sync::Arc::new(out) as arrow::array::ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

fn to_radix(mut n: u64, base: u32) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(std::char::from_digit((n % base as u64) as u32, base).unwrap_or('?').to_ascii_uppercase());
        n /= base as u64;
    }
    digits.iter().rev().collect()
}

/// `random_int(low, high)`: a uniform integer in [low, high], new per row.
fn random_int(a: &Args) -> Result<Expr> {
    let (Some(low), Some(high)) = (a.int(0)?, a.int(1)?) else { return a.type_error("integer bounds low and high") };
    if high < low {
        return a.type_error("low <= high");
    }
    if !a.is_none(2) {
        return a.type_error("seed=None (a seeded random_int cannot reproduce Daft's generator)");
    }
    // The span must fit an Int64 (so must each `low + offset`, which is at
    // most `high`); a wider range is an error, never an overflow.
    let Some(span) = high.checked_sub(low).and_then(|d| d.checked_add(1)) else {
        return a.type_error("high - low below 2^63 - 1");
    };
    Ok(cast(call("floor", vec![call("random", vec![])? * lit(span as f64)])?, DataType::Int64) + lit(low))
}

pub fn functions() -> Vec<DaftFunction> {
    vec![
        DaftFunction::new("great_circle_distance", 4, great_circle_distance),
        DaftFunction::new("conv", 3, conv),
        DaftFunction::new("random_int", 3, random_int).volatile(),
        DaftFunction::new("length", 1, length),
        DaftFunction::variadic("coalesce", |a| call("coalesce", a.exprs.clone())),
        DaftFunction::new("fill_null", 2, |a| {
            // Daft's supertype: a boolean with a number is the number, with a
            // string a string; a null-typed input takes the other's type.
            let (mut l, mut r) = (a.arg(0), a.arg(1));
            match (a.ty(0), a.ty(1)) {
                (DataType::Null, t) if !t.is_null() => l = cast(l, t.clone()),
                (t, DataType::Null) if !t.is_null() => r = cast(r, t.clone()),
                (lt, rt) => {
                    use crate::supertype::{Meet, daft_operand_type};
                    if let Some(to) = daft_operand_type(lt, rt, Meet::Join) {
                        l = cast(l, to);
                    }
                    if let Some(to) = daft_operand_type(rt, lt, Meet::Join) {
                        r = cast(r, to);
                    }
                }
            }
            call("coalesce", vec![l, r])
        }),
        DaftFunction::new("eq_null_safe", 2, |a| Ok(binary_expr(a.arg(0), Operator::IsNotDistinctFrom, a.arg(1)))),
        DaftFunction::new("is_null", 1, |a| Ok(a.arg(0).is_null())),
        DaftFunction::new("not_null", 1, |a| Ok(a.arg(0).is_not_null())),
        columns("columns_sum", columns_sum),
        columns("columns_mean", columns_mean),
        columns("columns_avg", columns_mean),
        columns("columns_min", |a| call("least", a.exprs.clone())),
        columns("columns_max", |a| call("greatest", a.exprs.clone())),
        partition("partition_years", |a| Ok(year_month(a)?.0 - lit(1970i32))),
        partition("partition_months", |a| {
            let (y, m) = year_month(a)?;
            Ok((y - lit(1970i32)) * lit(12i32) + m - lit(1i32))
        }),
        partition("partition_days", |a| {
            let d = match a.ty(0) {
                DataType::Date32 => a.arg(0),
                _ => cast(a.arg(0), DataType::Date32),
            };
            Ok(d)
        }),
        partition("partition_hours", |a| {
            let DataType::Timestamp(_, tz) = a.ty(0).clone() else { return a.type_error("a timestamp input") };
            let s = cast(cast(a.arg(0), DataType::Timestamp(arrow::datatypes::TimeUnit::Second, tz)), DataType::Int64);
            Ok(cast(call("floor", vec![cast(s, DataType::Float64) / lit(3600.0)])?, DataType::Int32))
        }),
        DaftFunction::new("partition_iceberg_truncate", 2, |a| {
            let Some(w) = a.int(1)? else { return a.type_error("a width w > 0") };
            if w <= 0 {
                return a.type_error("a width w > 0");
            }
            match a.ty(0) {
                t if t.is_integer() => {
                    let v = a.arg(0);
                    let w = cast(lit(w), t.clone());
                    Ok(v.clone() - ((v % w.clone()) + w.clone()) % w)
                }
                // Iceberg truncates strings to w code points (Daft cuts w bytes).
                t if is_string(t) => call("left", vec![a.arg(0), lit(w)]),
                _ => a.type_error("an integer or string input"),
            }
        }),
    ]
}
