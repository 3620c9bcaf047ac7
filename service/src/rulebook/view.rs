//! What the templates see: the rules crate's plain rulebook data as serialisable views, with the
//! links a page needs. The rules crate has no serde, so the shapes live here, at the edge.

use cards::evidence::Evidence;
use cards::rulebook::TopicGroup;
use cards::rulebook::{GuidelineSource, IndexGroup, Parameter, RulebookIndex, RulebookPage};
use serde::Serialize;

/// Where the index is, relative to a topic page (`/guideline/{code}` -> `/guideline`). Relative
/// links keep working when the service is served under a path prefix.
pub const INDEX_FROM_TOPIC: &str = "../guideline";

/// Where the index is, relative to itself.
pub const INDEX_FROM_INDEX: &str = "guideline";

/// What every page shows around its content.
#[derive(Debug, Serialize)]
pub struct Layout<'a> {
    /// The style sheet, inlined (its hash is in the Content-Security-Policy).
    pub css: &'static str,
    /// The link back to the index.
    pub index_href: &'static str,
    /// The guideline's name, version and label.
    pub source: SourceView<'a>,
}

/// The guideline as the configuration names it.
#[derive(Debug, Serialize)]
pub struct SourceView<'a> {
    name: &'a str,
    version: &'a str,
    label: &'a str,
    note: &'static str,
}

impl<'a> SourceView<'a> {
    /// The view of the configured guideline.
    pub fn new(source: &'a GuidelineSource) -> Self {
        Self {
            name: &source.name,
            version: &source.version,
            label: &source.label,
            note: source.note,
        }
    }
}

/// `index.html`.
#[derive(Debug, Serialize)]
pub struct IndexPage<'a> {
    /// The surroundings.
    pub layout: Layout<'a>,
    /// The index itself.
    pub page: IndexView<'a>,
}

/// The index's content.
#[derive(Debug, Serialize)]
pub struct IndexView<'a> {
    off_label: &'static str,
    speaks_when: &'a [&'static str],
    otherwise: &'a [&'static str],
    groups: Vec<GroupView>,
}

impl<'a> IndexView<'a> {
    /// The view of the rulebook's index.
    pub fn new(index: &'a RulebookIndex) -> Self {
        Self {
            off_label: index.off_label,
            speaks_when: &index.speaks_when,
            otherwise: &index.otherwise,
            groups: index.groups.iter().map(GroupView::new).collect(),
        }
    }
}

/// One group of topics.
#[derive(Debug, Serialize)]
struct GroupView {
    id: &'static str,
    heading: &'static str,
    introduction: &'static str,
    entries: Vec<EntryView>,
}

impl GroupView {
    fn new(group: &IndexGroup) -> Self {
        Self {
            id: group_id(group.group),
            heading: group.heading,
            introduction: group.introduction,
            entries: group
                .entries
                .iter()
                .map(|entry| EntryView {
                    href: format!("{INDEX_FROM_INDEX}/{}", entry.topic.code()),
                    code: entry.topic.code(),
                    title: entry.title,
                    purpose: entry.purpose,
                })
                .collect(),
        }
    }
}

/// A fragment id for a group's section.
fn group_id(group: TopicGroup) -> &'static str {
    match group {
        TopicGroup::Primary => "primary",
        TopicGroup::Additional => "additional",
        TopicGroup::Safety => "safety",
    }
}

/// One topic in the index.
#[derive(Debug, Serialize)]
struct EntryView {
    href: String,
    code: &'static str,
    title: &'static str,
    purpose: &'static str,
}

/// `topic.html`.
#[derive(Debug, Serialize)]
pub struct TopicPage<'a> {
    /// The surroundings.
    pub layout: Layout<'a>,
    /// The topic's rationale.
    pub page: TopicView<'a>,
}

/// One topic's rationale.
#[derive(Debug, Serialize)]
pub struct TopicView<'a> {
    code: &'static str,
    title: &'static str,
    group: &'static str,
    purpose: &'static str,
    when: &'a [String],
    proposes: &'a [String],
    parameters: Vec<ParameterView<'a>>,
    basis: &'static str,
    evidence: Vec<EvidenceView>,
    safety: &'a [String],
    off_label: &'static str,
}

impl<'a> TopicView<'a> {
    /// The view of one rulebook page.
    pub fn new(page: &'a RulebookPage) -> Self {
        Self {
            code: page.topic.code(),
            title: page.title,
            group: page.group.heading(),
            purpose: page.purpose,
            when: &page.when,
            proposes: &page.proposes,
            parameters: page.parameters.iter().map(ParameterView::new).collect(),
            basis: page.basis,
            evidence: page.evidence.iter().map(EvidenceView::new).collect(),
            safety: &page.safety,
            off_label: page.off_label,
        }
    }
}

/// One configured parameter.
#[derive(Debug, Serialize)]
struct ParameterView<'a> {
    name: &'static str,
    value: &'a str,
    key: &'static str,
}

impl<'a> ParameterView<'a> {
    fn new(parameter: &'a Parameter) -> Self {
        Self {
            name: parameter.name,
            value: &parameter.value,
            key: parameter.key,
        }
    }
}

/// One cited source, with its DOI as a link when it has one.
#[derive(Debug, Serialize)]
struct EvidenceView {
    claim: &'static str,
    citation: &'static str,
    strength: &'static str,
    doi: Option<&'static str>,
    doi_url: Option<String>,
}

impl EvidenceView {
    fn new(evidence: &Evidence) -> Self {
        Self {
            claim: evidence.claim,
            citation: evidence.citation,
            strength: evidence.strength,
            doi: evidence.doi,
            doi_url: evidence.doi.map(doi_url),
        }
    }
}

/// `not_found.html`.
#[derive(Debug, Serialize)]
pub struct NotFoundPage<'a> {
    /// The surroundings.
    pub layout: Layout<'a>,
}

/// The resolver link of a DOI. A DOI may hold characters that mean something in a URL (`#`,
/// `?`, `%`, spaces), so everything outside a conservative set is percent-encoded.
fn doi_url(doi: &str) -> String {
    let mut url = String::from("https://doi.org/");
    for byte in doi.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/():;".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doi_becomes_a_resolver_link_with_unsafe_characters_encoded() {
        assert_eq!(
            doi_url("10.1212/NXI.0000000000001153"),
            "https://doi.org/10.1212/NXI.0000000000001153"
        );
        assert_eq!(
            doi_url("10.1002/(SICI)1097 x#y?z"),
            "https://doi.org/10.1002/(SICI)1097%20x%23y%3Fz"
        );
    }
}
