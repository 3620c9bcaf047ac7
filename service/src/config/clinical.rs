//! The `[clinical]` TOML section: the file's shape of `cards::ClinicalConfig`, so the rules crate
//! needs no serde. Same keys, same defaults (taken from `ClinicalConfig::default()`); unknown keys
//! are refused; the values are checked by `ClinicalConfig::validate`, whose errors name the key.

use cards::ClinicalConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `[clinical]` as written in the configuration; every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClinicalSection {
    /// See [`ClinicalConfig::guideline_name`].
    pub guideline_name: String,
    /// See [`ClinicalConfig::guideline_version`].
    pub guideline_version: String,
    /// See [`ClinicalConfig::full_course_min_doses`].
    pub full_course_min_doses: u32,
    /// See [`ClinicalConfig::full_course_window_days`].
    pub full_course_window_days: u32,
    /// See [`ClinicalConfig::refractory_window_months`].
    pub refractory_window_months: u32,
    /// See [`ClinicalConfig::redose_gap_days`].
    pub redose_gap_days: u32,
    /// See [`ClinicalConfig::adult_age_years`].
    pub adult_age_years: u32,
    /// See [`ClinicalConfig::rituximab_mg_per_m2`].
    pub rituximab_mg_per_m2: Decimal,
    /// See [`ClinicalConfig::rituximab_cap_mg`].
    pub rituximab_cap_mg: Decimal,
    /// See [`ClinicalConfig::rituximab_rounding_mg`].
    pub rituximab_rounding_mg: Decimal,
    /// See [`ClinicalConfig::cyclophosphamide_mg_per_m2`].
    pub cyclophosphamide_mg_per_m2: Decimal,
    /// See [`ClinicalConfig::cyclophosphamide_cap_mg_per_m2`].
    pub cyclophosphamide_cap_mg_per_m2: Decimal,
    /// See [`ClinicalConfig::cyclophosphamide_rounding_mg`].
    pub cyclophosphamide_rounding_mg: Decimal,
    /// See [`ClinicalConfig::pulse_cycles`].
    pub pulse_cycles: u32,
    /// See [`ClinicalConfig::pulse_interval_weeks`].
    pub pulse_interval_weeks: u32,
    /// See [`ClinicalConfig::dexamethasone_mg_per_m2_per_day`].
    pub dexamethasone_mg_per_m2_per_day: Decimal,
    /// See [`ClinicalConfig::dexamethasone_days`].
    pub dexamethasone_days: u32,
    /// See [`ClinicalConfig::dexamethasone_doses_per_day`].
    pub dexamethasone_doses_per_day: u32,
    /// See [`ClinicalConfig::dexamethasone_rounding_mg`].
    pub dexamethasone_rounding_mg: Decimal,
    /// See [`ClinicalConfig::methylprednisolone_mg_per_kg`].
    pub methylprednisolone_mg_per_kg: Decimal,
    /// See [`ClinicalConfig::methylprednisolone_cap_mg`].
    pub methylprednisolone_cap_mg: Decimal,
    /// See [`ClinicalConfig::methylprednisolone_rounding_mg`].
    pub methylprednisolone_rounding_mg: Decimal,
    /// See [`ClinicalConfig::methylprednisolone_days`].
    pub methylprednisolone_days: u32,
    /// See [`ClinicalConfig::dose_check_tolerance_percent`].
    pub dose_check_tolerance_percent: Decimal,
    /// See [`ClinicalConfig::cyclophosphamide_cap_mg`].
    pub cyclophosphamide_cap_mg: Decimal,
    /// See [`ClinicalConfig::dexamethasone_cap_mg_per_day`].
    pub dexamethasone_cap_mg_per_day: Decimal,
    /// See [`ClinicalConfig::rituximab_min_mg_per_m2`].
    pub rituximab_min_mg_per_m2: Decimal,
    /// See [`ClinicalConfig::cyclophosphamide_min_mg_per_m2`].
    pub cyclophosphamide_min_mg_per_m2: Decimal,
    /// See [`ClinicalConfig::dexamethasone_min_mg_per_m2_per_day`].
    pub dexamethasone_min_mg_per_m2_per_day: Decimal,
    /// See [`ClinicalConfig::methylprednisolone_min_mg_per_kg`].
    pub methylprednisolone_min_mg_per_kg: Decimal,
    /// See [`ClinicalConfig::full_course_min_mg_per_m2`].
    pub full_course_min_mg_per_m2: Decimal,
    /// See [`ClinicalConfig::full_course_min_mg`].
    pub full_course_min_mg: Decimal,
    /// See [`ClinicalConfig::additional_dose_window_months`].
    pub additional_dose_window_months: u32,
    /// See [`ClinicalConfig::non_response_window_days`].
    pub non_response_window_days: u32,
    /// See [`ClinicalConfig::response_judgeable_weeks`].
    pub response_judgeable_weeks: u32,
    /// See [`ClinicalConfig::reproductive_potential_max_age_years`].
    pub reproductive_potential_max_age_years: u32,
    /// See [`ClinicalConfig::could_be_pregnant_min_age_years`].
    pub could_be_pregnant_min_age_years: u32,
    /// See [`ClinicalConfig::could_be_pregnant_max_age_years`].
    pub could_be_pregnant_max_age_years: u32,
    /// See [`ClinicalConfig::workup_repeat_months`].
    pub workup_repeat_months: u32,
    /// See [`ClinicalConfig::regimen_order_min_percent`].
    pub regimen_order_min_percent: Decimal,
    /// See [`ClinicalConfig::new_course_alternative_months`].
    pub new_course_alternative_months: u32,
}

