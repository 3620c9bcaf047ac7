//! What to do about one prefetch key, from what the EHR sent (CDS Hooks 2.0 section 4): a
//! resource is used, `null` means no data, absent or an OperationOutcome means fetch, and a
//! Bundle with `link[next]` is completed page by page.

use fhir_mapping::{PrefetchKey, PrefetchValue};
use serde::Deserialize;
use serde_json::Value;

use super::paging::next_link;

/// What a prefetch key that was not sent complete needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// Absent, or an OperationOutcome: fetch it from the template.
    Fetch,
    /// A Bundle with more pages: follow its `link[next]`.
    MorePages(Value),
}

/// What `sent` (the key's value in the request, if any) needs; `None` when it was sent
/// complete (the resource the key asks for, or `null` for no data). A value of another type
/// than the key's query returns cannot be used: it is fetched as if absent.
pub fn need_of(key: PrefetchKey, sent: Option<&PrefetchValue>) -> Option<Need> {
    let raw = match sent {
        None => return Some(Need::Fetch),
        Some(PrefetchValue::Null) => return None,
        Some(PrefetchValue::Resource(raw)) => raw.get(),
    };
    match resource_type(raw).as_deref() {
        Some("OperationOutcome") => Some(Need::Fetch),
        Some(found) if found != key.expected_type() => Some(Need::Fetch),
        Some("Bundle") => serde_json::from_str::<Value>(raw)
            .ok()
            .filter(|bundle| next_link(bundle).is_some())
            .map(Need::MorePages),
        _ => None,
    }
}

/// The resource type of a prefetch value, when it has one.
pub fn resource_type_of(raw: &str) -> Option<String> {
    resource_type(raw)
}

fn resource_type(raw: &str) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        resource_type: Option<String>,
    }
    serde_json::from_str::<Head>(raw).ok()?.resource_type
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::value::to_raw_value;

    fn sent(value: Value) -> PrefetchValue {
        PrefetchValue::Resource(to_raw_value(&value).expect("json"))
    }

    #[test]
    fn absent_and_operation_outcome_are_fetched() {
        assert_eq!(need_of(PrefetchKey::Conditions, None), Some(Need::Fetch));
        let outcome = sent(json!({"resourceType": "OperationOutcome", "issue": []}));
        assert_eq!(
            need_of(PrefetchKey::Conditions, Some(&outcome)),
            Some(Need::Fetch)
        );
    }

    #[test]
    fn a_value_of_another_type_than_the_query_returns_is_fetched() {
        let condition = sent(json!({"resourceType": "Condition", "id": "c1"}));
        assert_eq!(
            need_of(PrefetchKey::Conditions, Some(&condition)),
            Some(Need::Fetch)
        );
        let bundle = sent(json!({"resourceType": "Bundle", "type": "searchset"}));
        assert_eq!(
            need_of(PrefetchKey::Patient, Some(&bundle)),
            Some(Need::Fetch)
        );
    }

    #[test]
    fn null_and_complete_resources_are_used_as_sent() {
        assert_eq!(
            need_of(PrefetchKey::Conditions, Some(&PrefetchValue::Null)),
            None
        );
        let bundle = sent(json!({"resourceType": "Bundle", "type": "searchset", "entry": []}));
        assert_eq!(need_of(PrefetchKey::Conditions, Some(&bundle)), None);
        let patient = sent(json!({"resourceType": "Patient", "id": "p1"}));
        assert_eq!(need_of(PrefetchKey::Patient, Some(&patient)), None);
    }

    #[test]
    fn a_bundle_with_a_next_page_is_completed() {
        let first = json!({"resourceType": "Bundle", "type": "searchset",
            "link": [{"relation": "next", "url": "https://ehr.example.org/fhir?page=2"}]});
        assert_eq!(
            need_of(PrefetchKey::Conditions, Some(&sent(first.clone()))),
            Some(Need::MorePages(first))
        );
    }
}
