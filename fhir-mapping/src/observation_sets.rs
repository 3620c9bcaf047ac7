//! The value sets Observations are read by. A fact module reaches Observations only through
//! `Context::observations_in(set)`, so this list is, by construction, every set some module
//! reads an Observation by; the index parses an Observation only when its code or text is in one
//! of them and counts the rest unparsed (a whole chart's vital signs and blood counts cost a scan,
//! not a model).

use crate::codes::{ConceptFilter, Terminology, ValueSetName};
use crate::envelope::CodeHead;

/// A value set some fact module selects Observations by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationSet {
    /// Body weight (`bsa`, `observations`).
    BodyWeight,
    /// Body height.
    BodyHeight,
    /// A body surface area Observation.
    BodySurfaceArea,
    /// Hepatitis B surface antigen (`results`).
    Hbsag,
    /// Hepatitis B core antibody.
    AntiHbc,
    /// Pregnancy status (`pregnancy`).
    PregnancyStatus,
    /// hCG tests.
    Hcg,
    /// A documented fertility concern (`conditions`).
    Fertility,
    /// Neuroblastoma screening tests (`procedures`).
    NeuroblastomaScreening,
    /// Adult tumour screening (`tumour_workup`).
    AdultTumourScreening,
}

impl ObservationSet {
    /// Every set, so every value set an Observation may be read by.
    pub const ALL: [ObservationSet; 10] = [
        ObservationSet::BodyWeight,
        ObservationSet::BodyHeight,
        ObservationSet::BodySurfaceArea,
        ObservationSet::Hbsag,
        ObservationSet::AntiHbc,
        ObservationSet::PregnancyStatus,
        ObservationSet::Hcg,
        ObservationSet::Fertility,
        ObservationSet::NeuroblastomaScreening,
        ObservationSet::AdultTumourScreening,
    ];

    /// The value set behind it.
    pub fn value_set(self) -> ValueSetName {
        match self {
            ObservationSet::BodyWeight => ValueSetName::BodyWeight,
            ObservationSet::BodyHeight => ValueSetName::BodyHeight,
            ObservationSet::BodySurfaceArea => ValueSetName::BodySurfaceArea,
            ObservationSet::Hbsag => ValueSetName::Hbsag,
            ObservationSet::AntiHbc => ValueSetName::AntiHbc,
            ObservationSet::PregnancyStatus => ValueSetName::PregnancyStatus,
            ObservationSet::Hcg => ValueSetName::Hcg,
            ObservationSet::Fertility => ValueSetName::Fertility,
            ObservationSet::NeuroblastomaScreening => ValueSetName::NeuroblastomaScreening,
            ObservationSet::AdultTumourScreening => ValueSetName::AdultTumourScreening,
        }
    }
}

/// Whether some fact module may read an Observation, from its `code`: in one of the sets by
/// code or by text (`Terminology::matches`, the widest test any module applies). Built once per
/// terminology.
#[derive(Debug, Clone)]
pub struct ObservationFilter(ConceptFilter);

impl ObservationFilter {
    /// The filter for every set of `ObservationSet::ALL` in `terminology`.
    pub fn new(terminology: &Terminology) -> ObservationFilter {
        ObservationFilter(terminology.filter(&ObservationSet::ALL.map(ObservationSet::value_set)))
    }

    /// Whether an Observation with this `code` may be read. A `code` of the wrong shape is
    /// parsed too, so that fhirbolt names what is wrong with it, as before.
    pub fn may_be_read(&self, code: &CodeHead) -> bool {
        match code {
            CodeHead::Unreadable => true,
            CodeHead::Absent => false,
            CodeHead::Concept { .. } => self.0.may_match(code),
        }
    }
}
