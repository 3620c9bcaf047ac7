//! The rulebook pages of the safety cards (`rules::safety`, `rules::risks` and the
//! unconfirmed-diagnosis card of `lib.rs`): checks on the diagnosis, the doses, the measurements
//! doses are computed from, and the risks that limit what may be ordered.

use crate::config::ClinicalConfig;
use crate::dose::show;
use crate::evidence::{
    ARMANGUE_2016, PRANZATELLI_2006, PREGNANCY_LABELS, RITUXIMAB_LABEL, ROSTASY_2006, WILKEN_2008,
};
use crate::rulebook::{parameters, Content};

/// `diagnosis-unconfirmed`.
pub(super) fn diagnosis_unconfirmed() -> Content {
    Content {
        purpose: "When the only sign of OMS in the record is an ambiguous code, the service asks \
                  for the diagnosis to be confirmed instead of proposing treatment.",
        when: vec![
            "An OMS drug is being ordered, and the only OMS evidence is the ICD-10 code G25.3 \
             (which covers any myoclonus) or the ICD-10-CM code H55.89 (other irregular eye \
             movements)."
                .to_owned(),
            "And that Condition's own code text or display does not name the syndrome \
             (opsoclonus, OMS, OMAS, Kinsbourne, dancing eyes). Negated text such as \"OMS ruled \
             out\" does not count, nor do notes."
                .to_owned(),
        ],
        proposes: vec![
            "Confirm the diagnosis: record OMS with a specific code, or name it in the \
             Condition's text."
                .to_owned(),
            "This is the only card of the response: no dose and no order is proposed until the \
             diagnosis is confirmed."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "A data-quality rule of this service, not a clinical recommendation: treating on \
                an ambiguous code risks treating the wrong disease.",
        evidence: Vec::new(),
        safety: Vec::new(),
    }
}

/// `hepatitis-b-screening`.
pub(super) fn hepatitis_b_screening() -> Content {
    Content {
        purpose: "Rituximab can reactivate hepatitis B, sometimes fatally; the product label \
                  asks for screening before the first dose.",
        when: vec![
            "A rituximab order is in play.".to_owned(),
            "And HBsAg or anti-HBc has no usable result: none on record (a negative result \
             counts only within the look-back period, the mapping setting \
             hepatitis_b_lookback_days), or the result on record is unreadable (weakly \
             reactive, equivocal, indeterminate or borderline, or a value and an \
             interpretation that disagree)."
                .to_owned(),
            "When the service itself proposes rituximab and no rituximab order is in play, the \
             primary card carries a one-line reminder to screen instead of this card."
                .to_owned(),
        ],
        proposes: vec![
            "An order for each missing or unreadable test: HBsAg (LOINC 5196-1) and anti-HBc \
             (LOINC 13952-7), in one suggestion; the card names which test is needed and why."
                .to_owned(),
            "A positive result is not a screening gap: the hepatitis B reactivation risk card \
             speaks instead, and no rituximab suggestion is pre-selected."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Regulatory label: a boxed warning in the rituximab prescribing information.",
        evidence: vec![RITUXIMAB_LABEL],
        safety: Vec::new(),
    }
}

/// `dose-check`.
pub(super) fn dose_check(config: &ClinicalConfig) -> Content {
    let tolerance = show(config.dose_check_tolerance_percent);
    let mut rows = vec![parameters::tolerance(config)];
    rows.extend(parameters::regimen_doses(config));
    rows.extend(parameters::literature_minima(config));
    rows.extend(parameters::caps(config));
    rows.push(parameters::regimen_order_share(config));
    Content {
        purpose: "Catches an ordered dose that is above the dose these rules compute for the \
                  patient, below the literature range, or above a cap, before it is signed.",
        when: vec![
            "An order in play for rituximab, cyclophosphamide, dexamethasone or \
             methylprednisolone states a dose that can be read in mg: an mg/kg or mg/m2 dose \
             is converted with the weight or body surface area used for dosing, and is not \
             judged when those are unusable. Fixed-dose subcutaneous rituximab is not checked."
                .to_owned(),
            "The amount compared is the amount per administration day: the dose times the \
             frequency when the period is one day or less (twice daily doubles it); for longer \
             periods, and for an order without timing, the amount per administration. The \
             computed amount is read the same way: rituximab per dose, cyclophosphamide per \
             pulse, dexamethasone and methylprednisolone per day, each capped."
                .to_owned(),
            format!(
                "For the OMS regimen's order of its drug, the card warns when the amount is more \
                 than {tolerance}% above the computed one, below the literature range (rituximab \
                 under {} mg/m2, cyclophosphamide under {} mg/m2, dexamethasone under {} \
                 mg/m2/day, methylprednisolone under {} mg/kg/day), or above a cap. A small \
                 under-dose within the range is the clinician's choice, not an alert.",
                show(config.rituximab_min_mg_per_m2),
                show(config.cyclophosphamide_min_mg_per_m2),
                show(config.dexamethasone_min_mg_per_m2_per_day),
                show(config.methylprednisolone_min_mg_per_kg)
            ),
            format!(
                "The regimen's order is an IV (or route-less) rituximab or cyclophosphamide \
                 order; a dexamethasone order only when the primary card proposes the pulses \
                 (IV, oral or no route); a methylprednisolone order only when the IV \
                 methylprednisolone card applies (IV or no route); a steroid order only when it \
                 is not a single administration and is at least {}% of the regimen's daily dose.",
                show(config.regimen_order_min_percent)
            ),
            format!(
                "Any other order of these drugs is another use (a premedication, an antiemetic, \
                 oral cyclophosphamide, a maintenance steroid): it is checked only against the \
                 caps, by the IV route or none (dexamethasone also by mouth): {} mg of rituximab \
                 per dose, {} mg of cyclophosphamide per pulse, {} mg \
                 of dexamethasone a day, {} mg of methylprednisolone a day. So is an order that \
                 another card's suggestion removes, and, while the patient is pregnant, any \
                 cyclophosphamide or dexamethasone order. An order that alone would not make the \
                 service speak is reported only when the service speaks for another order.",
                show(config.rituximab_cap_mg),
                show(config.cyclophosphamide_cap_mg),
                show(config.dexamethasone_cap_mg_per_day),
                show(config.methylprednisolone_cap_mg)
            ),
        ],
        proposes: vec![
            "One action per order: when the card that proposes the drug updates the regimen's \
             order itself (a rituximab primary card, the pulses card when it suggests its \
             orders, the IV methylprednisolone card), this card names the finding and that \
             card, and shows neither a second working nor a suggestion."
                .to_owned(),
            "Otherwise, for the regimen's order, the ordered and the computed amount per \
             administration day side by side with the working and the evidence of the \
             regimen, and a suggestion that sets the same order to the computed dose (its own \
             medication coding kept), where the computed dose can be shown (usable weight and \
             height). When another card sets the same order, this suggestion is withdrawn and \
             the card points there."
                .to_owned(),
            "A cap report on another use names the ordered amount and the cap, and suggests \
             nothing: no card changes or removes an order given for another use. A \
             dexamethasone or methylprednisolone order for another use that is above this \
             patient's own pulse dose (beyond the tolerance) is reported the same way, even \
             under the cap."
                .to_owned(),
        ],
        parameters: rows,
        basis: "An arithmetic check against the configured regimens and the literature dose \
                ranges: it carries the evidence of those regimens and no more, and cites it \
                when it shows a computed dose.",
        evidence: vec![PRANZATELLI_2006, WILKEN_2008, ROSTASY_2006],
        safety: Vec::new(),
    }
}

/// `missing-body-measurements`.
pub(super) fn missing_body_measurements() -> Content {
    Content {
        purpose: "A dose computed from a missing, out-of-date, implausible or inconsistent \
                  weight or height could be badly wrong, so the service withholds computed mg \
                  amounts instead.",
        when: vec![
            "A dose based on body surface area or weight is needed.".to_owned(),
            "And the weight or height on record is missing, older than its staleness limit, \
             outside the plausible range, in an unknown unit, dated in the future, or \
             inconsistent (with the previous weight, or with another weight of the same day); \
             the limits are set in the mapping configuration."
                .to_owned(),
        ],
        proposes: vec![
            "Record the value at fault (a current weight, a current height, or both); the card \
             says which value is unusable and why, with its date (both values and dates when \
             two conflict)."
                .to_owned(),
            "Until then no card shows a computed dose in mg (doses per m2 or per kg only) and \
             no medication order is suggested. An amount quoted from a draft order, and a \
             configured maximum, may still be shown: they are not computed from the \
             measurements."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "A safety rule of this service: no number on a card without the working behind \
                it.",
        evidence: Vec::new(),
        safety: Vec::new(),
    }
}

/// `adult-patient`.
pub(super) fn adult_patient(config: &ClinicalConfig) -> Content {
    let mut rows = vec![parameters::adult_age(config)];
    rows.extend(parameters::caps(config));
    Content {
        purpose: "The evidence behind these rules comes from children; OMS in adults has other \
                  causes and needs another work-up.",
        when: vec![format!(
            "The patient is {} years old or older.",
            config.adult_age_years
        )],
        proposes: vec![
            "Seek specialist input. In the largest adult series, up to 39% of adult-onset OMS \
             was paraneoplastic (lung or breast cancer, or an ovarian teratoma in young women), \
             fewer in smaller series; other cases follow infections or have no cause found. \
             When OMS began in adulthood and no recent tumour work-up is on record, the tumour \
             screening card sets one out."
                .to_owned(),
            "The configured caps bound every dose; the card lists them when usable body \
             measurements are on record."
                .to_owned(),
        ],
        parameters: rows,
        basis: "Cohort studies of adult-onset OMS for the paraneoplastic share. That the \
                paediatric evidence of the other cards does not carry over to adults as it \
                stands is this service's caution, not a cited finding.",
        evidence: vec![ARMANGUE_2016],
        safety: Vec::new(),
    }
}

/// `pregnancy`.
pub(super) fn pregnancy() -> Content {
    Content {
        purpose: "Cyclophosphamide can harm the fetus and rituximab crosses the placenta: a \
                  pregnancy changes what may be ordered with one click.",
        when: vec![
            "The record says the patient is pregnant: an active pregnancy Condition, a \
             pregnancy-status Observation saying pregnant, or a positive hCG within the hCG \
             window (a quantitative hCG without interpretation counts at or above the mapping \
             threshold); the latest evidence wins."
                .to_owned(),
            "And a rituximab or cyclophosphamide order is in play, or the primary card proposes \
             one."
                .to_owned(),
        ],
        proposes: vec![
            "Cyclophosphamide only on a specialist and obstetric decision; rituximab only with \
             specialist input (B-cell depletion in the newborn)."
                .to_owned(),
            "Corticosteroids for maternal disease are usually prednisolone or \
             methylprednisolone (dexamethasone crosses the placenta); IVIG is the other \
             pregnancy-compatible option."
                .to_owned(),
            "While pregnant no card offers a one-click cyclophosphamide or dexamethasone \
             order: the pulses card shows no dose in mg and suggests no order, and the dose \
             check may report on such an order but never corrects it. No \
             rituximab suggestion is pre-selected, the rituximab card names the pregnancy in \
             one line, and the fertility card is not shown."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Regulatory labels: the cyclophosphamide and rituximab prescribing information.",
        evidence: vec![PREGNANCY_LABELS],
        safety: Vec::new(),
    }
}

/// `hepatitis-b-reactivation-risk`.
pub(super) fn hepatitis_b_reactivation_risk() -> Content {
    Content {
        purpose: "A positive HBsAg or anti-HBc means rituximab can reactivate hepatitis B, \
                  sometimes fatally.",
        when: vec![
            "A rituximab order is in play or the primary card proposes rituximab.".to_owned(),
            "And HBsAg or anti-HBc is positive on record (a positive result counts at any date \
             unless a later result of the same test is negative)."
                .to_owned(),
        ],
        proposes: vec![
            "HBV DNA; hepatology or infectious-disease input; antiviral prophylaxis (entecavir \
             or tenofovir) from before the first dose to at least 12 months after the last; \
             monitoring."
                .to_owned(),
            "The card names each result with its date, and the rituximab card names the \
             positive result in one line. When anti-HBc alone is positive, this card \
             adds that a positive anti-HBc within 3 months of IVIG may be passively acquired, \
             and that HBV DNA decides."
                .to_owned(),
            "While a positive result is on record no rituximab suggestion is pre-selected. The \
             service does not read antiviral orders: the clinician confirms that prophylaxis \
             is in place."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Regulatory label: a boxed warning in the rituximab prescribing information.",
        evidence: vec![RITUXIMAB_LABEL],
        safety: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn dose_check_states_the_configured_range_caps_and_share() {
        let config = ClinicalConfig {
            dose_check_tolerance_percent: Decimal::from(15),
            rituximab_min_mg_per_m2: Decimal::from(250),
            cyclophosphamide_min_mg_per_m2: Decimal::from(450),
            dexamethasone_min_mg_per_m2_per_day: Decimal::from(8),
            methylprednisolone_min_mg_per_kg: Decimal::from(15),
            cyclophosphamide_cap_mg: Decimal::from(1100),
            dexamethasone_cap_mg_per_day: Decimal::from(32),
            regimen_order_min_percent: Decimal::from(25),
            ..ClinicalConfig::default()
        };
        let when = dose_check(&config).when.join("\n");
        for needed in [
            "more than 15% above the computed one",
            "rituximab under 250 mg/m2",
            "cyclophosphamide under 450 mg/m2",
            "dexamethasone under 8 mg/m2/day",
            "methylprednisolone under 15 mg/kg/day",
            "1100 mg of cyclophosphamide per pulse",
            "32 mg of dexamethasone a day",
            "at least 25% of the regimen's daily dose",
            "the amount per administration day",
            "another use",
            "another card's suggestion removes",
        ] {
            assert!(when.contains(needed), "{needed}: {when}");
        }
        let proposes = dose_check(&config).proposes.join("\n");
        assert!(proposes.contains("One action per order"), "{proposes}");
        assert!(
            proposes.contains("above this patient's own pulse dose"),
            "{proposes}"
        );
    }

    #[test]
    fn the_adult_page_gives_the_cohort_figure_not_a_comparison() {
        let page = adult_patient(&ClinicalConfig::default());
        let proposes = page.proposes.join("\n");
        assert!(proposes.contains("up to 39%"), "{proposes}");
        assert!(!proposes.contains("more often"), "{proposes}");
        assert!(page.basis.contains("Cohort studies"), "{}", page.basis);
        assert_eq!(page.evidence, vec![ARMANGUE_2016]);
    }

    #[test]
    fn hepatitis_b_screening_fires_for_missing_or_unreadable_results() {
        let when = hepatitis_b_screening().when.join("\n");
        assert!(when.contains("none on record"), "{when}");
        assert!(when.contains("unreadable"), "{when}");
    }
}
