//! Hand-built facts for unit and property tests: a relapsed 5-year-old with fresh vitals
//! (BSA 0.72 m2), hepatitis B screening and a neuroblastoma work-up, and one selected IV rituximab
//! draft. Tests change what they need.

use fhir_mapping::{
    Age, BodyMeasurements, BodySurfaceArea, BsaFormula, Centimetres, ClinicalStatus, DoseAmount,
    DoseEvent, DoseHistory, DraftOrder, Facts, FhirRef, HepatitisBScreening, Hook, Kilograms,
    LabResult, Measured, Measurement, MedicationClass, NeuroblastomaFacts, OmsCondition,
    OmsDiagnosis, OrderInPlay, PatientFacts, Route, SquareMetres,
};
use time::macros::date;
use time::Date;

/// The evaluation date of every fixture.
pub const TODAY: Date = date!(2026 - 11 - 25);

/// The fixture facts.
pub fn facts() -> Facts {
    Facts {
        today: TODAY,
        hook: Hook::OrderSelect,
        patient: PatientFacts {
            reference: FhirRef::new("Patient", "pat-1"),
            age: Some(Age {
                years: 5,
                months: 4,
            }),
            sex: None,
        },
        oms: OmsDiagnosis::Confirmed(OmsCondition {
            reference: FhirRef::new("Condition", "cond-oms-1"),
            status: ClinicalStatus::Relapse,
            severity: None,
            relapse_date: Some(date!(2026 - 11 - 20)),
        }),
        neuroblastoma: NeuroblastomaFacts {
            present: false,
            resected: false,
            workup_on_record: true,
            references: vec![FhirRef::new("Observation", "obs-vma")],
        },
        rituximab: DoseHistory::default(),
        cyclophosphamide: DoseHistory::default(),
        oral_steroid: None,
        fertility_concern: Vec::new(),
        hepatitis_b: HepatitisBScreening {
            hbsag: Some(LabResult {
                date: date!(2026 - 09 - 14),
                source: FhirRef::new("Observation", "hbsag"),
            }),
            anti_hbc: Some(LabResult {
                date: date!(2026 - 09 - 14),
                source: FhirRef::new("Observation", "hbc"),
            }),
        },
        body: body(18.0, 105.0, 0.72),
        orders: vec![order("draft-1", MedicationClass::Rituximab, None)],
        issues: Vec::new(),
    }
}

/// Fresh, plausible weight and height with the BSA the mapping would compute.
pub fn body(weight_kg: f64, height_cm: f64, bsa_m2: f64) -> BodyMeasurements {
    BodyMeasurements {
        weight: Measurement::Usable {
            measured: Measured {
                value: Kilograms::new(weight_kg),
                date: date!(2026 - 11 - 20),
            },
            source: FhirRef::new("Observation", "obs-weight"),
        },
        height: Measurement::Usable {
            measured: Measured {
                value: Centimetres::new(height_cm),
                date: date!(2026 - 10 - 02),
            },
            source: FhirRef::new("Observation", "obs-height"),
        },
        bsa: BodySurfaceArea::Computed {
            value: SquareMetres::new(bsa_m2),
            unrounded: SquareMetres::new(bsa_m2),
            formula: BsaFormula::Mosteller,
        },
    }
}

/// A draft order in play, IV, with an optional dose.
pub fn order(id: &str, medication: MedicationClass, dose: Option<DoseAmount>) -> OrderInPlay {
    OrderInPlay {
        reference: FhirRef::new("MedicationRequest", id),
        medication,
        route: Some(Route::Intravenous),
        dose,
        draft: draft_order(id, medication),
    }
}

/// The draft the EHR sent, as the mapping keeps it: `DraftOrder` has no public constructor, so
/// the fixture maps a one-draft request through the real `Mapper`.
pub fn draft_order(id: &str, medication: MedicationClass) -> DraftOrder {
    type Cache = Vec<(String, MedicationClass, DraftOrder)>;
    static DRAFTS: std::sync::Mutex<Cache> = std::sync::Mutex::new(Vec::new());
    let mut drafts = DRAFTS.lock().unwrap();
    if let Some((_, _, draft)) = drafts
        .iter()
        .find(|(known, class, _)| known == id && *class == medication)
    {
        return draft.clone();
    }
    let draft = map_draft_order(id, medication);
    drafts.push((id.to_owned(), medication, draft.clone()));
    draft
}

