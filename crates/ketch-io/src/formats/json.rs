//! Newline-delimited JSON: DataFusion's JSON format for scans, and output as
//! Daft writes it: a null field is written as `null` (DataFusion's JSON sink
//! leaves it out), unless `ignore_null_fields` asks for Daft's other
//! behaviour.
//!
//! The written format is DataFusion's JSON format for everything but the
//! serializer: a file format whose writer plan is DataFusion's file sink
//! orchestration (`spawn_writer_tasks_and_join`: demux, one writer per file,
//! object store uploads) with arrow-json's writer configured for explicit
//! nulls.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::json::writer::{LineDelimited, WriterBuilder};
use async_trait::async_trait;
use bytes::Bytes;
use datafusion::catalog::Session;
use datafusion::common::runtime::SpawnedTask;
use datafusion::common::{GetExt, Result, Statistics};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::json::{JsonFormat, JsonFormatFactory};
use datafusion::datasource::file_format::write::BatchSerializer;
use datafusion::datasource::file_format::write::demux::DemuxedStreamReceiver;
use datafusion::datasource::file_format::write::orchestration::spawn_writer_tasks_and_join;
use datafusion::datasource::file_format::{FileFormat, FileFormatFactory, format_as_file_type};
use datafusion::datasource::physical_plan::{FileScanConfig, FileSink, FileSinkConfig, FileSource};
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_expr::LexRequirement;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan};
use datafusion::prelude::DataFrame;
use object_store::{ObjectMeta, ObjectStore};

use super::Layout;

/// DataFusion's JSON lines format, for scans.
pub(crate) fn file_format() -> Arc<dyn FileFormat> {
    Arc::new(JsonFormat::default())
}

/// Writes `df` as JSON lines files at `target`: DataFusion's `write_json`,
/// with Daft's null fields.
pub(crate) async fn write(df: DataFrame, target: String, layout: &Layout, explicit_nulls: bool) -> Result<()> {
    let factory = Arc::new(JsonLinesFactory { explicit_nulls });
    let file_type = format_as_file_type(factory);
    let (state, plan) = df.into_parts();
    let mut sink_options = HashMap::new();
    if layout.single_file {
        sink_options.insert("single_file_output".to_string(), "true".to_string());
    }
    let partition_by = if layout.single_file { vec![] } else { layout.partition_cols.clone() };
    let plan = LogicalPlanBuilder::copy_to(plan, target, file_type, sink_options, partition_by)?.build()?;
    DataFrame::new(state, plan).collect().await?;
    Ok(())
}

/// The factory `COPY TO` plans with: JSON lines, nulls written or not.
#[derive(Debug)]
pub struct JsonLinesFactory {
    pub explicit_nulls: bool,
}

impl GetExt for JsonLinesFactory {
    fn get_ext(&self) -> String {
        "json".into()
    }
}

impl FileFormatFactory for JsonLinesFactory {
    fn create(&self, state: &dyn Session, options: &HashMap<String, String>) -> Result<Arc<dyn FileFormat>> {
        let inner = JsonFormatFactory::new().create(state, options)?;
        Ok(Arc::new(JsonLines { inner, explicit_nulls: self.explicit_nulls }))
    }

    fn default(&self) -> Arc<dyn FileFormat> {
        Arc::new(JsonLines { inner: Arc::new(JsonFormat::default()), explicit_nulls: self.explicit_nulls })
    }
}

/// DataFusion's JSON format with ketch's writer.
#[derive(Debug)]
struct JsonLines {
    inner: Arc<dyn FileFormat>,
    explicit_nulls: bool,
}

#[async_trait]
impl FileFormat for JsonLines {
    fn get_ext(&self) -> String {
        self.inner.get_ext()
    }

    fn get_ext_with_compression(&self, c: &FileCompressionType) -> Result<String> {
        self.inner.get_ext_with_compression(c)
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        self.inner.compression_type()
    }

    async fn infer_schema(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        objects: &[ObjectMeta],
    ) -> Result<SchemaRef> {
        self.inner.infer_schema(state, store, objects).await
    }

    async fn infer_stats(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> Result<Statistics> {
        self.inner.infer_stats(state, store, table_schema, object).await
    }

    async fn create_physical_plan(&self, state: &dyn Session, conf: FileScanConfig) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.create_physical_plan(state, conf).await
    }

    async fn create_writer_physical_plan(
        &self,
        input: Arc<dyn ExecutionPlan>,
        _state: &dyn Session,
        conf: FileSinkConfig,
        order_requirements: Option<LexRequirement>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let sink = Arc::new(JsonLinesSink { config: conf, explicit_nulls: self.explicit_nulls });
        Ok(Arc::new(DataSinkExec::new(input, sink, order_requirements)))
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        self.inner.file_source(table_schema)
    }
}

struct JsonLinesSink {
    config: FileSinkConfig,
    explicit_nulls: bool,
}

impl fmt::Debug for JsonLinesSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLinesSink").field("explicit_nulls", &self.explicit_nulls).finish()
    }
}

impl DisplayAs for JsonLinesSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonLinesSink(url={}, explicit_nulls={})", self.config.original_url, self.explicit_nulls)
    }
}

#[async_trait]
impl FileSink for JsonLinesSink {
    fn config(&self) -> &FileSinkConfig {
        &self.config
    }

    async fn spawn_writer_tasks_and_join(
        &self,
        context: &Arc<TaskContext>,
        demux_task: SpawnedTask<Result<()>>,
        file_stream_rx: DemuxedStreamReceiver,
        object_store: Arc<dyn ObjectStore>,
    ) -> Result<u64> {
        let serializer = Arc::new(JsonLinesSerializer { explicit_nulls: self.explicit_nulls });
        spawn_writer_tasks_and_join(
            context,
            serializer,
            FileCompressionType::UNCOMPRESSED,
            None,
            object_store,
            demux_task,
            file_stream_rx,
        )
        .await
    }
}

#[async_trait]
impl DataSink for JsonLinesSink {
    fn schema(&self) -> &SchemaRef {
        self.config.output_schema()
    }

    async fn write_all(&self, data: SendableRecordBatchStream, context: &Arc<TaskContext>) -> Result<u64> {
        FileSink::write_all(self, data, context).await
    }
}

struct JsonLinesSerializer {
    explicit_nulls: bool,
}

impl BatchSerializer for JsonLinesSerializer {
    fn serialize(&self, batch: RecordBatch, _initial: bool) -> Result<Bytes> {
        let mut buffer = Vec::with_capacity(4096);
        let mut writer =
            WriterBuilder::new().with_explicit_nulls(self.explicit_nulls).build::<_, LineDelimited>(&mut buffer);
        writer.write(&batch)?;
        writer.finish()?;
        Ok(Bytes::from(buffer))
    }
}
