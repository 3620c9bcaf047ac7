//! A seeded, deterministic generator of one child's whole FHIR R4 record, as the body of a CDS
//! Hooks request: for tests and benchmarks that need realistic, whole records rather than the
//! few resources of a clinical scenario.
//!
//! The child: a 6-year-old with opsoclonus-myoclonus syndrome (OMS) diagnosed about three and a
//! half years before `today`, a resected neuroblastoma, a full rituximab course (4 weekly doses of
//! 375 mg/m2) about twenty months ago, and a relapse recorded a few days ago. The draft order is
//! one dose of IV rituximab. Around that clinical core sit the ordinary things of a child's chart:
//! ear infections, eczema, antibiotics, monthly weights and heights, vital signs and blood tests.
//!
//! All dates count back from `RecordSpec::today`, so a record keeps its clinical meaning whatever
//! the evaluation date. `RecordSpec::resources` scales the record by adding Observations outside
//! the service's value sets and unrelated medication history; the clinical core stays the same.
//! The service's discovery asks the EHR for the value-set Observations only; the others model an
//! EHR (or a FHIR server) that sends the whole chart, which the service must read past.
//!
//! Determinism: no clock and no external RNG. Each part of the record draws from its own
//! splitmix64 stream derived from the seed, so the same spec always gives byte-identical JSON,
//! and scaling one part never shifts the values of another.

use std::fmt;

use fhir_mapping::Hook;
use serde_json::{json, Value};
use time::macros::date;
use time::{Date, Duration};

use Category::{Laboratory, VitalSigns};
use Route::{Inhaled, Intravenous, Oral};

const SNOMED: &str = "http://snomed.info/sct";
const LOINC: &str = "http://loinc.org";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const ATC: &str = "http://www.whocc.no/atc";
const UCUM: &str = "http://unitsofmeasure.org";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const INTERPRETATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
const EHR_BASE: &str = "https://ehr.example/fhir";

/// The ids the clinical core refers to across resources.
const OMS_CONDITION_ID: &str = "cond-1";
const NEUROBLASTOMA_CONDITION_ID: &str = "cond-2";

/// Weight and height visits in the standard record: about monthly over three years.
const MEASUREMENT_VISITS: usize = 36;
/// One in this many resources added beyond the standard record is medication history; the rest
/// are Observations.
const ADDED_RESOURCES_PER_MEDICATION: usize = 20;
/// Observations outside the value sets and added medication history spread over this many days
/// before `today`.
const HISTORY_DAYS: i64 = 1095;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpec {
    /// Seeds every value (names, dates within their windows, measurements, lab results, ids).
    pub seed: u64,
    /// Resources in the prefetch, the Patient included; raised to `MIN_RESOURCES` when lower.
    pub resources: usize,
    /// The hook of the request.
    pub hook: Hook,
    /// The evaluation date: every date of the record counts back from it.
    pub today: Date,
}

impl RecordSpec {
    /// Prefetch resources of the standard record.
    pub const STANDARD_RESOURCES: usize = 383;
    /// The smallest record: the clinical core, one weight and height visit, the BSA and
    /// hepatitis B Observations.
    pub const MIN_RESOURCES: usize = CORE_RESOURCES + FIXED_VALUE_SET_OBSERVATIONS + 2;

    /// The standard make-up: 383 prefetch resources (333 of them Observations), evaluated on
    /// 2026-11-25, on `order-select`.
    pub fn standard(seed: u64) -> RecordSpec {
        RecordSpec {
            seed,
            resources: Self::STANDARD_RESOURCES,
            hook: Hook::OrderSelect,
            today: date!(2026 - 11 - 25),
        }
    }
}

/// How many resources of each kind a record holds; Observations split by whether the service's
/// value sets include their code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MakeUp {
    /// Patients (always 1; the `patient` prefetch is the resource itself).
    pub patients: usize,
    /// Conditions: OMS, neuroblastoma and ordinary childhood illnesses.
    pub conditions: usize,
    /// Procedures: the neuroblastoma resection, work-up and follow-up.
    pub procedures: usize,
    /// MedicationAdministrations: the rituximab course, its premedication, unrelated doses.
    pub medication_administrations: usize,
    /// MedicationStatements.
    pub medication_statements: usize,
    /// MedicationRequests (not counting the draft order, which is in `context.draftOrders`).
    pub medication_requests: usize,
    /// Body weights (LOINC 29463-7), in the value sets.
    pub body_weights: usize,
    /// Body heights (LOINC 8302-2), in the value sets.
    pub body_heights: usize,
    /// Body surface areas (LOINC 8277-6), in the value sets.
    pub body_surface_areas: usize,
    /// HBsAg (5196-1) and anti-HBc (13952-7) results, in the value sets.
    pub hepatitis_b_tests: usize,
    /// Vital signs and labs the service ignores (heart rate, haemoglobin, CD19, IgG ...).
    pub observations_outside_value_sets: usize,
}

impl MakeUp {
    /// Every Observation.
    pub fn observations(&self) -> usize {
        self.observations_in_value_sets() + self.observations_outside_value_sets
    }

    /// Observations whose code is in the service's value sets.
    pub fn observations_in_value_sets(&self) -> usize {
        self.body_weights + self.body_heights + self.body_surface_areas + self.hepatitis_b_tests
    }

    /// Every resource in the prefetch.
    pub fn prefetch_resources(&self) -> usize {
        self.patients
            + self.conditions
            + self.procedures
            + self.medication_administrations
            + self.medication_statements
            + self.medication_requests
            + self.observations()
    }
}

impl fmt::Display for MakeUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = [
            ("prefetch resources", self.prefetch_resources()),
            ("  Patient", self.patients),
            ("  Condition", self.conditions),
            ("  Procedure", self.procedures),
            (
                "  MedicationAdministration",
                self.medication_administrations,
            ),
            ("  MedicationStatement", self.medication_statements),
            ("  MedicationRequest", self.medication_requests),
            ("  Observation", self.observations()),
            ("    in the value sets", self.observations_in_value_sets()),
            ("      body weight (29463-7)", self.body_weights),
            ("      body height (8302-2)", self.body_heights),
            ("      body surface area (8277-6)", self.body_surface_areas),
            ("      HBsAg, anti-HBc", self.hepatitis_b_tests),
            (
                "    outside the value sets",
                self.observations_outside_value_sets,
            ),
        ];
        for (index, (label, count)) in rows.iter().enumerate() {
            let end = if index + 1 < rows.len() { "\n" } else { "" };
            write!(f, "{label:<34}{count:>6}{end}")?;
        }
        Ok(())
    }
}

