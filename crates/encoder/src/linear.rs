//! The few operations a transformer layer needs, on row-major `f32` slices: a linear layer,
//! layer normalisation, GELU and dot products (vectorised by the compiler, with fused
//! multiply-adds where the processor has them, chosen at run time).

use crate::int8::Int8Weights;
use crate::safetensors::{Weights, WeightsError};

/// `y = x Wᵀ + b`, with `W` stored `[outputs, inputs]` as PyTorch stores it.
pub struct Linear {
    weight: LinearWeights,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

enum LinearWeights {
    Exact(Vec<f32>),
    Int8(Int8Weights),
}

impl Linear {
    /// A layer from its weights, `[outputs, inputs]`, and biases.
    pub fn new(weight: Vec<f32>, bias: Vec<f32>, inputs: usize, outputs: usize) -> Linear {
        assert_eq!(weight.len(), inputs * outputs, "a linear layer's weights");
        assert_eq!(bias.len(), outputs, "a linear layer's biases");
        Linear {
            weight: LinearWeights::Exact(weight),
            bias,
            inputs,
            outputs,
        }
    }

    /// `{prefix}.weight` and `{prefix}.bias` from the weights file.
    pub fn load(
        weights: &Weights,
        prefix: &str,
        inputs: usize,
        outputs: usize,
    ) -> Result<Linear, WeightsError> {
        Ok(Linear {
            weight: LinearWeights::Exact(
                weights.f32(&format!("{prefix}.weight"), &[outputs, inputs])?,
            ),
            bias: weights.f32(&format!("{prefix}.bias"), &[outputs])?,
            inputs,
            outputs,
        })
    }

    /// A layer whose weights and input rows are rounded to 8-bit integers ([`crate::int8`],
    /// `refined` as there): for a model whose weights are already coarser than that.
    pub fn in_int8(
        weight: &[f32],
        bias: Vec<f32>,
        inputs: usize,
        outputs: usize,
        refined: bool,
    ) -> Linear {
        assert_eq!(weight.len(), inputs * outputs, "a linear layer's weights");
        assert_eq!(bias.len(), outputs, "a linear layer's biases");
        Linear {
            weight: LinearWeights::Int8(Int8Weights::quantize(weight, inputs, refined)),
            bias,
            inputs,
            outputs,
        }
    }

    /// How wide a row it takes.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The layer applied to each of `x`'s rows.
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        let rows = x.len() / self.inputs;
        let mut y = vec![0.0; rows * self.outputs];
        match &self.weight {
            LinearWeights::Exact(w) => project(x, w, self.inputs, &mut y),
            LinearWeights::Int8(w) => w.project(x, &mut y),
        }
        for row in y.chunks_exact_mut(self.outputs) {
            add(row, &self.bias);
        }
        y
    }
}

/// Layer normalisation over each row, with learned scale and shift.
pub struct Norm {
    scale: Vec<f32>,
    shift: Vec<f32>,
    epsilon: f32,
}

/// BERT's epsilon (all-MiniLM-L6-v2's config.json's `layer_norm_eps`).
const NORM_EPSILON: f32 = 1e-12;

impl Norm {
    pub fn new(scale: Vec<f32>, shift: Vec<f32>, epsilon: f32) -> Norm {
        assert_eq!(scale.len(), shift.len(), "a layer norm's scale and shift");
        Norm {
            scale,
            shift,
            epsilon,
        }
    }

    pub fn load(weights: &Weights, prefix: &str, width: usize) -> Result<Norm, WeightsError> {
        Ok(Norm::new(
            weights.f32(&format!("{prefix}.weight"), &[width])?,
            weights.f32(&format!("{prefix}.bias"), &[width])?,
            NORM_EPSILON,
        ))
    }

    pub fn apply(&self, x: &mut [f32]) {
        let width = self.scale.len();
        for row in x.chunks_exact_mut(width) {
            let mean = row.iter().sum::<f32>() / width as f32;
            let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
            let inverse = 1.0 / (variance + self.epsilon).sqrt();
            for ((v, scale), shift) in row.iter_mut().zip(&self.scale).zip(&self.shift) {
                *v = (*v - mean) * inverse * scale + shift;
            }
        }
    }
}

