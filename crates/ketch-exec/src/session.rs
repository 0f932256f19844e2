//! Session configuration: one place for batch size, parallelism and the
//! memory limit.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};

/// The execution settings a query runs under (Daft's `execution_config` and
/// `set_runner_native`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecConfig {
    /// Rows per batch (Daft's `default_morsel_size`; DataFusion's `batch_size`).
    pub batch_size: usize,
    /// Partitions run in parallel (DataFusion's `target_partitions`).
    pub num_threads: usize,
    /// Bytes the operators of all running queries may hold at once (see
    /// [`crate::memory`]); default [`crate::memory::default_memory_limit`].
    pub memory_limit: usize,
    /// The folder spill files go under (the system's temporary folder when
    /// `None`).
    pub spill_dir: Option<std::path::PathBuf>,
    /// A hash join whose build side is estimated below this many bytes reads
    /// it whole into every partition instead of hash-partitioning both sides
    /// (Daft's `broadcast_join_size_bytes_threshold`; DataFusion's
    /// `hash_join_single_partition_threshold`). Default 1 MiB, DataFusion's:
    /// Daft's 10 MiB measured 3% slower on TPC-H SF1 (benchmarks/RESULTS.md).
    pub broadcast_join_threshold: usize,
    /// An aggregation whose first rows produce more than this share of
    /// distinct groups stops pre-aggregating (Daft's
    /// `high_cardinality_aggregation_threshold`, default 0.8; DataFusion's
    /// `skip_partial_aggregation_probe_ratio_threshold`).
    pub high_cardinality_aggregation_threshold: f64,
}

impl Default for ExecConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self {
            batch_size: 8192,
            num_threads: cores,
            memory_limit: crate::memory::default_memory_limit(),
            spill_dir: None,
            broadcast_join_threshold: 1024 * 1024,
            high_cardinality_aggregation_threshold: 0.8,
        }
    }
}

/// DataFusion's optimizer rules with ketch's inserted where they must run:
/// UDF isolation and placement first, the float/decimal comparison rewrite
/// right after the first expression simplification (literals folded), before
/// common-subexpression elimination would hide the casts it removes.
/// DataFusion's physical optimizer rules with ketch's [`crate::morsel::SplitMediaMorsels`]
/// before the first projection pushdown, so a media call is never pushed into
/// a file scan and gets its small morsels, and [`ketch_io::file_errors::NameFileErrors`] first.
fn physical_optimizer_rules() -> Vec<Arc<dyn datafusion::physical_optimizer::PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = datafusion::physical_optimizer::optimizer::PhysicalOptimizer::new().rules;
    let at = rules.iter().position(|r| r.name() == "ProjectionPushdown").unwrap_or(rules.len());
    rules.insert(at, Arc::new(crate::morsel::SplitMediaMorsels));
    // File scans name their file in errors; first, so every pushdown into a
    // scan goes through the wrapper.
    rules.insert(0, Arc::new(ketch_io::file_errors::NameFileErrors));
    rules
}

fn optimizer_rules() -> Vec<Arc<dyn datafusion::optimizer::OptimizerRule + Send + Sync>> {
    let mut rules = datafusion::optimizer::Optimizer::new().rules;
    let at = rules.iter().position(|r| r.name() == "simplify_expressions").map(|p| p + 1).unwrap_or(0);
    rules.insert(at, Arc::new(ketch_plan::rules::FloatDecimalComparison));
    // UDF calls get their own nodes before DataFusion's pushdowns run, so
    // filters and limits go below them and joins run before them.
    rules.insert(0, Arc::new(ketch_plan::udf::rules::UdfAfterJoin));
    rules.insert(0, Arc::new(ketch_plan::udf::rules::IsolateUdfs));
    rules
}