/// The counts of the record `spec` describes (what `generate` produces).
pub fn make_up(spec: &RecordSpec) -> MakeUp {
    let resources = spec.resources.max(RecordSpec::MIN_RESOURCES);
    let added_medications =
        resources.saturating_sub(RecordSpec::STANDARD_RESOURCES) / ADDED_RESOURCES_PER_MEDICATION;
    let added_administrations = added_medications / 2;
    let observations = resources - CORE_RESOURCES - added_medications;
    // Below the standard size, the ignored Observations go first, then the older visits.
    let variable = observations - FIXED_VALUE_SET_OBSERVATIONS;
    let visits = MEASUREMENT_VISITS.min(variable / 2);
    MakeUp {
        patients: 1,
        conditions: CONDITION_COUNT,
        procedures: PROCEDURES.len(),
        medication_administrations: CORE_ADMINISTRATIONS + added_administrations,
        medication_statements: MEDICATION_STATEMENTS.len(),
        medication_requests: MEDICATION_REQUESTS.len() + added_medications - added_administrations,
        body_weights: visits,
        body_heights: visits,
        body_surface_areas: RITUXIMAB_COURSE_DOSES,
        hepatitis_b_tests: HEPATITIS_B_TESTS,
        observations_outside_value_sets: variable - 2 * visits,
    }
}

/// The whole CDS Hooks request body for `spec`: hook, hookInstance, context (with the draft
/// rituximab order) and prefetch.
pub fn generate(spec: &RecordSpec) -> Value {
    let make_up = make_up(spec);
    let child = Child::new(spec);
    let draft_id = format!("draft-{}", child.short_id);
    let draft_orders = object([
        ("resourceType", "Bundle".into()),
        ("type", "collection".into()),
        (
            "entry",
            Value::Array(vec![entry(
                "MedicationRequest",
                &draft_id,
                draft_order(&child, &draft_id),
            )]),
        ),
    ]);
    let mut context = object([
        (
            "userId",
            format!("Practitioner/{}", child.practitioner_id).into(),
        ),
        ("patientId", child.patient_id.as_str().into()),
        ("encounterId", child.encounter_id.as_str().into()),
        ("draftOrders", draft_orders),
    ]);
    if spec.hook == Hook::OrderSelect {
        let selection = format!("MedicationRequest/{draft_id}");
        insert(&mut context, "selections", json!([selection]));
    }
    let administrations = medication_administrations(&child, &make_up);
    let prefetch = object([
        ("patient", patient(&child)),
        ("conditions", searchset("Condition", conditions(&child))),
        (
            "medicationStatements",
            searchset("MedicationStatement", medication_statements(&child)),
        ),
        (
            "medicationRequests",
            searchset("MedicationRequest", medication_requests(&child, &make_up)),
        ),
        (
            "medicationAdministrations",
            searchset("MedicationAdministration", administrations),
        ),
        (
            "observations",
            searchset("Observation", observations(&child, &make_up)),
        ),
        ("procedures", searchset("Procedure", procedures(&child))),
    ]);
    object([
        ("hook", spec.hook.code().into()),
        ("hookInstance", hook_instance(spec.seed).into()),
        ("context", context),
        ("prefetch", prefetch),
    ])
}

// --- Randomness ------------------------------------------------------------------------------

/// splitmix64 (Steele, Lea and Flood, 2014): tiny, fast and plenty for test data.
#[derive(Debug, Clone)]
struct Rng {
    state: u64,
}

/// The parts of the record, each with its own stream.
#[derive(Debug, Clone, Copy)]
enum Part {
    Identity = 1,
    Names,
    Timeline,
    Growth,
    Conditions,
    Observations,
    AddedPrescriptions,
    AddedAdministrations,
    HookInstance,
}

impl Rng {
    fn stream(seed: u64, part: Part) -> Rng {
        let mut rng = Rng {
            state: seed ^ (part as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
        };
        // One step away from the raw seed, so seeds 0 and 1 do not start alike.
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (the modulo bias is irrelevant here).
    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// A whole number of days in `low..=high`.
    fn days(&mut self, low: i64, high: i64) -> i64 {
        low + self.below(high.saturating_sub(low).saturating_add(1).unsigned_abs()) as i64
    }

    /// Uniform in `low..high`.
    fn between(&mut self, low: f64, high: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        low + (high - low) * unit
    }

    /// One of `items` (never empty: the tables below are constants).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A clinic time of day, on the quarter hour.
    fn clock(&mut self) -> (u64, u64) {
        (8 + self.below(10), 15 * self.below(4))
    }
}

/// A uuid-shaped (version 4 layout) string from the seed.
fn hook_instance(seed: u64) -> String {
    let mut rng = Rng::stream(seed, Part::HookInstance);
    let (high, low) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | ((low >> 48) & 0x3fff),
        low & 0xffff_ffff_ffff
    )
}

// --- The child ---------------------------------------------------------------------------------

/// Who the child is and when things happened: shared by every part of the record.
#[derive(Debug, Clone)]
struct Child {
    today: Date,
    seed: u64,
    short_id: String,
    patient_id: String,
    practitioner_id: String,
    encounter_id: String,
    female: bool,
    birth: Date,
    /// OMS onset (the first diagnosis).
    diagnosis: Date,
    resection: Date,
    /// The first of the four weekly rituximab doses.
    rituximab_start: Date,
    relapse_recorded: Date,
    latest_visit: Date,
    recent_hepatitis_b: Date,
    /// The child's growth percentile, as factors on the median curve.
    height_factor: f64,
    weight_factor: f64,
}

impl Child {
    fn new(spec: &RecordSpec) -> Child {
        let mut identity = Rng::stream(spec.seed, Part::Identity);
        let short_id = format!("{:08x}", identity.next_u64() >> 32);
        let female = identity.below(2) == 0;
        let mut when = Rng::stream(spec.seed, Part::Timeline);
        let today = spec.today;
        let diagnosis = before(today, when.days(1230, 1290));
        let mut growth = Rng::stream(spec.seed, Part::Growth);
        Child {
            today,
            seed: spec.seed,
            patient_id: format!("pat-{short_id}"),
            practitioner_id: format!("prac-{:04x}", identity.below(0x1_0000)),
            encounter_id: format!("enc-{:06x}", identity.below(0x100_0000)),
            short_id,
            female,
            // Six years and one to ten months old.
            birth: before(today, 6 * 365 + 2 + when.days(30, 300)),
            diagnosis,
            resection: after(diagnosis, when.days(28, 42)),
            rituximab_start: before(today, when.days(610, 630)),
            relapse_recorded: before(today, when.days(2, 6)),
            latest_visit: before(today, when.days(3, 12)),
            recent_hepatitis_b: before(today, when.days(20, 80)),
            height_factor: growth.between(0.96, 1.04),
            weight_factor: growth.between(0.92, 1.08),
        }
    }

    fn rng(&self, part: Part) -> Rng {
        Rng::stream(self.seed, part)
    }

    fn subject(&self) -> Value {
        reference("Patient", &self.patient_id)
    }

    fn age_years(&self, on: Date) -> f64 {
        (on - self.birth).whole_days() as f64 / 365.25
    }

