//! The native runner: where a query runs on this machine. A logical plan
//! becomes an optimized physical plan (ketch's rules included, see
//! [`crate::session`]), whose partitions run concurrently on the ketch
//! runtime; results come back collected or as one stream in partition order.
//!
//! Plans that travel: [`NativeRunner::encode_physical`] gives a physical
//! plan as bytes (`datafusion-proto` with [`KetchCodec`], plus the
//! `IOConfig`s its tagged URLs need, see [`ketch_io::stores`]) and
//! [`NativeRunner::decode_physical`] takes them back, in this or another
//! process. With `KETCH_SERIALIZE_PLANS=1` in the environment every plan
//! this runner runs makes that round trip first (logical plan after
//! optimization, then physical plan), as plans sent to a cluster's workers
//! will: the test of the codec on every query.
//!
//! This is the only place that executes plans (`collect_partitioned`,
//! `execute_in_order`); the bindings convert arguments and results only.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::runtime::SpawnedTask;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::execution::{SendableRecordBatchStream, SessionState, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::SessionContext;
use datafusion_proto::bytes::{
    logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
};
use futures::StreamExt;
use prost::Message;
use tokio::sync::mpsc;

use crate::cancel::{CancelFlag, with_cancel};
use crate::codec::KetchCodec;
use crate::compact::with_compacted_memory_scans;
use crate::progress::QueryProgress;

/// How long a failed query's other partitions get to stop before its error
/// is returned.
const STOP_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The environment variable that makes every plan travel as bytes first.
pub const SERIALIZE_PLANS_ENV: &str = "KETCH_SERIALIZE_PLANS";

/// Runs plans in one session (its functions, config and object stores).
///
/// ```
/// # use std::sync::Arc;
/// # use ketch_exec::runner::NativeRunner;
/// # use ketch_exec::{ExecConfig, new_session};
/// # #[derive(Debug)] struct NoUdfs;
/// # impl ketch_plan::udf::UdfDecoder for NoUdfs {
/// #     fn decode(&self, name: &str, _: &[u8]) -> datafusion::common::Result<Arc<dyn ketch_plan::udf::UdfHandle>> {
/// #         datafusion::common::not_impl_err!("{name}")
/// #     }
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let ctx = new_session(&ExecConfig::default())?;
/// let codec = ketch_exec::codec::KetchCodec::new(Arc::new(NoUdfs), Arc::new(ketch_exec::codec::NoHostSources));
/// let runner = NativeRunner::new(ctx.clone(), codec);
/// let plan = ctx.sql("SELECT 1 + 1 AS two").await?.into_unoptimized_plan();
/// let result = runner.collect(&plan, &Default::default(), &Default::default()).await?;
/// assert_eq!(result.batches[0].num_rows(), 1);
/// # Ok::<_, datafusion::common::DataFusionError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct NativeRunner {
    ctx: SessionContext,
    codec: KetchCodec,
    serialize: bool,
}

impl std::fmt::Debug for NativeRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeRunner").field("session", &self.ctx.session_id()).finish_non_exhaustive()
    }
}

