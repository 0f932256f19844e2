//! DataFrame operations as logical-plan transformations (Daft semantics).

use std::collections::HashSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, Result, ScalarValue, UnnestOptions, plan_err};
use datafusion::logical_expr::expr::Sort;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Partitioning, cast, lit, when};

use crate::naming::{named, output_name};

/// A column reference that never parses dots as a qualifier (`col("a.b")`
/// is the column named `a.b`, as in Daft).
pub fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// A function of the registry that ketch's own planning relies on.
pub fn builtin(name: &str) -> Result<std::sync::Arc<datafusion::logical_expr::ScalarUDF>> {
    ketch_functions::scalar(name)
        .ok_or_else(|| datafusion::common::DataFusionError::Internal(format!("function '{name}' is not registered")))
}

/// Errors when an aggregation appears where only row-wise expressions may be
/// (`select`, `with_columns`, `where`, `sort`): Daft computes them only in `agg`.
pub fn check_no_aggregation(method: &str, exprs: &[Expr]) -> Result<()> {
    if let Some(agg) = datafusion::logical_expr::utils::find_aggregate_exprs(exprs.iter()).first() {
        return plan_err!(
            "Aggregation {} is not allowed in {method}(); compute it with agg() or groupby(...).agg()",
            crate::display::display(agg)
        );
    }
    Ok(())
}

/// Errors when two output columns would share a name.
pub fn check_unique_names(exprs: &[Expr]) -> Result<()> {
    let mut seen = HashSet::new();
    for e in exprs {
        let name = output_name(e);
        if !seen.insert(name.clone()) {
            return plan_err!(
                "Duplicate output column name '{name}'; give one of the expressions another name with .alias()"
            );
        }
    }
    Ok(())
}

fn field_names(plan: &LogicalPlan) -> Vec<String> {
    plan.schema().fields().iter().map(|f| f.name().clone()).collect()
}

/// The call of registry function `name` at the top of `e` (under an alias), with its arguments.
fn marker<'a>(e: &'a Expr, name: &str) -> Option<&'a [Expr]> {
    match e {
        Expr::Alias(a) => marker(&a.expr, name),
        Expr::ScalarFunction(f) if f.func.name() == name => Some(&f.args),
        _ => None,
    }
}

/// Binds `ketch.element()` in list_map/list_filter lambdas to the list's element type.
fn resolve_lambdas(plan: &LogicalPlan, exprs: Vec<Expr>) -> Result<Vec<Expr>> {
    exprs.into_iter().map(|e| Ok(e.resolve_lambda_variables(plan.schema())?.data)).collect()
}

