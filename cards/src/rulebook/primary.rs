//! The rulebook pages of the primary recommendations (`rules::primary`, `history`, `assessment`):
//! which card is primary follows from the rituximab and cyclophosphamide history read against the
//! relapse date.

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
            "No rituximab is on record: no dose given, none reported in a medication \
             statement, and no earlier order."
                .to_owned(),
            no_regimen_in_progress(),
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
    rows.push(parameters::new_course_alternative(config));
    let mut safety = rituximab_safety();
    safety.push(before_redosing());
    Content {
        purpose: "For a relapse well after a completed rituximab course, this card proposes one \
                  additional dose rather than a new course or an escalation.",
        when: vec![
            full_course_on_record(config),
            "And the patient is not refractory to rituximab: none of the four conditions (a) \
             to (d) on the cyclophosphamide and dexamethasone pulses page holds."
                .to_owned(),
            format!(
                "In particular, the relapse did not come within {} months after the course's \
                 last dose, nor within {} months after an additional dose; no cyclophosphamide \
                 has been given for OMS since the course; and the course did not begin within \
                 {} days after a relapse date falling on or before its last dose.",
                config.refractory_window_months,
                config.additional_dose_window_months,
                config.non_response_window_days
            ),
            "A course known only from orders (no administration or statement on record) never \
             makes the patient refractory, except through cyclophosphamide given after it: \
             such a patient gets this card, whose summary calls the course ordered and which \
             asks to confirm that it was given (if it was not, a full course is the option)."
                .to_owned(),
            format!(
                "So does a patient whose relapse date on record lies more than {} days before \
                 the course's first dose while the Condition is still in relapse: the record \
                 cannot tell a new relapse from a course that did not work.",
                config.non_response_window_days
            ),
            no_regimen_in_progress(),
        ],
        proposes: vec![
            format!("One dose of rituximab {per_m2} mg/m2 IV, once."),
            "When the relapse date on record precedes the course, the summary says so and the \
             card asks for the OMS Condition's onset or recorded date to be updated if this is \
             a new relapse; if the course did not work, this is non-response and the pulse \
             regimen applies instead."
                .to_owned(),
            format!(
                "When the course's last dose is more than {} months before today, the card adds \
                 that B cells have recovered and that a new full course is an alternative.",
                config.new_course_alternative_months
            ),
            rituximab_arithmetic(config),
            rituximab_actions(),
            preselection(),
            reaction(),
        ],
        parameters: rows,
        basis: "A single case report: one child stayed in remission for about two years after \
                one additional dose. This is the weakest basis of the primary cards; the \
                alternative of a new full course is a matter of clinical judgement.",
        evidence: vec![GUIDELINE, BRAIN_DEV_2016, RITUXIMAB_LABEL],
        safety,
    }
}

/// `rituximab-partial-prior`.
pub(super) fn rituximab_partial_prior(config: &ClinicalConfig) -> Content {
    let per_m2 = show(config.rituximab_mg_per_m2);
    let count = config.full_course_min_doses;
    let gap = config.redose_gap_days;
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
                 any {} days and recorded amounts below the full-course totals, or records that \
                 do not say how many doses were given.",
                config.full_course_window_days
            ),
            "A medication statement without a count of doses stands for an unknown number: \
             the card says \"number of doses unknown\", and such a record is never taken for a \
             full course. A dose known only from an order is called ordered, not given."
                .to_owned(),
            no_regimen_in_progress(),
        ],
        proposes: vec![
            format!(
                "Two alternatives at {per_m2} mg/m2 IV per dose, neither pre-selected, of which \
                 the clinician accepts at most one: complete the course with the remaining \
                 weekly doses ({count} less the doses on record, at least one), or give a \
                 single dose."
            ),
            format!(
                "When the last dose on record is more than {gap} days before today, the first \
                 alternative is a new full course of {count} weekly doses instead: the old \
                 course is not resumed."
            ),
            format!(
                "When the number of doses on record is unknown, the card says so and the first \
                 alternative is a full course of {count} weekly doses."
            ),
            rituximab_arithmetic(config),
            rituximab_actions(),
            reaction(),
        ],
        parameters: rows,
        basis: "Neither the guideline summary nor a study covers a relapse after a partial \
                course. This is clinical judgement, which is why neither option is \
                pre-selected; the doses are those of the full-course regimen (a case series).",
        evidence: vec![PRANZATELLI_2006, RITUXIMAB_LABEL],
        safety,
    }
}

