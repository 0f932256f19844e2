//! `ketch._native`: the Python bindings, the only cdylib.
//!
//! Converts between Python and Rust (Arrow through the PyCapsule interface,
//! without copies), maps engine errors to Python exceptions, and releases the
//! GIL while queries run. Holds no planning or execution logic of its own.

use pyo3::prelude::*;

mod errors;
mod expr;
mod plan;
mod session;
mod udf;

/// Every Daft function name in the native registry, as `(name, kind)` pairs
/// where kind is `"scalar"`, `"aggregate"` or `"window"`.
#[pyfunction]
fn function_names() -> Vec<(String, &'static str)> {
    ketch_functions::daft_functions().into_iter().map(|(n, k)| (n, k.as_str())).collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<expr::PyExpr>()?;
    m.add_class::<plan::PyPlan>()?;
    m.add_class::<session::PySession>()?;
    m.add_function(wrap_pyfunction!(function_names, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
