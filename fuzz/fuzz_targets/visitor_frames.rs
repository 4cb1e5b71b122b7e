//! The widget's hand-written reader of the server's frames: never panics, and whatever it
//! reads is what serde's writer would have written for it.
#![no_main]

use ito_protocol::chat::ServerToVisitor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(frame) = ServerToVisitor::read(text) {
        let written = serde_json::to_string(&frame).expect("frames serialize");
        assert_eq!(ServerToVisitor::read(&written), Some(frame));
    }
});
