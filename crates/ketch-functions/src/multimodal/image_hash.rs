//! Perceptual image hashes (`image_hash`), the algorithms of the `imagehash`
//! Python package as Daft 0.7.26 computes them: the image in grayscale
//! (Rec. 709 luma), resized with the bilinear (triangle) filter, one bit per
//! cell, packed most significant bit first. Bit-exact with Daft.
//!
//! Where Daft departs from `imagehash`, ketch follows Daft: `whash` compares
//! the min-max normalised low band to its mean (not the median), `colorhash`
//! takes black as Rec. 601 luma below 31.5 and counts saturation 170 as faint,
//! and `crop_resistant` is a grid of `phash`es (not `imagehash`'s
//! segmentation).

use datafusion::common::{Result, plan_err};
use image::DynamicImage;
use image::imageops::FilterType;

/// The hash methods, as Daft names them.
const METHODS: [&str; 8] =
    ["ahash", "dhash", "dhash_vertical", "phash", "phash_simple", "whash", "crop_resistant", "colorhash"];

/// A hash method with its arguments, checked at planning time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    AHash(u32),
    DHash(u32),
    DHashVertical(u32),
    PHash(u32),
    PHashSimple(u32),
    WHash(u32),
    /// `hash_size`, `segments`.
    CropResistant(u32, u32),
    /// `binbits`.
    ColorHash(u32),
}

impl Hash {
    /// Checks `image_hash`'s arguments: `hash_size` 1 to 64 (a power of 2 for
    /// `whash`), `binbits` and `segments` positive (`binbits` at most 31 for
    /// `colorhash`), and the hash at most `i32::MAX` bytes.
    pub fn new(method: &str, hash_size: i64, binbits: i64, segments: i64) -> Result<Self> {
        if !(1..=64).contains(&hash_size) {
            return plan_err!("image_hash: hash_size must be between 1 and 64, got {hash_size}");
        }
        if binbits < 1 {
            return plan_err!("image_hash: binbits must be a positive integer, got {binbits}");
        }
        if segments < 1 {
            return plan_err!("image_hash: segments must be a positive integer, got {segments}");
        }
        let size = hash_size as u32;
        let hash = match method {
            "ahash" => Self::AHash(size),
            "dhash" => Self::DHash(size),
            "dhash_vertical" => Self::DHashVertical(size),
            "phash" => Self::PHash(size),
            "phash_simple" => Self::PHashSimple(size),
            "whash" if !size.is_power_of_two() => {
                return plan_err!("image_hash: hash_size must be a power of 2 for 'whash', got {hash_size}");
            }
            "whash" => Self::WHash(size),
            "crop_resistant" => match u32::try_from(segments) {
                Ok(s) => Self::CropResistant(size, s),
                Err(_) => return plan_err!("image_hash: segments {segments} is too large"),
            },
            // Bins are quantised with 32-bit integers, as in Daft.
            "colorhash" if binbits > 31 => {
                return plan_err!("image_hash: binbits must be between 1 and 31 for 'colorhash', got {binbits}");
            }
            "colorhash" => Self::ColorHash(binbits as u32),
            other => {
                return plan_err!(
                    "image_hash: method {other:?} is not supported; expected one of {}",
                    METHODS.join(", ")
                );
            }
        };
        if hash.bits().div_ceil(8) > i32::MAX as u128 {
            return plan_err!(
                "image_hash: a {method} hash with hash_size {hash_size} and segments {segments} is too large ({} bits)",
                hash.bits()
            );
        }
        Ok(hash)
    }

    /// Bits in one hash: `hash_size²`, `segments² · hash_size²` for
    /// `crop_resistant`, `14 · binbits` for `colorhash` (u128: no overflow
    /// before `new` checks the size).
    fn bits(&self) -> u128 {
        match *self {
            Self::AHash(n)
            | Self::DHash(n)
            | Self::DHashVertical(n)
            | Self::PHash(n)
            | Self::PHashSimple(n)
            | Self::WHash(n) => u128::from(n) * u128::from(n),
            Self::CropResistant(n, s) => u128::from(n) * u128::from(n) * u128::from(s) * u128::from(s),
            Self::ColorHash(b) => 14 * u128::from(b),
        }
    }

