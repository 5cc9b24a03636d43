//! Schedules of campaign templates (SailPoint's `Schedule`) and the occurrences they describe.
//!
//! Policy: this module is pure. [`Schedule`] is the stored shape (what the client sent, with
//! its strings); [`Schedule::compile`] checks every field, naming it in each problem, and
//! yields [`Occurrences`], which answers "when is the next occurrence after this instant?".
//! The scheduler in the engine asks that question of stored state only, so that every node
//! (and a restarted node) computes the same answer.
//!
//! Meaning (where the vendor's text is silent, the choice is written here):
//! - An occurrence is a local date and a whole hour (minute 0) in the schedule's time zone.
//! - `hours`: 0-23. `days`: WEEKLY 1-7 (1 is Sunday, as in the vendor's "On Sundays" example);
//!   MONTHLY and ANNUALLY with `months` 1-31, `L` (last day) and `L-n` (n days before the last);
//!   ANNUALLY without `months` `--MM-DD`; CALENDAR `YYYY-MM-DD`. `months`: 1-12 (ANNUALLY only).
//! - LIST with an `interval` i: each value v, then v+i, v+2i, ... up to the end of its range
//!   (the vendor's "every three hours from 8AM": `8` with interval 3 is 8, 11, 14, 17, 20, 23).
//!   RANGE [a, b] with interval i: a, a+i, ... up to b. Hours, weekdays and months are cyclic:
//!   a RANGE whose end is before its start wraps (hours `22`..`2` is 22, 23, 0, 1, 2). Days of
//!   the month do not wrap; a day the month does not have (31 in April, `L-30` in February) is
//!   skipped that month, as cron does.
//! - Daylight-saving time: a local time that does not exist (spring forward) occurs at the
//!   first instant after the gap; a local time that exists twice (fall back) occurs once, at
//!   the first of the two instants. Two local times that land on the same instant are one
//!   occurrence.
//! - `expiration`: no occurrence is later than it.
//! - `timeZoneId`: an IANA name (`America/Chicago`, `Europe/Berlin`, `UTC`), or one of Java's
//!   short zone ids, which SailPoint (a Java service) accepts and its documentation uses
//!   (`CST` is `America/Chicago`, following daylight-saving time; see [`JAVA_SHORT_IDS`]).
//!   Absent: UTC.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
pub use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How often a schedule recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScheduleType {
    /// Days of the week.
    Weekly,
    /// Days of the month.
    Monthly,
    /// Months and days, or dates without a year.
    Annually,
    /// Dates.
    Calendar,
}

impl ScheduleType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleType::Weekly => "WEEKLY",
            ScheduleType::Monthly => "MONTHLY",
            ScheduleType::Annually => "ANNUALLY",
            ScheduleType::Calendar => "CALENDAR",
        }
    }
}

/// Whether a selector lists values or gives a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SelectorType {
    /// The values themselves.
    List,
    /// From the first value to the second.
    Range,
}

impl SelectorType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SelectorType::List => "LIST",
            SelectorType::Range => "RANGE",
        }
    }
}

/// The `months`, `days` or `hours` of a schedule, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    /// LIST or RANGE.
    pub selector_type: SelectorType,
    /// The values (strings on the wire).
    pub values: Vec<String>,
    /// Step between values, at least 1.
    pub interval: Option<i64>,
}

/// A template's schedule, as sent and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The cadence.
    pub schedule_type: ScheduleType,
    /// ANNUALLY only.
    pub months: Option<Selector>,
    /// Required.
    pub days: Option<Selector>,
    /// Required.
    pub hours: Selector,
    /// No occurrence after this instant.
    pub expiration: Option<DateTime<Utc>>,
    /// The time zone, as sent (absent: UTC).
    pub time_zone_id: Option<String>,
}

