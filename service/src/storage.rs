//! Durable storage behind a small API in domain types; all SQL of the service lives here.
//!
//! One code path for SQLite (the embedded default) and PostgreSQL (shared by replicas), through
//! sqlx's `Any` driver and portable SQL (`$1` placeholders, `ON CONFLICT DO NOTHING`, BIGINT times).

mod connect_failure;
mod fault;
mod feedback;
mod issued_cards;
mod replay;
mod replay_purge;
mod summary;
mod target;

pub use connect_failure::ConnectFailure;
pub use fault::{FaultKind, Operation, StorageError, StorageFaults};
pub use feedback::StoredFeedback;
pub use issued_cards::{IssuedCard, IssuedCardLog, IssuedCardWriter};
pub use replay_purge::ReplayPurge;
pub use summary::TopicSummary;
pub use target::DatabaseTarget;

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use crate::config::StorageSettings;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (single node).
    Sqlite,
    /// PostgreSQL (shared by replicas).
    Postgres,
}

/// The service's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    deadlines: Deadlines,
    faults: StorageFaults,
}

/// How long a storage call may take.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    /// A call a request waits for (`storage.query_timeout_ms`).
    request: Duration,
    /// A call no request waits for (`storage.background_timeout_ms`).
    background: Duration,
}

/// Pause between connection attempts while start-up waits for the database.
const STARTUP_RETRY_PAUSE: Duration = Duration::from_millis(500);

impl Store {
    /// Connects (waiting up to `startup_timeout_secs` for the database), creating a SQLite file
    /// on first run, and applies the migrations.
    pub async fn connect(settings: &StorageSettings) -> anyhow::Result<Store> {
        install_default_drivers();
        let (url, backend) = normalise_url(&settings.database_url);
        let target = DatabaseTarget::of(&settings.database_url);
        let pool = pool_options(settings, backend)
            .connect_lazy(&url)
            .map_err(|e| ConnectFailure::classify(&e, &target))
            .with_context(|| format!("cannot connect to {target}"))?;
        let startup = settings.startup_timeout();
        wait_for_database(&url, &target, startup)
            .await
            .with_context(|| format!("cannot connect to {target}"))?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .context("cannot switch SQLite to WAL mode")?;
        }
        tokio::time::timeout(startup, sqlx::migrate!("./migrations").run(&pool))
            .await
            .map_err(|_| anyhow::anyhow!("database migrations did not finish within {startup:?}"))?
            .context("cannot apply database migrations")?;
        Ok(Store {
            pool,
            backend,
            deadlines: Deadlines {
                request: settings.query_timeout(),
                background: settings.background_timeout(),
            },
            faults: StorageFaults::new(),
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The fault counters, shared by every clone of this store (for the metrics registry).
    pub fn faults(&self) -> &StorageFaults {
        &self.faults
    }

    /// Whether the database answers (readiness), within the request deadline.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.on_request_path(Operation::Readiness, async {
            self.pool
                .execute("SELECT 1")
                .await
                .context("database ping failed")?;
            Ok(())
        })
        .await
    }

    /// How the pool's connections are used now (for the metrics).
    pub fn pool_usage(&self) -> crate::metrics::PoolUsage {
        let open = self.pool.size();
        // `num_idle` never exceeds `size`; the conversion cannot fail for a u32-sized pool.
        let idle = u32::try_from(self.pool.num_idle())
            .unwrap_or(open)
            .min(open);
        crate::metrics::PoolUsage {
            in_use: open - idle,
            idle,
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Closes the pool, waiting for connections to finish (and SQLite to checkpoint).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs a call a request waits for, under `storage.query_timeout_ms`.
    async fn on_request_path<T>(
        &self,
        operation: Operation,
        call: impl Future<Output = anyhow::Result<T>>,
    ) -> Result<T, StorageError> {
        self.bounded(operation, self.deadlines.request, call).await
    }

    /// Runs a call no request waits for, under `storage.background_timeout_ms`.
    async fn in_background<T>(
        &self,
        operation: Operation,
        call: impl Future<Output = anyhow::Result<T>>,
    ) -> Result<T, StorageError> {
        self.bounded(operation, self.deadlines.background, call)
            .await
    }

    /// Runs one storage call under `limit`; a failure is classified and counted once. A call cut
    /// at its deadline may have committed (the answer was lost): callers answer 503, and the
    /// retry is harmless because every write ignores a row already stored.
    async fn bounded<T>(
        &self,
        operation: Operation,
        limit: Duration,
        call: impl Future<Output = anyhow::Result<T>>,
    ) -> Result<T, StorageError> {
        let error = match tokio::time::timeout(limit, call).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(source)) => StorageError::failed(operation, source),
            Err(_elapsed) => StorageError::TimedOut {
                operation,
                after: limit,
            },
        };
        self.faults.count(&error);
        Err(error)
    }
}

