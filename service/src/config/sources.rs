//! Reads the configuration's sources — the TOML file, then the environment — into `Settings`,
//! so that every error says where the bad value was written: the file's line and key, or the
//! environment variable by its own name.
//!
//! The file is deserialized from its own text, so the parser's spans give its real lines. Each
//! environment override is then applied and checked one at a time, so an error is the fault
//! of the variable just applied.

use std::path::{Path, PathBuf};

use super::location::Location;
use super::Settings;

/// Short environment variable names for the keys operators set most.
pub const ENV_ALIASES: [(&str, &str); 7] = [
    ("OMS_CDS_ENVIRONMENT", "environment"),
    ("OMS_CDS_LISTEN", "listen"),
    ("OMS_CDS_PUBLIC_BASE_URL", "public_base_url"),
    ("OMS_CDS_DATABASE_URL", "storage.database_url"),
    ("OMS_CDS_LOG_FORMAT", "log.format"),
    ("OMS_CDS_LOG_LEVEL", "log.level"),
    ("OMS_CDS_MAX_BODY_BYTES", "max_body_bytes"),
];

/// Short names that are not settings but are read by the service: the configuration file.
const OTHER_SHORT_NAMES: [&str; 1] = ["OMS_CDS_CONFIG"];

/// Variables in `env` that look like a misspelt short setting name (`OMS_CDS_LISTN`): within
/// two edits of one the service reads, yet none. They are ignored, so the caller warns. Other
/// `OMS_CDS_*` names (the scripts' own, `OMS_CDS_TEST_*`) are not settings and stay silent.
pub fn misspelt_variables(env: &[(String, String)]) -> Vec<(String, &'static str)> {
    let known = || {
        ENV_ALIASES
            .iter()
            .map(|(name, _)| *name)
            .chain(OTHER_SHORT_NAMES)
    };
    let mut misspelt: Vec<(String, &'static str)> = env
        .iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("OMS_CDS_") && !name.starts_with(GENERIC_PREFIX))
        .filter(|name| !known().any(|known| known == name.as_str()))
        .filter_map(|name| {
            let nearest = known().min_by_key(|known| edit_distance(name, known))?;
            (edit_distance(name, nearest) <= 2).then(|| (name.clone(), nearest))
        })
        .collect();
    misspelt.sort();
    misspelt
}

/// Levenshtein distance over bytes (the names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The prefix of generic overrides: `OMS_CDS__SECTION__KEY`.
pub const GENERIC_PREFIX: &str = "OMS_CDS__";

/// A configuration source that cannot be read as settings.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file is missing or unreadable.
    #[error("cannot read configuration file {}: {cause}", path.display())]
    Unreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// Bad TOML, an unknown key or a wrongly typed value in the file.
    #[error("{}{}: {message}", path.display(), describe(location.as_ref()))]
    InFile {
        path: PathBuf,
        location: Option<Location>,
        message: String,
    },
    /// An unknown key or a wrongly typed value from an environment variable.
    #[error("environment variable {variable} (key `{key}`): {message}")]
    InVariable {
        variable: String,
        key: String,
        message: String,
    },
    /// `OMS_CDS__` with an empty path segment (`OMS_CDS__AUTH____X`).
    #[error("environment variable {variable} does not name a configuration key; write OMS_CDS__SECTION__KEY")]
    NotAKey { variable: String },
}

fn describe(location: Option<&Location>) -> String {
    let Some(location) = location else {
        return String::new();
    };
    let key = location
        .key
        .as_ref()
        .map(|key| format!(", key `{key}`"))
        .unwrap_or_default();
    format!(", line {}, column {}{key}", location.line, location.column)
}

/// Settings read from the sources, before `Settings::validate`.
#[derive(Debug)]
pub struct Read {
    /// The deserialized settings.
    pub settings: Settings,
    /// The keys as written, file and environment merged (for deprecation notices).
    pub table: toml::Table,
    /// The environment variables that were applied, in order.
    pub variables: Vec<String>,
}

