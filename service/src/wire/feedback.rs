//! Feedback (spec section 8): `POST /cds-services/{id}/feedback`.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::identifiers::{
    check_length, CardUuid, InvalidIdentifier, SuggestionUuid, MAX_CODE_SYSTEM_CHARS,
    MAX_CODING_CODE_CHARS, MAX_CODING_DISPLAY_CHARS, MAX_USER_COMMENT_CHARS,
};

#[derive(Debug, Deserialize)]
struct RawFeedbackBatch {
    feedback: Vec<RawFeedback>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFeedback {
    card: String,
    outcome: String,
    accepted_suggestions: Option<Vec<AcceptedSuggestion>>,
    override_reason: Option<RawOverrideReason>,
    outcome_timestamp: String,
}

#[derive(Debug, Deserialize)]
struct AcceptedSuggestion {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOverrideReason {
    reason: Option<ReasonCoding>,
    user_comment: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReasonCoding {
    code: String,
    system: String,
    display: Option<String>,
}

/// What the clinician did with a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted, with the uuids of the suggestions taken.
    Accepted {
        /// Suggestion uuids.
        suggestions: Vec<SuggestionUuid>,
    },
    /// Overridden, with the reason picked from the card's `overrideReasons`, if any.
    Overridden {
        /// The reason's code system and code.
        reason: Option<OverrideReason>,
        /// Whether the clinician typed a comment (the text itself is not kept: it may hold
        /// patient identifiers).
        has_comment: bool,
    },
}

impl Outcome {
    /// `accepted` or `overridden`.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// Accepted or overridden, without the details.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Accepted { .. } => OutcomeKind::Accepted,
            Outcome::Overridden { .. } => OutcomeKind::Overridden,
        }
    }
}

/// What the clinician did with a card, as stored and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// `accepted`
    Accepted,
    /// `overridden`
    Overridden,
}

impl OutcomeKind {
    /// Both kinds.
    pub const ALL: [OutcomeKind; 2] = [OutcomeKind::Accepted, OutcomeKind::Overridden];

    /// The wire (and database) code.
    pub fn code(self) -> &'static str {
        match self {
            OutcomeKind::Accepted => "accepted",
            OutcomeKind::Overridden => "overridden",
        }
    }

    /// The kind for a code; `None` for any other text.
    pub fn from_code(code: &str) -> Option<OutcomeKind> {
        OutcomeKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
    }
}

/// An override reason Coding, each part at most its limit (`MAX_CODE_SYSTEM_CHARS`,
/// `MAX_CODING_CODE_CHARS`, `MAX_CODING_DISPLAY_CHARS`): they are stored and summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideReason {
    /// Code system.
    pub system: String,
    /// Code.
    pub code: String,
    /// Display text, when sent.
    pub display: Option<String>,
}

/// One validated feedback entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The card's uuid.
    pub card: CardUuid,
    /// What happened.
    pub outcome: Outcome,
    /// When it happened, normalised to RFC 3339 UTC.
    pub outcome_timestamp: String,
}

/// Why a feedback body was rejected.
#[derive(Debug, thiserror::Error)]
pub enum InvalidFeedback {
    /// Not JSON or wrong shape.
    #[error("the request body is not a valid CDS Hooks feedback body: {0}")]
    Malformed(String),
    /// A field breaks a rule of the spec.
    #[error("feedback[{index}]: {message}")]
    Invalid {
        /// Position in the batch.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// Parses and validates a feedback body.
pub fn parse_feedback(body: &[u8]) -> Result<Vec<Feedback>, InvalidFeedback> {
    let batch: RawFeedbackBatch =
        serde_json::from_slice(body).map_err(|e| InvalidFeedback::Malformed(e.to_string()))?;
    if batch.feedback.is_empty() {
        return Err(InvalidFeedback::Malformed(
            "`feedback` must hold at least one entry".into(),
        ));
    }
    batch
        .feedback
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            validate_one(raw).map_err(|message| InvalidFeedback::Invalid { index, message })
        })
        .collect()
}

