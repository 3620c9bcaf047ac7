//! What the rules produce: CDS cards as domain types (section 6 of the clinical rules). The
//! service turns them into the CDS Hooks wire shape and gives them their uuids (so the rules'
//! output is a pure function of facts and configuration); nothing here knows HTTP, JSON or FHIR.

pub use fhir_mapping::proposal::{ActionKind, ProposedAction};

/// The one fixed code system of `source.topic` codes (documented in the README).
pub const TOPIC_SYSTEM: &str = "https://oms-cds.dev/fhir/CodeSystem/card-topic";

/// The code system of the override reasons the service offers on warning cards.
pub const OVERRIDE_REASON_SYSTEM: &str = "https://oms-cds.dev/fhir/CodeSystem/override-reason";

/// A card's urgency (`indicator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// `info`
    Info,
    /// `warning`
    Warning,
    /// `critical`
    Critical,
}

impl Indicator {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            Indicator::Info => "info",
            Indicator::Warning => "warning",
            Indicator::Critical => "critical",
        }
    }
}

/// The topic of a card: what tests and governance key on (`source.topic.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Primary: no rituximab on record.
    RituximabFullCourse,
    /// Primary: full course on record, not refractory.
    RituximabRedose,
    /// Primary: less than a full course on record.
    RituximabPartialPrior,
    /// Primary: refractory to rituximab.
    CyclophosphamideDexamethasonePulses,
    /// Primary: highly refractory.
    SpecialistReferral,
    /// Only ambiguous OMS codes on record.
    DiagnosisUnconfirmed,
    /// Young or fertility concern with cyclophosphamide in play.
    FertilityPreferRituximab,
    /// Neuroblastoma present and not resected.
    NeuroblastomaResection,
    /// No neuroblastoma work-up on record.
    NeuroblastomaScreening,
    /// Relapse on oral steroids.
    IvMethylprednisolone,
    /// A corticosteroid order in play.
    CorticosteroidOptions,
    /// Severe OMS.
    CombinationTherapy,
    /// Rituximab in play without HBV screening.
    HepatitisBScreening,
    /// An ordered dose far from the computed dose.
    DoseCheck,
    /// A dose is needed but weight or height is missing, stale, implausible or inconsistent.
    MissingBodyMeasurements,
    /// Age 18 or over.
    AdultPatient,
    /// `order-sign`: monitoring and cognitive rehabilitation.
    MonitoringAndRehabilitation,
    /// Pregnant, with rituximab or cyclophosphamide in play or proposed.
    Pregnancy,
    /// Adult-onset OMS without a recent tumour work-up.
    TumourScreening,
    /// Rituximab in play or proposed with a positive HBsAg or anti-HBc.
    HepatitisBReactivationRisk,
}

impl Topic {
    /// Every topic, in a stable order.
    pub const ALL: [Topic; 20] = [
        Topic::RituximabFullCourse,
        Topic::RituximabRedose,
        Topic::RituximabPartialPrior,
        Topic::CyclophosphamideDexamethasonePulses,
        Topic::SpecialistReferral,
        Topic::DiagnosisUnconfirmed,
        Topic::FertilityPreferRituximab,
        Topic::NeuroblastomaResection,
        Topic::NeuroblastomaScreening,
        Topic::IvMethylprednisolone,
        Topic::CorticosteroidOptions,
        Topic::CombinationTherapy,
        Topic::HepatitisBScreening,
        Topic::DoseCheck,
        Topic::MissingBodyMeasurements,
        Topic::AdultPatient,
        Topic::MonitoringAndRehabilitation,
        Topic::Pregnancy,
        Topic::TumourScreening,
        Topic::HepatitisBReactivationRisk,
    ];

