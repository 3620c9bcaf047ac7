//! Test support for oms-cds: the black-box tests live in `api/`, the clinical scenario runner in
//! `runner/`; this library holds what they and the benchmarks share.
//!
//! - `scenario`: the one scenario format and running a request through the service's path.
//! - `expectations`, `contract`: a scenario's expectations, and the card contract every answer keeps.
//! - `snapshot`: the answer as a clinician reads it (`<name>.cards.md`), compared or rewritten.
//! - `record`: a seeded, deterministic generator of a child's whole FHIR R4 record as a CDS Hooks
//!   request, for measuring on realistic records (383 to 10,000 resources and more).

pub mod contract;
pub mod expectations;
pub mod record;
pub mod scenario;
pub mod snapshot;
