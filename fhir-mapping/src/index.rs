//! The resource index: every resource of the request (prefetch values and draft orders) by
//! `Type/id`, deduplicated, whatever prefetch key it arrived under.
//!
//! Only what some fact module reads is parsed by fhirbolt: the draft orders, the resource types
//! of the typed iterators below (and Medications, read by reference), and Observations whose
//! code is in a value set Observations are read by (`observation_sets`). Every other resource is
//! counted (the per-call limit holds), checked for the right patient from its envelope, and left
//! unparsed: a malformed one is no longer a data issue, since nothing would have read it.
//!
//! Invariant: building the index never fails on a single resource; an unreadable one becomes a
//! data issue and the rest is indexed. Only a `draftOrders` that is not a Bundle, too many
//! resources, or a Patient resource of another patient is an error.

use std::collections::{BTreeMap, BTreeSet};

use fhirbolt::model::r4::Resource;
use serde_json::value::RawValue;

use crate::envelope::{self, Head};
use crate::facts::{DataIssue, DataIssueKind, FhirRef};
use crate::observation_sets::ObservationFilter;
use crate::parse;
use crate::subject::{self, Subject, Whose};
use crate::{MappingError, Prefetch, PrefetchKey, PrefetchValue, SentResource};

/// Bundles nested deeper than this are not read (a guard against hostile input).
const MAX_BUNDLE_DEPTH: usize = 3;

/// Where a resource came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    DraftOrders,
    Prefetch,
}

/// One indexed reference: the resource, unless no fact module reads it, and whom it is about.
#[derive(Debug)]
struct Slot {
    /// `None` when the resource was counted but not parsed.
    resource: Option<Resource>,
    subject: Subject,
}

