//! Plans that travel: each kind of node ketch produces, run directly and
//! after `NativeRunner::round_trip` (the optimized logical plan and then the
//! physical plan through bytes and back), gives the same rows.
//! (UDF projections: `tests/udf.rs`; media morsels: `tests/multimodal.rs`.)

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::pretty::pretty_format_batches;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, not_impl_err};
use datafusion::datasource::{TableType, provider_as_source};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::SessionContext;
use ketch_exec::codec::{HostSources, KetchCodec};
use ketch_exec::host_scan::{HostScanExec, HostStream};
use ketch_exec::runner::NativeRunner;
use ketch_exec::{ExecConfig, new_session};
use ketch_io::formats::WriteFormat;
use ketch_io::sink::{WriteMode, WriteOptions};
use ketch_plan::udf::{UdfDecoder, UdfHandle};

#[derive(Debug)]
struct NoUdfs;

impl UdfDecoder for NoUdfs {
    fn decode(&self, name: &str, _: &[u8]) -> Result<Arc<dyn UdfHandle>> {
        not_impl_err!("no UDF {name}")
    }
}

/// A host table of `n` rows `0..n`, standing in for a Python reader.
#[derive(Debug)]
struct Count {
    n: i64,
    schema: SchemaRef,
}

fn count(n: i64) -> Count {
    Count { n, schema: Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false)])) }
}

impl HostStream for Count {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }
    fn execute(&self, _: Arc<TaskContext>) -> SendableRecordBatchStream {
        let batch = RecordBatch::try_new(self.schema.clone(), vec![Arc::new(Int64Array::from_iter_values(0..self.n))]);
        let stream = futures::stream::iter(vec![batch.map_err(Into::into)]);
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
    fn encode(&self) -> Result<Vec<u8>> {
        Ok(self.n.to_le_bytes().to_vec())
    }
}

#[async_trait]
impl TableProvider for Count {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn table_type(&self) -> TableType {
        TableType::Base
    }
    async fn scan(
        &self,
        _: &dyn Session,
        _: Option<&Vec<usize>>,
        _: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(HostScanExec::new(Arc::new(count(self.n)), limit)))
    }
}

#[derive(Debug)]
struct CountSources;

fn n_of(buf: &[u8]) -> Result<i64> {
    match buf.try_into() {
        Ok(b) => Ok(i64::from_le_bytes(b)),
        Err(_) => not_impl_err!("not a count"),
    }
}

impl HostSources for CountSources {
    fn encode_table(&self, table: &dyn TableProvider) -> Option<Result<Vec<u8>>> {
        table.downcast_ref::<Count>().map(|c| Ok(c.n.to_le_bytes().to_vec()))
    }
    fn decode_table(&self, buf: &[u8]) -> Result<Arc<dyn TableProvider>> {
        Ok(Arc::new(count(n_of(buf)?)))
    }
    fn decode_stream(&self, buf: &[u8]) -> Result<Arc<dyn HostStream>> {
        Ok(Arc::new(count(n_of(buf)?)))
    }
}

fn runner() -> Result<(SessionContext, NativeRunner)> {
    let ctx = new_session(&ExecConfig { batch_size: 8192, num_threads: 2, ..Default::default() })?;
    let codec = KetchCodec::new(Arc::new(NoUdfs), Arc::new(CountSources));
    Ok((ctx.clone(), NativeRunner::new(ctx, codec)))
}

fn table() -> Result<RecordBatch> {
    let schema = Schema::new(vec![
        Field::new("o", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
        Field::new("x", DataType::Int64, true),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            Arc::new(StringArray::from(vec![Some("a b"), None, Some("c d"), Some("e")])),
            Arc::new(Int64Array::from(vec![None, Some(5), None, Some(7)])),
        ],
    )?)
}

