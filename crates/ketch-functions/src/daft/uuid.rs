//! The UUID type, `uuid(version)` and the UUIDv7 partition transforms
//! `extract_{day,hour,minute,month}_uuid7`.
//!
//! A UUID column is Arrow's canonical `arrow.uuid` extension type:
//! `FixedSizeBinary(16)` storage (the 16 bytes in RFC 9562 order) with the
//! extension name in the field metadata. It is Daft 0.7.26's `UUID` layout,
//! so pyarrow reads it as `pa.uuid()` and Parquet files written by one engine
//! read in the other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::{ArrayRef, AsArray, FixedSizeBinaryArray, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{ExprSchema, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::{call, cast, lit};
use crate::function::{Args, DaftFunction};

/// The field-metadata key naming an Arrow extension type.
pub const EXTENSION_TYPE_NAME_KEY: &str = "ARROW:extension:name";

/// The canonical extension name of the UUID type.
pub const UUID_EXTENSION: &str = "arrow.uuid";

/// The storage type of a UUID: 16 bytes.
pub const UUID_STORAGE: DataType = DataType::FixedSizeBinary(16);

/// A nullable UUID field named `name`.
pub fn uuid_field(name: &str) -> Field {
    Field::new(name, UUID_STORAGE, true)
        .with_metadata(HashMap::from([(EXTENSION_TYPE_NAME_KEY.to_string(), UUID_EXTENSION.to_string())]))
}

/// A UUID generator: a volatile nullary function giving a fresh UUID per row.
#[derive(Debug, PartialEq, Eq, Hash)]
struct UuidGenerator {
    v7: bool,
    signature: Signature,
}

impl UuidGenerator {
    fn new(v7: bool) -> Self {
        Self { v7, signature: Signature::nullary(Volatility::Volatile) }
    }
}

impl ScalarUDFImpl for UuidGenerator {
    fn name(&self) -> &str {
        if self.v7 { "uuid_v7" } else { "uuid_v4" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(UUID_STORAGE)
    }
    fn return_field_from_args(&self, _: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(uuid_field(self.name())))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let values: Vec<[u8; 16]> =
            if self.v7 { v7_batch(n) } else { (0..n).map(|_| uuid::Uuid::new_v4().into_bytes()).collect() };
        Ok(ColumnarValue::Array(Arc::new(FixedSizeBinaryArray::try_from_iter(values.into_iter())?)))
    }
}

/// The last UUIDv7 handed out: its millisecond and 74 random/counter bits.
static LAST_V7: Mutex<(u64, u128)> = Mutex::new((0, 0));

const RAND_BITS: u32 = 74;

/// `n` UUIDv7s (RFC 9562): a 48-bit Unix millisecond timestamp, then 74
/// bits that start random each millisecond and count up within it
/// (the RFC's "monotonic random" method), so values sort in the order
/// they were made, also across batches of one process.
fn v7_batch(n: usize) -> Vec<[u8; 16]> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let random = || u128::from_le_bytes(uuid::Uuid::new_v4().into_bytes()) >> (128 - RAND_BITS + 1);
    let mut last = LAST_V7.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (ms, bits) = if now > last.0 {
            (now, random())
        } else if last.1 + 1 < 1 << RAND_BITS {
            (last.0, last.1 + 1)
        } else {
            (last.0 + 1, random())
        };
        *last = (ms, bits);
        let rand_a = (bits >> 62) & 0xfff;
        let rand_b = bits & ((1 << 62) - 1);
        let v = (ms as u128 & 0xffff_ffff_ffff) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b;
        out.push(v.to_be_bytes());
    }
    out
}

/// `uuid(version='v4')`: a fresh UUID per row, random (`v4`) or time-ordered (`v7`).
fn generate(a: &Args) -> Result<Expr> {
    let v7 = match a.str(0)?.as_deref() {
        None | Some("v4") => false,
        Some("v7") => true,
        Some(other) => return a.type_error(&format!("version 'v4' or 'v7', not {other:?}")),
    };
    Ok(ScalarUDF::new_from_impl(UuidGenerator::new(v7)).call(vec![]))
}

