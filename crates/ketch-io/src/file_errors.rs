//! Errors from reading a file name the file (Daft's messages do): a corrupt
//! Parquet footer, a bad data page, invalid JSON or CSV, at schema inference,
//! at planning (Parquet statistics) or at execution.
//!
//! - Execution: [`NameFileErrors`], a physical optimizer rule that runs
//!   first, wraps every file scan's source in [`NamedSource`], whose
//!   morselizer knows which file each planner, morsel and batch stream
//!   belongs to and adds `reading <path>` as context to their errors.
//!   Everything else delegates to the wrapped source, so pushdowns and the
//!   plan's display are unchanged.
//! - Schema inference: [`name_file_error`] for the file being inferred.
//! - Planning: [`name_planning_error`] finds, on the error path only, the
//!   file whose statistics fail to read.
//!
//! JSON errors also give the line and column of the first syntax error
//! (found by re-reading the file with `serde_json`, on the error path only:
//! the decoder does not count lines); CSV errors give their line counted
//! from the file's start.
//!
//! Logical plans keep DataFusion's own formats (they serialize as such);
//! a physical plan shipped to a worker reads without the wrapper.

use std::fmt;
use std::sync::Arc;

use datafusion::catalog::{Session, TableProvider};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::listing::{ListingTable, PartitionedFile};
use datafusion::datasource::physical_plan::{FileOpener, FileScanConfig, FileScanConfigBuilder, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::source_as_provider;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter_pushdown::FilterPushdownPropagation;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::{DisplayFormatType, ExecutionPlan, SortOrderPushdownResult};
use datafusion_datasource::morsel::{Morsel, MorselPlan, MorselPlanner, Morselizer};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

/// Files (or parts before a byte range) larger than this are not re-read
/// to find an error's line.
const MAX_RESCAN: u64 = 256 << 20;

/// How a file is shown in messages: the path as the user wrote it (a local
/// path without `file://`, a remote URL without ketch's config tag).
pub fn shown_path(url: &str) -> String {
    let shown = crate::stores::display_location(url);
    match shown.strip_prefix("file://") {
        Some(local) => local.to_string(),
        None => shown,
    }
}

/// `location` in the store at `store_url` (`file:///`, `s3://bucket/`, ...).
fn shown_location(store_url: &str, location: &Path) -> String {
    let base = store_url.strip_suffix('/').unwrap_or(store_url);
    shown_path(&format!("{base}/{location}"))
}

/// `e` with `reading <file>` as context, unless the message already names
/// the file (DataFusion's own "Error when processing CSV file <location>"
/// context is replaced: it shows the location without its store).
fn with_file(e: DataFusionError, shown: &str) -> DataFusionError {
    let e = match e {
        DataFusionError::Context(c, inner) if c.starts_with("Error when processing CSV file") => *inner,
        e => e,
    };
    if e.to_string().contains(shown) {
        return e;
    }
    e.context(format!("reading {shown}"))
}

/// The format of a file whose errors are named: JSON and CSV errors get
/// their line in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Newline-delimited JSON, uncompressed.
    Json,
    /// CSV, uncompressed.
    Csv,
    Other,
}

impl Kind {
    fn of(file_type: &str, compressed: bool) -> Self {
        match file_type {
            _ if compressed => Kind::Other,
            "json" => Kind::Json,
            "csv" => Kind::Csv,
            _ => Kind::Other,
        }
    }
}

/// A file whose errors are being named.
#[derive(Debug, Clone)]
struct FileRef {
    shown: String,
    store: Arc<dyn ObjectStore>,
    location: Path,
    kind: Kind,
    /// Where the byte range being read starts (a file split between
    /// partitions), 0 for the whole file.
    range_start: u64,
}

impl FileRef {
    fn name(&self, e: DataFusionError) -> DataFusionError {
        with_file(e, &self.shown)
    }

    /// [`Self::name`], with the line in the file where the reader's error
    /// has one: a JSON syntax error (the JSON decoder gives none) or a CSV
    /// error (the CSV decoder's line is 0-based and counts from the start
    /// of the byte range it reads).
    async fn name_async(&self, e: DataFusionError) -> DataFusionError {
        let e = match self.kind {
            Kind::Json if is_json_syntax_error(&e) => match self.json_syntax_error().await {
                Some(syntax) => DataFusionError::Execution(syntax),
                None => e,
            },
            Kind::Csv => self.csv_line(e).await,
            _ => e,
        };
        self.name(e)
    }

