//! Property tests of the request path: whatever arrives (bytes, or an example request with parts
//! deleted or replaced by arbitrary JSON), parsing and evaluation never panic and never fail with
//! a server error: the answer is cards or a 4xx.
#![allow(clippy::unwrap_used, reason = "test set-up fails loudly")]

use std::sync::OnceLock;

use oms_cds::catalogue::SERVED_HOOKS;
use oms_cds::config::Settings;
use oms_cds::error::ApiError;
use oms_cds::evaluation::Engine;
use oms_cds::fhir_client::PrefetchReport;
use oms_cds::wire::request::parse_hook_call;
use proptest::prelude::*;
use serde_json::Value;

const EXAMPLES: [&str; 4] = [
    include_str!("../../examples/order-select-rituximab-naive-with-neuroblastoma.json"),
    include_str!("../../examples/order-select-rituximab-after-full-course.json"),
    include_str!("../../examples/order-sign-cyclophosphamide-refractory-child.json"),
    include_str!("../../examples/order-select-unrelated-order.json"),
];

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut settings = Settings::default();
        settings.auth.required = false;
        Engine::new(&settings).unwrap()
    })
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9/#:.\\- ]{0,12}".prop_map(Value::from),
        Just(Value::from("2026-11-25")),
        Just(Value::from("MedicationRequest")),
        Just(Value::from("Bundle")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every node of `value` as a JSON pointer.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(path.clone());
                pointers(child, path, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let path = format!("{at}/{index}");
                out.push(path.clone());
                pointers(child, path, out);
            }
        }
        _ => {}
    }
}

fn evaluate_never_fails_with_a_server_error(body: &[u8]) {
    let Ok(call) = parse_hook_call(body, &SERVED_HOOKS) else {
        return;
    };
    let today = time::macros::date!(2026 - 11 - 25);
    if let Err(error) = engine().evaluate(&call.call, today, &PrefetchReport::default()) {
        // The status the HTTP edge would answer.
        let error = ApiError::from(error);
        assert!(
            error.status().is_client_error(),
            "{error} -> {}",
            error.status()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        evaluate_never_fails_with_a_server_error(&body);
    }

    #[test]
    fn mutated_example_requests_answer_cards_or_a_client_error(
        example in 0..EXAMPLES.len(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), arbitrary_json()), 1..4),
    ) {
        let mut request: Value = serde_json::from_str(EXAMPLES[example]).unwrap();
        for (pick, delete, replacement) in picks {
            let mut all = Vec::new();
            pointers(&request, String::new(), &mut all);
            if all.is_empty() {
                break;
            }
            let pointer = pick.get(&all).clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let key = key.replace("~1", "/").replace("~0", "~");
            match request.pointer_mut(parent) {
                Some(Value::Object(map)) if delete => { map.remove(&key); }
                Some(Value::Array(items)) if delete => {
                    if let Ok(index) = key.parse::<usize>() { if index < items.len() { items.remove(index); } }
                }
                _ => { if let Some(node) = request.pointer_mut(&pointer) { *node = replacement; } }
            }
        }
        evaluate_never_fails_with_a_server_error(request.to_string().as_bytes());
    }
}
