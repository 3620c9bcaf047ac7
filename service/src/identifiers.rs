//! Identifiers and free text that cross the edge: the hook instance of a call, the card and
//! suggestions a feedback entry is about, the issuer of a token, and the other strings the service
//! stores or logs. Each is checked once, where it arrives; identifiers then travel as their own
//! type into logs and storage, so nothing downstream sees an empty or unbounded one.
//!
//! The limits bound what a client can make the service log and store; each is well above what a
//! real EHR sends. A refusal names the field and the limit, never the value (it may be anything,
//! including a patient identifier).

use std::borrow::Cow;
use std::fmt;

/// Longest hook instance accepted. The spec asks for a UUID (36 characters); some EHRs prefix or
/// extend it, so there is room to spare while log lines and database rows stay small.
pub const MAX_HOOK_INSTANCE_CHARS: usize = 128;

/// Length of a card or suggestion uuid: the hyphenated form this service issues.
pub const MAX_CARD_UUID_CHARS: usize = 36;

/// Longest issuer accepted. An `iss` is a URL (or URN) naming the EHR; 512 characters holds any
/// real one, and it is the key of the replay cache.
pub const MAX_ISSUER_CHARS: usize = 512;

/// Longest `context.userId`, `context.patientId` or `context.encounterId`: a FHIR id is at most
/// 64 characters, a reference adds its type; the patient id goes into every prefetch URL.
pub const MAX_CONTEXT_ID_CHARS: usize = 256;

/// Longest `fhirServer` URL: a base URL, well within what HTTP clients and proxies carry.
pub const MAX_FHIR_SERVER_CHARS: usize = 2048;

/// Longest override reason `code`: this service's codes are a few words in kebab case.
pub const MAX_CODING_CODE_CHARS: usize = 64;

/// Longest override reason `system`: a code system URL.
pub const MAX_CODE_SYSTEM_CHARS: usize = 256;

/// Longest override reason `display`.
pub const MAX_CODING_DISPLAY_CHARS: usize = 256;

/// Longest override `userComment`: a page of text (only whether there was one is kept).
pub const MAX_USER_COMMENT_CHARS: usize = 4096;

/// Why a text is not a valid identifier; names the field as the caller wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIdentifier {
    /// Empty or only whitespace.
    #[error("`{field}` must not be empty")]
    Empty {
        /// The field, as named on the wire.
        field: Cow<'static, str>,
    },
    /// Longer than the field's limit (the value itself is not repeated: it may be anything).
    #[error("`{field}` must be at most {max} characters, not {length}")]
    TooLong {
        /// The field, as named on the wire.
        field: Cow<'static, str>,
        /// The limit in characters.
        max: usize,
        /// The length sent, in characters.
        length: usize,
    },
    /// Not a uuid of the form this service issues.
    #[error(
        "`{field}` must be a version 4 uuid in its hyphenated form, as this service issued it"
    )]
    NotAUuid {
        /// The field, as named on the wire.
        field: Cow<'static, str>,
    },
}

impl InvalidIdentifier {
    /// The same error for a field named more precisely, e.g. with its position in a list.
    pub fn for_field(self, name: String) -> InvalidIdentifier {
        let field = Cow::Owned(name);
        match self {
            InvalidIdentifier::Empty { .. } => InvalidIdentifier::Empty { field },
            InvalidIdentifier::TooLong { max, length, .. } => {
                InvalidIdentifier::TooLong { field, max, length }
            }
            InvalidIdentifier::NotAUuid { .. } => InvalidIdentifier::NotAUuid { field },
        }
    }
}

/// Checks a free text the service stores or logs: at most `max` characters (blank is allowed:
/// whether a blank text is an error is the field's own rule).
pub fn check_length(field: &'static str, text: &str, max: usize) -> Result<(), InvalidIdentifier> {
    // Counting stops past the limit, so a huge text costs no more than a short one.
    let length = text.chars().take(max + 1).count();
    if length > max {
        return Err(InvalidIdentifier::TooLong {
            field: Cow::Borrowed(field),
            max,
            length: text.chars().count(),
        });
    }
    Ok(())
}

/// A value named in an answer: quoted when short (a hook name, a content coding), so the caller
/// sees what was refused; otherwise described, never repeated at any length.
pub fn quoted_if_short(text: &str) -> String {
    const MAX_QUOTED_CHARS: usize = 64;
    if text.chars().nth(MAX_QUOTED_CHARS).is_none() {
        format!("`{text}`")
    } else {
        format!("of more than {MAX_QUOTED_CHARS} characters")
    }
}

