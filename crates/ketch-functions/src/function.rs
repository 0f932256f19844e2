//! [`DaftFunction`]: a Daft function defined as an expansion into DataFusion
//! expressions, and [`ExpandDaftFunctions`], the analyzer rewrite that
//! performs the expansion before type coercion.
//!
//! Most Daft functions are a DataFusion built-in with Daft's result type, a
//! composition of built-ins, or one of ketch's kernels wrapped in casts. Each
//! is registered under its Daft name as a `DaftFunction`, so Python and SQL
//! both see one function of that name; the analyzer's function-rewrite pass
//! (the first analyzer rule) replaces the call with its expansion, and
//! DataFusion's type coercion then fits the operands, so an expansion costs
//! nothing at run time. The result type of a call is the type of its
//! expansion over the argument types, so plan schemas are known before a
//! query runs.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, ExprSchema, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::expr::{Cast, TryCast};
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

/// The arguments of one call: expressions and their types.
pub struct Args {
    pub exprs: Vec<Expr>,
    pub types: Vec<DataType>,
    name: &'static str,
    /// Set while only the result type is wanted and literal arguments may be unknown.
    types_only: bool,
}

impl Args {
    /// Argument `i` (an expression); a null literal when the call left it out
    /// (Daft's `None` default).
    pub fn arg(&self, i: usize) -> Expr {
        self.exprs.get(i).cloned().unwrap_or(Expr::Literal(ScalarValue::Null, None))
    }

    /// The type of argument `i` (`Null` when left out).
    pub fn ty(&self, i: usize) -> &DataType {
        self.types.get(i).unwrap_or(&DataType::Null)
    }

    /// True when argument `i` is absent, or unknown while only types are computed:
    /// a literal parameter then takes its default.
    fn defaulted(&self, i: usize) -> bool {
        i >= self.exprs.len() || (self.types_only && matches!(self.exprs[i], Expr::Column(_)))
    }

    /// Argument `i` as a literal, if it is one (`None` when it is an expression).
    pub fn literal(&self, i: usize) -> Option<&ScalarValue> {
        match self.exprs.get(i) {
            Some(Expr::Literal(v, _)) => Some(v),
            Some(Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. })) => match expr.as_ref() {
                Expr::Literal(v, _) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    /// True when argument `i` is absent or a null literal (Python `None`).
    pub fn is_none(&self, i: usize) -> bool {
        match self.exprs.get(i) {
            None => true,
            Some(_) => self.literal(i).is_some_and(|v| v.is_null()),
        }
    }

    /// Argument `i` as a literal string (Daft's `str` parameters).
    pub fn str(&self, i: usize) -> Result<Option<String>> {
        if self.defaulted(i) {
            return Ok(None);
        }
        match self.literal(i) {
            Some(v) if v.is_null() => Ok(None),
            Some(ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s)) => Ok(s.clone()),
            _ => plan_err!("{}: argument {} must be a literal string", self.name, i + 1),
        }
    }

    /// Argument `i` as a literal integer (Daft's `int` parameters).
    pub fn int(&self, i: usize) -> Result<Option<i64>> {
        if self.defaulted(i) {
            return Ok(None);
        }
        match self.literal(i) {
            Some(v) if v.is_null() => Ok(None),
            Some(v) if v.data_type().is_integer() => match v.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(x) => Ok(x),
                _ => plan_err!("{}: argument {} must be an integer", self.name, i + 1),
            },
            _ => plan_err!("{}: argument {} must be a literal integer", self.name, i + 1),
        }
    }

    /// Argument `i` as a list of literal strings: one string, a list literal,
    /// or SQL's `['a', 'b']` (an array of literals).
    pub fn strings(&self, i: usize) -> Result<Vec<String>> {
        let one = |v: &ScalarValue| -> Result<Option<String>> {
            match v.cast_to(&DataType::Utf8)? {
                ScalarValue::Utf8(s) => Ok(s),
                _ => plan_err!("{}: argument {} must be strings", self.name, i + 1),
            }
        };
        match (self.exprs.get(i), self.literal(i)) {
            (_, Some(ScalarValue::List(l))) => {
                let values = l.value(0);
                (0..values.len())
                    .map(|j| one(&ScalarValue::try_from_array(&values, j)?))
                    .filter_map(Result::transpose)
                    .collect()
            }
            (_, Some(v)) => Ok(one(v)?.into_iter().collect()),
            (Some(Expr::ScalarFunction(f)), None) if f.func.name() == "make_array" => f
                .args
                .iter()
                .map(|e| match e {
                    Expr::Literal(v, _) => one(v),
                    _ => plan_err!("{}: argument {} must be literal strings", self.name, i + 1),
                })
                .filter_map(Result::transpose)
                .collect(),
            _ if self.defaulted(i) => Ok(vec![]),
            _ => plan_err!("{}: argument {} must be a string or a list of strings", self.name, i + 1),
        }
    }

    /// Argument `i` as a literal bool (Daft's `bool` parameters).
    pub fn bool(&self, i: usize) -> Result<Option<bool>> {
        if self.defaulted(i) {
            return Ok(None);
        }
        match self.literal(i) {
            Some(v) if v.is_null() => Ok(None),
            Some(ScalarValue::Boolean(b)) => Ok(*b),
            _ => plan_err!("{}: argument {} must be a literal bool", self.name, i + 1),
        }
    }

    /// True while only the result type is computed (the call is not run).
    pub fn types_only(&self) -> bool {
        self.types_only
    }

    /// The function's name, for error messages.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// An error naming this function and `what` it expected.
    pub fn type_error<T>(&self, what: &str) -> Result<T> {
        let types: Vec<String> = self.types.iter().map(crate::multimodal::types::daft_name).collect();
        plan_err!("{} expects {what}, got ({})", self.name, types.join(", "))
    }
}

