//! The evidence the cards cite (section 7 of the clinical rules), with its strength stated as the
//! rules state it: never stronger.

use crate::card::Link;

/// One citable source and how strong the evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    /// What the source supports.
    pub claim: &'static str,
    /// The citation as a clinician would read it.
    pub citation: &'static str,
    /// The strength, in the rules' words.
    pub strength: &'static str,
    /// A DOI (without the `https://doi.org/` prefix) when the rules give one.
    pub doi: Option<&'static str>,
    /// The citation in two or three words, for the card's one evidence line ("Wilken 2008").
    pub short: &'static str,
}

impl Evidence {
    /// This source in the card's one evidence line: "2-patient case report (Wilken 2008)".
    pub fn brief(&self) -> String {
        if *self == GUIDELINE {
            // Cited as what it is, never as an authority of its own.
            return "the guideline (an unreviewed summary)".to_owned();
        }
        format!("{} ({})", self.strength_brief(), self.short)
    }

    /// The strength without its qualifications (the part before a semicolon).
    fn strength_brief(&self) -> &'static str {
        self.strength
            .split(';')
            .next()
            .unwrap_or(self.strength)
            .trim()
    }

    /// The full evidence line (claim, citation, DOI, strength), for the rulebook.
    pub fn line(&self) -> String {
        let doi = self
            .doi
            .map(|doi| format!(", doi:{doi}"))
            .unwrap_or_default();
        format!(
            "{}: {}{doi} (strength: {})",
            self.claim, self.citation, self.strength
        )
    }

    /// A link to the DOI, when there is one.
    pub fn link(&self) -> Option<Link> {
        self.doi.map(|doi| Link {
            label: short_label(self.citation),
            url: format!("https://doi.org/{doi}"),
        })
    }
}

fn short_label(citation: &str) -> String {
    citation
        .split(';')
        .next()
        .unwrap_or(citation)
        .trim()
        .to_owned()
}

/// The relapse guideline itself.
pub const GUIDELINE: Evidence = Evidence {
    claim: "Treatment algorithm for relapsed OMS",
    citation:
        "Treatment of Relapse Opsoclonus-Myoclonus Syndrome (the guideline this service implements)",
    strength:
        "an unreviewed secondary summary; its claims are as strong as the sources beneath them",
    doi: None,
    short: "the guideline",
};

/// Rituximab 375 mg/m2 weekly x 4: case series.
pub const PRANZATELLI_2006: Evidence = Evidence {
    claim: "Rituximab 375 mg/m2 weekly x 4 added to ACTH or IVIG in paediatric OMS (not a relapse cohort)",
    citation: "Pranzatelli et al., J Pediatr Hematol Oncol 2006;28:585 (PMID 17006265)",
    strength: "case series, add-on therapy, n=16",
    doi: Some("10.1097/01.mph.0000212991.64435.f0"),
    short: "Pranzatelli 2006",
};

/// International consensus on OMS management.
pub const ROSSOR_2022: Evidence = Evidence {
    claim: "OMS management, tumour resection with immunotherapy, early treatment",
    citation: "Rossor et al., Neurol Neuroimmunol Neuroinflamm 2022;9:e1153",
    strength: "expert consensus",
    doi: Some("10.1212/NXI.0000000000001153"),
    short: "Rossor 2022",
};

/// A single additional rituximab dose after a full course.
pub const BRAIN_DEV_2016: Evidence = Evidence {
    claim: "Single additional rituximab dose after a full course (remission about 2 years)",
    citation: "Brain Dev 2016;38(3):346-9",
    strength: "single case report",
    doi: Some("10.1016/j.braindev.2015.09.002"),
    short: "Brain Dev 2016",
};

/// Cyclophosphamide + dexamethasone pulses.
pub const WILKEN_2008: Evidence = Evidence {
    claim: "Cyclophosphamide + dexamethasone pulses every 4 weeks, 6 cycles",
    citation: "Wilken et al., Eur J Paediatr Neurol 2008;12:51",
    strength:
        "2-patient case report; the pulse dose is borrowed from autoimmune encephalitis practice",
    doi: Some("10.1016/j.ejpn.2007.05.005"),
    short: "Wilken 2008",
};

/// Dexamethasone pulses 20 mg/m2/day x 3 days.
pub const ROSTASY_2006: Evidence = Evidence {
    claim: "Dexamethasone pulses 20 mg/m2/day x 3 days",
    citation: "Rostasy et al., Neuropediatrics 2006;37:291",
    strength: "case series, n=11",
    doi: Some("10.1055/s-2006-955931"),
    short: "Rostasy 2006",
};

/// IVIG add-on in neuroblastoma-associated OMS.
pub const DE_ALARCON_2018: Evidence = Evidence {
    claim: "IVIG added to steroids and risk-adapted chemotherapy",
    citation: "de Alarcon et al., Lancet Child Adolesc Health 2018;2:25 (ANBL00P3)",
    strength: "randomised trial, in neuroblastoma-associated OMS only",
    doi: None,
    short: "de Alarcon 2018",
};

/// Hepatitis B screening before anti-CD20 therapy.
pub const RITUXIMAB_LABEL: Evidence = Evidence {
    claim: "Screen for hepatitis B (HBsAg, anti-HBc) before rituximab",
    citation: "Rituximab prescribing information, boxed warning (HBV reactivation)",
    strength: "regulatory label",
    doi: None,
    short: "rituximab label",
};

/// Gonadal toxicity of cyclophosphamide.
pub const CYCLOPHOSPHAMIDE_LABEL: Evidence = Evidence {
    claim: "Gonadal toxicity of cyclophosphamide, rising with the cumulative dose",
    citation: "Cyclophosphamide prescribing information (reproductive toxicity)",
    strength: "regulatory label",
    doi: None,
    short: "cyclophosphamide label",
};

/// Adult-onset OMS: paraneoplastic in 39% of the largest adult series.
pub const ARMANGUE_2016: Evidence = Evidence {
    claim: "Adult-onset OMS: paraneoplastic in 39% (lung and breast cancer, ovarian teratoma)",
    citation: "Armangué et al., JAMA Neurol 2016;73:417 (n=114)",
    strength: "cohort study",
    doi: Some("10.1001/jamaneurol.2015.4607"),
    short: "Armangué 2016",
};

/// Pregnancy: fetal harm (cyclophosphamide), placental transfer (rituximab).
pub const PREGNANCY_LABELS: Evidence = Evidence {
    claim: "Embryo-fetal toxicity of cyclophosphamide; rituximab crosses the placenta (B-cell depletion in the newborn)",
    citation: "Cyclophosphamide and rituximab prescribing information (pregnancy)",
    strength: "regulatory label",
    doi: None,
    short: "product labels",
};

/// About 80% of children keep neurological deficits.
pub const WILKEN_2008_REVIEW: Evidence = Evidence {
    claim: "About 80% of children with OMS keep neurological deficits",
    citation: "Wilken et al., Eur J Paediatr Neurol 2008;12:51, citing the OMS literature",
    strength: "case report with literature review",
    doi: Some("10.1016/j.ejpn.2007.05.005"),
    short: "Wilken 2008",
};

/// The off-label note every dosing card carries (the rulebook states it in full).
pub const OFF_LABEL_NOTE: &str =
    "OMS immunotherapy is off-label: no drug named here is licensed for \
opsoclonus-myoclonus syndrome. The service proposes; the clinician decides.";

/// The off-label note as it ends a card's evidence line.
pub const OFF_LABEL_BRIEF: &str = "off-label in OMS; the clinician decides";
