//! File sinks: writes of any format in [`crate::formats`] (Parquet, CSV,
//! JSON) to local folders and object stores (through the session's object
//! store registry) that never leave partial output. Staging, file sizes and
//! the commit live here; each format's own write is in its `formats` file.
//! The physical write operator over a plan is `ketch_exec::write::WriteExec`.
//!
//! Files are first written under a hidden staging prefix inside the target
//! (`<root>/.ketch-staging-<uuid>/`, skipped by readers); only after every
//! file is written are they moved to their final names (Daft's
//! `<uuid>-<n>.<ext>`, one uuid per folder), and for the overwrite modes the
//! files they replace removed last, through a commit journal
//! ([`crate::commit`]) that a later read or write finishes if the process is
//! killed on the way. A failed or cancelled query removes the staging
//! objects and leaves the target as it was; a storage failure once the
//! journal is written leaves it, with the staged files, for the next read or
//! write to finish.
//!
//! File and row-group sizes follow Daft's execution config: a file holds
//! about `target_file_bytes` of in-memory (Arrow) data, a Parquet row group
//! about `target_row_group_bytes`; rows per file and per row group come from
//! the in-memory size per row of the first batch.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::provider_as_source;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::{SendableRecordBatchStream, SessionStateBuilder, TaskContext};
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::DataFrame;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::commit;
use crate::formats::{Layout, WriteFormat};
use crate::storage;

/// Daft's `write_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum WriteMode {
    Append,
    Overwrite,
    OverwritePartitions,
}

impl WriteMode {
    /// Daft's name for the mode.
    pub fn name(&self) -> &'static str {
        match self {
            WriteMode::Append => "append",
            WriteMode::Overwrite => "overwrite",
            WriteMode::OverwritePartitions => "overwrite-partitions",
        }
    }

    /// The mode Daft names `name`; None for another name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "append" => Some(WriteMode::Append),
            "overwrite" => Some(WriteMode::Overwrite),
            "overwrite-partitions" => Some(WriteMode::OverwritePartitions),
            _ => None,
        }
    }
}

/// What to write where, and how.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct WriteOptions {
    /// The target folder (or file, for `single_file`): a local path or a URL
    /// as the object-store registry knows it (a URL written with an
    /// `IOConfig` carries the config's tag in its scheme, see
    /// [`crate::stores`]).
    pub location: String,
    pub format: WriteFormat,
    pub mode: WriteMode,
    /// Hive partition columns (`root/k=v/...`).
    pub partition_cols: Vec<String>,
    /// Write exactly one file at `location` itself.
    pub single_file: bool,
    /// Write an empty `_SUCCESS` object in the root folder after the commit.
    pub write_success_file: bool,
    /// In-memory bytes per file (Daft: target file size x inflation factor).
    pub target_file_bytes: u64,
    /// In-memory bytes per Parquet row group.
    pub target_row_group_bytes: u64,
}

/// Writes the rows of `input` under `opts.location` (a local path or a URL
/// whose store the task's registry serves); returns the written files'
/// paths relative to the location (`k=v/<uuid>-0.parquet`; `""` for
/// `single_file`). `input` gives the rows in the order the files are to
/// hold them (e.g. a plan's partitions in order); it is first polled once
/// the target folder is recovered and leased, so a stream that starts its
/// query on the first poll starts it then.
///
/// Errors: the query's error, or a storage error naming the path; the data
/// files under the location are then those that were there before, except
/// after a storage error in the commit's last steps, which the error names:
/// the next read or write of the location finishes that commit. A
/// cancelled query (see `ketch_exec::cancel`) fails like any other, unless
/// its commit had begun, which then completes.
pub async fn write(
    ctx: Arc<TaskContext>,
    input: SendableRecordBatchStream,
    opts: &WriteOptions,
) -> Result<Vec<String>> {
    let root = opts.location.as_str();
    let root_url = storage::parse_url(root)?;
    let store = ctx.runtime_env().object_store(ObjectStoreUrl::parse(storage::store_url(&root_url))?)?;
    let root_path = storage::object_path(&root_url)?;
    let local = root_url.scheme() == "file";
    let id = uuid::Uuid::new_v4().to_string();
    let staging_name = format!("{}{id}", commit::STAGING_PREFIX);
    let started = chrono::Utc::now();
    let (folder, folder_url) = if opts.single_file {
        let parent = root_path.parts().collect::<Vec<_>>();
        let parent: Path = parent[..parent.len().saturating_sub(1)].iter().cloned().collect();
        (parent, root_url.join(".").map_err(|e| url_error(&root_url, e))?)
    } else {
        (root_path.clone(), ensure_folder(&root_url))
    };
    let staging = folder.clone().join(staging_name.as_str());
    let staging_url = folder_url.join(&format!("{staging_name}/")).map_err(|e| url_error(&folder_url, e))?;
    let context = |e: DataFusionError| e.context(format!("writing {}", crate::stores::display_location(root)));

    // A write killed earlier in this folder is finished before anything else.
    commit::recover(&store, &folder, local).await.map_err(context)?;
    let lease = commit::Lease::take(&store, &staging, local).await.map_err(context)?;
    let staged = match write_staged(ctx, input, staging_url.as_str(), opts).await {
        Ok(()) => list(&store, &staging).await,
        Err(e) => Err(e),
    };
    let result = match staged {
        Ok(_) if !commit::Lease::held(&store, &staging).await => Err(DataFusionError::Execution(format!(
            "another write to the folder removed this write's staged files ({staging}) as abandoned; nothing was committed"
        ))),
        Ok(staged) => commit(&store, &folder, &root_path, (&staging, &id), staged, opts).await,
        Err(e) => Err(e),
    };
    // A journal left by a failed commit still needs the staged files.
    if result.is_ok() || store.head(&commit::journal_path(&folder, &id)?).await.is_err() {
        commit::remove_staging(&store, &staging, local).await;
    }
    drop(lease);
    let written = result.map_err(context)?;
    let overwrite = opts.mode != WriteMode::Append;
    commit::remove_stale_staging(&store, &folder, &id, started, overwrite, local).await;
    if opts.write_success_file {
        store.put(&folder.clone().join("_SUCCESS"), PutPayload::new()).await?;
    }
    Ok(written)
}

