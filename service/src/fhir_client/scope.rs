//! SMART on FHIR scopes: does `fhirAuthorization.scope` let the service read a resource type?
//! Checked before calling, so a token is never sent for a read it does not grant.

/// Whether SMART scopes (v1 `read`/`*`, v2 `r`/`rs`, optionally with `?param=value`
/// restrictions, which the FHIR server enforces) allow reading `resource_type`.
pub fn allows_read(scope: &str, resource_type: &str) -> bool {
    scope
        .split_whitespace()
        .any(|one| grants_read(one, resource_type))
}

fn grants_read(scope: &str, resource_type: &str) -> bool {
    let Some((context, rest)) = scope.split_once('/') else {
        return false;
    };
    if !matches!(context, "user" | "patient" | "system") {
        return false;
    }
    let Some((target, permissions)) = rest.split_once('.') else {
        return false;
    };
    let permissions = permissions
        .split_once('?')
        .map_or(permissions, |(permissions, _)| permissions);
    let type_ok = target == "*" || target == resource_type;
    let v1_read = permissions == "read" || permissions == "*";
    let v2_read = permissions.contains('r')
        && !permissions.is_empty()
        && permissions.chars().all(|c| "cruds".contains(c));
    type_ok && (v1_read || v2_read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_v1_scopes_are_understood() {
        assert!(allows_read(
            "user/Patient.read user/Condition.read",
            "Condition"
        ));
        assert!(allows_read("patient/*.read", "Observation"));
        assert!(allows_read("user/*.*", "Procedure"));
        assert!(!allows_read("user/Patient.read", "Observation"));
        assert!(!allows_read("user/Observation.write", "Observation"));
    }

    #[test]
    fn smart_v2_scopes_and_restrictions_are_understood() {
        assert!(allows_read("patient/Observation.rs", "Observation"));
        assert!(allows_read("user/*.cruds", "Condition"));
        assert!(allows_read(
            "patient/Observation.rs?category=laboratory",
            "Observation"
        ));
        assert!(!allows_read("patient/Observation.c", "Observation"));
    }

    #[test]
    fn scopes_without_resource_access_grant_nothing() {
        assert!(!allows_read("launch openid fhirUser", "Patient"));
        assert!(!allows_read("", "Patient"));
        assert!(!allows_read("other/Patient.read", "Patient"));
    }
}
