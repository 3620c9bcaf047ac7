//! FHIR R4 in, typed facts out: turns a CDS Hooks request's prefetch and draft orders into the
//! relapsed-OMS decision model (`Facts`).
//!
//! Layout:
//! - `request`: the CDS Hooks call read from bytes (`HookCall::parse`), the one request parser.
//! - `facts`: the decision model (plain domain types; no JSON, no fhirbolt).
//! - `quantity`: typed quantities (`Kilograms`, `Centimetres`, `SquareMetres`).
//! - `config`: `MappingConfig` (staleness, plausibility, BSA formula, terminology file).
//! - `parse`: every JSON and fhirbolt (de)serialisation, non-generic; Bundle envelopes via
//!   `RawValue`, each resource through fhirbolt's `Resource` enum.
//! - `index`: all resources of the request by `Type/id`, deduplicated, whatever key they came in.
//! - `codes`: value sets from data files (`terminology/value-sets.toml`), concept matching.
//! - `units`, `dates`, `elements`: UCUM conversion, partial dates, FHIR datatype readers.
//! - `patient`, `conditions`, `procedures`, `medications`, `orders`, `observations`, `bsa`: one
//!   group of facts each.
//!
//! Invariants: all fhirbolt (de)serialisation lives in `parse` behind non-generic functions,
//! because fhirbolt's typed code is slow to compile and has a parser defect with nested resources.
//! Mapping never fails on one bad resource: it becomes a `DataIssue` and the rest is used.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")
)]

mod bsa;
mod codes;
mod conditions;
mod config;
mod dates;
mod elements;
pub mod facts;
mod index;
mod medications;
mod observations;
mod orders;
mod parse;
mod patient;
mod procedures;
pub mod quantity;
mod request;
mod units;

pub use codes::Terminology;
pub use config::{ConfigError, MappingConfig};
pub use facts::*;
pub use quantity::{Centimetres, Kilograms, SquareMetres};
pub use request::{
    Hook, HookCall, InvalidHookCall, Prefetch, PrefetchKey, PrefetchValue, RawFhirAuthorization,
};

use fhirbolt::model::r4::resources::MedicationRequest;
use fhirbolt::model::r4::Resource;

use crate::index::ResourceIndex;

/// A draft order in play, kept whole so a suggestion can update it in place (opaque to the rules).
#[derive(Debug, Clone)]
pub struct DraftOrder(Box<MedicationRequest>);

impl DraftOrder {
    /// The draft MedicationRequest as the EHR sent it.
    pub fn medication_request(&self) -> &MedicationRequest {
        &self.0
    }
}

/// Serialises a FHIR resource as R4 JSON: the one place fhirbolt serialises, used by `cards` to
/// render suggested resources.
pub fn resource_to_json(resource: Resource) -> serde_json::Value {
    parse::resource_to_json(resource)
}

use time::Date;

/// A request that cannot be mapped at all (its required parts are unreadable).
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// `context.draftOrders` is not a Bundle.
    #[error("context.draftOrders is not a FHIR Bundle: {0}")]
    DraftOrdersNotABundle(String),
}

/// Maps requests to facts with one configuration and terminology (build once at start-up).
#[derive(Debug, Clone)]
pub struct Mapper {
    config: MappingConfig,
    terminology: Terminology,
}

impl Mapper {
    /// A mapper with validated configuration and loaded value sets.
    pub fn new(config: MappingConfig, terminology: Terminology) -> Mapper {
        Mapper {
            config,
            terminology,
        }
    }

    /// Maps a request to facts as of `today`. Fails only when the draft orders cannot be read
    /// at all; every other problem is a `DataIssue` in `Facts::issues`.
    pub fn map(&self, request: &HookCall, today: Date) -> Result<Facts, MappingError> {
        let mut issues = Vec::new();
        let index = ResourceIndex::build(&request.prefetch, &request.draft_orders, &mut issues)?;
        let context = Context {
            index: &index,
            terminology: &self.terminology,
            config: &self.config,
            today,
        };
        let patient = patient::patient_facts(&context, &request.patient_id, &mut issues);
        let orders =
            orders::orders_in_play(&context, request.hook, &request.selections, &mut issues);
        let history = medications::medication_history(&context, &mut issues);
        let body = bsa::body_measurements(&context, &mut issues);
        dedup_issues(&mut issues);
        Ok(Facts {
            today,
            hook: request.hook,
            patient,
            oms: conditions::oms_diagnosis(&context),
            neuroblastoma: procedures::neuroblastoma_facts(&context),
            rituximab: history.rituximab,
            cyclophosphamide: history.cyclophosphamide,
            oral_steroid: history.oral_steroid,
            fertility_concern: conditions::fertility_concern(&context),
            hepatitis_b: observations::hepatitis_b_screening(&context),
            body,
            orders,
            issues,
        })
    }
}

/// What every fact module reads: the indexed request, the value sets, the limits and the date.
pub(crate) struct Context<'a> {
    index: &'a ResourceIndex,
    terminology: &'a Terminology,
    config: &'a MappingConfig,
    today: Date,
}

/// The same problem found twice (a medication resolved for history and for an order) is
/// reported once, in first-seen order.
fn dedup_issues(issues: &mut Vec<DataIssue>) {
    let mut seen = Vec::with_capacity(issues.len());
    issues.retain(|issue| {
        if seen.contains(issue) {
            false
        } else {
            seen.push(issue.clone());
            true
        }
    });
}
