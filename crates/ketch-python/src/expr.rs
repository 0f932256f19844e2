//! `PyExpr`: a DataFusion `Expr` built from Python. The Python `Expression`
//! class wraps it and owns the Daft-facing API; this type only builds trees.

use std::sync::Arc;

use arrow::array::{Array, ArrayData, make_array};
use arrow::datatypes::DataType;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::expr::FieldMetadata;
use datafusion::logical_expr::expr::{
    AggregateFunction, HigherOrderFunction, InList, Lambda, LambdaVariable, Sort, WindowFunction,
};
use datafusion::logical_expr::{AggregateUDF, Expr, Operator, binary_expr, cast, try_cast, when};
use datafusion::logical_expr::{WindowFrame, WindowFrameBound, WindowFrameUnits, WindowFunctionDefinition};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

#[pyclass(name = "PyExpr", module = "ketch._native", frozen, skip_from_py_object)]
#[derive(Clone)]
pub struct PyExpr {
    pub expr: Expr,
}

impl From<Expr> for PyExpr {
    fn from(expr: Expr) -> Self {
        Self { expr }
    }
}

/// The lambda parameter `ketch.element()` stands for.
const ELEMENT: &str = "element";

/// A window frame from Python: units (`rows`/`range`), start and end offsets (None = unbounded).
type FrameSpec<'py> = (String, Option<PyRef<'py, PyExpr>>, Option<PyRef<'py, PyExpr>>);

fn exprs(items: Vec<PyRef<'_, PyExpr>>) -> Vec<Expr> {
    items.iter().map(|e| e.expr.clone()).collect()
}

fn daft_fn(name: &str, args: Vec<Expr>) -> PyResult<Expr> {
    match ketch_functions::scalar(name) {
        Some(f) => Ok(f.call(args)),
        None => Err(PyValueError::new_err(format!("unknown function '{name}'"))),
    }
}

#[pymethods]
impl PyExpr {
    /// A reference to the column `name` (dots are part of the name).
    #[staticmethod]
    fn col(name: &str) -> Self {
        Expr::Column(Column::new_unqualified(name)).into()
    }

    /// A literal from a one-element pyarrow array (its type is the literal's type).
    #[staticmethod]
    fn lit(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        let data = ArrayData::from_pyarrow_bound(value)?;
        let array = make_array(data);
        if array.len() != 1 {
            return Err(PyValueError::new_err("a literal needs exactly one value"));
        }
        let scalar = ScalarValue::try_from_array(&array, 0).py_err()?;
        Ok(Expr::Literal(scalar, None).into())
    }

    /// `self <op> other` for one of Daft's binary operators.
    fn binary(&self, op: &str, other: &PyExpr) -> PyResult<Self> {
        let (l, r) = (self.expr.clone(), other.expr.clone());
        let operator = match op {
            "sub" => Operator::Minus,
            "mul" => Operator::Multiply,
            "mod" => Operator::Modulo,
            "eq" => Operator::Eq,
            "ne" => Operator::NotEq,
            "lt" => Operator::Lt,
            "le" => Operator::LtEq,
            "gt" => Operator::Gt,
            "ge" => Operator::GtEq,
            "eq_null_safe" => Operator::IsNotDistinctFrom,
            "lshift" => return Ok(daft_fn("shift_left", vec![l, r])?.into()),
            "rshift" => return Ok(daft_fn("shift_right", vec![l, r])?.into()),
            "add" => return Ok(daft_fn("add", vec![l, r])?.into()),
            "truediv" => return Ok(daft_fn("true_divide", vec![l, r])?.into()),
            "floordiv" => return Ok(daft_fn("floor_divide", vec![l, r])?.into()),
            "xor" => return Ok(daft_fn("xor", vec![l, r])?.into()),
            // Logical on booleans, bitwise on integers: decided once types are known.
            "and" => return Ok(daft_fn("and", vec![l, r])?.into()),
            "or" => return Ok(daft_fn("or", vec![l, r])?.into()),
            "pow" => return Ok(daft_fn("power", vec![l, r])?.into()),
            other => return Err(PyValueError::new_err(format!("unknown binary operator '{other}'"))),
        };
        Ok(binary_expr(l, operator, r).into())
    }

    fn not_(&self) -> Self {
        Expr::Not(Box::new(self.expr.clone())).into()
    }

    fn negate(&self) -> Self {
        Expr::Negative(Box::new(self.expr.clone())).into()
    }

    fn is_null(&self) -> Self {
        self.expr.clone().is_null().into()
    }

    fn not_null(&self) -> Self {
        self.expr.clone().is_not_null().into()
    }

