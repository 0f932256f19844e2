//! Every name of the function registry resolves in a ketch session, so SQL
//! calls exactly the functions Python calls.

use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use ketch_exec::{ExecConfig, new_session};
use ketch_functions::FunctionKind;

#[test]
fn session_resolves_every_registry_name() -> Result<()> {
    let ctx = new_session(&ExecConfig::default())?;
    let state = ctx.state();
    let names = ketch_functions::daft_functions();
    assert!(names.len() > 200, "registry has {} names", names.len());
    for (name, kind) in names {
        match kind {
            FunctionKind::Scalar => {
                let udf = state.udf(&name)?;
                // A Daft name must reach ketch's definition, not a DataFusion alias of it.
                assert_eq!(udf.name(), name, "{name} resolves to {}", udf.name());
            }
            FunctionKind::Aggregate => {
                state.udaf(&name)?;
            }
            FunctionKind::Window => {
                state.udwf(&name)?;
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn sql_calls_daft_functions_by_name() -> Result<()> {
    let ctx = new_session(&ExecConfig::default())?;
    let batches = ctx
        .sql("select length('héllo') as n, to_snake_case('HelloWorld') as s, list_distinct([1, null, 1]) as d")
        .await?
        .collect()
        .await?;
    let text = arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
    assert!(text.contains("| 5 | hello_world | [1] |"), "{text}");
    Ok(())
}
