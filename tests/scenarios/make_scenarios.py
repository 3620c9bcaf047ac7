#!/usr/bin/env python3
"""Writes the clinical scenario files under tests/scenarios/<area>/<name>.json.

Each scenario is a complete CDS Hooks request (realistic FHIR R4 prefetch and draft orders) for the
evaluation date 2026-11-25, with the expected cards. The files are the test data; this script only
saves typing. Re-run it after changing a scenario here: `python3 tests/scenarios/make_scenarios.py`.
The four requests of shared/examples are copied in by `--shared DIR` (area `shared/`). The primary
scenarios' requests are also written to examples/<hook>-<topic>.json (for `oms-cds evaluate`).
"""

import json
import math
import sys
import uuid
from pathlib import Path

TODAY = "2026-11-25"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DRUGS = {
    "rituximab": "121191",
    "cyclophosphamide": "3002",
    "dexamethasone": "3264",
    "prednisone": "8640",
    "prednisolone": "8638",
    "methylprednisolone": "6902",
    "amoxicillin": "723",
}
ROUTES = {"iv": ("47625008", "Intravenous route"), "oral": ("26643006", "Oral route")}


class Patient:
    """Collects one patient's resources, then writes the request."""

    def __init__(self, pid, birth_date, gender="female"):
        self.pid = pid
        self.birth_date = birth_date
        self.gender = gender
        self.conditions = []
        self.statements = []
        self.requests = []
        self.administrations = []
        self.observations = []
        self.procedures = []
        self.drafts = []
        self.counter = 0

    def next_id(self, prefix):
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def subject(self):
        return {"reference": f"Patient/{self.pid}"}

    # --- Conditions ---------------------------------------------------------------------------

    def oms(self, status="relapse", recorded="2026-11-20", onset="2024-03-12", severity=None,
            ambiguous=False, text=None):
        if ambiguous:
            code = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "G25.3",
                                "display": "Myoclonus"}]}
        else:
            code = {"coding": [{"system": SNOMED, "code": "230350000",
                                "display": "Opsoclonus-myoclonus syndrome"}],
                    "text": text or "Opsoclonus-myoclonus syndrome"}
        condition = {
            "resourceType": "Condition", "id": "cond-oms-1",
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item"}]}],
            "code": code, "subject": self.subject(), "onsetDateTime": onset, "recordedDate": recorded,
        }
        if severity:
            codes = {"severe": "24484000", "moderate": "6736007", "mild": "255604002"}
            condition["severity"] = {"coding": [{"system": SNOMED, "code": codes[severity],
                                                 "display": severity.capitalize()}]}
        self.conditions.append(condition)
        return self

    def neuroblastoma(self, status="active", resected_on=None):
        nid = self.next_id("cond-nb")
        self.conditions.append({
            "resourceType": "Condition", "id": nid,
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "code": {"coding": [{"system": SNOMED, "code": "432328008", "display": "Neuroblastoma"}],
                     "text": "Neuroblastoma of left adrenal gland"},
            "subject": self.subject(), "onsetDateTime": "2024-04-02",
        })
        if resected_on:
            self.procedures.append({
                "resourceType": "Procedure", "id": self.next_id("proc"), "status": "completed",
                "code": {"coding": [{"system": SNOMED, "code": "71861002", "display": "Adrenalectomy"}],
                         "text": "Left adrenalectomy (neuroblastoma resection)"},
                "subject": self.subject(), "performedDateTime": resected_on,
                "reasonReference": [{"reference": f"Condition/{nid}"}],
            })
        return self

    def fertility_concern(self):
        self.conditions.append({
            "resourceType": "Condition", "id": self.next_id("cond-fert"),
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "code": {"text": "Concern about future fertility; wishes fertility preservation"},
            "subject": self.subject(), "recordedDate": "2026-05-14",
        })
        return self

    # --- Medication history -------------------------------------------------------------------

    def administered(self, drug, date, mg):
        self.administrations.append({
            "resourceType": "MedicationAdministration", "id": self.next_id("madm"),
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": DRUGS[drug],
                                                      "display": drug}], "text": drug},
            "subject": self.subject(), "effectiveDateTime": f"{date}T09:00:00Z",
            "dosage": {"route": route("iv"), "dose": mg_quantity(mg)},
        })
        return self

    def weekly(self, drug, first, count, mg):
        year, month, day = map(int, first.split("-"))
        from datetime import date, timedelta
        start = date(year, month, day)
        for week in range(count):
            self.administered(drug, (start + timedelta(weeks=week)).isoformat(), mg)
        return self

    def on_oral_steroid(self, drug="prednisolone", mg=10):
        self.statements.append({
            "resourceType": "MedicationStatement", "id": self.next_id("mstat"), "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": DRUGS[drug],
                                                      "display": drug}], "text": drug},
            "subject": self.subject(), "effectivePeriod": {"start": "2026-09-01"},
            "dosage": [{"text": f"{drug} {mg} mg orally once daily", "route": route("oral"),
                        "doseAndRate": [{"doseQuantity": mg_quantity(mg)}]}],
        })
        return self

    # --- Observations -------------------------------------------------------------------------

    def vitals(self, weight_kg=None, weight_date="2026-11-20", height_cm=None, height_date="2026-10-02"):
        if weight_kg is not None:
            self.observations.append(observation(self, "obs-weight", "29463-7", "Body weight",
                                                 weight_date, {"value": weight_kg, "unit": "kg",
                                                               "system": UCUM, "code": "kg"}))
        if height_cm is not None:
            self.observations.append(observation(self, "obs-height", "8302-2", "Body height",
                                                 height_date, {"value": height_cm, "unit": "cm",
                                                               "system": UCUM, "code": "cm"}))
        return self

    def hepatitis_b_screened(self, date="2026-09-14"):
        for prefix, code, display in [
            ("obs-hbsag", "5196-1", "Hepatitis B virus surface Ag [Presence] in Serum"),
            ("obs-hbc", "13952-7", "Hepatitis B virus core Ab [Presence] in Serum"),
        ]:
            obs = observation(self, prefix, code, display, date, None, category="laboratory")
            obs["valueCodeableConcept"] = {"coding": [{"system": SNOMED, "code": "260385009",
                                                       "display": "Negative"}]}
            self.observations.append(obs)
        return self

    def neuroblastoma_workup(self, date="2024-03-20"):
        obs = observation(self, "obs-vma", "2671-6", "Vanillylmandelate [Mass/time] in 24 hour Urine",
                          date, {"value": 2.1, "unit": "mg/(24.h)", "system": UCUM, "code": "mg/(24.h)"},
                          category="laboratory")
        obs["code"]["text"] = "Urine vanillylmandelic acid (VMA), 24 h"
        self.observations.append(obs)
        return self

    # --- Draft orders -------------------------------------------------------------------------

    def draft(self, drug, dose=None, unit="mg", route_name="iv", rid=None):
        rid = rid or self.next_id("draft")
        dosage = {"text": f"{drug} as directed", "route": route(route_name)}
        if dose is not None:
            dosage["doseAndRate"] = [{"doseQuantity": {"value": dose, "unit": unit, "system": UCUM,
                                                       "code": unit}}]
        self.drafts.append({
            "resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order",
            "subject": self.subject(), "authoredOn": TODAY,
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": DRUGS[drug],
                                                      "display": drug}], "text": drug},
            "dosageInstruction": [dosage],
        })
        return self

    def draft_service_request(self):
        self.drafts.append({
            "resourceType": "ServiceRequest", "id": self.next_id("draft-sr"), "status": "draft",
            "intent": "order", "subject": self.subject(), "authoredOn": TODAY,
            "code": {"coding": [{"system": LOINC, "code": "24357-6", "display": "Urinalysis macro panel"}]},
        })
        return self

    # --- Request ------------------------------------------------------------------------------

    def request(self, hook="order-select", selections=None):
        draft_orders = {"resourceType": "Bundle", "type": "collection",
                        "entry": [{"resource": r} for r in self.drafts]}
        context = {"userId": "Practitioner/prac-1", "patientId": self.pid, "encounterId": "enc-1",
                   "draftOrders": draft_orders}
        if hook == "order-select":
            context["selections"] = selections if selections is not None else [
                f"{r['resourceType']}/{r['id']}" for r in self.drafts[:1]]
        patient = {"resourceType": "Patient", "id": self.pid, "gender": self.gender,
                   "birthDate": self.birth_date, "name": [{"family": "Example", "given": ["Sam"]}]}
        return {
            "hook": hook,
            "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"oms-cds/{self.pid}/{hook}")),
            "context": context,
            "prefetch": {
                "patient": patient,
                "conditions": searchset(self.conditions),
                "medicationStatements": searchset(self.statements),
                "medicationRequests": searchset(self.requests),
                "medicationAdministrations": searchset(self.administrations),
                "observations": searchset(self.observations),
                "procedures": searchset(self.procedures),
            },
        }


