//! The answers' Markdown reader: never panics, and every link it keeps is http, https or
//! mailto, however deeply it is nested.
#![no_main]

use ito_assistant::markdown::{Block, Inline, parse};
use libfuzzer_sys::fuzz_target;

fn check(inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Link { url, content } => {
                assert!(
                    url.starts_with("http://")
                        || url.starts_with("https://")
                        || url.starts_with("mailto:"),
                    "{url}"
                );
                check(content);
            }
            Inline::Strong(inner) | Inline::Emphasis(inner) => check(inner),
            Inline::Text(_) | Inline::Code(_) => {}
        }
    }
}

fuzz_target!(|text: &str| {
    for block in parse(text) {
        match &block {
            Block::Paragraph(inlines) | Block::Heading(inlines) => check(inlines),
            Block::List { items, .. } => items.iter().for_each(|item| check(item)),
        }
    }
});
