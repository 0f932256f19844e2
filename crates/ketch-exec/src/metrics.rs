//! What each operator of an executed query did, as Daft reports it in
//! `DataFrame.metrics`: one row per operator, from DataFusion's
//! `MetricsSet` of each node of the physical plan.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, DurationMillisecondArray, Float64Builder, MapBuilder, RecordBatch, StringArray, StringBuilder,
    StructBuilder, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use datafusion::common::Result;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::metrics::MetricValue;

/// One metric as Daft names it: its value and unit (`None` for a count).
type Stat = (String, f64, Option<&'static str>);

fn stat_fields() -> Fields {
    Fields::from(vec![Field::new("value", DataType::Float64, true), Field::new("unit", DataType::Utf8, true)])
}

/// The schema of [`operator_metrics`] (Daft 0.7.26's `DataFrame.metrics`):
/// `id` UInt64, `name`, `type` and `category` strings, `duration`
/// Duration[ms], `stats` Map[String: Struct[value: Float64, unit: String]].
pub fn metrics_schema() -> SchemaRef {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Struct(stat_fields()), true),
        ])),
        false,
    );
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("duration", DataType::Duration(TimeUnit::Millisecond), false),
        Field::new("stats", DataType::Map(Arc::new(entries), false), false),
    ]))
}

/// One row per operator of `plan` after it ran, children before their
/// parent (ids from 0 at the first source), in Daft's shape (see
/// [`metrics_schema`]). `stats`: `duration` (CPU time in µs), `rows.in`,
/// `rows.out`, `bytes.out`, `batches.out`, `spill.count`, `bytes.spilled`,
/// `rows.spilled`, `memory.peak` (bytes), and the operator's other counters
/// and times under DataFusion's names (times in µs). Operators whose names
/// are in `skip` (wrappers that do no work) are left out.
///
/// ```
/// # use std::sync::Arc;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let ctx = datafusion::prelude::SessionContext::new();
/// let plan = ctx.sql("SELECT 1 AS a").await?.create_physical_plan().await?;
/// datafusion::physical_plan::collect(plan.clone(), ctx.task_ctx()).await?;
/// let metrics = ketch_exec::metrics::operator_metrics(&plan, &[])?;
/// assert_eq!(metrics.schema(), ketch_exec::metrics::metrics_schema());
/// assert!(metrics.num_rows() >= 1);
/// # Ok::<_, datafusion::common::DataFusionError>(())
/// # }).unwrap();
/// ```
pub fn operator_metrics(plan: &Arc<dyn ExecutionPlan>, skip: &[&str]) -> Result<RecordBatch> {
    let mut rows = Vec::new();
    collect_rows(plan, skip, &mut rows);
    let mut stats = MapBuilder::new(
        None,
        StringBuilder::new(),
        StructBuilder::new(stat_fields(), vec![Box::new(Float64Builder::new()), Box::new(StringBuilder::new())]),
    );
    for row in &rows {
        for (name, value, unit) in &row.stats {
            stats.keys().append_value(name);
            let values = stats.values();
            if let Some(b) = values.field_builder::<Float64Builder>(0) {
                b.append_value(*value);
            }
            if let Some(b) = values.field_builder::<StringBuilder>(1) {
                b.append_option(*unit);
            }
            values.append(true);
        }
        stats.append(true)?;
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(0..rows.len() as u64)),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.name.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.kind.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.category))),
        Arc::new(DurationMillisecondArray::from_iter_values(rows.iter().map(|r| r.duration_ms))),
        Arc::new(stats.finish()),
    ];
    Ok(RecordBatch::try_new(metrics_schema(), columns)?)
}

struct OperatorRow {
    name: String,
    kind: String,
    category: &'static str,
    duration_ms: i64,
    stats: Vec<Stat>,
}

/// Adds the rows of `plan`'s subtree (children first); returns the rows
/// `plan` produced (the `rows.in` of its parent), if known.
fn collect_rows(plan: &Arc<dyn ExecutionPlan>, skip: &[&str], out: &mut Vec<OperatorRow>) -> Option<usize> {
    let children = plan.children();
    let rows_in: Option<usize> = children.iter().map(|c| collect_rows(c, skip, out)).sum();
    let metrics = plan.metrics().map(|m| m.aggregate_by_name());
    let rows_out = metrics.as_ref().and_then(|m| m.output_rows());
    if skip.contains(&plan.name()) {
        // A wrapper that counts rows stands in for a source that does not.
        if let (Some(rows), Some(child)) = (rows_out, out.last_mut())
            && !child.stats.iter().any(|(name, _, _)| name == "rows.out")
        {
            child.stats.push(("rows.out".into(), rows as f64, None));
        }
        return rows_out.or(rows_in);
    }
    let mut stats: Vec<Stat> = Vec::new();
    let mut cpu_ns = 0usize;
    for metric in metrics.iter().flat_map(|m| m.iter()) {
        let value = metric.value();
        let v = value.as_usize();
        let stat = match value {
            MetricValue::ElapsedCompute(_) => {
                cpu_ns = v;
                continue;
            }
            MetricValue::OutputRows(_) => continue,
            MetricValue::OutputBytes(_) => ("bytes.out".into(), v as f64, Some("bytes")),
            MetricValue::OutputBatches(_) => ("batches.out".into(), v as f64, None),
            MetricValue::SpillCount(_) => ("spill.count".into(), v as f64, None),
            MetricValue::SpilledBytes(_) => ("bytes.spilled".into(), v as f64, Some("bytes")),
            MetricValue::SpilledRows(_) => ("rows.spilled".into(), v as f64, None),
            MetricValue::PeakMemoryUsage { .. } | MetricValue::CurrentMemoryUsage(_) => {
                ("memory.peak".into(), v as f64, Some("bytes"))
            }
            MetricValue::Count { name, .. } | MetricValue::Gauge { name, .. } => (name.to_string(), v as f64, None),
            MetricValue::Time { name, .. } => (name.to_string(), v as f64 / 1_000.0, Some("µs")),
            _ => continue,
        };
        stats.push(stat);
    }
    let mut head: Vec<Stat> = vec![("duration".into(), cpu_ns as f64 / 1_000.0, Some("µs"))];
    if let (false, Some(rows)) = (children.is_empty(), rows_in) {
        head.push(("rows.in".into(), rows as f64, None));
    }
    if let Some(rows) = rows_out {
        head.push(("rows.out".into(), rows as f64, None));
    }
    head.extend(stats);
    let kind = plan.name().to_string();
    // Blocking: emits only once its input is consumed (DataFusion's
    // emission type says so for the first such operator of a pipeline only).
    const BLOCKING: [&str; 4] = ["SortExec", "AggregateExec", "WindowAggExec", "WriteExec"];
    let category = if children.is_empty() {
        "Source"
    } else if plan.properties().emission_type == EmissionType::Final
        && (BLOCKING.contains(&plan.name())
            || children.iter().any(|c| c.properties().emission_type != EmissionType::Final))
    {
        "BlockingSink"
    } else {
        "Intermediate"
    };
    out.push(OperatorRow {
        name: kind.strip_suffix("Exec").unwrap_or(&kind).to_string(),
        kind,
        category,
        duration_ms: (cpu_ns / 1_000_000) as i64,
        stats: head,
    });
    rows_out.or(if children.is_empty() { None } else { rows_in })
}
