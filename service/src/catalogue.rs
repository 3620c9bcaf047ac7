//! The services this server offers: one discovery entry per hook, each with its own id, and
//! their shared prefetch templates. The single source of truth for discovery, request routing
//! and prefetch fetching.
//!
//! Why one id per hook: CDS clients key the services they discover by id (the CDS Hooks sandbox
//! keys them by URL), so two entries sharing an id overwrite each other and only the last hook
//! survives. The former shared id stays routable as an unlisted alias so existing EHR
//! registrations keep working.
//!
//! The templates are a value built once at start-up ([`Catalogue::new`]): the `observations`
//! search asks for the Observation codes of the terminology in force, so a code a deployment adds
//! in its terminology file is fetched as well as matched.

use std::collections::BTreeMap;

use fhir_mapping::{Hook, PrefetchKey, Terminology};

use crate::wire::discovery::{CdsService, Discovery};

/// The service id for `order-select` (`/cds-services/{id}`).
pub const ORDER_SELECT_ID: &str = "oms-relapse-order-select";

/// The service id for `order-sign` (`/cds-services/{id}`).
pub const ORDER_SIGN_ID: &str = "oms-relapse-order-sign";

/// The former id that answered both hooks. Not listed in discovery; kept so EHRs registered
/// before the split keep working.
pub const LEGACY_ALIAS_ID: &str = "oms-relapse-treatment";

/// The listed services, in discovery order: (id, hook).
pub const LISTED_SERVICES: [(&str, Hook); 2] = [
    (ORDER_SELECT_ID, Hook::OrderSelect),
    (ORDER_SIGN_ID, Hook::OrderSign),
];

/// The hooks the service answers.
pub const SERVED_HOOKS: [Hook; 2] = [Hook::OrderSelect, Hook::OrderSign];

/// Prefetch keys the service cannot decide without: whether it should speak at all depends on
/// the patient and the Conditions.
pub const REQUIRED_PREFETCH_KEYS: [PrefetchKey; 2] =
    [PrefetchKey::Patient, PrefetchKey::Conditions];

/// The prefetch templates in force: prefetch key -> FHIR query template, one per key in the
/// order of `PrefetchKey::ALL`. Templates use only `{{context.patientId}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    templates: Vec<(PrefetchKey, String)>,
}

impl Catalogue {
    /// The templates for the value sets in `terminology` (the engine's, loaded at start-up).
    pub fn new(terminology: &Terminology) -> Catalogue {
        let templates = PrefetchKey::ALL
            .into_iter()
            .map(|key| (key, template_of(key, terminology)))
            .collect();
        Catalogue { templates }
    }

    /// Every key with its template, in discovery order.
    pub fn templates(&self) -> impl Iterator<Item = (PrefetchKey, &str)> {
        self.templates
            .iter()
            .map(|(key, template)| (*key, template.as_str()))
    }

    /// The template of one key.
    pub fn template(&self, key: PrefetchKey) -> Option<&str> {
        self.templates()
            .find(|(candidate, _)| *candidate == key)
            .map(|(_, template)| template)
    }

    /// The discovery document.
    pub fn discovery(&self) -> Discovery {
        let prefetch: BTreeMap<&'static str, String> = self
            .templates()
            .map(|(key, template)| (key.code(), template.to_owned()))
            .collect();
        let services = LISTED_SERVICES
            .into_iter()
            .map(|(id, hook)| CdsService {
                hook: hook.code(),
                title: title_of(hook),
                description: DESCRIPTION,
                id,
                prefetch: prefetch.clone(),
                usage_requirements: USAGE,
            })
            .collect();
        Discovery { services }
    }
}

/// A title that tells the two entries apart in an EHR's service list.
fn title_of(hook: Hook) -> &'static str {
    match hook {
        Hook::OrderSelect => "Relapsed OMS treatment (order-select)",
        Hook::OrderSign => "Relapsed OMS treatment (order-sign)",
    }
}

/// One key's template. Every key but `observations` reads all of the patient's resources of a
/// type; `observations` asks only for the codes the mapping reads (weight, height, BSA,
/// hepatitis B serology), so the EHR is not asked for every laboratory result.
fn template_of(key: PrefetchKey, terminology: &Terminology) -> String {
    let fixed = match key {
        PrefetchKey::Patient => "Patient/{{context.patientId}}",
        PrefetchKey::Conditions => "Condition?patient={{context.patientId}}",
        PrefetchKey::MedicationStatements => "MedicationStatement?patient={{context.patientId}}",
        PrefetchKey::MedicationRequests => "MedicationRequest?patient={{context.patientId}}",
        PrefetchKey::MedicationAdministrations => {
            "MedicationAdministration?patient={{context.patientId}}"
        }
        PrefetchKey::Procedures => "Procedure?patient={{context.patientId}}",
        PrefetchKey::Allergies => "AllergyIntolerance?patient={{context.patientId}}",
        PrefetchKey::Observations => return observation_search(terminology),
    };
    fixed.to_owned()
}

