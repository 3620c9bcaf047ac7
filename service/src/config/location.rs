//! Where in a TOML text an error is: line, column and the dotted key, computed from the parser's
//! byte span in the very text the parser read (a re-rendered document would give other lines).

use std::ops::Range;

/// A position in a configuration file, 1-based as editors show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Line number.
    pub line: usize,
    /// Column, in characters.
    pub column: usize,
    /// The dotted key at that line (`auth.required`), when the line has one.
    pub key: Option<String>,
}

impl Location {
    /// The location of `span` in `text`.
    pub fn of(text: &str, span: &Range<usize>) -> Location {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..start].chars().count() + 1;
        Location {
            line,
            column,
            key: key_at(text, line_start),
        }
    }
}

/// The key the line starting at `line_start` sets (or the table it opens), prefixed by the
/// table header above it. Plain `key = value` lines and headers only: enough to name the key.
fn key_at(text: &str, line_start: usize) -> Option<String> {
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    if let Some(header) = table_header(line) {
        return Some(header);
    }
    let (key, _value) = line.split_once('=')?;
    let key = unquote(key.trim());
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let section = text[..line_start].lines().rev().find_map(table_header);
    Some(match section {
        Some(section) => format!("{section}.{key}"),
        None => key,
    })
}

/// `[a.b]` or `[[a.b]]` -> `a.b`.
fn table_header(line: &str) -> Option<String> {
    let line = line.trim();
    let inner = line.strip_prefix('[')?;
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    let end = inner.find(']')?;
    Some(
        inner[..end]
            .split('.')
            .map(|part| unquote(part.trim()))
            .collect::<Vec<_>>()
            .join("."),
    )
}

fn unquote(key: &str) -> String {
    key.trim_matches(|c| c == '"' || c == '\'').to_owned()
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "listen = \"x\"\n\n[storage]\n# a comment\nmax_connections = \"eight\"\n\n[[auth.issuers]]\niss = 1\n";

    #[test]
    fn the_line_column_and_key_come_from_the_span_in_the_original_text() {
        let at = TEXT.find("\"eight\"").expect("present");
        let location = Location::of(TEXT, &(at..at + 7));
        assert_eq!(
            location,
            Location {
                line: 5,
                column: 19,
                key: Some("storage.max_connections".into()),
            }
        );
        let at = TEXT.find("iss =").expect("present");
        let location = Location::of(TEXT, &(at..at + 3));
        assert_eq!(location.line, 8);
        assert_eq!(location.key.as_deref(), Some("auth.issuers.iss"));
    }

    #[test]
    fn a_top_level_key_and_a_table_header_are_named_as_written() {
        assert_eq!(Location::of(TEXT, &(0..6)).key.as_deref(), Some("listen"));
        let at = TEXT.find("[storage]").expect("present");
        assert_eq!(
            Location::of(TEXT, &(at + 1..at + 8)).key.as_deref(),
            Some("storage")
        );
    }
}
