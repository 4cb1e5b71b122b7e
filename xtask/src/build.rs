//! Compiles the widget and the console with Trunk (release, size-optimised) into `dist/`, and
//! minifies the host-page loader into `dist/ito.js`.

use std::process::Command;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::run::status;
use crate::setup::step;
use crate::size::{compressed, files_under};

/// The loader as written, and as served once built (the server falls back to the source).
pub const LOADER: &str = "widget/loader/ito.js";
pub const MINIFIED_LOADER: &str = "dist/ito.js";

pub fn front_ends() -> Result<()> {
    for (what, config) in [("widget", "Trunk.toml"), ("console", "console/Trunk.toml")] {
        step(&format!("building the {what} ({config})"));
        status(Command::new("trunk").args(["build", "--release", "--config", config]))?;
    }
    step(&format!(
        "minifying the loader ({LOADER} -> {MINIFIED_LOADER})"
    ));
    minify_loader()?;
    step("writing brotli and gzip copies of dist/ (served as they are)");
    let mut files = files_under(Path::new("dist/widget"))?;
    files.extend(files_under(Path::new("dist/console"))?);
    files.push(PathBuf::from(MINIFIED_LOADER));
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let (gzip, brotli) = compressed(&bytes);
        std::fs::write(with_suffix(&file, ".gz"), gzip)?;
        std::fs::write(with_suffix(&file, ".br"), brotli)?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn minify_loader() -> Result<()> {
    status(Command::new("terser").args([
        LOADER,
        "--compress",
        "passes=3",
        "--mangle",
        // The loader's private state object (`ui`): safe to rename, never seen outside.
        "--mangle-props",
        "regex=/^(launcher|badge|panel|bubble|bubbleText|frame|ready|nudged|host|root)$/",
        "--output",
        MINIFIED_LOADER,
    ]))
}