/// Reads the file (if any), then applies the environment's overrides in name order (short
/// names first, so `OMS_CDS__...` wins over an alias of the same key).
pub fn read(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Read, SourceError> {
    let (mut settings, mut table) = match file {
        Some(path) => read_file(path)?,
        None => (Settings::default(), toml::Table::new()),
    };
    let mut overrides: Vec<(String, String)> = env
        .into_iter()
        .filter(|(name, _)| is_override(name))
        .collect();
    overrides.sort();
    let mut variables = Vec::new();
    for (variable, value) in overrides {
        let path = key_path(&variable)?;
        let key = path.join(".");
        let in_variable = |message: String| SourceError::InVariable {
            variable: variable.clone(),
            key: key.clone(),
            message,
        };
        set_path(&mut table, &path, parse_env_value(&value)).map_err(in_variable)?;
        settings = table
            .clone()
            .try_into::<Settings>()
            .map_err(|e| in_variable(e.message().to_owned()))?;
        variables.push(variable);
    }
    Ok(Read {
        settings,
        table,
        variables,
    })
}

/// The names of the variables in `env` that override configuration keys, sorted.
pub fn override_names(env: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    let mut names: Vec<String> = env
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| is_override(name))
        .collect();
    names.sort();
    names
}

/// The environment variable that sets `key` (`storage.database_url` -> the short alias when
/// there is one, else `OMS_CDS__STORAGE__DATABASE_URL`).
pub fn variable_for(key: &str) -> String {
    ENV_ALIASES
        .iter()
        .find(|(_, aliased)| *aliased == key)
        .map_or_else(
            || format!("{GENERIC_PREFIX}{}", key.replace('.', "__").to_uppercase()),
            |(name, _)| (*name).to_owned(),
        )
}

fn read_file(path: &Path) -> Result<(Settings, toml::Table), SourceError> {
    let text = std::fs::read_to_string(path).map_err(|cause| SourceError::Unreadable {
        path: path.to_owned(),
        cause,
    })?;
    let in_file = |error: toml::de::Error| SourceError::InFile {
        path: path.to_owned(),
        location: error.span().map(|span| Location::of(&text, &span)),
        message: error.message().trim_end().to_owned(),
    };
    let settings = toml::from_str::<Settings>(&text).map_err(in_file)?;
    let table = text.parse::<toml::Table>().map_err(in_file)?;
    Ok((settings, table))
}

fn is_override(name: &str) -> bool {
    name.starts_with(GENERIC_PREFIX) || ENV_ALIASES.iter().any(|(alias, _)| *alias == name)
}

fn key_path(variable: &str) -> Result<Vec<String>, SourceError> {
    let path: Vec<String> = match ENV_ALIASES.iter().find(|(alias, _)| *alias == variable) {
        Some((_, key)) => key.split('.').map(str::to_owned).collect(),
        None => variable[GENERIC_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect(),
    };
    if path.iter().any(String::is_empty) {
        return Err(SourceError::NotAKey {
            variable: variable.to_owned(),
        });
    }
    Ok(path)
}

fn parse_env_value(value: &str) -> toml::Value {
    // `value = <text>` parses numbers, booleans and arrays; anything else is a plain string.
    format!("value = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("value"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(format!("`{key}` is a value, not a section")),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_name_two_edits_from_a_setting_is_reported_and_other_names_are_not() {
        let env: Vec<(String, String)> = [
            "OMS_CDS_LISTN",
            "OMS_CDS_DATABASE_URLS",
            "OMS_CDS_LISTEN",
            "OMS_CDS_TEST_POSTGRES_URL",
            "OMS_CDS_TOOLS_DIR",
            "OMS_CDS__AUTH__REQUIRED",
            "OMS_CDS_CONFIG",
        ]
        .iter()
        .map(|name| ((*name).to_owned(), "x".to_owned()))
        .collect();
        assert_eq!(
            misspelt_variables(&env),
            [
                ("OMS_CDS_DATABASE_URLS".to_owned(), "OMS_CDS_DATABASE_URL"),
                ("OMS_CDS_LISTN".to_owned(), "OMS_CDS_LISTEN"),
            ]
        );
    }

    #[test]
    fn each_key_has_its_variable_the_alias_when_there_is_one() {
        assert_eq!(variable_for("storage.database_url"), "OMS_CDS_DATABASE_URL");
        assert_eq!(variable_for("auth.required"), "OMS_CDS__AUTH__REQUIRED");
        assert_eq!(
            variable_for("server.max_connections"),
            "OMS_CDS__SERVER__MAX_CONNECTIONS"
        );
    }

    #[test]
    fn the_generic_form_wins_over_an_alias_of_the_same_key() {
        let env = [
            ("OMS_CDS__LISTEN".to_owned(), "127.0.0.1:2".to_owned()),
            ("OMS_CDS_LISTEN".to_owned(), "127.0.0.1:1".to_owned()),
        ];
        let read = read(None, env).expect("valid");
        assert_eq!(read.settings.listen.port(), 2);
        assert_eq!(read.variables, ["OMS_CDS_LISTEN", "OMS_CDS__LISTEN"]);
    }
}
