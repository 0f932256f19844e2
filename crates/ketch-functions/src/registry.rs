//! Name lookup: a Daft name maps to a DataFusion UDF.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::binary::{BinaryKind, DaftBinary};
use crate::rounding::{DaftRounding, RoundingKind};

/// Daft names whose DataFusion function has another name.
const SCALAR_ALIASES: &[(&str, &str)] = &[("negate", "negative")];

/// Daft aggregation names whose DataFusion function has another name.
const AGGREGATE_ALIASES: &[(&str, &str)] =
    &[("mean", "avg"), ("var", "var_samp"), ("any_value", "first_value"), ("list_agg", "array_agg")];

struct Registry {
    scalars: HashMap<String, Arc<ScalarUDF>>,
    aggregates: HashMap<String, Arc<AggregateUDF>>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut scalars: HashMap<String, Arc<ScalarUDF>> = HashMap::new();
        for udf in scalar_udfs() {
            scalars.insert(udf.name().to_string(), udf.clone());
            for alias in udf.aliases() {
                scalars.insert(alias.clone(), udf.clone());
            }
        }
        for (daft, df) in SCALAR_ALIASES {
            if let Some(udf) = scalars.get(*df).cloned() {
                scalars.insert((*daft).to_string(), udf);
            }
        }
        let mut aggregates: HashMap<String, Arc<AggregateUDF>> = HashMap::new();
        for udaf in datafusion::functions_aggregate::all_default_aggregate_functions() {
            aggregates.insert(udaf.name().to_string(), udaf.clone());
            for alias in udaf.aliases() {
                aggregates.insert(alias.clone(), udaf.clone());
            }
        }
        for (daft, df) in AGGREGATE_ALIASES {
            if let Some(udaf) = aggregates.get(*df).cloned() {
                aggregates.insert((*daft).to_string(), udaf);
            }
        }
        Registry { scalars, aggregates }
    })
}

/// Every scalar UDF the registry holds: DataFusion's built-ins plus ketch's own.
/// Register these in a session so SQL sees what Python sees.
pub fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    let mut udfs = datafusion::functions::all_default_functions();
    udfs.extend(datafusion::functions_nested::all_default_nested_functions());
    for kind in [BinaryKind::TrueDivide, BinaryKind::FloorDivide, BinaryKind::Xor, BinaryKind::Add] {
        udfs.push(Arc::new(ScalarUDF::new_from_impl(DaftBinary::new(kind))));
    }
    for kind in [RoundingKind::Round, RoundingKind::Ceil, RoundingKind::Floor] {
        udfs.push(Arc::new(ScalarUDF::new_from_impl(DaftRounding::new(kind))));
    }
    udfs
}

/// The scalar function registered under `name` (a Daft or DataFusion name).
pub fn scalar(name: &str) -> Option<Arc<ScalarUDF>> {
    registry().scalars.get(name).cloned()
}

/// The aggregate function registered under `name` (a Daft or DataFusion name).
pub fn aggregate(name: &str) -> Option<Arc<AggregateUDF>> {
    registry().aggregates.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daft_names_resolve() {
        assert_eq!(aggregate("mean").unwrap().name(), "avg");
        assert_eq!(aggregate("list_agg").unwrap().name(), "array_agg");
        assert_eq!(scalar("abs").unwrap().name(), "abs");
        assert_eq!(scalar("true_divide").unwrap().name(), "true_divide");
        assert!(scalar("no_such_function").is_none());
    }
}
