//! `daft.functions.list`, `struct` and the nested parts of `misc`: list
//! aggregates, sorting, joining, slicing with Daft's 0-based, end-exclusive
//! indexes, and element access by index, struct field or map key.

use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Expr, when};

use super::{call, cast, expect, is_list, lit};
use crate::function::{Args, DaftFunction};

fn list_fn(
    name: &'static str,
    arity: usize,
    f: impl Fn(&Args) -> Result<Expr> + Send + Sync + 'static,
) -> DaftFunction {
    DaftFunction::new(name, arity, move |a| {
        expect(a, 0, is_list, "a list input")?;
        f(a)
    })
}

/// List functions that are DataFusion's array function of another name.
const FORWARDED: &[(&str, usize, &str)] = &[
    ("list_mean", 1, "array_avg"),
    ("list_min", 1, "array_min"),
    ("list_max", 1, "array_max"),
    ("list_bool_and", 1, "array_min"),
    ("list_bool_or", 1, "array_max"),
    ("list_flatten", 1, "flatten"),
    ("list_append", 2, "array_append"),
    ("list_contains", 2, "array_has"),
];

/// A 0-based Daft index as DataFusion's 1-based one (negative indexes count from the end in both).
fn one_based(a: &Args, i: usize) -> Expr {
    let idx = cast(a.arg(i), DataType::Int64);
    match a.int(i) {
        Ok(Some(v)) => lit(if v >= 0 { v + 1 } else { v }),
        _ => when(idx.clone().gt_eq(lit(0i64)), idx.clone() + lit(1i64)).otherwise(idx.clone()).unwrap_or(idx),
    }
}

fn count(a: &Args) -> Result<Expr> {
    let mode = a.str(1)?.unwrap_or_else(|| "valid".into()).to_lowercase();
    let all = call("cardinality", vec![a.arg(0)])?;
    let valid = call("cardinality", vec![call("array_compact", vec![a.arg(0)])?])?;
    let valid = when(a.arg(0).is_null(), Expr::Literal(ScalarValue::UInt64(None), None))
        .otherwise(call("coalesce", vec![valid, lit(0u64)])?)?;
    let out = match mode.as_str() {
        "valid" | "countmode.valid" => valid,
        "all" | "countmode.all" => all,
        "null" | "countmode.null" => all - valid,
        other => return a.type_error(&format!("mode 'all', 'valid' or 'null', not {other:?}")),
    };
    Ok(cast(out, DataType::UInt64))
}

fn sort(a: &Args) -> Result<Expr> {
    let desc = a.bool(1)?.unwrap_or(false);
    let nulls_first = a.bool(2)?.unwrap_or(desc);
    let dir = if desc { "DESC" } else { "ASC" };
    let nulls = if nulls_first { "NULLS FIRST" } else { "NULLS LAST" };
    call("array_sort", vec![a.arg(0), lit(dir), lit(nulls)])
}

fn slice(a: &Args) -> Result<Expr> {
    expect(a, 0, is_list, "a list input")?;
    let start = one_based(a, 1);
    let end = if a.is_none(2) {
        cast(call("cardinality", vec![a.arg(0)])?, DataType::Int64)
    } else {
        let e = cast(a.arg(2), DataType::Int64);
        when(e.clone().lt(lit(0i64)), e.clone() - lit(1i64)).otherwise(e)?
    };
    call("array_slice", vec![a.arg(0), start, end])
}

fn get(a: &Args) -> Result<Expr> {
    let value = match a.ty(0) {
        // A null struct has null fields (DataFusion's get_field reads the child as stored).
        DataType::Struct(_) => when(a.arg(0).is_null(), Expr::Literal(ScalarValue::Null, None))
            .otherwise(call("get_field", vec![a.arg(0), a.arg(1)])?)?,
        DataType::Map(..) => call("array_element", vec![call("map_extract", vec![a.arg(0), a.arg(1)])?, lit(1i64)])?,
        t if is_list(t) => call("array_element", vec![a.arg(0), one_based(a, 1)])?,
        _ => return a.type_error("a list, struct or map input"),
    };
    if a.is_none(2) { Ok(value) } else { call("coalesce", vec![value, a.arg(2)]) }
}

