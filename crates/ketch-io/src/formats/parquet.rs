//! Parquet: DataFusion's Parquet format for scans (field metadata kept: it
//! carries Daft's logical types); `write_parquet` through DataFusion's
//! Parquet sink with Daft's codecs and row-group size.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::common::config::{ParquetColumnOptions, TableParquetOptions};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTableUrl};
use datafusion::prelude::DataFrame;

/// The field metadata key naming an Arrow extension type, and Daft's own
/// extension name (its logical types keep view storage: ketch reads them).
const EXTENSION_NAME: &str = "ARROW:extension:name";
const DAFT_EXTENSION: &str = "daft.super_extension";

use super::Layout;

/// DataFusion's Parquet format, keeping field metadata.
pub(crate) fn file_format() -> Arc<dyn FileFormat> {
    // Field metadata carries Daft's logical types (images, embeddings, ...): keep it.
    Arc::new(ParquetFormat::default().with_skip_metadata(false))
}

/// `inferred` (the schema DataFusion's Parquet format gave for `url`) with
/// the file's own string and binary types back on extension columns that are
/// not Daft's: DataFusion reads strings and binaries as views, but an Arrow
/// extension type registered with pyarrow (say one with `binary` storage)
/// only accepts the storage type it was written with.
pub(crate) async fn keep_extension_storage(
    session: &dyn Session,
    url: &ListingTableUrl,
    inferred: SchemaRef,
) -> Result<SchemaRef> {
    let foreign_view = |f: &Field| {
        matches!(f.data_type(), DataType::Utf8View | DataType::BinaryView)
            && f.metadata().get(EXTENSION_NAME).is_some_and(|n| n != DAFT_EXTENSION)
    };
    if !inferred.fields().iter().any(|f| foreign_view(f)) {
        return Ok(inferred);
    }
    let format = ParquetFormat::default().with_skip_metadata(false).with_force_view_types(false);
    let plain = ListingOptions::new(Arc::new(format)).with_file_extension("").infer_schema(session, url).await?;
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| match plain.field_with_name(f.name()) {
            Ok(p) if foreign_view(f) => f.as_ref().clone().with_data_type(p.data_type().clone()),
            _ => f.as_ref().clone(),
        })
        .collect();
    Ok(Arc::new(Schema::new_with_metadata(fields, inferred.metadata().clone())))
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