def route(name):
    code, display = ROUTES[name]
    return {"coding": [{"system": SNOMED, "code": code, "display": display}]}


def mg_quantity(mg):
    return {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}


def observation(patient, prefix, code, display, date, quantity, category="vital-signs"):
    obs = {
        "resourceType": "Observation", "id": patient.next_id(prefix), "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": patient.subject(), "effectiveDateTime": f"{date}T10:30:00Z",
    }
    if quantity is not None:
        obs["valueQuantity"] = quantity
    return obs


def searchset(resources):
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                       "resource": r, "search": {"mode": "match"}} for r in resources]}


def mosteller(weight_kg, height_cm):
    return round(math.sqrt(weight_kg * height_cm / 3600), 2)


def expect(primary=None, present=(), absent=(), no_cards=False, primary_mg=None, indicators=None,
           action_types=None, no_mg_amounts=False, card_mg=None, text_contains=None):
    topics = list(present)
    if primary and primary not in topics:
        topics.insert(0, primary)
    expectation = {"topics_present": topics, "topics_absent": list(absent), "no_cards": no_cards,
                   "primary": primary, "primary_mg": primary_mg, "indicators": indicators or {},
                   "action_types": action_types or {}, "no_mg_amounts": no_mg_amounts}
    # Newer keys are written only when used, so older scenario files stay byte-identical.
    if card_mg:
        expectation["card_mg"] = card_mg
    if text_contains:
        expectation["text_contains"] = text_contains
    return expectation