/// `Observation?patient={{context.patientId}}&code=system|code,...` for the terminology's
/// Observation codes, in its order.
fn observation_search(terminology: &Terminology) -> String {
    let codes: Vec<String> = terminology
        .observation_codes()
        .iter()
        .map(|(system, code)| format!("{}|{}", token_part(system), token_part(code)))
        .collect();
    format!(
        "Observation?patient={{{{context.patientId}}}}&code={}",
        codes.join(",")
    )
}

/// A system or code as one part of a FHIR token search value: the search syntax characters
/// (`\`, `,`, `|`, `$`) are escaped with a backslash, as FHIR search requires, and anything that
/// is not a plain URL character is percent-encoded, so a deployment's local code can never
/// change which parameters the query has. LOINC systems and codes pass unchanged.
fn token_part(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | ',' | '|' | '$') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const DESCRIPTION: &str = "Decision support for relapsed opsoclonus-myoclonus syndrome (OMS): \
rituximab dosing by body surface area (full course, single additional dose), cyclophosphamide + \
dexamethasone pulses for rituximab-refractory disease, fertility-aware choices, neuroblastoma \
resection, steroid options, monitoring, cognitive rehabilitation and safety checks.";

const USAGE: &str = "Speaks only when a relevant medication order (rituximab, cyclophosphamide, \
corticosteroids, IVIG, ACTH) is selected or signed for a patient with an OMS Condition in relapse \
or recurrence. Needs the Patient and Conditions; medications, body measurements, hepatitis B \
serology and procedures improve the answer. Off-label use: the clinician decides.";

/// A service id the router knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRoute {
    /// A listed id, answering exactly one hook.
    Listed(Hook),
    /// The former shared id: both hooks, not listed, deprecated.
    LegacyAlias,
}

impl ServiceRoute {
    /// The route for `service_id`, or `None` for an unknown id.
    pub fn of(service_id: &str) -> Option<ServiceRoute> {
        if service_id == LEGACY_ALIAS_ID {
            return Some(ServiceRoute::LegacyAlias);
        }
        LISTED_SERVICES
            .iter()
            .find(|(id, _)| *id == service_id)
            .map(|(_, hook)| ServiceRoute::Listed(*hook))
    }

    /// The id this route answers to, as the catalogue spells it.
    pub fn id(self) -> &'static str {
        match self {
            ServiceRoute::Listed(hook) => service_id_for(hook),
            ServiceRoute::LegacyAlias => LEGACY_ALIAS_ID,
        }
    }

    /// The hooks a call to this id may carry.
    pub fn hooks(self) -> &'static [Hook] {
        match self {
            ServiceRoute::Listed(Hook::OrderSelect) => &SERVED_HOOKS[..1],
            ServiceRoute::Listed(Hook::OrderSign) => &SERVED_HOOKS[1..],
            ServiceRoute::LegacyAlias => &SERVED_HOOKS,
        }
    }
}

/// The listed id that answers `hook`: what issued cards and feedback are attributed to, whichever
/// id (listed or the alias) the EHR called.
pub fn service_id_for(hook: Hook) -> &'static str {
    match hook {
        Hook::OrderSelect => ORDER_SELECT_ID,
        Hook::OrderSign => ORDER_SIGN_ID,
    }
}

/// Logs, once per process, that a client still calls the deprecated alias. Once, because an EHR
/// that was never reconfigured would otherwise put the same line on every call.
pub fn warn_legacy_alias_used() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            service_id = LEGACY_ALIAS_ID,
            "deprecated service id called; register `{ORDER_SELECT_ID}` for order-select and \
             `{ORDER_SIGN_ID}` for order-sign (see GET /cds-services)"
        );
    });
}

