//! The mapping's configuration: staleness and plausibility limits, the BSA formula and the
//! terminology file (section 2 of the clinical rules gives the defaults).

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::facts::BsaFormula;
use crate::quantity::{Centimetres, Kilograms, SquareMetres};

/// How FHIR becomes facts: every number here is *configurable* in the clinical rules.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MappingConfig {
    /// `"mosteller"` (default) or `"haycock"`.
    #[serde(
        deserialize_with = "deserialize_bsa_formula",
        serialize_with = "serialize_bsa_formula"
    )]
    pub bsa_formula: BsaFormula,
    /// A weight older than this many days is stale.
    pub weight_max_age_days: u32,
    /// A height older than this many days is stale.
    pub height_max_age_days: u32,
    /// A BSA Observation older than this many days is not used.
    pub bsa_observation_max_age_days: u32,
    /// Plausible weights, inclusive, in kg.
    pub weight_kg_range: [f64; 2],
    /// Plausible heights, inclusive, in cm.
    pub height_cm_range: [f64; 2],
    /// Plausible BSA values, inclusive, in m2.
    pub bsa_m2_range: [f64; 2],
    /// Hepatitis B screening older than this many days does not count.
    pub hepatitis_b_lookback_days: u32,
    /// An `active` medication record written more than this many days ago, with no period
    /// covering today, is history, not current treatment.
    pub current_medication_window_days: u32,
    /// The latest weight is compared with the previous one taken within this many days.
    pub weight_change_window_days: u32,
    /// ... and is inconsistent when it changed by more than this percentage ...
    pub weight_change_max_percent: u32,
    /// ... or, under 1 year of age (infants grow fast), by more than this percentage.
    pub weight_change_max_percent_infant: u32,
    /// Two weights on the latest day conflict when they differ by more than this percentage of
    /// the smaller.
    pub same_day_weight_max_percent: u32,
    /// A quantitative hCG without an interpretation is positive at or above this many IU/L.
    pub pregnancy_hcg_positive_iu_per_l: rust_decimal::Decimal,
    /// A positive hCG counts as pregnancy for this many days.
    pub pregnancy_hcg_window_days: u32,
    /// Any pregnancy evidence older than this many days does not count.
    pub pregnancy_evidence_window_days: u32,
    /// The most resources one request may carry, prefetch and draft orders together (fetched
    /// prefetch included). A whole record (about 1,600 resources, 2.7 MB) fits with room to
    /// spare; a flood of tiny entries that fits the body limit does not.
    pub max_resources: usize,
    /// A TOML file of extra value sets merged over the embedded ones.
    pub terminology_file: Option<PathBuf>,
}

impl Default for MappingConfig {
    fn default() -> Self {
        Self {
            bsa_formula: BsaFormula::Mosteller,
            weight_max_age_days: 30,
            height_max_age_days: 180,
            bsa_observation_max_age_days: 30,
            weight_kg_range: [2.0, 250.0],
            height_cm_range: [40.0, 230.0],
            bsa_m2_range: [0.15, 3.0],
            hepatitis_b_lookback_days: 365,
            current_medication_window_days: 90,
            weight_change_window_days: 90,
            weight_change_max_percent: 20,
            weight_change_max_percent_infant: 35,
            same_day_weight_max_percent: 10,
            pregnancy_hcg_positive_iu_per_l: rust_decimal::Decimal::from(25),
            pregnancy_hcg_window_days: 30,
            pregnancy_evidence_window_days: 300,
            max_resources: 5000,
            terminology_file: None,
        }
    }
}

impl MappingConfig {
    /// Checks the limits make sense; the error names the offending key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let day_limits = [
            ("weight_max_age_days", self.weight_max_age_days),
            ("height_max_age_days", self.height_max_age_days),
            (
                "bsa_observation_max_age_days",
                self.bsa_observation_max_age_days,
            ),
            ("hepatitis_b_lookback_days", self.hepatitis_b_lookback_days),
            ("weight_change_window_days", self.weight_change_window_days),
            (
                "current_medication_window_days",
                self.current_medication_window_days,
            ),
            ("weight_change_max_percent", self.weight_change_max_percent),
            (
                "weight_change_max_percent_infant",
                self.weight_change_max_percent_infant,
            ),
            (
                "same_day_weight_max_percent",
                self.same_day_weight_max_percent,
            ),
            ("pregnancy_hcg_window_days", self.pregnancy_hcg_window_days),
            (
                "pregnancy_evidence_window_days",
                self.pregnancy_evidence_window_days,
            ),
        ];
        for (key, days) in day_limits {
            if days == 0 {
                return Err(ConfigError::Invalid {
                    key,
                    reason: "must be at least 1 day".into(),
                });
            }
        }
        if self.max_resources == 0 {
            return Err(ConfigError::Invalid {
                key: "max_resources",
                reason: "must be at least 1".into(),
            });
        }
        if self.pregnancy_hcg_positive_iu_per_l <= rust_decimal::Decimal::ZERO {
            return Err(ConfigError::Invalid {
                key: "pregnancy_hcg_positive_iu_per_l",
                reason: "must be above 0".into(),
            });
        }
        let ranges = [
            ("weight_kg_range", self.weight_kg_range),
            ("height_cm_range", self.height_cm_range),
            ("bsa_m2_range", self.bsa_m2_range),
        ];
        for (key, [low, high]) in ranges {
            let valid = low.is_finite() && high.is_finite() && low > 0.0 && low < high;
            if !valid {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("must be [low, high] with 0 < low < high, got [{low}, {high}]"),
                });
            }
        }
        Ok(())
    }
}

