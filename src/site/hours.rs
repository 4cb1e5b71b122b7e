//! A site's business hours (`[site.hours]`): when its team answers, in the site's time zone,
//! with holidays. Plain functions of a time, tested alone; the widget gets the coming open
//! spans as instants, so it needs no time-zone database of its own.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;

/// How far ahead the widget is told the team's hours: longer than any holiday break a site
/// is likely to take, short enough for a page's settings.
pub const WIDGET_HORIZON_DAYS: i32 = 21;

/// `[site.hours]` as written: each day's spans (`"09:00-17:00"`, `"09:00-12:00, 13:00-18:00"`);
/// a day left out is closed. Holidays are dates (`"2026-12-25"`), closed all day.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursConfig {
    mon: Option<String>,
    tue: Option<String>,
    wed: Option<String>,
    thu: Option<String>,
    fri: Option<String>,
    sat: Option<String>,
    sun: Option<String>,
    #[serde(default)]
    holidays: Vec<String>,
}

/// Business hours ready to be asked: minutes of the day per weekday, holidays, time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    /// Monday first; each day's spans as minutes since midnight, sorted, not overlapping.
    week: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
    zone: TimeZone,
}

impl HoursConfig {
    /// Checks the spans and dates; every error says which day or date and why.
    pub fn hours(&self, time_zone: &str) -> Result<Hours, String> {
        let zone = TimeZone::get(time_zone)
            .map_err(|_| format!("hours: time_zone {time_zone:?} is not an IANA time zone"))?;
        let days = [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ];
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (slot, (name, text)) in week.iter_mut().zip(days) {
            if let Some(text) = text {
                *slot = day_spans(text).map_err(|e| format!("hours.{name} = {text:?}: {e}"))?;
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(
                "hours: no day has opening hours; write at least one, e.g. mon = \"09:00-17:00\""
                    .into(),
            );
        }
        let mut holidays = BTreeSet::new();
        for text in &self.holidays {
            let date: Date = text.parse().map_err(|_| {
                format!("hours.holidays: {text:?} is not a date such as \"2026-12-25\"")
            })?;
            holidays.insert(date);
        }
        Ok(Hours {
            week,
            holidays,
            zone,
        })
    }
}

/// `"09:00-12:00, 13:00-17:30"` as minutes, checked: each span ends after it starts (24:00 is
/// the end of the day), and spans are in order without overlapping.
fn day_spans(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut spans: Vec<(u16, u16)> = Vec::new();
    for part in text.split(',') {
        let (from, to) = part
            .trim()
            .split_once('-')
            .ok_or("write spans as HH:MM-HH:MM, separated by commas")?;
        let (from, to) = (minute_of_day(from)?, minute_of_day(to)?);
        if to <= from {
            return Err(format!(
                "a span must end after it starts (write 24:00 for midnight): {}",
                part.trim()
            ));
        }
        if spans.last().is_some_and(|&(_, end)| from < end) {
            return Err("spans must be in order and must not overlap".into());
        }
        spans.push((from, to));
    }
    Ok(spans)
}

fn minute_of_day(text: &str) -> Result<u16, String> {
    let bad = || format!("{:?} is not a time such as 09:00", text.trim());
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl Hours {
    /// Whether the team is in at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.span_at(at).is_some()
    }

    /// When the open span around `at` ends, if the team is in.
    pub fn closes_at(&self, at: Timestamp) -> Option<Timestamp> {
        self.span_at(at).map(|(_, end)| end)
    }

    /// When the team is next in after `at` (at `at` itself if open), within `days`.
    pub fn next_open(&self, at: Timestamp, days: i32) -> Option<Timestamp> {
        self.open_spans(at, days)
            .first()
            .map(|&(start, _)| start.max(at))
    }

    fn span_at(&self, at: Timestamp) -> Option<(Timestamp, Timestamp)> {
        self.open_spans(at, 1)
            .into_iter()
            .find(|&(start, end)| start <= at && at < end)
    }

    /// The open spans that end after `from` and start within `days` of it, as instants, with
    /// spans that touch (17:00-24:00 and 00:00-02:00 the next day) joined.
    pub fn open_spans(&self, from: Timestamp, days: i32) -> Vec<(Timestamp, Timestamp)> {
        let today = from.to_zoned(self.zone.clone()).date();
        let until = from + (days as i64 * 24).hours();
        let mut spans: Vec<(Timestamp, Timestamp)> = Vec::new();
        // From yesterday, for a span that runs past midnight into today.
        for offset in -1..=days {
            let Ok(date) = today.checked_add(offset.days()) else {
                continue;
            };
            if self.holidays.contains(&date) {
                continue;
            }
            let weekday = date.weekday().to_monday_zero_offset() as usize;
            for &(start, end) in &self.week[weekday] {
                let (Some(start), Some(end)) = (self.instant(date, start), self.instant(date, end))
                else {
                    continue;
                };
                if end <= from || start >= until || end <= start {
                    continue;
                }
                match spans.last_mut() {
                    Some(last) if last.1 >= start => last.1 = last.1.max(end),
                    _ => spans.push((start, end)),
                }
            }
        }
        spans
    }

    /// The instant `minute` minutes into `date` in the site's zone (a time a clock change
    /// skips is taken as the clocks would read it, the later instant).
    fn instant(&self, date: Date, minute: u16) -> Option<Timestamp> {
        let (date, minute) = if minute == 24 * 60 {
            (date.checked_add(1.day()).ok()?, 0)
        } else {
            (date, minute)
        };
        let time = Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?;
        let zoned = date.to_datetime(time).to_zoned(self.zone.clone()).ok()?;
        Some(zoned.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(toml_text: &str, zone: &str) -> Result<Hours, String> {
        let config: HoursConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        config.hours(zone)
    }

    fn at(text: &str, zone: &str) -> Timestamp {
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        civil
            .to_zoned(TimeZone::get(zone).unwrap())
            .unwrap()
            .timestamp()
    }

    const WEEKDAYS: &str = r#"
        mon = "09:00-12:00, 13:00-17:00"
        tue = "09:00-17:00"
        wed = "09:00-17:00"
        thu = "09:00-17:00"
        fri = "09:00-17:00"
        holidays = ["2026-12-25"]
    "#;

    #[test]
    fn open_only_within_the_spans_in_the_sites_zone() {
        let tokyo = hours(WEEKDAYS, "Asia/Tokyo").unwrap();
        // Monday 2026-12-07.
        assert!(tokyo.is_open(at("2026-12-07T09:00", "Asia/Tokyo")));
        assert!(!tokyo.is_open(at("2026-12-07T12:30", "Asia/Tokyo")));
        assert!(!tokyo.is_open(at("2026-12-07T17:00", "Asia/Tokyo")));
        // 09:30 in Tokyo is 00:30 UTC.
        assert!(tokyo.is_open(at("2026-12-07T00:30", "UTC")));
        assert_eq!(
            tokyo.closes_at(at("2026-12-07T10:00", "Asia/Tokyo")),
            Some(at("2026-12-07T12:00", "Asia/Tokyo"))
        );
    }

    #[test]
    fn the_next_opening_skips_nights_weekends_and_holidays() {
        let h = hours(WEEKDAYS, "Europe/Paris").unwrap();
        assert_eq!(
            h.next_open(at("2026-12-07T12:30", "Europe/Paris"), 21),
            Some(at("2026-12-07T13:00", "Europe/Paris"))
        );
        // Friday evening: back on Monday.
        assert_eq!(
            h.next_open(at("2026-12-11T18:00", "Europe/Paris"), 21),
            Some(at("2026-12-14T09:00", "Europe/Paris"))
        );
        // Thursday 24th after hours; the 25th is a holiday: back on Monday the 28th.
        assert_eq!(
            h.next_open(at("2026-12-24T17:30", "Europe/Paris"), 21),
            Some(at("2026-12-28T09:00", "Europe/Paris"))
        );
        assert_eq!(
            h.next_open(at("2026-12-07T10:00", "Europe/Paris"), 21),
            Some(at("2026-12-07T10:00", "Europe/Paris"))
        );
        // Nothing within the horizon.
        assert_eq!(h.next_open(at("2026-12-11T18:00", "Europe/Paris"), 1), None);
    }

    #[test]
    fn spans_through_midnight_are_one_and_clock_changes_keep_local_times() {
        let night = hours(
            "fri = \"18:00-24:00\"\nsat = \"00:00-02:00\"",
            "Europe/Paris",
        )
        .unwrap();
        let spans = night.open_spans(at("2026-12-11T12:00", "Europe/Paris"), 3);
        assert_eq!(
            spans,
            vec![(
                at("2026-12-11T18:00", "Europe/Paris"),
                at("2026-12-12T02:00", "Europe/Paris")
            )]
        );
        // Paris changes to summer time on Sunday 2027-03-28: Monday 09:00 is 07:00 UTC.
        let h = hours(WEEKDAYS, "Europe/Paris").unwrap();
        assert_eq!(
            h.next_open(at("2027-03-26T18:00", "Europe/Paris"), 21),
            Some(at("2027-03-29T07:00", "UTC"))
        );
    }

    #[test]
    fn mistakes_are_explained() {
        let wrong = |text: &str| hours(text, "UTC").unwrap_err();
        assert!(wrong("mon = \"9-17\"").contains("hours.mon"));
        assert!(wrong("mon = \"17:00-09:00\"").contains("end after it starts"));
        assert!(wrong("mon = \"09:00-13:00, 12:00-17:00\"").contains("overlap"));
        assert!(wrong("mon = \"09:00-25:00\"").contains("not a time"));
        assert!(wrong("holidays = [\"2026-12-25\"]").contains("no day has opening hours"));
        assert!(wrong("mon = \"09:00-17:00\"\nholidays = [\"25/12\"]").contains("holidays"));
        assert!(wrong("monday = \"09:00-17:00\"").contains("unknown field"));
        assert!(hours("sun = \"00:00-24:00\"", "UTC").is_ok());
    }
}