/// `SELECT exprs` with each expression named by Daft's rule. A column that
/// is `unnest(struct)` becomes one column per field; columns that are
/// `explode(list)` are exploded after the projection (zipped when several).
pub fn select(plan: LogicalPlan, exprs: Vec<Expr>) -> Result<LogicalPlan> {
    // Daft: a select of aggregations only is a global aggregation.
    fn is_agg(e: &Expr) -> bool {
        match e {
            Expr::AggregateFunction(_) => true,
            // ketch wraps some aggregations to give Daft's result type.
            Expr::Alias(a) => is_agg(&a.expr),
            Expr::Cast(c) => is_agg(&c.expr),
            Expr::TryCast(c) => is_agg(&c.expr),
            _ => false,
        }
    }
    if !exprs.is_empty() && exprs.iter().all(is_agg) {
        return crate::aggregate::aggregate(plan, vec![], exprs);
    }
    let mut out = Vec::with_capacity(exprs.len());
    let mut exploded = Vec::new();
    let mut ignore_empty = false;
    // `unnest(explode(x))` (a generator UDF with `unnest=True`): `x` is
    // exploded under a temporary name, whose struct fields become columns
    // in a projection after the explode.
    let mut unnest_after: Vec<String> = Vec::new();
    for e in resolve_lambdas(&plan, exprs)? {
        if let Some(inner) = marker(&e, "unnest").and_then(|args| marker(&args[0], "explode")) {
            let name = format!("__ketch_unnest_{}", unnest_after.len());
            if let Some(Expr::Literal(ScalarValue::Boolean(Some(true)), _)) = inner.get(1) {
                ignore_empty = true;
            }
            out.push(inner[0].clone().alias(name.clone()));
            exploded.push(name.clone());
            unnest_after.push(name);
        } else if let Some(args) = marker(&e, "unnest") {
            let DataType::Struct(fields) = args[0].get_type(plan.schema())? else {
                return plan_err!("unnest() expects a struct input");
            };
            for f in fields.iter() {
                let field = builtin("get_field")?.call(vec![args[0].clone(), lit(f.name().as_str())]);
                let null = Expr::Literal(ScalarValue::try_from(f.data_type())?, None);
                out.push(when(args[0].clone().is_null(), null).otherwise(field)?.alias(f.name()));
            }
        } else if let Some(args) = marker(&e, "explode") {
            let name = output_name(&e);
            if let Some(Expr::Literal(ScalarValue::Boolean(Some(true)), _)) = args.get(1) {
                ignore_empty = true;
            }
            out.push(args[0].clone().alias(name.clone()));
            exploded.push(name);
        } else {
            out.push(named(e));
        }
    }
    check_no_aggregation("select", &out)?;
    let out = out.into_iter().map(|e| crate::typing::with_daft_supertypes(&plan, e)).collect::<Result<Vec<_>>>()?;
    crate::typing::check_operand_types(&plan, &out)?;
    check_unique_names(&out)?;
    let projected = project(plan, out)?;
    let exploded = if exploded.is_empty() { projected } else { explode(projected, exploded, ignore_empty)? };
    if unnest_after.is_empty() {
        return Ok(exploded);
    }
    let mut columns = Vec::new();
    for name in field_names(&exploded) {
        if !unnest_after.contains(&name) {
            columns.push(column(&name));
            continue;
        }
        let DataType::Struct(fields) = exploded.schema().field_with_unqualified_name(&name)?.data_type().clone() else {
            return plan_err!("unnest() expects a struct input");
        };
        for f in fields.iter() {
            let value = builtin("get_field")?.call(vec![column(&name), lit(f.name().as_str())]);
            let null = Expr::Literal(ScalarValue::try_from(f.data_type())?, None);
            columns.push(when(column(&name).is_null(), null).otherwise(value)?.alias(f.name()));
        }
    }
    check_unique_names(&columns)?;
    LogicalPlanBuilder::from(exploded).project(columns)?.build()
}

/// `SELECT exprs`, computing window functions (`expr.over(window)`) in a
/// Window node below the projection first, as DataFusion's DataFrame does.
fn project(plan: LogicalPlan, exprs: Vec<Expr>) -> Result<LogicalPlan> {
    let windows = datafusion::logical_expr::utils::find_window_exprs(exprs.iter());
    let plan = if windows.is_empty() { plan } else { LogicalPlanBuilder::window_plan(plan, windows)? };
    LogicalPlanBuilder::from(plan).project(exprs)?.build()
}

