//! The memory limit a query runs under: DataFusion's memory pool and disk
//! manager as ketch configures them, and the errors of a query that does
//! not fit.
//!
//! Every query of a session shares one [`FairSpillPool`] of
//! [`ExecConfig::memory_limit`](crate::ExecConfig) bytes (wrapped in a
//! [`TrackConsumersPool`], so an error names the operators holding the
//! most). Operators that can spill (sort, aggregation, sort-merge join,
//! repartition, nested-loop join) write to files under the spill folder when
//! their share is used up; operators that cannot (a hash join's build side,
//! a window over a whole partition, ketch's UDF buffers) fail with
//! DataFusion's `ResourcesExhausted`, which [`memory_error`] turns into a
//! message naming the operator, the limit and what to change. The native
//! runner retries a query whose hash join did not fit with sort-merge joins
//! (see [`crate::runner`]).

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::common::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, MemoryPool, TrackConsumersPool};

/// The share of the machine's memory (or of the process's cgroup limit, if
/// lower) that is the default memory limit.
pub const DEFAULT_MEMORY_FRACTION: f64 = 0.5;

/// Operators named in a memory error (DataFusion's names for the
/// consumers of its memory pool).
const TOP_CONSUMERS: usize = 3;

/// The default memory limit in bytes: [`DEFAULT_MEMORY_FRACTION`] of the
/// memory this process may use (the machine's physical memory, or the
/// cgroup's `memory.max` when it is lower). 1 GiB if neither can be read.
///
/// ```
/// let limit = ketch_exec::memory::default_memory_limit();
/// assert!(limit >= 64 * 1024 * 1024);
/// ```
pub fn default_memory_limit() -> usize {
    let total = match (physical_memory(), cgroup_memory_limit()) {
        (Some(p), Some(c)) => p.min(c),
        (Some(m), None) | (None, Some(m)) => m,
        (None, None) => 2 << 30,
    };
    ((total as f64) * DEFAULT_MEMORY_FRACTION) as usize
}

fn physical_memory() -> Option<usize> {
    // SAFETY: sysconf reads a system constant; it has no preconditions.
    let (pages, page_size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    (pages > 0 && page_size > 0).then(|| pages as usize * page_size as usize)
}

/// cgroup v2's `memory.max` (or v1's `memory.limit_in_bytes`) of this process.
fn cgroup_memory_limit() -> Option<usize> {
    ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok()?.trim().parse::<usize>().ok())
        // v1 reports "no limit" as a huge number
        .filter(|&m| m < (1usize << 60))
}

/// The pool every query of a session allocates from: fair shares of
/// `limit` bytes among the operators that can spill, first come first
/// served for those that cannot.
pub fn memory_pool(limit: usize) -> Arc<dyn MemoryPool> {
    let top = NonZeroUsize::new(TOP_CONSUMERS).unwrap_or(NonZeroUsize::MIN);
    Arc::new(TrackConsumersPool::new(FairSpillPool::new(limit), top))
}

/// Where spill files go: a fresh folder inside `spill_dir` (the system's
/// temporary folder when `None`), removed with the session; each spill file
/// is removed as soon as its operator is done with it, also when the query
/// fails.
/// A sort merges at most [`spill_merge_fan_in`] of its spill files at once.
pub fn disk_manager(spill_dir: Option<&PathBuf>, limit: usize, partitions: usize) -> DiskManagerBuilder {
    let mode = match spill_dir {
        Some(dir) => DiskManagerMode::Directories(vec![dir.clone()]),
        None => DiskManagerMode::OsTmpDirectory,
    };
    DiskManagerBuilder::default().with_mode(mode).with_max_spill_merge_fan_in(spill_merge_fan_in(limit, partitions))
}

/// How many spill files a sort merges in one pass. DataFusion's merge
/// reserves a read buffer for as many files as the pool allows (unlimited
/// fan-in by default), so the first sort to merge can starve the others of
/// a plan (a sort-merge join runs two sorts per partition at once). The
/// fan-in here keeps a merge near its fair share: the pool split over two
/// sorts per partition, about [`MERGE_STREAM_BYTES`] per file, between 2
/// and 64 files (more merge passes when memory is small).
///
/// ```
/// use ketch_exec::memory::spill_merge_fan_in;
/// assert_eq!(spill_merge_fan_in(48 << 20, 2), 3);
/// assert_eq!(spill_merge_fan_in(4 << 30, 2), 64);
/// ```
pub fn spill_merge_fan_in(limit: usize, partitions: usize) -> usize {
    (limit / (2 * partitions.max(1)) / MERGE_STREAM_BYTES).clamp(2, 64)
}

