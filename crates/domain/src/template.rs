//! Campaign templates: a campaign definition kept for reuse, the date placeholders in the names
//! and descriptions of the campaigns generated from it, and the deadline duration.
//!
//! Policy: pure rules only. The engine decides when a template generates (now, or at a
//! schedule's occurrence, see [`crate::schedule`]); this module says what the generated
//! campaign's name, description and deadline are.
//!
//! Placeholders (SailPoint: "the date/time conversion suffix characters supported by
//! java.util.Formatter"): `%` followed by one of `H I k l M S L N p z Z s Q B b h A a C Y y j m d
//! e R T r D F c` is replaced by that field of the generation time in the schedule's time zone,
//! spelled as Java spells it in the ROOT/English locale (`%Y` 2026, `%B` March, `%d` 05, `%F`
//! 2026-03-05, `%c` `Thu Mar 05 09:00:00 CET 2026`, ...). `%%` is a percent sign. Any other
//! `%` is refused when the template is saved, naming the field, as Java's formatter would
//! refuse it.

use chrono::{DateTime, Datelike, Months, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::certification::CampaignDefinition;
use crate::ids::string_id;
use crate::schedule::resolve_local;
use crate::IdentityId;

string_id!(
    /// Identifies a campaign template.
    TemplateId
);

/// A stored campaign template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignTemplate {
    /// Its id.
    pub id: TemplateId,
    /// The template's own name (not the generated campaigns').
    pub name: String,
    /// The template's own description.
    pub description: String,
    /// Who created it; owner of the campaigns its schedule generates.
    pub owner: IdentityId,
    /// Created.
    pub created: DateTime<Utc>,
    /// Last patched; `None` until the first patch.
    pub modified: Option<DateTime<Utc>>,
    /// ISO-8601 duration from generation to the generated campaign's deadline, as sent.
    pub deadline_duration: Option<String>,
    /// The campaign to generate; its name and description may hold placeholders.
    pub campaign: CampaignDefinition,
    /// Whether a schedule is set (read from the schedule table; ignored on write).
    #[serde(default)]
    pub scheduled: bool,
}

/// The Java date/time conversion characters Attest formats.
pub const PLACEHOLDERS: &str = "HIklMSLNpzZsQBbhAaCYyjmdeRTrDFc";

/// Checks that every `%` in `text` starts a placeholder (or is `%%`); the error says which
/// one is not, for a cause such as `campaign.name: ...`.
pub fn check_placeholders(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some('%') => {}
            Some(p) if PLACEHOLDERS.contains(p) => {}
            Some(other) => {
                return Err(format!(
                    "\"%{other}\" is not a date placeholder (use one of %{}; write %% for a percent sign)",
                    PLACEHOLDERS.chars().map(String::from).collect::<Vec<_>>().join(" %")
                ))
            }
            None => {
                return Err(
                    "ends with a lone \"%\" (write %% for a percent sign)".to_owned()
                )
            }
        }
    }
    Ok(())
}

/// `text` with its placeholders replaced by the fields of `at` (see the module's policy).
/// Text that [`check_placeholders`] refuses is copied unchanged where it is wrong.
pub fn format_placeholders(text: &str, at: &DateTime<Tz>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('%') => {
                chars.next();
                out.push('%');
            }
            Some(p) if PLACEHOLDERS.contains(p) => {
                chars.next();
                out.push_str(&java_field(p, at));
            }
            _ => out.push('%'),
        }
    }
    out
}