    /// Median height for age (about 95 cm at 3 years, 115 cm at 6), on the child's percentile.
    fn height_cm(&self, on: Date) -> f64 {
        self.height_factor * (95.0 + 6.7 * (self.age_years(on) - 3.0))
    }

    /// Median weight for age (about 14 kg at 3 years, 20.6 kg at 6), on the child's percentile.
    fn weight_kg(&self, on: Date) -> f64 {
        self.weight_factor * (14.0 + 2.2 * (self.age_years(on) - 3.0))
    }

    /// Mosteller BSA from the growth curve, rounded as doses are computed from it.
    fn bsa_m2(&self, on: Date) -> f64 {
        mosteller(self.weight_kg(on), self.height_cm(on))
    }
}

fn mosteller(weight_kg: f64, height_cm: f64) -> f64 {
    round_to((height_cm * weight_kg / 3600.0).sqrt(), 2)
}

/// Rituximab 375 mg/m2, rounded to 10 mg as the service rounds it.
fn rituximab_mg(bsa_m2: f64) -> f64 {
    nearest_ten(375.0 * bsa_m2)
}

fn nearest_ten(value: f64) -> f64 {
    (value / 10.0).round() * 10.0
}

fn before(date: Date, days: i64) -> Date {
    date.saturating_sub(Duration::days(days))
}

fn after(date: Date, days: i64) -> Date {
    date.saturating_add(Duration::days(days))
}

fn date_time(date: Date, (hour, minute): (u64, u64)) -> String {
    format!("{date}T{hour:02}:{minute:02}:00Z")
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

// --- JSON building blocks --------------------------------------------------------------------

fn insert(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// A JSON object that takes ownership of its values. `json!` copies every `Value` placed in it
/// (it serialises it again), which would copy a whole record several times over.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

fn reference(resource_type: &str, id: &str) -> Value {
    object([("reference", format!("{resource_type}/{id}").into())])
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    object([
        ("system", system.into()),
        ("code", code.into()),
        ("display", display.into()),
    ])
}

fn concept(system: &str, code: &str, display: &str, text: &str) -> Value {
    object([
        ("coding", Value::Array(vec![coding(system, code, display)])),
        ("text", text.into()),
    ])
}

fn text_concept(text: &str) -> Value {
    object([("text", text.into())])
}

/// A UCUM quantity; `decimals` 0 writes an integer.
fn quantity(value: f64, decimals: i32, unit: &str, ucum: &str) -> Value {
    let value = if decimals == 0 {
        Value::from(value.round() as i64)
    } else {
        Value::from(round_to(value, decimals))
    };
    object([
        ("value", value),
        ("unit", unit.into()),
        ("system", UCUM.into()),
        ("code", ucum.into()),
    ])
}

fn entry(resource_type: &str, id: &str, resource: Value) -> Value {
    object([
        ("fullUrl", format!("{EHR_BASE}/{resource_type}/{id}").into()),
        ("resource", resource),
    ])
}

/// A searchset Bundle of `(id, resource)` pairs.
fn searchset(resource_type: &str, resources: Vec<(String, Value)>) -> Value {
    let total = resources.len();
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|(id, resource)| {
            let mut entry = entry(resource_type, &id, resource);
            insert(&mut entry, "search", json!({ "mode": "match" }));
            entry
        })
        .collect();
    object([
        ("resourceType", "Bundle".into()),
        ("type", "searchset".into()),
        ("total", total.into()),
        ("entry", entries.into()),
    ])
}

// --- Patient -----------------------------------------------------------------------------------

const GIVEN_FEMALE: [&str; 8] = [
    "Maya", "Isla", "Sofia", "Amara", "Lena", "Nora", "Zoe", "Ada",
];
const GIVEN_MALE: [&str; 8] = [
    "Leo", "Arlo", "Noah", "Elias", "Kai", "Theo", "Omar", "Finn",
];
const FAMILY: [&str; 10] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Haddad",
    "Kowalski",
    "Tanaka",
    "Brennan",
    "Silva",
    "Novak",
    "Achterberg",
];

fn patient(child: &Child) -> Value {
    let mut rng = child.rng(Part::Names);
    let given = rng.pick(if child.female {
        &GIVEN_FEMALE
    } else {
        &GIVEN_MALE
    });
    json!({
        "resourceType": "Patient",
        "id": child.patient_id,
        "identifier": [{
            "use": "usual",
            "type": { "coding": [coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")] },
            "system": format!("{EHR_BASE}/sid/mrn"),
            "value": format!("MRN{:07}", rng.below(10_000_000)),
        }],
        "active": true,
        "name": [{ "use": "official", "family": rng.pick(&FAMILY), "given": [given] }],
        "gender": if child.female { "female" } else { "male" },
        "birthDate": child.birth.to_string(),
    })
}

// --- Conditions --------------------------------------------------------------------------------

/// An ordinary childhood illness the service ignores: SNOMED code, display, clinical status and
/// onset in days before `today`.
struct OrdinaryCondition {
    code: &'static str,
    display: &'static str,
    status: &'static str,
    days_ago: i64,
}

#[rustfmt::skip]
const ORDINARY_CONDITIONS: [OrdinaryCondition; 8] = [
    ordinary("3110003",   "Acute otitis media",          "resolved",  822),
    ordinary("54150009",  "Upper respiratory infection", "resolved",  610),
    ordinary("24079001",  "Atopic dermatitis",           "active",   1400),
    ordinary("111843007", "Viral gastroenteritis",       "resolved",  455),
    ordinary("14760008",  "Constipation",                "resolved", 1190),
    ordinary("87522002",  "Iron deficiency anemia",      "resolved",  502),
    ordinary("3110003",   "Acute otitis media",          "resolved",  242),
    ordinary("10509002",  "Acute bronchitis",            "resolved", 1002),
];

const fn ordinary(
    code: &'static str,
    display: &'static str,
    status: &'static str,
    days_ago: i64,
) -> OrdinaryCondition {
    OrdinaryCondition {
        code,
        display,
        status,
        days_ago,
    }
}

const CONDITION_COUNT: usize = 2 + ORDINARY_CONDITIONS.len();

fn conditions(child: &Child) -> Vec<(String, Value)> {
    let mut rng = child.rng(Part::Conditions);
    let mut conditions = vec![
        (OMS_CONDITION_ID.to_owned(), oms_condition(child)),
        (
            NEUROBLASTOMA_CONDITION_ID.to_owned(),
            neuroblastoma_condition(child),
        ),
    ];
    for (index, ordinary) in ORDINARY_CONDITIONS.iter().enumerate() {
        let id = format!("cond-{}", index + 3);
        let onset = before(child.today, ordinary.days_ago);
        let mut resource = condition(
            &id,
            child,
            ordinary.status,
            "encounter-diagnosis",
            concept(SNOMED, ordinary.code, ordinary.display, ordinary.display),
            onset,
        );
        if ordinary.status == "resolved" {
            let abated = after(onset, rng.days(5, 21)).to_string();
            insert(&mut resource, "abatementDateTime", json!(abated));
        }
        conditions.push((id, resource));
    }
    conditions
}

fn condition(
    id: &str,
    child: &Child,
    status: &str,
    category: &str,
    code: Value,
    onset: Date,
) -> Value {
    json!({
        "resourceType": "Condition",
        "id": id,
        "clinicalStatus": { "coding": [{ "system": CONDITION_CLINICAL, "code": status }] },
        "verificationStatus": { "coding": [{ "system": CONDITION_VERIFICATION, "code": "confirmed" }] },
        "category": [{ "coding": [{ "system": CONDITION_CATEGORY, "code": category }] }],
        "code": code,
        "subject": child.subject(),
        "onsetDateTime": onset.to_string(),
        "recordedDate": onset.to_string(),
    })
}

/// OMS in relapse: onset at diagnosis, recorded a few days ago (the relapse date the rules use).
fn oms_condition(child: &Child) -> Value {
    let code = concept(
        SNOMED,
        "230350000",
        "Opsoclonus-myoclonus syndrome",
        "Opsoclonus-myoclonus syndrome",
    );
    let mut resource = condition(
        OMS_CONDITION_ID,
        child,
        "relapse",
        "problem-list-item",
        code,
        child.diagnosis,
    );
    insert(
        &mut resource,
        "recordedDate",
        json!(child.relapse_recorded.to_string()),
    );
    insert(
        &mut resource,
        "severity",
        concept(SNOMED, "6736007", "Moderate", "Moderate"),
    );
    insert(
        &mut resource,
        "note",
        json!([{ "text": "Relapse after a viral illness: opsoclonus, myoclonus and ataxia have returned; irritable, sleeping poorly." }]),
    );
    resource
}

/// Found on imaging soon after the OMS diagnosis, resected, in remission since.
fn neuroblastoma_condition(child: &Child) -> Value {
    let code = concept(
        SNOMED,
        "432328008",
        "Neuroblastoma",
        "Neuroblastoma of left adrenal gland",
    );
    let found = after(child.diagnosis, 9);
    let mut resource = condition(
        NEUROBLASTOMA_CONDITION_ID,
        child,
        "remission",
        "problem-list-item",
        code,
        found,
    );
    insert(
        &mut resource,
        "abatementDateTime",
        json!(child.resection.to_string()),
    );
    resource
}

// --- Procedures --------------------------------------------------------------------------------

/// When a procedure happened, relative to the timeline.
#[derive(Debug, Clone, Copy)]
enum When {
    /// Days after the OMS diagnosis.
    AfterDiagnosis(i64),
    /// The neuroblastoma resection day.
    Resection,
    /// Days after the first rituximab dose.
    AfterRituximab(i64),
    /// Days before `today`.
    DaysAgo(i64),
}

impl When {
    fn date(self, child: &Child) -> Date {
        match self {
            When::AfterDiagnosis(days) => after(child.diagnosis, days),
            When::Resection => child.resection,
            When::AfterRituximab(days) => after(child.rituximab_start, days),
            When::DaysAgo(days) => before(child.today, days),
        }
    }
}

/// A procedure: SNOMED code and display (`None` for text-only codes), text, date.
struct PastProcedure {
    code: Option<(&'static str, &'static str)>,
    text: &'static str,
    when: When,
}

#[rustfmt::skip]
const PROCEDURES: [PastProcedure; 7] = [
    procedure(Some(("54550000", "Electroencephalogram")), "EEG", When::AfterDiagnosis(2)),
    procedure(Some(("277762005", "Lumbar puncture")), "Lumbar puncture (CSF analysis)", When::AfterDiagnosis(3)),
    procedure(None, "MRI brain", When::AfterDiagnosis(4)),
    procedure(None, "MRI abdomen (neuroblastoma surveillance)", When::DaysAgo(60)),
    procedure(None, "MIBG scan", When::AfterDiagnosis(16)),
    procedure(Some(("71861002", "Adrenalectomy")), "Laparoscopic left adrenalectomy (neuroblastoma resection)", When::Resection),
    procedure(None, "Neuropsychological assessment", When::AfterRituximab(200)),
];

const fn procedure(
    code: Option<(&'static str, &'static str)>,
    text: &'static str,
    when: When,
) -> PastProcedure {
    PastProcedure { code, text, when }
}

fn procedures(child: &Child) -> Vec<(String, Value)> {
    PROCEDURES
        .iter()
        .enumerate()
        .map(|(index, procedure)| {
            let id = format!("proc-{}", index + 1);
            let code = match procedure.code {
                Some((code, display)) => concept(SNOMED, code, display, procedure.text),
                None => text_concept(procedure.text),
            };
            let mut resource = json!({
                "resourceType": "Procedure",
                "id": id,
                "status": "completed",
                "code": code,
                "subject": child.subject(),
                "performedDateTime": procedure.when.date(child).to_string(),
            });
            if matches!(procedure.when, When::Resection) {
                insert(
                    &mut resource,
                    "reasonReference",
                    json!([reference("Condition", NEUROBLASTOMA_CONDITION_ID)]),
                );
            }
            (id, resource)
        })
        .collect()
}

// --- Medications ---------------------------------------------------------------------------------

/// A drug as the EHR codes it (RxNorm ingredient, or ATC where RxNorm has none).
#[derive(Debug, Clone, Copy)]
struct Drug {
    system: &'static str,
    code: &'static str,
    display: &'static str,
    text: &'static str,
}

impl Drug {
    fn concept(&self) -> Value {
        concept(self.system, self.code, self.display, self.text)
    }
}

const fn rxnorm(code: &'static str, display: &'static str, text: &'static str) -> Drug {
    Drug {
        system: RXNORM,
        code,
        display,
        text,
    }
}

const fn atc(code: &'static str, display: &'static str, text: &'static str) -> Drug {
    Drug {
        system: ATC,
        code,
        display,
        text,
    }
}

const RITUXIMAB: Drug = rxnorm("121191", "rituximab", "rituximab");
const PARACETAMOL: Drug = rxnorm("161", "acetaminophen", "paracetamol");
const ONDANSETRON: Drug = rxnorm("26225", "ondansetron", "ondansetron");
const DIPHENHYDRAMINE: Drug = rxnorm("3498", "diphenhydramine", "diphenhydramine");
const PREDNISOLONE: Drug = rxnorm("8638", "prednisolone", "prednisolone");
const AMOXICILLIN: Drug = rxnorm("723", "amoxicillin", "amoxicillin");
const IBUPROFEN: Drug = rxnorm("5640", "ibuprofen", "ibuprofen");
const CETIRIZINE: Drug = rxnorm("20610", "cetirizine", "cetirizine");
const OMEPRAZOLE: Drug = rxnorm("7646", "omeprazole", "omeprazole");
const OSELTAMIVIR: Drug = rxnorm("260101", "oseltamivir", "oseltamivir");
const SALBUTAMOL: Drug = rxnorm("435", "albuterol", "salbutamol inhaler");
const COTRIMOXAZOLE: Drug = rxnorm("10831", "sulfamethoxazole / trimethoprim", "co-trimoxazole");
const IVIG: Drug = atc(
    "J06BA02",
    "immunoglobulins, normal human, for intravascular adm.",
    "intravenous immunoglobulin (IVIG)",
);
const MACROGOL: Drug = atc("A06AD15", "macrogol", "macrogol oral powder");
const FERROUS_SULFATE: Drug = atc(
    "B03AA07",
    "ferrous sulfate",
    "ferrous sulfate oral solution",
);
const COLECALCIFEROL: Drug = atc("A11CC05", "colecalciferol", "vitamin D3 (colecalciferol)");

/// A route of administration (SNOMED CT).
#[derive(Debug, Clone, Copy)]
enum Route {
    Oral,
    Intravenous,
    Inhaled,
}

impl Route {
    fn concept(self) -> Value {
        let (code, display) = match self {
            Route::Oral => ("26643006", "Oral route"),
            Route::Intravenous => ("47625008", "Intravenous route"),
            Route::Inhaled => ("447694001", "Respiratory tract route"),
        };
        json!({ "coding": [coding(SNOMED, code, display)] })
    }
}

/// A dose as recorded: amount, UCUM unit, route, times a day (every `period_days` days), and
/// whether it was as needed.
#[derive(Debug, Clone, Copy)]
struct Dose {
    amount: f64,
    unit: &'static str,
    route: Route,
    per_day: u32,
    period_days: u32,
    as_needed: bool,
}

const fn daily(amount: f64, unit: &'static str, route: Route, per_day: u32) -> Dose {
    Dose {
        amount,
        unit,
        route,
        per_day,
        period_days: 1,
        as_needed: false,
    }
}

const fn as_needed(amount: f64, unit: &'static str, route: Route, per_day: u32) -> Dose {
    Dose {
        as_needed: true,
        ..daily(amount, unit, route, per_day)
    }
}

impl Dose {
    fn dosage(&self, text: &str) -> Value {
        let mut dosage = json!({
            "text": text,
            "timing": { "repeat": { "frequency": self.per_day, "period": self.period_days, "periodUnit": "d" } },
            "route": self.route.concept(),
            "doseAndRate": [{ "doseQuantity": quantity(self.amount, 1, self.unit, self.unit) }],
        });
        if self.as_needed {
            insert(&mut dosage, "asNeededBoolean", json!(true));
        }
        dosage
    }
}

/// Medication history the service reads past (or reads without acting on: prednisolone completed,
/// IVIG): drug, status, start, days taken (`None` while active), dose, dosage text.
struct PastMedication {
    drug: Drug,
    status: &'static str,
    start: When,
    days: Option<i64>,
    dose: Dose,
    text: &'static str,
}

const IVIG_MONTHLY: Dose = Dose {
    period_days: 28,
    ..daily(15.0, "g", Route::Intravenous, 1)
};

#[rustfmt::skip]
const MEDICATION_STATEMENTS: [PastMedication; 9] = [
    taken(PREDNISOLONE, "completed", When::AfterDiagnosis(6), Some(112), daily(30.0, "mg", Oral, 1), "prednisolone 2 mg/kg orally once daily, tapered over 16 weeks"),
    taken(IVIG, "completed", When::AfterDiagnosis(10), Some(336), IVIG_MONTHLY, "IVIG 1 g/kg IV every 4 weeks"),
    taken(OMEPRAZOLE, "completed", When::AfterDiagnosis(6), Some(112), daily(10.0, "mg", Oral, 1), "omeprazole 10 mg orally once daily while on prednisolone"),
    taken(COLECALCIFEROL, "active", When::AfterDiagnosis(6), None, daily(10.0, "ug", Oral, 1), "vitamin D3 400 units (10 micrograms) orally once daily"),
    taken(CETIRIZINE, "active", When::DaysAgo(300), None, daily(5.0, "mg", Oral, 1), "cetirizine 5 mg orally once daily for eczema itch"),
    taken(PARACETAMOL, "active", When::DaysAgo(700), None, as_needed(240.0, "mg", Oral, 4), "paracetamol 15 mg/kg orally every 6 hours as needed"),
    taken(IBUPROFEN, "completed", When::DaysAgo(905), Some(5), as_needed(150.0, "mg", Oral, 3), "ibuprofen 10 mg/kg orally every 8 hours as needed"),
    taken(MACROGOL, "completed", When::AfterDiagnosis(40), Some(60), daily(6.9, "g", Oral, 1), "macrogol one sachet orally once daily"),
    taken(FERROUS_SULFATE, "completed", When::DaysAgo(500), Some(90), daily(45.0, "mg", Oral, 1), "ferrous sulfate 3 mg/kg elemental iron orally once daily"),
];

#[rustfmt::skip]
const MEDICATION_REQUESTS: [PastMedication; 11] = [
    taken(AMOXICILLIN, "completed", When::DaysAgo(820), Some(7), daily(400.0, "mg", Oral, 2), "amoxicillin 400 mg orally twice daily for 7 days"),
    taken(SALBUTAMOL, "completed", When::DaysAgo(1000), Some(7), as_needed(200.0, "ug", Inhaled, 4), "salbutamol 200 micrograms inhaled up to 4 times daily as needed"),
    taken(PREDNISOLONE, "completed", When::AfterDiagnosis(6), Some(112), daily(30.0, "mg", Oral, 1), "prednisolone 2 mg/kg orally once daily, tapered over 16 weeks"),
    taken(IVIG, "completed", When::AfterDiagnosis(10), Some(336), IVIG_MONTHLY, "IVIG 1 g/kg IV every 4 weeks"),
    taken(ONDANSETRON, "completed", When::Resection, Some(3), as_needed(2.0, "mg", Intravenous, 3), "ondansetron 0.15 mg/kg IV every 8 hours as needed"),
    taken(PARACETAMOL, "completed", When::Resection, Some(5), daily(240.0, "mg", Oral, 4), "paracetamol 15 mg/kg orally every 6 hours"),
    taken(COTRIMOXAZOLE, "completed", When::AfterRituximab(0), Some(180), daily(240.0, "mg", Oral, 2), "co-trimoxazole 240 mg orally twice daily on 3 days a week (PJP prophylaxis)"),
    taken(OSELTAMIVIR, "completed", When::DaysAgo(400), Some(5), daily(45.0, "mg", Oral, 2), "oseltamivir 45 mg orally twice daily for 5 days"),
    taken(AMOXICILLIN, "completed", When::DaysAgo(240), Some(7), daily(400.0, "mg", Oral, 2), "amoxicillin 400 mg orally twice daily for 7 days"),
    taken(IBUPROFEN, "completed", When::DaysAgo(238), Some(5), as_needed(150.0, "mg", Oral, 3), "ibuprofen 10 mg/kg orally every 8 hours as needed"),
    taken(CETIRIZINE, "active", When::DaysAgo(300), None, daily(5.0, "mg", Oral, 1), "cetirizine 5 mg orally once daily for eczema itch"),
];

const fn taken(
    drug: Drug,
    status: &'static str,
    start: When,
    days: Option<i64>,
    dose: Dose,
    text: &'static str,
) -> PastMedication {
    PastMedication {
        drug,
        status,
        start,
        days,
        dose,
        text,
    }
}

/// Prescriptions added when a record grows beyond the standard size: everyday drugs only.
#[rustfmt::skip]
const ADDED_PRESCRIPTIONS: [(Drug, Dose, &str); 5] = [
    (AMOXICILLIN, daily(400.0, "mg", Oral, 2), "amoxicillin 400 mg orally twice daily for 7 days"),
    (PARACETAMOL, as_needed(240.0, "mg", Oral, 4), "paracetamol 15 mg/kg orally every 6 hours as needed"),
    (IBUPROFEN, as_needed(150.0, "mg", Oral, 3), "ibuprofen 10 mg/kg orally every 8 hours as needed"),
    (CETIRIZINE, daily(5.0, "mg", Oral, 1), "cetirizine 5 mg orally once daily"),
    (OSELTAMIVIR, daily(45.0, "mg", Oral, 2), "oseltamivir 45 mg orally twice daily for 5 days"),
];

/// Single doses (mg) given in clinic or on the ward, added when a record grows.
const ADDED_ADMINISTRATIONS: [(Drug, f64, Route); 3] = [
    (PARACETAMOL, 240.0, Oral),
    (ONDANSETRON, 2.0, Intravenous),
    (IBUPROFEN, 150.0, Oral),
];

fn medication_statements(child: &Child) -> Vec<(String, Value)> {
    MEDICATION_STATEMENTS
        .iter()
        .enumerate()
        .map(|(index, statement)| {
            let id = format!("mstat-{}", index + 1);
            let start = statement.start.date(child);
            let mut period = json!({ "start": start.to_string() });
            if let Some(days) = statement.days {
                insert(&mut period, "end", json!(after(start, days).to_string()));
            }
            let resource = object([
                ("resourceType", "MedicationStatement".into()),
                ("id", id.as_str().into()),
                ("status", statement.status.into()),
                ("medicationCodeableConcept", statement.drug.concept()),
                ("subject", child.subject()),
                ("effectivePeriod", period),
                ("dateAsserted", start.to_string().into()),
                (
                    "dosage",
                    Value::Array(vec![statement.dose.dosage(statement.text)]),
                ),
            ]);
            (id, resource)
        })
        .collect()
}

fn medication_requests(child: &Child, make_up: &MakeUp) -> Vec<(String, Value)> {
    let added_count = make_up.medication_requests - MEDICATION_REQUESTS.len();
    let mut rng = child.rng(Part::AddedPrescriptions);
    let added = (0..added_count).map(|index| {
        let (drug, dose, text) = *rng.pick(&ADDED_PRESCRIPTIONS);
        let start = When::DaysAgo(spread_days_ago(index, added_count));
        taken(drug, "completed", start, Some(rng.days(3, 10)), dose, text)
    });
    let requests: Vec<PastMedication> = MEDICATION_REQUESTS.into_iter().chain(added).collect();
    requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            let id = format!("mreq-{}", index + 1);
            let resource = medication_request(child, &id, request);
            (id, resource)
        })
        .collect()
}

fn medication_request(child: &Child, id: &str, request: &PastMedication) -> Value {
    let start = request.start.date(child);
    let mut dosage = request.dose.dosage(request.text);
    if let Some(days) = request.days {
        let bounds = json!({ "start": start.to_string(), "end": after(start, days).to_string() });
        if let Some(repeat) = dosage.pointer_mut("/timing/repeat") {
            insert(repeat, "boundsPeriod", bounds);
        }
    }
    object([
        ("resourceType", "MedicationRequest".into()),
        ("id", id.into()),
        ("status", request.status.into()),
        ("intent", "order".into()),
        ("medicationCodeableConcept", request.drug.concept()),
        ("subject", child.subject()),
        ("authoredOn", start.to_string().into()),
        (
            "requester",
            reference("Practitioner", &child.practitioner_id),
        ),
        ("dosageInstruction", Value::Array(vec![dosage])),
    ])
}

/// A full course: once weekly for four weeks.
const RITUXIMAB_COURSE_DOSES: usize = 4;
/// Each rituximab dose with its paracetamol premedication, diphenhydramine with the first two,
/// and two post-operative ondansetron doses.
const CORE_ADMINISTRATIONS: usize = 2 * RITUXIMAB_COURSE_DOSES + 2 + 2;

/// The rituximab course and everything given on those days, the post-operative antiemetic,
/// and, in larger records, unrelated single doses.
fn medication_administrations(child: &Child, make_up: &MakeUp) -> Vec<(String, Value)> {
    let mut given = Vec::with_capacity(make_up.medication_administrations);
    for dose in 0..RITUXIMAB_COURSE_DOSES {
        let day = after(child.rituximab_start, 7 * dose as i64);
        let mg = rituximab_mg(child.bsa_m2(day));
        given.push(Given {
            text: format!("rituximab 375 mg/m2 IV ({mg} mg), dose {} of 4", dose + 1),
            for_oms: true,
            ..Given::new(RITUXIMAB, day, (9, 30), Intravenous, mg)
        });
        let paracetamol = nearest_ten(15.0 * child.weight_kg(day));
        given.push(Given {
            text: "paracetamol 15 mg/kg orally before rituximab".into(),
            ..Given::new(PARACETAMOL, day, (9, 0), Oral, paracetamol)
        });
    }
    // Antihistamine premedication with the first two doses; post-operative ondansetron.
    for dose in 0..2 {
        let day = after(child.rituximab_start, 7 * dose);
        given.push(Given {
            text: "diphenhydramine 1 mg/kg IV before rituximab".into(),
            ..Given::new(DIPHENHYDRAMINE, day, (9, 0), Intravenous, 20.0)
        });
    }
    for day in 0..2 {
        let day = after(child.resection, day);
        given.push(Given {
            text: "ondansetron 0.15 mg/kg IV".into(),
            ..Given::new(ONDANSETRON, day, (18, 0), Intravenous, 2.0)
        });
    }
    let added_count = make_up.medication_administrations - CORE_ADMINISTRATIONS;
    let mut rng = child.rng(Part::AddedAdministrations);
    for index in 0..added_count {
        let (drug, mg, route) = *rng.pick(&ADDED_ADMINISTRATIONS);
        let day = spread(child.today, index, added_count);
        given.push(Given::new(drug, day, rng.clock(), route, mg));
    }
    given
        .iter()
        .enumerate()
        .map(|(index, dose)| {
            let id = format!("madm-{}", index + 1);
            let resource = dose.administration(child, &id);
            (id, resource)
        })
        .collect()
}

/// One completed dose: drug, when, route, amount in mg, the dosage text, and whether it treated
/// the OMS (then `reasonReference` names the OMS Condition).
struct Given {
    drug: Drug,
    day: Date,
    time: (u64, u64),
    route: Route,
    mg: f64,
    text: String,
    for_oms: bool,
}

impl Given {
    fn new(drug: Drug, day: Date, time: (u64, u64), route: Route, mg: f64) -> Given {
        Given {
            drug,
            day,
            time,
            route,
            mg,
            text: drug.text.to_owned(),
            for_oms: false,
        }
    }

