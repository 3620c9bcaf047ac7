//! The `[clinical]` configuration: every threshold and dose parameter of the rules (sections 4 and
//! 5 of the clinical rules), with the rules' defaults.
//!
//! Invariant: a `ClinicalConfig` that passed [`ClinicalConfig::validate`] has positive doses,
//! rounding steps and caps, so the dose arithmetic in `dose` cannot divide by zero or go negative.

use rust_decimal::Decimal;

/// Thresholds and dose parameters of the relapsed-OMS rules.
///
/// Milligram parameters are exact decimals so that a dose shown on a card is exactly the
/// arithmetic written beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalConfig {
    /// The guideline's name, shown in `source.label`.
    pub guideline_name: String,
    /// The guideline's version, shown in `source.label`.
    pub guideline_version: String,
    /// A full course of rituximab has at least this many doses ...
    pub full_course_min_doses: u32,
    /// ... within this many days (first to last dose).
    pub full_course_window_days: u32,
    /// Refractory (a): a relapse within this many calendar months after a full course's last dose.
    pub refractory_window_months: u32,
    /// A single additional dose comes more than this many days after a full course's last dose.
    pub redose_gap_days: u32,
    /// Patients of this age (completed years) or older are adults; younger ones are "young".
    pub adult_age_years: u32,
    /// Rituximab dose per square metre.
    pub rituximab_mg_per_m2: Decimal,
    /// Rituximab maximum per dose.
    pub rituximab_cap_mg: Decimal,
    /// Rituximab doses are rounded to a multiple of this.
    pub rituximab_rounding_mg: Decimal,
    /// Cyclophosphamide pulse dose per square metre (literature range 500-1000).
    pub cyclophosphamide_mg_per_m2: Decimal,
    /// Cyclophosphamide maximum per square metre per pulse.
    pub cyclophosphamide_cap_mg_per_m2: Decimal,
    /// Cyclophosphamide doses are rounded to a multiple of this.
    pub cyclophosphamide_rounding_mg: Decimal,
    /// Number of cyclophosphamide + dexamethasone cycles.
    pub pulse_cycles: u32,
    /// Weeks between the start of two cycles.
    pub pulse_interval_weeks: u32,
    /// Dexamethasone pulse dose per square metre per day.
    pub dexamethasone_mg_per_m2_per_day: Decimal,
    /// Days of dexamethasone per pulse.
    pub dexamethasone_days: u32,
    /// Each dexamethasone day is split into this many doses.
    pub dexamethasone_doses_per_day: u32,
    /// Dexamethasone doses are rounded to a multiple of this.
    pub dexamethasone_rounding_mg: Decimal,
    /// IV methylprednisolone pulse dose per kilogram per day.
    pub methylprednisolone_mg_per_kg: Decimal,
    /// IV methylprednisolone maximum per day.
    pub methylprednisolone_cap_mg: Decimal,
    /// IV methylprednisolone doses are rounded to a multiple of this.
    pub methylprednisolone_rounding_mg: Decimal,
    /// Days of IV methylprednisolone the suggestion orders (the rules allow 3-5).
    pub methylprednisolone_days: u32,
    /// An ordered dose further than this from the computed dose triggers `dose-check`.
    pub dose_check_tolerance_percent: Decimal,
    /// The most one cyclophosphamide pulse may be, in mg: a local-policy ceiling (published ones range from 1000 mg in paediatric guidelines to 1500 mg in adult vasculitis); the card names it as local policy.
    pub cyclophosphamide_cap_mg: Decimal,
    /// The most dexamethasone per day, in mg.
    pub dexamethasone_cap_mg_per_day: Decimal,
    /// Below this many mg/m2 a rituximab order is under the literature range (dose-check warns).
    pub rituximab_min_mg_per_m2: Decimal,
    /// Below this many mg/m2 a cyclophosphamide pulse is under the literature range.
    pub cyclophosphamide_min_mg_per_m2: Decimal,
    /// Below this many mg/m2/day a dexamethasone pulse is under the literature range.
    pub dexamethasone_min_mg_per_m2_per_day: Decimal,
    /// Below this many mg/kg/day an IV methylprednisolone pulse is under the literature range.
    pub methylprednisolone_min_mg_per_kg: Decimal,
    /// Doses within the full-course window adding up to at least this many mg/m2 are a full course (2 x 750 mg/m2).
    pub full_course_min_mg_per_m2: Decimal,
    /// ... or to at least this many mg at any age (2 x 1000 mg).
    pub full_course_min_mg: Decimal,
    /// A relapse within this many months after a single additional dose is refractory (b).
    pub additional_dose_window_months: u32,
    /// A full course starting within this many days after the relapse date was that relapse's treatment: still in relapse after it is non-response (d).
    pub non_response_window_days: u32,
    /// Within this many weeks of a course's last dose the response to rituximab may not yet be judgeable: no cyclophosphamide is suggested.
    pub response_judgeable_weeks: u32,
    /// Under this age, any sex, a patient is of reproductive potential (fertility card).
    pub reproductive_potential_max_age_years: u32,
    /// From this age a female patient (or one whose sex is other or unknown) could be pregnant ...
    pub could_be_pregnant_min_age_years: u32,
    /// ... up to this age.
    pub could_be_pregnant_max_age_years: u32,
    /// A neuroblastoma or adult tumour work-up older than this many months before the relapse date is repeated.
    pub workup_repeat_months: u32,
    /// A steroid order below this percentage of the regimen's daily dose is another use (premedication, antiemetic, maintenance), not the regimen's order.
    pub regimen_order_min_percent: Decimal,
    /// A full course longer ago than this many months: B cells have recovered, and the redose
    /// card names a new full course as the alternative.
    pub new_course_alternative_months: u32,
}

