//! What to do about one prefetch key, from what the EHR sent (CDS Hooks 2.0 section 4): a
//! resource is used, `null` means no data, absent or an OperationOutcome means fetch, and a
//! Bundle with `link[next]` is completed page by page.
//!
//! Decided from the envelope read when the request was parsed (`SentResource`): planning reads
//! no Bundle again.

use fhir_mapping::{PrefetchKey, PrefetchValue, SentResource};

/// What a prefetch key that was not sent complete needs.
#[derive(Debug, Clone)]
pub enum Need {
    /// Absent, or an OperationOutcome: fetch it from the template.
    Fetch,
    /// A Bundle with more pages: follow its `link[next]`.
    MorePages(SentResource),
}

/// What `sent` (the key's value in the request, if any) needs; `None` when it was sent
/// complete (the resource the key asks for, or `null` for no data). A value of another type
/// than the key's query returns cannot be used: it is fetched as if absent.
pub fn need_of(key: PrefetchKey, sent: Option<&PrefetchValue>) -> Option<Need> {
    let sent = match sent {
        None => return Some(Need::Fetch),
        Some(PrefetchValue::Null) => return None,
        Some(PrefetchValue::Resource(sent)) => sent,
    };
    match sent.resource_type() {
        Some("OperationOutcome") => Some(Need::Fetch),
        Some(found) if found != key.expected_type() => Some(Need::Fetch),
        Some("Bundle") if sent.next_page().is_some() => Some(Need::MorePages(sent.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::to_raw_value;
    use serde_json::{json, Value};

    fn sent(value: Value) -> PrefetchValue {
        PrefetchValue::Resource(SentResource::new(to_raw_value(&value).expect("json")))
    }

    #[test]
    fn absent_and_operation_outcome_are_fetched() {
        assert!(matches!(
            need_of(PrefetchKey::Conditions, None),
            Some(Need::Fetch)
        ));
        let outcome = sent(json!({"resourceType": "OperationOutcome", "issue": []}));
        assert!(matches!(
            need_of(PrefetchKey::Conditions, Some(&outcome)),
            Some(Need::Fetch)
        ));
    }

    #[test]
    fn a_value_of_another_type_than_the_query_returns_is_fetched() {
        let condition = sent(json!({"resourceType": "Condition", "id": "c1"}));
        assert!(matches!(
            need_of(PrefetchKey::Conditions, Some(&condition)),
            Some(Need::Fetch)
        ));
        let bundle = sent(json!({"resourceType": "Bundle", "type": "searchset"}));
        assert!(matches!(
            need_of(PrefetchKey::Patient, Some(&bundle)),
            Some(Need::Fetch)
        ));
    }

    #[test]
    fn null_and_complete_resources_are_used_as_sent() {
        assert!(need_of(PrefetchKey::Conditions, Some(&PrefetchValue::Null)).is_none());
        let bundle = sent(json!({"resourceType": "Bundle", "type": "searchset", "entry": []}));
        assert!(need_of(PrefetchKey::Conditions, Some(&bundle)).is_none());
        let patient = sent(json!({"resourceType": "Patient", "id": "p1"}));
        assert!(need_of(PrefetchKey::Patient, Some(&patient)).is_none());
    }

    #[test]
    fn a_bundle_with_a_next_page_is_completed() {
        let first = json!({"resourceType": "Bundle", "type": "searchset",
            "link": [{"relation": "next", "url": "https://ehr.example.org/fhir?page=2"}]});
        let Some(Need::MorePages(first_page)) =
            need_of(PrefetchKey::Conditions, Some(&sent(first.clone())))
        else {
            panic!("a next link means more pages");
        };
        assert_eq!(
            first_page.next_page(),
            Some("https://ehr.example.org/fhir?page=2")
        );
    }
}
