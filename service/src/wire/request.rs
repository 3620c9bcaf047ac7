//! The service call body (spec section 3) and the hook contexts (section 6), parsed at the edge
//! into a `HookCall` that the rest of the service can trust.

use std::collections::BTreeMap;

use fhir_mapping::{Hook, PrefetchValue};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The request body as sent. `extension` and unknown fields are accepted and ignored, so newer
/// clients keep working.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHookCall {
    hook: String,
    hook_instance: String,
    fhir_server: Option<String>,
    fhir_authorization: Option<FhirAuthorization>,
    context: Box<RawValue>,
    /// `None` for the key absent; `Some(None)` for `null`: the distinction the spec requires.
    #[serde(default)]
    prefetch: Option<BTreeMap<String, Option<Box<RawValue>>>>,
}

/// `fhirAuthorization` (spec section 5). The token is transient: never logged, never stored.
#[derive(Deserialize)]
pub struct FhirAuthorization {
    /// The bearer token for `fhirServer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// SMART scopes.
    pub scope: String,
    /// The service's client id at the EHR's authorization server.
    pub subject: String,
    /// The patient in context, when patient scopes are granted.
    pub patient: Option<String>,
}

impl std::fmt::Debug for FhirAuthorization {
    // Hand-written so the access token can never reach a log line through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FhirAuthorization")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderSelectContext {
    user_id: String,
    patient_id: String,
    #[allow(
        dead_code,
        reason = "validated for presence and type; not used by the rules"
    )]
    encounter_id: Option<String>,
    selections: Vec<String>,
    draft_orders: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderSignContext {
    user_id: String,
    patient_id: String,
    #[allow(
        dead_code,
        reason = "validated for presence and type; not used by the rules"
    )]
    encounter_id: Option<String>,
    draft_orders: Box<RawValue>,
}

/// A validated service call.
#[derive(Debug)]
pub struct HookCall {
    /// Which hook fired.
    pub hook: Hook,
    /// The invocation's id, for correlation and the issued-cards log.
    pub hook_instance: String,
    /// The EHR's FHIR base URL, when given.
    pub fhir_server: Option<String>,
    /// The token for `fhir_server`, when given.
    pub fhir_authorization: Option<FhirAuthorization>,
    /// `context.patientId`.
    pub patient_id: String,
    /// `context.selections` (empty on `order-sign`).
    pub selections: Vec<String>,
    /// `context.draftOrders`.
    pub draft_orders: Box<RawValue>,
    /// Prefetch values by key; an absent key is not in the map.
    pub prefetch: fhir_mapping::Prefetch,
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
    /// The hook is not one this service answers.
    #[error("hook `{hook}` is not served by this service; it serves: {served}")]
    UnsupportedHook {
        /// The hook sent.
        hook: String,
        /// The hooks served.
        served: String,
    },
}

/// Parses and validates a service call body for a service that serves `served_hooks`.
pub fn parse_hook_call(body: &[u8], served_hooks: &[Hook]) -> Result<HookCall, InvalidHookCall> {
    let raw: RawHookCall =
        serde_json::from_slice(body).map_err(|e| InvalidHookCall::Malformed(e.to_string()))?;
    let hook = hook_from_name(&raw.hook)
        .filter(|hook| served_hooks.contains(hook))
        .ok_or_else(|| InvalidHookCall::UnsupportedHook {
            hook: raw.hook.clone(),
            served: served_hooks
                .iter()
                .map(|h| hook_name(*h))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if raw.hook_instance.trim().is_empty() {
        return Err(InvalidHookCall::Invalid(
            "`hookInstance` must not be empty".into(),
        ));
    }
    validate_fhir_access(raw.fhir_server.as_deref(), raw.fhir_authorization.as_ref())?;

    let (user_id, patient_id, selections, draft_orders) = match hook {
        Hook::OrderSelect => {
            let context: OrderSelectContext = parse_context(&raw.context, "order-select")?;
            if context.selections.is_empty() {
                return Err(InvalidHookCall::Invalid(
                    "`context.selections` must name at least one draft order (`Type/id`)".into(),
                ));
            }
            (
                context.user_id,
                context.patient_id,
                context.selections,
                context.draft_orders,
            )
        }
        Hook::OrderSign => {
            let context: OrderSignContext = parse_context(&raw.context, "order-sign")?;
            (
                context.user_id,
                context.patient_id,
                Vec::new(),
                context.draft_orders,
            )
        }
    };
    if !is_relative_reference(&user_id) {
        return Err(InvalidHookCall::Invalid(
            "`context.userId` must be a `ResourceType/id` reference such as `Practitioner/123`"
                .into(),
        ));
    }
    if patient_id.trim().is_empty() {
        return Err(InvalidHookCall::Invalid(
            "`context.patientId` must not be empty".into(),
        ));
    }
    if let Some(bad) = selections.iter().find(|s| !is_relative_reference(s)) {
        return Err(InvalidHookCall::Invalid(format!(
            "`context.selections` entry `{bad}` is not a `ResourceType/id` reference"
        )));
    }

    let prefetch = raw
        .prefetch
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                Some(resource) => PrefetchValue::Resource(resource),
                None => PrefetchValue::Null,
            };
            (key, value)
        })
        .collect();

    Ok(HookCall {
        hook,
        hook_instance: raw.hook_instance,
        fhir_server: raw.fhir_server,
        fhir_authorization: raw.fhir_authorization,
        patient_id,
        selections,
        draft_orders,
        prefetch,
    })
}