fn validate_one(raw: RawFeedback) -> Result<Feedback, String> {
    let card = CardUuid::parse(&raw.card).map_err(|e| e.to_string())?;
    let timestamp = OffsetDateTime::parse(&raw.outcome_timestamp, &Rfc3339).map_err(|_| {
        "`outcomeTimestamp` must be an RFC 3339 date-time such as 2021-12-11T10:05:31Z".to_string()
    })?;
    let outcome_timestamp = timestamp
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| format!("`outcomeTimestamp` cannot be normalised: {e}"))?;
    let outcome = match raw.outcome.as_str() {
        "accepted" => {
            let suggestions = raw.accepted_suggestions.unwrap_or_default();
            if suggestions.is_empty() {
                return Err(
                    "`acceptedSuggestions` is required when `outcome` is `accepted`".into(),
                );
            }
            Outcome::Accepted {
                suggestions: suggestion_uuids(&suggestions).map_err(|e| e.to_string())?,
            }
        }
        "overridden" => {
            let (reason, has_comment) = match raw.override_reason {
                Some(r) => (
                    r.reason
                        .map(override_reason)
                        .transpose()
                        .map_err(|e| e.to_string())?,
                    has_comment(r.user_comment.as_deref()).map_err(|e| e.to_string())?,
                ),
                None => (None, false),
            };
            Outcome::Overridden {
                reason,
                has_comment,
            }
        }
        // The value is not repeated: it may be anything, of any length.
        _ => return Err("`outcome` must be `accepted` or `overridden`".into()),
    };
    Ok(Feedback {
        card,
        outcome,
        outcome_timestamp,
    })
}

/// The accepted suggestions' uuids; a refusal names the entry (`acceptedSuggestions[1].id`).
fn suggestion_uuids(
    suggestions: &[AcceptedSuggestion],
) -> Result<Vec<SuggestionUuid>, InvalidIdentifier> {
    suggestions
        .iter()
        .enumerate()
        .map(|(index, suggestion)| {
            SuggestionUuid::parse(&suggestion.id)
                .map_err(|e| e.for_field(format!("acceptedSuggestions[{index}].id")))
        })
        .collect()
}

fn override_reason(coding: ReasonCoding) -> Result<OverrideReason, InvalidIdentifier> {
    check_length(
        "overrideReason.reason.system",
        &coding.system,
        MAX_CODE_SYSTEM_CHARS,
    )?;
    check_length(
        "overrideReason.reason.code",
        &coding.code,
        MAX_CODING_CODE_CHARS,
    )?;
    if let Some(display) = &coding.display {
        check_length(
            "overrideReason.reason.display",
            display,
            MAX_CODING_DISPLAY_CHARS,
        )?;
    }
    Ok(OverrideReason {
        system: coding.system,
        code: coding.code,
        display: coding.display,
    })
}

