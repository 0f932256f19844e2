//! Multimodal types and kernels: images, tensors, embeddings and files.
//!
//! Each function here is a [`MediaFunction`]: a scalar UDF whose result
//! *field* (not only type) is computed from the argument fields, because a
//! Daft logical type (`Image[RGB]`, `Embedding[Float32; 3]`, ...) lives in
//! the field's extension metadata ([`types`]). Literal parameters (a mode, a
//! size, `on_error`) are read from the call's literal arguments.

pub mod cast;
pub mod file;
pub mod image;
pub mod image_hash;
mod local;
mod resize;
mod sparse;
pub mod tensor_math;
pub mod types;
pub mod vector;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

pub use types::{ImageMode, Logical};

/// One call of a media function: its argument fields and literal arguments.
pub struct Call<'a> {
    pub name: &'static str,
    pub fields: &'a [FieldRef],
    pub literals: Vec<Option<ScalarValue>>,
}

impl Call<'_> {
    /// The logical type of argument `i` (from its field metadata).
    pub fn logical(&self, i: usize) -> Option<Logical> {
        self.fields.get(i).and_then(|f| Logical::of_field(f))
    }

    pub fn data_type(&self, i: usize) -> &DataType {
        self.fields.get(i).map_or(&DataType::Null, |f| f.data_type())
    }

    /// Argument `i` as a literal string; `None` when absent or a null literal.
    pub fn str(&self, i: usize) -> Result<Option<String>> {
        match self.literals.get(i).cloned().flatten() {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(None),
            Some(v) => match v.cast_to(&DataType::Utf8)? {
                ScalarValue::Utf8(s) => Ok(s),
                _ => plan_err!("{}: argument {} must be a string", self.name, i + 1),
            },
        }
    }

    /// Argument `i` as a literal integer; `None` when absent or a null literal.
    pub fn int(&self, i: usize) -> Result<Option<i64>> {
        match self.literals.get(i).cloned().flatten() {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(None),
            Some(v) if v.data_type().is_integer() => match v.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(x) => Ok(x),
                _ => unreachable!("an integer casts to Int64"),
            },
            Some(v) => plan_err!("{}: argument {} must be an integer, got {v}", self.name, i + 1),
        }
    }

    /// Daft's `on_error`: true for `"null"` (a failed row becomes null), false for `"raise"`.
    pub fn null_on_error(&self, i: usize) -> Result<bool> {
        match self.str(i)?.as_deref() {
            None | Some("raise") => Ok(false),
            Some("null") => Ok(true),
            Some(other) => plan_err!("{}: on_error must be 'raise' or 'null', got {other:?}", self.name),
        }
    }

    /// An error naming the function and what argument `i` should have been.
    pub fn type_error<T>(&self, i: usize, expected: &str) -> Result<T> {
        let got = match self.logical(i) {
            Some(l) => l.to_string(),
            None => self.data_type(i).to_string(),
        };
        plan_err!("{} expects {expected}, got {got}", self.name)
    }
}

type ReturnFn = dyn Fn(&Call) -> Result<Field> + Send + Sync;
type RunFn = dyn Fn(&Call, &[ArrayRef], &Field) -> Result<ArrayRef> + Send + Sync;

/// A scalar function over media columns (see the module docs).
#[derive(Clone)]
pub struct MediaFunction {
    name: &'static str,
    signature: Signature,
    returns: Arc<ReturnFn>,
    run: Arc<RunFn>,
    morsel_rows: Option<usize>,
}

impl MediaFunction {
    /// `returns` gives the result field of a call (checking argument types);
    /// `run` maps the argument arrays (literals broadcast to the batch length)
    /// to the result array, given the result field.
    pub fn new(
        name: &'static str,
        returns: impl Fn(&Call) -> Result<Field> + Send + Sync + 'static,
        run: impl Fn(&Call, &[ArrayRef], &Field) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            signature: Signature::variadic_any(Volatility::Immutable),
            returns: Arc::new(returns),
            run: Arc::new(run),
            morsel_rows: None,
        }
    }

    /// Asks for input batches of at most `rows` rows: for calls that multiply
    /// a row's bytes (downloads, decodes), so batches stay small in memory
    /// (ketch-exec's `SplitMediaMorsels` rule slices the input).
    pub fn morsels(mut self, rows: usize) -> Self {
        self.morsel_rows = Some(rows);
        self
    }

    /// The most input rows per call this function wants, if it asks.
    pub fn morsel_rows(&self) -> Option<usize> {
        self.morsel_rows
    }

    pub fn udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }
}

impl fmt::Debug for MediaFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaFunction").field("name", &self.name).finish()
    }
}

impl PartialEq for MediaFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for MediaFunction {}

impl Hash for MediaFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for MediaFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("internal: {} computes its result field from the argument fields", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let call = Call {
            name: self.name,
            fields: args.arg_fields,
            literals: args.scalar_arguments.iter().map(|v| v.cloned()).collect(),
        };
        Ok(Arc::new((self.returns)(&call)?))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let literals =
            args.args.iter().map(|a| if let ColumnarValue::Scalar(s) = a { Some(s.clone()) } else { None }).collect();
        let call = Call { name: self.name, fields: &args.arg_fields, literals };
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let arrays = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<Vec<_>>>()?;
        let out = (self.run)(&call, &arrays, args.return_field.as_ref())?;
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// Every media function, registered under its Daft name.
pub fn functions() -> Vec<ScalarUDF> {
    let mut all = image::functions();
    all.extend(vector::functions());
    all.extend(cast::functions());
    all.extend(file::functions());
    all.extend(tensor_math::functions().into_iter().map(MediaFunction::udf));
    all
}