impl Default for ClinicalConfig {
    fn default() -> Self {
        Self {
            guideline_name: "Relapsed OMS treatment guideline (oms-cds decision model)".to_owned(),
            guideline_version: "2026.1".to_owned(),
            full_course_min_doses: 4,
            full_course_window_days: 60,
            refractory_window_months: 6,
            redose_gap_days: 60,
            adult_age_years: 18,
            rituximab_mg_per_m2: Decimal::from(375),
            rituximab_cap_mg: Decimal::from(1000),
            rituximab_rounding_mg: Decimal::from(10),
            cyclophosphamide_mg_per_m2: Decimal::from(750),
            cyclophosphamide_cap_mg_per_m2: Decimal::from(1000),
            cyclophosphamide_rounding_mg: Decimal::from(10),
            pulse_cycles: 6,
            pulse_interval_weeks: 4,
            dexamethasone_mg_per_m2_per_day: Decimal::from(20),
            dexamethasone_days: 3,
            dexamethasone_doses_per_day: 2,
            dexamethasone_rounding_mg: Decimal::new(5, 1),
            methylprednisolone_mg_per_kg: Decimal::from(30),
            methylprednisolone_cap_mg: Decimal::from(1000),
            methylprednisolone_rounding_mg: Decimal::from(10),
            methylprednisolone_days: 3,
            dose_check_tolerance_percent: Decimal::from(10),
            cyclophosphamide_cap_mg: Decimal::from(1200),
            dexamethasone_cap_mg_per_day: Decimal::from(40),
            rituximab_min_mg_per_m2: Decimal::from(300),
            cyclophosphamide_min_mg_per_m2: Decimal::from(500),
            dexamethasone_min_mg_per_m2_per_day: Decimal::from(10),
            methylprednisolone_min_mg_per_kg: Decimal::from(10),
            full_course_min_mg_per_m2: Decimal::from(1500),
            full_course_min_mg: Decimal::from(2000),
            additional_dose_window_months: 12,
            non_response_window_days: 60,
            response_judgeable_weeks: 8,
            reproductive_potential_max_age_years: 50,
            could_be_pregnant_min_age_years: 10,
            could_be_pregnant_max_age_years: 55,
            workup_repeat_months: 12,
            regimen_order_min_percent: Decimal::from(20),
            new_course_alternative_months: 12,
        }
    }
}

