//! The rulebook pages of the primary recommendations (`rules::primary`, `history`): which card is
//! primary follows from the rituximab and cyclophosphamide history read against the relapse date.

use crate::config::ClinicalConfig;
use crate::dose::show;
use crate::evidence::{
    BRAIN_DEV_2016, DE_ALARCON_2018, GUIDELINE, PRANZATELLI_2006, RITUXIMAB_LABEL, ROSSOR_2022,
    ROSTASY_2006, WILKEN_2008,
};
use crate::rulebook::{parameters, Content};

/// `rituximab-full-course`.
pub(super) fn rituximab_full_course(config: &ClinicalConfig) -> Content {
    let per_m2 = show(config.rituximab_mg_per_m2);
    let count = config.full_course_min_doses;
    let mut rows = parameters::rituximab_dose(config);
    rows.extend(parameters::full_course(config));
    Content {
        purpose: "For a relapse in a patient who has had no rituximab, this card proposes a full \
                  course of rituximab dosed by body surface area.",
        when: vec![
            "The service speaks about this patient (see the index): an OMS drug is being \
             ordered and the OMS Condition is recorded as in relapse."
                .to_owned(),
            "No rituximab dose is on record: none given, none reported in a medication \
             statement, and no earlier order."
                .to_owned(),
        ],
        proposes: vec![
            format!("Rituximab {per_m2} mg/m2 IV once weekly for {count} doses."),
            rituximab_arithmetic(config),
            rituximab_actions(),
            preselection(),
            reaction(),
        ],
        parameters: rows,
        basis: "A case series of 16 children in whom rituximab was added to other \
                immunotherapy (not a relapse cohort), and international expert consensus. No \
                trial in relapsed OMS is cited.",
        evidence: vec![GUIDELINE, PRANZATELLI_2006, ROSSOR_2022, RITUXIMAB_LABEL],
        safety: rituximab_safety(),
    }
}

/// `rituximab-redose`.
pub(super) fn rituximab_redose(config: &ClinicalConfig) -> Content {
    let per_m2 = show(config.rituximab_mg_per_m2);
    let mut rows = parameters::rituximab_dose(config);
    rows.extend(parameters::full_course(config));
    rows.extend(parameters::refractory(config));
    let mut safety = rituximab_safety();
    safety.push(before_redosing());
    Content {
        purpose: "For a relapse well after a completed rituximab course, this card proposes one \
                  additional dose rather than a new course or an escalation.",
        when: vec![
            full_course_on_record(config),
            format!(
                "The patient is not refractory to rituximab: the relapse did not come within {} \
                 months after the course's last dose, no additional dose was given before this \
                 relapse, and no cyclophosphamide has been given for OMS since the course.",
                config.refractory_window_months
            ),
        ],
        proposes: vec![
            format!("One dose of rituximab {per_m2} mg/m2 IV, once."),
            rituximab_arithmetic(config),
            rituximab_actions(),
            preselection(),
            reaction(),
        ],
        parameters: rows,
        basis: "A single case report: one child stayed in remission for about two years after \
                one additional dose. This is the weakest basis of the primary cards; the \
                alternative of a new full course is a matter of clinical judgement.",
        evidence: vec![GUIDELINE, BRAIN_DEV_2016, ROSSOR_2022, RITUXIMAB_LABEL],
        safety,
    }
}

/// `rituximab-partial-prior`.
pub(super) fn rituximab_partial_prior(config: &ClinicalConfig) -> Content {
    let per_m2 = show(config.rituximab_mg_per_m2);
    let count = config.full_course_min_doses;
    let mut rows = parameters::rituximab_dose(config);
    rows.extend(parameters::full_course(config));
    rows.push(parameters::redose_gap(config));
    let mut safety = rituximab_safety();
    safety.push(before_redosing());
    Content {
        purpose: "For a relapse after some rituximab that does not amount to a full course, this \
                  card sets out the two reasonable options and leaves the choice to the \
                  clinician.",
        when: vec![
            format!(
                "Rituximab is on record, but not a full course: fewer than {count} doses within \
                 any {} days, or records that do not say how many doses were given.",
                config.full_course_window_days
            ),
            "A record that does not count its doses is never taken for a full course, and a \
             dose known only from an order is called ordered, not given."
                .to_owned(),
        ],
        proposes: vec![
            format!(
                "Two alternatives at {per_m2} mg/m2 IV per dose, neither pre-selected: complete \
                 the course with the remaining weekly doses ({count} less the doses on record, \
                 at least one), or give a single dose."
            ),
            format!(
                "When the number of doses on record is unknown, the first alternative is a full \
                 course of {count} weekly doses."
            ),
            rituximab_arithmetic(config),
            rituximab_actions(),
            reaction(),
        ],
        parameters: rows,
        basis: "Neither the guideline summary nor a study covers a relapse after a partial \
                course. This is clinical judgement, which is why neither option is marked as \
                recommended.",
        evidence: vec![GUIDELINE, PRANZATELLI_2006, BRAIN_DEV_2016, RITUXIMAB_LABEL],
        safety,
    }
}

