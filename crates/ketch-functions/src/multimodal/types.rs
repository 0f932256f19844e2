//! Daft's multimodal logical types and their Arrow layouts.
//!
//! A logical type travels as an Arrow field: the storage type below plus the
//! extension metadata Daft 0.7.26 writes (`ARROW:extension:name =
//! daft.super_extension`, `ARROW:extension:metadata = {"datatype": ...}`), so
//! Parquet/IPC files written by Daft read back here with the same types and
//! the reverse. Fixed-shape tensors use Arrow's canonical
//! `arrow.fixed_shape_tensor` (what Daft's `to_arrow` gives); Daft's own
//! `FixedShapeTensor` metadata is read as well.
//!
//! | Daft type | Arrow storage |
//! |---|---|
//! | `Image[mode]` | struct{data: large_list<T>, channel: u16, height: u32, width: u32, mode: u8} |
//! | `Image[mode; h x w]` | fixed_size_list<T>[h*w*c] |
//! | `Tensor[T]` | struct{data: large_list<T>, shape: large_list<u64>} |
//! | `Tensor[T; shape]` | fixed_size_list<T>[prod(shape)] |
//! | `SparseTensor[T]` | struct{values: large_list<T>, indices: large_list<u64>, shape: large_list<u64>} |
//! | `Embedding[T; n]` | fixed_size_list<T>[n] |
//! | `File[media]` | struct{url: large_utf8, io_config: large_binary, position: i64, size: i64} |
//! | `Python` | large_binary (pickled objects) |

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, plan_err};
use serde_json::{Value, json};

pub const EXTENSION_NAME: &str = "ARROW:extension:name";
pub const EXTENSION_METADATA: &str = "ARROW:extension:metadata";
pub const DAFT_EXTENSION: &str = "daft.super_extension";
pub const FIXED_SHAPE_TENSOR: &str = "arrow.fixed_shape_tensor";
/// The Daft version whose layouts these are, written into the metadata as Daft does.
const DAFT_VERSION: &str = "0.7.26";

/// Daft's image modes; the discriminant is the `mode` byte Daft stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageMode {
    L = 1,
    LA = 2,
    RGB = 3,
    RGBA = 4,
    L16 = 5,
    LA16 = 6,
    RGB16 = 7,
    RGBA16 = 8,
    RGB32F = 9,
    RGBA32F = 10,
}

