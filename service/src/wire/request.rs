//! The service call as this service reads it: `fhir_mapping::HookCall::parse` (the project's
//! one request parser) plus what only the service needs, the hooks a service id serves and
//! `fhirAuthorization` (spec section 5), read here so the token lives in one redacting type.

use fhir_mapping::{Hook, HookCall};
use serde::Deserialize;

use crate::identifiers::{
    check_length, quoted_if_short, HookInstance, InvalidIdentifier, MAX_CONTEXT_ID_CHARS,
    MAX_FHIR_SERVER_CHARS,
};

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

/// A validated service call: the hook call and the EHR's FHIR access, when given.
#[derive(Debug)]
pub struct ServiceCall {
    /// The call as the mapping reads it (its raw `fhir_authorization` is taken out).
    pub call: HookCall,
    /// `call.hook_instance`, checked: what logs and the issued-cards log record.
    pub hook_instance: HookInstance,
    /// The token for `call.fhir_server`, when given.
    pub fhir_authorization: Option<FhirAuthorization>,
}

/// Why a request body is not a valid service call; the message tells the caller what to fix.
#[derive(Debug, thiserror::Error)]
pub enum InvalidHookCall {
    /// The body breaks the shape of a CDS Hooks call.
    #[error(transparent)]
    Call(#[from] fhir_mapping::InvalidHookCall),
    /// A field is present but its value breaks a rule of the spec.
    #[error("{0}")]
    Invalid(String),
    /// An identifier is blank or longer than the service accepts.
    #[error(transparent)]
    Identifier(#[from] InvalidIdentifier),
    /// The hook is not one this service answers.
    #[error("hook {hook} is not served by this service; it serves: {served}")]
    UnsupportedHook {
        /// The hook sent, quoted, or a description when it is too long to repeat.
        hook: String,
        /// The hooks served.
        served: String,
    },
}

impl InvalidHookCall {
    /// A body that is not JSON or not the shape of a call.
    pub fn malformed(why: String) -> InvalidHookCall {
        InvalidHookCall::Call(fhir_mapping::InvalidHookCall::Malformed(why))
    }
}

/// Parses and validates a service call body for a service that serves `served_hooks`.
pub fn parse_hook_call(body: &[u8], served_hooks: &[Hook]) -> Result<ServiceCall, InvalidHookCall> {
    let unsupported = |hook: String| InvalidHookCall::UnsupportedHook {
        hook: quoted_if_short(&hook),
        served: served_hooks
            .iter()
            .map(|h| h.code())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut call = HookCall::parse(body).map_err(|error| match error {
        fhir_mapping::InvalidHookCall::UnknownHook(hook) => unsupported(hook),
        other => InvalidHookCall::Call(other),
    })?;
    if !served_hooks.contains(&call.hook) {
        return Err(unsupported(call.hook.code().to_owned()));
    }
    let hook_instance = HookInstance::parse(&call.hook_instance)?;
    check_lengths(&call)?;
    let fhir_authorization = call
        .fhir_authorization
        .take()
        .map(|raw| {
            serde_json::from_str::<FhirAuthorization>(raw.json()).map_err(|e| {
                InvalidHookCall::Invalid(format!(
                    "`fhirAuthorization` is not a valid authorization object: {e}"
                ))
            })
        })
        .transpose()?;
    validate_fhir_access(call.fhir_server.as_deref(), fhir_authorization.as_ref())?;
    Ok(ServiceCall {
        call,
        hook_instance,
        fhir_authorization,
    })
}

/// The call's other strings the service keeps, logs or sends on (the patient id goes into every
/// prefetch URL), each within its limit.
fn check_lengths(call: &HookCall) -> Result<(), InvalidIdentifier> {
    check_length("context.userId", &call.user_id, MAX_CONTEXT_ID_CHARS)?;
    check_length("context.patientId", &call.patient_id, MAX_CONTEXT_ID_CHARS)?;
    if let Some(encounter) = &call.encounter_id {
        check_length("context.encounterId", encounter, MAX_CONTEXT_ID_CHARS)?;
    }
    if let Some(server) = &call.fhir_server {
        check_length("fhirServer", server, MAX_FHIR_SERVER_CHARS)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    // The call's shape (prefetch states, selections, references) is tested with the parser in
    // `fhir_mapping::request`; these tests cover what the service adds.

    const BOTH: [Hook; 2] = [Hook::OrderSelect, Hook::OrderSign];

    fn order_select(extra: &str) -> String {
        format!(
            r#"{{"hook":"order-select","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context":{{"userId":"Practitioner/1","patientId":"p1","selections":["MedicationRequest/m1"],
            "draftOrders":{{"resourceType":"Bundle","type":"collection","entry":[]}}}}{extra}}}"#
        )
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
    fn unknown_hook_names_the_served_hooks() {
        let body = r#"{"hook":"patient-view","hookInstance":"x","context":{}}"#;
        let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
        assert!(
            err.to_string().contains("order-select, order-sign"),
            "{err}"
        );
    }

    #[test]
    fn the_hook_instance_is_checked_and_kept_beside_the_call() {
        let call = parse_hook_call(order_select("").as_bytes(), &BOTH).expect("valid call");
        assert_eq!(
            call.hook_instance.as_str(),
            "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
        );
        assert_eq!(call.hook_instance.as_str(), call.call.hook_instance);
    }

    #[test]
    fn an_over_long_hook_instance_is_rejected_naming_the_field_and_the_limit() {
        let long = "h".repeat(crate::identifiers::MAX_HOOK_INSTANCE_CHARS + 1);
        let body = order_select("").replace("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", &long);
        let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
        assert!(matches!(err, InvalidHookCall::Identifier(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "`hookInstance` must be at most 128 characters, not 129"
        );
    }

    #[test]
    fn context_ids_and_the_fhir_server_are_bounded_naming_the_field() {
        let long = |n: usize| "p".repeat(n);
        let cases = [
            (
                order_select("").replace(
                    r#""patientId":"p1""#,
                    &format!(r#""patientId":"{}""#, long(257)),
                ),
                "`context.patientId` must be at most 256 characters, not 257",
            ),
            (
                // A reference's type has no length rule of its own.
                order_select("").replace("Practitioner/1", &format!("{}/1", long(300))),
                "`context.userId` must be at most 256 characters, not 302",
            ),
            (
                order_select("").replace(
                    r#""patientId":"p1""#,
                    &format!(r#""patientId":"p1","encounterId":"{}""#, long(257)),
                ),
                "`context.encounterId` must be at most 256 characters, not 257",
            ),
            (
                order_select(&format!(r#","fhirServer":"https://{}""#, long(2041))),
                "`fhirServer` must be at most 2048 characters, not 2049",
            ),
        ];
        for (body, expected) in cases {
            let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
            assert_eq!(err.to_string(), expected);
        }
        let at_limits = order_select(&format!(r#","fhirServer":"https://{}""#, long(2040)))
            .replace(
                r#""patientId":"p1""#,
                &format!(r#""patientId":"{}""#, long(256)),
            );
        assert!(parse_hook_call(at_limits.as_bytes(), &BOTH).is_ok());
    }

    #[test]
    fn an_unserved_hook_is_named_only_when_short() {
        let body = format!(
            r#"{{"hook":"{}","hookInstance":"x","context":{{}}}}"#,
            "h".repeat(65)
        );
        let err = parse_hook_call(body.as_bytes(), &BOTH).expect_err("must be rejected");
        assert_eq!(
            err.to_string(),
            "hook of more than 64 characters is not served by this service; it serves: \
             order-select, order-sign"
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
