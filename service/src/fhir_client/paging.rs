//! Following a searchset Bundle's `link[next]` within the paging limits, merging the pages into
//! one Bundle. A page that fails, or a limit reached, keeps the pages already read and says why.
//!
//! Pages are kept as received (`SentResource`: JSON text and envelope); the merged Bundle is
//! written from the pages' entries, so no page is ever read into a JSON tree.

use fhir_mapping::SentResource;
use serde_json::value::RawValue;
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
    pub bundle: SentResource,
    /// `None` when every page was read.
    pub stopped: Option<FetchFailure>,
}

/// Reads the pages after `first` (which took `first_bytes` bytes) by `deadline`.
pub async fn read_remaining_pages(
    http: &FhirHttp,
    access: &FhirAccess,
    settings: &FhirSettings,
    first: SentResource,
    first_bytes: usize,
    deadline: Instant,
) -> Paged {
    let mut pages = vec![first];
    let mut bytes = first_bytes;
    let stopped = loop {
        let Some(next) = pages.last().and_then(SentResource::next_page) else {
            break None;
        };
        let next = next.to_owned();
        if pages.len() >= settings.max_pages {
            break Some(FetchFailure::PageLimit(settings.max_pages));
        }
        if entry_count(&pages) >= settings.max_resources {
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
        pages.push(page.body);
    };
    let (bundle, truncated) = merged(pages, settings.max_resources);
    let stopped =
        stopped.or(truncated.then_some(FetchFailure::ResourceLimit(settings.max_resources)));
    Paged { bundle, stopped }
}

/// `Ok` when `resource` has the resource type `expected`; an OperationOutcome or another type
/// is the failure.
pub fn expect_type(resource: &SentResource, expected: &str) -> Result<(), FetchFailure> {
    match resource.resource_type() {
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

fn entry_count(pages: &[SentResource]) -> usize {
    pages.iter().map(SentResource::entry_count).sum()
}

/// The pages' entries (`fullUrl` and resource, as received) as one searchset Bundle without
/// links, at most `max` of them; `true` when some were dropped. A single page within the limit
/// is kept as it came, its next link no longer counting (paging is over).
fn merged(mut pages: Vec<SentResource>, max: usize) -> (SentResource, bool) {
    let total = entry_count(&pages);
    if pages.len() == 1 && total <= max {
        if let Some(only) = pages.pop() {
            return (only.first_page_only(), false);
        }
    }
    let mut json = String::from(r#"{"resourceType":"Bundle","type":"searchset","entry":["#);
    let entries = pages.iter().flat_map(SentResource::entries).take(max);
    for (index, (full_url, resource)) in entries.enumerate() {
        if index > 0 {
            json.push(',');
        }
        json.push('{');
        if let Some(full_url) = full_url {
            json.push_str(r#""fullUrl":"#);
            // A string serialises whatever it holds.
            json.push_str(&serde_json::to_string(full_url).unwrap_or_else(|_| "null".into()));
            json.push(',');
        }
        json.push_str(r#""resource":"#);
        json.push_str(resource);
        json.push('}');
    }
    json.push_str("]}");
    // Written from valid JSON parts, so it parses; should it not, the first page stands alone
    // and the entries of the others count as dropped.
    let dropped = total > max || pages.len() > 1;
    match RawValue::from_string(json) {
        Ok(json) => (SentResource::new(json), total > max),
        Err(_) => (pages.swap_remove(0).first_page_only(), dropped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::value::to_raw_value;

    fn page(value: serde_json::Value) -> SentResource {
        SentResource::new(to_raw_value(&value).expect("json"))
    }

    fn ids(bundle: &SentResource) -> Vec<String> {
        bundle
            .entries()
            .map(|(_, resource)| {
                let resource: serde_json::Value = serde_json::from_str(resource).expect("json");
                resource["id"].as_str().expect("id").to_owned()
            })
            .collect()
    }

    #[test]
    fn pages_are_merged_entry_by_entry_with_their_full_urls_and_no_link() {
        let first = page(json!({"resourceType": "Bundle", "type": "searchset",
            "entry": [{"fullUrl": "https://x/fhir/Observation/1", "resource": {"resourceType": "Observation", "id": "1"}}],
            "link": [{"relation": "next", "url": "https://x/fhir?p=2"}]}));
        let second = page(json!({"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": {"resourceType": "Observation", "id": "2"}, "search": {"mode": "match"}}],
            "link": [{"relation": "next", "url": "https://x/fhir?p=3"}]}));
        let (bundle, truncated) = merged(vec![first, second], 10);
        assert!(!truncated);
        assert_eq!(ids(&bundle), ["1", "2"]);
        assert_eq!(bundle.next_page(), None);
        let full_urls: Vec<_> = bundle.entries().map(|(url, _)| url).collect();
        assert_eq!(full_urls, [Some("https://x/fhir/Observation/1"), None]);
        assert_eq!(bundle.resource_type(), Some("Bundle"));
    }

    #[test]
    fn a_first_page_without_entries_still_collects_later_ones() {
        let first = page(json!({"resourceType": "Bundle"}));
        let second = page(
            json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Condition", "id": "2"}}]}),
        );
        let (bundle, _) = merged(vec![first, second], 10);
        assert_eq!(ids(&bundle), ["2"]);
    }

    #[test]
    fn a_single_page_is_kept_as_it_came_without_its_next_link() {
        let only = page(json!({"resourceType": "Bundle", "id": "b1",
            "entry": [{"resource": {"resourceType": "Condition", "id": "1"}}],
            "link": [{"relation": "next", "url": "https://x/fhir?p=2"}]}));
        let json = only.json().to_owned();
        let (bundle, truncated) = merged(vec![only], 10);
        assert!(!truncated);
        assert_eq!(bundle.json(), json);
        assert_eq!(bundle.next_page(), None);
    }

    #[test]
    fn entries_over_the_limit_are_dropped_and_reported() {
        let entries: Vec<_> = (1..=3)
            .map(|i| json!({"resource": {"resourceType": "Condition", "id": i.to_string()}}))
            .collect();
        let (bundle, truncated) = merged(
            vec![page(json!({"resourceType": "Bundle", "entry": entries}))],
            2,
        );
        assert!(truncated);
        assert_eq!(ids(&bundle), ["1", "2"]);
    }

    #[test]
    fn resource_types_are_checked() {
        assert_eq!(
            expect_type(&page(json!({"resourceType": "Bundle"})), "Bundle"),
            Ok(())
        );
        assert_eq!(
            expect_type(
                &page(json!({"resourceType": "OperationOutcome"})),
                "Patient"
            ),
            Err(FetchFailure::OperationOutcome)
        );
        assert_eq!(
            expect_type(&page(json!([1])), "Patient"),
            Err(FetchFailure::WrongResourceType {
                expected: "Patient".into(),
                found: "JSON that is not a FHIR resource".into()
            })
        );
    }
}
