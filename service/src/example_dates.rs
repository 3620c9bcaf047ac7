//! Moves every date in an example request by a whole number of days, so requests written for one
//! evaluation date stay clinically identical on another (the demo and the HTTP tests use the wall
//! clock, and a weight four days old must stay four days old).

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

/// The evaluation date the bundled examples were written for.
pub const EXAMPLES_DATE: Date = time::macros::date!(2026 - 11 - 25);

/// Shifts every FHIR `date` / `dateTime` string (`YYYY-MM-DD` or RFC 3339) in `value` by the
/// days between `from` and `to`. Year-only and year-month dates are left alone (they are coarse
/// on purpose, e.g. birth dates in the examples keep their age within days).
pub fn shift_dates(value: &mut Value, from: Date, to: Date) {
    let days = (to - from).whole_days();
    if days != 0 {
        shift(value, Duration::days(days));
    }
}

fn shift(value: &mut Value, by: Duration) {
    match value {
        Value::String(text) => {
            if let Some(shifted) = shift_text(text, by) {
                *text = shifted;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| shift(item, by)),
        Value::Object(map) => map.values_mut().for_each(|item| shift(item, by)),
        _ => {}
    }
}

fn shift_text(text: &str, by: Duration) -> Option<String> {
    let day = format_description!("[year]-[month]-[day]");
    if text.len() == 10 {
        let date = Date::parse(text, day).ok()?;
        return (date + by).format(day).ok();
    }
    let instant = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    (instant + by).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_and_date_times_move_and_other_strings_do_not() {
        let mut value = json!({
            "a": "2026-11-20", "b": ["2026-11-22T10:30:00Z"], "c": "2019", "d": "2019-03",
            "id": "obs-weight-8", "n": 5
        });
        shift_dates(
            &mut value,
            EXAMPLES_DATE,
            time::macros::date!(2026 - 12 - 05),
        );
        assert_eq!(value["a"], "2026-11-30");
        assert_eq!(value["b"][0], "2026-12-02T10:30:00Z");
        assert_eq!(value["c"], "2019");
        assert_eq!(value["d"], "2019-03");
        assert_eq!(value["id"], "obs-weight-8");
    }
}
