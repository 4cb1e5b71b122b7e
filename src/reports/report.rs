//! A site's measures for a range of days in its time zone, overall and per agent: what
//! `ito report` prints and `GET /api/v1/sites/{id}/metrics` returns.

use crate::store::{Store, with_pool};
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::site::config::SiteConfig;
pub use ito_protocol::metrics::{AgentMeasures, Comment, DayMeasures, Report, Site};

use crate::reports::measures::{Measures, Millis, distribution, measure};
use crate::store::surveys;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0:?} is not a date: write it as YYYY-MM-DD")]
    BadDate(String),
    #[error("the range ends ({to}) before it starts ({from})")]
    Backwards { from: Date, to: Date },
    #[error(
        "a report covers at most {MAX_DAYS} days ({from} to {to} is {days} days): ask for a shorter range"
    )]
    TooLong { from: Date, to: Date, days: i32 },
    #[error("time zone {0:?} is unknown")]
    TimeZone(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The longest range a report covers: years of daily rows are neither readable nor cheap.
pub const MAX_DAYS: i32 = 400;

/// Days `from` to `to`, both included, in a site's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub from: Date,
    pub to: Date,
}

impl Days {
    pub fn parse(from: &str, to: &str) -> Result<Days, ReportError> {
        let date = |s: &str| {
            s.trim()
                .parse::<Date>()
                .map_err(|_| ReportError::BadDate(s.to_owned()))
        };
        let (from, to) = (date(from)?, date(to)?);
        if to < from {
            return Err(ReportError::Backwards { from, to });
        }
        // Both days count: 2026-01-01 to 2026-01-01 is one day.
        let days = to.since(from).map_or(i32::MAX, |span| span.get_days()) + 1;
        if days > MAX_DAYS {
            return Err(ReportError::TooLong { from, to, days });
        }
        Ok(Days { from, to })
    }

    /// From midnight starting `from` to midnight ending `to`, local to `time_zone`, as Unix
    /// milliseconds (so a Tokyo day is 15:00 to 15:00 UTC).
    pub fn millis(&self, time_zone: &str) -> Result<(Millis, Millis), ReportError> {
        let tz =
            TimeZone::get(time_zone).map_err(|_| ReportError::TimeZone(time_zone.to_owned()))?;
        let midnight = |date: Date| -> Result<Millis, ReportError> {
            Ok(date
                .to_zoned(tz.clone())
                .map_err(|_| ReportError::TimeZone(time_zone.to_owned()))?
                .timestamp()
                .as_millisecond())
        };
        let after = self
            .to
            .tomorrow()
            .map_err(|_| ReportError::BadDate(self.to.to_string()))?;
        Ok((midnight(self.from)?, midnight(after)?))
    }
}

/// Comments the report lists at most.
const COMMENTS: u32 = 20;

/// `site`'s figures for `days`, over every conversation or only those with `label`.
pub async fn report(
    store: &Store,
    site: &SiteConfig,
    days: Days,
    label: Option<&str>,
) -> Result<Report, ReportError> {
    let (from, to) = days.millis(&site.time_zone)?;
    let all = surveys::facts(store, site.id.as_str(), from, to, None, label).await?;
    let agents: Vec<(String, String)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT id, name FROM agents ORDER BY name, id"
    )
    .fetch_all(pool)
    .await)?;
    let agents = agents
        .into_iter()
        .filter_map(|(id, name)| {
            let theirs: Vec<_> = all
                .iter()
                .filter(|f| f.agent.as_deref() == Some(&id))
                .cloned()
                .collect();
            (!theirs.is_empty()).then(|| AgentMeasures {
                measures: measure(&theirs),
                id,
                name,
            })
        })
        .collect();
    let tz = TimeZone::get(&site.time_zone)
        .map_err(|_| ReportError::TimeZone(site.time_zone.clone()))?;
    let local_date = |at: Millis| {
        jiff::Timestamp::from_millisecond(at)
            .map(|t| t.to_zoned(tz.clone()).date())
            .ok()
    };
    // Each conversation's local day, found once; then every day of the range, empty ones too.
    let mut by_day: std::collections::BTreeMap<Date, Vec<_>> = std::collections::BTreeMap::new();
    for facts in &all {
        if let Some(day) = local_date(facts.started_at) {
            by_day.entry(day).or_default().push(facts.clone());
        }
    }
    let mut daily = Vec::new();
    let mut date = days.from;
    while date <= days.to {
        daily.push(DayMeasures {
            date: date.to_string(),
            measures: measure(by_day.get(&date).map_or(&[][..], Vec::as_slice)),
        });
        date = match date.tomorrow() {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    Ok(Report {
        daily,
        csat_scores: distribution(all.iter().filter_map(|f| f.csat)),
        ces_scores: distribution(all.iter().filter_map(|f| f.ces)),
        comments: surveys::latest_comments(store, site.id.as_str(), from, to, COMMENTS).await?,
        site: site.id.as_str().to_owned(),
        from: days.from.to_string(),
        to: days.to.to_string(),
        time_zone: site.time_zone.clone(),
        measures: measure(&all),
        agents,
    })
}

/// The measures as (label, value) rows, in the order the table, the CSV and the dashboard
/// show them, with the values written the same way everywhere.
pub fn rows(m: &Measures) -> Vec<(&'static str, String)> {
    m.figures()
        .into_iter()
        .map(|(figure, value)| (figure.label(), value))
        .collect()
}

/// A column of rows for all conversations, then one per agent.
fn columns(report: &Report) -> Vec<(String, Vec<(&'static str, String)>)> {
    let all = ("All".to_owned(), rows(&report.measures));
    let agents = report
        .agents
        .iter()
        .map(|a| (a.name.clone(), rows(&a.measures)));
    std::iter::once(all).chain(agents).collect()
}

/// The report as CSV: one row per measure, a column for all conversations and one per agent,
/// with the same values the table shows.
pub fn csv(report: &Report) -> String {
    let quote = |field: &str| {
        // A cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+`, `-`, `@`, or a
        // tab or return first) is kept as text by a leading apostrophe. Figures never start
        // so: a negative number would be the only case, and measures are never negative.
        let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            std::borrow::Cow::Owned(format!("'{field}"))
        } else {
            std::borrow::Cow::Borrowed(field)
        };
        if field.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.into_owned()
        }
    };
    let columns = columns(report);
    let mut out = String::from("Measure");
    for (name, _) in &columns {
        out.push(',');
        out.push_str(&quote(name));
    }
    out.push('\n');
    for row in 0..columns[0].1.len() {
        out.push_str(&quote(columns[0].1[row].0));
        for (_, rows) in &columns {
            out.push(',');
            out.push_str(&quote(&rows[row].1));
        }
        out.push('\n');
    }
    out
}