/// Java's `ZoneId.SHORT_IDS`, the abbreviations SailPoint's services accept, with the zone each
/// stands for. `EST`, `MST` and `HST` are fixed offsets, which the IANA database (and so
/// chrono-tz) also has under those names.
pub const JAVA_SHORT_IDS: &[(&str, &str)] = &[
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("ART", "Africa/Cairo"),
    ("AST", "America/Anchorage"),
    ("BET", "America/Sao_Paulo"),
    ("BST", "Asia/Dhaka"),
    ("CAT", "Africa/Harare"),
    ("CNT", "America/St_Johns"),
    ("CST", "America/Chicago"),
    ("CTT", "Asia/Shanghai"),
    ("EAT", "Africa/Addis_Ababa"),
    ("ECT", "Europe/Paris"),
    ("IET", "America/Indiana/Indianapolis"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("MIT", "Pacific/Apia"),
    ("NET", "Asia/Yerevan"),
    ("NST", "Pacific/Auckland"),
    ("PLT", "Asia/Karachi"),
    ("PNT", "America/Phoenix"),
    ("PRT", "America/Puerto_Rico"),
    ("PST", "America/Los_Angeles"),
    ("SST", "Pacific/Guadalcanal"),
    ("VST", "Asia/Ho_Chi_Minh"),
];

/// The zone a `timeZoneId` names: an IANA name, else a Java short id; `None` if neither.
pub fn time_zone(name: &str) -> Option<Tz> {
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    JAVA_SHORT_IDS
        .iter()
        .find(|(short, _)| *short == name)
        .and_then(|(_, iana)| iana.parse::<Tz>().ok())
}

/// The instant of a local date-time in `tz`: a time in a daylight-saving gap is the first
/// instant after the gap; a time that occurs twice is its first occurrence.
pub fn resolve_local(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // Gaps are at most a few hours; a day of probing is far more than any zone needs.
    for _ in 0..=(24 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.with_timezone(&Utc);
            }
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    // Unreachable for any real zone; fall back to reading the local time as UTC.
    Utc.from_utc_datetime(&local)
}

/// A day of the month as a schedule names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayRef {
    /// 1-31.
    Day(u32),
    /// `L` (0) or `L-n` (n).
    FromEnd(u32),
}

impl DayRef {
    fn parse(text: &str) -> Option<DayRef> {
        let text = text.trim();
        if text == "L" {
            return Some(DayRef::FromEnd(0));
        }
        if let Some(n) = text.strip_prefix("L-") {
            return n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=30).contains(n))
                .map(DayRef::FromEnd);
        }
        text.parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d))
            .map(DayRef::Day)
    }

    /// The day in a month of `len` days, if the month has it.
    fn resolve(self, len: u32) -> Option<u32> {
        match self {
            DayRef::Day(d) => (d <= len).then_some(d),
            DayRef::FromEnd(n) => (n < len).then(|| len - n),
        }
    }
}

/// Days of the month: a LIST or a RANGE of [`DayRef`]s with a step.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MonthDays {
    range: bool,
    refs: Vec<DayRef>,
    interval: u32,
    stepped: bool,
}

impl MonthDays {
    fn contains(&self, day: u32, len: u32) -> bool {
        if self.range {
            let (Some(a), Some(b)) = (self.refs[0].resolve(len), self.refs[1].resolve(len)) else {
                return false;
            };
            a <= day && day <= b && (day - a) % self.interval == 0
        } else {
            self.refs.iter().filter_map(|r| r.resolve(len)).any(|d| {
                if self.stepped {
                    day >= d && (day - d) % self.interval == 0
                } else {
                    day == d
                }
            })
        }
    }
}

/// Which local dates a schedule occurs on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayRule {
    /// Index 0 is Sunday (wire value 1).
    Weekly([bool; 7]),
    /// Months (index 0 is January) and days of the month.
    MonthDays([bool; 12], MonthDays),
    /// (month, day) pairs, every year.
    Dates(Vec<(u32, u32)>),
    /// Dates, ascending.
    Calendar(Vec<NaiveDate>),
}

/// A checked schedule: answers which instants it occurs at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrences {
    tz: Tz,
    hours: [bool; 24],
    days: DayRule,
    expiration: Option<DateTime<Utc>>,
}

/// How many days ahead [`Occurrences::next_after`] looks: enough for a 29 February that comes
/// once in eight years (1900 to 1904 style gaps) and for any month interval.
const HORIZON_DAYS: i64 = 366 * 9;

