//! In-memory data measured as the memory limit measures it.
//!
//! A DataFrame built from Arrow data in memory (`from_pydict`, `from_arrow`,
//! a collected result) is scanned as zero-copy slices of the caller's
//! arrays, one batch-size slice at a time. DataFusion's memory accounting
//! counts a batch by the buffers it keeps alive, so every slice of a 200 MB
//! column counts as 200 MB, and a sort over it would hit the memory limit
//! at its first batch. [`with_compacted_memory_scans`] puts a
//! [`CompactSlicesExec`] over each in-memory scan when the query runs: a
//! batch that is a small view of much larger buffers is copied into buffers
//! of its own size (the copy is one batch at a time; the caller's arrays
//! stay shared). Added at execution time like [`crate::cancel`]'s
//! wrappers, so it never travels with a plan.

use std::fmt;
use std::sync::Arc;

use arrow::array::{RecordBatch, UInt32Array};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::utils::memory::get_record_batch_memory_size;
use datafusion::common::{Result, internal_err};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, ReplaceChildrenOptions,
};
use futures::StreamExt;

/// Buffers kept alive beyond this many times a batch's own bytes (plus
/// [`SLACK`]) make it a slice worth copying.
const SHARED_FACTOR: usize = 2;
const SLACK: usize = 64 * 1024;

/// `plan` with a [`CompactSlicesExec`] over each scan of in-memory batches.
pub fn with_compacted_memory_scans(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let in_memory = node
            .downcast_ref::<DataSourceExec>()
            .is_some_and(|scan| scan.data_source().downcast_ref::<MemorySourceConfig>().is_some());
        if !in_memory {
            return Ok(Transformed::no(node));
        }
        let exec = CompactSlicesExec { input: node, metrics: ExecutionPlanMetricsSet::new() };
        Ok(Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>))
    })
    .map(|t| t.data)
}

/// `batch` in buffers of its own when it is a slice of much larger ones,
/// else `batch` itself.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use datafusion::common::utils::memory::get_record_batch_memory_size;
/// let big = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from_iter_values(0..1_000_000)) as _)]).unwrap();
/// let slice = big.slice(10, 8192);
/// let own = ketch_exec::compact::compact(slice.clone()).unwrap();
/// assert_eq!(own, slice);
/// assert!(get_record_batch_memory_size(&own) < 100_000);
/// ```
pub fn compact(batch: RecordBatch) -> Result<RecordBatch> {
    let own: usize = batch.columns().iter().map(|c| c.to_data().get_slice_memory_size().unwrap_or(0)).sum();
    if get_record_batch_memory_size(&batch) <= own * SHARED_FACTOR + SLACK {
        return Ok(batch);
    }
    let rows = UInt32Array::from_iter_values(0..batch.num_rows() as u32);
    Ok(arrow::compute::take_record_batch(&batch, &rows)?)
}

/// Passes its input's batches on, each compacted (see [`compact`]), and
/// counts them (`output_rows`: in-memory scans count none).
#[derive(Debug)]
pub struct CompactSlicesExec {
    input: Arc<dyn ExecutionPlan>,
    metrics: ExecutionPlanMetricsSet,
}

impl DisplayAs for CompactSlicesExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CompactSlicesExec")
    }
}

impl ExecutionPlan for CompactSlicesExec {
    fn name(&self) -> &str {
        "CompactSlicesExec"
    }

    /// The input's: same rows, order and partitioning.
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
        let Some(input) = children.pop() else { return internal_err!("CompactSlicesExec takes one input") };
        Ok(Arc::new(Self { input, metrics: self.metrics.clone() }))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let batches = input.map(move |b| {
            let batch = compact(b?)?;
            metrics.record_output(batch.num_rows());
            Ok(batch)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}
