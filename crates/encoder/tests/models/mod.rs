//! Where `cargo xtask setup` put the models (or `ITO_MODELS`), shared by the reference tests.

use std::path::PathBuf;

/// `relative` under the models folder, which must exist.
pub fn installed(relative: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = std::env::var_os("ITO_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/models"))
        .join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask setup`",
        path.display()
    );
    path
}
