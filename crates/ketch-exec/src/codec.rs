//! ketch's `datafusion-proto` extension codec: the logical and physical
//! nodes ketch adds, and the UDFs inside expressions, as bytes and back.
//!
//! The Ray runner ships plan fragments to workers as bytes (DESIGN.md:
//! every ketch node must round-trip). Encodings:
//! - `UDFProject` (logical): its calls, each aliased to its output name, as a
//!   `LogicalExprList`.
//! - `UDFProjectExec` (physical): `concurrency` (u32 LE), `batch_rows` (u64
//!   LE, 0 for none), then a `ProjectionExecNode` (without input) holding
//!   every output expression and name.
//! - `Write` (logical) and `WriteExec` (physical): the write's options as
//!   JSON ([`write_options_to_json`]).
//! - `Sample` (logical) and `SampleExec` (physical): the options, 19 bytes
//!   (see `encode_sample`); `IntoBatches`/`IntoBatchesExec`: the batch size (u64 LE).
//! - In-memory tables (`MemTable`): each partition as Arrow IPC stream bytes.
//!   Their physical scans are DataFusion's `MemorySourceConfig`, which
//!   `datafusion-proto` serializes itself.
//! - Tables and scans backed by the host language (Python readers): the
//!   bytes the codec's [`HostSources`] gives (cloudpickle of the reader's
//!   factory for Python).
//! - An [`ExternalUdf`] call: the handle's own bytes
//!   ([`UdfHandle::serialize`]: cloudpickle for Python UDFs), turned back
//!   into a handle by the codec's [`UdfDecoder`]. Other functions travel by
//!   name and resolve in the receiving session's registry.
//!
//! Physical plans decode through [`KetchProtoConverter`], which gives every
//! function call back the result *field* it was planned with (see there).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference, internal_datafusion_err, internal_err, not_impl_err};
use datafusion::datasource::MemTable;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Expr, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::PhysicalExpr;
use datafusion_datasource::memory::PartitionData;
use datafusion_proto::logical_plan::{LogicalExtensionCodec, from_proto, to_proto};
use datafusion_proto::physical_plan::from_proto::parse_physical_expr_with_converter;
use datafusion_proto::physical_plan::to_proto::serialize_physical_expr_with_converter;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalPlanNodeExt, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf;
use ketch_io::formats::WriteFormat;
use ketch_io::sink::{WriteMode, WriteOptions};
use ketch_plan::batches::IntoBatches;
use ketch_plan::sample::{Sample, SampleAmount, SampleOptions};
use ketch_plan::udf::node::UdfProject;
use ketch_plan::udf::{ExternalUdf, UdfDecoder};
use ketch_plan::write::Write;
use prost::Message;

use crate::batches::IntoBatchesExec;
use crate::host_scan::{HostScanExec, HostStream};
use crate::morsel::MorselExec;
use crate::sample::SampleExec;
use crate::udf::UdfProjectExec;
use crate::write::WriteExec;

