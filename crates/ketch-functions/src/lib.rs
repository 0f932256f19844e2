//! The function registry: Daft 0.7.26 function names resolved to DataFusion
//! scalar and aggregate UDFs.
//!
//! One registry serves Python methods, `ketch.functions` and (later) SQL. It
//! delegates to DataFusion's built-in functions wherever one exists under a
//! different name, and adds ketch's own implementations (see [`binary`]).

pub mod binary;
mod registry;
pub mod rounding;

pub use registry::{aggregate, scalar, scalar_udfs};