/// The report as a plain-text table.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "Site {} from {} to {} ({})\n\n",
        report.site, report.from, report.to, report.time_zone
    );
    let columns = columns(report);
    let label_width = columns[0].1.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let widths: Vec<usize> = columns
        .iter()
        .map(|(name, rows)| {
            rows.iter()
                .map(|(_, v)| v.chars().count())
                .chain([name.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    out.push_str(&format!("{:label_width$}", ""));
    for ((name, _), width) in columns.iter().zip(&widths) {
        out.push_str(&format!("  {name:>width$}"));
    }
    out.push('\n');
    for row in 0..columns[0].1.len() {
        out.push_str(&format!("{:label_width$}", columns[0].1[row].0));
        for ((_, rows), width) in columns.iter().zip(&widths) {
            out.push_str(&format!("  {:>width$}", rows[row].1));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_counted_in_the_sites_time_zone() {
        let days = Days::parse("2026-11-02", "2026-11-02").unwrap();
        let (from, to) = days.millis("UTC").unwrap();
        assert_eq!((from, to), (1_793_577_600_000, 1_793_664_000_000));
        let (tokyo_from, tokyo_to) = days.millis("Asia/Tokyo").unwrap();
        assert_eq!(
            from - tokyo_from,
            9 * 3600 * 1000,
            "Tokyo's day starts 9 hours earlier"
        );
        assert_eq!(tokyo_to - tokyo_from, 24 * 3600 * 1000);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        assert_eq!(
            Days::parse("2026-13-01", "2026-11-02")
                .unwrap_err()
                .to_string(),
            "\"2026-13-01\" is not a date: write it as YYYY-MM-DD"
        );
        assert_eq!(
            Days::parse("2026-11-02", "2026-11-01")
                .unwrap_err()
                .to_string(),
            "the range ends (2026-11-01) before it starts (2026-11-02)"
        );
        let days = Days::parse("2026-11-02", "2026-11-02").unwrap();
        assert!(days.millis("Mars/Olympus").is_err());
        assert_eq!(
            Days::parse("0001-01-01", "9999-12-31")
                .unwrap_err()
                .to_string(),
            "a report covers at most 400 days (0001-01-01 to 9999-12-31 is 3652059 days): ask for a shorter range"
        );
        assert!(Days::parse("2026-01-01", "2027-02-04").is_ok(), "400 days");
        assert!(Days::parse("2026-01-01", "2027-02-05").is_err(), "401 days");
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_stay_text() {
        let agent = |name: &str| AgentMeasures {
            id: name.into(),
            name: name.into(),
            measures: measure(&[]),
        };
        let report = empty_report(vec![
            agent("=HYPERLINK(\"https://evil.example\",\"x\")"),
            agent("@SUM(1)"),
            agent("+1"),
            agent("-2"),
            agent("Ann, \"the\" best"),
        ]);
        let csv = csv(&report);
        let header = csv.lines().next().unwrap();
        assert_eq!(
            header,
            "Measure,All,\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",'@SUM(1),'+1,'-2,\"Ann, \"\"the\"\" best\""
        );
    }

    /// November's report of a site where nothing happened, with these agents.
    fn empty_report(agents: Vec<AgentMeasures>) -> Report {
        Report {
            site: "demo".into(),
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            time_zone: "UTC".into(),
            measures: measure(&[]),
            agents,
            daily: Vec::new(),
            csat_scores: [0; 5],
            ces_scores: [0; 7],
            comments: Vec::new(),
        }
    }

    #[test]
    fn the_table_says_no_data_rather_than_zero() {
        let table = table(&empty_report(Vec::new()));
        assert!(table.starts_with("Site demo from 2026-11-01 to 2026-11-30 (UTC)"));
        assert!(table.contains("Deflection rate"), "{table}");
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("CSAT mean (1-5)") && l.ends_with("no data")),
            "{table}"
        );
    }
}
