//! `PyQueryProgress`: a running query's plan and operator metrics, sampled
//! from Python (progress bars, subscribers, the dashboard); and the UDF
//! failure counter the Python UDF runners report to.

use std::collections::HashMap;

use datafusion::physical_plan::displayable;
use ketch_exec::progress::QueryProgress;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// One query's progress (`ketch_exec::progress::QueryProgress`): pass it to
/// `PySession.collect`, read it while the query runs or after.
#[pyclass(name = "PyQueryProgress", module = "ketch._native", frozen)]
#[derive(Default)]
pub struct PyQueryProgress(pub QueryProgress);

#[pymethods]
impl PyQueryProgress {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Each operator of the executing plan, children before parents:
    /// a list of dicts with `id` (int), `name`, `type`, `category`,
    /// `status` (`"Pending"`, `"Executing"`, `"Finished"`), `children`
    /// (ids), `duration_ms` (CPU time) and `stats` (`{name: (value: float,
    /// unit: str | None)}`, see `ketch_exec::metrics::operator_stats`).
    /// `None` before execution starts.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let Some(ops) = py.detach(|| self.0.snapshot()) else { return Ok(None) };
        let list = PyList::empty(py);
        for op in ops {
            let d = PyDict::new(py);
            d.set_item("id", op.id)?;
            d.set_item("name", op.name)?;
            d.set_item("type", op.kind)?;
            d.set_item("category", op.category)?;
            d.set_item("status", op.status.as_str())?;
            d.set_item("children", op.children)?;
            d.set_item("duration_ms", op.cpu_ns as f64 / 1e6)?;
            let stats: HashMap<String, (f64, Option<&str>)> =
                op.stats.into_iter().map(|(name, value, unit)| (name, (value, unit))).collect();
            d.set_item("stats", stats)?;
            list.append(d)?;
        }
        Ok(Some(list))
    }

    /// The optimized logical plan as text, once planned.
    fn optimized_plan(&self) -> Option<String> {
        self.0.optimized_plan()
    }

    /// The physical plan being executed as text, once started.
    fn physical_plan(&self) -> Option<String> {
        self.0.physical_plan().map(|p| displayable(p.as_ref()).indent(true).to_string())
    }

    /// The executed plan with each operator's metrics (DataFusion's
    /// `EXPLAIN ANALYZE` text), once started.
    fn explain_analyze(&self) -> Option<String> {
        self.0.explain_analyze()
    }
}

/// Counts `rows` rows of the UDF call running on this thread whose failure
/// `on_error` made null (they appear as `udf.rows.failed` in the metrics).
#[pyfunction]
pub fn record_udf_failed_rows(rows: usize) {
    ketch_plan::udf::call_stats::record_failed_rows(rows)
}