/// GELU as BERT defines it, with the error function (not the tanh approximation).
pub fn gelu(x: &mut [f32]) {
    for v in x {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// The error function to within 1.2e-7 (Numerical Recipes' erfc by Chebyshev fit), which is
/// finer than f32 arithmetic in the layers around it.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_2
        + t * (1.000_023_7
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_204
                                + t * (1.488_515_9 + t * (-0.822_152_24 + t * 0.170_872_77))))))));
    let erfc = t * exp(poly);
    if x >= 0.0 { 1.0 - erfc } else { erfc - 1.0 }
}

/// `eˣ` to within about 2e-7 relative, for `x` up to 88 (and 0 below -87), in arithmetic
/// the compiler vectorises: a power of two times a polynomial of what is left (`f32::exp` is a
/// library call, one number at a time, and took an eighth of a forward pass in GELU and
/// softmax).
#[inline(always)]
#[allow(clippy::manual_clamp)] // `clamp` keeps NaN, which the cast below must never see
pub fn exp(x: f32) -> f32 {
    // 1.5 × 2²³: adding and taking it away again rounds to the nearest integer.
    const ROUNDER: f32 = 12_582_912.0;
    const LN_2_HIGH: f32 = 0.693_145_75;
    const LN_2_LOW: f32 = 1.428_606_8e-6;
    let x = x.max(-87.0).min(88.0);
    let k = (x * std::f32::consts::LOG2_E + ROUNDER) - ROUNDER;
    let r = x - k * LN_2_HIGH - k * LN_2_LOW;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // SAFETY: `k` is a whole number in -126..=127.
    let k = unsafe { k.to_int_unchecked::<i32>() };
    p * f32::from_bits(((k + 127) as u32) << 23)
}

/// `y[r][o] = x[r] · w[o]` for every row `r` of `x` and `o` of `w`, both `width` wide: the
/// product of a linear layer. The weights are taken a few rows at a time, kept in cache while
/// every row of `x` meets them, so they are read from memory once.
pub fn project(x: &[f32], w: &[f32], width: usize, y: &mut [f32]) {
    assert!(width > 0 && x.len().is_multiple_of(width) && w.len().is_multiple_of(width));
    assert_eq!(y.len(), x.len() / width * (w.len() / width));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor has just been seen to support both features.
        return unsafe { fused::project(x, w, width, y) };
    }
    project_plain(x, w, width, y);
}

/// Weight rows taken together: 16 rows of 1,536 floats stay in a core's L2 cache.
const WEIGHT_BLOCK: usize = 16;

fn project_plain(x: &[f32], w: &[f32], width: usize, y: &mut [f32]) {
    let outputs = w.len() / width;
    for (block, weights) in w.chunks(WEIGHT_BLOCK * width).enumerate() {
        for (r, row) in x.chunks_exact(width).enumerate() {
            for (i, weight) in weights.chunks_exact(width).enumerate() {
                y[r * outputs + block * WEIGHT_BLOCK + i] = dot(row, weight);
            }
        }
    }
}

/// The same with AVX2 and fused multiply-adds: four rows of `x` against one weight row at a
/// time, in eight independent sums, so the multiply-add units never wait on their own result.
#[cfg(target_arch = "x86_64")]
mod fused {
    use std::arch::x86_64::*;

    use super::{WEIGHT_BLOCK, dot};

    const ROWS: usize = 4;

    #[target_feature(enable = "avx2,fma")]
    pub fn project(x: &[f32], w: &[f32], width: usize, y: &mut [f32]) {
        let outputs = w.len() / width;
        let rows = x.len() / width;
        // The last rows padded with zeros to four, so every row takes the fast path.
        let mut padded = x[rows / ROWS * ROWS * width..].to_vec();
        padded.resize(ROWS * width, 0.0);
        for (block, weights) in w.chunks(WEIGHT_BLOCK * width).enumerate() {
            let first = block * WEIGHT_BLOCK;
            for r in (0..rows).step_by(ROWS) {
                let four = if r + ROWS <= rows {
                    &x[r * width..(r + ROWS) * width]
                } else {
                    &padded[..]
                };
                for (i, weight) in weights.chunks_exact(width).enumerate() {
                    let sums = dot_four(four, weight);
                    for (k, sum) in sums.into_iter().enumerate().take(rows - r) {
                        y[(r + k) * outputs + first + i] = sum;
                    }
                }
            }
        }
    }