impl Default for ClinicalSection {
    /// The rules' own defaults: a key left out of the file keeps its `ClinicalConfig` default.
    fn default() -> Self {
        ClinicalSection::from(ClinicalConfig::default())
    }
}

// Both conversions name every field without `..`, so a key added to `ClinicalConfig` fails to
// compile here until the section has it too.
impl From<ClinicalConfig> for ClinicalSection {
    fn from(config: ClinicalConfig) -> Self {
        let ClinicalConfig {
            guideline_name,
            guideline_version,
            full_course_min_doses,
            full_course_window_days,
            refractory_window_months,
            redose_gap_days,
            adult_age_years,
            rituximab_mg_per_m2,
            rituximab_cap_mg,
            rituximab_rounding_mg,
            cyclophosphamide_mg_per_m2,
            cyclophosphamide_cap_mg_per_m2,
            cyclophosphamide_rounding_mg,
            pulse_cycles,
            pulse_interval_weeks,
            dexamethasone_mg_per_m2_per_day,
            dexamethasone_days,
            dexamethasone_doses_per_day,
            dexamethasone_rounding_mg,
            methylprednisolone_mg_per_kg,
            methylprednisolone_cap_mg,
            methylprednisolone_rounding_mg,
            methylprednisolone_days,
            dose_check_tolerance_percent,
            cyclophosphamide_cap_mg,
            dexamethasone_cap_mg_per_day,
            rituximab_min_mg_per_m2,
            cyclophosphamide_min_mg_per_m2,
            dexamethasone_min_mg_per_m2_per_day,
            methylprednisolone_min_mg_per_kg,
            full_course_min_mg_per_m2,
            full_course_min_mg,
            additional_dose_window_months,
            non_response_window_days,
            response_judgeable_weeks,
            reproductive_potential_max_age_years,
            could_be_pregnant_min_age_years,
            could_be_pregnant_max_age_years,
            workup_repeat_months,
            regimen_order_min_percent,
            new_course_alternative_months,
        } = config;
        ClinicalSection {
            guideline_name,
            guideline_version,
            full_course_min_doses,
            full_course_window_days,
            refractory_window_months,
            redose_gap_days,
            adult_age_years,
            rituximab_mg_per_m2,
            rituximab_cap_mg,
            rituximab_rounding_mg,
            cyclophosphamide_mg_per_m2,
            cyclophosphamide_cap_mg_per_m2,
            cyclophosphamide_rounding_mg,
            pulse_cycles,
            pulse_interval_weeks,
            dexamethasone_mg_per_m2_per_day,
            dexamethasone_days,
            dexamethasone_doses_per_day,
            dexamethasone_rounding_mg,
            methylprednisolone_mg_per_kg,
            methylprednisolone_cap_mg,
            methylprednisolone_rounding_mg,
            methylprednisolone_days,
            dose_check_tolerance_percent,
            cyclophosphamide_cap_mg,
            dexamethasone_cap_mg_per_day,
            rituximab_min_mg_per_m2,
            cyclophosphamide_min_mg_per_m2,
            dexamethasone_min_mg_per_m2_per_day,
            methylprednisolone_min_mg_per_kg,
            full_course_min_mg_per_m2,
            full_course_min_mg,
            additional_dose_window_months,
            non_response_window_days,
            response_judgeable_weeks,
            reproductive_potential_max_age_years,
            could_be_pregnant_min_age_years,
            could_be_pregnant_max_age_years,
            workup_repeat_months,
            regimen_order_min_percent,
            new_course_alternative_months,
        }
    }
}

