//! The rulebook pages of the additional cards (`rules::fertility`, `rules::neuroblastoma`,
//! `rules::steroids`, `rules::monitoring`): each is shown beside the primary card, at most once,
//! when its own conditions hold.

use crate::config::ClinicalConfig;
use crate::dose::show;
use crate::evidence::{ARMANGUE_2016, DE_ALARCON_2018, GUIDELINE, ROSSOR_2022, ROSTASY_2006};
use crate::rulebook::{parameters, Content};

/// `fertility-prefer-rituximab`.
pub(super) fn fertility(config: &ClinicalConfig) -> Content {
    let mut rows = vec![
        parameters::adult_age(config),
        parameters::reproductive_potential(config),
    ];
    rows.extend(parameters::cyclophosphamide(config));
    rows.push(parameters::pulse_cycles(config));
    Content {
        purpose: "Cyclophosphamide can impair fertility; this card weighs that whenever \
                  cyclophosphamide is ordered or proposed for a young patient or one with a \
                  fertility concern.",
        when: vec![
            "Cyclophosphamide is among the orders in play, or the primary card proposes the \
             cyclophosphamide and dexamethasone pulses."
                .to_owned(),
            format!(
                "And the patient is under {} years old, or a fertility concern is documented (a \
                 Condition, Observation, Goal or Flag about fertility).",
                config.adult_age_years
            ),
        ],
        proposes: vec![
            "Fertility counselling, and preservation where possible, before any \
             cyclophosphamide; the card lists the cumulative cyclophosphamide exposure on \
             record, whatever it was given for."
                .to_owned(),
            "When the primary card proposes rituximab and a cyclophosphamide draft is in play: \
             the primary card's rituximab options, each also removing the cyclophosphamide \
             draft. Never when a rituximab reaction or allergy is on record."
                .to_owned(),
            "When the patient is refractory to rituximab, the card does not set rituximab \
             against the primary card's escalation: it asks for counselling before any further \
             cyclophosphamide and for the cumulative exposure to be weighed."
                .to_owned(),
        ],
        parameters: rows,
        basis: "That cyclophosphamide is gonadotoxic, increasingly with the cumulative dose, is \
                stated in its product label. Choosing rituximab first for fertility's sake rests \
                on expert consensus and the guideline summary, not on a comparative study.",
        evidence: vec![GUIDELINE, ROSSOR_2022],
        safety: vec![
            "Counsel before the first pulse, not after: fertility preservation takes time to \
             arrange."
                .to_owned(),
        ],
    }
}

