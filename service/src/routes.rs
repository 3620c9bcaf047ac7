//! HTTP handlers: each extracts typed input, calls one function, maps the result.

pub mod admin;
pub mod admission;
pub mod discovery;
pub mod fallback;
pub mod feedback;
pub mod guideline;
pub mod health;
pub mod json_body;
pub mod query;
pub mod readiness_log;
pub mod service_call;