impl Schedule {
    /// The time zone (UTC when absent); an unknown name is an error naming `timeZoneId`.
    pub fn tz(&self) -> Result<Tz, String> {
        match self.time_zone_id.as_deref() {
            None => Ok(Tz::UTC),
            Some(name) => time_zone(name).ok_or_else(|| {
                format!(
                    "timeZoneId: \"{name}\" is not a time zone; use an IANA name such as America/Chicago or Europe/Berlin"
                )
            }),
        }
    }

    /// Checks every field and compiles the schedule, or returns every problem (each naming its
    /// field, e.g. `days.values[1]: "32" is not a day of the month (1-31, L, L-1, ...)`).
    pub fn compile(&self) -> Result<Occurrences, Vec<String>> {
        let mut causes = Vec::new();
        let tz = self.tz().map_err(|e| causes.push(e)).ok();
        let hours = cyclic(&self.hours, "hours", 0, 23, "an hour (0-23)", &mut causes);
        if self.schedule_type != ScheduleType::Annually && self.months.is_some() {
            causes.push(format!(
                "months: is only valid for ANNUALLY schedules, not {}",
                self.schedule_type.as_str()
            ));
        }
        let days = match &self.days {
            None => {
                causes.push("days: is required".to_owned());
                None
            }
            Some(days) => match self.schedule_type {
                ScheduleType::Weekly => cyclic(
                    days,
                    "days",
                    1,
                    7,
                    "a day of the week (1-7, 1 is Sunday)",
                    &mut causes,
                )
                .map(|set| {
                    let mut week = [false; 7];
                    week.copy_from_slice(&set);
                    DayRule::Weekly(week)
                }),
                ScheduleType::Monthly => {
                    month_days(days, &mut causes).map(|d| DayRule::MonthDays([true; 12], d))
                }
                ScheduleType::Annually => match &self.months {
                    Some(months) => {
                        let months = cyclic(months, "months", 1, 12, "a month (1-12)", &mut causes);
                        let days = month_days(days, &mut causes);
                        match (months, days) {
                            (Some(m), Some(d)) => {
                                let mut year = [false; 12];
                                year.copy_from_slice(&m);
                                Some(DayRule::MonthDays(year, d))
                            }
                            _ => None,
                        }
                    }
                    None => annual_dates(days, &mut causes).map(DayRule::Dates),
                },
                ScheduleType::Calendar => calendar_dates(days, &mut causes).map(DayRule::Calendar),
            },
        };
        match (tz, hours, days) {
            (Some(tz), Some(h), Some(days)) if causes.is_empty() => {
                let mut hours = [false; 24];
                hours.copy_from_slice(&h);
                Ok(Occurrences {
                    tz,
                    hours,
                    days,
                    expiration: self.expiration,
                })
            }
            _ => Err(causes),
        }
    }
}

/// Checks a selector's shape: a LIST needs values, a RANGE exactly two, an interval at least 1.
fn shape(selector: &Selector, field: &str, causes: &mut Vec<String>) -> bool {
    let mut ok = true;
    match selector.selector_type {
        SelectorType::List if selector.values.is_empty() => {
            causes.push(format!("{field}.values: must list at least one value"));
            ok = false;
        }
        SelectorType::Range if selector.values.len() != 2 => {
            causes.push(format!(
                "{field}.values: a RANGE needs exactly two values (first and last), got {}",
                selector.values.len()
            ));
            ok = false;
        }
        _ => {}
    }
    if let Some(i) = selector.interval {
        if i < 1 {
            causes.push(format!("{field}.interval: must be at least 1, got {i}"));
            ok = false;
        }
    }
    ok
}

/// The interval as a step (1 when absent or invalid; invalid ones are reported by [`shape`]).
fn step(selector: &Selector) -> usize {
    selector
        .interval
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i >= 1)
        .unwrap_or(1)
}

