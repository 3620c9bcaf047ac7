//! The one FHIR boundary of the project, both ways: a CDS Hooks request's prefetch and draft
//! orders in, the relapsed-OMS decision model (`Facts`) out; and the rules' proposals (orders,
//! dosages, referrals as plain types in `proposal`) rendered as FHIR R4 resources (`render`).
//!
//! Layout:
//! - `request`: the CDS Hooks call read from bytes (`HookCall::parse`), the one request parser.
//! - `facts`: the decision model (plain domain types; no JSON, no fhirbolt).
//! - `proposal`: what the rules propose (orders, dosages, actions), plain domain types.
//! - `render`: proposals -> FHIR R4 resources; an update starts from the draft as sent.
//! - `quantity`: exact quantities (`Kilograms`, `Centimetres`, `SquareMetres`, `Milligrams`).
//! - `config`: `MappingConfig` (staleness, plausibility, BSA formula, terminology file).
//! - `envelope`: one pass over a resource's JSON for its type, id, subject, code and (a Bundle)
//!   next link and entries, without building a model.
//! - `parse`: every fhirbolt (de)serialisation, non-generic, each resource through fhirbolt's
//!   `Resource` enum.
//! - `index`: all resources of the request by `Type/id`, deduplicated, whatever key they came in.
//! - `codes`: value sets from data files (`terminology/value-sets.toml`), concept matching.
//! - `units`, `dates`, `elements`: UCUM conversion, partial dates, FHIR datatype readers.
//! - `observation_sets`: the value sets Observations are read by (`Context::observations_in`).
//! - `patient`, `conditions`, `procedures`, `medications`, `orders`, `observations`, `bsa`,
//!   `results`, `allergies`, `pregnancy`, `tumour_workup`, `currency`, `subject`: one group of
//!   facts (or one check) each.
//!
//! Invariants: no public item of `facts` or `proposal` names a fhirbolt or JSON type; all
//! fhirbolt (de)serialisation lives in `parse` behind non-generic functions,
//! because fhirbolt's typed code is slow to compile and has a parser defect with nested resources.
//! Mapping never fails on one bad resource: it becomes a `DataIssue` and the rest is used.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")
)]

mod allergies;
mod bsa;
mod codes;
mod conditions;
mod config;
mod currency;
mod dates;
mod elements;
mod envelope;
pub mod facts;
mod index;
mod medications;
mod observation_sets;
mod observations;
mod orders;
mod parse;
mod patient;
mod pregnancy;
mod procedures;
pub mod proposal;
pub mod quantity;
mod render;
mod request;
mod results;
mod subject;
mod tumour_workup;
mod units;

pub use codes::Terminology;
pub use config::{ConfigError, MappingConfig};
pub use facts::*;
pub use parse::parser_panic_is_contained;
pub use quantity::{Centimetres, Kilograms, Milligrams, SquareMetres};
pub use render::{render_action, RenderContext, RenderedAction};
pub use request::{
    Hook, HookCall, InvalidHookCall, Prefetch, PrefetchKey, PrefetchValue, RawFhirAuthorization,
    SentResource,
};

use std::collections::BTreeMap;

use fhirbolt::model::r4::resources::{MedicationRequest, Observation};
use time::Date;

use crate::index::ResourceIndex;
use crate::observation_sets::{ObservationFilter, ObservationSet};

/// The draft orders in play as the EHR sent them, by reference: what an update suggestion starts
/// from. Opaque: only the renderer reads them.
#[derive(Debug, Clone, Default)]
pub struct DraftOrders(BTreeMap<FhirRef, Box<MedicationRequest>>);

impl DraftOrders {
    fn insert(&mut self, reference: FhirRef, request: Box<MedicationRequest>) {
        self.0.insert(reference, request);
    }

    fn get(&self, reference: &FhirRef) -> Option<&MedicationRequest> {
        self.0.get(reference).map(|request| &**request)
    }

    /// How many drafts are kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no draft is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A request read through the mapping: the facts the rules decide on, and the drafts in play the
/// renderer needs for update suggestions.
#[derive(Debug, Clone)]
pub struct MappedRequest {
    /// The decision model's facts.
    pub facts: Facts,
    /// The draft orders in play, as sent.
    pub drafts: DraftOrders,
    /// Prefetch keys sent with resources none of which could be read as FHIR R4.
    pub unreadable_keys: Vec<PrefetchKey>,
    /// Prefetch resources counted but not parsed, since no fact module reads them (a chart's
    /// vital signs and blood counts, Encounters, Immunizations...).
    pub unparsed_resources: usize,
}

/// A request that cannot be mapped at all (its required parts are unreadable).
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// `context.draftOrders` is not a Bundle.
    #[error("context.draftOrders is not a FHIR Bundle: {0}")]
    DraftOrdersNotABundle(String),
    /// The prefetched Patient is another patient than `context.patientId` (no id is named: the
    /// message may reach logs and the EHR).
    #[error(
        "the prefetched Patient is not the patient in context (context.patientId); nothing in this \
         request can be trusted to be about that patient"
    )]
    PatientMismatch,
    /// More resources than `[mapping] max_resources` (the rest were not read).
    #[error(
        "the request carries more than {limit} FHIR resources (prefetch and draft orders \
         together), the most this service reads in one call"
    )]
    TooManyResources {
        /// The configured limit.
        limit: usize,
    },
}

