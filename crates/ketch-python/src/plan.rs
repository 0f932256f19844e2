//! `PyPlan`: an immutable logical plan; each DataFrame operation returns a new
//! one. All the work is in `ketch_plan`.

use arrow_pyarrow::ToPyArrow;
use datafusion::logical_expr::LogicalPlan;
use ketch_plan::{aggregate, asof, join, ops};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use crate::expr::PyExpr;

#[pyclass(name = "PyPlan", module = "ketch._native", frozen, skip_from_py_object)]
#[derive(Clone)]
pub struct PyPlan {
    pub plan: LogicalPlan,
    /// The coerced output schema, computed on first use (the plan never changes).
    schema: std::sync::OnceLock<datafusion::common::DFSchemaRef>,
}

impl From<LogicalPlan> for PyPlan {
    fn from(plan: LogicalPlan) -> Self {
        Self { plan, schema: std::sync::OnceLock::new() }
    }
}

fn exprs(items: Vec<PyRef<'_, PyExpr>>) -> Vec<datafusion::logical_expr::Expr> {
    items.iter().map(|e| e.expr.clone()).collect()
}

type R = PyResult<PyPlan>;

#[pymethods]
impl PyPlan {
    /// The output schema as a `pyarrow.Schema` (the types after coercion: those of the rows).
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.schema.get_or_init(|| ketch_plan::typing::coerced_schema(&self.plan)).as_arrow().to_pyarrow(py)
    }

    fn select(&self, e: Vec<PyRef<'_, PyExpr>>) -> R {
        Ok(ops::select(self.plan.clone(), exprs(e)).py_err()?.into())
    }

    fn with_columns(&self, columns: Vec<(String, PyRef<'_, PyExpr>)>) -> R {
        let cols = columns.into_iter().map(|(n, e)| (n, e.expr.clone())).collect();
        Ok(ops::with_columns(self.plan.clone(), cols).py_err()?.into())
    }

    fn rename(&self, mapping: Vec<(String, String)>) -> R {
        Ok(ops::rename(self.plan.clone(), mapping).py_err()?.into())
    }

    fn exclude(&self, names: Vec<String>) -> R {
        Ok(ops::exclude(self.plan.clone(), names).py_err()?.into())
    }

    fn filter(&self, predicate: &PyExpr) -> R {
        Ok(ops::filter(self.plan.clone(), predicate.expr.clone()).py_err()?.into())
    }

    fn sort(&self, by: Vec<PyRef<'_, PyExpr>>, desc: Vec<bool>, nulls_first: Vec<Option<bool>>) -> R {
        Ok(ops::sort(self.plan.clone(), exprs(by), desc, nulls_first).py_err()?.into())
    }

    #[pyo3(signature = (skip, fetch = None))]
    fn limit(&self, skip: usize, fetch: Option<usize>) -> R {
        Ok(ops::limit(self.plan.clone(), skip, fetch).py_err()?.into())
    }

    fn distinct(&self, on: Vec<PyRef<'_, PyExpr>>) -> R {
        Ok(ops::distinct(self.plan.clone(), exprs(on)).py_err()?.into())
    }

    fn drop_null(&self, columns: Vec<PyRef<'_, PyExpr>>) -> R {
        Ok(ops::drop_null(self.plan.clone(), exprs(columns)).py_err()?.into())
    }

    fn drop_nan(&self, columns: Vec<PyRef<'_, PyExpr>>) -> R {
        Ok(ops::drop_nan(self.plan.clone(), exprs(columns)).py_err()?.into())
    }

    fn aggregate(&self, group_by: Vec<PyRef<'_, PyExpr>>, aggs: Vec<PyRef<'_, PyExpr>>) -> R {
        Ok(aggregate::aggregate(self.plan.clone(), exprs(group_by), exprs(aggs)).py_err()?.into())
    }

    #[pyo3(signature = (right, left_on, right_on, how, prefix = None, suffix = None))]
    fn join(
        &self,
        right: &PyPlan,
        left_on: Vec<PyRef<'_, PyExpr>>,
        right_on: Vec<PyRef<'_, PyExpr>>,
        how: &str,
        prefix: Option<String>,
        suffix: Option<String>,
    ) -> R {
        let plan =
            join::join(self.plan.clone(), right.plan.clone(), exprs(left_on), exprs(right_on), how, prefix, suffix);
        Ok(plan.py_err()?.into())
    }

    /// Daft's `join_asof` (see [`ketch_plan::asof`]): the keys and options
    /// are checked by the Python method.
    #[pyo3(signature = (right, left_on, right_on, left_by, right_by, strategy, prefix = None, suffix = None))]
    #[allow(clippy::too_many_arguments)]
    fn join_asof(
        &self,
        right: &PyPlan,
        left_on: &PyExpr,
        right_on: &PyExpr,
        left_by: Vec<PyRef<'_, PyExpr>>,
        right_by: Vec<PyRef<'_, PyExpr>>,
        strategy: &str,
        prefix: Option<String>,
        suffix: Option<String>,
    ) -> R {
        let plan = asof::join_asof(
            self.plan.clone(),
            right.plan.clone(),
            left_on.expr.clone(),
            right_on.expr.clone(),
            exprs(left_by),
            exprs(right_by),
            strategy,
            prefix,
            suffix,
        );
        Ok(plan.py_err()?.into())
    }

    /// Daft's `pivot` (see [`ops::pivot`]): `agg` is the aggregation of the
    /// value column that Daft's `agg_fn` names, `names` the pivot columns.
    fn pivot(&self, group_by: Vec<PyRef<'_, PyExpr>>, pivot: &PyExpr, agg: &PyExpr, names: Vec<String>) -> R {
        let plan = ops::pivot(self.plan.clone(), exprs(group_by), pivot.expr.clone(), agg.expr.clone(), names);
        Ok(plan.py_err()?.into())
    }

    /// The plan of the distinct pivot column names of `pivot` (see
    /// [`ops::pivot_names`]), run by `pivot` when no names are given.
    fn pivot_names(&self, pivot: &PyExpr) -> R {
        Ok(ops::pivot_names(self.plan.clone(), pivot.expr.clone()).py_err()?.into())
    }

    /// Daft's `map_groups` (see [`aggregate::map_groups`]): `udf` is a batch
    /// UDF's call (maybe aliased), whose arguments are collected per group;
    /// `group_call(arrays, num_rows) -> pyarrow.Array` runs it on one whole
    /// group (any number of result rows). Lazy: nothing runs here.
    ///
    /// Errors: `ValueError` when `udf` is not a UDF call.
    fn map_groups(&self, group_by: Vec<PyRef<'_, PyExpr>>, udf: &PyExpr, group_call: Py<PyAny>) -> R {
        let call = match &udf.expr {
            datafusion::logical_expr::Expr::Alias(a) => a.expr.as_ref(),
            e => e,
        };
        let (Some(external), datafusion::logical_expr::Expr::ScalarFunction(f)) =
            (ketch_plan::udf::ExternalUdf::of(call), call)
        else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "map_groups needs a batch UDF, got {}",
                ketch_plan::display::display(&udf.expr)
            )));
        };
        let handle = external.handle();
        let per_group = crate::udf::PythonUdf::per_group(
            handle.name().to_string(),
            group_call,
            handle.return_field().as_ref().clone(),
            handle.concurrency(),
        );
        let name = ketch_plan::naming::output_name(&udf.expr);
        let plan = aggregate::map_groups(
            self.plan.clone(),
            exprs(group_by),
            f.args.clone(),
            std::sync::Arc::new(per_group),
            &name,
        );
        Ok(plan.py_err()?.into())
    }

    #[pyo3(signature = (columns, ignore_empty_and_null, index_column=None))]
    fn explode(&self, columns: Vec<String>, ignore_empty_and_null: bool, index_column: Option<String>) -> R {
        Ok(ops::explode_with_index(self.plan.clone(), columns, ignore_empty_and_null, index_column).py_err()?.into())
    }

    fn unpivot(
        &self,
        ids: Vec<PyRef<'_, PyExpr>>,
        values: Vec<PyRef<'_, PyExpr>>,
        variable_name: &str,
        value_name: &str,
    ) -> R {
        Ok(ops::unpivot(self.plan.clone(), exprs(ids), exprs(values), variable_name, value_name).py_err()?.into())
    }

    fn concat(&self, other: &PyPlan) -> R {
        Ok(ops::concat(self.plan.clone(), other.plan.clone()).py_err()?.into())
    }

    fn set_op(&self, other: &PyPlan, kind: &str) -> R {
        Ok(ops::set_op(self.plan.clone(), other.plan.clone(), kind).py_err()?.into())
    }

    fn repartition(&self, num: usize, by: Vec<PyRef<'_, PyExpr>>) -> R {
        Ok(ops::repartition(self.plan.clone(), num, exprs(by)).py_err()?.into())
    }

    /// Daft's `into_batches`: the rows regrouped into batches of `batch_size`.
    #[pyo3(name = "into_batches")]
    fn batched(&self, batch_size: usize) -> R {
        let node = ketch_plan::batches::IntoBatches::try_new(std::sync::Arc::new(self.plan.clone()), batch_size);
        Ok(node.py_err()?.into_plan().into())
    }

    /// Daft's `sample`: `fraction` or `size` rows, optionally with
    /// replacement and a seed (checked here; see `ketch_plan::sample`).
    #[pyo3(signature = (fraction, size, with_replacement, seed))]
    fn sample(&self, fraction: Option<f64>, size: Option<u64>, with_replacement: bool, seed: Option<u64>) -> R {
        let options = ketch_plan::sample::SampleOptions::try_new(fraction, size, with_replacement, seed).py_err()?;
        Ok(ops::sample(self.plan.clone(), options).py_err()?.into())
    }

    /// The unoptimized logical plan as an indented tree.
    fn display(&self) -> String {
        self.plan.display_indent().to_string()
    }

    /// A plan that writes this plan's rows under `root` (local path or URL)
    /// and gives Daft's result table (`path`, then the partition columns;
    /// see `ketch_plan::write`). `format` is `parquet`, `csv` or `json`;
    /// `mode` Daft's `write_mode`; `target_file_bytes` /
    /// `target_row_group_bytes` are in-memory bytes per file and per Parquet
    /// row group; `io_config` an `IOConfig` as JSON. Raises ValueError for an
    /// unknown format or mode, or an option that is not a single character.
    #[pyo3(signature = (root, format, mode, partition_cols, target_file_bytes, target_row_group_bytes,
        compression = None, column_compression = None, delimiter = None, quote = None, escape = None,
        header = true, date_format = None, timestamp_format = None, single_file = false,
        write_success_file = false, io_config = None, ignore_null_fields = false))]
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        root: String,
        format: &str,
        mode: &str,
        partition_cols: Vec<String>,
        target_file_bytes: u64,
        target_row_group_bytes: u64,
        compression: Option<String>,
        column_compression: Option<Vec<(String, String)>>,
        delimiter: Option<String>,
        quote: Option<String>,
        escape: Option<String>,
        header: bool,
        date_format: Option<String>,
        timestamp_format: Option<String>,
        single_file: bool,
        write_success_file: bool,
        io_config: Option<String>,
        ignore_null_fields: bool,
    ) -> R {
        use crate::session::byte;
        use ketch_io::formats::WriteFormat;
        use ketch_io::sink::{WriteMode, WriteOptions};
        use ketch_plan::write::Write;
        let format = match format {
            "parquet" => WriteFormat::Parquet {
                compression: compression.unwrap_or_else(|| "snappy".into()),
                column_compression: column_compression.unwrap_or_default(),
            },
            "csv" => WriteFormat::Csv {
                delimiter: byte("delimiter", delimiter, Some(b','))?.unwrap_or(b','),
                quote: byte("quote", quote, Some(b'"'))?.unwrap_or(b'"'),
                escape: byte("escape", escape, None)?,
                header,
                date_format,
                timestamp_format,
            },
            "json" => WriteFormat::Json { explicit_nulls: !ignore_null_fields },
            other => return Err(PyValueError::new_err(format!("unknown file format '{other}'"))),
        };
        let Some(mode) = WriteMode::from_name(mode) else {
            return Err(PyValueError::new_err(format!(
                "Only support `append`, `overwrite`, or `overwrite-partitions` mode. {mode} is unsupported"
            )));
        };
        let location = ketch_io::stores::register_io_config(&[root], io_config.as_deref()).py_err()?.remove(0);
        let options = WriteOptions {
            location,
            format,
            mode,
            partition_cols,
            single_file,
            write_success_file,
            target_file_bytes,
            target_row_group_bytes,
        };
        Ok(Write::try_new(std::sync::Arc::new(self.plan.clone()), options).py_err()?.into_plan().into())
    }
}
