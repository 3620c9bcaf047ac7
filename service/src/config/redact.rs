//! Secrets kept out of what the service prints: passwords in URLs (`postgres://user:PASSWORD@`,
//! `?password=`) and `Secret` values, in errors and in `config check --print`.

use super::Settings;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Query parameters that carry a password in database URLs.
const PASSWORD_PARAMETERS: [&str; 2] = ["password", "sslpassword"];

/// `url` with the password of its user info and of password parameters replaced; anything that
/// is not a URL with a password is returned as it is.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut redacted = url[..scheme_end].to_owned();
    let authority = &rest[..authority_end];
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            match user_info.split_once(':') {
                Some((user, _password)) => {
                    redacted.push_str(&format!("{user}:{REDACTED}@{host}"));
                }
                None => redacted.push_str(authority),
            };
        }
        None => redacted.push_str(authority),
    }
    redacted.push_str(&redact_query(&rest[authority_end..]));
    redacted
}

/// `/path?a=1&password=x#f` with the password parameters' values replaced.
fn redact_query(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, _))
                if PASSWORD_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()) =>
            {
                format!("{name}={REDACTED}")
            }
            _ => parameter.to_owned(),
        })
        .collect();
    let mut redacted = format!("{path}?{}", parameters.join("&"));
    if let Some(fragment) = fragment {
        redacted.push('#');
        redacted.push_str(fragment);
    }
    redacted
}

/// The effective configuration as TOML, every secret redacted: `Secret`s serialize redacted,
/// and every string that is a URL loses its password.
pub fn effective_toml(settings: &Settings) -> Result<String, toml::ser::Error> {
    let mut value = toml::Value::try_from(settings)?;
    redact_urls(&mut value);
    toml::to_string(&value)
}

fn redact_urls(value: &mut toml::Value) {
    match value {
        toml::Value::String(text) if text.contains("://") => *text = redact_url(text),
        toml::Value::Array(items) => items.iter_mut().for_each(redact_urls),
        toml::Value::Table(table) => table.iter_mut().for_each(|(_, v)| redact_urls(v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_database_url_is_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_url("postgres://oms:s3cr%40t@db.example.org:5432/oms?sslmode=require"),
            "postgres://oms:[redacted]@db.example.org:5432/oms?sslmode=require"
        );
        assert_eq!(
            redact_url("postgresql://db/oms?user=oms&password=hunter2&sslmode=verify-full"),
            "postgresql://db/oms?user=oms&password=[redacted]&sslmode=verify-full"
        );
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "sqlite://oms-cds.db",
            "postgres://oms@db:5432/oms",
            "https://ehr.example.org/fhir",
            "not a url",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn the_effective_configuration_carries_no_secret() {
        let mut settings = Settings::default();
        settings.storage.database_url = "postgres://oms:hunter2@db:5432/oms".into();
        settings.admin.token = toml::Value::String("a".repeat(40))
            .try_into()
            .expect("a token");
        let printed = effective_toml(&settings).expect("serializable");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains(&"a".repeat(40)), "{printed}");
        assert!(
            printed.contains("postgres://oms:[redacted]@db:5432/oms"),
            "{printed}"
        );
        assert!(printed.contains("token = \"[redacted]\""), "{printed}");
    }
}
