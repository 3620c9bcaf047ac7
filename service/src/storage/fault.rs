//! Storage faults: what a failed storage call was, how it failed, and their counters.
//!
//! Every storage call runs under a deadline (see `Store::bounded`); a failure becomes a
//! [`StorageError`] that names its [`Operation`] and [`FaultKind`], and is counted once.

use std::fmt;
use std::time::Duration;

use crate::metrics::{StorageFaultCounters, StorageFaultLabels};

/// Which storage call failed (the `operation` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Recording a JWT id (the replay check of every authenticated call).
    Replay,
    /// Storing feedback, or reading the issued-cards log for it.
    Feedback,
    /// Writing a batch of the issued-cards log.
    IssuedCards,
    /// The readiness ping.
    Readiness,
    /// Deleting expired JWT ids.
    Purge,
    /// The governance summary.
    Summary,
}

impl Operation {
    /// Every operation, so each label set is exported from the start (at 0).
    pub const ALL: [Operation; 6] = [
        Operation::Replay,
        Operation::Feedback,
        Operation::IssuedCards,
        Operation::Readiness,
        Operation::Purge,
        Operation::Summary,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Operation::Replay => "replay",
            Operation::Feedback => "feedback",
            Operation::IssuedCards => "issued_cards",
            Operation::Readiness => "readiness",
            Operation::Purge => "purge",
            Operation::Summary => "summary",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How a storage call failed (the `kind` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// No answer within the deadline, or no pooled connection in time.
    Timeout,
    /// No connection: refused, reset, closed, or the server is shutting down or overloaded.
    Unavailable,
    /// The database answered with an error, or its answer could not be read.
    Error,
}

impl FaultKind {
    /// Every kind, so each label set is exported from the start (at 0).
    pub const ALL: [FaultKind; 3] = [FaultKind::Timeout, FaultKind::Unavailable, FaultKind::Error];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            FaultKind::Timeout => "timeout",
            FaultKind::Unavailable => "unavailable",
            FaultKind::Error => "error",
        }
    }

    /// The kind of an error from sqlx.
    pub fn of_sqlx(error: &sqlx::Error) -> FaultKind {
        match error {
            // The pool's acquire timeout: it also hides refused connections, retried until then.
            sqlx::Error::PoolTimedOut => FaultKind::Timeout,
            // A connection that broke mid-exchange (a peer closing during the handshake shows
            // as an unexpected byte, a protocol error) is as unusable as a refused one.
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => FaultKind::Unavailable,
            sqlx::Error::Database(database) => database
                .code()
                .filter(|code| is_unavailable_code(code))
                .map_or(FaultKind::Error, |_| FaultKind::Unavailable),
            _ => FaultKind::Error,
        }
    }

    /// The kind of a failed call: that of the first sqlx error in its chain, else `error`.
    fn of_chain(error: &anyhow::Error) -> FaultKind {
        error
            .chain()
            .find_map(|cause| cause.downcast_ref::<sqlx::Error>())
            .map_or(FaultKind::Error, FaultKind::of_sqlx)
    }
}

/// PostgreSQL SQLSTATE classes that mean "not reachable now" rather than "wrong": 08 (connection
/// exception), 53 (insufficient resources, e.g. too many connections) and 57P (shutting down,
/// starting up).
fn is_unavailable_code(code: &str) -> bool {
    ["08", "53", "57P"]
        .iter()
        .any(|class| code.starts_with(class))
}

/// A storage call that failed; its message names the operation and never a token, JWT id or
/// patient identifier.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The call did not finish within its deadline.
    #[error("the {operation} storage call timed out after {} ms", after.as_millis())]
    TimedOut {
        /// The call.
        operation: Operation,
        /// Its deadline.
        after: Duration,
    },
    /// The call failed; `kind` says whether for want of a connection or for an error.
    #[error("the {operation} storage call failed ({})", kind.label())]
    Failed {
        /// The call.
        operation: Operation,
        /// `unavailable`, `timeout` (the pool's) or `error`.
        kind: FaultKind,
        /// What went wrong.
        #[source]
        source: anyhow::Error,
    },
}

impl StorageError {
    /// A failed call, classified by its cause.
    pub fn failed(operation: Operation, source: anyhow::Error) -> StorageError {
        StorageError::Failed {
            operation,
            kind: FaultKind::of_chain(&source),
            source,
        }
    }

