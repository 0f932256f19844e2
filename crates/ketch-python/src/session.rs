//! `PySession`: a configured DataFusion session; creates sources from Python
//! data and files, runs plans (GIL released, Ctrl-C cancels) and writes.

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow::datatypes::{Schema, SchemaRef};
use arrow_array::ffi_stream::ArrowArrayStreamReader;
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, ToPyArrow};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::SessionContext;
use futures::{FutureExt, StreamExt};
use ketch_exec::cancel::CancelFlag;
use ketch_exec::codec::KetchCodec;
use ketch_exec::runner::{Collected, NativeRunner};
use ketch_exec::runtime::runtime;
use ketch_exec::{ExecConfig, new_session};
use ketch_io::formats::{CsvDialect, Format};
use ketch_io::scan::ScanOptions;
use ketch_plan::sql::{SqlOutcome, SqlTable, plan_sql_expr, plan_sql_with_functions};
use ketch_plan::sql_functions::{SqlFunction, SqlFunctionBuilder};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::{Interrupted, IntoPyResult, to_sql_err};
use crate::expr::PyExpr;
use crate::plan::PyPlan;

/// Runs `fut` on the ketch runtime with the GIL released, checking for
/// Ctrl-C every 100 ms; an interrupt aborts the query and raises
/// `KeyboardInterrupt`. The wait uses an OS channel rather than a tokio timer,
/// so it wakes even while every runtime worker is busy computing.
fn wait<T: Send + 'static>(py: Python<'_>, fut: impl Future<Output = Result<T>> + Send + 'static) -> PyResult<T> {
    wait_with(py, fut, crate::errors::to_py_err, None, None)
}

/// A Python callable called with no arguments every `every` while a query
/// runs (on the waiting thread, between its checks for Ctrl-C): how
/// progress bars and subscribers sample a query's metrics. Its exceptions
/// are reported as unraisable (printed), never raised into the query.
struct Tick<'a> {
    callback: &'a Bound<'a, PyAny>,
    every: Duration,
}

/// [`wait`] for a running query: Ctrl-C also sets `cancel`, which the
/// query's plan checks between batches (see `ketch_exec::cancel`).
fn wait_query<T: Send + 'static>(
    py: Python<'_>,
    cancel: &CancelFlag,
    tick: Option<&Tick<'_>>,
    fut: impl Future<Output = Result<T>> + Send + 'static,
) -> PyResult<T> {
    wait_with(py, fut, crate::errors::to_py_err, Some(cancel), tick)
}

/// How long a cancelled query's tasks may take to stop before Ctrl-C
/// returns anyway (a task in a long computation stops at its next batch).
const CANCEL_WAIT_LIMIT: Duration = Duration::from_secs(10);
/// How long Ctrl-C then waits for the runtime to have no task at all.
const IDLE_WAIT_LIMIT: Duration = Duration::from_secs(1);