impl ImageMode {
    pub const ALL: [ImageMode; 10] = [
        ImageMode::L,
        ImageMode::LA,
        ImageMode::RGB,
        ImageMode::RGBA,
        ImageMode::L16,
        ImageMode::LA16,
        ImageMode::RGB16,
        ImageMode::RGBA16,
        ImageMode::RGB32F,
        ImageMode::RGBA32F,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ImageMode::L => "L",
            ImageMode::LA => "LA",
            ImageMode::RGB => "RGB",
            ImageMode::RGBA => "RGBA",
            ImageMode::L16 => "L16",
            ImageMode::LA16 => "LA16",
            ImageMode::RGB16 => "RGB16",
            ImageMode::RGBA16 => "RGBA16",
            ImageMode::RGB32F => "RGB32F",
            ImageMode::RGBA32F => "RGBA32F",
        }
    }

    /// The mode named `s` (case-insensitive, as Daft's `ImageMode.from_mode_string`).
    pub fn parse(s: &str) -> Result<ImageMode> {
        match ImageMode::ALL.iter().find(|m| m.name().eq_ignore_ascii_case(s)) {
            Some(m) => Ok(*m),
            None => {
                let names: Vec<&str> = ImageMode::ALL.iter().map(|m| m.name()).collect();
                plan_err!("unsupported image mode {s:?}; expected one of {}", names.join(", "))
            }
        }
    }

    pub fn from_byte(b: u8) -> Option<ImageMode> {
        ImageMode::ALL.get((b as usize).wrapping_sub(1)).copied()
    }

    pub fn channels(self) -> u16 {
        match self {
            ImageMode::L | ImageMode::L16 => 1,
            ImageMode::LA | ImageMode::LA16 => 2,
            ImageMode::RGB | ImageMode::RGB16 | ImageMode::RGB32F => 3,
            ImageMode::RGBA | ImageMode::RGBA16 | ImageMode::RGBA32F => 4,
        }
    }

    /// The Arrow type of one channel value.
    pub fn element(self) -> DataType {
        match self {
            ImageMode::L | ImageMode::LA | ImageMode::RGB | ImageMode::RGBA => DataType::UInt8,
            ImageMode::L16 | ImageMode::LA16 | ImageMode::RGB16 | ImageMode::RGBA16 => DataType::UInt16,
            ImageMode::RGB32F | ImageMode::RGBA32F => DataType::Float32,
        }
    }

    /// The 8-bit mode with `channels` channels (how Daft reads a tensor as an image).
    pub fn from_channels(channels: usize, element: &DataType) -> Option<ImageMode> {
        let modes = match element {
            DataType::UInt8 => [Some(ImageMode::L), Some(ImageMode::LA), Some(ImageMode::RGB), Some(ImageMode::RGBA)],
            DataType::UInt16 => {
                [Some(ImageMode::L16), Some(ImageMode::LA16), Some(ImageMode::RGB16), Some(ImageMode::RGBA16)]
            }
            DataType::Float32 => [None, None, Some(ImageMode::RGB32F), Some(ImageMode::RGBA32F)],
            _ => return None,
        };
        modes.get(channels.wrapping_sub(1)).copied().flatten()
    }
}

/// A Daft logical type that Arrow has no type for.
#[derive(Debug, Clone, PartialEq)]
pub enum Logical {
    /// Variable-shape images; `None` for mixed modes (`Image[MIXED]`).
    Image(Option<ImageMode>),
    FixedShapeImage(ImageMode, u32, u32),
    Tensor(DataType),
    FixedShapeTensor(DataType, Vec<u64>),
    /// Non-zero values, their flat indices (deltas when `use_offset_indices`) and the shape per row.
    SparseTensor(DataType, bool),
    /// Non-zero values and flat indices (the smallest unsigned type holding
    /// every index of the shape), the shape in the type.
    FixedShapeSparseTensor(DataType, Vec<u64>, bool),
    Embedding(DataType, usize),
    File(String),
    Python,
}

fn item(t: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", t, true))
}

/// The index type of a fixed-shape sparse tensor: the smallest unsigned
/// integer holding the largest flat index of `shape` (as Daft picks it).
pub fn sparse_index_type(shape: &[u64]) -> DataType {
    match shape.iter().product::<u64>().saturating_sub(1) {
        n if n <= u64::from(u8::MAX) => DataType::UInt8,
        n if n <= u64::from(u16::MAX) => DataType::UInt16,
        n if n <= u64::from(u32::MAX) => DataType::UInt32,
        _ => DataType::UInt64,
    }
}

fn large_list(t: DataType) -> DataType {
    DataType::LargeList(item(t))
}

/// The struct layout of a variable-shape image column with `element` channel values.
pub fn image_struct(element: DataType) -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("data", large_list(element), true),
        Field::new("channel", DataType::UInt16, true),
        Field::new("height", DataType::UInt32, true),
        Field::new("width", DataType::UInt32, true),
        Field::new("mode", DataType::UInt8, true),
    ]))
}

/// The struct layout of a variable-shape tensor column.
pub fn tensor_struct(element: DataType) -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("data", large_list(element), true),
        Field::new("shape", large_list(DataType::UInt64), true),
    ]))
}

