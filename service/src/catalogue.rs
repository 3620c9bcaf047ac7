//! The services this server offers: one service id answering two hooks, and its prefetch
//! templates. The single source of truth for discovery, request routing and prefetch fetching.

use std::collections::BTreeMap;

use fhir_mapping::{Hook, PrefetchKey};

use crate::wire::discovery::{CdsService, Discovery};

/// The service id (`/cds-services/{id}`).
pub const SERVICE_ID: &str = "oms-relapse-treatment";

/// The hooks the service answers.
pub const SERVED_HOOKS: [Hook; 2] = [Hook::OrderSelect, Hook::OrderSign];

/// Prefetch keys the service cannot decide without: whether it should speak at all depends on
/// the patient and the Conditions.
pub const REQUIRED_PREFETCH_KEYS: [PrefetchKey; 2] =
    [PrefetchKey::Patient, PrefetchKey::Conditions];

/// Prefetch key -> FHIR query template. Templates use only `{{context.patientId}}`.
pub const PREFETCH_TEMPLATES: [(PrefetchKey, &str); 7] = [
    (PrefetchKey::Patient, "Patient/{{context.patientId}}"),
    (PrefetchKey::Conditions, "Condition?patient={{context.patientId}}"),
    (PrefetchKey::MedicationStatements, "MedicationStatement?patient={{context.patientId}}"),
    (PrefetchKey::MedicationRequests, "MedicationRequest?patient={{context.patientId}}"),
    (PrefetchKey::MedicationAdministrations, "MedicationAdministration?patient={{context.patientId}}"),
    (
        PrefetchKey::Observations,
        // Weight, height, BSA, HBsAg, anti-HBc (two codes) by LOINC in one search.
        "Observation?patient={{context.patientId}}&code=http://loinc.org|29463-7,http://loinc.org|3141-9,http://loinc.org|8302-2,http://loinc.org|8306-3,http://loinc.org|8277-6,http://loinc.org|3140-1,http://loinc.org|5196-1,http://loinc.org|13952-7,http://loinc.org|16933-4",
    ),
    (PrefetchKey::Procedures, "Procedure?patient={{context.patientId}}"),
];

const DESCRIPTION: &str = "Decision support for relapsed opsoclonus-myoclonus syndrome (OMS): \
rituximab dosing by body surface area (full course, single additional dose), cyclophosphamide + \
dexamethasone pulses for rituximab-refractory disease, fertility-aware choices, neuroblastoma \
resection, steroid options, monitoring, cognitive rehabilitation and safety checks.";

const USAGE: &str = "Speaks only when a relevant medication order (rituximab, cyclophosphamide, \
corticosteroids, IVIG, ACTH) is selected or signed for a patient with an OMS Condition in relapse \
or recurrence. Needs the Patient and Conditions; medications, body measurements, hepatitis B \
serology and procedures improve the answer. Off-label use: the clinician decides.";

/// The discovery document.
pub fn discovery() -> Discovery {
    let prefetch: BTreeMap<&'static str, &'static str> = PREFETCH_TEMPLATES
        .into_iter()
        .map(|(key, template)| (key.code(), template))
        .collect();
    let services = SERVED_HOOKS
        .into_iter()
        .map(|hook| CdsService {
            hook: hook.code(),
            title: "Relapsed OMS treatment",
            description: DESCRIPTION,
            id: SERVICE_ID,
            prefetch: prefetch.clone(),
            usage_requirements: USAGE,
        })
        .collect();
    Discovery { services }
}

/// The hooks served by a service id, or `None` for an unknown id.
pub fn hooks_of(service_id: &str) -> Option<&'static [Hook]> {
    (service_id == SERVICE_ID).then_some(&SERVED_HOOKS[..])
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

    #[test]
    fn every_prefetch_template_uses_only_spec_tokens() {
        for (key, template) in PREFETCH_TEMPLATES {
            assert!(template_uses_valid_tokens(template), "{key}: {template}");
            assert!(
                template.contains("{{context.patientId}}"),
                "{key} must be patient-scoped"
            );
        }
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
    fn discovery_lists_one_id_for_both_hooks() {
        let discovery = discovery();
        let hooks: Vec<_> = discovery.services.iter().map(|s| (s.id, s.hook)).collect();
        assert_eq!(
            hooks,
            [(SERVICE_ID, "order-select"), (SERVICE_ID, "order-sign")]
        );
    }
}