fn url_error(url: &url::Url, e: url::ParseError) -> DataFusionError {
    DataFusionError::Execution(format!("invalid URL {url}: {e}"))
}

fn ensure_folder(url: &url::Url) -> url::Url {
    let mut url = url.clone();
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    url
}

/// Every object under `prefix` (recursively) but the write's lease marker, sorted.
async fn list(store: &Arc<dyn ObjectStore>, prefix: &Path) -> Result<Vec<Path>> {
    let mut out: Vec<Path> = store
        .list(Some(prefix))
        .map_ok(|m| m.location)
        .try_filter(|p| std::future::ready(p.filename() != Some(commit::LIVE_MARKER)))
        .try_collect()
        .await?;
    out.sort();
    Ok(out)
}

/// `path`'s segments below `base` (None when not below it).
fn relative(base: &Path, path: &Path) -> Option<Vec<String>> {
    path.prefix_match(base).map(|parts| parts.map(|p| p.as_ref().to_string()).collect())
}

/// A stream that can be executed once: the query's batches, re-fed to
/// DataFusion's file sinks.
struct OnceStream {
    schema: SchemaRef,
    stream: Mutex<Option<SendableRecordBatchStream>>,
}

impl std::fmt::Debug for OnceStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnceStream").field("schema", &self.schema).finish_non_exhaustive()
    }
}

impl PartitionStream for OnceStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self.stream.lock().ok().and_then(|mut s| s.take());
        taken.unwrap_or_else(|| {
            let err = DataFusionError::Internal("a write's input stream was executed twice".into());
            Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), futures::stream::once(async { Err(err) })))
        })
    }
}

/// Writes the rows of `stream` as files under the folder URL `staging`.
async fn write_staged(
    ctx: Arc<TaskContext>,
    mut stream: SendableRecordBatchStream,
    staging: &str,
    opts: &WriteOptions,
) -> Result<()> {
    let schema = stream.schema();
    // The first non-empty batch gives the in-memory size of a row.
    let mut head = Vec::new();
    let mut row_bytes = 1.0f64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let rows = batch.num_rows();
        let bytes: usize = batch.columns().iter().map(|c| c.to_data().get_slice_memory_size().unwrap_or(0)).sum();
        head.push(batch);
        if rows > 0 {
            row_bytes = (bytes as f64 / rows as f64).max(1.0);
            break;
        }
    }
    // No rows at all: one file holding the schema, as Daft writes (a
    // partitioned write has no partition to write it to).
    if head.iter().all(|b| b.num_rows() == 0) && opts.partition_cols.is_empty() {
        head = vec![arrow::array::RecordBatch::new_empty(schema.clone())];
    }
    let rows_for = |target: u64| ((target as f64 / row_bytes) as usize).max(1);
    let file_rows = rows_for(opts.target_file_bytes);
    // DataFusion starts a new file between batches only: no batch may hold
    // more than a file's rows.
    let batches =
        crate::batches::split_stream(futures::stream::iter(head.into_iter().map(Ok)).chain(stream), file_rows);
    let input: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(schema.clone(), batches));

    let mut config = ctx.session_config().clone();
    let options = config.options_mut();
    options.set("datafusion.execution.soft_max_rows_per_output_file", &file_rows.to_string())?;
    // One file at a time per folder, filled to the target before the next
    // (Parquet still encodes columns in parallel).
    options.set("datafusion.execution.minimum_parallel_output_files", "1")?;
    // DataFusion's own file sinks plan the files; they need no ketch rule.
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(ctx.runtime_env())
        .with_default_features()
        .build();
    let table = StreamingTable::try_new(
        schema.clone(),
        vec![Arc::new(OnceStream { schema, stream: Mutex::new(Some(input)) })],
    )?;
    let scan = LogicalPlanBuilder::scan("write_input", provider_as_source(Arc::new(table)), None)?.build()?;
    let df = DataFrame::new(state, scan);

    let target = if opts.single_file { format!("{staging}single.{}", opts.format.extension()) } else { staging.into() };
    let layout = Layout {
        single_file: opts.single_file,
        partition_cols: opts.partition_cols.clone(),
        row_group_rows: rows_for(opts.target_row_group_bytes),
    };
    opts.format.write(df, target, &layout).await
}

