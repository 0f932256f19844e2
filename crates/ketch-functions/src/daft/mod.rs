//! Daft 0.7.26's scalar functions, one module per group of `daft.functions`,
//! each defined as a [`DaftFunction`] expansion (see [`crate::function`]).

pub mod codec;
pub mod hashing;
pub mod kernels;
pub mod math;
pub mod misc;
pub mod nested;
pub mod string;
pub mod temporal;
pub mod tokenize;
pub mod uuid;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{Expr, ScalarUDF};

use crate::function::{Args, DaftFunction};

/// Every Daft scalar function ketch defines.
pub fn functions() -> Vec<DaftFunction> {
    let mut all = math::functions();
    all.extend(string::functions());
    all.extend(temporal::functions());
    all.extend(nested::functions());
    all.extend(misc::functions());
    all.extend(codec::functions());
    all.extend(hashing::functions());
    all.extend(tokenize::functions());
    all.extend(uuid::functions());
    all
}

fn builtins() -> &'static HashMap<String, Arc<ScalarUDF>> {
    static BUILTINS: OnceLock<HashMap<String, Arc<ScalarUDF>>> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        let mut map = HashMap::new();
        let core = datafusion::functions::all_default_functions();
        for udf in core.into_iter().chain(datafusion::functions_nested::all_default_nested_functions()) {
            map.insert(udf.name().to_string(), udf);
        }
        for udf in datafusion_spark::all_default_scalar_functions() {
            map.insert(format!("spark.{}", udf.name()), udf);
        }
        map
    })
}

/// A call of DataFusion's built-in function `name` (`spark.name` for
/// datafusion-spark's Spark-compatible one).
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Result<Expr> {
    match builtins().get(name) {
        Some(udf) => Ok(udf.call(args)),
        None => plan_err!("internal: DataFusion has no function {name}"),
    }
}

pub(crate) fn cast(e: Expr, t: DataType) -> Expr {
    datafusion::logical_expr::cast(e, t)
}

pub(crate) fn lit(v: impl datafusion::logical_expr::Literal) -> Expr {
    datafusion::prelude::lit(v)
}

pub(crate) fn null_of(t: &DataType) -> Result<Expr> {
    Ok(Expr::Literal(ScalarValue::try_from(t)?, None))
}

/// A function forwarding its arguments to DataFusion's `df_name`.
pub(crate) fn same(name: &'static str, arity: usize, df_name: &'static str) -> DaftFunction {
    DaftFunction::new(name, arity, move |a| call(df_name, a.exprs.clone()))
}

pub(crate) fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null)
}

pub(crate) fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Null)
}

pub(crate) fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || t.is_null()
}

pub(crate) fn is_list(t: &DataType) -> bool {
    matches!(t, DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) | DataType::Null)
}

/// Dates and timestamps (a null-typed input is rejected, as in Daft).
pub(crate) fn is_temporal(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64 | DataType::Timestamp(..))
}

/// Checks argument `i` has a type accepted by `ok`, else the Daft-style type error.
pub(crate) fn expect(a: &Args, i: usize, ok: fn(&DataType) -> bool, what: &str) -> Result<()> {
    if ok(a.ty(i)) { Ok(()) } else { a.type_error(what) }
}
