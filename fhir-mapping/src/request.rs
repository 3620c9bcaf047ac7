//! The CDS Hooks service call (order-select, order-sign) read once, from bytes, into a `HookCall`:
//! the one request parser of the project. The service, `oms-cds evaluate`, the scenario runner,
//! the mapping tests and the benches all go through `HookCall::parse`.
//!
//! The parser checks the shape the spec requires of the call and of the two hook contexts; it
//! does not read FHIR (that is the mapping's job) and it does not interpret `fhirAuthorization`,
//! which stays an opaque JSON value for the service to read (so no token is ever held in a type
//! that could print it).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::envelope::{self, Head};

/// The CDS hook that asked for the evaluation; it decides which orders count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hook {
    /// `order-select`: only the orders named in `context.selections` count.
    OrderSelect,
    /// `order-sign`: every draft order counts.
    OrderSign,
}

impl Hook {
    /// Every hook this project knows.
    pub const ALL: [Hook; 2] = [Hook::OrderSelect, Hook::OrderSign];

    /// The hook's name on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Hook::OrderSelect => "order-select",
            Hook::OrderSign => "order-sign",
        }
    }

    /// The hook for a wire name; `None` for any other hook (never a default).
    pub fn from_code(code: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|hook| hook.code() == code)
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The prefetch keys the service defines. A key the service did not define is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrefetchKey {
    /// `Patient/{{context.patientId}}`.
    Patient,
    /// The patient's Conditions.
    Conditions,
    /// The patient's MedicationStatements.
    MedicationStatements,
    /// The patient's MedicationRequests.
    MedicationRequests,
    /// The patient's MedicationAdministrations.
    MedicationAdministrations,
    /// The patient's Observations with the codes the rules read.
    Observations,
    /// The patient's Procedures.
    Procedures,
    /// The patient's AllergyIntolerances (a rituximab allergy or reaction).
    Allergies,
}

impl PrefetchKey {
    /// Every key, in the order discovery lists them.
    pub const ALL: [PrefetchKey; 8] = [
        PrefetchKey::Patient,
        PrefetchKey::Conditions,
        PrefetchKey::MedicationStatements,
        PrefetchKey::MedicationRequests,
        PrefetchKey::MedicationAdministrations,
        PrefetchKey::Observations,
        PrefetchKey::Procedures,
        PrefetchKey::Allergies,
    ];

    /// The key's name in the discovery document and the request's `prefetch` object.
    pub fn code(self) -> &'static str {
        match self {
            PrefetchKey::Patient => "patient",
            PrefetchKey::Conditions => "conditions",
            PrefetchKey::MedicationStatements => "medicationStatements",
            PrefetchKey::MedicationRequests => "medicationRequests",
            PrefetchKey::MedicationAdministrations => "medicationAdministrations",
            PrefetchKey::Observations => "observations",
            PrefetchKey::Procedures => "procedures",
            PrefetchKey::Allergies => "allergies",
        }
    }

    /// The resource type the key's query returns: the Patient, or a searchset Bundle.
    pub fn expected_type(self) -> &'static str {
        match self {
            PrefetchKey::Patient => "Patient",
            _ => "Bundle",
        }
    }

    /// The key for a name; `None` for a key the service did not define.
    pub fn from_code(code: &str) -> Option<PrefetchKey> {
        PrefetchKey::ALL.into_iter().find(|key| key.code() == code)
    }
}

impl fmt::Display for PrefetchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One prefetch value as the EHR sent it. An absent key is simply not in the map, so the three
/// states of the spec (absent, `null`, a resource) stay distinct.
#[derive(Debug, Clone)]
pub enum PrefetchValue {
    /// The EHR found no data.
    Null,
    /// A resource (usually a searchset Bundle; an OperationOutcome means the EHR hit an error).
    Resource(SentResource),
}

