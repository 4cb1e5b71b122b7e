//! `ito seed-demo`: a few weeks of plausible conversations and surveys in an empty demo
//! database, so the dashboard has something to show on first run. Deterministic (a fixed
//! pseudo-random sequence), so the same command gives the same figures.
//!
//! Every conversation goes through the same store functions the server uses (handoffs,
//! claims, appends, closes, surveys), only with times in the past.

use crate::store::{Store, with_pool};
use ito_protocol::chat::{
    Author, ConversationId, ConversationStatus, EventKind, HandoffContext, HandoffReason,
};

use crate::reports::measures::{Facts, Millis};
use crate::store::agents;
use crate::store::events::{self, StoreError};
use crate::store::learning;
use crate::store::surveys::{self, Answer, SurveyError};

const MIN: Millis = 60_000;
const DAY: Millis = 24 * 60 * MIN;

/// The seeded agents (besides the demo agent): (email, name).
const AGENTS: [(&str, &str); 2] = [
    ("kenji@ito.example", "Kenji Sato"),
    ("mia@ito.example", "Mia Chen"),
];

const QUESTIONS: [&str; 8] = [
    "How long does shipping take?",
    "Can I return shoes I already wore outside?",
    "My parcel says delivered but it is not here",
    "Do you ship to Okinawa?",
    "I was charged twice for order 1042",
    "How do I change my delivery address?",
    "注文をキャンセルしたいです",
    "The discount code does not work",
];

/// The article of the demo base that answers each of [`QUESTIONS`] (in its language), for
/// the bot's turns: what the dashboard's article figures and content gaps show.
const ANSWERED_WITH: [(&str, Option<&str>); 8] = [
    ("en", Some("shipping-time")),
    ("en", Some("return-policy")),
    ("en", Some("order-status")),
    ("en", Some("shipping-cost")),
    ("en", None),
    ("en", Some("order-change")),
    ("ja", Some("order-cancel")),
    ("en", Some("coupons")),
];

/// What visitors of the demo shop ask that its base does not cover: the content gaps.
const UNCOVERED: [&str; 8] = [
    "Can I pay with bitcoin?",
    "do you accept crypto payments",
    "paying with bitcoin",
    "Do you offer gift wrapping?",
    "can you gift wrap my order",
    "Is there a student discount?",
    "student discount code",
    "Can I pick up my order in a store?",
];

const COMMENTS: [&str; 6] = [
    "Quick and kind, thank you!",
    "Solved in two minutes.",
    "I had to wait a while, but the answer was right.",
    "The bot's answer was exactly what I needed.",
    "Still not sure my refund is on its way.",
    "丁寧に対応していただきありがとうございました。",
];

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already has {0} conversations: seed-demo only fills an empty one")]
    NotEmpty(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Survey(#[from] SurveyError),
    #[error(transparent)]
    Agent(#[from] agents::AgentError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A small xorshift generator: plausible spread, the same every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }

    /// A whole number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() as usize % from.len()]
    }
}

/// What was seeded: the conversations' facts as planned (the measures of these must equal the
/// store's) and how many surveys were answered.
#[derive(Debug, Default)]
pub struct Seeded {
    pub planned: Vec<Facts>,
    pub surveys: u32,
}

/// Fills `site` with `days` days of conversations ending at `now` (Unix milliseconds).
/// `demo_agent` (an agent id) takes a share of the handoffs beside the seeded agents.
pub async fn seed(
    store: &Store,
    site: &str,
    days: u32,
    now: Millis,
    demo_agent: Option<&str>,
) -> Result<Seeded, SeedError> {
    let existing: i64 = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT COUNT(*) FROM conversations"
    )
    .fetch_one(pool)
    .await)?;
    if existing > 0 {
        return Err(SeedError::NotEmpty(existing));
    }
    let mut team: Vec<(String, String)> = Vec::new();
    for (email, name) in AGENTS {
        // Seeded agents cannot sign in: nobody knows their random password.
        let password = format!("{:x}{:x}", rand_u64(), rand_u64());
        let agent = agents::add(store, email, name, &password, agents::Role::Agent).await?;
        team.push((agent.id, agent.name));
    }
    if let Some(id) = demo_agent {
        team.push((id.to_owned(), "Demo Agent".to_owned()));
    }
    let mut dice = Dice(0x1705_2026_c0ff_ee11);
    // The bot's turns draw from their own sequence, so the conversations stay as they were.
    let mut turns = Dice(0x9e37_79b9_7f4a_7c15);
    let mut seeded = Seeded::default();
    let first_day = now - i64::from(days) * DAY;
    for day in 0..days {
        let per_day = dice.between(12, 30);
        for _ in 0..per_day {
            let start = first_day + i64::from(day) * DAY + dice.between(8 * 60, 21 * 60) * MIN;
            if start >= now - 30 * MIN {
                continue;
            }
            let (id, facts) =
                conversation(store, site, start, &team, &mut dice, &mut seeded).await?;
            bot_turn(store, site, &id, &facts, &mut turns).await?;
            seeded.planned.push(facts);
        }
    }
    Ok(seeded)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}

