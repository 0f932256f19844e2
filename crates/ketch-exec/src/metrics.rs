//! What each operator of a query did, or has done so far, as Daft reports
//! it in `DataFrame.metrics` and to its subscribers: one row per operator,
//! from DataFusion's `MetricsSet` of each node of the physical plan.
//!
//! DataFusion's metrics are atomic counters the operators update as they
//! run, so [`operator_stats`] of a running plan is a sample taken without
//! stopping or slowing it (the progress bars and the dashboard read it a few
//! times a second; see [`crate::progress`]).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, DurationMillisecondArray, Float64Builder, MapBuilder, RecordBatch, StringArray, StringBuilder,
    StructBuilder, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Utc};
use datafusion::common::Result;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::metrics::MetricValue;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};

/// One metric as Daft names it: its value and unit (`None` for a count).
pub type Stat = (String, f64, Option<&'static str>);

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

/// Where an operator is in its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorStatus {
    /// No partition has started.
    Pending,
    /// Some partition has started and not every one has finished.
    Running,
    /// Every partition has produced its last batch.
    Finished,
}

impl OperatorStatus {
    /// Daft's spelling (`"Pending"`, `"Executing"`, `"Finished"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Executing",
            Self::Finished => "Finished",
        }
    }
}

/// One operator of a physical plan and what it has done so far.
#[derive(Debug, Clone)]
pub struct OperatorStats {
    /// Position in [`operator_stats`]'s list: children come before their
    /// parent, the first source is 0, the plan's root is last.
    pub id: usize,
    /// The operator's name as Daft shows it (DataFusion's without `Exec`).
    pub name: String,
    /// DataFusion's operator name (`FilterExec`, ...).
    pub kind: String,
    /// Daft's node category: `Source`, `Intermediate` or `BlockingSink`.
    pub category: &'static str,
    /// The ids of the operators it reads from.
    pub children: Vec<usize>,
    /// Whether it has started or finished.
    pub status: OperatorStatus,
    /// CPU time spent in it (DataFusion's `elapsed_compute`), in ns.
    pub cpu_ns: usize,
    /// Its metrics as Daft names them (see [`operator_stats`]).
    pub stats: Vec<Stat>,
}

/// One [`OperatorStats`] per operator of `plan` (running or executed),
/// children before their parent. `stats`: `duration` (CPU time, µs),
/// `wall` (µs from its first partition's start to its last one's end, or to
/// now while it runs), `rows.in`, `rows.out`, `bytes.out`, `batches.out`,
/// `spill.count`, `bytes.spilled`, `rows.spilled`, `memory.peak` (bytes);
/// for sources what is known of their size and how far they got:
/// `files.total`, `bytes.total`, `files.read`, `bytes.read` for files
/// (Parquet counts the bytes it reads; CSV and JSON report their files'
/// size once all are processed),
/// `rows.total` for in-memory data; for UDF projections `udf.calls` and
/// `udf.rows.failed`; and the operator's other counters and times under
/// DataFusion's names (times in µs). Operators whose names are in `skip`
/// (wrappers that do no work) are left out.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use ketch_exec::metrics::{OperatorStatus, operator_stats};
/// let ctx = datafusion::prelude::SessionContext::new();
/// let plan = ctx.sql("SELECT 1 AS a").await?.create_physical_plan().await?;
/// assert!(operator_stats(&plan, &[]).iter().all(|op| op.status == OperatorStatus::Pending));
/// datafusion::physical_plan::collect(plan.clone(), ctx.task_ctx()).await?;
/// let ops = operator_stats(&plan, &[]);
/// assert_eq!(ops.last().unwrap().id, ops.len() - 1);
/// # Ok::<_, datafusion::common::DataFusionError>(())
/// # }).unwrap();
/// ```
pub fn operator_stats(plan: &Arc<dyn ExecutionPlan>, skip: &[&str]) -> Vec<OperatorStats> {
    let mut out = Vec::new();
    collect_rows(plan, skip, Utc::now(), &mut out);
    out
}

/// One row per operator of `plan` after it ran, children before their
/// parent (ids from 0 at the first source), in Daft's shape (see
/// [`metrics_schema`]); `stats` as [`operator_stats`] gives them.
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
    let rows = operator_stats(plan, skip);
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
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.id as u64))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.name.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.kind.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.category))),
        Arc::new(DurationMillisecondArray::from_iter_values(rows.iter().map(|r| (r.cpu_ns / 1_000_000) as i64))),
        Arc::new(stats.finish()),
    ];
    Ok(RecordBatch::try_new(metrics_schema(), columns)?)
}

/// What `plan`'s subtree added to `out`: the id of the row standing for
/// `plan` (a skipped wrapper's child's) and the rows `plan` produced (the
/// `rows.in` of its parent), if known.
struct Visited {
    ids: Vec<usize>,
    rows_out: Option<usize>,
}

