//! Terminology: the value sets of section 3, read from data files (embedded
//! `terminology/value-sets.toml`, plus an optional deployment file), and matching of FHIR
//! CodeableConcepts against them.
//!
//! Invariant: no clinical code appears in Rust code; every code lives in a value-set file, so a
//! terminology team can correct one without a release.

use std::collections::BTreeMap;

use fhirbolt::model::r4::types::CodeableConcept;
use serde::Deserialize;

use crate::config::{ConfigError, MappingConfig};
use crate::envelope::CodeHead;
use crate::facts::MedicationClass;

const EMBEDDED_VALUE_SETS: &str = include_str!("../terminology/value-sets.toml");

/// The value sets the mapping knows. Drugs are one vocabulary: a medication value set is named by
/// its `MedicationClass`, the same type the facts, the rules and the rendered orders use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValueSetName {
    /// Opsoclonus-myoclonus syndrome, specific codes and text.
    Oms,
    /// Codes that mean OMS only with corroborating text (G25.3, H55.89).
    OmsAmbiguous,
    /// Neuroblastoma.
    Neuroblastoma,
    /// Procedures that are a neuroblastoma resection by code alone.
    NeuroblastomaResection,
    /// Words that make a procedure a resection (combined with neuroblastoma text).
    Resection,
    /// Neuroblastoma screening tests (catecholamines, MIBG, imaging).
    NeuroblastomaScreening,
    /// A documented fertility concern.
    Fertility,
    /// Severity: severe.
    SeveritySevere,
    /// Severity: moderate.
    SeverityModerate,
    /// Severity: mild.
    SeverityMild,
    /// A medication class the rules know.
    Medication(MedicationClass),
    /// Body weight Observations.
    BodyWeight,
    /// Body height Observations.
    BodyHeight,
    /// Body surface area Observations.
    BodySurfaceArea,
    /// Hepatitis B surface antigen.
    Hbsag,
    /// Hepatitis B core antibody.
    AntiHbc,
    /// Intravenous route.
    RouteIntravenous,
    /// Oral route.
    RouteOral,
    /// Subcutaneous route.
    RouteSubcutaneous,
    /// Words that negate a finding in free text ("ruled out", "no", "not").
    Negation,
    /// OMS symptoms an order may be given for (opsoclonus, myoclonus, ataxia).
    OmsSymptom,
    /// A qualitative result that cannot be read ("equivocal").
    ResultUnreadable,
    /// A negative result.
    ResultNegative,
    /// A positive result.
    ResultPositive,
    /// Words that make a stop reason or an allergy manifestation a drug reaction.
    DrugReaction,
    /// Anti-CD20 antibodies (rituximab, ofatumumab, ocrelizumab, obinutuzumab): an allergy to
    /// any of them is a rituximab allergy.
    AntiCd20,
    /// Pregnancy Conditions.
    Pregnancy,
    /// Pregnancy-status Observations (LOINC 82810-3).
    PregnancyStatus,
    /// Human chorionic gonadotropin tests (urine and serum).
    Hcg,
    /// Adult tumour screening: imaging of chest, abdomen and pelvis, FDG-PET, breast imaging,
    /// pelvic or testicular ultrasound, onconeural antibodies.
    AdultTumourScreening,
    /// Malignancy Conditions.
    Malignancy,
    /// Oral dose forms named in a product's text (a route when the order gives none).
    OralForm,
}

