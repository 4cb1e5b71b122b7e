//! Linear layers in 8-bit integers: each weight row rounded to `i8` with its own scale, each
//! input row likewise when the layer is applied, and their products summed as exact `i32`s.
//! A refined layer rounds each input row twice, the second time what the first left, 254
//! times finer: twice the products, for layers whose inputs one rounding serves badly.
//! Because the sums are exact, every kernel gives the same vectors to the last bit: the
//! AVX-512 VNNI one (64 products per instruction) and the plain one the compiler vectorises
//! elsewhere. A quarter of the bytes of `f32` weights, so a forward pass reads 21 MB, not 85.

/// Weights `[outputs, inputs]` as `i8`, a weight being `value × scale[output]`.
pub struct Int8Weights {
    /// Row after row, each padded with zeros to [`STRIDE_MULTIPLE`] bytes.
    values: Vec<i8>,
    stride: usize,
    refined: bool,
    scales: Vec<f32>,
    /// Each row's values summed, to undo the offset the VNNI kernel adds to its inputs.
    sums: Vec<i32>,
    inputs: usize,
}

/// A whole number of 512-bit vectors per row.
const STRIDE_MULTIPLE: usize = 64;

/// The largest magnitude an `i8` value takes, so that negation never overflows.
const LIMIT: f32 = 127.0;

impl Int8Weights {
    /// Rounds `weights` (`[outputs, inputs]`, row-major) row by row; `refined`: whether
    /// the inputs are rounded twice.
    pub fn quantize(weights: &[f32], inputs: usize, refined: bool) -> Int8Weights {
        assert!(inputs > 0 && weights.len().is_multiple_of(inputs));
        let outputs = weights.len() / inputs;
        let stride = inputs.div_ceil(STRIDE_MULTIPLE) * STRIDE_MULTIPLE;
        let mut values = vec![0; outputs * stride];
        let mut scales = Vec::with_capacity(outputs);
        for (row, out) in weights
            .chunks_exact(inputs)
            .zip(values.chunks_exact_mut(stride))
        {
            scales.push(quantize_row(row, &mut out[..inputs]));
        }
        let sums = values
            .chunks_exact(stride)
            .map(|row| row.iter().map(|&v| i32::from(v)).sum())
            .collect();
        Int8Weights {
            values,
            stride,
            refined,
            scales,
            sums,
            inputs,
        }
    }

    pub fn outputs(&self) -> usize {
        self.scales.len()
    }

    /// `y[r][o] = x[r] · w[o]` for every row `r` of `x`, as [`crate::linear::project`] does
    /// with `f32` weights.
    pub fn project(&self, x: &[f32], y: &mut [f32]) {
        let width = self.inputs;
        assert!(x.len().is_multiple_of(width));
        let rows = x.len() / width;
        assert_eq!(y.len(), rows * self.outputs());
        // A refined layer takes each input row as two: its rounding, then what rounding left,
        // 254 times finer.
        let parts = if self.refined { 2 } else { 1 };
        let mut values = vec![0i8; parts * x.len()];
        let scales = quantize_inputs(x, width, &mut values);
        let outputs = self.outputs();
        let mut sums = vec![0i32; parts * y.len()];
        self.integer_products(&values, &mut sums);
        for ((y_row, sum_rows), &row_scale) in y
            .chunks_exact_mut(outputs)
            .zip(sums.chunks_exact(parts * outputs))
            .zip(&scales)
        {
            let (coarse, fine) = sum_rows.split_at(outputs);
            for ((y, &c), &scale) in y_row.iter_mut().zip(coarse).zip(&self.scales) {
                *y = c as f32 * scale * row_scale;
            }
            for ((y, &f), &scale) in y_row.iter_mut().zip(fine).zip(&self.scales) {
                *y += f as f32 / RESIDUAL * scale * row_scale;
            }
        }
    }

    /// The exact integer products of the rows of `x` with the weight rows.
    fn integer_products(&self, x: &[i8], sums: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512vnni")
            && std::arch::is_x86_feature_detected!("avx512bw")
        {
            // SAFETY: the processor has just been seen to support both features.
            return unsafe { vnni::products(self, x, sums) };
        }
        self.plain_products(x, sums);
    }

    fn plain_products(&self, x: &[i8], sums: &mut [i32]) {
        let outputs = self.outputs();
        for (x_row, sum_row) in x
            .chunks_exact(self.inputs)
            .zip(sums.chunks_exact_mut(outputs))
        {
            for (sum, w_row) in sum_row
                .iter_mut()
                .zip(self.values.chunks_exact(self.stride))
            {
                *sum = x_row
                    .iter()
                    .zip(w_row)
                    .map(|(&a, &b)| i32::from(a) * i32::from(b))
                    .sum();
            }
        }
    }
}