/// A cyclic selector (hours, weekdays, months) over `min..=max`, as a membership table.
fn cyclic(
    selector: &Selector,
    field: &str,
    min: u32,
    max: u32,
    what: &str,
    causes: &mut Vec<String>,
) -> Option<Vec<bool>> {
    let ok = shape(selector, field, causes);
    let mut values = Vec::with_capacity(selector.values.len());
    for (i, text) in selector.values.iter().enumerate() {
        match text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
        {
            Some(v) => values.push(v),
            None => causes.push(format!("{field}.values[{i}]: \"{text}\" is not {what}")),
        }
    }
    if !ok || values.len() != selector.values.len() {
        return None;
    }
    let size = (max - min + 1) as usize;
    let index = |v: u32| (v - min) as usize;
    let mut set = vec![false; size];
    let step = step(selector);
    match selector.selector_type {
        SelectorType::List => {
            for v in values {
                let mut at = index(v);
                set[at] = true;
                if selector.interval.is_some() {
                    while at + step < size {
                        at += step;
                        set[at] = true;
                    }
                }
            }
        }
        SelectorType::Range => {
            let (a, b) = (index(values[0]), index(values[1]));
            let len = if a <= b { b - a + 1 } else { size - a + b + 1 };
            for k in (0..len).step_by(step) {
                set[(a + k) % size] = true;
            }
        }
    }
    Some(set)
}

fn month_days(selector: &Selector, causes: &mut Vec<String>) -> Option<MonthDays> {
    let ok = shape(selector, "days", causes);
    let mut refs = Vec::with_capacity(selector.values.len());
    for (i, text) in selector.values.iter().enumerate() {
        match DayRef::parse(text) {
            Some(r) => refs.push(r),
            None => causes.push(format!(
                "days.values[{i}]: \"{text}\" is not a day of the month (1-31, L, L-1, ..., L-30)"
            )),
        }
    }
    if !ok || refs.len() != selector.values.len() {
        return None;
    }
    let range = selector.selector_type == SelectorType::Range;
    if range {
        if let (DayRef::Day(a), DayRef::Day(b)) = (refs[0], refs[1]) {
            if a > b {
                causes.push(format!(
                    "days.values: the RANGE {a} to {b} is empty (days of the month do not wrap)"
                ));
                return None;
            }
        }
        if let (DayRef::FromEnd(a), DayRef::FromEnd(b)) = (refs[0], refs[1]) {
            if a < b {
                causes.push(format!(
                    "days.values: the RANGE L-{a} to L-{b} is empty (days of the month do not wrap)"
                ));
                return None;
            }
        }
    }
    Some(MonthDays {
        range,
        refs,
        interval: u32::try_from(step(selector)).unwrap_or(1),
        stepped: selector.interval.is_some(),
    })
}

fn annual_dates(selector: &Selector, causes: &mut Vec<String>) -> Option<Vec<(u32, u32)>> {
    let ok = shape(selector, "days", causes);
    if selector.selector_type == SelectorType::Range {
        causes.push(
            "days.type: ANNUALLY schedules without months take a LIST of --MM-DD dates, not a RANGE"
                .to_owned(),
        );
        return None;
    }
    if selector.interval.is_some() {
        causes.push("days.interval: is not allowed with --MM-DD dates".to_owned());
    }
    let mut dates = Vec::with_capacity(selector.values.len());
    for (i, text) in selector.values.iter().enumerate() {
        // A leap year, so that --02-29 is accepted.
        let parsed = text
            .trim()
            .strip_prefix("--")
            .and_then(|md| NaiveDate::parse_from_str(&format!("2024-{md}"), "%Y-%m-%d").ok());
        match parsed {
            Some(d) => dates.push((d.month(), d.day())),
            None => causes.push(format!(
                "days.values[{i}]: \"{text}\" is not a date without a year such as --12-31 (ANNUALLY schedules without months)"
            )),
        }
    }
    (ok && dates.len() == selector.values.len() && selector.interval.is_none()).then_some(dates)
}

fn calendar_dates(selector: &Selector, causes: &mut Vec<String>) -> Option<Vec<NaiveDate>> {
    let ok = shape(selector, "days", causes);
    if selector.selector_type == SelectorType::Range {
        causes.push("days.type: CALENDAR schedules take a LIST of dates, not a RANGE".to_owned());
        return None;
    }
    if selector.interval.is_some() {
        causes.push("days.interval: is not allowed in CALENDAR schedules".to_owned());
    }
    let mut dates = Vec::with_capacity(selector.values.len());
    for (i, text) in selector.values.iter().enumerate() {
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(d) => dates.push(d),
            Err(_) => causes.push(format!(
                "days.values[{i}]: \"{text}\" is not an ISO-8601 date such as 2020-12-31"
            )),
        }
    }
    dates.sort();
    dates.dedup();
    (ok && dates.len() <= selector.values.len() && !dates.is_empty() && selector.interval.is_none())
        .then_some(dates)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

