//! A running query as its observers see it: the plan being executed and its
//! operators' metrics so far, sampled on demand.
//!
//! The runner puts the plan it executes into the query's [`QueryProgress`]
//! (again when it plans the query anew, e.g. with sort-merge joins); anyone
//! holding a clone reads [`QueryProgress::snapshot`] while the query runs.
//! Nothing is pushed per batch: the operators only update DataFusion's
//! atomic counters, as they always do, and a reader samples them (the
//! bindings every half second while the query runs, for progress bars,
//! subscribers and the dashboard). A query nobody observes pays nothing.

use std::sync::{Arc, Mutex};

use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::display::DisplayableExecutionPlan;

use crate::metrics::{OperatorStats, operator_stats};

/// Wrappers that do no work of their own, left out of what observers see.
pub const WRAPPERS: [&str; 2] = ["CancelExec", "CompactSlicesExec"];

/// The observable state of one query: its optimized logical plan (text) and
/// the physical plan being executed. Cheap to clone (shared).
///
/// ```
/// let progress = ketch_exec::progress::QueryProgress::default();
/// assert!(progress.snapshot().is_none());
/// assert!(progress.optimized_plan().is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct QueryProgress(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    optimized: Option<String>,
    physical: Option<Arc<dyn ExecutionPlan>>,
}

impl QueryProgress {
    /// Records the optimized logical plan (as `display_indent` shows it).
    pub fn set_optimized_plan(&self, text: String) {
        self.state().optimized = Some(text);
    }

    /// Records the physical plan now being executed (its operators' metrics
    /// are what [`Self::snapshot`] reads).
    pub fn set_physical_plan(&self, plan: Arc<dyn ExecutionPlan>) {
        self.state().physical = Some(plan);
    }

    /// The optimized logical plan, once planned.
    pub fn optimized_plan(&self) -> Option<String> {
        self.state().optimized.clone()
    }

    /// The physical plan being executed, once started.
    pub fn physical_plan(&self) -> Option<Arc<dyn ExecutionPlan>> {
        self.state().physical.clone()
    }

    /// Each operator of the executing plan and its metrics so far (see
    /// [`operator_stats`]), wrappers left out; `None` before execution starts.
    pub fn snapshot(&self) -> Option<Vec<OperatorStats>> {
        Some(operator_stats(&self.physical_plan()?, &WRAPPERS))
    }

    /// The executed plan with each operator's metrics, as DataFusion's
    /// `EXPLAIN ANALYZE` prints it (aggregated over partitions); `None`
    /// before execution starts.
    pub fn explain_analyze(&self) -> Option<String> {
        let plan = self.physical_plan()?;
        Some(DisplayableExecutionPlan::with_metrics(plan.as_ref()).indent(true).to_string())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data: keep using it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
