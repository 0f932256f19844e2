//! Daft's binary operators whose meaning depends on the operand types, which a
//! Python expression does not know when it is built:
//!
//! - `true_divide` (`/`): integers and floats divide as `Float64`
//!   (`1 / 2 == 0.5`); decimals keep decimal arithmetic.
//! - `floor_divide` (`//`): integers divide as integers truncating toward zero
//!   (Daft: `-7 // 2 == -3`); floats give `floor(a / b)` as `Float64`.
//! - `xor` (`^`), `and` (`&`), `or` (`|`): logical (Kleene) on booleans,
//!   bitwise on integers (Daft: `col("a") & 3`).
//! - `add` (`+`): numeric addition, string concatenation when either side
//!   is a string (Daft: `col("a") + "x"`), byte concatenation of binary
//!   values, and date + duration.
//!
//! During optimization [`ScalarUDFImpl::simplify`] rewrites each call to
//! DataFusion's own operators once the types are known, so they cost nothing
//! at run time; `invoke_with_args` computes the same result with Arrow kernels
//! for a plan that was never simplified.

use arrow::array::{ArrayRef, AsArray};
use arrow::compute::kernels::cmp::neq;
use arrow::compute::kernels::numeric::div;
use arrow::compute::{and_kleene, cast, or_kleene, unary};
use arrow::datatypes::{DataType, Float64Type, IntervalUnit};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;
use datafusion::logical_expr::{
    ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility, binary_expr,
    expr_fn::cast as cast_expr,
};

use crate::multimodal::types::daft_name;
use crate::supertype::{has_supertype, is_binary, is_numeric, is_primitive, is_temporal, mismatched_time_units};

/// Which Daft operator a [`DaftBinary`] implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryKind {
    TrueDivide,
    FloorDivide,
    Xor,
    Add,
    And,
    Or,
}

impl BinaryKind {
    /// Every kind, for registration.
    pub const ALL: [BinaryKind; 6] = [
        BinaryKind::TrueDivide,
        BinaryKind::FloorDivide,
        BinaryKind::Xor,
        BinaryKind::Add,
        BinaryKind::And,
        BinaryKind::Or,
    ];
}

/// A type-dependent Daft binary operator (see the module docs).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DaftBinary {
    kind: BinaryKind,
    signature: Signature,
}

impl DaftBinary {
    pub fn new(kind: BinaryKind) -> Self {
        Self { kind, signature: Signature::any(2, Volatility::Immutable) }
    }

    /// Which operator this is.
    pub fn kind(&self) -> BinaryKind {
        self.kind
    }
}

fn is_decimal(t: &DataType) -> bool {
    matches!(t, DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..))
}

fn is_date(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64)
}