impl Occurrences {
    /// The schedule's time zone.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Whether the schedule occurs on local `date`.
    fn on(&self, date: NaiveDate) -> bool {
        match &self.days {
            DayRule::Weekly(week) => week[date.weekday().num_days_from_sunday() as usize],
            DayRule::MonthDays(months, days) => {
                months[date.month0() as usize]
                    && days.contains(date.day(), days_in_month(date.year(), date.month()))
            }
            DayRule::Dates(dates) => dates.contains(&(date.month(), date.day())),
            DayRule::Calendar(dates) => dates.binary_search(&date).is_ok(),
        }
    }

    /// The first occurrence strictly after `after`, or `None` when there is none (expired, a
    /// CALENDAR schedule whose dates have passed, or nothing within nine years).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.expiration.is_some_and(|e| after >= e) {
            return None;
        }
        // Start a day early: a local time in a gap can resolve to an instant after midnight.
        let first = after.with_timezone(&self.tz).date_naive().pred_opt()?;
        let dates: Box<dyn Iterator<Item = NaiveDate>> = match &self.days {
            DayRule::Calendar(dates) => {
                Box::new(dates.iter().copied().filter(move |d| *d >= first))
            }
            _ => Box::new(first.iter_days().take(HORIZON_DAYS as usize)),
        };
        for date in dates {
            if !self.on(date) {
                continue;
            }
            for hour in (0..24u32).filter(|h| self.hours[*h as usize]) {
                let Some(local) = date.and_hms_opt(hour, 0, 0) else {
                    continue;
                };
                let at = resolve_local(&self.tz, local);
                if at > after {
                    return match self.expiration {
                        Some(e) if at > e => None,
                        _ => Some(at),
                    };
                }
            }
        }
        None
    }

    /// The latest occurrence in `[from, upto]` when `from` is itself an occurrence (or any
    /// instant): the scheduler's "most recent missed occurrence". `None` when none is due.
    pub fn latest_until(&self, from: DateTime<Utc>, upto: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Bounded: an hourly schedule missed for ten years is under 90,000 steps.
        let mut cursor = from - Duration::nanoseconds(1);
        let mut latest = None;
        for _ in 0..200_000 {
            match self.next_after(cursor) {
                Some(at) if at <= upto => {
                    latest = Some(at);
                    cursor = at;
                }
                _ => break,
            }
        }
        latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(kind: SelectorType, values: &[&str], interval: Option<i64>) -> Selector {
        Selector {
            selector_type: kind,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            interval,
        }
    }

    fn list(values: &[&str]) -> Selector {
        sel(SelectorType::List, values, None)
    }

    fn schedule(kind: ScheduleType, days: Selector, hours: Selector, tz: &str) -> Schedule {
        Schedule {
            schedule_type: kind,
            months: None,
            days: Some(days),
            hours,
            expiration: None,
            time_zone_id: Some(tz.to_owned()),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// The first `n` occurrences after `from`, as RFC 3339 UTC text.
    fn next_n(s: &Schedule, from: &str, n: usize) -> Vec<String> {
        let o = s.compile().unwrap();
        let mut at = utc(from);
        let mut out = Vec::new();
        for _ in 0..n {
            match o.next_after(at) {
                Some(next) => {
                    out.push(next.to_rfc3339());
                    at = next;
                }
                None => break,
            }
        }
        out
    }

    #[test]
    fn weekly_one_is_sunday() {
        let s = schedule(ScheduleType::Weekly, list(&["1", "4"]), list(&["9"]), "UTC");
        // 2026-03-01 is a Sunday.
        assert_eq!(
            next_n(&s, "2026-02-27T00:00:00Z", 3),
            [
                "2026-03-01T09:00:00+00:00",
                "2026-03-04T09:00:00+00:00",
                "2026-03-08T09:00:00+00:00"
            ]
        );
    }

    #[test]
    fn weekly_ranges_wrap_around_the_week() {
        let s = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["7", "1"], None),
            list(&["0"]),
            "UTC",
        );
        // Saturday 2026-03-07 and Sunday 2026-03-08 only.
        assert_eq!(
            next_n(&s, "2026-03-02T00:00:00Z", 3),
            [
                "2026-03-07T00:00:00+00:00",
                "2026-03-08T00:00:00+00:00",
                "2026-03-14T00:00:00+00:00"
            ]
        );
    }

    #[test]
    fn monthly_last_days() {
        let s = schedule(ScheduleType::Monthly, list(&["L"]), list(&["17"]), "UTC");
        assert_eq!(
            next_n(&s, "2026-01-31T17:00:00Z", 3),
            [
                "2026-02-28T17:00:00+00:00",
                "2026-03-31T17:00:00+00:00",
                "2026-04-30T17:00:00+00:00"
            ]
        );
        let s = schedule(ScheduleType::Monthly, list(&["L-1"]), list(&["0"]), "UTC");
        assert_eq!(
            next_n(&s, "2028-02-01T00:00:00Z", 2),
            ["2028-02-28T00:00:00+00:00", "2028-03-30T00:00:00+00:00"]
        );
    }

    #[test]
    fn monthly_vendor_example_fifteenth() {
        let s = schedule(ScheduleType::Monthly, list(&["15"]), list(&["17"]), "UTC");
        assert_eq!(
            next_n(&s, "2026-01-15T17:00:00Z", 2),
            ["2026-02-15T17:00:00+00:00", "2026-03-15T17:00:00+00:00"]
        );
    }

    #[test]
    fn monthly_skips_days_a_month_lacks() {
        let s = schedule(ScheduleType::Monthly, list(&["31"]), list(&["0"]), "UTC");
        assert_eq!(
            next_n(&s, "2026-03-31T00:00:00Z", 2),
            ["2026-05-31T00:00:00+00:00", "2026-07-31T00:00:00+00:00"]
        );
    }

    #[test]
    fn monthly_ranges_and_intervals() {
        let s = schedule(
            ScheduleType::Monthly,
            sel(SelectorType::Range, &["20", "L"], Some(5)),
            list(&["6"]),
            "UTC",
        );
        // February 2026 has 28 days: 20, 25; March: 20, 25, 30.
        assert_eq!(
            next_n(&s, "2026-02-01T00:00:00Z", 5),
            [
                "2026-02-20T06:00:00+00:00",
                "2026-02-25T06:00:00+00:00",
                "2026-03-20T06:00:00+00:00",
                "2026-03-25T06:00:00+00:00",
                "2026-03-30T06:00:00+00:00"
            ]
        );
        let s = schedule(
            ScheduleType::Monthly,
            sel(SelectorType::List, &["1"], Some(10)),
            list(&["0"]),
            "UTC",
        );
        assert_eq!(
            next_n(&s, "2026-02-01T00:00:00Z", 3),
            [
                "2026-02-11T00:00:00+00:00",
                "2026-02-21T00:00:00+00:00",
                "2026-03-01T00:00:00+00:00"
            ]
        );
    }

    #[test]
    fn hours_lists_ranges_and_intervals() {
        let every_three = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            sel(SelectorType::List, &["8"], Some(3)),
            "UTC",
        );
        let hours: Vec<String> = next_n(&every_three, "2026-03-02T00:00:00Z", 7);
        assert_eq!(
            hours,
            [
                "2026-03-02T08:00:00+00:00",
                "2026-03-02T11:00:00+00:00",
                "2026-03-02T14:00:00+00:00",
                "2026-03-02T17:00:00+00:00",
                "2026-03-02T20:00:00+00:00",
                "2026-03-02T23:00:00+00:00",
                "2026-03-03T08:00:00+00:00"
            ]
        );
        let overnight = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            sel(SelectorType::Range, &["22", "1"], Some(1)),
            "UTC",
        );
        assert_eq!(
            next_n(&overnight, "2026-03-02T12:00:00Z", 4),
            [
                "2026-03-02T22:00:00+00:00",
                "2026-03-02T23:00:00+00:00",
                "2026-03-03T00:00:00+00:00",
                "2026-03-03T01:00:00+00:00"
            ]
        );
    }

    #[test]
    fn annually_quarterly_and_dates() {
        let mut quarterly = schedule(ScheduleType::Annually, list(&["1"]), list(&["1"]), "UTC");
        quarterly.months = Some(sel(SelectorType::List, &["1"], Some(3)));
        assert_eq!(
            next_n(&quarterly, "2026-01-01T01:00:00Z", 4),
            [
                "2026-04-01T01:00:00+00:00",
                "2026-07-01T01:00:00+00:00",
                "2026-10-01T01:00:00+00:00",
                "2027-01-01T01:00:00+00:00"
            ]
        );
        let mut every_other = schedule(ScheduleType::Annually, list(&["L"]), list(&["0"]), "UTC");
        every_other.months = Some(sel(SelectorType::Range, &["7", "12"], Some(2)));
        assert_eq!(
            next_n(&every_other, "2026-01-01T00:00:00Z", 3),
            [
                "2026-07-31T00:00:00+00:00",
                "2026-09-30T00:00:00+00:00",
                "2026-11-30T00:00:00+00:00"
            ]
        );
        let dates = schedule(
            ScheduleType::Annually,
            list(&["--03-12", "--12-05"]),
            list(&["1"]),
            "UTC",
        );
        assert_eq!(
            next_n(&dates, "2026-04-01T00:00:00Z", 3),
            [
                "2026-12-05T01:00:00+00:00",
                "2027-03-12T01:00:00+00:00",
                "2027-12-05T01:00:00+00:00"
            ]
        );
        let leap = schedule(
            ScheduleType::Annually,
            list(&["--02-29"]),
            list(&["0"]),
            "UTC",
        );
        assert_eq!(
            next_n(&leap, "2026-01-01T00:00:00Z", 2),
            ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]
        );
    }

    #[test]
    fn calendar_dates_run_once_each() {
        let s = schedule(
            ScheduleType::Calendar,
            list(&["2026-05-02", "2026-04-01"]),
            list(&["1", "13"]),
            "UTC",
        );
        assert_eq!(
            next_n(&s, "2026-01-01T00:00:00Z", 10),
            [
                "2026-04-01T01:00:00+00:00",
                "2026-04-01T13:00:00+00:00",
                "2026-05-02T01:00:00+00:00",
                "2026-05-02T13:00:00+00:00"
            ]
        );
    }

    #[test]
    fn spring_forward_runs_at_the_first_instant_after_the_gap() {
        // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        let s = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["2"]),
            "America/New_York",
        );
        assert_eq!(
            next_n(&s, "2026-03-07T00:00:00Z", 3),
            [
                "2026-03-07T07:00:00+00:00", // 02:00 EST
                "2026-03-08T07:00:00+00:00", // the gap: 03:00 EDT
                "2026-03-09T06:00:00+00:00"  // 02:00 EDT
            ]
        );
        // 02:00 and 03:00 both land on 03:00 EDT that day: one occurrence.
        let both = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["2", "3"]),
            "America/New_York",
        );
        assert_eq!(
            next_n(&both, "2026-03-08T00:00:00Z", 2),
            ["2026-03-08T07:00:00+00:00", "2026-03-09T06:00:00+00:00"]
        );
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        let berlin = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["2"]),
            "Europe/Berlin",
        );
        assert_eq!(
            next_n(&berlin, "2026-03-28T12:00:00Z", 2),
            ["2026-03-29T01:00:00+00:00", "2026-03-30T00:00:00+00:00"]
        );
    }

    #[test]
    fn fall_back_runs_a_repeated_hour_once() {
        // New York, 2026-11-01: 01:00-02:00 EDT repeats as EST.
        let s = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["1"]),
            "America/New_York",
        );
        assert_eq!(
            next_n(&s, "2026-10-31T12:00:00Z", 3),
            [
                "2026-11-01T05:00:00+00:00", // 01:00 EDT, the first of the two
                "2026-11-02T06:00:00+00:00", // 01:00 EST the next day
                "2026-11-03T06:00:00+00:00"
            ]
        );
        // Berlin, 2026-10-25: 02:00-03:00 CEST repeats as CET.
        let berlin = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["2"]),
            "Europe/Berlin",
        );
        assert_eq!(
            next_n(&berlin, "2026-10-24T12:00:00Z", 2),
            ["2026-10-25T00:00:00+00:00", "2026-10-26T01:00:00+00:00"]
        );
    }

    #[test]
    fn expiration_stops_the_schedule() {
        let mut s = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["9"]),
            "UTC",
        );
        s.expiration = Some(utc("2026-03-03T09:00:00Z"));
        assert_eq!(
            next_n(&s, "2026-03-01T00:00:00Z", 10),
            [
                "2026-03-01T09:00:00+00:00",
                "2026-03-02T09:00:00+00:00",
                "2026-03-03T09:00:00+00:00"
            ]
        );
        assert_eq!(
            s.compile().unwrap().next_after(utc("2026-03-04T00:00:00Z")),
            None
        );
    }

    #[test]
    fn latest_until_picks_the_most_recent_missed_occurrence() {
        let s = schedule(
            ScheduleType::Weekly,
            sel(SelectorType::Range, &["1", "7"], None),
            list(&["9"]),
            "UTC",
        );
        let o = s.compile().unwrap();
        let from = utc("2026-03-01T09:00:00Z");
        assert_eq!(
            o.latest_until(from, utc("2026-03-05T10:00:00Z")),
            Some(utc("2026-03-05T09:00:00Z"))
        );
        assert_eq!(o.latest_until(from, from), Some(from));
        assert_eq!(o.latest_until(from, utc("2026-03-01T08:00:00Z")), None);
    }

    #[test]
    fn time_zones_accept_iana_names_and_java_short_ids() {
        assert_eq!(time_zone("Europe/Berlin"), Some(Tz::Europe__Berlin));
        assert_eq!(time_zone("CST"), Some(Tz::America__Chicago));
        assert_eq!(time_zone("EST"), Some(Tz::EST));
        assert_eq!(time_zone("UTC"), Some(Tz::UTC));
        assert_eq!(time_zone("Mars/Olympus"), None);
        // 1AM CST in January is 07:00 UTC, in July (CDT) 06:00 UTC.
        let s = schedule(
            ScheduleType::Calendar,
            list(&["2026-01-05", "2026-07-06"]),
            list(&["1"]),
            "CST",
        );
        assert_eq!(
            next_n(&s, "2026-01-01T00:00:00Z", 2),
            ["2026-01-05T07:00:00+00:00", "2026-07-06T06:00:00+00:00"]
        );
    }

    #[test]
    fn every_problem_names_its_field() {
        let mut s = schedule(
            ScheduleType::Monthly,
            sel(SelectorType::Range, &["32"], Some(0)),
            list(&["24", "x"]),
            "Nowhere/Atall",
        );
        s.months = Some(list(&["1"]));
        let causes = s.compile().unwrap_err();
        let text = causes.join("\n");
        for expected in [
            "timeZoneId: \"Nowhere/Atall\"",
            "hours.values[0]: \"24\" is not an hour",
            "hours.values[1]: \"x\" is not an hour",
            "months: is only valid for ANNUALLY",
            "days.values: a RANGE needs exactly two values",
            "days.interval: must be at least 1",
            "days.values[0]: \"32\" is not a day of the month",
        ] {
            assert!(text.contains(expected), "{expected} missing from {text}");
        }
        let mut no_days = schedule(ScheduleType::Weekly, list(&["8"]), list(&["1"]), "UTC");
        no_days.days = None;
        assert_eq!(no_days.compile().unwrap_err(), ["days: is required"]);
        let bad_week = schedule(ScheduleType::Weekly, list(&["0", "8"]), list(&["1"]), "UTC");
        assert_eq!(bad_week.compile().unwrap_err().len(), 2);
        let annual_range = schedule(
            ScheduleType::Annually,
            sel(SelectorType::Range, &["--01-01", "--02-01"], None),
            list(&["1"]),
            "UTC",
        );
        assert!(annual_range.compile().unwrap_err()[0].starts_with("days.type"));
        let calendar = schedule(
            ScheduleType::Calendar,
            list(&["2026-02-30"]),
            list(&["1"]),
            "UTC",
        );
        assert!(calendar.compile().unwrap_err()[0].starts_with("days.values[0]"));
        let empty = schedule(
            ScheduleType::Monthly,
            sel(SelectorType::Range, &["20", "10"], None),
            list(&["1"]),
            "UTC",
        );
        assert!(empty.compile().unwrap_err()[0].contains("is empty"));
    }
}
