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
//! - An [`ExternalUdf`] call: the handle's own bytes
//!   ([`UdfHandle::serialize`]: cloudpickle for Python UDFs), turned back
//!   into a handle by the codec's [`UdfDecoder`]. Other functions travel by
//!   name and resolve in the receiving session's registry.
//!
//! Physical plans decode through [`KetchProtoConverter`], which gives every
//! function call back the result *field* it was planned with (see there).

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference, internal_datafusion_err, internal_err, not_impl_err};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::PhysicalExpr;
use datafusion_proto::logical_plan::{LogicalExtensionCodec, from_proto, to_proto};
use datafusion_proto::physical_plan::from_proto::parse_physical_expr_with_converter;
use datafusion_proto::physical_plan::to_proto::serialize_physical_expr_with_converter;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalPlanNodeExt, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf;
use ketch_plan::udf::node::UdfProject;
use ketch_plan::udf::{ExternalUdf, UdfDecoder};
use prost::Message;

use crate::morsel::MorselExec;
use crate::udf::UdfProjectExec;

/// The extension codec for ketch plans; `udfs` decodes UDF handles.
#[derive(Debug, Clone)]
pub struct KetchCodec {
    pub udfs: Arc<dyn UdfDecoder>,
}

impl KetchCodec {
    fn encode_udf(&self, udf: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(external) = udf.inner().downcast_ref::<ExternalUdf>() {
            buf.extend(external.handle().serialize()?);
        }
        Ok(())
    }

    fn decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        if buf.is_empty() {
            return not_impl_err!("unknown scalar function {name}");
        }
        let handle = self.udfs.decode(name, buf)?;
        Ok(Arc::new(ScalarUDF::new_from_impl(ExternalUdf::new(handle))))
    }
}

fn decode_err(what: &str, e: impl std::fmt::Display) -> datafusion::common::DataFusionError {
    internal_datafusion_err!("cannot decode {what}: {e}")
}

impl LogicalExtensionCodec for KetchCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        let [input] = inputs else { return internal_err!("UDFProject takes one input, got {}", inputs.len()) };
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
        let Some(node) = node.node.as_any().downcast_ref::<UdfProject>() else {
            return not_impl_err!("ketch cannot serialize plan node {}", node.node.name());
        };
        let named: Vec<Expr> = node.calls.iter().zip(&node.names).map(|(c, n)| c.clone().alias(n)).collect();
        let expr = to_proto::serialize_exprs(&named, self).map_err(|e| decode_err("UDFProject", e))?;
        protobuf::LogicalExprList { expr }.encode(buf).map_err(|e| decode_err("UDFProject", e))
    }

    fn try_decode_table_provider(
        &self,
        _: &[u8],
        table_ref: &TableReference,
        _: SchemaRef,
        _: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        not_impl_err!("ketch cannot deserialize table {table_ref}")
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        _: Arc<dyn TableProvider>,
        _: &mut Vec<u8>,
    ) -> Result<()> {
        not_impl_err!("ketch cannot serialize table {table_ref}")
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.encode_udf(node, buf)
    }
}

const UDF_PROJECT_TAG: u8 = 0;
const MORSEL_TAG: u8 = 1;

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
        protobuf::PhysicalPlanNode::try_from_physical_plan_with_converter(Arc::clone(plan), codec, self)
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
        let [input] = inputs else { return internal_err!("ketch operators take one input, got {}", inputs.len()) };
        // One tag byte names the operator.
        let (tag, buf) = buf.split_first().unwrap_or((&0xff, &[]));
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
}