/// [`wait`] with `to_err` converting the engine's error.
fn wait_with<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = Result<T>> + Send + 'static,
    to_err: fn(DataFusionError) -> PyErr,
    cancel: Option<&CancelFlag>,
    tick: Option<&Tick<'_>>,
) -> PyResult<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let handle = runtime().map_err(to_err)?.spawn(async move {
        // A panic inside the engine becomes an error, never a Python crash.
        let result = match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                Err(DataFusionError::Internal(format!("the engine panicked: {what}")))
            }
        };
        let _ = tx.send(result);
    });
    let mut rx = rx;
    let mut last_tick = std::time::Instant::now();
    loop {
        let (received, back) = py.detach(move || (rx.recv_timeout(Duration::from_millis(100)), rx));
        rx = back;
        match received {
            Ok(result) => return result.map_err(to_err),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyValueError::new_err("the query task stopped without a result"));
            }
            Err(RecvTimeoutError::Timeout) => {
                // Ctrl-C may arrive while the tick's Python code runs: it is
                // then the tick's error, and cancels as below.
                let mut signal = Ok(());
                if let Some(tick) = tick
                    && last_tick.elapsed() >= tick.every
                {
                    last_tick = std::time::Instant::now();
                    match tick.callback.call0() {
                        Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) => signal = Err(e),
                        Err(e) => e.write_unraisable(py, Some(tick.callback)),
                        Ok(_) => {}
                    }
                }
                if let Err(e) = signal.and_then(|()| py.check_signals()) {
                    // Cancel: every leaf of the query ends its stream, so the
                    // query's future returns (a write removes its staged
                    // files); then its task is aborted, which drops its
                    // streams and aborts the tasks they spawned. Wait until all
                    // have let go of the query, so the next one finds the
                    // workers free.
                    let start = std::time::Instant::now();
                    if let Some(cancel) = cancel {
                        cancel.cancel();
                        let _ = py.detach(move || rx.recv_timeout(CANCEL_WAIT_LIMIT));
                    }
                    handle.abort();
                    let done = || handle.is_finished() && cancel.is_none_or(|c| c.live_streams() == 0);
                    let waited = py.detach(|| {
                        ketch_exec::runtime::wait_until(done, CANCEL_WAIT_LIMIT)?;
                        let waited = start.elapsed();
                        // The tasks themselves end a moment later; a query of
                        // another thread may keep some alive, so wait briefly.
                        let idle = || ketch_exec::runtime::alive_tasks() == 0;
                        Some(waited + ketch_exec::runtime::wait_until(idle, IDLE_WAIT_LIMIT).unwrap_or(IDLE_WAIT_LIMIT))
                    });
                    crate::LAST_CANCEL_WAIT_US
                        .store(waited.map_or(u64::MAX, |w| w.as_micros() as u64), std::sync::atomic::Ordering::Relaxed);
                    if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
                        return Err(crate::errors::to_py_err(DataFusionError::External(Box::new(Interrupted))));
                    }
                    return Err(e);
                }
            }
        }
    }
}

pub(crate) fn byte(name: &str, value: Option<String>, default: Option<u8>) -> PyResult<Option<u8>> {
    match value {
        None => Ok(default),
        Some(s) if s.len() == 1 => Ok(Some(s.as_bytes()[0])),
        Some(s) => Err(PyValueError::new_err(format!("{name} must be a single ASCII character, got {s:?}"))),
    }
}

/// Streams batches of a running query to Python as a `pyarrow.RecordBatchReader`.
///
/// pyarrow calls it without the GIL, possibly on a thread where pyo3 counts
/// the GIL as held (a Python UDF's call, whose garbage collection closes an
/// abandoned reader): there, dropping a Python object (an exception inside
/// an error, in the stream's buffers) would decref it without the GIL. So
/// errors leave as text and the stream is dropped on the runtime's blocking
/// threads, where pyo3 defers such decrefs until a thread holds the GIL.
struct StreamReader {
    schema: SchemaRef,
    stream: Option<SendableRecordBatchStream>,
    runtime: &'static tokio::runtime::Runtime,
}

impl Iterator for StreamReader {
    type Item = std::result::Result<RecordBatch, arrow::error::ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        self.runtime.block_on(stream.next()).map(|r| {
            r.map_err(|e| {
                let message = e.to_string();
                self.runtime.spawn_blocking(move || drop(e));
                arrow::error::ArrowError::ExternalError(message.into())
            })
        })
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            self.runtime.spawn_blocking(move || drop(stream));
        }
    }
}

impl RecordBatchReader for StreamReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The engine session and its native runner (`ketch_exec::runner`): the
/// methods here convert arguments and results; planning and running happen
/// in the engine.
#[pyclass(name = "PySession", module = "ketch._native", frozen)]
pub struct PySession {
    ctx: SessionContext,
    runner: NativeRunner,
    batch_size: usize,
}

impl PySession {
    /// A query's batches as a `pyarrow.RecordBatchReader` (no copy) and its
    /// metrics as a `pyarrow.RecordBatch`.
    fn results(py: Python<'_>, result: Collected) -> PyResult<(Bound<'_, PyAny>, Bound<'_, PyAny>)> {
        let metrics = result.metrics().py_err()?.to_pyarrow(py)?;
        Ok((Self::reader(py, result.schema, result.batches)?, metrics))
    }