/// A configuration value the rules cannot work with; names the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A number that must be above zero is not.
    NotPositive {
        /// The offending key.
        key: &'static str,
        /// Its value, as text.
        value: String,
    },
    /// A number lies outside the range the rules allow.
    OutOfRange {
        /// The offending key.
        key: &'static str,
        /// Its value, as text.
        value: String,
        /// The lowest allowed value.
        min: String,
        /// The highest allowed value.
        max: String,
    },
    /// A text value is empty.
    Empty {
        /// The offending key.
        key: &'static str,
    },
}

// Written out rather than derived: the rules crate depends on nothing but the decision model,
// decimals and dates.
impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::NotPositive { key, value } => {
                write!(f, "clinical.{key} must be greater than zero (got {value})")
            }
            ConfigError::OutOfRange {
                key,
                value,
                min,
                max,
            } => write!(
                f,
                "clinical.{key} must be between {min} and {max} (got {value})"
            ),
            ConfigError::Empty { key } => write!(f, "clinical.{key} must not be empty"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ClinicalConfig {
    /// Checks every value; the error names the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        non_empty("guideline_name", &self.guideline_name)?;
        non_empty("guideline_version", &self.guideline_version)?;

        positive_count("full_course_min_doses", self.full_course_min_doses)?;
        positive_count("full_course_window_days", self.full_course_window_days)?;
        in_range(
            "refractory_window_months",
            self.refractory_window_months,
            1,
            120,
        )?;
        positive_count("redose_gap_days", self.redose_gap_days)?;
        in_range("adult_age_years", self.adult_age_years, 1, 30)?;
        in_range("pulse_cycles", self.pulse_cycles, 1, 24)?;
        in_range("pulse_interval_weeks", self.pulse_interval_weeks, 1, 52)?;
        in_range("dexamethasone_days", self.dexamethasone_days, 1, 14)?;
        in_range(
            "dexamethasone_doses_per_day",
            self.dexamethasone_doses_per_day,
            1,
            4,
        )?;
        in_range(
            "methylprednisolone_days",
            self.methylprednisolone_days,
            1,
            5,
        )?;

        for (key, value) in [
            ("rituximab_mg_per_m2", self.rituximab_mg_per_m2),
            ("rituximab_cap_mg", self.rituximab_cap_mg),
            ("rituximab_rounding_mg", self.rituximab_rounding_mg),
            (
                "cyclophosphamide_mg_per_m2",
                self.cyclophosphamide_mg_per_m2,
            ),
            (
                "cyclophosphamide_cap_mg_per_m2",
                self.cyclophosphamide_cap_mg_per_m2,
            ),
            (
                "cyclophosphamide_rounding_mg",
                self.cyclophosphamide_rounding_mg,
            ),
            (
                "dexamethasone_mg_per_m2_per_day",
                self.dexamethasone_mg_per_m2_per_day,
            ),
            ("dexamethasone_rounding_mg", self.dexamethasone_rounding_mg),
            (
                "methylprednisolone_mg_per_kg",
                self.methylprednisolone_mg_per_kg,
            ),
            ("methylprednisolone_cap_mg", self.methylprednisolone_cap_mg),
            (
                "methylprednisolone_rounding_mg",
                self.methylprednisolone_rounding_mg,
            ),
            (
                "dose_check_tolerance_percent",
                self.dose_check_tolerance_percent,
            ),
        ] {
            positive_decimal(key, value)?;
        }
        positive_decimal("cyclophosphamide_cap_mg", self.cyclophosphamide_cap_mg)?;
        positive_decimal(
            "dexamethasone_cap_mg_per_day",
            self.dexamethasone_cap_mg_per_day,
        )?;
        positive_decimal("rituximab_min_mg_per_m2", self.rituximab_min_mg_per_m2)?;
        positive_decimal(
            "cyclophosphamide_min_mg_per_m2",
            self.cyclophosphamide_min_mg_per_m2,
        )?;
        positive_decimal(
            "dexamethasone_min_mg_per_m2_per_day",
            self.dexamethasone_min_mg_per_m2_per_day,
        )?;
        positive_decimal(
            "methylprednisolone_min_mg_per_kg",
            self.methylprednisolone_min_mg_per_kg,
        )?;
        positive_decimal("full_course_min_mg_per_m2", self.full_course_min_mg_per_m2)?;
        positive_decimal("full_course_min_mg", self.full_course_min_mg)?;
        in_range(
            "additional_dose_window_months",
            self.additional_dose_window_months,
            1,
            120,
        )?;
        in_range(
            "non_response_window_days",
            self.non_response_window_days,
            1,
            365,
        )?;
        in_range(
            "response_judgeable_weeks",
            self.response_judgeable_weeks,
            1,
            52,
        )?;
        in_range(
            "reproductive_potential_max_age_years",
            self.reproductive_potential_max_age_years,
            1,
            100,
        )?;
        in_range(
            "could_be_pregnant_min_age_years",
            self.could_be_pregnant_min_age_years,
            1,
            100,
        )?;
        in_range(
            "could_be_pregnant_max_age_years",
            self.could_be_pregnant_max_age_years,
            1,
            100,
        )?;
        in_range("workup_repeat_months", self.workup_repeat_months, 1, 120)?;
        positive_decimal("regimen_order_min_percent", self.regimen_order_min_percent)?;
        in_range(
            "new_course_alternative_months",
            self.new_course_alternative_months,
            1,
            120,
        )?;
        if self.could_be_pregnant_min_age_years > self.could_be_pregnant_max_age_years {
            return Err(ConfigError::OutOfRange {
                key: "could_be_pregnant_min_age_years",
                value: self.could_be_pregnant_min_age_years.to_string(),
                min: "1".to_owned(),
                max: self.could_be_pregnant_max_age_years.to_string(),
            });
        }
        // The former per-m2 "cap" is a range check on the configured pulse dose.
        if self.cyclophosphamide_mg_per_m2 > self.cyclophosphamide_cap_mg_per_m2 {
            return Err(ConfigError::OutOfRange {
                key: "cyclophosphamide_mg_per_m2",
                value: self.cyclophosphamide_mg_per_m2.to_string(),
                min: "0".to_owned(),
                max: self.cyclophosphamide_cap_mg_per_m2.to_string(),
            });
        }
        if self.dose_check_tolerance_percent > Decimal::from(100) {
            return Err(ConfigError::OutOfRange {
                key: "dose_check_tolerance_percent",
                value: self.dose_check_tolerance_percent.to_string(),
                min: "0".to_owned(),
                max: "100".to_owned(),
            });
        }
        Ok(())
    }

    /// `source.label`: the guideline's name and version.
    pub fn source_label(&self) -> String {
        format!("{} v{}", self.guideline_name, self.guideline_version)
    }
}