/// The checks every identifier shares: not blank, at most `max` characters.
fn bounded(field: &'static str, text: &str, max: usize) -> Result<String, InvalidIdentifier> {
    if text.trim().is_empty() {
        return Err(InvalidIdentifier::Empty {
            field: Cow::Borrowed(field),
        });
    }
    check_length(field, text, max)?;
    Ok(text.to_owned())
}

/// A uuid as this service issues them (v4, hyphenated, 36 characters), kept as sent.
fn issued_uuid(field: &'static str, text: &str) -> Result<String, InvalidIdentifier> {
    let text = bounded(field, text, MAX_CARD_UUID_CHARS)?;
    let is_issued_form = text.len() == MAX_CARD_UUID_CHARS
        && uuid::Uuid::try_parse(&text).is_ok_and(|uuid| {
            uuid.get_version() == Some(uuid::Version::Random)
                && uuid.get_variant() == uuid::Variant::RFC4122
        });
    if !is_issued_form {
        return Err(InvalidIdentifier::NotAUuid {
            field: Cow::Borrowed(field),
        });
    }
    Ok(text)
}

/// The `hookInstance` of a service call: the EHR's id for this invocation of the hook.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HookInstance(String);

impl HookInstance {
    /// A hook instance of 1 to [`MAX_HOOK_INSTANCE_CHARS`] characters, not blank.
    pub fn parse(text: &str) -> Result<HookInstance, InvalidIdentifier> {
        bounded("hookInstance", text, MAX_HOOK_INSTANCE_CHARS).map(HookInstance)
    }

    /// The hook instance as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HookInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The uuid of a card this service issued, as the response gave it and feedback names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardUuid(String);

impl CardUuid {
    /// A card uuid: a v4 uuid in hyphenated form, the only kind this service issues. The text
    /// is kept as sent (not normalised), so feedback is stored under the uuid the EHR names.
    pub fn parse(text: &str) -> Result<CardUuid, InvalidIdentifier> {
        issued_uuid("card", text).map(CardUuid)
    }

    /// The uuid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CardUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The uuid of a suggestion this service issued, as feedback names it in `acceptedSuggestions`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SuggestionUuid(String);

impl SuggestionUuid {
    /// A suggestion uuid: a v4 uuid in hyphenated form, as this service issues them; kept as
    /// sent. The error names the field `acceptedSuggestions[].id`; the caller may name the entry.
    pub fn parse(text: &str) -> Result<SuggestionUuid, InvalidIdentifier> {
        issued_uuid("acceptedSuggestions[].id", text).map(SuggestionUuid)
    }

    /// The uuid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SuggestionUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The issuer (`iss`) of a token: which EHR signed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

impl Issuer {
    /// An issuer of 1 to [`MAX_ISSUER_CHARS`] characters, not blank, kept exactly as written
    /// (`iss` is compared byte for byte).
    pub fn parse(text: &str) -> Result<Issuer, InvalidIdentifier> {
        bounded("iss", text, MAX_ISSUER_CHARS).map(Issuer)
    }

    /// The issuer as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field of an error, whichever kind it is.
    fn field_of(error: &InvalidIdentifier) -> &str {
        match error {
            InvalidIdentifier::Empty { field }
            | InvalidIdentifier::TooLong { field, .. }
            | InvalidIdentifier::NotAUuid { field } => field,
        }
    }

    #[test]
    fn a_hook_instance_is_kept_as_sent_up_to_its_limit() {
        let instance = HookInstance::parse("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea").expect("valid");
        assert_eq!(instance.as_str(), "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea");
        assert_eq!(instance.to_string(), instance.as_str());
        let longest = "é".repeat(MAX_HOOK_INSTANCE_CHARS);
        assert!(
            HookInstance::parse(&longest).is_ok(),
            "the limit counts characters"
        );
    }

    #[test]
    fn an_empty_or_over_long_hook_instance_is_refused_naming_the_field() {
        assert_eq!(
            HookInstance::parse(" "),
            Err(InvalidIdentifier::Empty {
                field: "hookInstance".into()
            })
        );
        let error =
            HookInstance::parse(&"x".repeat(MAX_HOOK_INSTANCE_CHARS + 1)).expect_err("too long");
        assert_eq!(
            error.to_string(),
            "`hookInstance` must be at most 128 characters, not 129"
        );
    }