/// A DataFusion session configured by `config`, with ketch's functions registered.
///
/// Every read lists its files afresh (DataFusion's list-files cache is off),
/// as Daft does: a folder rewritten between two reads is seen as it is now.
pub fn new_session(config: &ExecConfig) -> Result<SessionContext> {
    let mut cfg = SessionConfig::new()
        .with_batch_size(config.batch_size)
        .with_target_partitions(config.num_threads.max(1))
        .with_information_schema(true);
    let opts = cfg.options_mut();
    opts.execution.parquet.pushdown_filters = false;
    opts.execution.parquet.enable_page_index = true;
    opts.sql_parser.enable_ident_normalization = false;
    // Numeric literals in SQL are exact, as in PostgreSQL and DuckDB:
    // `0.06 + 0.01` is 0.07, not 0.06999999999999999 (TPC-H Q6 on float data).
    opts.sql_parser.parse_float_as_decimal = true;
    opts.catalog.default_catalog = ketch_plan::sql::DEFAULT_CATALOG.to_string();
    opts.catalog.default_schema = ketch_plan::sql::DEFAULT_SCHEMA.to_string();
    // A sort keeps this much of the pool for merging its spill files;
    // DataFusion's 10 MiB assumes a pool of gigabytes.
    opts.execution.sort_spill_reservation_bytes = crate::memory::sort_spill_reservation(config.memory_limit);
    // Daft keeps hive partition columns inside the written files too.
    opts.execution.keep_partition_by_columns = true;
    // Each scan partition reads its own files in order, so a DataFrame's rows
    // come in file order on every run (Daft's order); DataFusion's sibling
    // work stealing hands files to whichever partition is idle first.
    opts.execution.enable_file_stream_work_stealing = false;
    // Likewise a round-robin repartition deals one partition's batches out
    // to several, and the rows come back grouped by partition, out of order
    // (a Python source, or a window over all rows, feeding a filter). Scans
    // split themselves in order instead: file scans by byte ranges, in-memory
    // tables into consecutive batches (`scan_arrow`); UDF and media
    // projections run their calls concurrently within a partition.
    opts.optimizer.enable_round_robin_repartition = false;
    opts.optimizer.hash_join_single_partition_threshold = config.broadcast_join_threshold;
    opts.execution.skip_partial_aggregation_probe_ratio_threshold = config.high_cardinality_aggregation_threshold;
    let caches = CacheManagerConfig::default().with_list_files_cache_limit(0);
    let runtime = RuntimeEnvBuilder::new()
        .with_cache_manager(caches)
        .with_object_store_registry(Arc::new(ketch_io::stores::KetchObjectStores::default()))
        .with_memory_pool(crate::memory::memory_pool(config.memory_limit))
        .with_disk_manager_builder(crate::memory::disk_manager(
            config.spill_dir.as_ref(),
            config.memory_limit,
            config.num_threads,
        ))
        .build_arc()?;
    let mut state = SessionStateBuilder::new()
        .with_config(cfg)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_optimizer_rules(optimizer_rules())
        .with_query_planner(Arc::new(crate::udf::KetchQueryPlanner))
        .with_type_planner(Arc::new(ketch_plan::sql_types::DaftTypePlanner))
        .with_physical_optimizer_rules(physical_optimizer_rules())
        .build();
    // Daft functions expand into DataFusion's before type coercion runs.
    state.register_function_rewrite(Arc::new(ketch_functions::function::ExpandDaftFunctions))?;
    // Daft's supertypes where DataFusion's coercion differs (a boolean met with a number), before coercion.
    state.register_function_rewrite(Arc::new(ketch_functions::supertype::DaftSupertypes))?;
    let ctx = SessionContext::new_with_state(state);
    for udf in ketch_functions::scalar_udfs() {
        ctx.register_udf(Arc::unwrap_or_clone(udf));
    }
    for udaf in ketch_functions::aggregate_udfs() {
        ctx.register_udaf(Arc::unwrap_or_clone(udaf));
    }
    crate::table_functions::register(&ctx);
    Ok(ctx)
}