/// `v` rounded half away from zero into -127..=127, in steps the compiler vectorises
/// (`f32::round` and saturating casts are taken one number at a time). `max` and `min` pass
/// over NaN, so what is cast is always in range.
#[inline(always)]
#[allow(clippy::manual_clamp)] // `clamp` keeps NaN, which the cast must never see
fn nearest(v: f32) -> i8 {
    let bounded = (v + 0.5f32.copysign(v)).max(-LIMIT).min(LIMIT);
    // SAFETY: `bounded` is finite and within i32's range.
    unsafe { bounded.to_int_unchecked::<i32>() as i8 }
}

/// Each row of `x` [`quantize_with_residual`] into `out`; the rows' scales. The same
/// arithmetic on any processor, compiled a second time for AVX-512 where present (the baseline
/// x86-64 target rounds one number at a time).
fn quantize_inputs(x: &[f32], width: usize, out: &mut [i8]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        #[target_feature(enable = "avx512f")]
        fn wide(x: &[f32], width: usize, out: &mut [i8]) -> Vec<f32> {
            quantize_rows(x, width, out)
        }
        // SAFETY: the processor has just been seen to support the feature.
        return unsafe { wide(x, width, out) };
    }
    quantize_rows(x, width, out)
}

#[inline(always)]
fn quantize_rows(x: &[f32], width: usize, out: &mut [i8]) -> Vec<f32> {
    let mut scales = Vec::with_capacity(x.len() / width);
    let parts = out.len() / x.len();
    for (row, out) in x
        .chunks_exact(width)
        .zip(out.chunks_exact_mut(parts * width))
    {
        scales.push(quantize_with_residual(row, out));
    }
    scales
}

/// How much finer the second rounding of an input row is than the first.
const RESIDUAL: f32 = 2.0 * LIMIT;

/// Rounds `row` into the first `row.len()` values of `out` and, if `out` is twice as long,
/// what that left into the rest; the scale.
#[inline(always)]
fn quantize_with_residual(row: &[f32], out: &mut [i8]) -> f32 {
    let (coarse, fine) = out.split_at_mut(row.len());
    if fine.is_empty() {
        return quantize_row(row, coarse);
    }
    let largest = largest_magnitude(row);
    if largest == 0.0 || !largest.is_finite() {
        out.fill(0);
        return 0.0;
    }
    let to_integer = LIMIT / largest;
    for ((c, f), v) in coarse.iter_mut().zip(fine.iter_mut()).zip(row) {
        let scaled = v * to_integer;
        *c = nearest(scaled);
        *f = nearest((scaled - f32::from(*c)) * RESIDUAL);
    }
    largest / LIMIT
}

#[inline(always)]
fn largest_magnitude(row: &[f32]) -> f32 {
    // Sixteen running maxima, which become one vector instruction each step.
    let mut lanes = [0.0f32; 16];
    let chunks = row.chunks_exact(16);
    let tail = chunks
        .remainder()
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    for chunk in chunks {
        for (m, v) in lanes.iter_mut().zip(chunk) {
            *m = if v.abs() > *m { v.abs() } else { *m };
        }
    }
    lanes.iter().fold(tail, |m, &v| m.max(v))
}

/// Rounds `row` into `out` on a scale that takes its largest magnitude to ±127; the scale.
#[inline(always)]
fn quantize_row(row: &[f32], out: &mut [i8]) -> f32 {
    let largest = largest_magnitude(row);
    if largest == 0.0 || !largest.is_finite() {
        out.fill(0);
        return 0.0;
    }
    let to_integer = LIMIT / largest;
    for (o, v) in out.iter_mut().zip(row) {
        *o = nearest(v * to_integer);
    }
    largest / LIMIT
}

