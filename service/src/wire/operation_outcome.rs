//! FHIR OperationOutcome: the body of every error response.

use serde::Serialize;

/// An OperationOutcome with one issue.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    resource_type: &'static str,
    issue: [Issue; 1],
}

#[derive(Debug, Serialize)]
struct Issue {
    severity: &'static str,
    code: &'static str,
    diagnostics: String,
}

impl OperationOutcome {
    /// An `error` issue with a FHIR `issue-type` code and a message that tells the caller what to
    /// fix.
    pub fn error(code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            resource_type: "OperationOutcome",
            issue: [Issue {
                severity: "error",
                code,
                diagnostics: diagnostics.into(),
            }],
        }
    }
}
