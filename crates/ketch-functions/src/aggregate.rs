//! Aggregations DataFusion lacks: `product` and `skew` (Daft's population
//! skewness, the third standardized moment).

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, AggregateUDF, Volatility, create_udaf};

fn floats(a: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(a, &DataType::Float64)?)
}

/// Running raw moments: count and the sums of x, x² and x³ (or the product).
#[derive(Debug, Default)]
struct Moments {
    n: f64,
    s1: f64,
    s2: f64,
    s3: f64,
    product: Option<f64>,
    skew: bool,
}

impl Accumulator for Moments {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = floats(&values[0])?;
        for x in v.as_primitive::<Float64Type>().iter().flatten() {
            self.n += 1.0;
            self.s1 += x;
            self.s2 += x * x;
            self.s3 += x * x * x;
            self.product = Some(self.product.unwrap_or(1.0) * x);
        }
        Ok(())
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        if !self.skew {
            return Ok(ScalarValue::Float64(self.product));
        }
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
        Ok(vec![
            ScalarValue::Float64(Some(self.n)),
            ScalarValue::Float64(Some(self.s1)),
            ScalarValue::Float64(Some(self.s2)),
            ScalarValue::Float64(Some(self.s3)),
            ScalarValue::Float64(self.product),
        ])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let col = |i: usize| states[i].as_primitive::<Float64Type>();
        for row in 0..states[0].len() {
            self.n += col(0).value(row);
            self.s1 += col(1).value(row);
            self.s2 += col(2).value(row);
            self.s3 += col(3).value(row);
            if !col(4).is_null(row) {
                self.product = Some(self.product.unwrap_or(1.0) * col(4).value(row));
            }
        }
        Ok(())
    }
}

fn moments_udaf(name: &str, skew: bool) -> AggregateUDF {
    create_udaf(
        name,
        vec![DataType::Float64],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(move |_| Ok(Box::new(Moments { skew, ..Default::default() }))),
        Arc::new(vec![DataType::Float64; 5]),
    )
}

/// `product(x)`: the product of the non-null values as Float64 (null when there are none).
pub fn product() -> AggregateUDF {
    moments_udaf("product", false)
}

/// `skew(x)`: the population skewness of the non-null values as Float64.
pub fn skew() -> AggregateUDF {
    moments_udaf("skew", true)
}

use arrow::array::Array;
