//! The resource index: every resource of the request (prefetch values and draft orders) by
//! `Type/id`, deduplicated, whatever prefetch key it arrived under.
//!
//! Invariant: building the index never fails on a single resource; an unreadable one becomes a
//! data issue and the rest is indexed. Only a `draftOrders` that is not a Bundle is an error.

use std::collections::{BTreeMap, BTreeSet};

use fhirbolt::model::r4::Resource;
use serde_json::value::RawValue;

use crate::facts::{DataIssue, DataIssueKind, FhirRef};
use crate::parse;
use crate::subject::{self, Whose};
use crate::{MappingError, Prefetch, PrefetchKey, PrefetchValue};

/// Bundles nested deeper than this are not read (a guard against hostile input).
const MAX_BUNDLE_DEPTH: usize = 3;

/// Where a resource came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    DraftOrders,
    Prefetch,
}

/// All resources of one request, by reference.
#[derive(Debug, Default)]
pub struct ResourceIndex {
    resources: BTreeMap<FhirRef, Resource>,
    full_urls: BTreeMap<String, FhirRef>,
    /// The draft orders, in the order the EHR sent them.
    drafts: Vec<FhirRef>,
    draft_set: BTreeSet<FhirRef>,
    unnamed: usize,
    /// Resources that parsed, and resources that did not (to tell an unreadable key).
    parsed: usize,
    failed: usize,
    /// Prefetch keys that were sent with resources none of which could be read.
    unreadable_keys: BTreeSet<PrefetchKey>,
    /// Resources met so far (Bundles not counted), and the most that will be read.
    met: usize,
    max_resources: usize,
}

impl ResourceIndex {
    /// Indexes the draft orders (first, so a draft wins over a prefetch copy) and every prefetch
    /// value; problems with single resources are appended to `issues`.
    pub fn build(
        prefetch: &Prefetch,
        draft_orders: &RawValue,
        patient_id: &str,
        max_resources: usize,
        issues: &mut Vec<DataIssue>,
    ) -> Result<ResourceIndex, MappingError> {
        let mut index = ResourceIndex {
            max_resources,
            ..ResourceIndex::default()
        };
        let head = parse::resource_head(draft_orders);
        if head.resource_type.as_deref() != Some("Bundle") {
            return Err(MappingError::DraftOrdersNotABundle(format!(
                "resourceType is {}",
                head.resource_type.as_deref().unwrap_or("missing")
            )));
        }
        let entries =
            parse::bundle_entries(draft_orders).map_err(MappingError::DraftOrdersNotABundle)?;
        for entry in entries {
            index.add(
                entry.resource,
                entry.full_url,
                Origin::DraftOrders,
                1,
                issues,
            );
        }
        for (key, value) in prefetch {
            if let PrefetchValue::Resource(raw) = value {
                index.add_prefetch_value(*key, raw, issues);
            }
        }
        if index.met > max_resources {
            return Err(MappingError::TooManyResources {
                limit: max_resources,
            });
        }
        index.keep_only_this_patient(patient_id, issues)?;
        Ok(index)
    }

    /// Leaves out every resource about someone else (the right-patient check); a Patient resource
    /// of another id makes the whole request unusable, since nothing in it can be trusted to be
    /// about the patient in context.
    fn keep_only_this_patient(
        &mut self,
        patient_id: &str,
        issues: &mut Vec<DataIssue>,
    ) -> Result<(), MappingError> {
        let full_urls = &self.full_urls;
        let resolve = |url: &str| full_urls.get(url).cloned();
        let mut excluded = Vec::new();
        for (reference, resource) in &self.resources {
            if subject::whose(resource, patient_id, resolve) != Whose::SomeoneElse {
                continue;
            }
            if matches!(resource, Resource::Patient(_)) {
                return Err(MappingError::PatientMismatch);
            }
            excluded.push(reference.clone());
        }
        for reference in excluded {
            self.resources.remove(&reference);
            self.draft_set.remove(&reference);
            self.drafts.retain(|draft| draft != &reference);
            issues.push(DataIssue {
                kind: DataIssueKind::OtherPatient,
                source: None,
                message: format!(
                    "{} in the request is about another patient (or names its patient only by \
                     an identifier) and was left out.",
                    crate::facts::capitalised(reference.kind_in_words())
                ),
            });
        }
        Ok(())
    }

    fn add_prefetch_value(
        &mut self,
        key: PrefetchKey,
        raw: &RawValue,
        issues: &mut Vec<DataIssue>,
    ) {
        let (parsed, failed) = (self.parsed, self.failed);
        self.add_prefetch_resources(key, raw, issues);
        if self.parsed == parsed && self.failed > failed {
            self.unreadable_keys.insert(key);
        }
    }