    /// `self AS name`; field metadata set by [`Self::with_field_metadata`] stays.
    fn alias(&self, name: &str) -> Self {
        let (inner, metadata) = match &self.expr {
            Expr::Alias(a) => (a.expr.as_ref().clone(), a.metadata.clone()),
            e => (e.clone(), None),
        };
        inner.alias_with_metadata(name, metadata).into()
    }

    /// `self` with `metadata` on its output field, name unchanged: how a cast
    /// to an Arrow extension type (`ARROW:extension:name` / `:metadata`, the
    /// storage type cast first) labels its result.
    fn with_field_metadata(&self, metadata: std::collections::HashMap<String, String>) -> Self {
        let (inner, name) = match &self.expr {
            Expr::Alias(a) => (a.expr.as_ref().clone(), a.name.clone()),
            e => (e.clone(), ketch_plan::naming::output_name(e)),
        };
        inner.alias_with_metadata(name, Some(FieldMetadata::from(metadata))).into()
    }

    /// `CAST(self AS dtype)`; with `strict=False`, `TRY_CAST` (null on failure).
    #[pyo3(signature = (dtype, strict = true))]
    fn cast(&self, dtype: &Bound<'_, PyAny>, strict: bool) -> PyResult<Self> {
        let t = DataType::from_pyarrow_bound(dtype)?;
        let e = self.expr.clone();
        Ok(if strict { cast(e, t) } else { try_cast(e, t) }.into())
    }

    fn is_in(&self, items: Vec<PyRef<'_, PyExpr>>) -> Self {
        Expr::InList(InList::new(Box::new(self.expr.clone()), exprs(items), false)).into()
    }

    fn between(&self, low: &PyExpr, high: &PyExpr) -> Self {
        self.expr.clone().between(low.expr.clone(), high.expr.clone()).into()
    }

    /// `CASE WHEN c1 THEN v1 ... ELSE otherwise END`.
    #[staticmethod]
    #[pyo3(signature = (branches, otherwise = None))]
    fn case(branches: Vec<(PyRef<'_, PyExpr>, PyRef<'_, PyExpr>)>, otherwise: Option<&PyExpr>) -> PyResult<Self> {
        let mut iter = branches.iter();
        let Some((c, v)) = iter.next() else {
            return Err(PyValueError::new_err("when() needs at least one condition"));
        };
        let mut builder = when(c.expr.clone(), v.expr.clone());
        for (c, v) in iter {
            builder = builder.when(c.expr.clone(), v.expr.clone());
        }
        let e = match otherwise {
            Some(o) => builder.otherwise(o.expr.clone()),
            None => builder.end(),
        };
        Ok(e.py_err()?.into())
    }

    /// A scalar function call by its registry name.
    #[staticmethod]
    fn call(name: &str, args: Vec<PyRef<'_, PyExpr>>) -> PyResult<Self> {
        Ok(daft_fn(name, exprs(args))?.into())
    }

    /// A call of a Python UDF: `runner(list[pa.Array], num_rows) -> pa.Array`
    /// over `args`, returning `field` (a `pyarrow.Field`: type and extension
    /// metadata); named `name` in plans and messages (see [`crate::udf`]).
    /// `batch_rows`: rows per call wanted (smaller batches are coalesced);
    /// `concurrency`: calls that may run at once per partition.
    #[staticmethod]
    #[pyo3(signature = (name, runner, args, field, batch_rows = None, concurrency = 1))]
    fn python_udf(
        name: String,
        runner: Py<PyAny>,
        args: Vec<PyRef<'_, PyExpr>>,
        field: &Bound<'_, PyAny>,
        batch_rows: Option<usize>,
        concurrency: usize,
    ) -> PyResult<Self> {
        let field = arrow::datatypes::Field::from_pyarrow_bound(field)?;
        let udf = crate::udf::PythonUdf::new(name, runner, field, batch_rows.filter(|&n| n > 0), concurrency.max(1));
        Ok(udf.call(exprs(args)).into())
    }

    /// A call of a Python aggregate (`ketch.udaf`) on `args`: `runner` has
    /// `aggregate`, `combine` and `finalize` over pyarrow arrays (see
    /// [`crate::udaf`]); `field` the result's `pyarrow.Field`, `state` the
    /// partial state's fields.
    #[staticmethod]
    fn python_udaf(
        name: String,
        runner: Py<PyAny>,
        args: Vec<PyRef<'_, PyExpr>>,
        field: &Bound<'_, PyAny>,
        state: Vec<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let field = Arc::new(arrow::datatypes::Field::from_pyarrow_bound(field)?);
        let state = state
            .iter()
            .map(|f| Ok(Arc::new(arrow::datatypes::Field::from_pyarrow_bound(f)?)))
            .collect::<PyResult<Vec<_>>>()?;
        let udaf = AggregateUDF::new_from_impl(crate::udaf::PythonUdaf::new(name, runner, field, state));
        let e =
            Expr::AggregateFunction(AggregateFunction::new_udf(Arc::new(udaf), exprs(args), false, None, vec![], None));
        Ok(e.into())
    }

