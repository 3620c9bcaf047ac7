//! Feedback (spec section 8): `POST /cds-services/{id}/feedback`.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::identifiers::CardUuid;

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
        suggestions: Vec<String>,
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

/// An override reason Coding.
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
    if raw.card.trim().is_empty() {
        return Err("`card` must be the uuid of a card".into());
    }
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
                suggestions: suggestions.into_iter().map(|s| s.id).collect(),
            }
        }
        "overridden" => {
            let (reason, has_comment) = match raw.override_reason {
                Some(r) => (
                    r.reason.map(|c| OverrideReason {
                        system: c.system,
                        code: c.code,
                        display: c.display,
                    }),
                    r.user_comment.is_some_and(|c| !c.trim().is_empty()),
                ),
                None => (None, false),
            };
            Outcome::Overridden {
                reason,
                has_comment,
            }
        }
        other => {
            return Err(format!(
                "`outcome` must be `accepted` or `overridden`, not `{other}`"
            ));
        }
    };
    Ok(Feedback {
        card,
        outcome,
        outcome_timestamp,
    })
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
        assert_eq!(err.to_string(), "feedback[0]: `card` must be a uuid");
        let long = format!("{}0", "0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060");
        let body = format!(
            r#"{{"feedback":[{{"card":"{long}","outcome":"overridden","outcomeTimestamp":"2021-12-11T10:05:31Z"}}]}}"#
        );
        let err = parse_feedback(body.as_bytes()).expect_err("must be rejected");
        assert!(err.to_string().contains("at most 36 characters"), "{err}");
    }

    #[test]
    fn timestamp_that_is_not_rfc3339_is_rejected() {
        let body = br#"{"feedback":[{"card":"0f6b2c1e-7a55-4c1b-9f7c-1d2e3f405060","outcome":"overridden","outcomeTimestamp":"11/12/2021"}]}"#;
        let err = parse_feedback(body).expect_err("must be rejected");
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }
}
