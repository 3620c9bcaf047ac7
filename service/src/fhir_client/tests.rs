//! The fetcher against a wiremock FHIR server: deadline, paging limits, redirects, scopes,
//! per-host concurrency and logs that never carry the token.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, query_param, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::catalogue::SERVED_HOOKS;
use crate::wire::request::parse_hook_call;

const TOKEN: &str = "unit-test-secret-token-5f1c";

fn settings_for(server: &MockServer) -> FhirSettings {
    FhirSettings {
        allowed_servers: vec![server.uri()],
        allow_http: true,
        ..FhirSettings::default()
    }
}

/// A fetcher with `settings` (built on [`settings_for`]) and the embedded terminology's templates.
fn fetcher(settings: FhirSettings) -> FhirFetcher {
    let catalogue = Catalogue::new(&fhir_mapping::Terminology::embedded());
    FhirFetcher::new(settings, Arc::new(catalogue)).expect("client")
}

/// Answers every request for `resource_path` on `server` with `response`.
async fn answer(server: &MockServer, resource_path: &str, response: ResponseTemplate) {
    Mock::given(path(resource_path))
        .respond_with(response)
        .mount(server)
        .await;
}

/// A second server that fails the test (when dropped) if it is called at all.
async fn server_never_called() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

/// Completes a call with a `user/*.read` token whose prefetch lacks the keys `missing`.
async fn complete_without(
    fetcher: &FhirFetcher,
    server: &MockServer,
    missing: &[&str],
) -> (HookCall, PrefetchReport) {
    let mut call = call_with(server, prefetch_without(missing), "user/*.read");
    let report = fetcher.complete(&mut call, &[]).await;
    (call.call, report)
}

/// An order-sign call for patient `p1` whose prefetch is `prefetch`, served by `server`.
fn call_with(server: &MockServer, prefetch: Value, scope: &str) -> ServiceCall {
    let body = json!({
        "hook": "order-sign",
        "hookInstance": "0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060",
        "fhirServer": server.uri(),
        "fhirAuthorization": {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                              "scope": scope, "subject": "oms-cds"},
        "context": {"userId": "Practitioner/u1", "patientId": "p1",
                    "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": []}},
        "prefetch": prefetch,
    });
    parse_hook_call(body.to_string().as_bytes(), &SERVED_HOOKS).expect("a valid call")
}

/// Every key but `missing` sent as an empty searchset (the patient as a Patient).
fn prefetch_without(missing: &[&str]) -> Value {
    let mut prefetch = serde_json::Map::new();
    for key in PrefetchKey::ALL {
        if missing.contains(&key.code()) {
            continue;
        }
        let value = if key == PrefetchKey::Patient {
            json!({"resourceType": "Patient", "id": "p1"})
        } else {
            json!({"resourceType": "Bundle", "type": "searchset", "entry": []})
        };
        prefetch.insert(key.code().to_owned(), value);
    }
    Value::Object(prefetch)
}

/// A 200 answer with a searchset of the Procedures `ids` and no next page.
fn procedures(ids: &[&str]) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(searchset(ids, None))
}

/// A searchset of the Procedures `ids`, linking to `next` when given.
fn searchset(ids: &[&str], next: Option<String>) -> Value {
    let entries: Vec<Value> = ids
        .iter()
        .map(|id| json!({"resource": {"resourceType": "Procedure", "id": id}}))
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "entry": entries});
    if let Some(url) = next {
        bundle["link"] = json!([{"relation": "next", "url": url}]);
    }
    bundle
}