/// All resources of one request, by reference.
#[derive(Debug, Default)]
pub struct ResourceIndex {
    slots: BTreeMap<FhirRef, Slot>,
    full_urls: BTreeMap<String, FhirRef>,
    /// The draft orders, in the order the EHR sent them.
    drafts: Vec<FhirRef>,
    draft_set: BTreeSet<FhirRef>,
    unnamed: usize,
    /// Resources that were read (parsed, or left unparsed because nothing reads them), and
    /// resources that did not parse (to tell an unreadable key).
    readable: usize,
    failed: usize,
    /// Resources counted but left unparsed.
    unparsed: usize,
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
        observations: &ObservationFilter,
        issues: &mut Vec<DataIssue>,
    ) -> Result<ResourceIndex, MappingError> {
        let mut index = ResourceIndex {
            max_resources,
            ..ResourceIndex::default()
        };
        let drafts_text = draft_orders.get();
        let head = envelope::read_head(drafts_text);
        if head.resource_type.as_deref() != Some("Bundle") {
            return Err(MappingError::DraftOrdersNotABundle(format!(
                "resourceType is {}",
                head.resource_type.as_deref().unwrap_or("missing")
            )));
        }
        if let Err(reason) = &head.entries {
            return Err(MappingError::DraftOrdersNotABundle(reason.clone()));
        }
        for (entry, text) in head.entry_texts(drafts_text) {
            let entry_head = envelope::read_head(text);
            let found = Found {
                text,
                head: &entry_head,
                full_url: entry.full_url.clone(),
                origin: Origin::DraftOrders,
                depth: 1,
            };
            index.add(found, observations, issues);
        }
        for (key, value) in prefetch {
            if let PrefetchValue::Resource(sent) = value {
                index.add_prefetch_value(*key, sent, observations, issues);
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
        for (reference, slot) in &self.slots {
            if subject::whose(&slot.subject, patient_id, resolve) != Whose::SomeoneElse {
                continue;
            }
            if matches!(slot.subject, Subject::Patient { .. }) {
                return Err(MappingError::PatientMismatch);
            }
            excluded.push(reference.clone());
        }
        for reference in excluded {
            self.slots.remove(&reference);
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
        sent: &SentResource,
        observations: &ObservationFilter,
        issues: &mut Vec<DataIssue>,
    ) {
        let (readable, failed) = (self.readable, self.failed);
        self.add_prefetch_resources(key, sent, observations, issues);
        if self.readable == readable && self.failed > failed {
            self.unreadable_keys.insert(key);
        }
    }

    /// The prefetch keys sent with resources none of which could be read as FHIR R4.
    pub fn unreadable_keys(&self) -> impl Iterator<Item = PrefetchKey> + '_ {
        self.unreadable_keys.iter().copied()
    }

    /// How many resources were counted but not parsed, since no fact module reads them.
    pub fn unparsed(&self) -> usize {
        self.unparsed
    }

    fn add_prefetch_resources(
        &mut self,
        key: PrefetchKey,
        sent: &SentResource,
        observations: &ObservationFilter,
        issues: &mut Vec<DataIssue>,
    ) {
        let head = sent.head();
        match head.resource_type.as_deref() {
            Some("OperationOutcome") => {
                let summary = parse::operation_outcome_summary(sent.json());
                issues.push(DataIssue {
                    kind: DataIssueKind::PrefetchError,
                    source: None,
                    message: format!(
                        "The EHR could not provide prefetch '{key}' ({}); facts that depend on it may be incomplete.",
                        or_unspecified(&summary.text)
                    ),
                });
                return;
            }
            Some("Bundle") if head.has_next_relation => {
                issues.push(DataIssue {
                    kind: DataIssueKind::MissingOptionalData,
                    source: None,
                    message: format!(
                        "Prefetch '{key}' has more result pages than were sent; only the first page was read."
                    ),
                });
            }
            _ => {}
        }
        let found = Found {
            text: sent.json(),
            head,
            full_url: None,
            origin: Origin::Prefetch,
            depth: 0,
        };
        self.add(found, observations, issues);
    }

    fn add(
        &mut self,
        found: Found<'_>,
        observations: &ObservationFilter,
        issues: &mut Vec<DataIssue>,
    ) {
        // Over the limit the request is refused: the rest is not worth reading.
        if self.met > self.max_resources {
            return;
        }
        let head = found.head;
        if head.resource_type.as_deref() != Some("Bundle") {
            self.met += 1;
            if self.met > self.max_resources {
                return;
            }
        }
        let Some(resource_type) = head.resource_type.as_deref() else {
            issues.push(DataIssue {
                kind: DataIssueKind::UnparseableResource,
                source: None,
                message: "A value without a resourceType was sent where a FHIR resource was expected; it was ignored.".into(),
            });
            return;
        };
        match resource_type {
            "Bundle" if found.depth < MAX_BUNDLE_DEPTH => {
                match &head.entries {
                    Ok(_) => {
                        for (entry, text) in head.entry_texts(found.text) {
                            let entry_head = envelope::read_head(text);
                            let inner = Found {
                                text,
                                head: &entry_head,
                                full_url: entry.full_url.clone(),
                                origin: found.origin,
                                depth: found.depth + 1,
                            };
                            self.add(inner, observations, issues);
                        }
                    }
                    Err(reason) => issues.push(unparseable(None, "Bundle", reason)),
                }
                return;
            }
            "OperationOutcome" => {
                let summary = parse::operation_outcome_summary(found.text);
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
        let reference =
            self.reference_for(resource_type, head.id.as_deref(), found.full_url.as_deref());
        if found.origin == Origin::Prefetch && !is_read(head, observations) {
            self.readable += 1;
            self.unparsed += 1;
            if let Some(url) = found.full_url {
                self.full_urls
                    .entry(url)
                    .or_insert_with(|| reference.clone());
            }
            self.slots.entry(reference).or_insert(Slot {
                resource: None,
                subject: Subject::of(head),
            });
            return;
        }
        match parse::resource(found.text) {
            Ok(resource) => {
                self.readable += 1;
                if let Some(url) = found.full_url {
                    self.full_urls
                        .entry(url)
                        .or_insert_with(|| reference.clone());
                }
                if self.slots.contains_key(&reference) {
                    return;
                }
                if found.origin == Origin::DraftOrders {
                    self.drafts.push(reference.clone());
                    self.draft_set.insert(reference.clone());
                }
                let slot = Slot {
                    resource: Some(resource),
                    subject: Subject::of(head),
                };
                self.slots.insert(reference, slot);
            }
            Err(reason) => {
                self.failed += 1;
                issues.push(unparseable(Some(reference), resource_type, &reason));
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
            return self.resolve_parsed(target);
        }
        let without_history = reference.split("/_history/").next().unwrap_or(reference);
        let mut segments = without_history.rsplit('/');
        let id = segments.next()?;
        let resource_type = segments.next()?;
        self.resolve_parsed(&FhirRef::new(resource_type, id))
    }

    /// Whether a reference names one of the draft orders.
    pub fn is_draft(&self, reference: &FhirRef) -> bool {
        self.draft_set.contains(reference)
    }

    /// The draft orders that parsed, in the order sent.
    pub fn drafts(&self) -> impl Iterator<Item = (&FhirRef, &Resource)> {
        self.drafts
            .iter()
            .filter_map(|reference| self.resolve_parsed(reference))
    }

    /// The parsed resource indexed under `reference`.
    fn resolve_parsed(&self, reference: &FhirRef) -> Option<(&FhirRef, &Resource)> {
        let (reference, slot) = self.slots.get_key_value(reference)?;
        Some((reference, slot.resource.as_ref()?))
    }

    /// Every parsed resource, ordered by reference.
    fn parsed(&self) -> impl Iterator<Item = (&FhirRef, &Resource)> {
        self.slots
            .iter()
            .filter_map(|(reference, slot)| Some((reference, slot.resource.as_ref()?)))
    }

    /// Every indexed resource, ordered by reference.
    #[cfg(test)]
    pub fn all(&self) -> impl Iterator<Item = (&FhirRef, &Resource)> {
        self.parsed()
    }
}

/// One resource met while indexing: its JSON text and envelope, and where it was found.
struct Found<'a> {
    text: &'a str,
    head: &'a Head,
    full_url: Option<String>,
    origin: Origin,
    depth: usize,
}

/// Whether some fact module reads a prefetch resource with this envelope, so it must be parsed.
fn is_read(head: &Head, observations: &ObservationFilter) -> bool {
    match head.resource_type.as_deref() {
        Some("Observation") => observations.may_be_read(&head.code),
        Some(resource_type) => READ_TYPES.contains(&resource_type),
        None => true,
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

/// The typed iterators, one per resource type a fact module reads, and from the same list
/// `READ_TYPES`, the types the index parses: a module cannot read a type the index leaves out.
macro_rules! read_types {
    ($($(#[$doc:meta])* $name:ident => $variant:ident,)*) => {
        /// The resource types some fact module reads: those of the typed iterators, and
        /// Medications, which are read only through an order's reference (`resolve`).
        const READ_TYPES: &[&str] = &[$(stringify!($variant),)* "Medication"];

        impl ResourceIndex {
            $(
                $(#[$doc])*
                pub fn $name(
                    &self,
                ) -> impl Iterator<Item = (&FhirRef, &fhirbolt::model::r4::resources::$variant)> {
                    self.parsed().filter_map(|(reference, resource)| match resource {
                        Resource::$variant(inner) => Some((reference, inner.as_ref())),
                        _ => None,
                    })
                }
            )*
        }
    };
}

read_types! {
    /// Patients.
    patients => Patient,
    /// Conditions.
    conditions => Condition,
    /// Observations in a value set Observations are read by (`Context::observations_in`).
    observations => Observation,
    /// Procedures.
    procedures => Procedure,
    /// DiagnosticReports.
    diagnostic_reports => DiagnosticReport,
    /// Goals.
    goals => Goal,
    /// Flags.
    flags => Flag,
    /// MedicationAdministrations.
    medication_administrations => MedicationAdministration,
    /// MedicationStatements.
    medication_statements => MedicationStatement,
    /// MedicationRequests, drafts included.
    medication_requests => MedicationRequest,
    /// AllergyIntolerances.
    allergy_intolerances => AllergyIntolerance,
    /// ServiceRequests (a completed one can be a tumour work-up).
    service_requests => ServiceRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    const EMPTY_DRAFTS: &str = r#"{"resourceType":"Bundle","type":"collection","entry":[]}"#;

    const LIMIT: usize = 5000;

    fn observation_filter() -> ObservationFilter {
        ObservationFilter::new(&crate::Terminology::embedded())
    }

    /// The index of `prefetch` and the draft orders `drafts` for patient `p1`.
    fn build_with(
        prefetch: &Prefetch,
        drafts: &str,
        limit: usize,
        issues: &mut Vec<DataIssue>,
    ) -> Result<ResourceIndex, MappingError> {
        ResourceIndex::build(
            prefetch,
            &raw(drafts),
            "p1",
            limit,
            &observation_filter(),
            issues,
        )
    }

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
        let index = build_with(&prefetch_at, EMPTY_DRAFTS, 3, &mut issues)
            .expect("three resources fit a limit of three");
        assert_eq!(
            index.unparsed(),
            3,
            "counted, not parsed: no value set names them"
        );
        let over = bundle_of(4);
        let prefetch_over = prefetch(&[(PrefetchKey::Observations, Some(&over))]);
        let result = build_with(&prefetch_over, EMPTY_DRAFTS, 3, &mut issues);
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
                    Some(json) => PrefetchValue::Resource(SentResource::new(raw(json))),
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
        let index = build_with(&prefetch, EMPTY_DRAFTS, LIMIT, &mut issues).unwrap();
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
        build_with(&prefetch, EMPTY_DRAFTS, LIMIT, &mut issues).unwrap();
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
        let index = build_with(&prefetch, EMPTY_DRAFTS, LIMIT, &mut issues).unwrap();
        assert_eq!(index.all().count(), 0);
        assert!(issues.is_empty());
    }

    #[test]
    fn a_next_link_is_reported_and_the_first_page_still_used() {
        let prefetch = prefetch(&[(
            PrefetchKey::Observations,
            Some(
                r#"{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"https://ehr/fhir/Observation?page=2"}],
              "entry":[{"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]}}}]}"#,
            ),
        )]);
        let mut issues = Vec::new();
        let index = build_with(&prefetch, EMPTY_DRAFTS, LIMIT, &mut issues).unwrap();
        assert_eq!(index.observations().count(), 1);
        assert_eq!(issues[0].kind, DataIssueKind::MissingOptionalData);
    }

    #[test]
    fn an_unparseable_resource_is_an_issue_naming_it_and_the_rest_is_kept() {
        let drafts = r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"MedicationRequest","id":"sandbox","status":"draft","category":{"text":"outpatient"},"subject":{"reference":"Patient/p1"}}},
            {"resource":{"resourceType":"ServiceRequest","id":"sr1","status":"draft","intent":"order","subject":{"reference":"Patient/p1"}}}]}"#;
        let mut issues = Vec::new();
        let index = build_with(&Prefetch::new(), drafts, LIMIT, &mut issues).unwrap();
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
        let result = build_with(
            &Prefetch::new(),
            r#"{"resourceType":"MedicationRequest","id":"x"}"#,
            LIMIT,
            &mut issues,
        );
        assert!(matches!(
            result,
            Err(MappingError::DraftOrdersNotABundle(_))
        ));
        let result = build_with(&Prefetch::new(), "[]", LIMIT, &mut issues);
        assert!(result.is_err());
    }

    fn observations_bundle(entries: &[&str]) -> String {
        format!(
            r#"{{"resourceType":"Bundle","type":"searchset","entry":[{}]}}"#,
            entries
                .iter()
                .map(|resource| format!(r#"{{"resource":{resource}}}"#))
                .collect::<Vec<_>>()
                .join(",")
        )
    }

    #[test]
    fn only_observations_in_a_value_set_are_parsed_and_a_malformed_other_one_is_no_issue() {
        let bundle = observations_bundle(&[
            // In the body weight set by code; in the neuroblastoma screening set by text alone.
            r#"{"resourceType":"Observation","id":"w1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"Patient/p1"}}"#,
            r#"{"resourceType":"Observation","id":"w2","status":"final","code":{"text":"Urine HVA/creatinine"},"subject":{"reference":"Patient/p1"}}"#,
            // A heart rate, and a malformed blood count: no fact module reads either.
            r#"{"resourceType":"Observation","id":"hr","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"}}"#,
            r#"{"resourceType":"Observation","id":"wbc","status":"final","vendorFlag":true,"code":{"coding":[{"system":"http://loinc.org","code":"6690-2"}]}}"#,
            // A code of the wrong shape: fhirbolt is asked, and names the problem.
            r#"{"resourceType":"Observation","id":"bad","status":"final","code":"29463-7"}"#,
        ]);
        let prefetch = prefetch(&[(PrefetchKey::Observations, Some(&bundle))]);
        let mut issues = Vec::new();
        let index = build_with(&prefetch, EMPTY_DRAFTS, LIMIT, &mut issues).unwrap();
        let parsed: Vec<_> = index.observations().map(|(r, _)| r.to_string()).collect();
        assert_eq!(parsed, ["Observation/w1", "Observation/w2"]);
        assert_eq!(index.unparsed(), 2);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, DataIssueKind::UnparseableResource);
        assert_eq!(
            issues[0].source,
            Some(FhirRef::from_relative("Observation/bad"))
        );
        assert!(index.unreadable_keys().next().is_none());
    }

    #[test]
    fn an_unparsed_resource_about_another_patient_is_still_left_out_and_said_so() {
        let bundle = observations_bundle(&[
            r#"{"resourceType":"Observation","id":"hr","status":"final","code":{"text":"Heart rate"},"subject":{"reference":"Patient/someone-else"}}"#,
            r#"{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/someone-else"}}"#,
        ]);
        let prefetch = prefetch(&[(PrefetchKey::Observations, Some(&bundle))]);
        let mut issues = Vec::new();
        let index = build_with(&prefetch, EMPTY_DRAFTS, LIMIT, &mut issues).unwrap();
        assert_eq!(index.unparsed(), 2);
        // The Observation's subject is read (as before); an Encounter's never was.
        let kinds: Vec<_> = issues.iter().map(|issue| issue.kind).collect();
        assert_eq!(kinds, [DataIssueKind::OtherPatient]);
        assert!(!issues[0].message.contains("someone-else"));
    }

    #[test]
    fn a_draft_order_is_parsed_whatever_its_type() {
        let drafts = r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"NutritionOrder","id":"n1","status":"draft","intent":"order","patient":{"reference":"Patient/p1"},"dateTime":"2026-11-25"}}]}"#;
        let mut issues = Vec::new();
        let index = build_with(&Prefetch::new(), drafts, LIMIT, &mut issues).unwrap();
        let drafts: Vec<_> = index.drafts().map(|(r, _)| r.to_string()).collect();
        assert_eq!(drafts, ["NutritionOrder/n1"]);
        assert_eq!(index.unparsed(), 0);
    }
}
