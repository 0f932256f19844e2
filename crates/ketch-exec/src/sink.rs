//! File sinks: Parquet, CSV and JSON writes that never leave partial output.
//!
//! Files are first written into a hidden staging folder inside the target
//! (`.ketch-staging-*`, skipped by readers); only after every file is written
//! are they moved into place, and for `overwrite` the old files removed. A
//! failed query removes the staging folder and leaves the target as it was.

use std::path::{Path, PathBuf};

use datafusion::common::config::{CsvOptions, JsonOptions, TableParquetOptions};
use datafusion::common::{DataFusionError, Result};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionContext};

/// The file format of a write and its options.
#[derive(Debug, Clone)]
pub enum WriteFormat {
    /// Parquet with a compression codec name (`snappy`, `zstd`, `gzip`, `lz4`, `brotli`, `none`).
    Parquet {
        compression: String,
    },
    Csv {
        delimiter: u8,
        header: bool,
    },
    Json,
}

/// Daft's `write_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Append,
    Overwrite,
    OverwritePartitions,
}

fn io_err(context: &str, path: &Path, e: std::io::Error) -> DataFusionError {
    DataFusionError::External(Box::new(std::io::Error::new(e.kind(), format!("{context} {}: {e}", path.display()))))
}

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{nanos:x}", std::process::id())
}

/// Every regular file under `dir` (recursively), sorted.
fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Data files already in `root`: not hidden (`.x`, `_x`) at any level.
fn existing_data_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !root.exists() {
        return Ok(vec![]);
    }
    Ok(files_under(root)?
        .into_iter()
        .filter(|p| {
            p.strip_prefix(root)
                .map(|rel| rel.components().all(|c| !c.as_os_str().to_string_lossy().starts_with(['.', '_'])))
                .unwrap_or(false)
        })
        .collect())
}

/// Writes the result of `plan` under the local folder `root` and returns the
/// paths of the files written. `partition_cols` gives a hive layout
/// (`root/k=v/...`).
///
/// Errors: the query's error, or an I/O error naming the path; either way the
/// files under `root` are those that were there before.
pub async fn write(
    ctx: &SessionContext,
    plan: LogicalPlan,
    root: &str,
    format: &WriteFormat,
    mode: WriteMode,
    partition_cols: Vec<String>,
) -> Result<Vec<String>> {
    let root = PathBuf::from(root.strip_prefix("file://").unwrap_or(root));
    std::fs::create_dir_all(&root).map_err(|e| io_err("cannot create folder", &root, e))?;
    let staging = root.join(format!(".ketch-staging-{}", unique_suffix()));
    std::fs::create_dir_all(&staging).map_err(|e| io_err("cannot create folder", &staging, e))?;

    let result = write_staged(ctx, plan, &staging, format, partition_cols.clone()).await;
    let staged = match result {
        Ok(()) => files_under(&staging).map_err(|e| io_err("cannot list", &staging, e)),
        Err(e) => Err(e),
    };
    let staged = match staged {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let committed = commit(&root, &staging, &staged, mode);
    let _ = std::fs::remove_dir_all(&staging);
    committed
}

async fn write_staged(
    ctx: &SessionContext,
    plan: LogicalPlan,
    staging: &Path,
    format: &WriteFormat,
    partition_cols: Vec<String>,
) -> Result<()> {
    let df = DataFrame::new(ctx.state(), plan);
    let options = DataFrameWriteOptions::new().with_partition_by(partition_cols);
    // A trailing slash tells DataFusion the path is a folder.
    let dir = format!("{}/", staging.display());
    match format {
        WriteFormat::Parquet { compression } => {
            let mut opts = TableParquetOptions::default();
            opts.global.compression = Some(match compression.as_str() {
                "none" | "uncompressed" => "uncompressed".to_string(),
                other => other.to_string(),
            });
            df.write_parquet(&dir, options, Some(opts)).await?;
        }
        WriteFormat::Csv { delimiter, header } => {
            let opts = CsvOptions { delimiter: *delimiter, has_header: Some(*header), ..Default::default() };
            df.write_csv(&dir, options, Some(opts)).await?;
        }
        WriteFormat::Json => {
            df.write_json(&dir, options, Some(JsonOptions::default())).await?;
        }
    }
    Ok(())
}

/// Moves staged files into `root`; for overwrite modes, removes the files they
/// replace only after all new files are in place.
fn commit(root: &Path, staging: &Path, staged: &[PathBuf], mode: WriteMode) -> Result<Vec<String>> {
    let old = existing_data_files(root).map_err(|e| io_err("cannot list", root, e))?;
    let mut written = Vec::with_capacity(staged.len());
    for file in staged {
        let rel = file
            .strip_prefix(staging)
            .map_err(|_| DataFusionError::Internal(format!("{} is outside the staging folder", file.display())))?;
        let target = root.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_err("cannot create folder", parent, e))?;
        }
        std::fs::rename(file, &target).map_err(|e| io_err("cannot move file to", &target, e))?;
        written.push(target);
    }
    let replaced: Vec<&PathBuf> = match mode {
        WriteMode::Append => vec![],
        WriteMode::Overwrite => old.iter().collect(),
        WriteMode::OverwritePartitions => {
            let new_dirs: std::collections::HashSet<&Path> = written.iter().filter_map(|p| p.parent()).collect();
            old.iter().filter(|p| p.parent().is_some_and(|d| new_dirs.contains(d))).collect()
        }
    };
    for f in replaced {
        std::fs::remove_file(f).map_err(|e| io_err("cannot remove old file", f, e))?;
    }
    Ok(written.iter().map(|p| p.display().to_string()).collect())
}