fn is_duration(t: &DataType) -> bool {
    matches!(t, DataType::Duration(_))
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// `+` of binary values (or a binary and a null) concatenates bytes.
fn binary_concat(l: &DataType, r: &DataType) -> bool {
    (is_binary(l) && (is_binary(r) || r.is_null())) || (l.is_null() && is_binary(r))
}

fn numeric(t: &DataType) -> bool {
    t.is_numeric() || t.is_null()
}

fn both_integer(l: &DataType, r: &DataType) -> bool {
    (l.is_integer() || l.is_null()) && (r.is_integer() || r.is_null()) && !(l.is_null() && r.is_null())
}

impl DaftBinary {
    fn op_name(&self) -> &'static str {
        match self.kind {
            BinaryKind::TrueDivide => "divide",
            BinaryKind::FloorDivide => "floor divide",
            BinaryKind::Xor => "xor",
            BinaryKind::Add => "add",
            BinaryKind::And => "and",
            BinaryKind::Or => "or",
        }
    }

    /// The logical operator on booleans and the bitwise one on integers.
    fn logical_and_bitwise(&self) -> Option<(Operator, Operator)> {
        match self.kind {
            BinaryKind::Xor => Some((Operator::NotEq, Operator::BitwiseXor)),
            BinaryKind::And => Some((Operator::And, Operator::BitwiseAnd)),
            BinaryKind::Or => Some((Operator::Or, Operator::BitwiseOr)),
            _ => None,
        }
    }

    /// Daft's error for operand types it does not accept (both primitive):
    /// `+` takes numbers, booleans, strings, binary and nulls with a common
    /// type (binary and fixed-size binary join); `&`, `|`, `^` take booleans
    /// with booleans or nulls, and integers with integers or nulls (not
    /// UInt64 with a signed integer); `/` and `//` take numbers.
    fn operand_error(&self, l: &DataType, r: &DataType) -> Option<String> {
        if self.kind == BinaryKind::Add && mismatched_time_units(l, r) {
            return Some(format!("Cannot add types: {}, {} (different time units)", daft_name(l), daft_name(r)));
        }
        if !is_primitive(l) || !is_primitive(r) {
            return None;
        }
        let ok = match self.kind {
            BinaryKind::Add => {
                !is_temporal(l) && !is_temporal(r) && (has_supertype(l, r) || (is_binary(l) && is_binary(r)))
            }
            BinaryKind::Xor | BinaryKind::And | BinaryKind::Or => {
                let signed = |t: &DataType| t.is_signed_integer();
                let int_or_null = |t: &DataType| t.is_integer() || t.is_null();
                let bool_or_null = |t: &DataType| matches!(t, DataType::Boolean | DataType::Null);
                let mixed_u64 = (l == &DataType::UInt64 && signed(r)) || (r == &DataType::UInt64 && signed(l));
                let integers = int_or_null(l) && int_or_null(r) && (l.is_integer() || r.is_integer()) && !mixed_u64;
                let booleans =
                    bool_or_null(l) && bool_or_null(r) && (l == &DataType::Boolean || r == &DataType::Boolean);
                integers || booleans
            }
            BinaryKind::TrueDivide | BinaryKind::FloorDivide => is_numeric(l) && is_numeric(r),
        };
        let verb = match self.kind {
            BinaryKind::Add => "add",
            BinaryKind::TrueDivide | BinaryKind::FloorDivide => "divide",
            _ => "perform logic on",
        };
        (!ok).then(|| format!("Cannot {verb} types: {}, {}", daft_name(l), daft_name(r)))
    }

    fn result_type(&self, l: &DataType, r: &DataType) -> Result<DataType> {
        if let Some(msg) = self.operand_error(l, r) {
            return plan_err!("{msg}");
        }
        match self.kind {
            BinaryKind::Add if is_string(l) || is_string(r) => Ok(DataType::Utf8),
            BinaryKind::Add if binary_concat(l, r) => Ok(DataType::Binary),
            BinaryKind::Add if is_date(l) && is_duration(r) => Ok(l.clone()),
            BinaryKind::Add if is_duration(l) && is_date(r) => Ok(r.clone()),
            // A boolean added to a number counts as that number's type (Daft's supertype).
            BinaryKind::Add if l == &DataType::Boolean && r.is_numeric() => Ok(r.clone()),
            BinaryKind::Add if r == &DataType::Boolean && l.is_numeric() => Ok(l.clone()),
            BinaryKind::Add => BinaryTypeCoercer::new(l, &Operator::Plus, r).get_result_type(),
            BinaryKind::Xor | BinaryKind::And | BinaryKind::Or => match (l, r) {
                (DataType::Boolean | DataType::Null, DataType::Boolean | DataType::Null) => Ok(DataType::Boolean),
                _ if both_integer(l, r) => {
                    let bitwise = self.logical_and_bitwise().map(|(_, b)| b).unwrap_or(Operator::BitwiseXor);
                    BinaryTypeCoercer::new(l, &bitwise, r).get_result_type()
                }
                _ => plan_err!("Cannot {} types: {l}, {r}", self.op_name()),
            },
            _ if !numeric(l) || !numeric(r) => plan_err!("Cannot {} types: {l}, {r}", self.op_name()),
            BinaryKind::TrueDivide if is_decimal(l) || is_decimal(r) => {
                BinaryTypeCoercer::new(l, &Operator::Divide, r).get_result_type()
            }
            BinaryKind::TrueDivide => Ok(DataType::Float64),
            BinaryKind::FloorDivide if both_integer(l, r) => {
                BinaryTypeCoercer::new(l, &Operator::Divide, r).get_result_type()
            }
            BinaryKind::FloorDivide => Ok(DataType::Float64),
        }
    }
}

