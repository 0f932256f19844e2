//! File sources: files of any format in [`crate::formats`] (Parquet, CSV,
//! newline-delimited JSON) over local paths, URLs, folders, globs and lists
//! of them, as DataFusion listing tables: listing, hive partitions, schema
//! inference and scan planning, independent of the format.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, lit};
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::formats::Format;

/// What to read and how (Daft's reader arguments).
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// With `infer_schema`, types that override the inferred ones by column name;
    /// without it, the whole schema.
    pub schema: Option<SchemaRef>,
    pub infer_schema: bool,
    /// Adds a String column holding each row's source file path.
    pub file_path_column: Option<String>,
    /// Reads `key=value` directories as columns.
    pub hive_partitioning: bool,
}

fn not_found(path: &str) -> DataFusionError {
    let path = crate::stores::display_location(path);
    DataFusionError::External(Box::new(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("No files found at {path}: check the path or glob pattern"),
    )))
}

/// Hidden files and folders (`.name`, `_name`, e.g. `_SUCCESS` or a writer's
/// staging folder) are not data.
fn is_hidden(relative: &str) -> bool {
    relative.split('/').any(|seg| seg.starts_with('.') || seg.starts_with('_'))
}

/// The files `path` names: itself, the files under a folder, or the matches of
/// a glob. Errors with `NotFound` when nothing matches.
pub async fn list_files(session: &dyn Session, path: &str) -> Result<(ListingTableUrl, Vec<String>)> {
    let url = listing_url(path)?;
    let store = session.runtime_env().object_store(url.object_store())?;
    let prefix = url.prefix().to_string();
    // A write to this folder killed mid-commit is finished first, so the
    // listing holds exactly the old files or exactly the new ones (a local
    // path that is not a folder has none; a remote prefix may be one).
    let local = url.scheme() == "file";
    let local_folder = local && std::path::Path::new(&format!("/{}", url.prefix())).is_dir();
    // Nothing writes to HTTP(S) URLs (and an HTTP server need not answer the
    // listing request: WebDAV's PROPFIND, retried with backoff), so nothing to recover there.
    // (A URL with its own storage config has the config's tag in its scheme: `https+k1f..://`.)
    let http = matches!(url.scheme().split('+').next(), Some("http" | "https"));
    if !http && (url.is_collection() || url.get_glob().is_some() || !local || local_folder) {
        crate::commit::recover(&store, url.prefix(), local)
            .await
            .map_err(|e| e.context(format!("reading {}", crate::stores::display_location(path))))?;
    }
    let listed: Vec<_> = match url.get_glob() {
        Some(glob) => list_glob(store.as_ref(), &url, glob).await.map_err(|e| listing_error(path, e))?,
        // One HTTP(S) file: its HEAD (listing it would send PROPFIND, which most servers refuse).
        None if http && !url.is_collection() => {
            vec![store.head(url.prefix()).await.map_err(|e| listing_error(path, e))?]
        }
        None => match url.list_all_files(session, store.as_ref(), "").await {
            Ok(stream) => match stream.try_collect().await {
                Ok(files) => files,
                Err(e) => return Err(listing_error(path, e)),
            },
            Err(e) => return Err(listing_error(path, e)),
        },
    };
    let mut files: Vec<String> = listed
        .into_iter()
        .map(|m| m.location.to_string())
        .filter(|loc| !is_hidden(loc.strip_prefix(&prefix).unwrap_or(loc)))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(not_found(path));
    }
    let base = url.object_store();
    let files = files.into_iter().map(|loc| format!("{}{}", base.as_str(), loc)).collect();
    Ok((url, files))
}

/// The objects under `url`'s prefix matching `glob` on their whole relative
/// path (`**` any depth, `*` within one folder, as Daft matches).
async fn list_glob(store: &dyn ObjectStore, url: &ListingTableUrl, glob: &glob::Pattern) -> Result<Vec<ObjectMeta>> {
    let options = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
    let prefix = url.prefix().as_ref();
    let all: Vec<ObjectMeta> = store.list(Some(url.prefix())).try_collect().await?;
    Ok(all
        .into_iter()
        .filter(|m| {
            let rel = m.location.as_ref().strip_prefix(prefix).unwrap_or(m.location.as_ref());
            glob.matches_with(rel.trim_start_matches('/'), options)
        })
        .collect())
}

