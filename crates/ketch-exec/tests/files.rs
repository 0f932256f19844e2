//! File sources and sinks against real files in a temporary folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::Result;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, col, lit};
use datafusion::prelude::{DataFrame, SessionContext};
use ketch_exec::cancel::{CancelFlag, with_cancel};
use ketch_exec::runner::execute_in_order;
use ketch_exec::{ExecConfig, new_session};
use ketch_io::formats::{Format, WriteFormat};
use ketch_io::scan::{ScanOptions, scan};
use ketch_io::sink::{WriteMode, WriteOptions};

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("ketch-exec-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_parquet(path: &Path, values: &[i64]) {
    let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(values.to_vec()))]).expect("batch");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let file = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

async fn run(ctx: &SessionContext, plan: LogicalPlan) -> Result<Vec<RecordBatch>> {
    DataFrame::new(ctx.state(), plan).collect().await
}

fn ints(batches: &[RecordBatch], column: &str) -> Vec<Option<i64>> {
    let mut out = vec![];
    for b in batches {
        let a = b.column_by_name(column).expect("column");
        let a = a.as_any().downcast_ref::<Int64Array>().expect("Int64");
        out.extend((0..a.len()).map(|i| if a.is_null(i) { None } else { Some(a.value(i)) }));
    }
    out.sort();
    out
}

fn ctx() -> Result<SessionContext> {
    new_session(&ExecConfig::default())
}

#[tokio::test]
async fn scan_reads_globs_and_skips_hidden_files() -> Result<()> {
    let dir = temp_dir("glob");
    write_parquet(&dir.join("a.parquet"), &[1, 2]);
    write_parquet(&dir.join("b.parquet"), &[3]);
    write_parquet(&dir.join(".staging/c.parquet"), &[100]);
    write_parquet(&dir.join("_tmp.parquet"), &[200]);
    let ctx = ctx()?;
    let opts = ScanOptions { infer_schema: true, ..Default::default() };
    let plan = scan(&ctx.state(), &[dir.display().to_string() + "/"], &Format::Parquet, &opts).await?;
    assert_eq!(ints(&run(&ctx, plan).await?, "v"), [Some(1), Some(2), Some(3)]);
    let plan = scan(&ctx.state(), &[format!("{}/b*.parquet", dir.display())], &Format::Parquet, &opts).await?;
    assert_eq!(ints(&run(&ctx, plan).await?, "v"), [Some(3)]);
    let missing = scan(&ctx.state(), &[format!("{}/zzz*.parquet", dir.display())], &Format::Parquet, &opts).await;
    assert!(missing.err().is_some_and(|e| e.to_string().contains("No files found")));
    Ok(())
}

#[tokio::test]
async fn hive_partitions_become_typed_columns() -> Result<()> {
    let dir = temp_dir("hive");
    write_parquet(&dir.join("year=2020/city=Oslo/x.parquet"), &[1]);
    write_parquet(&dir.join("year=2021/city=S%C3%A3o%20Paulo/x.parquet"), &[2]);
    write_parquet(&dir.join("year=__HIVE_DEFAULT_PARTITION__/city=Lima/x.parquet"), &[3]);
    let ctx = ctx()?;
    let opts = ScanOptions { infer_schema: true, hive_partitioning: true, ..Default::default() };
    let plan = scan(&ctx.state(), &[format!("{}/**/*.parquet", dir.display())], &Format::Parquet, &opts).await?;
    let schema = plan.schema().clone();
    assert_eq!(schema.field_with_unqualified_name("year")?.data_type(), &DataType::Int64);
    let plan = LogicalPlanBuilder::from(plan).filter(col("year").eq(lit(2021i64)))?.build()?;
    let batches = run(&ctx, plan).await?;
    assert_eq!(ints(&batches, "v"), [Some(2)]);
    let city = batches.iter().find(|b| b.num_rows() > 0).expect("a row").column_by_name("city").expect("city");
    assert_eq!(city.as_any().downcast_ref::<StringArray>().expect("Utf8").value(0), "São Paulo");
    Ok(())
}

async fn read_back(ctx: &SessionContext, dir: &Path) -> Result<Vec<Option<i64>>> {
    let opts = ScanOptions { infer_schema: true, ..Default::default() };
    let plan = scan(&ctx.state(), &[dir.display().to_string()], &Format::Parquet, &opts).await?;
    Ok(ints(&run(ctx, plan).await?, "v"))
}

fn values_plan(values: &[&str]) -> Result<LogicalPlan> {
    let rows = values.iter().map(|v| vec![lit(*v)]).collect();
    let plan = LogicalPlanBuilder::values(rows)?.build()?;
    // `column1` cast to Int64: a value that is not a number fails the query.
    LogicalPlanBuilder::from(plan)
        .project(vec![datafusion::logical_expr::cast(col("column1"), DataType::Int64).alias("v")])?
        .build()
}

/// Plans and runs `plan` (cancelled through `cancel`), its partitions in
/// order, and writes its rows to `root` as `opts` says.
async fn write(
    ctx: &SessionContext,
    plan: LogicalPlan,
    root: &str,
    opts: &WriteOptions,
    cancel: &CancelFlag,
) -> Result<Vec<String>> {
    let physical = with_cancel(ctx.state().create_physical_plan(&plan).await?, cancel)?;
    let rows = execute_in_order(physical, ctx.task_ctx())?;
    let opts = WriteOptions { location: root.to_string(), ..opts.clone() };
    ketch_io::sink::write(ctx.task_ctx(), rows, &opts).await
}

#[tokio::test]
async fn writes_are_staged_and_a_failed_overwrite_keeps_the_old_data() -> Result<()> {
    let dir = temp_dir("sink");
    let root = dir.join("out").display().to_string();
    let ctx = ctx()?;
    let parquet = |mode| WriteOptions {
        location: root.clone(),
        format: WriteFormat::Parquet { compression: "snappy".into(), column_compression: vec![] },
        mode,
        partition_cols: vec![],
        single_file: false,
        write_success_file: false,
        target_file_bytes: 1 << 30,
        target_row_group_bytes: 1 << 28,
    };
    let go = CancelFlag::default();
    let first = write(&ctx, values_plan(&["1", "2"])?, &root, &parquet(WriteMode::Append), &go).await?;
    assert!(!first.is_empty() && first.iter().all(|p| Path::new(&root).join(p).exists()));
    write(&ctx, values_plan(&["3"])?, &root, &parquet(WriteMode::Append), &go).await?;
    assert_eq!(read_back(&ctx, Path::new(&root)).await?, [Some(1), Some(2), Some(3)]);

    let failed = write(&ctx, values_plan(&["4", "not a number"])?, &root, &parquet(WriteMode::Overwrite), &go).await;
    assert!(failed.is_err());
    assert_eq!(read_back(&ctx, Path::new(&root)).await?, [Some(1), Some(2), Some(3)]);
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging folder left behind");

    // A cancelled write (Ctrl-C) fails the same way and keeps the old data.
    let cancelled = CancelFlag::default();
    cancelled.cancel();
    let failed = write(&ctx, values_plan(&["5"])?, &root, &parquet(WriteMode::Overwrite), &cancelled).await;
    assert!(failed.is_err_and(|e| e.to_string().contains("query cancelled")));
    assert_eq!(read_back(&ctx, Path::new(&root)).await?, [Some(1), Some(2), Some(3)]);

    write(&ctx, values_plan(&["9"])?, &root, &parquet(WriteMode::Overwrite), &go).await?;
    assert_eq!(read_back(&ctx, Path::new(&root)).await?, [Some(9)]);
    Ok(())
}