    fn administration(&self, child: &Child, id: &str) -> Value {
        let dosage = object([
            ("text", self.text.as_str().into()),
            ("route", self.route.concept()),
            ("dose", quantity(self.mg, 1, "mg", "mg")),
        ]);
        let mut resource = object([
            ("resourceType", "MedicationAdministration".into()),
            ("id", id.into()),
            ("status", "completed".into()),
            ("medicationCodeableConcept", self.drug.concept()),
            ("subject", child.subject()),
            ("effectiveDateTime", date_time(self.day, self.time).into()),
        ]);
        if self.for_oms {
            let reason = Value::Array(vec![reference("Condition", OMS_CONDITION_ID)]);
            insert(&mut resource, "reasonReference", reason);
        }
        insert(&mut resource, "dosage", dosage);
        resource
    }
}

/// The draft order in play: one dose of IV rituximab at 375 mg/m2 of today's BSA.
fn draft_order(child: &Child, id: &str) -> Value {
    let (weight, height) = latest_measurements(child);
    let mg = rituximab_mg(mosteller(weight, height));
    json!({
        "resourceType": "MedicationRequest",
        "id": id,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": RITUXIMAB.concept(),
        "subject": child.subject(),
        "encounter": reference("Encounter", &child.encounter_id),
        "authoredOn": child.today.to_string(),
        "requester": reference("Practitioner", &child.practitioner_id),
        "reasonReference": [reference("Condition", OMS_CONDITION_ID)],
        "dosageInstruction": [{
            "text": format!("rituximab 375 mg/m2 IV once ({mg} mg)"),
            "route": Route::Intravenous.concept(),
            "doseAndRate": [{ "doseQuantity": quantity(mg, 0, "mg", "mg") }],
        }],
    })
}

/// The `index`-th of `count` days spread evenly over the history, oldest first, in days before
/// today (at least 3).
fn spread_days_ago(index: usize, count: usize) -> i64 {
    HISTORY_DAYS - (HISTORY_DAYS - 3) * index as i64 / count.max(1) as i64
}

fn spread(today: Date, index: usize, count: usize) -> Date {
    before(today, spread_days_ago(index, count))
}

// --- Observations ------------------------------------------------------------------------------

/// HBsAg and anti-HBc, twice: before the rituximab course and within the past year.
const HEPATITIS_B_TESTS: usize = 4;
/// The value-set Observations of every record, whatever its size: a BSA with each rituximab dose
/// and the hepatitis B screens.
const FIXED_VALUE_SET_OBSERVATIONS: usize = RITUXIMAB_COURSE_DOSES + HEPATITIS_B_TESTS;

/// Patient, conditions, procedures and the core medication history.
const CORE_RESOURCES: usize = 1
    + CONDITION_COUNT
    + PROCEDURES.len()
    + CORE_ADMINISTRATIONS
    + MEDICATION_STATEMENTS.len()
    + MEDICATION_REQUESTS.len();

/// Observation categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    VitalSigns,
    Laboratory,
}

