//! User-defined aggregate functions in Python (Daft's `@daft.udaf`): an
//! aggregation DataFusion runs like any other, whose three stages call a
//! Python *runner* (see `ketch.udf.udaf`), all on Arrow arrays:
//!
//! - `runner.aggregate(inputs: list[pa.Array]) -> list[pa.Array]`: every row
//!   of one group (in one partition) to its partial state, one value per
//!   state field;
//! - `runner.combine(states: list[pa.Array]) -> list[pa.Array]`: several
//!   partial states (one array per state field) merged into one;
//! - `runner.finalize(state: list[pa.Array]) -> list[pa.Array]`: the merged
//!   state to the group's result (one array of one value).
//!
//! A group's rows are buffered until its state is needed (Daft's contract:
//! `aggregate` sees all of a group's rows at once), so memory grows with the
//! largest group, as in Daft.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, new_empty_array};
use arrow::compute::concat;
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, TypeSignature, Volatility};
use pyo3::prelude::*;

use crate::udf::PythonError;

fn py_err(e: PyErr) -> DataFusionError {
    DataFusionError::External(Box::new(PythonError(e)))
}

/// A Python aggregate (see the module docs).
pub struct PythonUdaf {
    name: String,
    runner: Arc<Py<PyAny>>,
    return_field: FieldRef,
    state_fields: Vec<FieldRef>,
    signature: Signature,
}

impl PythonUdaf {
    /// `name` shows in plans; `state_fields` are the partial state's fields
    /// (Daft's `state=`), `return_field` the result's.
    pub fn new(name: String, runner: Py<PyAny>, return_field: FieldRef, state_fields: Vec<FieldRef>) -> Self {
        let signature = Signature::one_of(vec![TypeSignature::VariadicAny], Volatility::Volatile);
        Self { name, runner: Arc::new(runner), return_field, state_fields, signature }
    }

    fn identity(&self) -> usize {
        Arc::as_ptr(&self.runner) as usize
    }
}

impl fmt::Debug for PythonUdaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonUdaf").field("name", &self.name).finish_non_exhaustive()
    }
}

impl PartialEq for PythonUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for PythonUdaf {}

impl Hash for PythonUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}

impl AggregateUDFImpl for PythonUdaf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.return_field.data_type().clone())
    }
    fn return_field(&self, _args: &[FieldRef]) -> Result<FieldRef> {
        Ok(self.return_field.clone())
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        // Named after the call, so two calls of one aggregate keep apart.
        Ok(self
            .state_fields
            .iter()
            .map(|f| Arc::new(Field::new(format!("{}[{}]", args.name, f.name()), f.data_type().clone(), true)))
            .collect())
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PythonAccumulator {
            runner: self.runner.clone(),
            input_types: args.expr_fields.iter().map(|f| f.data_type().clone()).collect(),
            state_types: self.state_fields.iter().map(|f| f.data_type().clone()).collect(),
            rows: vec![],
            states: vec![],
            bytes: 0,
        }))
    }
}

/// One group's accumulator: its rows (per batch, per input) and the partial
/// states merged into it (per batch, per state field).
struct PythonAccumulator {
    runner: Arc<Py<PyAny>>,
    input_types: Vec<DataType>,
    state_types: Vec<DataType>,
    rows: Vec<Vec<ArrayRef>>,
    states: Vec<Vec<ArrayRef>>,
    bytes: usize,
}

impl fmt::Debug for PythonAccumulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonAccumulator").field("batches", &self.rows.len()).finish_non_exhaustive()
    }
}

/// Column `i` of `batches`, concatenated (`empty` when there are none).
fn column(batches: &[Vec<ArrayRef>], i: usize, empty: &DataType) -> Result<ArrayRef> {
    let parts: Vec<&dyn arrow::array::Array> = batches.iter().map(|b| b[i].as_ref()).collect();
    if parts.is_empty() { Ok(new_empty_array(empty)) } else { Ok(concat(&parts)?) }
}

impl PythonAccumulator {
    /// Runs `method` of the runner on `arrays`; the result as arrays.
    fn run(&self, method: &str, arrays: &[ArrayRef]) -> Result<Vec<ArrayRef>> {
        Python::attach(|py| -> PyResult<Vec<ArrayRef>> {
            let args = arrays.iter().map(|a| a.to_data().to_pyarrow(py)).collect::<PyResult<Vec<_>>>()?;
            let out = self.runner.call_method1(py, method, (args,))?;
            let mut result = vec![];
            for item in out.bind(py).try_iter()? {
                result.push(arrow::array::make_array(arrow::array::ArrayData::from_pyarrow_bound(&item?)?));
            }
            Ok(result)
        })
        .map_err(py_err)
    }

    /// The group's partial state so far (one value per state field): its
    /// rows aggregated, combined with the states merged into it.
    fn current_state(&mut self) -> Result<Vec<ArrayRef>> {
        let mut parts: Vec<Vec<ArrayRef>> = std::mem::take(&mut self.states);
        if !self.rows.is_empty() || parts.is_empty() {
            let inputs = (0..self.input_types.len())
                .map(|i| column(&self.rows, i, &self.input_types[i]))
                .collect::<Result<Vec<_>>>()?;
            parts.push(self.run("aggregate", &inputs)?);
            self.rows.clear();
        }
        let state = if parts.len() == 1 && parts[0].iter().all(|a| a.len() == 1) {
            parts.pop().unwrap_or_default()
        } else {
            let merged = (0..self.state_types.len())
                .map(|i| column(&parts, i, &self.state_types[i]))
                .collect::<Result<Vec<_>>>()?;
            self.run("combine", &merged)?
        };
        if state.len() != self.state_types.len() || state.iter().any(|a| a.len() != 1) {
            return exec_err!("a UDAF stage must return one value per state field");
        }
        self.states = vec![state.clone()];
        self.bytes = state.iter().map(|a| a.get_array_memory_size()).sum();
        Ok(state)
    }
}

impl Accumulator for PythonAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if values.first().is_some_and(|v| !v.is_empty()) {
            self.bytes += values.iter().map(|a| a.get_array_memory_size()).sum::<usize>();
            self.rows.push(values.to_vec());
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        if states.first().is_some_and(|v| !v.is_empty()) {
            self.bytes += states.iter().map(|a| a.get_array_memory_size()).sum::<usize>();
            self.states.push(states.to_vec());
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.current_state()?.iter().map(|a| ScalarValue::try_from_array(a, 0)).collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let state = self.current_state()?;
        let out = self.run("finalize", &state)?;
        match out.as_slice() {
            [value] if value.len() == 1 => ScalarValue::try_from_array(value, 0),
            _ => exec_err!("a UDAF's finalize must return one value"),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bytes
    }
}
