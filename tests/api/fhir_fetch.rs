//! Missing prefetch fetched from the EHR's FHIR server (a wiremock server): what is fetched,
//! with which headers, within which deadline, and what the EHR is told when it fails.

use std::time::{Duration, Instant};

use fhir_mapping::{PrefetchKey, Terminology};
use oms_cds::catalogue::Catalogue;
use oms_cds::example_dates::{shift_dates, EXAMPLES_DATE};
use serde_json::{json, Value};
use wiremock::matchers::{any, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::helpers::{
    assert_operation_outcome, client, example, spawn_app_with, spawn_binary, temp_dir, TestApp,
    ORDER_SELECT_ID,
};

const TOKEN: &str = "bb-test-access-token-7d41e0";
const FHIR_JSON: &str = "application/fhir+json";
const EXAMPLES: [&str; 4] = [
    "order-select-rituximab-after-full-course.json",
    "order-select-rituximab-naive-with-neuroblastoma.json",
    "order-select-unrelated-order.json",
    "order-sign-cyclophosphamide-refractory-child.json",
];
const AFTER_FULL_COURSE: &str = "order-select-rituximab-after-full-course.json";

/// The FHIR base the requests name: below the mock's root, as real servers are.
fn fhir_base(mock: &MockServer) -> String {
    format!("{}/fhir", mock.uri())
}

/// The service, allowed to call `mock` over http.
async fn app_allowing(mock: &MockServer, deadline_ms: u64) -> TestApp {
    let allowed = mock.uri();
    spawn_app_with(move |settings| {
        settings.fhir.allow_http = true;
        settings.fhir.allowed_servers = vec![allowed];
        settings.fhir.deadline_ms = deadline_ms;
    })
    .await
}

/// A FHIR server and the service allowed to call it, with a 2 s deadline.
async fn fhir_server_and_app() -> (MockServer, TestApp) {
    let mock = MockServer::start().await;
    let app = app_allowing(&mock, 2000).await;
    (mock, app)
}

/// A FHIR server that fails the test (when dropped) if it was called at all.
async fn fhir_server_never_called() -> MockServer {
    let mock = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&mock)
        .await;
    mock
}

/// An example request moved to today.
fn example_today(name: &str) -> Value {
    let mut request = example(name);
    shift_dates(
        &mut request,
        EXAMPLES_DATE,
        time::OffsetDateTime::now_utc().date(),
    );
    request
}

/// `request` pointed at `server` with a token that may read everything.
fn with_fhir_server(mut request: Value, server: &str) -> Value {
    request["fhirServer"] = json!(server);
    request["fhirAuthorization"] = json!({
        "access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
        "scope": "user/*.read", "subject": "oms-cds"
    });
    request
}

/// The example `name`, moved to today and pointed at `mock`'s FHIR base.
fn example_via(name: &str, mock: &MockServer) -> Value {
    with_fhir_server(example_today(name), &fhir_base(mock))
}

/// Removes prefetch keys from `request` and returns their values.
fn take_prefetch(request: &mut Value, keys: &[&str]) -> Vec<(String, Value)> {
    let prefetch = request["prefetch"].as_object_mut().unwrap();
    keys.iter()
        .map(|key| ((*key).to_owned(), prefetch.remove(*key).unwrap()))
        .collect()
}

