//! Template values left in a production configuration. The shipped Kubernetes base marks every
//! site-specific URL with a host under `.invalid` (RFC 2606: it can never resolve), so a pod
//! started from the template would wait for keys and servers that do not exist. In production
//! that is refused at start, naming each key, rather than discovered as a pod that never becomes
//! ready.

use super::Settings;

/// The `key = value` of every URL whose host is a placeholder.
pub fn placeholder_urls(settings: &Settings) -> Vec<String> {
    let mut urls: Vec<(String, &str)> = vec![(
        "public_base_url".to_owned(),
        settings.public_base_url.as_str(),
    )];
    urls.extend(
        settings
            .cors
            .allowed_origins
            .iter()
            .map(|origin| ("cors.allowed_origins".to_owned(), origin.as_str())),
    );
    for (index, issuer) in settings.auth.issuers.iter().enumerate() {
        let key = |name: &str| format!("auth.issuers[{index}].{name}");
        urls.push((key("iss"), issuer.iss.as_str()));
        urls.extend(
            issuer
                .jwks_url
                .iter()
                .map(|url| (key("jwks_url"), url.as_str())),
        );
        urls.extend(
            issuer
                .allowed_jku
                .iter()
                .map(|url| (key("allowed_jku"), url.as_str())),
        );
    }
    urls.extend(
        settings
            .fhir
            .allowed_servers
            .iter()
            .map(|server| ("fhir.allowed_servers".to_owned(), server.as_str())),
    );
    urls.into_iter()
        .filter(|(_, url)| is_placeholder(url))
        .map(|(key, url)| format!("{key} = {url}"))
        .collect()
}

/// Whether a URL's host is under the reserved `.invalid` top-level domain.
fn is_placeholder(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    // The parser lower-cases the host; a trailing dot names the same host.
    let host = parsed.host_str().unwrap_or_default().trim_end_matches('.');
    host == "invalid" || host.ends_with(".invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_under_invalid_are_placeholders_and_others_are_not() {
        for url in [
            "https://cds.replace-me.invalid",
            "https://EHR.Replace-Me.INVALID:8443/fhir/",
            "https://user@ehr.invalid./jwks.json",
        ] {
            assert!(is_placeholder(url), "{url}");
        }
        for url in [
            "https://ehr.northbridge-childrens.example/fhir/",
            "https://invalid.example.org",
            "http://127.0.0.1:8080",
            "*",
        ] {
            assert!(!is_placeholder(url), "{url}");
        }
    }

    #[test]
    fn every_placeholder_is_named_by_its_key() {
        let mut settings = Settings {
            public_base_url: "https://cds.replace-me.invalid".into(),
            ..Settings::default()
        };
        settings.fhir.allowed_servers = vec![
            "https://ehr.example.org/fhir/".into(),
            "https://ehr.replace-me.invalid/fhir/".into(),
        ];
        assert_eq!(
            placeholder_urls(&settings),
            [
                "public_base_url = https://cds.replace-me.invalid",
                "fhir.allowed_servers = https://ehr.replace-me.invalid/fhir/",
            ]
        );
    }
}