    /// "Invalid JSON at line L, column C: <what>" for the first syntax error
    /// in the file, if it has one (and is small enough to read again).
    async fn json_syntax_error(&self) -> Option<String> {
        let got = self.store.get(&self.location).await.ok()?;
        if got.meta.size > MAX_RESCAN {
            return None;
        }
        first_json_syntax_error(&got.bytes().await.ok()?)
    }

    /// A CSV decoder's error with its line counted from the file's start.
    async fn csv_line(&self, e: DataFusionError) -> DataFusionError {
        use arrow::error::ArrowError;
        let DataFusionError::ArrowError(arrow, backtrace) = e else { return e };
        // Lines before the range: the decoder starts after the first line
        // break at or after `range_start - 1`.
        let before = if self.range_start == 0 {
            Some(0)
        } else if self.range_start - 1 > MAX_RESCAN {
            None
        } else {
            let bytes = self.store.get_range(&self.location, 0..self.range_start - 1).await.ok();
            bytes.map(|b| b.iter().filter(|&&c| c == b'\n').count() + 1)
        };
        let fixed = match (*arrow, before) {
            // "... at line N. Row data: ..." with N the 0-based record index.
            (ArrowError::ParseError(m), Some(before)) => {
                ArrowError::ParseError(shift_line(&m, " at line ", before + 1).unwrap_or(m))
            }
            // "incorrect number of fields for line N, ..." with N 1-based.
            (ArrowError::CsvError(m), Some(before)) if before > 0 => {
                ArrowError::CsvError(shift_line(&m, " for line ", before).unwrap_or(m))
            }
            (other, _) => other,
        };
        DataFusionError::ArrowError(Box::new(fixed), backtrace)
    }
}

/// `msg` with the number after `marker` increased by `by`.
fn shift_line(msg: &str, marker: &str, by: usize) -> Option<String> {
    let start = msg.find(marker)? + marker.len();
    let len = msg[start..].bytes().take_while(u8::is_ascii_digit).count();
    let line: usize = msg[start..start + len].parse().ok()?;
    Some(format!("{}{}{}", &msg[..start], line + by, &msg[start + len..]))
}

/// Whether `e` is the JSON reader failing on syntax (not on a value whose
/// type does not fit the schema: those messages name the field instead).
fn is_json_syntax_error(e: &DataFusionError) -> bool {
    if matches!(e.find_root(), DataFusionError::IoError(_) | DataFusionError::ObjectStore(_)) {
        return false;
    }
    let text = e.to_string();
    !(text.contains("whilst decoding field") || text.contains("failed to parse") || text.contains(" got "))
}

/// The first syntax error in a stream of JSON values, as "Invalid JSON at
/// line L, column C: <what>".
fn first_json_syntax_error(bytes: &[u8]) -> Option<String> {
    let values = serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
    for v in values {
        if let Err(e) = v {
            let text = e.to_string();
            let position = format!(" at line {} column {}", e.line(), e.column());
            let what = text.strip_suffix(&position).unwrap_or(&text);
            return Some(format!("Invalid JSON at line {}, column {}: {what}", e.line().max(1), e.column()));
        }
    }
    None
}

/// `e`, an error from reading the object at `location` of the store at
/// `store_url` as `file_type` (`parquet`, `csv`, `json`), naming the file.
pub async fn name_file_error(
    e: DataFusionError,
    store: &Arc<dyn ObjectStore>,
    store_url: &str,
    location: &Path,
    file_type: &str,
    compressed: bool,
) -> DataFusionError {
    let file = FileRef {
        shown: shown_location(store_url, location),
        store: Arc::clone(store),
        location: location.clone(),
        kind: Kind::of(file_type, compressed),
        range_start: 0,
    };
    file.name_async(e).await
}

/// An error from planning `plan` that a file's Parquet metadata caused
/// (DataFusion reads each file's statistics when it plans a scan), naming
/// the first file of the plan's scans whose statistics fail to read.
pub async fn name_planning_error(plan: &LogicalPlan, session: &dyn Session, e: DataFusionError) -> DataFusionError {
    use datafusion::arrow::error::ArrowError;
    let from_parquet = match e.find_root() {
        DataFusionError::ParquetError(_) => true,
        DataFusionError::ArrowError(a, _) => matches!(**a, ArrowError::ParquetError(_)),
        _ => false,
    };
    if !from_parquet || e.to_string().contains("reading ") {
        return e;
    }
    let mut tables: Vec<Arc<dyn TableProvider>> = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) = source_as_provider(&scan.source)
            && provider.downcast_ref::<ListingTable>().is_some()
        {
            tables.push(provider);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    for provider in tables {
        let Some(table) = provider.downcast_ref::<ListingTable>() else { continue };
        let options = table.options();
        for url in table.table_paths() {
            let Ok(store) = session.runtime_env().object_store(url) else { continue };
            let Ok(listed) = url.list_all_files(session, store.as_ref(), &options.file_extension).await else {
                continue;
            };
            let Ok(objects) = listed.try_collect::<Vec<ObjectMeta>>().await else { continue };
            for object in objects {
                if options.format.infer_stats(session, &store, table.schema(), &object).await.is_err() {
                    let shown = shown_location(url.object_store().as_str(), &object.location);
                    return with_file(e, &shown);
                }
            }
        }
    }
    e
}