/// `cyclophosphamide-dexamethasone-pulses`.
pub(super) fn pulses(config: &ClinicalConfig) -> Content {
    let mut rows = parameters::cyclophosphamide(config);
    rows.extend(parameters::dexamethasone(config));
    rows.extend(parameters::cycles(config));
    rows.extend(parameters::full_course(config));
    rows.extend(parameters::refractory(config));
    rows.push(parameters::response_judgeable(config));
    rows.push(parameters::reproductive_potential(config));
    rows.extend(parameters::could_be_pregnant(config));
    Content {
        purpose: "For a relapse showing that OMS is refractory to rituximab, this card proposes \
                  escalation to cyclophosphamide pulses combined with dexamethasone pulses.",
        when: vec![
            full_course_on_record(config),
            format!(
                "And the patient is refractory to rituximab: the relapse came within {} months \
                 after the course's last dose; or an additional dose (one given more than {} \
                 days after the course) came before this relapse; or cyclophosphamide has been \
                 given for OMS since the course. Pulses given as neuroblastoma chemotherapy \
                 count as exposure, not as escalation.",
                config.refractory_window_months, config.redose_gap_days
            ),
            "And the relapse did not come after the last of those cyclophosphamide pulses \
             (that is highly refractory: see the specialist referral)."
                .to_owned(),
        ],
        proposes: vec![
            format!(
                "Cyclophosphamide {} mg/m2 IV on day 1 of each cycle (the literature range is \
                 500 to 1000 mg/m2), rounded to the nearest {} mg and never more than {} mg/m2.",
                show(config.cyclophosphamide_mg_per_m2),
                show(config.cyclophosphamide_rounding_mg),
                show(config.cyclophosphamide_cap_mg_per_m2)
            ),
            format!(
                "Dexamethasone {} mg/m2/day on days 1 to {}, in {} divided doses, each rounded \
                 to the nearest {} mg.",
                show(config.dexamethasone_mg_per_m2_per_day),
                config.dexamethasone_days,
                config.dexamethasone_doses_per_day,
                show(config.dexamethasone_rounding_mg)
            ),
            format!(
                "A cycle every {} weeks, {} cycles.",
                config.pulse_interval_weeks, config.pulse_cycles
            ),
            "One pre-selected suggestion holds every action: rituximab drafts in play are \
             removed, and cyclophosphamide or dexamethasone drafts in play are updated in place \
             rather than duplicated."
                .to_owned(),
            no_usable_measurements(),
        ],
        parameters: rows,
        basis: "A report of two patients; the pulse dose is borrowed from autoimmune \
                encephalitis practice. The dexamethasone pulse schedule comes from a case series. \
                Thin evidence for a toxic regimen: weigh it with the patient and family.",
        evidence: vec![GUIDELINE, WILKEN_2008, ROSTASY_2006],
        safety: vec![
            "Cyclophosphamide harms fertility, more so as the cumulative dose rises: offer \
             fertility counselling, and preservation where possible, before the first pulse \
             (see Fertility: prefer rituximab)."
                .to_owned(),
            "Cyclophosphamide can harm a fetus: for patients who could be pregnant, a pregnancy \
             test before each cycle and contraception until one year after the last dose; for \
             male patients of reproductive potential, contraception until four months after."
                .to_owned(),
            "Hydrate well against haemorrhagic cystitis, with mesna per local protocol.".to_owned(),
            "A blood count before each pulse; hold the pulse if neutrophils or platelets are \
             low (the nadir is about day 10 to 14)."
                .to_owned(),
            "Consider Pneumocystis prophylaxis while cyclophosphamide is combined with \
             high-dose steroids."
                .to_owned(),
            "No live vaccines during treatment and for at least three months after it.".to_owned(),
        ],
    }
}

