//! Bounded input. Every identifier and free string the service stores or logs has a limit; a body
//! is refused by its declared size or its encoding before it is read; every refusal is a 4xx
//! OperationOutcome naming the field and the limit, never repeating the value. The service runs
//! as the real binary with JSON logs, so each test also reads what it wrote: every line JSON and
//! short, no value sent, no raw path, nothing on stderr.

use std::sync::Arc;
use std::time::Duration;

use oms_cds::auth::LocalIssuer;
use oms_cds::identifiers::{
    MAX_CODE_SYSTEM_CHARS, MAX_CODING_CODE_CHARS, MAX_CODING_DISPLAY_CHARS, MAX_CONTEXT_ID_CHARS,
    MAX_FHIR_SERVER_CHARS, MAX_HOOK_INSTANCE_CHARS, MAX_USER_COMMENT_CHARS,
};
use oms_cds::startup::Application;
use oms_cds::state::LocalTrust;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    assert_operation_outcome, client, minimal_order_sign, spawn_binary, temp_dir, test_settings,
    RunningBinary, ORDER_SIGN_ID,
};

/// What every value sent to be refused carries, so a test can tell whether it reached a log line.
/// Letters only, so it may stand where a reference's type does.
const MARKER: &str = "LimitsTestValue";

/// Longest log line accepted: a request line with its span is a few hundred bytes.
const MAX_LOG_LINE_BYTES: usize = 4096;

/// A text of `chars` characters that starts with [`MARKER`].
fn oversized(chars: usize) -> String {
    let mut text = MARKER.to_owned();
    text.push_str(&"x".repeat(chars.saturating_sub(MARKER.len())));
    text
}

/// The binary with JSON logs, a fresh SQLite file and no authentication, changed by `env`.
async fn logged_service(env: &[(&str, &str)]) -> RunningBinary {
    let database_url = format!("sqlite://{}", temp_dir().join("limits.db").display());
    let mut all = vec![
        ("OMS_CDS_DATABASE_URL", database_url.as_str()),
        ("OMS_CDS__AUTH__REQUIRED", "false"),
    ];
    all.extend_from_slice(env);
    spawn_binary(&all).await
}

/// Stops the service and checks what it wrote: stderr empty, every stdout line JSON of at most
/// [`MAX_LOG_LINE_BYTES`], none holding any of `never`. Returns the log.
fn assert_clean_logs(running: RunningBinary, never: &[&str]) -> String {
    let stopped = running.stop();
    assert!(stopped.status.success(), "{}", stopped.status);
    assert!(
        stopped.stderr.trim().is_empty(),
        "stderr is outside the JSON log: {}",
        clip(&stopped.stderr)
    );
    for line in stopped.stdout.lines() {
        assert!(
            line.len() <= MAX_LOG_LINE_BYTES,
            "a log line of {} bytes: {}",
            line.len(),
            clip(line)
        );
        if let Err(error) = serde_json::from_str::<Value>(line) {
            panic!("not a JSON log line ({error}): {}", clip(line));
        }
        for text in never {
            assert!(
                !line.contains(text),
                "the log holds `{text}`: {}",
                clip(line)
            );
        }
    }
    stopped.stdout
}

/// The first 300 characters of `text`, for failure messages.
fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Asserts the answer is `status` with an OperationOutcome of issue code `code` that does not
/// repeat [`MARKER`]; returns its diagnostics.
async fn refused(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    outcome_diagnostics(&body, code)
}

fn outcome_diagnostics(body: &Value, code: &str) -> String {
    assert_operation_outcome(body);
    assert_eq!(body["issue"][0]["code"], code, "{body}");
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap().to_owned();
    assert!(
        !diagnostics.contains(MARKER),
        "the value is repeated: {}",
        clip(&diagnostics)
    );
    diagnostics
}

/// Asserts `diagnostics` names `field` and `limit`.
fn assert_names(diagnostics: &str, field: &str, limit: usize) {
    assert!(
        diagnostics.contains(&format!("`{field}`")) && diagnostics.contains(&limit.to_string()),
        "`{field}` and {limit} must be named: {diagnostics}"
    );
}

async fn post(running: &RunningBinary, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", running.address))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn post_call(running: &RunningBinary, body: &Value) -> reqwest::Response {
    post(running, &format!("/cds-services/{ORDER_SIGN_ID}"), body).await
}

async fn post_feedback(running: &RunningBinary, body: &Value) -> reqwest::Response {
    post(
        running,
        &format!("/cds-services/{ORDER_SIGN_ID}/feedback"),
        body,
    )
    .await
}

fn card_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn overridden(reason: Value) -> Value {
    json!({"feedback": [{"card": card_uuid(), "outcome": "overridden",
                         "outcomeTimestamp": "2026-11-25T10:00:00Z", "overrideReason": reason}]})
}

