//! Canned replies in the reply box, as plain text functions: the shortcut being typed (`/ref`
//! at the end of the draft), the replies it matches, and the draft with the chosen one in
//! its place, placeholders filled.

/// One of a site's canned replies, as `GET /api/v1/sites/{site}/canned` gives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Canned {
    pub shortcut: String,
    pub text: String,
}

/// The most matches the list shows.
pub const SHOWN: usize = 6;

/// What follows a `/` that starts the draft's last word (at its start or after a space), if
/// the draft ends in one: `Some("")` right after typing `/`.
pub fn typed_shortcut(draft: &str) -> Option<&str> {
    let start = draft.rfind(char::is_whitespace).map_or(0, |at| {
        at + draft[at..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &draft[start..];
    word.strip_prefix('/').filter(|rest| !rest.contains('/'))
}

/// The replies whose shortcut starts with `typed`, then those that contain it, each in order.
pub fn matching<'a>(replies: &'a [Canned], typed: &str) -> Vec<&'a Canned> {
    let typed = typed.to_lowercase();
    let starts = replies.iter().filter(|c| c.shortcut.starts_with(&typed));
    let contains = replies
        .iter()
        .filter(|c| !c.shortcut.starts_with(&typed) && c.shortcut.contains(&typed));
    starts.chain(contains).take(SHOWN).collect()
}

/// `text` with `{visitor_name}` and `{agent_name}` filled (`fallback` when the visitor gave
/// no name).
pub fn fill(text: &str, visitor: Option<&str>, agent: &str, fallback: &str) -> String {
    // One pass, so a name that looks like a placeholder stays as it is.
    text.split("{visitor_name}")
        .map(|part| part.replace("{agent_name}", agent))
        .collect::<Vec<_>>()
        .join(visitor.unwrap_or(fallback))
}

/// The draft with its trailing `/shortcut` replaced by `reply` (or `reply` after it when it
/// does not end in one).
pub fn insert(draft: &str, reply: &str) -> String {
    let kept = match typed_shortcut(draft) {
        Some(typed) => &draft[..draft.len() - typed.len() - 1],
        None => draft,
    };
    format!("{kept}{reply}")
}
