//! `ketch._native`: the Python bindings, the only cdylib.
//!
//! Converts between Python and Rust (Arrow through the PyCapsule interface,
//! without copies), maps engine errors to Python exceptions, and releases the
//! GIL while queries run. Holds no planning or execution logic of its own.

use pyo3::prelude::*;

mod errors;
mod expr;
mod plan;
mod progress;
mod python_scan;
mod session;
mod udaf;
mod udf;

/// Every Daft function name in the native registry, as `(name, kind)` pairs
/// where kind is `"scalar"`, `"aggregate"` or `"window"`.
#[pyfunction]
fn function_names() -> Vec<(String, &'static str)> {
    ketch_functions::daft_functions().into_iter().map(|(n, k)| (n, k.as_str())).collect()
}

/// The process's object store I/O counters (`get_requests`, `bytes_read`,
/// `head_requests`, `list_requests`, `put_requests`, `bytes_written`) since
/// the last [`reset_io_stats`]; local files included.
#[pyfunction]
fn io_stats() -> std::collections::HashMap<&'static str, u64> {
    ketch_io::stores::io_stats().snapshot().into_iter().collect()
}

/// Sets the I/O counters to zero.
#[pyfunction]
fn reset_io_stats() {
    ketch_io::stores::io_stats().reset()
}

/// Microseconds the last Ctrl-C waited for its query's tasks to stop
/// (`u64::MAX`: they had not stopped at the limit).
pub(crate) static LAST_CANCEL_WAIT_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The query runtime's state: `alive_tasks` (tasks on the runtime now;
/// 0 when no query runs) and `last_cancel_wait_us` (how long the last
/// Ctrl-C waited for its query's tasks to stop).
#[pyfunction]
fn runtime_stats() -> std::collections::HashMap<&'static str, u64> {
    std::collections::HashMap::from([
        ("alive_tasks", ketch_exec::runtime::alive_tasks() as u64),
        ("last_cancel_wait_us", LAST_CANCEL_WAIT_US.load(std::sync::atomic::Ordering::Relaxed)),
    ])
}

/// Arrow field metadata as Python's `dict[bytes, bytes]`.
pub(crate) type FieldMetadata = std::collections::HashMap<Vec<u8>, Vec<u8>>;

/// The Arrow layout of a Daft logical type (Image, Tensor, Embedding, File,
/// Python, ...) given as Daft's serde JSON (`{"Image": "RGB"}`): its storage
/// type (a `pyarrow.DataType`) and the field metadata that carries it
/// (extension name and metadata as bytes), as ketch-functions defines them
/// (`multimodal::types::Logical`), exactly as Daft 0.7.26 writes them. The
/// two come apart because pyarrow would turn a field with Arrow's canonical
/// `arrow.fixed_shape_tensor` metadata into its extension type.
///
/// Errors: `ValueError` for JSON that names no logical type ketch knows.
#[pyfunction]
fn logical_layout<'py>(py: Python<'py>, logical: &str) -> PyResult<(Bound<'py, PyAny>, FieldMetadata)> {
    use arrow_pyarrow::ToPyArrow;
    use errors::IntoPyResult;
    let logical = ketch_functions::multimodal::types::Logical::parse(logical).py_err()?;
    let metadata = logical.metadata().py_err()?;
    let metadata = metadata.into_iter().map(|(k, v)| (k.into_bytes(), v.into_bytes())).collect();
    Ok((logical.storage().to_pyarrow(py)?, metadata))
}

/// Arrow's `Map<key, value>` type as a `pyarrow.MapType`: entries named
/// `entries` with a non-nullable `key` and a nullable `value`, keys unsorted.
/// Also for a `Null` key type (Daft's `Map[Null: Null]`), which pyarrow's own
/// `map_` refuses because a `Null` field must be nullable.
///
/// Errors: `TypeError` when `key` or `value` is not a `pyarrow.DataType`.
#[pyfunction]
fn map_type<'py>(py: Python<'py>, key: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    use arrow::datatypes::{DataType, Field, Fields};
    use arrow_pyarrow::{FromPyArrow, ToPyArrow};
    let (key, value) = (DataType::from_pyarrow_bound(key)?, DataType::from_pyarrow_bound(value)?);
    let entries = Fields::from(vec![Field::new("key", key, false), Field::new("value", value, true)]);
    DataType::Map(std::sync::Arc::new(Field::new("entries", DataType::Struct(entries), false)), false).to_pyarrow(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<expr::PyExpr>()?;
    m.add_class::<plan::PyPlan>()?;
    m.add_class::<progress::PyQueryProgress>()?;
    m.add_class::<session::PySession>()?;
    m.add_function(wrap_pyfunction!(function_names, m)?)?;
    m.add_function(wrap_pyfunction!(io_stats, m)?)?;
    m.add_function(wrap_pyfunction!(logical_layout, m)?)?;
    m.add_function(wrap_pyfunction!(map_type, m)?)?;
    m.add_function(wrap_pyfunction!(progress::record_udf_failed_rows, m)?)?;
    m.add_function(wrap_pyfunction!(reset_io_stats, m)?)?;
    m.add_function(wrap_pyfunction!(runtime_stats, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
