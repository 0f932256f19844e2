//! Daft's SQL type names: `DataType.from_sql("int")`, `Expression.cast("float")`
//! and `CAST(x AS ...)` in SQL give the types Daft 0.7.26 gives.
//!
//! DataFusion converts SQL types itself; [`DaftTypePlanner`] (registered with
//! the session) changes only where Daft differs: `FLOAT` without a precision
//! (or with more than 24 bits) is Float64, `TIMESTAMP` and `TIME` are in
//! microseconds, `BINARY` is variable-length, strings are `Utf8` (Daft's
//! String, never a string view), `INT8` is refused as Daft refuses
//! it (it means 64 bits in PostgreSQL, 8 in ClickHouse), the sized names
//! (`int64`, `uint32`, `float32`, ...) are the types they name, and the
//! multimodal types are Daft's: `IMAGE`, `IMAGE(RGB)`, `IMAGE(RGB, 28, 28)`,
//! `TENSOR(float)`, `TENSOR(float, 2, 3)`, `EMBEDDING(float, 384)` (their
//! Arrow layouts and field metadata from `ketch_functions::multimodal::types`).

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{Result, plan_datafusion_err, plan_err};
use datafusion::execution::SessionState;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::{DataType as SqlType, ExactNumberInfo, TimezoneInfo};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;
use ketch_functions::multimodal::types::{ImageMode, Logical};

/// Plans SQL types as Daft does (see the module docs); registered with the
/// session, so SQL `CAST`s use it.
#[derive(Debug, Default)]
pub struct DaftTypePlanner;

impl TypePlanner for DaftTypePlanner {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<FieldRef>> {
        Ok(daft_type(sql_type)?.map(Arc::new))
    }
}

/// The field of a SQL type where Daft's differs from DataFusion's; `None`:
/// DataFusion's conversion.
fn daft_type(t: &SqlType) -> Result<Option<Field>> {
    let plain = |t: DataType| Ok(Some(Field::new("", t, true)));
    match t {
        SqlType::Float(info) => match info {
            ExactNumberInfo::Precision(p) | ExactNumberInfo::PrecisionAndScale(p, _) if *p <= 24 => {
                plain(DataType::Float32)
            }
            _ => plain(DataType::Float64),
        },
        // Daft's temporal types are in microseconds (DataFusion's in nanoseconds).
        SqlType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            plain(DataType::Timestamp(TimeUnit::Microsecond, None))
        }
        SqlType::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            plain(DataType::Time64(TimeUnit::Microsecond))
        }
        SqlType::Binary(_) => plain(DataType::Binary),
        // Daft's String (DataFusion's SQL planner may pick Utf8View).
        SqlType::Character(_)
        | SqlType::Char(_)
        | SqlType::CharacterVarying(_)
        | SqlType::CharVarying(_)
        | SqlType::Varchar(_)
        | SqlType::Nvarchar(_)
        | SqlType::Text
        | SqlType::String(_) => plain(DataType::Utf8),
        SqlType::Float32 => plain(DataType::Float32),
        SqlType::Float64 => plain(DataType::Float64),
        SqlType::Int16 => plain(DataType::Int16),
        SqlType::Int32 => plain(DataType::Int32),
        SqlType::Int64 => plain(DataType::Int64),
        SqlType::UInt8 => plain(DataType::UInt8),
        SqlType::UInt16 => plain(DataType::UInt16),
        SqlType::UInt32 => plain(DataType::UInt32),
        SqlType::UInt64 => plain(DataType::UInt64),
        SqlType::Int8(_) => plan_err!(
            "`INT8` is not supported, instead try using `int64` or `bigint` for 64-bit integer, or `tinyint` for 8-bit integer"
        ),
        SqlType::Custom(name, args) => custom(&name.to_string().to_lowercase(), args).map(Some),
        _ => Ok(None),
    }
}