/// Wraps every file scan's source in [`NamedSource`]. Runs first among the
/// physical optimizer rules, before any pushdown into the scans.
#[derive(Debug, Default)]
pub struct NameFileErrors;

impl PhysicalOptimizerRule for NameFileErrors {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(conf) = node
                .downcast_ref::<DataSourceExec>()
                .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
            else {
                return Ok(Transformed::no(node));
            };
            if conf.file_source().downcast_ref::<NamedSource>().is_some() {
                return Ok(Transformed::no(node));
            }
            let source = NamedSource::wrap(Arc::clone(conf.file_source()));
            let conf = FileScanConfigBuilder::from(conf.clone()).with_source(source).build();
            let exec: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(conf);
            Ok(Transformed::yes(exec))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "NameFileErrors"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// A file source whose readers' errors name their file.
pub struct NamedSource {
    inner: Arc<dyn FileSource>,
}

impl NamedSource {
    pub fn wrap(inner: Arc<dyn FileSource>) -> Arc<dyn FileSource> {
        if inner.downcast_ref::<NamedSource>().is_some() {
            return inner;
        }
        Arc::new(Self { inner })
    }
}

impl FileSource for NamedSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        base_config: &FileScanConfig,
        partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        self.inner.create_file_opener(object_store, base_config, partition)
    }

    fn create_morselizer(
        &self,
        object_store: Arc<dyn ObjectStore>,
        base_config: &FileScanConfig,
        partition: usize,
    ) -> Result<Box<dyn Morselizer>> {
        let inner = self.inner.create_morselizer(Arc::clone(&object_store), base_config, partition)?;
        Ok(Box::new(NamedMorselizer {
            inner,
            store: object_store,
            store_url: base_config.object_store_url.as_str().to_string(),
            kind: Kind::of(self.inner.file_type(), base_config.file_compression_type.is_compressed()),
        }))
    }

    fn table_schema(&self) -> &TableSchema {
        self.inner.table_schema()
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        Self::wrap(self.inner.with_batch_size(batch_size))
    }

    fn filter(&self) -> Option<Arc<dyn PhysicalExpr>> {
        self.inner.filter()
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        self.inner.projection()
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        self.inner.metrics()
    }

    fn file_type(&self) -> &str {
        self.inner.file_type()
    }

    fn fmt_extra(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.fmt_extra(t, f)
    }

    fn supports_repartitioning(&self) -> bool {
        self.inner.supports_repartitioning()
    }

    fn repartitioned(
        &self,
        target_partitions: usize,
        repartition_file_min_size: usize,
        output_ordering: Option<LexOrdering>,
        config: &FileScanConfig,
    ) -> Result<Option<FileScanConfig>> {
        self.inner.repartitioned(target_partitions, repartition_file_min_size, output_ordering, config)
    }

    fn try_pushdown_filters(
        &self,
        filters: Vec<Arc<dyn PhysicalExpr>>,
        config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn FileSource>>> {
        let mut pushed = self.inner.try_pushdown_filters(filters, config)?;
        pushed.updated_node = pushed.updated_node.map(Self::wrap);
        Ok(pushed)
    }

    fn try_pushdown_sort(
        &self,
        order: &[PhysicalSortExpr],
        eq_properties: &EquivalenceProperties,
    ) -> Result<SortOrderPushdownResult<Arc<dyn FileSource>>> {
        Ok(self.inner.try_pushdown_sort(order, eq_properties)?.map(Self::wrap))
    }

    fn reorder_files(&self, files: Vec<PartitionedFile>) -> Vec<PartitionedFile> {
        self.inner.reorder_files(files)
    }

    fn try_pushdown_projection(&self, projection: &ProjectionExprs) -> Result<Option<Arc<dyn FileSource>>> {
        Ok(self.inner.try_pushdown_projection(projection)?.map(Self::wrap))
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }

    /// Serialized as the wrapped source (a plan shipped to a worker reads
    /// without the file names in its errors).
    fn try_to_proto(
        &self,
        base: &FileScanConfig,
        ctx: &datafusion::physical_plan::proto::ExecutionPlanEncodeCtx<'_>,
    ) -> Result<Option<datafusion_proto::protobuf::PhysicalPlanNode>> {
        self.inner.try_to_proto(base, ctx)
    }
}

