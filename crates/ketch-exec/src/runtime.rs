//! The one tokio multi-thread runtime that runs every query of the process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use datafusion::common::{DataFusionError, Result};
use tokio::runtime::Runtime;

/// The process-wide runtime (one worker thread per core), created on first use.
///
/// Errors when the operating system refuses to start its threads.
pub fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("ketch-worker")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the ketch runtime threads: {e}"))
        })
        .as_ref()
        .map_err(|e| DataFusionError::Execution(e.clone()))
}

/// Tasks alive on the runtime now: queries' partitions, exchanges and
/// downloads (0 when the runtime has not started).
///
/// ```
/// assert_eq!(ketch_exec::runtime::alive_tasks(), 0);
/// ```
pub fn alive_tasks() -> usize {
    runtime().map_or(0, |rt| rt.metrics().num_alive_tasks())
}

/// Waits, blocking the calling thread, until `done()` holds (e.g. a
/// cancelled query's tasks have all let go of it), for at most `limit`.
/// Returns how long it waited, or `None` when `done()` still did not hold at
/// the limit.
pub fn wait_until(done: impl Fn() -> bool, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if done() {
            return Some(start.elapsed());
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}