    /// The call that failed.
    pub fn operation(&self) -> Operation {
        match self {
            StorageError::TimedOut { operation, .. } | StorageError::Failed { operation, .. } => {
                *operation
            }
        }
    }

    /// How it failed.
    pub fn kind(&self) -> FaultKind {
        match self {
            StorageError::TimedOut { .. } => FaultKind::Timeout,
            StorageError::Failed { kind, .. } => *kind,
        }
    }
}

/// The fault counters of one store, every label set present from the start.
#[derive(Debug, Clone)]
pub struct StorageFaults {
    counters: StorageFaultCounters,
}

impl StorageFaults {
    /// Counters at 0 for every operation and kind.
    pub fn new() -> StorageFaults {
        let counters = StorageFaultCounters::default();
        for operation in Operation::ALL {
            for kind in FaultKind::ALL {
                // Created at 0, so a dashboard sees the series before the first fault.
                counters.get_or_create(&labels(operation, kind)).inc_by(0);
            }
        }
        StorageFaults { counters }
    }

    /// Counts one fault.
    pub fn count(&self, error: &StorageError) {
        self.counters
            .get_or_create(&labels(error.operation(), error.kind()))
            .inc();
    }

    /// How many faults of this operation and kind were counted.
    pub fn get(&self, operation: Operation, kind: FaultKind) -> u64 {
        self.counters.get_or_create(&labels(operation, kind)).get()
    }

    /// The counters, for the metrics registry.
    pub fn counters(&self) -> &StorageFaultCounters {
        &self.counters
    }
}

impl Default for StorageFaults {
    fn default() -> Self {
        Self::new()
    }
}

fn labels(operation: Operation, kind: FaultKind) -> StorageFaultLabels {
    StorageFaultLabels {
        operation: operation.label().to_owned(),
        kind: kind.label().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn connection_failures_are_unavailable_and_pool_waits_are_timeouts() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            FaultKind::of_sqlx(&sqlx::Error::Io(refused)),
            FaultKind::Unavailable
        );
        assert_eq!(
            FaultKind::of_sqlx(&sqlx::Error::PoolClosed),
            FaultKind::Unavailable
        );
        // What a peer closing at once looks like during the PostgreSQL handshake.
        let closed = sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into());
        assert_eq!(FaultKind::of_sqlx(&closed), FaultKind::Unavailable);
        assert_eq!(
            FaultKind::of_sqlx(&sqlx::Error::PoolTimedOut),
            FaultKind::Timeout
        );
        assert_eq!(
            FaultKind::of_sqlx(&sqlx::Error::RowNotFound),
            FaultKind::Error
        );
    }

    #[test]
    fn server_codes_for_shutdown_and_lost_connections_are_unavailable() {
        for code in ["08006", "08001", "57P01", "57P03", "53300"] {
            assert!(is_unavailable_code(code), "{code}");
        }
        for code in ["23505", "42P01", "22001", "1"] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }

    #[test]
    fn the_kind_is_found_under_context() {
        let error = Err::<(), _>(sqlx::Error::PoolClosed)
            .context("cannot record a jti")
            .expect_err("an error");
        let failed = StorageError::failed(Operation::Replay, error);
        assert_eq!(failed.kind(), FaultKind::Unavailable);
        assert_eq!(failed.operation(), Operation::Replay);
        assert_eq!(
            failed.to_string(),
            "the replay storage call failed (unavailable)"
        );
        let plain = StorageError::failed(Operation::Feedback, anyhow::anyhow!("no such table"));
        assert_eq!(plain.kind(), FaultKind::Error);
    }

    #[test]
    fn every_label_set_starts_at_zero_and_faults_are_counted_by_kind() {
        let faults = StorageFaults::new();
        let mut text = String::new();
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("storage_faults", "help", faults.counters().clone());
        faults.count(&StorageError::TimedOut {
            operation: Operation::Readiness,
            after: Duration::from_millis(800),
        });
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
        let series = text
            .lines()
            .filter(|line| line.starts_with("storage_faults_total{"))
            .count();
        assert_eq!(
            series,
            Operation::ALL.len() * FaultKind::ALL.len(),
            "{text}"
        );
        assert_eq!(faults.get(Operation::Readiness, FaultKind::Timeout), 1);
        assert_eq!(faults.get(Operation::Readiness, FaultKind::Error), 0);
    }
}
