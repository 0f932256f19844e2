//! `daft.functions.numeric` and `daft.functions.bitwise`: Daft's result types
//! on DataFusion's math functions (`sign` and `ceil`/`floor` keep integer
//! types, `round` of an integer is `Float64`, `is_nan` needs a float).

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::type_coercion::binary::comparison_coercion;
use datafusion::logical_expr::{Expr, Operator, binary_expr, when};

use super::{call, cast, expect, is_float, is_numeric, lit, same};
use crate::function::DaftFunction;

const UNARY_FLOAT: &[(&str, &str)] = &[
    ("cbrt", "cbrt"),
    ("exp", "exp"),
    ("ln", "ln"),
    ("log2", "log2"),
    ("log10", "log10"),
    ("sin", "sin"),
    ("cos", "cos"),
    ("tan", "tan"),
    ("cot", "cot"),
    ("arcsin", "asin"),
    ("arccos", "acos"),
    ("arctan", "atan"),
    ("arcsinh", "asinh"),
    ("arccosh", "acosh"),
    ("arctanh", "atanh"),
    ("sinh", "sinh"),
    ("cosh", "cosh"),
    ("tanh", "tanh"),
    ("degrees", "degrees"),
    ("radians", "radians"),
];

/// Daft's numeric functions take integers, floats and decimals; a null-typed
/// or boolean input is rejected (Daft: "Expected input to abs to be numeric").
fn numeric_input(t: &DataType) -> bool {
    t.is_numeric()
}

fn f64(e: Expr) -> Expr {
    cast(e, DataType::Float64)
}

