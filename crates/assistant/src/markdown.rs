//! The Markdown of article answers, read into a small tree the widget draws as elements and
//! text nodes. There is no HTML anywhere on the way: a `<script>` in an answer is text, and
//! links keep only `http`, `https` and `mailto` targets (anything else shows as its text).
//!
//! Supported, because FAQ answers use it: paragraphs, `-`/`*` and `1.` lists, `#` headings,
//! `**strong**`, `*emphasis*`, `` `code` `` and `[text](url)`. Underscores are left alone:
//! they appear inside words and identifiers (`order_id`) far more often than as emphasis.

/// A block of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// Items of a list, `ordered` when written `1.`, `2.` …
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Code(String),
    /// A link whose target passed [`safe_url`].
    Link {
        url: String,
        content: Vec<Inline>,
    },
}

/// The URL if its scheme is one a help answer may link to, else `None`. Relative URLs are
/// refused too: inside the widget's iframe they would point at the Ito server, not the site.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let (scheme, rest) = url.split_once(':')?;
    let allowed = ["http", "https", "mailto"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    let well_formed = !rest.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (allowed && well_formed).then_some(url)
}

pub fn parse(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<String>)> = None;
    let flush_paragraph = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(inlines(&paragraph.join(" "))));
            paragraph.clear();
        }
    };
    let flush_list = |list: &mut Option<(bool, Vec<String>)>, blocks: &mut Vec<Block>| {
        if let Some((ordered, items)) = list.take() {
            blocks.push(Block::List {
                ordered,
                items: items.iter().map(|item| inlines(item)).collect(),
            });
        }
    };
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush_paragraph(&mut paragraph, &mut blocks);
            flush_list(&mut list, &mut blocks);
        } else if let Some((ordered, item)) = list_item(trimmed) {
            flush_paragraph(&mut paragraph, &mut blocks);
            if list.as_ref().is_some_and(|(o, _)| *o != ordered) {
                flush_list(&mut list, &mut blocks);
            }
            list.get_or_insert_with(|| (ordered, Vec::new()))
                .1
                .push(item.to_owned());
        } else if let Some(heading) = heading(trimmed) {
            flush_paragraph(&mut paragraph, &mut blocks);
            flush_list(&mut list, &mut blocks);
            blocks.push(Block::Heading(inlines(heading)));
        } else if let Some((_, items)) = list.as_mut().filter(|_| line.starts_with([' ', '\t'])) {
            // An indented line continues the list item above it.
            let last = items.last_mut().expect("a list has an item");
            last.push(' ');
            last.push_str(trimmed);
        } else {
            flush_list(&mut list, &mut blocks);
            paragraph.push(trimmed);
        }
    }
    flush_paragraph(&mut paragraph, &mut blocks);
    flush_list(&mut list, &mut blocks);
    blocks
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, item.trim()));
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && digits < 4)
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
        .map(|item| (true, item.trim()))
}

fn heading(line: &str) -> Option<&str> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    (1..=6)
        .contains(&hashes)
        .then(|| line[hashes..].strip_prefix(' '))
        .flatten()
        .map(str::trim)
}