    #[test]
    fn a_card_uuid_must_be_a_hyphenated_v4_uuid() {
        let uuid = "0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060";
        assert_eq!(CardUuid::parse(uuid).expect("valid").as_str(), uuid);
        let upper = uuid.to_ascii_uppercase();
        assert_eq!(
            CardUuid::parse(&upper)
                .expect("case is not the form")
                .as_str(),
            upper,
            "kept as sent"
        );
        let not_issued = [
            "c1",
            "c232ab00-9414-11ec-b3c8-9f6bdeced846", // version 1
            "00000000-0000-0000-0000-000000000000", // nil
            "0f6b2c1e7a554c1b9f7c1d2e3f405060",     // simple form
            "0f6b2c1e-7a55-4c1b-cf7c-1d2e3f405060", // not the RFC 4122 variant
        ];
        for text in not_issued {
            assert_eq!(
                CardUuid::parse(text),
                Err(InvalidIdentifier::NotAUuid {
                    field: "card".into()
                }),
                "{text}"
            );
        }
        assert_eq!(
            CardUuid::parse(""),
            Err(InvalidIdentifier::Empty {
                field: "card".into()
            })
        );
        let urn = format!("urn:uuid:{uuid}");
        assert!(matches!(
            CardUuid::parse(&urn),
            Err(InvalidIdentifier::TooLong { max: 36, .. })
        ));
    }

    #[test]
    fn a_refusal_never_repeats_the_value() {
        let value = "Patient/4711-secret";
        let error = CardUuid::parse(value).expect_err("not a uuid");
        assert!(!error.to_string().contains(value), "{error}");
        let huge = "p".repeat(1_000_000);
        let error = HookInstance::parse(&huge).expect_err("too long");
        assert_eq!(
            error.to_string(),
            "`hookInstance` must be at most 128 characters, not 1000000"
        );
    }

    #[test]
    fn a_suggestion_uuid_is_a_hyphenated_v4_uuid_and_its_field_can_be_named_exactly() {
        let uuid = "992fb8ed-1e35-42d4-9e78-3589b54ea8eb";
        let suggestion = SuggestionUuid::parse(uuid).expect("valid");
        assert_eq!(suggestion.as_str(), uuid);
        assert_eq!(suggestion.to_string(), uuid);
        let error = SuggestionUuid::parse("sugg-1").expect_err("not a uuid");
        assert_eq!(field_of(&error), "acceptedSuggestions[].id");
        let error = error.for_field("acceptedSuggestions[2].id".to_owned());
        assert_eq!(
            error.to_string(),
            "`acceptedSuggestions[2].id` must be a version 4 uuid in its hyphenated form, as this \
             service issued it"
        );
        let error = SuggestionUuid::parse(&"s".repeat(37))
            .expect_err("too long")
            .for_field("acceptedSuggestions[0].id".to_owned());
        assert_eq!(
            error,
            InvalidIdentifier::TooLong {
                field: "acceptedSuggestions[0].id".into(),
                max: 36,
                length: 37
            }
        );
    }

    #[test]
    fn free_text_is_checked_for_length_only() {
        assert_eq!(check_length("userComment", "", 4), Ok(()));
        assert_eq!(check_length("userComment", "ééèè", 4), Ok(()));
        assert_eq!(
            check_length("userComment", "abcde", 4),
            Err(InvalidIdentifier::TooLong {
                field: "userComment".into(),
                max: 4,
                length: 5
            })
        );
    }

    #[test]
    fn a_value_is_quoted_only_when_short() {
        assert_eq!(quoted_if_short("gzip"), "`gzip`");
        assert_eq!(
            quoted_if_short(&"g".repeat(64)),
            format!("`{}`", "g".repeat(64))
        );
        assert_eq!(
            quoted_if_short(&"g".repeat(65)),
            "of more than 64 characters"
        );
    }

    #[test]
    fn an_issuer_is_kept_byte_for_byte_up_to_its_limit() {
        let issuer = Issuer::parse("https://ehr.example.org/").expect("valid");
        assert_eq!(issuer.as_str(), "https://ehr.example.org/");
        assert_eq!(issuer.to_string(), "https://ehr.example.org/");
        assert!(Issuer::parse(&"i".repeat(MAX_ISSUER_CHARS)).is_ok());
        let error = Issuer::parse(&"i".repeat(MAX_ISSUER_CHARS + 1)).expect_err("too long");
        assert!(matches!(error, InvalidIdentifier::TooLong { .. }));
        assert_eq!(field_of(&error), "iss");
        assert_eq!(
            Issuer::parse(""),
            Err(InvalidIdentifier::Empty {
                field: "iss".into()
            })
        );
    }
}
