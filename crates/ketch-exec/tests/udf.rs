//! UDF projections without Python: a Rust `UdfHandle` placed by the optimizer
//! rules, run by `UDFProjectExec`, and round-tripped through
//! `datafusion-proto` with ketch's codec (logical and physical).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{JoinType, Result, exec_err};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, col};
use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::SessionContext;
use datafusion_proto::bytes::{
    logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use ketch_exec::codec::KetchCodec;
use ketch_exec::{ExecConfig, new_session};
use ketch_plan::udf::{ExternalUdf, UdfDecoder, UdfHandle};

/// Multiplies an Int64 column by `by`; serialized as `by`'s bytes.
#[derive(Debug)]
struct Times {
    by: i64,
    field: FieldRef,
}

fn times(by: i64) -> Arc<dyn UdfHandle> {
    Arc::new(Times { by, field: Arc::new(Field::new("times", DataType::Int64, true)) })
}

impl UdfHandle for Times {
    fn name(&self) -> &str {
        "times"
    }
    fn return_field(&self) -> &FieldRef {
        &self.field
    }
    fn call(&self, args: &[ArrayRef], _: &[FieldRef], _: usize) -> Result<ArrayRef> {
        let Some(a) = args[0].as_any().downcast_ref::<Int64Array>() else { return exec_err!("times takes Int64") };
        Ok(Arc::new(a.iter().map(|v| v.map(|v| v * self.by)).collect::<Int64Array>()))
    }
    fn identity(&self) -> usize {
        self.by as usize
    }
    fn serialize(&self) -> Result<Vec<u8>> {
        Ok(self.by.to_le_bytes().to_vec())
    }
}

#[derive(Debug)]
struct TimesDecoder;

impl UdfDecoder for TimesDecoder {
    fn decode(&self, _: &str, bytes: &[u8]) -> Result<Arc<dyn UdfHandle>> {
        let Ok(by) = bytes.try_into() else { return exec_err!("bad bytes") };
        Ok(times(i64::from_le_bytes(by)))
    }
}

async fn values(ctx: &SessionContext, sql: &str) -> Result<LogicalPlan> {
    Ok(ctx.sql(sql).await?.into_unoptimized_plan())
}

/// `SELECT k, a, times(a) AS u FROM l JOIN r USING k` as DataFrame plans build it.
async fn udf_then_join(ctx: &SessionContext) -> Result<LogicalPlan> {
    let left = values(ctx, "SELECT column1 AS k, column2 AS a FROM (VALUES (1, 10), (2, 20), (3, 30))").await?;
    let right = values(ctx, "SELECT column1 AS k FROM (VALUES (2), (3), (4))").await?;
    let with_udf = LogicalPlanBuilder::from(left)
        .project(vec![col("k"), col("a"), ExternalUdf::call(times(3), vec![col("a")]).alias("u")])?
        .alias("l")?
        .build()?;
    LogicalPlanBuilder::from(with_udf)
        .join(LogicalPlanBuilder::from(right).alias("r")?.build()?, JoinType::Inner, (vec!["l.k"], vec!["r.k"]), None)?
        .project(vec![col("l.k"), col("l.u")])?
        .build()
}

fn column(batches: &[arrow::array::RecordBatch], i: usize) -> Vec<Option<i64>> {
    let mut out: Vec<Option<i64>> = batches
        .iter()
        .flat_map(|b| b.column(i).as_any().downcast_ref::<Int64Array>().map(|a| a.iter().collect::<Vec<_>>()))
        .flatten()
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn udf_runs_after_the_join_and_round_trips() -> Result<()> {
    let ctx = new_session(&ExecConfig::default())?;
    let plan = udf_then_join(&ctx).await?;
    let optimized = ctx.state().optimize(&plan)?;
    let text = optimized.display_indent().to_string();
    let (udf_at, join_at) = (text.find("UDFProject: times"), text.find("Inner Join"));
    assert!(udf_at.is_some() && udf_at < join_at, "UDFProject should sit above the join:\n{text}");

    let codec = KetchCodec::new(Arc::new(TimesDecoder), Arc::new(ketch_exec::codec::NoHostSources));
    let bytes = logical_plan_to_bytes_with_extension_codec(&optimized, &codec)?;
    let decoded = logical_plan_from_bytes_with_extension_codec(&bytes, &ctx.task_ctx(), &codec)?;
    assert_eq!(decoded.display_indent().to_string(), text);

    let physical = ctx.state().create_physical_plan(&decoded).await?;
    let shown = displayable(physical.as_ref()).indent(true).to_string();
    assert!(shown.contains("UDFProjectExec: times("), "{shown}");
    let bytes = physical_plan_to_bytes_with_extension_codec(physical, &codec)?;
    let physical = physical_plan_from_bytes_with_extension_codec(&bytes, &ctx.task_ctx(), &codec)?;
    assert_eq!(displayable(physical.as_ref()).indent(true).to_string(), shown);

    let batches = collect(physical, ctx.task_ctx()).await?;
    assert_eq!(column(&batches, 0), vec![Some(2), Some(3)]);
    assert_eq!(column(&batches, 1), vec![Some(60), Some(90)]);
    Ok(())
}

#[tokio::test]
async fn filters_and_limits_go_below_the_udf() -> Result<()> {
    let ctx = new_session(&ExecConfig::default())?;
    let base = values(&ctx, "SELECT column1 AS k FROM (VALUES (1), (2), (3), (4))").await?;
    let plan = LogicalPlanBuilder::from(base)
        .project(vec![col("k"), ExternalUdf::call(times(2), vec![col("k")]).alias("u")])?
        .filter(col("k").gt(datafusion::logical_expr::lit(2i64)))?
        .limit(0, Some(1))?
        .build()?;
    let text = ctx.state().optimize(&plan)?.display_indent().to_string();
    let udf_at = text.find("UDFProject").expect("a UDFProject node");
    assert!(text.rfind("Filter").is_some_and(|f| f > udf_at), "{text}");
    assert!(text.rfind("Limit").is_some_and(|l| l > udf_at), "{text}");
    Ok(())
}
