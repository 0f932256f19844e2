//! ketch's logical optimizer rules, added after DataFusion's own.

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::{BinaryExpr, Cast};
use datafusion::logical_expr::{Expr, LogicalPlan, Operator};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// Compares a float column with a decimal literal in the float domain.
///
/// SQL numeric literals are exact decimals in ketch (`0.06 + 0.01` is 0.07),
/// so `float_col <= 0.07` is coerced to `CAST(float_col AS DECIMAL) <= 0.07`:
/// a decimal cast of every row, and no statistics pruning. This rule turns it
/// into `float_col <= 0.07::DOUBLE`. The two agree whenever the literal has at
/// most 15 significant digits (the precision of a double), which this rule
/// requires; other comparisons are left alone.
#[derive(Debug, Default)]
pub struct FloatDecimalComparison;

fn comparison(op: Operator) -> bool {
    matches!(op, Operator::Eq | Operator::NotEq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq)
}

/// The double value of a decimal literal with at most 15 significant digits.
fn as_f64(v: &ScalarValue) -> Option<f64> {
    match v {
        ScalarValue::Decimal128(Some(x), precision, scale) if *precision <= 38 => {
            let digits = x.unsigned_abs().checked_ilog10().map(|d| d + 1).unwrap_or(1);
            (digits <= 15).then(|| *x as f64 / 10f64.powi(*scale as i32))
        }
        _ => None,
    }
}

/// `CAST(float AS Decimal)` -> the float expression.
fn float_under_cast(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Cast(Cast { expr, field }) if field.data_type().is_decimal() => {
            // the inner type is known only from its expression: a column or
            // any float-typed expression; the caller checks the literal side.
            Some(expr.as_ref())
        }
        _ => None,
    }
}

fn rewrite_expr(e: Expr, plan: &LogicalPlan) -> Result<Transformed<Expr>> {
    e.transform_up(|e| {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else { return Ok(Transformed::no(e)) };
        if !comparison(*op) {
            return Ok(Transformed::no(e));
        }
        let schemas: Vec<_> = plan.inputs().iter().map(|i| i.schema().clone()).collect();
        let is_float = |x: &Expr| {
            schemas.iter().any(|s| {
                datafusion::logical_expr::ExprSchemable::get_type(x, s.as_ref()).is_ok_and(|t| t.is_floating())
            })
        };
        let lit_f64 = |x: &Expr| match x {
            Expr::Literal(v, _) => as_f64(v),
            _ => None,
        };
        let rewritten = match (float_under_cast(left), float_under_cast(right)) {
            (Some(inner), None) if is_float(inner) => lit_f64(right).map(|f| {
                Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(inner.clone()),
                    *op,
                    Box::new(Expr::Literal(ScalarValue::Float64(Some(f)), None)),
                ))
            }),
            (None, Some(inner)) if is_float(inner) => lit_f64(left).map(|f| {
                Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(Expr::Literal(ScalarValue::Float64(Some(f)), None)),
                    *op,
                    Box::new(inner.clone()),
                ))
            }),
            _ => None,
        };
        Ok(match rewritten {
            Some(r) => Transformed::yes(r),
            None => Transformed::no(e),
        })
    })
}

impl OptimizerRule for FloatDecimalComparison {
    fn name(&self) -> &str {
        "ketch_float_decimal_comparison"
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        plan.transform_up_with_subqueries(|node| {
            let snapshot = node.clone();
            node.map_expressions(|e| rewrite_expr(e, &snapshot))
        })
    }
}
