//! Discovery (spec section 2): `GET /cds-services`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The discovery response; `services` is always present.
#[derive(Debug, Serialize)]
pub struct Discovery {
    /// One entry per (service id, hook).
    pub services: Vec<CdsService>,
}

/// One discovery entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CdsService {
    /// The hook that triggers the service.
    pub hook: &'static str,
    /// Human-readable name.
    pub title: &'static str,
    /// What the service does.
    pub description: &'static str,
    /// The `{id}` path segment.
    pub id: &'static str,
    /// Prefetch key -> FHIR query template.
    pub prefetch: BTreeMap<&'static str, String>,
    /// Preconditions for use.
    pub usage_requirements: &'static str,
}