    /// An aggregate function call by its registry name.
    #[staticmethod]
    #[pyo3(signature = (name, args, distinct = false, ignore_nulls = false))]
    fn agg(name: &str, args: Vec<PyRef<'_, PyExpr>>, distinct: bool, ignore_nulls: bool) -> PyResult<Self> {
        let Some(f) = ketch_functions::aggregate(name) else {
            return Err(PyValueError::new_err(format!("unknown aggregation '{name}'")));
        };
        let nulls = ignore_nulls.then_some(datafusion::logical_expr::expr::NullTreatment::IgnoreNulls);
        let e = Expr::AggregateFunction(AggregateFunction::new_udf(f, exprs(args), distinct, None, vec![], nulls));
        Ok(e.into())
    }

    /// A window function call by its registry name (`row_number`, `lag`, ...),
    /// with an empty window until [`PyExpr::over`] gives it one.
    #[staticmethod]
    fn window(name: &str, args: Vec<PyRef<'_, PyExpr>>) -> PyResult<Self> {
        let Some(f) = ketch_functions::window(name) else {
            return Err(PyValueError::new_err(format!("unknown window function '{name}'")));
        };
        Ok(Expr::WindowFunction(Box::new(WindowFunction::new(f, exprs(args)))).into())
    }

    /// This aggregation or window function evaluated over a window:
    /// `partition_by` expressions, `order_by` as `(expr, descending, nulls_first)`,
    /// and an optional frame `(units, start, end)` where units is `"rows"` or
    /// `"range"` and a bound is a signed offset literal (negative = preceding,
    /// zero = current row) or None for unbounded.
    #[pyo3(signature = (partition_by, order_by, frame = None))]
    fn over(
        &self,
        partition_by: Vec<PyRef<'_, PyExpr>>,
        order_by: Vec<(PyRef<'_, PyExpr>, bool, bool)>,
        frame: Option<FrameSpec<'_>>,
    ) -> PyResult<Self> {
        let sorts: Vec<Sort> =
            order_by.iter().map(|(e, desc, nulls_first)| Sort::new(e.expr.clone(), !desc, *nulls_first)).collect();
        let partition = exprs(partition_by);
        let frame = match frame {
            // Daft: without a frame an aggregation covers the whole partition,
            // ordered or not (ranking and offset functions ignore the frame).
            None => WindowFrame::new(None),
            Some((units, start, end)) => {
                let units = match units.as_str() {
                    "rows" => WindowFrameUnits::Rows,
                    "range" => WindowFrameUnits::Range,
                    other => {
                        return Err(PyValueError::new_err(format!(
                            "window frame units must be rows or range, not {other}"
                        )));
                    }
                };
                let literal = |b: Option<PyRef<'_, PyExpr>>| -> PyResult<Option<ScalarValue>> {
                    match b.as_deref().map(|b| &b.expr) {
                        None => Ok(None),
                        Some(Expr::Literal(v, _)) => Ok(Some(v.clone())),
                        Some(_) => Err(PyValueError::new_err("a window frame bound must be a literal offset")),
                    }
                };
                let (mut start, mut end) = (literal(start)?, literal(end)?);
                // Daft's range offsets are in the order-by column's values
                // (`range_between(-2, 0)` is the values from v-2 to v), also
                // when it sorts descending, where SQL's PRECEDING means
                // larger values: swap and negate them for DataFusion.
                let descending = order_by.len() == 1 && order_by[0].1;
                if units == WindowFrameUnits::Range && descending {
                    let negate = |v: Option<ScalarValue>| v.map(|v| v.arithmetic_negate()).transpose();
                    (start, end) = (negate(end).py_err()?, negate(start).py_err()?);
                }
                let bound = |b: Option<ScalarValue>, start: bool| -> PyResult<WindowFrameBound> {
                    let Some(v) = b else {
                        return Ok(if start {
                            WindowFrameBound::Preceding(ScalarValue::Null)
                        } else {
                            WindowFrameBound::Following(ScalarValue::Null)
                        });
                    };
                    let zero_value = ScalarValue::new_zero(&v.data_type()).py_err()?;
                    let negative = matches!(v.partial_cmp(&zero_value), Some(std::cmp::Ordering::Less));
                    let zero = v == zero_value;
                    let magnitude = if negative { v.arithmetic_negate().py_err()? } else { v.clone() };
                    let magnitude = if units == WindowFrameUnits::Rows {
                        magnitude.cast_to(&DataType::UInt64).py_err()?
                    } else {
                        magnitude
                    };
                    Ok(if zero {
                        WindowFrameBound::CurrentRow
                    } else if negative {
                        WindowFrameBound::Preceding(magnitude)
                    } else {
                        WindowFrameBound::Following(magnitude)
                    })
                };
                WindowFrame::new_bounds(units, bound(start, true)?, bound(end, false)?)
            }
        };
        // Every aggregation or window call in the tree (`count` is a cast of
        // one, `count(mode="null")` a sum inside a coalesce) runs over the window.
        let mut found = false;
        let out = self
            .expr
            .clone()
            .transform_down(|e| {
                let mut window = match e {
                    Expr::WindowFunction(w) => *w,
                    Expr::AggregateFunction(a) => {
                        let mut w = WindowFunction::new(WindowFunctionDefinition::AggregateUDF(a.func), a.params.args);
                        w.params.distinct = a.params.distinct;
                        w.params.filter = a.params.filter;
                        w.params.null_treatment = a.params.null_treatment;
                        w
                    }
                    other => return Ok(Transformed::no(other)),
                };
                found = true;
                window.params.partition_by = partition.clone();
                window.params.order_by = sorts.clone();
                window.params.window_frame = frame.clone();
                Ok(Transformed::new(Expr::WindowFunction(Box::new(window)), true, TreeNodeRecursion::Jump))
            })
            .py_err()?
            .data;
        if !found {
            return Err(PyValueError::new_err(format!(
                "over() applies to an aggregation or a window function, not {}",
                ketch_plan::display::display(&self.expr)
            )));
        }
        Ok(out.into())
    }