/// One conversation, as its visitor and (perhaps) an agent lived it.
async fn conversation(
    store: &Store,
    site: &str,
    start: Millis,
    team: &[(String, String)],
    dice: &mut Dice,
    seeded: &mut Seeded,
) -> Result<(ConversationId, Facts), SeedError> {
    let (_, id) = events::start_conversation(store, site).await?;
    set_time(store, &id, "created_at", start).await?;
    let mut facts = Facts {
        started_at: start,
        ..Facts::default()
    };
    let question = dice.pick(&QUESTIONS).to_owned();
    if dice.chance(0.6) {
        // With the bot only; most of these are solved by an answer.
        if dice.chance(0.72) {
            surveys::bot_resolved(store, &id).await?;
            facts.resolved_by_bot = true;
            if dice.chance(0.45) {
                let answer = Answer {
                    csat: Some(weighted(dice, &[1, 1, 3, 10, 16])),
                    ces: Some(weighted(dice, &[0, 1, 1, 2, 4, 8, 9])),
                    comment: dice.chance(0.3).then(|| COMMENTS[3].to_owned()),
                };
                facts.csat = answer.csat;
                facts.ces = answer.ces;
                surveys::record(store, &id, answer).await?;
                seeded.surveys += 1;
            }
        }
        return Ok((id, facts));
    }
    let asked = start + dice.between(1, 4) * MIN;
    events::request_handoff(store, &id, HandoffReason::Asked, &transcript(&question)).await?;
    append(
        store,
        &id,
        asked,
        EventKind::HandoffRequested {
            reason: HandoffReason::Asked,
        },
    )
    .await?;
    facts.handed_off_at = Some(asked);
    let wait = dice.between(20, 9 * 60) * 1000;
    if dice.chance(0.08) {
        // Left the queue before anyone came.
        let left = asked + wait / 2;
        events::close(store, &id, ConversationStatus::Ended).await?;
        append(store, &id, left, EventKind::Ended).await?;
        facts.ended_at = Some(left);
        return Ok((id, facts));
    }
    let (agent_id, agent_name) = &team[dice.next() as usize % team.len()];
    events::claim(store, &id, agent_id).await?;
    let joined = asked + wait;
    let agent = Author::Agent {
        id: agent_id.clone(),
        name: agent_name.clone(),
    };
    append(
        store,
        &id,
        joined,
        EventKind::AgentJoined {
            agent_id: agent_id.clone(),
            name: agent_name.clone(),
        },
    )
    .await?;
    append(
        store,
        &id,
        joined + 5_000,
        message(&agent, "a1", "Hello! Let me look into that."),
    )
    .await?;
    facts.agent = Some(agent_id.clone());
    facts.agent_joined_at = Some(joined);
    facts.first_agent_message_at = Some(joined + 5_000);
    let resolved = joined + dice.between(3, 20) * MIN;
    events::close(store, &id, ConversationStatus::Resolved).await?;
    append(store, &id, resolved, EventKind::Resolved).await?;
    facts.resolved_at = Some(resolved);
    if dice.chance(0.55) {
        let answer = Answer {
            csat: Some(weighted(dice, &[2, 2, 4, 10, 12])),
            ces: Some(weighted(dice, &[1, 1, 2, 3, 5, 7, 6])),
            comment: dice.chance(0.35).then(|| dice.pick(&COMMENTS).to_owned()),
        };
        facts.csat = answer.csat;
        facts.ces = answer.ces;
        surveys::record(store, &id, answer).await?;
        seeded.surveys += 1;
    }
    if dice.chance(0.1) {
        // Asked again a few days later: not a first-contact resolution.
        let again = resolved + dice.between(1, 5) * DAY;
        events::request_handoff(store, &id, HandoffReason::Asked, &transcript(&question)).await?;
        append(
            store,
            &id,
            again,
            EventKind::HandoffRequested {
                reason: HandoffReason::Asked,
            },
        )
        .await?;
        events::claim(store, &id, agent_id).await?;
        events::close(store, &id, ConversationStatus::Resolved).await?;
        append(store, &id, again + 10 * MIN, EventKind::Resolved).await?;
        facts.reopened_at = Some(again);
    }
    Ok((id, facts))
}

