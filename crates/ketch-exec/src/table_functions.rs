//! SQL table functions `read_parquet('path')`, `read_csv('path')` and
//! `read_json('path')`: the same sources as the Python readers (paths,
//! folders, globs), with schema inference.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::datasource::ViewTable;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;

use ketch_io::formats::{CsvDialect, Format};
use ketch_io::scan::{ScanOptions, scan};

#[derive(Debug)]
struct ReadFiles {
    name: &'static str,
    format: Format,
}

impl TableFunctionImpl for ReadFiles {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let paths: Vec<String> = match args.exprs() {
            [Expr::Literal(ScalarValue::Utf8(Some(p)) | ScalarValue::Utf8View(Some(p)), _)] => vec![p.clone()],
            _ => return plan_err!("{}() takes one path string, e.g. {}('data/*.parquet')", self.name, self.name),
        };
        let opts = ScanOptions { infer_schema: true, ..Default::default() };
        let session = args.session();
        // Table functions are synchronous; planning runs on the multi-thread
        // runtime, so the listing and schema inference wait in place.
        let plan = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(scan(session, &paths, &self.format, &opts))
        })?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}

/// Registers the table functions in `ctx`.
pub fn register(ctx: &SessionContext) {
    let csv = CsvDialect {
        has_headers: true,
        delimiter: b',',
        quote: b'"',
        escape_char: None,
        comment: None,
        double_quote: true,
    };
    for (name, format) in
        [("read_parquet", Format::Parquet), ("read_csv", Format::Csv(csv)), ("read_json", Format::Json)]
    {
        ctx.register_udtf(name, Arc::new(ReadFiles { name, format }));
    }
}
