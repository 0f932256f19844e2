//! Python UDFs as DataFusion scalar functions: the "UDF handle" through which
//! the engine calls user code (DESIGN.md: planning and execution never touch
//! Python objects except through it).
//!
//! A [`PythonUdf`] holds one Python callable, the *runner*, built by
//! `ketch.udf`: `runner(args: list[pyarrow.Array], num_rows: int) ->
//! pyarrow.Array`. The runner owns Daft's semantics (row-wise, batch, async,
//! class instances, batching, retries, `on_error`); this module implements
//! the engine's [`UdfHandle`] for it: it moves Arrow arrays across (through
//! the Arrow C data interface, no copies) with the GIL held for the call, and
//! keeps the Python exception so it reaches the caller with its traceback.
//! The engine ([`ExternalUdf`]) checks the result's type and length.

use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayData, ArrayRef, make_array};
use arrow::datatypes::{Field, FieldRef};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use ketch_plan::udf::{ExternalUdf, UdfDecoder, UdfHandle};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

/// A Python exception raised inside a UDF, carried through the engine
/// unchanged and raised again where the query was started.
#[derive(Debug)]
pub struct PythonError(pub PyErr);

impl fmt::Display for PythonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for PythonError {}

/// One Python UDF: its name (the function's, for messages and plans), the
/// runner, the field it returns (type and extension metadata), and how the
/// engine should batch it (see [`UdfHandle`]).
pub struct PythonUdf {
    name: String,
    runner: Py<PyAny>,
    field: FieldRef,
    batch_rows: Option<usize>,
    concurrency: usize,
}

impl PythonUdf {
    pub fn new(name: String, runner: Py<PyAny>, field: Field, batch_rows: Option<usize>, concurrency: usize) -> Self {
        Self { name, runner, field: Arc::new(field), batch_rows, concurrency }
    }

    /// A call of this UDF on `args`.
    pub fn call(self, args: Vec<Expr>) -> Expr {
        ExternalUdf::call(Arc::new(self), args)
    }

    fn run(&self, py: Python<'_>, arrays: &[ArrayRef], fields: &[FieldRef], rows: usize) -> PyResult<ArrayRef> {
        let mut inputs = Vec::with_capacity(arrays.len());
        for (i, a) in arrays.iter().enumerate() {
            let array = a.to_data().to_pyarrow(py)?;
            // A logical type (image, tensor, ...) reaches Python as an extension array.
            let meta = fields.get(i).map(|f| f.metadata());
            let ext = meta.and_then(|m| Some((m.get("ARROW:extension:name")?, m.get("ARROW:extension:metadata")?)));
            inputs.push(match ext {
                Some((name, meta)) => {
                    py.import("ketch.logical_values")?.call_method1("as_extension", (array, name, meta))?.unbind()
                }
                None => array.unbind(),
            });
        }
        let out = self.runner.call1(py, (PyList::new(py, inputs)?, rows))?;
        Ok(make_array(ArrayData::from_pyarrow_bound(out.bind(py))?))
    }
}

impl fmt::Debug for PythonUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonUdf").field("name", &self.name).field("field", &self.field).finish()
    }
}

impl UdfHandle for PythonUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn return_field(&self) -> &FieldRef {
        &self.field
    }
    fn call(&self, args: &[ArrayRef], fields: &[FieldRef], num_rows: usize) -> Result<ArrayRef> {
        Python::attach(|py| self.run(py, args, fields, num_rows))
            .map_err(|e| DataFusionError::External(Box::new(PythonError(e))))
    }
    fn batch_rows(&self) -> Option<usize> {
        self.batch_rows
    }
    fn concurrency(&self) -> usize {
        self.concurrency
    }
    fn identity(&self) -> usize {
        self.runner.as_ptr() as usize
    }
    /// cloudpickle bytes of `(runner, field, batch_rows, concurrency)`.
    fn serialize(&self) -> Result<Vec<u8>> {
        Python::attach(|py| {
            let state =
                (self.runner.clone_ref(py), self.field.as_ref().to_pyarrow(py)?, self.batch_rows, self.concurrency);
            py.import("cloudpickle")?.call_method1("dumps", (state,))?.extract::<Vec<u8>>()
        })
        .map_err(|e| DataFusionError::External(Box::new(PythonError(e))))
    }
}

/// Makes [`PythonUdf`]s again from [`UdfHandle::serialize`]'s bytes.
#[derive(Debug, Default)]
pub struct PythonUdfDecoder;

impl UdfDecoder for PythonUdfDecoder {
    fn decode(&self, name: &str, bytes: &[u8]) -> Result<Arc<dyn UdfHandle>> {
        Python::attach(|py| {
            let state = py.import("cloudpickle")?.call_method1("loads", (PyBytes::new(py, bytes),))?;
            let (runner, field, batch_rows, concurrency): (Py<PyAny>, Bound<'_, PyAny>, Option<usize>, usize) =
                state.extract()?;
            let field = Field::from_pyarrow_bound(&field)?;
            Ok(Arc::new(PythonUdf::new(name.to_string(), runner, field, batch_rows, concurrency)) as Arc<dyn UdfHandle>)
        })
        .map_err(|e: PyErr| DataFusionError::External(Box::new(PythonError(e))))
    }
}