fn parse_context<'a, T: Deserialize<'a>>(
    context: &'a RawValue,
    hook: &str,
) -> Result<T, InvalidHookCall> {
    serde_json::from_str(context.get()).map_err(|e| {
        InvalidHookCall::Invalid(format!("`context` is not a valid {hook} context: {e}"))
    })
}

fn validate_fhir_access(
    fhir_server: Option<&str>,
    authorization: Option<&FhirAuthorization>,
) -> Result<(), InvalidHookCall> {
    if let Some(server) = fhir_server {
        if !(server.starts_with("https://") || server.starts_with("http://")) {
            return Err(InvalidHookCall::Invalid(
                "`fhirServer` must be an absolute http(s) URL".into(),
            ));
        }
    }
    let Some(authorization) = authorization else {
        return Ok(());
    };
    if fhir_server.is_none() {
        return Err(InvalidHookCall::Invalid(
            "`fhirServer` is required when `fhirAuthorization` is present".into(),
        ));
    }
    if !authorization.token_type.eq_ignore_ascii_case("Bearer") {
        return Err(InvalidHookCall::Invalid(
            "`fhirAuthorization.token_type` must be `Bearer`".into(),
        ));
    }
    if authorization.access_token.is_empty() {
        return Err(InvalidHookCall::Invalid(
            "`fhirAuthorization.access_token` must not be empty".into(),
        ));
    }
    Ok(())
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

/// The hook's wire name.
pub fn hook_name(hook: Hook) -> &'static str {
    match hook {
        Hook::OrderSelect => "order-select",
        Hook::OrderSign => "order-sign",
    }
}

/// The hook for a wire name, if the service knows it.
pub fn hook_from_name(name: &str) -> Option<Hook> {
    match name {
        "order-select" => Some(Hook::OrderSelect),
        "order-sign" => Some(Hook::OrderSign),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: [Hook; 2] = [Hook::OrderSelect, Hook::OrderSign];

    fn order_select(extra: &str) -> String {
        format!(
            r#"{{"hook":"order-select","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context":{{"userId":"Practitioner/1","patientId":"p1","selections":["MedicationRequest/m1"],
            "draftOrders":{{"resourceType":"Bundle","type":"collection","entry":[]}}}}{extra}}}"#
        )
    }

    #[test]
    fn prefetch_keeps_absent_null_and_resource_apart() {
        let body = order_select(
            r#","prefetch":{"patient":{"resourceType":"Patient","id":"p1"},"conditions":null}"#,
        );
        let call = parse_hook_call(body.as_bytes(), &BOTH).expect("valid call");
        assert!(matches!(
            call.prefetch.get("patient"),
            Some(PrefetchValue::Resource(_))
        ));
        assert!(matches!(
            call.prefetch.get("conditions"),
            Some(PrefetchValue::Null)
        ));
        assert!(!call.prefetch.contains_key("procedures"));
        assert_eq!(call.selections, vec!["MedicationRequest/m1".to_string()]);
    }

    #[test]
    fn fhir_authorization_without_fhir_server_is_rejected() {
        let body = order_select(
            r#","fhirAuthorization":{"access_token":"secret","token_type":"Bearer","expires_in":300,"scope":"user/Patient.read","subject":"cds"}"#,
        );
        let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
        assert!(err.to_string().contains("fhirServer"), "{err}");
    }

    #[test]
    fn order_select_without_selections_is_rejected() {
        let body = r#"{"hook":"order-select","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"p","draftOrders":{"resourceType":"Bundle"}}}"#;
        let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
        assert!(err.to_string().contains("selections"), "{err}");
    }

    #[test]
    fn unknown_hook_names_the_served_hooks() {
        let body = r#"{"hook":"patient-view","hookInstance":"x","context":{}}"#;
        let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
        assert!(
            err.to_string().contains("order-select, order-sign"),
            "{err}"
        );
    }

    #[test]
    fn debug_output_never_shows_the_access_token() {
        let auth = FhirAuthorization {
            access_token: "very-secret-token".into(),
            token_type: "Bearer".into(),
            expires_in: 300,
            scope: "user/Patient.read".into(),
            subject: "cds".into(),
            patient: None,
        };
        assert!(!format!("{auth:?}").contains("very-secret-token"));
    }
}
