//! Why a connection to the database could not be opened, in an operator's words: sqlx's pool
//! only says "pool timed out", and its errors name neither the host nor the file.

use std::io::ErrorKind;
use std::path::Path;

use super::target::DatabaseTarget;

/// The cause of a failed connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectFailure {
    /// The host name does not resolve.
    #[error("the host name does not resolve (DNS): {0}")]
    Dns(String),
    /// Nothing listens at the address.
    #[error("connection refused: nothing listens at that address and port")]
    Refused,
    /// No answer at all: a firewall, a wrong address, or a database still starting.
    #[error("no answer (a firewall, a wrong address, or a server still starting)")]
    Timeout,
    /// The server refused the credentials.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// The server has no such database.
    #[error("the database does not exist: {0}")]
    NoDatabase(String),
    /// The TLS handshake failed (certificate, `sslmode`).
    #[error("TLS failed: {0}")]
    Tls(String),
    /// The operating system refused access.
    #[error("permission denied: {0}")]
    Permission(String),
    /// SQLite cannot open or create the file.
    #[error("cannot open the file: {0}")]
    SqliteFile(String),
    /// Something answers at the address, but not the database's protocol (a proxy, a web server).
    #[error("the server at that address does not answer as the database would: {0}")]
    WrongProtocol(String),
    /// The URL itself is wrong.
    #[error("the URL is invalid: {0}")]
    InvalidUrl(String),
    /// Anything else the driver reported.
    #[error("{0}")]
    Other(String),
}

/// PostgreSQL SQLSTATEs: `invalid_password`, `invalid_authorization_specification`.
const AUTHENTICATION_CODES: [&str; 2] = ["28P01", "28000"];
/// PostgreSQL SQLSTATE `invalid_catalog_name`.
const NO_DATABASE_CODE: &str = "3D000";
/// SQLite's `SQLITE_CANTOPEN`.
const SQLITE_CANTOPEN: &str = "14";

impl ConnectFailure {
    /// Classifies a driver error; `target` adds what the file system says about a SQLite file.
    pub fn classify(error: &sqlx::Error, target: &DatabaseTarget) -> ConnectFailure {
        match error {
            sqlx::Error::Io(io) => Self::from_io(io),
            sqlx::Error::Tls(tls) => ConnectFailure::Tls(tls.to_string()),
            sqlx::Error::Configuration(why) => ConnectFailure::InvalidUrl(why.to_string()),
            sqlx::Error::Protocol(why) => ConnectFailure::WrongProtocol(why.clone()),
            sqlx::Error::PoolTimedOut => ConnectFailure::Timeout,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                let message = db.message().to_owned();
                match target {
                    DatabaseTarget::Sqlite { path } if code == SQLITE_CANTOPEN => {
                        ConnectFailure::SqliteFile(sqlite_file_hint(path, &message))
                    }
                    _ if AUTHENTICATION_CODES.contains(&code.as_ref()) => {
                        ConnectFailure::Authentication(message)
                    }
                    _ if code == NO_DATABASE_CODE => ConnectFailure::NoDatabase(message),
                    _ => ConnectFailure::Other(message),
                }
            }
            other => ConnectFailure::Other(other.to_string()),
        }
    }

    fn from_io(io: &std::io::Error) -> ConnectFailure {
        let text = io.to_string();
        match io.kind() {
            ErrorKind::ConnectionRefused => ConnectFailure::Refused,
            ErrorKind::PermissionDenied => ConnectFailure::Permission(text),
            ErrorKind::TimedOut => ConnectFailure::Timeout,
            _ if is_resolution_failure(&text) => ConnectFailure::Dns(text),
            _ => ConnectFailure::Other(text),
        }
    }

    /// Whether waiting cannot help: wrong credentials, a wrong URL, a file that cannot be opened.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ConnectFailure::Authentication(_)
                | ConnectFailure::InvalidUrl(_)
                | ConnectFailure::SqliteFile(_)
                | ConnectFailure::Permission(_)
        )
    }
}

/// getaddrinfo's messages (glibc, musl, macOS) as the standard library reports them.
fn is_resolution_failure(text: &str) -> bool {
    [
        "failed to lookup address",
        "Name or service not known",
        "Temporary failure in name resolution",
        "nodename nor servname",
        "Name does not resolve",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// SQLite says only "unable to open database file"; the file system says why.
fn sqlite_file_hint(path: &Path, message: &str) -> String {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let why = if !directory.is_dir() {
        format!("its directory {} does not exist", directory.display())
    } else if path.is_dir() {
        "it is a directory".to_owned()
    } else if directory
        .metadata()
        .is_ok_and(|meta| meta.permissions().readonly())
        || path
            .metadata()
            .is_ok_and(|meta| meta.permissions().readonly())
    {
        "it or its directory is read-only".to_owned()
    } else {
        "check that the service's user may create and write it and its directory".to_owned()
    };
    format!("{message} ({why})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_and_a_dns_failure_are_named_as_such() {
        let target = DatabaseTarget::of("postgres://db:5432/x");
        let refused = sqlx::Error::Io(std::io::Error::from(ErrorKind::ConnectionRefused));
        assert_eq!(
            ConnectFailure::classify(&refused, &target),
            ConnectFailure::Refused
        );
        let dns = sqlx::Error::Io(std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        ));
        assert!(matches!(
            ConnectFailure::classify(&dns, &target),
            ConnectFailure::Dns(_)
        ));
    }

    #[test]
    fn a_sqlite_file_in_a_missing_directory_says_so() {
        let hint = sqlite_file_hint(
            Path::new("no-such-directory-for-oms-cds/oms.db"),
            "unable to open database file",
        );
        assert!(
            hint.contains("directory no-such-directory-for-oms-cds does not exist"),
            "{hint}"
        );
    }
}
