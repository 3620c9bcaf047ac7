//! The one path from a validated service call to cards: prefetch check -> fhir-mapping -> cards.
//! Shared by the HTTP handler and `oms-cds evaluate`; it glues, it decides nothing clinical.

use cards::{Card, ClinicalConfig};
use fhir_mapping::{
    DataIssue, DataIssueKind, Facts, HookCall, MappedRequest, Mapper, MappingError, PrefetchKey,
    PrefetchValue, Terminology,
};
use time::Date;

use crate::catalogue::REQUIRED_PREFETCH_KEYS;
use crate::config::Settings;
use crate::fhir_client::{KeyOutcome, PrefetchReport};

/// One evaluated call: the mapped request and the rules' cards.
#[derive(Debug)]
pub struct Evaluation {
    /// The facts and the drafts in play.
    pub mapped: MappedRequest,
    /// The cards, primary first; empty when the service stays silent.
    pub cards: Vec<Card>,
}

/// Why a call cannot be evaluated (the HTTP edge turns each into its status in `error.rs`).
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// Data the service cannot decide without is neither in the prefetch nor was obtained: each
    /// entry names a key and why it is missing.
    #[error(
        "the service cannot decide without {}; send the prefetch keys listed at GET /cds-services, \
         or a fhirServer with fhirAuthorization it may read them from",
        .missing.join(" and ")
    )]
    RequiredPrefetchMissing {
        /// One description per missing key.
        missing: Vec<String>,
    },
    /// The request cannot be read as FHIR where it must be (the draft orders are not a Bundle).
    #[error(transparent)]
    UnreadableFhir(#[from] MappingError),
}

/// The mapping and the rules, configured once at start-up.
#[derive(Debug)]
pub struct Engine {
    mapper: Mapper,
    clinical: ClinicalConfig,
    /// The mapper's value sets, kept to build the prefetch templates from.
    terminology: Terminology,
}

impl Engine {
    /// Builds the engine from validated settings (loads the value sets).
    pub fn new(settings: &Settings) -> anyhow::Result<Engine> {
        let terminology = Terminology::from_config(&settings.mapping)
            .map_err(|e| anyhow::anyhow!("mapping.terminology_file: {e}"))?;
        Ok(Engine {
            mapper: Mapper::new(settings.mapping.clone(), terminology.clone()),
            clinical: settings.clinical.clone(),
            terminology,
        })
    }

    /// The clinical configuration the rules apply (the rulebook pages show the same numbers).
    pub fn clinical(&self) -> &ClinicalConfig {
        &self.clinical
    }

    /// The value sets in force (embedded, extended by `[mapping] terminology_file`).
    pub fn terminology(&self) -> &Terminology {
        &self.terminology
    }

    /// Evaluates a call as of `today`; `report` says which prefetch keys could not be obtained.
    pub fn evaluate(
        &self,
        call: &HookCall,
        today: Date,
        report: &PrefetchReport,
    ) -> Result<Evaluation, EvaluationError> {
        let mapped = self.map(call, today, report)?;
        let cards = self.cards(&mapped.facts);
        Ok(Evaluation { mapped, cards })
    }

    /// The first half of `evaluate`: the 412 check and the mapped request (the facts the rules
    /// will read, and the drafts the response renders updates from).
    pub fn map(
        &self,
        call: &HookCall,
        today: Date,
        report: &PrefetchReport,
    ) -> Result<MappedRequest, EvaluationError> {
        require_prefetch(call, report)?;
        let mut mapped = self.mapper.map(call, today)?;
        // Required data that was sent but could not be read is as good as missing.
        let unreadable: Vec<String> = REQUIRED_PREFETCH_KEYS
            .iter()
            .filter(|key| mapped.unreadable_keys.contains(key))
            .map(|key| format!("`{key}` (sent, but none of its entries could be read as FHIR R4)"))
            .collect();
        if !unreadable.is_empty() {
            return Err(EvaluationError::RequiredPrefetchMissing {
                missing: unreadable,
            });
        }
        mapped.facts.issues.extend(optional_data_issues(report));
        Ok(mapped)
    }

    /// The second half of `evaluate`: the rules applied to the facts.
    pub fn cards(&self, facts: &Facts) -> Vec<Card> {
        cards::evaluate(facts, &self.clinical)
    }
}

/// Answers 412 when data the service cannot decide without is missing: a required key that is
/// absent, holds an OperationOutcome (the EHR hit an error), or could only be read in part
/// (pages missing). `null` means "no data" and is fine.
fn require_prefetch(call: &HookCall, report: &PrefetchReport) -> Result<(), EvaluationError> {
    let missing: Vec<String> = REQUIRED_PREFETCH_KEYS
        .iter()
        .filter_map(|key| {
            // The type read by the envelope pass when the request was parsed.
            let found = match call.prefetch.get(key) {
                Some(PrefetchValue::Resource(sent)) => sent.resource_type(),
                _ => None,
            };
            let sent = match (call.prefetch.get(key), found) {
                (None, _) => "not sent".to_owned(),
                (Some(PrefetchValue::Resource(_)), Some("OperationOutcome")) => {
                    "the EHR sent an OperationOutcome".to_owned()
                }
                (Some(PrefetchValue::Resource(_)), found) if found != Some(key.expected_type()) => {
                    format!("sent, but not a {}", key.expected_type())
                }
                (Some(_), _) if report.failure(*key).is_some() => "incomplete".to_owned(),
                (Some(_), _) => return None,
            };
            let why = report.failure(*key).map_or_else(
                || "no fhirServer was given to fetch it from".to_owned(),
                ToString::to_string,
            );
            Some(format!("`{key}` ({sent}; {why})"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(EvaluationError::RequiredPrefetchMissing { missing })
}

/// Optional data that could not be had (in full) limits the answer: the cards say so.
fn optional_data_issues(report: &PrefetchReport) -> Vec<DataIssue> {
    PrefetchKey::ALL
        .iter()
        .filter(|key| !REQUIRED_PREFETCH_KEYS.contains(key))
        .filter_map(|key| {
            let message = match report.outcome(*key)? {
                KeyOutcome::Failed(why) => format!(
                    "The `{key}` data could not be obtained ({why}); the answer may be incomplete."
                ),
                KeyOutcome::Partial(why) => format!(
                    "Only part of the `{key}` data could be obtained ({why}); the answer may be incomplete."
                ),
                KeyOutcome::Satisfied | KeyOutcome::Fetched => return None,
            };
            Some(DataIssue {
                kind: DataIssueKind::MissingOptionalData,
                source: None,
                message,
            })
        })
        .collect()
}