fn entry_ids(call: &HookCall, key: &str) -> Vec<String> {
    let key = PrefetchKey::from_code(key).expect("a prefetch key");
    let Some(PrefetchValue::Resource(raw)) = call.prefetch.get(&key) else {
        return Vec::new();
    };
    let bundle: Value = serde_json::from_str(raw.json()).expect("json");
    assert!(raw.next_page().is_none(), "no page is left to follow");
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["resource"]["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn keys_that_arrive_before_the_deadline_are_kept_when_another_hangs() {
    let server = MockServer::start().await;
    answer(&server, "/Procedure", procedures(&["proc-1"])).await;
    let hanging = procedures(&[]).set_delay(Duration::from_secs(3));
    answer(&server, "/Observation", hanging).await;
    let fetcher = fetcher(FhirSettings {
        deadline_ms: 300,
        ..settings_for(&server)
    });

    let started = Instant::now();
    let (call, report) = complete_without(&fetcher, &server, &["procedures", "observations"]).await;
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(700), "{elapsed:?}");
    assert_eq!(
        report.outcome(PrefetchKey::Procedures),
        Some(&KeyOutcome::Fetched)
    );
    assert_eq!(entry_ids(&call, "procedures"), ["proc-1"]);
    assert_eq!(
        report.outcome(PrefetchKey::Observations),
        Some(&KeyOutcome::Failed(FetchFailure::DeadlineExceeded(300)))
    );
    assert!(!call.prefetch.contains_key(&PrefetchKey::Observations));
    assert_eq!(
        report.outcome(PrefetchKey::Patient),
        Some(&KeyOutcome::Satisfied)
    );
}

#[tokio::test]
async fn observations_are_fetched_by_the_codes_of_the_terminology_in_force() {
    let server = MockServer::start().await;
    Mock::given(path("/Observation"))
        .and(query_param("patient", "p1"))
        .and(query_param_contains(
            "code",
            "http://loinc.org|3141-9,urn:oid:1.2.3|W-1,",
        ))
        .respond_with(procedures(&[]))
        .expect(1)
        .mount(&server)
        .await;
    let terminology = fhir_mapping::Terminology::embedded()
        .merged(
            "[body_weight]\ncodes = [{ system = \"urn:oid:1.2.3\", code = \"W-1\" }]",
            "local value sets",
        )
        .expect("a valid value-set file");
    let catalogue = Arc::new(Catalogue::new(&terminology));
    let fetcher = FhirFetcher::new(settings_for(&server), catalogue).expect("client");

    let (_, report) = complete_without(&fetcher, &server, &["observations"]).await;

    assert_eq!(
        report.outcome(PrefetchKey::Observations),
        Some(&KeyOutcome::Fetched)
    );
}

#[tokio::test]
async fn a_call_slower_than_the_call_timeout_fails_alone() {
    let server = MockServer::start().await;
    let slow = procedures(&[]).set_delay(Duration::from_secs(2));
    answer(&server, "/Procedure", slow).await;
    let fetcher = fetcher(FhirSettings {
        call_timeout_ms: 200,
        deadline_ms: 1500,
        ..settings_for(&server)
    });
    let started = Instant::now();
    let (_, report) = complete_without(&fetcher, &server, &["procedures"]).await;
    assert!(started.elapsed() < Duration::from_millis(700));
    assert_eq!(
        report.failure(PrefetchKey::Procedures),
        Some(&FetchFailure::CallTimedOut(200))
    );
}

#[tokio::test]
async fn paging_stops_at_the_page_limit_and_keeps_the_pages_read() {
    let server = MockServer::start().await;
    for page in 1..=3 {
        let next = (page < 3).then(|| format!("{}/Procedure?page={}", server.uri(), page + 1));
        let ids = [format!("proc-{page}")];
        let matcher = if page == 1 {
            Mock::given(path("/Procedure")).and(query_param("patient", "p1"))
        } else {
            Mock::given(path("/Procedure")).and(query_param("page", page.to_string()))
        };
        matcher
            .respond_with(ResponseTemplate::new(200).set_body_json(searchset(
                &ids.iter().map(String::as_str).collect::<Vec<_>>(),
                next,
            )))
            .expect(u64::from(page < 3))
            .mount(&server)
            .await;
    }
    let fetcher = fetcher(FhirSettings {
        max_pages: 2,
        ..settings_for(&server)
    });
    let (call, report) = complete_without(&fetcher, &server, &["procedures"]).await;
    assert_eq!(
        report.outcome(PrefetchKey::Procedures),
        Some(&KeyOutcome::Partial(FetchFailure::PageLimit(2)))
    );
    assert_eq!(entry_ids(&call, "procedures"), ["proc-1", "proc-2"]);
}

