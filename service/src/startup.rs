//! `Application`: binds the listener (port 0 picks a free one), wires state, serves until a
//! shutdown signal, then drains in-flight requests (bounded) and flushes storage.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::{Authenticator, ReplayCache};
use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::evaluation::Engine;
use crate::evaluation_pool::EvaluationPool;
use crate::fhir_client::FhirFetcher;
use crate::metrics::Metrics;
use crate::rulebook::RulebookSite;
use crate::state::{AppState, LocalTrust};
use crate::storage::{Backend, IssuedCardLog, IssuedCardWriter, ReplayPurge, Store};

/// A bound, ready-to-run service.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    writer: IssuedCardWriter,
}

impl Application {
    /// Connects storage, loads value sets and keys, binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with(settings, None).await
    }

    /// Like `build`, also trusting a local issuer (the demo; tests of authenticated calls).
    pub async fn build_with(
        settings: Settings,
        local: Option<LocalTrust>,
    ) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        let store = Store::connect(&settings.storage).await?;
        let engine = Arc::new(Engine::new(&settings)?);
        let pool = EvaluationPool::start(
            settings.server.evaluation_threads(),
            settings.server.evaluation_queue,
        )
        .context("cannot start the evaluation threads")?;
        let catalogue = Arc::new(Catalogue::new(engine.terminology()));
        let rulebook = Arc::new(
            RulebookSite::render(engine.clinical()).context("cannot render the rulebook pages")?,
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the HTTP client")?;
        let replay: Arc<dyn ReplayCache> = match store.backend() {
            // Replicas share PostgreSQL, so they share the replay cache too.
            Backend::Postgres => Arc::new(store.clone()),
            Backend::Sqlite => Arc::new(crate::auth::InMemoryReplayCache::default()),
        };
        let authenticator = Arc::new(
            Authenticator::with_extra_issuers(
                settings.auth.clone(),
                &settings.public_base_url,
                http,
                replay,
                local.iter().map(|l| l.issuer.trusted_issuer()).collect(),
            )
            .context("invalid [auth] configuration")?,
        );
        let metrics = Arc::new(
            Metrics::new(&settings.clinical.source_label())
                .with_storage_faults(store.faults().counters()),
        );
        let (issued_cards, writer) = IssuedCardLog::spawn(
            store.clone(),
            settings.storage.issued_cards_queue,
            metrics.issued_cards_dropped.clone(),
        );
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let fetcher = Arc::new(FhirFetcher::new(
            settings.fhir.clone(),
            Arc::clone(&catalogue),
        )?);
        let state = AppState {
            settings,
            engine,
            pool,
            catalogue,
            store,
            issued_cards,
            authenticator,
            fetcher,
            metrics,
            rulebook,
            local,
            readiness: Arc::default(),
        };
        Ok(Application {
            listener,
            state,
            writer,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("listener has no address")
    }

    /// Serves until `shutdown` completes, then waits for in-flight requests up to the grace
    /// period and flushes the issued-cards log.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            state,
            writer,
        } = self;
        let grace = Duration::from_secs(state.settings.shutdown_grace_secs);
        let store = state.store.clone();
        let server_settings = state.settings.server.clone();
        let metrics = Arc::clone(&state.metrics);
        let replay_purge = ReplayPurge::spawn(&store, &state.settings.storage);
        let app = crate::router::router(state);
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutdown requested; finishing in-flight requests");
            let _ = started_tx.send(());
        };
        let server = async move {
            crate::server::serve(listener, app, &server_settings, metrics, signal).await;
        };
        let mut server = tokio::spawn(server);
        let outcome = tokio::select! {
            result = &mut server => Some(result),
            _ = async { let _ = started_rx.await; tokio::time::sleep(grace).await } => None,
        };
        match outcome {
            Some(result) => result.context("server task failed")?,
            None => {
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    "in-flight requests outlived the grace period; stopping"
                );
                server.abort();
            }
        }
        // The router (and with it every queue sender) is gone: the writer drains and stops.
        if tokio::time::timeout(grace, writer.finish()).await.is_err() {
            tracing::warn!("the issued-cards log did not drain within the grace period");
        }
        replay_purge.stop().await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
