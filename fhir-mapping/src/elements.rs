//! Small readers for FHIR R4 datatypes (primitive values, codes, quantities, dates), so the fact
//! modules read like the clinical rules rather than like fhirbolt's model.

use fhirbolt::model::r4::types::{CodeableConcept, Decimal, Quantity, Reference};
use time::Date;

use crate::dates::FhirDate;
use crate::units::UCUM_SYSTEM;

/// The value of a primitive that carries a string (`Code`, `String`, `DateTime`, `Uri`, ...).
macro_rules! text_of {
    ($primitive:expr) => {
        $primitive.value.as_deref()
    };
}
pub(crate) use text_of;

/// Any code of a CodeableConcept, whatever its system (status concepts are often sent without
/// the system).
pub fn any_code(concept: &CodeableConcept) -> impl Iterator<Item = &str> {
    concept
        .coding
        .iter()
        .filter_map(|coding| coding.code.as_ref().and_then(|c| text_of!(c)))
}

/// The concept's text, else its first display, for showing a clinician.
pub fn concept_label(concept: &CodeableConcept) -> Option<&str> {
    concept.text.as_ref().and_then(|t| text_of!(t)).or_else(|| {
        concept
            .coding
            .iter()
            .find_map(|coding| coding.display.as_ref().and_then(|d| text_of!(d)))
    })
}

/// A FHIR decimal, exactly as written (`18.50` stays 18.50, never a float); exponent forms
/// (`1.85e1`) are read too.
pub fn decimal(value: &Decimal) -> Option<rust_decimal::Decimal> {
    let text = text_of!(value)?.trim();
    text.parse::<rust_decimal::Decimal>()
        .ok()
        .or_else(|| rust_decimal::Decimal::from_scientific(text).ok())
}

/// A quantity's value and UCUM code. The `code` counts when the system is UCUM or absent; the
/// human `unit` text counts only when the quantity has no code at all (callers still accept
/// only exact UCUM codes, so "lbs" is never read as pounds).
pub fn ucum_quantity(quantity: &Quantity) -> (Option<rust_decimal::Decimal>, Option<&str>) {
    let value = quantity.value.as_ref().and_then(decimal);
    let system = quantity.system.as_ref().and_then(|s| text_of!(s));
    let code = quantity.code.as_ref().and_then(|c| text_of!(c));
    let unit = match (system, code) {
        (Some(UCUM_SYSTEM) | None, Some(code)) => Some(code),
        (Some(_), Some(_)) => None,
        (_, None) => quantity.unit.as_ref().and_then(|u| text_of!(u)),
    };
    (value, unit)
}

/// The first day a FHIR date or dateTime primitive can mean.
pub fn day_of(primitive_text: Option<&str>) -> Option<Date> {
    primitive_text
        .and_then(FhirDate::parse)
        .map(FhirDate::earliest)
}

/// The reference string of a Reference.
pub fn reference_text(reference: &Reference) -> Option<&str> {
    reference.reference.as_ref().and_then(|r| text_of!(r))
}
