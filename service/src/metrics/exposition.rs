//! The two text formats `/metrics` speaks: OpenMetrics 1.0 (what prometheus-client writes) and
//! the Prometheus 0.0.4 text format (what most scrapers and `promtool check metrics` read
//! unless they ask for OpenMetrics).
//!
//! The formats differ where it matters for counters: OpenMetrics names the family `x` and its
//! sample `x_total`, 0.0.4 names both `x_total`. A 0.0.4 reader given OpenMetrics sees samples
//! of a family without HELP or TYPE, so the translation renames counter families, drops the
//! `# UNIT` and `# EOF` lines, and calls `unknown` by its 0.0.4 name `untyped`.

use std::collections::HashSet;

/// Content type of the Prometheus 0.0.4 text format.
pub const TEXT_004: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of OpenMetrics 1.0.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which format a scrape gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (the default).
    Text004,
    /// OpenMetrics 1.0, only when the scraper's `Accept` names it.
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when `accept` lists `application/openmetrics-text` with a non-zero
    /// quality; 0.0.4 otherwise (no header, `*/*`, `text/plain`). Prometheus lists both with
    /// OpenMetrics first, so honouring it is what a scraper that reads it expects.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text004;
        };
        let wants_openmetrics = accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
        });
        if wants_openmetrics {
            Format::OpenMetrics
        } else {
            Format::Text004
        }
    }

    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text004 => TEXT_004,
            Format::OpenMetrics => OPENMETRICS,
        }
    }
}

/// Rewrites prometheus-client's OpenMetrics output as the 0.0.4 text format.
pub fn openmetrics_to_text_004(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .filter(|(_, kind)| *kind == "counter")
        .map(|(name, _)| name)
        .collect();
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        match descriptor(line) {
            Some((keyword, name, rest)) => {
                let name = if counters.contains(name) {
                    format!("{name}_total")
                } else {
                    name.to_owned()
                };
                let rest = if keyword == "TYPE" && rest == "unknown" {
                    "untyped"
                } else {
                    rest
                };
                text.push_str(&format!("# {keyword} {name} {rest}"));
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

/// Splits `# HELP name text` / `# TYPE name type` into keyword, name and the rest.
fn descriptor(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix("# ")?;
    let (keyword, rest) = rest.split_once(' ')?;
    if keyword != "HELP" && keyword != "TYPE" {
        return None;
    }
    let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    Some((keyword, name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENMETRICS_SAMPLE: &str = "# HELP app_requests Requests.\n\
        # TYPE app_requests counter\n\
        app_requests_total{route=\"/a\"} 3\n\
        # HELP app_latency_seconds Latency.\n\
        # TYPE app_latency_seconds histogram\n\
        # UNIT app_latency_seconds seconds\n\
        app_latency_seconds_sum 0.5\n\
        app_latency_seconds_count 1\n\
        app_latency_seconds_bucket{le=\"+Inf\"} 1\n\
        # HELP app_open Open now.\n\
        # TYPE app_open gauge\n\
        app_open 2\n\
        # HELP app_mystery Who knows.\n\
        # TYPE app_mystery unknown\n\
        app_mystery 1\n\
        # EOF\n";

    #[test]
    fn counters_carry_their_total_name_in_help_type_and_sample() {
        let text = openmetrics_to_text_004(OPENMETRICS_SAMPLE);
        assert!(
            text.contains("# HELP app_requests_total Requests.\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE app_requests_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("app_requests_total{route=\"/a\"} 3\n"),
            "{text}"
        );
    }

    #[test]
    fn other_families_keep_their_names_and_openmetrics_only_lines_go() {
        let text = openmetrics_to_text_004(OPENMETRICS_SAMPLE);
        assert!(
            text.contains("# TYPE app_latency_seconds histogram\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE app_open gauge\n"), "{text}");
        assert!(text.contains("# TYPE app_mystery untyped\n"), "{text}");
        assert!(!text.contains("# UNIT"), "{text}");
        assert!(!text.contains("# EOF"), "{text}");
    }

    #[test]
    fn openmetrics_only_when_the_scraper_asks_for_it() {
        assert_eq!(Format::negotiate(None), Format::Text004);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Text004);
        assert_eq!(
            Format::negotiate(Some("text/plain;version=0.0.4;q=0.5,*/*;q=0.1")),
            Format::Text004
        );
        // What Prometheus 2.x sends.
        let prometheus = "application/openmetrics-text;version=1.0.0,\
            application/openmetrics-text;version=0.0.1;q=0.75,\
            text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0")),
            Format::Text004
        );
    }
}