/// Every value set by its name in the data file (`[rituximab]`, `[body_weight]`...): one list,
/// read when a data file is loaded.
const FILE_NAMES: [(&str, ValueSetName); 40] = {
    use MedicationClass as Class;
    use ValueSetName as Set;
    [
        ("oms", Set::Oms),
        ("oms_ambiguous", Set::OmsAmbiguous),
        ("neuroblastoma", Set::Neuroblastoma),
        ("neuroblastoma_resection", Set::NeuroblastomaResection),
        ("resection", Set::Resection),
        ("neuroblastoma_screening", Set::NeuroblastomaScreening),
        ("fertility", Set::Fertility),
        ("severity_severe", Set::SeveritySevere),
        ("severity_moderate", Set::SeverityModerate),
        ("severity_mild", Set::SeverityMild),
        (
            "rituximab_subcutaneous",
            Set::Medication(Class::RituximabSubcutaneous),
        ),
        ("rituximab", Set::Medication(Class::Rituximab)),
        ("cyclophosphamide", Set::Medication(Class::Cyclophosphamide)),
        ("dexamethasone", Set::Medication(Class::Dexamethasone)),
        ("prednisone", Set::Medication(Class::Prednisone)),
        ("prednisolone", Set::Medication(Class::Prednisolone)),
        (
            "methylprednisolone",
            Set::Medication(Class::Methylprednisolone),
        ),
        ("ivig", Set::Medication(Class::Ivig)),
        ("corticotropin", Set::Medication(Class::Corticotropin)),
        ("body_weight", Set::BodyWeight),
        ("body_height", Set::BodyHeight),
        ("body_surface_area", Set::BodySurfaceArea),
        ("hbsag", Set::Hbsag),
        ("anti_hbc", Set::AntiHbc),
        ("route_intravenous", Set::RouteIntravenous),
        ("route_oral", Set::RouteOral),
        ("route_subcutaneous", Set::RouteSubcutaneous),
        ("negation", Set::Negation),
        ("oms_symptom", Set::OmsSymptom),
        ("result_unreadable", Set::ResultUnreadable),
        ("result_negative", Set::ResultNegative),
        ("result_positive", Set::ResultPositive),
        ("drug_reaction", Set::DrugReaction),
        ("anti_cd20", Set::AntiCd20),
        ("pregnancy", Set::Pregnancy),
        ("pregnancy_status", Set::PregnancyStatus),
        ("hcg", Set::Hcg),
        ("adult_tumour_screening", Set::AdultTumourScreening),
        ("malignancy", Set::Malignancy),
        ("oral_form", Set::OralForm),
    ]
};

/// The order in which medication value sets are tried: subcutaneous rituximab before rituximab,
/// methylprednisolone before the other steroids.
const MEDICATION_CLASSES: [MedicationClass; 9] = [
    MedicationClass::RituximabSubcutaneous,
    MedicationClass::Rituximab,
    MedicationClass::Cyclophosphamide,
    MedicationClass::Methylprednisolone,
    MedicationClass::Dexamethasone,
    MedicationClass::Prednisolone,
    MedicationClass::Prednisone,
    MedicationClass::Ivig,
    MedicationClass::Corticotropin,
];

/// One code of a value set, as written in the data file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeEntry {
    system: String,
    code: String,
    #[serde(default)]
    display: Option<String>,
    /// From a secondary source; kept, flagged for checking.
    #[serde(default)]
    verify: bool,
    /// Matches every code starting with `code` (ATC groups).
    #[serde(default)]
    prefix: bool,
}

impl CodeEntry {
    fn matches(&self, system: &str, code: &str) -> bool {
        self.system == system
            && if self.prefix {
                code.starts_with(&self.code)
            } else {
                self.code == code
            }
    }
}

/// One value set as written in a data file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueSetEntry {
    #[serde(default)]
    codes: Vec<CodeEntry>,
    #[serde(default)]
    text: Vec<String>,
    /// In a deployment file: replace the embedded set instead of extending it.
    #[serde(default)]
    replace: bool,
}

/// A loaded value set: codes and tokenised text phrases.
#[derive(Debug, Clone, Default)]
struct ValueSet {
    codes: Vec<CodeEntry>,
    phrases: Phrases,
}

/// Text phrases as lower-cased words, with the words that begin them, sorted, so a text none of
/// whose words begins a phrase is rejected without splitting it into allocated words (the case
/// of almost every text read).
#[derive(Debug, Clone, Default)]
struct Phrases {
    phrases: Vec<Vec<String>>,
    /// The first word of every phrase, sorted (byte order), each once.
    first_words: Vec<String>,
    /// Per first letter (a-z) of the ASCII first words, a bit per length (bit 63: 63 or more):
    /// most words of a text are turned away by one lookup, before any comparison.
    ascii_shapes: [u64; 26],
}

