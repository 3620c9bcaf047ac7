//! Identifiers that cross the edge: the hook instance of a call, the card a feedback entry is
//! about, the issuer of a token. Each is checked once, where it arrives, and then travels as its
//! own type into logs and storage, so nothing downstream sees an empty or unbounded one.
//!
//! The limits bound what an EHR can make the service log and store; each is well above what a
//! real EHR sends.

use std::fmt;

/// Longest hook instance accepted. The spec asks for a UUID (36 characters); some EHRs prefix or
/// extend it, so there is room to spare while log lines and database rows stay small.
pub const MAX_HOOK_INSTANCE_CHARS: usize = 128;

/// Longest card uuid accepted: a hyphenated UUID, the form this service gives its cards.
pub const MAX_CARD_UUID_CHARS: usize = 36;

/// Longest issuer accepted. An `iss` is a URL (or URN) naming the EHR; 512 characters holds any
/// real one, and it is the key of the replay cache.
pub const MAX_ISSUER_CHARS: usize = 512;

/// Why a text is not a valid identifier; names the field as the caller wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIdentifier {
    /// Empty or only whitespace.
    #[error("`{field}` must not be empty")]
    Empty {
        /// The field, as named on the wire.
        field: &'static str,
    },
    /// Longer than the field's limit (the value itself is not repeated: it may be anything).
    #[error("`{field}` must be at most {max} characters, not {length}")]
    TooLong {
        /// The field, as named on the wire.
        field: &'static str,
        /// The limit in characters.
        max: usize,
        /// The length sent, in characters.
        length: usize,
    },
    /// Not a UUID.
    #[error("`{field}` must be a uuid")]
    NotAUuid {
        /// The field, as named on the wire.
        field: &'static str,
    },
}

/// The checks every identifier shares: not blank, at most `max` characters.
fn bounded(field: &'static str, text: &str, max: usize) -> Result<String, InvalidIdentifier> {
    if text.trim().is_empty() {
        return Err(InvalidIdentifier::Empty { field });
    }
    let length = text.chars().count();
    if length > max {
        return Err(InvalidIdentifier::TooLong { field, max, length });
    }
    Ok(text.to_owned())
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
    /// A card uuid: at most [`MAX_CARD_UUID_CHARS`] characters that parse as a UUID. The text
    /// is kept as sent (not normalised), so feedback is stored under the uuid the EHR names.
    pub fn parse(text: &str) -> Result<CardUuid, InvalidIdentifier> {
        const FIELD: &str = "card";
        let text = bounded(FIELD, text, MAX_CARD_UUID_CHARS)?;
        uuid::Uuid::try_parse(&text).map_err(|_| InvalidIdentifier::NotAUuid { field: FIELD })?;
        Ok(CardUuid(text))
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
                field: "hookInstance"
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
    fn a_card_uuid_must_be_a_uuid_of_at_most_36_characters() {
        let uuid = "0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060";
        assert_eq!(CardUuid::parse(uuid).expect("valid").as_str(), uuid);
        assert_eq!(
            CardUuid::parse("c1"),
            Err(InvalidIdentifier::NotAUuid { field: "card" })
        );
        assert_eq!(
            CardUuid::parse(""),
            Err(InvalidIdentifier::Empty { field: "card" })
        );
        let urn = format!("urn:uuid:{uuid}");
        assert!(matches!(
            CardUuid::parse(&urn),
            Err(InvalidIdentifier::TooLong { max: 36, .. })
        ));
    }

    #[test]
    fn an_issuer_is_kept_byte_for_byte_up_to_its_limit() {
        let issuer = Issuer::parse("https://ehr.example.org/").expect("valid");
        assert_eq!(issuer.as_str(), "https://ehr.example.org/");
        assert_eq!(issuer.to_string(), "https://ehr.example.org/");
        assert!(Issuer::parse(&"i".repeat(MAX_ISSUER_CHARS)).is_ok());
        assert!(matches!(
            Issuer::parse(&"i".repeat(MAX_ISSUER_CHARS + 1)),
            Err(InvalidIdentifier::TooLong { field: "iss", .. })
        ));
        assert_eq!(
            Issuer::parse(""),
            Err(InvalidIdentifier::Empty { field: "iss" })
        );
    }
}
