//! Image kernels on the `image` crate (the codecs and resampling Daft 0.7.26
//! uses, so results match Daft's pixel for pixel): decode, encode, resize,
//! crop, mode conversion, image -> tensor, attributes and perceptual hashes.
//! `resize` of one 8-bit mode to a fixed shape takes the SIMD path in
//! [`super::resize`] (within 1 of Pillow, 2 of Daft). Rows are processed in
//! parallel (rayon) within a batch.

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, FixedSizeBinaryBuilder, FixedSizeListArray, LargeListArray,
    PrimitiveArray, StructArray, UInt8Array, UInt16Array, UInt32Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{ArrowPrimitiveType, DataType, Field, Float32Type, Int64Type, UInt8Type, UInt16Type};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use image::imageops::FilterType;
use image::{DynamicImage, ImageBuffer, ImageFormat};
use rayon::prelude::*;

use super::types::{Logical, image_struct};
use super::{Call, ImageMode, MediaFunction};

// ---------------------------------------------------------------------------
// Arrow <-> DynamicImage

/// The mode of an image as Daft names it.
pub fn mode_of(img: &DynamicImage) -> Result<ImageMode> {
    Ok(match img {
        DynamicImage::ImageLuma8(_) => ImageMode::L,
        DynamicImage::ImageLumaA8(_) => ImageMode::LA,
        DynamicImage::ImageRgb8(_) => ImageMode::RGB,
        DynamicImage::ImageRgba8(_) => ImageMode::RGBA,
        DynamicImage::ImageLuma16(_) => ImageMode::L16,
        DynamicImage::ImageLumaA16(_) => ImageMode::LA16,
        DynamicImage::ImageRgb16(_) => ImageMode::RGB16,
        DynamicImage::ImageRgba16(_) => ImageMode::RGBA16,
        DynamicImage::ImageRgb32F(_) => ImageMode::RGB32F,
        DynamicImage::ImageRgba32F(_) => ImageMode::RGBA32F,
        _ => return exec_err!("unsupported image color type {:?}", img.color()),
    })
}

/// `img` in `mode` (the `image` crate's conversions, as Daft).
pub fn convert(img: DynamicImage, mode: ImageMode) -> DynamicImage {
    if mode_of(&img).ok() == Some(mode) {
        return img;
    }
    match mode {
        ImageMode::L => DynamicImage::ImageLuma8(img.to_luma8()),
        ImageMode::LA => DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
        ImageMode::RGB => DynamicImage::ImageRgb8(img.to_rgb8()),
        ImageMode::RGBA => DynamicImage::ImageRgba8(img.to_rgba8()),
        ImageMode::L16 => DynamicImage::ImageLuma16(img.to_luma16()),
        ImageMode::LA16 => DynamicImage::ImageLumaA16(img.to_luma_alpha16()),
        ImageMode::RGB16 => DynamicImage::ImageRgb16(img.to_rgb16()),
        ImageMode::RGBA16 => DynamicImage::ImageRgba16(img.to_rgba16()),
        ImageMode::RGB32F => DynamicImage::ImageRgb32F(img.to_rgb32f()),
        ImageMode::RGBA32F => DynamicImage::ImageRgba32F(img.to_rgba32f()),
    }
}

/// Channel values of one image, in the element type of its mode.
enum Pixels {
    U8(Vec<u8>),
    U16(Vec<u16>),
    F32(Vec<f32>),
}

fn pixels_of(img: DynamicImage) -> Pixels {
    match img {
        DynamicImage::ImageLuma8(b) => Pixels::U8(b.into_raw()),
        DynamicImage::ImageLumaA8(b) => Pixels::U8(b.into_raw()),
        DynamicImage::ImageRgb8(b) => Pixels::U8(b.into_raw()),
        DynamicImage::ImageRgba8(b) => Pixels::U8(b.into_raw()),
        DynamicImage::ImageLuma16(b) => Pixels::U16(b.into_raw()),
        DynamicImage::ImageLumaA16(b) => Pixels::U16(b.into_raw()),
        DynamicImage::ImageRgb16(b) => Pixels::U16(b.into_raw()),
        DynamicImage::ImageRgba16(b) => Pixels::U16(b.into_raw()),
        DynamicImage::ImageRgb32F(b) => Pixels::F32(b.into_raw()),
        DynamicImage::ImageRgba32F(b) => Pixels::F32(b.into_raw()),
        other => Pixels::U8(other.to_rgba8().into_raw()),
    }
}

