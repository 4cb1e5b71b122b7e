//! The knowledge-base reader (TOML authoring format and JSON interchange): never panics; a
//! base it reads builds an assistant that answers any question without panicking.
#![no_main]

use ito_assistant::{Assistant, KnowledgeBase};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(base) = KnowledgeBase::parse(text) {
        let _ = ito_assistant::kb::lint(&base);
        if base.articles.len() <= 64 {
            let assistant = Assistant::new(base);
            let _ = assistant.ask(text.get(..64).unwrap_or(text), 3);
        }
    }
});