impl Category {
    fn concept(self) -> Value {
        let (code, display) = match self {
            Category::VitalSigns => ("vital-signs", "Vital Signs"),
            Category::Laboratory => ("laboratory", "Laboratory"),
        };
        json!([{ "coding": [coding(OBSERVATION_CATEGORY, code, display)] }])
    }
}

/// A test outside the service's value sets: LOINC code and display, category, UCUM unit, the
/// usual range for a well child of this age (values are drawn from it) and decimals.
struct Test {
    loinc: &'static str,
    display: &'static str,
    category: Category,
    unit: &'static str,
    usual: (f64, f64),
    decimals: i32,
}

const fn panel_test(
    loinc: &'static str,
    display: &'static str,
    category: Category,
    unit: &'static str,
    usual: (f64, f64),
    decimals: i32,
) -> Test {
    Test {
        loinc,
        display,
        category,
        unit,
        usual,
        decimals,
    }
}

/// One clinic visit's vital signs and blood tests, in the order they are recorded.
#[rustfmt::skip]
const IGNORED_TESTS: [Test; 17] = [
    panel_test("8867-4", "Heart rate", VitalSigns, "/min", (78.0, 112.0), 0),
    panel_test("9279-1", "Respiratory rate", VitalSigns, "/min", (18.0, 26.0), 0),
    panel_test("8310-5", "Body temperature", VitalSigns, "Cel", (36.3, 37.5), 1),
    panel_test("39156-5", "Body mass index (BMI) [Ratio]", VitalSigns, "kg/m2", (0.0, 0.0), 1),
    panel_test("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", VitalSigns, "%", (96.0, 100.0), 0),
    panel_test("8480-6", "Systolic blood pressure", VitalSigns, "mm[Hg]", (92.0, 112.0), 0),
    panel_test("8462-4", "Diastolic blood pressure", VitalSigns, "mm[Hg]", (52.0, 70.0), 0),
    panel_test("718-7", "Hemoglobin [Mass/volume] in Blood", Laboratory, "g/dL", (11.3, 13.8), 1),
    panel_test("6690-2", "Leukocytes [#/volume] in Blood by Automated count", Laboratory, "10*3/uL", (5.0, 12.0), 1),
    panel_test("777-3", "Platelets [#/volume] in Blood by Automated count", Laboratory, "10*3/uL", (200.0, 420.0), 0),
    panel_test("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", Laboratory, "mg/dL", (0.3, 0.5), 2),
    panel_test("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", Laboratory, "U/L", (10.0, 30.0), 0),
    panel_test("2951-2", "Sodium [Moles/volume] in Serum or Plasma", Laboratory, "mmol/L", (136.0, 143.0), 0),
    panel_test("2823-3", "Potassium [Moles/volume] in Serum or Plasma", Laboratory, "mmol/L", (3.6, 4.9), 1),
    panel_test("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", Laboratory, "mg/L", (0.2, 6.0), 1),
    panel_test("8116-9", "CD19 cells/100 cells in Blood", Laboratory, "%", (12.0, 25.0), 1),
    panel_test("2465-3", "IgG [Mass/volume] in Serum or Plasma", Laboratory, "mg/dL", (600.0, 1100.0), 0),
];

