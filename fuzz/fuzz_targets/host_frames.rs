//! The widget's reader of the host page's frames (any script on the host page can post them):
//! never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = ito_protocol::embed::decode_host(text);
});
