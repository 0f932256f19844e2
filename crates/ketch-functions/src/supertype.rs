//! Daft's supertype rules for the primitive types: whether two types have a
//! common type (Daft's `supertype.rs`, as its tests state it in
//! tests/expressions/typing/conftest.py `has_supertype`). Operators and
//! functions use them to reject the operand types Daft rejects.

use arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::expr::{Case, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator, cast};

use crate::binary::{BinaryKind, DaftBinary};

/// Integers and floats (Daft's numeric types; decimals are not among them).
pub fn is_numeric(t: &DataType) -> bool {
    t.is_integer() || t.is_floating()
}

/// Any Arrow string layout (Daft's `Utf8`).
pub fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Any Arrow binary layout, fixed-size included.
pub fn is_binary(t: &DataType) -> bool {
    matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_))
}

/// Date, time and timestamp (the temporal types Daft's supertype rules name).
pub fn is_temporal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32 | DataType::Date64 | DataType::Time32(_) | DataType::Time64(_) | DataType::Timestamp(..)
    )
}

/// A type Daft's operator rules cover; operators on any other type are left to DataFusion.
pub fn is_primitive(t: &DataType) -> bool {
    is_numeric(t) || is_string(t) || is_binary(t) || is_temporal(t) || matches!(t, DataType::Boolean | DataType::Null)
}

fn bitwidth_at_least_32(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int32 | DataType::Int64 | DataType::UInt32 | DataType::UInt64 | DataType::Float32 | DataType::Float64
    )
}

/// Whether `a` and `b` are a timestamp and a duration of different time
/// units: Daft adds and subtracts them only in the same unit.
pub fn mismatched_time_units(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::Timestamp(t, _), DataType::Duration(d)) | (DataType::Duration(d), DataType::Timestamp(t, _)) => {
            t != d
        }
        _ => false,
    }
}

/// Whether Daft has a common type for `a` and `b` (both primitive).
///
/// ```
/// use arrow::datatypes::DataType;
/// use ketch_functions::supertype::has_supertype;
/// assert!(has_supertype(&DataType::Boolean, &DataType::Int8));
/// assert!(!has_supertype(&DataType::Utf8, &DataType::Binary));
/// ```
pub fn has_supertype(a: &DataType, b: &DataType) -> bool {
    let variable_binary = |t: &DataType| matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView);
    if a == b || (variable_binary(a) && variable_binary(b)) {
        return true;
    }
    [(a, b), (b, a)].iter().any(|(x, y)| {
        x.is_null()
            || (is_string(x) && !is_binary(y))
            || (is_numeric(x) && is_numeric(y))
            || (**x == DataType::Boolean && is_numeric(y))
            || (is_temporal(x) && is_temporal(y))
            || (matches!(x, DataType::Date32 | DataType::Date64 | DataType::Time32(_) | DataType::Time64(_))
                && is_numeric(y))
            || (is_temporal(x) && bitwidth_at_least_32(y))
    })
}

/// The type an operand of type `t` takes where it meets one of type `other`,
/// where Daft's supertype differs from DataFusion's coercion: a boolean
/// compared with or joined to a number takes the number's type (to a string:
/// a string), and a signed integer meeting UInt64 in arithmetic is Float64
/// (DataFusion: a decimal).
pub fn daft_operand_type(t: &DataType, other: &DataType, meet: Meet) -> Option<DataType> {
    let signed_and_u64 = |a: &DataType, b: &DataType| a.is_signed_integer() && b == &DataType::UInt64;
    let joins = matches!(meet, Meet::Compare | Meet::Join);
    if joins && t == &DataType::Boolean && is_numeric(other) {
        Some(other.clone())
    } else if joins && t == &DataType::Boolean && is_string(other) {
        Some(DataType::Utf8)
    } else if meet != Meet::Compare && (signed_and_u64(t, other) || signed_and_u64(other, t)) {
        Some(DataType::Float64)
    } else {
        None
    }
}

/// How two operands meet: compared, joined into one value (`+`, CASE
/// branches, `fill_null`), or in other arithmetic (where Daft rejects booleans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meet {
    Compare,
    Join,
    Arithmetic,
}

/// `left` and `right` cast as [`daft_operand_type`] says, and whether either was.
fn retyped_pair(left: Expr, right: Expr, meet: Meet, schema: &DFSchema) -> Result<(Expr, Expr, bool)> {
    let (Ok(lt), Ok(rt)) = (left.get_type(schema), right.get_type(schema)) else {
        return Ok((left, right, false));
    };
    let (lc, rc) = (daft_operand_type(&lt, &rt, meet), daft_operand_type(&rt, &lt, meet));
    let changed = lc.is_some() || rc.is_some();
    let l = match lc {
        Some(t) => cast(left, t),
        None => left,
    };
    let r = match rc {
        Some(t) => cast(right, t),
        None => right,
    };
    Ok((l, r, changed))
}

/// How an operator's operands meet, for the operators [`DaftSupertypes`] retypes.
fn meet_of(op: &Operator) -> Option<Meet> {
    match op {
        Operator::Eq | Operator::NotEq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq => {
            Some(Meet::Compare)
        }
        Operator::Plus => Some(Meet::Join),
        Operator::Minus | Operator::Multiply | Operator::Divide | Operator::Modulo => Some(Meet::Arithmetic),
        _ => None,
    }
}

