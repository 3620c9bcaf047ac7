//! The card's `detail`: GitHub-flavoured markdown in a fixed order, so every card reads the same
//! way: recommendation, working, evidence, off-label note, why the card fired, data issues.
//!
//! Invariant: visible text names records in clinical words with dates; the FHIR references of
//! the facts behind a card are collected apart (`references`), for the card's `extension`.

use fhir_mapping::FhirRef;

use crate::dose::ComputedDose;
use crate::evidence::{Evidence, OFF_LABEL_BRIEF};
use crate::regimen;

/// Builds a card's detail section by section.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    recommendation: Vec<String>,
    working: Vec<String>,
    evidence: Vec<Evidence>,
    off_label: bool,
    triggers: Vec<String>,
    data_issues: Vec<String>,
    references: Vec<FhirRef>,
}

impl Detail {
    /// A detail opening with the recommendation.
    pub fn new(recommendation: impl Into<String>) -> Self {
        Self {
            recommendation: vec![recommendation.into()],
            ..Self::default()
        }
    }

    /// A paragraph put before the recommendation (a condition it depends on).
    pub fn lead(mut self, text: impl Into<String>) -> Self {
        self.recommendation.insert(0, text.into());
        self
    }

    /// Another paragraph or bullet of the recommendation.
    pub fn also(mut self, text: impl Into<String>) -> Self {
        self.recommendation.push(text.into());
        self
    }

    /// Lines of the dose working (inputs, formula, rounding, cap, configured parameters).
    pub fn working(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.working.extend(lines);
        self
    }

    /// The working of a computed dose, each line after `prefix` when given ("cyclophosphamide:
    /// ..."); the measurements it rests on become the card's references.
    pub fn dose_working(mut self, dose: &ComputedDose, prefix: Option<&str>) -> Self {
        let mut lines = regimen::working(dose).into_iter();
        // The body size line is the same for every drug of a card: said once, unprefixed.
        if let Some(basis) = lines.next() {
            if !self.working.contains(&basis) {
                self.working.push(basis);
            }
        }
        let lines = lines.map(|line| match prefix {
            Some(prefix) => format!("{prefix}: {line}"),
            None => line,
        });
        self.working(lines).cite_records(dose.basis.sources())
    }

    /// Cites a source.
    pub fn evidence(mut self, evidence: Evidence) -> Self {
        if !self.evidence.contains(&evidence) {
            self.evidence.push(evidence);
        }
        self
    }

    /// Adds the off-label note.
    pub fn off_label(mut self) -> Self {
        self.off_label = true;
        self
    }

    /// A fact that made the card fire (in clinical words), with the record it came from.
    pub fn because(self, fact: impl Into<String>, source: Option<&FhirRef>) -> Self {
        self.because_all(fact, source.cloned().as_slice())
    }

    /// A fact resting on several records.
    pub fn because_all(mut self, fact: impl Into<String>, sources: &[FhirRef]) -> Self {
        self.triggers.push(fact.into());
        self.cite_records(sources)
    }

    /// A data problem that limited the answer, with the record it is about.
    pub fn data_issue(mut self, issue: impl Into<String>, source: Option<&FhirRef>) -> Self {
        self.data_issues.push(issue.into());
        self.cite_records(source)
    }

    /// Records the card rests on without a line of their own (the inputs of the working).
    pub fn cite_records<'a>(mut self, sources: impl IntoIterator<Item = &'a FhirRef>) -> Self {
        for source in sources {
            if !self.references.contains(source) {
                self.references.push(source.clone());
            }
        }
        self
    }

    /// The FHIR references of the facts behind the card, in first-cited order.
    pub fn references(&self) -> &[FhirRef] {
        &self.references
    }

    /// The cited sources (for the card's links).
    pub fn cited(&self) -> &[Evidence] {
        &self.evidence
    }

    /// The one evidence line: each source's strength and short citation, then the off-label
    /// note ("**Evidence**: 2-patient case report (Wilken 2008); ... Off-label in OMS; the
    /// clinician decides."). The rulebook page linked from the card says the rest.
    fn evidence_line(&self) -> Option<String> {
        if self.evidence.is_empty() && !self.off_label {
            return None;
        }
        let sources: Vec<String> = self.evidence.iter().map(Evidence::brief).collect();
        let mut line = String::from("**Evidence**: ");
        line.push_str(&sources.join("; "));
        if self.off_label {
            if !sources.is_empty() {
                line.push_str(". ");
            }
            let mut note = OFF_LABEL_BRIEF.chars();
            if let Some(first) = note.next() {
                line.extend(first.to_uppercase());
                line.push_str(note.as_str());
            }
        }
        line.push('.');
        Some(line)
    }

    /// The markdown.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("**Recommendation**\n\n");
        for (index, paragraph) in self.recommendation.iter().enumerate() {
            out.push_str(paragraph);
            // Consecutive bullet items form one list; anything else is its own paragraph.
            let next_is_bullet = self
                .recommendation
                .get(index + 1)
                .is_some_and(|next| next.starts_with("- "));
            out.push_str(if paragraph.starts_with("- ") && next_is_bullet {
                "\n"
            } else {
                "\n\n"
            });
        }
        bullets(&mut out, "Working", &self.working);
        if let Some(line) = self.evidence_line() {
            out.push_str(&line);
            out.push_str("\n\n");
        }
        bullets(&mut out, "Why this card", &self.triggers);
        bullets(
            &mut out,
            "Data issues that limited this answer",
            &self.data_issues,
        );
        out.trim_end().to_owned()
    }
}

fn bullets(out: &mut String, heading: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    out.push_str(&format!("**{heading}**\n\n"));
    for line in lines {
        out.push_str(&format!("- {line}\n"));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ROSSOR_2022;

    #[test]
    fn the_detail_lists_sections_in_a_fixed_order_with_references() {
        let detail = Detail::new("Do this.")
            .working(["375 mg/m2 x 0.62 m2 = 232.5 mg".to_owned()])
            .evidence(ROSSOR_2022)
            .off_label()
            .because("relapsed OMS", Some(&FhirRef::new("Condition", "123")))
            .data_issue("no height on record", None)
            .render();
        let order: Vec<usize> = [
            "**Recommendation**",
            "**Working**",
            "**Evidence**",
            "**Why this card**",
            "**Data issues",
        ]
        .iter()
        .map(|heading| detail.find(heading).unwrap())
        .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{detail}");
        assert!(detail.contains("- relapsed OMS\n"));
        assert!(!detail.contains("Condition/123"));
        assert!(detail.contains("**Evidence**: expert consensus (Rossor 2022). Off-label in OMS"));
    }

    #[test]
    fn empty_sections_are_left_out() {
        let detail = Detail::new("Only this.").render();
        assert_eq!(detail, "**Recommendation**\n\nOnly this.");
    }
}
