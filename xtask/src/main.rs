//! Project commands, run as `cargo xtask <command>` from anywhere in the repository.
//!
//! - [`setup`]: installs what the build and the tests need, skipping what is present.
//! - [`models`]: fetches and checks the sentence encoder's weights into `target/models/`.
//! - [`build`]: compiles the widget and the console with Trunk into `dist/`.
//! - [`size`]: the raw, gzip and brotli bytes of what a host page and the iframe download.
//! - [`fuzz`]: runs the cargo-fuzz targets of `fuzz/` for a while each.
//! - `demo` and `test` chain these with the server and the test suites.

mod build;
mod fuzz;
mod models;
mod postgres;
mod run;
mod setup;
mod size;

use std::path::PathBuf;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

  demo    install what is missing, build, and serve the demo on http://127.0.0.1:8080
  test    install what is missing, build, and run every test: native, wasm in Chromium, end-to-end
  build   build the widget and the console into dist/
  size    print raw, gzip and brotli sizes of the loader and of what the iframe downloads
  bench   print the assistant's speed (2,000 articles, native and Chromium) and the widget's load timing
  setup   only install what is missing (add --browser for what the tests need)
  fuzz    run every fuzz target of fuzz/ for --seconds N each (60 by default; not part of test)";

fn main() {
    if let Err(e) = run_command() {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run_command() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    setup::put_tools_on_path();
    match args.first().map(String::as_str) {
        Some("demo") => {
            setup::ensure(setup::Needs::Build)?;
            build::front_ends()?;
            run::demo(&args[1..])
        }
        Some("test") => {
            setup::ensure(setup::Needs::Tests)?;
            build::front_ends()?;
            run::tests()
        }
        Some("build") => {
            setup::ensure(setup::Needs::Build)?;
            build::front_ends()
        }
        Some("size") => size::report(),
        Some("bench") => {
            setup::ensure(setup::Needs::Tests)?;
            build::front_ends()?;
            run::bench()
        }
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("setup") => {
            let browser = args.iter().any(|a| a == "--browser");
            setup::ensure(if browser {
                setup::Needs::Tests
            } else {
                setup::Needs::Build
            })
        }
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

/// The repository root: xtask's manifest lives one level below it.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_owned()
}