/// A resource sent (or fetched) as a prefetch value: its JSON exactly as it came, and its
/// envelope (type, `link[next]`, the entries' places in the text), read in one pass when the
/// value arrives. The prefetch planner, the paging and the mapping all work from that pass
/// instead of reading the Bundle again.
#[derive(Clone)]
pub struct SentResource {
    json: Box<RawValue>,
    head: Box<Head>,
}

impl SentResource {
    /// Reads the envelope of `json` (one pass; nothing is modelled).
    pub fn new(json: Box<RawValue>) -> SentResource {
        let head = Box::new(envelope::read_head(json.get()));
        SentResource { json, head }
    }

    /// The JSON text as sent.
    pub fn json(&self) -> &str {
        self.json.get()
    }

    /// `resourceType`, when it is a string.
    pub fn resource_type(&self) -> Option<&str> {
        self.head.resource_type.as_deref()
    }

    /// A Bundle's `link` with relation `next`: more pages exist on the server.
    pub fn next_page(&self) -> Option<&str> {
        self.head.next_link.as_deref()
    }

    /// A Bundle's entries with a resource, as sent: each one's `fullUrl` and resource JSON.
    pub fn entries(&self) -> impl Iterator<Item = (Option<&str>, &str)> {
        self.head
            .entry_texts(self.json.get())
            .map(|(entry, text)| (entry.full_url.as_deref(), text))
    }

    /// How many entries with a resource a Bundle holds.
    pub fn entry_count(&self) -> usize {
        self.head.entries.as_ref().map_or(0, Vec::len)
    }

    /// This Bundle as a first page whose further pages could not be read (and are reported
    /// apart): its `link[next]` no longer counts.
    pub fn first_page_only(mut self) -> SentResource {
        self.head.next_link = None;
        self.head.has_next_relation = false;
        self
    }

    /// The envelope read when the value arrived.
    pub(crate) fn head(&self) -> &Head {
        &self.head
    }
}

impl fmt::Debug for SentResource {
    // Type and size only: the JSON is a patient's record.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentResource")
            .field("resource_type", &self.resource_type())
            .field("bytes", &self.json().len())
            .field("entries", &self.entry_count())
            .finish()
    }
}

/// The prefetch object, by key.
pub type Prefetch = BTreeMap<PrefetchKey, PrefetchValue>;

/// `fhirAuthorization` exactly as sent, unread: the service reads it. Its `Debug` never shows
/// the value, which holds an access token.
pub struct RawFhirAuthorization(Box<RawValue>);

impl RawFhirAuthorization {
    /// The JSON text of the `fhirAuthorization` object.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl fmt::Debug for RawFhirAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawFhirAuthorization([redacted])")
    }
}

/// A service call whose shape has been checked: the hook is known, the context is the hook's,
/// and the references are well formed.
#[derive(Debug)]
pub struct HookCall {
    /// Which hook fired.
    pub hook: Hook,
    /// The invocation's id, for correlation and the issued-cards log.
    pub hook_instance: String,
    /// The EHR's FHIR base URL, when given.
    pub fhir_server: Option<String>,
    /// `fhirAuthorization`, when given (opaque here).
    pub fhir_authorization: Option<RawFhirAuthorization>,
    /// `context.userId` (`Type/id`).
    pub user_id: String,
    /// `context.patientId`.
    pub patient_id: String,
    /// `context.encounterId`, when given.
    pub encounter_id: Option<String>,
    /// `context.selections` (`Type/id`); empty on `order-sign`.
    pub selections: Vec<String>,
    /// `context.draftOrders`, a Bundle (read by the mapping).
    pub draft_orders: Box<RawValue>,
    /// Prefetch values by key; an absent key is not in the map, an unknown key is dropped.
    pub prefetch: Prefetch,
}

