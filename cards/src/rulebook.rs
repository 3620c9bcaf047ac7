//! The rulebook: every card's full rationale as plain data (when it fires, what it proposes, the
//! configured numbers behind it, the evidence and its strength, the safety notes that go with it),
//! so a clinician can read why a card says what it says without reading the code.
//!
//! Plain data, not HTML: the service renders it (`GET /guideline`), and nothing here knows how.
//! Every number that the configuration can change is read from the [`ClinicalConfig`] passed in,
//! so the rulebook of a running service shows the values that service applies.
//!
//! Layout:
//! - this module: the page and index types, [`page`], [`index`], [`group`].
//! - `parameters`: the configured parameter rows, one function per group of settings.
//! - `primary`, `additional`, `safety`: the pages' words, one function per topic, in the groups
//!   the index shows.
//!
//! Invariants: every [`Topic`] has a page ([`page`] matches on every topic, so a new topic does
//! not compile until it has one); a page cites evidence only through the constants of
//! [`crate::evidence`] and never says that the guideline summary "recommends" anything: the
//! strength of a claim is the strength of its primary source.

mod additional;
mod parameters;
mod primary;
mod safety;

use crate::card::Topic;
use crate::config::ClinicalConfig;
use crate::evidence::{Evidence, OFF_LABEL_NOTE};

pub use parameters::Parameter;

/// Why the rulebook names the guideline it started from without leaning on it.
pub const SOURCE_NOTE: &str =
    "The rules started from a guideline text that is an unreviewed secondary summary of the \
     literature. It is named as the rules' starting point, not as evidence: every claim in this \
     rulebook carries the strength of the study or product label beneath it, and no more.";

/// The statement every page carries: no drug here is licensed for OMS.
pub const OFF_LABEL: &str = OFF_LABEL_NOTE;

/// Where a topic sits in the rulebook's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicGroup {
    /// Exactly one of these is the primary card whenever the service speaks about a relapse.
    Primary,
    /// Cards shown beside the primary card when their own conditions hold.
    Additional,
    /// Cards that guard the doses and the data the doses are computed from.
    Safety,
}

impl TopicGroup {
    /// The groups in the order the index shows them.
    pub const ALL: [TopicGroup; 3] = [
        TopicGroup::Primary,
        TopicGroup::Additional,
        TopicGroup::Safety,
    ];

    /// The group's heading.
    pub fn heading(self) -> &'static str {
        match self {
            TopicGroup::Primary => "Primary recommendations",
            TopicGroup::Additional => "Additional cards",
            TopicGroup::Safety => "Safety",
        }
    }

    /// One paragraph on what the group's cards have in common.
    pub fn introduction(self) -> &'static str {
        match self {
            TopicGroup::Primary => {
                "Whenever the service speaks about a relapse, exactly one of these cards is the \
                 primary recommendation. Which one depends on the rituximab and cyclophosphamide \
                 history on record, read against the relapse date."
            }
            TopicGroup::Additional => {
                "Shown beside the primary card, each at most once, when its own conditions hold."
            }
            TopicGroup::Safety => {
                "Checks on the diagnosis, the doses and the data the doses are computed from. \
                 They can limit what every other card shows."
            }
        }
    }
}

/// The group a topic belongs to in the index.
pub fn group(topic: Topic) -> TopicGroup {
    match topic {
        Topic::RituximabFullCourse
        | Topic::RituximabRedose
        | Topic::RituximabPartialPrior
        | Topic::CyclophosphamideDexamethasonePulses
        | Topic::SpecialistReferral => TopicGroup::Primary,
        Topic::FertilityPreferRituximab
        | Topic::NeuroblastomaResection
        | Topic::NeuroblastomaScreening
        | Topic::IvMethylprednisolone
        | Topic::CorticosteroidOptions
        | Topic::CombinationTherapy
        | Topic::MonitoringAndRehabilitation
        | Topic::TumourScreening => TopicGroup::Additional,
        Topic::DiagnosisUnconfirmed
        | Topic::Pregnancy
        | Topic::HepatitisBReactivationRisk
        | Topic::HepatitisBScreening
        | Topic::DoseCheck
        | Topic::MissingBodyMeasurements
        | Topic::AdultPatient => TopicGroup::Safety,
    }
}

/// The guideline the rules implement, as the configuration names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidelineSource {
    /// `clinical.guideline_name`.
    pub name: String,
    /// `clinical.guideline_version`.
    pub version: String,
    /// The cards' `source.label`: name and version.
    pub label: String,
    /// What the guideline text is, and is not ([`SOURCE_NOTE`]).
    pub note: &'static str,
}