#[tokio::test]
async fn resources_over_the_limit_are_dropped_and_reported() {
    let server = MockServer::start().await;
    answer(&server, "/Procedure", procedures(&["a", "b", "c"])).await;
    let fetcher = fetcher(FhirSettings {
        max_resources: 2,
        ..settings_for(&server)
    });
    let (call, report) = complete_without(&fetcher, &server, &["procedures"]).await;
    assert_eq!(
        report.failure(PrefetchKey::Procedures),
        Some(&FetchFailure::ResourceLimit(2))
    );
    assert_eq!(entry_ids(&call, "procedures"), ["a", "b"]);
}

#[tokio::test]
async fn a_next_link_to_another_server_is_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = server_never_called().await;
    let next = format!("{}/Procedure?page=2", elsewhere.uri());
    let first_page = ResponseTemplate::new(200).set_body_json(searchset(&["proc-1"], Some(next)));
    answer(&server, "/Procedure", first_page).await;
    let fetcher = fetcher(settings_for(&server));
    let (call, report) = complete_without(&fetcher, &server, &["procedures"]).await;
    assert_eq!(
        report.outcome(PrefetchKey::Procedures),
        Some(&KeyOutcome::Partial(FetchFailure::ForeignNextLink))
    );
    assert_eq!(entry_ids(&call, "procedures"), ["proc-1"]);
}

