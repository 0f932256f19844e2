//! The physical sample operator ([`SampleExec`]) of a
//! [`ketch_plan::sample::Sample`] node, with Daft 0.7.26's semantics:
//!
//! - `fraction`: each batch of `n` rows keeps `ceil(n * fraction)` of them
//!   (chosen uniformly, kept in their input order; with replacement, drawn
//!   independently), partition by partition, streaming.
//! - `size`: exactly `size` rows of the whole input in one pass with memory
//!   for `size` rows: reservoir sampling (Vitter's algorithm R) without
//!   replacement, `size` independent one-row reservoirs with replacement. An
//!   input with fewer rows is an error without replacement ("Cannot take a
//!   sample larger than the population", as Daft), and gives no rows with
//!   replacement only when it is empty.
//!
//! A seed fixes the random generator (fastrand's) and reads the input's
//! partitions in order as one stream, so the same input gives the same
//! sample; without one each run differs.

use std::sync::Arc;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::{interleave_record_batch, take_record_batch};
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::{StreamExt, TryStreamExt};
use ketch_plan::sample::{SampleAmount, SampleOptions};

/// Samples its input's rows (see the module docs).
#[derive(Debug)]
pub struct SampleExec {
    input: Arc<dyn ExecutionPlan>,
    options: SampleOptions,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl SampleExec {
    /// A sample of `input`: as many partitions as `input` for an unseeded
    /// fraction; one, reading the input's partitions in order, for a size or a
    /// seed (so that a seed gives the same rows whatever the threads do).
    pub fn new(input: Arc<dyn ExecutionPlan>, options: SampleOptions) -> Self {
        let partitioning = if options.fraction().is_some() && options.seed.is_none() {
            Partitioning::UnknownPartitioning(input.properties().output_partitioning().partition_count())
        } else {
            Partitioning::UnknownPartitioning(1)
        };
        let emission = match options.amount {
            SampleAmount::FractionBits(_) => EmissionType::Incremental,
            SampleAmount::Size(_) => EmissionType::Final,
        };
        let properties = Arc::new(PlanProperties::new(
            datafusion::physical_expr::EquivalenceProperties::new(input.schema()),
            partitioning,
            emission,
            Boundedness::Bounded,
        ));
        Self { input, options, properties, metrics: ExecutionPlanMetricsSet::new() }
    }

    /// What is kept.
    pub fn options(&self) -> &SampleOptions {
        &self.options
    }
}

impl DisplayAs for SampleExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "SampleExec: {}", self.options)
    }
}

