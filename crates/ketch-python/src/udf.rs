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

use arrow::array::{Array, ArrayData, ArrayRef, AsArray, ListArray, make_array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::common::{DataFusionError, Result, exec_err};
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
///
/// A *per-group* UDF (`map_groups`) takes one list per argument and row
/// (each row one group's values) and calls the runner once per row on the
/// lists' values; the runner may return any number of values, which become
/// that row's list in the result.
pub struct PythonUdf {
    name: String,
    runner: Py<PyAny>,
    field: FieldRef,
    batch_rows: Option<usize>,
    concurrency: usize,
    per_group: bool,
}

impl PythonUdf {
    pub fn new(name: String, runner: Py<PyAny>, field: Field, batch_rows: Option<usize>, concurrency: usize) -> Self {
        Self { name, runner, field: Arc::new(field), batch_rows, concurrency, per_group: false }
    }

    /// A per-group UDF (see [`PythonUdf`]): `runner(arrays, num_rows)` runs on
    /// one whole group and returns values of `element`'s type; the UDF
    /// returns a list of `element` per group.
    pub fn per_group(name: String, runner: Py<PyAny>, element: Field, concurrency: usize) -> Self {
        let item = Arc::new(element.with_name("item").with_nullable(true));
        let field = Field::new(name.clone(), DataType::List(item), true);
        Self { name, runner, field: Arc::new(field), batch_rows: None, concurrency, per_group: true }
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

    /// A per-group call: the runner once per row of the list arguments, on
    /// that row's values; a null list (no rows) gives an empty result.
    fn run_groups(&self, py: Python<'_>, arrays: &[ArrayRef], fields: &[FieldRef], rows: usize) -> Result<ArrayRef> {
        let DataType::List(item) = self.field.data_type() else {
            return exec_err!("UDF {} per group must return a list", self.name);
        };
        let mut lists = Vec::with_capacity(arrays.len());
        let mut elements = Vec::with_capacity(arrays.len());
        for (i, a) in arrays.iter().enumerate() {
            let Some(list) = a.as_list_opt::<i32>() else {
                return exec_err!("UDF {} per group expects list arguments, got {}", self.name, a.data_type());
            };
            lists.push(list);
            elements.push(match fields.get(i).map(|f| f.data_type()) {
                Some(DataType::List(f)) => f.clone(),
                _ => Arc::new(Field::new("item", list.value_type(), true)),
            });
        }
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i32);
        let mut parts: Vec<ArrayRef> = Vec::with_capacity(rows);
        for row in 0..rows {
            let end = *offsets.last().unwrap_or(&0);
            if lists.iter().any(|l| l.is_null(row)) {
                offsets.push(end);
                continue;
            }
            let values: Vec<ArrayRef> = lists.iter().map(|l| l.value(row)).collect();
            let n = values.first().map_or(0, |v| v.len());
            let out =
                self.run(py, &values, &elements, n).map_err(|e| DataFusionError::External(Box::new(PythonError(e))))?;
            if out.data_type() != item.data_type() {
                return exec_err!(
                    "UDF {} returned {}, expected its return_dtype {}",
                    self.name,
                    out.data_type(),
                    item.data_type()
                );
            }
            let Ok(len) = i32::try_from(out.len()) else {
                return exec_err!("UDF {} returned too many rows for one group", self.name);
            };
            let Some(next) = end.checked_add(len) else {
                return exec_err!("UDF {} returned too many rows for one batch of groups", self.name);
            };
            offsets.push(next);
            parts.push(out);
        }
        let values = if parts.is_empty() {
            arrow::array::new_empty_array(item.data_type())
        } else {
            arrow::compute::concat(&parts.iter().map(|a| a.as_ref()).collect::<Vec<_>>())?
        };
        let list = ListArray::try_new(item.clone(), OffsetBuffer::new(offsets.into()), values, None)?;
        Ok(Arc::new(list))
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
        if self.per_group {
            return Python::attach(|py| self.run_groups(py, args, fields, num_rows));
        }
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
    /// cloudpickle bytes of `(runner, field, batch_rows, concurrency, per_group)`.
    fn serialize(&self) -> Result<Vec<u8>> {
        Python::attach(|py| {
            let state = (
                self.runner.clone_ref(py),
                self.field.as_ref().to_pyarrow(py)?,
                self.batch_rows,
                self.concurrency,
                self.per_group,
            );
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
            let (runner, field, batch_rows, concurrency, per_group): (
                Py<PyAny>,
                Bound<'_, PyAny>,
                Option<usize>,
                usize,
                bool,
            ) = state.extract()?;
            let field = Field::from_pyarrow_bound(&field)?;
            let mut udf = PythonUdf::new(name.to_string(), runner, field, batch_rows, concurrency);
            udf.per_group = per_group;
            Ok(Arc::new(udf) as Arc<dyn UdfHandle>)
        })
        .map_err(|e: PyErr| DataFusionError::External(Box::new(PythonError(e))))
    }
}