impl Phrases {
    fn new(phrases: Vec<Vec<String>>) -> Phrases {
        let mut first_words: Vec<String> = phrases
            .iter()
            .filter_map(|phrase| phrase.first().cloned())
            .collect();
        first_words.sort();
        first_words.dedup();
        let mut ascii_shapes = [0; 26];
        for word in first_words.iter().filter(|word| word.is_ascii()) {
            if let Some(letter) = word.bytes().next().and_then(letter_index) {
                ascii_shapes[letter] |= length_bit(word.len());
            }
        }
        Phrases {
            phrases,
            first_words,
            ascii_shapes,
        }
    }

    /// Whether one of the phrases occurs in `text`, as whole lower-cased words (`words`).
    fn found_in(&self, text: &str) -> bool {
        let may_start_a_phrase = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .any(|word| self.begins_a_phrase(word));
        if !may_start_a_phrase {
            return false;
        }
        let tokens = words(text);
        self.phrases.iter().any(|phrase| {
            tokens
                .windows(phrase.len())
                .any(|window| window == phrase.as_slice())
        })
    }

    /// Whether the word, lower-cased as `words` lower-cases it, begins some phrase.
    fn begins_a_phrase(&self, word: &str) -> bool {
        if word.is_ascii() {
            // No ASCII first word of this first letter and length: not one (a non-ASCII first
            // word never equals an ASCII word).
            let letter = word.bytes().next().and_then(letter_index);
            if letter.is_some_and(|letter| self.ascii_shapes[letter] & length_bit(word.len()) == 0)
            {
                return false;
            }
            // An ASCII word lower-cases byte by byte: compared without allocating.
            self.first_words
                .binary_search_by(|first| {
                    first
                        .bytes()
                        .cmp(word.bytes().map(|byte| byte.to_ascii_lowercase()))
                })
                .is_ok()
        } else {
            self.first_words.binary_search(&word.to_lowercase()).is_ok()
        }
    }
}

/// 0-25 for a letter of either case; `None` for anything else.
fn letter_index(byte: u8) -> Option<usize> {
    let lower = byte.to_ascii_lowercase();
    lower
        .is_ascii_lowercase()
        .then(|| usize::from(lower - b'a'))
}

/// The bit of a word length in `Phrases::ascii_shapes`.
fn length_bit(length: usize) -> u64 {
    1 << length.min(63)
}

impl ValueSet {
    /// Whether a coding with this system and code is in the set.
    fn has(&self, system: Option<&str>, code: Option<&str>) -> bool {
        match (system, code) {
            (Some(system), Some(code)) => self.codes.iter().any(|e| e.matches(system, code)),
            _ => false,
        }
    }

    fn extend(&mut self, entry: ValueSetEntry) {
        if entry.replace {
            *self = ValueSet::default();
        }
        self.codes.extend(entry.codes);
        let mut phrases = std::mem::take(&mut self.phrases.phrases);
        phrases.extend(
            entry
                .text
                .iter()
                .map(|phrase| words(phrase))
                .filter(|phrase| !phrase.is_empty()),
        );
        self.phrases = Phrases::new(phrases);
    }
}

/// The value sets in force: the embedded defaults, possibly extended by a deployment file.
#[derive(Debug, Clone)]
pub struct Terminology {
    sets: BTreeMap<ValueSetName, ValueSet>,
}

impl Terminology {
    /// The value sets shipped with the crate (`terminology/value-sets.toml`).
    pub fn embedded() -> Terminology {
        // A unit test parses the embedded file, so this cannot fail in a tested build.
        Self::empty()
            .merged(EMBEDDED_VALUE_SETS, "embedded value sets")
            .expect("the embedded value-set file is valid (checked by a unit test)")
    }