/// Daft's serde name of a primitive element type.
fn dtype_name(t: &DataType) -> Result<&'static str> {
    Ok(match t {
        DataType::Boolean => "Boolean",
        DataType::Int8 => "Int8",
        DataType::Int16 => "Int16",
        DataType::Int32 => "Int32",
        DataType::Int64 => "Int64",
        DataType::UInt8 => "UInt8",
        DataType::UInt16 => "UInt16",
        DataType::UInt32 => "UInt32",
        DataType::UInt64 => "UInt64",
        DataType::Float32 => "Float32",
        DataType::Float64 => "Float64",
        other => return plan_err!("tensor and embedding elements must be numeric, got {other}"),
    })
}

fn dtype_from_name(v: &Value) -> Result<DataType> {
    Ok(match v.as_str().unwrap_or_default() {
        "Boolean" => DataType::Boolean,
        "Int8" => DataType::Int8,
        "Int16" => DataType::Int16,
        "Int32" => DataType::Int32,
        "Int64" => DataType::Int64,
        "UInt8" => DataType::UInt8,
        "UInt16" => DataType::UInt16,
        "UInt32" => DataType::UInt32,
        "UInt64" => DataType::UInt64,
        "Float32" => DataType::Float32,
        "Float64" => DataType::Float64,
        _ => return plan_err!("unsupported element type in Daft type metadata: {v}"),
    })
}

fn shape_of(v: &Value) -> Result<Vec<u64>> {
    match v.as_array() {
        Some(a) => {
            a.iter().map(|d| d.as_u64().ok_or(())).collect::<Result<_, _>>().or_else(|_| plan_err!("bad shape {v}"))
        }
        None => plan_err!("bad shape {v}"),
    }
}

impl Logical {
    /// The Arrow type the values are stored as.
    pub fn storage(&self) -> DataType {
        match self {
            Logical::Image(mode) => image_struct(mode.map_or(DataType::UInt8, |m| m.element())),
            Logical::FixedShapeImage(mode, h, w) => {
                DataType::FixedSizeList(item(mode.element()), (*h as i32) * (*w as i32) * i32::from(mode.channels()))
            }
            Logical::Tensor(t) => tensor_struct(t.clone()),
            Logical::FixedShapeTensor(t, shape) => {
                DataType::FixedSizeList(item(t.clone()), shape.iter().product::<u64>() as i32)
            }
            Logical::SparseTensor(t, _) => DataType::Struct(Fields::from(vec![
                Field::new("values", large_list(t.clone()), true),
                Field::new("indices", large_list(DataType::UInt64), true),
                Field::new("shape", large_list(DataType::UInt64), true),
            ])),
            Logical::FixedShapeSparseTensor(t, shape, _) => DataType::Struct(Fields::from(vec![
                Field::new("values", large_list(t.clone()), true),
                Field::new("indices", large_list(sparse_index_type(shape)), true),
            ])),
            Logical::Embedding(t, n) => DataType::FixedSizeList(item(t.clone()), *n as i32),
            Logical::File(_) => DataType::Struct(Fields::from(vec![
                Field::new("url", DataType::LargeUtf8, true),
                Field::new("io_config", DataType::LargeBinary, true),
                Field::new("position", DataType::Int64, true),
                Field::new("size", DataType::Int64, true),
            ])),
            Logical::Python => DataType::LargeBinary,
        }
    }

    /// Daft's serde form of the type (the `datatype` entry of the metadata).
    pub fn daft_json(&self) -> Result<Value> {
        Ok(match self {
            Logical::Image(mode) => json!({"Image": mode.map(|m| m.name())}),
            Logical::FixedShapeImage(m, h, w) => json!({"FixedShapeImage": [m.name(), h, w]}),
            Logical::Tensor(t) => json!({"Tensor": dtype_name(t)?}),
            Logical::FixedShapeTensor(t, s) => json!({"FixedShapeTensor": [dtype_name(t)?, s]}),
            Logical::SparseTensor(t, off) => json!({"SparseTensor": [dtype_name(t)?, off]}),
            Logical::FixedShapeSparseTensor(t, s, off) => json!({"FixedShapeSparseTensor": [dtype_name(t)?, s, off]}),
            Logical::Embedding(t, n) => json!({"Embedding": [dtype_name(t)?, n]}),
            Logical::File(media) => json!({"File": media}),
            Logical::Python => json!("Python"),
        })
    }