impl GuidelineSource {
    /// The guideline as the configuration names it.
    pub fn new(config: &ClinicalConfig) -> Self {
        Self {
            name: config.guideline_name.clone(),
            version: config.guideline_version.clone(),
            label: config.source_label(),
            note: SOURCE_NOTE,
        }
    }
}

/// One card's rationale.
#[derive(Debug, Clone, PartialEq)]
pub struct RulebookPage {
    /// The card's topic.
    pub topic: Topic,
    /// Where the index lists it.
    pub group: TopicGroup,
    /// The card's name (`Topic::display`).
    pub title: &'static str,
    /// One paragraph: what the card is for.
    pub purpose: &'static str,
    /// The conditions under which the card fires, as sentences.
    pub when: Vec<String>,
    /// What the card proposes, with doses, as sentences.
    pub proposes: Vec<String>,
    /// The configured numbers the card uses (possibly none).
    pub parameters: Vec<Parameter>,
    /// How strong the basis of the card is, in one paragraph.
    pub basis: &'static str,
    /// The sources the card cites, each with its strength (possibly none).
    pub evidence: Vec<Evidence>,
    /// The safety notes that go with the card's proposal (possibly none).
    pub safety: Vec<String>,
    /// The off-label statement.
    pub off_label: &'static str,
    /// The guideline and its version.
    pub source: GuidelineSource,
}

/// The words of a page, as a group module writes them; [`page`] adds what every page shares.
#[derive(Debug, Clone, Default)]
struct Content {
    purpose: &'static str,
    when: Vec<String>,
    proposes: Vec<String>,
    parameters: Vec<Parameter>,
    basis: &'static str,
    evidence: Vec<Evidence>,
    safety: Vec<String>,
}

/// The rulebook page of one topic, with the numbers of `config`.
pub fn page(topic: Topic, config: &ClinicalConfig) -> RulebookPage {
    let content = match topic {
        Topic::RituximabFullCourse => primary::rituximab_full_course(config),
        Topic::RituximabRedose => primary::rituximab_redose(config),
        Topic::RituximabPartialPrior => primary::rituximab_partial_prior(config),
        Topic::CyclophosphamideDexamethasonePulses => primary::pulses(config),
        Topic::SpecialistReferral => primary::specialist_referral(config),
        Topic::FertilityPreferRituximab => additional::fertility(config),
        Topic::NeuroblastomaResection => additional::neuroblastoma_resection(),
        Topic::NeuroblastomaScreening => additional::neuroblastoma_screening(config),
        Topic::IvMethylprednisolone => additional::iv_methylprednisolone(config),
        Topic::CorticosteroidOptions => additional::corticosteroid_options(config),
        Topic::CombinationTherapy => additional::combination_therapy(),
        Topic::MonitoringAndRehabilitation => additional::monitoring_and_rehabilitation(),
        Topic::DiagnosisUnconfirmed => safety::diagnosis_unconfirmed(),
        Topic::HepatitisBScreening => safety::hepatitis_b_screening(),
        Topic::DoseCheck => safety::dose_check(config),
        Topic::MissingBodyMeasurements => safety::missing_body_measurements(),
        Topic::AdultPatient => safety::adult_patient(config),
        Topic::Pregnancy => safety::pregnancy(),
        Topic::HepatitisBReactivationRisk => safety::hepatitis_b_reactivation_risk(),
        Topic::TumourScreening => additional::tumour_screening(config),
    };
    RulebookPage {
        topic,
        group: group(topic),
        title: topic.display(),
        purpose: content.purpose,
        when: content.when,
        proposes: content.proposes,
        parameters: content.parameters,
        basis: content.basis,
        evidence: content.evidence,
        safety: content.safety,
        off_label: OFF_LABEL,
        source: GuidelineSource::new(config),
    }
}

/// The rulebook's front page: when the service speaks at all, and every topic by group.
#[derive(Debug, Clone, PartialEq)]
pub struct RulebookIndex {
    /// The guideline and its version.
    pub source: GuidelineSource,
    /// The off-label statement.
    pub off_label: &'static str,
    /// The conditions without which the service returns no card, as sentences.
    pub speaks_when: Vec<&'static str>,
    /// What happens when they do not hold, as sentences.
    pub otherwise: Vec<&'static str>,
    /// The topics, grouped.
    pub groups: Vec<IndexGroup>,
}

/// One group of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexGroup {
    /// Which group.
    pub group: TopicGroup,
    /// The group's heading.
    pub heading: &'static str,
    /// What its cards have in common.
    pub introduction: &'static str,
    /// Its topics, in `Topic::ALL` order.
    pub entries: Vec<IndexEntry>,
}

