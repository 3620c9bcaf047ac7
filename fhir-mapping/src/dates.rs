//! FHIR `date` / `dateTime` values, which may be partial (`2019`, `2019-03`, `2019-03-14`,
//! `2019-03-14T09:00:00Z`).
//!
//! Invariant: a partial date is never silently widened or narrowed; callers choose which end of
//! the period they need (`earliest` or `latest`) and say why.

use time::{Date, Month};

/// A FHIR date with the precision it was recorded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FhirDate {
    /// Only the year (`2019`).
    Year(i32),
    /// Year and month (`2019-03`).
    YearMonth(i32, Month),
    /// A full calendar date (a `dateTime` keeps only its date part).
    Day(Date),
}

impl FhirDate {
    /// Reads a FHIR `date` or `dateTime`; `None` when it is not one.
    ///
    /// The date part of a `dateTime` is taken as written: the record's local calendar day is the
    /// day a clinician means, whatever the offset.
    pub fn parse(text: &str) -> Option<Self> {
        let date_part = text.split('T').next()?;
        let mut parts = date_part.split('-');
        let year = parse_number(parts.next()?, 4)?;
        let Some(month_text) = parts.next() else {
            return Some(Self::Year(year));
        };
        let month = Month::try_from(u8::try_from(parse_number(month_text, 2)?).ok()?).ok()?;
        let Some(day_text) = parts.next() else {
            return Some(Self::YearMonth(year, month));
        };
        if parts.next().is_some() {
            return None;
        }
        let day = u8::try_from(parse_number(day_text, 2)?).ok()?;
        Date::from_calendar_date(year, month, day)
            .ok()
            .map(Self::Day)
    }

    /// The first day the value can mean (`2019` -> 2019-01-01).
    pub fn earliest(self) -> Date {
        match self {
            Self::Year(year) => first_day(year, Month::January),
            Self::YearMonth(year, month) => first_day(year, month),
            Self::Day(date) => date,
        }
    }

    /// The last day the value can mean (`2019-02` -> 2019-02-28).
    pub fn latest(self) -> Date {
        match self {
            Self::Year(year) => last_day(year, Month::December),
            Self::YearMonth(year, month) => last_day(year, month),
            Self::Day(date) => date,
        }
    }
}

fn parse_number(text: &str, digits: usize) -> Option<i32> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn first_day(year: i32, month: Month) -> Date {
    Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN)
}

fn last_day(year: i32, month: Month) -> Date {
    let days = month.length(year);
    Date::from_calendar_date(year, month, days).unwrap_or(Date::MAX)
}

/// Completed years and months between `birth` and `today` (0 when `today` precedes `birth`).
pub fn completed_years_and_months(birth: Date, today: Date) -> (u32, u32) {
    let mut months = (today.year() - birth.year()) * 12 + i32::from(today.month() as u8)
        - i32::from(birth.month() as u8);
    if today.day() < birth.day() {
        months -= 1;
    }
    let months = u32::try_from(months).unwrap_or(0);
    (months / 12, months % 12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_year_only_date_spans_the_whole_year() {
        let parsed = FhirDate::parse("2019").unwrap();
        assert_eq!(parsed, FhirDate::Year(2019));
        assert_eq!(parsed.earliest(), date!(2019 - 01 - 01));
        assert_eq!(parsed.latest(), date!(2019 - 12 - 31));
    }

    #[test]
    fn a_year_month_date_spans_the_month_including_leap_february() {
        let parsed = FhirDate::parse("2020-02").unwrap();
        assert_eq!(parsed, FhirDate::YearMonth(2020, Month::February));
        assert_eq!(parsed.earliest(), date!(2020 - 02 - 01));
        assert_eq!(parsed.latest(), date!(2020 - 02 - 29));
    }

    #[test]
    fn a_date_time_keeps_its_calendar_day() {
        assert_eq!(
            FhirDate::parse("2024-11-25T23:30:00-05:00"),
            Some(FhirDate::Day(date!(2024 - 11 - 25)))
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for text in [
            "",
            "19",
            "2019-13",
            "2019-02-30",
            "2019-3-1",
            "yesterday",
            "2019-01-01-01",
        ] {
            assert_eq!(FhirDate::parse(text), None, "{text}");
        }
    }

    #[test]
    fn completed_age_counts_only_full_months() {
        assert_eq!(
            completed_years_and_months(date!(2022 - 10 - 16), date!(2026 - 11 - 25)),
            (4, 1)
        );
        assert_eq!(
            completed_years_and_months(date!(2022 - 11 - 26), date!(2026 - 11 - 25)),
            (3, 11)
        );
        assert_eq!(
            completed_years_and_months(date!(2027 - 01 - 01), date!(2026 - 11 - 25)),
            (0, 0)
        );
    }
}