impl MappingConfig {
    /// Plausible weights as exact quantities.
    pub fn weight_range(&self) -> (Kilograms, Kilograms) {
        bounds(
            self.weight_kg_range,
            Kilograms::parse,
            Self::default().weight_kg_range,
        )
    }

    /// Plausible heights as exact quantities.
    pub fn height_range(&self) -> (Centimetres, Centimetres) {
        bounds(
            self.height_cm_range,
            Centimetres::parse,
            Self::default().height_cm_range,
        )
    }

    /// Plausible BSA values as exact quantities.
    pub fn bsa_range(&self) -> (SquareMetres, SquareMetres) {
        bounds(
            self.bsa_m2_range,
            SquareMetres::parse,
            Self::default().bsa_m2_range,
        )
    }
}

/// A configured range as exact quantities (through the numbers' shortest decimal text); a range
/// that `validate` would refuse falls back to the default's, so a bound always exists.
fn bounds<Q>(range: [f64; 2], parse: fn(&str) -> Option<Q>, default: [f64; 2]) -> (Q, Q) {
    let pair = |[low, high]: [f64; 2]| Some((parse(&low.to_string())?, parse(&high.to_string())?));
    pair(range)
        .or_else(|| pair(default))
        .unwrap_or_else(|| unreachable!("the default ranges are positive decimals"))
}

/// Configuration that cannot be used; the service refuses to start with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key has a value outside what the mapping can use.
    #[error("mapping.{key}: {reason}")]
    Invalid {
        /// The configuration key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The terminology file could not be read.
    #[error("mapping.terminology_file: cannot read {path}: {source}")]
    TerminologyUnreadable {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A terminology file is not valid TOML of the expected shape.
    #[error("mapping.terminology_file: {origin} is not a valid value-set file: {reason}")]
    TerminologyInvalid {
        /// The file (or "embedded value sets").
        origin: String,
        /// What is wrong.
        reason: String,
    },
}

fn deserialize_bsa_formula<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BsaFormula, D::Error> {
    let name = String::deserialize(deserializer)?;
    match name.as_str() {
        "mosteller" => Ok(BsaFormula::Mosteller),
        "haycock" => Ok(BsaFormula::Haycock),
        other => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Str(other),
            &"\"mosteller\" or \"haycock\"",
        )),
    }
}

fn serialize_bsa_formula<S: Serializer>(
    formula: &BsaFormula,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(match formula {
        BsaFormula::Mosteller => "mosteller",
        BsaFormula::Haycock => "haycock",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_clinical_rules_defaults() {
        let config = MappingConfig::default();
        assert_eq!(config.bsa_formula, BsaFormula::Mosteller);
        assert_eq!(config.weight_max_age_days, 30);
        assert_eq!(config.height_max_age_days, 180);
        assert_eq!(config.weight_kg_range, [2.0, 250.0]);
        assert_eq!(config.height_cm_range, [40.0, 230.0]);
        assert_eq!(config.bsa_m2_range, [0.15, 3.0]);
        assert_eq!(config.hepatitis_b_lookback_days, 365);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn haycock_is_selected_by_name_and_missing_keys_keep_defaults() {
        let config: MappingConfig =
            toml::from_str("bsa_formula = \"haycock\"\nweight_max_age_days = 14").unwrap();
        assert_eq!(config.bsa_formula, BsaFormula::Haycock);
        assert_eq!(config.weight_max_age_days, 14);
        assert_eq!(config.height_max_age_days, 180);
    }

    #[test]
    fn unknown_formula_and_unknown_keys_are_rejected() {
        assert!(toml::from_str::<MappingConfig>("bsa_formula = \"dubois\"").is_err());
        assert!(toml::from_str::<MappingConfig>("weight_max_age = 3").is_err());
    }

    #[test]
    fn an_inverted_range_is_rejected_naming_the_key() {
        let config = MappingConfig {
            height_cm_range: [230.0, 40.0],
            ..MappingConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("mapping.height_cm_range"), "{error}");
    }

    #[test]
    fn a_zero_day_limit_is_rejected_naming_the_key() {
        let config = MappingConfig {
            hepatitis_b_lookback_days: 0,
            ..MappingConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("hepatitis_b_lookback_days"), "{error}");
    }
}
