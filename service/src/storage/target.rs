//! Which database a URL names, described for an operator without its password: the host, port,
//! database and user of a PostgreSQL URL, the file of a SQLite one.

use std::fmt;
use std::path::PathBuf;

/// The database a `storage.database_url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A SQLite file (or `:memory:`).
    Sqlite {
        /// The file, as the URL gives it.
        path: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres {
        /// Host name or address (or a socket directory).
        host: String,
        /// TCP port.
        port: u16,
        /// Database name, when the URL has one.
        database: Option<String>,
        /// User name, when the URL has one.
        user: Option<String>,
    },
    /// A URL that cannot be read as either.
    Unreadable,
}

/// PostgreSQL's port when the URL gives none.
const POSTGRES_DEFAULT_PORT: u16 = 5432;

impl DatabaseTarget {
    /// Reads `url` (never keeping its password).
    pub fn of(url: &str) -> DatabaseTarget {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let path = rest.split_once('?').map_or(rest, |(path, _)| path);
            return DatabaseTarget::Sqlite { path: path.into() };
        }
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return DatabaseTarget::Unreadable;
        };
        let query = |name: &str| {
            parsed
                .query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .map(str::to_owned)
            .or_else(|| query("host"))
            .unwrap_or_else(|| "localhost".to_owned());
        let database = Some(parsed.path().trim_start_matches('/'))
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .or_else(|| query("dbname"));
        let user = Some(parsed.username())
            .filter(|user| !user.is_empty())
            .map(str::to_owned)
            .or_else(|| query("user"));
        DatabaseTarget::Postgres {
            host,
            port: parsed.port().unwrap_or(POSTGRES_DEFAULT_PORT),
            database,
            user,
        }
    }
}

impl fmt::Display for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseTarget::Sqlite { path } => {
                write!(f, "the SQLite database file {}", path.display())
            }
            DatabaseTarget::Postgres {
                host,
                port,
                database,
                user,
            } => {
                write!(f, "PostgreSQL at {host}:{port}")?;
                if let Some(database) = database {
                    write!(f, ", database `{database}`")?;
                }
                if let Some(user) = user {
                    write!(f, ", user `{user}`")?;
                }
                Ok(())
            }
            DatabaseTarget::Unreadable => f.write_str("the database of storage.database_url"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_described_by_host_port_database_and_user_never_its_password() {
        let target =
            DatabaseTarget::of("postgres://oms:hunter2@db.example.org:6432/cds?sslmode=require");
        let described = target.to_string();
        assert_eq!(
            described,
            "PostgreSQL at db.example.org:6432, database `cds`, user `oms`"
        );
        let default_port = DatabaseTarget::of("postgresql://db.example.org/cds").to_string();
        assert_eq!(
            default_port,
            "PostgreSQL at db.example.org:5432, database `cds`"
        );
    }

    #[test]
    fn a_sqlite_url_is_described_by_its_file() {
        for url in ["sqlite://data/oms.db?mode=rwc", "sqlite:data/oms.db"] {
            assert_eq!(
                DatabaseTarget::of(url).to_string(),
                "the SQLite database file data/oms.db"
            );
        }
    }
}
