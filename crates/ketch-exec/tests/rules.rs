//! ketch's optimizer rules are part of every session.

use datafusion::common::Result;
use ketch_exec::{ExecConfig, new_session};

#[tokio::test]
async fn float_columns_compare_with_decimal_literals_as_floats() -> Result<()> {
    let ctx = new_session(&ExecConfig::default())?;
    let names: Vec<String> = ctx.state().optimizers().iter().map(|r| r.name().to_string()).collect();
    assert!(names.iter().any(|n| n == "ketch_float_decimal_comparison"), "{names:?}");
    ctx.sql("create table t as select * from (values (0.05::double), (0.07::double), (0.08::double)) v(d)").await?;
    let simple = ctx.sql("select d from t where d <= 0.07").await?.into_optimized_plan()?.display_indent().to_string();
    assert!(!simple.contains("CAST(t.d AS Decimal"), "{simple}");
    let df = ctx.sql("select d from t where d between 0.06 - 0.01 and 0.06 + 0.01").await?;
    let plan = df.clone().into_optimized_plan()?.display_indent().to_string();
    assert!(!plan.contains("CAST(t.d AS Decimal"), "{plan}");
    let rows: usize = df.collect().await?.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 2);
    Ok(())
}