/// `chunk(list, size)`: consecutive runs of `size` elements as fixed-size
/// lists; a shorter remainder is dropped (Daft's rule).
fn chunk(a: &Args) -> Result<Expr> {
    let Some(size) = a.int(1)?.filter(|s| *s > 0) else { return a.type_error("a chunk size > 0") };
    let item = match a.ty(0) {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f.data_type().clone(),
        _ => DataType::Null,
    };
    let list_in = DataType::List(std::sync::Arc::new(arrow::datatypes::Field::new("item", item.clone(), true)));
    let inner =
        DataType::FixedSizeList(std::sync::Arc::new(arrow::datatypes::Field::new("item", item, true)), size as i32);
    let out = DataType::List(std::sync::Arc::new(arrow::datatypes::Field::new("item", inner.clone(), true)));
    let udf =
        super::kernels::udf("chunk", vec![list_in], out, move |arrays| chunk_kernel(&arrays[0], size as usize, &inner));
    Ok(udf.call(vec![cast(a.arg(0), udf_input(a))]))
}

fn udf_input(a: &Args) -> DataType {
    match a.ty(0) {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            DataType::List(std::sync::Arc::new(arrow::datatypes::Field::new("item", f.data_type().clone(), true)))
        }
        t => t.clone(),
    }
}

fn chunk_kernel(list: &arrow::array::ArrayRef, size: usize, inner: &DataType) -> Result<arrow::array::ArrayRef> {
    use arrow::array::{Array, AsArray, FixedSizeListArray, ListArray, UInt32Array};
    use arrow::buffer::OffsetBuffer;
    let list: &ListArray = list.as_list::<i32>();
    let DataType::FixedSizeList(item_field, _) = inner else {
        return datafusion::common::exec_err!("chunk: internal type {inner} is not a FixedSizeList");
    };
    let mut take: Vec<u32> = Vec::new();
    let mut offsets: Vec<i32> = vec![0];
    for i in 0..list.len() {
        let (start, end) = (list.value_offsets()[i] as usize, list.value_offsets()[i + 1] as usize);
        let n = if list.is_null(i) { 0 } else { (end - start) / size };
        take.extend((start..start + n * size).map(|j| j as u32));
        offsets.push(offsets[offsets.len() - 1] + n as i32);
    }
    let values = arrow::compute::take(list.values().as_ref(), &UInt32Array::from(take), None)?;
    let chunks = FixedSizeListArray::try_new(item_field.clone(), size as i32, values, None)?;
    let out_field = std::sync::Arc::new(arrow::datatypes::Field::new("item", inner.clone(), true));
    let out = ListArray::try_new(
        out_field,
        OffsetBuffer::new(offsets.into()),
        std::sync::Arc::new(chunks),
        list.nulls().cloned(),
    )?;
    Ok(std::sync::Arc::new(out))
}

/// `value_counts(list)`: each list's distinct non-null values, in order of
/// first appearance, mapped to how often they occur (a null list gives an
/// empty map), as Daft's `Map[T: UInt64]`.
fn value_counts(a: &Args) -> Result<Expr> {
    let item = match a.ty(0) {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f.data_type().clone(),
        _ => return a.type_error("a list input"),
    };
    let entries = arrow::datatypes::Fields::from(vec![
        arrow::datatypes::Field::new("key", item.clone(), false),
        arrow::datatypes::Field::new("value", DataType::UInt64, true),
    ]);
    let entries_field =
        std::sync::Arc::new(arrow::datatypes::Field::new("entries", DataType::Struct(entries.clone()), false));
    let out = DataType::Map(entries_field.clone(), false);
    let input = udf_input(a);
    let udf = super::kernels::udf("value_counts", vec![input.clone()], out, move |arrays| {
        use arrow::array::{Array, AsArray, ListArray, MapArray, StructArray, UInt32Array, UInt64Array};
        use arrow::row::{RowConverter, SortField};
        let list: &ListArray = arrays[0].as_list::<i32>();
        let converter = RowConverter::new(vec![SortField::new(list.values().data_type().clone())])?;
        let rows = converter.convert_columns(&[list.values().clone()])?;
        let (mut firsts, mut counts, mut offsets) = (Vec::<u32>::new(), Vec::<u64>::new(), vec![0i32]);
        for i in 0..list.len() {
            let mut seen: Vec<(arrow::row::Row<'_>, usize)> = Vec::new();
            if list.is_valid(i) {
                let (start, end) = (list.value_offsets()[i] as usize, list.value_offsets()[i + 1] as usize);
                for j in start..end {
                    if list.values().is_null(j) {
                        continue;
                    }
                    match seen.iter().position(|(r, _)| *r == rows.row(j)) {
                        Some(k) => counts[seen[k].1] += 1,
                        None => {
                            seen.push((rows.row(j), counts.len()));
                            firsts.push(j as u32);
                            counts.push(1);
                        }
                    }
                }
            }
            offsets.push(counts.len() as i32);
        }
        let keys = arrow::compute::take(list.values().as_ref(), &UInt32Array::from(firsts), None)?;
        let values: arrow::array::ArrayRef = std::sync::Arc::new(UInt64Array::from(counts));
        let structs = StructArray::try_new(entries.clone(), vec![keys, values], None)?;
        let map = MapArray::try_new(
            entries_field.clone(),
            arrow::buffer::OffsetBuffer::new(offsets.into()),
            structs,
            None,
            false,
        )?;
        Ok(std::sync::Arc::new(map) as arrow::array::ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), input)]))
}