/// `cyclophosphamide-dexamethasone-pulses`.
pub(super) fn pulses(config: &ClinicalConfig) -> Content {
    let cycles = config.pulse_cycles;
    let mut rows = parameters::cyclophosphamide(config);
    rows.extend(parameters::dexamethasone(config));
    rows.extend(parameters::cycles(config));
    rows.extend(parameters::full_course(config));
    rows.extend(parameters::refractory(config));
    rows.push(parameters::response_judgeable(config));
    rows.push(parameters::reproductive_potential(config));
    rows.extend(parameters::could_be_pregnant(config));
    Content {
        purpose: "For a relapse showing that OMS is refractory to rituximab, or while this \
                  relapse's pulse regimen is under way, this card proposes cyclophosphamide \
                  pulses combined with dexamethasone pulses.",
        when: vec![
            full_course_on_record(config),
            "And the patient is refractory to rituximab, by at least one of (a) to (d):".to_owned(),
            format!(
                "(a) the relapse date is after the course's last dose and within {} months of \
                 it;",
                config.refractory_window_months
            ),
            format!(
                "(b) an additional dose (one given more than {} days after the course's last \
                 dose) came before this relapse, and the relapse date is within {} months of \
                 it;",
                config.redose_gap_days, config.additional_dose_window_months
            ),
            "(c) cyclophosphamide was given for OMS after the course and on or before the \
             relapse date: the escalation has already happened. Pulses dated after the relapse \
             date are this relapse's own regimen (below), and pulses given as neuroblastoma \
             chemotherapy count as exposure, not as escalation;"
                .to_owned(),
            format!(
                "(d) non-response: the relapse date is on or before the course's last dose, and \
                 the course began on or within {} days after it, so the course was this \
                 relapse's treatment and the Condition is still in relapse.",
                config.non_response_window_days
            ),
            "A course known only from orders never makes the patient refractory through (a), \
             (b) or (d); only cyclophosphamide given after it (c) does."
                .to_owned(),
            "And the relapse did not come after the last of the cyclophosphamide pulses given \
             after the course (that is highly refractory: see the specialist referral)."
                .to_owned(),
            format!(
                "Or, whatever the rituximab history, cyclophosphamide pulses for OMS are dated \
                 after the relapse date and fewer than {cycles} have been given: that is this \
                 relapse's regimen in progress, and the card is headed \"cycle N of {cycles}\"."
            ),
        ],
        proposes: vec![
            format!(
                "Cyclophosphamide {} mg/m2 IV on day 1 of each cycle (the literature range \
                 is 500 to 1000 mg/m2; the configuration accepts at most {} mg/m2), rounded to the \
                 nearest {} mg and never more than {} mg per pulse, a ceiling set by local \
                 policy. When that ceiling binds, the card says so and gives the mg/m2 it \
                 amounts to, noting when that falls below the {} mg/m2 at the bottom of the \
                 range.",
                show(config.cyclophosphamide_mg_per_m2),
                show(config.cyclophosphamide_cap_mg_per_m2),
                show(config.cyclophosphamide_rounding_mg),
                show(config.cyclophosphamide_cap_mg),
                show(config.cyclophosphamide_min_mg_per_m2)
            ),
            format!(
                "Dexamethasone {} mg/m2/day on days 1 to {}, in {} divided doses, never more \
                 than {} mg a day; each dose is rounded to the nearest {} mg after the daily \
                 cap is divided.",
                show(config.dexamethasone_mg_per_m2_per_day),
                config.dexamethasone_days,
                config.dexamethasone_doses_per_day,
                show(config.dexamethasone_cap_mg_per_day),
                show(config.dexamethasone_rounding_mg)
            ),
            format!(
                "A cycle every {} weeks, {cycles} cycles; for a regimen in progress, only the \
                 remaining cycles ({cycles} less the pulses given since the relapse).",
                config.pulse_interval_weeks
            ),
            "One pre-selected suggestion holds every action: the regimen's rituximab drafts in \
             play (IV or no route) are removed, and the regimen's cyclophosphamide and dexamethasone drafts \
             are updated in place rather than duplicated. An order for another use (oral \
             cyclophosphamide, a low-dose or one-off dexamethasone such as an antiemetic) is \
             left as it is."
                .to_owned(),
            format!(
                "While the course's last rituximab dose is less than {} weeks before today and \
                 the patient is refractory through the course itself ((a) or (d)), the response \
                 to rituximab may not yet be judgeable: the card says so and shows the doses, \
                 but suggests no order yet (and removes no rituximab draft).",
                config.response_judgeable_weeks
            ),
            "For (a) the card adds that an early relapse with B-cell (CD19) repopulation may \
             still respond to re-dosing rituximab."
                .to_owned(),
            "While the record says the patient is pregnant, the card shows no dose in mg, \
             suggests no order, leaves a cyclophosphamide order in play unchanged and refers to \
             the pregnancy card."
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
            format!(
                "Cyclophosphamide can harm a fetus: for patients who could be pregnant (not \
                 male, aged {} to {}), a pregnancy test before each cycle and contraception \
                 until one year after the last dose; for male patients of reproductive \
                 potential (aged {} to under {}), contraception until four months after.",
                config.could_be_pregnant_min_age_years,
                config.could_be_pregnant_max_age_years,
                config.could_be_pregnant_min_age_years,
                config.reproductive_potential_max_age_years
            ),
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
    let cycles = config.pulse_cycles;
    let mut rows = parameters::full_course(config);
    rows.push(parameters::pulse_cycles(config));
    Content {
        purpose: "For OMS that relapses despite rituximab and cyclophosphamide, this card \
                  proposes referral to an OMS specialist centre and lists the further options \
                  with the strength of their evidence.",
        when: vec![
            format!(
                "Highly refractory: a full course of rituximab is on record (at least {} doses \
                 within {} days, or the full-course totals), the patient is refractory to it, \
                 cyclophosphamide was given for OMS after it, and the relapse came after the \
                 last of those pulses.",
                config.full_course_min_doses, config.full_course_window_days
            ),
            format!(
                "Or all {cycles} pulses of the regimen for OMS, dated after the relapse date, \
                 have been given and the Condition is still in relapse."
            ),
            "A relapse dated before the pulses is the relapse they treat: while fewer than all \
             the cycles are given, the pulses card stays the primary card."
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
         last; or, within that span, doses whose recorded amounts add up to at least {} mg/m2, \
         or to at least {} mg at any age. Amounts recorded per m2 and in mg are added up \
         separately, and a dose without a recorded amount counts only towards the number of \
         doses. The latest full course is the reference.",
        config.full_course_min_doses,
        config.full_course_window_days,
        show(config.full_course_min_mg_per_m2),
        show(config.full_course_min_mg)
    )
}

fn no_regimen_in_progress() -> String {
    "And no cyclophosphamide pulse for OMS is dated after the relapse date: such pulses are this \
     relapse's regimen in progress, and the pulses card (or, after the last cycle, the \
     specialist referral) is the primary card instead."
        .to_owned()
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
    "The regimen's rituximab draft in play (IV or no route) is updated in place rather than \
     duplicated. A subcutaneous rituximab product (rituximab with hyaluronidase) is removed and \
     replaced by the IV order, because it is not dosed by body surface area. This card is the \
     only one that creates rituximab: when the fertility card removes a cyclophosphamide draft, \
     it refers to this card's order instead of offering its own."
        .to_owned()
}

fn preselection() -> String {
    "The order is pre-selected unless a positive hepatitis B result, a rituximab reaction or \
     allergy, or a pregnancy is on record, or the relapse is recorded as provisional, \
     differential or unconfirmed. A positive hepatitis B result or a pregnancy is named on the \
     card in one line that points to its own card."
        .to_owned()
}

fn reaction() -> String {
    "A reaction or allergy to rituximab (or another anti-CD20 antibody) on record, whether an \
     allergy record or a rituximab infusion stopped for a reaction, makes the card a warning \
     whose summary names it with its date, and the course is offered only for the case that \
     re-challenge is decided with specialist input (premedication, a slow infusion or \
     desensitisation); the pulse regimen is the alternative. No rituximab suggestion is then \
     pre-selected, and no card replaces another order with rituximab. When no rituximab dose \
     is on record, the card adds that the reaction implies an earlier dose: check the history."
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
    fn the_pulses_page_states_refractory_a_to_d_and_the_response_rule_with_configured_windows() {
        let config = ClinicalConfig {
            refractory_window_months: 7,
            additional_dose_window_months: 9,
            non_response_window_days: 30,
            response_judgeable_weeks: 6,
            redose_gap_days: 70,
            ..ClinicalConfig::default()
        };
        let page = pulses(&config);
        let when = page.when.join("\n");
        for needed in [
            "(a) the relapse date is after the course's last dose and within 7 months",
            "(b) an additional dose (one given more than 70 days after",
            "within 9 months of it",
            "(c) cyclophosphamide was given for OMS after the course and on or before the \
             relapse date",
            "(d) non-response",
            "on or within 30 days after it",
            "known only from orders never makes the patient refractory",
        ] {
            assert!(when.contains(needed), "{needed}: {when}");
        }
        let proposes = page.proposes.join("\n");
        assert!(
            proposes.contains("less than 6 weeks before today"),
            "{proposes}"
        );
        assert!(
            proposes.contains("shows the doses, but suggests no order yet"),
            "{proposes}"
        );
    }

    #[test]
    fn the_pulses_page_states_the_regimen_in_progress_and_the_caps() {
        let config = ClinicalConfig {
            pulse_cycles: 5,
            cyclophosphamide_cap_mg: Decimal::from(1100),
            cyclophosphamide_cap_mg_per_m2: Decimal::from(900),
            dexamethasone_cap_mg_per_day: Decimal::from(32),
            ..ClinicalConfig::default()
        };
        let page = pulses(&config);
        let when = page.when.join("\n");
        assert!(when.contains("fewer than 5 have been given"), "{when}");
        assert!(when.contains("\"cycle N of 5\""), "{when}");
        let proposes = page.proposes.join("\n");
        assert!(
            proposes.contains("never more than 1100 mg per pulse, a ceiling set by local policy"),
            "{proposes}"
        );
        assert!(proposes.contains("accepts at most 900 mg/m2"), "{proposes}");
        assert!(
            proposes.contains("never more than 32 mg a day"),
            "{proposes}"
        );
        assert!(proposes.contains("remaining cycles (5 less"), "{proposes}");
        assert!(!proposes.contains("1200"), "{proposes}");
    }

    #[test]
    fn the_pulses_page_names_who_could_be_pregnant_from_the_configuration() {
        let config = ClinicalConfig {
            could_be_pregnant_min_age_years: 11,
            could_be_pregnant_max_age_years: 52,
            reproductive_potential_max_age_years: 45,
            ..ClinicalConfig::default()
        };
        let safety = pulses(&config).safety.join("\n");
        assert!(safety.contains("aged 11 to 52"), "{safety}");
        assert!(safety.contains("(aged 11 to under 45)"), "{safety}");
    }

    #[test]
    fn a_full_course_by_cumulative_dose_follows_the_configured_totals() {
        let config = ClinicalConfig {
            full_course_min_mg_per_m2: Decimal::from(1400),
            full_course_min_mg: Decimal::from(1800),
            ..ClinicalConfig::default()
        };
        for page in [rituximab_redose(&config), pulses(&config)] {
            let when = page.when.join("\n");
            assert!(when.contains("at least 1400 mg/m2"), "{when}");
            assert!(when.contains("at least 1800 mg at any age"), "{when}");
        }
        let partial = rituximab_partial_prior(&config).when.join("\n");
        assert!(
            partial.contains("below the full-course totals"),
            "{partial}"
        );
    }

    #[test]
    fn the_partial_page_offers_a_new_course_after_the_configured_gap_and_names_unknown_counts() {
        let config = ClinicalConfig {
            redose_gap_days: 90,
            full_course_min_doses: 5,
            ..ClinicalConfig::default()
        };
        let page = rituximab_partial_prior(&config);
        let proposes = page.proposes.join("\n");
        assert!(
            proposes.contains(
                "more than 90 days before today, the first alternative is a new \
                 full course of 5 weekly doses"
            ),
            "{proposes}"
        );
        assert!(
            page.when.join("\n").contains("\"number of doses unknown\""),
            "{:?}",
            page.when
        );
    }

    #[test]
    fn the_redose_page_asks_to_update_a_relapse_dated_before_its_course_and_names_an_old_course() {
        let config = ClinicalConfig {
            non_response_window_days: 40,
            new_course_alternative_months: 18,
            ..ClinicalConfig::default()
        };
        let page = rituximab_redose(&config);
        let when = page.when.join("\n");
        assert!(when.contains("more than 40 days before"), "{when}");
        assert!(when.contains("known only from orders"), "{when}");
        assert!(when.contains("asks to confirm that it was given"), "{when}");
        let proposes = page.proposes.join("\n");
        assert!(
            proposes.contains("asks for the OMS Condition's onset or recorded date to be updated"),
            "{proposes}"
        );
        assert!(
            proposes.contains("more than 18 months before today")
                && proposes.contains("a new full course is an alternative"),
            "{proposes}"
        );
    }

    #[test]
    fn every_rituximab_page_has_one_creator_and_the_reaction_rule() {
        let config = ClinicalConfig::default();
        for page in [
            rituximab_full_course(&config),
            rituximab_redose(&config),
            rituximab_partial_prior(&config),
        ] {
            let proposes = page.proposes.join("\n");
            assert!(
                proposes.contains("the only one that creates rituximab"),
                "{proposes}"
            );
            assert!(
                proposes.contains("No rituximab suggestion is then pre-selected"),
                "{proposes}"
            );
            assert!(proposes.contains("makes the card a warning"), "{proposes}");
            assert!(
                page.when.join("\n").contains("regimen in progress"),
                "{:?}",
                page.when
            );
        }
    }

    #[test]
    fn the_referral_page_counts_the_configured_cycles() {
        let config = ClinicalConfig {
            pulse_cycles: 4,
            ..ClinicalConfig::default()
        };
        let when = specialist_referral(&config).when.join("\n");
        assert!(when.contains("all 4 pulses"), "{when}");
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
