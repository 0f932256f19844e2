//! `hash` (xxHash, bit-exact with Daft: a value hashes its little-endian
//! bytes, a string its UTF-8 bytes, a null the empty input) and
//! `partition_iceberg_bucket` (the Iceberg spec's 32-bit Murmur3 bucket).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Builder, UInt64Builder};
use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::logical_expr::Expr;

use super::cast;
use super::kernels::udf;
use crate::function::{Args, DaftFunction};

/// The bytes Daft hashes for row `i` of `a`, or None for a type it does not hash.
fn value_bytes(a: &ArrayRef, i: usize) -> Option<Vec<u8>> {
    use arrow::datatypes::*;
    if a.is_null(i) {
        return Some(vec![]);
    }
    macro_rules! prim {
        ($t:ty) => {
            Some(a.as_primitive::<$t>().value(i).to_le_bytes().to_vec())
        };
    }
    match a.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Float64 => prim!(Float64Type),
        DataType::Date32 => prim!(Date32Type),
        DataType::Utf8 => Some(a.as_string::<i32>().value(i).as_bytes().to_vec()),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i).as_bytes().to_vec()),
        DataType::Binary => Some(a.as_binary::<i32>().value(i).to_vec()),
        DataType::LargeBinary => Some(a.as_binary::<i64>().value(i).to_vec()),
        _ => None,
    }
}

fn hashable(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || t.is_null()
        || matches!(
            t,
            DataType::Date32 | DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary
        )
}

fn hash(a: &Args) -> Result<Expr> {
    // (expr[, seed[, hash_function]]): Python always passes all three.
    let n = a.exprs.len();
    if n > 3 {
        return a.type_error("one expression to hash (ketch hashes a single column)");
    }
    if !hashable(a.ty(0)) {
        return a.type_error("an integer, float, date, string or binary input");
    }
    let seed = a.int(1)?.unwrap_or(0) as u64;
    let algo = a.str(2)?.unwrap_or_else(|| "xxhash".into());
    let f: fn(u64, &[u8]) -> u64 = match algo.as_str() {
        "xxhash" | "xxhash3_64" => |s, b| twox_hash::XxHash3_64::oneshot_with_seed(s, b),
        "xxhash64" => |s, b| twox_hash::XxHash64::oneshot(s, b),
        "xxhash32" => |s, b| twox_hash::XxHash32::oneshot(s as u32, b) as u64,
        other => {
            return a
                .type_error(&format!("hash_function 'xxhash', 'xxhash3_64', 'xxhash64' or 'xxhash32', not {other:?}"));
        }
    };
    let t = a.ty(0).clone();
    let udf = udf("hash", vec![t], DataType::UInt64, move |arrays| {
        let arr = &arrays[0];
        let mut b = UInt64Builder::with_capacity(arr.len());
        for i in 0..arr.len() {
            match value_bytes(arr, i) {
                Some(bytes) => b.append_value(f(seed, &bytes)),
                None => return exec_err!("hash: unsupported type {}", arr.data_type()),
            }
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    });
    Ok(udf.call(vec![a.arg(0)]))
}

/// MurmurHash3 x86 32-bit with seed 0, as the Iceberg spec's bucket transform uses.
pub fn murmur3_32(data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h: u32 = 0;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let mut k: u32 = 0;
    for (i, b) in tail.iter().enumerate() {
        k |= (*b as u32) << (8 * i);
    }
    if !tail.is_empty() {
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The bytes the Iceberg spec hashes for row `i`: integers, dates and
/// timestamps as an 8-byte little-endian long, strings as UTF-8.
fn iceberg_bytes(a: &ArrayRef, i: usize) -> Result<Vec<u8>> {
    use arrow::datatypes::*;
    let long = |v: i64| v.to_le_bytes().to_vec();
    Ok(match a.data_type() {
        t if t.is_integer() => {
            let v = arrow::compute::cast(&a.slice(i, 1), &DataType::Int64)?;
            long(v.as_primitive::<Int64Type>().value(0))
        }
        DataType::Date32 => long(a.as_primitive::<Date32Type>().value(i) as i64),
        DataType::Timestamp(TimeUnit::Microsecond, _) => long(a.as_primitive::<TimestampMicrosecondType>().value(i)),
        DataType::Utf8 => a.as_string::<i32>().value(i).as_bytes().to_vec(),
        DataType::Binary => a.as_binary::<i32>().value(i).to_vec(),
        t => return Err(DataFusionError::Execution(format!("partition_iceberg_bucket: unsupported type {t}"))),
    })
}

fn iceberg_bucket(a: &Args) -> Result<Expr> {
    let Some(n) = a.int(1)?.filter(|n| *n > 0 && *n <= i32::MAX as i64) else {
        return a.type_error("a bucket count n > 0");
    };
    let input = match a.ty(0) {
        t if t.is_integer() || matches!(t, DataType::Date32 | DataType::Utf8 | DataType::Binary) => a.arg(0),
        DataType::Timestamp(_, tz) => cast(a.arg(0), DataType::Timestamp(TimeUnit::Microsecond, tz.clone())),
        DataType::LargeUtf8 | DataType::Utf8View => cast(a.arg(0), DataType::Utf8),
        DataType::LargeBinary | DataType::BinaryView => cast(a.arg(0), DataType::Binary),
        _ => return a.type_error("an integer, date, timestamp, string or binary input"),
    };
    let t = match a.ty(0) {
        DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::LargeBinary | DataType::BinaryView => DataType::Binary,
        t => t.clone(),
    };
    let udf = udf("partition_iceberg_bucket", vec![t], DataType::Int32, move |arrays| {
        let arr = &arrays[0];
        let mut b = Int32Builder::with_capacity(arr.len());
        for i in 0..arr.len() {
            if arr.is_null(i) {
                b.append_null();
            } else {
                let h = murmur3_32(&iceberg_bytes(arr, i)?) as i32;
                b.append_value(((h & i32::MAX) as i64 % n) as i32);
            }
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    });
    Ok(udf.call(vec![input]))
}

pub fn functions() -> Vec<DaftFunction> {
    vec![DaftFunction::variadic("hash", hash), DaftFunction::new("partition_iceberg_bucket", 2, iceberg_bucket)]
}

#[cfg(test)]
mod tests {
    use super::murmur3_32;

    #[test]
    fn murmur3_matches_the_iceberg_spec_vectors() {
        // Iceberg spec, "Appendix B: 32-bit Hash Requirements".
        assert_eq!(murmur3_32(&34i64.to_le_bytes()) as i32, 2017239379);
        assert_eq!(murmur3_32("iceberg".as_bytes()) as i32, 1210000089);
        assert_eq!(murmur3_32(&17486i64.to_le_bytes()) as i32, -653330422); // date 2017-11-16
    }
}