/// Maps requests to facts with one configuration and terminology (build once at start-up).
#[derive(Debug, Clone)]
pub struct Mapper {
    config: MappingConfig,
    terminology: Terminology,
    /// Which Observations some fact module may read, from the same terminology.
    observations: ObservationFilter,
}

impl Mapper {
    /// A mapper with validated configuration and loaded value sets.
    pub fn new(config: MappingConfig, terminology: Terminology) -> Mapper {
        Mapper {
            observations: ObservationFilter::new(&terminology),
            config,
            terminology,
        }
    }

    /// Maps a request to facts as of `today`. Fails only when the draft orders cannot be read
    /// at all; every other problem is a `DataIssue` in `Facts::issues`.
    pub fn map(&self, request: &HookCall, today: Date) -> Result<MappedRequest, MappingError> {
        let mut issues = Vec::new();
        let index = ResourceIndex::build(
            &request.prefetch,
            &request.draft_orders,
            &request.patient_id,
            self.config.max_resources,
            &self.observations,
            &mut issues,
        )?;
        let context = Context {
            index: &index,
            terminology: &self.terminology,
            config: &self.config,
            today,
        };
        let patient = patient::patient_facts(&context, &request.patient_id, &mut issues);
        let (orders, drafts) =
            orders::orders_in_play(&context, request.hook, &request.selections, &mut issues);
        // An order given for another condition is not an OMS order: kept apart, so that no rule
        // can update, delete or dose-check it.
        let (orders_for_other_indications, orders): (Vec<_>, Vec<_>) = orders
            .into_iter()
            .partition(|order| order.indication == OrderIndication::OtherCondition);
        let history = medications::medication_history(&context, &mut issues);
        let body = bsa::body_measurements(&context, patient.age, &mut issues);
        let oms = conditions::oms_diagnosis(&context);
        let oms_onset = match &oms {
            OmsDiagnosis::Confirmed(condition) => condition.onset,
            _ => None,
        };
        let mut rituximab_reactions = allergies::rituximab_allergies(&context);
        rituximab_reactions.extend(history.rituximab_reactions);
        rituximab_reactions
            .sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.source.cmp(&b.source)));
        dedup_issues(&mut issues);
        let facts = Facts {
            today,
            hook: request.hook,
            patient,
            oms,
            neuroblastoma: procedures::neuroblastoma_facts(&context),
            rituximab: history.rituximab,
            cyclophosphamide: history.cyclophosphamide,
            oral_steroid: history.oral_steroid,
            fertility_concern: conditions::fertility_concern(&context),
            hepatitis_b: results::hepatitis_b_screening(&context),
            rituximab_reactions,
            pregnancy: pregnancy::pregnancy(&context),
            adult_tumour_workup: tumour_workup::adult_tumour_workup(&context, oms_onset),
            body,
            orders,
            orders_for_other_indications,
            issues,
        };
        Ok(MappedRequest {
            facts,
            drafts,
            unreadable_keys: index.unreadable_keys().collect(),
            unparsed_resources: index.unparsed(),
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

impl<'a> Context<'a> {
    /// The Observations whose code or text is in `set` (`Terminology::matches`, so a module that
    /// selects by that test needs no other): the only way a fact module reaches Observations, so
    /// that the index may leave every other one unparsed.
    fn observations_in(
        &self,
        set: ObservationSet,
    ) -> impl Iterator<Item = (&'a FhirRef, &'a Observation)> + 'a {
        let terminology = self.terminology;
        self.index
            .observations()
            .filter(move |(_, observation)| terminology.matches(set.value_set(), &observation.code))
    }
}

/// The same problem found twice (a medication resolved for history and for an order) is
/// reported once, in first-seen order. Linear: a request with tens of thousands of unreadable
/// entries must not cost quadratic time.
fn dedup_issues(issues: &mut Vec<DataIssue>) {
    let mut seen = std::collections::HashSet::with_capacity(issues.len());
    issues.retain(|issue| seen.insert(issue.clone()));
}