#[tokio::test]
async fn a_bundle_sent_with_a_next_page_is_completed_from_the_server() {
    let server = MockServer::start().await;
    Mock::given(path("/Procedure"))
        .and(query_param("page", "2"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(procedures(&["proc-2"]))
        .expect(1)
        .mount(&server)
        .await;
    let mut prefetch = prefetch_without(&[]);
    prefetch["procedures"] = searchset(
        &["proc-1"],
        Some(format!("{}/Procedure?page=2", server.uri())),
    );
    let fetcher = fetcher(settings_for(&server));
    let mut call = call_with(&server, prefetch, "user/*.read");
    let report = fetcher.complete(&mut call, &[]).await;
    assert_eq!(
        report.outcome(PrefetchKey::Procedures),
        Some(&KeyOutcome::Fetched)
    );
    assert_eq!(entry_ids(&call.call, "procedures"), ["proc-1", "proc-2"]);
}

#[tokio::test]
async fn redirects_are_reported_and_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = server_never_called().await;
    let location = format!("{}/Procedure", elsewhere.uri());
    let redirect = ResponseTemplate::new(302).insert_header("location", location.as_str());
    answer(&server, "/Procedure", redirect).await;
    let fetcher = fetcher(settings_for(&server));
    let (_, report) = complete_without(&fetcher, &server, &["procedures"]).await;
    assert_eq!(
        report.failure(PrefetchKey::Procedures),
        Some(&FetchFailure::Redirected(302))
    );
}

#[tokio::test]
async fn a_body_over_the_byte_limit_is_refused() {
    let server = MockServer::start().await;
    let ids: Vec<String> = (0..200).map(|i| format!("procedure-{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    answer(&server, "/Procedure", procedures(&ids)).await;
    let fetcher = fetcher(FhirSettings {
        max_response_bytes: 1024,
        ..settings_for(&server)
    });
    let (_, report) = complete_without(&fetcher, &server, &["procedures"]).await;
    assert_eq!(
        report.failure(PrefetchKey::Procedures),
        Some(&FetchFailure::TooLarge(1024))
    );
}

#[tokio::test]
async fn a_scope_that_does_not_grant_the_type_makes_no_call() {
    let server = MockServer::start().await;
    Mock::given(path("/Procedure"))
        .respond_with(procedures(&[]))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(path("/Patient/p1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"resourceType": "Patient", "id": "p1"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let fetcher = fetcher(settings_for(&server));
    let mut call = call_with(
        &server,
        prefetch_without(&["patient", "procedures"]),
        "user/Patient.read",
    );
    let report = fetcher.complete(&mut call, &[]).await;
    assert_eq!(
        report.outcome(PrefetchKey::Patient),
        Some(&KeyOutcome::Fetched)
    );
    assert_eq!(
        report.failure(PrefetchKey::Procedures),
        Some(&FetchFailure::ScopeDenies("Procedure".into()))
    );
}

#[tokio::test]
async fn calls_to_one_host_wait_for_the_per_host_limit() {
    let server = MockServer::start().await;
    let delay = Duration::from_millis(150);
    Mock::given(method("GET"))
        .respond_with(procedures(&[]).set_delay(delay))
        .expect(5)
        .mount(&server)
        .await;
    let fetcher = fetcher(FhirSettings {
        max_concurrency_per_host: 1,
        deadline_ms: 5000,
        call_timeout_ms: 5000,
        ..settings_for(&server)
    });
    let five_searches = [
        "medicationStatements",
        "medicationRequests",
        "medicationAdministrations",
        "observations",
        "procedures",
    ];
    let started = Instant::now();
    let (_, report) = complete_without(&fetcher, &server, &five_searches).await;
    // One at a time: five delays end to end, where unlimited calls would take about one.
    assert!(started.elapsed() >= delay * 5, "{:?}", started.elapsed());
    for key in five_searches {
        let key = PrefetchKey::from_code(key).expect("a prefetch key");
        assert_eq!(report.outcome(key), Some(&KeyOutcome::Fetched), "{key}");
    }
}

/// A log sink shared with the subscriber.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Captures this thread's log lines up to `level` until the guard is dropped.
    fn start(level: tracing::Level) -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
        let logs = CapturedLogs::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[tokio::test]
async fn the_access_token_never_reaches_the_logs() {
    let server = MockServer::start().await;
    answer(&server, "/Patient/p1", ResponseTemplate::new(401)).await;
    answer(&server, "/Procedure", procedures(&["proc-1"])).await;
    let (logs, _guard) = CapturedLogs::start(tracing::Level::TRACE);

    let fetcher = fetcher(settings_for(&server));
    let mut call = call_with(
        &server,
        prefetch_without(&["patient", "procedures"]),
        "user/*.read",
    );
    tracing::debug!(call = ?call, "the call as the service sees it");
    let report = fetcher.complete(&mut call, &[]).await;

    assert_eq!(
        report.failure(PrefetchKey::Patient),
        Some(&FetchFailure::Unauthorized)
    );
    let text = logs.text();
    assert!(
        text.contains("prefetch key could not be obtained"),
        "{text}"
    );
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(
        !text.contains(TOKEN),
        "the token leaked into the logs:\n{text}"
    );
}

#[tokio::test]
async fn a_failed_fetch_is_logged_with_the_host_and_kind_but_not_the_path() {
    let server = MockServer::start().await;
    answer(&server, "/Patient/p1", ResponseTemplate::new(503)).await;
    answer(&server, "/Procedure", procedures(&["proc-1"])).await;
    let (logs, _guard) = CapturedLogs::start(tracing::Level::WARN);

    let fetcher = fetcher(settings_for(&server));
    let (_, report) = complete_without(&fetcher, &server, &["patient", "procedures"]).await;

    assert_eq!(
        report.failure(PrefetchKey::Patient),
        Some(&FetchFailure::Status(503))
    );
    let text = logs.text();
    let host = server.address().to_string();
    assert!(text.contains(&format!("fhir_host=\"{host}\"")), "{text}");
    assert!(text.contains("kind=\"status_5xx\""), "{text}");
    assert!(
        !text.contains("Patient/p1"),
        "the path leaked into the logs:\n{text}"
    );
    assert!(
        !text.contains(TOKEN),
        "the token leaked into the logs:\n{text}"
    );
}