/// Adds or replaces columns: a name that exists is replaced in place, a new
/// name is appended at the end (Daft's `with_columns`).
pub fn with_columns(plan: LogicalPlan, columns: Vec<(String, Expr)>) -> Result<LogicalPlan> {
    let columns = columns
        .into_iter()
        .map(|(n, e)| {
            let e = e.resolve_lambda_variables(plan.schema())?.data;
            Ok((n, crate::typing::with_daft_supertypes(&plan, e)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let new: Vec<Expr> = columns.iter().map(|(_, e)| e.clone()).collect();
    check_no_aggregation("with_columns", &new)?;
    crate::typing::check_operand_types(&plan, &new)?;
    let existing = field_names(&plan);
    let mut out: Vec<Expr> = Vec::with_capacity(existing.len() + columns.len());
    for name in &existing {
        match columns.iter().rev().find(|(n, _)| n == name) {
            Some((_, e)) => out.push(e.clone().alias(name)),
            None => out.push(column(name)),
        }
    }
    let mut added = HashSet::new();
    for (name, e) in columns.iter().rev() {
        if !existing.contains(name) && added.insert(name.clone()) {
            out.push(e.clone().alias(name));
        }
    }
    // keep the user's order among appended columns
    let n_existing = existing.len();
    out[n_existing..].reverse();
    project(plan, out)
}

/// Renames columns; names not in `mapping` are kept.
pub fn rename(plan: LogicalPlan, mapping: Vec<(String, String)>) -> Result<LogicalPlan> {
    let existing = field_names(&plan);
    for (old, _) in &mapping {
        if !existing.contains(old) {
            return plan_err!("Column '{old}' not found; available columns: {}", existing.join(", "));
        }
    }
    let out: Vec<Expr> = existing
        .iter()
        .map(|name| match mapping.iter().find(|(o, _)| o == name) {
            Some((_, new)) => column(name).alias(new),
            None => column(name),
        })
        .collect();
    LogicalPlanBuilder::from(plan).project(out)?.build()
}

/// Drops the named columns.
pub fn exclude(plan: LogicalPlan, names: Vec<String>) -> Result<LogicalPlan> {
    let existing = field_names(&plan);
    for n in &names {
        if !existing.contains(n) {
            return plan_err!("Column '{n}' not found; available columns: {}", existing.join(", "));
        }
    }
    let out: Vec<Expr> = existing.iter().filter(|n| !names.contains(n)).map(|n| column(n)).collect();
    LogicalPlanBuilder::from(plan).project(out)?.build()
}

/// `WHERE predicate`; the predicate must be Boolean.
pub fn filter(plan: LogicalPlan, predicate: Expr) -> Result<LogicalPlan> {
    let predicate = predicate.resolve_lambda_variables(plan.schema())?.data;
    let predicate = crate::typing::with_daft_supertypes(&plan, predicate)?;
    check_no_aggregation("where", std::slice::from_ref(&predicate))?;
    crate::typing::check_operand_types(&plan, std::slice::from_ref(&predicate))?;
    let dtype = predicate.get_type(plan.schema())?;
    if !matches!(dtype, datafusion::arrow::datatypes::DataType::Boolean | datafusion::arrow::datatypes::DataType::Null)
    {
        return plan_err!("Expected expression {predicate} to resolve to type Boolean, but received: {dtype}");
    }
    LogicalPlanBuilder::from(plan).filter(predicate)?.build()
}

/// `ORDER BY`; `nulls_first` defaults to `desc` per key, as in Daft.
pub fn sort(plan: LogicalPlan, by: Vec<Expr>, desc: Vec<bool>, nulls_first: Vec<Option<bool>>) -> Result<LogicalPlan> {
    check_no_aggregation("sort", &by)?;
    let keys: Vec<Sort> =
        by.into_iter().zip(desc).zip(nulls_first).map(|((e, d), nf)| Sort::new(e, !d, nf.unwrap_or(d))).collect();
    LogicalPlanBuilder::from(plan).sort(keys)?.build()
}

/// `OFFSET skip LIMIT fetch`.
pub fn limit(plan: LogicalPlan, skip: usize, fetch: Option<usize>) -> Result<LogicalPlan> {
    LogicalPlanBuilder::from(plan).limit(skip, fetch)?.build()
}

/// Distinct rows, or the first row per distinct value of `on`.
pub fn distinct(plan: LogicalPlan, on: Vec<Expr>) -> Result<LogicalPlan> {
    if on.is_empty() {
        return LogicalPlanBuilder::from(plan).distinct()?.build();
    }
    let all: Vec<Expr> = field_names(&plan).iter().map(|n| column(n)).collect();
    LogicalPlanBuilder::from(plan).distinct_on(on, all, None)?.build()
}

/// Drops rows where any of `columns` (all columns when empty) is null.
pub fn drop_null(plan: LogicalPlan, columns: Vec<Expr>) -> Result<LogicalPlan> {
    let columns = if columns.is_empty() { field_names(&plan).iter().map(|n| column(n)).collect() } else { columns };
    match columns.into_iter().map(|c| c.is_not_null()).reduce(Expr::and) {
        Some(pred) => LogicalPlanBuilder::from(plan).filter(pred)?.build(),
        None => Ok(plan),
    }
}

/// Drops rows where any of the floating-point `columns` (all of them when
/// empty) is NaN or null, as Daft does.
pub fn drop_nan(plan: LogicalPlan, columns: Vec<Expr>) -> Result<LogicalPlan> {
    let isnan = builtin("isnan")?;
    let columns: Vec<Expr> = if columns.is_empty() {
        plan.schema().fields().iter().filter(|f| f.data_type().is_floating()).map(|f| column(f.name())).collect()
    } else {
        columns
    };
    let not_nan = |c: Expr| c.clone().is_not_null().and(Expr::Not(Box::new(isnan.call(vec![c]))));
    match columns.into_iter().map(not_nan).reduce(Expr::and) {
        Some(pred) => LogicalPlanBuilder::from(plan).filter(pred)?.build(),
        None => Ok(plan),
    }
}

/// One row per list element of `columns` (zipped when several). As in Daft, a
/// null or empty list yields one row with a null; with
/// `ignore_empty_and_null` such rows are dropped.
pub fn explode(plan: LogicalPlan, columns: Vec<String>, ignore_empty_and_null: bool) -> Result<LogicalPlan> {
    explode_with_index(plan, columns, ignore_empty_and_null, None)
}

/// [`explode`], plus (when `index_column` names one) a last UInt64 column of
/// each element's position in its list (null where the list was null or
/// empty), as Daft's `explode(index_column=...)`.
pub fn explode_with_index(
    plan: LogicalPlan,
    columns: Vec<String>,
    ignore_empty_and_null: bool,
    index_column: Option<String>,
) -> Result<LogicalPlan> {
    let schema = plan.schema().clone();
    let mut exprs = Vec::new();
    for f in schema.fields() {
        let name = f.name();
        if columns.contains(name) {
            if !matches!(
                f.data_type(),
                datafusion::arrow::datatypes::DataType::List(_)
                    | datafusion::arrow::datatypes::DataType::LargeList(_)
                    | datafusion::arrow::datatypes::DataType::FixedSizeList(..)
            ) {
                return plan_err!("explode expects a List column, but '{name}' is {}", f.data_type());
            }
            let len = builtin("array_length")?.call(vec![column(name)]);
            let null = Expr::Literal(ScalarValue::try_from(f.data_type())?, None);
            exprs.push(when(len.eq(lit(0u64)), null).otherwise(column(name))?.alias(name));
        } else {
            exprs.push(column(name));
        }
    }
    for c in &columns {
        if schema.field_with_unqualified_name(c).is_err() {
            return plan_err!("Column '{c}' not found; available columns: {}", field_names(&plan).join(", "));
        }
    }
    let mut unnested: Vec<Column> = columns.iter().map(Column::new_unqualified).collect();
    if let Some(index) = &index_column {
        if schema.field_with_unqualified_name(index).is_ok() {
            return plan_err!("index_column '{index}' is already a column of the DataFrame");
        }
        let Some(first) = columns.first() else { return plan_err!("explode() needs at least one column") };
        let len = builtin("array_length")?.call(vec![column(first)]);
        let positions = builtin("range")?.call(vec![lit(0i64), cast(len.clone(), DataType::Int64)]);
        let null = Expr::Literal(ScalarValue::try_from(positions.get_type(&schema)?)?, None);
        exprs.push(when(len.eq(lit(0u64)), null).otherwise(positions)?.alias(index));
        unnested.push(Column::new_unqualified(index));
    }
    let options = UnnestOptions::new().with_preserve_nulls(!ignore_empty_and_null);
    let out = LogicalPlanBuilder::from(plan).project(exprs)?.unnest_columns_with_options(unnested, options)?.build()?;
    let Some(index) = index_column else { return Ok(out) };
    let typed: Vec<Expr> = field_names(&out)
        .iter()
        .map(|n| if *n == index { cast(column(n), DataType::UInt64).alias(n) } else { column(n) })
        .collect();
    LogicalPlanBuilder::from(out).project(typed)?.build()
}

/// Appends `other` below `plan`; both must have the same column names.
pub fn concat(plan: LogicalPlan, other: LogicalPlan) -> Result<LogicalPlan> {
    let (l, r) = (field_names(&plan), field_names(&other));
    if l != r {
        return plan_err!(
            "concat needs the same columns in the same order; got [{}] and [{}]",
            l.join(", "),
            r.join(", ")
        );
    }
    LogicalPlanBuilder::from(plan).union(other)?.build()
}

/// Daft's `unpivot` (`melt`): for each column of `values` in turn, every
/// row's `ids`, the column's name under `variable_name` and its value under
/// `value_name`, cast to the values' common supertype. Rows come grouped by
/// value column, as in Daft.
pub fn unpivot(
    plan: LogicalPlan,
    ids: Vec<Expr>,
    values: Vec<Expr>,
    variable_name: &str,
    value_name: &str,
) -> Result<LogicalPlan> {
    if values.is_empty() {
        return plan_err!("unpivot needs at least one value column");
    }
    let ids: Vec<Expr> = ids.into_iter().map(named).collect();
    let values: Vec<Expr> = values.into_iter().map(named).collect();
    let schema = plan.schema().clone();
    let types = values.iter().map(|v| v.get_type(&schema)).collect::<Result<Vec<_>>>()?;
    // Daft: any string value column makes the value column a string.
    let any_string = types.iter().any(|t| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View));
    let common = if any_string {
        Some(DataType::Utf8)
    } else {
        datafusion::logical_expr::type_coercion::binary::type_union_resolution(&types)
    };
    let Some(common) = common else {
        let listed: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        return plan_err!("unpivot: the value columns have no common type ({})", listed.join(", "));
    };
    let mut out: Option<LogicalPlanBuilder> = None;
    for v in values {
        let name = output_name(&v);
        let inner = match v {
            Expr::Alias(a) => *a.expr,
            e => e,
        };
        let mut row = ids.clone();
        row.push(lit(name).alias(variable_name));
        row.push(datafusion::logical_expr::cast(inner, common.clone()).alias(value_name));
        let part = LogicalPlanBuilder::from(plan.clone()).project(row)?.build()?;
        out = Some(match out {
            None => LogicalPlanBuilder::from(part),
            Some(b) => b.union(part)?,
        });
    }
    match out {
        Some(b) => b.build(),
        None => plan_err!("unpivot needs at least one value column"),
    }
}

/// Set operations: `kind` is one of `union`, `union_all`, `union_by_name`,
/// `union_all_by_name`, `intersect`, `intersect_all`, `except_distinct`,
/// `except_all`.
pub fn set_op(plan: LogicalPlan, other: LogicalPlan, kind: &str) -> Result<LogicalPlan> {
    let b = LogicalPlanBuilder::from(plan.clone());
    match kind {
        "union" => b.union_distinct(other)?.build(),
        "union_all" => b.union(other)?.build(),
        "union_by_name" => b.union_by_name_distinct(other)?.build(),
        "union_all_by_name" => b.union_by_name(other)?.build(),
        "intersect" => LogicalPlanBuilder::intersect(plan, other, false),
        "intersect_all" => multiset_op(plan, other, true),
        "except_distinct" => LogicalPlanBuilder::except(plan, other, false),
        "except_all" => multiset_op(plan, other, false),
        other => plan_err!("unknown set operation '{other}'"),
    }
}

/// `INTERSECT ALL` / `EXCEPT ALL` with multiset semantics (a row present `m`
/// times on the left and `n` on the right appears `min(m, n)` or `m - n`
/// times): each row is numbered within its group of equal rows, and the
/// numbered rows are intersected or subtracted as sets.
fn multiset_op(plan: LogicalPlan, other: LogicalPlan, intersect: bool) -> Result<LogicalPlan> {
    use datafusion::functions_window::expr_fn::row_number;
    use datafusion::logical_expr::ExprFunctionExt;
    const RN: &str = "__ketch_row_in_group";
    let names = field_names(&plan);
    let numbered = |p: LogicalPlan| -> Result<LogicalPlan> {
        let mut cols: Vec<Expr> = field_names(&p).iter().map(|n| column(n)).collect();
        let rn = row_number().partition_by(cols.clone()).build()?.alias(RN);
        cols.push(column(RN));
        LogicalPlanBuilder::from(p).window(vec![rn])?.project(cols)?.build()
    };
    let (l, r) = (numbered(plan)?, numbered(other)?);
    let combined =
        if intersect { LogicalPlanBuilder::intersect(l, r, false)? } else { LogicalPlanBuilder::except(l, r, false)? };
    let out: Vec<Expr> = names.iter().map(|n| column(n)).collect();
    LogicalPlanBuilder::from(combined).project(out)?.build()
}

/// Redistributes rows into `num` partitions, by hash of `by` when given and
/// round-robin otherwise.
pub fn repartition(plan: LogicalPlan, num: usize, by: Vec<Expr>) -> Result<LogicalPlan> {
    if num == 0 {
        return plan_err!("number of partitions must be at least 1, got 0");
    }
    let scheme = if by.is_empty() { Partitioning::RoundRobinBatch(num) } else { Partitioning::Hash(by, num) };
    LogicalPlanBuilder::from(plan).repartition(scheme)?.build()
}

/// Daft's `sample` (see [`crate::sample`]).
pub fn sample(plan: LogicalPlan, options: crate::sample::SampleOptions) -> Result<LogicalPlan> {
    Ok(crate::sample::Sample::new(std::sync::Arc::new(plan), options).into_plan())
}

/// The names of the plan's output columns, for error messages.
pub fn available(plan: &LogicalPlan) -> String {
    field_names(plan).join(", ")
}

/// Daft's name for a pivot value: its string form (a cast to Utf8), `None`
/// for null (Python's `str(None)`, which Daft uses to name that column).
fn pivot_name(pivot: Expr) -> Result<Expr> {
    Ok(builtin("coalesce")?.call(vec![datafusion::logical_expr::cast(pivot, DataType::Utf8), lit("None")]))
}

/// The pivot column names of `pivot` over `plan`: one row per distinct value,
/// in ascending order of the value (nulls last), as the Utf8 column
/// `__ketch_pivot` holding each value's name (see [`pivot`]). Daft finds
/// `pivot`'s names when none are given by running a distinct query; this is
/// that query's plan (sorted, so the columns come in a stable order).
pub fn pivot_names(plan: LogicalPlan, pivot: Expr) -> Result<LogicalPlan> {
    const VALUE: &str = "__ketch_value";
    let values = LogicalPlanBuilder::from(plan).project(vec![pivot.alias(VALUE)])?.distinct()?.build()?;
    LogicalPlanBuilder::from(values)
        .sort(vec![Sort::new(column(VALUE), true, false)])?
        .project(vec![pivot_name(column(VALUE))?.alias("__ketch_pivot")])?
        .build()
}

/// Daft's `pivot`: one row per distinct `group_by` key and, after the keys,
/// one column per entry of `names` (in that order, duplicates once), holding
/// `agg` (an aggregation over the value column, e.g. `sum(v)`) of the rows
/// whose `pivot` value has that name.
///
/// A value's name is its string form; a null pivot value is named `None`, as
/// in Daft. A cell whose key has no row with that pivot value is null (even
/// for `count`), as in Daft: `agg` is computed per (keys, pivot name) and
/// each cell takes the one result of its name.
///
/// Errors: the plan errors of [`crate::aggregate::aggregate`] (an `agg` that
/// is no aggregation, an input type it does not take) and a plan error when
/// a name is also a key's name.
pub fn pivot(
    plan: LogicalPlan,
    group_by: Vec<Expr>,
    pivot: Expr,
    agg: Expr,
    names: Vec<String>,
) -> Result<LogicalPlan> {
    const PIVOT: &str = "__ketch_pivot";
    const CELL: &str = "__ketch_cell";
    let group_by: Vec<Expr> = group_by.into_iter().map(named).collect();
    let keys: Vec<Expr> = group_by.iter().map(|g| column(&output_name(g))).collect();
    let mut by_pivot = group_by;
    by_pivot.push(pivot_name(pivot)?.alias(PIVOT));
    let cells = crate::aggregate::aggregate(plan, by_pivot, vec![agg.alias(CELL)])?;
    let Some(first_value) = ketch_functions::aggregate("first_value") else {
        return plan_err!("aggregate function 'first_value' is not registered");
    };
    let mut seen = HashSet::new();
    let mut columns = Vec::with_capacity(names.len());
    for name in names.into_iter().filter(|n| seen.insert(n.clone())) {
        // One row per (keys, name) holds the cell: its value, ignoring the other names' rows.
        let cell = when(column(PIVOT).eq(lit(name.as_str())), column(CELL)).end()?;
        let pick = Expr::AggregateFunction(datafusion::logical_expr::expr::AggregateFunction::new_udf(
            first_value.clone(),
            vec![cell],
            false,
            None,
            vec![],
            Some(datafusion::logical_expr::expr::NullTreatment::IgnoreNulls),
        ));
        columns.push(pick.alias(name));
    }
    let mut out = keys.clone();
    out.extend(columns.iter().cloned());
    check_unique_names(&out)?;
    LogicalPlanBuilder::from(cells).aggregate(keys, columns)?.build()
}