fn map_draft_order(id: &str, medication: MedicationClass) -> DraftOrder {
    // Subcutaneous rituximab drafts are only ever deleted, so any rituximab coding serves.
    let (code, name) = match medication {
        MedicationClass::Cyclophosphamide => ("3002", "cyclophosphamide"),
        MedicationClass::Dexamethasone => ("3264", "dexamethasone"),
        MedicationClass::Prednisone => ("8640", "prednisone"),
        MedicationClass::Prednisolone => ("8638", "prednisolone"),
        MedicationClass::Methylprednisolone => ("6902", "methylprednisolone"),
        _ => ("121191", "rituximab"),
    };
    let body = serde_json::json!({
        "hook": "order-sign",
        "hookInstance": "7d2f1c3a-5b4e-4f60-8a9b-0c1d2e3f4a5b",
        "context": {
            "userId": "Practitioner/prac-1",
            "patientId": "pat-1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {
                    "resourceType": "MedicationRequest",
                    "id": id,
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": "Patient/pat-1"},
                    "medicationCodeableConcept": {
                        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": name}],
                        "text": name
                    },
                    "dosageInstruction": [{"text": format!("{name} as directed")}]
                }}]
            }
        }
    });
    let request = fhir_mapping::HookCall::parse(body.to_string().as_bytes()).unwrap();
    let mapper = fhir_mapping::Mapper::new(
        fhir_mapping::MappingConfig::default(),
        fhir_mapping::Terminology::embedded(),
    );
    let facts = mapper.map(&request, TODAY).unwrap();
    facts
        .orders
        .into_iter()
        .next()
        .expect("the fixture draft is a relevant order")
        .draft
}

/// Weekly doses from `first`.
pub fn weekly(first: Date, count: u32) -> DoseHistory {
    DoseHistory::new(
        (0..count)
            .map(|week| {
                let date = first + time::Duration::weeks(i64::from(week));
                DoseEvent {
                    date,
                    amount: None,
                    source: FhirRef::new("MedicationAdministration", &format!("m{week}")),
                }
            })
            .collect(),
    )
}

/// Doses on the given dates.
pub fn on(dates: &[Date], resource: &str) -> DoseHistory {
    DoseHistory::new(
        dates
            .iter()
            .map(|date| DoseEvent {
                date: *date,
                amount: None,
                source: FhirRef::new(resource, &date.to_string()),
            })
            .collect(),
    )
}

/// Evaluates the facts with the default configuration.
pub fn evaluate(facts: &Facts) -> Vec<crate::Card> {
    crate::evaluate(facts, &crate::ClinicalConfig::default())
}

/// The card of a topic, if present.
pub fn find(cards: &[crate::Card], topic: crate::Topic) -> Option<&crate::Card> {
    cards.iter().find(|card| card.topic == topic)
}

/// The topics of the cards, in order.
pub fn topics(cards: &[crate::Card]) -> Vec<crate::Topic> {
    cards.iter().map(|card| card.topic).collect()
}

/// The rendered resources of a card's suggestions, in order.
pub fn resources(card: &crate::Card) -> Vec<&serde_json::Value> {
    card.suggestions
        .iter()
        .flat_map(|suggestion| suggestion.actions.iter())
        .filter_map(|action| action.resource.as_ref().map(|resource| &resource.0))
        .collect()
}

/// The first suggested dose in mg (`doseAndRate[0].doseQuantity.value`), as text.
pub fn first_dose_mg(card: &crate::Card) -> Option<String> {
    resources(card).into_iter().find_map(|resource| {
        let quantity = &resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"];
        (quantity["code"] == "mg").then(|| quantity["value"].to_string())
    })
}

/// Whether a text names an amount in mg (`250 mg`, `8.5 mg`), not a rate such as `375 mg/m2`.
pub fn mentions_mg_amount(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    while let Some(offset) = text[index..].find(" mg") {
        let at = index + offset;
        let after = bytes.get(at + 3).copied();
        let preceded_by_digit = at > 0 && bytes[at - 1].is_ascii_digit();
        let is_rate = after == Some(b'/');
        let is_word = after.is_some_and(|byte| byte.is_ascii_alphanumeric());
        if preceded_by_digit && !is_rate && !is_word {
            return true;
        }
        index = at + 3;
    }
    false
}

/// Whether any card shows an mg amount anywhere: summary, detail, or a suggested dose.
pub fn any_mg_amount(cards: &[crate::Card]) -> bool {
    cards.iter().any(|card| {
        mentions_mg_amount(&card.summary)
            || mentions_mg_amount(&card.detail)
            || card.suggestions.iter().any(|suggestion| {
                suggestion
                    .actions
                    .iter()
                    .any(|action| mentions_mg_amount(&action.description))
            })
            || first_dose_mg(card).is_some()
    })
}
