//! Engine errors -> Python exceptions, following Daft's classes: a missing
//! file is `FileNotFoundError`; every other engine error (unknown column, type
//! mismatch, corrupt file, ...) is `ketch.exceptions.DaftCoreException`, a
//! `ValueError`, as in Daft. A query that does not fit in the memory limit
//! is `ketch.exceptions.MemoryLimitError`, a `MemoryError`.

use datafusion::common::{DataFusionError, SchemaError};
use pyo3::exceptions::{PyFileNotFoundError, PyKeyboardInterrupt, PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::udf::PythonError;

fn core_exception(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    CLASS.import(py, "ketch.exceptions", "DaftCoreException")
}

fn memory_exception(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    CLASS.import(py, "ketch.exceptions", "MemoryLimitError")
}

fn sql_exception(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    CLASS.import(py, "ketch.exceptions", "InvalidSQLException")
}

/// An error from planning SQL: `ketch.exceptions.InvalidSQLException`, as
/// Daft raises (a missing file stays `FileNotFoundError`).
pub fn to_sql_err(e: DataFusionError) -> PyErr {
    if is_not_found(&e) {
        return to_py_err(e);
    }
    let msg = message(&e);
    Python::attach(|py| match sql_exception(py) {
        Ok(cls) => PyErr::from_type(cls.clone(), msg),
        Err(_) => PyValueError::new_err(msg),
    })
}

fn is_not_found(e: &DataFusionError) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::NotFound
        {
            return true;
        }
        if let Some(object_store::Error::NotFound { .. }) = err.downcast_ref::<object_store::Error>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The user-facing message: DataFusion's context chain without its internal
/// prefixes, and for an unknown column the names that exist.
fn message(e: &DataFusionError) -> String {
    let root = e.find_root();
    if let DataFusionError::SchemaError(schema_error, _) = root
        && let SchemaError::FieldNotFound { field, valid_fields } = schema_error.as_ref()
    {
        let names: Vec<String> = valid_fields.iter().map(|c| c.name.clone()).collect();
        return format!("Column '{}' not found. Available columns: {}", field.name, names.join(", "));
    }
    let msg = match root {
        DataFusionError::ParquetError(p) => parquet_message(&p.to_string()),
        DataFusionError::ArrowError(a, _) if matches!(**a, arrow::error::ArrowError::ParquetError(_)) => {
            parquet_message(&a.to_string())
        }
        DataFusionError::NotImplemented(m) => format!("Unsupported: {m}"),
        DataFusionError::External(inner) => inner.to_string(),
        other => other.message().to_string(),
    };
    let msg = signature_message(&msg).unwrap_or(msg);
    let contexts = contexts(e);
    let msg = if contexts.is_empty() { msg } else { format!("{}: {msg}", contexts.join(": ")) };
    user_facing(&msg)
}

/// A Parquet reader's error as "Invalid Parquet file: <what>", without the
/// reader's own prefixes (`Parquet error: `, `External: `, ...).
fn parquet_message(text: &str) -> String {
    let mut what = text;
    for prefix in ["Parquet error: ", "Parquet argument error: ", "External: ", "Invalid Parquet file. "] {
        what = what.strip_prefix(prefix).unwrap_or(what);
    }
    let what = what.strip_prefix("External: ").unwrap_or(what);
    format!("Invalid Parquet file: {what}")
}

/// DataFusion's "no signature of `f` takes these argument types" (raised
/// as an internal error, with its candidate list) as
/// "Function 'f' does not support input types (String); supported: ...".
fn signature_message(msg: &str) -> Option<String> {
    const MARK: &str = "No function matches the given name and argument types '";
    let start = msg.find(MARK)? + MARK.len();
    let call = &msg[start..start + msg[start..].find('\'')?];
    let (name, args) = call.split_once('(')?;
    let args = args.strip_suffix(')').unwrap_or(args);
    let types: Vec<String> = args.split(", ").filter(|t| !t.is_empty()).map(daft_type_name).collect();
    let candidates: Vec<String> = msg
        .split_once("Candidate functions:")
        .map(|(_, list)| {
            list.lines()
                .map(str::trim)
                .filter_map(|c| c.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')'))
                // DataFusion's placeholders for signatures it checks in code
                .filter(|c| !c.contains("UserDefined") && !c.contains("Any"))
                .map(|c| c.split(", ").map(daft_type_name).collect::<Vec<_>>().join(", "))
                .fold(Vec::new(), |mut seen, c| {
                    if !seen.contains(&c) {
                        seen.push(c);
                    }
                    seen
                })
        })
        .unwrap_or_default();
    let mut out = format!("Function '{name}' does not support input types ({})", types.join(", "));
    if !candidates.is_empty() {
        out.push_str(&format!(
            "; supported: {}",
            candidates.iter().map(|c| format!("({c})")).collect::<Vec<_>>().join(", ")
        ));
    }
    Some(out)
}

