//! The card's `detail`: GitHub-flavoured markdown in a fixed order, so every card reads the same
//! way: recommendation, working, evidence, off-label note, why the card fired, data issues.

use fhir_mapping::FhirRef;

use crate::evidence::{Evidence, OFF_LABEL_NOTE};

/// Builds a card's detail section by section.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    recommendation: Vec<String>,
    working: Vec<String>,
    evidence: Vec<Evidence>,
    off_label: bool,
    triggers: Vec<String>,
    data_issues: Vec<String>,
}

impl Detail {
    /// A detail opening with the recommendation.
    pub fn new(recommendation: impl Into<String>) -> Self {
        Self {
            recommendation: vec![recommendation.into()],
            ..Self::default()
        }
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

    /// A fact that made the card fire, with the record it came from.
    pub fn because(mut self, fact: impl Into<String>, source: Option<&FhirRef>) -> Self {
        let fact = fact.into();
        self.triggers.push(match source {
            Some(source) => format!("{fact} (`{source}`)"),
            None => fact,
        });
        self
    }

    /// A fact citing several records.
    pub fn because_all(mut self, fact: impl Into<String>, sources: &[FhirRef]) -> Self {
        let fact = fact.into();
        if sources.is_empty() {
            self.triggers.push(fact);
        } else {
            let refs: Vec<String> = sources.iter().map(|source| format!("`{source}`")).collect();
            self.triggers.push(format!("{fact} ({})", refs.join(", ")));
        }
        self
    }

    /// A data problem that limited the answer.
    pub fn data_issue(mut self, issue: impl Into<String>) -> Self {
        self.data_issues.push(issue.into());
        self
    }

    /// The cited sources (for the card's links).
    pub fn cited(&self) -> &[Evidence] {
        &self.evidence
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
        let evidence: Vec<String> = self.evidence.iter().map(Evidence::line).collect();
        bullets(&mut out, "Evidence", &evidence);
        if self.off_label {
            out.push_str(&format!("**Off-label**: {OFF_LABEL_NOTE}\n\n"));
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
            .data_issue("no height on record")
            .render();
        let order: Vec<usize> = [
            "**Recommendation**",
            "**Working**",
            "**Evidence**",
            "**Off-label**",
            "**Why this card**",
            "**Data issues",
        ]
        .iter()
        .map(|heading| detail.find(heading).unwrap())
        .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{detail}");
        assert!(detail.contains("- relapsed OMS (`Condition/123`)"));
        assert!(detail.contains("strength: expert consensus"));
    }

    #[test]
    fn empty_sections_are_left_out() {
        let detail = Detail::new("Only this.").render();
        assert_eq!(detail, "**Recommendation**\n\nOnly this.");
    }
}
