//! As-of joins (Daft's `DataFrame.join_asof`): every left row with the right
//! row of equal `by` keys whose `on` value is the latest at or before the left
//! one (`backward`), the earliest at or after it (`forward`) or the closest
//! (`nearest`, ties to the later one); right columns are null where none
//! matches.
//!
//! The plan needs one sort and no inequality join:
//!
//! 1. The right side gets a row id; its rows with a null `on` or `by` key are
//!    dropped (they never match).
//! 2. Both sides are stacked into one table of the left columns, a side flag,
//!    the `on` key (cast to the left key's type), the `by` keys and the right
//!    row id (null on left rows).
//! 3. A window partitioned by the `by` keys and ordered by `on` carries the
//!    matching right row (a struct of its columns and `on` value, null on
//!    left rows) to each left row: `last_value(row)` ignoring nulls
//!    over the rows up to the current one (right rows sort before left rows
//!    of the same key; among equal right keys the first right row wins) for
//!    `backward`, `first_value(row)` over the rows from the current one for
//!    `forward`; `nearest` computes both and keeps the one with the smaller
//!    gap (the forward one on ties). A left row with a null key matches
//!    nothing.
//! 4. The right columns are the carried struct's fields. (The right side is
//!    read once: a join back on a row id would number rows twice, and two
//!    readings of an unordered input may number them differently.)
//!
//! Column naming follows Daft: the left columns, then the right columns
//! except the `on`/`by` keys that are plain columns named as a left key
//! column; a right column whose name the left side takes is renamed
//! `prefix + name + suffix` (default prefix `right.`).

use std::collections::HashSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::{NullTreatment, Sort, WindowFunction};
use datafusion::logical_expr::{
    Expr, ExprSchemable, LogicalPlan, WindowFrame, WindowFrameBound, WindowFrameUnits, lit, try_cast, when,
};

use crate::naming::output_name;
use crate::ops::{column, concat, filter, select, with_columns};

const SIDE: &str = "__ketch_side";
const KEY: &str = "__ketch_on";
const RID: &str = "__ketch_rid";
const BACK: &str = "__ketch_back";
const FWD: &str = "__ketch_fwd";
const MATCH: &str = "__ketch_match";
const PAYLOAD: &str = "__ketch_row";
/// The payload struct's field holding the right row's `on` value.
const PAYLOAD_ON: &str = "on";

/// Which right row an as-of join picks for a left row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The latest right row at or before the left row's `on` value.
    Backward,
    /// The earliest right row at or after it.
    Forward,
    /// The closer of the two (the forward one when both are as close).
    Nearest,
}

impl Strategy {
    /// The strategy by its Daft name (`backward`, `forward`, `nearest`).
    ///
    /// Errors: any other name is a plan error listing the valid ones.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "backward" => Strategy::Backward,
            "forward" => Strategy::Forward,
            "nearest" => Strategy::Nearest,
            other => {
                return plan_err!("join_asof() strategy must be 'backward', 'forward' or 'nearest', got '{other}'");
            }
        })
    }
}

// Casts are `try_cast` (null where a value does not convert), as
// ketch's `Expression.cast` makes them for these types.

/// A null of `dtype`.
fn null_of(dtype: &DataType) -> Expr {
    try_cast(lit(ScalarValue::Null), dtype.clone())
}

fn field_names(plan: &LogicalPlan) -> Vec<String> {
    plan.schema().fields().iter().map(|f| f.name().clone()).collect()
}

/// Daft's `monotonically_increasing_id()`: `row_number() - 1` over the whole
/// input, as UInt64.
fn row_id() -> Result<Expr> {
    use datafusion::logical_expr::ExprFunctionExt;
    let rn = row_number().window_frame(WindowFrame::new(None)).build()?;
    Ok(try_cast(rn - lit(1i64), DataType::UInt64))
}

/// `first_value`/`last_value` of the right row (its payload struct) over a
/// window of the stacked table, ignoring nulls (the left rows).
fn carried_row(name: &str, partition_by: &[Expr], order_by: Vec<Sort>, frame: WindowFrame) -> Result<Expr> {
    let Some(f) = ketch_functions::window(name) else {
        return plan_err!("window function '{name}' is not registered");
    };
    let mut w = WindowFunction::new(f, vec![column(PAYLOAD)]);
    w.params.partition_by = partition_by.to_vec();
    w.params.order_by = order_by;
    w.params.window_frame = frame;
    w.params.null_treatment = Some(NullTreatment::IgnoreNulls);
    Ok(Expr::WindowFunction(Box::new(w)))
}