/// Builds Observations with sequential ids; the Bundle lists them newest first, as an EHR
/// searching with `_sort=-date` would.
struct ObservationList<'a> {
    child: &'a Child,
    /// The parts every Observation shares, built once: cloning is cheaper than building.
    subject: Value,
    vital_signs: Value,
    laboratory: Value,
    dated: Vec<(String, String, Value)>,
}

impl<'a> ObservationList<'a> {
    fn new(child: &'a Child, capacity: usize) -> Self {
        ObservationList {
            child,
            subject: child.subject(),
            vital_signs: VitalSigns.concept(),
            laboratory: Laboratory.concept(),
            dated: Vec::with_capacity(capacity),
        }
    }

    fn push(
        &mut self,
        category: Category,
        code: Value,
        effective: String,
        value: (&str, Value),
    ) -> &mut Value {
        let id = format!("obs-{}", self.dated.len() + 1);
        let category = match category {
            VitalSigns => self.vital_signs.clone(),
            Laboratory => self.laboratory.clone(),
        };
        let mut resource = object([
            ("resourceType", "Observation".into()),
            ("id", id.as_str().into()),
            ("status", "final".into()),
            ("category", category),
            ("code", code),
            ("subject", self.subject.clone()),
            ("effectiveDateTime", effective.as_str().into()),
        ]);
        insert(&mut resource, value.0, value.1);
        self.dated.push((effective, id, resource));
        let last = self.dated.len() - 1;
        &mut self.dated[last].2
    }