    /// The embedded value sets, extended by `config.terminology_file` when one is configured.
    pub fn from_config(config: &MappingConfig) -> Result<Terminology, ConfigError> {
        let embedded = Self::embedded();
        let Some(path) = &config.terminology_file else {
            return Ok(embedded);
        };
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::TerminologyUnreadable {
                path: path.clone(),
                source,
            })?;
        embedded.merged(&text, &path.display().to_string())
    }

    /// These value sets extended (or, per set, replaced) by a TOML value-set document.
    pub fn merged(mut self, toml_text: &str, origin: &str) -> Result<Terminology, ConfigError> {
        let invalid = |reason: String| ConfigError::TerminologyInvalid {
            origin: origin.to_owned(),
            reason,
        };
        let file: BTreeMap<String, ValueSetEntry> =
            toml::from_str(toml_text).map_err(|error| invalid(error.to_string()))?;
        for (key, entry) in file {
            let name = FILE_NAMES
                .iter()
                .find(|(file_name, _)| *file_name == key)
                .map(|(_, name)| *name)
                .ok_or_else(|| invalid(format!("unknown value set `{key}`")))?;
            self.sets.entry(name).or_default().extend(entry);
        }
        Ok(self)
    }

    fn empty() -> Terminology {
        Terminology {
            sets: BTreeMap::new(),
        }
    }

    fn set(&self, name: ValueSetName) -> Option<&ValueSet> {
        self.sets.get(&name)
    }

    /// The `(system, code)` pairs the mapping matches on Observations (`observations`, and
    /// through it `bsa`): weight, height, BSA, HBsAg, anti-HBc, in that order and within a set
    /// as written, each once. What a search for the patient's Observations must ask for, so a
    /// code a deployment adds is fetched too.
    pub fn observation_codes(&self) -> Vec<(String, String)> {
        let read_from_observations = [
            ValueSetName::BodyWeight,
            ValueSetName::BodyHeight,
            ValueSetName::BodySurfaceArea,
            ValueSetName::Hbsag,
            ValueSetName::AntiHbc,
            ValueSetName::PregnancyStatus,
            ValueSetName::Hcg,
        ];
        let mut codes: Vec<(String, String)> = Vec::new();
        let entries = read_from_observations
            .into_iter()
            .filter_map(|name| self.set(name))
            .flat_map(|set| &set.codes);
        for entry in entries {
            let pair = (entry.system.clone(), entry.code.clone());
            if !codes.contains(&pair) {
                codes.push(pair);
            }
        }
        codes
    }

    /// Whether one of the concept's codings is in the value set (codes only, no text).
    pub fn has_code(&self, name: ValueSetName, concept: &CodeableConcept) -> bool {
        let Some(set) = self.set(name) else {
            return false;
        };
        concept.coding.iter().any(|coding| {
            let system = coding.system.as_ref().and_then(|s| s.value.as_deref());
            let code = coding.code.as_ref().and_then(|c| c.value.as_deref());
            set.has(system, code)
        })
    }

    /// The sets `names` prepared as one filter for many concepts read by the envelope pass.
    pub(crate) fn filter(&self, names: &[ValueSetName]) -> ConceptFilter {
        let sets = || names.iter().filter_map(|name| self.set(*name));
        let codes = sets().flat_map(|set| set.codes.iter().cloned()).collect();
        let phrases = sets()
            .flat_map(|set| set.phrases.phrases.iter().cloned())
            .collect();
        ConceptFilter(ValueSet {
            codes,
            phrases: Phrases::new(phrases),
        })
    }

    /// Whether the concept's text or a coding's display contains one of the set's phrases.
    pub fn has_text(&self, name: ValueSetName, concept: &CodeableConcept) -> bool {
        let Some(set) = self.set(name) else {
            return false;
        };
        concept_texts(concept).any(|text| text_matches(set, text))
    }

    /// Whether the concept's text or a coding's display contains one of the set's phrases and no
    /// negation ("OMS ruled out", "no opsoclonus" never affirm OMS).
    pub fn has_affirmed_text(&self, name: ValueSetName, concept: &CodeableConcept) -> bool {
        let Some(set) = self.set(name) else {
            return false;
        };
        let negation = self.set(ValueSetName::Negation);
        concept_texts(concept).any(|text| {
            text_matches(set, text)
                && !negation.is_some_and(|negation| text_matches(negation, text))
        })
    }

    /// Whether free text (a Procedure note, a Medication's text) contains one of the phrases.
    pub fn text_in(&self, name: ValueSetName, text: &str) -> bool {
        self.set(name).is_some_and(|set| text_matches(set, text))
    }

    /// Code or text match.
    pub fn matches(&self, name: ValueSetName, concept: &CodeableConcept) -> bool {
        self.has_code(name, concept) || self.has_text(name, concept)
    }

    /// The medication class of a medication concept, if it is one the rules know.
    ///
    /// Codes win over text: a concept coded as one drug is that drug even if its text mentions
    /// another; text is the fallback for uncoded medications.
    pub fn medication_class(&self, concept: &CodeableConcept) -> Option<MedicationClass> {
        // The subcutaneous product is often coded as plain rituximab with a telling text.
        let subcutaneous = MedicationClass::RituximabSubcutaneous;
        if self.matches(ValueSetName::Medication(subcutaneous), concept) {
            return Some(subcutaneous);
        }
        let set = |class: &MedicationClass| ValueSetName::Medication(*class);
        MEDICATION_CLASSES
            .iter()
            .find(|class| self.has_code(set(class), concept))
            .or_else(|| {
                MEDICATION_CLASSES
                    .iter()
                    .find(|class| self.has_text(set(class), concept))
            })
            .copied()
    }
}

