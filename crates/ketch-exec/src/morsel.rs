//! Small morsels for expensive media calls: [`MorselExec`] slices its input's
//! batches into at most `rows` rows (zero-copy), and [`SplitMediaMorsels`], a
//! physical optimizer rule, rewrites every projection that calls a media
//! function asking for it (`download`, `decode_image`, ...) into a
//! [`UdfProjectExec`] over a `MorselExec`: morsels evaluated on blocking
//! threads, one per core in flight, results in order (so one morsel's
//! downloads overlap another's decoding), then a projection that only picks
//! and names the columns.
//!
//! A download or decode multiplies the bytes of a row by 10-1000x; on an
//! 8,192-row batch of URLs that is gigabytes at once. In morsels of a few
//! dozen rows the pipeline streams: each morsel is fetched, decoded, resized
//! and passed on before the next one grows, as Daft sizes its morsels per
//! operator.

use std::fmt;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, ReplaceChildrenOptions,
};
use ketch_functions::multimodal::MediaFunction;
use ketch_io::batches::split_stream;

use crate::udf::UdfProjectExec;

/// Slices every input batch into batches of at most `rows` rows.
#[derive(Debug)]
pub struct MorselExec {
    input: Arc<dyn ExecutionPlan>,
    rows: usize,
}

impl MorselExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, rows: usize) -> Self {
        Self { input, rows: rows.max(1) }
    }

    /// The most rows an output batch has.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

impl DisplayAs for MorselExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "MorselExec: rows={}", self.rows)
    }
}

impl ExecutionPlan for MorselExec {
    fn name(&self) -> &str {
        "MorselExec"
    }

    /// The input's: same rows, order and partitioning, only smaller batches.
    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else { return internal_err!("MorselExec takes one input") };
        Ok(Arc::new(Self::new(input, self.rows)))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let rows = self.rows;
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, split_stream(input, rows))))
    }
}

/// The smallest morsel any media call in `expr` asks for.
fn morsel_rows(expr: &Arc<dyn PhysicalExpr>) -> Option<usize> {
    let mut rows: Option<usize> = None;
    let _ = expr.apply(|e| {
        if let Some(f) = e.downcast_ref::<ScalarFunctionExpr>()
            && let Some(m) = f.fun().inner().downcast_ref::<MediaFunction>()
            && let Some(n) = m.morsel_rows()
        {
            rows = Some(rows.map_or(n, |r| r.min(n)));
        }
        Ok(TreeNodeRecursion::Continue)
    });
    rows
}

/// Runs every projection calling a media function that asks for small
/// morsels as `ProjectionExec(columns) <- UdfProjectExec <- MorselExec`.
#[derive(Debug, Default)]
pub struct SplitMediaMorsels;

impl PhysicalOptimizerRule for SplitMediaMorsels {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        let concurrency = config.execution.target_partitions.max(1);
        plan.transform_up(|node| {
            let Some(p) = node.downcast_ref::<ProjectionExec>() else { return Ok(Transformed::no(node)) };
            let Some(rows) = p.expr().iter().filter_map(|e| morsel_rows(&e.expr)).min() else {
                return Ok(Transformed::no(node));
            };
            let input: Arc<dyn ExecutionPlan> = Arc::new(MorselExec::new(p.input().clone(), rows));
            let schema = input.schema();
            let passthrough = schema.fields().len();
            let mut exprs: Vec<Arc<dyn PhysicalExpr>> = Vec::new();
            let mut names: Vec<String> = Vec::new();
            for (i, f) in schema.fields().iter().enumerate() {
                exprs.push(Arc::new(Column::new(f.name(), i)));
                names.push(f.name().clone());
            }
            for (j, e) in p.expr().iter().enumerate() {
                exprs.push(e.expr.clone());
                names.push(format!("__media_{j}"));
            }
            let calls: Arc<dyn ExecutionPlan> =
                Arc::new(UdfProjectExec::try_new(input, exprs, names, concurrency, None)?);
            let pick = p.expr().iter().enumerate().map(|(j, e)| ProjectionExpr {
                expr: Arc::new(Column::new(&format!("__media_{j}"), passthrough + j)),
                alias: e.alias.clone(),
            });
            Ok(Transformed::yes(Arc::new(ProjectionExec::try_new(pick, calls)?)))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "SplitMediaMorsels"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
