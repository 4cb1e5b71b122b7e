//! What site owners see.
//!
//! - [`measures`]: deflection, handoff rate, first response, CSAT, CES, FCR, abandonment from plain facts (pure).
//! - [`report`]: a site's measures for days in its time zone, overall and per agent, as a table.
//! - [`seed`]: `ito seed-demo`: weeks of plausible conversations and surveys for the dashboard.

pub mod measures;
pub mod report;
pub mod seed;