impl ScalarUDFImpl for DaftBinary {
    fn name(&self) -> &str {
        match self.kind {
            BinaryKind::TrueDivide => "true_divide",
            BinaryKind::FloorDivide => "floor_divide",
            BinaryKind::Xor => "xor",
            BinaryKind::Add => "add",
            BinaryKind::And => "and",
            BinaryKind::Or => "or",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.result_type(&arg_types[0], &arg_types[1])
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let [left, right]: [Expr; 2] = match args.try_into() {
            Ok(pair) => pair,
            Err(_) => return plan_err!("{} takes two arguments", self.name()),
        };
        let (lt, rt) = (info.get_data_type(&left)?, info.get_data_type(&right)?);
        let as_f64 = |e: Expr| cast_expr(e, DataType::Float64);
        let as_interval = |e: Expr| cast_expr(e, DataType::Interval(IntervalUnit::MonthDayNano));
        // The analyzer's type coercion has already run, so the operator built
        // here gets its operands cast to the types it expects.
        let coerced = |l: Expr, op: Operator, r: Expr| -> Result<Expr> {
            let (lt, rt) = (info.get_data_type(&l)?, info.get_data_type(&r)?);
            let (lc, rc) = BinaryTypeCoercer::new(&lt, &op, &rt).get_input_types()?;
            let l = if lc == lt { l } else { cast_expr(l, lc) };
            let r = if rc == rt { r } else { cast_expr(r, rc) };
            Ok(binary_expr(l, op, r))
        };
        let as_utf8 = |e: Expr, t: &DataType| if is_string(t) { e } else { cast_expr(e, DataType::Utf8) };
        let expr = match self.kind {
            BinaryKind::Add if is_string(&lt) || is_string(&rt) => {
                // Daft's string type is Utf8 whichever string layouts meet.
                let concat = coerced(as_utf8(left, &lt), Operator::StringConcat, as_utf8(right, &rt))?;
                if info.get_data_type(&concat)? == DataType::Utf8 { concat } else { cast_expr(concat, DataType::Utf8) }
            }
            // DataFusion adds intervals, not durations, to dates.
            // Binary values join as bytes (Daft's `+` on binary).
            BinaryKind::Add if binary_concat(&lt, &rt) => binary_expr(
                cast_expr(left, DataType::Binary),
                Operator::StringConcat,
                cast_expr(right, DataType::Binary),
            ),
            BinaryKind::Add if is_date(&lt) && is_duration(&rt) => coerced(left, Operator::Plus, as_interval(right))?,
            BinaryKind::Add if is_duration(&lt) && is_date(&rt) => coerced(right, Operator::Plus, as_interval(left))?,
            BinaryKind::Add => coerced(left, Operator::Plus, right)?,
            BinaryKind::Xor | BinaryKind::And | BinaryKind::Or => {
                let (logical, bitwise) = self.logical_and_bitwise().unwrap_or((Operator::NotEq, Operator::BitwiseXor));
                if both_integer(&lt, &rt) {
                    coerced(left, bitwise, right)?
                } else if self.kind == BinaryKind::Xor {
                    coerced(left, logical, right)?
                } else {
                    // Boolean or null operands: And/Or take them as they are.
                    let as_bool = |e: Expr, t: &DataType| {
                        if t == &DataType::Boolean { e } else { cast_expr(e, DataType::Boolean) }
                    };
                    binary_expr(as_bool(left, &lt), logical, as_bool(right, &rt))
                }
            }
            BinaryKind::TrueDivide if is_decimal(&lt) || is_decimal(&rt) => coerced(left, Operator::Divide, right)?,
            BinaryKind::TrueDivide => binary_expr(as_f64(left), Operator::Divide, as_f64(right)),
            BinaryKind::FloorDivide if both_integer(&lt, &rt) => coerced(left, Operator::Divide, right)?,
            BinaryKind::FloorDivide => {
                let floor = datafusion::functions::math::floor();
                floor.call(vec![binary_expr(as_f64(left), Operator::Divide, as_f64(right))])
            }
        };
        Ok(ExprSimplifyResult::Simplified(expr))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out_type = args.return_field.data_type().clone();
        let out: ArrayRef = match (self.kind, &out_type) {
            (BinaryKind::Xor, DataType::Boolean) => {
                let l = cast(&arrays[0], &DataType::Boolean)?;
                let r = cast(&arrays[1], &DataType::Boolean)?;
                match (l.as_boolean_opt(), r.as_boolean_opt()) {
                    (Some(l), Some(r)) => std::sync::Arc::new(neq(l, r)?),
                    _ => return exec_err!("xor: operands did not cast to Boolean"),
                }
            }
            (BinaryKind::And | BinaryKind::Or, DataType::Boolean) => {
                let l = cast(&arrays[0], &DataType::Boolean)?;
                let r = cast(&arrays[1], &DataType::Boolean)?;
                match (l.as_boolean_opt(), r.as_boolean_opt()) {
                    (Some(l), Some(r)) if self.kind == BinaryKind::And => std::sync::Arc::new(and_kleene(l, r)?),
                    (Some(l), Some(r)) => std::sync::Arc::new(or_kleene(l, r)?),
                    _ => return exec_err!("{}: operands did not cast to Boolean", self.op_name()),
                }
            }
            (BinaryKind::TrueDivide | BinaryKind::FloorDivide, DataType::Float64) => {
                let q = div(&cast(&arrays[0], &DataType::Float64)?, &cast(&arrays[1], &DataType::Float64)?)?;
                if self.kind == BinaryKind::FloorDivide {
                    let Some(q) = q.as_primitive_opt::<Float64Type>() else {
                        return exec_err!("floor_divide: quotient is not Float64");
                    };
                    std::sync::Arc::new(unary::<Float64Type, _, Float64Type>(q, f64::floor))
                } else {
                    q
                }
            }
            (BinaryKind::FloorDivide, t) if t.is_integer() => div(&cast(&arrays[0], t)?, &cast(&arrays[1], t)?)?,
            (kind, t) => return exec_err!("{kind:?} producing {t} is evaluated only after expression simplification"),
        };
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, BooleanArray, Float64Array, Int64Array, StringArray};
    use datafusion::logical_expr::ScalarUDF;
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn eval(sql: &str) -> Result<Arc<dyn Array>> {
        let ctx = SessionContext::new();
        for kind in BinaryKind::ALL {
            ctx.register_udf(ScalarUDF::new_from_impl(DaftBinary::new(kind)));
        }
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(batches[0].column(0).clone())
    }

    #[tokio::test]
    async fn true_divide_of_integers_is_float() -> Result<()> {
        let a = eval("select true_divide(a, 2) from (values (7), (-7), (null)) t(a)").await?;
        let a = a.as_any().downcast_ref::<Float64Array>().expect("Float64");
        assert_eq!(a.value(0), 3.5);
        assert_eq!(a.value(1), -3.5);
        assert!(a.is_null(2));
        Ok(())
    }

    #[tokio::test]
    async fn floor_divide_truncates_integers_and_floors_floats() -> Result<()> {
        let a = eval("select floor_divide(a, 2) from (values (7), (-7)) t(a)").await?;
        let a = a.as_any().downcast_ref::<Int64Array>().expect("Int64");
        assert_eq!((a.value(0), a.value(1)), (3, -3));
        let f = eval("select floor_divide(a, 2.0) from (values (-7.0)) t(a)").await?;
        assert_eq!(f.as_any().downcast_ref::<Float64Array>().expect("Float64").value(0), -4.0);
        Ok(())
    }

    #[tokio::test]
    async fn xor_is_logical_on_booleans_and_bitwise_on_integers() -> Result<()> {
        let b = eval("select xor(a, b) from (values (true, false), (true, true)) t(a, b)").await?;
        let b = b.as_any().downcast_ref::<BooleanArray>().expect("Boolean");
        assert!(b.value(0) && !b.value(1));
        let i = eval("select xor(a, b) from (values (5, 3)) t(a, b)").await?;
        assert_eq!(i.as_any().downcast_ref::<Int64Array>().expect("Int64").value(0), 6);
        Ok(())
    }

    #[tokio::test]
    async fn add_concatenates_strings_and_adds_numbers() -> Result<()> {
        let s = eval("select add(a, b) from (values ('x', 1), (null, 2)) t(a, b)").await?;
        let s = s.as_any().downcast_ref::<StringArray>().expect("Utf8");
        assert_eq!(s.value(0), "x1");
        assert!(s.is_null(1));
        let n = eval("select add(a, 1) from (values (41)) t(a)").await?;
        assert_eq!(n.as_any().downcast_ref::<Int64Array>().expect("Int64").value(0), 42);
        Ok(())
    }

    #[tokio::test]
    async fn type_errors_name_both_types() -> Result<()> {
        let ctx = SessionContext::new();
        ctx.register_udf(ScalarUDF::new_from_impl(DaftBinary::new(BinaryKind::TrueDivide)));
        let err = ctx.sql("select true_divide(1, 'x')").await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("Cannot divide types: Int64, String"), "{err}");
        Ok(())
    }
}