/// Whether the clinician typed a comment. The text is not kept (it may name the patient) but is
/// still bounded, like every string the service accepts.
fn has_comment(comment: Option<&str>) -> Result<bool, InvalidIdentifier> {
    let Some(comment) = comment else {
        return Ok(false);
    };
    check_length(
        "overrideReason.userComment",
        comment,
        MAX_USER_COMMENT_CHARS,
    )?;
    Ok(!comment.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_feedback_needs_accepted_suggestions() {
        let body = br#"{"feedback":[{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"accepted","outcomeTimestamp":"2021-12-11T10:05:31Z"}]}"#;
        let err = parse_feedback(body).expect_err("must be rejected");
        assert!(err.to_string().contains("acceptedSuggestions"), "{err}");
    }

    #[test]
    fn overridden_feedback_keeps_the_reason_but_not_the_comment() {
        let body = br#"{"feedback":[{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"overridden","outcomeTimestamp":"2021-12-11T11:05:31+01:00",
            "overrideReason":{"reason":{"system":"s","code":"c","display":"d"},"userComment":"patient 123 refused"}}]}"#;
        let feedback = parse_feedback(body).expect("valid");
        assert_eq!(feedback[0].outcome_timestamp, "2021-12-11T10:05:31Z");
        match &feedback[0].outcome {
            Outcome::Overridden {
                reason: Some(reason),
                has_comment,
            } => {
                assert_eq!(reason.code, "c");
                assert!(*has_comment);
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }

    #[test]
    fn outcome_kinds_round_trip_through_their_codes() {
        for kind in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(OutcomeKind::from_code("ignored"), None);
    }

    #[test]
    fn outcome_outside_the_enum_is_rejected() {
        let body = br#"{"feedback":[{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"ignored","outcomeTimestamp":"2021-12-11T10:05:31Z"}]}"#;
        assert!(parse_feedback(body).is_err());
    }

    #[test]
    fn a_card_that_is_not_a_uuid_is_rejected() {
        let body = br#"{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2021-12-11T10:05:31Z"}]}"#;
        let err = parse_feedback(body).expect_err("must be rejected");
        assert_eq!(
            err.to_string(),
            "feedback[0]: `card` must be a version 4 uuid in its hyphenated form, as this service \
             issued it"
        );
        let long = format!("{}0", "0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060");
        let body = format!(
            r#"{{"feedback":[{{"card":"{long}","outcome":"overridden","outcomeTimestamp":"2021-12-11T10:05:31Z"}}]}}"#
        );
        let err = parse_feedback(body.as_bytes()).expect_err("must be rejected");
        assert!(err.to_string().contains("at most 36 characters"), "{err}");
    }

    #[test]
    fn accepted_suggestions_must_be_uuids_the_service_issued() {
        let body = |id: &str| {
            format!(
                r#"{{"feedback":[{{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"accepted","outcomeTimestamp":"2021-12-11T10:05:31Z",
                "acceptedSuggestions":[{{"id":"992fb8ed-1e35-42d4-9e78-3589b54ea8eb"}},{{"id":"{id}"}}]}}]}}"#
            )
        };
        let feedback =
            parse_feedback(body("5d0a6b4e-3f7c-4b2a-8e1d-0c9b8a7f6e5d").as_bytes()).expect("valid");
        match &feedback[0].outcome {
            Outcome::Accepted { suggestions } => {
                assert_eq!(suggestions.len(), 2);
                assert_eq!(
                    suggestions[0].as_str(),
                    "992fb8ed-1e35-42d4-9e78-3589b54ea8eb"
                );
            }
            other => panic!("unexpected outcome {other:?}"),
        }
        let err = parse_feedback(body("sugg-1").as_bytes()).expect_err("must be rejected");
        assert!(
            err.to_string()
                .starts_with("feedback[0]: `acceptedSuggestions[1].id` must be a version 4 uuid"),
            "{err}"
        );
        let err = parse_feedback(body(&"s".repeat(100_000)).as_bytes()).expect_err("too long");
        assert!(
            err.to_string()
                .ends_with("must be at most 36 characters, not 100000"),
            "{err}"
        );
    }

    #[test]
    fn override_reason_parts_and_the_comment_are_bounded() {
        let body = |reason: &str| {
            format!(
                r#"{{"feedback":[{{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"overridden","outcomeTimestamp":"2021-12-11T10:05:31Z","overrideReason":{reason}}}]}}"#
            )
        };
        let long = |n: usize| "x".repeat(n);
        let cases = [
            (
                format!(r#"{{"reason":{{"system":"{}","code":"c"}}}}"#, long(257)),
                "`overrideReason.reason.system` must be at most 256 characters",
            ),
            (
                format!(r#"{{"reason":{{"system":"s","code":"{}"}}}}"#, long(65)),
                "`overrideReason.reason.code` must be at most 64 characters",
            ),
            (
                format!(
                    r#"{{"reason":{{"system":"s","code":"c","display":"{}"}}}}"#,
                    long(257)
                ),
                "`overrideReason.reason.display` must be at most 256 characters",
            ),
            (
                format!(r#"{{"userComment":"{}"}}"#, long(4097)),
                "`overrideReason.userComment` must be at most 4096 characters",
            ),
        ];
        for (reason, expected) in cases {
            let err = parse_feedback(body(&reason).as_bytes()).expect_err("must be rejected");
            assert!(err.to_string().contains(expected), "{err}");
            assert!(
                !err.to_string().contains("xxx"),
                "the value is not repeated"
            );
        }
        let at_limits = format!(
            r#"{{"reason":{{"system":"{}","code":"{}","display":"{}"}},"userComment":"{}"}}"#,
            long(256),
            long(64),
            long(256),
            long(4096)
        );
        assert!(parse_feedback(body(&at_limits).as_bytes()).is_ok());
    }

    #[test]
    fn timestamp_that_is_not_rfc3339_is_rejected() {
        let body = br#"{"feedback":[{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"overridden","outcomeTimestamp":"11/12/2021"}]}"#;
        let err = parse_feedback(body).expect_err("must be rejected");
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }
}