/// One topic in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The topic.
    pub topic: Topic,
    /// The card's name.
    pub title: &'static str,
    /// The page's purpose paragraph.
    pub purpose: &'static str,
}

/// The index of the rulebook, with the guideline named as `config` names it.
pub fn index(config: &ClinicalConfig) -> RulebookIndex {
    let groups = TopicGroup::ALL
        .into_iter()
        .map(|wanted| IndexGroup {
            group: wanted,
            heading: wanted.heading(),
            introduction: wanted.introduction(),
            entries: Topic::ALL
                .into_iter()
                .filter(|topic| group(*topic) == wanted)
                .map(|topic| IndexEntry {
                    topic,
                    title: topic.display(),
                    purpose: page(topic, config).purpose,
                })
                .collect(),
        })
        .collect();
    RulebookIndex {
        source: GuidelineSource::new(config),
        off_label: OFF_LABEL,
        speaks_when: SPEAKS_WHEN.to_vec(),
        otherwise: OTHERWISE.to_vec(),
        groups,
    }
}

/// Section 1 of the rules in the rulebook's words: when the service speaks at all.
const SPEAKS_WHEN: [&str; 3] = [
    "An order for a drug used in OMS (rituximab, cyclophosphamide, dexamethasone, prednisone, \
     prednisolone, methylprednisolone, IV immunoglobulin or corticotropin) is being selected or \
     signed, and the order does not name another indication (such as neuroblastoma \
     chemotherapy). A steroid given once (a premedication or an antiemetic), or a dexamethasone \
     or methylprednisolone order below the configured share of the pulse's daily dose or by a \
     route the pulses do not use, does not make the service speak on its own; subcutaneous \
     immunoglobulin is not IV immunoglobulin.",
    "The patient's OMS Condition has the clinical status relapse or recurrence, and is not \
     refuted or entered in error. Notes and free text never make a Condition an OMS Condition.",
    "The patient is not recorded as deceased.",
];