#[derive(Debug)]
struct NamedMorselizer {
    inner: Box<dyn Morselizer>,
    store: Arc<dyn ObjectStore>,
    store_url: String,
    kind: Kind,
}

impl Morselizer for NamedMorselizer {
    fn plan_file(&self, file: PartitionedFile) -> Result<Box<dyn MorselPlanner>> {
        let named = Arc::new(FileRef {
            shown: shown_location(&self.store_url, &file.object_meta.location),
            store: Arc::clone(&self.store),
            location: file.object_meta.location.clone(),
            kind: self.kind,
            range_start: file.range.as_ref().map_or(0, |r| r.start.max(0) as u64),
        });
        match self.inner.plan_file(file) {
            Ok(inner) => Ok(Box::new(NamedPlanner { inner, file: named })),
            Err(e) => Err(named.name(e)),
        }
    }
}

#[derive(Debug)]
struct NamedPlanner {
    inner: Box<dyn MorselPlanner>,
    file: Arc<FileRef>,
}

impl NamedPlanner {
    fn boxed(inner: Box<dyn MorselPlanner>, file: &Arc<FileRef>) -> Box<dyn MorselPlanner> {
        Box::new(NamedPlanner { inner, file: Arc::clone(file) })
    }
}

impl MorselPlanner for NamedPlanner {
    fn plan(self: Box<Self>) -> Result<Option<MorselPlan>> {
        let file = self.file;
        let Some(mut plan) = self.inner.plan().map_err(|e| file.name(e))? else { return Ok(None) };
        let morsels: Vec<Box<dyn Morsel>> = plan
            .take_morsels()
            .into_iter()
            .map(|inner| Box::new(NamedMorsel { inner, file: Arc::clone(&file) }) as Box<dyn Morsel>)
            .collect();
        let planners = plan.take_ready_planners().into_iter().map(|p| NamedPlanner::boxed(p, &file)).collect();
        let mut named = MorselPlan::new().with_morsels(morsels).with_planners(planners);
        if let Some(pending) = plan.take_pending_planner() {
            let file = Arc::clone(&file);
            named.set_pending_planner(async move {
                match pending.into_future().await {
                    Ok(planner) => Ok(NamedPlanner::boxed(planner, &file)),
                    Err(e) => Err(file.name_async(e).await),
                }
            });
        }
        Ok(Some(named))
    }
}

#[derive(Debug)]
struct NamedMorsel {
    inner: Box<dyn Morsel>,
    file: Arc<FileRef>,
}

impl Morsel for NamedMorsel {
    fn into_stream(self: Box<Self>) -> futures::stream::BoxStream<'static, Result<arrow::record_batch::RecordBatch>> {
        let file = self.file;
        self.inner
            .into_stream()
            .then(move |batch| {
                let file = Arc::clone(&file);
                async move {
                    match batch {
                        Ok(batch) => Ok(batch),
                        Err(e) => Err(file.name_async(e).await),
                    }
                }
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_syntax_errors() {
        let first = |s: &str| first_json_syntax_error(s.as_bytes());
        assert_eq!(
            first("{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3,,}\n").unwrap(),
            "Invalid JSON at line 3, column 9: key must be a string"
        );
        assert_eq!(first("{\"a\": 1}\n{\"a\":\n 2}\n"), None);
        assert!(first("{\"a\": 1}\n{\"a\": \n").unwrap().starts_with("Invalid JSON at line 3"));
        assert_eq!(first(""), None);
    }

    #[test]
    fn shifted_lines() {
        assert_eq!(shift_line("x at line 2001. Row", " at line ", 1).unwrap(), "x at line 2002. Row");
        assert_eq!(shift_line("no line", " at line ", 1), None);
    }

    #[test]
    fn shown_locations() {
        assert_eq!(shown_location("file:///", &Path::from("tmp/x/a.parquet")), "/tmp/x/a.parquet");
        assert_eq!(shown_location("s3://bucket/", &Path::from("k/a.json")), "s3://bucket/k/a.json");
    }
}