/// The rows of `plan`, run directly and after the round trip: (schema,
/// pretty-printed rows) each.
async fn both(runner: &NativeRunner, plan: &LogicalPlan) -> Result<[(SchemaRef, String); 2]> {
    let direct = runner.collect(plan, &Default::default(), &Default::default()).await?;
    let travelled = runner.round_trip(plan).await?;
    let after = runner.collect_physical(travelled, &Default::default(), &Default::default()).await?;
    Ok([
        (direct.schema, pretty_format_batches(&direct.batches)?.to_string()),
        (after.schema, pretty_format_batches(&after.batches)?.to_string()),
    ])
}

#[tokio::test]
async fn queries_give_the_same_rows_after_the_round_trip() -> Result<()> {
    let (ctx, runner) = runner()?;
    ctx.register_batch("t", table()?)?;
    let queries = [
        // an in-memory table and a filter
        "select o, s from t where o > 1 order by o",
        // kernels made by Daft functions' expansions, some closing over literals
        "select o, capitalize(s) as c, regexp_split(s, ' ') as parts, count_matches(s, ['a', 'd']) as m from t order by o",
        // a window function with IGNORE NULLS
        "select o, last_value(x) ignore nulls over (order by o rows between unbounded preceding and current row) as lv \
         from t order by o",
        // a limit the optimizer folds into an empty relation keeps its schema
        "select * from t limit 0",
    ];
    for sql in queries {
        let plan = ctx.sql(sql).await?.into_unoptimized_plan();
        let [direct, after] = both(&runner, &plan).await?;
        assert_eq!(direct, after, "{sql}");
        assert!(sql.contains("limit 0") || direct.1.lines().count() > 4, "{sql}: no rows\n{}", direct.1);
    }
    Ok(())
}

#[tokio::test]
async fn host_scans_and_file_scans_travel() -> Result<()> {
    let (ctx, runner) = runner()?;
    let host =
        LogicalPlanBuilder::scan("count", provider_as_source(Arc::new(count(5))), None)?.limit(0, Some(3))?.build()?;
    let [direct, after] = both(&runner, &host).await?;
    assert_eq!(direct, after);
    assert_eq!(direct.1.matches('|').count(), 2 * 4, "3 rows and a header\n{}", direct.1);

    let dir = std::env::temp_dir().join(format!("ketch-codec-{}", std::process::id()));
    ctx.register_batch("t", table()?)?;
    ctx.sql("select * from t").await?.write_parquet(dir.to_str().unwrap_or_default(), Default::default(), None).await?;
    let scan = ctx.read_parquet(dir.to_str().unwrap_or_default(), Default::default()).await?;
    let plan = scan.sort(vec![datafusion::prelude::col("o").sort(true, false)])?.into_unoptimized_plan();
    let [direct, after] = both(&runner, &plan).await?;
    assert_eq!(direct, after);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn a_write_runs_after_the_round_trip() -> Result<()> {
    let (ctx, runner) = runner()?;
    ctx.register_batch("t", table()?)?;
    let dir = std::env::temp_dir().join(format!("ketch-codec-write-{}", std::process::id()));
    let location = dir.to_str().unwrap_or_default().to_string();
    let options = WriteOptions {
        location: location.clone(),
        format: WriteFormat::Csv {
            delimiter: b';',
            quote: b'"',
            escape: None,
            header: true,
            date_format: None,
            timestamp_format: None,
        },
        mode: WriteMode::Overwrite,
        partition_cols: vec!["o".into()],
        single_file: false,
        write_success_file: true,
        target_file_bytes: 1 << 20,
        target_row_group_bytes: 1 << 20,
    };
    let input = ctx.sql("select * from t").await?.into_unoptimized_plan();
    let plan = ketch_plan::write::Write::try_new(Arc::new(input), options)?.into_plan();
    let travelled = runner.round_trip(&plan).await?;
    assert!(
        format!("{}", datafusion::physical_plan::displayable(travelled.as_ref()).indent(true)).contains("WriteExec")
    );
    let batches = runner.collect_physical(travelled, &Default::default(), &Default::default()).await?.batches;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 4, "one file per partition value");
    let written =
        ctx.read_csv(format!("{location}/"), datafusion::prelude::CsvReadOptions::new().delimiter(b';')).await?;
    assert_eq!(written.count().await?, 4);
    assert!(dir.join("_SUCCESS").exists());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