impl NativeRunner {
    /// A runner over `ctx`; `codec` serializes its plans. Reads
    /// [`SERIALIZE_PLANS_ENV`].
    pub fn new(ctx: SessionContext, codec: KetchCodec) -> Self {
        let serialize = std::env::var(SERIALIZE_PLANS_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        Self { ctx, codec, serialize }
    }

    /// The session plans are built and run in.
    pub fn session(&self) -> &SessionContext {
        &self.ctx
    }

    /// `plan` optimized and physically planned, after the round trip through
    /// bytes when [`SERIALIZE_PLANS_ENV`] is set.
    pub async fn physical_plan(&self, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        self.physical_plan_in(&self.ctx.state(), plan).await
    }

    /// [`Self::physical_plan`] planned in `state` (the session's, or one
    /// with other planner settings).
    async fn physical_plan_in(&self, state: &SessionState, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        self.observed_physical_plan_in(state, plan, None).await
    }

    /// [`Self::physical_plan_in`], recording the optimized logical plan in
    /// `progress` (as `SessionState::create_physical_plan` does: optimize,
    /// then plan).
    async fn observed_physical_plan_in(
        &self,
        state: &SessionState,
        plan: &LogicalPlan,
        progress: Option<&QueryProgress>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if self.serialize {
            if let Some(progress) = progress {
                progress.set_optimized_plan(state.optimize(plan)?.display_indent().to_string());
            }
            return self.round_trip_in(state, plan).await;
        }
        let optimized = state.optimize(plan)?;
        if let Some(progress) = progress {
            progress.set_optimized_plan(optimized.display_indent().to_string());
        }
        state.query_planner().create_physical_plan(&optimized, state).await
    }

    /// `plan` as it runs after travelling: the optimized logical plan through
    /// bytes and back, planned, and the physical plan through bytes and back.
    pub async fn round_trip(&self, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        self.round_trip_in(&self.ctx.state(), plan).await
    }

    async fn round_trip_in(&self, state: &SessionState, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        let task_ctx = self.ctx.task_ctx();
        let optimized = with_typed_empty_relations(state.optimize(plan)?)?;
        let bytes = logical_plan_to_bytes_with_extension_codec(&optimized, &self.codec)?;
        let logical = logical_plan_from_bytes_with_extension_codec(&bytes, &task_ctx, &self.codec)?;
        let physical = state.create_physical_plan(&logical).await?;
        let bytes = self.encode_physical(physical)?;
        self.decode_physical(&bytes)
    }

    /// A physical plan as bytes that [`Self::decode_physical`] (of any
    /// process with ketch's functions) turns back into the plan: the plan
    /// through `datafusion-proto` with ketch's codec, and the `IOConfig`s of
    /// the tagged URLs it reads or writes.
    pub fn encode_physical(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Vec<u8>> {
        let plan = crate::codec::physical_plan_to_bytes(plan, &self.codec)?;
        let io_configs = ketch_io::stores::tagged_io_configs(&plan)
            .into_iter()
            .map(|(tag, config)| TaggedIoConfig { tag, config })
            .collect();
        Ok(PlanEnvelope { plan, io_configs }.encode_to_vec())
    }

    /// The plan [`Self::encode_physical`] encoded; its `IOConfig`s are
    /// registered in this process first.
    pub fn decode_physical(&self, bytes: &[u8]) -> Result<Arc<dyn ExecutionPlan>> {
        let envelope = PlanEnvelope::decode(bytes)
            .map_err(|e| DataFusionError::Internal(format!("cannot decode a plan envelope: {e}")))?;
        for c in &envelope.io_configs {
            ketch_io::stores::register_tagged_io_config(&c.tag, &c.config);
        }
        let plan = crate::codec::physical_plan_from_bytes(&envelope.plan, &self.ctx.task_ctx(), &self.codec)?;
        // File scans travel as DataFusion's; their errors name files again here.
        use datafusion::physical_optimizer::PhysicalOptimizerRule;
        ketch_io::file_errors::NameFileErrors.optimize(plan, self.ctx.state().config_options())
    }

    /// Runs `plan` to completion: its schema and result batches, partitions
    /// run concurrently and their batches in partition order (so `concat` and
    /// `unpivot` return rows in input order, as Daft does), and the executed
    /// plan (its metrics). `cancel` stops the query between batches.
    ///
    /// Memory: when a hash join's build side does not fit in the session's
    /// memory limit, the query runs again with sort-merge joins, which spill
    /// (not when it calls UDFs: their side effects would happen twice). A
    /// query that does not fit even so fails with `ResourcesExhausted`
    /// naming the operator and the limit (see [`crate::memory`]).
    ///
    /// `progress` gets the optimized plan and the plan being executed, so
    /// its holders can sample the operators' metrics while it runs.
    pub async fn collect(
        &self,
        plan: &LogicalPlan,
        cancel: &CancelFlag,
        progress: &QueryProgress,
    ) -> Result<Collected> {
        let physical = self.observed_physical_plan_in(&self.ctx.state(), plan, Some(progress)).await?;
        let calls_udfs = contains(&physical, "UDFProjectExec");
        match self.collect_physical(physical, cancel, progress).await {
            Err(e)
                if crate::memory::is_hash_join_build_exhausted(&e)
                    && !calls_udfs
                    && self.ctx.state().config_options().optimizer.prefer_hash_join =>
            {
                let state = sort_merge_joins(&self.ctx);
                let physical = self.physical_plan_in(&state, plan).await?;
                self.collect_physical(physical, cancel, progress).await
            }
            other => other,
        }
    }

    /// [`Self::collect`] of a physical plan (e.g. one from [`Self::round_trip`]).
    pub async fn collect_physical(
        &self,
        physical: Arc<dyn ExecutionPlan>,
        cancel: &CancelFlag,
        progress: &QueryProgress,
    ) -> Result<Collected> {
        let attempt = cancel.child();
        let physical = with_cancel(with_compacted_memory_scans(physical)?, &attempt)?;
        progress.set_physical_plan(physical.clone());
        let schema = physical.schema();
        match datafusion::physical_plan::collect_partitioned(physical.clone(), self.ctx.task_ctx()).await {
            Ok(partitions) => {
                Ok(Collected { schema, batches: partitions.into_iter().flatten().collect(), plan: physical })
            }
            Err(e) => {
                // The other partitions' tasks are aborted but stop only at
                // their next poll: stop them now, and return once they have
                // let go of the query (its spill files are then removed).
                attempt.cancel();
                let stopped = async {
                    while attempt.live_streams() > 0 {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    }
                };
                let _ = tokio::time::timeout(STOP_WAIT_LIMIT, stopped).await;
                Err(crate::memory::memory_error(e, self.memory_limit()))
            }
        }
    }

    /// The session's memory limit in bytes.
    pub fn memory_limit(&self) -> usize {
        match self.ctx.runtime_env().memory_pool.memory_limit() {
            MemoryLimit::Finite(n) => n,
            _ => usize::MAX,
        }
    }

    /// Starts `plan`: one stream of its batches in partition order (see
    /// [`execute_in_order`]); `progress` gets its plans (as in
    /// [`Self::collect`]). Must be called within the ketch runtime.
    pub async fn stream(&self, plan: &LogicalPlan, progress: &QueryProgress) -> Result<SendableRecordBatchStream> {
        let physical = self.observed_physical_plan_in(&self.ctx.state(), plan, Some(progress)).await?;
        let physical = with_compacted_memory_scans(physical)?;
        progress.set_physical_plan(physical.clone());
        let stream = execute_in_order(physical, self.ctx.task_ctx())?;
        let (schema, limit) = (stream.schema(), self.memory_limit());
        let stream = stream.map(move |b| b.map_err(|e| crate::memory::memory_error(e, limit)));
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }

    /// The settings queries run under, for `explain`: threads, batch size,
    /// memory limit and pool, spill folder.
    pub fn execution_settings(&self) -> String {
        let runtime = self.ctx.runtime_env();
        let options = self.ctx.state().config_options().clone();
        let spill = runtime.disk_manager.temp_dir_paths();
        let spill = if spill.is_empty() {
            "the system's temporary folder (created on first spill)".to_string()
        } else {
            spill.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        };
        format!(
            "threads: {}\nbatch size: {} rows\nmemory limit: {} (fair spill pool)\nspill folder: {spill}",
            options.execution.target_partitions,
            options.execution.batch_size,
            crate::memory::human_bytes(self.memory_limit()),
        )
    }

    /// The number of output partitions `plan` runs with.
    pub async fn num_partitions(&self, plan: &LogicalPlan) -> Result<usize> {
        Ok(self.physical_plan(plan).await?.properties().output_partitioning().partition_count())
    }

    /// The optimized logical plan, the scans' pushdowns and, with
    /// `physical`, the physical plan, as text.
    pub async fn explain(&self, plan: &LogicalPlan, physical: bool) -> Result<String> {
        let optimized = self.ctx.state().optimize(plan)?;
        let mut out = format!("== Optimized Logical Plan ==\n\n{}\n", optimized.display_indent());
        let pushdowns = ketch_io::scan::pushdowns(&optimized)?;
        if !pushdowns.is_empty() {
            out.push_str(&format!("\n== Pushdowns ==\n\n{}\n", pushdowns.join("\n")));
        }
        if physical {
            let p = self.physical_plan(plan).await?;
            out.push_str(&format!("\n== Physical Plan ==\n\n{}", displayable(p.as_ref()).indent(true)));
            out.push_str(&format!("\n== Execution ==\n\n{}\n", self.execution_settings()));
        }
        Ok(out)
    }
}

/// A query's results and the physical plan that produced them.
#[derive(Debug)]
pub struct Collected {
    /// The result schema (the physical plan's).
    pub schema: SchemaRef,
    /// The result batches, rows in the DataFrame's order.
    pub batches: Vec<RecordBatch>,
    /// The executed plan, its metrics filled in.
    pub plan: Arc<dyn ExecutionPlan>,
}

impl Collected {
    /// One row per operator (see [`crate::metrics::operator_metrics`]).
    pub fn metrics(&self) -> Result<RecordBatch> {
        crate::metrics::operator_metrics(&self.plan, &crate::progress::WRAPPERS)
    }
}

/// Whether an operator named `name` is in `plan`.
fn contains(plan: &Arc<dyn ExecutionPlan>, name: &str) -> bool {
    plan.name() == name || plan.children().into_iter().any(|c| contains(c, name))
}

/// The session's state with equi-joins planned as sort-merge joins (which
/// spill) instead of hash joins; at least two partitions, since DataFusion
/// plans sort-merge joins only then. Null-aware anti joins (`NOT IN`) stay
/// hash joins: DataFusion's sort-merge join lacks their semantics.
fn sort_merge_joins(ctx: &SessionContext) -> SessionState {
    let mut state = ctx.state();
    let options = state.config_mut().options_mut();
    options.optimizer.prefer_hash_join = false;
    options.execution.target_partitions = options.execution.target_partitions.max(2);
    state
}

/// `plan` with every row-less `EmptyRelation` (e.g. a `limit(0)` the
/// optimizer folded) as a scan of an empty in-memory table: the serialized
/// `EmptyRelation` of `datafusion-proto` keeps no schema, an empty table's
/// scan does.
fn with_typed_empty_relations(plan: LogicalPlan) -> Result<LogicalPlan> {
    use datafusion::common::tree_node::Transformed;
    use datafusion::datasource::{MemTable, provider_as_source};
    plan.transform_up_with_subqueries(|node| match node {
        LogicalPlan::EmptyRelation(e) if !e.produce_one_row => {
            let schema = Arc::new(e.schema.as_arrow().clone());
            let table = MemTable::try_new(schema, vec![vec![]])?;
            let scan =
                datafusion::logical_expr::LogicalPlanBuilder::scan("empty", provider_as_source(Arc::new(table)), None)?
                    .build()?;
            // Keep the columns' qualifiers as the parents refer to them.
            let exprs = e
                .schema
                .iter()
                .zip(scan.schema().columns())
                .map(|((q, f), c)| datafusion::prelude::Expr::Column(c).alias_qualified(q.cloned(), f.name()))
                .collect::<Vec<_>>();
            let plan = datafusion::logical_expr::LogicalPlanBuilder::from(scan).project(exprs)?.build()?;
            Ok(Transformed::yes(plan))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

/// A serialized physical plan and the `IOConfig`s it needs.
#[derive(Clone, PartialEq, prost::Message)]
struct PlanEnvelope {
    #[prost(bytes = "vec", tag = "1")]
    plan: Vec<u8>,
    #[prost(message, repeated, tag = "2")]
    io_configs: Vec<TaggedIoConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct TaggedIoConfig {
    #[prost(string, tag = "1")]
    tag: String,
    #[prost(string, tag = "2")]
    config: String,
}

/// Batches a partition may produce before the reader takes them.
const BUFFERED_BATCHES: usize = 2;

type Batch = Result<RecordBatch>;

/// `plan`'s output partitions as one stream, in partition order: the
/// batches of partition 0, then of partition 1, ... — the order `collect`
/// returns, so streamed results and writes keep the rows in the order Daft
/// gives them. Every partition runs at once in its own task, each at most
/// [`BUFFERED_BATCHES`] batches ahead of the reader, so memory stays bounded
/// while later partitions wait for earlier ones to be read. Must be called
/// within the tokio runtime the query runs on.
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
