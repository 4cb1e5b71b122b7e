//! Installs the tools the build and tests need, each only when it is missing or at the wrong
//! version, so a second run costs a few version checks.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::run::{output, status};

pub const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` crate pinned in the workspace Cargo.toml (a test checks).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The proxy the integration tests put in front of `ito serve` (`tests/proxy_nginx.rs`).
pub const NGINX: &str = "/usr/sbin/nginx";
/// Where the tests' SMTP server (Python's aiosmtpd, `tests/smtp/mail_server.py`) is installed.
pub const PYTHON_PACKAGES: &str = "target/python";
const AIOSMTPD: &str = "aiosmtpd==1.4.6";
/// Where `npm ci` installs the npm tools of the root package.json.
pub const NODE_BIN: &str = "node_modules/.bin";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Enough to build the widget and console and run the server.
    Build,
    /// Also a browser and its driver.
    Tests,
}

pub fn ensure(needs: Needs) -> Result<()> {
    ensure_wasm_target()?;
    ensure_cargo_tool("trunk", "trunk", TRUNK_VERSION, &["--locked"])?;
    // Without --locked: the CLI's lock file pins a crate version the registry no longer has.
    ensure_cargo_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        WASM_BINDGEN_VERSION,
        &[],
    )?;
    let mut packages = Vec::new();
    if !on_path("npm") {
        packages.extend(["nodejs", "npm"]);
    }
    if needs == Needs::Tests {
        if !Path::new(CHROMIUM).exists() {
            packages.push("chromium");
        }
        if !Path::new(CHROMEDRIVER).exists() {
            packages.push("chromium-driver");
        }
        if !Path::new(NGINX).exists() {
            packages.push("nginx");
        }
        // The native suite runs again on PostgreSQL (`crate::postgres`).
        if crate::postgres::bin_dir().is_none() {
            packages.push("postgresql");
        }
        let has_pip = Command::new("python3")
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_pip && !Path::new(PYTHON_PACKAGES).join("aiosmtpd").exists() {
            packages.extend(["python3", "python3-pip"]);
        }
    }
    apt_install(&packages)?;
    ensure_npm_packages()?;
    if needs == Needs::Tests {
        ensure_smtp_server()?;
    }
    crate::models::ensure()
}

/// `cargo install` puts tools in `$CARGO_HOME/bin`, which a fresh shell may not have on PATH;
/// `npm ci` puts wasm-opt in `node_modules/.bin`, which must come before any older system copy.
pub fn put_tools_on_path() {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let node_bin = std::env::current_dir().map(|d| d.join(NODE_BIN)).ok();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let ours = [node_bin, cargo_home.map(|h| h.join("bin"))]
        .into_iter()
        .flatten();
    let joined = std::env::join_paths(ours.chain(std::env::split_paths(&path)))
        .expect("PATH entries stay joinable");
    // SAFETY: xtask is single-threaded and sets this before starting any child process.
    unsafe { std::env::set_var("PATH", joined) };
}

fn ensure_wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm target")?;
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        step(&format!("adding the Rust target {WASM_TARGET}"));
        status(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

/// Installs `krate` at `version` unless `binary --version` already reports it.
pub fn ensure_cargo_tool(binary: &str, krate: &str, version: &str, flags: &[&str]) -> Result<()> {
    let reported = output(Command::new(binary).arg("--version")).unwrap_or_default();
    if installed_version(&reported) == Some(version) {
        return Ok(());
    }
    step(&format!(
        "installing {krate} {version} (a few minutes, once)"
    ));
    status(
        Command::new("cargo")
            .args(["install", krate, "--version", version])
            .args(flags),
    )
}

/// `"trunk 0.21.14\n"` gives `Some("0.21.14")`.
pub fn installed_version(reported: &str) -> Option<&str> {
    reported.split_whitespace().nth(1)
}

fn on_path(binary: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn apt_install(packages: &[&str]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    if !on_path("apt-get") {
        bail!(
            "please install these packages, then run again: {}",
            packages.join(" ")
        );
    }
    step(&format!("installing {} with apt-get", packages.join(" ")));
    let as_root = output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if as_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !as_root {
            command.arg("apt-get");
        }
        command.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        status(&mut command)
    };
    apt(&["update", "-qq"])?;
    apt(&[
        &["install", "-y", "-qq", "--no-install-recommends"],
        packages,
    ]
    .concat())
}

/// `npm ci` when `node_modules` is missing or older than the lock file.
fn ensure_npm_packages() -> Result<()> {
    let installed = Path::new("node_modules/.package-lock.json").metadata();
    let locked = Path::new("package-lock.json")
        .metadata()
        .context("package-lock.json is missing")?;
    let fresh = match installed {
        Ok(installed) => installed.modified()? >= locked.modified()?,
        Err(_) => false,
    };
    if !fresh {
        step("installing the npm tools: wasm-opt, terser and playwright-core (npm ci)");
        status(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// aiosmtpd from PyPI in [`PYTHON_PACKAGES`], for the mail tests' real SMTP server.
fn ensure_smtp_server() -> Result<()> {
    if Path::new(PYTHON_PACKAGES).join("aiosmtpd").exists() {
        return Ok(());
    }
    step(&format!(
        "installing the tests' SMTP server: {AIOSMTPD} from PyPI"
    ));
    let install = |extra: &[&str]| {
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--target", PYTHON_PACKAGES, AIOSMTPD])
            .args(extra)
            .status()
    };
    // Debian's Python refuses installs it does not manage unless told (pip 23.0.1 and later).
    if !install(&[])?.success() && !install(&["--break-system-packages"])?.success() {
        bail!("pip could not install {AIOSMTPD} into {PYTHON_PACKAGES}");
    }
    Ok(())
}

pub fn step(what: &str) {
    eprintln!("xtask: {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_as_the_tools_print_them() {
        assert_eq!(installed_version("trunk 0.21.14\n"), Some("0.21.14"));
        assert_eq!(installed_version("wasm-bindgen 0.2.130"), Some("0.2.130"));
        assert_eq!(installed_version(""), None);
    }

    #[test]
    fn the_cli_version_matches_the_pinned_crate() {
        let manifest = include_str!("../../Cargo.toml");
        let pin = format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"");
        assert!(manifest.contains(&pin), "Cargo.toml must pin {pin}");
    }
}
