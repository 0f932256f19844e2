//! `HostScanExec`: the scan of a table whose rows come from the host
//! language (a Python reader: Delta, Iceberg, Lance, a Python data source),
//! which execution knows only as a [`HostStream`]. The stream can encode
//! itself, so the scan travels with its plan (see [`crate::codec`]).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::StreamExt;

/// Rows from the host language, with their pushdowns applied by the host.
pub trait HostStream: Send + Sync + std::fmt::Debug {
    /// The schema of the batches (the projected columns).
    fn schema(&self) -> &SchemaRef;
    /// Opens the source: a stream of its batches.
    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream;
    /// The stream as bytes that the codec's `HostSources::decode_stream`
    /// turns back into it (in this or another process).
    fn encode(&self) -> Result<Vec<u8>>;
}

/// A one-partition scan of a [`HostStream`], giving at most `limit` rows.
#[derive(Debug)]
pub struct HostScanExec {
    stream: Arc<dyn HostStream>,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

impl HostScanExec {
    /// A scan of `stream`, cut after `limit` rows.
    pub fn new(stream: Arc<dyn HostStream>, limit: Option<usize>) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(stream.schema().clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self { stream, limit, properties }
    }

    /// The scanned stream.
    pub fn stream(&self) -> &Arc<dyn HostStream> {
        &self.stream
    }

    /// The most rows the scan gives.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }
}

impl DisplayAs for HostScanExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "HostScanExec: {:?}", self.stream)?;
        if let Some(limit) = self.limit {
            write!(f, ", fetch={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for HostScanExec {
    fn name(&self) -> &str {
        "HostScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    /// No expressions.
    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn datafusion::physical_expr::PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !children.is_empty() {
            return Err(DataFusionError::Internal("HostScanExec has no inputs".into()));
        }
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!("HostScanExec has one partition, got {partition}")));
        }
        let stream = self.stream.execute(ctx);
        let Some(limit) = self.limit else { return Ok(stream) };
        let schema = stream.schema();
        let cut = stream
            .scan(limit, |left, batch| {
                if *left == 0 {
                    return std::future::ready(None);
                }
                let batch = batch.map(|b| {
                    let b = b.slice(0, b.num_rows().min(*left));
                    *left -= b.num_rows();
                    b
                });
                std::future::ready(Some(batch))
            })
            .boxed();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, cut)))
    }
}
