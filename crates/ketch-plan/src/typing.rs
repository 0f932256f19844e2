//! Daft's operand typing for operators: which types comparisons, `-`, `*`,
//! `/`, `%`, `~`, unary `-` and the branches of a CASE (`when`) accept, and
//! timestamp - duration only in one time unit. DataFusion's coercion is more lenient (it casts a
//! string or a boolean to a number, a null to anything), and Daft rejects
//! those expressions when they are built; ketch rejects them when a plan is
//! built, with Daft's message. The rules are Daft's `supertype.rs` as its
//! tests state them (tests/expressions/typing/conftest.py: `has_supertype`,
//! `is_comparable`).
//!
//! Types outside the primitive ones Daft's rules cover (lists, structs, maps,
//! decimals, durations, intervals, extension types) are left to DataFusion.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, plan_err};
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use ketch_functions::multimodal::types::daft_name;
use ketch_functions::supertype::{has_supertype, is_numeric, is_primitive, is_string, is_temporal};

fn is_comparison(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

/// Daft's verb for an arithmetic operator in its error messages.
fn arithmetic_verb(op: &Operator) -> Option<&'static str> {
    match op {
        Operator::Minus => Some("subtract"),
        Operator::Multiply => Some("multiply"),
        Operator::Divide => Some("divide"),
        Operator::Modulo => Some("modulo"),
        _ => None,
    }
}

/// The error for `l <op> r`, if Daft rejects those operand types.
fn binary_error(l: &DataType, op: &Operator, r: &DataType) -> Option<String> {
    if *op == Operator::Minus && ketch_functions::supertype::mismatched_time_units(l, r) {
        return Some(format!("Cannot subtract types: {}, {} (different time units)", daft_name(l), daft_name(r)));
    }
    if !is_primitive(l) || !is_primitive(r) {
        return None;
    }
    if is_comparison(op) {
        // Daft compares neither a number with a string nor with a date or time
        // (daft==0.7.26: "Cannot perform comparison on types: Int64, Date").
        let with_number = |t: &DataType| is_string(t) || is_temporal(t);
        let mixed = (is_numeric(l) && with_number(r)) || (with_number(l) && is_numeric(r));
        if mixed || !has_supertype(l, r) {
            return Some(format!("Cannot perform comparison on types: {}, {}", daft_name(l), daft_name(r)));
        }
    } else if let Some(verb) = arithmetic_verb(op) {
        let ok = (is_numeric(l) && is_numeric(r)) || (*op == Operator::Minus && is_temporal(l) && l == r);
        if !ok {
            return Some(format!("Cannot {verb} types: {}, {}", daft_name(l), daft_name(r)));
        }
    }
    None
}

