//! The conversation as the widget shows it: plain data, tested without a browser view.

/// Who wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Visitor,
    Bot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// Unique within the thread; the list view keys rows by it.
    pub id: u32,
    pub author: Author,
    pub text: String,
}

/// The longest message a visitor may send, in characters (the server's limit is 64 KiB).
pub const MAX_MESSAGE_CHARS: usize = 4000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thread {
    lines: Vec<ChatLine>,
}

impl Thread {
    pub fn lines(&self) -> &[ChatLine] {
        &self.lines
    }

    /// Adds what the visitor typed, trimmed; blank text adds nothing and returns `None`.
    /// Text over [`MAX_MESSAGE_CHARS`] is cut there rather than lost entirely.
    pub fn add_visitor_message(&mut self, text: &str) -> Option<&ChatLine> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let text: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
        self.push(Author::Visitor, text)
    }

    fn push(&mut self, author: Author, text: String) -> Option<&ChatLine> {
        let id = self.lines.last().map_or(0, |l| l.id + 1);
        self.lines.push(ChatLine { id, author, text });
        self.lines.last()
    }
}
