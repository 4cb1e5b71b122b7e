//! Who gets the next waiting conversation, and how long a waiting visitor should expect to
//! wait. Plain functions over plain data: the store and the live presence of agents are read
//! by the caller (`dispatch`), so the rules are tested here without a database or a socket.

use jiff::Timestamp;

use crate::site::hours::Hours;

/// An agent as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub id: String,
    /// Signed in to the console and marked online (not away).
    pub online: bool,
    /// How many open conversations they take at once.
    pub capacity: u32,
    /// Open conversations assigned to them now.
    pub open: u32,
}

impl AgentLoad {
    fn room(&self) -> u32 {
        self.capacity.saturating_sub(self.open)
    }
}

/// The online agent with the most room left; ties go to the one with fewer open
/// conversations, then to the smaller id (so the choice is stable). `None` when every online
/// agent is full, or nobody is online: the conversation waits for a claim by hand.
pub fn pick(agents: &[AgentLoad]) -> Option<&AgentLoad> {
    agents
        .iter()
        .filter(|a| a.online && a.room() > 0)
        .min_by(|a, b| {
            b.room()
                .cmp(&a.room())
                .then(a.open.cmp(&b.open))
                .then(a.id.cmp(&b.id))
        })
}

/// Why a conversation cannot be handed to an agent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferRefused {
    #[error("there is no such agent")]
    NoSuchAgent,
    #[error("the conversation is already yours")]
    ToSelf,
    #[error("{name} has no room for another conversation ({open} of {capacity} open)")]
    Full {
        name: String,
        open: u32,
        capacity: u32,
    },
}

/// Whether agent `to` (of `agents`, with their names) may be handed a conversation by
/// `from`: online or not, as long as they have room, as routing would require.
pub fn transfer_to<'a>(
    agents: &'a [(AgentLoad, String)],
    from: &str,
    to: &str,
) -> Result<&'a (AgentLoad, String), TransferRefused> {
    if from == to {
        return Err(TransferRefused::ToSelf);
    }
    let target = agents
        .iter()
        .find(|(a, _)| a.id == to)
        .ok_or(TransferRefused::NoSuchAgent)?;
    let (load, name) = target;
    if load.room() == 0 {
        return Err(TransferRefused::Full {
            name: name.clone(),
            open: load.open,
            capacity: load.capacity,
        });
    }
    Ok(target)
}

/// Recent waits needed before promising anything: fewer say too little about this site.
pub const MIN_SAMPLES: usize = 3;

/// Seconds a visitor at `position` in the queue should expect to wait, from how long the
/// site's recent visitors waited (seconds, any order) and how many agents are online.
///
/// The median recent wait is what the first in line waits; each place behind adds as much
/// again, shared between the online agents. Nobody online, or too little history: `None`,
/// and the widget says nothing rather than guess.
pub fn expected_wait(position: u32, recent_waits: &[u64], online_agents: u32) -> Option<u32> {
    if online_agents == 0 || recent_waits.len() < MIN_SAMPLES || position == 0 {
        return None;
    }
    let mut waits = recent_waits.to_vec();
    waits.sort_unstable();
    let median = waits[waits.len() / 2];
    let turns = u64::from(position).div_ceil(u64::from(online_agents));
    // Rounded up to whole minutes past the first: "about 2 minutes" reads better than 97 s.
    let seconds = median.max(1) * turns;
    let rounded = if seconds <= 60 {
        seconds
    } else {
        seconds.div_ceil(60) * 60
    };
    Some(rounded.min(u64::from(u32::MAX)) as u32)
}

