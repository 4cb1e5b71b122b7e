//! Speed of the assistant on a 2,000-article base, natively:
//! `cargo run --release -p ito-assistant --example bench`. Prints numbers; asserts none.
//! The same measurement runs in Chromium with `cargo xtask bench`.

use std::time::Instant;

fn main() {
    let start = Instant::now();
    let figures = ito_assistant::bench::measure(|| start.elapsed().as_secs_f64() * 1000.0, 21, 5);
    println!("native: {figures}");
}
