//! Compiles the widget and the console with Trunk (release, size-optimised) into `dist/`.

use std::process::Command;

use anyhow::Result;

use crate::run::status;
use crate::setup::step;

pub fn front_ends() -> Result<()> {
    for (what, config) in [("widget", "Trunk.toml"), ("console", "console/Trunk.toml")] {
        step(&format!("building the {what} ({config})"));
        status(Command::new("trunk").args(["build", "--release", "--config", config]))?;
    }
    Ok(())
}
