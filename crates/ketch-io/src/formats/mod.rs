//! The file formats ketch reads and writes, one file each: its scan options
//! and DataFusion `FileFormat` (for [`crate::scan`]) and its write path (for
//! [`crate::sink`]). [`Format`] and [`WriteFormat`] name a format and its
//! options; everything format-independent (listing, staging, the commit) is
//! elsewhere in the crate.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::file_format::FileFormat;
use datafusion::prelude::DataFrame;

pub mod csv;
pub mod json;
pub mod parquet;

pub use csv::CsvDialect;

/// A file format to read.
#[derive(Debug, Clone)]
pub enum Format {
    Parquet,
    Csv(CsvDialect),
    Json,
}

impl Format {
    /// DataFusion's file format that reads it.
    pub fn file_format(&self) -> Arc<dyn FileFormat> {
        match self {
            Format::Parquet => parquet::file_format(),
            Format::Csv(d) => csv::file_format(d),
            Format::Json => json::file_format(),
        }
    }
}

/// The file format of a write and its options.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub enum WriteFormat {
    /// Parquet with a codec name (`snappy`, `zstd`, `gzip`, `lz4`, `brotli`,
    /// `none`) for every column, and codecs for single columns.
    Parquet { compression: String, column_compression: Vec<(String, String)> },
    /// CSV: single-byte delimiter, quote and escape; a header line; chrono
    /// formats for dates and timestamps (None: RFC 3339).
    Csv {
        delimiter: u8,
        quote: u8,
        escape: Option<u8>,
        header: bool,
        date_format: Option<String>,
        timestamp_format: Option<String>,
    },
    /// JSON lines; null fields written as `null` with `explicit_nulls`
    /// (Daft's default), else left out (`ignore_null_fields`).
    Json { explicit_nulls: bool },
}

impl WriteFormat {
    /// The file name extension (`parquet`, `csv`, `json`).
    pub fn extension(&self) -> &'static str {
        match self {
            WriteFormat::Parquet { .. } => "parquet",
            WriteFormat::Csv { .. } => "csv",
            WriteFormat::Json { .. } => "json",
        }
    }

    /// Writes `df`'s rows as files at `target` (a folder URL, or a file URL
    /// for a single file) laid out as `layout` says.
    pub(crate) async fn write(&self, df: DataFrame, target: String, layout: &Layout) -> Result<()> {
        match self {
            WriteFormat::Parquet { compression, column_compression } => {
                parquet::write(df, target, layout, compression, column_compression).await
            }
            WriteFormat::Csv { delimiter, quote, escape, header, date_format, timestamp_format } => {
                let options = csv::WriteCsv {
                    delimiter: *delimiter,
                    quote: *quote,
                    escape: *escape,
                    header: *header,
                    date_format: date_format.clone(),
                    timestamp_format: timestamp_format.clone(),
                };
                csv::write(df, target, layout, options).await
            }
            WriteFormat::Json { explicit_nulls } => json::write(df, target, layout, *explicit_nulls).await,
        }
    }
}

/// How a write's rows go into files, whatever the format: one file, or
/// files under hive partition folders; rows per Parquet row group.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub single_file: bool,
    pub partition_cols: Vec<String>,
    pub row_group_rows: usize,
}

impl Layout {
    /// The layout as DataFusion's `DataFrame` write options.
    pub(crate) fn write_options(&self) -> DataFrameWriteOptions {
        if self.single_file {
            DataFrameWriteOptions::new().with_single_file_output(true)
        } else {
            DataFrameWriteOptions::new().with_partition_by(self.partition_cols.clone())
        }
    }
}