/// The files `path` names, as Daft's `from_glob_path` lists them: `(URL,
/// size in bytes)` of the file itself, of each file directly in a folder,
/// or of each match of a glob (hidden names included), sorted by URL.
///
/// Errors: `NotFound` naming `path` when nothing matches; a store's other
/// errors with `path` as context.
pub async fn glob_files(session: &dyn Session, path: &str) -> Result<Vec<(String, u64)>> {
    let url = listing_url(path)?;
    let store = session.runtime_env().object_store(url.object_store())?;
    let listed = match url.get_glob() {
        Some(glob) => list_glob(store.as_ref(), &url, glob).await.map_err(|e| listing_error(path, e))?,
        None => match store.head(url.prefix()).await {
            Ok(meta) if !path.ends_with('/') => vec![meta],
            _ => match store.list_with_delimiter(Some(url.prefix())).await {
                Ok(listing) => listing.objects,
                Err(e) => return Err(listing_error(path, e)),
            },
        },
    };
    if listed.is_empty() {
        return Err(not_found(path));
    }
    let base = url.object_store();
    let base = crate::stores::display_location(base.as_str());
    let mut files: Vec<(String, u64)> = listed.into_iter().map(|m| (format!("{base}{}", m.location), m.size)).collect();
    files.sort();
    Ok(files)
}

/// The listing URL of `path`: local paths (globs included) as DataFusion
/// parses them; for a URL of another store, the folder before the first glob
/// character and the rest as the glob (DataFusion splits local paths only).
fn listing_url(path: &str) -> Result<ListingTableUrl> {
    if !path.contains("://") || path.starts_with("file://") {
        return ListingTableUrl::parse(path);
    }
    let url = crate::storage::parse_url(path)?;
    let text = url.as_str().to_string();
    let Some(first) = text.find(['*', '?', '[']) else { return ListingTableUrl::try_new(url, None) };
    let cut = text[..first].rfind('/').map_or(first, |j| j + 1);
    let base = url::Url::parse(&text[..cut]).map_err(|e| DataFusionError::External(Box::new(e)))?;
    ListingTableUrl::try_new(base, None)?.with_glob(&text[cut..])
}

/// A listing failure: a missing file, folder or bucket (or any failure on
/// the local file system) is `NotFound` naming `path`; a remote store's other
/// errors (denied credentials, an unreachable endpoint) keep the store's
/// error with `path` as context.
fn listing_error(path: &str, e: impl Into<DataFusionError>) -> DataFusionError {
    let e: DataFusionError = e.into();
    let missing = matches!(e.find_root(), DataFusionError::ObjectStore(o) if matches!(**o, object_store::Error::NotFound { .. }))
        || matches!(e.find_root(), DataFusionError::IoError(io) if io.kind() == std::io::ErrorKind::NotFound);
    let local = !path.contains("://") || path.starts_with("file://");
    if missing || local {
        not_found(path)
    } else {
        e.context(format!("listing {}", crate::stores::display_location(path)))
    }
}

/// The listing URL of one listed file. `file` is the store URL followed by the
/// raw object path, which may hold `%` (hive values are percent-encoded in
/// folder names), so each segment is percent-encoded before URL parsing.
fn file_url(file: &str) -> Result<ListingTableUrl> {
    let (scheme, rest) = file.split_once("://").unwrap_or(("file", file));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let encoded: Vec<String> =
        path.split('/').map(|seg| utf8_percent_encode(seg, NON_ALPHANUMERIC).to_string()).collect();
    let url = url::Url::parse(&format!("{scheme}://{authority}/{}", encoded.join("/")))
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    ListingTableUrl::try_new(url, None)
}

/// `key=value` pairs in the folders of `file` below `base` (the listing prefix).
fn hive_values(base: &str, file: &str) -> Vec<(String, String)> {
    let rel = file.split_once(base).map(|(_, r)| r).unwrap_or(file);
    let mut segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    segs.pop(); // the file name
    segs.iter()
        .filter_map(|s| s.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode_str(v).decode_utf8_lossy().into_owned()))
        .collect()
}