fn non_empty(key: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::Empty { key });
    }
    Ok(())
}

fn positive_count(key: &'static str, value: u32) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::NotPositive {
            key,
            value: value.to_string(),
        });
    }
    Ok(())
}

fn in_range(key: &'static str, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if !(min..=max).contains(&value) {
        return Err(ConfigError::OutOfRange {
            key,
            value: value.to_string(),
            min: min.to_string(),
            max: max.to_string(),
        });
    }
    Ok(())
}

fn positive_decimal(key: &'static str, value: Decimal) -> Result<(), ConfigError> {
    if value <= Decimal::ZERO {
        return Err(ConfigError::NotPositive {
            key,
            value: value.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_rules_defaults_and_valid() {
        let config = ClinicalConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.full_course_min_doses, 4);
        assert_eq!(config.rituximab_mg_per_m2, Decimal::from(375));
        assert_eq!(config.dexamethasone_rounding_mg.to_string(), "0.5");
    }

    #[test]
    fn a_zero_rounding_step_is_rejected_naming_the_key() {
        let config = ClinicalConfig {
            rituximab_rounding_mg: Decimal::ZERO,
            ..Default::default()
        };
        let error = config.validate().unwrap_err();
        assert!(
            error.to_string().contains("clinical.rituximab_rounding_mg"),
            "{error}"
        );
    }

    #[test]
    fn a_tolerance_above_one_hundred_percent_is_rejected() {
        let config = ClinicalConfig {
            dose_check_tolerance_percent: Decimal::from(150),
            ..Default::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                key: "dose_check_tolerance_percent",
                ..
            })
        ));
    }
}
