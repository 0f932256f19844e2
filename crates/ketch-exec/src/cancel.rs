//! Cancelling a running query between batches.
//!
//! Aborting a query's tokio task drops its streams, and dropping a stream
//! aborts the tasks it spawned; but an aborted task only stops when it
//! next yields to the runtime, and a CPU-bound one yields only when
//! DataFusion's cooperative budget runs out (every 128 batches): seconds of
//! work on a loaded machine. [`with_cancel`] puts a [`CancelExec`] over
//! every leaf of a physical plan; once the query's [`CancelFlag`] is set,
//! the next poll of any leaf ends its stream with [`Cancelled`], so every
//! operator above stops after the batch it is working on.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, ReplaceChildrenOptions,
};
use futures::Stream;

/// One query's cancellation: cloned into every leaf, set once by whoever
/// cancels (Ctrl-C); it also counts the query's leaf streams still alive.
///
/// ```
/// let flag = ketch_exec::cancel::CancelFlag::default();
/// assert!(!flag.is_cancelled());
/// flag.clone().cancel();
/// assert!(flag.is_cancelled());
/// assert_eq!(flag.live_streams(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<FlagState>);

#[derive(Debug, Default)]
struct FlagState {
    cancelled: AtomicBool,
    live_streams: AtomicUsize,
    parent: Option<CancelFlag>,
}

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
    }

    /// Set by [`Self::cancel`] on this flag or on the flag it is a child of.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Relaxed) || self.0.parent.as_ref().is_some_and(|p| p.is_cancelled())
    }

    /// A flag for one attempt at running a query: cancelled with this one
    /// (Ctrl-C), or on its own (the attempt failed, its other partitions
    /// stop) without cancelling this one; its streams count here too.
    ///
    /// ```
    /// let query = ketch_exec::cancel::CancelFlag::default();
    /// let attempt = query.child();
    /// attempt.cancel();
    /// assert!(attempt.is_cancelled() && !query.is_cancelled());
    /// query.cancel();
    /// assert!(query.child().is_cancelled());
    /// ```
    pub fn child(&self) -> CancelFlag {
        CancelFlag(Arc::new(FlagState { parent: Some(self.clone()), ..Default::default() }))
    }

    fn stream_started(&self) {
        self.0.live_streams.fetch_add(1, Ordering::AcqRel);
        if let Some(p) = &self.0.parent {
            p.stream_started();
        }
    }

    fn stream_ended(&self) {
        self.0.live_streams.fetch_sub(1, Ordering::AcqRel);
        if let Some(p) = &self.0.parent {
            p.stream_ended();
        }
    }

    /// The query's leaf streams not yet dropped: 0 once every task that
    /// ran a part of the query has let go of it.
    pub fn live_streams(&self) -> usize {
        self.0.live_streams.load(Ordering::Acquire)
    }
}

/// The error a cancelled query's streams end with.
#[derive(Debug)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// `plan` with a [`CancelExec`] over each leaf, all sharing `flag`.
pub fn with_cancel(plan: Arc<dyn ExecutionPlan>, flag: &CancelFlag) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        if !node.children().is_empty() {
            return Ok(Transformed::no(node));
        }
        Ok(Transformed::yes(Arc::new(CancelExec { input: node, flag: flag.clone() }) as Arc<dyn ExecutionPlan>))
    })
    .map(|t| t.data)
}

/// Passes its input's batches on until the query's flag is set.
#[derive(Debug)]
pub struct CancelExec {
    input: Arc<dyn ExecutionPlan>,
    flag: CancelFlag,
}

impl DisplayAs for CancelExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CancelExec")
    }
}

impl ExecutionPlan for CancelExec {
    fn name(&self) -> &str {
        "CancelExec"
    }

    /// The input's: same rows, batches, order and partitioning.
    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else { return internal_err!("CancelExec takes one input") };
        Ok(Arc::new(Self { input, flag: self.flag.clone() }))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        self.flag.stream_started();
        Ok(Box::pin(CancelStream { schema: input.schema(), input: Some(input), flag: self.flag.clone() }))
    }
}

struct CancelStream {
    schema: SchemaRef,
    /// Dropped at cancellation, releasing the input's resources at once.
    input: Option<SendableRecordBatchStream>,
    flag: CancelFlag,
}

impl Stream for CancelStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.flag.is_cancelled() {
            return Poll::Ready(self.input.take().map(|_| Err(DataFusionError::External(Box::new(Cancelled)))));
        }
        match self.input.as_mut() {
            Some(input) => input.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl Drop for CancelStream {
    fn drop(&mut self) {
        self.input.take();
        self.flag.stream_ended();
    }
}

impl RecordBatchStream for CancelStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
