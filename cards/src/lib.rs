//! The relapsed-OMS guideline as code: `Facts` in, CDS cards out.
//!
//! Layout:
//! - `card`: Card, Indicator, Topic, Suggestion, Action.

pub mod card;

pub use card::*;

use fhir_mapping::Facts;

/// Applies the guideline to the facts; an empty list means the service stays silent.
pub fn evaluate(facts: &Facts) -> Vec<Card> {
    let _ = facts;
    Vec::new()
}
