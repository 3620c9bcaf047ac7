//! The little URL handling fetching needs: origins, the allow-list prefix rule, template
//! expansion. Kept to string rules on purpose: every URL called is built here from an
//! allow-listed base, and every `link[next]` is checked against that base.

/// `scheme://host[:port]` of an absolute URL, lower-cased; `None` without a host.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    // Userinfo (`user@host`) would let a URL look like one host and reach another.
    if authority.is_empty() || authority.contains('@') || scheme.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// `host[:port]` of an absolute URL, lower-cased: what a log may say about a FHIR server
/// (never its path or query, which can hold a patient id).
pub fn host_of(url: &str) -> Option<String> {
    let origin = origin_of(url)?;
    origin.split_once("://").map(|(_, host)| host.to_owned())
}

/// A FHIR base URL without its trailing slashes.
pub fn trim_base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Whether `url` is `base` itself or lies under it (`base/...` or `base?...`). Used both for
/// the allow-list (is this `fhirServer` under an allowed prefix?) and for `link[next]` (does
/// this page stay on the `fhirServer`?), so the token never travels anywhere else.
pub fn is_within(url: &str, base: &str) -> bool {
    let base = trim_base(base);
    let (Some(url_origin), Some(base_origin)) = (origin_of(url), origin_of(base)) else {
        return false;
    };
    if url_origin != base_origin {
        return false;
    }
    // Compare the path part only after the (case-insensitive) origin.
    let url_rest = &url[url_origin.len()..];
    let base_rest = &base[base_origin.len()..];
    match url_rest.strip_prefix(base_rest) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'),
        None => false,
    }
}

/// The relative URL of a prefetch template for one patient (the only token the templates use).
pub fn expand_template(template: &str, patient_id: &str) -> String {
    template.replace("{{context.patientId}}", &encode_component(patient_id))
}

/// The resource type a relative FHIR URL reads or searches (`Condition?patient=1` ->
/// `Condition`), and whether it is a search (answered by a Bundle) rather than a read.
pub fn target_of(relative: &str) -> (&str, bool) {
    match relative.split_once(['/', '?']) {
        Some((resource_type, _)) => (
            resource_type,
            relative[resource_type.len()..].starts_with('?'),
        ),
        None => (relative, true),
    }
}

/// Percent-encodes a path or query component (patient ids are FHIR ids, but the request is
/// input: a `/` or `&` must not change which URL is called).
pub fn encode_component(component: &str) -> String {
    component
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_authority() {
        assert_eq!(
            origin_of("https://EHR.example.org:8443/fhir/Patient?x=1").as_deref(),
            Some("https://ehr.example.org:8443")
        );
        assert_eq!(origin_of("not a url"), None);
        assert_eq!(origin_of("https://user@evil.example/fhir"), None);
    }

    #[test]
    fn within_means_the_base_or_below_it() {
        let base = "https://ehr.example.org/fhir/";
        assert!(is_within("https://ehr.example.org/fhir", base));
        assert!(is_within(
            "https://ehr.example.org/fhir/Condition?page=2",
            base
        ));
        assert!(is_within(
            "https://ehr.example.org/fhir?_getpages=abc",
            base
        ));
        assert!(!is_within(
            "https://ehr.example.org/fhirish/Condition",
            base
        ));
        assert!(!is_within("https://ehr.example.org/admin", base));
        assert!(!is_within(
            "https://ehr.example.org.evil.example/fhir",
            base
        ));
        assert!(!is_within("http://ehr.example.org/fhir/Condition", base));
        assert!(!is_within("https://user@ehr.example.org/fhir", base));
    }

    #[test]
    fn templates_encode_the_patient_id() {
        assert_eq!(
            expand_template("Condition?patient={{context.patientId}}", "a/b&c"),
            "Condition?patient=a%2Fb%26c"
        );
        assert_eq!(
            expand_template("Patient/{{context.patientId}}", "abc-1.2"),
            "Patient/abc-1.2"
        );
    }

    #[test]
    fn targets_tell_reads_from_searches() {
        assert_eq!(target_of("Patient/p1"), ("Patient", false));
        assert_eq!(target_of("Condition?patient=p1"), ("Condition", true));
    }
}
