//! `deploy/oms-cds.example.toml` kept in sync with the code: it documents every key of the
//! effective default configuration (and nothing else), each with its variable and default, and
//! every value it sets is the default (the example issuer aside).

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::sources::variable_for;
use super::Settings;

/// Keys with no default value: documented commented out, absent from the defaults.
const OPTIONAL_KEYS: [&str; 2] = ["admin.token", "mapping.terminology_file"];

/// The trusted issuers: an example in the file, none by default.
const ISSUERS: &str = "auth.issuers";

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/oms-cds.example.toml")
}

fn effective(settings: &Settings) -> toml::Table {
    let mut table = toml::Table::try_from(settings).expect("serializable");
    if let Some(toml::Value::Table(auth)) = table.get_mut("auth") {
        auth.remove("issuers");
    }
    table
}

fn leaf_keys(table: &toml::Table, prefix: &str, keys: &mut BTreeSet<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => leaf_keys(inner, &path, keys),
            _ => {
                keys.insert(path);
            }
        }
    }
}

/// A key line as the example writes it: the key, the rest of the line after ` = `, and the
/// comment block right above it.
struct KeyLine {
    key: String,
    value: String,
    commented_out: bool,
    comment: String,
}

fn key_lines(text: &str) -> Vec<KeyLine> {
    let mut section = String::new();
    let mut comment = String::new();
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            section = header.trim_matches(|c| c == '[' || c == ']').to_owned();
            comment.clear();
            continue;
        }
        let (body, commented_out) = match line.strip_prefix("# ") {
            Some(body) => (body, true),
            None => (line, false),
        };
        let as_key = body.split_once(" = ").filter(|(key, _)| {
            key.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
        match as_key {
            Some((key, value)) if !section.starts_with(ISSUERS) => {
                let key = if section.is_empty() {
                    key.to_owned()
                } else {
                    format!("{section}.{key}")
                };
                lines.push(KeyLine {
                    key,
                    value: value.to_owned(),
                    commented_out,
                    comment: std::mem::take(&mut comment),
                });
            }
            _ if commented_out => {
                comment.push_str(body);
                comment.push('\n');
            }
            _ => comment.clear(),
        }
    }
    lines
}

#[test]
fn the_example_loads_and_sets_every_key_to_its_default() {
    let loaded = Settings::load_from(Some(&example_path()), Vec::new())
        .unwrap_or_else(|e| panic!("the example must be a valid configuration: {e:#}"));
    assert_eq!(effective(&loaded), effective(&Settings::default()));
    assert_eq!(loaded.auth.issuers.len(), 1, "the example issuer");
}

#[test]
fn the_example_documents_every_key_and_only_keys_of_the_code() {
    let text = std::fs::read_to_string(example_path()).expect("the example file");
    let mut in_code = BTreeSet::new();
    leaf_keys(&effective(&Settings::default()), "", &mut in_code);
    in_code.extend(OPTIONAL_KEYS.map(str::to_owned));
    let documented: BTreeSet<String> = key_lines(&text).into_iter().map(|l| l.key).collect();
    let missing: Vec<_> = in_code.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&in_code).collect();
    assert!(
        missing.is_empty(),
        "keys missing from the example: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "keys the code does not have: {unknown:?}"
    );
}

#[test]
fn every_key_of_the_example_names_its_variable_its_default_and_why() {
    let text = std::fs::read_to_string(example_path()).expect("the example file");
    for line in key_lines(&text) {
        let variable = variable_for(&line.key);
        let expected = if line.commented_out {
            format!("env {variable} | default ")
        } else {
            format!("env {variable} | default {}", line.value)
        };
        assert!(
            line.comment.contains(&expected),
            "{}: the comment above it must contain `{expected}`:\n{}",
            line.key,
            line.comment
        );
        let why = line.comment.lines().next().unwrap_or_default();
        assert!(
            !why.starts_with("env ") && why.len() > 10,
            "{}: the comment must say why",
            line.key
        );
    }
}
