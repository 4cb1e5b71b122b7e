//! The safetensors format, read by hand (it is eight bytes of header length, a JSON header that
//! names each tensor's type, shape and byte range, then the bytes): only what the encoders use,
//! little-endian `F32` tensors, each checked against its shape.

use std::collections::HashMap;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WeightsError {
    #[error("the weights file is cut short or has no header")]
    Truncated,
    #[error("the weights file's header is not valid: {0}")]
    Header(String),
    #[error("the weights have no tensor {0}")]
    Missing(String),
    #[error("tensor {name} is {found}, not F32")]
    NotF32 { name: String, found: String },
    #[error("tensor {name} has shape {found:?}, not {expected:?}")]
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("tensor {0}'s bytes do not match its shape or lie outside the file")]
    Bytes(String),
}

#[derive(Debug, serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (usize, usize),
}

/// A weights file held in memory, its tensors read out by name.
#[derive(Debug)]
pub struct Weights {
    bytes: Vec<u8>,
    /// Where the tensors' bytes start.
    data: usize,
    entries: HashMap<String, Entry>,
}

impl Weights {
    pub fn parse(bytes: Vec<u8>) -> Result<Weights, WeightsError> {
        let length: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(WeightsError::Truncated)?;
        let length =
            usize::try_from(u64::from_le_bytes(length)).map_err(|_| WeightsError::Truncated)?;
        let header = bytes
            .get(8..8usize.saturating_add(length))
            .ok_or(WeightsError::Truncated)?;
        let mut raw: HashMap<String, serde_json::Value> =
            serde_json::from_slice(header).map_err(|e| WeightsError::Header(e.to_string()))?;
        raw.remove("__metadata__");
        let entries = raw
            .into_iter()
            .map(|(name, value)| {
                let entry: Entry = serde_json::from_value(value)
                    .map_err(|e| WeightsError::Header(format!("{name}: {e}")))?;
                Ok((name, entry))
            })
            .collect::<Result<_, WeightsError>>()?;
        Ok(Weights {
            data: 8 + length,
            bytes,
            entries,
        })
    }

    /// Tensor `name`'s values in row-major order, if it is F32 of shape `shape`.
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, WeightsError> {
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| WeightsError::Missing(name.to_owned()))?;
        if entry.dtype != "F32" {
            return Err(WeightsError::NotF32 {
                name: name.to_owned(),
                found: entry.dtype.clone(),
            });
        }
        if entry.shape != shape {
            return Err(WeightsError::Shape {
                name: name.to_owned(),
                expected: shape.to_vec(),
                found: entry.shape.clone(),
            });
        }
        let (start, end) = entry.data_offsets;
        let count: usize = shape.iter().product();
        let bytes = self
            .data
            .checked_add(start)
            .zip(self.data.checked_add(end))
            .filter(|&(from, to)| from <= to && to - from == count * 4)
            .and_then(|(from, to)| self.bytes.get(from..to))
            .ok_or_else(|| WeightsError::Bytes(name.to_owned()))?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as the safetensors writers make it.
    fn file(header: &str, values: &[f32]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        for v in values {
            bytes.extend(v.to_le_bytes());
        }
        bytes
    }

    const HEADER: &str = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"ids":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},"short":{"dtype":"F32","shape":[3],"data_offsets":[24,28]}}"#;

    #[test]
    fn tensors_are_read_by_name_in_row_major_order() {
        let weights =
            Weights::parse(file(HEADER, &[1.0, -2.5, 3.0, 0.125, 0.0, 0.0, 9.0])).unwrap();
        assert_eq!(weights.f32("a", &[2, 2]).unwrap(), [1.0, -2.5, 3.0, 0.125]);
    }

    #[test]
    fn what_does_not_match_is_refused_in_words() {
        let weights =
            Weights::parse(file(HEADER, &[1.0, -2.5, 3.0, 0.125, 0.0, 0.0, 9.0])).unwrap();
        assert_eq!(
            weights.f32("b", &[1]).unwrap_err(),
            WeightsError::Missing("b".into())
        );
        assert!(matches!(
            weights.f32("ids", &[1]),
            Err(WeightsError::NotF32 { .. })
        ));
        assert!(matches!(
            weights.f32("a", &[4]),
            Err(WeightsError::Shape { .. })
        ));
        assert_eq!(
            weights.f32("short", &[3]).unwrap_err(),
            WeightsError::Bytes("short".into()),
            "4 bytes for 3 values"
        );
        assert_eq!(
            Weights::parse(vec![1, 2]).unwrap_err(),
            WeightsError::Truncated
        );
        assert_eq!(
            Weights::parse(file(
                r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,400]}}"#,
                &[1.0]
            ))
            .unwrap()
            .f32("a", &[1])
            .unwrap_err(),
            WeightsError::Bytes("a".into()),
            "beyond the end of the file"
        );
        assert!(matches!(
            Weights::parse(file("{not json", &[])),
            Err(WeightsError::Header(_))
        ));
    }
}