/// The read buffer a merge holds per spill file: two batches of 8192 rows
/// of about 100 bytes each, twice (DataFusion reserves twice a batch's size).
pub const MERGE_STREAM_BYTES: usize = 4 << 20;

/// The memory a sort sets aside to merge its spill files under a pool of
/// `limit` bytes: DataFusion's default of 10 MiB, less for small pools
/// (1/64 of the pool, at least 256 KiB), so the sorts of a plan (two per
/// sort-merge join and partition) do not take the whole pool before they
/// start.
///
/// ```
/// use ketch_exec::memory::sort_spill_reservation;
/// assert_eq!(sort_spill_reservation(4 << 30), 10 << 20);
/// assert_eq!(sort_spill_reservation(64 << 20), 1 << 20);
/// ```
pub fn sort_spill_reservation(limit: usize) -> usize {
    (limit / 64).clamp(256 << 10, 10 << 20)
}

/// `bytes` as "1.5 GiB", "64.0 MiB".
pub fn human_bytes(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The `ResourcesExhausted` message at the root of `e`, if the query failed
/// for lack of memory.
fn exhausted(e: &DataFusionError) -> Option<&str> {
    match e.find_root() {
        DataFusionError::ResourcesExhausted(m) => Some(m.as_str()),
        _ => None,
    }
}

/// Whether `e` is a hash join's build side that did not fit in memory (the
/// query can run again with sort-merge joins, which spill).
pub fn is_hash_join_build_exhausted(e: &DataFusionError) -> bool {
    exhausted(e).is_some_and(|m| {
        // "Failed to allocate additional 1.0 MB for HashJoinInput[1] ..."
        let first = m.split(" with ").next().unwrap_or(m);
        first.contains("HashJoinInput")
    })
}

/// What a DataFusion memory consumer is, in a user's words.
fn operator_of(consumer: &str) -> &'static str {
    const OPERATORS: [(&str, &str); 14] = [
        ("HashJoinInput", "a hash join's build side"),
        ("SMJStream", "a sort-merge join"),
        ("NestedLoopJoin", "a nested-loop join"),
        ("CrossJoin", "a cross join"),
        ("SymmetricHashJoin", "a streaming join"),
        ("ExternalSorterMerge", "a sort's merge"),
        ("ExternalSorter", "a sort"),
        ("SortPreservingMerge", "a sorted merge"),
        ("TopK", "a sort with a limit"),
        ("Aggregate", "an aggregation"),
        ("Repartition", "a repartition"),
        ("UDFProject", "a user-defined function's buffered batches"),
        ("ParquetSink", "a Parquet write"),
        ("RecursiveQuery", "a recursive query"),
    ];
    OPERATORS.iter().find(|(name, _)| consumer.contains(name)).map(|(_, what)| *what).unwrap_or("an operator")
}

/// `e` with a message for users when the query ran out of memory: which
/// operator, the limit of `limit` bytes and what to change; other errors
/// unchanged. The result is still `ResourcesExhausted` (the bindings raise
/// it as a `MemoryError`).
///
/// ```
/// use datafusion::common::DataFusionError;
/// let e = DataFusionError::ResourcesExhausted(
///     "Failed to allocate additional 8.0 MB for ExternalSorter[0] with 0.0 B already allocated".into());
/// let msg = ketch_exec::memory::memory_error(e, 64 << 20).to_string();
/// assert!(msg.contains("a sort (ExternalSorter[0])") && msg.contains("64.0 MiB"), "{msg}");
/// ```
pub fn memory_error(e: DataFusionError, limit: usize) -> DataFusionError {
    let Some(detail) = exhausted(&e) else { return e };
    let consumer =
        detail.split(" for ").nth(1).and_then(|rest| rest.split(" with ").next()).unwrap_or("").trim().to_string();
    let what = if consumer.is_empty() {
        "an operator".to_string()
    } else {
        format!("{} ({consumer})", operator_of(&consumer))
    };
    DataFusionError::ResourcesExhausted(format!(
        "the query ran out of memory in {what}: it needs more than the memory limit of {} allows. \
         Raise the limit (ketch.set_execution_config(memory_limit=...) or the KETCH_MEMORY_LIMIT \
         environment variable), or run fewer partitions at once (set_runner_native(num_threads=...)). \
         Engine detail: {detail}",
        human_bytes(limit)
    ))
}