type Expand = dyn Fn(&Args) -> Result<Expr> + Send + Sync;

/// A Daft function whose meaning is an expansion into other expressions.
#[derive(Clone)]
pub struct DaftFunction {
    name: &'static str,
    /// The most arguments a call takes (trailing ones may be left out); None for any number.
    max_args: Option<usize>,
    signature: Signature,
    expand: Arc<Expand>,
}

impl DaftFunction {
    /// `name` taking up to `arity` arguments of any types, expanded by
    /// `expand`; the first is required, trailing optional ones (Daft's
    /// parameters with defaults) may be left out and read as null.
    pub fn new(
        name: &'static str,
        arity: usize,
        expand: impl Fn(&Args) -> Result<Expr> + Send + Sync + 'static,
    ) -> Self {
        let signature = if arity == 0 {
            Signature::nullary(Volatility::Immutable)
        } else {
            Signature::variadic_any(Volatility::Immutable)
        };
        Self { name, max_args: Some(arity), signature, expand: Arc::new(expand) }
    }

    /// `name` taking any number of arguments.
    pub fn variadic(name: &'static str, expand: impl Fn(&Args) -> Result<Expr> + Send + Sync + 'static) -> Self {
        Self {
            name,
            max_args: None,
            signature: Signature::variadic_any(Volatility::Immutable),
            expand: Arc::new(expand),
        }
    }

    /// Marks the function volatile (a new value per row: `random_int`, `uuid`).
    pub fn volatile(mut self) -> Self {
        self.signature.volatility = Volatility::Volatile;
        self
    }

    /// Lets a call leave out every argument (`uuid()`), each then taking its default.
    pub fn nullary_allowed(mut self) -> Self {
        let volatility = self.signature.volatility;
        self.signature = Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], volatility);
        self
    }

    /// Expands a call with `exprs` whose types are `types`.
    pub fn expand(&self, exprs: Vec<Expr>, types: Vec<DataType>) -> Result<Expr> {
        self.expand_with(exprs, types, false)
    }

    fn expand_with(&self, exprs: Vec<Expr>, types: Vec<DataType>, types_only: bool) -> Result<Expr> {
        if let Some(max) = self.max_args
            && exprs.len() > max
        {
            return plan_err!("{} takes at most {max} arguments, got {}", self.name, exprs.len());
        }
        (self.expand)(&Args { exprs, types, name: self.name, types_only })
    }

    fn expansion_field(&self, fields: &[FieldRef], literals: &[Option<&ScalarValue>]) -> Result<FieldRef> {
        let schema_fields: Vec<Field> =
            fields.iter().enumerate().map(|(i, f)| f.as_ref().clone().with_name(format!("__ketch_arg{i}"))).collect();
        let schema = DFSchema::from_unqualified_fields(schema_fields.into(), Default::default())?;
        let exprs = fields
            .iter()
            .enumerate()
            .map(|(i, _)| match literals.get(i).copied().flatten() {
                Some(v) => Expr::Literal(v.clone(), None),
                None => Expr::Column(Column::from_name(format!("__ketch_arg{i}"))),
            })
            .collect();
        let types = fields.iter().map(|f| f.data_type().clone()).collect();
        let expr = self.expand_with(exprs, types, true)?;
        let expr = expand_all(expr, &schema)?;
        let (_, field) = expr.to_field(&schema)?;
        Ok(Arc::new(field.as_ref().clone().with_name(self.name)))
    }
}

impl fmt::Debug for DaftFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaftFunction").field("name", &self.name).finish()
    }
}

