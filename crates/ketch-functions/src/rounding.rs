//! Daft's `ceil`, `floor` and `round` on integers: `ceil` and `floor` return
//! them unchanged with their own type (Daft: `col("i").ceil()` stays
//! `Int64`), `round` returns them as `Float64` (DataFusion keeps `Int64`).
//! Floats and decimals use DataFusion's functions. Like [`crate::binary`], each call is rewritten
//! to DataFusion's own expression during optimization.

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Which rounding a [`DaftRounding`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundingKind {
    Round,
    Ceil,
    Floor,
}

/// A type-preserving rounding function (see the module docs).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DaftRounding {
    kind: RoundingKind,
    signature: Signature,
}

impl DaftRounding {
    pub fn new(kind: RoundingKind) -> Self {
        Self { kind, signature: Signature::variadic_any(Volatility::Immutable) }
    }

    fn inner(&self) -> std::sync::Arc<ScalarUDF> {
        match self.kind {
            RoundingKind::Round => datafusion::functions::math::round(),
            RoundingKind::Ceil => datafusion::functions::math::ceil(),
            RoundingKind::Floor => datafusion::functions::math::floor(),
        }
    }
}

impl ScalarUDFImpl for DaftRounding {
    fn name(&self) -> &str {
        match self.kind {
            RoundingKind::Round => "daft_round",
            RoundingKind::Ceil => "daft_ceil",
            RoundingKind::Floor => "daft_floor",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) if self.kind == RoundingKind::Round && t.is_integer() => Ok(DataType::Float64),
            Some(t) if t.is_numeric() || t.is_null() => Ok(t.clone()),
            Some(t) => plan_err!("{}() expects a numeric input, got {t}", &self.name()[5..]),
            None => plan_err!("{}() takes one input", &self.name()[5..]),
        }
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields.first().map(|f| f.data_type()) {
            Some(t) if t.is_numeric() && !t.is_integer() => self.inner().return_field_from_args(args),
            _ => {
                let types: Vec<DataType> = args.arg_fields.iter().map(|f| f.data_type().clone()).collect();
                Ok(std::sync::Arc::new(Field::new(self.name(), self.return_type(&types)?, true)))
            }
        }
    }
    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let Some(first) = args.first() else {
            return plan_err!("{}() takes one input", &self.name()[5..]);
        };
        let t = info.get_data_type(first)?;
        if self.kind == RoundingKind::Round && t.is_integer() {
            let mut args = args;
            args[0] = datafusion::logical_expr::cast(args[0].clone(), DataType::Float64);
            return Ok(ExprSimplifyResult::Simplified(self.inner().call(args)));
        }
        if t.is_integer() || t.is_null() {
            return Ok(ExprSimplifyResult::Simplified(first.clone()));
        }
        Ok(ExprSimplifyResult::Simplified(self.inner().call(args)))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.first() {
            Some(v) if v.data_type().is_integer() && self.kind == RoundingKind::Round => {
                exec_err!("daft_round on integers is evaluated only after expression simplification")
            }
            Some(v) if v.data_type().is_integer() => Ok(v.clone()),
            Some(_) => self.inner().invoke_with_args(args),
            None => exec_err!("{} takes one input", self.name()),
        }
    }
}
