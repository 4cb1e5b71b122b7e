//! The measures a site owner sees, exactly as DESIGN.md defines them, computed from plain
//! facts about conversations (the store gathers the facts; nothing here reads a database).
//!
//! | measure | definition |
//! |---|---|
//! | deflection rate | conversations resolved by the bot without handoff ÷ conversations started |
//! | handoff rate | conversations handed to an agent ÷ conversations started |
//! | first response time | handoff request → first agent message (median, p90) |
//! | CSAT | share of answers 4–5 on the 1–5 scale, and the mean |
//! | CES | mean of the 1–7 scale (higher = easier) |
//! | first contact resolution | resolved conversations not reopened within 7 days ÷ resolved |
//! | abandonment | visitors who left the queue before an agent joined ÷ handoffs |
//!
//! A rate with nothing to divide by is `None` ("no data"), never 0 %.

pub use ito_protocol::metrics::Measures;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// A resolution counts as first-contact when the conversation is not reopened within this.
pub const REOPEN_WINDOW: Millis = 7 * 24 * 3600 * 1000;

/// What happened in one conversation, as far as the measures care.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub started_at: Millis,
    /// The visitor said an answer of the bot solved it, and no person was asked for.
    pub resolved_by_bot: bool,
    /// The (first) request for a person.
    pub handed_off_at: Option<Millis>,
    /// The first agent to join, and when.
    pub agent: Option<String>,
    pub agent_joined_at: Option<Millis>,
    pub first_agent_message_at: Option<Millis>,
    /// The agent resolved it (the first time).
    pub resolved_at: Option<Millis>,
    /// The visitor ended the chat, and whether an agent had joined by then.
    pub ended_at: Option<Millis>,
    /// Asked for a person again after the resolution.
    pub reopened_at: Option<Millis>,
    pub csat: Option<u8>,
    pub ces: Option<u8>,
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn mean(values: &[u8]) -> Option<f64> {
    (!values.is_empty())
        .then(|| values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64)
}

/// The `p`-th percentile (0..=1) by nearest rank: the smallest value with at least `p` of
/// the values at or below it. Nearest rank, not interpolation, so every figure is one that
/// actually happened.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// How many answers gave each score from 1 to `N` (index 0 is score 1).
pub fn distribution<const N: usize>(scores: impl Iterator<Item = u8>) -> [u32; N] {
    let mut counts = [0; N];
    for score in scores {
        if let Some(count) = (score as usize)
            .checked_sub(1)
            .and_then(|i| counts.get_mut(i))
        {
            *count += 1;
        }
    }
    counts
}

