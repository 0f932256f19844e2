//! `hash` (bit-exact with Daft: a value hashes its little-endian bytes, a
//! string its UTF-8 bytes, a null the empty input), the text fingerprints
//! `minhash` and `simhash` (Daft's signatures bit for bit), and
//! `partition_iceberg_bucket` (the Iceberg spec's 32-bit Murmur3 bucket).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, Int32Builder, UInt32Array, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, TimeUnit};
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

/// A Daft `hash_function` with its seed: one 64-bit digest of a byte string.
#[derive(Clone, Copy)]
enum HashFunction {
    /// MurmurHash3 x86 32-bit.
    Murmur3(u32),
    XxHash3_64(u64),
    XxHash64(u64),
    XxHash32(u32),
    /// The first 8 bytes of the SHA-1 digest (little-endian) of the seed's
    /// 8 little-endian bytes, when seeded, followed by the input.
    Sha1(Option<u64>),
}

const HASH_FUNCTIONS: &str = "'murmurhash3', 'xxhash', 'xxhash3_64', 'xxhash64', 'xxhash32' or 'sha1'";

impl HashFunction {
    /// `name` (Daft's names, case-insensitive) seeded with `seed`; `murmurhash3`
    /// defaults to seed 42 and the xxHash family to 0, as Daft's `hash` does.
    fn new(name: &str, seed: Option<u64>) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "murmurhash3" => Self::Murmur3(seed.unwrap_or(42) as u32),
            "xxhash" | "xxhash3_64" => Self::XxHash3_64(seed.unwrap_or(0)),
            "xxhash64" => Self::XxHash64(seed.unwrap_or(0)),
            "xxhash32" => Self::XxHash32(seed.unwrap_or(0) as u32),
            "sha1" => Self::Sha1(seed),
            _ => return None,
        })
    }

    fn digest(self, bytes: &[u8]) -> u64 {
        match self {
            Self::Murmur3(seed) => murmur3_32(seed, bytes) as u64,
            Self::XxHash3_64(seed) => twox_hash::XxHash3_64::oneshot_with_seed(seed, bytes),
            Self::XxHash64(seed) => twox_hash::XxHash64::oneshot(seed, bytes),
            Self::XxHash32(seed) => twox_hash::XxHash32::oneshot(seed, bytes) as u64,
            Self::Sha1(seed) => {
                use sha1::Digest;
                let mut h = sha1::Sha1::new();
                if let Some(seed) = seed {
                    h.update(seed.to_le_bytes());
                }
                h.update(bytes);
                let d = h.finalize();
                u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
            }
        }
    }
}

