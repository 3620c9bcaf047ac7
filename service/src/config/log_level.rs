//! `log.level`: checked at start-up, because `tracing`'s filter syntax accepts any bare word as a
//! target name — `warning` or `verbose` would parse, match no target and silence every log line.

/// The level names a directive may use.
pub const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// A `log.level` that would not log what its author meant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogLevelError {
    /// Empty, or only commas.
    #[error("log.level is empty; {ACCEPTED}")]
    Empty,
    /// A bare word that is not a level: the filter would read it as a target and log nothing.
    #[error("log.level: `{word}` is not a level; {ACCEPTED}")]
    UnknownLevel { word: String },
    /// `target=level` whose level is not one.
    #[error("log.level: `{directive}` names the level `{level}`, which is not one; {ACCEPTED}")]
    UnknownTargetLevel { directive: String, level: String },
    /// Rejected by the filter parser itself.
    #[error("log.level: `{directive}` is not a filter directive ({reason}); {ACCEPTED}")]
    Unparsable { directive: String, reason: String },
}

/// What the errors tell the operator to write instead.
const ACCEPTED: &str = "accepted: off, error, warn, info, debug, trace, or tracing filter \
                        directives such as `oms_cds=debug,info` (a target with its level)";

/// Checks `level` the way the logger will read it, refusing what would silently log nothing.
pub fn check(level: &str) -> Result<(), LogLevelError> {
    let directives: Vec<&str> = level
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        return Err(LogLevelError::Empty);
    }
    for directive in directives {
        check_directive(directive)?;
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(level)
        .map(drop)
        .map_err(|e| LogLevelError::Unparsable {
            directive: level.to_owned(),
            reason: e.to_string(),
        })
}

fn check_directive(directive: &str) -> Result<(), LogLevelError> {
    // Span and field filters (`[span{field=x}]=debug`) are left to the parser.
    if directive.contains('[') {
        return Ok(());
    }
    match directive.rsplit_once('=') {
        Some((_target, level)) if !is_level(level) => Err(LogLevelError::UnknownTargetLevel {
            directive: directive.to_owned(),
            level: level.to_owned(),
        }),
        Some(_) => Ok(()),
        // A bare word is a target at every level to the parser; only a level is meant here.
        None if is_level(directive) => Ok(()),
        None => Err(LogLevelError::UnknownLevel {
            word: directive.to_owned(),
        }),
    }
}

fn is_level(word: &str) -> bool {
    LEVELS
        .iter()
        .any(|level| level.eq_ignore_ascii_case(word.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_target_directives_are_accepted() {
        for level in [
            "info",
            "WARN",
            "off",
            "oms_cds=debug,info",
            "tower_http=trace, warn",
        ] {
            assert_eq!(check(level), Ok(()), "{level}");
        }
    }

    #[test]
    fn words_that_would_silence_the_log_are_refused_listing_the_levels() {
        for word in ["warning", "verbose"] {
            let error = check(word).expect_err(word).to_string();
            assert!(
                error.contains(&format!("`{word}` is not a level")),
                "{error}"
            );
            assert!(
                error.contains("off, error, warn, info, debug, trace"),
                "{error}"
            );
        }
        let error = check("oms_cds=verbose").expect_err("bad level").to_string();
        assert!(error.contains("`verbose`"), "{error}");
        assert_eq!(check(" , "), Err(LogLevelError::Empty));
    }
}
