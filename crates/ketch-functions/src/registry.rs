//! The registry: every Daft function name, resolved to a DataFusion scalar,
//! aggregate or window function. Python methods, `ketch.functions` and SQL
//! all look names up here, so a name means the same everywhere.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};

use crate::binary::{BinaryKind, DaftBinary};

/// What kind of function a registry name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FunctionKind {
    Scalar,
    Aggregate,
    Window,
}

impl FunctionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FunctionKind::Scalar => "scalar",
            FunctionKind::Aggregate => "aggregate",
            FunctionKind::Window => "window",
        }
    }
}

/// Daft aggregation names and the DataFusion aggregate each one is.
const AGGREGATES: &[(&str, &str)] = &[
    ("sum", "sum"),
    ("mean", "avg"),
    ("avg", "avg"),
    ("min", "min"),
    ("max", "max"),
    ("count", "count"),
    ("any_value", "first_value"),
    ("stddev", "stddev"),
    ("var", "var_samp"),
    ("list_agg", "array_agg"),
    ("approx_count_distinct", "approx_count_distinct"),
    ("approx_percentiles", "approx_percentiles"),
    ("median", "median"),
    ("percentile", "percentile_cont"),
    ("bool_and", "bool_and"),
    ("bool_or", "bool_or"),
    ("string_agg", "string_agg"),
    ("product", "product"),
    ("skew", "skew"),
];

/// Daft window function names (DataFusion's, same names).
const WINDOWS: &[&str] = &[
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
];

struct Registry {
    scalars: HashMap<String, Arc<ScalarUDF>>,
    aggregates: HashMap<String, Arc<AggregateUDF>>,
    windows: HashMap<String, Arc<WindowUDF>>,
    names: BTreeMap<String, FunctionKind>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut names = BTreeMap::new();
        let mut scalars: HashMap<String, Arc<ScalarUDF>> = HashMap::new();
        let builtin = datafusion::functions::all_default_functions()
            .into_iter()
            .chain(datafusion::functions_nested::all_default_nested_functions());
        for udf in builtin {
            for alias in udf.aliases() {
                scalars.insert(alias.clone(), udf.clone());
            }
            scalars.insert(udf.name().to_string(), udf);
        }
        for kind in BinaryKind::ALL {
            let udf = Arc::new(ScalarUDF::new_from_impl(DaftBinary::new(kind)));
            scalars.insert(udf.name().to_string(), udf);
        }
        for f in crate::daft::functions() {
            let udf = Arc::new(ScalarUDF::new_from_impl(f));
            names.insert(udf.name().to_string(), FunctionKind::Scalar);
            scalars.insert(udf.name().to_string(), udf);
        }
        let uuid = crate::daft::uuid::to_string_kernel();
        scalars.insert(uuid.name().to_string(), uuid);
        for udf in crate::multimodal::functions() {
            let udf = Arc::new(udf);
            // `ketch_*` are ketch's internal helpers (casts, thumbnails), not Daft names.
            if !udf.name().starts_with("ketch_") {
                names.insert(udf.name().to_string(), FunctionKind::Scalar);
            }
            scalars.insert(udf.name().to_string(), udf);
        }
        let mut df_aggregates: HashMap<String, Arc<AggregateUDF>> = HashMap::new();
        let own = [
            crate::aggregate::product(),
            crate::aggregate::skew(),
            crate::aggregate::approx_percentiles(),
            crate::aggregate::approx_count_distinct(),
        ]
        .map(Arc::new);
        for udaf in datafusion::functions_aggregate::all_default_aggregate_functions().into_iter().chain(own) {
            for alias in udaf.aliases() {
                df_aggregates.insert(alias.clone(), udaf.clone());
            }
            df_aggregates.insert(udaf.name().to_string(), udaf);
        }
        let mut aggregates = df_aggregates.clone();
        for (daft, df) in AGGREGATES {
            if let Some(udaf) = df_aggregates.get(*df) {
                aggregates.insert((*daft).to_string(), udaf.clone());
                names.insert((*daft).to_string(), FunctionKind::Aggregate);
            }
        }
        let mut windows = HashMap::new();
        for udwf in datafusion::functions_window::all_default_window_functions() {
            windows.insert(udwf.name().to_string(), udwf);
        }
        for name in WINDOWS {
            names.entry((*name).to_string()).or_insert(FunctionKind::Window);
        }
        Registry { scalars, aggregates, windows, names }
    })
}

/// Every Daft function name the registry defines, with its kind (a name that
/// is both an aggregate and a window function is listed as an aggregate).
pub fn daft_functions() -> Vec<(String, FunctionKind)> {
    registry().names.iter().map(|(n, k)| (n.clone(), *k)).collect()
}

/// Every scalar UDF to register in a session: DataFusion's built-ins, then
/// ketch's Daft functions (which replace a built-in of the same name), so
/// SQL sees what Python sees.
pub fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    let r = registry();
    let mut udfs: Vec<Arc<ScalarUDF>> =
        r.scalars.values().filter(|u| !r.names.contains_key(u.name())).cloned().collect();
    udfs.extend(daft_scalar_udfs());
    udfs
}

/// The scalar UDFs under Daft's names only (ketch's Daft functions).
pub fn daft_scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    let r = registry();
    r.names.keys().filter_map(|n| r.scalars.get(n).cloned()).collect()
}

/// Every aggregate UDF to register in a session, with Daft's names as aliases.
pub fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    let mut by_df: BTreeMap<String, (Arc<AggregateUDF>, Vec<&'static str>)> = BTreeMap::new();
    for (daft, df) in AGGREGATES {
        if let Some(udaf) = registry().aggregates.get(*df) {
            let entry = by_df.entry(udaf.name().to_string()).or_insert_with(|| (udaf.clone(), vec![]));
            if *daft != udaf.name() {
                entry.1.push(daft);
            }
        }
    }
    by_df.into_values().map(|(udaf, aliases)| Arc::new(udaf.as_ref().clone().with_aliases(aliases))).collect()
}

/// The scalar function registered under `name` (a Daft or DataFusion name).
pub fn scalar(name: &str) -> Option<Arc<ScalarUDF>> {
    registry().scalars.get(name).cloned()
}

/// The aggregate function registered under `name` (a Daft or DataFusion name).
pub fn aggregate(name: &str) -> Option<Arc<AggregateUDF>> {
    registry().aggregates.get(name).cloned()
}

/// The window function registered under `name` (DataFusion's window functions).
pub fn window(name: &str) -> Option<Arc<WindowUDF>> {
    registry().windows.get(name).cloned()
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
        assert!(window("lag").is_some());
    }

    #[test]
    fn every_listed_name_resolves() {
        for (name, kind) in daft_functions() {
            let found = match kind {
                FunctionKind::Scalar => scalar(&name).is_some(),
                FunctionKind::Aggregate => aggregate(&name).is_some(),
                FunctionKind::Window => window(&name).is_some(),
            };
            assert!(found, "{name} ({kind:?}) does not resolve");
        }
    }
}
