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
    /// The languages of its knowledge bases (`en`, `ja`).
    #[serde(default)]
    pub locales: Vec<String>,
}

/// One figure of the measures, in the order reports show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Conversations,
    Handoffs,
    DeflectionRate,
    HandoffRate,
    FirstResponseMedian,
    FirstResponseP90,
    CsatAnswers,
    CsatSatisfied,
    CsatMean,
    CesAnswers,
    CesMean,
    Resolved,
    FirstContactResolution,
    Abandonment,
}

impl Figure {
    /// The English label (the table, the CSV; the console has its own words per language).
    pub fn label(self) -> &'static str {
        match self {
            Figure::Conversations => "Conversations",
            Figure::Handoffs => "Handoffs",
            Figure::DeflectionRate => "Deflection rate",
            Figure::HandoffRate => "Handoff rate",
            Figure::FirstResponseMedian => "First response, median",
            Figure::FirstResponseP90 => "First response, p90",
            Figure::CsatAnswers => "CSAT answers",
            Figure::CsatSatisfied => "CSAT satisfied (4-5)",
            Figure::CsatMean => "CSAT mean (1-5)",
            Figure::CesAnswers => "CES answers",
            Figure::CesMean => "CES mean (1-7)",
            Figure::Resolved => "Resolved by agents",
            Figure::FirstContactResolution => "First contact resolution",
            Figure::Abandonment => "Abandonment",
        }
    }
}

/// What a report shows where there is nothing to divide by.
pub const NO_DATA: &str = "no data";

fn percent(value: Option<f64>) -> String {
    value.map_or(NO_DATA.into(), |v| format!("{:.1} %", v * 100.0))
}

fn score(value: Option<f64>) -> String {
    value.map_or(NO_DATA.into(), |v| format!("{v:.2}"))
}

fn duration(secs: Option<f64>) -> String {
    match secs {
        None => NO_DATA.into(),
        Some(s) if s < 60.0 => format!("{s:.0} s"),
        Some(s) => format!("{:.1} min", s / 60.0),
    }
}

impl Measures {
    /// Every figure with its value written as reports show it, in order: the table, the CSV
    /// and the dashboard all use this, so they cannot disagree.
    pub fn figures(&self) -> Vec<(Figure, String)> {
        vec![
            (Figure::Conversations, self.conversations.to_string()),
            (Figure::Handoffs, self.handoffs.to_string()),
            (Figure::DeflectionRate, percent(self.deflection_rate)),
            (Figure::HandoffRate, percent(self.handoff_rate)),
            (
                Figure::FirstResponseMedian,
                duration(self.first_response_median_secs),
            ),
            (
                Figure::FirstResponseP90,
                duration(self.first_response_p90_secs),
            ),
            (Figure::CsatAnswers, self.csat_answers.to_string()),
            (Figure::CsatSatisfied, percent(self.csat_satisfied_share)),
            (Figure::CsatMean, score(self.csat_mean)),
            (Figure::CesAnswers, self.ces_answers.to_string()),
            (Figure::CesMean, score(self.ces_mean)),
            (Figure::Resolved, self.resolved.to_string()),
            (
                Figure::FirstContactResolution,
                percent(self.first_contact_resolution),
            ),
            (Figure::Abandonment, percent(self.abandonment)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_one_way() {
        let measures = Measures {
            conversations: 12,
            deflection_rate: Some(0.25),
            first_response_median_secs: Some(42.0),
            first_response_p90_secs: Some(150.0),
            csat_mean: Some(4.126),
            ..Measures::default()
        };
        let figures = measures.figures();
        let value = |f: Figure| figures.iter().find(|(g, _)| *g == f).unwrap().1.clone();
        assert_eq!(value(Figure::Conversations), "12");
        assert_eq!(value(Figure::DeflectionRate), "25.0 %");
        assert_eq!(value(Figure::FirstResponseMedian), "42 s");
        assert_eq!(value(Figure::FirstResponseP90), "2.5 min");
        assert_eq!(value(Figure::CsatMean), "4.13");
        assert_eq!(value(Figure::Abandonment), NO_DATA);
        assert_eq!(figures.len(), 14);
    }
}