/// The pool: connections wait at most `acquire_timeout_ms`, and a connection is checked under
/// that limit when it comes back.
fn pool_options(settings: &StorageSettings, backend: Backend) -> AnyPoolOptions {
    let check_limit = settings.acquire_timeout();
    AnyPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout())
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // Wait for a lock rather than fail at once when two writers meet.
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                }
                Ok(())
            })
        })
        .after_release(move |conn, _meta| {
            Box::pin(async move {
                // A call cut at its deadline can leave its connection mid-exchange. sqlx checks a
                // returned connection with a ping that has no limit, so on a stalled network
                // the pool slot would be held until TCP gives up (many minutes, even after the
                // database is back elsewhere). Checked here under a limit, such a connection is
                // dropped instead (an error makes sqlx close it without a goodbye).
                match tokio::time::timeout(check_limit, conn.ping()).await {
                    Ok(Ok(())) => Ok(true),
                    Ok(Err(error)) => Err(error),
                    Err(_elapsed) => Err(sqlx::Error::PoolTimedOut),
                }
            })
        })
}

/// Start-up waits for the database: a first connection is retried until `limit`, so a
/// database starting alongside the service (a compose file, a pod) is not a failed start. The
/// attempts connect directly rather than through the pool, whose error would only be "pool timed
/// out": the last attempt's cause is the error. A cause waiting cannot cure fails at once.
async fn wait_for_database(
    url: &str,
    target: &DatabaseTarget,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut earlier: Option<ConnectFailure> = None;
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let failure = match tokio::time::timeout(remaining, AnyConnection::connect(url)).await {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                return Ok(());
            }
            Ok(Err(error)) => ConnectFailure::classify(&error, target),
            Err(_elapsed) => ConnectFailure::Timeout,
        };
        if failure.is_permanent() {
            return Err(failure.into());
        }
        // An attempt cut short by the deadline says less than the real cause before it.
        let failure = match (failure, earlier.take()) {
            (ConnectFailure::Timeout, Some(cause)) => cause,
            (failure, _) => failure,
        };
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(anyhow::Error::new(failure)
                .context(format!("still failing after retrying for {limit:?}")));
        }
        tracing::warn!(database = %target, error = %failure, "the database does not answer yet; retrying");
        earlier = Some(failure);
        tokio::time::sleep(STARTUP_RETRY_PAUSE.min(deadline - now)).await;
    }
}

