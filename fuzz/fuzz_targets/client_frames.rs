//! The server's readers of what visitors' widgets and agents' consoles send: never panic, and
//! a frame read is written back to the same frame.
#![no_main]

use ito_protocol::chat::{AgentToServer, VisitorToServer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(frame) = serde_json::from_str::<VisitorToServer>(text) {
        let written = serde_json::to_string(&frame).expect("frames serialize");
        assert_eq!(
            serde_json::from_str::<VisitorToServer>(&written).ok(),
            Some(frame)
        );
    }
    if let Ok(frame) = serde_json::from_str::<AgentToServer>(text) {
        let written = serde_json::to_string(&frame).expect("frames serialize");
        assert_eq!(
            serde_json::from_str::<AgentToServer>(&written).ok(),
            Some(frame)
        );
    }
});
