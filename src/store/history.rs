//! Past and present conversations found by what agents remember of them: the visitor's name
//! or email, words said in them (messages, notes and the bot transcript: their text only,
//! never the JSON around it), or a label. Newest first.

use super::{Store, sql, with_pool};

/// The most conversations one search returns.
pub const MAX_FOUND: i64 = 50;

/// A conversation a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub conversation: String,
    pub site: String,
    /// The protocol's name for its status (`resolved`, ...).
    pub status: String,
    pub started_at: String,
    pub visitor: Option<String>,
    pub email: Option<String>,
    /// Who has (or last had) it.
    pub agent: Option<String>,
}

/// `words` as a LIKE pattern that matches them anywhere, with `%`, `_` and `\` taken as
/// they are.
fn containing(words: &str) -> String {
    let mut pattern = String::from("%");
    for c in words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The newest conversations (at most [`MAX_FOUND`]) whose visitor's name or email, or whose
/// words, contain `words` (ignoring case), and that carry `label`; either may be left out.
pub async fn search(
    store: &Store,
    words: Option<&str>,
    label: Option<&str>,
) -> Result<Vec<Found>, sqlx::Error> {
    let pattern = words
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(containing);
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = with_pool!(store, |pool, PG| sqlx::query_as(sql(
        PG,
        "SELECT c.id, c.site, c.status, c.created_at, v.name, v.email, a.name
         FROM conversations c
         JOIN visitors v ON v.id = c.visitor_id
         LEFT JOIN agents a ON a.id = c.agent_id
         WHERE ($1 IS NULL
                OR v.name LIKE $1 ESCAPE '\\' OR v.email LIKE $1 ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = c.id
                           AND (json_extract(e.body, '$.message.text') LIKE $1 ESCAPE '\\'
                                OR json_extract(e.body, '$.note.text') LIKE $1 ESCAPE '\\'))
                OR EXISTS (SELECT 1 FROM json_each(c.handoff_context, '$.transcript') t
                           WHERE json_extract(t.value, '$.text') LIKE $1 ESCAPE '\\'))
           AND ($2 IS NULL OR EXISTS (SELECT 1 FROM conversation_labels l
                                      WHERE l.conversation_id = c.id AND l.label = $2))
         ORDER BY c.rowid DESC LIMIT $3",
        "SELECT c.id, c.site, c.status, c.created_at, v.name, v.email, a.name
         FROM conversations c
         JOIN visitors v ON v.id = c.visitor_id
         LEFT JOIN agents a ON a.id = c.agent_id
         WHERE (CAST($1 AS TEXT) IS NULL
                OR v.name ILIKE $1 OR v.email ILIKE $1
                OR EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = c.id
                           AND (e.body -> 'message' ->> 'text' ILIKE $1
                                OR e.body -> 'note' ->> 'text' ILIKE $1))
                OR EXISTS (SELECT 1
                           FROM jsonb_array_elements(c.handoff_context -> 'transcript') t (line)
                           WHERE t.line ->> 'text' ILIKE $1))
           AND (CAST($2 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM conversation_labels l
                                      WHERE l.conversation_id = c.id AND l.label = $2))
         ORDER BY c.rowid DESC LIMIT $3",
    ))
    .bind(pattern)
    .bind(label)
    .bind(MAX_FOUND)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(conversation, site, status, started_at, visitor, email, agent)| Found {
                conversation,
                site,
                status,
                started_at,
                visitor,
                email,
                agent,
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_matched_as_typed() {
        assert_eq!(containing("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
