//! Following a searchset Bundle's `link[next]` within the paging limits, merging the pages into
//! one Bundle. A page that fails, or a limit reached, keeps the pages already read and says why.

use serde_json::Value;
use tokio::time::Instant;

use super::access::FhirAccess;
use super::http::FhirHttp;
use super::report::FetchFailure;
use super::settings::FhirSettings;
use super::url::is_within;

/// A search's pages merged into one Bundle without `link`s, and why paging stopped early (if
/// it did).
#[derive(Debug)]
pub struct Paged {
    /// The first page with the entries of the pages after it.
    pub bundle: Value,
    /// `None` when every page was read.
    pub stopped: Option<FetchFailure>,
}

/// Reads the pages after `first` (which took `first_bytes` bytes) by `deadline`.
pub async fn read_remaining_pages(
    http: &FhirHttp,
    access: &FhirAccess,
    settings: &FhirSettings,
    first: Value,
    first_bytes: usize,
    deadline: Instant,
) -> Paged {
    let mut bundle = first;
    let mut pages = 1;
    let mut bytes = first_bytes;
    let stopped = loop {
        let Some(next) = next_link(&bundle) else {
            break None;
        };
        if pages >= settings.max_pages {
            break Some(FetchFailure::PageLimit(settings.max_pages));
        }
        if entry_count(&bundle) >= settings.max_resources {
            break Some(FetchFailure::ResourceLimit(settings.max_resources));
        }
        if !is_within(&next, &access.base) {
            break Some(FetchFailure::ForeignNextLink);
        }
        let budget = settings.max_response_bytes.saturating_sub(bytes);
        let page = match http.get(access, &next, budget, deadline).await {
            Ok(page) => page,
            Err(why) => break Some(why),
        };
        if let Err(why) = expect_type(&page.body, "Bundle") {
            break Some(why);
        }
        bytes += page.bytes;
        pages += 1;
        append_page(&mut bundle, page.body);
    };
    let truncated = truncate_entries(&mut bundle, settings.max_resources);
    if let Some(object) = bundle.as_object_mut() {
        // Merged: no page is left to follow, and the mapping must not read a stale next link.
        object.remove("link");
    }
    let stopped =
        stopped.or(truncated.then_some(FetchFailure::ResourceLimit(settings.max_resources)));
    Paged { bundle, stopped }
}

/// `Ok` when `resource` has the resource type `expected`; an OperationOutcome or another type
/// is the failure.
pub fn expect_type(resource: &Value, expected: &str) -> Result<(), FetchFailure> {
    match resource["resourceType"].as_str() {
        Some(found) if found == expected => Ok(()),
        Some("OperationOutcome") => Err(FetchFailure::OperationOutcome),
        found => Err(FetchFailure::WrongResourceType {
            expected: expected.to_owned(),
            found: found
                .unwrap_or("JSON that is not a FHIR resource")
                .to_owned(),
        }),
    }
}

/// The URL of a Bundle's `link` with relation `next`.
pub fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|link| link["relation"] == "next")?["url"]
        .as_str()
        .map(str::to_owned)
}

fn entry_count(bundle: &Value) -> usize {
    bundle["entry"].as_array().map_or(0, Vec::len)
}

/// Appends `page`'s entries to `bundle` and takes over its links (its `next` is the one to
/// follow now).
fn append_page(bundle: &mut Value, mut page: Value) {
    let entries = match page["entry"].take() {
        Value::Array(entries) => entries,
        _ => Vec::new(),
    };
    let links = page["link"].take();
    let Some(object) = bundle.as_object_mut() else {
        return;
    };
    match object.get_mut("entry") {
        Some(Value::Array(all)) => all.extend(entries),
        _ => {
            object.insert("entry".into(), Value::Array(entries));
        }
    }
    object.insert("link".into(), links);
}

/// Keeps at most `max` entries; `true` when some were dropped.
fn truncate_entries(bundle: &mut Value, max: usize) -> bool {
    match bundle["entry"].as_array_mut() {
        Some(entries) if entries.len() > max => {
            entries.truncate(max);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_append_entries_and_take_over_the_next_link() {
        let mut bundle = json!({"resourceType": "Bundle", "entry": [{"resource": {"id": "1"}}],
            "link": [{"relation": "next", "url": "https://x/fhir?p=2"}]});
        append_page(
            &mut bundle,
            json!({"resourceType": "Bundle", "entry": [{"resource": {"id": "2"}}],
                "link": [{"relation": "next", "url": "https://x/fhir?p=3"}]}),
        );
        assert_eq!(entry_count(&bundle), 2);
        assert_eq!(next_link(&bundle).as_deref(), Some("https://x/fhir?p=3"));
        append_page(&mut bundle, json!({"resourceType": "Bundle"}));
        assert_eq!(entry_count(&bundle), 2);
        assert_eq!(next_link(&bundle), None);
    }

    #[test]
    fn a_first_page_without_entries_still_collects_later_ones() {
        let mut bundle = json!({"resourceType": "Bundle"});
        append_page(&mut bundle, json!({"entry": [{"resource": {"id": "2"}}]}));
        assert_eq!(entry_count(&bundle), 1);
    }

    #[test]
    fn entries_over_the_limit_are_dropped_and_reported() {
        let mut bundle = json!({"entry": [1, 2, 3]});
        assert!(truncate_entries(&mut bundle, 2));
        assert_eq!(entry_count(&bundle), 2);
        assert!(!truncate_entries(&mut bundle, 2));
    }

    #[test]
    fn resource_types_are_checked() {
        assert_eq!(
            expect_type(&json!({"resourceType": "Bundle"}), "Bundle"),
            Ok(())
        );
        assert_eq!(
            expect_type(&json!({"resourceType": "OperationOutcome"}), "Patient"),
            Err(FetchFailure::OperationOutcome)
        );
        assert_eq!(
            expect_type(&json!([1]), "Patient"),
            Err(FetchFailure::WrongResourceType {
                expected: "Patient".into(),
                found: "JSON that is not a FHIR resource".into()
            })
        );
    }
}