/// `expr` as a tensor arithmetic call ([`crate::multimodal::tensor_math`])
/// when it is `+`, `-`, `*` or `/` of two fixed-size lists of numbers.
fn tensor_arithmetic(expr: &Expr, schema: &DFSchema) -> Result<Option<Expr>> {
    use crate::multimodal::tensor_math::{applies, function_for};
    let (op, l, r) = match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => (*op, left.as_ref(), right.as_ref()),
        Expr::ScalarFunction(ScalarFunction { func, args }) if args.len() == 2 => {
            match func.inner().downcast_ref::<DaftBinary>().map(DaftBinary::kind) {
                Some(BinaryKind::Add) => (Operator::Plus, &args[0], &args[1]),
                Some(BinaryKind::TrueDivide) => (Operator::Divide, &args[0], &args[1]),
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    let Some(name) = function_for(&op) else { return Ok(None) };
    // An operand whose type cannot be computed (an unknown column) is left for the planner to report.
    let (Ok(lt), Ok(rt)) = (l.get_type(schema), r.get_type(schema)) else { return Ok(None) };
    if !applies(&lt, &rt) {
        return Ok(None);
    }
    let Some(udf) = crate::scalar(name) else { return Ok(None) };
    Ok(Some(udf.call(vec![l.clone(), r.clone()])))
}

/// The rewrite that makes Daft's supertypes explicit where DataFusion's
/// coercion differs (see [`daft_operand_type`]): in comparisons, arithmetic,
/// `+` and the branches of a CASE (`when`/`if_else`). ketch applies it to
/// DataFrame expressions as they are added to a plan (DataFusion computes a
/// comparison's type, and rejects Int64 = Boolean, right then) and, as an
/// analyzer function rewrite, to SQL.
#[derive(Debug, Default)]
pub struct DaftSupertypes;

impl FunctionRewrite for DaftSupertypes {
    fn name(&self) -> &str {
        "daft_supertypes"
    }

    fn rewrite(&self, expr: Expr, schema: &DFSchema, _config: &ConfigOptions) -> Result<Transformed<Expr>> {
        if let Some(call) = tensor_arithmetic(&expr, schema)? {
            return Ok(Transformed::yes(call));
        }
        Ok(match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) if meet_of(&op).is_some() => {
                let meet = meet_of(&op).unwrap_or(Meet::Arithmetic);
                let (l, r, changed) = retyped_pair(*left, *right, meet, schema)?;
                let e = Expr::BinaryExpr(BinaryExpr::new(Box::new(l), op, Box::new(r)));
                if changed { Transformed::yes(e) } else { Transformed::no(e) }
            }
            Expr::ScalarFunction(ScalarFunction { func, args })
                if func.inner().downcast_ref::<DaftBinary>().is_some_and(|b| b.kind() == BinaryKind::Add)
                    && args.len() == 2 =>
            {
                let [l, r]: [Expr; 2] = args.try_into().expect("two arguments");
                let (l, r, changed) = retyped_pair(l, r, Meet::Join, schema)?;
                let e = Expr::ScalarFunction(ScalarFunction { func, args: vec![l, r] });
                if changed { Transformed::yes(e) } else { Transformed::no(e) }
            }
            Expr::Case(case) => {
                let mut types = vec![];
                for (_, then) in &case.when_then_expr {
                    types.push(then.get_type(schema));
                }
                if let Some(e) = &case.else_expr {
                    types.push(e.get_type(schema));
                }
                let Ok(types) = types.into_iter().collect::<Result<Vec<DataType>>>() else {
                    return Ok(Transformed::no(Expr::Case(case)));
                };
                // The type each branch takes: what it meets in the other branches.
                let targets: Vec<Option<DataType>> =
                    types.iter().map(|t| types.iter().find_map(|o| daft_operand_type(t, o, Meet::Join))).collect();
                if targets.iter().all(Option::is_none) {
                    return Ok(Transformed::no(Expr::Case(case)));
                }
                let retype = |e: Expr, target: &Option<DataType>| match target {
                    Some(t) => cast(e, t.clone()),
                    None => e,
                };
                let Case { expr, when_then_expr, else_expr } = case;
                let n = when_then_expr.len();
                let when_then_expr = when_then_expr
                    .into_iter()
                    .zip(&targets)
                    .map(|((w, t), to)| (w, Box::new(retype(*t, to))))
                    .collect();
                let else_expr = else_expr.map(|e| Box::new(retype(*e, &targets[n])));
                Transformed::yes(Expr::Case(Case { expr, when_then_expr, else_expr }))
            }
            e => Transformed::no(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::TimeUnit;

    #[test]
    fn supertypes_follow_daft() {
        assert!(has_supertype(&DataType::Int8, &DataType::Float64));
        assert!(has_supertype(&DataType::Boolean, &DataType::UInt8));
        assert!(has_supertype(&DataType::Utf8, &DataType::Boolean));
        assert!(has_supertype(&DataType::Null, &DataType::Binary));
        assert!(!has_supertype(&DataType::Utf8, &DataType::Binary));
        assert!(!has_supertype(&DataType::Binary, &DataType::Int64));
        assert!(!has_supertype(&DataType::Timestamp(TimeUnit::Second, None), &DataType::Int16));
        assert!(has_supertype(&DataType::Timestamp(TimeUnit::Second, None), &DataType::Int32));
    }
}