fn accepted(suggestion: &str) -> Value {
    json!({"feedback": [{"card": card_uuid(), "outcome": "accepted",
                         "acceptedSuggestions": [{"id": suggestion}],
                         "outcomeTimestamp": "2026-11-25T10:00:00Z"}]})
}

#[tokio::test]
async fn a_hook_instance_over_its_limit_is_400_and_never_logged() {
    let service = logged_service(&[]).await;
    let mut request = minimal_order_sign();
    request["hookInstance"] = json!(oversized(4 * 1024 * 1024));
    let diagnostics = refused(post_call(&service, &request).await, 400, "invalid").await;
    assert_names(&diagnostics, "hookInstance", MAX_HOOK_INSTANCE_CHARS);
    assert_clean_logs(service, &[MARKER]);
}

#[tokio::test]
async fn context_ids_over_their_limit_are_400() {
    let service = logged_service(&[]).await;
    for field in ["userId", "patientId", "encounterId"] {
        let mut request = minimal_order_sign();
        // `Type/id` for `userId`: a reference's type has no length rule of its own.
        request["context"][field] = json!(format!("{}/1", oversized(MAX_CONTEXT_ID_CHARS)));
        let diagnostics = refused(post_call(&service, &request).await, 400, "invalid").await;
        assert_names(
            &diagnostics,
            &format!("context.{field}"),
            MAX_CONTEXT_ID_CHARS,
        );
    }
    assert_clean_logs(service, &[MARKER]);
}

#[tokio::test]
async fn a_fhir_server_over_its_limit_is_400() {
    let service = logged_service(&[]).await;
    let mut request = minimal_order_sign();
    request["fhirServer"] = json!(format!("https://{}", oversized(MAX_FHIR_SERVER_CHARS)));
    let diagnostics = refused(post_call(&service, &request).await, 400, "invalid").await;
    assert_names(&diagnostics, "fhirServer", MAX_FHIR_SERVER_CHARS);
    assert_clean_logs(service, &[MARKER]);
}

#[tokio::test]
async fn a_feedback_card_that_is_not_a_v4_uuid_is_400() {
    let service = logged_service(&[]).await;
    let version_1 = "c232ab00-9414-11ec-b3c8-9f6bdeced846";
    let simple = uuid::Uuid::new_v4().simple().to_string();
    for card in [
        format!("{MARKER}-c1"),
        oversized(1024 * 1024),
        version_1.to_owned(),
        simple,
    ] {
        let body = json!({"feedback": [{"card": card, "outcome": "overridden",
                                         "outcomeTimestamp": "2026-11-25T10:00:00Z"}]});
        let diagnostics = refused(post_feedback(&service, &body).await, 400, "invalid").await;
        assert!(diagnostics.contains("`card`"), "{diagnostics}");
        assert!(!diagnostics.contains(version_1), "{diagnostics}");
    }
    assert_clean_logs(service, &[MARKER, version_1]);
}

#[tokio::test]
async fn an_accepted_suggestion_that_is_not_a_v4_uuid_is_400() {
    let service = logged_service(&[]).await;
    for suggestion in [format!("{MARKER}-sugg-1"), oversized(1024 * 1024)] {
        let diagnostics = refused(
            post_feedback(&service, &accepted(&suggestion)).await,
            400,
            "invalid",
        )
        .await;
        assert!(
            diagnostics.contains("`acceptedSuggestions[0].id`"),
            "{diagnostics}"
        );
    }
    let response = post_feedback(&service, &accepted(&card_uuid())).await;
    assert_eq!(response.status(), 200, "a suggestion uuid is accepted");
    assert_clean_logs(service, &[MARKER]);
}

#[tokio::test]
async fn an_override_reason_over_its_limits_is_400() {
    let service = logged_service(&[]).await;
    let system = "https://oms-cds.dev/fhir/CodeSystem/override-reason";
    let cases = [
        (
            json!({"reason": {"system": system, "code": oversized(MAX_CODING_CODE_CHARS + 1)}}),
            "overrideReason.reason.code",
            MAX_CODING_CODE_CHARS,
        ),
        (
            json!({"reason": {"system": oversized(MAX_CODE_SYSTEM_CHARS + 1), "code": "not-applicable"}}),
            "overrideReason.reason.system",
            MAX_CODE_SYSTEM_CHARS,
        ),
        (
            json!({"reason": {"system": system, "code": "not-applicable",
                              "display": oversized(MAX_CODING_DISPLAY_CHARS + 1)}}),
            "overrideReason.reason.display",
            MAX_CODING_DISPLAY_CHARS,
        ),
        (
            json!({"userComment": oversized(MAX_USER_COMMENT_CHARS + 1)}),
            "overrideReason.userComment",
            MAX_USER_COMMENT_CHARS,
        ),
    ];
    for (reason, field, limit) in cases {
        let diagnostics = refused(
            post_feedback(&service, &overridden(reason)).await,
            400,
            "invalid",
        )
        .await;
        assert_names(&diagnostics, field, limit);
    }
    let within = json!({"reason": {"system": system, "code": "not-applicable",
                                   "display": "Not applicable to this patient"},
                        "userComment": "c".repeat(MAX_USER_COMMENT_CHARS)});
    let response = post_feedback(&service, &overridden(within)).await;
    assert_eq!(
        response.status(),
        200,
        "values at their limits are accepted"
    );
    assert_clean_logs(service, &[MARKER]);
}

