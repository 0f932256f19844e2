//! Vector similarities and distances (Daft's `distance` and `similarity`
//! groups): over `Embedding` or fixed-size-list columns of Int8, Float32 or
//! Float64 values, one Float64 per row; `hamming_distance` over integers
//! (bits) or fixed-size binary (e.g. `image_hash` results).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Float64Builder, UInt32Builder};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::ScalarUDF;

use super::{Call, MediaFunction};

/// The vector length of argument `i` (a fixed-size list or embedding of Int8/Float32/Float64).
fn vector_len(c: &Call, i: usize) -> Result<i32> {
    let name = |j: usize| c.logical(j).map_or_else(|| super::types::daft_name(c.data_type(j)), |l| l.to_string());
    let (DataType::FixedSizeList(a, n), DataType::FixedSizeList(b, m)) = (c.data_type(0), c.data_type(1)) else {
        return plan_err!(
            "Expected inputs to '{}' to be fixed size list or embedding, instead got {} and {}",
            c.name,
            name(0),
            name(1)
        );
    };
    let (a, b) = (a.data_type(), b.data_type());
    if a != b {
        return plan_err!("Expected inputs to '{}' to have the same inner dtype, instead got {a} and {b}", c.name);
    }
    if !matches!(a, DataType::Int8 | DataType::Float32 | DataType::Float64) {
        return plan_err!("Expected inputs to '{}' to have Int8|Float32|Float64 inner dtype, instead got {a}", c.name);
    }
    if n != m {
        return plan_err!("Expected inputs to '{}' to have the same size, instead got {n} and {m}", c.name);
    }
    Ok(if i == 0 { *n } else { *m })
}

/// Row `i` of a fixed-size list array as f64 values (None when null).
fn rows(a: &ArrayRef) -> Result<(Float64Array, usize, Option<arrow::buffer::NullBuffer>)> {
    let l = a.as_fixed_size_list();
    let values = arrow::compute::cast(l.values(), &DataType::Float64)?;
    Ok((values.as_primitive::<Float64Type>().clone(), l.value_length() as usize, l.logical_nulls()))
}

fn pairwise(name: &'static str, f: fn(&[f64], &[f64]) -> Option<f64>) -> MediaFunction {
    MediaFunction::new(
        name,
        move |c| {
            vector_len(c, 0)?;
            Ok(Field::new(name, DataType::Float64, true))
        },
        move |_, a, _| {
            let ((x, n, xn), (y, m, yn)) = (rows(&a[0])?, rows(&a[1])?);
            if n != m {
                return exec_err!("{name}: vectors must have the same length, got {n} and {m}");
            }
            let len = a[0].len();
            let mut out = Float64Builder::with_capacity(len);
            let (xv, yv) = (x.values(), y.values());
            for i in 0..len {
                let null = xn.as_ref().is_some_and(|b| b.is_null(i)) || yn.as_ref().is_some_and(|b| b.is_null(i));
                if null {
                    out.append_null();
                } else {
                    out.append_option(f(&xv[i * n..(i + 1) * n], &yv[i * n..(i + 1) * n]));
                }
            }
            Ok(Arc::new(out.finish()))
        },
    )
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// Cosine similarity; null when either vector is all zeros (as Daft).
fn cosine_similarity(x: &[f64], y: &[f64]) -> Option<f64> {
    let d = norm(x) * norm(y);
    (d != 0.0).then(|| dot(x, y) / d)
}

/// `1 - cosine similarity`; NaN when either vector is all zeros (as Daft).
fn cosine_distance(x: &[f64], y: &[f64]) -> Option<f64> {
    Some(1.0 - dot(x, y) / (norm(x) * norm(y)))
}

/// Pearson correlation, `sum(dx dy) / sqrt(sum(dx^2) sum(dy^2))` over the
/// deviations from the means (Daft's formula); null when either vector is
/// constant (as Daft).
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let d = (sxx * syy).sqrt();
    (d != 0.0).then(|| sxy / d)
}

fn euclidean(x: &[f64], y: &[f64]) -> Option<f64> {
    Some(x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt())
}

/// Jaccard similarity of the sets of non-zero positions.
fn jaccard(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mut inter, mut union) = (0usize, 0usize);
    for (a, b) in x.iter().zip(y) {
        let (a, b) = (*a != 0.0, *b != 0.0);
        inter += usize::from(a && b);
        union += usize::from(a || b);
    }
    Some(inter as f64 / union as f64)
}

/// Differing bits of two integers or two fixed-size binaries, as UInt32.
fn hamming() -> MediaFunction {
    MediaFunction::new(
        "hamming_distance",
        |c| match (c.data_type(0), c.data_type(1)) {
            (a, b) if a.is_integer() && b.is_integer() => Ok(Field::new("hamming_distance", DataType::UInt32, true)),
            (DataType::FixedSizeBinary(a), DataType::FixedSizeBinary(b)) if a == b => {
                Ok(Field::new("hamming_distance", DataType::UInt32, true))
            }
            (DataType::FixedSizeBinary(a), DataType::FixedSizeBinary(b)) => {
                plan_err!("FixedSizeBinary sizes must match, got {a} and {b}")
            }
            (a, b) => plan_err!(
                "hamming_distance requires both inputs to be integer types or FixedSizeBinary of matching size, got {a} and {b}"
            ),
        },
        |_, a, _| {
            let len = a[0].len();
            let mut out = UInt32Builder::with_capacity(len);
            if let (DataType::FixedSizeBinary(_), DataType::FixedSizeBinary(_)) = (a[0].data_type(), a[1].data_type()) {
                let (x, y) = (a[0].as_fixed_size_binary(), a[1].as_fixed_size_binary());
                for i in 0..len {
                    if x.is_null(i) || y.is_null(i) {
                        out.append_null();
                    } else {
                        let bits: u32 = x.value(i).iter().zip(y.value(i)).map(|(p, q)| (p ^ q).count_ones()).sum();
                        out.append_value(bits);
                    }
                }
            } else {
                // Non-negative integers: the bits that differ (a negative value gives null, as Daft).
                let (x, y) =
                    (arrow::compute::cast(&a[0], &DataType::Int64)?, arrow::compute::cast(&a[1], &DataType::Int64)?);
                let (x, y) = (x.as_primitive::<Int64Type>(), y.as_primitive::<Int64Type>());
                let unsigned = |t: &DataType| matches!(t, DataType::UInt64);
                let (ux, uy) = (unsigned(a[0].data_type()), unsigned(a[1].data_type()));
                for i in 0..len {
                    if x.is_null(i) || y.is_null(i) || (!ux && x.value(i) < 0) || (!uy && y.value(i) < 0) {
                        out.append_null();
                    } else {
                        out.append_value((x.value(i) as u64 ^ y.value(i) as u64).count_ones());
                    }
                }
            }
            Ok(Arc::new(out.finish()))
        },
    )
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        pairwise("cosine_similarity", cosine_similarity).udf(),
        pairwise("cosine_distance", cosine_distance).udf(),
        pairwise("dot_product", |x, y| Some(dot(x, y))).udf(),
        pairwise("euclidean_distance", euclidean).udf(),
        pairwise("jaccard_similarity", jaccard).udf(),
        pairwise("pearson_correlation", pearson).udf(),
        hamming().udf(),
    ]
}
