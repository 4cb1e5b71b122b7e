//! Compiles the widget and the console with Trunk (release, size-optimised) into `dist/`, and
//! minifies the host-page loader into `dist/ito.js`.

use std::process::Command;

use anyhow::Result;

use crate::run::status;
use crate::setup::step;

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
    status(Command::new("terser").args([
        LOADER,
        "--compress",
        "--mangle",
        "--output",
        MINIFIED_LOADER,
    ]))
}