/// One raw HTTP/1.1 exchange: `head` (ending in the blank line), then `body`; the answer's status
/// and JSON body. Fails if no complete answer comes within five seconds.
async fn raw_exchange(address: &str, head: &str, body: &[u8]) -> (u16, Value) {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // The service may answer and close before the body is sent: that is what is tested.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buffer = [0u8; 8192];
        loop {
            if let Some(parsed) = parse_answer(&answer) {
                return Some(parsed);
            }
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return parse_answer(&answer),
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    match read {
        Ok(Some(parsed)) => parsed,
        Ok(None) => panic!(
            "incomplete answer: {}",
            clip(&String::from_utf8_lossy(&answer))
        ),
        Err(_) => panic!("no answer within 5 s: the service waits for the body"),
    }
}

/// A complete answer with a `Content-Length` body, or `None` while more is needed.
fn parse_answer(answer: &[u8]) -> Option<(u16, Value)> {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    if body.len() < length {
        return None;
    }
    let json = serde_json::from_str(&body[..length]).unwrap_or(Value::Null);
    Some((status, json))
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_413_before_it_is_sent() {
    let service = logged_service(&[]).await;
    let host = service.address.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /cds-services/{ORDER_SIGN_ID} HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n"
    );
    let (status, body) = raw_exchange(&service.address, &head, b"").await;
    assert_eq!(status, 413, "{body}");
    let diagnostics = outcome_diagnostics(&body, "too-costly");
    assert!(diagnostics.contains("5242880"), "{diagnostics}");
    assert_clean_logs(service, &[]);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let service = logged_service(&[("OMS_CDS_MAX_BODY_BYTES", "4096")]).await;
    let host = service.address.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /cds-services/{ORDER_SIGN_ID} HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut request = minimal_order_sign();
    request["padding"] = json!(oversized(8192));
    let json = request.to_string();
    let mut body = Vec::new();
    for chunk in json.as_bytes().chunks(1024) {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let (status, body) = raw_exchange(&service.address, &head, &body).await;
    assert_eq!(status, 413, "{body}");
    let diagnostics = outcome_diagnostics(&body, "too-costly");
    assert!(diagnostics.contains("4096"), "{diagnostics}");
    assert_clean_logs(service, &[MARKER]);
}

#[tokio::test]
async fn a_compressed_body_is_415_naming_the_encoding() {
    let service = logged_service(&[]).await;
    let body = minimal_order_sign().to_string();
    for (encoding, named) in [
        ("gzip".to_owned(), Some("gzip")),
        ("br".to_owned(), Some("br")),
        (oversized(200), None),
    ] {
        let response = client()
            .post(format!("{}/cds-services/{ORDER_SIGN_ID}", service.address))
            .header("content-type", "application/json")
            .header("content-encoding", &encoding)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let diagnostics = refused(response, 415, "not-supported").await;
        assert!(diagnostics.contains("identity"), "{diagnostics}");
        if let Some(named) = named {
            assert!(diagnostics.contains(&format!("`{named}`")), "{diagnostics}");
        }
    }
    let identity = client()
        .post(format!("{}/cds-services/{ORDER_SIGN_ID}", service.address))
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(identity.status(), 200, "identity is no encoding at all");
    assert_clean_logs(service, &[MARKER]);
}

#[tokio::test]
async fn an_unknown_path_is_404_and_logged_as_a_route_never_as_the_path() {
    let issuer = LocalIssuer::generate().unwrap();
    let jwks_file = temp_dir().join("jwks.json");
    std::fs::write(&jwks_file, issuer.jwk_set().to_string()).unwrap();
    let issuers = format!(
        r#"[{{iss = "{}", jwks_file = "{}", algorithms = ["ES384"]}}]"#,
        issuer.issuer(),
        jwks_file.display()
    );
    let service = logged_service(&[
        ("OMS_CDS__AUTH__REQUIRED", "true"),
        ("OMS_CDS__AUTH__ISSUERS", issuers.as_str()),
    ])
    .await;
    let patient = format!("{MARKER}-patient-4711");
    for path in [
        format!("/Patient/{patient}"),
        format!("/cds-services/{patient}"),
        format!("/cds-services/{patient}/feedback"),
        format!("/cds-services/{ORDER_SIGN_ID}/{patient}/x"),
    ] {
        let response = client()
            .post(format!("{}{path}", service.address))
            .bearer_auth("not-a-token")
            .json(&minimal_order_sign())
            .send()
            .await
            .unwrap();
        refused(response, 404, "not-found").await;
    }
    let logs = assert_clean_logs(service, &[MARKER]);
    assert!(logs.contains(r#""route":"unmatched""#), "{logs}");
}

#[tokio::test]
async fn a_known_service_id_is_logged_beside_its_route() {
    let service = logged_service(&[]).await;
    assert_eq!(
        post_call(&service, &minimal_order_sign()).await.status(),
        200
    );
    let logs = assert_clean_logs(service, &[]);
    let line = logs
        .lines()
        .find(|line| line.contains("request served") && line.contains("cds-services/{id}"))
        .unwrap_or_else(|| panic!("{logs}"));
    assert!(line.contains(r#""route":"/cds-services/{id}""#), "{line}");
    assert!(line.contains(ORDER_SIGN_ID), "{line}");
}

#[tokio::test]
async fn a_contained_fhir_parser_panic_is_a_json_log_line_not_text_on_stderr() {
    let service = logged_service(&[("OMS_CDS_LOG_LEVEL", "info,oms_cds=debug")]).await;
    let mut request = minimal_order_sign();
    // fhirbolt panics on `"code": []`; the readable Condition keeps the key usable (200).
    request["prefetch"]["conditions"]["entry"] = json!([
        {"resource": {"resourceType": "Condition", "id": "c-panic", "code": [],
                      "subject": {"reference": "Patient/pat-1"}}},
        {"resource": {"resourceType": "Condition", "id": "c-asthma",
                      "code": {"text": "Asthma"}, "subject": {"reference": "Patient/pat-1"}}}]);
    let response = post_call(&service, &request).await;
    assert_eq!(
        response.status(),
        200,
        "an unreadable resource is a data issue"
    );
    let logs = assert_clean_logs(service, &["c-panic"]);
    let line = logs
        .lines()
        .find(|line| line.contains("panicked"))
        .unwrap_or_else(|| panic!("the contained panic is logged: {logs}"));
    assert!(line.contains(r#""level":"DEBUG""#), "{line}");
    assert!(!line.contains("panic.message"), "no message: {line}");
}

#[tokio::test]
async fn the_disabled_admin_summary_is_404_whatever_the_query() {
    let service = logged_service(&[]).await;
    for query in ["", "?to=a&to=b", "?from=x", "?%FF=%FF"] {
        let response = client()
            .get(format!("{}/admin/feedback/summary{query}", service.address))
            .send()
            .await
            .unwrap();
        refused(response, 404, "not-found").await;
    }
    assert_clean_logs(service, &[]);
}

#[tokio::test]
async fn an_invalid_admin_query_is_400_once_the_token_is_checked() {
    let token = "limits-admin-token-0123456789abcdef0123";
    let service = logged_service(&[("OMS_CDS__ADMIN__TOKEN", token)]).await;
    let url = |query: &str| format!("{}/admin/feedback/summary{query}", service.address);
    let anonymous = client().get(url("?to=a&to=b")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "the token is checked first");
    for query in [
        "?to=a&to=b",
        "?to=yesterday",
        "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        let response = client()
            .get(url(query))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        refused(response, 400, "invalid").await;
    }
    assert_clean_logs(service, &[token]);
}

#[tokio::test]
async fn a_demo_token_without_an_audience_is_400() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut settings = test_settings();
    settings.listen = listener.local_addr().unwrap();
    drop(listener);
    let address = format!("http://{}", settings.listen);
    let local = LocalTrust {
        issuer: Arc::new(LocalIssuer::generate().unwrap()),
        serve_tokens: true,
    };
    let application = Application::build_with(settings, Some(local))
        .await
        .unwrap();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async {
        let _ = stopped.await;
    }));
    for query in ["", "?aud=a&aud=b"] {
        let response = client()
            .get(format!("{address}/demo/token{query}"))
            .send()
            .await
            .unwrap();
        let diagnostics = refused(response, 400, "invalid").await;
        assert!(diagnostics.contains("aud"), "{diagnostics}");
    }
    shutdown.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_undecodable_path_parameter_is_never_a_plain_text_answer() {
    let service = logged_service(&[]).await;
    let response = post(&service, "/cds-services/%FF", &minimal_order_sign()).await;
    refused(response, 404, "not-found").await;
    let response = post(&service, "/cds-services/%FF/feedback", &json!({})).await;
    refused(response, 404, "not-found").await;
    let page = client()
        .get(format!("{}/guideline/%FF", service.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "the rulebook's own not-found page"
    );
    assert_clean_logs(service, &["%FF"]);
}
