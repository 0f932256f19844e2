//! SQL planning: tables by name, Daft output names, errors.

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::Result;
use datafusion::logical_expr::{LogicalPlan, logical_plan::table_scan};
use datafusion::prelude::SessionContext;
use ketch_plan::sql::{SqlOutcome, SqlTable, plan_sql, plan_sql_expr};

fn table(name: &str) -> Result<SqlTable> {
    let schema = Schema::new(vec![Field::new("v", DataType::Int64, true), Field::new("g", DataType::Utf8, true)]);
    Ok((name.split('.').map(String::from).collect(), table_scan(Some("src"), &schema, None)?.build()?))
}

fn names(plan: &LogicalPlan) -> Vec<String> {
    plan.schema().fields().iter().map(|f| f.name().clone()).collect()
}

async fn query(sql: &str, tables: &[SqlTable]) -> Result<LogicalPlan> {
    match plan_sql(&SessionContext::new().state(), sql, tables).await? {
        SqlOutcome::Query(p) => Ok(p),
        other => panic!("expected a query, got {other:?}"),
    }
}

fn error(r: Result<SqlOutcome>) -> String {
    r.err().map(|e| e.to_string()).unwrap_or_default()
}

#[tokio::test]
async fn tables_resolve_by_one_two_and_three_part_names() -> Result<()> {
    let tables = vec![table("t")?, table("ns.u")?, table("cat.ns.w")?];
    for sql in ["select v from t", "select v from ns.u", "select v from cat.ns.w"] {
        assert_eq!(names(&query(sql, &tables).await?), ["v"]);
    }
    Ok(())
}

#[tokio::test]
async fn output_names_follow_daft() -> Result<()> {
    let tables = vec![table("t")?];
    assert_eq!(names(&query("select v * 2, v + 1 as w, g from t", &tables).await?), ["v", "w", "g"]);
    assert_eq!(names(&query("select g, sum(v) from t group by g", &tables).await?), ["g", "v"]);
    assert_eq!(names(&query("select count(*) from t", &tables).await?), ["count"]);
    Ok(())
}

#[tokio::test]
async fn create_table_and_use_are_reported_to_the_session() -> Result<()> {
    let state = SessionContext::new().state();
    let tables = vec![table("t")?];
    match plan_sql(&state, "create temp table x as select v from t", &tables).await? {
        SqlOutcome::CreateTable { name, temporary, plan } => {
            assert_eq!((name.as_str(), temporary, names(&plan)), ("x", true, vec!["v".to_string()]));
        }
        other => panic!("expected CREATE TABLE, got {other:?}"),
    }
    assert!(matches!(plan_sql(&state, "use cat.ns", &tables).await?, SqlOutcome::Use(n) if n == "cat.ns"));
    Ok(())
}

#[tokio::test]
async fn errors_point_at_the_problem() -> Result<()> {
    let state = SessionContext::new().state();
    let tables = vec![table("t")?];
    let e = error(plan_sql(&state, "select v\nfrom t wher v = 1", &tables).await);
    assert!(e.contains("SQL error at Line: 2") && e.contains("LINE 2: from t wher v = 1") && e.contains('^'), "{e}");
    let e = error(plan_sql(&state, "select * from nope", &tables).await);
    assert!(e.contains("not found. Tables that exist: t"), "{e}");
    let e = error(plan_sql(&state, "drop table t", &tables).await);
    assert!(e.contains("not implemented"), "{e}");
    Ok(())
}

#[test]
fn sql_expressions_leave_columns_unresolved() -> Result<()> {
    let e = plan_sql_expr(&SessionContext::new().state(), "a + b * 2")?;
    assert_eq!(ketch_plan::display::display(&e), "col(a) + [col(b) * lit(2)]");
    Ok(())
}
