//! The physical operator for `UDFProject` nodes and its planner.
//!
//! [`UdfProjectExec`] evaluates a node's UDF calls batch by batch:
//! - user code runs on tokio's blocking threads, never on the workers that
//!   drive scans and joins;
//! - each partition keeps at most `concurrency` batches in flight (the UDF's
//!   instance or process pool size, at least 1), so a slow UDF slows the
//!   scan feeding it instead of filling memory;
//! - input batches are coalesced to the UDF's `batch_rows` when it asks for
//!   larger calls (batch UDFs);
//! - output keeps the input's order and partitioning (input columns come
//!   first, unchanged);
//! - the batches in flight count against the session's memory limit
//!   (consumer `UDFProject[partition]`), never refused.
//!
//! Metrics: `output_rows`, `elapsed_compute` (time inside the UDF calls),
//! `udf.calls` (UDF calls, one per batch and UDF) and `udf.rows.failed`
//! (rows whose failure `on_error` made null; see
//! `ketch_plan::udf::call_stats`).

use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::BatchCoalescer;
use arrow::datatypes::{Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::utils::memory::get_record_batch_memory_size;
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::equivalence::ProjectionMapping;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet, RecordOutput,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
    ReplaceChildrenOptions,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use futures::{StreamExt, TryStreamExt, stream};
use ketch_plan::udf::node::UdfProject;

/// Evaluates UDF calls on its input (see the module docs).
#[derive(Debug)]
pub struct UdfProjectExec {
    input: Arc<dyn ExecutionPlan>,
    /// Every output column in order: the input's columns, then the calls.
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    /// The calls as plans show them (`f(a@0) AS __udf_0`).
    label: String,
    concurrency: usize,
    batch_rows: Option<usize>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl UdfProjectExec {
    /// `exprs` and `names`: every output column in order, the input's
    /// columns first (unchanged), then the UDF calls.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        exprs: Vec<Arc<dyn PhysicalExpr>>,
        names: Vec<String>,
        concurrency: usize,
        batch_rows: Option<usize>,
    ) -> Result<Self> {
        let input_schema = input.schema();
        let passthrough = input_schema.fields().len();
        if exprs.len() != names.len() || exprs.len() < passthrough {
            return internal_err!("UDFProjectExec: {} expressions, {} names", exprs.len(), names.len());
        }
        let fields = exprs
            .iter()
            .zip(&names)
            .map(|(e, n)| Ok(e.return_field(&input_schema)?.as_ref().clone().with_name(n)))
            .collect::<Result<Vec<_>>>()?;
        let schema = Arc::new(Schema::new_with_metadata(fields, input_schema.metadata().clone()));
        let label = exprs[passthrough..]
            .iter()
            .zip(&names[passthrough..])
            .map(|(e, n)| format!("{e} AS {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        // orderings and partitioning carry over as through a projection
        let mapping = ProjectionMapping::try_new(exprs.iter().cloned().zip(names), &input_schema)?;
        let input_eq = input.equivalence_properties();
        let properties = PlanProperties::new(
            input_eq.project(&mapping, schema),
            input.output_partitioning().project(&mapping, input_eq),
            EmissionType::Incremental,
            input.boundedness(),
        );
        Ok(Self {
            input,
            exprs,
            label,
            concurrency: concurrency.max(1),
            batch_rows,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// Every output expression, the input's columns first.
    pub fn exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        &self.exprs
    }

    /// Batches each partition runs at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Rows per UDF call the input is coalesced to.
    pub fn batch_rows(&self) -> Option<usize> {
        self.batch_rows
    }
}

impl DisplayAs for UdfProjectExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "UDFProjectExec: {}, concurrency={}", self.label, self.concurrency)?;
        if let Some(n) = self.batch_rows {
            write!(f, ", batch_rows={n}")?;
        }
        Ok(())
    }
}

/// `input` re-cut into batches of `rows` rows (the last may be shorter).
fn coalesce(input: SendableRecordBatchStream, rows: usize) -> SendableRecordBatchStream {
    let schema = input.schema();
    let state = (input, BatchCoalescer::new(schema.clone(), rows), false);
    let out = stream::try_unfold(state, |(mut input, mut buffer, mut done)| async move {
        loop {
            if let Some(batch) = buffer.next_completed_batch() {
                return Ok(Some((batch, (input, buffer, done))));
            }
            if done {
                return Ok(None);
            }
            match input.try_next().await? {
                Some(batch) => buffer.push_batch(batch)?,
                None => {
                    buffer.finish_buffered_batch()?;
                    done = true;
                }
            }
        }
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, out))
}

fn evaluate(exprs: &[Arc<dyn PhysicalExpr>], schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
    if batch.num_rows() == 0 {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let columns = exprs.iter().map(|e| e.evaluate(batch)?.into_array(batch.num_rows())).collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

impl ExecutionPlan for UdfProjectExec {
    fn name(&self) -> &str {
        "UDFProjectExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for e in &self.exprs {
            if f(e)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else { return internal_err!("UDFProjectExec takes one input") };
        let names = self.schema().fields().iter().map(|f| f.name().clone()).collect();
        Ok(Arc::new(Self::try_new(input, self.exprs.clone(), names, self.concurrency, self.batch_rows)?))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let mut input = self.input.execute(partition, context.clone())?;
        if let Some(rows) = self.batch_rows {
            input = coalesce(input, rows);
        }
        let schema = self.schema();
        let exprs: Arc<[Arc<dyn PhysicalExpr>]> = self.exprs.clone().into();
        // One BaselineMetrics for the stream: it records the operator's end
        // when dropped, so each batch's task gets an `intermediate` one (the
        // same counters, no end).
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let compute = baseline.intermediate();
        let calls = MetricBuilder::new(&self.metrics).counter("udf.calls", partition);
        let rows_failed = MetricBuilder::new(&self.metrics).counter("udf.rows.failed", partition);
        // Batches in flight count against the memory limit (so operators
        // that can spill do so sooner); they are never refused, since each
        // partition holds at most `concurrency` of them.
        let reservation =
            Arc::new(MemoryConsumer::new(format!("UDFProject[{partition}]")).register(context.memory_pool()));
        let out_schema = schema.clone();
        let out = input
            .map(move |batch| {
                let (exprs, schema, compute) = (exprs.clone(), schema.clone(), compute.clone());
                let (calls, rows_failed) = (calls.clone(), rows_failed.clone());
                let reservation = reservation.clone();
                async move {
                    let batch = batch?;
                    // Freed when dropped: the call done, or the query cancelled.
                    let bytes = get_record_batch_memory_size(&batch);
                    reservation.grow(bytes);
                    let _held = reservation.split(bytes);
                    let task = tokio::task::spawn_blocking(move || {
                        let _timer = compute.elapsed_compute().timer();
                        ketch_plan::udf::call_stats::take();
                        let out = evaluate(&exprs, &schema, &batch);
                        let (n, failed) = ketch_plan::udf::call_stats::take();
                        calls.add(n);
                        rows_failed.add(failed);
                        out
                    });
                    task.await.map_err(|e| DataFusionError::ExecutionJoin(Box::new(e)))?
                }
            })
            .buffered(self.concurrency)
            // Rows, bytes and batches out; the end is recorded when the
            // stream (and with it `baseline`) is dropped.
            .map(move |batch| {
                if let Ok(b) = &batch {
                    b.record_output(&baseline);
                }
                batch
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(out_schema, out)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// Plans `UDFProject` nodes as [`UdfProjectExec`], `Write` nodes as
/// [`crate::write::WriteExec`], `Sample` nodes as [`crate::sample::SampleExec`]
/// and `IntoBatches` nodes as [`crate::batches::IntoBatchesExec`].
#[derive(Debug, Default)]
pub struct UdfPlanner;

#[async_trait]
impl ExtensionPlanner for UdfPlanner {
    async fn plan_extension(
        &self,
        planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        session: &dyn Session,
        planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if let Some(write) = node.as_any().downcast_ref::<ketch_plan::write::Write>() {
            let Some(input) = physical_inputs.first() else { return internal_err!("Write takes one input") };
            let schema = Arc::new(node.schema().as_arrow().clone());
            return Ok(Some(Arc::new(crate::write::WriteExec::new(input.clone(), write.options.clone(), schema))));
        }
        if let Some(node) = node.as_any().downcast_ref::<ketch_plan::batches::IntoBatches>() {
            let Some(input) = physical_inputs.first() else { return internal_err!("IntoBatches takes one input") };
            return Ok(Some(Arc::new(crate::batches::IntoBatchesExec::new(input.clone(), node.batch_size))));
        }
        if let Some(sample) = node.as_any().downcast_ref::<ketch_plan::sample::Sample>() {
            let Some(input) = physical_inputs.first() else { return internal_err!("Sample takes one input") };
            return Ok(Some(Arc::new(crate::sample::SampleExec::new(input.clone(), sample.options))));
        }
        let Some(node) = node.as_any().downcast_ref::<UdfProject>() else { return Ok(None) };
        let (Some(logical), Some(input)) = (logical_inputs.first(), physical_inputs.first()) else {
            return internal_err!("UDFProject takes one input");
        };
        let mut exprs: Vec<Arc<dyn PhysicalExpr>> = vec![];
        for (i, f) in input.schema().fields().iter().enumerate() {
            exprs.push(Arc::new(Column::new(f.name(), i)));
        }
        for call in &node.calls {
            exprs.push(planner.create_physical_expr(call, logical.schema(), session, planning_ctx)?);
        }
        let names = node.schema().fields().iter().map(|f| f.name().clone()).collect();
        let exec = UdfProjectExec::try_new(input.clone(), exprs, names, node.concurrency(), node.batch_rows())?;
        Ok(Some(Arc::new(exec)))
    }
}

/// DataFusion's physical planner with ketch's extension planners.
#[derive(Debug, Default)]
pub struct KetchQueryPlanner;

#[async_trait]
impl QueryPlanner for KetchQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planned = DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(UdfPlanner)])
            .create_physical_plan(logical_plan, session)
            .await;
        match planned {
            Ok(plan) => Ok(plan),
            // A corrupt Parquet footer fails planning (statistics): name the file.
            Err(e) => Err(ketch_io::file_errors::name_planning_error(logical_plan, session, e).await),
        }
    }
}