/// `neuroblastoma-resection`.
pub(super) fn neuroblastoma_resection() -> Content {
    Content {
        purpose: "In OMS with a neuroblastoma, removing the tumour is part of the treatment, \
                  alongside immunotherapy.",
        when: vec![
            "A neuroblastoma Condition is active, recurrent or in relapse.".to_owned(),
            "And no resection of it is on record (a resection procedure, or a procedure done \
             for that Condition)."
                .to_owned(),
        ],
        proposes: vec![
            "A referral to surgical oncology for tumour resection (a referral order), in \
             addition to immunotherapy, not instead of it."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Expert consensus.",
        evidence: vec![GUIDELINE, ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `neuroblastoma-screening`.
pub(super) fn neuroblastoma_screening(config: &ClinicalConfig) -> Content {
    Content {
        purpose: "OMS can be the first sign of a small, hidden neuroblastoma, and a relapse can \
                  herald its recurrence; this card asks for a search when none is on record.",
        when: vec![
            "No neuroblastoma work-up is on record: no neuroblastoma Condition of any status, \
             no urine catecholamine result (HVA, VMA), no MIBG scan and no cross-sectional \
             imaging."
                .to_owned(),
        ],
        proposes: vec![
            "Screening for an occult neuroblastoma, in one suggestion: MRI of chest, abdomen and \
             pelvis, and urine HVA and VMA."
                .to_owned(),
            "MIBG scintigraphy where the imaging is inconclusive.".to_owned(),
        ],
        parameters: vec![
            parameters::adult_age(config),
            parameters::workup_repeat(config),
        ],
        basis: "Expert consensus.",
        evidence: vec![ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `iv-methylprednisolone`.
pub(super) fn iv_methylprednisolone(config: &ClinicalConfig) -> Content {
    let mut rows = parameters::methylprednisolone(config);
    rows.push(parameters::regimen_order_share(config));
    Content {
        purpose: "A relapse while on an oral steroid calls for a short IV methylprednisolone \
                  pulse rather than more of the oral steroid.",
        when: vec![
            "The patient is currently on an oral corticosteroid (prednisone, prednisolone, \
             dexamethasone or methylprednisolone, by mouth or with no route recorded), from a \
             record that is active and recent or whose period includes today."
                .to_owned(),
        ],
        proposes: vec![
            format!(
                "IV methylprednisolone {} mg/kg/day, rounded to the nearest {} mg and never more \
                 than {} mg a day, for 3 to 5 days; the suggested order covers {} days.",
                show(config.methylprednisolone_mg_per_kg),
                show(config.methylprednisolone_rounding_mg),
                show(config.methylprednisolone_cap_mg),
                config.methylprednisolone_days
            ),
            "A methylprednisolone draft in play is updated in place.".to_owned(),
            "Without a current, plausible weight the card gives the dose per kg only, shows no \
             mg amount (not even the cap) and suggests no order."
                .to_owned(),
        ],
        parameters: rows,
        basis: "The guideline summary and expert consensus; no OMS study of IV \
                methylprednisolone pulses is cited.",
        evidence: vec![GUIDELINE, ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `corticosteroid-options`.
pub(super) fn corticosteroid_options(config: &ClinicalConfig) -> Content {
    Content {
        purpose: "When a corticosteroid is ordered for the relapse, this card sets out the \
                  steroid regimens described for OMS.",
        when: vec![
            "A corticosteroid (dexamethasone, prednisone, prednisolone or methylprednisolone) \
             is among the orders in play."
                .to_owned(),
            "And the patient is not on an oral steroid (then the IV methylprednisolone card \
             applies instead)."
                .to_owned(),
        ],
        proposes: vec![
            "Oral prednisone, which usually needs maintenance therapy with a slow taper."
                .to_owned(),
            format!(
                "Or dexamethasone pulses, {} mg/m2/day for {} days every {} weeks.",
                show(config.dexamethasone_mg_per_m2_per_day),
                config.dexamethasone_days,
                config.pulse_interval_weeks
            ),
            "IV methylprednisolone pulses are for relapses on oral steroids. The card is \
             information only: it suggests no order."
                .to_owned(),
        ],
        parameters: parameters::dexamethasone_pulse_option(config),
        basis: "A case series for the dexamethasone pulses; the guideline summary for the rest.",
        evidence: vec![GUIDELINE, ROSTASY_2006],
        safety: Vec::new(),
    }
}

/// `combination-therapy`.
pub(super) fn combination_therapy() -> Content {
    Content {
        purpose: "Severe OMS may warrant several treatments together from the start rather than \
                  one at a time.",
        when: vec!["The OMS Condition's severity is recorded as severe.".to_owned()],
        proposes: vec![
            "Consider combination therapy from the outset, for example a steroid pulse with IVIG \
             and rituximab, instead of escalating one agent at a time."
                .to_owned(),
            "Information only: each drug is ordered on its own.".to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Expert consensus. The randomised trial cited tested IVIG added to standard \
                therapy in neuroblastoma-associated OMS; it did not test this combination.",
        evidence: vec![GUIDELINE, DE_ALARCON_2018, ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `monitoring-and-rehabilitation`.
pub(super) fn monitoring_and_rehabilitation() -> Content {
    Content {
        purpose: "Motor symptoms can improve while cognitive deficits persist or appear; \
                  follow-up and rehabilitation belong to the treatment plan.",
        when: vec![
            "Orders for relapsed OMS are being signed (the order-sign hook), not merely \
             selected."
                .to_owned(),
        ],
        proposes: vec![
            "Regular neurological assessment of opsoclonus, myoclonus and ataxia to judge the \
             response."
                .to_owned(),
            "Cognitive assessment, because cognitive impairment can develop despite a motor \
             response, and cognitive rehabilitation as part of the plan."
                .to_owned(),
            "An order for a neuropsychological assessment.".to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Expert consensus. The figure of about 80% of children keeping some deficit \
                is taken from the OMS literature as reviewed in a case report.",
        evidence: vec![GUIDELINE, ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `tumour-screening`.
pub(super) fn tumour_screening(config: &ClinicalConfig) -> Content {
    Content {
        purpose: "Adult-onset OMS is often paraneoplastic; finding the tumour changes the \
                  treatment.",
        when: vec![
            format!(
                "OMS began at {} years of age or later (the current age when the onset is not \
                 recorded).",
                config.adult_age_years
            ),
            format!(
                "And no adult tumour work-up is on record since the OMS onset, or the latest is \
                 more than {} months before the relapse date.",
                config.workup_repeat_months
            ),
        ],
        proposes: vec![
            "CT of chest, abdomen and pelvis; mammography or breast imaging and pelvic imaging \
             in women; testicular ultrasound in young men; consider FDG-PET; onconeural \
             antibodies including anti-Ri. The suggestion orders the CT."
                .to_owned(),
            "It replaces the neuroblastoma screening card for adults.".to_owned(),
        ],
        parameters: vec![
            parameters::adult_age(config),
            parameters::workup_repeat(config),
        ],
        basis: "Cohort studies: paraneoplastic in 39% of the largest adult series (Armangué \
                2016, n=114), fewer in others (3 of 21, Klaas 2012).",
        evidence: vec![ARMANGUE_2016],
        safety: Vec::new(),
    }
}