    /// The type from Daft's serde form.
    pub fn from_daft_json(v: &Value) -> Result<Logical> {
        if v.as_str() == Some("Python") {
            return Ok(Logical::Python);
        }
        let Some((kind, arg)) = v.as_object().and_then(|o| o.iter().next()) else {
            return plan_err!("unsupported Daft type metadata: {v}");
        };
        let at = |i: usize| arg.get(i).cloned().unwrap_or(Value::Null);
        let mode = |v: &Value| ImageMode::parse(v.as_str().unwrap_or_default());
        Ok(match kind.as_str() {
            "Image" if arg.is_null() => Logical::Image(None),
            "Image" => Logical::Image(Some(mode(arg)?)),
            "FixedShapeImage" => Logical::FixedShapeImage(
                mode(&at(0))?,
                at(1).as_u64().unwrap_or_default() as u32,
                at(2).as_u64().unwrap_or_default() as u32,
            ),
            "Tensor" => Logical::Tensor(dtype_from_name(arg)?),
            "FixedShapeTensor" => Logical::FixedShapeTensor(dtype_from_name(&at(0))?, shape_of(&at(1))?),
            "SparseTensor" => Logical::SparseTensor(dtype_from_name(&at(0))?, at(1).as_bool().unwrap_or(false)),
            "FixedShapeSparseTensor" => Logical::FixedShapeSparseTensor(
                dtype_from_name(&at(0))?,
                shape_of(&at(1))?,
                at(2).as_bool().unwrap_or(false),
            ),
            "Embedding" => Logical::Embedding(dtype_from_name(&at(0))?, at(1).as_u64().unwrap_or_default() as usize),
            "File" => Logical::File(arg.as_str().unwrap_or("Unknown").to_string()),
            _ => return plan_err!("unsupported Daft type metadata: {v}"),
        })
    }

    /// The extension metadata of a field of this type.
    pub fn metadata(&self) -> Result<HashMap<String, String>> {
        let (name, meta) = match self {
            Logical::FixedShapeTensor(_, shape) => (FIXED_SHAPE_TENSOR, json!({"shape": shape}).to_string()),
            // Daft's key order, so the bytes equal what Daft writes.
            _ => (
                DAFT_EXTENSION,
                format!(
                    r#"{{"datatype":{},"daft_version":"{DAFT_VERSION}","daft_build_type":"release"}}"#,
                    self.daft_json()?
                ),
            ),
        };
        Ok(HashMap::from([(EXTENSION_NAME.to_string(), name.to_string()), (EXTENSION_METADATA.to_string(), meta)]))
    }

    /// A nullable field `name` of this type (storage type + extension metadata).
    pub fn field(&self, name: &str) -> Result<Field> {
        Ok(Field::new(name, self.storage(), true).with_metadata(self.metadata()?))
    }

    /// The logical type a field carries in its metadata, if any.
    pub fn of_field(field: &Field) -> Option<Logical> {
        let meta = field.metadata();
        let name = meta.get(EXTENSION_NAME)?;
        let value: Value = serde_json::from_str(meta.get(EXTENSION_METADATA)?).ok()?;
        match name.as_str() {
            DAFT_EXTENSION => Logical::from_daft_json(value.get("datatype")?).ok(),
            FIXED_SHAPE_TENSOR => {
                let DataType::FixedSizeList(f, _) = field.data_type() else { return None };
                Some(Logical::FixedShapeTensor(f.data_type().clone(), shape_of(value.get("shape")?).ok()?))
            }
            _ => None,
        }
    }

    /// The logical type from a target description: Daft's serde JSON.
    pub fn parse(json: &str) -> Result<Logical> {
        match serde_json::from_str::<Value>(json) {
            Ok(v) => Logical::from_daft_json(&v),
            Err(e) => plan_err!("bad logical type {json:?}: {e}"),
        }
    }
}