/// The as-of join of `left` and `right` (see the module docs).
///
/// Arguments: `left_on`/`right_on` are the `on` key expressions over each
/// side (the right key is cast to the left key's type); `left_by`/`right_by`
/// the equality keys, pairwise; `strategy` one of Daft's names; `prefix` and
/// `suffix` rename right columns whose names the left side takes (neither
/// given: prefix `right.`).
///
/// Result: the left columns in order, then the right columns as above; one
/// row per left row.
///
/// Errors: a plan error when `left_by` and `right_by` differ in length, for
/// an unknown strategy, or when a key does not resolve on its side.
#[allow(clippy::too_many_arguments)]
pub fn join_asof(
    left: LogicalPlan,
    right: LogicalPlan,
    left_on: Expr,
    right_on: Expr,
    left_by: Vec<Expr>,
    right_by: Vec<Expr>,
    strategy: &str,
    prefix: Option<String>,
    suffix: Option<String>,
) -> Result<LogicalPlan> {
    let strategy = Strategy::parse(strategy)?;
    if left_by.len() != right_by.len() {
        return plan_err!("`left_by` and `right_by` must have the same length");
    }
    let left_names = field_names(&left);
    let right_names = field_names(&right);
    // Right keys that are the same column as a left key appear once (as the left's).
    let same_keys: HashSet<String> = key_columns(std::iter::once(&right_on).chain(&right_by))
        .intersection(&key_columns(std::iter::once(&left_on).chain(&left_by)))
        .cloned()
        .collect();
    let bys: Vec<String> = (0..left_by.len()).map(|i| format!("__ketch_by{i}")).collect();

    // Right columns to bring: all but the on/by keys that share a left key's name.
    let taken: HashSet<&String> = left_names.iter().collect();
    let (prefix, suffix) = match (prefix, suffix) {
        (None, None) => ("right.".to_string(), String::new()),
        (p, s) => (p.unwrap_or_default(), s.unwrap_or_default()),
    };
    let brought: Vec<(String, String)> = right_names
        .iter()
        .filter(|n| !same_keys.contains(*n))
        .map(|n| (n.clone(), if taken.contains(n) { format!("{prefix}{n}{suffix}") } else { n.clone() }))
        .collect();

    // The right side with a row id (the tie-break among equal keys); rows whose keys are null never match.
    let r = with_columns(right, vec![(RID.to_string(), row_id()?)])?;
    let usable = right_by.iter().fold(right_on.clone().is_not_null(), |acc, e| acc.and(e.clone().is_not_null()));
    let r = filter(r, usable)?;

    let on_type = left_on.get_type(left.schema())?;
    // The matched right row travels whole, as one struct (its columns and its
    // `on` value): the right side is read once, so ids and rows always agree.
    let mut fields = vec![lit(PAYLOAD_ON), try_cast(right_on.clone(), on_type.clone())];
    for (i, (name, _)) in brought.iter().enumerate() {
        fields.push(lit(format!("p{i}")));
        fields.push(column(name));
    }
    let payload = crate::ops::builtin("named_struct")?.call(fields);
    let payload_type = payload.get_type(r.schema())?;

    let mut left_rows: Vec<Expr> = left_names.iter().map(|n| column(n)).collect();
    left_rows.push(lit(1i64).alias(SIDE));
    left_rows.push(try_cast(left_on, on_type.clone()).alias(KEY));
    left_rows.extend(left_by.iter().zip(&bys).map(|(e, b)| e.clone().alias(b)));
    left_rows.push(null_of(&DataType::UInt64).alias(RID));
    left_rows.push(null_of(&payload_type).alias(PAYLOAD));
    let left_rows = select(left, left_rows)?;

    let mut right_rows: Vec<Expr> = left_rows
        .schema()
        .fields()
        .iter()
        .take(left_names.len())
        .map(|f| null_of(f.data_type()).alias(f.name()))
        .collect();
    right_rows.push(lit(0i64).alias(SIDE));
    right_rows.push(try_cast(right_on.clone(), on_type.clone()).alias(KEY));
    right_rows.extend(right_by.iter().zip(&bys).map(|(e, b)| e.clone().alias(b)));
    right_rows.push(column(RID));
    right_rows.push(payload.alias(PAYLOAD));
    let right_rows = select(r, right_rows)?;
    let both = concat(left_rows, right_rows)?;

    let partition: Vec<Expr> = bys.iter().map(|b| column(b)).collect();
    // Sort keys as Daft's `Window.order_by` makes them: nulls last ascending, first descending.
    let sort = |name: &str, desc: bool| Sort::new(column(name), !desc, desc);
    let mut carried = Vec::new();
    if matches!(strategy, Strategy::Backward | Strategy::Nearest) {
        // Right rows sort before left rows of the same key; among equal right keys the first right row wins.
        let order = vec![sort(KEY, false), sort(SIDE, false), sort(RID, true)];
        let frame = WindowFrame::new_bounds(
            WindowFrameUnits::Rows,
            WindowFrameBound::Preceding(ScalarValue::Null),
            WindowFrameBound::CurrentRow,
        );
        carried.push((BACK, carried_row("last_value", &partition, order, frame)?));
    }
    if matches!(strategy, Strategy::Forward | Strategy::Nearest) {
        let order = vec![sort(KEY, false), sort(SIDE, true), sort(RID, false)];
        let frame = WindowFrame::new_bounds(
            WindowFrameUnits::Rows,
            WindowFrameBound::CurrentRow,
            WindowFrameBound::Following(ScalarValue::Null),
        );
        carried.push((FWD, carried_row("first_value", &partition, order, frame)?));
    }
    // A left row with a null key matches nothing.
    let carried = carried
        .into_iter()
        .map(|(name, m)| Ok((name.to_string(), when(column(KEY).is_null(), null_of(&payload_type)).otherwise(m)?)))
        .collect::<Result<Vec<_>>>()?;
    let matched = filter(with_columns(both, carried)?, column(SIDE).eq(lit(1i64)))?;

    let field = |row: &str, name: &str| -> Result<Expr> {
        Ok(crate::ops::builtin("get_field")?.call(vec![column(row), lit(name)]))
    };
    // Null-typed keys match nothing: there is no gap to measure.
    let null_keys = matched.schema().field_with_unqualified_name(KEY)?.data_type().is_null();
    let pick = match strategy {
        Strategy::Backward => column(BACK),
        Strategy::Nearest if null_keys => column(BACK),
        Strategy::Forward => column(FWD),
        Strategy::Nearest => {
            let back_gap = try_cast(column(KEY) - field(BACK, PAYLOAD_ON)?, DataType::Float64);
            let fwd_gap = try_cast(field(FWD, PAYLOAD_ON)? - column(KEY), DataType::Float64);
            let closer = when(fwd_gap.lt_eq(back_gap), column(FWD)).otherwise(column(BACK))?;
            when(column(FWD).is_null(), column(BACK)).when(column(BACK).is_null(), column(FWD)).otherwise(closer)?
        }
    };
    let with_match = with_columns(matched, vec![(MATCH.to_string(), pick)])?;
    let mut out: Vec<Expr> = left_names.iter().map(|n| column(n)).collect();
    for (i, (_, renamed)) in brought.iter().enumerate() {
        out.push(field(MATCH, &format!("p{i}"))?.alias(renamed));
    }
    select(with_match, out)
}

