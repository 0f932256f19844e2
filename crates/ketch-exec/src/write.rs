//! The physical write operator: [`WriteExec`] runs the plan below a
//! [`ketch_plan::write::Write`] node, its partitions in order, and writes the
//! rows through [`ketch_io::sink::write`] (staging, the commit).
//!
//! Metrics: `output_rows` (of the result table), `elapsed_compute`,
//! `rows.written` (rows handed to the writers) and `files.written` (files
//! committed).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::TryStreamExt;
use ketch_io::sink::WriteOptions;

/// `input`'s partitions as one stream in partition order (so the files hold
/// the rows in the DataFrame's order), started on the stream's first poll:
/// the write polls it once the target folder is recovered and leased.
fn in_order(input: Arc<dyn ExecutionPlan>, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
    let schema = input.schema();
    let started = futures::stream::once(async move { crate::runner::execute_in_order(input, ctx) }).try_flatten();
    Box::pin(RecordBatchStreamAdapter::new(schema, started))
}

/// The physical write node ([`ketch_plan::write::Write`]): runs its input,
/// writes and commits the files (see [`ketch_io::sink::write`]) and returns Daft's result
/// table, one row per file: `path` (the location as the user wrote it
/// joined with the file's name) and the partition columns (values read back
/// from the `k=v` folder names, percent-decoded, `__HIVE_DEFAULT_PARTITION__`
/// as null, cast to the column's type). One output partition.
#[derive(Debug)]
pub struct WriteExec {
    input: Arc<dyn ExecutionPlan>,
    options: WriteOptions,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl WriteExec {
    /// A write of `input`; `schema` is the result table's (the logical
    /// node's schema).
    pub fn new(input: Arc<dyn ExecutionPlan>, options: WriteOptions, schema: SchemaRef) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self { input, options, schema, properties, metrics: ExecutionPlanMetricsSet::new() }
    }

    /// What is written where.
    pub fn options(&self) -> &WriteOptions {
        &self.options
    }
}

impl DisplayAs for WriteExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let o = &self.options;
        write!(f, "WriteExec: {} {} to {}", o.mode.name(), o.format.extension(), o.location)
    }
}

impl ExecutionPlan for WriteExec {
    fn name(&self) -> &str {
        "WriteExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    /// The input's partitions are read in order by the write itself: no
    /// repartitioning may be put below it (it would change the rows' order).
    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
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
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else {
            return Err(DataFusionError::Internal("WriteExec takes one input".into()));
        };
        Ok(Arc::new(Self::new(input, self.options.clone(), self.schema.clone())))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!("WriteExec has one partition, got {partition}")));
        }
        let (input, options, schema) = (self.input.clone(), self.options.clone(), self.schema.clone());
        let out = schema.clone();
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let rows = MetricBuilder::new(&self.metrics).counter("rows.written", partition);
        let files = MetricBuilder::new(&self.metrics).counter("files.written", partition);
        let result = futures::stream::once(async move {
            let rows_in = in_order(input, ctx.clone());
            let input_schema = rows_in.schema();
            let counted = rows_in.inspect_ok(move |b| rows.add(b.num_rows()));
            let counted = Box::pin(RecordBatchStreamAdapter::new(input_schema, counted));
            let written = ketch_io::sink::write(ctx, counted, &options).await?;
            files.add(written.len());
            let table = result_table(&options, &written, &out)?;
            baseline.record_output(table.num_rows());
            baseline.done();
            Ok(table)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, result)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// Daft's result table of a write (see [`WriteExec`]) for the files
/// `written` (relative to the location).
fn result_table(opts: &WriteOptions, written: &[String], schema: &SchemaRef) -> Result<arrow::array::RecordBatch> {
    use arrow::array::{ArrayRef, StringArray};
    let shown = ketch_io::stores::display_location(&opts.location);
    let shown = shown.strip_prefix("file://").unwrap_or(&shown).to_string();
    let paths: StringArray = written
        .iter()
        .map(|rel| Some(if rel.is_empty() { shown.clone() } else { format!("{}/{rel}", shown.trim_end_matches('/')) }))
        .collect();
    let mut columns: Vec<ArrayRef> = vec![Arc::new(paths)];
    for (name, field) in opts.partition_cols.iter().zip(schema.fields().iter().skip(1)) {
        let prefix = format!("{name}=");
        let values: StringArray = written
            .iter()
            .map(|rel| {
                let raw = rel.split('/').find_map(|s| s.strip_prefix(prefix.as_str()))?;
                if raw == "__HIVE_DEFAULT_PARTITION__" {
                    return None;
                }
                Some(percent_encoding::percent_decode_str(raw).decode_utf8_lossy().into_owned())
            })
            .collect();
        columns.push(arrow::compute::cast(&values, field.data_type())?);
    }
    Ok(arrow::array::RecordBatch::try_new(schema.clone(), columns)?)
}
