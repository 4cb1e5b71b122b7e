//! 4-bit weights as multilingual-e5-small's packed file keeps them: blocks of 32 weights, each a
//! half-precision scale and 16 bytes of nibbles (byte `j` holds weight `j` in its low nibble and
//! weight `j + 16` in its high one), a weight being `(nibble − 8) × scale`.

/// Weights per block.
pub const BLOCK: usize = 32;
/// Bytes per block: the scale, then the nibbles.
pub const BLOCK_BYTES: usize = 2 + BLOCK / 2;

/// The `f32` a little-endian IEEE half-precision number stands for.
pub fn half_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let fraction = u32::from(bits & 0x3ff);
    let magnitude = match (exponent, fraction) {
        (0, 0) => 0,
        // Subnormal halves are normal floats: 2⁻²⁴ per unit of the fraction.
        (0, _) => {
            let value = fraction as f32 * 2f32.powi(-24);
            return if sign == 0 { value } else { -value };
        }
        (0x1f, _) => 0x7f80_0000 | (fraction << 13),
        _ => ((exponent + 127 - 15) << 23) | (fraction << 13),
    };
    f32::from_bits(sign | magnitude)
}

/// Appends the weights of the blocks in `bytes` (a whole number of blocks) to `out`.
pub fn dequantize(bytes: &[u8], out: &mut Vec<f32>) {
    assert!(bytes.len().is_multiple_of(BLOCK_BYTES), "a partial block");
    for block in bytes.chunks_exact(BLOCK_BYTES) {
        let scale = half_to_f32(u16::from_le_bytes([block[0], block[1]]));
        let nibbles = &block[2..];
        out.extend(nibbles.iter().map(|b| (f32::from(b & 0x0f) - 8.0) * scale));
        out.extend(nibbles.iter().map(|b| (f32::from(b >> 4) - 8.0) * scale));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_convert_exactly() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x3555), 0.333_251_95);
        assert_eq!(half_to_f32(0x7bff), 65504.0);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(half_to_f32(0x8001), -(2f32.powi(-24)));
        assert_eq!(half_to_f32(0x0000), 0.0);
        assert!(half_to_f32(0x7c00).is_infinite());
        assert!(half_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn a_block_unpacks_low_nibbles_first() {
        let mut block = vec![0x00, 0x40]; // scale 2.0
        block.extend((0..16u8).map(|j| (15 - j) << 4 | j));
        let mut out = Vec::new();
        dequantize(&block, &mut out);
        let expected: Vec<f32> = (0..16)
            .map(|j| (j as f32 - 8.0) * 2.0)
            .chain((0..16).map(|j| (7.0 - j as f32) * 2.0))
            .collect();
        assert_eq!(out, expected);
    }
}