/// Some value sets as one yes-or-no test, for many concepts: whether `Terminology::matches`
/// holds for any of the sets. It is their union, one `ValueSet`, matched as any set is.
#[derive(Debug, Clone)]
pub(crate) struct ConceptFilter(ValueSet);

impl ConceptFilter {
    /// Whether a concept read by the envelope pass is in one of the sets, by code or by text.
    pub(crate) fn may_match(&self, concept: &CodeHead) -> bool {
        let CodeHead::Concept { codings, text } = concept else {
            return false;
        };
        let union = &self.0;
        codings
            .iter()
            .any(|coding| union.has(coding.system.as_deref(), coding.code.as_deref()))
            || text
                .iter()
                .chain(codings.iter().filter_map(|coding| coding.display.as_ref()))
                .any(|text| union.phrases.found_in(text))
    }
}

fn concept_texts(concept: &CodeableConcept) -> impl Iterator<Item = &str> {
    let text = concept.text.as_ref().and_then(|t| t.value.as_deref());
    let displays = concept
        .coding
        .iter()
        .filter_map(|coding| coding.display.as_ref().and_then(|d| d.value.as_deref()));
    text.into_iter().chain(displays)
}

fn text_matches(set: &ValueSet, text: &str) -> bool {
    set.phrases.found_in(text)
}

