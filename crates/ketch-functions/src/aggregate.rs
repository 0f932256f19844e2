//! Aggregations DataFusion lacks, with Daft's result types:
//!
//! - `product(x)`: Int64 for integers (wrapping on overflow, as Arrow's
//!   arithmetic kernels), Float64 for floats; null for a group with no values.
//! - `skew(x)`: the population skewness (third standardized moment), Float64.
//! - `approx_percentiles(x, p)`: the `p` quantile of a DDSketch (relative
//!   accuracy 1%), from the same `sketches-ddsketch` version Daft uses, so
//!   answers agree with Daft's to the bit.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility, create_udaf};
use datafusion::physical_expr::expressions::Literal;
use sketches_ddsketch::{Config, DDSketch};

fn floats(a: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(a, &DataType::Float64)?)
}

// --- product ---------------------------------------------------------------

/// `product(x)`; see the module docs.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Product {
    signature: Signature,
}

impl Default for Product {
    fn default() -> Self {
        Self { signature: Signature::any(1, Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for Product {
    fn name(&self) -> &str {
        "product"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match &arg_types[0] {
            t if t.is_integer() => Ok(DataType::Int64),
            t if t.is_numeric() => Ok(DataType::Float64),
            t => plan_err!("product expects a numeric input, got {t}"),
        }
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ProductAcc { int: args.return_field.data_type() == &DataType::Int64, i: None, f: None }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new("product", args.return_field.data_type().clone(), true))])
    }
}

#[derive(Debug)]
struct ProductAcc {
    int: bool,
    i: Option<i64>,
    f: Option<f64>,
}

impl ProductAcc {
    fn fold(&mut self, values: &ArrayRef) -> Result<()> {
        if self.int {
            let v = cast(values, &DataType::Int64)?;
            for x in v.as_primitive::<Int64Type>().iter().flatten() {
                self.i = Some(self.i.unwrap_or(1).wrapping_mul(x));
            }
        } else {
            for x in floats(values)?.as_primitive::<Float64Type>().iter().flatten() {
                self.f = Some(self.f.unwrap_or(1.0) * x);
            }
        }
        Ok(())
    }
}

impl Accumulator for ProductAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.fold(&values[0])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.fold(&states[0])
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(if self.int { ScalarValue::Int64(self.i) } else { ScalarValue::Float64(self.f) })
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// `product(x)` as a DataFusion aggregate.
pub fn product() -> AggregateUDF {
    AggregateUDF::new_from_impl(Product::default())
}

// --- skew ------------------------------------------------------------------

/// Running raw moments: count and the sums of x, x² and x³.
#[derive(Debug, Default)]
struct Moments {
    n: f64,
    s1: f64,
    s2: f64,
    s3: f64,
}

impl Accumulator for Moments {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for x in floats(&values[0])?.as_primitive::<Float64Type>().iter().flatten() {
            self.n += 1.0;
            self.s1 += x;
            self.s2 += x * x;
            self.s3 += x * x * x;
        }
        Ok(())
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.n == 0.0 {
            return Ok(ScalarValue::Float64(None));
        }
        let n = self.n;
        let mean = self.s1 / n;
        let m2 = self.s2 / n - mean * mean;
        let m3 = self.s3 / n - 3.0 * mean * self.s2 / n + 2.0 * mean * mean * mean;
        Ok(ScalarValue::Float64(Some(m3 / m2.powf(1.5))))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok([self.n, self.s1, self.s2, self.s3].map(|v| ScalarValue::Float64(Some(v))).to_vec())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let col = |i: usize| states[i].as_primitive::<Float64Type>();
        for row in 0..states[0].len() {
            self.n += col(0).value(row);
            self.s1 += col(1).value(row);
            self.s2 += col(2).value(row);
            self.s3 += col(3).value(row);
        }
        Ok(())
    }
}

/// `skew(x)`: the population skewness of the non-null values as Float64.
pub fn skew() -> AggregateUDF {
    create_udaf(
        "skew",
        vec![DataType::Float64],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(Moments::default()))),
        Arc::new(vec![DataType::Float64; 4]),
    )
}

// --- approx_percentiles ----------------------------------------------------

/// `approx_percentiles(x, p)`; see the module docs.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ApproxPercentile {
    signature: Signature,
}