/// Daft's name for an Arrow type as DataFusion prints it.
fn daft_type_name(t: &str) -> String {
    match t {
        "Utf8" | "LargeUtf8" | "Utf8View" => "String".into(),
        "Boolean" => "Bool".into(),
        "Binary" | "LargeBinary" | "BinaryView" => "Binary".into(),
        other => other.to_string(),
    }
}

/// `msg` without DataFusion's wording for developers: the "likely a bug in
/// DataFusion" note (a user's mistake can reach it) and the relation names
/// ketch's plans use internally (`__ketch_left.a` is the user's `a`).
fn user_facing(msg: &str) -> String {
    const BUG: &str = "\nThis issue was likely caused by a bug in DataFusion's code. Please help us to resolve this by \
                       filing a bug report in our issue tracker: https://github.com/apache/datafusion/issues";
    let mut out = msg.replace(BUG, "");
    for internal in ["__ketch_left.", "__ketch_right."] {
        out = out.replace(internal, "");
    }
    out
}

/// The contexts added along the error's chain (e.g. the row and URL of a
/// failed download), outermost first.
fn contexts(e: &DataFusionError) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = e;
    loop {
        cur = match cur {
            DataFusionError::Context(c, inner) => {
                out.push(c.clone());
                inner
            }
            DataFusionError::Shared(inner) => inner,
            DataFusionError::External(inner) => match inner.downcast_ref::<DataFusionError>() {
                Some(inner) => inner,
                None => return out,
            },
            DataFusionError::ArrowError(inner, _) => match inner.as_ref() {
                arrow::error::ArrowError::ExternalError(inner) => match inner.downcast_ref::<DataFusionError>() {
                    Some(inner) => inner,
                    None => return out,
                },
                _ => return out,
            },
            _ => return out,
        }
    }
}

/// Converts an engine error into the Python exception Daft raises for it.
pub fn to_py_err(e: DataFusionError) -> PyErr {
    if let DataFusionError::External(inner) = e.find_root() {
        if let Some(interrupted) = inner.downcast_ref::<Interrupted>() {
            return PyKeyboardInterrupt::new_err(interrupted.to_string());
        }
        // A UDF's own exception, raised again as it was (type, message, traceback).
        if let Some(PythonError(err)) = inner.downcast_ref::<PythonError>() {
            return Python::attach(|py| err.clone_ref(py));
        }
    }
    let msg = message(&e);
    if is_not_found(&e) {
        return PyFileNotFoundError::new_err(msg);
    }
    if let DataFusionError::ResourcesExhausted(_) = e.find_root() {
        return Python::attach(|py| match memory_exception(py) {
            Ok(cls) => PyErr::from_type(cls.clone(), msg),
            Err(_) => PyMemoryError::new_err(msg),
        });
    }
    Python::attach(|py| match core_exception(py) {
        Ok(cls) => PyErr::from_type(cls.clone(), msg),
        Err(_) => PyValueError::new_err(msg),
    })
}

/// The query was cancelled by Ctrl-C.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "query cancelled")
    }
}

impl std::error::Error for Interrupted {}

pub trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for datafusion::common::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}