/// `specialist-referral`.
pub(super) fn specialist_referral(config: &ClinicalConfig) -> Content {
    let mut rows = parameters::full_course(config);
    rows.push(parameters::pulse_cycles(config));
    Content {
        purpose: "For OMS that relapses despite rituximab and cyclophosphamide, this card \
                  proposes referral to an OMS specialist centre and lists the further options \
                  with the strength of their evidence.",
        when: vec![
            full_course_on_record(config),
            "Cyclophosphamide was given for OMS after that course, and the relapse came after \
             the last of those pulses (highly refractory)."
                .to_owned(),
        ],
        proposes: vec![
            "A referral to an OMS specialist centre (a referral order), pre-selected.".to_owned(),
            "Options for the specialist discussion, none of which the service orders: IVIG \
             added to standard therapy (a randomised trial, in neuroblastoma-associated OMS \
             only); ACTH-based combinations and intrathecal rituximab (case series); \
             steroid-sparing agents (weak evidence: mycophenolate did not prevent relapse); \
             ofatumumab or bortezomib (by extrapolation from autoimmune encephalitis only)."
                .to_owned(),
        ],
        parameters: rows,
        basis: "The guideline summary offers nothing for this situation. The options listed \
                rest on the literature with the strength named beside each; none is \
                established for highly refractory OMS.",
        evidence: vec![ROSSOR_2022, DE_ALARCON_2018],
        safety: Vec::new(),
    }
}

fn full_course_on_record(config: &ClinicalConfig) -> String {
    format!(
        "A full course of rituximab is on record: at least {} doses within {} days, first to \
         last.",
        config.full_course_min_doses, config.full_course_window_days
    )
}

fn rituximab_arithmetic(config: &ClinicalConfig) -> String {
    format!(
        "Each dose is the body surface area (from weight and height; Mosteller unless the \
         mapping configuration says otherwise) times {} mg/m2, rounded to the nearest {} mg, \
         and never more than {} mg. The card shows this working with the measurements and \
         their dates.",
        show(config.rituximab_mg_per_m2),
        show(config.rituximab_rounding_mg),
        show(config.rituximab_cap_mg)
    )
}

fn rituximab_actions() -> String {
    "A rituximab draft order in play is updated in place. A subcutaneous rituximab product \
     (rituximab with hyaluronidase) is replaced by the IV order, because it is not dosed by body \
     surface area. When the fertility card replaces a cyclophosphamide draft with rituximab, the \
     order is offered on that card only, so that it is created once."
        .to_owned()
}

fn preselection() -> String {
    "The order is pre-selected unless a positive hepatitis B result or a rituximab reaction or \
     allergy is on record."
        .to_owned()
}

fn reaction() -> String {
    "A rituximab (or other anti-CD20) reaction or allergy on record makes the card a warning \
     that names it: re-challenge needs specialist input, and the pulse regimen is the \
     alternative."
        .to_owned()
}

fn no_usable_measurements() -> String {
    "Without a usable weight and height the card gives the doses per m2 only and suggests no \
     order."
        .to_owned()
}

fn before_redosing() -> String {
    "Before re-dosing, check IgG (with IgM) and the CD19 B-cell count; with low IgG and \
     infections, consider immunoglobulin replacement."
        .to_owned()
}

/// The safety notes of every card that proposes rituximab (product label).
fn rituximab_safety() -> Vec<String> {
    vec![
        "Screen for hepatitis B (HBsAg and anti-HBc) before the first dose: rituximab can \
         reactivate hepatitis B, sometimes fatally (boxed warning). A positive result needs HBV \
         DNA, antiviral prophylaxis and hepatology input before rituximab."
            .to_owned(),
        "Premedicate (paracetamol and an antihistamine, with or without a corticosteroid) and \
         start the first infusion slowly, increasing the rate in steps: infusion reactions are a \
         boxed warning."
            .to_owned(),
        "Check immunisations: give due vaccines before the course where possible, and no live \
         vaccines during B-cell depletion."
            .to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn the_pulses_page_states_the_configured_regimen() {
        let config = ClinicalConfig {
            pulse_cycles: 4,
            dexamethasone_mg_per_m2_per_day: Decimal::from(15),
            ..ClinicalConfig::default()
        };
        let proposes = pulses(&config).proposes.join("\n");
        assert!(
            proposes.contains("Cyclophosphamide 750 mg/m2 IV"),
            "{proposes}"
        );
        assert!(
            proposes.contains("Dexamethasone 15 mg/m2/day on days 1 to 3"),
            "{proposes}"
        );
        assert!(proposes.contains("4 cycles"), "{proposes}");
    }

    #[test]
    fn the_redose_page_states_the_refractory_window() {
        let config = ClinicalConfig {
            refractory_window_months: 8,
            ..ClinicalConfig::default()
        };
        let when = rituximab_redose(&config).when.join("\n");
        assert!(when.contains("within 8 months"), "{when}");
    }
}
