//! `Write`: the logical node of a file write (Daft's `Sink` node for
//! `write_parquet` / `write_csv` / `write_json`).
//!
//! A write is part of the plan, so it runs on whatever runner runs the plan
//! and travels with it. Its output is Daft's result table: one row per
//! written file, `path` (Utf8: the root as the user wrote it joined with the
//! file's name) followed by the partition columns (their input types, the
//! values read back from the file's `k=v` folders). Execution
//! (`ketch_exec::write::WriteExec`, through `ketch_io::sink::write`) stages
//! the files and commits them atomically. The options ([`WriteOptions`]) are
//! `ketch_io`'s.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use datafusion::common::{DFSchema, DFSchemaRef, Result, plan_err};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNodeCore};
use ketch_io::sink::WriteOptions;

/// Writes its input's rows as files (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Write {
    pub input: Arc<LogicalPlan>,
    pub options: WriteOptions,
    schema: DFSchemaRef,
}

impl Write {
    /// A write of `input`. Errors: a partition column that `input` lacks, or
    /// partition columns with `single_file`.
    pub fn try_new(input: Arc<LogicalPlan>, options: WriteOptions) -> Result<Self> {
        if options.single_file && !options.partition_cols.is_empty() {
            return plan_err!("`single_file=True` cannot be combined with `partition_cols`.");
        }
        let mut fields = vec![(None, Arc::new(Field::new("path", DataType::Utf8, false)))];
        for name in &options.partition_cols {
            let Ok(field) = input.schema().field_with_unqualified_name(name) else {
                return plan_err!("partition column {name} is not a column of the DataFrame");
            };
            fields.push((None, Arc::new(field.as_ref().clone().with_nullable(true))));
        }
        let schema = Arc::new(DFSchema::new_with_metadata(fields, Default::default())?);
        Ok(Self { input, options, schema })
    }

    /// The node as a plan.
    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(Extension { node: Arc::new(self) })
    }
}

impl PartialOrd for Write {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.input.partial_cmp(&other.input) {
            Some(Ordering::Equal) => self.options.partial_cmp(&other.options),
            ord => ord,
        }
    }
}

impl UserDefinedLogicalNodeCore for Write {
    fn name(&self) -> &str {
        "Write"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let o = &self.options;
        write!(f, "Write: {} {} to {}", o.mode.name(), o.format.extension(), o.location)?;
        if !o.partition_cols.is_empty() {
            write!(f, ", partition_cols={:?}", o.partition_cols)?;
        }
        if o.single_file {
            write!(f, ", single_file")?;
        }
        Ok(())
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let Some(input) = inputs.pop() else { return plan_err!("Write takes one input") };
        Self::try_new(Arc::new(input), self.options.clone())
    }

    /// Every input column is written.
    fn necessary_children_exprs(&self, _output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        Some(vec![(0..self.input.schema().fields().len()).collect()])
    }

    fn supports_limit_pushdown(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::LogicalPlanBuilder;
    use ketch_io::formats::WriteFormat;
    use ketch_io::sink::WriteMode;

    #[test]
    fn output_is_path_then_partition_columns() -> Result<()> {
        let input = LogicalPlanBuilder::empty(false).build()?;
        let input = LogicalPlanBuilder::from(input)
            .project(vec![datafusion::prelude::lit(1i64).alias("k"), datafusion::prelude::lit("a").alias("v")])?
            .build()?;
        let options = WriteOptions {
            location: "/tmp/out".into(),
            format: WriteFormat::Json { explicit_nulls: true },
            mode: WriteMode::Append,
            partition_cols: vec!["k".into()],
            single_file: false,
            write_success_file: false,
            target_file_bytes: 1,
            target_row_group_bytes: 1,
        };
        let node = Write::try_new(Arc::new(input.clone()), options.clone())?;
        let names: Vec<_> = node.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["path", "k"]);
        assert_eq!(node.schema().field(1).data_type(), &DataType::Int64);
        let bad = WriteOptions { partition_cols: vec!["nope".into()], ..options };
        assert!(Write::try_new(Arc::new(input), bad).is_err());
        Ok(())
    }
}