/// The names of the keys that are plain column references.
fn key_columns<'a>(keys: impl IntoIterator<Item = &'a Expr>) -> HashSet<String> {
    keys.into_iter().filter(|e| matches!(e, Expr::Column(_))).map(output_name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::logical_expr::LogicalPlanBuilder;
    use datafusion::prelude::SessionContext;

    fn table(rows: Vec<(Option<&str>, Option<i64>, i64)>, names: [&str; 3]) -> LogicalPlan {
        let values = rows
            .into_iter()
            .map(|(k, t, v)| vec![lit(ScalarValue::Utf8(k.map(String::from))), lit(ScalarValue::Int64(t)), lit(v)])
            .collect();
        let plan = LogicalPlanBuilder::values(values).unwrap().build().unwrap();
        let cols: Vec<Expr> =
            ["column1", "column2", "column3"].iter().zip(names).map(|(c, n)| column(c).alias(n)).collect();
        LogicalPlanBuilder::from(plan).project(cols).unwrap().build().unwrap()
    }

    /// `(left v, matched right value)` per left row, sorted.
    async fn run(strategy: &str) -> Vec<(i64, Option<i64>)> {
        let left = table(
            vec![
                (Some("a"), Some(1), 1),
                (Some("a"), Some(5), 2),
                (Some("b"), Some(3), 3),
                (None, Some(4), 4),
                (Some("a"), None, 5),
            ],
            ["k", "t", "v"],
        );
        let right = table(
            vec![
                (Some("a"), Some(0), 10),
                (Some("a"), Some(5), 20),
                (Some("a"), Some(5), 30),
                (Some("b"), Some(8), 40),
                (None, Some(4), 50),
            ],
            ["k", "t", "v"],
        );
        let plan = join_asof(
            left,
            right,
            column("t"),
            column("t"),
            vec![column("k")],
            vec![column("k")],
            strategy,
            None,
            None,
        )
        .unwrap();
        let names: Vec<String> = field_names(&plan);
        assert_eq!(names, ["k", "t", "v", "right.v"]);
        let batches = SessionContext::new().execute_logical_plan(plan).await.unwrap().collect().await.unwrap();
        let mut out = Vec::new();
        for b in batches {
            let (v, m) = (b.column(2).as_primitive::<Int64Type>(), b.column(3).as_primitive::<Int64Type>());
            for i in 0..b.num_rows() {
                out.push((v.value(i), m.is_valid(i).then(|| m.value(i))));
            }
        }
        out.sort();
        out
    }

    #[tokio::test]
    async fn as_of_strategies() {
        // The first of equal right keys wins; null keys on either side never match.
        let back = run("backward").await;
        assert_eq!(back, [(1, Some(10)), (2, Some(20)), (3, None), (4, None), (5, None)]);
        let fwd = run("forward").await;
        assert_eq!(fwd, [(1, Some(20)), (2, Some(20)), (3, Some(40)), (4, None), (5, None)]);
        let near = run("nearest").await;
        assert_eq!(near, [(1, Some(10)), (2, Some(20)), (3, Some(40)), (4, None), (5, None)]);
        assert!(Strategy::parse("closest").is_err());
    }
}