/// SQLite URLs get `mode=rwc` so the file is created on first run.
fn normalise_url(url: &str) -> (String, Backend) {
    if url.starts_with("sqlite:") {
        let url = if url.contains("mode=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        (url, Backend::Sqlite)
    } else {
        (url.to_owned(), Backend::Postgres)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite_store() -> Store {
        let dir = std::env::temp_dir().join(format!("oms-cds-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let settings = StorageSettings {
            database_url: format!("sqlite://{}", dir.join("test.db").display()),
            ..StorageSettings::default()
        };
        Store::connect(&settings).await.expect("sqlite store")
    }

    /// The PostgreSQL test database, when `OMS_CDS_TEST_POSTGRES_URL` is set.
    pub async fn postgres_store() -> Option<Store> {
        let Ok(url) = std::env::var("OMS_CDS_TEST_POSTGRES_URL") else {
            eprintln!("skipping the PostgreSQL half: OMS_CDS_TEST_POSTGRES_URL is not set");
            return None;
        };
        let settings = StorageSettings {
            database_url: url,
            ..StorageSettings::default()
        };
        Some(Store::connect(&settings).await.expect("postgres store"))
    }

    /// Every store available to this test run.
    pub async fn all_stores() -> Vec<Store> {
        let mut stores = vec![sqlite_store().await];
        stores.extend(postgres_store().await);
        stores
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local port nothing listens on (bound, then released).
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_is_a_counted_timeout() {
        let store = test_support::sqlite_store().await;
        let limit = Duration::from_millis(20);
        let never = std::future::pending::<anyhow::Result<()>>();
        let error = store
            .bounded(Operation::Replay, limit, never)
            .await
            .expect_err("times out");
        assert!(matches!(error, StorageError::TimedOut { .. }), "{error:?}");
        assert_eq!(store.faults().get(Operation::Replay, FaultKind::Timeout), 1);
        assert_eq!(store.faults().get(Operation::Replay, FaultKind::Error), 0);
    }

    #[tokio::test]
    async fn a_failed_call_is_counted_under_its_kind_and_a_good_one_not_at_all() {
        let store = test_support::sqlite_store().await;
        let limit = Duration::from_secs(1);
        let failing = async { Err::<(), _>(anyhow::Error::new(sqlx::Error::PoolClosed)) };
        let error = store
            .bounded(Operation::Feedback, limit, failing)
            .await
            .expect_err("fails");
        assert_eq!(error.kind(), FaultKind::Unavailable);
        store
            .bounded(Operation::Feedback, limit, async { Ok(()) })
            .await
            .expect("succeeds");
        let faults = store.faults();
        assert_eq!(faults.get(Operation::Feedback, FaultKind::Unavailable), 1);
        assert_eq!(faults.get(Operation::Feedback, FaultKind::Timeout), 0);
    }

    #[tokio::test]
    async fn start_up_gives_up_on_an_unreachable_database_after_its_timeout() {
        let port = closed_port();
        let settings = StorageSettings {
            database_url: format!("postgres://nobody@127.0.0.1:{port}/none"),
            startup_timeout_secs: 1,
            ..StorageSettings::default()
        };
        let started = std::time::Instant::now();
        let error = Store::connect(&settings)
            .await
            .expect_err("nothing listens");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(1) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        let message = format!("{error:#}");
        assert!(
            message.contains(&format!("PostgreSQL at 127.0.0.1:{port}, database `none`")),
            "{message}"
        );
        assert!(message.contains("connection refused"), "{message}");
        assert!(message.contains("after retrying for 1s"), "{message}");
    }

    #[tokio::test]
    async fn a_postgres_password_never_appears_in_a_connection_error() {
        let port = closed_port();
        let settings = StorageSettings {
            database_url: format!("postgres://oms:hunter2@127.0.0.1:{port}/oms"),
            startup_timeout_secs: 1,
            ..StorageSettings::default()
        };
        let error = Store::connect(&settings)
            .await
            .expect_err("nothing listens");
        assert!(
            !format!("{error:#} {error:?}").contains("hunter2"),
            "{error:#}"
        );
    }

    #[tokio::test]
    async fn an_unopenable_sqlite_file_is_named_with_the_reason_at_once() {
        let path = std::env::temp_dir()
            .join(format!("oms-cds-missing-{}", uuid::Uuid::new_v4()))
            .join("oms.db");
        let settings = StorageSettings {
            database_url: format!("sqlite://{}", path.display()),
            startup_timeout_secs: 5,
            ..StorageSettings::default()
        };
        let started = std::time::Instant::now();
        let error = Store::connect(&settings).await.expect_err("no directory");
        let message = format!("{error:#}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("does not exist"), "{message}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a permanent cause is not retried"
        );
    }
}