/// Why a request body is not a valid service call; the message tells the caller what to fix.
#[derive(Debug, thiserror::Error)]
pub enum InvalidHookCall {
    /// Not JSON, or a field of the wrong type.
    #[error("the request body is not a valid CDS Hooks request: {0}")]
    Malformed(String),
    /// A field is present but its value breaks a rule of the spec.
    #[error("{0}")]
    Invalid(String),
    /// The hook is not one this project knows.
    #[error("hook `{0}` is not order-select or order-sign")]
    UnknownHook(String),
}

/// The request body as sent. `extension` and unknown fields are accepted and ignored, so newer
/// clients keep working.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCall {
    hook: String,
    hook_instance: String,
    fhir_server: Option<String>,
    fhir_authorization: Option<Box<RawValue>>,
    context: Box<RawValue>,
    /// `None` for the key absent; `Some(None)` for `null`: the distinction the spec requires.
    #[serde(default)]
    prefetch: Option<BTreeMap<String, Option<Box<RawValue>>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderSelectContext {
    user_id: String,
    patient_id: String,
    encounter_id: Option<String>,
    selections: Vec<String>,
    draft_orders: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderSignContext {
    user_id: String,
    patient_id: String,
    encounter_id: Option<String>,
    draft_orders: Box<RawValue>,
}

impl HookCall {
    /// Parses and checks a service call body.
    pub fn parse(body: &[u8]) -> Result<HookCall, InvalidHookCall> {
        let wire: WireCall =
            serde_json::from_slice(body).map_err(|e| InvalidHookCall::Malformed(e.to_string()))?;
        let hook = Hook::from_code(&wire.hook)
            .ok_or_else(|| InvalidHookCall::UnknownHook(wire.hook.clone()))?;
        if wire.hook_instance.trim().is_empty() {
            return Err(invalid("`hookInstance` must not be empty"));
        }
        let context = match hook {
            Hook::OrderSelect => {
                let context: OrderSelectContext = parse_context(&wire.context, hook)?;
                if context.selections.is_empty() {
                    return Err(invalid(
                        "`context.selections` must name at least one draft order (`Type/id`)",
                    ));
                }
                context
            }
            Hook::OrderSign => {
                let context: OrderSignContext = parse_context(&wire.context, hook)?;
                OrderSelectContext {
                    user_id: context.user_id,
                    patient_id: context.patient_id,
                    encounter_id: context.encounter_id,
                    selections: Vec::new(),
                    draft_orders: context.draft_orders,
                }
            }
        };
        if !is_relative_reference(&context.user_id) {
            return Err(invalid(
                "`context.userId` must be a `ResourceType/id` reference such as `Practitioner/123`",
            ));
        }
        if context.patient_id.trim().is_empty() {
            return Err(invalid("`context.patientId` must not be empty"));
        }
        if let Some(bad) = context
            .selections
            .iter()
            .find(|s| !is_relative_reference(s))
        {
            return Err(InvalidHookCall::Invalid(format!(
                "`context.selections` entry `{bad}` is not a `ResourceType/id` reference"
            )));
        }
        Ok(HookCall {
            hook,
            hook_instance: wire.hook_instance,
            fhir_server: wire.fhir_server,
            fhir_authorization: wire.fhir_authorization.map(RawFhirAuthorization),
            user_id: context.user_id,
            patient_id: context.patient_id,
            encounter_id: context.encounter_id,
            selections: context.selections,
            draft_orders: context.draft_orders,
            prefetch: prefetch_of(wire.prefetch.unwrap_or_default()),
        })
    }
}

fn prefetch_of(values: BTreeMap<String, Option<Box<RawValue>>>) -> Prefetch {
    values
        .into_iter()
        .filter_map(|(key, value)| {
            let value = match value {
                Some(resource) => PrefetchValue::Resource(SentResource::new(resource)),
                None => PrefetchValue::Null,
            };
            Some((PrefetchKey::from_code(&key)?, value))
        })
        .collect()
}

fn parse_context<'a, T: Deserialize<'a>>(
    context: &'a RawValue,
    hook: Hook,
) -> Result<T, InvalidHookCall> {
    serde_json::from_str(context.get()).map_err(|e| {
        InvalidHookCall::Invalid(format!("`context` is not a valid {hook} context: {e}"))
    })
}

fn invalid(message: &str) -> InvalidHookCall {
    InvalidHookCall::Invalid(message.to_owned())
}

/// `Type/id` with the characters the spec's draft invariant `ord-1` allows.
fn is_relative_reference(reference: &str) -> bool {
    let Some((resource_type, id)) = reference.split_once('/') else {
        return false;
    };
    let type_ok =
        !resource_type.is_empty() && resource_type.chars().all(|c| c.is_ascii_alphanumeric());
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    type_ok && id_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_select(extra: &str) -> String {
        format!(
            r#"{{"hook":"order-select","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context":{{"userId":"Practitioner/1","patientId":"p1","selections":["MedicationRequest/m1"],
            "draftOrders":{{"resourceType":"Bundle","type":"collection","entry":[]}}}}{extra}}}"#
        )
    }

    #[test]
    fn hook_and_prefetch_key_codes_round_trip() {
        for hook in Hook::ALL {
            assert_eq!(Hook::from_code(hook.code()), Some(hook));
        }
        for key in PrefetchKey::ALL {
            assert_eq!(PrefetchKey::from_code(key.code()), Some(key));
        }
        assert_eq!(Hook::from_code("patient-view"), None);
        assert_eq!(PrefetchKey::from_code("Patient"), None);
    }

    #[test]
    fn prefetch_keeps_absent_null_and_resource_apart_and_drops_unknown_keys() {
        let body = order_select(
            r#","prefetch":{"patient":{"resourceType":"Patient","id":"p1"},"conditions":null,"other":{}}"#,
        );
        let call = HookCall::parse(body.as_bytes()).expect("valid call");
        assert!(matches!(
            call.prefetch.get(&PrefetchKey::Patient),
            Some(PrefetchValue::Resource(_))
        ));
        assert!(matches!(
            call.prefetch.get(&PrefetchKey::Conditions),
            Some(PrefetchValue::Null)
        ));
        assert_eq!(call.prefetch.len(), 2);
        assert_eq!(call.selections, vec!["MedicationRequest/m1".to_string()]);
        assert_eq!(call.user_id, "Practitioner/1");
    }

    #[test]
    fn an_unknown_hook_is_an_error_never_a_default() {
        let body = r#"{"hook":"patient-view","hookInstance":"x","context":{}}"#;
        let err = HookCall::parse(body.as_bytes()).expect_err("must be rejected");
        assert!(matches!(err, InvalidHookCall::UnknownHook(ref hook) if hook == "patient-view"));
    }

    #[test]
    fn order_select_without_selections_is_rejected() {
        let body = r#"{"hook":"order-select","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"p","draftOrders":{"resourceType":"Bundle"}}}"#;
        let err = HookCall::parse(body.as_bytes()).expect_err("must be rejected");
        assert!(err.to_string().contains("selections"), "{err}");
    }

    #[test]
    fn order_sign_ignores_selections_and_needs_a_user_reference() {
        let body = r#"{"hook":"order-sign","hookInstance":"x","context":{"userId":"nurse","patientId":"p","draftOrders":{"resourceType":"Bundle"}}}"#;
        let err = HookCall::parse(body.as_bytes()).expect_err("must be rejected");
        assert!(err.to_string().contains("userId"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_the_authorization() {
        let body = order_select(
            r#","fhirServer":"https://ehr.example/fhir","fhirAuthorization":{"access_token":"very-secret-token","token_type":"Bearer"}"#,
        );
        let call = HookCall::parse(body.as_bytes()).expect("valid call");
        assert!(!format!("{call:?}").contains("very-secret-token"));
        assert!(call
            .fhir_authorization
            .is_some_and(|raw| raw.json().contains("very-secret-token")));
    }
}
