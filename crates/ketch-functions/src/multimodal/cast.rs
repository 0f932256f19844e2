//! Casts to Daft's logical types (`ketch_cast(expr, '<Daft type JSON>')`):
//! lists to embeddings, tensors to images and fixed shapes, images between
//! modes and layouts, tensors to and from sparse tensors ([`super::sparse`]),
//! as Daft 0.7.26 allows them. Casts to plain Arrow types
//! are DataFusion's own `CAST` (which drops the extension metadata).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, LargeListArray, StructArray, UInt64Array};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, UInt64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::ScalarUDF;
use image::DynamicImage;

use super::image::{read_images, write_images};
use super::types::tensor_struct;
use super::{Call, ImageMode, Logical, MediaFunction};

/// The name the Python `cast` uses for casts to logical types.
pub const CAST: &str = "ketch_cast";

/// A `Tensor[element]` struct array from its parts.
pub fn tensor_array(
    element: DataType,
    values: ArrayRef,
    offsets: Vec<i64>,
    shape: ArrayRef,
    shape_offsets: Vec<i64>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let DataType::Struct(fields) = tensor_struct(element) else { unreachable!() };
    let list = |f: &Field, offs: Vec<i64>, values: ArrayRef| -> Result<ArrayRef> {
        let DataType::LargeList(item) = f.data_type().clone() else { unreachable!() };
        let values = arrow::compute::cast(&values, item.data_type())?;
        Ok(Arc::new(LargeListArray::try_new(item, OffsetBuffer::new(ScalarBuffer::from(offs)), values, nulls.clone())?))
    };
    let data = list(&fields[0], offsets, values)?;
    let shape = list(&fields[1], shape_offsets, shape)?;
    Ok(Arc::new(StructArray::try_new(fields, vec![data, shape], nulls)?))
}

/// One tensor of a `Tensor` column: its values (as an array slice) and shape.
pub struct TensorRow {
    pub values: ArrayRef,
    pub shape: Vec<u64>,
}

/// The rows of a `Tensor` struct column (null rows as `None`).
pub fn read_tensors(array: &ArrayRef) -> Result<Vec<Option<TensorRow>>> {
    let s = array.as_struct();
    let (Some(data), Some(shape)) = (s.column_by_name("data"), s.column_by_name("shape")) else {
        return exec_err!("corrupt tensor column: expected data and shape fields");
    };
    let (data, shape) = (data.as_list::<i64>(), shape.as_list::<i64>());
    Ok((0..s.len())
        .map(|i| {
            (!s.is_null(i) && !data.is_null(i)).then(|| TensorRow {
                values: data.value(i),
                shape: shape.value(i).as_primitive::<UInt64Type>().values().to_vec(),
            })
        })
        .collect())
}

/// A `Tensor[element]` column from its rows (null rows as `None`).
fn tensor_from_rows(rows: Vec<Option<TensorRow>>, element: &DataType) -> Result<ArrayRef> {
    let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let (mut offsets, mut shape_offsets, mut shapes, mut values) = (vec![0i64], vec![0i64], vec![], vec![]);
    for row in rows.iter() {
        if let Some(r) = row {
            values.push(r.values.as_ref());
            shapes.extend(r.shape.iter().copied());
        }
        offsets.push(offsets[offsets.len() - 1] + row.as_ref().map_or(0, |r| r.values.len() as i64));
        shape_offsets.push(shapes.len() as i64);
    }
    let values =
        if values.is_empty() { arrow::array::new_empty_array(element) } else { arrow::compute::concat(&values)? };
    tensor_array(element.clone(), values, offsets, Arc::new(UInt64Array::from(shapes)), shape_offsets, nulls)
}

/// An image from a `(height, width[, channels])` tensor row.
fn tensor_to_image(row: TensorRow, target: Option<ImageMode>, row_index: usize) -> Result<DynamicImage> {
    let (h, w, c) = match row.shape[..] {
        [h, w] => (h, w, 1),
        [h, w, c] => (h, w, c),
        _ => {
            return exec_err!(
                "cast to Image: row {row_index}: a tensor of shape {:?} is not an image (expected [height, width, channels])",
                row.shape
            );
        }
    };
    let element = row.values.data_type().clone();
    let Some(mode) = ImageMode::from_channels(c as usize, &element) else {
        return exec_err!("cast to Image: row {row_index}: no image mode has {c} channels of {element}");
    };
    let single = Logical::Image(Some(mode));
    let offsets = vec![0i64, row.values.len() as i64];
    let values = row.values;
    let image = StructArray::try_new(
        match single.storage() {
            DataType::Struct(f) => f,
            _ => unreachable!(),
        },
        vec![
            Arc::new(LargeListArray::try_new(
                Arc::new(Field::new("item", mode.element(), true)),
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                arrow::compute::cast(&values, &mode.element())?,
                None,
            )?),
            Arc::new(arrow::array::UInt16Array::from(vec![c as u16])),
            Arc::new(arrow::array::UInt32Array::from(vec![h as u32])),
            Arc::new(arrow::array::UInt32Array::from(vec![w as u32])),
            Arc::new(arrow::array::UInt8Array::from(vec![mode as u8])),
        ],
        None,
    )?;
    let img = read_images(&(Arc::new(image) as ArrayRef), &single)?.pop().flatten();
    let Some(img) = img else {
        return exec_err!("cast to Image: row {row_index}: values do not fill shape {:?}", row.shape);
    };
    Ok(match target {
        Some(m) => super::image::convert(img, m),
        None => img,
    })
}