/// VNNI multiplies unsigned by signed bytes, so the inputs are offset by 128 into `u8` and
/// 128 × the weight row's sum taken off again: the same integers as the plain kernel.
#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::Int8Weights;

    /// Input rows taken together, each against two weight rows: eight sums in registers.
    const ROWS: usize = 4;
    /// Weight rows kept in the first-level cache while every input row meets them.
    const WEIGHT_BLOCK: usize = 32;
    const LANES: usize = 64;

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub fn products(w: &Int8Weights, x: &[i8], sums: &mut [i32]) {
        let (width, stride) = (w.inputs, w.stride);
        let outputs = w.outputs();
        let rows = x.len() / width;
        // Offset into u8 (so zero is 128), padded to the weights' stride and to four rows.
        let padded_rows = rows.div_ceil(ROWS) * ROWS;
        let mut shifted = vec![128u8; padded_rows * stride];
        for (row, out) in x.chunks_exact(width).zip(shifted.chunks_exact_mut(stride)) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o = (v as u8) ^ 0x80;
            }
        }
        let zero_row = vec![0i8; stride];
        for first in (0..outputs).step_by(WEIGHT_BLOCK) {
            let last = (first + WEIGHT_BLOCK).min(outputs);
            for r in (0..padded_rows).step_by(ROWS) {
                let four = &shifted[r * stride..(r + ROWS) * stride];
                for o in (first..last).step_by(2) {
                    let second = if o + 1 < last {
                        &w.values[(o + 1) * stride..][..stride]
                    } else {
                        &zero_row
                    };
                    let products = four_by_two(four, &w.values[o * stride..][..stride], second);
                    for (k, by_row) in products.iter().enumerate().take(rows.saturating_sub(r)) {
                        for (j, &p) in by_row.iter().enumerate().take(last - o) {
                            sums[(r + k) * outputs + o + j] = p - 128 * w.sums[o + j];
                        }
                    }
                }
            }
        }
    }

    /// The four rows of `four` (each as long as `one`) dotted with `one` and `other`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn four_by_two(four: &[u8], one: &[i8], other: &[i8]) -> [[i32; 2]; ROWS] {
        let stride = one.len();
        assert!(stride.is_multiple_of(LANES) && other.len() == stride);
        assert_eq!(four.len(), ROWS * stride);
        let mut first = [_mm512_setzero_si512(); ROWS];
        let mut second = [_mm512_setzero_si512(); ROWS];
        for i in (0..stride).step_by(LANES) {
            // SAFETY: i + 64 <= stride, so each load lies inside `one`, `other` or a row of
            // `four`.
            unsafe {
                let p = _mm512_loadu_si512(one.as_ptr().add(i).cast());
                let q = _mm512_loadu_si512(other.as_ptr().add(i).cast());
                for k in 0..ROWS {
                    let v = _mm512_loadu_si512(four.as_ptr().add(k * stride + i).cast());
                    first[k] = _mm512_dpbusd_epi32(first[k], v, p);
                    second[k] = _mm512_dpbusd_epi32(second[k], v, q);
                }
            }
        }
        std::array::from_fn(|k| {
            [
                _mm512_reduce_add_epi32(first[k]),
                _mm512_reduce_add_epi32(second[k]),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kernels_give_the_same_integers() {
        let width = 200; // not a whole number of vectors
        let x: Vec<i8> = (0..7 * width).map(|i| ((i * 37) % 255) as i8).collect();
        let weights: Vec<f32> = (0..5 * width)
            .map(|i| ((i * 13) % 29) as f32 - 14.0)
            .collect();
        let w = Int8Weights::quantize(&weights, width, true);
        let (mut plain, mut chosen) = (vec![0; 35], vec![0; 35]);
        w.plain_products(&x, &mut plain);
        w.integer_products(&x, &mut chosen);
        assert_eq!(plain, chosen);
        assert!(plain.iter().any(|&s| s != 0));
    }

    #[test]
    fn a_projection_is_close_to_the_f32_one() {
        let width = 384;
        let x: Vec<f32> = (0..3 * width)
            .map(|i| ((i * 7) % 19) as f32 / 19.0 - 0.5)
            .collect();
        let weights: Vec<f32> = (0..4 * width)
            .map(|i| ((i * 11) % 23) as f32 / 23.0 - 0.5)
            .collect();
        let mut exact = vec![0.0; 12];
        crate::linear::project(&x, &weights, width, &mut exact);
        for (refined, tolerance) in [(false, 0.02), (true, 0.01)] {
            let mut rounded = vec![0.0; 12];
            Int8Weights::quantize(&weights, width, refined).project(&x, &mut rounded);
            for (e, r) in exact.iter().zip(&rounded) {
                assert!(
                    (e - r).abs() < tolerance * e.abs().max(1.0),
                    "{e} against {r}"
                );
            }
        }
    }

    #[test]
    fn a_zero_row_projects_to_zero() {
        let w = Int8Weights::quantize(&[1.0, -2.0, 0.5, 0.0], 2, false);
        let mut y = [9.0; 4];
        w.project(&[0.0, 0.0, 3.0, -1.0], &mut y);
        assert_eq!(y[..2], [0.0, 0.0]);
        assert!(
            (y[2] - 5.0).abs() < 0.1 && (y[3] - 1.5).abs() < 0.05,
            "{y:?}"
        );
    }
}