impl PartialEq for DaftFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for DaftFunction {}

impl Hash for DaftFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for DaftFunction {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let fields: Vec<FieldRef> =
            arg_types.iter().enumerate().map(|(i, t)| Arc::new(Field::new(format!("a{i}"), t.clone(), true))).collect();
        Ok(self.expansion_field(&fields, &[])?.data_type().clone())
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.expansion_field(args.arg_fields, args.scalar_arguments)
    }
    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!("{} runs only after the analyzer expands it (ketch's ExpandDaftFunctions rewrite)", self.name)
    }
}

/// Expands every [`DaftFunction`] call in `expr`, innermost first, until none is left.
pub fn expand_all(expr: Expr, schema: &dyn ExprSchema) -> Result<Expr> {
    expr.transform_up(|e| expand_one(e, schema)).map(|t| t.data)
}

fn expand_one(expr: Expr, schema: &dyn ExprSchema) -> Result<Transformed<Expr>> {
    if let Some(rewritten) = crate::daft::uuid::rewrite_cast(&expr, schema)? {
        return Ok(Transformed::yes(rewritten));
    }
    let Expr::ScalarFunction(call) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let Some(f) = call.func.inner().downcast_ref::<DaftFunction>() else {
        return Ok(Transformed::no(expr));
    };
    let types = call.args.iter().map(|a| a.get_type(schema)).collect::<Result<Vec<_>>>()?;
    let expanded = f.expand(call.args.clone(), types.clone())?;
    record_kernel_origins(f.name, &call.args, &types, &expanded);
    Ok(Transformed::yes(expand_all(expanded, schema)?))
}

/// Where a kernel made by an expansion came from: the Daft function, its
/// arguments (literals kept, other arguments as columns `__ketch_arg<i>`),
/// their types, and the kernel's place among the kernels of the expansion
/// (pre-order). Expanding the same call again makes the same kernel: how a
/// kernel, often a closure over literal arguments, travels with a plan
/// ([`rebuild_kernel`]).
#[derive(Debug, Clone)]
pub struct KernelOrigin {
    pub daft: String,
    pub args: Vec<Expr>,
    pub types: Vec<DataType>,
    pub index: usize,
}

type Origins = HashMap<usize, (Weak<dyn ScalarUDFImpl>, KernelOrigin)>;

/// The origins of live kernels, by the address of their implementation.
fn origins() -> &'static Mutex<Origins> {
    static ORIGINS: OnceLock<Mutex<Origins>> = OnceLock::new();
    ORIGINS.get_or_init(Default::default)
}

/// True when `udf` resolves by its name in every session: the registry's
/// function of that name is of its type.
fn resolves_by_name(udf: &ScalarUDF) -> bool {
    crate::registry::scalar(udf.name()).is_some_and(|r| {
        let (a, b): (&dyn std::any::Any, &dyn std::any::Any) = (r.inner().as_ref(), udf.inner().as_ref());
        a.type_id() == b.type_id()
    })
}

