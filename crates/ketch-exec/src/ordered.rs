//! Runs a physical plan as one stream in partition order: the batches of
//! partition 0, then of partition 1, ... — the order `collect` returns, so
//! streamed results and writes keep the rows in the order Daft gives them.
//!
//! Every partition runs at once in its own task, each at most
//! [`BUFFERED_BATCHES`] batches ahead of the reader, so memory stays bounded
//! while later partitions wait for earlier ones to be read.

use std::sync::Arc;

use datafusion::common::runtime::SpawnedTask;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use tokio::sync::mpsc;

/// Batches a partition may produce before the reader takes them.
const BUFFERED_BATCHES: usize = 2;

type Batch = Result<arrow::array::RecordBatch>;

/// `plan`'s output partitions as one stream, in partition order. Must be
/// called within the tokio runtime the query runs on.
///
/// Errors: a partition's error ends the stream with that error; a partition
/// task that panics ends it with an internal error (never a silently short
/// result).
pub fn execute_in_order(plan: Arc<dyn ExecutionPlan>, ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
    let n = plan.properties().output_partitioning().partition_count();
    if n == 1 {
        return plan.execute(0, ctx);
    }
    let schema = plan.schema();
    let mut parts = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, rx) = mpsc::channel::<Batch>(BUFFERED_BATCHES);
        let mut stream = plan.execute(i, ctx.clone())?;
        let task = SpawnedTask::spawn(async move {
            while let Some(batch) = stream.next().await {
                if tx.send(batch).await.is_err() {
                    break;
                }
            }
        });
        parts.push((rx, Some(task)));
    }
    let state = (parts, 0usize);
    let batches = futures::stream::unfold(state, |(mut parts, mut i)| async move {
        while i < parts.len() {
            let (rx, task) = &mut parts[i];
            if let Some(batch) = rx.recv().await {
                return Some((batch, (parts, i)));
            }
            // The partition's sender is gone: it finished, or its task died.
            if let Some(task) = task.take()
                && let Err(e) = task.join().await
            {
                let err = DataFusionError::Internal(format!("partition {i} of the query failed: {e}"));
                let stop = parts.len();
                return Some((Err(err), (parts, stop)));
            }
            i += 1;
        }
        None
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
}
