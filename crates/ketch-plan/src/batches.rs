//! `IntoBatches`: the logical node of Daft's `DataFrame.into_batches(n)`:
//! the rows, in order, regrouped into batches of exactly `n` rows (the last
//! one holds the rest), small batches coalesced and large ones split. A batch
//! UDF after it sees those batches. Execution:
//! `ketch_exec::batches::IntoBatchesExec` (one partition, arrow's
//! `BatchCoalescer`).

use std::fmt;
use std::sync::Arc;

use datafusion::common::{DFSchemaRef, Result, plan_err};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNodeCore};

/// Regroups its input's rows into batches of `batch_size` rows (see the module docs).
///
/// ```
/// use std::sync::Arc;
/// use datafusion::logical_expr::{LogicalPlanBuilder, UserDefinedLogicalNodeCore};
/// use ketch_plan::batches::IntoBatches;
///
/// let input = LogicalPlanBuilder::empty(true).build().unwrap();
/// let node = IntoBatches::try_new(Arc::new(input.clone()), 8).unwrap();
/// assert_eq!(node.name(), "IntoBatches");
/// assert!(IntoBatches::try_new(Arc::new(input), 0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct IntoBatches {
    pub input: Arc<LogicalPlan>,
    pub batch_size: usize,
}

impl IntoBatches {
    /// Errors: a `batch_size` of 0.
    pub fn try_new(input: Arc<LogicalPlan>, batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return plan_err!("batch_size must be greater than 0");
        }
        Ok(Self { input, batch_size })
    }

    /// The node as a plan.
    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(Extension { node: Arc::new(self) })
    }
}

impl UserDefinedLogicalNodeCore for IntoBatches {
    fn name(&self) -> &str {
        "IntoBatches"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "IntoBatches: batch_size={}", self.batch_size)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let Some(input) = inputs.pop() else { return plan_err!("IntoBatches takes one input") };
        Self::try_new(Arc::new(input), self.batch_size)
    }

    fn necessary_children_exprs(&self, output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        Some(vec![output_columns.to_vec()])
    }
}
