//! The one tokio multi-thread runtime that runs every query of the process.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

/// The process-wide runtime (one worker thread per core), created on first use.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("ketch-worker")
            .enable_all()
            .build()
            .expect("the operating system refused to start the ketch runtime threads")
    })
}
