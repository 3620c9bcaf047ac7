//! Recognising trust in the public CDS Hooks sandbox, which must never reach production.
//!
//! The sandbox signs its tokens with a key whose private half is published in its source code,
//! so anyone can mint a token a service trusting that key accepts. Trusting it is for trying the
//! service with the sandbox; [`AuthConfig::sandbox_trust`] lets start-up refuse it in production
//! and warn about it everywhere else.

use super::config::{AuthConfig, IssuerConfig};

/// The sandbox's `iss`.
pub const SANDBOX_ISSUER: &str = "https://sandbox.cds-hooks.org";

/// The sandbox's host, in its `jku` and JWKS URLs.
const SANDBOX_HOST: &str = "sandbox.cds-hooks.org";

/// The `x` coordinate of the sandbox's public P-384 key: recognises that key in a pinned JWK Set
/// whatever `iss` it was configured under.
const SANDBOX_KEY_X: &str = "dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB";

impl AuthConfig {
    /// Why this configuration trusts the public sandbox, or `None` when it does not: its `iss`,
    /// a key URL on its host, or its public key in a pinned file.
    pub fn sandbox_trust(&self) -> Option<String> {
        self.issuers.iter().enumerate().find_map(|(index, issuer)| {
            issuer_sandbox_trust(issuer).map(|why| format!("auth.issuers[{index}] {why}"))
        })
    }
}

fn issuer_sandbox_trust(issuer: &IssuerConfig) -> Option<String> {
    if issuer.iss.trim_end_matches('/') == SANDBOX_ISSUER {
        return Some(format!("trusts the issuer {SANDBOX_ISSUER}"));
    }
    let urls = issuer.jwks_url.iter().chain(&issuer.allowed_jku);
    if let Some(url) = urls.into_iter().find(|url| on_sandbox_host(url)) {
        return Some(format!("fetches or allows keys from {url}"));
    }
    let files = issuer.jwks_file.iter().chain(issuer.jku_files.values());
    files.into_iter().find_map(|path| {
        // An unreadable file is reported when the keys are loaded; here it holds no sandbox key.
        let text = std::fs::read_to_string(path).ok()?;
        text.contains(SANDBOX_KEY_X)
            .then(|| format!("pins the sandbox's public key in {}", path.display()))
    })
}

fn on_sandbox_host(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|url| url.host_str() == Some(SANDBOX_HOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(issuer: IssuerConfig) -> AuthConfig {
        AuthConfig {
            issuers: vec![issuer],
            ..AuthConfig::default()
        }
    }

    #[test]
    fn the_sandbox_issuer_its_urls_and_its_key_are_each_recognised() {
        let by_iss = IssuerConfig::with_jwks_file(SANDBOX_ISSUER, "/nonexistent.json");
        assert!(config_with(by_iss).sandbox_trust().is_some());

        let mut by_jku = IssuerConfig::with_jwks_url("https://ehr.example.org", "https://a.b/k");
        by_jku.allowed_jku = vec!["https://sandbox.cds-hooks.org/.well-known/jwks.json".into()];
        assert!(config_with(by_jku).sandbox_trust().is_some());

        let file = std::env::temp_dir().join(format!("sandbox-{}.json", uuid::Uuid::new_v4()));
        let jwks = format!(r#"{{"keys":[{{"kty":"EC","crv":"P-384","x":"{SANDBOX_KEY_X}"}}]}}"#);
        std::fs::write(&file, jwks).expect("temp file");
        let by_key = IssuerConfig::with_jwks_file("https://renamed.example.org", &file);
        let why = config_with(by_key).sandbox_trust();
        std::fs::remove_file(&file).expect("temp file removed");
        assert!(why.is_some_and(|why| why.contains("public key")));
    }

    #[test]
    fn an_ordinary_ehr_is_not_the_sandbox() {
        let ehr = IssuerConfig::with_jwks_url(
            "https://ehr.example.org",
            "https://ehr.example.org/.well-known/jwks.json",
        );
        assert_eq!(config_with(ehr).sandbox_trust(), None);
    }
}
