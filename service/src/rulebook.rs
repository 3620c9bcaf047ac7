//! The rulebook as HTML: one page per card topic and an index, rendered from the rules crate's
//! plain data (`cards::rulebook`) with the running configuration's numbers. Served without a token
//! at `GET /guideline` and `GET /guideline/{topic}`; a card can link to its page with
//! [`rulebook_url`].
//!
//! Why pre-rendered: the configuration is fixed for the life of the process, so every page is
//! rendered once at start-up. A template or data error then stops the start instead of failing a
//! clinician's request, and serving a page is a map lookup.
//!
//! Layout: this module renders and holds the pages; `view` is what the templates see. The
//! templates and the style sheet live in `service/templates/` and are compiled into the binary.
//!
//! Invariants: the pages hold no patient data and load nothing: no script, no image, no external
//! style or font. The only inline style is the embedded sheet, allowed by its hash in the
//! Content-Security-Policy, so the policy needs no `'unsafe-inline'`.

pub mod view;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::header::InvalidHeaderValue;
use axum::http::HeaderValue;
use base64::Engine as _;
use cards::rulebook::GuidelineSource;
use cards::{ClinicalConfig, Topic};
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use view::{
    IndexPage, IndexView, Layout, NotFoundPage, SourceView, TopicPage, TopicView, INDEX_FROM_INDEX,
    INDEX_FROM_TOPIC,
};

/// The path of the rulebook's index; a topic's page is this plus `/{topic-code}`.
pub const RULEBOOK_PATH: &str = "/guideline";

/// The absolute URL of a topic's rulebook page, for a card's `links`: `{base}/guideline/{code}`.
pub fn rulebook_url(public_base_url: &str, topic: Topic) -> String {
    format!(
        "{}{RULEBOOK_PATH}/{}",
        public_base_url.trim_end_matches('/'),
        topic.code()
    )
}

/// The style sheet every page inlines.
const CSS: &str = include_str!("../templates/rulebook.css");

/// The templates, by name; `.html` names turn on HTML escaping of every value.
const TEMPLATES: [(&str, &str); 4] = [
    ("base.html", include_str!("../templates/base.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("topic.html", include_str!("../templates/topic.html")),
    (
        "not_found.html",
        include_str!("../templates/not_found.html"),
    ),
];

/// Why the rulebook could not be rendered at start-up.
#[derive(Debug, thiserror::Error)]
pub enum RulebookError {
    /// A template does not parse or does not render with the data given.
    #[error("the rulebook template {template} cannot be rendered")]
    Template {
        /// The template's name.
        template: &'static str,
        /// What minijinja reported.
        #[source]
        source: minijinja::Error,
    },
    /// The Content-Security-Policy is not a valid header value.
    #[error("the rulebook's Content-Security-Policy is not a valid header value")]
    Header(#[from] InvalidHeaderValue),
}

/// Every rulebook page, rendered once, with the security policy that fits them.
pub struct RulebookSite {
    index: Bytes,
    topics: HashMap<&'static str, Bytes>,
    not_found: Bytes,
    content_security_policy: HeaderValue,
}

impl std::fmt::Debug for RulebookSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulebookSite")
            .field("topics", &self.topics.len())
            .finish_non_exhaustive()
    }
}

impl RulebookSite {
    /// Renders the index, every topic's page and the not-found page with `config`'s numbers.
    pub fn render(config: &ClinicalConfig) -> Result<Self, RulebookError> {
        let environment = environment()?;
        let index = cards::rulebook::index(config);
        let index_html = render(
            &environment,
            "index.html",
            IndexPage {
                layout: layout(&index.source, INDEX_FROM_INDEX),
                page: IndexView::new(&index),
            },
        )?;
        let mut topics = HashMap::new();
        for topic in Topic::ALL {
            let page = cards::rulebook::page(topic, config);
            let html = render(
                &environment,
                "topic.html",
                TopicPage {
                    layout: layout(&page.source, INDEX_FROM_TOPIC),
                    page: TopicView::new(&page),
                },
            )?;
            topics.insert(topic.code(), Bytes::from(html));
        }
        // Served at `/guideline/{unknown}`, so its link to the index is the topic pages' one.
        let not_found = render(
            &environment,
            "not_found.html",
            NotFoundPage {
                layout: layout(&index.source, INDEX_FROM_TOPIC),
            },
        )?;
        Ok(Self {
            index: Bytes::from(index_html),
            topics,
            not_found: Bytes::from(not_found),
            content_security_policy: HeaderValue::from_str(&content_security_policy())?,
        })
    }

    /// The index page.
    pub fn index(&self) -> Bytes {
        self.index.clone()
    }

    /// The page of the topic with this code, if there is one.
    pub fn topic(&self, code: &str) -> Option<Bytes> {
        self.topics.get(code).cloned()
    }

    /// The page for an unknown topic.
    pub fn not_found(&self) -> Bytes {
        self.not_found.clone()
    }

    /// The Content-Security-Policy of every rulebook page.
    pub fn content_security_policy(&self) -> HeaderValue {
        self.content_security_policy.clone()
    }
}

/// Nothing may load, run, frame the page or submit anywhere; the one inline style sheet is
/// allowed by its SHA-256 hash.
fn content_security_policy() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, CSS.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

fn environment() -> Result<Environment<'static>, RulebookError> {
    let mut environment = Environment::new();
    // A misspelt variable fails the start-up render instead of leaving a blank on a page.
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        environment
            .add_template(name, source)
            .map_err(|source| RulebookError::Template {
                template: name,
                source,
            })?;
    }
    Ok(environment)
}