fn make_image(mode: ImageMode, w: u32, h: u32, px: Pixels) -> Option<DynamicImage> {
    use DynamicImage as I;
    Some(match (mode, px) {
        (ImageMode::L, Pixels::U8(v)) => I::ImageLuma8(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::LA, Pixels::U8(v)) => I::ImageLumaA8(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::RGB, Pixels::U8(v)) => I::ImageRgb8(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::RGBA, Pixels::U8(v)) => I::ImageRgba8(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::L16, Pixels::U16(v)) => I::ImageLuma16(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::LA16, Pixels::U16(v)) => I::ImageLumaA16(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::RGB16, Pixels::U16(v)) => I::ImageRgb16(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::RGBA16, Pixels::U16(v)) => I::ImageRgba16(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::RGB32F, Pixels::F32(v)) => I::ImageRgb32F(ImageBuffer::from_raw(w, h, v)?),
        (ImageMode::RGBA32F, Pixels::F32(v)) => I::ImageRgba32F(ImageBuffer::from_raw(w, h, v)?),
        _ => return None,
    })
}

fn slice_pixels(values: &ArrayRef, start: usize, len: usize) -> Result<Pixels> {
    let v = values.slice(start, len);
    Ok(match v.data_type() {
        DataType::UInt8 => Pixels::U8(v.as_primitive::<UInt8Type>().values().to_vec()),
        DataType::UInt16 => Pixels::U16(v.as_primitive::<UInt16Type>().values().to_vec()),
        DataType::Float32 => Pixels::F32(v.as_primitive::<Float32Type>().values().to_vec()),
        other => return exec_err!("image data must be UInt8, UInt16 or Float32, got {other}"),
    })
}

/// The images of an image column (`Image[...]` of either layout), null rows as `None`.
pub fn read_images(array: &ArrayRef, logical: &Logical) -> Result<Vec<Option<DynamicImage>>> {
    let bad = || DataFusionError::Execution("corrupt image column: channel values do not fit its shape".into());
    match logical {
        Logical::Image(_) => {
            let s = array.as_struct();
            let data = s.column_by_name("data").ok_or_else(bad)?.as_list::<i64>();
            let ints = |name: &str| -> Result<UInt32Array> {
                let c = s.column_by_name(name).ok_or_else(bad)?;
                Ok(arrow::compute::cast(c, &DataType::UInt32)?.as_primitive().clone())
            };
            let (height, width, mode) = (ints("height")?, ints("width")?, ints("mode")?);
            (0..s.len())
                .map(|i| {
                    if s.is_null(i) || data.is_null(i) {
                        return Ok(None);
                    }
                    let m = ImageMode::from_byte(mode.value(i) as u8)
                        .ok_or_else(|| DataFusionError::Execution(format!("unknown image mode {}", mode.value(i))))?;
                    let (start, end) = (data.value_offsets()[i] as usize, data.value_offsets()[i + 1] as usize);
                    let px = slice_pixels(data.values(), start, end - start)?;
                    make_image(m, width.value(i), height.value(i), px).map(Some).ok_or_else(bad)
                })
                .collect()
        }
        Logical::FixedShapeImage(mode, h, w) => {
            let l = array.as_fixed_size_list();
            let n = l.value_length() as usize;
            (0..l.len())
                .map(|i| {
                    if l.is_null(i) {
                        return Ok(None);
                    }
                    let px = slice_pixels(l.values(), i * n, n)?;
                    make_image(*mode, *w, *h, px).map(Some).ok_or_else(bad)
                })
                .collect()
        }
        other => exec_err!("expected an image column, got {other}"),
    }
}

fn primitive<T: ArrowPrimitiveType>(values: Vec<T::Native>) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(values), None))
}

