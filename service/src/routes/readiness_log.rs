//! Logs readiness when it changes, not at every probe: a pod that is not ready is probed every
//! few seconds, and an ERROR line per probe buries everything else. Going not ready is a WARN
//! (with what failed), coming back an INFO; the probes' own request lines are DEBUG.

use std::sync::atomic::{AtomicU8, Ordering};

/// The last readiness a probe saw.
#[derive(Debug, Default)]
pub struct ReadinessLog {
    last: AtomicU8,
}

const UNKNOWN: u8 = 0;
const READY: u8 = 1;
const NOT_READY: u8 = 2;

/// What a readiness probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// The database answered.
    pub storage_ok: bool,
    /// Every trusted issuer has usable keys.
    pub keys_ok: bool,
}

impl Readiness {
    /// Ready to take traffic.
    pub fn is_ready(self) -> bool {
        self.storage_ok && self.keys_ok
    }
}

/// A change of readiness, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Became ready (or was ready at the first probe).
    BecameReady,
    /// Stopped being ready (or was not ready at the first probe).
    BecameNotReady,
}

impl ReadinessLog {
    /// Records a probe's finding; logs and returns the change, if it is one.
    pub fn observe(&self, readiness: Readiness) -> Option<Change> {
        let now = if readiness.is_ready() {
            READY
        } else {
            NOT_READY
        };
        let before = self.last.swap(now, Ordering::Relaxed);
        if before == now {
            return None;
        }
        let change = if now == READY {
            tracing::info!("ready: storage and issuer keys are available");
            Change::BecameReady
        } else {
            tracing::warn!(
                storage_ok = readiness.storage_ok,
                keys_ok = readiness.keys_ok,
                first_probe = before == UNKNOWN,
                "not ready: readiness probes fail until this clears"
            );
            Change::BecameNotReady
        };
        Some(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY_NOW: Readiness = Readiness {
        storage_ok: true,
        keys_ok: true,
    };
    const DB_DOWN: Readiness = Readiness {
        storage_ok: false,
        keys_ok: true,
    };
    const KEYS_DOWN: Readiness = Readiness {
        storage_ok: true,
        keys_ok: false,
    };

    #[test]
    fn only_changes_are_reported() {
        let log = ReadinessLog::default();
        assert_eq!(log.observe(READY_NOW), Some(Change::BecameReady));
        assert_eq!(log.observe(READY_NOW), None);
        assert_eq!(log.observe(DB_DOWN), Some(Change::BecameNotReady));
        assert_eq!(log.observe(DB_DOWN), None);
        // Another cause while still not ready is not a new change.
        assert_eq!(log.observe(KEYS_DOWN), None);
        assert_eq!(log.observe(READY_NOW), Some(Change::BecameReady));
    }

    #[test]
    fn not_ready_at_the_first_probe_is_a_change() {
        let log = ReadinessLog::default();
        assert_eq!(log.observe(KEYS_DOWN), Some(Change::BecameNotReady));
    }
}
