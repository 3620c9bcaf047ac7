//! oms-cds: a CDS Hooks 2.0 service for relapsed opsoclonus-myoclonus syndrome. The only crate
//! that knows HTTP, JSON wire shapes, SQL, JWT and outgoing calls; the clinical decisions live in
//! `fhir-mapping` (FHIR -> facts) and `cards` (facts -> cards).
//!
//! Layout:
//! - `cli`, `commands`: the command line and what each subcommand does.
//! - `demo`: `oms-cds demo`, the service plus a pretend EHR.
//! - `config`: settings from TOML + environment, validated at start-up.
//! - `telemetry`: logging, and the panic hook that logs panics as log lines.
//! - `startup`: `Application` (bind, build the state, serve, graceful shutdown).
//! - `server`: the accept loop: header-read timeout, connection cap, connection draining.
//! - `state`: `AppState`, what every handler can reach (routes and router depend on it, never
//!   on `startup`).
//! - `router`: routes and the middleware stack (the early body checks, the known-service check,
//!   the request log line).
//! - `routes`: one handler per endpoint.
//! - `rulebook`: the rulebook pages (`GET /guideline`), rendered once at start-up from the rules'
//!   plain data and the running configuration; `rulebook_url` for a card's link to its page.
//! - `wire`: CDS Hooks request/response/feedback/discovery shapes.
//! - `card_ids`: card and suggestion uuids, given at the edge (random, or seeded in tests).
//! - `catalogue`: the service id, hooks and prefetch templates (one source of truth; the
//!   templates built at start-up from the terminology in force).
//! - `evaluation`: request -> fhir-mapping -> cards.
//! - `evaluation_pool`: the threads evaluation runs on, off the async workers, with admission
//!   control (503 when full).
//! - `example_dates`: moves example requests to another evaluation date.
//! - `identifiers`: hook instance, card and suggestion uuids, issuer, checked (non-empty, bounded)
//!   at the edge; the limits of the free text the service stores or logs.
//! - `error`: `ApiError` -> OperationOutcome.
//! - `fhir_client`: fetches missing prefetch from the EHR's FHIR server (allow-listed hosts only).
//! - `auth`: JWT verification of CDS clients.
//! - `metrics`: Prometheus metrics (one registry per application).
//! - `storage`: the database (feedback, issued cards, replay cache).

pub mod auth;
pub mod card_ids;
pub mod catalogue;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod evaluation_pool;
pub mod example_dates;
pub mod fhir_client;
pub mod identifiers;
pub mod metrics;
pub mod router;
pub mod routes;
pub mod rulebook;
pub mod server;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod wire;
