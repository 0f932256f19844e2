//! The function registry: Daft 0.7.26 function names resolved to DataFusion
//! scalar, aggregate and window functions.
//!
//! One registry serves Python methods, `ketch.functions` and SQL. Each Daft
//! scalar function is a [`function::DaftFunction`], an expansion into
//! DataFusion's built-ins (datafusion-spark's for the Spark-named ones) or
//! ketch's kernels; the analyzer rewrite [`function::ExpandDaftFunctions`]
//! replaces calls before type coercion, so they cost nothing at run time.

pub mod aggregate;
pub mod binary;
pub mod daft;
pub mod function;
pub mod multimodal;
mod registry;
pub mod supertype;

pub use registry::{
    FunctionKind, aggregate, aggregate_udfs, daft_functions, daft_scalar_udfs, scalar, scalar_udfs, window,
};