def child(pid, birth_date="2021-06-10", weight=18.0, height=105, gender="female"):
    """A relapsed child with fresh vitals, hepatitis B screening and a neuroblastoma work-up."""
    return (Patient(pid, birth_date, gender).oms().vitals(weight, height_cm=height)
            .hepatitis_b_screened().neuroblastoma_workup())


def scenarios():
    out = {}

    # --- Primary recommendation table ----------------------------------------------------------
    p = Patient("pat-full", "2022-02-14", "male").oms().vitals(14.2, "2026-11-20", 96, "2026-10-02") \
        .hepatitis_b_screened().neuroblastoma_workup().draft("rituximab", 375, "mg/m2")
    out["primary/rituximab-full-course"] = (
        "No rituximab on record: full course 375 mg/m2 weekly x 4; BSA 0.62 m2 -> 232.5 -> 230 mg "
        "(the rules' worked example). The selected draft is updated in place.",
        p.request(), expect("rituximab-full-course", absent=["rituximab-redose", "dose-check",
                            "hepatitis-b-screening", "neuroblastoma-screening", "missing-body-measurements",
                            "monitoring-and-rehabilitation", "adult-patient"],
                            primary_mg=230, indicators={"rituximab-full-course": "info"},
                            action_types={"rituximab-full-course": ["update"]}))

    p = child("pat-redose").weekly("rituximab", "2025-01-06", 4, 270).draft("rituximab", 270)
    out["primary/rituximab-redose"] = (
        "Full course in January 2025, relapse 22 months later: one additional dose, BSA 0.72 m2 -> "
        "270 mg.", p.request(),
        expect("rituximab-redose", absent=["rituximab-full-course", "cyclophosphamide-dexamethasone-pulses",
                                           "dose-check", "hepatitis-b-screening"],
               primary_mg=270, indicators={"rituximab-redose": "info"},
               action_types={"rituximab-redose": ["update"]}))

    p = child("pat-partial", weight=16.0, height=100).administered("rituximab", "2026-03-02", 250) \
        .administered("rituximab", "2026-03-09", 250).draft("rituximab")
    out["primary/rituximab-partial-prior"] = (
        "Two of four doses in March 2026: complete the course or give one dose (two suggestions, "
        "at-most-one); BSA 0.67 m2 -> 250 mg.", p.request(),
        expect("rituximab-partial-prior", absent=["rituximab-full-course", "rituximab-redose"],
               primary_mg=250, indicators={"rituximab-partial-prior": "info"},
               action_types={"rituximab-partial-prior": ["update"]}))

    p = Patient("pat-refractory", "2014-05-02", "male").oms().vitals(38.0, height_cm=145) \
        .hepatitis_b_screened().neuroblastoma_workup().weekly("rituximab", "2026-06-08", 4, 460) \
        .draft("cyclophosphamide")
    out["primary/cyclophosphamide-dexamethasone-pulses"] = (
        "Full course ending 2026-06-29, relapse 2026-11-20 (within 6 months): refractory (a). "
        "Cyclophosphamide 750 mg/m2 x 1.24 m2 = 930 mg; the cyclophosphamide draft is updated, "
        "dexamethasone created.", p.request("order-sign"),
        expect("cyclophosphamide-dexamethasone-pulses",
               present=["fertility-prefer-rituximab", "monitoring-and-rehabilitation"],
               absent=["rituximab-redose", "specialist-referral", "dose-check"], primary_mg=930,
               indicators={"cyclophosphamide-dexamethasone-pulses": "warning"},
               action_types={"cyclophosphamide-dexamethasone-pulses": ["create", "update"]}))

    p = child("pat-highly", weight=24.0, height=122).weekly("rituximab", "2025-09-01", 4, 330) \
        .administered("cyclophosphamide", "2026-02-02", 660).administered("cyclophosphamide", "2026-03-02", 660) \
        .draft("rituximab", 330)
    out["primary/specialist-referral"] = (
        "Full course 2025-09, cyclophosphamide pulses after it, relapse 2026-11-20 after the last "
        "pulse: highly refractory -> specialist referral (ServiceRequest).", p.request(),
        expect("specialist-referral", absent=["cyclophosphamide-dexamethasone-pulses", "rituximab-redose"],
               indicators={"specialist-referral": "warning"},
               action_types={"specialist-referral": ["create"]}))

    # --- Additional cards ----------------------------------------------------------------------
    p = child("pat-fertility", birth_date="2019-01-20", weight=22.0, height=118).draft("cyclophosphamide", 600)
    out["additional/fertility-prefer-rituximab"] = (
        "Young, rituximab-naive child with a cyclophosphamide order: rituximab preferred; the "
        "suggestion deletes the cyclophosphamide draft and creates the rituximab course (320 mg). The "
        "primary card shows the course but leaves the order to this card, so it is created once.",
        p.request("order-sign"),
        expect("rituximab-full-course", present=["fertility-prefer-rituximab"],
               indicators={"fertility-prefer-rituximab": "warning"},
               action_types={"fertility-prefer-rituximab": ["create", "delete"],
                             "rituximab-full-course": []},
               card_mg={"fertility-prefer-rituximab": 320}))

    p = Patient("pat-nb", "2024-01-15", "male").oms().vitals(11.0, height_cm=82).hepatitis_b_screened() \
        .neuroblastoma("active").draft("rituximab")
    out["additional/neuroblastoma-resection"] = (
        "Active neuroblastoma without resection: referral for resection (ServiceRequest).",
        p.request(), expect("rituximab-full-course", present=["neuroblastoma-resection"],
                            absent=["neuroblastoma-screening"],
                            indicators={"neuroblastoma-resection": "warning"},
                            action_types={"neuroblastoma-resection": ["create"]}))

    p = Patient("pat-nb-resected", "2023-04-11").oms().vitals(13.5, height_cm=92).hepatitis_b_screened() \
        .neuroblastoma("active", resected_on="2024-05-20").draft("rituximab")
    out["additional/neuroblastoma-resected-no-card"] = (
        "Neuroblastoma with a resection Procedure (reasonReference to the tumour): no resection card.",
        p.request(), expect("rituximab-full-course", absent=["neuroblastoma-resection", "neuroblastoma-screening"]))

    p = Patient("pat-noscreen", "2022-08-30").oms().vitals(15.0, height_cm=98).hepatitis_b_screened() \
        .draft("rituximab")
    out["additional/neuroblastoma-screening"] = (
        "No neuroblastoma work-up on record: screening card with imaging and urine catecholamine orders.",
        p.request(), expect("rituximab-full-course", present=["neuroblastoma-screening"],
                            absent=["neuroblastoma-resection"],
                            indicators={"neuroblastoma-screening": "info"},
                            action_types={"neuroblastoma-screening": ["create"]}))

    p = child("pat-oral-steroid", weight=20.0, height=110).on_oral_steroid("prednisolone", 10) \
        .draft("rituximab")
    out["additional/iv-methylprednisolone"] = (
        "Relapse on oral prednisolone: IV methylprednisolone 30 mg/kg/day x 20 kg = 600 mg for 3 days.",
        p.request(), expect("rituximab-full-course", present=["iv-methylprednisolone"],
                            absent=["corticosteroid-options"],
                            indicators={"iv-methylprednisolone": "info"},
                            action_types={"iv-methylprednisolone": ["create"]}))

    p = child("pat-steroid-order", weight=19.0, height=108).draft("dexamethasone", None, route_name="oral")
    out["additional/corticosteroid-options"] = (
        "A dexamethasone order in play, not on oral steroids: corticosteroid options.",
        p.request(), expect("rituximab-full-course", present=["corticosteroid-options"],
                            absent=["iv-methylprednisolone", "hepatitis-b-screening"],
                            indicators={"corticosteroid-options": "info"}))

    p = Patient("pat-severe", "2023-01-09").oms(severity="severe").vitals(14.0, height_cm=95) \
        .hepatitis_b_screened().neuroblastoma_workup().draft("rituximab")
    out["additional/combination-therapy"] = (
        "Severe OMS: consider combination therapy from the outset.", p.request(),
        expect("rituximab-full-course", present=["combination-therapy"],
               indicators={"combination-therapy": "warning"}))

    p = Patient("pat-hbv", "2020-07-07").oms().vitals(23.0, height_cm=120).neuroblastoma_workup() \
        .draft("rituximab")
    out["additional/hepatitis-b-screening"] = (
        "Rituximab ordered, no HBsAg or anti-HBc on record: screening card with two lab orders.",
        p.request(), expect("rituximab-full-course", present=["hepatitis-b-screening"],
                            indicators={"hepatitis-b-screening": "warning"},
                            action_types={"hepatitis-b-screening": ["create"]}))

    p = child("pat-dosecheck").weekly("rituximab", "2025-01-06", 4, 270).draft("rituximab", 500)
    out["additional/dose-check"] = (
        "Redose ordered at 500 mg where 375 mg/m2 x 0.72 m2 gives 270 mg: dose-check with an update "
        "of the draft.", p.request(),
        expect("rituximab-redose", present=["dose-check"], primary_mg=270,
               indicators={"dose-check": "warning"}, action_types={"dose-check": ["update"]}))

    p = Patient("pat-noheight", "2021-02-02").oms().vitals(18.0, height_cm=None).hepatitis_b_screened() \
        .neuroblastoma_workup().draft("rituximab", 270)
    out["additional/missing-body-measurements"] = (
        "No height on record: no mg amount anywhere, mg/m2 only, no MedicationRequest suggested.",
        p.request(), expect("rituximab-full-course", present=["missing-body-measurements"],
                            absent=["dose-check"], indicators={"missing-body-measurements": "warning"},
                            no_mg_amounts=True))

    p = Patient("pat-adult", "1996-03-03", "male").oms().vitals(72.0, height_cm=178).hepatitis_b_screened() \
        .neuroblastoma_workup().draft("rituximab")
    out["additional/adult-patient"] = (
        "Adult (30 years): adult card; BSA 1.89 m2 -> 708.75 -> 710 mg (below the 1000 mg cap).",
        p.request(), expect("rituximab-full-course", present=["adult-patient"], primary_mg=710,
                            indicators={"adult-patient": "info"}))

    p = Patient("pat-large-adult", "1980-10-10", "male").oms().vitals(120.0, height_cm=195) \
        .hepatitis_b_screened().neuroblastoma_workup().draft("rituximab")
    out["additional/adult-rituximab-cap"] = (
        "Large adult: 375 mg/m2 x 2.55 m2 = 956.25 -> 960 mg; and a BSA large enough to bind the "
        "cap is shown in unit tests.", p.request(),
        expect("rituximab-full-course", present=["adult-patient"], primary_mg=960))

    p = child("pat-sign").draft("rituximab").draft_service_request()
    out["additional/monitoring-and-rehabilitation"] = (
        "order-sign: monitoring and cognitive rehabilitation card with a neuropsychology order.",
        p.request("order-sign"),
        expect("rituximab-full-course", present=["monitoring-and-rehabilitation"],
               indicators={"monitoring-and-rehabilitation": "info"},
               action_types={"monitoring-and-rehabilitation": ["create"]}))

    # --- When the service speaks ---------------------------------------------------------------
    p = Patient("pat-ambiguous", "2021-09-09").oms(ambiguous=True).vitals(18.0, height_cm=105) \
        .draft("rituximab")
    out["speaking/diagnosis-unconfirmed"] = (
        "Only ICD-10 G25.3 (any myoclonus), no corroborating text: exactly one info card, no dosing.",
        p.request(), expect(None, present=["diagnosis-unconfirmed"],
                            absent=["rituximab-full-course", "hepatitis-b-screening"],
                            indicators={"diagnosis-unconfirmed": "info"}, no_mg_amounts=True))

    p = child("pat-remission").draft("rituximab")
    p.conditions[0]["clinicalStatus"]["coding"][0]["code"] = "remission"
    out["speaking/oms-in-remission-is-silent"] = (
        "OMS in remission with a rituximab order: no cards.", p.request(), expect(None, no_cards=True))

    p = child("pat-unselected").draft("amoxicillin", 400, route_name="oral", rid="draft-amox").draft("rituximab")
    out["speaking/unselected-rituximab-draft-is-silent"] = (
        "order-select naming only the amoxicillin draft; the rituximab draft is not selected: no cards.",
        p.request(selections=["MedicationRequest/draft-amox"]), expect(None, no_cards=True))

    p = child("pat-servicerequest").draft_service_request()
    out["speaking/service-request-only-is-silent"] = (
        "Only a ServiceRequest in play for a relapsed patient: no cards.", p.request("order-sign"),
        expect(None, no_cards=True))

    # --- Combinations --------------------------------------------------------------------------
    p = Patient("pat-refr-young", "2018-12-01").oms().vitals(25.0, height_cm=124).hepatitis_b_screened() \
        .neuroblastoma_workup().weekly("rituximab", "2026-07-06", 4, 350).draft("rituximab", 350)
    out["combinations/refractory-and-young"] = (
        "Refractory 7-year-old with a rituximab order: cyclophosphamide + dexamethasone (the rituximab "
        "draft is deleted and both pulses created) plus the fertility card. BSA 0.93 -> 697.5 -> 700 mg.",
        p.request(), expect("cyclophosphamide-dexamethasone-pulses", present=["fertility-prefer-rituximab"],
                            absent=["rituximab-redose"], primary_mg=700,
                            action_types={"cyclophosphamide-dexamethasone-pulses": ["create", "delete"]}))

    p = Patient("pat-nb-first", "2024-05-05", "male").oms(onset="2025-02-01").vitals(12.0, height_cm=86) \
        .neuroblastoma("active").draft("rituximab", 375, "mg/m2")
    out["combinations/neuroblastoma-and-first-relapse"] = (
        "First relapse, rituximab-naive, active unresected neuroblastoma, no HBV screening: full "
        "course, resection, hepatitis B. BSA 0.54 -> 202.5 -> 200 mg.", p.request(),
        expect("rituximab-full-course", present=["neuroblastoma-resection", "hepatitis-b-screening"],
               absent=["neuroblastoma-screening"], primary_mg=200))

    p = Patient("pat-adult-refr", "2002-01-15").oms().vitals(61.0, height_cm=168).hepatitis_b_screened() \
        .neuroblastoma_workup().fertility_concern().weekly("rituximab", "2026-06-01", 4, 620) \
        .draft("cyclophosphamide", 1300)
    out["combinations/adult-and-refractory"] = (
        "Refractory 24-year-old with a documented fertility concern and a cyclophosphamide order of "
        "1300 mg: pulses (BSA 1.69 -> 1267.5 -> 1270 mg), fertility, adult; 1300 mg is within 10%.",
        p.request("order-sign"),
        expect("cyclophosphamide-dexamethasone-pulses", present=["adult-patient", "fertility-prefer-rituximab"],
               absent=["dose-check"], primary_mg=1270))

    p = Patient("pat-stale", "2020-04-04").oms().vitals(19.0, "2026-09-01", 110, "2026-09-01") \
        .hepatitis_b_screened().neuroblastoma_workup().weekly("rituximab", "2025-01-06", 4, 270) \
        .draft("rituximab", 270)
    out["combinations/stale-weight-and-redose"] = (
        "Full course in 2025, weight from 2026-09-01 (older than 30 days): redose in mg/m2 only, "
        "missing-body-measurements, no mg anywhere.", p.request(),
        expect("rituximab-redose", present=["missing-body-measurements"], absent=["dose-check"],
               no_mg_amounts=True))

    # --- Coherence: no two cards contradict each other on the same draft ------------------------
    p = Patient("pat-refr-wrong-dose", "2018-12-01").oms().vitals(25.0, height_cm=124) \
        .hepatitis_b_screened().neuroblastoma_workup().weekly("rituximab", "2026-07-06", 4, 350) \
        .draft("rituximab", 600)
    out["coherence/refractory-child-rituximab-wrong-dose"] = (
        "Refractory 7-year-old with a rituximab order of 600 mg (375 mg/m2 x 0.93 m2 = 350 mg): the "
        "pulses card deletes the rituximab draft, so dose-check shows the mismatch but offers no "
        "update of that draft.", p.request(),
        expect("cyclophosphamide-dexamethasone-pulses", present=["dose-check", "fertility-prefer-rituximab"],
               primary_mg=700,
               action_types={"cyclophosphamide-dexamethasone-pulses": ["create", "delete"],
                             "dose-check": []},
               text_contains={"dose-check": ["ordered 600 mg, computed 350 mg",
                                             "`MedicationRequest/draft-10` is not changed here"]}))

    p = child("pat-young-cpm-wrong-dose", birth_date="2019-01-20", weight=22.0, height=118) \
        .draft("cyclophosphamide", 2000)
    out["coherence/young-cyclophosphamide-wrong-dose-rituximab-primary"] = (
        "Rituximab-naive 7-year-old with cyclophosphamide ordered at 2000 mg (750 mg/m2 x 0.85 m2 = "
        "640 mg): the fertility card replaces the draft with the rituximab course, so dose-check "
        "offers no update of it and the rituximab course is created by one card only.",
        p.request("order-sign"),
        expect("rituximab-full-course", present=["dose-check", "fertility-prefer-rituximab"],
               action_types={"fertility-prefer-rituximab": ["create", "delete"],
                             "rituximab-full-course": [], "dose-check": []},
               card_mg={"fertility-prefer-rituximab": 320},
               text_contains={"dose-check": ["ordered 2000 mg, computed 640 mg"],
                              "rituximab-full-course": ["offered on the card"]}))

    p = child("pat-partial-wrong-dose", weight=16.0, height=100).administered("rituximab", "2026-03-02", 250) \
        .administered("rituximab", "2026-03-09", 250).draft("rituximab", 500)
    out["coherence/partial-prior-wrong-dose"] = (
        "Partial course, rituximab ordered at 500 mg (computed 250 mg): the primary offers two "
        "options for the draft (complete the course, one dose); dose-check does not choose between "
        "them and offers no update of its own.", p.request(),
        expect("rituximab-partial-prior", present=["dose-check"], primary_mg=250,
               action_types={"rituximab-partial-prior": ["update"], "dose-check": []},
               text_contains={"dose-check": ["is in the suggestion of the card"]}))

    p = Patient("pat-caps", "1979-05-05", "male").oms().vitals(150.0, height_cm=200) \
        .hepatitis_b_screened().neuroblastoma_workup().on_oral_steroid("prednisone", 40) \
        .draft("rituximab")
    out["coherence/adult-caps-bind"] = (
        "Large adult on oral prednisone: BSA 2.89 m2, rituximab 375 mg/m2 = 1083.75 -> 1080 mg, "
        "capped at 1000 mg; methylprednisolone 30 mg/kg x 150 kg = 4500 mg, capped at 1000 mg/day. "
        "Both cards say so.", p.request(),
        expect("rituximab-full-course", present=["adult-patient", "iv-methylprednisolone"],
               primary_mg=1000, card_mg={"iv-methylprednisolone": 1000},
               text_contains={"rituximab-full-course": ["1000 mg per dose, capped",
                                                        "cap applied: the maximum of 1000 mg"],
                              "iv-methylprednisolone": ["capped at 1000 mg/day",
                                                        "cap applied: the maximum of 1000 mg"]}))

    p = Patient("pat-steroid-stale", "2020-04-04").oms().vitals(19.0, "2026-09-01", 110, "2026-09-01") \
        .hepatitis_b_screened().neuroblastoma_workup().on_oral_steroid("prednisolone", 10) \
        .draft("methylprednisolone", 600)
    out["coherence/oral-steroid-stale-weight"] = (
        "Relapse on oral prednisolone, methylprednisolone ordered at 600 mg, weight from 2026-09-01 "
        "(stale): no mg amount anywhere (not even the 1000 mg cap), no methylprednisolone order "
        "suggested, no dose-check.", p.request(),
        expect("rituximab-full-course", present=["iv-methylprednisolone", "missing-body-measurements"],
               absent=["dose-check"], no_mg_amounts=True,
               action_types={"iv-methylprednisolone": []}))

    return out


