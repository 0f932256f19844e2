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

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<expr::PyExpr>()?;
    m.add_class::<plan::PyPlan>()?;
    m.add_class::<session::PySession>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
