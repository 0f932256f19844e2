//! Casts to and from Daft's sparse tensors: `SparseTensor[T]` (per row the
//! non-zero values, their flat row-major indices and the shape) and
//! `FixedShapeSparseTensor[T; shape]` (the shape in the type, indices in the
//! smallest unsigned type that holds them). With `use_offset_indices` the
//! indices are stored as the first index then the gaps between indices, as
//! Daft 0.7.26 stores them.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int8Array, LargeListArray, Scalar, StructArray, UInt64Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::kernels::cmp::neq;
use arrow::datatypes::{DataType, UInt64Type};
use datafusion::common::{DataFusionError, Result, exec_err};

use super::Logical;
use super::cast::TensorRow;

/// A zero of type `t` (as a one-element array).
fn zero(t: &DataType) -> Result<ArrayRef> {
    Ok(arrow::compute::cast(&Int8Array::from(vec![0i8]), t)?)
}

/// Flat indices as stored (`offsets`: first index, then gaps) -> absolute positions.
fn positions(indices: &ArrayRef, offsets: bool) -> Result<Vec<u64>> {
    let idx = arrow::compute::cast(indices, &DataType::UInt64)?;
    let idx = idx.as_primitive::<UInt64Type>().values().to_vec();
    if !offsets {
        return Ok(idx);
    }
    let mut acc = 0u64;
    Ok(idx
        .into_iter()
        .map(|d| {
            acc = acc.wrapping_add(d);
            acc
        })
        .collect())
}

/// The rows of a sparse tensor column, made dense (null rows as `None`).
pub fn dense_rows(from: &Logical, array: &ArrayRef) -> Result<Vec<Option<TensorRow>>> {
    let (fixed_shape, offsets) = match from {
        Logical::SparseTensor(_, off) => (None, *off),
        Logical::FixedShapeSparseTensor(_, shape, off) => (Some(shape.clone()), *off),
        other => return exec_err!("internal: {other} is not a sparse tensor type"),
    };
    let s = array.as_struct();
    let (Some(values), Some(indices)) = (s.column_by_name("values"), s.column_by_name("indices")) else {
        return exec_err!("corrupt sparse tensor column: expected values and indices fields");
    };
    let (values, indices) = (values.as_list::<i64>(), indices.as_list::<i64>());
    let shapes = s.column_by_name("shape").map(|c| c.as_list::<i64>());
    (0..s.len())
        .map(|i| {
            if s.is_null(i) || values.is_null(i) {
                return Ok(None);
            }
            let shape = match (&fixed_shape, shapes) {
                (Some(shape), _) => shape.clone(),
                (None, Some(shapes)) => shapes.value(i).as_primitive::<UInt64Type>().values().to_vec(),
                (None, None) => return exec_err!("corrupt sparse tensor column: no shape field"),
            };
            let size = shape.iter().product::<u64>() as usize;
            let v = values.value(i);
            let src = arrow::compute::concat(&[v.as_ref(), zero(v.data_type())?.as_ref()])?;
            // Every dense position takes the zero (last) unless a value is stored for it.
            let mut take = vec![v.len() as u64; size];
            for (j, p) in positions(&indices.value(i), offsets)?.into_iter().enumerate() {
                let slot = take.get_mut(p as usize).ok_or_else(|| {
                    DataFusionError::Execution(format!("sparse tensor row {i}: index {p} outside shape {shape:?}"))
                })?;
                *slot = j as u64;
            }
            let values = arrow::compute::take(&src, &UInt64Array::from(take), None)?;
            Ok(Some(TensorRow { values, shape }))
        })
        .collect()
}

/// A sparse tensor column of type `to` from dense rows. Errors when a row's
/// shape differs from a fixed-shape target's.
pub fn write_sparse(rows: Vec<Option<TensorRow>>, to: &Logical) -> Result<ArrayRef> {
    let (element, fixed_shape, offsets) = match to {
        Logical::SparseTensor(t, off) => (t, None, *off),
        Logical::FixedShapeSparseTensor(t, shape, off) => (t, Some(shape), *off),
        other => return exec_err!("internal: {other} is not a sparse tensor type"),
    };
    let DataType::Struct(fields) = to.storage() else { return exec_err!("internal: sparse storage is a struct") };
    let list_item = |i: usize| match fields[i].data_type() {
        DataType::LargeList(item) => Ok(item.clone()),
        other => exec_err!("internal: sparse tensor field of type {other}"),
    };
    let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let (mut values, mut indices, mut shapes) = (vec![], vec![], vec![]);
    let (mut value_lens, mut shape_lens) = (vec![], vec![]);
    for (i, row) in rows.into_iter().enumerate() {
        let Some(row) = row else {
            value_lens.push(0);
            shape_lens.push(0);
            continue;
        };
        if let Some(shape) = fixed_shape
            && *shape != row.shape
        {
            return exec_err!("cannot cast to {to}: row {i} has shape {:?}", row.shape);
        }
        let z = zero(row.values.data_type())?;
        let mask = neq(&row.values, &Scalar::new(z))?;
        let kept = arrow::compute::filter(&row.values, &mask)?;
        let mut last = 0u64;
        for (p, keep) in mask.iter().enumerate() {
            if keep == Some(true) {
                indices.push(if offsets { p as u64 - last } else { p as u64 });
                last = p as u64;
            }
        }
        value_lens.push(kept.len());
        values.push(arrow::compute::cast(&kept, element)?);
        shape_lens.push(row.shape.len());
        shapes.extend(row.shape);
    }
    let values = if values.is_empty() {
        arrow::array::new_empty_array(element)
    } else {
        arrow::compute::concat(&values.iter().map(|a| a.as_ref()).collect::<Vec<_>>())?
    };
    let list = |item, lens: &[usize], values: ArrayRef| -> Result<ArrayRef> {
        Ok(Arc::new(LargeListArray::try_new(
            item,
            OffsetBuffer::from_lengths(lens.iter().copied()),
            values,
            nulls.clone(),
        )?))
    };
    let index_item = list_item(1)?;
    let indices = arrow::compute::cast(&UInt64Array::from(indices), index_item.data_type())?;
    let mut columns = vec![list(list_item(0)?, &value_lens, values)?, list(index_item, &value_lens, indices)?];
    if fixed_shape.is_none() {
        columns.push(list(list_item(2)?, &shape_lens, Arc::new(UInt64Array::from(shapes)))?);
    }
    Ok(Arc::new(StructArray::try_new(fields, columns, nulls)?))
}