/// One `java.util.Formatter` date/time conversion of `at`.
fn java_field(conversion: char, at: &DateTime<Tz>) -> String {
    let hour12 = match at.hour() % 12 {
        0 => 12,
        h => h,
    };
    match conversion {
        'H' => at.format("%H").to_string(),
        'I' => format!("{hour12:02}"),
        'k' => at.hour().to_string(),
        'l' => hour12.to_string(),
        'M' => at.format("%M").to_string(),
        'S' => at.format("%S").to_string(),
        'L' => format!("{:03}", at.timestamp_subsec_millis().min(999)),
        'N' => format!("{:09}", at.timestamp_subsec_nanos().min(999_999_999)),
        'p' => if at.hour() < 12 { "am" } else { "pm" }.to_owned(),
        'z' => at.format("%z").to_string(),
        'Z' => at.format("%Z").to_string(),
        's' => at.timestamp().to_string(),
        'Q' => at.timestamp_millis().to_string(),
        'B' => at.format("%B").to_string(),
        'b' | 'h' => at.format("%b").to_string(),
        'A' => at.format("%A").to_string(),
        'a' => at.format("%a").to_string(),
        'C' => format!("{:02}", at.year().div_euclid(100)),
        'Y' => format!("{:04}", at.year()),
        'y' => format!("{:02}", at.year().rem_euclid(100)),
        'j' => at.format("%j").to_string(),
        'm' => at.format("%m").to_string(),
        'd' => at.format("%d").to_string(),
        'e' => at.day().to_string(),
        'R' => at.format("%H:%M").to_string(),
        'T' => at.format("%H:%M:%S").to_string(),
        'r' => format!(
            "{hour12:02}:{} {}",
            at.format("%M:%S"),
            if at.hour() < 12 { "AM" } else { "PM" }
        ),
        'D' => at.format("%m/%d/%y").to_string(),
        'F' => at.format("%Y-%m-%d").to_string(),
        'c' => at.format("%a %b %d %H:%M:%S %Z %Y").to_string(),
        other => format!("%{other}"),
    }
}

/// An ISO-8601 duration (`P2W`, `P14D`, `P1M`, `P1Y2M3DT4H`, `PT36H`), as a template's
/// `deadlineDuration`. Years, months, weeks and days are calendar units in the schedule's time
/// zone (a month after 31 January is the last day of February); hours, minutes and seconds are
/// elapsed time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadlineDuration {
    /// Whole years.
    pub years: u32,
    /// Whole months.
    pub months: u32,
    /// Whole days (weeks counted as seven days).
    pub days: u32,
    /// Elapsed seconds (hours, minutes, seconds).
    pub seconds: u64,
}

impl DeadlineDuration {
    /// Parses the text, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<DeadlineDuration, String> {
        let bad =
            || format!("\"{text}\" is not an ISO-8601 duration such as P2W, P14D, P1M or P1DT12H");
        let rest = text.strip_prefix('P').ok_or_else(bad)?;
        let (date, time) = match rest.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        let mut out = DeadlineDuration::default();
        let mut any = false;
        let mut number = String::new();
        let mut order = 0;
        for c in date.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let n: u32 = number.parse().map_err(|_| bad())?;
            number.clear();
            let rank = match c {
                'Y' => 1,
                'M' => 2,
                'W' => 3,
                'D' => 4,
                _ => return Err(bad()),
            };
            if rank <= order {
                return Err(bad());
            }
            order = rank;
            match c {
                'Y' => out.years = n,
                'M' => out.months = n,
                'W' => {
                    out.days = out
                        .days
                        .checked_add(n.checked_mul(7).ok_or_else(bad)?)
                        .ok_or_else(bad)?
                }
                _ => out.days = out.days.checked_add(n).ok_or_else(bad)?,
            }
            any = true;
        }
        if !number.is_empty() {
            return Err(bad());
        }
        if let Some(time) = time {
            let mut order = 0;
            for c in time.chars() {
                if c.is_ascii_digit() {
                    number.push(c);
                    continue;
                }
                let n: u64 = number.parse().map_err(|_| bad())?;
                number.clear();
                let (rank, unit) = match c {
                    'H' => (1, 3600),
                    'M' => (2, 60),
                    'S' => (3, 1),
                    _ => return Err(bad()),
                };
                if rank <= order {
                    return Err(bad());
                }
                order = rank;
                out.seconds = n
                    .checked_mul(unit)
                    .and_then(|s| out.seconds.checked_add(s))
                    .ok_or_else(bad)?;
                any = true;
            }
            if !number.is_empty() {
                return Err(bad());
            }
        }
        if !any {
            return Err(bad());
        }
        if out == DeadlineDuration::default() {
            return Err(format!(
                "\"{text}\" is zero: the deadline would be the generation time"
            ));
        }
        if out.years > 100 || out.months > 1200 || out.days > 36_500 || out.seconds > 3_153_600_000
        {
            return Err(format!("\"{text}\" is longer than a hundred years"));
        }
        Ok(out)
    }

    /// The deadline of a campaign generated at `at`.
    pub fn after(&self, at: &DateTime<Tz>) -> DateTime<Utc> {
        let local: NaiveDateTime = at.naive_local();
        let months = self.years * 12 + self.months;
        let shifted = local
            .checked_add_months(Months::new(months))
            .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(self.days))))
            .unwrap_or(local);
        let base = if shifted == local {
            at.with_timezone(&Utc)
        } else {
            resolve_local(&at.timezone(), shifted)
        };
        base + chrono::Duration::seconds(i64::try_from(self.seconds).unwrap_or(i64::MAX / 2))
    }
}