/// `wait` if the team can keep it: nothing is promised outside the site's business hours, nor
/// a wait that would end after they close (the visitor would wait for nobody).
pub fn within_hours(wait: Option<u32>, now: Timestamp, hours: Option<&Hours>) -> Option<u32> {
    let (wait, Some(hours)) = (wait?, hours) else {
        return wait;
    };
    let closes = hours.closes_at(now)?;
    (now + jiff::SignedDuration::from_secs(i64::from(wait)) <= closes).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_wait_is_promised_past_closing_time() {
        let config: crate::site::hours::HoursConfig =
            toml::from_str("mon = \"09:00-17:00\"").unwrap();
        let hours = config.hours("UTC").unwrap();
        let at = |t: &str| -> Timestamp { format!("2026-12-07T{t}:00Z").parse().unwrap() };
        assert_eq!(
            within_hours(Some(120), at("10:00"), Some(&hours)),
            Some(120)
        );
        assert_eq!(
            within_hours(Some(120), at("16:58"), Some(&hours)),
            Some(120)
        );
        assert_eq!(within_hours(Some(180), at("16:58"), None), Some(180));
        assert_eq!(within_hours(Some(180), at("16:58"), Some(&hours)), None);
        assert_eq!(within_hours(Some(30), at("18:00"), Some(&hours)), None);
        assert_eq!(within_hours(None, at("10:00"), Some(&hours)), None);
    }

    #[test]
    fn a_transfer_needs_another_agent_with_room_online_or_not() {
        let agents = vec![
            (
                AgentLoad {
                    id: "ann".into(),
                    online: true,
                    capacity: 3,
                    open: 1,
                },
                "Ann".to_owned(),
            ),
            (
                AgentLoad {
                    id: "bob".into(),
                    online: false,
                    capacity: 2,
                    open: 1,
                },
                "Bob".to_owned(),
            ),
            (
                AgentLoad {
                    id: "cy".into(),
                    online: true,
                    capacity: 1,
                    open: 1,
                },
                "Cy".to_owned(),
            ),
        ];
        assert_eq!(
            transfer_to(&agents, "ann", "bob").unwrap().1,
            "Bob",
            "away, with room"
        );
        assert_eq!(
            transfer_to(&agents, "ann", "cy").unwrap_err().to_string(),
            "Cy has no room for another conversation (1 of 1 open)"
        );
        assert_eq!(
            transfer_to(&agents, "ann", "ann"),
            Err(TransferRefused::ToSelf)
        );
        assert_eq!(
            transfer_to(&agents, "ann", "zed"),
            Err(TransferRefused::NoSuchAgent)
        );
    }

    fn agent(id: &str, online: bool, capacity: u32, open: u32) -> AgentLoad {
        AgentLoad {
            id: id.into(),
            online,
            capacity,
            open,
        }
    }

    #[test]
    fn the_online_agent_with_most_room_gets_it() {
        let agents = [
            agent("a", true, 3, 2),
            agent("b", true, 5, 1),
            agent("c", false, 10, 0),
        ];
        assert_eq!(pick(&agents).unwrap().id, "b");
    }

    #[test]
    fn ties_go_to_fewer_open_then_smaller_id() {
        let agents = [agent("b", true, 3, 1), agent("a", true, 4, 2)];
        assert_eq!(pick(&agents).unwrap().id, "b", "same room, fewer open");
        let agents = [agent("b", true, 3, 1), agent("a", true, 3, 1)];
        assert_eq!(pick(&agents).unwrap().id, "a");
    }

    #[test]
    fn nobody_gets_it_when_all_are_full_or_away() {
        assert!(pick(&[]).is_none());
        let agents = [agent("a", true, 2, 2), agent("b", false, 5, 0)];
        assert!(pick(&agents).is_none());
        assert!(
            pick(&[agent("a", true, 2, 7)]).is_none(),
            "over capacity after a manual claim"
        );
    }

    #[test]
    fn the_wait_grows_with_the_place_and_shrinks_with_agents() {
        let waits = [40, 20, 30, 600, 35];
        assert_eq!(
            expected_wait(1, &waits, 1),
            Some(35),
            "the median, not the mean"
        );
        assert_eq!(
            expected_wait(2, &waits, 1),
            Some(120),
            "70 s rounds up to 2 min"
        );
        assert_eq!(expected_wait(2, &waits, 2), Some(35));
        assert_eq!(expected_wait(3, &waits, 2), Some(120));
    }

    #[test]
    fn no_promise_without_agents_or_history() {
        assert_eq!(expected_wait(1, &[30, 30, 30], 0), None);
        assert_eq!(expected_wait(1, &[30, 30], 2), None);
        assert_eq!(expected_wait(0, &[30, 30, 30], 2), None);
        assert_eq!(
            expected_wait(1, &[0, 0, 0], 1),
            Some(1),
            "never a promise of zero"
        );
    }
}
