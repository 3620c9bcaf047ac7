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

/// Longest diagnostics sent. Messages are written to be short; this is the safety net for a
/// parser's message that quotes part of the request (serde repeats a string of the wrong type).
pub const MAX_DIAGNOSTICS_CHARS: usize = 1024;

impl OperationOutcome {
    /// An `error` issue with a FHIR `issue-type` code and a message that tells the caller what to
    /// fix, cut at [`MAX_DIAGNOSTICS_CHARS`].
    pub fn error(code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            resource_type: "OperationOutcome",
            issue: [Issue {
                severity: "error",
                code,
                diagnostics: clipped(diagnostics.into()),
            }],
        }
    }
}

fn clipped(mut text: String) -> String {
    if let Some((end, _)) = text.char_indices().nth(MAX_DIAGNOSTICS_CHARS) {
        text.truncate(end);
        text.push_str(" [cut]");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_are_cut_at_their_limit() {
        let outcome = OperationOutcome::error("invalid", "é".repeat(MAX_DIAGNOSTICS_CHARS + 500));
        let diagnostics = &outcome.issue[0].diagnostics;
        assert_eq!(
            diagnostics.chars().count(),
            MAX_DIAGNOSTICS_CHARS + " [cut]".len()
        );
        let short = OperationOutcome::error("invalid", "`card` must not be empty");
        assert_eq!(short.issue[0].diagnostics, "`card` must not be empty");
    }
}
