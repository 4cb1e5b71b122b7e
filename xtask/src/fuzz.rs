//! `cargo xtask fuzz [--seconds N]`: runs every cargo-fuzz target of `fuzz/` for N seconds
//! each (60 by default) and says what it found. Not part of `cargo xtask test`: fuzzing is
//! open-ended, and each crash it finds becomes a regular test instead.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::run::{output, status};
use crate::setup::step;

pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

pub fn run(args: &[String]) -> Result<()> {
    let seconds = match args {
        [] => 60,
        [flag, n] if flag == "--seconds" => {
            n.parse::<u64>().context("--seconds takes a whole number")?
        }
        _ => bail!("usage: cargo xtask fuzz [--seconds N]"),
    };
    crate::setup::ensure_cargo_tool(
        "cargo-fuzz",
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
        &["--locked"],
    )?;
    // libFuzzer's sanitizer flags need a nightly compiler.
    let toolchains = output(Command::new("rustup").args(["toolchain", "list"]))?;
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        step("installing a nightly toolchain for cargo-fuzz");
        status(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    let targets = output(Command::new("cargo").args(["+nightly", "fuzz", "list"]))?;
    for target in targets.lines().map(str::trim).filter(|t| !t.is_empty()) {
        step(&format!("fuzzing {target} for {seconds} s"));
        status(Command::new("cargo").args([
            "+nightly",
            "fuzz",
            "run",
            target,
            "--",
            &format!("-max_total_time={seconds}"),
            "-print_final_stats=1",
        ]))
        .with_context(|| {
            format!("{target} found a crash: its input is in fuzz/artifacts/{target}/")
        })?;
    }
    step("no crash found");
    Ok(())
}
