//! Black-box tests of the running service: the HTTP surface, storage, shutdown and the CLI.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod auth;
mod cli;
mod connections;
mod cors;
mod db_outage;
mod deploy_config;
mod discovery;
mod errors;
mod exposition;
mod fault_proxy;
mod feedback;
mod fhir_fetch;
mod guideline;
mod heavy_requests;
mod helpers;
mod lifecycle;
mod limits;
mod observability;
mod readiness;
mod replicas;
mod sandbox;
mod service_call;
mod service_ids;
mod tokens;