    /// The topic code of the card contract (section 6).
    pub fn code(self) -> &'static str {
        match self {
            Topic::RituximabFullCourse => "rituximab-full-course",
            Topic::RituximabRedose => "rituximab-redose",
            Topic::RituximabPartialPrior => "rituximab-partial-prior",
            Topic::CyclophosphamideDexamethasonePulses => "cyclophosphamide-dexamethasone-pulses",
            Topic::SpecialistReferral => "specialist-referral",
            Topic::DiagnosisUnconfirmed => "diagnosis-unconfirmed",
            Topic::FertilityPreferRituximab => "fertility-prefer-rituximab",
            Topic::NeuroblastomaResection => "neuroblastoma-resection",
            Topic::NeuroblastomaScreening => "neuroblastoma-screening",
            Topic::IvMethylprednisolone => "iv-methylprednisolone",
            Topic::CorticosteroidOptions => "corticosteroid-options",
            Topic::CombinationTherapy => "combination-therapy",
            Topic::HepatitisBScreening => "hepatitis-b-screening",
            Topic::DoseCheck => "dose-check",
            Topic::MissingBodyMeasurements => "missing-body-measurements",
            Topic::AdultPatient => "adult-patient",
            Topic::MonitoringAndRehabilitation => "monitoring-and-rehabilitation",
            Topic::Pregnancy => "pregnancy",
            Topic::TumourScreening => "tumour-screening",
            Topic::HepatitisBReactivationRisk => "hepatitis-b-reactivation-risk",
        }
    }

    /// A human-readable name for `source.topic.display`.
    pub fn display(self) -> &'static str {
        match self {
            Topic::RituximabFullCourse => "Rituximab full course",
            Topic::RituximabRedose => "Single additional rituximab dose",
            Topic::RituximabPartialPrior => "Rituximab after a partial course",
            Topic::CyclophosphamideDexamethasonePulses => "Cyclophosphamide + dexamethasone pulses",
            Topic::SpecialistReferral => "OMS specialist referral",
            Topic::DiagnosisUnconfirmed => "OMS diagnosis unconfirmed",
            Topic::FertilityPreferRituximab => "Fertility: prefer rituximab",
            Topic::NeuroblastomaResection => "Neuroblastoma resection",
            Topic::NeuroblastomaScreening => "Neuroblastoma screening",
            Topic::IvMethylprednisolone => "IV methylprednisolone pulse",
            Topic::CorticosteroidOptions => "Corticosteroid options",
            Topic::CombinationTherapy => "Combination therapy",
            Topic::HepatitisBScreening => "Hepatitis B screening",
            Topic::DoseCheck => "Dose check",
            Topic::MissingBodyMeasurements => "Missing body measurements",
            Topic::AdultPatient => "Adult patient",
            Topic::MonitoringAndRehabilitation => "Monitoring and cognitive rehabilitation",
            Topic::Pregnancy => "Pregnancy",
            Topic::TumourScreening => "Tumour screening in adult-onset OMS",
            Topic::HepatitisBReactivationRisk => "Hepatitis B reactivation risk",
        }
    }

    /// Looks a topic up by its code.
    pub fn from_code(code: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|topic| topic.code() == code)
    }
}

/// A code with its system and display (CDS Hooks' trimmed Coding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coding {
    /// Code system URI.
    pub system: String,
    /// The code.
    pub code: String,
    /// Human-readable text.
    pub display: String,
}

/// `selectionBehavior` of a card with suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionBehavior {
    /// `at-most-one`
    AtMostOne,
    /// `any`
    Any,
}

impl SelectionBehavior {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            SelectionBehavior::AtMostOne => "at-most-one",
            SelectionBehavior::Any => "any",
        }
    }
}

/// A suggestion: actions applied together.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Button text.
    pub label: String,
    /// At most one per card with `at-most-one`.
    pub is_recommended: bool,
    /// The actions, as proposals: the service renders them as FHIR.
    pub actions: Vec<ProposedAction>,
}

/// A link to evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Link text.
    pub label: String,
    /// Absolute URL (a DOI URL for evidence).
    pub url: String,
}

/// A CDS card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// What the card is about.
    pub topic: Topic,
    /// Whether this card is the call's primary recommendation.
    pub is_primary: bool,
    /// One sentence, under 140 characters.
    pub summary: String,
    /// GitHub-flavoured markdown: recommendation, working, evidence, references, data issues.
    pub detail: String,
    /// Urgency.
    pub indicator: Indicator,
    /// `source.label`: the guideline's name and version.
    pub source_label: String,
    /// Suggestions (may be empty).
    pub suggestions: Vec<Suggestion>,
    /// Present whenever there are suggestions.
    pub selection_behavior: Option<SelectionBehavior>,
    /// Present on every warning card.
    pub override_reasons: Vec<Coding>,
    /// Evidence links.
    pub links: Vec<Link>,
    /// The FHIR references of the facts behind the card (`Condition/123`), for audit: carried
    /// in the card's `extension`, never in its visible text.
    pub references: Vec<fhir_mapping::FhirRef>,
}
