//! The rulebook pages of the additional cards (`rules::fertility`, `rules::neuroblastoma`,
//! `rules::steroids`, `rules::monitoring`): each is shown beside the primary card, at most once,
//! when its own conditions hold.

use crate::config::ClinicalConfig;
use crate::dose::show;
use crate::evidence::{
    ARMANGUE_2016, CYCLOPHOSPHAMIDE_LABEL, DE_ALARCON_2018, GUIDELINE, ROSSOR_2022, ROSTASY_2006,
    WILKEN_2008_REVIEW,
};
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
        purpose: "Cyclophosphamide can impair fertility, more so as the cumulative dose rises; \
                  this card weighs that whenever cyclophosphamide for OMS is ordered or about \
                  to start for a patient of reproductive potential or with a fertility concern.",
        when: vec![
            "The OMS regimen's cyclophosphamide order (IV or no route) is in play (an order \
             naming another indication, such as neuroblastoma chemotherapy, and another use, \
             such as oral cyclophosphamide, never count), or the primary card proposes the \
             cyclophosphamide and dexamethasone pulses at their first cycle."
                .to_owned(),
            format!(
                "And the patient is under {} years old, or of reproductive potential (under {} \
                 years, any sex), or a fertility concern is documented (a Condition, \
                 Observation, Goal or Flag about fertility).",
                config.adult_age_years, config.reproductive_potential_max_age_years
            ),
            "And the record does not say the patient is pregnant: then the pregnancy card \
             speaks instead."
                .to_owned(),
        ],
        proposes: vec![
            "Fertility counselling, and preservation where possible, before any \
             cyclophosphamide (before any further cyclophosphamide when some is on record); the \
             summary names the reason: a fertility concern, a young patient, or reproductive \
             potential."
                .to_owned(),
            "The cumulative cyclophosphamide exposure on record, whatever it was given for \
             (neuroblastoma chemotherapy included), and, when the primary card proposes the \
             pulses, the planned cumulative dose: the pulses given since the relapse plus the \
             remaining cycles at the proposed (capped) dose, in g and in g/m2 with the body \
             surface area used. Amounts in mg appear only with usable body measurements."
                .to_owned(),
            "When the primary card proposes rituximab and the regimen's cyclophosphamide draft \
             (IV or no route) is in play: one suggestion that removes that draft and points to \
             the primary card, which alone creates the rituximab order; the removal is pre-selected on \
             the same terms as that order. An order for another \
             use (oral cyclophosphamide) is never removed, and nothing is removed without \
             usable body measurements or when a rituximab reaction or allergy is on record."
                .to_owned(),
            "When the patient is refractory to rituximab, the card does not set rituximab \
             against the primary card's escalation: it asks for counselling before any further \
             cyclophosphamide and for the cumulative exposure to be weighed."
                .to_owned(),
        ],
        parameters: rows,
        basis: "That cyclophosphamide is gonadotoxic, increasingly with the cumulative dose, is \
                stated in its product label. Choosing rituximab first for fertility's sake rests \
                on expert consensus, not on a comparative study.",
        evidence: vec![CYCLOPHOSPHAMIDE_LABEL, ROSSOR_2022],
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
            "And no resection of it is on record: a resection procedure, or a procedure done \
             for that Condition, counts only when dated on or after the tumour's latest onset \
             (with only a recorded date, up to 30 days before it). A recurrence after a \
             resection is an unresected tumour."
                .to_owned(),
        ],
        proposes: vec![
            "A referral to surgical oncology for tumour resection (a referral order), in \
             addition to immunotherapy, not instead of it."
                .to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Expert consensus.",
        evidence: vec![ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `neuroblastoma-screening`.
pub(super) fn neuroblastoma_screening(config: &ClinicalConfig) -> Content {
    Content {
        purpose: "OMS can be the first sign of a small, hidden neuroblastoma, and a relapse can \
                  herald its recurrence; this card asks for a search when none is on record or \
                  the last one is old.",
        when: vec![
            format!(
                "The patient is known to be under {} years old (adults get the tumour \
                 screening card instead), and no neuroblastoma is present.",
                config.adult_age_years
            ),
            format!(
                "And no neuroblastoma work-up is on record (no neuroblastoma Condition of any \
                 status, no urine catecholamine result (HVA, VMA), no MIBG scan and no \
                 cross-sectional imaging), or the latest is more than {} months before the \
                 relapse date.",
                config.workup_repeat_months
            ),
        ],
        proposes: vec![
            "Screening for an occult neuroblastoma, in one suggestion: MRI of chest, abdomen and \
             pelvis, and urine HVA and VMA."
                .to_owned(),
            "MIBG scintigraphy where the imaging is inconclusive.".to_owned(),
            "When a work-up exists, the card names its date and says that a relapse can herald \
             a tumour recurrence."
                .to_owned(),
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
             record that is active and recent or whose period includes today. An older record \
             still marked active is history, named as a data issue."
                .to_owned(),
            "And the primary card is not the cyclophosphamide and dexamethasone pulses: their \
             dexamethasone is that relapse's steroid."
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
            format!(
                "The regimen's methylprednisolone draft in play is updated in place: IV or no \
                 route, not a single administration, and at least {}% of the pulse's daily \
                 dose. A premedication or another low dose is another use and is left as it is.",
                show(config.regimen_order_min_percent)
            ),
            "Without a current, plausible weight the card gives the dose per kg and the daily \
             maximum only, shows no computed mg amount and suggests no order."
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
             is among the orders in play, and it is not a one-off dose: a single \
             administration, such as a premedication or an antiemetic, is not a steroid \
             decision."
                .to_owned(),
            "And the IV methylprednisolone card does not apply (the patient is not on an oral \
             steroid)."
                .to_owned(),
            "And the primary card is not the cyclophosphamide and dexamethasone pulses, whose \
             dexamethasone is part of that regimen."
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
        when: vec![
            "The OMS Condition's severity is recorded as severe.".to_owned(),
            "And the primary card is the rituximab full course: combination therapy is a \
             choice made at the outset, not at a re-dose or an escalation."
                .to_owned(),
        ],
        proposes: vec![
            "Consider combination therapy from the outset, for example a steroid pulse with IVIG \
             and rituximab, instead of escalating one agent at a time."
                .to_owned(),
            "Information only: each drug is ordered on its own.".to_owned(),
        ],
        parameters: Vec::new(),
        basis: "Expert consensus. The randomised trial cited tested IVIG added to standard \
                therapy in neuroblastoma-associated OMS; it did not test this combination, and \
                no study of the combination is cited.",
        evidence: vec![ROSSOR_2022, DE_ALARCON_2018],
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
            "And the orders being signed start a treatment step: a rituximab order when the \
             primary card proposes rituximab, or a cyclophosphamide order when the primary \
             card proposes the pulses and no pulse has yet been given for this relapse. \
             Signing a steroid taper step, a later pulse or a referral does not bring the \
             card."
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
        evidence: vec![WILKEN_2008_REVIEW, ROSSOR_2022],
        safety: Vec::new(),
    }
}

/// `tumour-screening`.
pub(super) fn tumour_screening(config: &ClinicalConfig) -> Content {
    Content {
        purpose: "Adult-onset OMS is paraneoplastic in a substantial share of patients; finding \
                  the tumour changes the treatment.",
        when: vec![
            format!(
                "The patient is {} years old or older, and OMS began at that age or later (the \
                 current age counts when the onset is not recorded).",
                config.adult_age_years
            ),
            format!(
                "And no adult tumour work-up is on record since the OMS onset (CT or MRI of \
                 chest, abdomen or pelvis, FDG-PET, breast imaging, pelvic or testicular \
                 ultrasound, an onconeural antibody panel, or a malignancy Condition), or the \
                 latest is more than {} months before the relapse date.",
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
                2016, n=114: lung and breast cancer most often, ovarian teratoma in young \
                women), fewer in others (3 of 21, Klaas 2012).",
        evidence: vec![ARMANGUE_2016],
        safety: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn fertility_applies_at_the_configured_reproductive_age_and_removes_only_the_regimens_draft() {
        let config = ClinicalConfig {
            reproductive_potential_max_age_years: 45,
            ..ClinicalConfig::default()
        };
        let page = fertility(&config);
        let when = page.when.join("\n");
        assert!(when.contains("under 45 years, any sex"), "{when}");
        assert!(when.contains("pregnant"), "{when}");
        let proposes = page.proposes.join("\n");
        assert!(proposes.contains("planned cumulative dose"), "{proposes}");
        assert!(
            proposes.contains("which alone creates the rituximab order"),
            "{proposes}"
        );
        assert!(proposes.contains("oral cyclophosphamide"), "{proposes}");
    }

    #[test]
    fn both_screening_pages_repeat_a_work_up_older_than_configured() {
        let config = ClinicalConfig {
            workup_repeat_months: 18,
            adult_age_years: 16,
            ..ClinicalConfig::default()
        };
        for page in [neuroblastoma_screening(&config), tumour_screening(&config)] {
            let when = page.when.join("\n");
            assert!(
                when.contains("more than 18 months before the relapse date"),
                "{when}"
            );
            assert!(when.contains("16 years"), "{when}");
        }
        let neuroblastoma = neuroblastoma_screening(&config).when.join("\n");
        assert!(
            neuroblastoma.contains("no neuroblastoma is present"),
            "{neuroblastoma}"
        );
    }

    #[test]
    fn the_steroid_pages_stand_aside_for_the_pulses_and_one_off_doses() {
        let config = ClinicalConfig {
            regimen_order_min_percent: Decimal::from(25),
            ..ClinicalConfig::default()
        };
        let options = corticosteroid_options(&config).when.join("\n");
        assert!(options.contains("not a one-off dose"), "{options}");
        assert!(
            options.contains("primary card is not the cyclophosphamide and dexamethasone pulses"),
            "{options}"
        );
        let pulse = iv_methylprednisolone(&config);
        assert!(
            pulse.when.join("\n").contains("primary card is not"),
            "{:?}",
            pulse.when
        );
        let proposes = pulse.proposes.join("\n");
        assert!(proposes.contains("at least 25% of"), "{proposes}");
        assert!(
            proposes.contains("the dose per kg and the daily maximum only"),
            "{proposes}"
        );
    }

    #[test]
    fn combination_therapy_is_for_the_first_course_and_does_not_borrow_the_ivig_trial() {
        let page = combination_therapy();
        assert!(
            page.when.join("\n").contains("rituximab full course"),
            "{:?}",
            page.when
        );
        assert!(
            page.basis.contains("it did not test this combination"),
            "{}",
            page.basis
        );
    }

    #[test]
    fn monitoring_needs_orders_that_start_a_treatment_step() {
        let when = monitoring_and_rehabilitation().when.join("\n");
        assert!(when.contains("start a treatment step"), "{when}");
        assert!(when.contains("no pulse has yet been given"), "{when}");
    }
}
