//! The widget's hand-written reader of a stored thread (storage another script on the Ito
//! origin, or a damaged disk, could have written): never panics, and reads back what it writes.
#![no_main]

use ito_widget::thread::Thread;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(thread) = Thread::from_json(text) {
        assert_eq!(Thread::from_json(&thread.to_json()), Some(thread));
    }
});
