//! User-defined functions in plans: the *UDF handle* through which planning
//! and execution reach user code (DESIGN.md: neither touches Python objects
//! except through it), the scalar function that calls it, the `UDFProject`
//! node that isolates those calls, and the rules that place that node.
//!
//! - [`UdfHandle`]: what the engine needs from a UDF — its name and return
//!   field, a call on Arrow arrays, how many rows it wants per call and how
//!   many calls may run at once. The bindings implement it for Python.
//! - [`ExternalUdf`]: a DataFusion `ScalarUDFImpl` around a handle, so a UDF
//!   call is an ordinary expression until the optimizer isolates it.
//! - [`node::UdfProject`]: the logical node that evaluates UDF calls.
//! - [`rules`]: `IsolateUdfs` moves calls out of projections and filters into
//!   `UDFProject` nodes, `UdfAfterJoin` moves those nodes above joins.
//! - [`call_stats`]: calls made and rows whose failure `on_error` suppressed,
//!   counted on the calling thread for the operator's metrics.

pub mod call_stats;
pub mod node;
pub mod rules;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::tree_node::TreeNode;
use datafusion::common::{Result, exec_err, not_impl_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

/// User code the engine can call on Arrow data (the UDF handle).
///
/// Implementations own the UDF's semantics (row-wise or batch, retries,
/// `on_error`, instance pools); the engine only decides which rows reach
/// [`UdfHandle::call`], in which batches, and how many calls run at once.
pub trait UdfHandle: Send + Sync + fmt::Debug {
    /// The UDF's name, used for its output column, plans and messages.
    fn name(&self) -> &str;
    /// The field it returns: type and extension metadata.
    fn return_field(&self) -> &FieldRef;
    /// Calls the UDF on one batch: `args` are the evaluated arguments, each
    /// `num_rows` long, and `fields` their fields (extension metadata names
    /// logical types such as images); the result must be `num_rows` long and
    /// of [`UdfHandle::return_field`]'s type. Blocks until done.
    fn call(&self, args: &[ArrayRef], fields: &[FieldRef], num_rows: usize) -> Result<ArrayRef>;
    /// Rows per call the UDF wants (a batch UDF's `batch_size` or morsel):
    /// smaller input batches are coalesced up to it. `None` takes the batches
    /// as they come.
    fn batch_rows(&self) -> Option<usize> {
        None
    }
    /// How many calls may run at once in one partition (the size of the
    /// UDF's instance or process pool); also the number of batches each
    /// partition holds in flight, which bounds memory (backpressure).
    fn concurrency(&self) -> usize {
        1
    }
    /// An identity for equality and hashing of plans: two handles with the
    /// same name and identity are the same UDF.
    fn identity(&self) -> usize;
    /// The handle as bytes, so plans holding it can travel to other
    /// processes (the Ray runner's workers); a [`UdfDecoder`] makes the
    /// handle again.
    fn serialize(&self) -> Result<Vec<u8>> {
        not_impl_err!("UDF {} cannot be serialized", self.name())
    }
}

/// Makes handles again from [`UdfHandle::serialize`]'s bytes.
pub trait UdfDecoder: Send + Sync + fmt::Debug {
    fn decode(&self, name: &str, bytes: &[u8]) -> Result<Arc<dyn UdfHandle>>;
}

/// A call of a [`UdfHandle`] as a DataFusion scalar function (volatile: a UDF
/// may be random or have effects, so it is never folded or deduplicated by
/// DataFusion).
pub struct ExternalUdf {
    handle: Arc<dyn UdfHandle>,
    signature: Signature,
}

impl ExternalUdf {
    pub fn new(handle: Arc<dyn UdfHandle>) -> Self {
        let signature =
            Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], Volatility::Volatile);
        Self { handle, signature }
    }

    /// An expression calling `handle` on `args`.
    pub fn call(handle: Arc<dyn UdfHandle>, args: Vec<Expr>) -> Expr {
        ScalarUDF::new_from_impl(Self::new(handle)).call(args)
    }

    pub fn handle(&self) -> &Arc<dyn UdfHandle> {
        &self.handle
    }

    /// The UDF called by `expr` when `expr` is a call of one.
    pub fn of(expr: &Expr) -> Option<&ExternalUdf> {
        match expr {
            Expr::ScalarFunction(ScalarFunction { func, .. }) => func.inner().downcast_ref::<ExternalUdf>(),
            _ => None,
        }
    }

    /// Whether `expr` calls a UDF anywhere inside.
    pub fn appears_in(expr: &Expr) -> bool {
        expr.exists(|e| Ok(Self::of(e).is_some())).unwrap_or(false)
    }
}

impl fmt::Debug for ExternalUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalUdf").field("handle", &self.handle).finish()
    }
}

impl PartialEq for ExternalUdf {
    fn eq(&self, other: &Self) -> bool {
        self.handle.name() == other.handle.name() && self.handle.identity() == other.handle.identity()
    }
}

impl Eq for ExternalUdf {}

impl Hash for ExternalUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.handle.name().hash(state);
        self.handle.identity().hash(state);
    }
}

impl ScalarUDFImpl for ExternalUdf {
    fn name(&self) -> &str {
        self.handle.name()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.handle.return_field().data_type().clone())
    }
    fn return_field_from_args(&self, _: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(self.handle.return_field().as_ref().clone().with_name(self.handle.name())))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<Vec<_>>>()?;
        call_stats::record_call();
        let out = self.handle.call(&arrays, &args.arg_fields, rows)?;
        let name = self.handle.name();
        if out.len() != rows {
            return exec_err!("UDF {name} returned {} values for {rows} rows", out.len());
        }
        let want = self.handle.return_field().data_type();
        if out.data_type() != want {
            return exec_err!("UDF {name} returned {}, expected its return_dtype {want}", out.data_type());
        }
        Ok(ColumnarValue::Array(out))
    }
}