/// What the bot did with the first question of a seeded conversation: answered it (helpful
/// when the bot resolved it; else no verdict or "No"), or, now and then, was unsure of a
/// question the base does not cover; a handoff follows the turn in a handed-off conversation.
async fn bot_turn(
    store: &Store,
    site: &str,
    conversation: &ConversationId,
    facts: &Facts,
    dice: &mut Dice,
) -> Result<(), SeedError> {
    let uncovered = !facts.resolved_by_bot && dice.chance(0.3);
    let (question, locale, article) = if uncovered {
        (dice.pick(&UNCOVERED), ito_protocol::Locale::En, None)
    } else {
        let i = dice.next() as usize % QUESTIONS.len();
        let (locale, article) = ANSWERED_WITH[i];
        (QUESTIONS[i], locale.parse().unwrap_or_default(), article)
    };
    let turn = learning::Turn {
        line: 1,
        locale,
        question,
        article,
        outcome: if article.is_some() {
            learning::Outcome::Answered
        } else {
            learning::Outcome::Unsure
        },
    };
    learning::record_turn(store, conversation, site, &turn).await?;
    if article.is_some() {
        let verdict = if facts.resolved_by_bot {
            Some(true)
        } else {
            dice.chance(0.5).then_some(false)
        };
        if let Some(helpful) = verdict {
            learning::rate_turn(store, conversation, 1, helpful).await?;
        }
    }
    if facts.handed_off_at.is_some() {
        learning::mark_handed_off(store, conversation).await?;
    }
    with_pool!(store, |pool, _PG| sqlx::query(
        "UPDATE bot_turns SET at = $1 WHERE conversation_id = $2"
    )
    .bind(crate::store::time_text(facts.started_at))
    .bind(conversation.as_str())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// A score from 1 up, drawn with the given weights.
fn weighted(dice: &mut Dice, weights: &[u64]) -> u8 {
    let total: u64 = weights.iter().sum();
    let mut roll = dice.next() % total;
    for (score, weight) in weights.iter().enumerate() {
        if roll < *weight {
            return score as u8 + 1;
        }
        roll -= weight;
    }
    weights.len() as u8
}

fn transcript(question: &str) -> HandoffContext {
    HandoffContext {
        transcript: vec![ito_protocol::chat::TranscriptLine {
            author: Author::Visitor,
            text: question.to_owned(),
            helpful: None,
        }],
        ..HandoffContext::default()
    }
}

fn message(author: &Author, id: &str, text: &str) -> EventKind {
    EventKind::Message {
        id: id.parse().expect("seed ids are plain"),
        author: author.clone(),
        text: text.to_owned(),
    }
}

async fn append(
    store: &Store,
    id: &ConversationId,
    at: Millis,
    kind: EventKind,
) -> Result<(), StoreError> {
    events::append(store, id, &kind, at).await.map(drop)
}

async fn set_time(
    store: &Store,
    id: &ConversationId,
    column: &str,
    at: Millis,
) -> Result<(), sqlx::Error> {
    // `column` is one of this module's literals, never input.
    let sql = format!("UPDATE conversations SET {column} = $1 WHERE id = $2");
    with_pool!(store, |pool, _PG| sqlx::query(&sql)
        .bind(crate::store::time_text(at))
        .bind(id.as_str())
        .execute(pool)
        .await
        .map(drop))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::measures::measure;

    #[tokio::test]
    async fn the_store_measures_what_was_seeded_and_seeding_twice_is_refused() {
        let (_dir, pool) = crate::store::testing::fresh().await.unwrap();
        let now = 1_795_000_000_000;
        let seeded = seed(&pool, "demo", 21, now, None).await.unwrap();
        assert!(
            seeded.planned.len() > 21 * 10,
            "{} conversations",
            seeded.planned.len()
        );
        assert!(seeded.surveys > 20);
        let stored = surveys::facts(&pool, "demo", now - 22 * DAY, now, None, None)
            .await
            .unwrap();
        let (planned, measured) = (measure(&seeded.planned), measure(&stored));
        assert_eq!(measured, planned);
        for rate in [
            planned.deflection_rate,
            planned.handoff_rate,
            planned.csat_satisfied_share,
            planned.first_contact_resolution,
            planned.abandonment,
        ] {
            let rate = rate.expect("every measure has data");
            assert!(rate > 0.0 && rate < 1.0, "{planned:?}");
        }
        // The bot's turns: what the content gaps and article figures show.
        let en = crate::store::knowledge::BaseKey {
            site: "demo",
            locale: ito_protocol::Locale::En,
        };
        let days = (
            crate::store::time_text(now - 22 * DAY),
            crate::store::time_text(now),
        );
        let range = (days.0.as_str(), days.1.as_str());
        let misses = learning::misses(&pool, en, range, 10_000).await.unwrap();
        assert!(
            misses.iter().any(|m| m.question.contains("bitcoin")),
            "{misses:?}"
        );
        assert!(misses.iter().any(|m| m.helpful == Some(false)));
        let figures = learning::article_figures(&pool, en, range).await.unwrap();
        let shipping = figures
            .iter()
            .find(|f| f.article == "shipping-time")
            .unwrap();
        assert!(
            shipping.shown > shipping.helped && shipping.helped > 0,
            "{shipping:?}"
        );
        let again = seed(&pool, "demo", 1, now, None).await.unwrap_err();
        assert!(
            again
                .to_string()
                .contains("seed-demo only fills an empty one"),
            "{again}"
        );
    }
}
