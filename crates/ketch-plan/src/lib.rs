//! Planning: DataFrame operations -> DataFusion `LogicalPlan` with Daft 0.7.26
//! semantics.
//!
//! Each operation takes a plan and user expressions and returns a new plan; it
//! never executes anything. Daft's rules live here: output column naming
//! ([`naming`]), join column naming ([`join`]), aggregations nested in
//! expressions ([`aggregate`]), explode, sort null ordering, pivot ([`ops`]),
//! as-of joins ([`asof`]).

pub mod aggregate;
pub mod asof;
pub mod batches;
pub mod display;
pub mod join;
pub mod naming;
pub mod ops;
pub mod rules;
pub mod sample;
pub mod sql;
pub mod sql_functions;
pub mod sql_types;
pub mod typing;
pub mod udf;
pub mod write;

pub use datafusion::common::{DataFusionError, Result};
pub use datafusion::logical_expr::{Expr, LogicalPlan};
