//! [`IntoBatchesExec`], the physical node of a [`ketch_plan::batches::IntoBatches`]:
//! its input's partitions read in order as one stream and regrouped by
//! arrow's `BatchCoalescer` into batches of exactly `batch_size` rows (the
//! last one holds the rest). One output partition.

use std::sync::Arc;

use arrow::compute::BatchCoalescer;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::StreamExt;

/// Regroups rows into batches of `batch_size` (see the module docs).
#[derive(Debug)]
pub struct IntoBatchesExec {
    input: Arc<dyn ExecutionPlan>,
    batch_size: usize,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl IntoBatchesExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, batch_size: usize) -> Self {
        let properties = Arc::new(PlanProperties::new(
            datafusion::physical_expr::EquivalenceProperties::new(input.schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self { input, batch_size, properties, metrics: ExecutionPlanMetricsSet::new() }
    }

    /// Rows per output batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}

impl DisplayAs for IntoBatchesExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "IntoBatchesExec: batch_size={}", self.batch_size)
    }
}

impl ExecutionPlan for IntoBatchesExec {
    fn name(&self) -> &str {
        "IntoBatchesExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn datafusion::physical_expr::PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else {
            return Err(DataFusionError::Internal("IntoBatchesExec takes one input".into()));
        };
        Ok(Arc::new(Self::new(input, self.batch_size)))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return exec_err!("IntoBatchesExec has one partition, got {partition}");
        }
        let schema = self.input.schema();
        let input = crate::runner::execute_in_order(self.input.clone(), ctx)?;
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let coalescer = BatchCoalescer::new(schema.clone(), self.batch_size);
        // Each input batch (then the end of the input, as None) yields the batches it completes.
        let items = input.map(Some).chain(futures::stream::once(async { None }));
        let out = items
            .scan(coalescer, move |coalescer, item| {
                let mut done = vec![];
                let step = match item {
                    Some(Ok(batch)) => coalescer.push_batch(batch).map_err(DataFusionError::from),
                    Some(Err(e)) => Err(e),
                    None => coalescer.finish_buffered_batch().map_err(DataFusionError::from),
                };
                match step {
                    Ok(()) => {
                        while let Some(b) = coalescer.next_completed_batch() {
                            baseline.record_output(b.num_rows());
                            done.push(Ok(b));
                        }
                    }
                    Err(e) => done.push(Err(e)),
                }
                futures::future::ready(Some(futures::stream::iter(done)))
            })
            .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, out)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}