pub fn functions() -> Vec<DaftFunction> {
    let mut v: Vec<DaftFunction> =
        FORWARDED.iter().map(|&(name, arity, df)| list_fn(name, arity, move |a| call(df, a.exprs.clone()))).collect();
    v.extend([
        list_fn("list_count", 2, count),
        list_fn("list_sort", 3, sort),
        // Daft joins a null element as an empty string.
        list_fn("list_join", 2, |a| call("array_to_string", vec![a.arg(0), a.arg(1), lit("")])),
        // Daft's distinct drops nulls.
        list_fn("list_distinct", 1, |a| call("array_distinct", vec![call("array_compact", vec![a.arg(0)])?])),
        list_fn("list_sum", 1, |a| {
            // DataFusion sums integer lists as Float64 for wide types; Daft keeps Int64.
            let sum = call("array_sum", vec![a.arg(0)])?;
            Ok(match a.ty(0) {
                DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
                    if f.data_type().is_integer() =>
                {
                    let t = if f.data_type().is_signed_integer() { DataType::Int64 } else { DataType::UInt64 };
                    cast(sum, t)
                }
                _ => sum,
            })
        }),
        DaftFunction::new("slice", 3, slice),
        DaftFunction::new("get", 3, get),
        DaftFunction::new("map_get", 2, |a| {
            call("array_element", vec![call("map_extract", vec![a.arg(0), a.arg(1)])?, lit(1i64)])
        }),
        DaftFunction::new("map_keys", 1, |a| call("map_keys", vec![a.arg(0)])),
        DaftFunction::variadic("to_list", |a| call("make_array", a.exprs.clone())),
        DaftFunction::new("seq", 1, |a| {
            expect(a, 0, |t| t.is_integer() || t.is_null(), "an integer input")?;
            let list = call("range", vec![cast(a.arg(0), DataType::Int64)])?;
            Ok(cast(
                list,
                DataType::List(std::sync::Arc::new(arrow::datatypes::Field::new("item", DataType::UInt64, true))),
            ))
        }),
        list_fn("chunk", 2, chunk),
        DaftFunction::new("value_counts", 1, value_counts),
        // Row-multiplying and column-multiplying markers that select() plans
        // (ketch_plan::ops): the call itself has the element / struct type.
        list_fn("explode", 2, |a| {
            if a.types_only() {
                call("array_element", vec![a.arg(0), lit(1i64)])
            } else {
                datafusion::common::plan_err!("explode() must be a whole column of select(), not part of an expression")
            }
        }),
        DaftFunction::new("unnest", 1, |a| {
            if !matches!(a.ty(0), DataType::Struct(_)) {
                return a.type_error("a struct input");
            }
            if a.types_only() {
                Ok(a.arg(0))
            } else {
                datafusion::common::plan_err!("unnest() must be a whole column of select(), not part of an expression")
            }
        }),
        // Python passes (name, value) pairs; SQL callers do the same.
        DaftFunction::variadic("to_struct", |a| call("named_struct", a.exprs.clone())),
    ]);
    v
}