const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// The narrowest of Int64, Float64 and String that holds every value.
fn infer_partition_type<'a>(values: impl Iterator<Item = &'a String>) -> DataType {
    let mut t = DataType::Int64;
    for v in values.filter(|v| v.as_str() != HIVE_NULL) {
        if t == DataType::Int64 && v.parse::<i64>().is_err() {
            t = DataType::Float64;
        }
        if t == DataType::Float64 && v.parse::<f64>().is_err() {
            return DataType::Utf8;
        }
    }
    t
}

async fn infer_schema(session: &dyn Session, options: &ListingOptions, urls: &[ListingTableUrl]) -> Result<SchemaRef> {
    let mut schemas = Vec::with_capacity(urls.len());
    for url in urls {
        // Field metadata stays (logical types); file-level metadata (writer
        // details that differ between files) does not.
        let inferred = match options.infer_schema(session, url).await {
            Ok(schema) => schema,
            Err(e) => return Err(name_file_error(session, options, url, e).await),
        };
        let inferred = match options.format.get_ext().as_str() {
            "parquet" => crate::formats::parquet::keep_extension_storage(session, url, inferred).await?,
            _ => inferred,
        };
        schemas.push(Schema::new(inferred.fields().clone()));
    }
    Ok(Arc::new(Schema::try_merge(schemas)?))
}

/// An error from reading the file `url`, naming it (and the line, for JSON
/// and CSV, where known).
async fn name_file_error(
    session: &dyn Session,
    options: &ListingOptions,
    url: &ListingTableUrl,
    e: DataFusionError,
) -> DataFusionError {
    let Ok(store) = session.runtime_env().object_store(url.object_store()) else { return e };
    let compressed = options.format.compression_type().is_some_and(|c| c.is_compressed());
    let store_url = url.object_store();
    let file_type = options.format.get_ext();
    crate::file_errors::name_file_error(e, &store, store_url.as_str(), url.prefix(), &file_type, compressed).await
}

