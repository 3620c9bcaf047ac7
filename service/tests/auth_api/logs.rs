//! What a refusal leaves in the logs: the reason, `iss` and `jti`, never the token.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::subscriber::Interest;
use tracing::{span, Event, Metadata, Subscriber};

use crate::helpers::*;

#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("log buffer").clone()).expect("UTF-8 logs")
    }
}

/// A global subscriber that records nothing but keeps every callsite's interest "sometimes".
///
/// `tracing` caches each callsite's interest process-wide. Without a global subscriber, a
/// callsite first hit on another test's thread can be cached as "never" in a race with this
/// test's thread-local subscriber, and the line this test looks for silently disappears (seen
/// once the test schedule changed). "Sometimes" makes every event ask the current subscriber.
struct AskEveryTime;

impl Subscriber for AskEveryTime {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

fn ask_every_time() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Another global subscriber already installed serves as well.
        let _ = tracing::subscriber::set_global_default(AskEveryTime);
    });
}

#[tokio::test]
async fn a_refusal_is_logged_with_reason_issuer_and_jti_but_never_the_token() {
    ask_every_time();
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);
    let token = Token::from(EHR_ISSUER)
        .claim("jti", "logged-nonce")
        .claim("iat", now() - 900)
        .claim("exp", now() - 600)
        .signed_by(&key);
    assert_eq!(refusal(&auth, &token).await, "expired");

    let text = logs.text();
    assert!(text.contains("refused bearer token"), "{text}");
    assert!(text.contains("reason=\"expired\""), "{text}");
    assert!(text.contains(EHR_ISSUER), "{text}");
    assert!(text.contains("logged-nonce"), "{text}");
    for part in token.split('.') {
        assert!(!text.contains(part), "a token part was logged: {text}");
    }
}