/// Daft's name of a plain Arrow type, for error messages (`List[Float64]`, `String`, ...).
pub fn daft_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "String".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "Binary".into(),
        DataType::Boolean => "Bool".into(),
        DataType::List(f) | DataType::LargeList(f) => format!("List[{}]", daft_name(f.data_type())),
        DataType::FixedSizeList(f, n) => format!("List[{}; {n}]", daft_name(f.data_type())),
        DataType::FixedSizeBinary(n) => format!("Binary[{n}]"),
        other => dtype_name(other).map_or_else(|_| other.to_string(), str::to_string),
    }
}

impl fmt::Display for Logical {
    /// Daft's name of the type (`Image[RGB]`, `Tensor[UInt8; [4, 5, 3]]`, ...).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let el = |t: &DataType| dtype_name(t).unwrap_or("?");
        let shape = |s: &[u64]| s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
        match self {
            Logical::Image(None) => write!(f, "Image[MIXED]"),
            Logical::Image(Some(m)) => write!(f, "Image[{}]", m.name()),
            Logical::FixedShapeImage(m, h, w) => write!(f, "Image[{}; {h} x {w}]", m.name()),
            Logical::Tensor(t) => write!(f, "Tensor[{}]", el(t)),
            Logical::FixedShapeTensor(t, s) => write!(f, "Tensor[{}; [{}]]", el(t), shape(s)),
            Logical::SparseTensor(t, off) => write!(f, "SparseTensor[{}; indices_offset: {off}]", el(t)),
            Logical::FixedShapeSparseTensor(t, s, off) => {
                write!(f, "FixedShapeSparseTensor[{}; [{}]; indices_offset: {off}]", el(t), shape(s))
            }
            Logical::Embedding(t, n) => write!(f, "Embedding[{}; {n}]", el(t)),
            Logical::File(m) => write!(f, "File[{m}]"),
            Logical::Python => write!(f, "Python"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daft_metadata_round_trips() {
        for t in [
            Logical::Image(None),
            Logical::Image(Some(ImageMode::RGBA16)),
            Logical::FixedShapeImage(ImageMode::RGB, 4, 5),
            Logical::Tensor(DataType::Float32),
            Logical::FixedShapeTensor(DataType::UInt8, vec![4, 5, 3]),
            Logical::Embedding(DataType::Float32, 3),
            Logical::File("Unknown".into()),
            Logical::Python,
        ] {
            let field = t.field("x").unwrap();
            assert_eq!(Logical::of_field(&field), Some(t.clone()), "{t}");
        }
        // What Daft 0.7.26 writes for `Image[RGB]` (copied from a file it wrote).
        let daft = r#"{"datatype":{"Image":"RGB"},"daft_version":"0.7.26","daft_build_type":"release"}"#;
        let f = Field::new("i", image_struct(DataType::UInt8), true).with_metadata(HashMap::from([
            (EXTENSION_NAME.to_string(), DAFT_EXTENSION.to_string()),
            (EXTENSION_METADATA.to_string(), daft.to_string()),
        ]));
        assert_eq!(Logical::of_field(&f), Some(Logical::Image(Some(ImageMode::RGB))));
        assert_eq!(Logical::FixedShapeImage(ImageMode::RGB, 4, 5).storage().to_string(), "FixedSizeList(60 x UInt8)");
    }

    #[test]
    fn modes() {
        assert_eq!(ImageMode::parse("rgba").unwrap(), ImageMode::RGBA);
        assert!(ImageMode::parse("CMYK").is_err());
        assert_eq!(ImageMode::from_byte(3), Some(ImageMode::RGB));
        assert_eq!(ImageMode::from_byte(0), None);
        assert_eq!(ImageMode::from_channels(4, &DataType::UInt8), Some(ImageMode::RGBA));
    }
}
