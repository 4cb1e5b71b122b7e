//! The speed benchmark in headless Chromium. Ignored by default: timings are figures to read,
//! not assertions. `cargo xtask bench` runs it with `--include-ignored` and prints the figures.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
#[ignore]
fn speed_in_the_browser() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("a browser clock");
    let figures = ito_assistant::bench::measure(|| performance.now(), 3, 2);
    console_log!("wasm (Chromium): {figures}");
}