pub fn functions() -> Vec<DaftFunction> {
    let mut v: Vec<DaftFunction> = UNARY_FLOAT
        .iter()
        .map(|&(name, df)| {
            DaftFunction::new(name, 1, move |a| {
                expect(a, 0, numeric_input, "a numeric input")?;
                call(df, vec![f64(a.arg(0))])
            })
        })
        .collect();
    v.extend([
        DaftFunction::new("sqrt", 1, |a| {
            // DataFusion's sqrt raises on negative input; Daft (IEEE 754) gives NaN.
            expect(a, 0, numeric_input, "a numeric input")?;
            let x = f64(a.arg(0));
            when(x.clone().lt(lit(0.0)), lit(f64::NAN)).otherwise(call("sqrt", vec![x])?)
        }),
        DaftFunction::new("abs", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            call("abs", vec![a.arg(0)])
        }),
        DaftFunction::new("negate", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            Ok(Expr::Negative(Box::new(a.arg(0))))
        }),
        DaftFunction::new("sign", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            Ok(cast(call("signum", vec![f64(a.arg(0))])?, a.ty(0).clone()))
        }),
        DaftFunction::new("ceil", 1, |a| rounding(a, "ceil")),
        DaftFunction::new("floor", 1, |a| rounding(a, "floor")),
        DaftFunction::new("round", 2, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            if let Some(d) = a.int(1)?
                && d < 0
            {
                return a.type_error("decimals >= 0");
            }
            let x = if a.ty(0).is_integer() { f64(a.arg(0)) } else { a.arg(0) };
            let decimals = if a.is_none(1) { lit(0i32) } else { cast(a.arg(1), DataType::Int32) };
            call("round", vec![x, decimals])
        }),
        DaftFunction::new("expm1", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            call("spark.expm1", vec![f64(a.arg(0))])
        }),
        DaftFunction::new("log1p", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            call("ln", vec![lit(1.0) + f64(a.arg(0))])
        }),
        DaftFunction::new("log", 2, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            let ln = call("ln", vec![f64(a.arg(0))])?;
            if a.is_none(1) { Ok(ln) } else { Ok(ln / call("ln", vec![f64(a.arg(1))])?) }
        }),
        DaftFunction::new("csc", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            Ok(lit(1.0) / call("sin", vec![f64(a.arg(0))])?)
        }),
        DaftFunction::new("sec", 1, |a| {
            expect(a, 0, numeric_input, "a numeric input")?;
            Ok(lit(1.0) / call("cos", vec![f64(a.arg(0))])?)
        }),
        DaftFunction::new("arctan2", 2, |a| {
            if !(a.ty(0).is_numeric() && a.ty(1).is_numeric()) {
                return a.type_error("numeric inputs");
            }
            call("atan2", vec![f64(a.arg(0)), f64(a.arg(1))])
        }),
        DaftFunction::new("pow", 2, power),
        DaftFunction::new("power", 2, power),
        DaftFunction::new("hypot", 2, |a| call("spark.hypot", vec![f64(a.arg(0)), f64(a.arg(1))])),
        DaftFunction::new("pmod", 2, |a| call("spark.pmod", a.exprs.clone())),
        DaftFunction::new("factorial", 1, |a| {
            expect(a, 0, |t| t.is_integer() || t.is_null(), "an integer input")?;
            call("spark.factorial", vec![datafusion::logical_expr::try_cast(a.arg(0), DataType::Int32)])
        }),
        DaftFunction::new("bin", 1, |a| {
            expect(a, 0, |t| t.is_integer() || t.is_null(), "an integer input")?;
            call("spark.bin", vec![cast(a.arg(0), DataType::Int64)])
        }),
        same("pi", 0, "pi"),
        DaftFunction::new("e", 0, |_| Ok(lit(std::f64::consts::E))),
        DaftFunction::new("is_nan", 1, |a| {
            expect(a, 0, is_float, "a float input")?;
            call("isnan", vec![a.arg(0)])
        }),
        DaftFunction::new("not_nan", 1, |a| {
            expect(a, 0, is_float, "a float input")?;
            Ok(Expr::Not(Box::new(call("isnan", vec![a.arg(0)])?)))
        }),
        DaftFunction::new("is_inf", 1, |a| {
            expect(a, 0, is_float, "a float input")?;
            Ok(call("abs", vec![a.arg(0)])?.eq(lit(f64::INFINITY)))
        }),
        DaftFunction::new("fill_nan", 2, |a| {
            expect(a, 0, is_float, "a float input")?;
            // Daft: a float fill value for a float input; a null-typed input stays null.
            if a.ty(0).is_null() {
                return Ok(a.arg(0));
            }
            // A decimal fill value is a SQL literal (`0.0`).
            if !a.ty(1).is_floating() && !matches!(a.ty(1), DataType::Decimal128(..) | DataType::Decimal256(..)) {
                return a.type_error("a float input and fill value");
            }
            call("nanvl", vec![a.arg(0), a.arg(1)])
        }),
        DaftFunction::new("clip", 3, |a| {
            // Daft: numeric input, numeric or null bounds; the result has the
            // three types' supertype (UInt8 clipped by Int64 bounds is Int64).
            if !a.ty(0).is_numeric() {
                return a.type_error("a numeric input");
            }
            expect(a, 1, is_numeric, "numeric or null bounds")?;
            expect(a, 2, is_numeric, "numeric or null bounds")?;
            let mut out = a.ty(0).clone();
            for i in [1, 2] {
                // A float keeps its type against a decimal bound (a SQL literal such as 1.0).
                let decimal_against_float =
                    is_float(&out) && matches!(a.ty(i), DataType::Decimal128(..) | DataType::Decimal256(..));
                if !a.ty(i).is_null() && !decimal_against_float {
                    let Some(t) = comparison_coercion(&out, a.ty(i)) else {
                        return a.type_error("bounds with a common type with the input");
                    };
                    out = t;
                }
            }
            let x = cast(a.arg(0), out.clone());
            // DataFusion orders NaN above every number; Daft leaves NaN as it is.
            let not_nan = |c: Expr| -> Result<Expr> {
                Ok(if is_float(&out) { c.and(Expr::Not(Box::new(call("isnan", vec![x.clone()])?))) } else { c })
            };
            let mut branches: Vec<(Expr, Expr)> = vec![];
            let bound = |i: usize| cast(a.arg(i), out.clone());
            if !a.is_none(1) {
                branches.push((not_nan(x.clone().lt(bound(1)))?, bound(1)));
            }
            if !a.is_none(2) {
                branches.push((not_nan(x.clone().gt(bound(2)))?, bound(2)));
            }
            let mut it = branches.into_iter();
            match it.next() {
                None => Ok(x),
                Some((c, v)) => {
                    let mut b = when(c, v);
                    for (c, v) in it {
                        b = b.when(c, v);
                    }
                    Ok(cast(b.otherwise(x)?, out.clone()))
                }
            }
        }),
        DaftFunction::new("try_divide", 2, |a| {
            let q = crate::registry::scalar("true_divide").map(|f| f.call(a.exprs.clone()));
            let q = q.ok_or_else(|| datafusion::common::DataFusionError::Plan("true_divide missing".into()))?;
            when(a.arg(1).eq(lit(0)), super::null_of(&DataType::Float64)?).otherwise(q)
        }),
        DaftFunction::new("bitwise_and", 2, |a| Ok(binary_expr(a.arg(0), Operator::BitwiseAnd, a.arg(1)))),
        DaftFunction::new("bitwise_or", 2, |a| Ok(binary_expr(a.arg(0), Operator::BitwiseOr, a.arg(1)))),
        DaftFunction::new("bitwise_xor", 2, |a| Ok(binary_expr(a.arg(0), Operator::BitwiseXor, a.arg(1)))),
        DaftFunction::new("shift_left", 2, |a| shift(a, Operator::BitwiseShiftLeft)),
        DaftFunction::new("shift_right", 2, |a| shift(a, Operator::BitwiseShiftRight)),
    ]);
    v
}

/// `<<` / `>>`: both operands integers (Daft), then DataFusion's operator.
fn shift(a: &crate::function::Args, op: Operator) -> Result<Expr> {
    if !(a.ty(0).is_integer() && a.ty(1).is_integer()) {
        return a.type_error("integer inputs");
    }
    Ok(binary_expr(a.arg(0), op, a.arg(1)))
}

/// `ceil`/`floor`: integers unchanged with their own type, floats and decimals by DataFusion.
fn rounding(a: &crate::function::Args, df: &str) -> Result<Expr> {
    expect(a, 0, numeric_input, "a numeric input")?;
    if a.ty(0).is_integer() { Ok(a.arg(0)) } else { call(df, vec![a.arg(0)]) }
}

fn power(a: &crate::function::Args) -> Result<Expr> {
    expect(a, 0, numeric_input, "a numeric input")?;
    call("power", vec![f64(a.arg(0)), f64(a.arg(1))])
}
