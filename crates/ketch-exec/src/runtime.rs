//! The one tokio multi-thread runtime that runs every query of the process.

use std::sync::OnceLock;

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
