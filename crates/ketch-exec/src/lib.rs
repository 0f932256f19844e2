//! Execution: the session (threads, batch size, memory limit), the tokio runtime that runs
//! queries, the physical write operator, and the operators for ketch's own
//! plan nodes (UDF projections, samples, rebatching). File sources, sinks and object stores live
//! in `ketch-io`.
//!
//! Everything here takes already-validated arguments; user input is checked
//! in the Python API and the bindings.

pub mod batches;
pub mod cancel;
pub mod codec;
pub mod compact;
pub mod host_scan;
pub mod memory;
pub mod metrics;
pub mod morsel;
pub mod progress;
pub mod runner;
pub mod runtime;
pub mod sample;
pub mod session;
pub mod table_functions;
pub mod udf;
pub mod write;

pub use session::{ExecConfig, new_session};
