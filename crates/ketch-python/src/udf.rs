//! Python UDFs as DataFusion scalar functions: the "UDF handle" through which
//! the engine calls user code (DESIGN.md: planning and execution never touch
//! Python objects except through it).
//!
//! A [`PythonUdf`] holds one Python callable, the *runner*, built by
//! `ketch.udf`: `runner(args: list[pyarrow.Array], num_rows: int) ->
//! pyarrow.Array`. The runner owns Daft's semantics (row-wise, batch, async,
//! class instances, batching, retries, `on_error`); this module only moves
//! Arrow arrays across (through the Arrow C data interface, no copies) with
//! the GIL held for the call, checks the result's type and length, and keeps
//! the Python exception so it reaches the caller with its traceback.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayData, make_array};
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use pyo3::prelude::*;
use pyo3::types::PyList;

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
/// runner, and the field it returns (type and extension metadata).
pub struct PythonUdf {
    name: String,
    runner: Py<PyAny>,
    field: FieldRef,
    signature: Signature,
}

impl PythonUdf {
    pub fn new(name: String, runner: Py<PyAny>, field: Field) -> Self {
        let signature =
            Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], Volatility::Volatile);
        Self { name, runner, field: Arc::new(field), signature }
    }

    /// A call of this UDF on `args`.
    pub fn call(self, args: Vec<Expr>) -> Expr {
        ScalarUDF::new_from_impl(self).call(args)
    }

    fn run(&self, py: Python<'_>, arrays: &[Arc<dyn Array>], rows: usize) -> PyResult<Arc<dyn Array>> {
        let inputs = arrays.iter().map(|a| a.to_data().to_pyarrow(py)).collect::<PyResult<Vec<_>>>()?;
        let out = self.runner.call1(py, (PyList::new(py, inputs)?, rows))?;
        Ok(make_array(ArrayData::from_pyarrow_bound(out.bind(py))?))
    }
}

impl fmt::Debug for PythonUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonUdf").field("name", &self.name).field("field", &self.field).finish()
    }
}

impl PartialEq for PythonUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.runner.as_ptr() == other.runner.as_ptr()
    }
}

impl Eq for PythonUdf {}

impl Hash for PythonUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        (self.runner.as_ptr() as usize).hash(state);
    }
}

impl ScalarUDFImpl for PythonUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.field.data_type().clone())
    }
    fn return_field_from_args(&self, _: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(self.field.as_ref().clone().with_name(&self.name)))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<Vec<_>>>()?;
        let out = Python::attach(|py| self.run(py, &arrays, rows))
            .map_err(|e| DataFusionError::External(Box::new(PythonError(e))))?;
        if out.len() != rows {
            return exec_err!("UDF {} returned {} values for {rows} rows", self.name, out.len());
        }
        let want = self.field.data_type();
        if out.data_type() != want {
            return exec_err!("UDF {} returned {}, expected its return_dtype {want}", self.name, out.data_type());
        }
        Ok(ColumnarValue::Array(out))
    }
}
