//! Daft's textual form of an expression (`repr(col("a") + 1)` is
//! `col(a) + lit(1)`), used by `Expression.__repr__` and `explain`.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, Operator};

fn is_infix(e: &Expr) -> bool {
    match e {
        Expr::BinaryExpr(_) => true,
        Expr::ScalarFunction(f) => matches!(
            f.func.name(),
            "true_divide" | "floor_divide" | "xor" | "add" | "and" | "or" | "shift_left" | "shift_right"
        ),
        _ => false,
    }
}

fn wrapped(e: &Expr) -> String {
    match e {
        _ if is_infix(e) => format!("[{}]", display(e)),
        _ => display(e),
    }
}

fn op_str(op: &Operator) -> String {
    match op {
        Operator::And => "&".into(),
        Operator::Or => "|".into(),
        Operator::Eq => "==".into(),
        Operator::BitwiseXor => "^".into(),
        Operator::Modulo => "%".into(),
        other => other.to_string(),
    }
}

/// Daft's name for the common Arrow types (`Utf8` is `String`); others as Arrow writes them.
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "String".into(),
        DataType::Boolean => "Bool".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "Binary".into(),
        DataType::Date32 => "Date".into(),
        other => other.to_string(),
    }
}

/// Daft's display of `expr`.
pub fn display(expr: &Expr) -> String {
    match expr {
        Expr::Alias(a) => format!("{} as {}", display(&a.expr), a.name),
        Expr::Column(c) => format!("col({})", c.name),
        Expr::Literal(v, _) => {
            if v.is_null() {
                "lit(Null)".to_string()
            } else {
                match v {
                    datafusion::common::ScalarValue::Utf8(Some(s))
                    | datafusion::common::ScalarValue::LargeUtf8(Some(s))
                    | datafusion::common::ScalarValue::Utf8View(Some(s)) => format!("lit(\"{s}\")"),
                    other => format!("lit({other})"),
                }
            }
        }
        Expr::BinaryExpr(b) => format!("{} {} {}", wrapped(&b.left), op_str(&b.op), wrapped(&b.right)),
        Expr::Not(e) => format!("!{}", wrapped(e)),
        Expr::Negative(e) => format!("-{}", wrapped(e)),
        Expr::IsNull(e) => format!("is_null({})", display(e)),
        Expr::IsNotNull(e) => format!("not_null({})", display(e)),
        Expr::Cast(c) => format!("cast({} as {})", display(&c.expr), type_name(c.field.data_type())),
        Expr::TryCast(c) => format!("try_cast({} as {})", display(&c.expr), type_name(c.field.data_type())),
        Expr::Between(b) => format!("between({}, {}, {})", display(&b.expr), display(&b.low), display(&b.high)),
        Expr::InList(l) => {
            format!("{} in [{}]", display(&l.expr), l.list.iter().map(display).collect::<Vec<_>>().join(", "))
        }
        Expr::Case(c) => {
            let mut s = String::from("case");
            for (w, t) in &c.when_then_expr {
                s.push_str(&format!(" when {} then {}", display(w), display(t)));
            }
            if let Some(e) = &c.else_expr {
                s.push_str(&format!(" else {}", display(e)));
            }
            s
        }
        Expr::ScalarFunction(f) => {
            let infix = match f.func.name() {
                "true_divide" => Some("/"),
                "floor_divide" => Some("//"),
                "xor" => Some("^"),
                "add" => Some("+"),
                "and" => Some("&"),
                "or" => Some("|"),
                "shift_left" => Some("<<"),
                "shift_right" => Some(">>"),
                _ => None,
            };
            match infix {
                Some(op) if f.args.len() == 2 => format!("{} {op} {}", wrapped(&f.args[0]), wrapped(&f.args[1])),
                _ => {
                    let name = f.func.name();
                    let name = name.strip_prefix("daft_").unwrap_or(name);
                    format!("{name}({})", f.args.iter().map(display).collect::<Vec<_>>().join(", "))
                }
            }
        }
        Expr::AggregateFunction(f) => {
            let args = f.params.args.iter().map(display).collect::<Vec<_>>().join(", ");
            let distinct = if f.params.distinct { "distinct " } else { "" };
            format!("{}({distinct}{args})", f.func.name())
        }
        other => other.to_string(),
    }
}