/// Concatenated channel values of `imgs` (already in one element type) and their offsets.
fn concat_pixels(imgs: Vec<Pixels>, element: &DataType) -> Result<(ArrayRef, Vec<i64>)> {
    let mut offsets = vec![0i64];
    macro_rules! cat {
        ($variant:ident, $ty:ty) => {{
            let mut all = Vec::new();
            for p in imgs {
                match p {
                    Pixels::$variant(v) => all.extend_from_slice(&v),
                    _ => return exec_err!("internal: mixed channel types in one image column"),
                }
                offsets.push(all.len() as i64);
            }
            primitive::<$ty>(all)
        }};
    }
    let values = match element {
        DataType::UInt8 => cat!(U8, UInt8Type),
        DataType::UInt16 => cat!(U16, UInt16Type),
        DataType::Float32 => cat!(F32, Float32Type),
        other => return exec_err!("internal: image element type {other}"),
    };
    Ok((values, offsets))
}

/// An image column of type `out` from `imgs` (converted to the column's mode
/// where it has one; `Image[MIXED]` keeps each image's 8-bit mode).
pub fn write_images(imgs: Vec<Option<DynamicImage>>, out: &Logical) -> Result<ArrayRef> {
    let nulls = NullBuffer::from(imgs.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    match out {
        Logical::Image(mode) => {
            let element = mode.map_or(DataType::UInt8, |m| m.element());
            let n = imgs.len();
            let (mut chan, mut height, mut width, mut modes) =
                (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
            let mut pixels = Vec::with_capacity(n);
            for img in imgs {
                match img {
                    Some(img) => {
                        let img = match mode {
                            Some(m) => convert(img, *m),
                            None => match mode_of(&img)? {
                                m @ (ImageMode::L | ImageMode::LA | ImageMode::RGB | ImageMode::RGBA) => {
                                    convert(img, m)
                                }
                                m => convert(
                                    img,
                                    ImageMode::from_channels(m.channels() as usize, &DataType::UInt8)
                                        .unwrap_or(ImageMode::RGBA),
                                ),
                            },
                        };
                        let m = mode_of(&img)?;
                        chan.push(m.channels());
                        height.push(img.height());
                        width.push(img.width());
                        modes.push(m as u8);
                        pixels.push(pixels_of(img));
                    }
                    None => {
                        chan.push(0);
                        height.push(0);
                        width.push(0);
                        modes.push(0);
                        pixels.push(match element {
                            DataType::UInt16 => Pixels::U16(vec![]),
                            DataType::Float32 => Pixels::F32(vec![]),
                            _ => Pixels::U8(vec![]),
                        });
                    }
                }
            }
            let (values, offsets) = concat_pixels(pixels, &element)?;
            let DataType::Struct(fields) = image_struct(element.clone()) else { unreachable!() };
            let DataType::LargeList(item) = fields[0].data_type().clone() else { unreachable!() };
            let data = LargeListArray::new(item, OffsetBuffer::new(ScalarBuffer::from(offsets)), values, nulls.clone());
            let columns: Vec<ArrayRef> = vec![
                Arc::new(data),
                Arc::new(UInt16Array::from(chan)),
                Arc::new(UInt32Array::from(height)),
                Arc::new(UInt32Array::from(width)),
                Arc::new(UInt8Array::from(modes)),
            ];
            Ok(Arc::new(StructArray::new(fields, columns, nulls)))
        }
        Logical::FixedShapeImage(mode, h, w) => {
            let size = (*h as usize) * (*w as usize) * mode.channels() as usize;
            let pixels = imgs
                .into_iter()
                .map(|img| match img {
                    Some(img) => {
                        let img = convert(img, *mode);
                        if (img.width(), img.height()) != (*w, *h) {
                            return exec_err!(
                                "cannot store a {}x{} image in {out}: sizes differ",
                                img.width(),
                                img.height()
                            );
                        }
                        Ok(pixels_of(img))
                    }
                    None => Ok(match mode.element() {
                        DataType::UInt16 => Pixels::U16(vec![0; size]),
                        DataType::Float32 => Pixels::F32(vec![0.0; size]),
                        _ => Pixels::U8(vec![0; size]),
                    }),
                })
                .collect::<Result<Vec<_>>>()?;
            let (values, _) = concat_pixels(pixels, &mode.element())?;
            let DataType::FixedSizeList(item, len) = out.storage() else { unreachable!() };
            Ok(Arc::new(FixedSizeListArray::try_new(item, len, values, nulls)?))
        }
        other => exec_err!("internal: {other} is not an image type"),
    }
}

/// The image type of argument `i`, or a clear error.
fn image_arg(call: &Call, i: usize) -> Result<Logical> {
    match call.logical(i) {
        Some(l @ (Logical::Image(_) | Logical::FixedShapeImage(..))) => Ok(l),
        _ => call.type_error(i, "an image column (Image type; decode bytes with decode_image first)"),
    }
}

fn mode_arg(call: &Call, i: usize) -> Result<Option<ImageMode>> {
    call.str(i)?.map(|s| ImageMode::parse(&s)).transpose()
}

/// The logical type of a call's result field.
fn out_logical(call: &Call, out: &Field) -> Result<Logical> {
    match Logical::of_field(out) {
        Some(l) => Ok(l),
        None => exec_err!("internal: the result field of {} has no image type", call.name),
    }
}

/// Maps each image through `f` in parallel, writing an `out` column.
fn map_images(
    call: &Call,
    array: &ArrayRef,
    out: &Field,
    f: impl Fn(DynamicImage) -> Result<DynamicImage> + Sync,
) -> Result<ArrayRef> {
    let input = image_arg(call, 0)?;
    let imgs = read_images(array, &input)?;
    let imgs = imgs.into_par_iter().map(|i| i.map(&f).transpose()).collect::<Result<Vec<_>>>()?;
    let Some(logical) = Logical::of_field(out) else {
        return exec_err!("internal: {} result is not an image", call.name);
    };
    write_images(imgs, &logical)
}

// ---------------------------------------------------------------------------
// Functions

/// Rows per call of the kernels that make a row much larger (decode, download):
/// a few dozen images (tens of MB) at a time, enough for every core.
pub const MEDIA_MORSEL_ROWS: usize = 64;

fn decode() -> MediaFunction {
    MediaFunction::new(
        "decode_image",
        |c| {
            if !matches!(
                c.data_type(0),
                DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::Null
            ) {
                return c.type_error(0, "a Binary column of encoded image bytes");
            }
            c.null_on_error(1)?;
            // Daft's default mode is RGB; an explicit null keeps each image's own mode.
            let mode = if c.fields.len() > 2 { mode_arg(c, 2)? } else { Some(ImageMode::RGB) };
            Logical::Image(mode).field("decode_image")
        },
        |c, a, out| {
            let null_on_error = c.null_on_error(1)?;
            let bytes = arrow::compute::cast(&a[0], &DataType::LargeBinary)?;
            let bytes = bytes.as_binary::<i64>();
            let imgs = (0..bytes.len())
                .into_par_iter()
                .map(|i| {
                    if bytes.is_null(i) {
                        return Ok(None);
                    }
                    match image::load_from_memory(bytes.value(i)) {
                        Ok(img) => Ok(Some(img)),
                        Err(_) if null_on_error => Ok(None),
                        Err(e) => exec_err!(
                            "decode_image: row {i}: cannot decode {} bytes as an image: {e} \
                             (pass on_error='null' to get null for undecodable rows)",
                            bytes.value(i).len()
                        ),
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            write_images(imgs, &out_logical(c, out)?)
        },
    )
}

/// Daft's `ImageFormat` names and the codec each one is.
pub fn image_format(name: &str) -> Result<ImageFormat> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "PNG" => ImageFormat::Png,
        "JPEG" | "JPG" => ImageFormat::Jpeg,
        "TIFF" => ImageFormat::Tiff,
        "GIF" => ImageFormat::Gif,
        "BMP" => ImageFormat::Bmp,
        "WEBP" => ImageFormat::WebP,
        _ => return plan_err!("unsupported image format {name:?}; expected one of PNG, JPEG, TIFF, GIF, BMP"),
    })
}

/// `img` encoded as `format` (JPEG drops alpha, as it must).
pub fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>> {
    let mut buf = Cursor::new(Vec::new());
    let img = match (format, mode_of(img)?) {
        (ImageFormat::Jpeg, ImageMode::LA | ImageMode::RGBA) => &DynamicImage::ImageRgb8(img.to_rgb8()),
        _ => img,
    };
    img.write_to(&mut buf, format)
        .map_err(|e| DataFusionError::Execution(format!("encode_image: cannot encode as {format:?}: {e}")))?;
    Ok(buf.into_inner())
}

fn encode_fn() -> MediaFunction {
    MediaFunction::new(
        "encode_image",
        |c| {
            image_arg(c, 0)?;
            match c.str(1)? {
                Some(f) => image_format(&f)?,
                None => return plan_err!("encode_image: image_format is required"),
            };
            Ok(Field::new("encode_image", DataType::Binary, true))
        },
        |c, a, _| {
            let format = image_format(&c.str(1)?.unwrap_or_default())?;
            let imgs = read_images(&a[0], &image_arg(c, 0)?)?;
            let encoded = imgs
                .into_par_iter()
                .map(|i| i.map(|img| encode(&img, format)).transpose())
                .collect::<Result<Vec<_>>>()?;
            let mut b = BinaryBuilder::new();
            for e in encoded {
                b.append_option(e);
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

fn positive(c: &Call, i: usize, what: &str) -> Result<u32> {
    match c.int(i)? {
        Some(v) if v > 0 && v <= u32::MAX as i64 => Ok(v as u32),
        Some(v) => plan_err!("{}: {what} must be a positive integer, got {v}", c.name),
        None => plan_err!("{}: {what} is required", c.name),
    }
}

fn resize_fn() -> MediaFunction {
    MediaFunction::new(
        "resize",
        |c| {
            let (w, h) = (positive(c, 1, "w")?, positive(c, 2, "h")?);
            let out = match image_arg(c, 0)? {
                Logical::Image(Some(m)) | Logical::FixedShapeImage(m, ..) => Logical::FixedShapeImage(m, h, w),
                mixed => mixed,
            };
            out.field("resize")
        },
        |c, a, out| {
            let (w, h) = (positive(c, 1, "w")?, positive(c, 2, "h")?);
            if let Some(Logical::FixedShapeImage(mode, ..)) = Logical::of_field(out)
                && let Some(resized) = super::resize::resize_fixed_u8(&a[0], &image_arg(c, 0)?, mode, w, h)?
            {
                return Ok(resized);
            }
            map_images(c, &a[0], out, |img| Ok(img.resize_exact(w, h, FilterType::Triangle)))
        },
    )
}

/// The crop box of row `i`: `[x, y, width, height]`.
fn bbox_at(boxes: &ArrayRef, i: usize) -> Result<Option<[u32; 4]>> {
    if boxes.is_null(i) {
        return Ok(None);
    }
    let values = match boxes.data_type() {
        DataType::List(_) => boxes.as_list::<i32>().value(i),
        DataType::LargeList(_) => boxes.as_list::<i64>().value(i),
        DataType::FixedSizeList(..) => boxes.as_fixed_size_list().value(i),
        other => return exec_err!("crop: bbox must be a list of 4 integers (x, y, width, height), got {other}"),
    };
    let v = arrow::compute::cast(&values, &DataType::Int64)?;
    let v = v.as_primitive::<Int64Type>();
    if v.len() != 4 || v.null_count() > 0 || v.values().iter().any(|x| *x < 0 || *x > u32::MAX as i64) {
        return exec_err!("crop: bbox must be 4 non-negative integers (x, y, width, height), got {:?}", v.values());
    }
    Ok(Some([v.value(0) as u32, v.value(1) as u32, v.value(2) as u32, v.value(3) as u32]))
}

fn crop_fn() -> MediaFunction {
    MediaFunction::new(
        "crop",
        |c| {
            let out = match image_arg(c, 0)? {
                Logical::Image(m) => Logical::Image(m),
                Logical::FixedShapeImage(m, ..) => Logical::Image(Some(m)),
                _ => unreachable!(),
            };
            match c.data_type(1) {
                DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
                    if f.data_type().is_integer() || f.data_type().is_null() => {}
                _ => return c.type_error(1, "an image and a bbox of 4 integers (x, y, width, height)"),
            }
            out.field("crop")
        },
        |c, a, out| {
            let input = image_arg(c, 0)?;
            let imgs = read_images(&a[0], &input)?;
            let boxes = (0..imgs.len()).map(|i| bbox_at(&a[1], i)).collect::<Result<Vec<_>>>()?;
            let imgs = imgs
                .into_par_iter()
                .zip(boxes)
                .map(|(img, b)| match (img, b) {
                    // Clipped to the image; a box with nothing inside gives null (as Daft).
                    (Some(img), Some([x, y, w, h])) => {
                        Some(img.crop_imm(x, y, w, h)).filter(|c| c.width() > 0 && c.height() > 0)
                    }
                    _ => None,
                })
                .collect();
            write_images(imgs, &out_logical(c, out)?)
        },
    )
}

fn convert_fn() -> MediaFunction {
    MediaFunction::new(
        "convert_image",
        |c| {
            image_arg(c, 0)?;
            match mode_arg(c, 1)? {
                Some(m) => Logical::Image(Some(m)).field("convert_image"),
                None => plan_err!("convert_image: mode is required"),
            }
        },
        |c, a, out| {
            let Some(mode) = mode_arg(c, 1)? else { return plan_err!("convert_image: mode is required") };
            map_images(c, &a[0], out, |img| Ok(convert(img, mode)))
        },
    )
}

fn to_tensor_fn() -> MediaFunction {
    MediaFunction::new(
        "image_to_tensor",
        |c| {
            let out = match image_arg(c, 0)? {
                Logical::Image(m) => Logical::Tensor(m.map_or(DataType::UInt8, |m| m.element())),
                Logical::FixedShapeImage(m, h, w) => {
                    Logical::FixedShapeTensor(m.element(), vec![h as u64, w as u64, m.channels() as u64])
                }
                _ => unreachable!(),
            };
            out.field("image_to_tensor")
        },
        |c, a, out| match image_arg(c, 0)? {
            // Same values, same order: only the layout's description changes.
            Logical::FixedShapeImage(..) => Ok(a[0].clone()),
            input => {
                let Some(Logical::Tensor(element)) = Logical::of_field(out) else { unreachable!() };
                tensor_from_images(read_images(&a[0], &input)?, &element)
            }
        },
    )
}

/// A `Tensor[element]` column of `imgs` (shape `[height, width, channels]`);
/// the images must already have `element` channel values.
pub fn tensor_from_images(imgs: Vec<Option<DynamicImage>>, element: &DataType) -> Result<ArrayRef> {
    let n = imgs.len();
    let nulls = NullBuffer::from(imgs.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let mut shape_offsets = vec![0i64];
    let mut shapes = Vec::with_capacity(n * 3);
    let mut pixels = Vec::with_capacity(n);
    for img in imgs {
        match img {
            Some(img) => {
                let m = mode_of(&img)?;
                shapes.extend([img.height() as u64, img.width() as u64, m.channels() as u64]);
                pixels.push(pixels_of(img));
            }
            None => pixels.push(match element {
                DataType::UInt16 => Pixels::U16(vec![]),
                DataType::Float32 => Pixels::F32(vec![]),
                _ => Pixels::U8(vec![]),
            }),
        }
        shape_offsets.push(shapes.len() as i64);
    }
    let (values, offsets) = concat_pixels(pixels, element)?;
    let shape = primitive::<arrow::datatypes::UInt64Type>(shapes);
    super::cast::tensor_array(element.clone(), values, offsets, shape, shape_offsets, nulls)
}

/// Attribute `key` (`width`, `height`, `channel` or `mode`) of every image, as
/// UInt32, read from the column's own fields (or its fixed shape): no pixels are
/// touched.
fn attribute_array(array: &ArrayRef, logical: &Logical, key: &str) -> Result<ArrayRef> {
    let nulls = array.logical_nulls();
    let values: UInt32Array = match logical {
        Logical::Image(_) => {
            let Some(col) = array.as_struct().column_by_name(key) else {
                return exec_err!("corrupt image column: no {key} field");
            };
            let col = arrow::compute::cast(col, &DataType::UInt32)?;
            let col = col.as_primitive::<arrow::datatypes::UInt32Type>();
            UInt32Array::new(col.values().clone(), NullBuffer::union(nulls.as_ref(), col.nulls()))
        }
        Logical::FixedShapeImage(mode, h, w) => {
            let v = match key {
                "width" => *w,
                "height" => *h,
                "channel" => u32::from(mode.channels()),
                _ => *mode as u32,
            };
            UInt32Array::new(vec![v; array.len()].into(), nulls)
        }
        other => return exec_err!("expected an image column, got {other}"),
    };
    Ok(Arc::new(values))
}

/// `image_width` & co: attribute `key` of each image.
fn attribute(name: &'static str, key: &'static str) -> MediaFunction {
    MediaFunction::new(
        name,
        move |c| {
            image_arg(c, 0)?;
            Ok(Field::new(name, DataType::UInt32, true))
        },
        move |c, a, _| attribute_array(&a[0], &image_arg(c, 0)?, key),
    )
}

fn image_attribute() -> MediaFunction {
    MediaFunction::new(
        "image_attribute",
        |c| {
            image_arg(c, 0)?;
            match c.str(1)?.as_deref() {
                Some("width" | "height" | "channel" | "mode") => {
                    Ok(Field::new("image_attribute", DataType::UInt32, true))
                }
                other => plan_err!("image_attribute: name must be one of width, height, channel, mode, got {other:?}"),
            }
        },
        |c, a, _| attribute_array(&a[0], &image_arg(c, 0)?, &c.str(1)?.unwrap_or_default()),
    )
}

/// `image_hash(image, method, hash_size, binbits, segments)`, Daft's defaults
/// (`phash`, 8, 3, 3) for absent or null literals.
fn hash_args(c: &Call) -> Result<super::image_hash::Hash> {
    let method = c.str(1)?.unwrap_or_else(|| "phash".into());
    super::image_hash::Hash::new(&method, c.int(2)?.unwrap_or(8), c.int(3)?.unwrap_or(3), c.int(4)?.unwrap_or(3))
}

fn hash_fn() -> MediaFunction {
    MediaFunction::new(
        "image_hash",
        |c| {
            image_arg(c, 0)?;
            let size = hash_args(c)?.bytes();
            Ok(Field::new("image_hash", DataType::FixedSizeBinary(size as i32), true))
        },
        |c, a, _| {
            let hash = hash_args(c)?;
            let imgs = read_images(&a[0], &image_arg(c, 0)?)?;
            let hashes: Vec<Option<Vec<u8>>> = imgs.into_par_iter().map(|img| img.map(|img| hash.hash(&img))).collect();
            let mut b = FixedSizeBinaryBuilder::with_capacity(hashes.len(), hash.bytes() as i32);
            for h in hashes {
                match h {
                    Some(h) => b.append_value(h)?,
                    None => b.append_null(),
                }
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

/// `ketch_thumbnail(image, size)`: PNG bytes of each image scaled so its longer
/// side is `size` pixels (aspect kept, the other side floored; small images
/// scaled up), as Daft's notebook previews show them.
fn thumbnail_fn() -> MediaFunction {
    MediaFunction::new(
        "ketch_thumbnail",
        |c| {
            image_arg(c, 0)?;
            positive(c, 1, "size")?;
            Ok(Field::new("ketch_thumbnail", DataType::Binary, true))
        },
        |c, a, _| {
            let size = positive(c, 1, "size")?;
            let imgs = read_images(&a[0], &image_arg(c, 0)?)?;
            let pngs = imgs
                .into_par_iter()
                .map(|img| {
                    img.map(|img| {
                        let (w, h) = (img.width().max(1) as u64, img.height().max(1) as u64);
                        let long = w.max(h);
                        let (tw, th) = ((w * size as u64 / long).max(1), (h * size as u64 / long).max(1));
                        let small = img.resize_exact(tw as u32, th as u32, FilterType::Triangle);
                        let small = match mode_of(&small)? {
                            ImageMode::L | ImageMode::LA | ImageMode::RGB | ImageMode::RGBA => small,
                            m if m.channels() % 2 == 0 => DynamicImage::ImageRgba8(small.to_rgba8()),
                            _ => DynamicImage::ImageRgb8(small.to_rgb8()),
                        };
                        encode(&small, ImageFormat::Png)
                    })
                    .transpose()
                })
                .collect::<Result<Vec<_>>>()?;
            let mut b = BinaryBuilder::new();
            for p in pngs {
                b.append_option(p);
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

pub fn functions() -> Vec<datafusion::logical_expr::ScalarUDF> {
    vec![
        decode().morsels(MEDIA_MORSEL_ROWS).udf(),
        encode_fn().morsels(MEDIA_MORSEL_ROWS).udf(),
        resize_fn().udf(),
        crop_fn().udf(),
        convert_fn().udf(),
        to_tensor_fn().udf(),
        attribute("image_width", "width").udf(),
        attribute("image_height", "height").udf(),
        attribute("image_channel", "channel").udf(),
        attribute("image_mode", "mode").udf(),
        image_attribute().udf(),
        hash_fn().udf(),
        thumbnail_fn().udf(),
    ]
}