/// Applies `hints` (column name -> type) on top of `inferred`.
fn apply_hints(inferred: SchemaRef, hints: &Schema) -> SchemaRef {
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| match hints.field_with_name(f.name()) {
            Ok(h) => f.as_ref().clone().with_data_type(h.data_type().clone()),
            Err(_) => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A logical plan that scans `paths` (local paths, folders, globs) in `format`.
///
/// Errors: `NotFound` (an `std::io::Error` inside `DataFusionError::External`)
/// when a path matches no file; the format's own error for a corrupt file.
pub async fn scan(session: &dyn Session, paths: &[String], format: &Format, opts: &ScanOptions) -> Result<LogicalPlan> {
    let mut listed = Vec::with_capacity(paths.len());
    for p in paths {
        listed.push(list_files(session, p).await?);
    }
    let files: Vec<String> = listed.iter().flat_map(|(_, f)| f.iter().cloned()).collect();
    let file_urls = files.iter().map(|f| file_url(f)).collect::<Result<Vec<_>>>()?;
    let listing = ListingOptions::new(format.file_format()).with_file_extension("");

    let schema = match (&opts.schema, opts.infer_schema) {
        (Some(s), false) => s.clone(),
        (hints, _) => {
            let inferred = infer_schema(session, &listing, &file_urls).await?;
            match hints {
                Some(h) => apply_hints(inferred, h),
                None => inferred,
            }
        }
    };

    // Partition values per file, and their types.
    let mut partitions: Vec<Vec<(String, String)>> = vec![vec![]; files.len()];
    let mut partition_cols: Vec<(String, DataType)> = vec![];
    if opts.hive_partitioning {
        let mut i = 0;
        for (url, fs) in &listed {
            let base = url.prefix().to_string();
            for f in fs {
                partitions[i] = hive_values(&base, f);
                i += 1;
            }
        }
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut order: Vec<String> = vec![];
        for pv in &partitions {
            for (k, v) in pv {
                if !values.contains_key(k) {
                    order.push(k.clone());
                }
                values.entry(k.clone()).or_default().push(v.clone());
            }
        }
        for k in order {
            if schema.field_with_name(&k).is_ok() {
                continue; // the files hold the column themselves
            }
            let hinted = opts.schema.as_ref().and_then(|s| s.field_with_name(&k).ok().map(|f| f.data_type().clone()));
            let t = hinted.unwrap_or_else(|| infer_partition_type(values[&k].iter()));
            partition_cols.push((k, t));
        }
    }

    // DataFusion reads a table's files in path order; paths given in another
    // order are read in the user's order (Daft's), one scan per file.
    let in_path_order = files.windows(2).all(|w| w[0] <= w[1]);
    let single_scan =
        opts.file_path_column.is_none() && in_path_order && (partition_cols.is_empty() || listed.len() == 1);
    if single_scan {
        let table_urls = if partition_cols.is_empty() { file_urls } else { vec![listed[0].0.clone()] };
        let listing = listing.with_table_partition_cols(partition_cols.clone());
        let config =
            ListingTableConfig::new_with_multi_paths(table_urls).with_listing_options(listing).with_schema(schema);
        let table = ListingTable::try_new(config)?;
        return LogicalPlanBuilder::scan("scan", provider_as_source(Arc::new(table)), None)?.build();
    }

    // One scan per file with its path and partition values as literal columns.
    let mut plan: Option<LogicalPlanBuilder> = None;
    for (i, url) in file_urls.into_iter().enumerate() {
        let config = ListingTableConfig::new(url).with_listing_options(listing.clone()).with_schema(schema.clone());
        let table = ListingTable::try_new(config)?;
        let mut exprs: Vec<Expr> = schema
            .fields()
            .iter()
            .map(|f| Expr::Column(datafusion::common::Column::new_unqualified(f.name())))
            .collect();
        for (k, t) in &partition_cols {
            let raw = partitions[i].iter().find(|(pk, _)| pk == k).map(|(_, v)| v.as_str());
            let value = match raw {
                Some(v) if v != HIVE_NULL => ScalarValue::try_from_string(v.to_string(), t)?,
                _ => ScalarValue::try_from(t)?,
            };
            exprs.push(lit(value).alias(k));
        }
        if let Some(c) = &opts.file_path_column {
            let shown = crate::stores::display_location(files[i].strip_prefix("file://").unwrap_or(&files[i]));
            exprs.push(lit(shown).alias(c));
        }
        let one =
            LogicalPlanBuilder::scan("scan", provider_as_source(Arc::new(table)), None)?.project(exprs)?.build()?;
        plan = Some(match plan {
            None => LogicalPlanBuilder::from(one),
            Some(b) => b.union(one)?,
        });
    }
    plan.ok_or_else(|| not_found(&paths.join(", ")))?.build()
}

/// One line per table scan of an optimized plan: what the optimizer pushed
/// into it (as Daft's explain lists `Pushdowns`): the columns read
/// (`projection`), the filters the source prunes with (`filter`: row-group
/// statistics and the page index; a filter above the scan still checks each
/// row), the filters it applies exactly (`partition_filter`: hive partition
/// columns, whole files skipped) and the row `limit`.
pub fn pushdowns(plan: &LogicalPlan) -> Result<Vec<String>> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::TableProviderFilterPushDown;
    use datafusion::logical_expr::expr_rewriter::unnormalize_col;

    let mut lines = Vec::new();
    plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let mut parts = Vec::new();
            if scan.projection.is_some() {
                let names: Vec<&str> = scan.projected_schema.fields().iter().map(|f| f.name().as_str()).collect();
                parts.push(format!("projection=[{}]", names.join(", ")));
            }
            let filters: Vec<&Expr> = scan.filters.iter().collect();
            let kinds = scan.source.supports_filters_pushdown(&filters)?;
            let show = |want: &dyn Fn(&TableProviderFilterPushDown) -> bool| {
                let picked: Vec<String> = filters
                    .iter()
                    .zip(&kinds)
                    .filter(|(_, k)| want(k))
                    .map(|(f, _)| unnormalize_col((*f).clone()).human_display().to_string())
                    .collect();
                picked.join(", ")
            };
            let inexact = show(&|k| matches!(k, TableProviderFilterPushDown::Inexact));
            let exact = show(&|k| matches!(k, TableProviderFilterPushDown::Exact));
            if !inexact.is_empty() {
                parts.push(format!("filter=[{inexact}]"));
            }
            if !exact.is_empty() {
                parts.push(format!("partition_filter=[{exact}]"));
            }
            if let Some(n) = scan.fetch {
                parts.push(format!("limit={n}"));
            }
            let shown = if parts.is_empty() { "none".to_string() } else { parts.join(", ") };
            lines.push(format!("{}: {shown}", scan.table_name));
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(lines)
}