/// Adds the rows of `plan`'s subtree (children first) to `out`.
fn collect_rows(
    plan: &Arc<dyn ExecutionPlan>,
    skip: &[&str],
    now: DateTime<Utc>,
    out: &mut Vec<OperatorStats>,
) -> Visited {
    let children = plan.children();
    let visited: Vec<Visited> = children.iter().map(|c| collect_rows(c, skip, now, out)).collect();
    let rows_in: Option<usize> = visited.iter().map(|v| v.rows_out).sum();
    let child_ids: Vec<usize> = visited.iter().flat_map(|v| v.ids.iter().copied()).collect();
    let raw = plan.metrics();
    let metrics = raw.as_ref().map(|m| m.aggregate_by_name());
    let rows_out = metrics.as_ref().and_then(|m| m.output_rows());
    let (status, wall) = timing(plan, rows_out, now);
    if skip.contains(&plan.name()) {
        // A wrapper that counts rows and times itself stands in for a
        // source that does not.
        if let Some(child) = out.last_mut() {
            if let Some(rows) = rows_out
                && !child.stats.iter().any(|(name, _, _)| name == "rows.out")
            {
                child.stats.push(("rows.out".into(), rows as f64, None));
            }
            if child.status == OperatorStatus::Pending {
                child.status = status;
                if let Some(wall) = wall {
                    child.stats.push(wall);
                }
            }
        }
        return Visited { ids: child_ids, rows_out: rows_out.or(rows_in) };
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
            MetricValue::Count { name, .. } if name == "bytes_scanned" => {
                ("bytes.read".into(), v as f64, Some("bytes"))
            }
            MetricValue::Count { name, .. } if name == "files_processed" => ("files.read".into(), v as f64, None),
            MetricValue::Count { name, .. } | MetricValue::Gauge { name, .. } => (name.to_string(), v as f64, None),
            MetricValue::Time { name, .. } => (name.to_string(), v as f64 / 1_000.0, Some("µs")),
            _ => continue,
        };
        stats.push(stat);
    }
    let mut head: Vec<Stat> = vec![("duration".into(), cpu_ns as f64 / 1_000.0, Some("µs"))];
    head.extend(wall);
    if let (false, Some(rows)) = (children.is_empty(), rows_in) {
        head.push(("rows.in".into(), rows as f64, None));
    }
    if let Some(rows) = rows_out {
        head.push(("rows.out".into(), rows as f64, None));
    }
    head.extend(source_size(plan));
    head.extend(stats);
    // Sources that count no bytes (CSV, JSON) have read their files whole
    // once every file is processed.
    let stat = |name: &str| head.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| *v);
    if stat("bytes.read").is_none()
        && let (Some(read), Some(total), Some(bytes)) = (stat("files.read"), stat("files.total"), stat("bytes.total"))
        && read >= total
    {
        head.push(("bytes.read".into(), bytes, Some("bytes")));
    }
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
    let id = out.len();
    out.push(OperatorStats {
        id,
        name: kind.strip_suffix("Exec").unwrap_or(&kind).to_string(),
        kind,
        category,
        children: child_ids,
        status,
        cpu_ns,
        stats: head,
    });
    Visited { ids: vec![id], rows_out: rows_out.or(if children.is_empty() { None } else { rows_in }) }
}

/// Whether `plan` has started and finished (from DataFusion's start and end
/// timestamps of each partition, set by `BaselineMetrics`), and its `wall`
/// stat: µs from its first partition's start to its last one's end, or to
/// `now` while it runs. An operator without timestamps has started once it
/// has output rows.
fn timing(
    plan: &Arc<dyn ExecutionPlan>,
    rows_out: Option<usize>,
    now: DateTime<Utc>,
) -> (OperatorStatus, Option<Stat>) {
    let (mut first_start, mut last_end): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = (None, None);
    let (mut started, mut ended) = (0usize, 0usize);
    for metric in plan.metrics().iter().flat_map(|m| m.iter()) {
        match metric.value() {
            MetricValue::StartTimestamp(t) => {
                if let Some(t) = t.value() {
                    started += 1;
                    first_start = Some(first_start.map_or(t, |s| s.min(t)));
                }
            }
            MetricValue::EndTimestamp(t) => {
                if let Some(t) = t.value() {
                    ended += 1;
                    last_end = Some(last_end.map_or(t, |e| e.max(t)));
                }
            }
            _ => {}
        }
    }
    let partitions = plan.output_partitioning().partition_count();
    let status = if started == 0 && rows_out.unwrap_or(0) == 0 {
        OperatorStatus::Pending
    } else if ended > 0 && ended >= partitions {
        OperatorStatus::Finished
    } else {
        OperatorStatus::Running
    };
    let wall = first_start.map(|start| {
        let end = if status == OperatorStatus::Finished { last_end.unwrap_or(now) } else { now };
        let us = (end - start).num_microseconds().unwrap_or(0).max(0);
        ("wall".to_string(), us as f64, Some("µs"))
    });
    (status, wall)
}

/// What is known before it runs of how much a source will read: for files
/// `files.total` and `bytes.total` (their sizes, or the byte ranges read),
/// for in-memory batches `rows.total`.
fn source_size(plan: &Arc<dyn ExecutionPlan>) -> Vec<Stat> {
    let Some(scan) = plan.downcast_ref::<DataSourceExec>() else { return vec![] };
    let source = scan.data_source();
    if let Some(files) = source.downcast_ref::<FileScanConfig>() {
        let files = files.file_groups.iter().flat_map(|g| g.files());
        let (n, bytes) = files.fold((0usize, 0u64), |(n, bytes), f| {
            let size = f.range.as_ref().map_or(f.object_meta.size, |r| (r.end - r.start).max(0) as u64);
            (n + 1, bytes + size)
        });
        return vec![("files.total".into(), n as f64, None), ("bytes.total".into(), bytes as f64, Some("bytes"))];
    }
    if let Some(memory) = source.downcast_ref::<MemorySourceConfig>() {
        let rows: usize = memory.partitions().iter().flatten().map(|b| b.num_rows()).sum();
        return vec![("rows.total".into(), rows as f64, None)];
    }
    vec![]
}
