//! Session functions in SQL: functions attached to a session (Daft's
//! `attach_function`, e.g. Python UDFs) called by name in a statement.
//!
//! Daft's convention: positional arguments are expressions (columns),
//! `name := value` (or `name => value`) arguments are literal keyword
//! arguments. DataFusion's planner would resolve named arguments into
//! positions, losing which were named, so before planning each named
//! argument of a call to a session function becomes a call of
//! `__ketch_named_argument('name', value)`; the call itself resolves to a
//! placeholder scalar function of the session function's return type; after
//! planning, [`expand`] replaces every placeholder call by what the
//! function's [`SqlFunction::build`] makes of its arguments (e.g. a UDF call).
//!
//! Names resolve case-insensitively, as in Daft; two attached functions whose
//! names differ only in case make a call ambiguous (Daft's error).
//!
//! ```
//! use std::sync::Arc;
//! use arrow::datatypes::{DataType, Field};
//! use datafusion::prelude::*;
//! use ketch_plan::sql::{SqlOutcome, plan_sql_with_functions};
//! use ketch_plan::sql_functions::SqlFunction;
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // `twice(x)` builds `x * 2`; `twice(x, by := 3)` builds `x * 3`.
//! let twice = SqlFunction {
//!     name: "twice".into(),
//!     return_field: Arc::new(Field::new("twice", DataType::Int64, true)),
//!     build: Arc::new(|args, named| {
//!         let by = named.into_iter().next().map(|(_, v)| v).unwrap_or(lit(2i64));
//!         Ok(args[0].clone() * by)
//!     }),
//! };
//! let state = SessionContext::new().state();
//! let outcome = plan_sql_with_functions(&state, "SELECT twice(3, by := 5) AS v", &[], &[twice]).await.unwrap();
//! let SqlOutcome::Query(plan) = outcome else { panic!("a query") };
//! assert!(plan.display_indent().to_string().contains("Int64(3) * Int64(5)"), "{}", plan.display_indent());
//! # });
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Statement, Value,
    visit_expressions_mut,
};

/// Builds a session function's expression from a call's positional
/// arguments and its named arguments (each a literal, in the call's order).
pub type SqlFunctionBuilder = Arc<dyn Fn(Vec<Expr>, Vec<(String, Expr)>) -> Result<Expr> + Send + Sync>;

/// A function a statement can call by name (see the module docs).
#[derive(Clone)]
pub struct SqlFunction {
    /// The name it is attached under.
    pub name: String,
    /// The type (and logical-type metadata) of what it returns.
    pub return_field: FieldRef,
    /// Makes the expression of a call.
    pub build: SqlFunctionBuilder,
}

impl std::fmt::Debug for SqlFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlFunction").field("name", &self.name).finish_non_exhaustive()
    }
}

const NAMED_ARGUMENT: &str = "__ketch_named_argument";

/// Stands for a call of a session function until [`expand`] replaces it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Placeholder {
    name: String,
    return_field: FieldRef,
    signature: Signature,
}

impl ScalarUDFImpl for Placeholder {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.return_field.data_type().clone())
    }
    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(self.return_field.clone())
    }
    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!("session function {} was not expanded before execution", self.name)
    }
}

/// `__ketch_named_argument(name, value)`: a named argument, typed as its value.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NamedArgument {
    signature: Signature,
}

impl ScalarUDFImpl for NamedArgument {
    fn name(&self) -> &str {
        NAMED_ARGUMENT
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args.get(1).cloned().unwrap_or(DataType::Null))
    }
    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!("a named argument is only allowed in a call of an attached function")
    }
}

/// Registers `functions`' placeholders (and the named-argument marker) in a
/// statement's `state`.
pub fn register(state: &mut SessionState, functions: &[SqlFunction]) -> Result<()> {
    if functions.is_empty() {
        return Ok(());
    }
    let any = Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], Volatility::Volatile);
    for f in functions {
        let placeholder =
            Placeholder { name: f.name.clone(), return_field: f.return_field.clone(), signature: any.clone() };
        state.register_udf(Arc::new(ScalarUDF::new_from_impl(placeholder)))?;
    }
    let named = NamedArgument { signature: Signature::any(2, Volatility::Immutable) };
    state.register_udf(Arc::new(ScalarUDF::new_from_impl(named)))?;
    Ok(())
}