/// Moves the staged files to their final names and, for the overwrite
/// modes, then removes the data files they replace, through the commit
/// journal (see [`crate::commit`]).
async fn commit(
    store: &Arc<dyn ObjectStore>,
    folder: &Path,
    root: &Path,
    (staging, id): (&Path, &str),
    staged: Vec<Path>,
    opts: &WriteOptions,
) -> Result<Vec<String>> {
    let old = match opts.mode {
        WriteMode::Append => vec![],
        _ if opts.single_file => vec![],
        _ => existing_data_files(store, folder).await?,
    };
    // Final names: per folder one uuid, files numbered in staging order.
    let mut by_folder: BTreeMap<Vec<String>, Vec<Path>> = BTreeMap::new();
    for file in staged {
        let mut rel = relative(staging, &file)
            .ok_or_else(|| DataFusionError::Internal(format!("{file} is outside the staging prefix {staging}")))?;
        rel.pop();
        by_folder.entry(rel).or_default().push(file);
    }
    let in_folder = |p: &Path| relative(folder, p).map(|rel| rel.join("/"));
    let mut journal = commit::Journal::default();
    let mut written = Vec::new();
    for (dirs, mut files) in by_folder {
        // DataFusion numbers a folder's files `<id>_<n>` in write order.
        files.sort_by_key(|f| {
            let stem = f.filename().unwrap_or_default().split('.').next().unwrap_or_default();
            stem.rsplit('_').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
        });
        let file_id = uuid::Uuid::new_v4();
        for (n, file) in files.into_iter().enumerate() {
            let from =
                in_folder(&file).ok_or_else(|| DataFusionError::Internal(format!("{file} is outside {folder}")))?;
            if opts.single_file {
                let to =
                    in_folder(root).ok_or_else(|| DataFusionError::Internal(format!("{root} is outside {folder}")))?;
                journal.moves.push((from, to));
                written.push(String::new());
                continue;
            }
            let mut rel = dirs.clone();
            rel.push(format!("{file_id}-{n}.{}", opts.format.extension()));
            let rel = rel.join("/");
            journal.moves.push((from, rel.clone()));
            written.push(rel);
        }
    }
    if !opts.single_file {
        let replaced: Vec<Path> = match opts.mode {
            WriteMode::Append => vec![],
            WriteMode::Overwrite => old,
            WriteMode::OverwritePartitions => {
                let parent = |rel: &str| rel.rsplit_once('/').map_or(String::new(), |(dirs, _)| dirs.to_string());
                let new_dirs: std::collections::HashSet<String> = written.iter().map(|w| parent(w)).collect();
                old.into_iter().filter(|p| in_folder(p).is_some_and(|rel| new_dirs.contains(&parent(&rel)))).collect()
            }
        };
        journal.deletes = replaced.iter().filter_map(in_folder).collect();
    }
    commit::commit(store, folder, id, &journal).await?;
    Ok(written)
}

/// Data files already under `folder`: no segment hidden (`.x`, `_x`).
async fn existing_data_files(store: &Arc<dyn ObjectStore>, folder: &Path) -> Result<Vec<Path>> {
    let all = match list(store, folder).await {
        Ok(all) => all,
        Err(DataFusionError::ObjectStore(e)) if matches!(*e, object_store::Error::NotFound { .. }) => vec![],
        Err(e) => return Err(e),
    };
    Ok(all
        .into_iter()
        .filter(|p| relative(folder, p).is_some_and(|rel| rel.iter().all(|s| !s.starts_with(['.', '_']))))
        .collect())
}