    fn newest_first(mut self) -> Vec<(String, Value)> {
        self.dated.sort_by(|a, b| b.0.cmp(&a.0));
        self.dated
            .into_iter()
            .map(|(_, id, resource)| (id, resource))
            .collect()
    }
}

fn observations(child: &Child, make_up: &MakeUp) -> Vec<(String, Value)> {
    let mut list = ObservationList::new(child, make_up.observations());
    let mut rng = child.rng(Part::Observations);
    measurement_visits(&mut list, &mut rng, make_up.body_weights);
    bsa_at_rituximab(&mut list);
    hepatitis_b_screens(&mut list);
    ignored_tests(&mut list, &mut rng, make_up.observations_outside_value_sets);
    list.newest_first()
}

/// The weight and height of the latest visit, as recorded (rounded).
fn latest_measurements(child: &Child) -> (f64, f64) {
    let mut rng = child.rng(Part::Observations);
    let (weight, height, _) = visit_values(child, &mut rng, child.latest_visit);
    (weight, height)
}

/// A visit's weight and height (on the growth curve, with measurement noise) and time.
fn visit_values(child: &Child, rng: &mut Rng, day: Date) -> (f64, f64, (u64, u64)) {
    let weight = round_to(child.weight_kg(day) + rng.between(-0.25, 0.25), 1);
    let height = round_to(child.height_cm(day) + rng.between(-0.4, 0.4), 1);
    (weight, height, rng.clock())
}