def write(root, name, description, request, expectation):
    path = root / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"description": description, "evaluation_date": TODAY, "request": request, "expect": expectation}
    path.write_text(json.dumps(body, indent=2) + "\n")


def copy_shared(root, shared):
    for request_path in sorted(Path(shared).glob("*.json")):
        if request_path.name.endswith(".expected.json"):
            continue
        expected = json.loads(request_path.with_name(request_path.stem + ".expected.json").read_text())
        no_cards = expected.get("no_cards", False)
        primary = None if no_cards else expected["must"][0]
        expectation = expect(primary, present=expected["must"], absent=expected["must_not"],
                             no_cards=no_cards, primary_mg=expected.get("primary_mg"))
        write(root, f"shared/{request_path.stem}",
              f"shared/examples/{request_path.name}, with the expectations of its .expected.json",
              json.loads(request_path.read_text()), expectation)


def write_examples(examples, all_scenarios):
    """examples/<hook>-<topic>.json: one plain request per primary recommendation."""
    examples.mkdir(parents=True, exist_ok=True)
    for name, (_, request, expectation) in all_scenarios.items():
        if name.startswith("primary/"):
            path = examples / f"{request['hook']}-{expectation['primary']}.json"
            path.write_text(json.dumps(request, indent=2) + "\n")


def main():
    root = Path(__file__).resolve().parent
    all_scenarios = scenarios()
    for name, (description, request, expectation) in all_scenarios.items():
        write(root, name, description, request, expectation)
    write_examples(root.parent.parent / "examples", all_scenarios)
    if len(sys.argv) == 3 and sys.argv[1] == "--shared":
        copy_shared(root, sys.argv[2])


if __name__ == "__main__":
    main()
