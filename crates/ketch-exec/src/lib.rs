//! Execution: the session (threads, batch size), the tokio runtime that runs
//! queries, file sources and sinks, and the operators for ketch's own plan
//! nodes (UDF projections).
//!
//! Everything here takes already-validated arguments; user input is checked
//! in the Python API and the bindings.

pub mod cancel;
pub mod codec;
pub mod commit;
pub mod file_errors;
pub mod host_scan;
pub mod json_sink;
pub mod morsel;
pub mod runner;
pub mod runtime;
pub mod session;
pub mod sink;
pub mod source;
pub mod stores;
pub mod table_functions;
pub mod udf;

pub use session::{ExecConfig, new_session};
