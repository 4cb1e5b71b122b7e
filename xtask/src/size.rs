//! `cargo xtask size`: what the host page and the iframe download, raw, gzip and brotli.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::build::{LOADER, MINIFIED_LOADER};
const WIDGET_DIST: &str = "dist/widget";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl std::ops::Add for Sizes {
    type Output = Sizes;
    fn add(self, o: Sizes) -> Sizes {
        Sizes {
            raw: self.raw + o.raw,
            gzip: self.gzip + o.gzip,
            brotli: self.brotli + o.brotli,
        }
    }
}

/// Gzip level 9 and brotli quality 11: what `cargo xtask build` writes next to each file and
/// the server sends to browsers that accept them.
pub fn compressed(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(bytes).expect("writing to memory");
    let gzip = gzip.finish().expect("writing to memory");
    let mut brotli = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut brotli, &params).expect("writing to memory");
    (gzip, brotli)
}

pub fn measure(bytes: &[u8]) -> Sizes {
    let (gzip, brotli) = compressed(bytes);
    Sizes {
        raw: bytes.len(),
        gzip: gzip.len(),
        brotli: brotli.len(),
    }
}

/// Whether `path` is a compressed copy `cargo xtask build` wrote.
pub fn is_compressed_copy(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"))
}

pub fn report() -> Result<()> {
    let mut widget_files = files_under(Path::new(WIDGET_DIST))
        .with_context(|| format!("{WIDGET_DIST} is missing: run `cargo xtask build` first"))?;
    if widget_files.is_empty() {
        bail!("{WIDGET_DIST} is empty: run `cargo xtask build` first");
    }
    widget_files.sort();
    println!(
        "{:<56} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip", "brotli"
    );
    let source = measure(&std::fs::read(LOADER)?);
    row(&format!("(source: {LOADER})"), source);
    let loader =
        measure(&std::fs::read(MINIFIED_LOADER).with_context(|| {
            format!("{MINIFIED_LOADER} is missing: run `cargo xtask build` first")
        })?);
    row(&format!("host page: {MINIFIED_LOADER}"), loader);
    let mut total = Sizes::default();
    for file in &widget_files {
        let sizes = measure(&std::fs::read(file)?);
        row(&format!("iframe: {}", file.display()), sizes);
        total = total + sizes;
    }
    // A visitor downloads one knowledge base, in their language: count the larger demo one.
    let mut largest_base = Sizes::default();
    for locale in ["en", "ja"] {
        let path = format!("examples/faq/{locale}.toml");
        let text = std::fs::read_to_string(&path)?;
        let base = ito_assistant::KnowledgeBase::parse(&text)
            .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let sizes = measure(base.to_served_json().as_bytes());
        row(&format!("iframe: {path} as served (JSON)"), sizes);
        if sizes.brotli > largest_base.brotli {
            largest_base = sizes;
        }
    }
    row("iframe: total with the larger base", total + largest_base);
    Ok(())
}

fn row(name: &str, s: Sizes) {
    println!("{name:<56} {:>10} {:>10} {:>10}", s.raw, s.gzip, s.brotli);
}

pub fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else if !is_compressed_copy(&path) {
            files.push(path);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_shrinks_repetitive_text_and_counts_raw_bytes() {
        let text = "Ito ".repeat(1000);
        let sizes = measure(text.as_bytes());
        assert_eq!(sizes.raw, 4000);
        assert!(sizes.gzip < 200 && sizes.brotli < 200, "{sizes:?}");
        assert_eq!(measure(b"").raw, 0);
    }
}