/// The kernels `expanded` adds, pre-order: the function calls that do not
/// resolve by name and are not Daft functions, except those inside the
/// call's own arguments `args` (made by inner calls' expansions).
fn kernels_of(expanded: &Expr, args: &[Expr]) -> Vec<Arc<ScalarUDF>> {
    let is_kernel = |f: &ScalarUDF| f.inner().downcast_ref::<DaftFunction>().is_none() && !resolves_by_name(f);
    let mut inner = std::collections::HashSet::new();
    for a in args {
        let _ = a.apply(|e| {
            if let Expr::ScalarFunction(f) = e
                && is_kernel(&f.func)
            {
                inner.insert(Arc::as_ptr(f.func.inner()) as *const () as usize);
            }
            Ok(TreeNodeRecursion::Continue)
        });
    }
    let mut out = vec![];
    let _ = expanded.apply(|e| {
        if let Expr::ScalarFunction(f) = e
            && is_kernel(&f.func)
            && !inner.contains(&(Arc::as_ptr(f.func.inner()) as *const () as usize))
        {
            out.push(f.func.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

/// `args` as an origin keeps them: constant ones (no column in them:
/// literals, casts of literals, SQL's `['a', 'b']`) as they are, others as
/// columns `__ketch_arg<i>`.
fn origin_args(args: &[Expr]) -> Vec<Expr> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            if a.column_refs().is_empty() && kernels_of(a, &[]).is_empty() {
                a.clone()
            } else {
                Expr::Column(Column::from_name(format!("__ketch_arg{i}")))
            }
        })
        .collect()
}

fn record_kernel_origins(daft: &str, args: &[Expr], types: &[DataType], expanded: &Expr) {
    let kernels = kernels_of(expanded, args);
    if kernels.is_empty() {
        return;
    }
    let args = origin_args(args);
    let Ok(mut map) = origins().lock() else { return };
    // Forget kernels that are gone (their addresses may be reused).
    if map.len() > 1024 {
        map.retain(|_, (weak, _)| weak.strong_count() > 0);
    }
    for (index, k) in kernels.into_iter().enumerate() {
        let origin = KernelOrigin { daft: daft.to_string(), args: args.clone(), types: types.to_vec(), index };
        map.insert(Arc::as_ptr(k.inner()) as *const () as usize, (Arc::downgrade(k.inner()), origin));
    }
}

/// The origin of `udf` when it is a kernel an expansion made (see
/// [`KernelOrigin`]); None for a function that resolves by name.
pub fn kernel_origin(udf: &ScalarUDF) -> Option<KernelOrigin> {
    let map = origins().lock().ok()?;
    let (weak, origin) = map.get(&(Arc::as_ptr(udf.inner()) as *const () as usize))?;
    let live = weak.upgrade()?;
    Arc::ptr_eq(&live, udf.inner()).then(|| origin.clone())
}

/// The kernel `origin` names, made again by expanding its Daft call.
///
/// Errors: no Daft function of that name, an expansion that fails, or one
/// with fewer kernels than `origin.index`.
pub fn rebuild_kernel(origin: &KernelOrigin) -> Result<Arc<ScalarUDF>> {
    let Some(f) = crate::registry::scalar(&origin.daft) else {
        return plan_err!("no Daft function {} to rebuild a kernel from", origin.daft);
    };
    let Some(daft) = f.inner().downcast_ref::<DaftFunction>() else {
        return plan_err!("{} is not a Daft function", origin.daft);
    };
    let expanded = daft.expand(origin.args.clone(), origin.types.clone())?;
    record_kernel_origins(daft.name, &origin.args, &origin.types, &expanded);
    match kernels_of(&expanded, &origin.args).into_iter().nth(origin.index) {
        Some(k) => Ok(k),
        None => plan_err!("the expansion of {} has no kernel {}", origin.daft, origin.index),
    }
}

/// The analyzer rewrite that replaces each [`DaftFunction`] call with its
/// expansion (and casts Arrow cannot do with Daft's: UUID to string).
#[derive(Debug, Default)]
pub struct ExpandDaftFunctions;

impl FunctionRewrite for ExpandDaftFunctions {
    fn name(&self) -> &str {
        "expand_daft_functions"
    }
    fn rewrite(&self, expr: Expr, schema: &DFSchema, _config: &ConfigOptions) -> Result<Transformed<Expr>> {
        expand_one(expr, schema)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Int64Type, UInt64Type};
    use datafusion::common::Result;
    use datafusion::execution::FunctionRegistry;
    use datafusion::logical_expr::ScalarUDF;
    use datafusion::prelude::SessionContext;

    use super::ExpandDaftFunctions;

    fn context() -> Result<SessionContext> {
        let ctx = SessionContext::new();
        ctx.state_ref().write().register_function_rewrite(Arc::new(ExpandDaftFunctions))?;
        for f in crate::daft::functions() {
            ctx.register_udf(ScalarUDF::new_from_impl(f));
        }
        Ok(ctx)
    }

    #[tokio::test]
    async fn calls_expand_with_daft_result_types() -> Result<()> {
        let ctx = context()?;
        let df =
            ctx.sql("select length(s) as n, find(s, 'c') as f from (values ('abc'), ('xyz'), (null)) t(s)").await?;
        let schema = df.schema().clone();
        assert_eq!(schema.field(0).data_type(), &DataType::UInt64);
        assert_eq!(schema.field(1).data_type(), &DataType::Int64);
        let batch = &df.collect().await?[0];
        let n = batch.column(0).as_primitive::<UInt64Type>();
        let f = batch.column(1).as_primitive::<Int64Type>();
        assert_eq!((n.value(0), n.value(1), n.is_null(2)), (3, 3, true));
        assert_eq!((f.value(0), f.value(1)), (2, -1));
        Ok(())
    }

    #[tokio::test]
    async fn optional_arguments_take_daft_defaults_and_extra_ones_are_errors() -> Result<()> {
        let ctx = context()?;
        let batch = &ctx.sql("select regexp_extract('ab12', '[a-z]+(\\d)') as r").await?.collect().await?[0];
        assert_eq!(batch.column(0).as_string::<i32>().value(0), "ab1");
        let err = ctx.sql("select length('a', 'b', 'c')").await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("length takes at most 1 arguments"), "{err}");
        Ok(())
    }
}