/// The result schema of a write of `input` (`path`, then the partition
/// columns), as the logical `Write` node gives it.
fn write_result_schema(input: &SchemaRef, options: &WriteOptions) -> Result<SchemaRef> {
    let mut fields = vec![arrow::datatypes::Field::new("path", arrow::datatypes::DataType::Utf8, false)];
    for name in &options.partition_cols {
        fields.push(input.field_with_name(name)?.clone().with_nullable(true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Tables and scans whose rows come from the host language (Python readers
/// in `ketch-python`), which execution knows only through this trait.
pub trait HostSources: Send + Sync + std::fmt::Debug {
    /// `table` as bytes; None when it is not a host table.
    fn encode_table(&self, table: &dyn TableProvider) -> Option<Result<Vec<u8>>>;
    /// The table [`Self::encode_table`] encoded.
    fn decode_table(&self, buf: &[u8]) -> Result<Arc<dyn TableProvider>>;
    /// The stream of a host table's scan that [`HostStream::encode`] encoded.
    fn decode_stream(&self, buf: &[u8]) -> Result<Arc<dyn HostStream>>;
}

/// [`HostSources`] for a process without a host language: none.
#[derive(Debug, Default)]
pub struct NoHostSources;

impl HostSources for NoHostSources {
    fn encode_table(&self, _: &dyn TableProvider) -> Option<Result<Vec<u8>>> {
        None
    }
    fn decode_table(&self, _: &[u8]) -> Result<Arc<dyn TableProvider>> {
        not_impl_err!("this process cannot read host-language tables")
    }
    fn decode_stream(&self, _: &[u8]) -> Result<Arc<dyn HostStream>> {
        not_impl_err!("this process cannot read host-language tables")
    }
}

/// The extension codec for ketch plans; `udfs` decodes UDF handles,
/// `sources` host-language tables.
#[derive(Debug, Clone)]
pub struct KetchCodec {
    pub udfs: Arc<dyn UdfDecoder>,
    pub sources: Arc<dyn HostSources>,
}

impl KetchCodec {
    /// A codec with these decoders.
    pub fn new(udfs: Arc<dyn UdfDecoder>, sources: Arc<dyn HostSources>) -> Self {
        Self { udfs, sources }
    }

    fn encode_udf(&self, udf: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(external) = udf.inner().downcast_ref::<ExternalUdf>() {
            buf.extend(external.handle().serialize()?);
        } else if let Some(origin) = ketch_functions::function::kernel_origin(udf) {
            buf.extend(KERNEL);
            let args = to_proto::serialize_exprs(&origin.args, self).map_err(|e| decode_err("a kernel", e))?;
            let types = origin
                .types
                .iter()
                .map(protobuf::ArrowType::try_from)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| decode_err("a kernel", e))?;
            KernelOriginProto { daft: origin.daft, index: origin.index as u32, args, types }
                .encode(buf)
                .map_err(|e| decode_err("a kernel", e))?;
        } else if is_builtin_scalar(udf) {
            buf.extend(BUILTIN);
        }
        Ok(())
    }

    fn decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        if let Some(rest) = buf.strip_prefix(KERNEL) {
            let proto = KernelOriginProto::decode(rest).map_err(|e| decode_err("a kernel", e))?;
            // Constant arguments may call DataFusion's functions (`make_array`).
            let args =
                from_proto::parse_exprs(&proto.args, &plain_task_ctx(), self).map_err(|e| decode_err("a kernel", e))?;
            let types = proto
                .types
                .iter()
                .map(arrow::datatypes::DataType::try_from)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| decode_err("a kernel", e))?;
            let origin =
                ketch_functions::function::KernelOrigin { daft: proto.daft, args, types, index: proto.index as usize };
            return ketch_functions::function::rebuild_kernel(&origin);
        }
        if buf == BUILTIN {
            return builtin(name, scalar_builtins(), |f| f.name());
        }
        if buf.is_empty() {
            return not_impl_err!("unknown scalar function {name}");
        }
        let handle = self.udfs.decode(name, buf)?;
        Ok(Arc::new(ScalarUDF::new_from_impl(ExternalUdf::new(handle))))
    }
}

/// The bytes of a call of a DataFusion built-in function. Ketch registers
/// some of Daft's functions under names DataFusion's built-ins also have
/// (`contains`, `substr`, ...) and expands them into the built-ins before
/// planning; a call of the built-in in a planned plan must not resolve to
/// the Daft function of the same name in the receiving session.
const BUILTIN: &[u8] = b"datafusion-builtin";

/// The bytes of a call of a kernel a Daft function's expansion made (see
/// `ketch_functions::function::KernelOrigin`): this prefix, then
/// [`KernelOriginProto`].
const KERNEL: &[u8] = b"ketch-kernel:";

/// A kernel's origin: the Daft function, its arguments and their types, and
/// the kernel's place in the expansion.
#[derive(Clone, PartialEq, prost::Message)]
struct KernelOriginProto {
    #[prost(string, tag = "1")]
    daft: String,
    #[prost(uint32, tag = "2")]
    index: u32,
    #[prost(message, repeated, tag = "3")]
    args: Vec<protobuf::LogicalExprNode>,
    #[prost(message, repeated, tag = "4")]
    types: Vec<protobuf::ArrowType>,
}

fn scalar_builtins() -> Vec<Arc<ScalarUDF>> {
    let mut all = datafusion::functions::all_default_functions();
    all.extend(datafusion::functions_nested::all_default_nested_functions());
    all
}

fn aggregate_builtins() -> Vec<Arc<AggregateUDF>> {
    datafusion::functions_aggregate::all_default_aggregate_functions()
}

fn window_builtins() -> Vec<Arc<WindowUDF>> {
    datafusion::functions_window::all_default_window_functions()
}

/// Whether two function implementations are of one type.
fn same_impl(a: &dyn std::any::Any, b: &dyn std::any::Any) -> bool {
    a.type_id() == b.type_id()
}

fn is_builtin_scalar(f: &ScalarUDF) -> bool {
    scalar_builtins().iter().any(|b| b.name() == f.name() && same_impl(b.inner().as_ref(), f.inner().as_ref()))
}

fn is_builtin_aggregate(f: &AggregateUDF) -> bool {
    aggregate_builtins().iter().any(|b| b.name() == f.name() && same_impl(b.inner().as_ref(), f.inner().as_ref()))
}

fn is_builtin_window(f: &WindowUDF) -> bool {
    window_builtins().iter().any(|b| b.name() == f.name() && same_impl(b.inner().as_ref(), f.inner().as_ref()))
}

/// An aggregate function's bytes: [`BUILTIN`] for DataFusion's own (other
/// aggregates travel by name).
fn encode_aggregate(f: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
    if is_builtin_aggregate(f) {
        buf.extend(BUILTIN);
    }
    Ok(())
}

fn decode_aggregate(name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
    if buf == BUILTIN {
        return builtin(name, aggregate_builtins(), |f| f.name());
    }
    not_impl_err!("unknown aggregate function {name}")
}

/// A window function's bytes: [`BUILTIN`] for DataFusion's own.
fn encode_window(f: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
    if is_builtin_window(f) {
        buf.extend(BUILTIN);
    }
    Ok(())
}

fn decode_window(name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
    if buf == BUILTIN {
        return builtin(name, window_builtins(), |f| f.name());
    }
    not_impl_err!("unknown window function {name}")
}

fn builtin<F>(name: &str, builtins: Vec<Arc<F>>, name_of: impl Fn(&F) -> &str) -> Result<Arc<F>> {
    match builtins.into_iter().find(|f| name_of(f) == name) {
        Some(f) => Ok(f),
        None => internal_err!("DataFusion has no built-in function {name}"),
    }
}

/// A task context with DataFusion's functions, to decode kernel arguments.
fn plain_task_ctx() -> Arc<TaskContext> {
    static CTX: std::sync::OnceLock<Arc<TaskContext>> = std::sync::OnceLock::new();
    CTX.get_or_init(|| datafusion::prelude::SessionContext::new().task_ctx()).clone()
}

fn decode_err(what: &str, e: impl std::fmt::Display) -> datafusion::common::DataFusionError {
    internal_datafusion_err!("cannot decode {what}: {e}")
}

impl LogicalExtensionCodec for KetchCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        let [input] = inputs else { return internal_err!("ketch plan nodes take one input, got {}", inputs.len()) };
        let (tag, buf) = buf.split_first().unwrap_or((&0xff, &[]));
        if *tag == WRITE_TAG {
            let node = Write::try_new(Arc::new(input.clone()), write_options_from_json(buf)?)?;
            return Ok(Extension { node: Arc::new(node) });
        }
        if *tag == SAMPLE_TAG {
            return Ok(Extension { node: Arc::new(Sample::new(Arc::new(input.clone()), decode_sample(buf)?)) });
        }
        if *tag == INTO_BATCHES_TAG {
            let rows = buf.try_into().map(u64::from_le_bytes).map_err(|e| decode_err("IntoBatches", e))?;
            return Ok(Extension { node: Arc::new(IntoBatches::try_new(Arc::new(input.clone()), rows as usize)?) });
        }
        if *tag != UDF_PROJECT_TAG {
            return internal_err!("cannot decode a ketch plan node tagged {tag}");
        }
        let list = protobuf::LogicalExprList::decode(buf).map_err(|e| decode_err("UDFProject", e))?;
        let exprs = from_proto::parse_exprs(&list.expr, ctx, self).map_err(|e| decode_err("UDFProject", e))?;
        let mut calls = vec![];
        let mut names = vec![];
        for e in exprs {
            let Expr::Alias(alias) = e else { return internal_err!("UDFProject call without a name: {e}") };
            calls.push(*alias.expr);
            names.push(alias.name);
        }
        let node = UdfProject::try_new(Arc::new(input.clone()), calls, names)?;
        Ok(Extension { node: Arc::new(node) })
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(write) = node.node.as_any().downcast_ref::<Write>() {
            buf.push(WRITE_TAG);
            buf.extend(write_options_to_json(&write.options).into_bytes());
            return Ok(());
        }
        if let Some(sample) = node.node.as_any().downcast_ref::<Sample>() {
            buf.push(SAMPLE_TAG);
            encode_sample(&sample.options, buf);
            return Ok(());
        }
        if let Some(batches) = node.node.as_any().downcast_ref::<IntoBatches>() {
            buf.push(INTO_BATCHES_TAG);
            buf.extend((batches.batch_size as u64).to_le_bytes());
            return Ok(());
        }
        let Some(node) = node.node.as_any().downcast_ref::<UdfProject>() else {
            return not_impl_err!("ketch cannot serialize plan node {}", node.node.name());
        };
        buf.push(UDF_PROJECT_TAG);
        let named: Vec<Expr> = node.calls.iter().zip(&node.names).map(|(c, n)| c.clone().alias(n)).collect();
        let expr = to_proto::serialize_exprs(&named, self).map_err(|e| decode_err("UDFProject", e))?;
        protobuf::LogicalExprList { expr }.encode(buf).map_err(|e| decode_err("UDFProject", e))
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        _: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.split_first() {
            Some((&MEM_TABLE_TAG, rest)) => Ok(Arc::new(MemTable::try_new(schema, decode_partitions(rest)?)?)),
            Some((&HOST_TABLE_TAG, rest)) => self.sources.decode_table(rest),
            _ => internal_err!("cannot decode table {table_ref}"),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        table: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(mem) = table.downcast_ref::<MemTable>() {
            buf.push(MEM_TABLE_TAG);
            return encode_partitions(&mem.schema(), &mem.batches, buf);
        }
        if let Some(bytes) = self.sources.encode_table(table.as_ref()) {
            buf.push(HOST_TABLE_TAG);
            buf.extend(bytes?);
            return Ok(());
        }
        not_impl_err!("ketch cannot serialize table {table_ref}")
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_aggregate(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_aggregate(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        decode_window(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_window(node, buf)
    }
}

const UDF_PROJECT_TAG: u8 = 0;
const MORSEL_TAG: u8 = 1;
const WRITE_TAG: u8 = 2;
const HOST_SCAN_TAG: u8 = 3;
const SAMPLE_TAG: u8 = 4;
const INTO_BATCHES_TAG: u8 = 5;
const MEM_TABLE_TAG: u8 = 0;
const HOST_TABLE_TAG: u8 = 1;

/// A sample's options: amount kind (0 fraction, 1 size) and value (u64 LE:
/// the fraction's bits or the size), with_replacement (0/1), seed (u64 LE,
/// or u64::MAX with a 0 flag byte before it when none).
fn encode_sample(options: &SampleOptions, buf: &mut Vec<u8>) {
    let (kind, value) = match options.amount {
        SampleAmount::FractionBits(bits) => (0u8, bits),
        SampleAmount::Size(size) => (1u8, size),
    };
    buf.push(kind);
    buf.extend(value.to_le_bytes());
    buf.push(options.with_replacement as u8);
    buf.push(options.seed.is_some() as u8);
    buf.extend(options.seed.unwrap_or(u64::MAX).to_le_bytes());
}

fn decode_sample(buf: &[u8]) -> Result<SampleOptions> {
    let word = |at: usize| -> Result<u64> {
        let bytes = buf.get(at..at + 8).ok_or_else(|| decode_err("a sample", "too short"))?;
        Ok(u64::from_le_bytes(bytes.try_into().map_err(|e| decode_err("a sample", e))?))
    };
    let (Some(&kind), Some(&replace), Some(&has_seed)) = (buf.first(), buf.get(9), buf.get(10)) else {
        return internal_err!("cannot decode a sample: {} bytes", buf.len());
    };
    let value = word(1)?;
    let amount = if kind == 0 { SampleAmount::FractionBits(value) } else { SampleAmount::Size(value) };
    let seed = if has_seed == 1 { Some(word(11)?) } else { None };
    Ok(SampleOptions { amount, with_replacement: replace == 1, seed })
}

/// Each partition's batches as an Arrow IPC stream, length-prefixed (u64 LE),
/// after the partition count (u32 LE).
fn encode_partitions(schema: &SchemaRef, partitions: &[PartitionData], buf: &mut Vec<u8>) -> Result<()> {
    buf.extend((partitions.len() as u32).to_le_bytes());
    for partition in partitions {
        let Ok(batches) = partition.try_read() else {
            return internal_err!("an in-memory table is being written while its plan is serialized");
        };
        let mut bytes = vec![];
        let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut bytes, schema)?;
        for batch in batches.iter() {
            writer.write(batch)?;
        }
        writer.finish()?;
        drop(writer);
        buf.extend((bytes.len() as u64).to_le_bytes());
        buf.extend(bytes);
    }
    Ok(())
}

/// The partitions [`encode_partitions`] encoded.
fn decode_partitions(mut buf: &[u8]) -> Result<Vec<Vec<RecordBatch>>> {
    let mut take = |n: usize| -> Result<&[u8]> {
        if buf.len() < n {
            return internal_err!("cannot decode an in-memory table: truncated");
        }
        let (head, rest) = buf.split_at(n);
        buf = rest;
        Ok(head)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().map_err(|e| decode_err("an in-memory table", e))?);
    let mut partitions = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = u64::from_le_bytes(take(8)?.try_into().map_err(|e| decode_err("an in-memory table", e))?);
        let bytes = take(len as usize)?;
        let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)?;
        partitions.push(reader.collect::<std::result::Result<Vec<_>, _>>()?);
    }
    Ok(partitions)
}

/// The options of a write as JSON (the codec's encoding of `Write` and
/// `WriteExec`).
pub fn write_options_to_json(o: &WriteOptions) -> String {
    let format = match &o.format {
        WriteFormat::Parquet { compression, column_compression } => serde_json::json!({
            "parquet": {"compression": compression, "column_compression": column_compression}
        }),
        WriteFormat::Csv { delimiter, quote, escape, header, date_format, timestamp_format } => serde_json::json!({
            "csv": {"delimiter": delimiter, "quote": quote, "escape": escape, "header": header,
                    "date_format": date_format, "timestamp_format": timestamp_format}
        }),
        WriteFormat::Json { explicit_nulls } => serde_json::json!({"json": {"explicit_nulls": explicit_nulls}}),
    };
    serde_json::json!({
        "location": o.location,
        "format": format,
        "mode": o.mode.name(),
        "partition_cols": o.partition_cols,
        "single_file": o.single_file,
        "write_success_file": o.write_success_file,
        "target_file_bytes": o.target_file_bytes,
        "target_row_group_bytes": o.target_row_group_bytes,
    })
    .to_string()
}

/// The options [`write_options_to_json`] encoded.
pub fn write_options_from_json(buf: &[u8]) -> Result<WriteOptions> {
    use serde_json::Value;
    let bad = |what: &str| decode_err("a write", format!("missing or invalid {what}"));
    let v: Value = serde_json::from_slice(buf).map_err(|e| decode_err("a write", e))?;
    let string = |v: &Value, k: &str| v[k].as_str().map(str::to_string).ok_or_else(|| bad(k));
    let opt_string = |v: &Value, k: &str| v[k].as_str().map(str::to_string);
    let boolean = |v: &Value, k: &str| v[k].as_bool().ok_or_else(|| bad(k));
    let number = |v: &Value, k: &str| v[k].as_u64().ok_or_else(|| bad(k));
    let byte = |v: &Value, k: &str| v[k].as_u64().and_then(|n| u8::try_from(n).ok());
    let f = &v["format"];
    let format = if let Some(p) = f.get("parquet") {
        let column_compression: Vec<(String, String)> =
            serde_json::from_value(p["column_compression"].clone()).map_err(|e| decode_err("a write", e))?;
        WriteFormat::Parquet { compression: string(p, "compression")?, column_compression }
    } else if let Some(c) = f.get("csv") {
        WriteFormat::Csv {
            delimiter: byte(c, "delimiter").ok_or_else(|| bad("delimiter"))?,
            quote: byte(c, "quote").ok_or_else(|| bad("quote"))?,
            escape: byte(c, "escape"),
            header: boolean(c, "header")?,
            date_format: opt_string(c, "date_format"),
            timestamp_format: opt_string(c, "timestamp_format"),
        }
    } else if let Some(j) = f.get("json") {
        WriteFormat::Json { explicit_nulls: boolean(j, "explicit_nulls")? }
    } else {
        return Err(bad("format"));
    };
    let partition_cols: Vec<String> =
        serde_json::from_value(v["partition_cols"].clone()).map_err(|e| decode_err("a write", e))?;
    Ok(WriteOptions {
        location: string(&v, "location")?,
        format,
        mode: WriteMode::from_name(&string(&v, "mode")?).ok_or_else(|| bad("mode"))?,
        partition_cols,
        single_file: boolean(&v, "single_file")?,
        write_success_file: boolean(&v, "write_success_file")?,
        target_file_bytes: number(&v, "target_file_bytes")?,
        target_row_group_bytes: number(&v, "target_row_group_bytes")?,
    })
}

/// Decodes physical plans with function calls' result fields as planned.
///
/// datafusion-proto stores only the Arrow type of a function call's result,
/// which drops the field's extension metadata: the thing that says a column
/// holds images or embeddings. Each decoded call is therefore planned again
/// from its (already decoded) arguments' fields, so `image_width(decode_image(x))`
/// knows after the round trip that its argument is an image. A call whose
/// re-planned field carries no metadata is kept as decoded.
pub struct KetchProtoConverter;

impl PhysicalProtoConverterExtension for KetchProtoConverter {
    fn proto_to_execution_plan(
        &self,
        proto: &protobuf::PhysicalPlanNode,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        proto.try_into_physical_plan_with_context(ctx, self)
    }

    fn execution_plan_to_proto(
        &self,
        plan: &Arc<dyn ExecutionPlan>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<protobuf::PhysicalPlanNode> {
        let mut node =
            protobuf::PhysicalPlanNode::try_from_physical_plan_with_converter(Arc::clone(plan), codec, self)?;
        keep_ignore_nulls(plan, &mut node);
        Ok(node)
    }

    fn proto_to_physical_expr(
        &self,
        proto: &protobuf::PhysicalExprNode,
        input_schema: &Schema,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let expr = parse_physical_expr_with_converter(proto, input_schema, ctx, self)?;
        let Some(call) = expr.downcast_ref::<ScalarFunctionExpr>() else { return Ok(expr) };
        let fun = Arc::new(call.fun().clone());
        let config = Arc::new(call.config_options().clone());
        match ScalarFunctionExpr::try_new(fun, call.args().to_vec(), input_schema, config) {
            Ok(planned) if !planned.return_field(input_schema)?.metadata().is_empty() => Ok(Arc::new(planned)),
            _ => Ok(expr),
        }
    }

    fn physical_expr_to_proto(
        &self,
        expr: &Arc<dyn PhysicalExpr>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<protobuf::PhysicalExprNode> {
        serialize_physical_expr_with_converter(expr, codec, self)
    }
}

/// `datafusion-proto` 55 serializes a window function's `IGNORE NULLS`
/// (`last_value(x IGNORE NULLS)`, which ketch's as-of join and Daft's
/// `ignore_nulls=True` use) for aggregate window functions only, and reads
/// it back for all: set it in `node` for the window UDFs of `plan` that
/// have it. `WindowUDFExpr` has no getter for it, so its `Debug` form is read.
fn keep_ignore_nulls(plan: &Arc<dyn ExecutionPlan>, node: &mut protobuf::PhysicalPlanNode) {
    use datafusion::physical_expr::window::StandardWindowExpr;
    use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec, WindowUDFExpr};
    use datafusion_proto::protobuf::physical_plan_node::PhysicalPlanType;
    let exprs = if let Some(w) = plan.downcast_ref::<BoundedWindowAggExec>() {
        w.window_expr()
    } else if let Some(w) = plan.downcast_ref::<WindowAggExec>() {
        w.window_expr()
    } else {
        return;
    };
    let Some(PhysicalPlanType::Window(window)) = node.physical_plan_type.as_mut() else { return };
    for (expr, proto) in exprs.iter().zip(window.window_expr.iter_mut()) {
        let ignores = expr
            .as_any()
            .downcast_ref::<StandardWindowExpr>()
            .and_then(|s| s.get_standard_func_expr().as_any().downcast_ref::<WindowUDFExpr>())
            .is_some_and(|u| format!("{u:?}").contains("ignore_nulls: true"));
        if ignores {
            proto.ignore_nulls = true;
        }
    }
}

/// `plan` as bytes for [`physical_plan_from_bytes`], through
/// [`KetchProtoConverter`] (which keeps what `datafusion-proto` would drop).
pub fn physical_plan_to_bytes(plan: Arc<dyn ExecutionPlan>, codec: &KetchCodec) -> Result<Vec<u8>> {
    let bytes =
        datafusion_proto::bytes::physical_plan_to_bytes_with_proto_converter(plan, codec, &KetchProtoConverter)?;
    Ok(bytes.to_vec())
}

/// A physical plan from bytes made by `physical_plan_to_bytes_with_extension_codec`
/// with `codec`, function result fields as planned ([`KetchProtoConverter`]).
pub fn physical_plan_from_bytes(bytes: &[u8], ctx: &TaskContext, codec: &KetchCodec) -> Result<Arc<dyn ExecutionPlan>> {
    datafusion_proto::bytes::physical_plan_from_bytes_with_proto_converter(bytes, ctx, codec, &KetchProtoConverter)
}

impl PhysicalExtensionCodec for KetchCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // One tag byte names the operator.
        let (tag, buf) = buf.split_first().unwrap_or((&0xff, &[]));
        if *tag == HOST_SCAN_TAG {
            let (Some(limit), Some(rest)) = (buf.get(0..8), buf.get(8..)) else {
                return internal_err!("cannot decode a host scan: {} bytes", buf.len());
            };
            let limit = u64::from_le_bytes(limit.try_into().map_err(|e| decode_err("a host scan", e))?);
            let limit = (limit != u64::MAX).then_some(limit as usize);
            return Ok(Arc::new(HostScanExec::new(self.sources.decode_stream(rest)?, limit)));
        }
        let [input] = inputs else { return internal_err!("ketch operators take one input, got {}", inputs.len()) };
        if *tag == WRITE_TAG {
            let options = write_options_from_json(buf)?;
            let schema = write_result_schema(&input.schema(), &options)?;
            return Ok(Arc::new(WriteExec::new(input.clone(), options, schema)));
        }
        if *tag == SAMPLE_TAG {
            return Ok(Arc::new(SampleExec::new(input.clone(), decode_sample(buf)?)));
        }
        if *tag == INTO_BATCHES_TAG {
            let rows = buf.try_into().map(u64::from_le_bytes).map_err(|e| decode_err("IntoBatchesExec", e))?;
            return Ok(Arc::new(IntoBatchesExec::new(input.clone(), rows as usize)));
        }
        if *tag == MORSEL_TAG {
            let rows = buf.try_into().map(u64::from_le_bytes).map_err(|e| decode_err("MorselExec", e))?;
            return Ok(Arc::new(MorselExec::new(input.clone(), rows as usize)));
        }
        if *tag != UDF_PROJECT_TAG {
            return internal_err!("cannot decode a ketch operator tagged {tag}");
        }
        let (Some(concurrency), Some(batch_rows), Some(rest)) = (buf.get(0..4), buf.get(4..12), buf.get(12..)) else {
            return internal_err!("cannot decode UDFProjectExec: {} bytes", buf.len());
        };
        let concurrency = u32::from_le_bytes(concurrency.try_into().map_err(|e| decode_err("UDFProjectExec", e))?);
        let batch_rows = u64::from_le_bytes(batch_rows.try_into().map_err(|e| decode_err("UDFProjectExec", e))?);
        let node = protobuf::ProjectionExecNode::decode(rest).map_err(|e| decode_err("UDFProjectExec", e))?;
        let schema = input.schema();
        let decode_ctx = PhysicalPlanDecodeContext::new(ctx, self);
        let exprs = node
            .expr
            .iter()
            .map(|e| converter.proto_to_physical_expr(e, &schema, &decode_ctx))
            .collect::<Result<Vec<_>>>()?;
        let rows = (batch_rows > 0).then_some(batch_rows as usize);
        Ok(Arc::new(UdfProjectExec::try_new(input.clone(), exprs, node.expr_name, concurrency as usize, rows)?))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(write) = node.downcast_ref::<WriteExec>() {
            buf.push(WRITE_TAG);
            buf.extend(write_options_to_json(write.options()).into_bytes());
            return Ok(());
        }
        if let Some(sample) = node.downcast_ref::<SampleExec>() {
            buf.push(SAMPLE_TAG);
            encode_sample(sample.options(), buf);
            return Ok(());
        }
        if let Some(batches) = node.downcast_ref::<IntoBatchesExec>() {
            buf.push(INTO_BATCHES_TAG);
            buf.extend((batches.batch_size() as u64).to_le_bytes());
            return Ok(());
        }
        if let Some(scan) = node.downcast_ref::<HostScanExec>() {
            buf.push(HOST_SCAN_TAG);
            buf.extend(scan.limit().map_or(u64::MAX, |l| l as u64).to_le_bytes());
            buf.extend(scan.stream().encode()?);
            return Ok(());
        }
        if let Some(morsel) = node.downcast_ref::<MorselExec>() {
            buf.push(MORSEL_TAG);
            buf.extend((morsel.rows() as u64).to_le_bytes());
            return Ok(());
        }
        let Some(exec) = node.downcast_ref::<UdfProjectExec>() else {
            return not_impl_err!("ketch cannot serialize operator {}", node.name());
        };
        buf.push(UDF_PROJECT_TAG);
        let expr = exec
            .exprs()
            .iter()
            .map(|e| datafusion_proto::physical_plan::to_proto::serialize_physical_expr(e, self))
            .collect::<Result<Vec<_>>>()?;
        let expr_name = exec.schema().fields().iter().map(|f| f.name().clone()).collect();
        buf.extend((exec.concurrency() as u32).to_le_bytes());
        buf.extend((exec.batch_rows().unwrap_or(0) as u64).to_le_bytes());
        protobuf::ProjectionExecNode { input: None, expr, expr_name }
            .encode(buf)
            .map_err(|e| decode_err("UDFProjectExec", e))
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_aggregate(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_aggregate(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        decode_window(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_window(node, buf)
    }
}
