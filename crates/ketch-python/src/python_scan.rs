//! A table whose rows come from Python: readers built on another project's
//! Python package (Lance datasets, Delta Lake and Iceberg tables the Parquet
//! path cannot read) feed Arrow streams into a ketch scan.
//!
//! The source is a Python callable `factory(columns, filters, limit)` called
//! when the scan runs, with the pushdowns the optimizer found: the column
//! names to read (list of str), the filters as SQL strings (each a predicate
//! the source may use to skip rows; ketch still checks every row) and the row
//! limit (int or None). It returns anything with `__arrow_c_stream__` whose
//! batches hold those columns; they are cast to the declared types if they
//! differ.

use std::fmt;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use arrow_array::ffi_stream::ArrowArrayStreamReader;
use arrow_pyarrow::{FromPyArrow, IntoPyArrow};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use ketch_exec::codec::HostSources;
use ketch_exec::host_scan::{HostScanExec, HostStream};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::udf::PythonError;

fn py_err(e: PyErr) -> DataFusionError {
    DataFusionError::External(Box::new(PythonError(e)))
}

/// A table read through a Python factory (see the module docs).
pub struct PythonTable {
    /// What explain shows (e.g. `lance`).
    name: String,
    schema: SchemaRef,
    factory: Arc<Py<PyAny>>,
}

impl PythonTable {
    pub fn new(name: String, schema: SchemaRef, factory: Py<PyAny>) -> Self {
        Self { name, schema, factory: Arc::new(factory) }
    }
}

impl fmt::Debug for PythonTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonTable").field("name", &self.name).finish_non_exhaustive()
    }
}

/// A filter as SQL the source can evaluate, if it has one.
fn filter_sql(filter: &Expr) -> Option<String> {
    datafusion::sql::unparser::expr_to_sql(&unnormalize_col(filter.clone())).ok().map(|sql| sql.to_string())
}

#[async_trait]
impl TableProvider for PythonTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match filter_sql(f) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        let part = PythonPartition {
            name: self.name.clone(),
            schema: schema.clone(),
            factory: self.factory.clone(),
            filters: filters.iter().filter_map(filter_sql).collect(),
            limit,
        };
        Ok(Arc::new(HostScanExec::new(Arc::new(part), limit)))
    }
}

/// One scan of a [`PythonTable`] with its pushdowns.
#[derive(Clone)]
struct PythonPartition {
    name: String,
    schema: SchemaRef,
    factory: Arc<Py<PyAny>>,
    filters: Vec<String>,
    limit: Option<usize>,
}

impl fmt::Debug for PythonPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        write!(f, "{}: columns={names:?}, filters={:?}, limit={:?}", self.name, self.filters, self.limit)
    }
}

impl PythonPartition {
    /// Calls the factory and opens its Arrow stream.
    fn open(&self) -> Result<ArrowArrayStreamReader> {
        let columns: Vec<String> = self.schema.fields().iter().map(|f| f.name().clone()).collect();
        Python::attach(|py| {
            let stream = self.factory.call1(py, (columns, self.filters.clone(), self.limit)).map_err(py_err)?;
            ArrowArrayStreamReader::from_pyarrow_bound(stream.bind(py)).map_err(py_err)
        })
    }
}

/// `batch` as `schema`: its columns picked by name (a source may give more
/// or reorder them) and cast where the source gave other types.
fn conform(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch);
    }
    let columns = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(c) if c.data_type() == f.data_type() => Ok(c.clone()),
            Some(c) => Ok(arrow::compute::cast(c, f.data_type())?),
            None => {
                let got: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
                Err(DataFusionError::Execution(format!("the source gave no column {:?} (it gave {got:?})", f.name())))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(schema.clone(), columns, &options)?)
}

impl HostStream for PythonPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// cloudpickle of `(name, schema, factory, filters, limit)`.
    fn encode(&self) -> Result<Vec<u8>> {
        Python::attach(|py| {
            let schema = self.schema.as_ref().clone().into_pyarrow(py)?;
            let state = (&self.name, schema, self.factory.clone_ref(py), self.filters.clone(), self.limit);
            let bytes = py.import("cloudpickle")?.call_method1("dumps", (state,))?;
            bytes.extract::<Vec<u8>>()
        })
        .map_err(|e: PyErr| py_err(e).context("cannot serialize a Python source's scan (its factory must pickle)"))
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        let schema = self.schema.clone();
        let this = self.clone();
        // The factory and the stream's batches run Python (or Rust behind the
        // C stream interface): on a blocking thread, never a runtime worker.
        builder.spawn_blocking(move || {
            let mut reader = this.open()?;
            loop {
                // A consumer that stopped (a limit reached, a cancelled
                // query) gets no more Python calls made for it: the source
                // is not pulled again once nobody reads.
                if tx.is_closed() {
                    break;
                }
                let Some(batch) = reader.next() else { break };
                let batch = batch.map_err(DataFusionError::from).and_then(|b| conform(b, &schema));
                let failed = batch.is_err();
                if tx.blocking_send(batch).is_err() || failed {
                    break;
                }
            }
            Ok(())
        });
        builder.build()
    }
}

/// Python tables and their scans as cloudpickle bytes, for the plan codec.
#[derive(Debug, Default)]
pub struct PythonSources;

fn unpickle<'py>(py: Python<'py>, buf: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    py.import("cloudpickle")?.call_method1("loads", (PyBytes::new(py, buf),))
}

impl HostSources for PythonSources {
    /// cloudpickle of `(name, schema, factory)`.
    fn encode_table(&self, table: &dyn TableProvider) -> Option<Result<Vec<u8>>> {
        let table = table.downcast_ref::<PythonTable>()?;
        let encoded = Python::attach(|py| {
            let schema = table.schema.as_ref().clone().into_pyarrow(py)?;
            let bytes = py
                .import("cloudpickle")?
                .call_method1("dumps", ((&table.name, schema, table.factory.clone_ref(py)),))?;
            bytes.extract::<Vec<u8>>()
        });
        Some(encoded.map_err(|e| py_err(e).context("cannot serialize a Python source (its factory must pickle)")))
    }

    fn decode_table(&self, buf: &[u8]) -> Result<Arc<dyn TableProvider>> {
        Python::attach(|py| {
            let (name, schema, factory): (String, Bound<'_, PyAny>, Py<PyAny>) = unpickle(py, buf)?.extract()?;
            let schema = Arc::new(arrow::datatypes::Schema::from_pyarrow_bound(&schema)?);
            Ok(Arc::new(PythonTable::new(name, schema, factory)) as Arc<dyn TableProvider>)
        })
        .map_err(py_err)
    }

    fn decode_stream(&self, buf: &[u8]) -> Result<Arc<dyn HostStream>> {
        Python::attach(|py| {
            let (name, schema, factory, filters, limit): (
                String,
                Bound<'_, PyAny>,
                Py<PyAny>,
                Vec<String>,
                Option<usize>,
            ) = unpickle(py, buf)?.extract()?;
            let schema = Arc::new(arrow::datatypes::Schema::from_pyarrow_bound(&schema)?);
            Ok(Arc::new(PythonPartition { name, schema, factory: Arc::new(factory), filters, limit })
                as Arc<dyn HostStream>)
        })
        .map_err(py_err)
    }
}
