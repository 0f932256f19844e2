//! Parquet: DataFusion's Parquet format for scans (field metadata kept: it
//! carries Daft's logical types); `write_parquet` through DataFusion's
//! Parquet sink with Daft's codecs and row-group size.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::{ParquetColumnOptions, TableParquetOptions};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::prelude::DataFrame;

use super::Layout;

/// DataFusion's Parquet format, keeping field metadata.
pub(crate) fn file_format() -> Arc<dyn FileFormat> {
    // Field metadata carries Daft's logical types (images, embeddings, ...): keep it.
    Arc::new(ParquetFormat::default().with_skip_metadata(false))
}

/// Writes `df` as Parquet files at `target`: `compression` for every column
/// but those `column_compression` names, `layout.row_group_rows` rows per
/// row group.
pub(crate) async fn write(
    df: DataFrame,
    target: String,
    layout: &Layout,
    compression: &str,
    column_compression: &[(String, String)],
) -> Result<()> {
    let mut parquet = TableParquetOptions::default();
    parquet.global.compression = Some(codec(compression));
    parquet.global.max_row_group_size = layout.row_group_rows;
    for (column, compression) in column_compression {
        let column_options = ParquetColumnOptions { compression: Some(codec(compression)), ..Default::default() };
        parquet.column_specific_options.insert(column.clone(), column_options);
    }
    df.write_parquet(&target, layout.write_options(), Some(parquet)).await?;
    Ok(())
}

/// Daft's codec names as DataFusion's (a codec with levels at the parquet
/// crate's default level).
fn codec(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "none" | "uncompressed" => "uncompressed".to_string(),
        "zstd" => "zstd(1)".to_string(),
        "gzip" => "gzip(6)".to_string(),
        "brotli" => "brotli(1)".to_string(),
        other => other.to_string(),
    }
}
