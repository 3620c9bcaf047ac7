//! The HTTP/1.1 server: accepts connections up to a cap, serves each under the header-read
//! timeout, and drains them on shutdown. Replaces `axum::serve`, which has no timeouts and no
//! cap: held sockets (idle, slowloris, idle keep-alive) could exhaust the file descriptors.
//!
//! HTTP/1.1 only: EHRs call over TLS through a proxy or load balancer, which speaks HTTP/1.1 to
//! its backends; HTTP/2 would need its own stream and idle limits.

mod open_files;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::config::ServerSettings;
use crate::metrics::Metrics;
use crate::wire::operation_outcome::OperationOutcome;

/// What a connection beyond the cap gets before it is closed: a complete 503 with a FHIR
/// OperationOutcome, so a client sees why rather than a reset. Built once.
fn refusal() -> Arc<[u8]> {
    let outcome = OperationOutcome::error(
        "transient",
        "the service has too many open connections; retry shortly".to_owned(),
    );
    let body = serde_json::to_string(&outcome).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/fhir+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    Arc::from([head.as_bytes(), body.as_bytes()].concat())
}

/// How long a refused connection may take to receive its 503.
const REFUSAL_WRITE_LIMIT: Duration = Duration::from_millis(100);

/// How long to pause accepting when the process is out of file descriptors.
const OUT_OF_FILES_PAUSE: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `shutdown` completes, then waits for open connections to
/// finish their requests (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &ServerSettings,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let cap = open_files::connection_cap(settings.max_connections);
    let refusal = refusal();
    let slots = Arc::new(Semaphore::new(cap));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout())
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut out_of_files_logged: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    pause_after_accept_error(&error, &mut out_of_files_logged).await;
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            metrics.connections_refused.inc();
            tokio::spawn(refuse(stream, Arc::clone(&refusal)));
            continue;
        };
        // Small responses leave at once rather than waiting for more to coalesce.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let open = metrics.connections_open.clone();
        open.inc();
        tokio::spawn(async move {
            // Errors here are the client's (reset, header timeout): nothing for the log.
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
            open.dec();
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Writes the 503 and closes, within `REFUSAL_WRITE_LIMIT`.
async fn refuse(mut stream: TcpStream, refusal: Arc<[u8]>) {
    let _ = tokio::time::timeout(REFUSAL_WRITE_LIMIT, async {
        stream.write_all(&refusal).await?;
        stream.shutdown().await
    })
    .await;
}

/// Out of file descriptors: wait a little for connections to close instead of spinning. Logged
/// at most once a second. Other accept errors (a client that reset) need no pause.
async fn pause_after_accept_error(error: &std::io::Error, last_logged: &mut Option<Instant>) {
    let out_of_files = matches!(error.raw_os_error(), Some(23 | 24)); // ENFILE, EMFILE
    if !out_of_files {
        tracing::debug!(error = %error, "accept failed");
        return;
    }
    if last_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
        tracing::warn!(
            error = %error,
            "cannot accept connections: out of file descriptors; lower server.max_connections \
             or raise the open-file limit"
        );
        *last_logged = Some(Instant::now());
    }
    tokio::time::sleep(OUT_OF_FILES_PAUSE).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_response_whose_length_matches_its_body() {
        let refusal = refusal();
        let text = std::str::from_utf8(&refusal).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let declared: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .and_then(|n| n.parse().ok())
            .expect("a content-length");
        assert_eq!(declared, body.len());
        let outcome: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(outcome["issue"][0]["code"], "transient");
    }
}