/// Section 1 of the rules in the rulebook's words: silence is the default.
const OTHERWISE: [&str; 2] = [
    "When only an ambiguous code suggests OMS, the service answers with one card asking for the \
     diagnosis to be confirmed, and proposes no treatment.",
    "Otherwise the service returns no card: needless alerts are a patient-safety problem of their \
     own, so silence is the default.",
];

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn text_of(page: &RulebookPage) -> String {
        let mut text = vec![page.purpose.to_owned(), page.basis.to_owned()];
        text.extend(page.when.iter().cloned());
        text.extend(page.proposes.iter().cloned());
        text.extend(page.safety.iter().cloned());
        text.extend(
            page.parameters
                .iter()
                .map(|row| format!("{} {} {}", row.name, row.value, row.key)),
        );
        text.join("\n")
    }

    #[test]
    fn every_topic_has_a_page_with_its_own_title_and_words() {
        let config = ClinicalConfig::default();
        for topic in Topic::ALL {
            let page = page(topic, &config);
            assert_eq!(page.topic, topic);
            assert_eq!(page.title, topic.display());
            assert!(!page.purpose.is_empty(), "{topic:?} has no purpose");
            assert!(
                !page.when.is_empty(),
                "{topic:?} does not say when it fires"
            );
            assert!(!page.proposes.is_empty(), "{topic:?} proposes nothing");
            assert!(!page.basis.is_empty(), "{topic:?} does not state its basis");
            assert_eq!(page.off_label, OFF_LABEL_NOTE);
            assert_eq!(page.source.label, config.source_label());
        }
    }

    #[test]
    fn the_index_lists_every_topic_exactly_once_in_three_groups() {
        let index = index(&ClinicalConfig::default());
        let listed: Vec<Topic> = index
            .groups
            .iter()
            .flat_map(|group| group.entries.iter().map(|entry| entry.topic))
            .collect();
        assert_eq!(listed.len(), Topic::ALL.len());
        for topic in Topic::ALL {
            assert_eq!(
                listed.iter().filter(|t| **t == topic).count(),
                1,
                "{topic:?}"
            );
        }
        let headings: Vec<_> = index.groups.iter().map(|group| group.heading).collect();
        assert_eq!(
            headings,
            vec!["Primary recommendations", "Additional cards", "Safety"]
        );
        assert_eq!(index.groups[0].entries.len(), 5);
        assert_eq!(index.speaks_when.len(), 3);
        assert!(index
            .otherwise
            .iter()
            .any(|sentence| sentence.contains("silence")));
        assert!(index
            .off_label
            .starts_with("OMS immunotherapy is off-label"));
        assert!(index.off_label.contains("the clinician decides"));
    }

    #[test]
    fn a_changed_rituximab_dose_appears_in_the_parameters_and_the_proposal() {
        let config = ClinicalConfig {
            rituximab_mg_per_m2: Decimal::from(350),
            ..ClinicalConfig::default()
        };
        let page = page(Topic::RituximabFullCourse, &config);
        let row = page
            .parameters
            .iter()
            .find(|row| row.key == "clinical.rituximab_mg_per_m2")
            .unwrap();
        assert_eq!(row.value, "350 mg/m2 per dose");
        assert!(
            page.proposes[0].contains("350 mg/m2"),
            "{:?}",
            page.proposes
        );
        assert!(!text_of(&page).contains("375"), "{}", text_of(&page));
    }

    #[test]
    fn every_parameter_row_names_a_clinical_key_and_follows_its_configuration() {
        let defaults = ClinicalConfig::default();
        let changed = ClinicalConfig {
            full_course_min_doses: 5,
            refractory_window_months: 9,
            redose_gap_days: 75,
            adult_age_years: 16,
            dose_check_tolerance_percent: Decimal::from(15),
            cyclophosphamide_mg_per_m2: Decimal::from(600),
            methylprednisolone_cap_mg: Decimal::from(800),
            dexamethasone_rounding_mg: Decimal::new(25, 2),
            cyclophosphamide_cap_mg: Decimal::from(1100),
            cyclophosphamide_cap_mg_per_m2: Decimal::from(900),
            dexamethasone_cap_mg_per_day: Decimal::from(32),
            rituximab_min_mg_per_m2: Decimal::from(250),
            cyclophosphamide_min_mg_per_m2: Decimal::from(450),
            dexamethasone_min_mg_per_m2_per_day: Decimal::from(8),
            methylprednisolone_min_mg_per_kg: Decimal::from(15),
            full_course_min_mg_per_m2: Decimal::from(1400),
            full_course_min_mg: Decimal::from(1800),
            additional_dose_window_months: 10,
            non_response_window_days: 45,
            response_judgeable_weeks: 10,
            reproductive_potential_max_age_years: 45,
            could_be_pregnant_min_age_years: 11,
            could_be_pregnant_max_age_years: 52,
            workup_repeat_months: 18,
            regimen_order_min_percent: Decimal::from(25),
            new_course_alternative_months: 18,
            ..ClinicalConfig::default()
        };
        let expectations = [
            (
                Topic::RituximabRedose,
                "clinical.full_course_min_doses",
                "5 doses",
            ),
            (
                Topic::RituximabRedose,
                "clinical.refractory_window_months",
                "9 months",
            ),
            (
                Topic::RituximabRedose,
                "clinical.redose_gap_days",
                "75 days",
            ),
            (Topic::AdultPatient, "clinical.adult_age_years", "16 years"),
            (
                Topic::DoseCheck,
                "clinical.dose_check_tolerance_percent",
                "15%",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.cyclophosphamide_mg_per_m2",
                "600 mg/m2",
            ),
            (
                Topic::IvMethylprednisolone,
                "clinical.methylprednisolone_cap_mg",
                "800 mg",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.dexamethasone_rounding_mg",
                "0.25 mg",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.cyclophosphamide_cap_mg",
                "1100 mg per pulse (local policy)",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.cyclophosphamide_cap_mg_per_m2",
                "900 mg/m2",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.dexamethasone_cap_mg_per_day",
                "32 mg/day",
            ),
            (
                Topic::DoseCheck,
                "clinical.cyclophosphamide_cap_mg",
                "1100 mg",
            ),
            (
                Topic::DoseCheck,
                "clinical.dexamethasone_cap_mg_per_day",
                "32 mg/day",
            ),
            (
                Topic::AdultPatient,
                "clinical.cyclophosphamide_cap_mg",
                "1100 mg",
            ),
            (
                Topic::AdultPatient,
                "clinical.dexamethasone_cap_mg_per_day",
                "32 mg/day",
            ),
            (
                Topic::DoseCheck,
                "clinical.rituximab_min_mg_per_m2",
                "250 mg/m2",
            ),
            (
                Topic::DoseCheck,
                "clinical.cyclophosphamide_min_mg_per_m2",
                "450 mg/m2",
            ),
            (
                Topic::DoseCheck,
                "clinical.dexamethasone_min_mg_per_m2_per_day",
                "8 mg/m2/day",
            ),
            (
                Topic::DoseCheck,
                "clinical.methylprednisolone_min_mg_per_kg",
                "15 mg/kg/day",
            ),
            (
                Topic::DoseCheck,
                "clinical.regimen_order_min_percent",
                "25%",
            ),
            (
                Topic::IvMethylprednisolone,
                "clinical.regimen_order_min_percent",
                "25%",
            ),
            (
                Topic::RituximabFullCourse,
                "clinical.full_course_min_mg_per_m2",
                "1400 mg/m2",
            ),
            (
                Topic::RituximabFullCourse,
                "clinical.full_course_min_mg",
                "1800 mg",
            ),
            (
                Topic::RituximabRedose,
                "clinical.additional_dose_window_months",
                "10 months",
            ),
            (
                Topic::RituximabRedose,
                "clinical.non_response_window_days",
                "45 days",
            ),
            (
                Topic::RituximabPartialPrior,
                "clinical.redose_gap_days",
                "75 days",
            ),
            (
                Topic::RituximabRedose,
                "clinical.new_course_alternative_months",
                "18 months",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.response_judgeable_weeks",
                "10 weeks",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.reproductive_potential_max_age_years",
                "45 years",
            ),
            (
                Topic::FertilityPreferRituximab,
                "clinical.reproductive_potential_max_age_years",
                "45 years",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.could_be_pregnant_min_age_years",
                "11 years",
            ),
            (
                Topic::CyclophosphamideDexamethasonePulses,
                "clinical.could_be_pregnant_max_age_years",
                "52 years",
            ),
            (
                Topic::NeuroblastomaScreening,
                "clinical.workup_repeat_months",
                "18 months",
            ),
            (
                Topic::TumourScreening,
                "clinical.workup_repeat_months",
                "18 months",
            ),
        ];
        for (topic, key, value) in expectations {
            let row_of = |config: &ClinicalConfig| {
                page(topic, config)
                    .parameters
                    .into_iter()
                    .find(|row| row.key == key)
                    .unwrap_or_else(|| panic!("{topic:?} has no row for {key}"))
            };
            let changed_row = row_of(&changed);
            assert!(
                changed_row.value.starts_with(value),
                "{key}: {}",
                changed_row.value
            );
            assert_ne!(row_of(&defaults).value, changed_row.value, "{key}");
        }
        for topic in Topic::ALL {
            for row in page(topic, &defaults).parameters {
                assert!(row.key.starts_with("clinical."), "{}", row.key);
                assert!(!row.name.is_empty() && !row.value.is_empty(), "{row:?}");
            }
        }
    }

    #[test]
    fn the_guideline_is_named_from_the_configuration() {
        let config = ClinicalConfig {
            guideline_name: "Local OMS protocol".to_owned(),
            guideline_version: "7".to_owned(),
            ..ClinicalConfig::default()
        };
        let index = index(&config);
        assert_eq!(index.source.name, "Local OMS protocol");
        assert_eq!(index.source.version, "7");
        assert_eq!(index.source.label, "Local OMS protocol v7");
        assert_eq!(page(Topic::DoseCheck, &config).source, index.source);
    }

    #[test]
    fn no_page_lets_the_guideline_summary_recommend_or_rank_a_treatment() {
        let config = ClinicalConfig::default();
        for topic in Topic::ALL {
            let text = text_of(&page(topic, &config)).to_lowercase();
            for word in [
                "recommends",
                "prefers",
                "first-line",
                "first line",
                "most effective",
            ] {
                assert!(!text.contains(word), "{topic:?} says {word:?}: {text}");
            }
        }
    }

    #[test]
    fn rituximab_pages_carry_the_rituximab_safety_notes() {
        let config = ClinicalConfig::default();
        for topic in [
            Topic::RituximabFullCourse,
            Topic::RituximabRedose,
            Topic::RituximabPartialPrior,
        ] {
            let safety = page(topic, &config).safety.join("\n");
            assert!(safety.contains("hepatitis B"), "{topic:?}");
            assert!(safety.contains("live vaccines"), "{topic:?}");
            assert!(safety.contains("first infusion"), "{topic:?}");
        }
        for topic in [Topic::RituximabRedose, Topic::RituximabPartialPrior] {
            let safety = page(topic, &config).safety.join("\n");
            assert!(
                safety.contains("IgG") && safety.contains("CD19"),
                "{topic:?}"
            );
        }
        let pulses = page(Topic::CyclophosphamideDexamethasonePulses, &config)
            .safety
            .join("\n");
        for needed in [
            "pregnancy test",
            "blood count",
            "Pneumocystis",
            "live vaccines",
        ] {
            assert!(pulses.contains(needed), "{needed}: {pulses}");
        }
    }
}