/// The Unix milliseconds in the first 48 bits of each 16-byte UUID, as Int64.
fn uuid7_millis(a: &Args) -> Result<Expr> {
    if a.ty(0) != &UUID_STORAGE {
        return a.type_error("a UUID or FixedSizeBinary(16) input");
    }
    let udf = super::kernels::udf("uuid7_millis", vec![UUID_STORAGE], DataType::Int64, |arrays| {
        let ids = arrays[0].as_fixed_size_binary();
        let ms: Int64Array =
            ids.iter().map(|v| v.map(|b| i64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]))).collect();
        Ok(Arc::new(ms) as ArrayRef)
    });
    Ok(udf.call(vec![a.arg(0)]))
}

/// True when `field` is a UUID column.
pub fn is_uuid(field: &Field) -> bool {
    field.data_type() == &UUID_STORAGE
        && field.metadata().get(EXTENSION_TYPE_NAME_KEY).is_some_and(|n| n == UUID_EXTENSION)
}

/// A cast of a UUID to a string gives its hyphenated form (`0190...-...`),
/// as in Daft; Arrow's cast has no rule for it, so the analyzer replaces
/// such casts with this kernel. None when `expr` is no such cast.
pub fn rewrite_cast(expr: &Expr, schema: &dyn ExprSchema) -> Result<Option<Expr>> {
    let (inner, to) = match expr {
        Expr::Cast(c) => (c.expr.as_ref(), c.field.data_type()),
        Expr::TryCast(c) => (c.expr.as_ref(), c.field.data_type()),
        _ => return Ok(None),
    };
    if !matches!(to, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) || !is_uuid(&inner.to_field(schema)?.1)
    {
        return Ok(None);
    }
    Ok(Some(cast(to_string_kernel().call(vec![inner.clone()]), to.clone())))
}

/// `ketch_uuid_to_string`: each 16-byte UUID in its hyphenated form (one
/// instance, registered by name, so plans with it travel).
pub fn to_string_kernel() -> Arc<ScalarUDF> {
    static KERNEL: std::sync::OnceLock<Arc<ScalarUDF>> = std::sync::OnceLock::new();
    KERNEL
        .get_or_init(|| {
            Arc::new(super::kernels::udf("ketch_uuid_to_string", vec![UUID_STORAGE], DataType::Utf8, |arrays| {
                let ids = arrays[0].as_fixed_size_binary();
                let text: StringArray = ids
                    .iter()
                    .map(|v| v.and_then(|b| uuid::Uuid::from_slice(b).ok()).map(|u| u.hyphenated().to_string()))
                    .collect();
                Ok(Arc::new(text) as ArrayRef)
            }))
        })
        .clone()
}

/// `extract_<unit>_uuid7`: whole `unit`s (of `ms` milliseconds) since the epoch.
fn since_epoch(name: &'static str, ms: i64) -> DaftFunction {
    DaftFunction::new(name, 1, move |a| Ok(uuid7_millis(a)? / lit(ms)))
}

pub fn functions() -> Vec<DaftFunction> {
    vec![
        DaftFunction::new("uuid", 1, generate).volatile().nullary_allowed(),
        since_epoch("extract_day_uuid7", 86_400_000),
        since_epoch("extract_hour_uuid7", 3_600_000),
        since_epoch("extract_minute_uuid7", 60_000),
        // (year - 1970) * 12 + (month - 1), as partition_months.
        DaftFunction::new("extract_month_uuid7", 1, |a| {
            let ts = cast(uuid7_millis(a)?, DataType::Timestamp(TimeUnit::Millisecond, None));
            let part = |p: &str| {
                Ok::<_, datafusion::common::DataFusionError>(cast(
                    call("date_part", vec![lit(p), ts.clone()])?,
                    DataType::Int64,
                ))
            };
            Ok((part("year")? - lit(1970i64)) * lit(12i64) + part("month")? - lit(1i64))
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::v7_batch;

    #[test]
    fn v7_uuids_have_version_variant_time_and_order() {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
        let ids = v7_batch(1000);
        for id in &ids {
            let u = uuid::Uuid::from_bytes(*id);
            assert_eq!(u.get_version_num(), 7);
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
            let ms = u64::from_be_bytes([0, 0, id[0], id[1], id[2], id[3], id[4], id[5]]);
            assert!(ms >= now && ms < now + 60_000);
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "v7 UUIDs of one process sort in creation order");
    }
}
