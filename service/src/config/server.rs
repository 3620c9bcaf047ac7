//! `[server]`: how the service holds up under hostile or heavy clients — connection timeouts, the
//! connection cap and the bounded evaluation pool.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Connection discipline and CPU isolation. Every default is safe for a production EHR; tests
/// shorten the timeouts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// How long a client has to send a whole request head, counted from the connection's
    /// opening or from the end of the previous response: it is also the idle keep-alive
    /// timeout. Closes idle sockets and slowloris connections.
    pub header_read_timeout_ms: u64,
    /// How long a client has to send a whole request body, counted from the end of its head.
    /// A slower body is answered 408 and its connection closed.
    pub body_read_timeout_ms: u64,
    /// Open connections beyond this are answered 503 at once and closed, so that held sockets
    /// cannot exhaust the process's file descriptors. Lowered at start-up to fit the process's
    /// open-file limit, with a warning.
    pub max_connections: usize,
    /// Threads that evaluate service calls (parse, map, rules, render), off the async workers
    /// so that health probes and metrics stay fast. 0 = the number of cores minus one, at
    /// least one.
    pub evaluation_workers: usize,
    /// Service calls admitted beyond the busy workers (waiting for a worker or for the EHR's
    /// FHIR server). A call beyond it is answered 503 with `Retry-After` at once.
    pub evaluation_queue: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            max_connections: 1024,
            evaluation_workers: 0,
            evaluation_queue: 16,
        }
    }
}

impl ServerSettings {
    /// The header-read (and idle keep-alive) timeout.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// The body-read timeout.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }

    /// The evaluation threads to start: the configured number, or cores minus one.
    pub fn evaluation_threads(&self) -> usize {
        if self.evaluation_workers > 0 {
            return self.evaluation_workers;
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        cores.saturating_sub(1).max(1)
    }

    /// Checks the ranges; each message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let timeouts = [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("body_read_timeout_ms", self.body_read_timeout_ms),
        ];
        for (key, millis) in timeouts {
            if !(50..=600_000).contains(&millis) {
                return Err(format!(
                    "{key} must be between 50 and 600000 (10 minutes), not {millis}"
                ));
            }
        }
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        if self.evaluation_workers > 256 {
            return Err("evaluation_workers must be at most 256 (0 = cores - 1)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_leave_one_core_to_the_async_workers() {
        let settings = ServerSettings::default();
        assert_eq!(settings.validate(), Ok(()));
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        assert_eq!(
            settings.evaluation_threads(),
            cores.saturating_sub(1).max(1)
        );
    }

    #[test]
    fn a_configured_worker_count_is_taken_as_is() {
        let settings = ServerSettings {
            evaluation_workers: 3,
            ..ServerSettings::default()
        };
        assert_eq!(settings.evaluation_threads(), 3);
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_key_named() {
        let zero_timeout = ServerSettings {
            header_read_timeout_ms: 0,
            ..ServerSettings::default()
        };
        assert!(zero_timeout
            .validate()
            .is_err_and(|e| e.starts_with("header_read_timeout_ms")));
        let no_connections = ServerSettings {
            max_connections: 0,
            ..ServerSettings::default()
        };
        assert!(no_connections
            .validate()
            .is_err_and(|e| e.starts_with("max_connections")));
    }
}