    /// The prefetch keys sent with resources none of which could be read as FHIR R4.
    pub fn unreadable_keys(&self) -> impl Iterator<Item = PrefetchKey> + '_ {
        self.unreadable_keys.iter().copied()
    }

    fn add_prefetch_resources(
        &mut self,
        key: PrefetchKey,
        raw: &RawValue,
        issues: &mut Vec<DataIssue>,
    ) {
        let head = parse::resource_head(raw);
        match head.resource_type.as_deref() {
            Some("OperationOutcome") => {
                let summary = parse::operation_outcome_summary(raw);
                issues.push(DataIssue {
                    kind: DataIssueKind::PrefetchError,
                    source: None,
                    message: format!(
                        "The EHR could not provide prefetch '{key}' ({}); facts that depend on it may be incomplete.",
                        or_unspecified(&summary.text)
                    ),
                });
            }
            Some("Bundle") => {
                if parse::bundle_has_next_page(raw) {
                    issues.push(DataIssue {
                        kind: DataIssueKind::MissingOptionalData,
                        source: None,
                        message: format!(
                            "Prefetch '{key}' has more result pages than were sent; only the first page was read."
                        ),
                    });
                }
                self.add(raw, None, Origin::Prefetch, 0, issues);
            }
            _ => self.add(raw, None, Origin::Prefetch, 0, issues),
        }
    }

    fn add(
        &mut self,
        raw: &RawValue,
        full_url: Option<String>,
        origin: Origin,
        depth: usize,
        issues: &mut Vec<DataIssue>,
    ) {
        // Over the limit the request is refused: the rest is not worth reading.
        if self.met > self.max_resources {
            return;
        }
        let head = parse::resource_head(raw);
        if head.resource_type.as_deref() != Some("Bundle") {
            self.met += 1;
            if self.met > self.max_resources {
                return;
            }
        }
        let Some(resource_type) = head.resource_type.clone() else {
            issues.push(DataIssue {
                kind: DataIssueKind::UnparseableResource,
                source: None,
                message: "A value without a resourceType was sent where a FHIR resource was expected; it was ignored.".into(),
            });
            return;
        };
        match resource_type.as_str() {
            "Bundle" if depth < MAX_BUNDLE_DEPTH => {
                match parse::bundle_entries(raw) {
                    Ok(entries) => {
                        for entry in entries {
                            self.add(entry.resource, entry.full_url, origin, depth + 1, issues);
                        }
                    }
                    Err(reason) => issues.push(unparseable(None, "Bundle", &reason)),
                }
                return;
            }
            "OperationOutcome" => {
                let summary = parse::operation_outcome_summary(raw);
                if summary.has_error {
                    issues.push(DataIssue {
                        kind: DataIssueKind::PrefetchError,
                        source: None,
                        message: format!(
                            "A search returned an error ({}); facts that depend on it may be incomplete.",
                            or_unspecified(&summary.text)
                        ),
                    });
                }
                return;
            }
            _ => {}
        }
        let reference = self.reference_for(&resource_type, head.id.as_deref(), full_url.as_deref());
        match parse::resource(raw) {
            Ok(resource) => {
                self.parsed += 1;
                if let Some(url) = full_url {
                    self.full_urls
                        .entry(url)
                        .or_insert_with(|| reference.clone());
                }
                if self.resources.contains_key(&reference) {
                    return;
                }
                if origin == Origin::DraftOrders {
                    self.drafts.push(reference.clone());
                    self.draft_set.insert(reference.clone());
                }
                self.resources.insert(reference, resource);
            }
            Err(reason) => {
                self.failed += 1;
                issues.push(unparseable(Some(reference), &resource_type, &reason));
            }
        }
    }

    /// `Type/id`; without an id, the last segment of the fullUrl, else a placeholder that keeps
    /// the resource apart from every other.
    fn reference_for(
        &mut self,
        resource_type: &str,
        id: Option<&str>,
        full_url: Option<&str>,
    ) -> FhirRef {
        if let Some(id) = id {
            return FhirRef::new(resource_type, id);
        }
        if let Some(last) = full_url.and_then(|url| url.rsplit([':', '/']).next()) {
            if !last.is_empty() {
                return FhirRef::new(resource_type, last);
            }
        }
        self.unnamed += 1;
        FhirRef::new(resource_type, &format!("(no id {})", self.unnamed))
    }

    /// The resource behind a reference as written in FHIR: relative (`Medication/1`), absolute
    /// (`https://ehr/fhir/Medication/1`) or a Bundle fullUrl (`urn:uuid:...`).
    pub fn resolve(&self, reference: &str) -> Option<(&FhirRef, &Resource)> {
        if let Some(target) = self.full_urls.get(reference) {
            return self.resources.get_key_value(target);
        }
        let without_history = reference.split("/_history/").next().unwrap_or(reference);
        let mut segments = without_history.rsplit('/');
        let id = segments.next()?;
        let resource_type = segments.next()?;
        self.resources
            .get_key_value(&FhirRef::new(resource_type, id))
    }

    /// Whether a reference names one of the draft orders.
    pub fn is_draft(&self, reference: &FhirRef) -> bool {
        self.draft_set.contains(reference)
    }

    /// The draft orders that parsed, in the order sent.
    pub fn drafts(&self) -> impl Iterator<Item = (&FhirRef, &Resource)> {
        self.drafts
            .iter()
            .filter_map(|reference| self.resources.get_key_value(reference))
    }

    /// Every indexed resource, ordered by reference.
    #[cfg(test)]
    pub fn all(&self) -> impl Iterator<Item = (&FhirRef, &Resource)> {
        self.resources.iter()
    }
}

