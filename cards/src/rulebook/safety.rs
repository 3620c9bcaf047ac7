//! The rulebook pages of the safety cards (`rules::safety` and the unconfirmed-diagnosis card of
//! `lib.rs`): checks on the diagnosis, the doses and the measurements doses are computed from.

use crate::config::ClinicalConfig;
use crate::dose::show;
use crate::evidence::{GUIDELINE, PREGNANCY_LABELS, RITUXIMAB_LABEL, ROSSOR_2022};
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
            "A rituximab order is in play, and HBsAg or anti-HBc has no result on record within \
             the look-back period (the mapping setting hepatitis_b_lookback_days)."
                .to_owned(),
            "When the service itself proposes rituximab and no rituximab order is in play, the \
             primary card carries the same reminder instead of this card."
                .to_owned(),
        ],
        proposes: vec![
            "An order for each missing test: HBsAg (LOINC 5196-1) and anti-HBc (LOINC \
             13952-7), in one suggestion."
                .to_owned(),
            "With a positive result on record, the rituximab card says so and pre-selects \
             nothing: HBV DNA, antiviral prophylaxis and hepatology input come first."
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
        purpose: "Catches an ordered dose that differs from the dose these rules compute for \
                  the patient, before it is signed.",
        when: vec![
            "An order in play for rituximab, cyclophosphamide, dexamethasone or \
             methylprednisolone states its dose in mg, mg/m2 or mg/kg."
                .to_owned(),
            format!(
                "And that dose is more than {tolerance}% above or below the computed dose. For \
                 dexamethasone, either one divided dose or the daily total is accepted."
            ),
        ],
        proposes: vec![
            "The ordered and the computed dose side by side, with the working.".to_owned(),
            "A suggestion that sets the same order to the computed dose, where the computed \
             dose can be shown (usable weight and height)."
                .to_owned(),
        ],
        parameters: rows,
        basis: "An arithmetic check against the configured regimens: it carries the evidence \
                of those regimens and no more.",
        evidence: vec![GUIDELINE],
        safety: Vec::new(),
    }
}

/// `missing-body-measurements`.
pub(super) fn missing_body_measurements() -> Content {
    Content {
        purpose: "A dose computed from a missing, out-of-date, implausible or inconsistent \
                  weight or height could be badly wrong, so the service withholds mg amounts \
                  instead.",
        when: vec![
            "A dose based on body surface area or weight is needed.".to_owned(),
            "And the weight or height on record is missing, older than its staleness limit, \
             outside the plausible range, in an unknown unit, dated in the future, or \
             inconsistent with the previous weight (limits set in the mapping configuration)."
                .to_owned(),
        ],
        proposes: vec![
            "Record a current weight and height; the card says which value is unusable and \
             why, with its date."
                .to_owned(),
            "Until then no card shows a dose in mg (doses per m2 or per kg only) and no \
             medication order is suggested."
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
            "Seek specialist input. Adult OMS is more often paraneoplastic (lung or breast \
             cancer, or an ovarian teratoma in young women) or linked to infections: consider \
             a tumour work-up."
                .to_owned(),
            "The configured caps bound every dose; the card lists them when usable body \
             measurements are on record."
                .to_owned(),
        ],
        parameters: rows,
        basis: "Expert consensus. The paediatric evidence of the other cards does not transfer \
                to adults as it stands.",
        evidence: vec![ROSSOR_2022],
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
            "While pregnant no card offers a one-click cyclophosphamide or dexamethasone order, \
             no rituximab suggestion is pre-selected, and the fertility card is not shown."
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
            "An isolated positive anti-HBc within 3 months of IVIG may be passively acquired: \
             HBV DNA decides."
                .to_owned(),
            "No rituximab suggestion is pre-selected until prophylaxis is in place.".to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Regulatory label: a boxed warning in the rituximab prescribing information.",
        evidence: vec![RITUXIMAB_LABEL],
        safety: Vec::new(),
    }
}