/// Lower-cased words: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concept(json: &str) -> CodeableConcept {
        crate::parse::codeable_concept(json).unwrap()
    }

    #[test]
    fn the_embedded_value_sets_parse_and_cover_every_name() {
        let terminology = Terminology::embedded();
        assert_eq!(terminology.sets.len(), FILE_NAMES.len());
        for (file_name, name) in FILE_NAMES {
            assert!(
                terminology.set(name).is_some(),
                "[{file_name}] is not in the file"
            );
        }
    }

    #[test]
    fn the_snomed_oms_code_matches_and_g25_3_is_only_ambiguous() {
        let terminology = Terminology::embedded();
        let snomed =
            concept(r#"{"coding":[{"system":"http://snomed.info/sct","code":"230350000"}]}"#);
        assert!(terminology.matches(ValueSetName::Oms, &snomed));
        let g25 = concept(
            r#"{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"G25.3","display":"Myoclonus"}]}"#,
        );
        assert!(!terminology.matches(ValueSetName::Oms, &g25));
        assert!(terminology.has_code(ValueSetName::OmsAmbiguous, &g25));
    }

    #[test]
    fn text_phrases_match_whole_words_only() {
        let terminology = Terminology::embedded();
        let symptoms = concept(r#"{"text":"Neurological symptoms"}"#);
        assert!(!terminology.has_text(ValueSetName::Oms, &symptoms));
        let dancing = concept(r#"{"text":"Dancing-eyes syndrome, relapse"}"#);
        assert!(terminology.has_text(ValueSetName::Oms, &dancing));
        let methylpred = concept(r#"{"text":"Methylprednisolone sodium succinate"}"#);
        assert!(!terminology.has_text(
            ValueSetName::Medication(MedicationClass::Prednisolone),
            &methylpred
        ));
    }

    #[test]
    fn medication_classes_come_from_codes_then_text() {
        let terminology = Terminology::embedded();
        let coded = concept(
            r#"{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"3002"}],"text":"rituximab"}"#,
        );
        assert_eq!(
            terminology.medication_class(&coded),
            Some(MedicationClass::Cyclophosphamide)
        );
        let biosimilar = concept(r#"{"text":"rituximab-abbs (Truxima) 500 mg/50 mL"}"#);
        assert_eq!(
            terminology.medication_class(&biosimilar),
            Some(MedicationClass::Rituximab)
        );
        let subcutaneous = concept(
            r#"{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"121191"}],"text":"rituximab and hyaluronidase"}"#,
        );
        assert_eq!(
            terminology.medication_class(&subcutaneous),
            Some(MedicationClass::RituximabSubcutaneous)
        );
        let ivig = concept(r#"{"coding":[{"system":"http://www.whocc.no/atc","code":"J06BA02"}]}"#);
        assert_eq!(
            terminology.medication_class(&ivig),
            Some(MedicationClass::Ivig)
        );
        let amoxicillin = concept(
            r#"{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"723"}],"text":"amoxicillin"}"#,
        );
        assert_eq!(terminology.medication_class(&amoxicillin), None);
    }

    #[test]
    fn a_code_added_in_a_deployment_file_takes_effect_without_code_changes() {
        let local_code = concept(r#"{"coding":[{"system":"urn:oid:1.2.3","code":"OMS-42"}]}"#);
        assert!(!Terminology::embedded().matches(ValueSetName::Oms, &local_code));

        let dir = std::env::temp_dir().join(format!("fhir-mapping-terms-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("local-value-sets.toml");
        std::fs::write(
            &path,
            "[oms]\ncodes = [{ system = \"urn:oid:1.2.3\", code = \"OMS-42\" }]\n",
        )
        .unwrap();
        let config = MappingConfig {
            terminology_file: Some(path),
            ..MappingConfig::default()
        };
        let terminology = Terminology::from_config(&config).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        assert!(terminology.matches(ValueSetName::Oms, &local_code));
        let snomed =
            concept(r#"{"coding":[{"system":"http://snomed.info/sct","code":"230350000"}]}"#);
        assert!(
            terminology.matches(ValueSetName::Oms, &snomed),
            "embedded codes are kept"
        );
    }

    #[test]
    fn observation_codes_list_the_observation_value_sets_once_each_in_order() {
        let loinc = |code: &str| ("http://loinc.org".to_owned(), code.to_owned());
        let embedded = Terminology::embedded().observation_codes();
        assert_eq!(
            embedded,
            [
                "29463-7", "3141-9", "8302-2", "8306-3", "8277-6", "3140-1", "5196-1", "13952-7",
                "16933-4", "82810-3", "2106-3", "2118-8", "19080-1"
            ]
            .map(loinc)
        );
        let extended = Terminology::embedded()
            .merged(
                "[body_weight]\ncodes = [{ system = \"urn:local\", code = \"W1\" }, \
                 { system = \"http://loinc.org\", code = \"29463-7\" }]\n\
                 [oms]\ncodes = [{ system = \"urn:local\", code = \"OMS-1\" }]",
                "test",
            )
            .unwrap()
            .observation_codes();
        assert_eq!(extended.len(), embedded.len() + 1, "{extended:?}");
        assert_eq!(extended[2], ("urn:local".to_owned(), "W1".to_owned()));
        assert!(!extended.iter().any(|(_, code)| code == "OMS-1"));
    }

    #[test]
    fn a_replacing_set_drops_the_embedded_codes() {
        let terminology = Terminology::embedded()
            .merged(
                "[oms]\nreplace = true\ncodes = [{ system = \"urn:x\", code = \"1\" }]",
                "test",
            )
            .unwrap();
        let snomed =
            concept(r#"{"coding":[{"system":"http://snomed.info/sct","code":"230350000"}]}"#);
        assert!(!terminology.matches(ValueSetName::Oms, &snomed));
    }

    #[test]
    fn an_unknown_value_set_name_is_rejected_with_the_file_named() {
        let error = Terminology::embedded()
            .merged("[omz]\ncodes = []", "local.toml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("local.toml") && error.contains("omz"),
            "{error}"
        );
    }

    mod filter {
        use super::*;
        use crate::envelope::CodingHead;
        use proptest::prelude::*;

        /// The sets Observations are read by, and a few others, so codes of other sets occur.
        const NAMES: [ValueSetName; 5] = [
            ValueSetName::BodyWeight,
            ValueSetName::Hbsag,
            ValueSetName::Fertility,
            ValueSetName::NeuroblastomaScreening,
            ValueSetName::AdultTumourScreening,
        ];

        /// Words of the sets' phrases in several cases, and others.
        fn word() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("CT".to_owned()),
                Just("chest".to_owned()),
                Just("Abdomen".to_owned()),
                Just("HVA".to_owned()),
                Just("catecholamine".to_owned()),
                Just("metabolites".to_owned()),
                Just("Infertility".to_owned()),
                Just("fertility".to_owned()),
                Just("preservation".to_owned()),
                Just("heart".to_owned()),
                Just("İstanbul".to_owned()),
                Just("ÉCHO".to_owned()),
                "[a-zA-Z]{1,8}",
            ]
        }

        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(
                (
                    word(),
                    prop_oneof![Just(" "), Just("/"), Just(", "), Just("-")],
                ),
                0..6,
            )
            .prop_map(|parts| {
                parts
                    .into_iter()
                    .map(|(w, sep)| format!("{w}{sep}"))
                    .collect()
            })
        }

        fn coding() -> impl Strategy<Value = (String, String, Option<String>)> {
            let code = prop_oneof![
                Just(("http://loinc.org".to_owned(), "29463-7".to_owned())),
                Just(("http://loinc.org".to_owned(), "5196-1".to_owned())),
                Just(("http://loinc.org".to_owned(), "8867-4".to_owned())),
                Just(("http://snomed.info/sct".to_owned(), "29463-7".to_owned())),
            ];
            (code, prop::option::of(text()))
                .prop_map(|((system, code), display)| (system, code, display))
        }

        /// Phrase matching as it reads: every window of the text's words against every phrase.
        fn found_by_every_window(phrases: &[Vec<String>], text: &str) -> bool {
            let tokens = words(text);
            phrases.iter().any(|phrase| {
                tokens
                    .windows(phrase.len())
                    .any(|window| window == phrase.as_slice())
            })
        }

        proptest! {
            #[test]
            fn the_first_word_shortcut_never_changes_an_answer(text in text()) {
                let terminology = Terminology::embedded();
                for name in NAMES.into_iter().chain([ValueSetName::Negation, ValueSetName::Oms]) {
                    let phrases = &terminology.set(name).unwrap().phrases;
                    prop_assert_eq!(
                        phrases.found_in(&text),
                        found_by_every_window(&phrases.phrases, &text),
                        "{:?}", name
                    );
                }
            }

            #[test]
            fn the_filter_answers_as_matching_each_set_would(
                codings in prop::collection::vec(coding(), 0..3),
                text in prop::option::of(text()),
            ) {
                let terminology = Terminology::embedded();
                // FHIR has no empty strings, arrays or nulls: absent instead.
                let text = text.filter(|text| !text.is_empty());
                let codings: Vec<_> = codings
                    .into_iter()
                    .map(|(system, code, display)| (system, code, display.filter(|d| !d.is_empty())))
                    .collect();
                let mut json = serde_json::Map::new();
                if !codings.is_empty() {
                    let codings = codings.iter().map(|(system, code, display)| {
                        let mut coding = serde_json::json!({"system": system, "code": code});
                        if let Some(display) = display {
                            coding["display"] = display.clone().into();
                        }
                        coding
                    });
                    json.insert("coding".into(), codings.collect());
                }
                if let Some(text) = &text {
                    json.insert("text".into(), text.clone().into());
                }
                let json = serde_json::Value::Object(json);
                let fhir = concept(&json.to_string());
                let head = CodeHead::Concept {
                    codings: codings
                        .iter()
                        .map(|(system, code, display)| CodingHead {
                            system: Some(system.clone()),
                            code: Some(code.clone()),
                            display: display.clone(),
                        })
                        .collect(),
                    text: text.clone(),
                };
                let expected = NAMES.iter().any(|name| terminology.matches(*name, &fhir));
                prop_assert_eq!(terminology.filter(&NAMES).may_match(&head), expected);
            }
        }
    }
}