impl From<ClinicalSection> for ClinicalConfig {
    fn from(section: ClinicalSection) -> Self {
        let ClinicalSection {
            guideline_name,
            guideline_version,
            full_course_min_doses,
            full_course_window_days,
            refractory_window_months,
            redose_gap_days,
            adult_age_years,
            rituximab_mg_per_m2,
            rituximab_cap_mg,
            rituximab_rounding_mg,
            cyclophosphamide_mg_per_m2,
            cyclophosphamide_cap_mg_per_m2,
            cyclophosphamide_rounding_mg,
            pulse_cycles,
            pulse_interval_weeks,
            dexamethasone_mg_per_m2_per_day,
            dexamethasone_days,
            dexamethasone_doses_per_day,
            dexamethasone_rounding_mg,
            methylprednisolone_mg_per_kg,
            methylprednisolone_cap_mg,
            methylprednisolone_rounding_mg,
            methylprednisolone_days,
            dose_check_tolerance_percent,
            cyclophosphamide_cap_mg,
            dexamethasone_cap_mg_per_day,
            rituximab_min_mg_per_m2,
            cyclophosphamide_min_mg_per_m2,
            dexamethasone_min_mg_per_m2_per_day,
            methylprednisolone_min_mg_per_kg,
            full_course_min_mg_per_m2,
            full_course_min_mg,
            additional_dose_window_months,
            non_response_window_days,
            response_judgeable_weeks,
            reproductive_potential_max_age_years,
            could_be_pregnant_min_age_years,
            could_be_pregnant_max_age_years,
            workup_repeat_months,
            regimen_order_min_percent,
            new_course_alternative_months,
        } = section;
        ClinicalConfig {
            guideline_name,
            guideline_version,
            full_course_min_doses,
            full_course_window_days,
            refractory_window_months,
            redose_gap_days,
            adult_age_years,
            rituximab_mg_per_m2,
            rituximab_cap_mg,
            rituximab_rounding_mg,
            cyclophosphamide_mg_per_m2,
            cyclophosphamide_cap_mg_per_m2,
            cyclophosphamide_rounding_mg,
            pulse_cycles,
            pulse_interval_weeks,
            dexamethasone_mg_per_m2_per_day,
            dexamethasone_days,
            dexamethasone_doses_per_day,
            dexamethasone_rounding_mg,
            methylprednisolone_mg_per_kg,
            methylprednisolone_cap_mg,
            methylprednisolone_rounding_mg,
            methylprednisolone_days,
            dose_check_tolerance_percent,
            cyclophosphamide_cap_mg,
            dexamethasone_cap_mg_per_day,
            rituximab_min_mg_per_m2,
            cyclophosphamide_min_mg_per_m2,
            dexamethasone_min_mg_per_m2_per_day,
            methylprednisolone_min_mg_per_kg,
            full_course_min_mg_per_m2,
            full_course_min_mg,
            additional_dose_window_months,
            non_response_window_days,
            response_judgeable_weeks,
            reproductive_potential_max_age_years,
            could_be_pregnant_min_age_years,
            could_be_pregnant_max_age_years,
            workup_repeat_months,
            regimen_order_min_percent,
            new_course_alternative_months,
        }
    }
}

/// Reads `[clinical]` through [`ClinicalSection`] (`#[serde(deserialize_with)]` on `Settings`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ClinicalConfig, D::Error> {
    ClinicalSection::deserialize(deserializer).map(ClinicalConfig::from)
}

/// Writes `[clinical]` through [`ClinicalSection`] (`#[serde(serialize_with)]` on `Settings`).
pub fn serialize<S: Serializer>(config: &ClinicalConfig, serializer: S) -> Result<S::Ok, S::Error> {
    ClinicalSection::from(config.clone()).serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(toml_text: &str) -> Result<ClinicalConfig, toml::de::Error> {
        toml::from_str::<ClinicalSection>(toml_text).map(ClinicalConfig::from)
    }

    #[test]
    fn an_empty_section_is_the_rules_defaults() {
        assert_eq!(section("").expect("valid"), ClinicalConfig::default());
    }

    #[test]
    fn a_partial_section_overrides_one_key_and_keeps_the_other_defaults() {
        let config = section("cyclophosphamide_mg_per_m2 = 500").expect("valid");
        assert_eq!(config.cyclophosphamide_mg_per_m2, Decimal::from(500));
        assert_eq!(config.rituximab_mg_per_m2, Decimal::from(375));
        assert_eq!(
            config,
            ClinicalConfig {
                cyclophosphamide_mg_per_m2: Decimal::from(500),
                ..ClinicalConfig::default()
            }
        );
    }

    #[test]
    fn decimals_keep_their_exact_value() {
        let config = section("dexamethasone_rounding_mg = 0.25").expect("valid");
        assert_eq!(config.dexamethasone_rounding_mg.to_string(), "0.25");
    }

    #[test]
    fn an_unknown_key_is_rejected_naming_it() {
        let error = section("rituximab_dose = 1").expect_err("unknown key");
        assert!(error.to_string().contains("rituximab_dose"), "{error}");
    }
}