    /// Bytes in one hash (the width of the `FixedSizeBinary` result, at most `i32::MAX`).
    pub fn bytes(&self) -> usize {
        self.bits().div_ceil(8) as usize
    }

    /// The hash of `img`, `bytes()` long.
    pub fn hash(&self, img: &DynamicImage) -> Vec<u8> {
        let mut bits = Vec::with_capacity(self.bits() as usize);
        match *self {
            Self::AHash(n) => ahash(img, n, &mut bits),
            Self::DHash(n) => dhash(img, n, &mut bits),
            Self::DHashVertical(n) => dhash_vertical(img, n, &mut bits),
            Self::PHash(n) => phash(img, n, &mut bits),
            Self::PHashSimple(n) => phash_simple(img, n, &mut bits),
            Self::WHash(n) => whash(img, n, &mut bits),
            Self::CropResistant(n, s) => crop_resistant(img, n, s, &mut bits),
            Self::ColorHash(b) => colorhash(img, b, &mut bits),
        }
        pack(&bits)
    }
}

/// Grayscale pixels of `img` resized (bilinear) to `w` x `h`, row-major, as
/// f64; zeros for an empty image.
fn gray(img: &DynamicImage, w: u32, h: u32) -> Vec<f64> {
    if img.width() == 0 || img.height() == 0 {
        return vec![0.0; w as usize * h as usize];
    }
    let g = img.to_luma8();
    let small = image::imageops::resize(&g, w, h, FilterType::Triangle);
    small.into_raw().into_iter().map(f64::from).collect()
}