/// About monthly weight and height, the latest within two weeks of today (so the service can
/// dose); the latest visit draws first so its values do not depend on the number of visits.
fn measurement_visits(list: &mut ObservationList<'_>, rng: &mut Rng, visits: usize) {
    let child = list.child;
    for visit in 0..visits {
        let day = match visit {
            0 => child.latest_visit,
            _ => before(child.latest_visit, 30 * visit as i64 + rng.days(-3, 3)),
        };
        let (weight, height, time) = visit_values(child, rng, day);
        let effective = date_time(day, time);
        list.push(
            VitalSigns,
            concept(LOINC, "29463-7", "Body weight", "Body weight"),
            effective.clone(),
            ("valueQuantity", quantity(weight, 1, "kg", "kg")),
        );
        list.push(
            VitalSigns,
            concept(LOINC, "8302-2", "Body height", "Body height"),
            effective,
            ("valueQuantity", quantity(height, 1, "cm", "cm")),
        );
    }
}

/// The BSA the pharmacy recorded with each rituximab dose.
fn bsa_at_rituximab(list: &mut ObservationList<'_>) {
    let child = list.child;
    for dose in 0..RITUXIMAB_COURSE_DOSES {
        let day = after(child.rituximab_start, 7 * dose as i64);
        list.push(
            VitalSigns,
            concept(LOINC, "8277-6", "Body surface area", "Body surface area"),
            date_time(day, (8, 45)),
            ("valueQuantity", quantity(child.bsa_m2(day), 2, "m2", "m2")),
        );
    }
}

/// Negative HBsAg and anti-HBc before the rituximab course and again within the past year.
fn hepatitis_b_screens(list: &mut ObservationList<'_>) {
    let child = list.child;
    let screens = [before(child.rituximab_start, 14), child.recent_hepatitis_b];
    for day in screens {
        for (loinc, display) in [
            ("5196-1", "Hepatitis B virus surface Ag [Presence] in Serum"),
            ("13952-7", "Hepatitis B virus core Ab [Presence] in Serum"),
        ] {
            let negative = concept(SNOMED, "260385009", "Negative", "Negative");
            let resource = list.push(
                Laboratory,
                concept(LOINC, loinc, display, display),
                date_time(day, (8, 0)),
                ("valueCodeableConcept", negative),
            );
            insert(
                resource,
                "interpretation",
                json!([{ "coding": [coding(INTERPRETATION, "N", "Normal")] }]),
            );
        }
    }
}

/// Vital signs and blood tests at visits spread evenly over the past three years: the panel of
/// `IGNORED_TESTS` at each visit, the last visit possibly partial.
fn ignored_tests(list: &mut ObservationList<'_>, rng: &mut Rng, count: usize) {
    let child = list.child;
    let per_visit = IGNORED_TESTS.len();
    let visits = count.div_ceil(per_visit);
    let codes: Vec<Value> = IGNORED_TESTS
        .iter()
        .map(|test| concept(LOINC, test.loinc, test.display, test.display))
        .collect();
    let mut time = (0, 0);
    for index in 0..count {
        let day = spread(child.today, index / per_visit, visits);
        if index % per_visit == 0 {
            time = rng.clock();
        }
        let test = &IGNORED_TESTS[index % per_visit];
        let value = test_value(child, rng, test, day);
        list.push(
            test.category,
            codes[index % per_visit].clone(),
            date_time(day, time),
            (
                "valueQuantity",
                quantity(value, test.decimals, test.unit, test.unit),
            ),
        );
    }
}

/// A plausible result: BMI from the growth curve, CD19 B cells depleted for months after
/// rituximab, the rest from the usual range.
fn test_value(child: &Child, rng: &mut Rng, test: &Test, day: Date) -> f64 {
    let drawn = rng.between(test.usual.0, test.usual.1);
    match test.loinc {
        "39156-5" => {
            let metres = child.height_cm(day) / 100.0;
            child.weight_kg(day) / (metres * metres) + rng.between(-0.3, 0.3)
        }
        "8116-9" => {
            let since = (day - child.rituximab_start).whole_days();
            match since {
                0..=179 => rng.between(0.0, 0.5),
                180..=364 => drawn * (since - 180) as f64 / 185.0,
                _ => drawn,
            }
        }
        _ => drawn,
    }
}