/// A mock for `relative` (a template with the patient id in it) under the FHIR base: path and
/// every query parameter must match, and so must the bearer token and the Accept header.
fn fhir_call(relative: &str) -> MockBuilder {
    let (resource_path, query) = relative.split_once('?').unwrap_or((relative, ""));
    let mut mock = Mock::given(method("GET"))
        .and(path(format!("/fhir/{resource_path}")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", FHIR_JSON));
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap();
        mock = mock.and(query_param(name, value));
    }
    mock
}

/// Answers one call to `relative` under the FHIR base with `response`.
async fn answer_once(mock: &MockServer, relative: &str, response: ResponseTemplate) {
    fhir_call(relative)
        .respond_with(response)
        .expect(1)
        .named(relative)
        .mount(mock)
        .await;
}

/// The template of `key` for `patient_id` (the service under test runs the embedded terminology).
fn relative_url(key: &str, patient_id: &str) -> String {
    let key = PrefetchKey::from_code(key).unwrap();
    let catalogue = Catalogue::new(&Terminology::embedded());
    let template = catalogue.template(key).unwrap();
    template.replace("{{context.patientId}}", patient_id)
}

fn patient_id(request: &Value) -> String {
    request["context"]["patientId"].as_str().unwrap().to_owned()
}

/// Serves each `(key, value)` once at its template's URL.
async fn serve_prefetch(mock: &MockServer, patient_id: &str, values: Vec<(String, Value)>) {
    for (key, value) in values {
        let response = ResponseTemplate::new(200).set_body_json(value);
        answer_once(mock, &relative_url(&key, patient_id), response).await;
    }
}

/// Posts `request` and returns the status and body.
async fn post(app: &TestApp, request: &Value) -> (u16, Value) {
    let response = app.post_hook(request).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The topic codes of a 200 response, sorted.
fn topics(body: &Value) -> Vec<String> {
    let mut topics: Vec<String> = body["cards"]
        .as_array()
        .unwrap_or_else(|| panic!("no cards array: {body}"))
        .iter()
        .map(|card| card["source"]["topic"]["code"].as_str().unwrap().to_owned())
        .collect();
    topics.sort();
    topics
}

/// Every card's detail, joined.
fn details(body: &Value) -> String {
    body["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|card| card["detail"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The diagnostics of a 412 OperationOutcome.
fn precondition_failed(status: u16, body: &Value) -> String {
    assert_eq!(status, 412, "{body}");
    assert_operation_outcome(body);
    assert_eq!(body["issue"][0]["code"], "incomplete", "{body}");
    body["issue"][0]["diagnostics"].as_str().unwrap().to_owned()
}

/// The topics the service answers for `name` with its prefetch sent inline.
async fn inline_topics(app: &TestApp, name: &str) -> Vec<String> {
    let (status, body) = post(app, &example_today(name)).await;
    assert_eq!(status, 200, "{name}: {body}");
    topics(&body)
}

/// Asserts a 200 with the cards of the after-full-course example sent with its prefetch inline.
async fn assert_cards_as_if_sent_inline(app: &TestApp, status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(topics(body), inline_topics(app, AFTER_FULL_COURSE).await);
}

/// Removes `key` from `request`, posts it, and returns the diagnostics of the 412 it must get.
async fn refused_without(app: &TestApp, mut request: Value, key: &str) -> String {
    take_prefetch(&mut request, &[key]);
    let (status, body) = post(app, &request).await;
    precondition_failed(status, &body)
}

/// Posts `request` and returns the status, the body and how long the answer took.
async fn timed_post(app: &TestApp, request: &Value) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = post(app, request).await;
    (status, body, started.elapsed())
}

#[tokio::test]
async fn a_complete_prefetch_makes_no_fhir_call() {
    let mock = fhir_server_never_called().await;
    let app = app_allowing(&mock, 2000).await;
    let (status, body) = post(&app, &example_via(AFTER_FULL_COURSE, &mock)).await;
    assert_cards_as_if_sent_inline(&app, status, &body).await;
    app.stop().await;
}

#[tokio::test]
async fn the_clinical_scenarios_give_the_same_cards_when_their_prefetch_is_fetched() {
    let (mock, app) = fhir_server_and_app().await;
    for name in EXAMPLES {
        let expected = inline_topics(&app, name).await;
        mock.reset().await;
        let mut request = example_via(name, &mock);
        let all_keys: Vec<&str> = PrefetchKey::ALL.iter().map(|key| key.code()).collect();
        let values = take_prefetch(&mut request, &all_keys);
        request.as_object_mut().unwrap().remove("prefetch");
        serve_prefetch(&mock, &patient_id(&request), values).await;

        let (status, body) = post(&app, &request).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(topics(&body), expected, "{name}");
        assert!(
            !details(&body).contains("could not be obtained"),
            "{name}: {body}"
        );
        mock.verify().await;
    }
    app.stop().await;
}

#[tokio::test]
async fn an_absent_required_key_is_fetched() {
    for key in ["patient", "conditions"] {
        let (mock, app) = fhir_server_and_app().await;
        let mut request = example_via(AFTER_FULL_COURSE, &mock);
        let values = take_prefetch(&mut request, &[key]);
        serve_prefetch(&mock, &patient_id(&request), values).await;
        let (status, body) = post(&app, &request).await;
        assert_eq!(status, 200, "{key}: {body}");
        assert_eq!(
            topics(&body),
            inline_topics(&app, AFTER_FULL_COURSE).await,
            "{key}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn an_absent_required_key_without_a_fhir_server_is_412_naming_it() {
    let (_mock, app) = fhir_server_and_app().await;
    for key in ["patient", "conditions"] {
        let message = refused_without(&app, example_today(AFTER_FULL_COURSE), key).await;
        assert!(message.contains(&format!("`{key}` (not sent")), "{message}");
        assert!(message.contains("no fhirServer"), "{message}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_null_required_key_means_no_data_and_is_not_fetched() {
    let mock = fhir_server_never_called().await;
    let app = app_allowing(&mock, 2000).await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    request["prefetch"]["conditions"] = Value::Null;
    let (status, body) = post(&app, &request).await;
    // No Conditions: no OMS in relapse, so the service has nothing to say.
    assert_eq!(status, 200, "{body}");
    assert_eq!(topics(&body), Vec::<String>::new());
    app.stop().await;
}

#[tokio::test]
async fn a_required_key_sent_as_an_operation_outcome_is_fetched() {
    let (mock, app) = fhir_server_and_app().await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    let values = take_prefetch(&mut request, &["conditions"]);
    request["prefetch"]["conditions"] = json!({"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}]});
    serve_prefetch(&mock, &patient_id(&request), values).await;
    let (status, body) = post(&app, &request).await;
    assert_cards_as_if_sent_inline(&app, status, &body).await;
    app.stop().await;
}

#[tokio::test]
async fn a_required_operation_outcome_that_cannot_be_fetched_is_412() {
    let (mock, app) = fhir_server_and_app().await;
    answer_once(
        &mock,
        &relative_url("patient", "pat-1"),
        ResponseTemplate::new(500),
    )
    .await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    request["prefetch"]["patient"] = json!({"resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception"}]});
    let (status, body) = post(&app, &request).await;
    let message = precondition_failed(status, &body);
    assert!(
        message.contains(
            "`patient` (the EHR sent an OperationOutcome; the FHIR server answered HTTP 500)"
        ),
        "{message}"
    );
    app.stop().await;
}

/// The after-full-course example with its rituximab administrations served in three pages.
async fn serve_administrations_in_pages(mock: &MockServer, request: &mut Value) {
    let (_, bundle) = take_prefetch(request, &["medicationAdministrations"]).remove(0);
    let entries = bundle["entry"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 4, "the example has four doses");
    let pages = [&entries[0..2], &entries[2..3], &entries[3..4]];
    let first = relative_url("medicationAdministrations", "pat-1");
    for (index, page) in pages.iter().enumerate() {
        let mut body = json!({"resourceType": "Bundle", "type": "searchset", "entry": page});
        if index + 1 < pages.len() {
            let next = format!(
                "{}/MedicationAdministration?_page={}",
                fhir_base(mock),
                index + 2
            );
            body["link"] = json!([{"relation": "self", "url": "ignored"},
                                  {"relation": "next", "url": next}]);
        }
        let relative = if index == 0 {
            first.clone()
        } else {
            format!("MedicationAdministration?_page={}", index + 1)
        };
        answer_once(
            mock,
            &relative,
            ResponseTemplate::new(200).set_body_json(body),
        )
        .await;
    }
}

#[tokio::test]
async fn every_page_of_a_search_reaches_the_rules() {
    let (mock, app) = fhir_server_and_app().await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    serve_administrations_in_pages(&mock, &mut request).await;

    let (status, body) = post(&app, &request).await;
    assert_eq!(status, 200, "{body}");
    let paged = topics(&body);
    assert!(paged.contains(&"rituximab-redose".to_owned()), "{paged:?}");
    assert!(
        !paged.contains(&"rituximab-full-course".to_owned()),
        "{paged:?}"
    );
    assert_eq!(paged, inline_topics(&app, AFTER_FULL_COURSE).await);

    // The first page alone (two doses) is not a full prior course, so no redose: the later
    // pages are what made the answer.
    let mut first_page_only = example_today(AFTER_FULL_COURSE);
    let administrations = &mut first_page_only["prefetch"]["medicationAdministrations"];
    administrations["entry"].as_array_mut().unwrap().truncate(2);
    let (status, body) = post(&app, &first_page_only).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !topics(&body).contains(&"rituximab-redose".to_owned()),
        "{body}"
    );
    app.stop().await;
}

/// The after-full-course request whose Conditions arrive as an empty first page with a
/// `link[next]` to the page that holds the OMS Condition; that page answers `failure`, or the
/// Condition when `failure` is `None`.
async fn conditions_on_a_second_page(
    mock: &MockServer,
    failure: Option<ResponseTemplate>,
) -> Value {
    let mut request = example_via(AFTER_FULL_COURSE, mock);
    let conditions = &mut request["prefetch"]["conditions"];
    let oms = conditions["entry"].take();
    conditions["entry"] = json!([]);
    conditions["link"] = json!([{"relation": "next",
        "url": format!("{}/Condition?patient=pat-1&_page=2", fhir_base(mock))}]);
    let second_page = failure.unwrap_or_else(|| {
        ResponseTemplate::new(200)
            .set_body_json(json!({"resourceType": "Bundle", "type": "searchset", "entry": oms}))
    });
    answer_once(mock, "Condition?patient=pat-1&_page=2", second_page).await;
    request
}

#[tokio::test]
async fn a_required_bundle_sent_with_more_pages_is_completed_from_the_server() {
    let (mock, app) = fhir_server_and_app().await;
    let request = conditions_on_a_second_page(&mock, None).await;
    let (status, body) = post(&app, &request).await;
    assert_cards_as_if_sent_inline(&app, status, &body).await;
    app.stop().await;
}

#[tokio::test]
async fn a_required_bundle_whose_next_page_fails_is_412_as_incomplete() {
    let (mock, app) = fhir_server_and_app().await;
    let request = conditions_on_a_second_page(&mock, Some(ResponseTemplate::new(503))).await;
    let (status, body) = post(&app, &request).await;
    let message = precondition_failed(status, &body);
    assert!(
        message.contains("`conditions` (incomplete; the FHIR server answered HTTP 503)"),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_fhir_call_carries_the_bearer_token_and_asks_for_fhir_json() {
    let (mock, app) = fhir_server_and_app().await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    serve_administrations_in_pages(&mock, &mut request).await;
    let values = take_prefetch(&mut request, &["patient", "conditions", "observations"]);
    serve_prefetch(&mock, "pat-1", values).await;

    let (status, body) = post(&app, &request).await;
    assert_eq!(status, 200, "{body}");
    let received = mock.received_requests().await.unwrap();
    assert_eq!(received.len(), 6, "three pages and three reads");
    for call in &received {
        assert_eq!(
            call.headers.get("authorization").unwrap(),
            &format!("Bearer {TOKEN}"),
            "{}",
            call.url
        );
        assert_eq!(
            call.headers.get("accept").unwrap(),
            FHIR_JSON,
            "{}",
            call.url
        );
    }
    app.stop().await;
}

/// The after-full-course request with `key` removed and its URL answering `response`.
async fn failing_key(mock: &MockServer, key: &str, response: ResponseTemplate) -> Value {
    let mut request = example_via(AFTER_FULL_COURSE, mock);
    take_prefetch(&mut request, &[key]);
    answer_once(mock, &relative_url(key, "pat-1"), response).await;
    request
}

#[tokio::test]
async fn fhir_server_errors_on_required_keys_are_412_saying_what_happened() {
    let cases = [
        (
            "patient",
            ResponseTemplate::new(401),
            "HTTP 401 Unauthorized",
        ),
        (
            "conditions",
            ResponseTemplate::new(403),
            "HTTP 403 Forbidden",
        ),
        ("patient", ResponseTemplate::new(404), "HTTP 404 Not Found"),
        ("conditions", ResponseTemplate::new(500), "HTTP 500"),
        (
            "conditions",
            ResponseTemplate::new(200).set_body_raw("{\"resourceType\": \"Bundle\", ", FHIR_JSON),
            "not valid JSON",
        ),
        (
            "conditions",
            ResponseTemplate::new(200).set_body_json(json!({"resourceType": "OperationOutcome"})),
            "answered with an OperationOutcome",
        ),
    ];
    for (key, response, reason) in cases {
        let (mock, app) = fhir_server_and_app().await;
        let request = failing_key(&mock, key, response).await;
        let (status, body) = post(&app, &request).await;
        let message = precondition_failed(status, &body);
        assert!(
            message.contains(&format!("`{key}` (not sent;")),
            "{message}"
        );
        assert!(message.contains(reason), "{reason}: {message}");
        assert!(!message.contains(TOKEN), "{message}");
        app.stop().await;
    }
}

#[tokio::test]
async fn fhir_server_errors_on_optional_keys_limit_the_cards_and_say_so() {
    let cases = [
        ("procedures", ResponseTemplate::new(401), "HTTP 401"),
        ("observations", ResponseTemplate::new(404), "HTTP 404"),
        (
            "medicationStatements",
            ResponseTemplate::new(500),
            "HTTP 500",
        ),
        (
            "medicationRequests",
            ResponseTemplate::new(200).set_body_raw("not json", FHIR_JSON),
            "not valid JSON",
        ),
    ];
    for (key, response, reason) in cases {
        let (mock, app) = fhir_server_and_app().await;
        let request = failing_key(&mock, key, response).await;
        let (status, body) = post(&app, &request).await;
        assert_eq!(status, 200, "{key}: {body}");
        assert!(
            topics(&body).contains(&"rituximab-redose".to_owned()),
            "{key}: {body}"
        );
        let details = details(&body);
        assert!(
            details.contains(&format!("The `{key}` data could not be obtained")),
            "{key}: {details}"
        );
        assert!(details.contains(reason), "{key}: {details}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_fhir_server_slower_than_the_deadline_still_gets_an_answer_in_time() {
    const DEADLINE_MS: u64 = 500;
    const MARGIN_MS: u64 = 500;
    let slow = || {
        ResponseTemplate::new(200)
            .set_body_json(json!({"resourceType": "Bundle", "type": "searchset"}))
            .set_delay(Duration::from_secs(5))
    };
    let answered_at_the_deadline = |elapsed: Duration| {
        assert!(elapsed >= Duration::from_millis(DEADLINE_MS), "{elapsed:?}");
        assert!(
            elapsed < Duration::from_millis(DEADLINE_MS + MARGIN_MS),
            "{elapsed:?}"
        );
    };
    let mock = MockServer::start().await;
    let app = app_allowing(&mock, DEADLINE_MS).await;

    // Required data late: 412 naming the deadline.
    let request = failing_key(&mock, "conditions", slow()).await;
    let (status, body, elapsed) = timed_post(&app, &request).await;
    let message = precondition_failed(status, &body);
    assert!(message.contains("within the 500 ms deadline"), "{message}");
    answered_at_the_deadline(elapsed);

    // Optional data late: the cards come, and say they were limited.
    mock.reset().await;
    let request = failing_key(&mock, "procedures", slow()).await;
    let (status, body, elapsed) = timed_post(&app, &request).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        topics(&body).contains(&"rituximab-redose".to_owned()),
        "{body}"
    );
    assert!(
        details(&body).contains("within the 500 ms deadline"),
        "{body}"
    );
    answered_at_the_deadline(elapsed);
    app.stop().await;
}

#[tokio::test]
async fn a_fhir_server_off_the_allow_list_is_not_called() {
    let (_allowed, app) = fhir_server_and_app().await;
    let other = fhir_server_never_called().await;
    let request = example_via(AFTER_FULL_COURSE, &other);
    let message = refused_without(&app, request, "patient").await;
    assert!(message.contains("allow-list"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn an_http_fhir_server_is_refused_by_default() {
    let mock = fhir_server_never_called().await;
    let app = spawn_app_with(|settings| {
        settings.fhir.allowed_servers = vec!["https://ehr.example.org/fhir".into()];
    })
    .await;
    let request = example_via(AFTER_FULL_COURSE, &mock);
    let message = refused_without(&app, request, "conditions").await;
    assert!(message.contains("https only"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_not_sent() {
    let mock = fhir_server_never_called().await;
    let app = app_allowing(&mock, 2000).await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    request["fhirAuthorization"]["expires_in"] = json!(0);
    let message = refused_without(&app, request, "patient").await;
    assert!(message.contains("expired"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn a_scope_without_read_access_sends_no_call() {
    let mock = fhir_server_never_called().await;
    let app = app_allowing(&mock, 2000).await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    request["fhirAuthorization"]["scope"] = json!("user/Patient.read");
    let message = refused_without(&app, request, "conditions").await;
    assert!(
        message.contains("scope does not grant read access to Condition"),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_access_token_is_neither_logged_nor_stored() {
    let mock = MockServer::start().await;
    answer_once(
        &mock,
        &relative_url("procedures", "pat-1"),
        ResponseTemplate::new(401),
    )
    .await;
    let database = temp_dir().join("token.db");
    let database_url = format!("sqlite://{}", database.display());
    let allowed = format!("[\"{}\"]", mock.uri());
    let running = spawn_binary(&[
        ("OMS_CDS_DATABASE_URL", database_url.as_str()),
        ("OMS_CDS__AUTH__REQUIRED", "false"),
        ("OMS_CDS__FHIR__ALLOW_HTTP", "true"),
        ("OMS_CDS__FHIR__ALLOWED_SERVERS", allowed.as_str()),
        // Everything the service and its HTTP stack say about the calls, at the finest level.
        (
            "RUST_LOG",
            "info,oms_cds=trace,reqwest=trace,hyper=trace,hyper_util=trace,tower_http=trace",
        ),
    ])
    .await;
    let mut request = example_via(AFTER_FULL_COURSE, &mock);
    let values = take_prefetch(&mut request, &["patient", "procedures"]);
    serve_prefetch(&mock, "pat-1", values.into_iter().take(1).collect()).await;

    let response = client()
        .post(format!(
            "{}/cds-services/{ORDER_SELECT_ID}",
            running.address
        ))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(details(&body).contains("HTTP 401"), "{body}");

    let (status, logs) = running.terminate();
    assert!(status.success(), "{status}");
    assert!(
        logs.contains("prefetch key could not be obtained"),
        "the fetch must be logged: {logs}"
    );
    assert!(
        !logs.contains(TOKEN),
        "the token leaked into the logs:\n{logs}"
    );
    let stored = std::fs::read(&database).unwrap();
    let token = TOKEN.as_bytes();
    assert!(
        !stored.windows(token.len()).any(|window| window == token),
        "the token was stored"
    );
}
