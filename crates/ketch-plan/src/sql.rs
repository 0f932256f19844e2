//! SQL -> logical plan on DataFusion's SQL planner, with Daft's conventions.
//!
//! The tables a statement can see are passed in by the caller (DataFrames
//! bound by name, the session's tables and catalogs) and registered as views
//! in a catalog list made for this one statement, so planning never changes
//! the session. A table named `a` lands in the default catalog and schema,
//! `ns.a` in schema `ns`, `cat.ns.a` in catalog `cat`.

use std::sync::Arc;

use datafusion::catalog::{CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList};
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::common::{Column, DataFusionError, Result, not_impl_err, plan_err};
use datafusion::datasource::ViewTable;
use datafusion::execution::session_state::SessionState;
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::logical_expr::{DdlStatement, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{Statement, Use};

use crate::naming::output_name;
use crate::sql_functions::{self, SqlFunction};

/// The catalog and schema unqualified table names resolve in (ketch's
/// sessions set these as DataFusion's defaults).
pub const DEFAULT_CATALOG: &str = "ketch";
pub const DEFAULT_SCHEMA: &str = "default";

/// What a SQL statement asks for.
#[derive(Debug)]
pub enum SqlOutcome {
    /// A query: its plan.
    Query(LogicalPlan),
    /// `CREATE [TEMP] TABLE name AS query`.
    CreateTable { name: String, temporary: bool, plan: LogicalPlan },
    /// `USE name`: make `name` (a catalog or `catalog.namespace`) current.
    Use(String),
}

/// A table the statement may reference: its name parts and its plan.
pub type SqlTable = (Vec<String>, LogicalPlan);

fn schema_of(list: &dyn CatalogProviderList, catalog: &str, schema: &str) -> Result<Arc<dyn SchemaProvider>> {
    let cat = match list.catalog(catalog) {
        Some(c) => c,
        None => {
            list.register_catalog(catalog.to_string(), Arc::new(MemoryCatalogProvider::new()));
            list.catalog(catalog).ok_or_else(|| DataFusionError::Internal("catalog not registered".into()))?
        }
    };
    match cat.schema(schema) {
        Some(s) => Ok(s),
        None => {
            cat.register_schema(schema, Arc::new(MemorySchemaProvider::new()))?;
            cat.schema(schema).ok_or_else(|| DataFusionError::Internal("schema not registered".into()))
        }
    }
}

/// A session state that sees exactly `tables`, on top of `base`'s config,
/// functions and runtime.
fn state_with_tables(base: &SessionState, tables: &[SqlTable]) -> Result<SessionState> {
    let list = Arc::new(MemoryCatalogProviderList::new());
    let options = &base.config().options().catalog;
    let (default_catalog, default_schema) = (options.default_catalog.as_str(), options.default_schema.as_str());
    schema_of(list.as_ref(), default_catalog, default_schema)?;
    for (parts, plan) in tables {
        let (catalog, schema, name) = match parts.as_slice() {
            [t] => (default_catalog, default_schema, t),
            [s, t] => (default_catalog, s.as_str(), t),
            [c, s, t] => (c.as_str(), s.as_str(), t),
            _ => return plan_err!("table name '{}' has too many parts", parts.join(".")),
        };
        let view = Arc::new(ViewTable::new(plan.clone(), None));
        schema_of(list.as_ref(), catalog, schema)?.register_table(name.clone(), view)?;
    }
    let mut state = SessionStateBuilder::new_from_existing(base.clone()).with_catalog_list(list).build();
    // Rebuilding registers every function again in no fixed order, so a
    // DataFusion alias (`list_distinct` for `array_distinct`) could shadow
    // the Daft function of that name: register Daft's last.
    for udf in ketch_functions::daft_scalar_udfs() {
        state.register_udf(udf)?;
    }
    for udaf in ketch_functions::aggregate_udfs() {
        state.register_udaf(udaf)?;
    }
    Ok(state)
}

/// Daft's SQL `SUBSTR(s, start, len)` is its 0-based `substr` function, while
/// `SUBSTRING(s, start, len)` is the SQL standard's 1-based one; the parser
/// reads both as one node, so the shorthand becomes a call of `substr` here.
fn substr_calls(statement: &mut Statement) {
    use datafusion::sql::sqlparser::ast::{
        Expr as SqlExpr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, ObjectName,
    };
    let _ = datafusion::sql::sqlparser::ast::visit_expressions_mut(statement, |e| {
        if let SqlExpr::Substring { expr, substring_from, substring_for, shorthand: true, .. } = e {
            let args =
                [Some(expr.as_ref().clone()), substring_from.as_deref().cloned(), substring_for.as_deref().cloned()]
                    .into_iter()
                    .flatten()
                    .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                    .collect();
            *e = SqlExpr::Function(Function {
                name: ObjectName::from(vec![datafusion::sql::sqlparser::ast::Ident::new("substr")]),
                uses_odbc_syntax: false,
                parameters: FunctionArguments::None,
                args: FunctionArguments::List(FunctionArgumentList {
                    duplicate_treatment: None,
                    args,
                    clauses: vec![],
                }),
                filter: None,
                null_treatment: None,
                over: None,
                within_group: vec![],
            });
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
}

/// Renders a parser error the way Daft does: the line, a caret under the
/// column, and the reason. Errors without a position (e.g. an unexpected end)
/// point after the last character.
fn syntax_error(sql: &str, e: &DataFusionError) -> DataFusionError {
    let msg = e.message().to_string();
    let inner = msg
        .split_once("ParserError(\"")
        .map(|(_, rest)| rest.trim_end_matches("\")").to_string())
        .unwrap_or_else(|| msg.trim_start_matches("sql parser error: ").to_string());
    let (reason, line, col) = match inner.rsplit_once(" at Line: ") {
        Some((reason, loc)) => {
            let (line, col) = loc.split_once(", Column: ").unwrap_or((loc, "1"));
            (reason.to_string(), line.trim().parse::<usize>().unwrap_or(1), col.trim().parse::<usize>().unwrap_or(1))
        }
        None => {
            let lines: Vec<&str> = sql.lines().collect();
            let last = lines.len().max(1);
            (inner.clone(), last, lines.last().map(|l| l.len() + 1).unwrap_or(1))
        }
    };
    let src = sql.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let prefix = format!("LINE {line}: ");
    let caret = " ".repeat(prefix.len() + col.saturating_sub(1));
    DataFusionError::Plan(format!(
        "SQL error at Line: {line}, Column: {col}\n{prefix}{src}\n{caret}^\nREASON: {reason}"
    ))
}

/// `plan` with its scans of `information_schema` tables (`SHOW TABLES`,
/// `SHOW COLUMNS`) replaced by in-memory copies made now: the catalog as it
/// is when the statement is planned, in a form that travels with the plan.
async fn snapshot_information_schema(state: &SessionState, plan: LogicalPlan) -> Result<LogicalPlan> {
    use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
    use datafusion::datasource::{MemTable, provider_as_source, source_as_provider};
    use datafusion::logical_expr::{TableScan, TableScanBuilder};
    let is_catalog = |scan: &TableScan| scan.table_name.schema() == Some("information_schema");
    let mut providers = vec![];
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && is_catalog(scan)
        {
            providers.push((scan.table_name.clone(), source_as_provider(&scan.source)?));
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if providers.is_empty() {
        return Ok(plan);
    }
    let mut copies = std::collections::HashMap::new();
    for (name, provider) in providers {
        let exec = provider.scan(state, None, &[], None).await?;
        let batches = datafusion::physical_plan::collect(exec, state.task_ctx()).await?;
        let table = MemTable::try_new(provider.schema(), vec![batches])?;
        copies.insert(name, provider_as_source(Arc::new(table)));
    }
    plan.transform_up_with_subqueries(|node| match node {
        LogicalPlan::TableScan(scan) if is_catalog(&scan) => match copies.get(&scan.table_name) {
            Some(source) => {
                let copy = TableScanBuilder::new(scan.table_name.clone(), source.clone())
                    .with_projection(scan.projection.clone())
                    .with_filters(scan.filters.clone())
                    .with_fetch(scan.fetch)
                    .build()?;
                Ok(Transformed::yes(LogicalPlan::TableScan(copy)))
            }
            None => Ok(Transformed::no(LogicalPlan::TableScan(scan))),
        },
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

/// `DESCRIBE t` as a table of literals (the rows DataFusion's planner
/// gives: `column_name`, `data_type`, `is_nullable`), so the plan can travel
/// (DataFusion's `DescribeTable` node has no serialized form).
fn describe_values(d: &datafusion::logical_expr::DescribeTable) -> Result<LogicalPlan> {
    use datafusion::prelude::lit;
    let rows: Vec<Vec<Expr>> = d
        .schema
        .fields()
        .iter()
        .map(|f| {
            let nullable = if f.is_nullable() { "YES" } else { "NO" };
            vec![lit(f.name().as_str()), lit(format!("{}", f.data_type())), lit(nullable)]
        })
        .collect();
    let names: Vec<Expr> = d
        .output_schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| datafusion::prelude::col(format!("column{}", i + 1)).alias(f.name()))
        .collect();
    if rows.is_empty() {
        return Ok(LogicalPlan::EmptyRelation(datafusion::logical_expr::EmptyRelation {
            produce_one_row: false,
            schema: d.output_schema.clone(),
        }));
    }
    LogicalPlanBuilder::values(rows)?.project(names)?.build()
}

/// Plans one SQL statement over `tables`.
///
/// Errors: a syntax error names the line and column; an unknown table lists
/// the tables that exist; statements other than queries, `CREATE TABLE AS`
/// and `USE` are reported as unsupported.
pub async fn plan_sql(base: &SessionState, sql: &str, tables: &[SqlTable]) -> Result<SqlOutcome> {
    plan_sql_with_functions(base, sql, tables, &[]).await
}

/// [`plan_sql`], where the statement may also call `functions` (attached to
/// the session: see [`crate::sql_functions`]).
pub async fn plan_sql_with_functions(
    base: &SessionState,
    sql: &str,
    tables: &[SqlTable],
    functions: &[SqlFunction],
) -> Result<SqlOutcome> {
    let mut state = state_with_tables(base, tables)?;
    sql_functions::register(&mut state, functions)?;
    let mut statement =
        state.sql_to_statement(sql, &state.config().options().sql_parser.dialect).map_err(|e| syntax_error(sql, &e))?;
    if let DFStatement::Statement(s) = &mut statement {
        substr_calls(s.as_mut());
        sql_functions::rewrite_calls(s.as_mut(), functions)?;
    }
    // DataFusion refuses `CREATE TEMP TABLE`; the session decides where a
    // created table lives, so plan it as a plain CREATE TABLE and remember.
    let mut temporary = false;
    if let DFStatement::Statement(s) = &mut statement
        && let Statement::CreateTable(create) = s.as_mut()
    {
        temporary = create.temporary;
        create.temporary = false;
    }
    if let DFStatement::Statement(s) = &statement
        && let Statement::Use(u) = s.as_ref()
    {
        let name = match u {
            Use::Object(n) | Use::Catalog(n) | Use::Schema(n) | Use::Database(n) => n.to_string(),
            other => return not_impl_err!("USE {other}"),
        };
        return Ok(SqlOutcome::Use(name));
    }
    let plan = match state.statement_to_plan(statement).await {
        Ok(p) => p,
        Err(e) => return Err(with_known_tables(e, tables)),
    };
    match plan {
        LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(create)) => Ok(SqlOutcome::CreateTable {
            name: create.name.to_string(),
            temporary: temporary || create.temporary,
            plan: {
                let (plan, generated) = sql_functions::expand(Arc::unwrap_or_clone(create.input), functions)?;
                daft_names(daft_casts(plan)?, &generated)?
            },
        }),
        LogicalPlan::Ddl(ddl) => not_impl_err!("SQL {} statements", ddl.name()),
        LogicalPlan::Dml(dml) => not_impl_err!("SQL {} statements", dml.op),
        LogicalPlan::Copy(_) => not_impl_err!("SQL COPY; use DataFrame.write_parquet/csv/json"),
        LogicalPlan::Statement(s) => not_impl_err!("SQL {} statements", s.name()),
        LogicalPlan::DescribeTable(d) => Ok(SqlOutcome::Query(describe_values(&d)?)),
        query => {
            check_plannable(&state, &query)?;
            let query = snapshot_information_schema(&state, query).await?;
            let (query, generated) = sql_functions::expand(query, functions)?;
            Ok(SqlOutcome::Query(daft_names(daft_casts(query)?, &generated)?))
        }
    }
}

/// Daft's `CAST`: a value that does not convert is null (arrow's safe cast,
/// DataFusion's `TRY_CAST`), as `Expression.cast` does; casts to fixed-size
/// types stay strict, where Daft raises too, and so do typed literals
/// (`DATE '2020-13-45'` is an error). Output names stay as written.
fn daft_casts(plan: LogicalPlan) -> Result<LogicalPlan> {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::logical_expr::expr_rewriter::NamePreserver;
    use datafusion::logical_expr::{Cast, TryCast};

    fn fixed_size(t: &DataType) -> bool {
        match t {
            DataType::FixedSizeBinary(_) | DataType::FixedSizeList(..) => true,
            DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) | DataType::Map(f, _) => {
                fixed_size(f.data_type())
            }
            DataType::Struct(fields) => fields.iter().any(|f| fixed_size(f.data_type())),
            _ => false,
        }
    }
    let rewritten = plan.transform_up_with_subqueries(|node| {
        let names = NamePreserver::new(&node);
        let node = node.map_expressions(|e| {
            let saved = names.save(&e);
            let e = e.transform(|x| match x {
                Expr::Cast(Cast { expr, field })
                    if !fixed_size(field.data_type()) && !matches!(*expr, Expr::Literal(..)) =>
                {
                    Ok(Transformed::yes(Expr::TryCast(TryCast { expr, field })))
                }
                other => Ok(Transformed::no(other)),
            })?;
            Ok(e.update_data(|e| saved.restore(e)))
        })?;
        match node.transformed {
            true => node.map_data(|p| p.recompute_schema()),
            false => Ok(node),
        }
    })?;
    Ok(rewritten.data)
}

/// Reports subqueries that DataFusion's optimizer cannot turn into joins
/// (some correlated scalar subqueries) as unsupported now, rather than as a
/// failure when the query runs.
fn check_plannable(state: &SessionState, plan: &LogicalPlan) -> Result<()> {
    // Most queries have no correlated subquery: only those pay for a trial
    // optimization (the real one runs when the query runs).
    if first_correlated_subquery(plan)?.is_none() {
        return Ok(());
    }
    match first_correlated_subquery(&state.optimize(plan)?)? {
        Some(e) => not_impl_err!("this correlated subquery cannot be rewritten into a join: {e}"),
        None => Ok(()),
    }
}

/// The first correlated subquery expression in `plan`, if any.
fn first_correlated_subquery(plan: &LogicalPlan) -> Result<Option<String>> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut found = None;
    plan.apply_with_subqueries(|node| {
        for e in node.expressions() {
            e.apply(|x| {
                let correlated = match x {
                    Expr::ScalarSubquery(s) => !s.outer_ref_columns.is_empty(),
                    Expr::Exists(e) => !e.subquery.outer_ref_columns.is_empty(),
                    Expr::InSubquery(i) => !i.subquery.outer_ref_columns.is_empty(),
                    _ => false,
                };
                if correlated {
                    found = Some(x.to_string());
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(if found.is_some() { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    })?;
    Ok(found)
}

/// Adds the names of the tables that exist to a "table not found" error.
fn with_known_tables(e: DataFusionError, tables: &[SqlTable]) -> DataFusionError {
    let msg = e.message().to_string();
    if msg.contains("table") && msg.contains("not found") {
        let mut names: Vec<String> = tables.iter().map(|(p, _)| p.join(".")).collect();
        names.sort();
        let known = if names.is_empty() { "none".to_string() } else { names.join(", ") };
        return DataFusionError::Plan(format!("{msg}. Tables that exist: {known}"));
    }
    // DataFusion: "Invalid function 'f'.\nDid you mean 'g'?"; Daft: "Function `f` not found".
    let root = e.find_root().message().to_string();
    if let Some(rest) = root.split_once("Invalid function '").map(|(_, rest)| rest)
        && let Some((name, hint)) = rest.split_once("'.")
    {
        return DataFusionError::Plan(format!("Function `{name}` not found{}", hint.trim_end()));
    }
    e
}

/// The SQL expression `sql` (e.g. `a + 1`) as an expression over any input;
/// columns stay unresolved until the expression is used.
///
/// DataFusion resolves identifiers against a schema, so the identifiers of
/// the expression are collected first and given a placeholder schema.
pub fn plan_sql_expr(base: &SessionState, sql: &str) -> Result<Expr> {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, visit_expressions};
    use std::ops::ControlFlow;

    let parsed = datafusion::sql::parser::DFParser::parse_sql_into_expr(sql).map_err(|e| syntax_error(sql, &e))?;
    let mut names: Vec<String> = vec![];
    let _ = visit_expressions(&parsed.expr, |e| {
        if let SqlExpr::Identifier(id) = e
            && !names.contains(&id.value)
        {
            names.push(id.value.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    let fields: Vec<Field> = names.iter().map(|n| Field::new(n, DataType::Null, true)).collect();
    let schema = datafusion::common::DFSchema::try_from(Schema::new(fields))?;
    let expr = base.create_logical_expr(sql, &schema)?;
    // The placeholder types must not leak: drop casts to Null-typed columns.
    Ok(expr)
}

/// Renames a query's output columns by Daft's rule (`SELECT v * 2` yields a
/// column named `v`), where the planner's names differ and the new names are
/// unique. `generated` are names the planner made up for expressions since
/// rewritten (see [`sql_functions::expand`]): such a column is named after
/// the expression it now holds.
fn daft_names(plan: LogicalPlan, generated: &std::collections::HashSet<String>) -> Result<LogicalPlan> {
    let mut node = &plan;
    let projection = loop {
        match node {
            LogicalPlan::Projection(p) => break Some(p),
            LogicalPlan::Sort(s) => node = s.input.as_ref(),
            LogicalPlan::Limit(l) => node = l.input.as_ref(),
            LogicalPlan::Filter(f) => node = f.input.as_ref(),
            LogicalPlan::Distinct(datafusion::logical_expr::Distinct::All(i)) => node = i.as_ref(),
            _ => break None,
        }
    };
    let Some(projection) = projection else { return Ok(plan) };
    if projection.expr.len() != plan.schema().fields().len() {
        return Ok(plan);
    }
    // Columns that an Aggregate or Window below produced are named after the
    // expression that computed them (`sum(v)` is named `v`).
    let mut computed: std::collections::HashMap<String, Expr> = std::collections::HashMap::new();
    match projection.input.as_ref() {
        LogicalPlan::Aggregate(a) => {
            for e in a.group_expr.iter().chain(&a.aggr_expr) {
                computed.insert(e.schema_name().to_string(), e.clone().unalias());
            }
        }
        LogicalPlan::Window(w) => {
            for e in &w.window_expr {
                computed.insert(e.schema_name().to_string(), e.clone().unalias());
            }
        }
        _ => {}
    }
    let names: Vec<String> = projection
        .expr
        .iter()
        .map(|e| match e {
            Expr::Column(c) if c.relation.is_none() => match computed.get(&c.name) {
                Some(source) => output_name(source),
                None => output_name(e),
            },
            // The planner names `count(*)` itself; Daft calls it `count`.
            Expr::Alias(a) if a.name == "count(*)" => "count".to_string(),
            Expr::Alias(a) if generated.contains(&a.name) => output_name(&a.expr),
            _ => output_name(e),
        })
        .collect();
    let unique: std::collections::HashSet<&String> = names.iter().collect();
    let current: Vec<&String> = plan.schema().fields().iter().map(|f| f.name()).collect();
    if unique.len() != names.len() || names.iter().zip(&current).all(|(a, b)| a == *b) {
        return Ok(plan);
    }
    let exprs: Vec<Expr> = plan
        .schema()
        .iter()
        .zip(names)
        .map(|((q, f), n)| Expr::Column(Column::new(q.cloned(), f.name())).alias(n))
        .collect();
    LogicalPlanBuilder::from(plan).project(exprs)?.build()
}