/// Daft's names that SQL parsers read as custom types.
fn custom(name: &str, args: &[String]) -> Result<Field> {
    let plain = |t: DataType| Ok(Field::new("", t, true));
    let number = |s: &String| {
        s.trim().parse::<u64>().map_err(|_| plan_datafusion_err!("{name}: expected a positive integer, got {s}"))
    };
    let logical = match (name, args) {
        ("int8", []) => return plan_err!("`INT8` is not supported, instead try using `int64` or `bigint`"),
        ("int16", []) => return plain(DataType::Int16),
        ("int32", []) => return plain(DataType::Int32),
        ("int64", []) => return plain(DataType::Int64),
        ("uint8", []) => return plain(DataType::UInt8),
        ("uint16", []) => return plain(DataType::UInt16),
        ("uint32", []) => return plain(DataType::UInt32),
        ("uint64", []) => return plain(DataType::UInt64),
        ("float32", []) => return plain(DataType::Float32),
        ("float64", []) => return plain(DataType::Float64),
        ("image", []) => Logical::Image(None),
        ("image", [mode]) => Logical::Image(Some(ImageMode::parse(mode.trim())?)),
        ("image", [mode, h, w]) => {
            Logical::FixedShapeImage(ImageMode::parse(mode.trim())?, number(h)? as u32, number(w)? as u32)
        }
        ("tensor", [element]) => Logical::Tensor(element_type(element)?),
        ("tensor", [element, shape @ ..]) => {
            Logical::FixedShapeTensor(element_type(element)?, shape.iter().map(number).collect::<Result<_>>()?)
        }
        ("embedding", [element, size]) => Logical::Embedding(element_type(element)?, number(size)? as usize),
        _ => return plan_err!("custom data type: {name}"),
    };
    let field = Field::new("", logical.storage(), true);
    Ok(field.with_metadata(logical.metadata()?))
}

/// The element type of a tensor or embedding, written as a SQL type.
fn element_type(sql: &str) -> Result<DataType> {
    let t = parse(sql)?;
    match daft_type(&t)? {
        Some(f) => Ok(f.data_type().clone()),
        None => match t {
            SqlType::Int(_) | SqlType::Integer(_) => Ok(DataType::Int32),
            SqlType::BigInt(_) => Ok(DataType::Int64),
            SqlType::SmallInt(_) => Ok(DataType::Int16),
            SqlType::TinyInt(_) => Ok(DataType::Int8),
            SqlType::Real => Ok(DataType::Float32),
            SqlType::Double(_) | SqlType::DoublePrecision => Ok(DataType::Float64),
            SqlType::Bool | SqlType::Boolean => Ok(DataType::Boolean),
            other => plan_err!("tensor and embedding elements must be numeric, got {other}"),
        },
    }
}

/// `sql` parsed as exactly one SQL data type.
fn parse(sql: &str) -> Result<SqlType> {
    let mut parser = Parser::new(&GenericDialect {})
        .try_with_sql(sql)
        .map_err(|e| plan_datafusion_err!("cannot parse the data type {sql:?}: {e}"))?;
    let t = parser.parse_data_type().map_err(|e| plan_datafusion_err!("cannot parse the data type {sql:?}: {e}"))?;
    if parser.peek_token().token != Token::EOF {
        return plan_err!("cannot parse the data type {sql:?}: unexpected {}", parser.peek_token());
    }
    Ok(t)
}

/// The Arrow field (type and, for multimodal types, Daft's metadata) of the
/// SQL type `sql`, as Daft's `DataType.from_sql` reads it. Errors: a string
/// that is not one data type, or a type Daft does not support.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use arrow::datatypes::DataType;
/// let state = datafusion::prelude::SessionContext::new().state();
/// let f = ketch_plan::sql_types::sql_type(&state, "float").await?;
/// assert_eq!(f.data_type(), &DataType::Float64);
/// let f = ketch_plan::sql_types::sql_type(&state, "bigint").await?;
/// assert_eq!(f.data_type(), &DataType::Int64);
/// assert!(ketch_plan::sql_types::sql_type(&state, "int) AS x FROM t --").await.is_err());
/// # Ok::<_, datafusion::common::DataFusionError>(())
/// # }).unwrap();
/// ```
pub async fn sql_type(state: &SessionState, sql: &str) -> Result<Field> {
    let t = parse(sql)?;
    if let Some(field) = daft_type(&t)? {
        return Ok(field);
    }
    // DataFusion's conversion: the type of a typed NULL (the text is one
    // data type, checked above).
    let plan = state.create_logical_plan(&format!("SELECT CAST(NULL AS {t}) AS x")).await?;
    Ok(plan.schema().field(0).as_ref().clone().with_name(""))
}
