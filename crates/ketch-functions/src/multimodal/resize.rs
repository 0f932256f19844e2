//! `resize` of 8-bit images straight from the input column's pixel buffer into
//! the output column's buffer, with `fast_image_resize`'s SIMD bilinear
//! convolution (the filter Pillow's `BILINEAR` and the `image` crate's
//! `Triangle` compute; results within 1 of both). No per-image copies: each
//! row reads a slice of the input values and writes a slice of the output.
//!
//! Covers the common case, a column of one 8-bit mode resized to a fixed
//! shape (`Image[RGB]` -> `Image[RGB; h x w]`); 16-bit, float and mixed-mode
//! columns take the generic `DynamicImage` path in `image.rs`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, UInt8Array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, UInt8Type};
use datafusion::common::{DataFusionError, Result};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use rayon::prelude::*;

use super::ImageMode;
use super::types::Logical;

/// One source image: its pixels (row-major, interleaved channels), width, height.
type Source<'a> = Option<(&'a [u8], u32, u32)>;

fn pixel_type(channels: u16) -> Option<PixelType> {
    Some(match channels {
        1 => PixelType::U8,
        2 => PixelType::U8x2,
        3 => PixelType::U8x3,
        4 => PixelType::U8x4,
        _ => return None,
    })
}

/// The rows of an 8-bit image column of mode `mode`, or `None` when some row
/// is stored in another mode (the caller then takes the generic path).
fn sources<'a>(array: &'a ArrayRef, input: &Logical, mode: ImageMode) -> Option<Vec<Source<'a>>> {
    match input {
        Logical::Image(_) => {
            let s = array.as_struct_opt()?;
            let data = s.column_by_name("data")?.as_list_opt::<i64>()?;
            let values = data.values().as_primitive_opt::<UInt8Type>()?.values();
            let dim =
                |name: &str| s.column_by_name(name).and_then(|c| c.as_primitive_opt::<arrow::datatypes::UInt32Type>());
            let (height, width) = (dim("height")?, dim("width")?);
            let modes = s.column_by_name("mode")?.as_primitive_opt::<UInt8Type>()?;
            let offsets = data.value_offsets();
            (0..s.len())
                .map(|i| {
                    if s.is_null(i) || data.is_null(i) {
                        return Some(None);
                    }
                    if ImageMode::from_byte(modes.value(i)) != Some(mode) {
                        return None;
                    }
                    let (w, h) = (width.value(i), height.value(i));
                    let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
                    let want = w as usize * h as usize * mode.channels() as usize;
                    (end - start == want && end <= values.len()).then(|| Some((&values[start..end], w, h)))
                })
                .collect()
        }
        Logical::FixedShapeImage(m, h, w) if *m == mode => {
            let l = array.as_fixed_size_list_opt()?;
            let values = l.values().as_primitive_opt::<UInt8Type>()?.values();
            let n = l.value_length() as usize;
            Some((0..l.len()).map(|i| (!l.is_null(i)).then(|| (&values[i * n..(i + 1) * n], *w, *h))).collect())
        }
        _ => None,
    }
}

/// `array` (an image column of type `input`) resized to `Image[mode; h x w]`,
/// or `None` when the column is not all 8-bit `mode` images.
///
/// Errors: a failed resize (a buffer that does not fit its shape) names the row.
pub fn resize_fixed_u8(array: &ArrayRef, input: &Logical, mode: ImageMode, w: u32, h: u32) -> Result<Option<ArrayRef>> {
    let Some(pt) = pixel_type(mode.channels()).filter(|_| mode.element() == DataType::UInt8) else {
        return Ok(None);
    };
    let Some(rows) = sources(array, input, mode) else {
        return Ok(None);
    };
    let size = w as usize * h as usize * mode.channels() as usize;
    let mut out = vec![0u8; rows.len() * size];
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)).use_alpha(false);
    if size > 0 {
        out.par_chunks_mut(size).zip(rows.par_iter()).enumerate().try_for_each_init(
            Resizer::new,
            |resizer, (i, (dst, src))| -> Result<()> {
                let Some((px, sw, sh)) = src else { return Ok(()) };
                let fail = |e: &dyn std::fmt::Display| DataFusionError::Execution(format!("resize: row {i}: {e}"));
                let src = ImageRef::new(*sw, *sh, px, pt).map_err(|e| fail(&e))?;
                let mut dst = Image::from_slice_u8(w, h, dst, pt).map_err(|e| fail(&e))?;
                resizer.resize(&src, &mut dst, &options).map_err(|e| fail(&e))
            },
        )?;
    }
    let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let DataType::FixedSizeList(item, len) = Logical::FixedShapeImage(mode, h, w).storage() else {
        return Err(DataFusionError::Internal("fixed-shape image storage is a fixed-size list".into()));
    };
    Ok(Some(Arc::new(FixedSizeListArray::try_new(item, len, Arc::new(UInt8Array::from(out)), nulls)?)))
}