/// The name, description and deadline of a campaign generated from `template` at `now`, in
/// time zone `tz`: placeholders formatted, the deadline `deadlineDuration` after `now` (or the
/// template campaign's own deadline when it has none).
pub fn generated_definition(
    template: &CampaignTemplate,
    now: DateTime<Utc>,
    tz: Tz,
) -> CampaignDefinition {
    let local = tz.from_utc_datetime(&now.naive_utc());
    let mut definition = template.campaign.clone();
    definition.name = format_placeholders(&definition.name, &local);
    definition.description = definition
        .description
        .as_deref()
        .map(|d| format_placeholders(d, &local));
    if let Some(duration) = template
        .deadline_duration
        .as_deref()
        .and_then(|d| DeadlineDuration::parse(d).ok())
    {
        definition.deadline = Some(duration.after(&local));
    }
    definition
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Tz> {
        tz.with_ymd_and_hms(y, m, d, h, min, 5).unwrap()
    }

    #[test]
    fn placeholders_follow_java_formatter() {
        let t = at(Tz::Europe__Berlin, 2026, 3, 5, 9, 7);
        assert_eq!(
            format_placeholders("Campaign for %Y", &t),
            "Campaign for 2026"
        );
        assert_eq!(
            format_placeholders("%y|%C|%m|%d|%e|%j", &t),
            "26|20|03|05|5|064"
        );
        assert_eq!(
            format_placeholders("%B %b %h %A %a", &t),
            "March Mar Mar Thursday Thu"
        );
        assert_eq!(
            format_placeholders("%H %I %k %l %M %S %p", &t),
            "09 09 9 9 07 05 am"
        );
        assert_eq!(
            format_placeholders("%R %T %r", &t),
            "09:07 09:07:05 09:07:05 AM"
        );
        assert_eq!(format_placeholders("%D %F", &t), "03/05/26 2026-03-05");
        assert_eq!(format_placeholders("%z %Z", &t), "+0100 CET");
        assert_eq!(
            format_placeholders("%c", &t),
            "Thu Mar 05 09:07:05 CET 2026"
        );
        assert_eq!(format_placeholders("100%% %s", &t), "100% 1772698025");
        let pm = at(Tz::America__New_York, 2026, 7, 4, 0, 30);
        assert_eq!(format_placeholders("%l %I %p %Z", &pm), "12 12 am EDT");
    }

    #[test]
    fn unknown_placeholders_are_refused() {
        assert!(check_placeholders("Q%q review").unwrap_err().contains("%q"));
        assert!(check_placeholders("50%").is_err());
        assert!(check_placeholders("%Y-%m 100%%").is_ok());
    }

    #[test]
    fn durations_parse_and_add_in_calendar_units() {
        assert_eq!(DeadlineDuration::parse("P2W").unwrap().days, 14);
        assert_eq!(DeadlineDuration::parse("PT36H").unwrap().seconds, 36 * 3600);
        for bad in [
            "", "P", "2W", "PT", "P1H", "P1D2Y", "P0D", "P1.5D", "PT1H2H",
        ] {
            assert!(DeadlineDuration::parse(bad).is_err(), "{bad}");
        }
        let jan31 = at(Tz::UTC, 2026, 1, 31, 12, 0);
        let month = DeadlineDuration::parse("P1M").unwrap();
        assert_eq!(
            month.after(&jan31).to_rfc3339(),
            "2026-02-28T12:00:05+00:00"
        );
        // Across spring-forward in New York, P1D keeps the local time of day.
        let ny = at(Tz::America__New_York, 2026, 3, 7, 9, 0);
        let day = DeadlineDuration::parse("P1DT1H").unwrap();
        assert_eq!(day.after(&ny).to_rfc3339(), "2026-03-08T14:00:05+00:00");
    }
}