/// Bits packed most significant first, the last byte padded with zeros.
fn pack(bits: &[bool]) -> Vec<u8> {
    bits.chunks(8).map(|c| c.iter().enumerate().fold(0u8, |b, (i, &on)| b | (u8::from(on) << (7 - i)))).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

fn ahash(img: &DynamicImage, size: u32, bits: &mut Vec<bool>) {
    let px = gray(img, size, size);
    let m = mean(&px);
    bits.extend(px.iter().map(|p| *p > m));
}

fn dhash(img: &DynamicImage, size: u32, bits: &mut Vec<bool>) {
    let n = size as usize;
    let px = gray(img, size + 1, size);
    for row in px.chunks(n + 1) {
        bits.extend(row.windows(2).map(|w| w[1] > w[0]));
    }
}

fn dhash_vertical(img: &DynamicImage, size: u32, bits: &mut Vec<bool>) {
    let n = size as usize;
    let px = gray(img, size, size + 1);
    bits.extend((0..n * n).map(|i| px[i + n] > px[i]));
}

/// The `n` x `n` low-frequency corner of the 2-D DCT of `img` resized to `4n` x `4n`, row-major.
fn phash(img: &DynamicImage, size: u32, bits: &mut Vec<bool>) {
    let (n, m) = (size as usize, 4 * size as usize);
    let px = gray(img, 4 * size, 4 * size);
    // DCT of every row, then of the first n columns.
    let rows: Vec<Vec<f64>> = px.chunks(m).map(dct).collect();
    let cols: Vec<Vec<f64>> = (0..n).map(|c| dct(&rows.iter().map(|r| r[c]).collect::<Vec<_>>())).collect();
    let low: Vec<f64> = (0..n).flat_map(|r| cols.iter().map(move |col| col[r])).collect();
    let med = median(&low);
    bits.extend(low.iter().map(|v| *v > med));
}

fn phash_simple(img: &DynamicImage, size: u32, bits: &mut Vec<bool>) {
    let (n, m) = (size as usize, 4 * size as usize);
    let px = gray(img, 4 * size, 4 * size);
    // Row DCTs only, of the first n rows, without the DC term.
    let low: Vec<f64> = px.chunks(m).take(n).flat_map(|r| dct(r).into_iter().skip(1).take(n)).collect();
    let m = mean(&low);
    bits.extend(low.iter().map(|v| *v > m));
}

/// A `segments` x `segments` grid of tiles (edges at `i * width / segments`),
/// each hashed with `phash`, row by row.
fn crop_resistant(img: &DynamicImage, size: u32, segments: u32, bits: &mut Vec<bool>) {
    let edge = |i: u32, len: u32| (u64::from(i) * u64::from(len) / u64::from(segments)) as u32;
    let (w, h) = (img.width(), img.height());
    for r in 0..segments {
        let (y0, y1) = (edge(r, h), edge(r + 1, h));
        for c in 0..segments {
            let (x0, x1) = (edge(c, w), edge(c + 1, w));
            phash(&img.crop_imm(x0, y0, x1 - x0, y1 - y0), size, bits);
        }
    }
}

// --- DCT ----------------------------------------------------------------------

/// DCT-II of `x` without normalisation (scipy's default), computed as Daft
/// does so that exact zeros (constant rows) stay exact: through an FFT for
/// power-of-two lengths, by the definition otherwise.
fn dct(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n < 2 || !n.is_power_of_two() {
        let step = std::f64::consts::PI / (2 * n) as f64;
        return (0..n)
            .map(|k| {
                let mut acc = 0.0;
                for (i, v) in x.iter().enumerate() {
                    acc += v * (step * (2 * i + 1) as f64 * k as f64).cos();
                }
                2.0 * acc
            })
            .collect();
    }
    // Makhoul: even samples forwards, then odd samples backwards, one complex
    // FFT, each term turned by -πk/2n.
    let mut re: Vec<f64> = x.iter().step_by(2).copied().chain(x.iter().skip(1).step_by(2).rev().copied()).collect();
    let mut im = vec![0.0; n];
    fft(&mut re, &mut im);
    (0..n)
        .map(|k| {
            let turn = -std::f64::consts::PI * k as f64 / (2 * n) as f64;
            2.0 * re[k].mul_add(turn.cos(), -(im[k] * turn.sin()))
        })
        .collect()
}

/// In-place radix-2 FFT (decimation in time) of a power-of-two length signal.
fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    let shift = usize::BITS - n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> shift;
        if j > i {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let (wr, wi): (Vec<f64>, Vec<f64>) = (0..half)
            .map(|k| {
                let a = -2.0 * std::f64::consts::PI * k as f64 / len as f64;
                (a.cos(), a.sin())
            })
            .unzip();
        for start in (0..n).step_by(len) {
            for k in 0..half {
                let (a, b) = (start + k, start + k + half);
                let tr = re[b] * wr[k] - im[b] * wi[k];
                let ti = re[b] * wi[k] + im[b] * wr[k];
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len *= 2;
    }
}

// --- whash --------------------------------------------------------------------

/// One level of the 2-D Haar transform (pywt's `dwt2`: pairs of rows, then
/// pairs of columns) of the `n` x `n` matrix `m`: the four `n/2` x `n/2` bands
/// (low-low, low-high, high-low, high-high).
fn haar(m: &[f64], n: usize) -> [Vec<f64>; 4] {
    let s = std::f64::consts::SQRT_2;
    let h = n / 2;
    let mut out = [vec![0.0; h * h], vec![0.0; h * h], vec![0.0; h * h], vec![0.0; h * h]];
    for i in 0..h {
        for j in 0..h {
            let (p, q) = ((2 * i) * n + 2 * j, (2 * i + 1) * n + 2 * j);
            let (lo0, lo1) = ((m[p] + m[q]) / s, (m[p + 1] + m[q + 1]) / s);
            let (hi0, hi1) = ((m[p] - m[q]) / s, (m[p + 1] - m[q + 1]) / s);
            let o = i * h + j;
            out[0][o] = (lo0 + lo1) / s;
            out[1][o] = (lo0 - lo1) / s;
            out[2][o] = (hi0 + hi1) / s;
            out[3][o] = (hi0 - hi1) / s;
        }
    }
    out
}

/// The inverse of `haar`: the `2h` x `2h` matrix from four `h` x `h` bands.
fn unhaar(b: &[Vec<f64>; 4], h: usize) -> Vec<f64> {
    let s = std::f64::consts::SQRT_2;
    let n = 2 * h;
    let mut m = vec![0.0; n * n];
    for i in 0..h {
        for j in 0..h {
            let o = i * h + j;
            let (lo0, lo1) = ((b[0][o] + b[1][o]) / s, (b[0][o] - b[1][o]) / s);
            let (hi0, hi1) = ((b[2][o] + b[3][o]) / s, (b[2][o] - b[3][o]) / s);
            let (p, q) = ((2 * i) * n + 2 * j, (2 * i + 1) * n + 2 * j);
            m[p] = (lo0 + hi0) / s;
            m[q] = (lo0 - hi0) / s;
            m[p + 1] = (lo1 + hi1) / s;
            m[q + 1] = (lo1 - hi1) / s;
        }
    }
    m
}

/// Wavelet hash: the image resized to the largest power of two not above its
/// shorter side (at least `size`), its coarsest Haar average removed, then
/// transformed down to `size` x `size`; bits where the min-max normalised low
/// band is above its mean.
fn whash(img: &DynamicImage, size: u32, bits: &mut Vec<bool>) {
    let short = img.width().min(img.height());
    let scale = if short == 0 { size } else { (1u32 << short.ilog2()).max(size) };
    let mut px: Vec<f64> = gray(img, scale, scale).into_iter().map(|p| p / 255.0).collect();
    // Full decomposition, the 1x1 average zeroed, reconstruction.
    let mut details = Vec::new();
    let mut n = scale as usize;
    while n > 1 {
        let [ll, lh, hl, hh] = haar(&px, n);
        details.push([lh, hl, hh]);
        px = ll;
        n /= 2;
    }
    px.iter_mut().for_each(|v| *v = 0.0);
    while let Some([lh, hl, hh]) = details.pop() {
        px = unhaar(&[px, lh, hl, hh], n);
        n *= 2;
    }
    // Low band at size x size.
    while n > size as usize {
        let [ll, ..] = haar(&px, n);
        px = ll;
        n /= 2;
    }
    let lo = px.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = px.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    let norm: Vec<f64> = px.iter().map(|v| if range == 0.0 { 0.0 } else { (v - lo) / range }).collect();
    let m = mean(&norm);
    bits.extend(norm.iter().map(|v| *v > m));
}

// --- colorhash ------------------------------------------------------------------

/// Hue and saturation (0-255) in Pillow's HSV, with integer arithmetic.
fn hue_saturation(r: u8, g: u8, b: u8) -> (i32, i32) {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let delta = max - min;
    if delta == 0 {
        return (0, 0);
    }
    let (base, diff) = if max == r {
        (0, g - b)
    } else if max == g {
        (85, b - r)
    } else {
        (170, r - g)
    };
    let hue = base + (255 * diff).div_euclid(6 * delta);
    (if hue < 0 { hue + 255 } else { hue }, 255 * delta / max)
}

/// Colour hash: 14 bins (black, gray, six hues of faint colour, six hues of
/// bright colour), each a fraction quantised to `binbits` bits as `imagehash`
/// writes them.
fn colorhash(img: &DynamicImage, binbits: u32, bits: &mut Vec<bool>) {
    let rgb = img.to_rgb8();
    let (mut black, mut gray, mut colors) = (0u64, 0u64, 0u64);
    let (mut faint, mut bright) = ([0u64; 6], [0u64; 6]);
    for p in rgb.pixels() {
        let [r, g, b] = p.0;
        // Rec. 601 luma, rounded, below 32.
        let luma = 0.114f64.mul_add(f64::from(b), 0.299f64.mul_add(f64::from(r), 0.587 * f64::from(g)));
        let (hue, sat) = hue_saturation(r, g, b);
        // Hue bins split 0..=255 in six at multiples of 42.5.
        let bin = ((2 * hue / 85) as usize).min(5);
        if luma < 31.5 {
            black += 1;
        } else if sat < 85 {
            gray += 1;
        } else {
            colors += 1;
            if sat <= 170 {
                faint[bin] += 1;
            } else {
                bright[bin] += 1;
            }
        }
    }
    let pixels = (u64::from(rgb.width()) * u64::from(rgb.height())) as f64;
    let top = 1u64 << binbits;
    let frac = |count: u64| if pixels == 0.0 { 0 } else { ((count as f64 / pixels * top as f64) as u64).min(top - 1) };
    let share = |count: u64| ((u128::from(count) * u128::from(top) / u128::from(colors.max(1))) as u64).min(top - 1);
    let values = [frac(black), frac(gray)].into_iter().chain(faint.into_iter().chain(bright).map(share));
    for v in values {
        // imagehash's encoding: bit i is (v >> k) % 2^(k+1) != 0, k = binbits-1-i.
        bits.extend((0..binbits).rev().map(|k| (v >> k) % (1u64 << (k + 1)) != 0));
    }
}
