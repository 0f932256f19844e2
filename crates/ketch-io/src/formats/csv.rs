//! CSV: Daft's `read_csv` dialect and DataFusion's CSV format for scans;
//! `write_csv` through DataFusion's CSV sink.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::CsvOptions;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::prelude::DataFrame;

use super::Layout;

/// CSV dialect (Daft's `read_csv` options).
#[derive(Debug, Clone)]
pub struct CsvDialect {
    pub has_headers: bool,
    pub delimiter: u8,
    pub quote: u8,
    pub escape_char: Option<u8>,
    pub comment: Option<u8>,
    pub double_quote: bool,
}

/// DataFusion's CSV format reading `d`.
pub(crate) fn file_format(d: &CsvDialect) -> Arc<dyn FileFormat> {
    let options = CsvOptions {
        has_header: Some(d.has_headers),
        delimiter: d.delimiter,
        quote: d.quote,
        escape: d.escape_char,
        comment: d.comment,
        double_quote: Some(d.double_quote),
        ..Default::default()
    };
    Arc::new(CsvFormat::default().with_options(options))
}

/// The options of a CSV write (see [`super::WriteFormat::Csv`]).
pub(crate) struct WriteCsv {
    pub delimiter: u8,
    pub quote: u8,
    pub escape: Option<u8>,
    pub header: bool,
    pub date_format: Option<String>,
    pub timestamp_format: Option<String>,
}

/// Writes `df` as CSV files at `target`.
pub(crate) async fn write(df: DataFrame, target: String, layout: &Layout, o: WriteCsv) -> Result<()> {
    let csv = CsvOptions {
        delimiter: o.delimiter,
        quote: o.quote,
        escape: o.escape,
        has_header: Some(o.header),
        date_format: o.date_format,
        timestamp_format: o.timestamp_format,
        ..Default::default()
    };
    df.write_csv(&target, layout.write_options(), Some(csv)).await?;
    Ok(())
}