fn unparseable(source: Option<FhirRef>, resource_type: &str, reason: &str) -> DataIssue {
    let name = crate::facts::capitalised(crate::facts::record_kind_in_words(resource_type));
    DataIssue {
        kind: DataIssueKind::UnparseableResource,
        source,
        message: format!("{name} is not valid FHIR R4 and was ignored: {reason}."),
    }
}

fn or_unspecified(text: &str) -> &str {
    if text.is_empty() {
        "no reason given"
    } else {
        text
    }
}

/// Iterators over one resource type of the index: `(reference, resource)`.
macro_rules! typed_iterator {
    ($(#[$doc:meta])* $name:ident, $variant:ident) => {
        $(#[$doc])*
        pub fn $name(
            &self,
        ) -> impl Iterator<Item = (&FhirRef, &fhirbolt::model::r4::resources::$variant)> {
            self.resources.iter().filter_map(|(reference, resource)| match resource {
                Resource::$variant(inner) => Some((reference, inner.as_ref())),
                _ => None,
            })
        }
    };
}

impl ResourceIndex {
    typed_iterator!(
        /// Patients.
        patients, Patient
    );
    typed_iterator!(
        /// Conditions.
        conditions, Condition
    );
    typed_iterator!(
        /// Observations.
        observations, Observation
    );
    typed_iterator!(
        /// Procedures.
        procedures, Procedure
    );
    typed_iterator!(
        /// DiagnosticReports.
        diagnostic_reports, DiagnosticReport
    );
    typed_iterator!(
        /// Goals.
        goals, Goal
    );
    typed_iterator!(
        /// Flags.
        flags, Flag
    );
    typed_iterator!(
        /// MedicationAdministrations.
        medication_administrations, MedicationAdministration
    );
    typed_iterator!(
        /// MedicationStatements.
        medication_statements, MedicationStatement
    );
    typed_iterator!(
        /// MedicationRequests, drafts included.
        medication_requests, MedicationRequest
    );
    typed_iterator!(
        /// AllergyIntolerances.
        allergy_intolerances, AllergyIntolerance
    );
    typed_iterator!(
        /// ServiceRequests (a completed one can be a tumour work-up).
        service_requests, ServiceRequest
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    const EMPTY_DRAFTS: &str = r#"{"resourceType":"Bundle","type":"collection","entry":[]}"#;

    const LIMIT: usize = 5000;

    fn bundle_of(count: usize) -> String {
        let entries: Vec<String> = (0..count)
            .map(|i| {
                format!(r#"{{"resource":{{"resourceType":"Observation","id":"o{i}","status":"final","code":{{"text":"x"}},"subject":{{"reference":"Patient/p1"}}}}}}"#)
            })
            .collect();
        format!(
            r#"{{"resourceType":"Bundle","type":"searchset","entry":[{}]}}"#,
            entries.join(",")
        )
    }

    #[test]
    fn resources_up_to_the_limit_are_read_and_one_more_refuses_the_request() {
        let mut issues = Vec::new();
        let at_limit = bundle_of(3);
        let prefetch_at = prefetch(&[(PrefetchKey::Observations, Some(&at_limit))]);
        let index = ResourceIndex::build(&prefetch_at, &raw(EMPTY_DRAFTS), "p1", 3, &mut issues)
            .expect("three resources fit a limit of three");
        assert_eq!(index.observations().count(), 3);
        let over = bundle_of(4);
        let prefetch_over = prefetch(&[(PrefetchKey::Observations, Some(&over))]);
        let result = ResourceIndex::build(&prefetch_over, &raw(EMPTY_DRAFTS), "p1", 3, &mut issues);
        assert!(matches!(
            result,
            Err(MappingError::TooManyResources { limit: 3 })
        ));
    }

    fn prefetch(values: &[(PrefetchKey, Option<&str>)]) -> Prefetch {
        values
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Some(json) => PrefetchValue::Resource(raw(json)),
                    None => PrefetchValue::Null,
                };
                (*key, value)
            })
            .collect()
    }

    #[test]
    fn resources_of_any_type_under_any_key_are_indexed_once() {
        let prefetch = prefetch(&[
            (
                PrefetchKey::Procedures,
                Some(
                    r#"{"resourceType":"Bundle","type":"searchset","entry":[
                {"fullUrl":"https://ehr/fhir/Condition/c1","resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}},
                {"resource":{"resourceType":"Patient","id":"p1"}}]}"#,
                ),
            ),
            (
                PrefetchKey::Patient,
                Some(r#"{"resourceType":"Patient","id":"p1","gender":"male"}"#),
            ),
            (PrefetchKey::Conditions, None),
        ]);
        let mut issues = Vec::new();
        let index =
            ResourceIndex::build(&prefetch, &raw(EMPTY_DRAFTS), "p1", LIMIT, &mut issues).unwrap();
        let references: Vec<_> = index.all().map(|(r, _)| r.to_string()).collect();
        assert_eq!(references, ["Condition/c1", "Patient/p1"]);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(
            index
                .resolve("https://ehr/fhir/Condition/c1")
                .map(|(r, _)| r.to_string()),
            Some("Condition/c1".to_owned())
        );
    }

    #[test]
    fn an_operation_outcome_prefetch_value_is_a_prefetch_error_issue() {
        let prefetch = prefetch(&[(
            PrefetchKey::Observations,
            Some(
                r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"timeout","diagnostics":"lab system offline"}]}"#,
            ),
        )]);
        let mut issues = Vec::new();
        ResourceIndex::build(&prefetch, &raw(EMPTY_DRAFTS), "p1", LIMIT, &mut issues).unwrap();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].kind, DataIssueKind::PrefetchError);
        assert!(
            issues[0].message.contains("observations")
                && issues[0].message.contains("lab system offline")
        );
    }

    #[test]
    fn a_null_prefetch_value_is_no_data_and_no_issue() {
        let prefetch = prefetch(&[(PrefetchKey::Conditions, None)]);
        let mut issues = Vec::new();
        let index =
            ResourceIndex::build(&prefetch, &raw(EMPTY_DRAFTS), "p1", LIMIT, &mut issues).unwrap();
        assert_eq!(index.all().count(), 0);
        assert!(issues.is_empty());
    }

    #[test]
    fn a_next_link_is_reported_and_the_first_page_still_used() {
        let prefetch = prefetch(&[(
            PrefetchKey::Observations,
            Some(
                r#"{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"https://ehr/fhir/Observation?page=2"}],
              "entry":[{"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}}}]}"#,
            ),
        )]);
        let mut issues = Vec::new();
        let index =
            ResourceIndex::build(&prefetch, &raw(EMPTY_DRAFTS), "p1", LIMIT, &mut issues).unwrap();
        assert_eq!(index.observations().count(), 1);
        assert_eq!(issues[0].kind, DataIssueKind::MissingOptionalData);
    }

    #[test]
    fn an_unparseable_resource_is_an_issue_naming_it_and_the_rest_is_kept() {
        let drafts = raw(r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"MedicationRequest","id":"sandbox","status":"draft","category":{"text":"outpatient"},"subject":{"reference":"Patient/p1"}}},
            {"resource":{"resourceType":"ServiceRequest","id":"sr1","status":"draft","intent":"order","subject":{"reference":"Patient/p1"}}}]}"#);
        let mut issues = Vec::new();
        let index =
            ResourceIndex::build(&Prefetch::new(), &drafts, "p1", LIMIT, &mut issues).unwrap();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].kind, DataIssueKind::UnparseableResource);
        assert_eq!(
            issues[0].source,
            Some(FhirRef::from_relative("MedicationRequest/sandbox"))
        );
        let drafts: Vec<_> = index.drafts().map(|(r, _)| r.to_string()).collect();
        assert_eq!(drafts, ["ServiceRequest/sr1"]);
    }

    #[test]
    fn draft_orders_that_are_not_a_bundle_are_rejected() {
        let mut issues = Vec::new();
        let result = ResourceIndex::build(
            &Prefetch::new(),
            &raw(r#"{"resourceType":"MedicationRequest","id":"x"}"#),
            "p1",
            LIMIT,
            &mut issues,
        );
        assert!(matches!(
            result,
            Err(MappingError::DraftOrdersNotABundle(_))
        ));
        let result = ResourceIndex::build(&Prefetch::new(), &raw("[]"), "p1", LIMIT, &mut issues);
        assert!(result.is_err());
    }
}