    /// A `pyarrow.RecordBatchReader` over `batches` (no copy).
    fn reader<'py>(py: Python<'py>, schema: SchemaRef, batches: Vec<RecordBatch>) -> PyResult<Bound<'py, PyAny>> {
        let reader: Box<dyn RecordBatchReader + Send> =
            Box::new(RecordBatchIterator::new(batches.into_iter().map(Ok), schema));
        reader.into_pyarrow(py)
    }
}

#[pymethods]
impl PySession {
    #[new]
    /// A session: `batch_size` rows per batch, `num_threads` partitions at
    /// once, `memory_limit` bytes for all operators (`None`: the default,
    /// see `ketch_exec::memory`), spill files under `spill_dir` (`None`: the
    /// system's temporary folder); `broadcast_join_threshold` (bytes) and
    /// `high_cardinality_aggregation_threshold` (a share, 0 to 1) as in
    /// `ketch_exec::ExecConfig` (`None`: its defaults).
    #[pyo3(signature = (batch_size = None, num_threads = None, memory_limit = None, spill_dir = None,
        broadcast_join_threshold = None, high_cardinality_aggregation_threshold = None))]
    fn new(
        batch_size: Option<usize>,
        num_threads: Option<usize>,
        memory_limit: Option<usize>,
        spill_dir: Option<std::path::PathBuf>,
        broadcast_join_threshold: Option<usize>,
        high_cardinality_aggregation_threshold: Option<f64>,
    ) -> PyResult<Self> {
        let mut config = ExecConfig::default();
        if let Some(b) = batch_size {
            if b == 0 {
                return Err(PyValueError::new_err("default_morsel_size must be at least 1"));
            }
            config.batch_size = b;
        }
        if let Some(n) = num_threads {
            if n == 0 {
                return Err(PyValueError::new_err("num_threads must be at least 1"));
            }
            config.num_threads = n;
        }
        if let Some(m) = memory_limit {
            if m == 0 {
                return Err(PyValueError::new_err("memory_limit must be at least 1 byte"));
            }
            config.memory_limit = m;
        }
        config.spill_dir = spill_dir;
        if let Some(bytes) = broadcast_join_threshold {
            config.broadcast_join_threshold = bytes;
        }
        if let Some(share) = high_cardinality_aggregation_threshold {
            if !(0.0..=1.0).contains(&share) {
                return Err(PyValueError::new_err(format!(
                    "high_cardinality_aggregation_threshold must be from 0 to 1, got {share}"
                )));
            }
            config.high_cardinality_aggregation_threshold = share;
        }
        let ctx = new_session(&config).py_err()?;
        let codec =
            KetchCodec::new(Arc::new(crate::udf::PythonUdfDecoder), Arc::new(crate::python_scan::PythonSources));
        Ok(Self { runner: NativeRunner::new(ctx.clone(), codec), ctx, batch_size: config.batch_size })
    }

    /// A plan over in-memory Arrow data: `data` is anything with
    /// `__arrow_c_stream__` (pyarrow Table, RecordBatchReader, ...), cut into
    /// batches of at most the session's batch size (zero-copy slices, so a
    /// query streams and can be cancelled between batches) and split into
    /// `num_partitions` partitions of consecutive batches (at least as many
    /// as run in parallel when there is more than a batch of rows).
    #[pyo3(signature = (data, num_partitions = 1))]
    fn scan_arrow(&self, py: Python<'_>, data: &Bound<'_, PyAny>, num_partitions: usize) -> PyResult<PyPlan> {
        let reader = ArrowArrayStreamReader::from_pyarrow_bound(data)?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = py
            .detach(|| reader.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| PyValueError::new_err(format!("cannot read Arrow data: {e}")))?;
        let size = self.batch_size;
        let batches: Vec<RecordBatch> = batches
            .into_iter()
            .flat_map(|b| {
                (0..b.num_rows().div_ceil(size)).map(move |i| b.slice(i * size, size.min(b.num_rows() - i * size)))
            })
            .collect();
        // DataFusion spreads the batches of a table with fewer partitions than
        // it runs in parallel over more partitions, balancing sizes rather
        // than keeping consecutive batches together, which would reorder the
        // rows: more than a batch of rows is split here, in order, instead.
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let target = self.ctx.state().config().target_partitions();
        let n = if rows > size { num_partitions.max(target.min(batches.len())) } else { num_partitions }.max(1);
        let mut partitions: Vec<Vec<RecordBatch>> = vec![vec![]; n];
        let mut start = 0;
        for b in batches {
            // The partition of the batch's first row: rows split evenly.
            let k = (start * n / rows.max(1)).min(n - 1);
            start += b.num_rows();
            partitions[k].push(b);
        }
        let table = MemTable::try_new(schema, partitions).py_err()?;
        let plan = LogicalPlanBuilder::scan("data", provider_as_source(Arc::new(table)), None)
            .and_then(|b| b.build())
            .py_err()?;
        Ok(plan.into())
    }

    /// A plan reading rows from Python: `factory(columns, filters, limit)`
    /// returns an Arrow stream (see `python_scan`); `schema` is a pyarrow
    /// schema of every column the source has; `name` is shown in plans.
    fn scan_python(&self, schema: &Bound<'_, PyAny>, factory: Py<PyAny>, name: String) -> PyResult<PyPlan> {
        let schema = Arc::new(Schema::from_pyarrow_bound(schema)?);
        let table = crate::python_scan::PythonTable::new(name.clone(), schema, factory);
        let plan = LogicalPlanBuilder::scan(name, provider_as_source(Arc::new(table)), None)
            .and_then(|b| b.build())
            .py_err()?;
        Ok(plan.into())
    }

    /// `(URL, size in bytes)` of each file `pattern` names (a file, the files
    /// directly in a folder, or a glob's matches), as Daft's
    /// `from_glob_path`; `io_config` an `IOConfig` as JSON. Raises
    /// `FileNotFoundError` when nothing matches.
    #[pyo3(signature = (pattern, io_config = None))]
    fn glob_files(&self, py: Python<'_>, pattern: String, io_config: Option<String>) -> PyResult<Vec<(String, u64)>> {
        let keyed = ketch_io::stores::register_io_config(&[pattern], io_config.as_deref()).py_err()?;
        let state = self.ctx.state();
        wait(py, async move { ketch_io::scan::glob_files(&state, &keyed[0]).await })
    }

    /// A plan scanning files. `format` is `parquet`, `csv` or `json`; `schema`
    /// a pyarrow schema (hints when `infer_schema`, else the whole schema).
    #[pyo3(signature = (format, paths, infer_schema = true, schema = None, file_path_column = None,
        hive_partitioning = false, has_headers = true, delimiter = None, quote = None,
        escape_char = None, comment = None, double_quote = true, io_config = None))]
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        py: Python<'_>,
        format: &str,
        paths: Vec<String>,
        infer_schema: bool,
        schema: Option<&Bound<'_, PyAny>>,
        file_path_column: Option<String>,
        hive_partitioning: bool,
        has_headers: bool,
        delimiter: Option<String>,
        quote: Option<String>,
        escape_char: Option<String>,
        comment: Option<String>,
        double_quote: bool,
        io_config: Option<String>,
    ) -> PyResult<PyPlan> {
        let format = match format {
            "parquet" => Format::Parquet,
            "json" => Format::Json,
            "csv" => Format::Csv(CsvDialect {
                has_headers,
                delimiter: byte("delimiter", delimiter, Some(b','))?.unwrap_or(b','),
                quote: byte("quote", quote, Some(b'"'))?.unwrap_or(b'"'),
                escape_char: byte("escape_char", escape_char, None)?,
                comment: byte("comment", comment, None)?,
                double_quote,
            }),
            other => return Err(PyValueError::new_err(format!("unknown file format '{other}'"))),
        };
        let schema = match schema {
            Some(s) => Some(Arc::new(Schema::from_pyarrow_bound(s)?)),
            None => None,
        };
        let opts = ScanOptions { schema, infer_schema, file_path_column, hive_partitioning };
        let paths = ketch_io::stores::register_io_config(&paths, io_config.as_deref()).py_err()?;
        let state = self.ctx.state();
        let plan = wait(py, async move { ketch_io::scan::scan(&state, &paths, &format, &opts).await })?;
        Ok(plan.into())
    }

    /// Runs `plan` to completion; returns a `pyarrow.RecordBatchReader` over
    /// the result batches (no copy), rows in the DataFrame's order, and the
    /// operators' metrics (a `pyarrow.RecordBatch`, Daft's
    /// `DataFrame.metrics` columns). Ctrl-C cancels the query and raises
    /// `KeyboardInterrupt`; a query that does not fit in the memory limit
    /// raises `ketch.exceptions.MemoryLimitError` (a `MemoryError`).
    ///
    /// `progress` (a `PyQueryProgress`) receives the plans as they are made,
    /// for sampling while the query runs; `on_tick()` is called every
    /// `tick_ms` milliseconds (at least 100) until it ends.
    #[pyo3(signature = (plan, progress = None, on_tick = None, tick_ms = 500))]
    fn collect<'py>(
        &self,
        py: Python<'py>,
        plan: &PyPlan,
        progress: Option<&crate::progress::PyQueryProgress>,
        on_tick: Option<&Bound<'py, PyAny>>,
        tick_ms: u64,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let (runner, plan) = (self.runner.clone(), plan.plan.clone());
        let progress = progress.map(|p| p.0.clone()).unwrap_or_default();
        let tick = on_tick.map(|callback| Tick { callback, every: Duration::from_millis(tick_ms) });
        let cancel = CancelFlag::default();
        let flag = cancel.clone();
        let result =
            wait_query(py, &cancel, tick.as_ref(), async move { runner.collect(&plan, &flag, &progress).await })?;
        Self::results(py, result)
    }

    /// Like [`Self::collect`], but the plan first travels as bytes, as it
    /// will to a cluster's workers (`NativeRunner::round_trip`), whatever
    /// `KETCH_SERIALIZE_PLANS` says.
    fn collect_serialized<'py>(
        &self,
        py: Python<'py>,
        plan: &PyPlan,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let (runner, plan) = (self.runner.clone(), plan.plan.clone());
        let cancel = CancelFlag::default();
        let flag = cancel.clone();
        let result = wait_query(py, &cancel, None, async move {
            let physical = runner.round_trip(&plan).await?;
            runner.collect_physical(physical, &flag, &Default::default()).await
        })?;
        Self::results(py, result)
    }

    /// Starts `plan` and returns a `pyarrow.RecordBatchReader` that yields
    /// batches as the query produces them, in partition order (the rows in
    /// the order `collect` gives them). `progress` (a `PyQueryProgress`)
    /// receives its plans, for sampling while it runs.
    #[pyo3(signature = (plan, progress = None))]
    fn stream<'py>(
        &self,
        py: Python<'py>,
        plan: &PyPlan,
        progress: Option<&crate::progress::PyQueryProgress>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (runner, plan) = (self.runner.clone(), plan.plan.clone());
        let progress = progress.map(|p| p.0.clone()).unwrap_or_default();
        let runtime = runtime().py_err()?;
        // Planned and started on the runtime: the partitions' tasks live there.
        let stream = wait(py, async move { runner.stream(&plan, &progress).await })?;
        let reader = StreamReader { schema: stream.schema(), stream: Some(stream), runtime };
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(reader);
        reader.into_pyarrow(py)
    }

    /// A SQL expression (e.g. `a > 1 AND b IS NOT NULL`) over the columns of
    /// `plan`, parsed by DataFusion's SQL parser with the session's functions.
    fn sql_expr(&self, plan: &PyPlan, sql: &str) -> PyResult<PyExpr> {
        Ok(self.ctx.parse_sql_expr(sql, plan.plan.schema()).py_err()?.into())
    }

    /// Plans a SQL statement over `tables` (name parts and plan each).
    /// Returns `("query", plan)`, `("create_table", (name, temporary, plan))`
    /// or `("use", name)`; errors raise `InvalidSQLException`.
    ///
    /// `functions` are the session's attached functions the statement may
    /// call: `(name, return field as a pyarrow Field, build)`, where
    /// `build(args: list[PyExpr], named: list[tuple[str, PyExpr]])` returns
    /// the call's `PyExpr` (positional arguments are expressions, named
    /// ones literals; see `ketch_plan::sql_functions`).
    #[pyo3(signature = (sql, tables, functions = vec![]))]
    fn sql<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        tables: Vec<(Vec<String>, PyRef<'_, PyPlan>)>,
        functions: Vec<(String, Bound<'py, PyAny>, Py<PyAny>)>,
    ) -> PyResult<(String, Bound<'py, PyAny>)> {
        let tables: Vec<SqlTable> = tables.into_iter().map(|(n, p)| (n, p.plan.clone())).collect();
        let functions = functions
            .into_iter()
            .map(|(name, field, build)| {
                let field = Arc::new(arrow::datatypes::Field::from_pyarrow_bound(&field)?);
                Ok(SqlFunction { name, return_field: field, build: python_builder(Arc::new(build)) })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let state = self.ctx.state();
        let outcome = wait_with(
            py,
            async move { plan_sql_with_functions(&state, &sql, &tables, &functions).await },
            to_sql_err,
            None,
            None,
        )?;
        // Operators on types Daft does not accept (a string compared with a number, ...) are type errors.
        if let SqlOutcome::Query(plan) | SqlOutcome::CreateTable { plan, .. } = &outcome {
            ketch_plan::typing::check_plan_operand_types(plan).map_err(to_sql_err)?;
        }
        Ok(match outcome {
            SqlOutcome::Query(plan) => ("query".into(), PyPlan::from(plan).into_pyobject(py)?.into_any()),
            SqlOutcome::CreateTable { name, temporary, plan } => {
                let payload = (name, temporary, PyPlan::from(plan)).into_pyobject(py)?.into_any();
                ("create_table".into(), payload)
            }
            SqlOutcome::Use(name) => ("use".into(), name.into_pyobject(py)?.into_any()),
        })
    }

    /// The Arrow type and field metadata (`dict[bytes, bytes]`, Daft's
    /// multimodal types) of the SQL type name `sql`, as Daft's
    /// `DataType.from_sql` reads it (`ketch_plan::sql_types`); errors raise
    /// `InvalidSQLException`.
    fn sql_type<'py>(&self, py: Python<'py>, sql: String) -> PyResult<(Bound<'py, PyAny>, crate::FieldMetadata)> {
        let state = self.ctx.state();
        let field =
            wait_with(py, async move { ketch_plan::sql_types::sql_type(&state, &sql).await }, to_sql_err, None, None)?;
        let metadata = field.metadata().iter().map(|(k, v)| (k.clone().into_bytes(), v.clone().into_bytes())).collect();
        Ok((field.data_type().to_pyarrow(py)?, metadata))
    }

    /// A SQL expression with unresolved columns (`ketch.sql_expr`).
    fn sql_expr_unbound(&self, sql: &str) -> PyResult<PyExpr> {
        Ok(plan_sql_expr(&self.ctx.state(), sql).map_err(to_sql_err)?.into())
    }

    /// The number of output partitions of the physical plan.
    fn num_partitions(&self, py: Python<'_>, plan: &PyPlan) -> PyResult<usize> {
        let (runner, plan) = (self.runner.clone(), plan.plan.clone());
        wait(py, async move { runner.num_partitions(&plan).await })
    }

    /// The optimized logical plan and, with `physical`, the physical plan.
    fn explain(&self, py: Python<'_>, plan: &PyPlan, physical: bool) -> PyResult<String> {
        let (runner, plan) = (self.runner.clone(), plan.plan.clone());
        wait(py, async move { runner.explain(&plan, physical).await })
    }
}

/// A session function's builder that calls the Python callable `build` with
/// the call's arguments as `PyExpr`s (see `PySession::sql`).
fn python_builder(build: Arc<Py<PyAny>>) -> SqlFunctionBuilder {
    Arc::new(move |args, named| {
        Python::attach(|py| {
            let args: Vec<PyExpr> = args.into_iter().map(PyExpr::from).collect();
            let named: Vec<(String, PyExpr)> = named.into_iter().map(|(n, v)| (n, PyExpr::from(v))).collect();
            let out = build.call1(py, (args, named))?;
            let expr = out.extract::<PyRef<'_, PyExpr>>(py)?;
            Ok(expr.expr.clone())
        })
        .map_err(|e: PyErr| DataFusionError::External(Box::new(crate::udf::PythonError(e))))
    })
}
