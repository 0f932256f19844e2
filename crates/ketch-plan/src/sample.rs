//! `Sample`: the logical node of Daft's `DataFrame.sample`.
//!
//! Daft 0.7.26 samples an exact number of rows, not each row independently:
//! `fraction` keeps `ceil(n * fraction)` of each batch of `n` rows (so a tiny
//! fraction of a small table still gives a row), `size` keeps exactly `size`
//! rows of the whole input (an error at execution when the input has fewer
//! rows and `with_replacement` is false). With replacement, rows may repeat.
//! A `seed` makes the sample the same on every run over the same input.
//! Execution: `ketch_exec::sample::SampleExec` (batch by batch for a
//! fraction; a reservoir of `size` rows, one pass, for a size).

use std::fmt;
use std::sync::Arc;

use datafusion::common::{DFSchemaRef, Result, plan_err};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNodeCore};

/// How many rows a [`Sample`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum SampleAmount {
    /// `ceil(n * fraction)` of each batch of `n` rows; the fraction's IEEE bits
    /// (so the node can be hashed).
    FractionBits(u64),
    /// Exactly this many rows of the whole input.
    Size(u64),
}

/// What a [`Sample`] keeps (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub struct SampleOptions {
    pub amount: SampleAmount,
    pub with_replacement: bool,
    pub seed: Option<u64>,
}

impl SampleOptions {
    /// Checks Daft's rules: a fraction in [0, 1].
    pub fn try_new(
        fraction: Option<f64>,
        size: Option<u64>,
        with_replacement: bool,
        seed: Option<u64>,
    ) -> Result<Self> {
        let amount = match (fraction, size) {
            (Some(_), Some(_)) => return plan_err!("Must specify either `fraction` or `size`, but not both"),
            (None, None) => return plan_err!("Must specify either `fraction` or `size`"),
            (Some(f), None) if !(0.0..=1.0).contains(&f) => {
                return plan_err!("fraction should be between 0.0 and 1.0, but got {f}");
            }
            (Some(f), None) => SampleAmount::FractionBits(f.to_bits()),
            (None, Some(s)) => SampleAmount::Size(s),
        };
        Ok(Self { amount, with_replacement, seed })
    }

    /// The fraction, for a fraction sample.
    pub fn fraction(&self) -> Option<f64> {
        match self.amount {
            SampleAmount::FractionBits(bits) => Some(f64::from_bits(bits)),
            SampleAmount::Size(_) => None,
        }
    }
}

impl fmt::Display for SampleOptions {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.amount {
            SampleAmount::FractionBits(bits) => write!(f, "fraction={}", f64::from_bits(bits))?,
            SampleAmount::Size(s) => write!(f, "size={s}")?,
        }
        write!(f, ", with_replacement={}", self.with_replacement)?;
        if let Some(seed) = self.seed {
            write!(f, ", seed={seed}")?;
        }
        Ok(())
    }
}

/// Keeps a random sample of its input's rows (see the module docs).
///
/// ```
/// use std::sync::Arc;
/// use datafusion::logical_expr::{LogicalPlanBuilder, UserDefinedLogicalNodeCore};
/// use ketch_plan::sample::{Sample, SampleOptions};
///
/// let input = LogicalPlanBuilder::empty(true).build().unwrap();
/// let options = SampleOptions::try_new(None, Some(2), false, Some(7)).unwrap();
/// let node = Sample::new(Arc::new(input), options);
/// assert_eq!(node.name(), "Sample");
/// assert!(SampleOptions::try_new(Some(1.5), None, false, None).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Sample {
    pub input: Arc<LogicalPlan>,
    pub options: SampleOptions,
}

impl Sample {
    pub fn new(input: Arc<LogicalPlan>, options: SampleOptions) -> Self {
        Self { input, options }
    }

    /// The node as a plan.
    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(Extension { node: Arc::new(self) })
    }
}

impl UserDefinedLogicalNodeCore for Sample {
    fn name(&self) -> &str {
        "Sample"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Sample: {}", self.options)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let Some(input) = inputs.pop() else { return plan_err!("Sample takes one input") };
        Ok(Self::new(Arc::new(input), self.options))
    }

    /// Only the columns asked for are needed below a sample.
    fn necessary_children_exprs(&self, output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        Some(vec![output_columns.to_vec()])
    }

    fn supports_limit_pushdown(&self) -> bool {
        false
    }
}