impl Default for ApproxPercentile {
    fn default() -> Self {
        Self { signature: Signature::exact(vec![DataType::Float64, DataType::Float64], Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for ApproxPercentile {
    fn name(&self) -> &str {
        "approx_percentiles"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let q = args
            .exprs
            .get(1)
            .and_then(|e| e.as_ref().downcast_ref::<Literal>())
            .and_then(|l| match l.value() {
                ScalarValue::Float64(Some(q)) => Some(*q),
                _ => None,
            })
            .ok_or_else(|| {
                DataFusionError::Plan("approx_percentiles: the percentile must be a literal float".into())
            })?;
        if !(0.0..=1.0).contains(&q) {
            return plan_err!("approx_percentiles: percentiles must be in [0, 1], got {q}");
        }
        Ok(Box::new(SketchAcc { q, sketch: DDSketch::new(Config::defaults()) }))
    }
    fn state_fields(&self, _args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new("sketch", DataType::Binary, true))])
    }
}

struct SketchAcc {
    q: f64,
    sketch: DDSketch,
}

impl std::fmt::Debug for SketchAcc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SketchAcc").field("q", &self.q).field("count", &self.sketch.count()).finish()
    }
}

impl Accumulator for SketchAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for x in floats(&values[0])?.as_primitive::<Float64Type>().iter().flatten() {
            self.sketch.add(x);
        }
        Ok(())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let bytes: &BinaryArray = states[0].as_binary();
        for b in bytes.iter().flatten() {
            let other: DDSketch = postcard::from_bytes(b)
                .map_err(|e| DataFusionError::Execution(format!("approx_percentiles state: {e}")))?;
            self.sketch.merge(&other).map_err(|e| DataFusionError::Execution(format!("approx_percentiles: {e}")))?;
        }
        Ok(())
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let bytes = postcard::to_allocvec(&self.sketch)
            .map_err(|e| DataFusionError::Execution(format!("approx_percentiles state: {e}")))?;
        Ok(vec![ScalarValue::Binary(Some(bytes))])
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        let q =
            self.sketch.quantile(self.q).map_err(|e| DataFusionError::Execution(format!("approx_percentiles: {e}")))?;
        Ok(ScalarValue::Float64(q))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sketch.length() * 16
    }
}

/// `approx_percentiles(x, p)` as a DataFusion aggregate.
pub fn approx_percentiles() -> AggregateUDF {
    AggregateUDF::new_from_impl(ApproxPercentile::default())
}

// --- approx_count_distinct -------------------------------------------------

/// `approx_count_distinct(x)` for any type: each non-null value is hashed to
/// a UInt64 (DataFusion's vectorized row hashing) and the hashes are counted
/// by DataFusion's HyperLogLog `approx_distinct`, which alone accepts only
/// integers and strings. The result is UInt64 (0 for no values).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ApproxCountDistinct {
    signature: Signature,
}

impl Default for ApproxCountDistinct {
    fn default() -> Self {
        Self { signature: Signature::any(1, Volatility::Immutable) }
    }
}

fn hashed_field() -> FieldRef {
    Arc::new(Field::new("hash", DataType::UInt64, true))
}

fn inner_approx_distinct() -> Arc<AggregateUDF> {
    datafusion::functions_aggregate::approx_distinct::approx_distinct_udaf()
}

impl AggregateUDFImpl for ApproxCountDistinct {
    fn name(&self) -> &str {
        "approx_count_distinct"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let fields = [hashed_field()];
        let inner_args = AccumulatorArgs { expr_fields: &fields, ..args };
        Ok(Box::new(HashedAcc { inner: inner_approx_distinct().accumulator(inner_args)? }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let fields = [hashed_field()];
        inner_approx_distinct().state_fields(StateFieldsArgs { input_fields: &fields, ..args })
    }
}

#[derive(Debug)]
struct HashedAcc {
    inner: Box<dyn Accumulator>,
}

impl Accumulator for HashedAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = &values[0];
        let mut hashes = vec![0u64; v.len()];
        datafusion::common::hash_utils::create_hashes(
            [v],
            &datafusion::common::hash_utils::HLL_RANDOM_STATE,
            &mut hashes,
        )?;
        let hashed: arrow::array::UInt64Array =
            (0..v.len()).map(|i| if v.is_null(i) { None } else { Some(hashes[i]) }).collect();
        self.inner.update_batch(&[Arc::new(hashed)])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.inner.state()
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.inner.evaluate()
    }
    fn size(&self) -> usize {
        self.inner.size() + std::mem::size_of_val(self)
    }
}

/// `approx_count_distinct(x)` as a DataFusion aggregate.
pub fn approx_count_distinct() -> AggregateUDF {
    AggregateUDF::new_from_impl(ApproxCountDistinct::default())
}