/// Resolves calls of `functions` in `statement` case-insensitively and turns
/// their named arguments into named-argument markers (see the module docs).
///
/// Errors: a call whose name matches two attached functions (Daft's
/// "Ambigiuous identifier" error, spelled as Daft spells it).
pub fn rewrite_calls(statement: &mut Statement, functions: &[SqlFunction]) -> Result<()> {
    if functions.is_empty() {
        return Ok(());
    }
    let mut by_name: HashMap<String, Vec<&str>> = HashMap::new();
    for f in functions {
        by_name.entry(f.name.to_lowercase()).or_default().push(&f.name);
    }
    let flow = visit_expressions_mut(statement, |e| {
        let SqlExpr::Function(call) = e else { return std::ops::ControlFlow::Continue(()) };
        if call.name.0.len() != 1 {
            return std::ops::ControlFlow::Continue(());
        }
        let Some(matches) = by_name.get(&call.name.to_string().trim_matches('"').to_lowercase()) else {
            return std::ops::ControlFlow::Continue(());
        };
        if matches.len() > 1 {
            let found: Vec<String> = matches.iter().map(|n| format!("`{n}`")).collect();
            return std::ops::ControlFlow::Break(format!(
                "Invalid operation: Ambigiuous identifier for Function: found {}",
                found.join(", ")
            ));
        }
        call.name = ObjectName::from(vec![Ident::with_quote('"', matches[0])]);
        if let FunctionArguments::List(list) = &mut call.args {
            for arg in list.args.iter_mut() {
                let (name, value) = match arg {
                    FunctionArg::Named { name, arg: FunctionArgExpr::Expr(value), .. } => (name.value.clone(), value),
                    FunctionArg::ExprNamed { name, arg: FunctionArgExpr::Expr(value), .. } => (name.to_string(), value),
                    _ => continue,
                };
                let marker = SqlExpr::Function(datafusion::sql::sqlparser::ast::Function {
                    name: ObjectName::from(vec![Ident::new(NAMED_ARGUMENT)]),
                    uses_odbc_syntax: false,
                    parameters: FunctionArguments::None,
                    args: FunctionArguments::List(datafusion::sql::sqlparser::ast::FunctionArgumentList {
                        duplicate_treatment: None,
                        args: vec![
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(SqlExpr::value(Value::SingleQuotedString(
                                name,
                            )))),
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(value.clone())),
                        ],
                        clauses: vec![],
                    }),
                    filter: None,
                    null_treatment: None,
                    over: None,
                    within_group: vec![],
                });
                *arg = FunctionArg::Unnamed(FunctionArgExpr::Expr(marker));
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    match flow {
        std::ops::ControlFlow::Break(message) => plan_err!("{message}"),
        std::ops::ControlFlow::Continue(()) => Ok(()),
    }
}

/// A named argument's value folded to a literal.
fn literal_value(function: &str, name: &str, value: Expr) -> Result<Expr> {
    let context = SimplifyContext::builder().with_schema(Arc::new(DFSchema::empty())).build();
    let folded = ExprSimplifier::new(context).simplify(value)?;
    match folded {
        Expr::Literal(..) => Ok(folded),
        other => plan_err!("argument `{name}` of `{function}` must be a literal (a constant), got {other}"),
    }
}

/// The marker's `(name, value)` when `expr` is a named-argument marker.
fn named_argument(expr: &Expr) -> Option<(String, Expr)> {
    match expr {
        Expr::ScalarFunction(ScalarFunction { func, args }) if func.name() == NAMED_ARGUMENT => match &args[..] {
            [Expr::Literal(ScalarValue::Utf8(Some(name)), _), value] => Some((name.clone(), value.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// `plan` with every placeholder call replaced by its function's expression,
/// output names kept; and the names the planner gave to unaliased
/// expressions that were rewritten (an output column so named takes Daft's
/// name for the new expression instead: `f(a)` is named `a`).
///
/// Errors: a named argument that is not a constant, or what a builder
/// raises. (A named argument outside an attached function's call fails when
/// the query runs, naming the rule.)
pub fn expand(plan: LogicalPlan, functions: &[SqlFunction]) -> Result<(LogicalPlan, HashSet<String>)> {
    let mut generated = HashSet::new();
    if functions.is_empty() {
        return Ok((plan, generated));
    }
    let by_name: HashMap<&str, &SqlFunction> = functions.iter().map(|f| (f.name.as_str(), f)).collect();
    let rewrite = |e: Expr| -> Result<Transformed<Expr>> {
        let Expr::ScalarFunction(ScalarFunction { func, args }) = &e else { return Ok(Transformed::no(e)) };
        let Some(placeholder) = func.inner().downcast_ref::<Placeholder>() else {
            return Ok(Transformed::no(e));
        };
        let Some(function) = by_name.get(placeholder.name.as_str()) else { return Ok(Transformed::no(e)) };
        let (mut positional, mut named) = (vec![], vec![]);
        for arg in args {
            match named_argument(arg) {
                Some((name, value)) => {
                    let value = literal_value(&function.name, &name, value)?;
                    named.push((name, value));
                }
                None => positional.push(arg.clone()),
            }
        }
        Ok(Transformed::yes((function.build)(positional, named)?))
    };
    let plan = plan
        .transform_up_with_subqueries(|node| {
            let names = NamePreserver::new(&node);
            let rewritten = node.map_expressions(|e| {
                let saved = names.save(&e);
                let (name, aliased) = (e.schema_name().to_string(), matches!(e, Expr::Alias(_)));
                let out = e.transform_down(rewrite)?;
                if out.transformed && !aliased {
                    generated.insert(name);
                }
                Ok(out.update_data(|e| saved.restore(e)))
            })?;
            if rewritten.transformed { rewritten.map_data(|p| p.recompute_schema()) } else { Ok(rewritten) }
        })?
        .data;
    Ok((plan, generated))
}
