//! Daft's output-name rule: an expression is named after its leftmost input
//! column (`col("a") + 1` is named `a`), a literal is named `literal`, and an
//! alias names itself. DataFusion instead names `a + Int64(1)`, so every
//! projection ketch builds aliases each expression to its Daft name.

use datafusion::logical_expr::{Expr, expr::AggregateFunction, expr::ScalarFunction};

/// The name Daft gives the column that `expr` produces.
pub fn output_name(expr: &Expr) -> String {
    match expr {
        Expr::Alias(alias) => alias.name.clone(),
        Expr::Column(c) => c.name.clone(),
        Expr::Literal(..) => "literal".to_string(),
        Expr::BinaryExpr(b) => output_name(&b.left),
        Expr::Cast(c) => output_name(&c.expr),
        Expr::TryCast(c) => output_name(&c.expr),
        Expr::Not(e) | Expr::Negative(e) | Expr::IsNull(e) | Expr::IsNotNull(e) => output_name(e),
        Expr::IsTrue(e) | Expr::IsFalse(e) | Expr::IsNotTrue(e) | Expr::IsNotFalse(e) => output_name(e),
        Expr::Between(b) => output_name(&b.expr),
        Expr::InList(l) => output_name(&l.expr),
        Expr::Like(l) => output_name(&l.expr),
        Expr::Case(case) => case
            .when_then_expr
            .first()
            .map(|(_, then)| output_name(then))
            .or_else(|| case.else_expr.as_deref().map(output_name))
            .unwrap_or_else(|| "literal".to_string()),
        // `expr["field"]` is named after the field, as in Daft.
        Expr::ScalarFunction(ScalarFunction { args, func })
            if matches!(func.name(), "get" | "get_field")
                && matches!(args.get(1), Some(Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(_)), _))) =>
        {
            match &args[1] {
                Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(f)), _) => f.clone(),
                _ => output_name(&args[0]),
            }
        }
        Expr::ScalarFunction(ScalarFunction { args, func }) => function_name(func.name(), args),
        // `count(*)` (a count of a literal) is named `count`, as in Daft.
        Expr::AggregateFunction(AggregateFunction { func, params })
            if func.name() == "count" && params.args.iter().all(|a| matches!(a, Expr::Literal(..))) =>
        {
            "count".to_string()
        }
        Expr::AggregateFunction(AggregateFunction { func, params }) => {
            params.args.first().map(output_name).unwrap_or_else(|| func.name().to_string())
        }
        Expr::WindowFunction(w) => w.params.args.first().map(output_name).unwrap_or_else(|| w.fun.name().to_string()),
        other => other.schema_name().to_string(),
    }
}

/// Daft functions whose result is named after the function, not an input.
const NAMED_AFTER_FUNCTION: &[&str] = &[
    "levenshtein_distance",
    "damerau_levenshtein_distance",
    "jaro_similarity",
    "jaro_winkler_similarity",
    "hamming_distance_str",
    "great_circle_distance",
    "columns_sum",
    "columns_mean",
    "columns_avg",
    "columns_min",
    "columns_max",
];

/// Partition transforms: named after the input with a suffix (`ts_days`).
const SUFFIXED: &[(&str, &str)] = &[
    ("partition_years", "_years"),
    ("partition_months", "_months"),
    ("partition_days", "_days"),
    ("partition_hours", "_hours"),
    ("partition_iceberg_truncate", "_trunc"),
    ("partition_iceberg_bucket", "_bucket"),
];

/// Operators ketch plans as functions: named after their left operand, literal or not.
const OPERATORS: &[&str] =
    &["add", "true_divide", "floor_divide", "xor", "and", "or", "shift_left", "shift_right", "power", "pow"];

/// The name of a function call: its first non-literal argument's (so
/// `date_trunc("1 day", col("ts"))` is `ts`), with Daft's exceptions above.
fn function_name(func: &str, args: &[Expr]) -> String {
    if NAMED_AFTER_FUNCTION.contains(&func) {
        return func.to_string();
    }
    let input = if OPERATORS.contains(&func) {
        args.first()
    } else {
        args.iter().find(|a| !matches!(a, Expr::Literal(..))).or(args.first())
    };
    let base = input.map(output_name).unwrap_or_else(|| func.to_string());
    match SUFFIXED.iter().find(|(f, _)| *f == func) {
        Some((_, suffix)) => format!("{base}{suffix}"),
        None => base,
    }
}

/// `expr` aliased to its Daft output name (unchanged when already an alias).
pub fn named(expr: Expr) -> Expr {
    match expr {
        Expr::Alias(_) => expr,
        Expr::Column(_) => expr,
        other => {
            let name = output_name(&other);
            other.alias(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{col, lit};

    #[test]
    fn leftmost_column_names_the_result() {
        assert_eq!(output_name(&(lit(1) + col("a"))), "literal");
        assert_eq!(output_name(&(col("a") + lit(1))), "a");
        assert_eq!(output_name(&(col("b") * col("a")).alias("x")), "x");
        assert_eq!(output_name(&col("a").is_null()), "a");
        assert_eq!(output_name(&lit(3)), "literal");
    }
}
