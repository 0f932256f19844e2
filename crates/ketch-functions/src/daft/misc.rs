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

pub fn functions() -> Vec<DaftFunction> {
    vec![
        DaftFunction::new("length", 1, length),
        DaftFunction::variadic("coalesce", |a| call("coalesce", a.exprs.clone())),
        DaftFunction::new("fill_null", 2, |a| call("coalesce", a.exprs.clone())),
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