fn is_list(t: &DataType) -> bool {
    matches!(t, DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..))
}

/// Whether Daft allows a cast from `from` (logical type or Arrow type) to `to`.
fn allowed(from: Option<&Logical>, from_type: &DataType, to: &Logical) -> bool {
    use Logical as L;
    match (from, to) {
        (Some(a), b) if a == b => true,
        // Values already in the type's Arrow layout (e.g. a literal built
        // from a numpy array) take on the type as they are.
        (None, b) if *from_type == b.storage() => true,
        (None, L::Embedding(..) | L::FixedShapeTensor(..)) => is_list(from_type) || from_type.is_null(),
        (None, _) => from_type.is_null(),
        (Some(L::Embedding(..)), L::Embedding(..) | L::FixedShapeTensor(..)) => true,
        (Some(L::Tensor(_)), L::Image(_) | L::FixedShapeImage(..) | L::FixedShapeTensor(..) | L::Tensor(_)) => true,
        (Some(L::Tensor(_)), L::Embedding(..)) => true,
        (Some(L::FixedShapeTensor(..)), L::Tensor(_) | L::FixedShapeTensor(..) | L::Embedding(..)) => true,
        (Some(L::Image(_) | L::FixedShapeImage(..)), L::Image(_) | L::FixedShapeImage(..) | L::Tensor(_)) => true,
        (Some(L::FixedShapeImage(..)), L::FixedShapeTensor(..)) => true,
        (
            Some(L::Tensor(_) | L::FixedShapeTensor(..) | L::SparseTensor(..) | L::FixedShapeSparseTensor(..)),
            L::SparseTensor(..) | L::FixedShapeSparseTensor(..),
        ) => true,
        (Some(L::SparseTensor(..) | L::FixedShapeSparseTensor(..)), L::Tensor(_) | L::FixedShapeTensor(..)) => true,
        _ => false,
    }
}

