//! The panic hook installed with logging: a panic is one JSON log line through the configured
//! writer (not plain text on stderr); a FHIR parser panic that `fhir-mapping` contains is a
//! DEBUG line without its message. One test in its own process: the hook and the subscriber are
//! global.
#![allow(clippy::unwrap_used, reason = "test set-up fails loudly")]

use std::io;
use std::sync::{Arc, Mutex};

use oms_cds::catalogue::SERVED_HOOKS;
use oms_cds::config::{LogFormat, LogSettings, Settings};
use oms_cds::evaluation::Engine;
use oms_cds::fhir_client::PrefetchReport;
use oms_cds::telemetry;
use oms_cds::wire::request::parse_hook_call;
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Every line, each of which must be JSON.
    fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    fn take(&self) -> Vec<Value> {
        let lines = self.lines();
        self.0.lock().unwrap().clear();
        lines
    }
}

/// An order-sign call whose Conditions hold one resource that makes fhirbolt panic.
fn call_with_a_panicking_condition() -> Vec<u8> {
    json!({
        "hook": "order-sign",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {
            "userId": "Practitioner/prac-1",
            "patientId": "pat-1",
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": []}
        },
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "pat-1", "birthDate": "2019-05-01"},
            "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": [
                {"resource": {"resourceType": "Condition", "id": "c-panic", "code": [],
                              "subject": {"reference": "Patient/pat-1"}}}]}
        }
    })
    .to_string()
    .into_bytes()
}

#[test]
fn panics_are_json_log_lines_and_contained_parser_panics_are_quiet() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    telemetry::init(
        &LogSettings {
            format: LogFormat::Json,
            level: "debug".into(),
        },
        move || writer.clone(),
    );

    let caught = std::panic::catch_unwind(|| panic!("a bug with {} parts", 2));
    assert!(caught.is_err());
    let lines = logs.take();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["level"], "ERROR", "{line}");
    assert_eq!(line["message"], "panic", "{line}");
    assert_eq!(line["panic.message"], "a bug with 2 parts", "{line}");
    let location = line["panic.location"].as_str().unwrap();
    assert!(
        location.starts_with("service/tests/panic_hook.rs:"),
        "{line}"
    );

    let mut settings = Settings::default();
    settings.auth.required = false;
    let engine = Engine::new(&settings).unwrap();
    let call = parse_hook_call(&call_with_a_panicking_condition(), &SERVED_HOOKS).unwrap();
    let today = time::macros::date!(2026 - 11 - 30);
    // Only the one Condition, unreadable: the evaluation says so (412), it does not crash.
    let _ = engine.evaluate(&call.call, today, &PrefetchReport::default());
    let lines = logs.take();
    let contained: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"].as_str().unwrap_or("").contains("panicked"))
        .collect();
    assert_eq!(contained.len(), 1, "{lines:?}");
    assert_eq!(contained[0]["level"], "DEBUG", "{}", contained[0]);
    assert!(
        contained[0].get("panic.message").is_none(),
        "{}",
        contained[0]
    );
    assert!(
        lines
            .iter()
            .all(|line| !line.to_string().contains("c-panic")),
        "no resource content: {lines:?}"
    );
}
