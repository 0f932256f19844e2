//! Perceptual image hashes (`image_hash`), the algorithms of the `imagehash`
//! Python package as Daft 0.7.26 computes them: the image in grayscale
//! (Rec. 709 luma), resized with the bilinear (triangle) filter, one bit per
//! cell, packed most significant bit first. Bit-exact with Daft.

use datafusion::common::{Result, plan_err};
use image::DynamicImage;
use image::imageops::FilterType;

/// The hash methods ketch computes.
const METHODS: [&str; 5] = ["ahash", "dhash", "dhash_vertical", "phash", "phash_simple"];

/// Bytes in a hash of `method` with `hash_size` (planning-time check of the arguments).
pub fn hash_bytes(method: &str, hash_size: i64) -> Result<usize> {
    if !METHODS.contains(&method) {
        return plan_err!("image_hash: method {method:?} is not supported; expected one of {}", METHODS.join(", "));
    }
    if !(2..=64).contains(&hash_size) {
        return plan_err!("image_hash: hash_size must be between 2 and 64, got {hash_size}");
    }
    Ok(((hash_size * hash_size) as usize).div_ceil(8))
}

/// Grayscale pixels of `img` resized (bilinear) to `w` x `h`, row-major, as f64.
fn gray(img: &DynamicImage, w: u32, h: u32) -> Vec<f64> {
    let g = img.to_luma8();
    let small = image::imageops::resize(&g, w, h, FilterType::Triangle);
    small.into_raw().into_iter().map(f64::from).collect()
}

fn pack(bits: impl Iterator<Item = bool>) -> Vec<u8> {
    let bits: Vec<bool> = bits.collect();
    bits.chunks(8).map(|c| c.iter().enumerate().fold(0u8, |b, (i, &on)| b | (u8::from(on) << (7 - i)))).collect()
}

/// DCT-II (orthogonality as scipy's default, unnormalized) of `x`.
fn dct(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    (0..x.len())
        .map(|k| {
            2.0 * x
                .iter()
                .enumerate()
                .map(|(i, v)| v * (std::f64::consts::PI * k as f64 * (2.0 * i as f64 + 1.0) / (2.0 * n)).cos())
                .sum::<f64>()
        })
        .collect()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

/// The hash of `img` by `method` with a `hash_size` x `hash_size` grid.
pub fn hash(img: &DynamicImage, method: &str, hash_size: u32) -> Result<Vec<u8>> {
    let n = hash_size as usize;
    Ok(match method {
        "ahash" => {
            let px = gray(img, hash_size, hash_size);
            let mean = px.iter().sum::<f64>() / px.len() as f64;
            pack(px.iter().map(|p| *p > mean))
        }
        "dhash" => {
            let px = gray(img, hash_size + 1, hash_size);
            pack((0..n).flat_map(|r| {
                let row = &px[r * (n + 1)..(r + 1) * (n + 1)];
                (0..n).map(move |c| row[c + 1] > row[c]).collect::<Vec<_>>()
            }))
        }
        "dhash_vertical" => {
            let px = gray(img, hash_size, hash_size + 1);
            pack((0..n).flat_map(|r| (0..n).map(|c| px[(r + 1) * n + c] > px[r * n + c]).collect::<Vec<_>>()))
        }
        "phash" | "phash_simple" => {
            let size = hash_size * 4;
            let m = size as usize;
            let px = gray(img, size, size);
            // DCT along rows (axis 1) of every row.
            let rows: Vec<Vec<f64>> = px.chunks(m).map(dct).collect();
            if method == "phash_simple" {
                let low: Vec<f64> = (0..n).flat_map(|r| rows[r][1..=n].to_vec()).collect();
                let mean = low.iter().sum::<f64>() / low.len() as f64;
                pack(low.iter().map(|v| *v > mean))
            } else {
                // then along columns (axis 0), keeping the top-left n x n.
                let cols: Vec<Vec<f64>> = (0..n).map(|c| dct(&rows.iter().map(|r| r[c]).collect::<Vec<_>>())).collect();
                let low: Vec<f64> = (0..n).flat_map(|r| (0..n).map(|c| cols[c][r]).collect::<Vec<_>>()).collect();
                let med = median(&low);
                pack(low.iter().map(|v| *v > med))
            }
        }
        other => return plan_err!("image_hash: method {other:?} is not supported"),
    })
}