/// The generator of partition `partition`: seeded from `seed` when given.
fn generator(seed: Option<u64>, partition: usize) -> fastrand::Rng {
    match seed {
        Some(s) => fastrand::Rng::with_seed(s ^ (partition as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        None => fastrand::Rng::new(),
    }
}

/// `ceil(n * fraction)` rows of `batch`, in input order.
fn sample_batch(batch: &RecordBatch, fraction: f64, replace: bool, rng: &mut fastrand::Rng) -> Result<RecordBatch> {
    let n = batch.num_rows();
    let k = if n == 0 || fraction <= 0.0 {
        0
    } else {
        ((n as f64 * fraction).ceil() as usize).min(if replace { usize::MAX } else { n })
    };
    if k == n && !replace {
        return Ok(batch.clone());
    }
    let mut chosen: Vec<u32> = if replace {
        (0..k).map(|_| rng.u32(0..n as u32)).collect()
    } else {
        // A partial Fisher-Yates shuffle: the first k of a random permutation.
        let mut all: Vec<u32> = (0..n as u32).collect();
        for i in 0..k {
            let j = rng.usize(i..n);
            all.swap(i, j);
        }
        all.truncate(k);
        all
    };
    chosen.sort_unstable();
    if batch.num_columns() == 0 {
        return rows_only(batch.schema(), chosen.len());
    }
    Ok(take_record_batch(batch, &UInt32Array::from(chosen))?)
}

/// A batch of `rows` rows and no columns (what `count_rows` reads).
fn rows_only(schema: SchemaRef, rows: usize) -> Result<RecordBatch> {
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(schema, vec![], &options)?)
}

/// The rows `kept` names, as one batch.
fn gather(schema: SchemaRef, batches: &[RecordBatch], kept: &[(usize, usize)]) -> Result<RecordBatch> {
    if schema.fields().is_empty() {
        return rows_only(schema, kept.len());
    }
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    Ok(interleave_record_batch(&refs, kept)?)
}

/// Rows kept so far by a size sample: the batches they are in, and (batch, row) per kept row.
struct Reservoir {
    batches: Vec<RecordBatch>,
    kept: Vec<(usize, usize)>,
}

impl Reservoir {
    /// Keeps only the batches the kept rows are in, as one batch, once many have gone by.
    fn compact(&mut self) -> Result<()> {
        if self.batches.len() < 64 {
            return Ok(());
        }
        let Some(schema) = self.batches.first().map(|b| b.schema()) else { return Ok(()) };
        let one = gather(schema, &self.batches, &self.kept)?;
        self.kept = (0..one.num_rows()).map(|i| (0, i)).collect();
        self.batches = vec![one];
        Ok(())
    }

    fn finish(self, schema: SchemaRef) -> Result<RecordBatch> {
        if self.kept.is_empty() {
            return Ok(RecordBatch::new_empty(schema));
        }
        gather(schema, &self.batches, &self.kept)
    }
}

/// Exactly `size` rows of `input` (see the module docs).
async fn sample_size(
    mut input: SendableRecordBatchStream,
    size: u64,
    replace: bool,
    mut rng: fastrand::Rng,
) -> Result<RecordBatch> {
    let schema = input.schema();
    let k =
        usize::try_from(size).map_err(|_| DataFusionError::Execution(format!("sample size {size} is too large")))?;
    let mut reservoir = Reservoir { batches: vec![], kept: vec![] };
    let mut seen: u64 = 0;
    while let Some(batch) = input.next().await {
        let batch = batch?;
        let m = batch.num_rows();
        if m == 0 || k == 0 {
            continue;
        }
        let b = reservoir.batches.len();
        reservoir.batches.push(batch);
        if replace {
            // One slot per output row, each a uniform pick of the rows seen so far:
            // it moves into this batch with probability m / (rows seen).
            let total = seen + m as u64;
            if reservoir.kept.is_empty() {
                reservoir.kept = (0..k).map(|_| (b, rng.usize(0..m))).collect();
            } else {
                for slot in reservoir.kept.iter_mut() {
                    if rng.u64(0..total) < m as u64 {
                        *slot = (b, rng.usize(0..m));
                    }
                }
            }
            seen = total;
        } else {
            for row in 0..m {
                seen += 1;
                if reservoir.kept.len() < k {
                    reservoir.kept.push((b, row));
                } else {
                    let r = rng.u64(0..seen);
                    if r < k as u64 {
                        reservoir.kept[r as usize] = (b, row);
                    }
                }
            }
        }
        reservoir.compact()?;
    }
    if !replace && seen < size {
        return exec_err!("Cannot take a sample larger than the population (sample size {size}, population {seen})");
    }
    reservoir.finish(schema)
}

impl ExecutionPlan for SampleExec {
    fn name(&self) -> &str {
        "SampleExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![self.properties.output_partitioning().partition_count() > 1 || self.options.fraction().is_some()]
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn datafusion::physical_expr::PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else {
            return Err(DataFusionError::Internal("SampleExec takes one input".into()));
        };
        Ok(Arc::new(Self::new(input, self.options)))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let schema = self.input.schema();
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let rng = generator(self.options.seed, partition);
        let replace = self.options.with_replacement;
        match self.options.amount {
            SampleAmount::FractionBits(_) => {
                let fraction = self.options.fraction().unwrap_or(0.0);
                let mut rng = rng;
                let input = if self.options.seed.is_some() {
                    crate::runner::execute_in_order(self.input.clone(), ctx)?
                } else {
                    self.input.execute(partition, ctx)?
                };
                let sampled = input.map(move |batch| {
                    let out = sample_batch(&batch?, fraction, replace, &mut rng)?;
                    baseline.record_output(out.num_rows());
                    Ok(out)
                });
                Ok(Box::pin(RecordBatchStreamAdapter::new(schema, sampled)))
            }
            SampleAmount::Size(size) => {
                if partition != 0 {
                    return exec_err!("SampleExec of a size has one partition, got {partition}");
                }
                let input = crate::runner::execute_in_order(self.input.clone(), ctx)?;
                let result = futures::stream::once(async move {
                    let out = sample_size(input, size, replace, rng).await?;
                    baseline.record_output(out.num_rows());
                    baseline.done();
                    Ok(out)
                })
                .try_filter(|b| futures::future::ready(b.num_rows() > 0));
                Ok(Box::pin(RecordBatchStreamAdapter::new(schema, result)))
            }
        }
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    fn batches(rows: &[i64], chunk: usize) -> SendableRecordBatchStream {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let out: Vec<Result<RecordBatch>> = rows
            .chunks(chunk)
            .map(|c| Ok(RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(c.to_vec()))])?))
            .collect();
        Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::iter(out)))
    }

    fn values(b: &RecordBatch) -> Vec<i64> {
        b.column(0).as_primitive::<Int64Type>().values().to_vec()
    }

    #[tokio::test]
    async fn size_without_replacement_is_distinct_rows_and_seeded() -> Result<()> {
        let rows: Vec<i64> = (0..1000).collect();
        let a = sample_size(batches(&rows, 7), 50, false, generator(Some(3), 0)).await?;
        let b = sample_size(batches(&rows, 7), 50, false, generator(Some(3), 0)).await?;
        let mut got = values(&a);
        assert_eq!(got, values(&b));
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 50);
        Ok(())
    }

    #[tokio::test]
    async fn size_larger_than_the_input() -> Result<()> {
        let err = sample_size(batches(&[1, 2, 3], 2), 4, false, generator(Some(1), 0)).await.unwrap_err();
        assert!(err.to_string().contains("Cannot take a sample larger than the population"), "{err}");
        let with = sample_size(batches(&[1, 2, 3], 2), 10, true, generator(Some(1), 0)).await?;
        assert_eq!(with.num_rows(), 10);
        assert!(values(&with).iter().all(|v| (1..=3).contains(v)));
        assert_eq!(sample_size(batches(&[], 2), 3, true, generator(None, 0)).await?.num_rows(), 0);
        Ok(())
    }

    #[test]
    fn fraction_keeps_the_ceiling_in_order() -> Result<()> {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from((0..10).collect::<Vec<i64>>()))])?;
        let mut rng = generator(Some(5), 0);
        let out = values(&sample_batch(&batch, 0.25, false, &mut rng)?);
        assert_eq!(out.len(), 3);
        assert!(out.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample_batch(&batch, 0.0001, false, &mut rng)?.num_rows(), 1);
        assert_eq!(sample_batch(&batch, 0.0, false, &mut rng)?.num_rows(), 0);
        Ok(())
    }
}
