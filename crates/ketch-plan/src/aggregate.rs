//! Aggregation with Daft semantics: aggregations may sit inside expressions
//! (`col("a").sum() / col("b").count()`), results are named after their input,
//! and `count` returns `UInt64`.

use std::collections::HashSet;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, Result, plan_err};
use datafusion::logical_expr::utils::find_aggregate_exprs;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder};

use crate::naming::{named, output_name};
use crate::ops::check_unique_names;

/// An aggregation whose input type it does not take (`sum` of a String
/// column) is a plan error naming the input and its type; DataFusion's own
/// error here is an internal one listing its signatures.
fn check_input_types(schema: &DFSchema, call: &Expr) -> Result<()> {
    let Expr::AggregateFunction(agg) = call else { return Ok(()) };
    let Err(e) = call.to_field(schema) else { return Ok(()) };
    let text = e.to_string();
    if !(text.contains("failed to match any signature") || text.contains("No function matches")) {
        return Err(e);
    }
    let args: Vec<String> = agg.params.args.iter().map(crate::display::display).collect();
    let types = agg
        .params
        .args
        .iter()
        .map(|a| Ok(ketch_functions::multimodal::types::daft_name(&a.get_type(schema)?)))
        .collect::<Result<Vec<_>>>()?;
    let name = match agg.func.name() {
        "avg" => "mean",
        other => other,
    };
    plan_err!("Cannot compute {name} of {}: input type {} is not supported", args.join(", "), types.join(", "))
}

/// `GROUP BY group_by` computing `aggs`; the output has the group columns
/// first, then one column per entry of `aggs`, each named by Daft's rule.
///
/// Errors: an entry of `aggs` that contains no aggregation and is not an
/// expression of the group keys raises a plan error naming it.
pub fn aggregate(plan: LogicalPlan, group_by: Vec<Expr>, aggs: Vec<Expr>) -> Result<LogicalPlan> {
    let group_by: Vec<Expr> = group_by.into_iter().map(named).collect();
    let aggs: Vec<Expr> = aggs.into_iter().map(named).collect();
    let group_names: HashSet<String> = group_by.iter().map(output_name).collect();
    for agg in &aggs {
        if find_aggregate_exprs(std::iter::once(agg)).is_empty() {
            let name = output_name(agg);
            // Daft takes expressions of the group keys alone (`col("key") + 1`): one value per group.
            let of_keys = agg.column_refs().iter().all(|c| group_names.contains(&c.name));
            if !group_names.contains(&name) && !of_keys {
                return plan_err!(
                    "Expression {agg} in agg() contains no aggregation; use e.g. col(\"{name}\").sum() or add it to groupby()"
                );
            }
        }
    }
    // Each distinct aggregation call gets an internal name that the
    // projection below refers to.
    let agg_calls = find_aggregate_exprs(aggs.iter());
    for call in &agg_calls {
        check_input_types(plan.schema(), call)?;
    }
    let internal = |i: usize| format!("__ketch_agg_{i}");
    let aliased: Vec<Expr> = agg_calls.iter().enumerate().map(|(i, e)| e.clone().alias(internal(i))).collect();
    let grouped = LogicalPlanBuilder::from(plan).aggregate(group_by.clone(), aliased)?.build()?;

    // Project: group keys, then each requested expression with its
    // aggregation calls replaced by the aggregate node's output columns.
    let mut out: Vec<Expr> = Vec::with_capacity(group_by.len() + aggs.len());
    for g in &group_by {
        out.push(Expr::Column(Column::new_unqualified(output_name(g))));
    }
    for agg in aggs {
        let rebased = agg
            .transform_down(|e| match e {
                Expr::AggregateFunction(_) => {
                    let Some(i) = agg_calls.iter().position(|c| c == &e) else {
                        return plan_err!("aggregation {e} was not planned");
                    };
                    let name = internal(i);
                    Ok(Transformed::new(
                        Expr::Column(Column::new_unqualified(name)),
                        true,
                        datafusion::common::tree_node::TreeNodeRecursion::Jump,
                    ))
                }
                other => Ok(Transformed::no(other)),
            })?
            .data;
        out.push(named(rebased));
    }
    check_unique_names(&out)?;
    LogicalPlanBuilder::from(grouped).project(out)?.build()
}

/// Daft's `GroupedDataFrame.map_groups`: `udf` called once per group of
/// `group_by` keys, on that group's rows, returning any number of rows.
///
/// The plan: the keys and `args` (the UDF's argument expressions) are
/// projected, grouped by the keys with each argument collected into a list
/// (`array_agg`, rows in input order, nulls kept), `udf` is called on those
/// lists (one row per group; it returns one list of results per group) and
/// its results are unnested. `udf` is a handle that takes one list array per
/// argument and returns a list array of the same length (see
/// [`crate::udf::UdfHandle`]).
///
/// Result: the key columns, each repeated for every row the UDF returns for
/// its group, then one column `name` (Daft names it after the UDF
/// expression). A group for which the UDF returns no rows disappears; null
/// keys form their own group. Nothing runs until the plan is executed.
///
/// Errors: a plan error when a key or an argument does not resolve, or when
/// the output would have two columns of one name.
pub fn map_groups(
    plan: LogicalPlan,
    group_by: Vec<Expr>,
    args: Vec<Expr>,
    udf: std::sync::Arc<dyn crate::udf::UdfHandle>,
    name: &str,
) -> Result<LogicalPlan> {
    use datafusion::common::UnnestOptions;
    let group_by: Vec<Expr> = group_by.into_iter().map(named).collect();
    let keys: Vec<Expr> = group_by.iter().map(|g| Expr::Column(Column::new_unqualified(output_name(g)))).collect();
    let arg_names: Vec<String> = (0..args.len()).map(|i| format!("__ketch_arg{i}")).collect();
    let mut inputs = group_by;
    inputs.extend(args.into_iter().zip(&arg_names).map(|(a, n)| a.alias(n)));
    let inputs = crate::ops::select(plan, inputs)?;
    let Some(list_agg) = ketch_functions::aggregate("list_agg") else {
        return plan_err!("aggregate function 'list_agg' is not registered");
    };
    let lists: Vec<Expr> = arg_names
        .iter()
        .map(|n| {
            let arg = Expr::Column(Column::new_unqualified(n));
            Expr::AggregateFunction(datafusion::logical_expr::expr::AggregateFunction::new_udf(
                list_agg.clone(),
                vec![arg],
                false,
                None,
                vec![],
                None,
            ))
            .alias(n)
        })
        .collect();
    let grouped = LogicalPlanBuilder::from(inputs).aggregate(keys.clone(), lists)?.build()?;
    let call = crate::udf::ExternalUdf::call(
        udf,
        arg_names.iter().map(|n| Expr::Column(Column::new_unqualified(n))).collect(),
    );
    let mut out = keys;
    out.push(call.alias(name));
    check_unique_names(&out)?;
    // A group whose UDF returned no rows (an empty list) disappears.
    let options = UnnestOptions::new().with_preserve_nulls(false);
    LogicalPlanBuilder::from(grouped)
        .project(out)?
        .unnest_columns_with_options(vec![Column::new_unqualified(name)], options)?
        .build()
}