fn layout<'a>(source: &'a GuidelineSource, index_href: &'static str) -> Layout<'a> {
    Layout {
        css: CSS,
        index_href,
        source: SourceView::new(source),
    }
}

fn render(
    environment: &Environment<'static>,
    template: &'static str,
    view: impl Serialize,
) -> Result<String, RulebookError> {
    environment
        .get_template(template)
        .and_then(|compiled| compiled.render(Serde(&view)))
        .map_err(|source| RulebookError::Template { template, source })
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn text(bytes: &Bytes) -> String {
        String::from_utf8(bytes.to_vec()).expect("pages are UTF-8")
    }

    #[test]
    fn a_rulebook_url_is_absolute_and_ignores_a_trailing_slash() {
        assert_eq!(
            rulebook_url("https://cds.example.org/", Topic::RituximabRedose),
            "https://cds.example.org/guideline/rituximab-redose"
        );
        assert_eq!(
            rulebook_url("https://cds.example.org/oms", Topic::DoseCheck),
            "https://cds.example.org/oms/guideline/dose-check"
        );
    }

    #[test]
    fn every_topic_is_rendered_with_one_h1_and_the_configured_values() {
        let config = ClinicalConfig {
            rituximab_mg_per_m2: Decimal::from(350),
            ..ClinicalConfig::default()
        };
        let site = RulebookSite::render(&config).expect("the rulebook renders");
        for topic in Topic::ALL {
            let page = text(&site.topic(topic.code()).expect("every topic has a page"));
            assert_eq!(page.matches("<h1>").count(), 1, "{topic:?}");
            assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
            assert!(!page.contains("<script"), "{topic:?}");
        }
        let rituximab = text(&site.topic("rituximab-full-course").expect("a page"));
        assert!(rituximab.contains("350 mg&#x2f;m2 per dose"), "{rituximab}");
        // The evidence table may quote the dose a study used; nothing the service proposes may
        // show the default in place of the configured value.
        let (proposal, evidence) = rituximab
            .split_once("<section aria-labelledby=\"evidence\">")
            .expect("an evidence section");
        assert!(!proposal.contains("375"), "{proposal}");
        assert!(evidence.contains("Pranzatelli"), "{evidence}");
        assert!(site.topic("no-such-topic").is_none());
    }

    #[test]
    fn the_inline_style_is_exactly_the_sheet_whose_hash_the_policy_allows() {
        let site = RulebookSite::render(&ClinicalConfig::default()).expect("the rulebook renders");
        let index = text(&site.index());
        assert!(index.contains(&format!("<style>{CSS}</style>")));
        let policy = site.content_security_policy();
        let policy = policy.to_str().expect("ASCII");
        assert!(
            policy.starts_with("default-src 'none'; style-src 'sha256-"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }

    #[test]
    fn the_index_links_every_topic_relative_to_itself() {
        let site = RulebookSite::render(&ClinicalConfig::default()).expect("the rulebook renders");
        let index = text(&site.index());
        for topic in Topic::ALL {
            assert!(
                index.contains(&format!("href=\"guideline&#x2f;{}\"", topic.code())),
                "{topic:?}"
            );
        }
        assert!(text(&site.not_found()).contains("href=\"..&#x2f;guideline\""));
    }
}