/// Inline markup of one paragraph or item. Unmatched markers stay as the characters typed.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some((inline, after)) = markup(rest) {
            if !plain.is_empty() {
                out.push(Inline::Text(std::mem::take(&mut plain)));
            }
            out.push(inline);
            rest = after;
        } else {
            plain.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// The inline element `text` starts with, and what follows it.
fn markup(text: &str) -> Option<(Inline, &str)> {
    if let Some(body) = text.strip_prefix('`') {
        let end = body.find('`')?;
        return Some((Inline::Code(body[..end].to_owned()), &body[end + 1..]));
    }
    if let Some(body) = text.strip_prefix("**") {
        let end = body.find("**").filter(|&e| e > 0)?;
        return Some((Inline::Strong(inlines(&body[..end])), &body[end + 2..]));
    }
    if let Some(body) = text.strip_prefix('*') {
        let end = body.find('*').filter(|&e| e > 0)?;
        if body.starts_with(' ') {
            return None;
        }
        return Some((Inline::Emphasis(inlines(&body[..end])), &body[end + 1..]));
    }
    if let Some(body) = text.strip_prefix('[') {
        let close = body.find("](")?;
        let after = &body[close + 2..];
        let end = after.find(')')?;
        let content = inlines(&body[..close]);
        let inline = match safe_url(&after[..end]) {
            Some(url) => Inline::Link {
                url: url.to_owned(),
                content,
            },
            // An unsafe target: keep the words, drop the link.
            None => Inline::Emphasis(content),
        };
        return Some((inline, &after[end + 1..]));
    }
    None
}

/// The answer as plain text (for previews, screen-reader summaries and handoff transcripts).
pub fn plain_text(blocks: &[Block]) -> String {
    fn walk(inlines: &[Inline], out: &mut String) {
        for inline in inlines {
            match inline {
                Inline::Text(t) | Inline::Code(t) => out.push_str(t),
                Inline::Strong(i) | Inline::Emphasis(i) | Inline::Link { content: i, .. } => {
                    walk(i, out)
                }
            }
        }
    }
    let mut out = String::new();
    for block in blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        match block {
            Block::Heading(i) | Block::Paragraph(i) => walk(i, &mut out),
            Block::List { items, .. } => {
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push('\n');
                    }
                    out.push_str("- ");
                    walk(item, &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Inline {
        Inline::Text(t.to_owned())
    }

    #[test]
    fn paragraphs_lists_and_headings() {
        let got = parse(
            "# Returns\nYou have 30 days\nto return.\n\n- one\n- **two**\n  more\n\n1. first\n2) second\nAfter.",
        );
        assert_eq!(
            got,
            vec![
                Block::Heading(vec![text("Returns")]),
                Block::Paragraph(vec![text("You have 30 days to return.")]),
                Block::List {
                    ordered: false,
                    items: vec![
                        vec![text("one")],
                        vec![Inline::Strong(vec![text("two")]), text(" more")]
                    ]
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![text("first")], vec![text("second")]]
                },
                Block::Paragraph(vec![text("After.")]),
            ]
        );
    }

    #[test]
    fn inline_markup() {
        assert_eq!(
            inlines("a **b *c* d** `x*y` *e* [site](https://a.example/x?y=1)"),
            vec![
                text("a "),
                Inline::Strong(vec![
                    text("b "),
                    Inline::Emphasis(vec![text("c")]),
                    text(" d")
                ]),
                text(" "),
                Inline::Code("x*y".into()),
                text(" "),
                Inline::Emphasis(vec![text("e")]),
                text(" "),
                Inline::Link {
                    url: "https://a.example/x?y=1".into(),
                    content: vec![text("site")]
                },
            ]
        );
        assert_eq!(inlines("2 * 3 * 4"), vec![text("2 * 3 * 4")]);
        assert_eq!(inlines("**"), vec![text("**")]);
        assert_eq!(
            inlines("see order_id and __init__"),
            vec![text("see order_id and __init__")]
        );
        assert_eq!(
            inlines("送料は**無料**です"),
            vec![
                text("送料は"),
                Inline::Strong(vec![text("無料")]),
                text("です")
            ]
        );
    }

    #[test]
    fn only_safe_links_survive() {
        for good in [
            "https://x.example",
            "HTTP://x.example",
            "mailto:help@x.example",
        ] {
            assert_eq!(safe_url(good), Some(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "/relative",
            "//evil.example",
            "https:",
            "https://a b",
            "java\nscript:alert(1)",
        ] {
            assert_eq!(safe_url(bad), None, "{bad:?}");
        }
        assert_eq!(
            inlines("[click](javascript:alert(1))"),
            vec![Inline::Emphasis(vec![text("click")]), text(")")]
        );
    }

    #[test]
    fn html_is_only_ever_text() {
        let got = parse("<script>alert(1)</script>\n<img src=x onerror=alert(1)>");
        assert_eq!(
            got,
            vec![Block::Paragraph(vec![text(
                "<script>alert(1)</script> <img src=x onerror=alert(1)>"
            )])]
        );
        assert_eq!(parse(""), vec![]);
    }

    #[test]
    fn plain_text_keeps_the_words() {
        let blocks = parse("Hi **there**.\n\n- [a](https://x.example)\n- `b`");
        assert_eq!(plain_text(&blocks), "Hi there.\n- a\n- b");
    }
}