fn run_cast(from: Option<Logical>, array: &ArrayRef, to: &Logical) -> Result<ArrayRef> {
    use Logical as L;
    if from.as_ref() == Some(to) || (from.is_none() && *array.data_type() == to.storage()) {
        return Ok(array.clone());
    }
    let nulls = || array.logical_nulls();
    match (from, to) {
        // Same values in a fixed-size list: only the storage's element type may change.
        (None | Some(L::Embedding(..) | L::FixedShapeTensor(..)), L::Embedding(..) | L::FixedShapeTensor(..)) => {
            Ok(arrow::compute::cast(array, &to.storage())?)
        }
        (Some(L::FixedShapeImage(m, h, w)), L::FixedShapeTensor(..)) => {
            let as_tensor = L::FixedShapeTensor(m.element(), vec![h as u64, w as u64, m.channels() as u64]);
            run_cast(Some(as_tensor), array, to)
        }
        (Some(L::Tensor(_)), L::Tensor(t)) => {
            let s = array.as_struct();
            let data = s.column(0).as_list::<i64>();
            let shape = s.column(1).as_list::<i64>();
            tensor_array(
                t.clone(),
                data.values().clone(),
                data.value_offsets().to_vec(),
                shape.values().clone(),
                shape.value_offsets().to_vec(),
                nulls(),
            )
        }
        // 1-D tensors of length n are embeddings (same storage as a fixed-shape tensor of [n]).
        (Some(from @ L::Tensor(_)), L::Embedding(t, n)) => {
            run_cast(Some(from), array, &L::FixedShapeTensor(t.clone(), vec![*n as u64]))
        }
        (Some(L::Tensor(_)), L::FixedShapeTensor(_, shape)) => {
            let size: u64 = shape.iter().product();
            for (i, row) in read_tensors(array)?.iter().enumerate() {
                if let Some(row) = row
                    && (row.shape != *shape || row.values.len() as u64 != size)
                {
                    return exec_err!("cannot cast Tensor to {to}: row {i} has shape {:?}, not {shape:?}", row.shape);
                }
            }
            // Shapes were checked, so only null rows (no values) fail the list -> fixed-size cast,
            // and a safe cast makes them null.
            let data = arrow::compute::cast(array.as_struct().column(0), &to.storage())?;
            let l = data.as_fixed_size_list();
            let nulls = NullBuffer::union(l.nulls(), nulls().as_ref());
            let DataType::FixedSizeList(item, len) = to.storage() else { unreachable!() };
            Ok(Arc::new(arrow::array::FixedSizeListArray::try_new(item, len, l.values().clone(), nulls)?))
        }
        (Some(L::FixedShapeTensor(_, shape)), L::Tensor(target)) => {
            let l = array.as_fixed_size_list();
            let n = l.value_length() as i64;
            let offsets: Vec<i64> = (0..=l.len() as i64).map(|i| i * n).collect();
            let shape_offsets: Vec<i64> = (0..=l.len() as i64).map(|i| i * shape.len() as i64).collect();
            let shapes: Vec<u64> = (0..l.len()).flat_map(|_| shape.iter().copied()).collect();
            tensor_array(
                target.clone(),
                l.values().slice(l.offset() * n as usize, l.len() * n as usize),
                offsets,
                Arc::new(arrow::array::UInt64Array::from(shapes)),
                shape_offsets,
                nulls(),
            )
        }
        // Sparse targets: every source made dense row by row, then its non-zeros kept.
        (Some(from @ L::FixedShapeTensor(..)), L::SparseTensor(t, _) | L::FixedShapeSparseTensor(t, ..)) => {
            let dense = run_cast(Some(from), array, &L::Tensor(t.clone()))?;
            run_cast(Some(L::Tensor(t.clone())), &dense, to)
        }
        (Some(L::Tensor(_)), L::SparseTensor(..) | L::FixedShapeSparseTensor(..)) => {
            super::sparse::write_sparse(read_tensors(array)?, to)
        }
        (
            Some(from @ (L::SparseTensor(..) | L::FixedShapeSparseTensor(..))),
            L::SparseTensor(..) | L::FixedShapeSparseTensor(..),
        ) => super::sparse::write_sparse(super::sparse::dense_rows(&from, array)?, to),
        (
            Some(from @ (L::SparseTensor(..) | L::FixedShapeSparseTensor(..))),
            L::Tensor(_) | L::FixedShapeTensor(..),
        ) => {
            let (L::SparseTensor(t, _) | L::FixedShapeSparseTensor(t, ..)) = &from else {
                return exec_err!("internal: {from} is not a sparse tensor type");
            };
            let dense = tensor_from_rows(super::sparse::dense_rows(&from, array)?, t)?;
            run_cast(Some(L::Tensor(t.clone())), &dense, to)
        }
        (Some(L::Tensor(_)), L::Image(mode)) => {
            let imgs = read_tensors(array)?
                .into_iter()
                .enumerate()
                .map(|(i, r)| r.map(|r| tensor_to_image(r, *mode, i)).transpose())
                .collect::<Result<Vec<_>>>()?;
            write_images(imgs, to)
        }
        (Some(L::Tensor(_)), L::FixedShapeImage(mode, ..)) => {
            let mixed = run_cast(Some(L::Tensor(DataType::UInt8)), array, &L::Image(Some(*mode)));
            run_cast(Some(L::Image(Some(*mode))), &mixed?, to)
        }
        (Some(from @ (L::Image(_) | L::FixedShapeImage(..))), L::Image(_) | L::FixedShapeImage(..)) => {
            write_images(read_images(array, &from)?, to)
        }
        (Some(from @ (L::Image(_) | L::FixedShapeImage(..))), L::Tensor(t)) => {
            let imgs = read_images(array, &from)?;
            let element = match from {
                L::Image(Some(m)) | L::FixedShapeImage(m, ..) => m.element(),
                _ => DataType::UInt8,
            };
            let imgs = if let L::Image(None) = from {
                imgs.into_iter().map(|i| i.map(|i| DynamicImage::ImageRgba8(i.to_rgba8()))).collect()
            } else {
                imgs
            };
            let out = super::image::tensor_from_images(imgs, &element)?;
            run_cast(Some(L::Tensor(element)), &out, &L::Tensor(t.clone()))
        }
        (None, _) if array.data_type().is_null() => Ok(arrow::array::new_null_array(&to.storage(), array.len())),
        (from, to) => {
            exec_err!("cannot cast {} to {to}", from.map_or_else(|| array.data_type().to_string(), |f| f.to_string()))
        }
    }
}

fn cast_fn() -> MediaFunction {
    MediaFunction::new(
        CAST,
        |c: &Call| {
            let Some(target) = c.str(1)? else { return plan_err!("{CAST}: the target type is required") };
            let to = Logical::parse(&target)?;
            let from = c.logical(0);
            if !allowed(from.as_ref(), c.data_type(0), &to) {
                let from = from.map_or_else(|| c.data_type(0).to_string(), |f| f.to_string());
                return plan_err!("cannot cast {from} to {to}");
            }
            let name = c.fields.first().map_or(CAST, |f| f.name().as_str());
            to.field(name)
        },
        |c, a, _| {
            let to = Logical::parse(&c.str(1)?.unwrap_or_default())?;
            run_cast(c.logical(0), &a[0], &to)
        },
    )
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![cast_fn().udf()]
}
