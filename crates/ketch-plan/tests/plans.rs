//! Output schemas of planned DataFrame operations (Daft's naming rules).

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::Result;
use datafusion::logical_expr::{LogicalPlan, col, lit, logical_plan::table_scan};
use ketch_plan::{aggregate::aggregate, join::join, ops};

fn scan(name: &str, fields: &[(&str, DataType)]) -> Result<LogicalPlan> {
    let schema = Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>());
    table_scan(Some(name), &schema, None)?.build()
}

fn names(plan: &LogicalPlan) -> Vec<String> {
    plan.schema().fields().iter().map(|f| f.name().clone()).collect()
}

fn left() -> Result<LogicalPlan> {
    scan("l", &[("k", DataType::Int64), ("v", DataType::Utf8)])
}

fn right() -> Result<LogicalPlan> {
    scan("r", &[("k", DataType::Int64), ("v", DataType::Utf8), ("w", DataType::Float64)])
}

#[test]
fn join_merges_same_named_keys_and_prefixes_the_rest() -> Result<()> {
    let p = join(left()?, right()?, vec![col("k")], vec![col("k")], "inner", None, None)?;
    assert_eq!(names(&p), ["k", "v", "right.v", "w"]);
    let p = join(left()?, right()?, vec![col("k")], vec![col("k")], "left", None, Some("_r".into()))?;
    assert_eq!(names(&p), ["k", "v", "v_r", "w"]);
    // Keys with different names: both sides keep their key column.
    let ids = scan("r", &[("id", DataType::Int64), ("v", DataType::Utf8)])?;
    let p = join(left()?, ids, vec![col("k")], vec![col("id")], "inner", Some("r_".into()), None)?;
    assert_eq!(names(&p), ["k", "v", "id", "r_v"]);
    let p = join(left()?, right()?, vec![col("k")], vec![col("k")], "semi", None, None)?;
    assert_eq!(names(&p), ["k", "v"]);
    let p = join(left()?, right()?, vec![], vec![], "cross", None, None)?;
    assert_eq!(names(&p), ["k", "v", "right.k", "right.v", "w"]);
    assert!(join(left()?, right()?, vec![], vec![], "inner", None, None).is_err());
    assert!(join(left()?, right()?, vec![col("k")], vec![col("k")], "sideways", None, None).is_err());
    Ok(())
}

#[test]
fn select_names_expressions_after_their_leftmost_column() -> Result<()> {
    let p = ops::select(left()?, vec![col("k") + lit(1), lit(2) * col("k"), col("v")])?;
    assert_eq!(names(&p), ["k", "literal", "v"]);
    assert!(ops::select(left()?, vec![col("k"), col("k") + lit(1)]).is_err());
    Ok(())
}

#[test]
fn with_columns_replaces_in_place_and_appends_in_order() -> Result<()> {
    let p = ops::with_columns(
        left()?,
        vec![("z".into(), lit(1)), ("k".into(), col("k") * lit(2)), ("y".into(), lit(true))],
    )?;
    assert_eq!(names(&p), ["k", "v", "z", "y"]);
    Ok(())
}

#[test]
fn aggregate_puts_keys_first_and_counts_are_named_after_input() -> Result<()> {
    use datafusion::functions_aggregate::expr_fn::{count, sum};
    let p = aggregate(right()?, vec![col("v")], vec![sum(col("w")), count(col("k")).alias("n")])?;
    assert_eq!(names(&p), ["v", "w", "n"]);
    assert!(aggregate(right()?, vec![col("v")], vec![col("w")]).is_err());
    Ok(())
}

#[test]
fn aggregations_are_rejected_outside_agg() -> Result<()> {
    use datafusion::functions_aggregate::expr_fn::sum;
    // Daft: a select of aggregations only is a global aggregation; mixed with columns, an error.
    let global = ops::select(right()?, vec![sum(col("w"))])?;
    assert_eq!(names(&global), ["w"]);
    let err = ops::select(right()?, vec![sum(col("w")), col("v")]).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("not allowed in select()"), "{err}");
    Ok(())
}

#[test]
fn explode_keeps_the_schema_and_checks_the_type() -> Result<()> {
    let item = std::sync::Arc::new(Field::new("item", DataType::Int64, true));
    let p = scan("t", &[("id", DataType::Int64), ("l", DataType::List(item))])?;
    let out = ops::explode(p.clone(), vec!["l".into()], false)?;
    assert_eq!(names(&out), ["id", "l"]);
    assert_eq!(out.schema().field(1).data_type(), &DataType::Int64);
    assert!(ops::explode(p, vec!["id".into()], false).is_err());
    Ok(())
}

#[test]
fn filter_requires_a_boolean_predicate() -> Result<()> {
    assert!(ops::filter(left()?, col("k")).is_err());
    assert!(ops::filter(left()?, col("k").gt(lit(1))).is_ok());
    Ok(())
}