pub fn measure(conversations: &[Facts]) -> Measures {
    let started = conversations.len();
    let handed_off: Vec<&Facts> = conversations
        .iter()
        .filter(|c| c.handed_off_at.is_some())
        .collect();
    let deflected = conversations
        .iter()
        .filter(|c| c.resolved_by_bot && c.handed_off_at.is_none())
        .count();
    let mut first_responses: Vec<f64> = handed_off
        .iter()
        .filter_map(|c| Some((c.first_agent_message_at? - c.handed_off_at?) as f64 / 1000.0))
        .map(|secs| secs.max(0.0))
        .collect();
    first_responses.sort_by(f64::total_cmp);
    let csat: Vec<u8> = conversations.iter().filter_map(|c| c.csat).collect();
    let ces: Vec<u8> = conversations.iter().filter_map(|c| c.ces).collect();
    let resolved: Vec<&Facts> = conversations
        .iter()
        .filter(|c| c.resolved_at.is_some())
        .collect();
    let kept = resolved
        .iter()
        .filter(|c| match (c.resolved_at, c.reopened_at) {
            (Some(resolved), Some(reopened)) => reopened - resolved > REOPEN_WINDOW,
            _ => true,
        })
        .count();
    let abandoned = handed_off
        .iter()
        .filter(|c| match (c.ended_at, c.agent_joined_at) {
            (Some(_), None) => true,
            (Some(ended), Some(joined)) => ended < joined,
            (None, _) => false,
        })
        .count();
    Measures {
        conversations: started as u32,
        handoffs: handed_off.len() as u32,
        deflection_rate: ratio(deflected, started),
        handoff_rate: ratio(handed_off.len(), started),
        first_response_median_secs: percentile(&first_responses, 0.5),
        first_response_p90_secs: percentile(&first_responses, 0.9),
        csat_answers: csat.len() as u32,
        csat_satisfied_share: ratio(csat.iter().filter(|&&s| s >= 4).count(), csat.len()),
        csat_mean: mean(&csat),
        ces_answers: ces.len() as u32,
        ces_mean: mean(&ces),
        resolved: resolved.len() as u32,
        first_contact_resolution: ratio(kept, resolved.len()),
        abandonment: ratio(abandoned, handed_off.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;
    const DAY: Millis = 24 * 60 * MIN;

    fn bot_only(solved: bool) -> Facts {
        Facts {
            resolved_by_bot: solved,
            ..Facts::default()
        }
    }

    fn handed_off(first_response_mins: Option<i64>) -> Facts {
        Facts {
            handed_off_at: Some(0),
            agent: Some("ann".into()),
            agent_joined_at: first_response_mins.map(|m| m * MIN),
            first_agent_message_at: first_response_mins.map(|m| m * MIN),
            ..Facts::default()
        }
    }

    #[test]
    fn rates_are_shares_of_the_conversations_started() {
        let mut conversations = vec![bot_only(true), bot_only(true), bot_only(false)];
        conversations.push(handed_off(Some(2)));
        // Solved by the bot, then a person asked for anyway: a handoff, not a deflection.
        conversations.push(Facts {
            resolved_by_bot: true,
            ..handed_off(Some(4))
        });
        let m = measure(&conversations);
        assert_eq!(m.conversations, 5);
        assert_eq!(m.handoffs, 2);
        assert_eq!(m.deflection_rate, Some(2.0 / 5.0));
        assert_eq!(m.handoff_rate, Some(2.0 / 5.0));
    }

    #[test]
    fn first_response_is_the_median_and_p90_by_nearest_rank() {
        let conversations: Vec<Facts> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
            .into_iter()
            .map(|m| handed_off(Some(m)))
            .chain([handed_off(None)]) // no agent yet: no response time
            .collect();
        let m = measure(&conversations);
        assert_eq!(m.first_response_median_secs, Some(5.0 * 60.0));
        assert_eq!(m.first_response_p90_secs, Some(9.0 * 60.0));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn csat_counts_fours_and_fives_and_ces_is_a_mean() {
        let answered = |csat, ces| Facts {
            csat,
            ces,
            ..Facts::default()
        };
        let conversations = vec![
            answered(Some(5), Some(7)),
            answered(Some(4), Some(6)),
            answered(Some(2), None),
            answered(None, Some(2)),
            answered(None, None),
        ];
        let m = measure(&conversations);
        assert_eq!(m.csat_answers, 3);
        assert_eq!(m.csat_satisfied_share, Some(2.0 / 3.0));
        assert_eq!(m.csat_mean, Some(11.0 / 3.0));
        assert_eq!(m.ces_answers, 3);
        assert_eq!(m.ces_mean, Some(5.0));
    }

    #[test]
    fn a_resolution_reopened_within_seven_days_is_not_first_contact() {
        let resolved = |reopened_after: Option<Millis>| Facts {
            resolved_at: Some(DAY),
            reopened_at: reopened_after.map(|after| DAY + after),
            ..handed_off(Some(1))
        };
        let conversations = vec![
            resolved(None),
            resolved(Some(2 * DAY)),
            resolved(Some(8 * DAY)),
            handed_off(Some(1)),
        ];
        let m = measure(&conversations);
        assert_eq!(m.resolved, 3);
        assert_eq!(m.first_contact_resolution, Some(2.0 / 3.0));
    }

    #[test]
    fn abandonment_is_leaving_the_queue_before_an_agent_joined() {
        let left = |ended: Millis, joined: Option<Millis>| Facts {
            handed_off_at: Some(0),
            ended_at: Some(ended),
            agent_joined_at: joined,
            ..Facts::default()
        };
        let conversations = vec![
            left(5 * MIN, None),
            left(5 * MIN, Some(9 * MIN)),
            left(9 * MIN, Some(5 * MIN)), // ended after talking to someone: not abandoned
            handed_off(Some(3)),
            bot_only(false), // ended with the bot: not a handoff at all
        ];
        let m = measure(&conversations);
        assert_eq!(m.abandonment, Some(2.0 / 4.0));
    }

    #[test]
    fn distributions_count_each_score_and_ignore_the_impossible() {
        let csat: [u32; 5] = distribution([5, 4, 5, 1, 0, 6].into_iter());
        assert_eq!(csat, [1, 0, 0, 1, 2]);
    }

    #[test]
    fn nothing_to_measure_is_no_data_not_zero() {
        let m = measure(&[]);
        assert_eq!(m.conversations, 0);
        assert_eq!(m.deflection_rate, None);
        assert_eq!(m.csat_mean, None);
        assert_eq!(m.first_response_median_secs, None);
        assert_eq!(m.first_contact_resolution, None);
    }
}
