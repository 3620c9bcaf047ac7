//! CDS Hooks 2.0 wire shapes: what the EHR sends and what the service answers. Optional fields
//! with no value are omitted, never `null` or empty (spec section 1); `cards` and `services` are
//! the exceptions and are always present.

pub mod discovery;
pub mod feedback;
pub mod operation_outcome;
pub mod request;
pub mod response;