    /// The four consecutive rows of `four` each dotted with `w`.
    #[target_feature(enable = "avx2,fma")]
    fn dot_four(four: &[f32], w: &[f32]) -> [f32; ROWS] {
        let width = w.len();
        assert_eq!(four.len(), ROWS * width);
        let whole = width / 16 * 16;
        let (w_at, x_at) = (w.as_ptr(), four.as_ptr());
        let mut low = [_mm256_setzero_ps(); ROWS];
        let mut high = [_mm256_setzero_ps(); ROWS];
        for i in (0..whole).step_by(16) {
            // SAFETY: i + 16 <= whole <= width, so every load lies inside `w` and, offset by
            // k * width for k < ROWS, inside `four` (asserted ROWS * width long).
            unsafe {
                let (q_low, q_high) = (
                    _mm256_loadu_ps(w_at.add(i)),
                    _mm256_loadu_ps(w_at.add(i + 8)),
                );
                for k in 0..ROWS {
                    let p = x_at.add(k * width + i);
                    low[k] = _mm256_fmadd_ps(_mm256_loadu_ps(p), q_low, low[k]);
                    high[k] = _mm256_fmadd_ps(_mm256_loadu_ps(p.add(8)), q_high, high[k]);
                }
            }
        }
        std::array::from_fn(|k| {
            let row = &four[k * width..(k + 1) * width];
            let mut lanes = [0.0f32; 8];
            // SAFETY: `lanes` holds exactly eight floats.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(low[k], high[k])) };
            lanes.iter().sum::<f32>() + dot(&row[whole..], &w[whole..])
        })
    }
}

/// `a · b` in sixteen independent sums, which the compiler turns into vector code.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 16;
    let mut sums = [0.0f32; LANES];
    let (a_lanes, b_lanes) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_lanes
        .remainder()
        .iter()
        .zip(b_lanes.remainder())
        .map(|(p, q)| p * q)
        .sum();
    for (p, q) in a_lanes.zip(b_lanes) {
        for lane in 0..LANES {
            sums[lane] += p[lane] * q[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

pub fn add(into: &mut [f32], other: &[f32]) {
    for (a, b) in into.iter_mut().zip(other) {
        *a += b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_library_one() {
        for i in -1990..=2000 {
            let x = i as f32 * 0.0437;
            let (ours, theirs) = (exp(x), x.exp());
            assert!(
                (ours - theirs).abs() <= 3e-7 * theirs,
                "exp({x}) = {ours}, not {theirs}"
            );
        }
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(-87.0) < 1e-37);
    }

    #[test]
    fn the_error_function_matches_known_values() {
        for (x, expected) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - expected).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn a_projection_is_a_product_with_the_weights_transposed() {
        // x = [[1, 2], [3, 4]], w = [[1, 0], [1, 1], [0, 2]]: y = x wᵀ.
        let x = [1.0, 2.0, 3.0, 4.0];
        let w = [1.0, 0.0, 1.0, 1.0, 0.0, 2.0];
        let mut y = [0.0; 6];
        project(&x, &w, 2, &mut y);
        assert_eq!(y, [1.0, 3.0, 4.0, 3.0, 7.0, 8.0]);
    }

    #[test]
    fn both_kernels_agree_on_long_rows_with_a_tail() {
        let x: Vec<f32> = (0..6 * 37).map(|i| (i % 7) as f32 - 3.0).collect();
        let w: Vec<f32> = (0..20 * 37).map(|i| (i % 5) as f32 * 0.5).collect();
        let (mut plain, mut chosen) = (vec![0.0; 120], vec![0.0; 120]);
        project_plain(&x, &w, 37, &mut plain);
        project(&x, &w, 37, &mut chosen);
        let by_hand: f32 = x[37..74]
            .iter()
            .zip(&w[19 * 37..])
            .map(|(a, b)| a * b)
            .sum();
        assert_eq!(plain[20 + 19], by_hand);
        for (p, c) in plain.iter().zip(&chosen) {
            assert!((p - c).abs() <= 1e-4 * p.abs().max(1.0), "{p} against {c}");
        }
    }

    #[test]
    fn normalised_rows_have_zero_mean_and_unit_variance() {
        let norm = Norm::new(vec![1.0; 4], vec![0.0; 4], NORM_EPSILON);
        let mut x = [1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0];
        norm.apply(&mut x);
        let first = &x[..4];
        assert!(first.iter().sum::<f32>().abs() < 1e-5);
        assert!((first.iter().map(|v| v * v).sum::<f32>() / 4.0 - 1.0).abs() < 1e-4);
        assert!(
            x[4..].iter().all(|v| v.abs() < 1e-3),
            "a flat row stays flat"
        );
    }
}
