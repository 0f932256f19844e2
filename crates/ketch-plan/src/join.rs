//! Joins with Daft's column rules.
//!
//! - A key that is the same column name on both sides appears once in the
//!   output (for outer and right joins it is `coalesce(left, right)`, so
//!   unmatched rows keep their key).
//! - Output order: the merged keys (in key order), the other left columns,
//!   then the remaining right columns.
//! - A right column whose name is already taken is renamed
//!   `prefix + name + suffix`; with neither given, the prefix is `right.`.
//! - Semi and anti joins return the left columns only.

use std::collections::HashSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, JoinType, Result, TableReference, plan_err};
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, cast};

const LEFT: &str = "__ketch_left";
const RIGHT: &str = "__ketch_right";

/// Join kinds by their Daft name.
pub fn join_type(how: &str) -> Result<JoinType> {
    Ok(match how {
        "inner" => JoinType::Inner,
        "left" => JoinType::Left,
        "right" => JoinType::Right,
        "outer" | "full" => JoinType::Full,
        "semi" => JoinType::LeftSemi,
        "anti" => JoinType::LeftAnti,
        other => {
            return plan_err!(
                "Unsupported join type: '{other}'; expected one of inner, left, right, outer, semi, anti, cross"
            );
        }
    })
}

fn qualify(expr: Expr, side: &str) -> Result<Expr> {
    Ok(expr
        .transform_up(|e| match e {
            Expr::Column(c) => {
                Ok(Transformed::yes(Expr::Column(Column::new(Some(TableReference::bare(side)), c.name))))
            }
            other => Ok(Transformed::no(other)),
        })?
        .data)
}

fn qcol(side: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(TableReference::bare(side)), name))
}

/// Every column a join key refers to exists on its side (checked here, as
/// the keys are qualified with ketch's internal side names below).
fn check_keys(side: &str, keys: &[Expr], names: &[String]) -> Result<()> {
    for key in keys {
        for c in key.column_refs() {
            if !names.contains(&c.name) {
                return plan_err!(
                    "Column '{}' not found in the {side} side of the join. Available columns: {}",
                    c.name,
                    names.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// The key pairs to compare: a number against a string is compared as
/// strings (Daft's supertype; DataFusion would cast the string to a number
/// and fail on the first that is not one).
fn string_keys(
    left: &LogicalPlan,
    right: &LogicalPlan,
    left_on: &[Expr],
    right_on: &[Expr],
) -> Result<(Vec<Expr>, Vec<Expr>)> {
    let is_string = |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let mut lk = Vec::with_capacity(left_on.len());
    let mut rk = Vec::with_capacity(right_on.len());
    for (l, r) in left_on.iter().zip(right_on) {
        let (lt, rt) = (l.get_type(left.schema())?, r.get_type(right.schema())?);
        let l = if lt.is_numeric() && is_string(&rt) { cast(l.clone(), DataType::Utf8) } else { l.clone() };
        let r = if rt.is_numeric() && is_string(&lt) { cast(r.clone(), DataType::Utf8) } else { r.clone() };
        lk.push(l);
        rk.push(r);
    }
    Ok((lk, rk))
}

/// Joins `left` and `right`. `how` is a Daft join kind (`cross` takes no
/// keys); `left_on`/`right_on` are key expressions over each side.
pub fn join(
    left: LogicalPlan,
    right: LogicalPlan,
    left_on: Vec<Expr>,
    right_on: Vec<Expr>,
    how: &str,
    prefix: Option<String>,
    suffix: Option<String>,
) -> Result<LogicalPlan> {
    if left_on.len() != right_on.len() {
        return plan_err!(
            "left_on and right_on must have the same number of keys, got {} and {}",
            left_on.len(),
            right_on.len()
        );
    }
    let left_names: Vec<String> = left.schema().fields().iter().map(|f| f.name().clone()).collect();
    let right_names: Vec<String> = right.schema().fields().iter().map(|f| f.name().clone()).collect();
    check_keys("left", &left_on, &left_names)?;
    check_keys("right", &right_on, &right_names)?;
    let (left_keys, right_keys) = string_keys(&left, &right, &left_on, &right_on)?;
    let l = LogicalPlanBuilder::from(left).alias(LEFT)?;
    let r = LogicalPlanBuilder::from(right).alias(RIGHT)?.build()?;

    let (joined, jt) = if how == "cross" {
        if !left_on.is_empty() {
            return plan_err!("A cross join takes no join keys");
        }
        (l.cross_join(r)?.build()?, JoinType::Inner)
    } else {
        if left_on.is_empty() {
            return plan_err!("A '{how}' join needs keys: pass on= or left_on= and right_on=");
        }
        let jt = join_type(how)?;
        let lk = left_keys.iter().cloned().map(|e| qualify(e, LEFT)).collect::<Result<Vec<_>>>()?;
        let rk = right_keys.iter().cloned().map(|e| qualify(e, RIGHT)).collect::<Result<Vec<_>>>()?;
        (l.join_with_expr_keys(r, jt, (lk, rk), None)?.build()?, jt)
    };

    // Keys named the same on both sides are merged into one output column.
    let merged: Vec<String> = left_on
        .iter()
        .zip(&right_on)
        .filter_map(|(l, r)| match (l, r) {
            (Expr::Column(a), Expr::Column(b)) if a.name == b.name => Some(a.name.clone()),
            _ => None,
        })
        .collect();

    let mut out = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    for name in merged.iter().filter(|m| left_names.contains(m)) {
        let key = match jt {
            JoinType::Right => qcol(RIGHT, name),
            JoinType::Full => {
                // As compared: a number merged with a string key is a string.
                let i = left_on.iter().position(|k| matches!(k, Expr::Column(c) if &c.name == name));
                let (l, r) = match i {
                    Some(i) => (qualify(left_keys[i].clone(), LEFT)?, qualify(right_keys[i].clone(), RIGHT)?),
                    None => (qcol(LEFT, name), qcol(RIGHT, name)),
                };
                crate::ops::builtin("coalesce")?.call(vec![l, r])
            }
            _ => qcol(LEFT, name),
        };
        if taken.insert(name.clone()) {
            out.push(key.alias(name));
        }
    }
    for name in left_names.iter().filter(|n| !merged.contains(n)) {
        out.push(qcol(LEFT, name).alias(name));
        taken.insert(name.clone());
    }
    if !matches!(jt, JoinType::LeftSemi | JoinType::LeftAnti) {
        let (prefix, suffix) = match (prefix, suffix) {
            (None, None) => ("right.".to_string(), String::new()),
            (p, s) => (p.unwrap_or_default(), s.unwrap_or_default()),
        };
        for name in &right_names {
            if merged.contains(name) {
                continue;
            }
            let mut out_name = name.clone();
            if taken.contains(&out_name) {
                out_name = format!("{prefix}{name}{suffix}");
            }
            if !taken.insert(out_name.clone()) {
                return plan_err!(
                    "Join output would have two columns named '{out_name}'; pass another prefix= or suffix="
                );
            }
            out.push(qcol(RIGHT, name).alias(out_name));
        }
    }
    LogicalPlanBuilder::from(joined).project(out)?.build()
}