/// The first operator in `e` whose operand types Daft rejects, as Daft's message.
fn first_error(schema: &DFSchema, e: &Expr) -> Result<Option<String>> {
    let mut found = None;
    e.apply(|node| {
        let error = match node {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => match (left.get_type(schema), right.get_type(schema)) {
                (Ok(l), Ok(r)) => binary_error(&l, op, &r),
                _ => None,
            },
            Expr::Not(inner) => match inner.get_type(schema) {
                Ok(t) if is_primitive(&t) && !matches!(t, DataType::Boolean | DataType::Null) => {
                    Some(format!("Expected argument to be a Boolean expression, but received {}", daft_name(&t)))
                }
                _ => None,
            },
            Expr::Case(case) => {
                let mut types = vec![];
                for (_, then) in &case.when_then_expr {
                    types.extend(then.get_type(schema).ok());
                }
                types.extend(case.else_expr.as_ref().and_then(|e| e.get_type(schema).ok()));
                let mut pairs = types.iter().flat_map(|a| types.iter().map(move |b| (a, b)));
                pairs.find(|(a, b)| is_primitive(a) && is_primitive(b) && !has_supertype(a, b)).map(|(a, b)| {
                    format!("Cannot find a common type for if_else branches: {}, {}", daft_name(a), daft_name(b))
                })
            }
            Expr::Negative(inner) => match inner.get_type(schema) {
                Ok(t) if is_primitive(&t) && !is_numeric(&t) => {
                    Some(format!("Expected input to negate to be numeric, got {}", daft_name(&t)))
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(msg) = error {
            found = Some(format!("{msg} in {}", crate::display::display(node)));
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(found)
}

/// `e` with Daft's supertypes made explicit over `plan`'s output (casts where
/// DataFusion's coercion differs: see [`ketch_functions::supertype::DaftSupertypes`]),
/// before it becomes part of a plan.
pub fn with_daft_supertypes(plan: &LogicalPlan, e: Expr) -> Result<Expr> {
    use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
    let config = datafusion::config::ConfigOptions::new();
    let rewrite = ketch_functions::supertype::DaftSupertypes;
    Ok(e.transform_up(|node| rewrite.rewrite(node, plan.schema(), &config))?.data)
}

/// Errors when an expression applies an operator to types Daft does not
/// accept for it (see the module docs), naming the types and the expression.
///
/// ```
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::logical_expr::{col, lit};
/// let schema = Schema::new(vec![Field::new("a", DataType::Int64, true), Field::new("s", DataType::Utf8, true)]);
/// let plan = datafusion::logical_expr::table_scan(Some("t"), &schema, None).unwrap().build().unwrap();
/// assert!(ketch_plan::typing::check_operand_types(&plan, &[col("a") - lit(1i64)]).is_ok());
/// assert!(ketch_plan::typing::check_operand_types(&plan, &[col("a").lt(col("s"))]).is_err());
/// ```
pub fn check_operand_types(plan: &LogicalPlan, exprs: &[Expr]) -> Result<()> {
    let schema = plan.schema();
    for e in exprs {
        if let Some(msg) = first_error(schema, e)? {
            return plan_err!("{msg}");
        }
    }
    Ok(())
}

/// [`check_operand_types`] for every node of `plan` over one input (a SQL
/// query's projections, filters, aggregations and sorts).
pub fn check_plan_operand_types(plan: &LogicalPlan) -> Result<()> {
    plan.apply(|node| {
        if let [input] = node.inputs().as_slice() {
            check_operand_types(input, &node.expressions())?;
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

/// The schema `plan` has once DataFusion's analyzer has expanded ketch's
/// functions and coerced operand types: the types its rows will have
/// (`when(p, int8).otherwise(int16)` is Int16, where the unanalyzed plan
/// states the first branch's type). A plan the analyzer rejects keeps its own
/// schema; executing it reports the error.
///
/// ```
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::logical_expr::{LogicalPlanBuilder, col, table_scan, when};
/// let schema = Schema::new(vec![
///     Field::new("p", DataType::Boolean, true),
///     Field::new("a", DataType::Int8, true),
///     Field::new("b", DataType::Int16, true),
/// ]);
/// let scan = table_scan(Some("t"), &schema, None).unwrap().build().unwrap();
/// let e = when(col("p"), col("a")).otherwise(col("b")).unwrap().alias("x");
/// let plan = LogicalPlanBuilder::from(scan).project(vec![e]).unwrap().build().unwrap();
/// assert_eq!(ketch_plan::typing::coerced_schema(&plan).field(0).data_type(), &DataType::Int16);
/// ```
pub fn coerced_schema(plan: &LogicalPlan) -> datafusion::common::DFSchemaRef {
    let mut analyzer = datafusion::optimizer::Analyzer::new();
    analyzer.add_function_rewrite(std::sync::Arc::new(ketch_functions::function::ExpandDaftFunctions));
    analyzer.add_function_rewrite(std::sync::Arc::new(ketch_functions::supertype::DaftSupertypes));
    let config = datafusion::config::ConfigOptions::new();
    match analyzer.execute_and_check(plan.clone(), &config, |_, _| {}) {
        Ok(analyzed) => analyzed.schema().clone(),
        Err(_) => plan.schema().clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wants_numbers() {
        assert!(binary_error(&DataType::Int64, &Operator::Minus, &DataType::Null).is_some());
        assert!(binary_error(&DataType::Boolean, &Operator::Multiply, &DataType::Boolean).is_some());
        assert!(binary_error(&DataType::Int8, &Operator::Modulo, &DataType::Float32).is_none());
        assert!(binary_error(&DataType::Date32, &Operator::Minus, &DataType::Date32).is_none());
        assert!(binary_error(&DataType::Date32, &Operator::Multiply, &DataType::Date32).is_some());
    }

    #[test]
    fn comparisons_want_a_supertype() {
        assert!(binary_error(&DataType::Int64, &Operator::Eq, &DataType::Utf8).is_some());
        assert!(binary_error(&DataType::Utf8, &Operator::Lt, &DataType::Binary).is_some());
        assert!(binary_error(&DataType::Utf8, &Operator::Eq, &DataType::Boolean).is_none());
        assert!(binary_error(&DataType::Int64, &Operator::Eq, &DataType::Null).is_none());
        assert!(binary_error(&DataType::Int64, &Operator::Lt, &DataType::Date32).is_some());
    }
}
