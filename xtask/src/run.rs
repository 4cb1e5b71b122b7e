//! Running the demo and the test suites, and small helpers for child processes.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup::{CHROMEDRIVER, WASM_TARGET, step};

const E2E_DIR: &str = "tests/e2e";

/// The demo's database (`server.database` in examples/ito.toml).
const DEMO_DATABASE: &str = "target/demo/ito.sqlite3";

pub fn demo(extra_args: &[String]) -> Result<()> {
    if !std::path::Path::new(DEMO_DATABASE).exists() {
        step(
            "first run: filling the demo database with a few weeks of conversations (ito seed-demo)",
        );
        status(Command::new("cargo").args([
            "run",
            "--quiet",
            "--package",
            "ito",
            "--",
            "seed-demo",
            "--config",
            "examples/ito.toml",
        ]))?;
    }
    step("starting the demo: Ctrl-C stops it");
    status(
        Command::new("cargo")
            .args([
                "run",
                "--quiet",
                "--package",
                "ito",
                "--",
                "serve",
                "--config",
                "examples/ito.toml",
            ])
            .args(extra_args),
    )
}

pub fn tests() -> Result<()> {
    step("native tests, on SQLite");
    // The tests that need a real nginx fail rather than skip when it is missing here:
    // `setup` installed it.
    status(
        Command::new("cargo")
            .arg("test")
            .env("ITO_NGINX", crate::setup::NGINX),
    )?;

    step("native tests again, on PostgreSQL (a throwaway cluster)");
    // Kept to the end: the end-to-end tests run two nodes on it behind nginx.
    let cluster = crate::postgres::Cluster::start()?;
    status(
        Command::new("cargo")
            .arg("test")
            .env("ITO_NGINX", crate::setup::NGINX)
            .env("ITO_TEST_POSTGRES", &cluster.url),
    )?;

    step("widget and console tests in headless Chromium");
    status(in_chromium(Command::new("cargo").args([
        "test",
        "--package",
        "ito-widget",
        "--package",
        "ito-console",
        "--target",
        WASM_TARGET,
    ])))?;

    step("end-to-end tests in headless Chromium");
    node_in_e2e(
        Command::new("node")
            .args(["--test", "--test-concurrency=1"])
            .env("ITO_E2E_POSTGRES", &cluster.url),
    )?;
    drop(cluster);
    step("all tests passed");
    Ok(())
}

/// Speed figures of the assistant, natively and in headless Chromium. Numbers to read, not checks.
pub fn bench() -> Result<()> {
    step("assistant speed, native");
    status(Command::new("cargo").args([
        "run",
        "--quiet",
        "--release",
        "--package",
        "ito-assistant",
        "--example",
        "bench",
    ]))?;
    step("assistant speed, wasm in headless Chromium");
    status(in_chromium(Command::new("cargo").args([
        "test",
        "--release",
        "--package",
        "ito-assistant",
        "--target",
        WASM_TARGET,
        "--test",
        "wasm_speed",
        "--",
        "--include-ignored",
        "--nocapture",
    ])))?;
    step("widget load timing in headless Chromium");
    node_in_e2e(Command::new("node").arg("load-bench.mjs"))?;
    step("live chat under load: 5,000 visitors, 1,000 messages/s (release servers)");
    status(Command::new("cargo").args([
        "build",
        "--quiet",
        "--release",
        "--package",
        "ito",
        "--bin",
        "ito",
        "--example",
        "chat_load",
    ]))?;
    step("the same on one SQLite node");
    status(
        Command::new("target/release/examples/chat_load").args(["--server", "target/release/ito"]),
    )?;
    step("the same on two nodes sharing a throwaway PostgreSQL");
    let cluster = crate::postgres::Cluster::start()?;
    let database = format!("{}/postgres", cluster.url);
    status(Command::new("target/release/examples/chat_load").args([
        "--server",
        "target/release/ito",
        "--database",
        &database,
        "--nodes",
        "2",
    ]))
}

/// Runs `node` (a Node command) in `tests/e2e` against a freshly built debug server.
fn node_in_e2e(node: &mut Command) -> Result<()> {
    status(Command::new("cargo").args(["build", "--quiet", "--package", "ito"]))?;
    let server = std::env::current_dir()?.join("target/debug/ito");
    status(node.current_dir(E2E_DIR).env("ITO_BIN", server))
}

/// Makes `cargo test --target wasm32...` run its tests in headless Chromium.
fn in_chromium(command: &mut Command) -> &mut Command {
    command
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
}

/// Runs a command with inherited output and fails unless it succeeds.
pub fn status(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns what it printed on stdout.
pub fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let out = command
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
