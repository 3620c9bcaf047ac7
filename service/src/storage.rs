//! Durable storage behind a small API in domain types; all SQL of the service lives here.
//!
//! One code path for SQLite (the embedded default) and PostgreSQL (shared by replicas), through
//! sqlx's `Any` driver and portable SQL (`$1` placeholders, `ON CONFLICT DO NOTHING`, BIGINT times).

mod feedback;
mod issued_cards;
mod replay;
mod summary;

pub use feedback::StoredFeedback;
pub use issued_cards::{IssuedCard, IssuedCardLog, IssuedCardWriter};
pub use summary::TopicSummary;

use std::time::Duration;

use anyhow::Context;
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

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
}

impl Store {
    /// Connects, creating a SQLite file on first run, and applies the migrations.
    pub async fn connect(settings: &StorageSettings) -> anyhow::Result<Store> {
        install_default_drivers();
        let (url, backend) = normalise_url(&settings.database_url);
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Wait for a lock rather than fail at once when two writers meet.
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("cannot connect to the {backend:?} database"))?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .context("cannot switch SQLite to WAL mode")?;
        }
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .context("cannot apply database migrations")?;
        Ok(Store { pool, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.pool
            .execute("SELECT 1")
            .await
            .context("database ping failed")?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish (and SQLite to checkpoint).
    pub async fn close(&self) {
        self.pool.close().await;
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
