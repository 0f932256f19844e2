//! `UDFProject`: the logical node that evaluates UDF calls (Daft's
//! `UDFProject`).
//!
//! Its output is every input column, unchanged, followed by one column per
//! UDF call, named by the node. Keeping the calls in their own node is what
//! lets the optimizer treat them as expensive: filters on input columns and
//! limits pass below it (DataFusion's pushdown rules ask
//! [`UserDefinedLogicalNodeCore::prevent_predicate_push_down_columns`] and
//! `supports_limit_pushdown`), projection pushdown prunes the input to the
//! columns still needed, [`super::rules::UdfAfterJoin`] moves it above joins,
//! and execution runs it on its own operator with bounded batches in flight.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use datafusion::common::{DFSchema, DFSchemaRef, Result, plan_err};
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, UserDefinedLogicalNodeCore};

use super::ExternalUdf;

/// Evaluates `calls` (each a call of an [`ExternalUdf`], its arguments free of
/// UDF calls) on `input`, adding them as columns `names`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UdfProject {
    pub input: Arc<LogicalPlan>,
    pub calls: Vec<Expr>,
    pub names: Vec<String>,
    schema: DFSchemaRef,
}

impl UdfProject {
    pub fn try_new(input: Arc<LogicalPlan>, calls: Vec<Expr>, names: Vec<String>) -> Result<Self> {
        if calls.len() != names.len() || calls.is_empty() {
            return plan_err!(
                "UDFProject needs one name per UDF call, got {} calls, {} names",
                calls.len(),
                names.len()
            );
        }
        let input_schema = input.schema();
        let mut fields = Vec::with_capacity(calls.len());
        for (call, name) in calls.iter().zip(&names) {
            if ExternalUdf::of(call).is_none() {
                return plan_err!("UDFProject evaluates UDF calls only, got {call}");
            }
            if input_schema.has_column_with_unqualified_name(name) {
                return plan_err!("UDFProject output column {name} already exists in its input");
            }
            let (_, field) = call.to_field(input_schema)?;
            fields.push((None, Arc::new(field.as_ref().clone().with_name(name))));
        }
        let added = DFSchema::new_with_metadata(fields, HashMap::new())?;
        let mut schema = input_schema.as_ref().clone();
        schema.merge(&added);
        if schema.fields().len() != input_schema.fields().len() + calls.len() {
            return plan_err!("UDFProject output columns {names:?} collide with its input");
        }
        Ok(Self { input, calls, names, schema: Arc::new(schema) })
    }

    /// Number of input columns passed through (they come first in the output).
    pub fn passthrough(&self) -> usize {
        self.input.schema().fields().len()
    }

    /// The largest concurrency any of the node's UDFs asks for.
    pub fn concurrency(&self) -> usize {
        self.calls.iter().filter_map(ExternalUdf::of).map(|u| u.handle().concurrency()).max().unwrap_or(1).max(1)
    }

    /// The rows per call the node's UDFs want: the smallest `batch_rows`.
    pub fn batch_rows(&self) -> Option<usize> {
        self.calls.iter().filter_map(ExternalUdf::of).filter_map(|u| u.handle().batch_rows()).min()
    }
}

impl PartialOrd for UdfProject {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.input.partial_cmp(&other.input) {
            Some(Ordering::Equal) => {}
            ord => return ord,
        }
        match self.calls.partial_cmp(&other.calls) {
            Some(Ordering::Equal) => self.names.partial_cmp(&other.names),
            ord => ord,
        }
    }
}

impl UserDefinedLogicalNodeCore for UdfProject {
    fn name(&self) -> &str {
        "UDFProject"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.calls.clone()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "UDFProject: ")?;
        for (i, (call, name)) in self.calls.iter().zip(&self.names).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{call} AS {name}")?;
        }
        let batch = self.batch_rows().map(|n| format!(", batch_rows={n}")).unwrap_or_default();
        write!(f, " [concurrency={}{batch}]", self.concurrency())
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let Some(input) = inputs.pop() else { return plan_err!("UDFProject takes one input") };
        // rewrites may wrap a call in an alias; the names are the node's own
        let calls = exprs.into_iter().map(|e| e.unalias()).collect();
        Self::try_new(Arc::new(input), calls, self.names.clone())
    }

    /// The input columns the parent needs; the columns the calls read are
    /// added by DataFusion from [`Self::expressions`]. The node's schema
    /// follows its (pruned) input.
    fn necessary_children_exprs(&self, output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        let n = self.passthrough();
        Some(vec![output_columns.iter().copied().filter(|&i| i < n).collect()])
    }

    /// Filters on the UDF outputs stay above; the rest go below (rows a filter
    /// drops are never sent to user code).
    fn prevent_predicate_push_down_columns(&self) -> HashSet<String> {
        self.names.iter().cloned().collect()
    }

    /// One output row per input row: a limit can run first.
    fn supports_limit_pushdown(&self) -> bool {
        true
    }
}