/// The literal `hash_function` argument `i` of `a`, seeded with `seed`.
fn hash_function(a: &Args, i: usize, default: &str, seed: Option<u64>) -> Result<HashFunction> {
    let name = a.str(i)?.unwrap_or_else(|| default.into());
    match HashFunction::new(&name, seed) {
        Some(f) => Ok(f),
        None => a.type_error(&format!("hash_function {HASH_FUNCTIONS}, not {name:?}")),
    }
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
    let f = hash_function(a, 2, "xxhash", a.int(1)?.map(|s| s as u64))?;
    let t = a.ty(0).clone();
    let udf = udf("hash", vec![t], DataType::UInt64, move |arrays| {
        let arr = &arrays[0];
        let mut b = UInt64Builder::with_capacity(arr.len());
        for i in 0..arr.len() {
            match value_bytes(arr, i) {
                Some(bytes) => b.append_value(f.digest(&bytes)),
                None => return exec_err!("hash: unsupported type {}", arr.data_type()),
            }
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    });
    Ok(udf.call(vec![a.arg(0)]))
}

/// The word n-grams MinHash hashes, as Daft forms them: a word starts at the
/// beginning and after every single space; a window of `n` consecutive words
/// runs to the space before the next word (the string's end for the last),
/// so runs of spaces stay inside the n-grams; the whole string when it has
/// fewer than `n` words; none for the empty string.
fn word_ngrams(s: &str, n: usize) -> Vec<&str> {
    if s.is_empty() {
        return vec![];
    }
    let starts: Vec<usize> = std::iter::once(0).chain(s.match_indices(' ').map(|(i, _)| i + 1)).collect();
    if n > starts.len() {
        return vec![s];
    }
    (0..=starts.len() - n)
        .map(|c| {
            let end = starts.get(c + n).map_or(s.len(), |next| next - 1);
            &s[starts[c]..end]
        })
        .collect()
}

/// `minhash(text, num_hashes, ngram_size, seed=1, hash_function='murmurhash3')`:
/// for each of `num_hashes` permutations `h -> (a*h + b) mod (2^61 - 1)`
/// (kept to 32 bits), the least permuted 32-bit hash over the word n-grams.
/// The coefficients are drawn from fastrand seeded with `seed` (all `a` in
/// [1, 2^31 - 1), then all `b` in [0, 2^31 - 1)), as Daft draws them, so
/// signatures are Daft's bit for bit. Result: `FixedSizeList[UInt32; num_hashes]`.
fn minhash(a: &Args) -> Result<Expr> {
    if !super::is_string(a.ty(0)) {
        return a.type_error("a string input");
    }
    let (Some(k), Some(n)) = (a.int(1)?, a.int(2)?) else { return a.type_error("integer num_hashes and ngram_size") };
    if k <= 0 || n <= 0 || k > i32::MAX as i64 {
        return a.type_error("num_hashes > 0 and ngram_size > 0");
    }
    let (k, n) = (k as usize, n as usize);
    let seed = a.int(3)?.unwrap_or(1) as u32;
    let f = match hash_function(a, 4, "murmurhash3", Some(seed as u64))? {
        HashFunction::Sha1(_) => HashFunction::Sha1(None), // Daft's MinHash SHA-1 is unseeded
        f => f,
    };
    let mut rng = fastrand::Rng::with_seed(seed as u64);
    let perm_a: Vec<u64> = (0..k).map(|_| rng.u64(1..i32::MAX as u64)).collect();
    let perm_b: Vec<u64> = (0..k).map(|_| rng.u64(0..i32::MAX as u64)).collect();
    let item = Arc::new(Field::new("item", DataType::UInt32, true));
    let out = DataType::FixedSizeList(item.clone(), k as i32);
    let udf = udf("minhash", vec![DataType::Utf8], out, move |arrays| {
        let s = arrays[0].as_string::<i32>();
        let mut values = Vec::with_capacity(s.len() * k);
        let mut mins = vec![0u64; k];
        for v in s.iter() {
            mins.fill(u32::MAX as u64);
            for gram in v.map(|v| word_ngrams(v, n)).unwrap_or_default() {
                let h = f.digest(gram.as_bytes()) as u32 as u64;
                for ((m, pa), pb) in mins.iter_mut().zip(&perm_a).zip(&perm_b) {
                    // (x mod 2^61-1) by Daft's shift-and-add reduction, then the low 32 bits.
                    let x = h * pa + pb;
                    *m = (*m).min((x + (x >> 61)) & 0xffff_ffff);
                }
            }
            values.extend(mins.iter().map(|m| *m as u32));
        }
        let list = FixedSizeListArray::try_new(
            item.clone(),
            k as i32,
            Arc::new(UInt32Array::from(values)),
            s.nulls().cloned(),
        )?;
        Ok(Arc::new(list) as ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

/// `simhash(text, ngram_size=3, hash_function='xxhash3_64')`: Charikar's
/// 64-bit SimHash over the character (code point) n-grams, each occurrence
/// weighted 1 and hashed unseeded; a bit is set where more n-gram hashes
/// have it set than clear. Text shorter than `ngram_size` gives 0. UInt64.
fn simhash(a: &Args) -> Result<Expr> {
    if !super::is_string(a.ty(0)) {
        return a.type_error("a string input");
    }
    let n = a.int(1)?.unwrap_or(3);
    if n <= 0 {
        return a.type_error("ngram_size > 0");
    }
    let n = n as usize;
    let f = match hash_function(a, 2, "xxhash3_64", Some(0))? {
        HashFunction::Sha1(_) => HashFunction::Sha1(None),
        f => f,
    };
    let udf = udf("simhash", vec![DataType::Utf8], DataType::UInt64, move |arrays| {
        let s = arrays[0].as_string::<i32>();
        let out: UInt64Array = s.iter().map(|v| v.map(|v| simhash_of(v, n, f))).collect();
        Ok(Arc::new(out) as ArrayRef)
    });
    Ok(udf.call(vec![cast(a.arg(0), DataType::Utf8)]))
}

fn simhash_of(s: &str, n: usize, f: HashFunction) -> u64 {
    let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect();
    let mut weights = [0i64; 64];
    for w in bounds.windows(n + 1) {
        let h = f.digest(&s.as_bytes()[w[0]..w[n]]);
        for (bit, weight) in weights.iter_mut().enumerate() {
            *weight += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    weights.iter().enumerate().filter(|(_, w)| **w > 0).fold(0, |acc, (bit, _)| acc | 1 << bit)
}

/// MurmurHash3 x86 32-bit (seed 0 is the Iceberg spec's bucket hash).
pub fn murmur3_32(seed: u32, data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h: u32 = seed;
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
                let h = murmur3_32(0, &iceberg_bytes(arr, i)?) as i32;
                b.append_value(((h & i32::MAX) as i64 % n) as i32);
            }
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    });
    Ok(udf.call(vec![input]))
}

pub fn functions() -> Vec<DaftFunction> {
    vec![
        DaftFunction::variadic("hash", hash),
        DaftFunction::new("minhash", 5, minhash),
        DaftFunction::new("simhash", 3, simhash),
        DaftFunction::new("partition_iceberg_bucket", 2, iceberg_bucket),
    ]
}

#[cfg(test)]
mod tests {
    use super::murmur3_32;

    #[test]
    fn murmur3_matches_the_iceberg_spec_vectors() {
        // Iceberg spec, "Appendix B: 32-bit Hash Requirements".
        assert_eq!(murmur3_32(0, &34i64.to_le_bytes()) as i32, 2017239379);
        assert_eq!(murmur3_32(0, "iceberg".as_bytes()) as i32, 1210000089);
        assert_eq!(murmur3_32(0, &17486i64.to_le_bytes()) as i32, -653330422); // date 2017-11-16
    }

    #[test]
    fn word_ngrams_follow_daft_windows() {
        use super::word_ngrams;
        assert_eq!(word_ngrams("the quick brown fox", 3), ["the quick brown", "quick brown fox"]);
        assert_eq!(word_ngrams("one two", 3), ["one two"]);
        assert_eq!(word_ngrams("a b ", 1), ["a", "b", ""]);
        assert_eq!(word_ngrams("one  two three ", 2), ["one ", " two", "two three", "three "]);
        assert!(word_ngrams("", 2).is_empty());
    }
}