/// Whether a template uses only the prefetch tokens CDS Hooks 2.0 allows for these hooks:
/// `{{context.<root primitive field>}}` (userId, patientId, encounterId) or the four user tokens.
pub fn template_uses_valid_tokens(template: &str) -> bool {
    const ALLOWED: [&str; 7] = [
        "context.userId",
        "context.patientId",
        "context.encounterId",
        "userPractitionerId",
        "userPractitionerRoleId",
        "userPatientId",
        "userRelatedPersonId",
    ];
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return false;
        };
        if !ALLOWED.contains(&&after[..end]) {
            return false;
        }
        rest = &after[end + 2..];
    }
    !rest.contains("}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> Catalogue {
        Catalogue::new(&Terminology::embedded())
    }

    #[test]
    fn every_prefetch_template_uses_only_spec_tokens() {
        for (key, template) in embedded().templates() {
            assert!(template_uses_valid_tokens(template), "{key}: {template}");
            assert!(
                template.contains("{{context.patientId}}"),
                "{key} must be patient-scoped"
            );
        }
    }

    #[test]
    fn the_embedded_terminology_gives_the_templates_in_discovery_order() {
        let catalogue = embedded();
        let keys: Vec<PrefetchKey> = catalogue.templates().map(|(key, _)| key).collect();
        assert_eq!(keys, PrefetchKey::ALL);
        assert_eq!(
            catalogue.template(PrefetchKey::Observations),
            Some(
                "Observation?patient={{context.patientId}}&code=http://loinc.org|29463-7,\
                 http://loinc.org|3141-9,http://loinc.org|8302-2,http://loinc.org|8306-3,\
                 http://loinc.org|8277-6,http://loinc.org|3140-1,http://loinc.org|5196-1,\
                 http://loinc.org|13952-7,http://loinc.org|16933-4,http://loinc.org|82810-3,\
                 http://loinc.org|2106-3,http://loinc.org|2118-8,http://loinc.org|19080-1"
            )
        );
        assert_eq!(
            catalogue.template(PrefetchKey::Patient),
            Some("Patient/{{context.patientId}}")
        );
        assert_eq!(
            catalogue.template(PrefetchKey::Allergies),
            Some("AllergyIntolerance?patient={{context.patientId}}")
        );
    }

    #[test]
    fn a_code_added_by_a_terminology_file_is_in_the_discovery_observations_template() {
        let terminology = Terminology::embedded()
            .merged(
                "[body_weight]\ncodes = [{ system = \"urn:oid:1.2.3\", code = \"W-1\" }]",
                "local value sets",
            )
            .expect("a valid value-set file");
        let discovery = Catalogue::new(&terminology).discovery();
        for service in &discovery.services {
            let observations = &service.prefetch["observations"];
            assert!(
                observations.contains("http://loinc.org|3141-9,urn:oid:1.2.3|W-1,"),
                "{observations}"
            );
        }
    }

    #[test]
    fn search_syntax_in_a_local_code_is_escaped() {
        assert_eq!(token_part("http://loinc.org"), "http://loinc.org");
        assert_eq!(token_part("A,B|C"), "A%5C%2CB%5C%7CC");
        assert_eq!(token_part("x&code=y #z"), "x%26code%3Dy%20%23z");
    }

    #[test]
    fn token_grammar_rejects_nested_paths_and_fhirpath() {
        assert!(!template_uses_valid_tokens(
            "Medication/{{context.medication.id}}"
        ));
        assert!(!template_uses_valid_tokens(
            "Observation?date=ge{{today() - 30 days}}"
        ));
        assert!(!template_uses_valid_tokens("Patient/{{context.patientId"));
        assert!(template_uses_valid_tokens(
            "Practitioner/{{userPractitionerId}}"
        ));
    }

    #[test]
    fn discovery_lists_one_id_per_hook() {
        let discovery = embedded().discovery();
        let hooks: Vec<_> = discovery.services.iter().map(|s| (s.id, s.hook)).collect();
        assert_eq!(
            hooks,
            [
                (ORDER_SELECT_ID, "order-select"),
                (ORDER_SIGN_ID, "order-sign")
            ]
        );
    }

    #[test]
    fn each_listed_id_routes_its_hook_and_the_alias_routes_both() {
        assert_eq!(
            ServiceRoute::of(ORDER_SELECT_ID).map(ServiceRoute::hooks),
            Some(&[Hook::OrderSelect][..])
        );
        assert_eq!(
            ServiceRoute::of(ORDER_SIGN_ID).map(ServiceRoute::hooks),
            Some(&[Hook::OrderSign][..])
        );
        assert_eq!(
            ServiceRoute::of(LEGACY_ALIAS_ID).map(ServiceRoute::hooks),
            Some(&SERVED_HOOKS[..])
        );
        assert_eq!(ServiceRoute::of("oms-other"), None);
        for (id, hook) in LISTED_SERVICES {
            assert_eq!(service_id_for(hook), id);
        }
    }

    #[test]
    fn a_route_gives_back_the_id_it_was_found_by() {
        for id in [ORDER_SELECT_ID, ORDER_SIGN_ID, LEGACY_ALIAS_ID] {
            assert_eq!(ServiceRoute::of(id).map(ServiceRoute::id), Some(id));
        }
    }
}
