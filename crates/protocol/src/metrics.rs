//! A site's measures as the server reports them and the console's dashboard shows them
//! (`GET /api/v1/sites/{id}/metrics`). The definitions are the server's (`ito::measures`).

use serde::{Deserialize, Serialize};

/// The figures for a set of conversations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    pub conversations: u32,
    pub handoffs: u32,
    pub deflection_rate: Option<f64>,
    pub handoff_rate: Option<f64>,
    /// Seconds from the handoff request to the first agent message.
    pub first_response_median_secs: Option<f64>,
    pub first_response_p90_secs: Option<f64>,
    pub csat_answers: u32,
    /// Share of CSAT answers that are 4 or 5.
    pub csat_satisfied_share: Option<f64>,
    pub csat_mean: Option<f64>,
    pub ces_answers: u32,
    pub ces_mean: Option<f64>,
    pub resolved: u32,
    pub first_contact_resolution: Option<f64>,
    pub abandonment: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentMeasures {
    pub id: String,
    pub name: String,
    pub measures: Measures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub site: String,
    pub from: String,
    pub to: String,
    pub time_zone: String,
    pub measures: Measures,
    /// Conversations by the agent who took them first.
    pub agents: Vec<AgentMeasures>,
    /// Each day of the range (in the site's time zone) with its own measures.
    pub daily: Vec<DayMeasures>,
    /// How many CSAT answers gave 1, 2, ... 5, and CES answers 1 ... 7.
    pub csat_scores: [u32; 5],
    pub ces_scores: [u32; 7],
    /// The newest survey comments, newest first.
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayMeasures {
    pub date: String,
    pub measures: Measures,
}

/// A survey comment as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub conversation: String,
    /// When it was answered (RFC 3339, UTC).
    pub answered_at: String,
    pub csat: Option<u8>,
    pub ces: Option<u8>,
    pub comment: String,
}

/// A site an agent may see the measures of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub time_zone: String,
}