    /// This window function skipping nulls (`first_value(ignore_nulls=True)`).
    fn ignore_nulls(&self) -> PyResult<Self> {
        match &self.expr {
            Expr::WindowFunction(w) => {
                let mut w = w.as_ref().clone();
                w.params.null_treatment = Some(datafusion::logical_expr::expr::NullTreatment::IgnoreNulls);
                Ok(Expr::WindowFunction(Box::new(w)).into())
            }
            other => Err(PyValueError::new_err(format!("ignore_nulls applies to a window function, not {other}"))),
        }
    }

    /// `ketch.element()`: the list element inside a `list_map` / `list_filter` body.
    #[staticmethod]
    fn element() -> Self {
        Expr::LambdaVariable(LambdaVariable::new(ELEMENT.to_string(), None)).into()
    }

    /// DataFusion's higher-order list function `name` (`array_transform`,
    /// `array_filter`) applied to this list with `body` as the lambda over `element()`.
    fn higher_order(&self, name: &str, body: &PyExpr) -> PyResult<Self> {
        let Some(f) =
            datafusion::functions_nested::all_default_higher_order_functions().into_iter().find(|f| f.name() == name)
        else {
            return Err(PyValueError::new_err(format!("unknown higher-order function '{name}'")));
        };
        let lambda = Expr::Lambda(Lambda::new(vec![ELEMENT.to_string()], body.expr.clone()));
        Ok(Expr::HigherOrderFunction(HigherOrderFunction::new(f, vec![self.expr.clone(), lambda])).into())
    }

    /// The value of a literal expression as a one-element pyarrow array, or None
    /// when this is not a literal.
    fn literal_value<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.expr {
            Expr::Literal(v, _) => {
                let array = v.to_array().py_err()?;
                Ok(Some(array.to_data().to_pyarrow(py)?))
            }
            _ => Ok(None),
        }
    }

    /// The output column name under Daft's naming rule.
    fn name(&self) -> String {
        ketch_plan::naming::output_name(&self.expr)
    }

    /// The column name when this is a plain column reference, else None.
    fn column_name(&self) -> Option<String> {
        match &self.expr {
            Expr::Column(c) => Some(c.name.clone()),
            _ => None,
        }
    }

    /// The names of the columns the expression reads, sorted.
    fn column_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.expr.column_refs().into_iter().map(|c| c.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    fn __repr__(&self) -> String {
        ketch_plan::display::display(&self.expr)
    }

    fn __bool__(&self) -> PyResult<bool> {
        Err(PyTypeError::new_err(
            "An Expression has no truth value: use & | ~ instead of and/or/not, and compare results after collect()",
        ))
    }
}
