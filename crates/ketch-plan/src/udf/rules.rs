//! Optimizer rules that place UDF calls where the fewest rows reach them
//! (DESIGN.md, "the multimodal-aware optimizer").
//!
//! - [`IsolateUdfs`] moves every UDF call out of a projection or filter into
//!   a [`UdfProject`] node below it. DataFusion's own rules then push filters
//!   on other columns and limits below that node, and prune its input.
//! - [`UdfAfterJoin`] moves a `UDFProject` from a join input to above the
//!   join when no join key reads a UDF output and the join cannot add
//!   null-padded rows on that side, so rows the join drops never reach the
//!   UDF. (A row that matches several times is then sent once per match.)

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, JoinType, Result, TableReference};
use datafusion::logical_expr::{
    Expr, Extension, Filter, Join, LogicalPlan, Projection, SubqueryAlias, UserDefinedLogicalNode,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

use super::ExternalUdf;
use super::node::UdfProject;

/// Moves UDF calls out of projections and filters into `UDFProject` nodes
/// (innermost calls first, so `f(g(x))` becomes two nodes).
#[derive(Debug, Default)]
pub struct IsolateUdfs;

impl OptimizerRule for IsolateUdfs {
    fn name(&self) -> &str {
        "ketch_isolate_udfs"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, _: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        match plan {
            LogicalPlan::Projection(p) if p.expr.iter().any(ExternalUdf::appears_in) => {
                let names: Vec<_> = p.expr.iter().map(|e| e.qualified_name()).collect();
                let (input, exprs) = extract(p.input, p.expr)?;
                let exprs = exprs.into_iter().zip(names).map(|(e, (q, n))| keep_name(e, q, &n)).collect();
                Ok(Transformed::yes(LogicalPlan::Projection(Projection::try_new(exprs, input)?)))
            }
            LogicalPlan::Filter(f) if ExternalUdf::appears_in(&f.predicate) => {
                let columns: Vec<Expr> = f.input.schema().columns().into_iter().map(Expr::Column).collect();
                let (input, mut predicate) = extract(f.input, vec![f.predicate])?;
                let filter = LogicalPlan::Filter(Filter::try_new(predicate.remove(0), input)?);
                Ok(Transformed::yes(LogicalPlan::Projection(Projection::try_new(columns, Arc::new(filter))?)))
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

/// `e` under the output name `(qualifier, name)` it had before rewriting.
fn keep_name(e: Expr, qualifier: Option<TableReference>, name: &str) -> Expr {
    let (q, n) = e.qualified_name();
    if q == qualifier && n == name { e } else { e.unalias().alias_qualified(qualifier, name) }
}

/// Names `__udf_0`, `__udf_1`, ... not taken in `schema` nor in `taken`.
fn fresh_names(schema: &DFSchema, taken: &HashSet<String>, prefix: &str, count: usize) -> Vec<String> {
    (0..)
        .map(|i| format!("{prefix}{i}"))
        .filter(|n| !schema.has_column_with_unqualified_name(n) && !taken.contains(n))
        .take(count)
        .collect()
}

/// The UDF calls in `exprs` whose arguments call no UDF, each once.
fn innermost_calls(exprs: &[Expr]) -> Result<Vec<Expr>> {
    let mut calls: Vec<Expr> = vec![];
    for e in exprs {
        e.apply(|x| {
            let Expr::ScalarFunction(f) = x else { return Ok(TreeNodeRecursion::Continue) };
            if ExternalUdf::of(x).is_none() || f.args.iter().any(ExternalUdf::appears_in) {
                return Ok(TreeNodeRecursion::Continue);
            }
            if !calls.contains(x) {
                calls.push(x.clone());
            }
            Ok(TreeNodeRecursion::Jump)
        })?;
    }
    Ok(calls)
}

/// Replaces every column in `map`'s keys by its value.
fn replace_columns(e: Expr, map: &HashMap<Column, Column>) -> Result<Expr> {
    Ok(e.transform_up(|x| match x {
        Expr::Column(c) => match map.get(&c) {
            Some(to) => Ok(Transformed::yes(Expr::Column(to.clone()))),
            None => Ok(Transformed::no(Expr::Column(c))),
        },
        other => Ok(Transformed::no(other)),
    })?
    .data)
}

/// Evaluates the UDF calls of `exprs` in `UDFProject` nodes stacked on
/// `input`; returns the new input and `exprs` reading the calls' columns.
fn extract(mut input: Arc<LogicalPlan>, mut exprs: Vec<Expr>) -> Result<(Arc<LogicalPlan>, Vec<Expr>)> {
    loop {
        let calls = innermost_calls(&exprs)?;
        if calls.is_empty() {
            return Ok((input, exprs));
        }
        let names = fresh_names(input.schema(), &HashSet::new(), "__udf_", calls.len());
        let node = UdfProject::try_new(input, calls.clone(), names.clone())?;
        input = Arc::new(LogicalPlan::Extension(Extension { node: Arc::new(node) }));
        exprs = exprs
            .into_iter()
            .map(|e| {
                Ok(e.transform_up(|x| match calls.iter().position(|c| c == &x) {
                    Some(i) => Ok(Transformed::yes(Expr::Column(Column::from_name(&names[i])))),
                    None => Ok(Transformed::no(x)),
                })?
                .data)
            })
            .collect::<Result<_>>()?;
    }
}

/// Moves a `UDFProject` (under an optional projection and alias) from a join
/// input to above the join.
#[derive(Debug, Default)]
pub struct UdfAfterJoin;

impl OptimizerRule for UdfAfterJoin {
    fn name(&self) -> &str {
        "ketch_udf_after_join"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, _: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Join(join) = plan else { return Ok(Transformed::no(plan)) };
        use JoinType::*;
        // the side whose rows are never null-padded by the join
        if matches!(join.join_type, Inner | Left | LeftSemi | LeftAnti)
            && let Some(p) = hoist(&join, true)?
        {
            return Ok(Transformed::yes(p));
        }
        if matches!(join.join_type, Inner | Right | RightSemi | RightAnti)
            && let Some(p) = hoist(&join, false)?
        {
            return Ok(Transformed::yes(p));
        }
        Ok(Transformed::no(LogicalPlan::Join(join)))
    }
}

/// A join input that ends in a `UDFProject`: `alias(projection(node))`.
struct Peeled<'a> {
    alias: Option<TableReference>,
    exprs: Vec<Expr>,
    node: &'a UdfProject,
}

fn peel(plan: &LogicalPlan) -> Option<Peeled<'_>> {
    let (alias, inner) = match plan {
        LogicalPlan::SubqueryAlias(a) => (Some(a.alias.clone()), a.input.as_ref()),
        other => (None, other),
    };
    let (exprs, ext) = match inner {
        LogicalPlan::Projection(p) => (p.expr.clone(), p.input.as_ref()),
        LogicalPlan::Extension(_) => (inner.schema().columns().into_iter().map(Expr::Column).collect(), inner),
        _ => return None,
    };
    let LogicalPlan::Extension(e) = ext else { return None };
    let node = UserDefinedLogicalNode::as_any(e.node.as_ref()).downcast_ref::<UdfProject>()?;
    Some(Peeled { alias, exprs, node })
}

fn hoist(join: &Join, left: bool) -> Result<Option<LogicalPlan>> {
    let child = if left { join.left.as_ref() } else { join.right.as_ref() };
    let Some(Peeled { alias, exprs, node }) = peel(child) else { return Ok(None) };
    let udf_cols: HashSet<Column> = node.names.iter().map(Column::from_name).collect();
    let dependent: Vec<bool> = exprs.iter().map(|e| e.column_refs().iter().any(|c| udf_cols.contains(c))).collect();
    if !dependent.contains(&true) {
        return Ok(None);
    }
    // the child's output columns computed from UDF results
    let child_schema = child.schema();
    let computed: HashSet<Column> = (0..exprs.len())
        .filter(|&i| dependent[i])
        .map(|i| {
            let (q, f) = child_schema.qualified_field(i);
            Column::new(q.cloned(), f.name())
        })
        .collect();
    let mut condition_refs: Vec<&Column> = vec![];
    for (l, r) in &join.on {
        condition_refs.extend(if left { l.column_refs() } else { r.column_refs() });
    }
    if let Some(f) = &join.filter {
        condition_refs.extend(f.column_refs());
    }
    if condition_refs.iter().any(|c| computed.contains(*c)) {
        return Ok(None);
    }

    // Below the join: the columns computed without UDFs, plus the input
    // columns the calls and UDF-derived columns read, under helper names.
    let x = node.input.schema();
    let mut needed: Vec<Column> = vec![];
    for e in node.calls.iter().chain(exprs.iter().zip(&dependent).filter(|(_, d)| **d).map(|(e, _)| e)) {
        for c in e.column_refs() {
            if !udf_cols.contains(c) && !needed.contains(c) {
                needed.push(c.clone());
            }
        }
    }
    let plain: Vec<Expr> = exprs.iter().zip(&dependent).filter(|(_, d)| !**d).map(|(e, _)| e.clone()).collect();
    let mut taken: HashSet<String> = plain.iter().map(|e| e.qualified_name().1).collect();
    let other = if left { join.right.schema() } else { join.left.schema() };
    taken.extend(other.fields().iter().map(|f| f.name().clone()));
    let helpers = fresh_names(x, &taken, "__udf_in_", needed.len());
    let mut lower = plain;
    let mut to_helper = HashMap::new();
    for (c, h) in needed.iter().zip(&helpers) {
        lower.push(Expr::Column(c.clone()).alias(h));
        to_helper.insert(c.clone(), Column::new(alias.clone(), h));
    }
    let mut below = LogicalPlan::Projection(Projection::try_new(lower, node.input.clone())?);
    if let Some(a) = &alias {
        below = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(below), a.clone())?);
    }
    let (l, r) = if left { (Arc::new(below), join.right.clone()) } else { (join.left.clone(), Arc::new(below)) };
    let Ok(new_join) = Join::try_new(
        l,
        r,
        join.on.clone(),
        join.filter.clone(),
        join.join_type,
        join.join_constraint,
        join.null_equality,
        join.null_aware,
    ) else {
        return Ok(None);
    };
    let new_join = Arc::new(LogicalPlan::Join(new_join));

    // Above the join: the calls on the helper columns, then the join's
    // original output with the UDF-derived columns recomputed.
    let names = fresh_names(new_join.schema(), &HashSet::new(), "__udf_", node.calls.len());
    let calls = node.calls.iter().map(|c| replace_columns(c.clone(), &to_helper)).collect::<Result<Vec<_>>>()?;
    let mut map = to_helper;
    for (old, new) in node.names.iter().zip(&names) {
        map.insert(Column::from_name(old), Column::from_name(new));
    }
    let udf = UdfProject::try_new(new_join, calls, names)?;
    let udf = Arc::new(LogicalPlan::Extension(Extension { node: Arc::new(udf) }));
    let offset = if left || matches!(join.join_type, JoinType::RightSemi | JoinType::RightAnti) {
        0
    } else {
        join.left.schema().fields().len()
    };
    let mut top = Vec::with_capacity(join.schema.fields().len());
    for j in 0..join.schema.fields().len() {
        let (q, f) = join.schema.qualified_field(j);
        let e = match j.checked_sub(offset).filter(|&i| i < exprs.len() && dependent[i]) {
            Some(i) => replace_columns(exprs[i].clone(), &map)?.unalias().alias_qualified(q.cloned(), f.name()),
            None => Expr::Column(Column::new(q.cloned(), f.name())),
        };
        top.push(e);
    }
    Ok(Some(LogicalPlan::Projection(Projection::try_new(top, udf)?)))
}
