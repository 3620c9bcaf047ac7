//! Whether a text shows an mg amount: the invariant "no computed mg amount without usable
//! measurements" is checked on what the clinician reads, by the rules' own tests and by the
//! scenario runner, with this one reading of the text.
//!
//! An amount is digits followed by " mg" that is not a rate ("375 mg/m2", "30 mg/kg/day") and not
//! a stated limit ("maximum 1000 mg", "capped at 1000 mg"): a limit may be shown without usable
//! measurements (precision rule 4), a computed amount may not.

/// Whether `text` shows an mg amount (not a rate, not a stated limit).
pub fn mentions_mg_amount(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(" mg").any(|(at, _)| {
        let after = bytes.get(at + 3).copied();
        at > 0
            && bytes[at - 1].is_ascii_digit()
            && after != Some(b'/')
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
            && !is_stated_limit(text, at)
    })
}

/// Whether the amount ending at byte `at` (the digits before " mg") is a stated maximum.
fn is_stated_limit(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let number_start = before
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    let preceding = before[..number_start].trim_end();
    preceding.ends_with("maximum") || preceding.ends_with("capped at")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_told_from_rates_words_and_limits() {
        assert!(mentions_mg_amount("give 230 mg IV"));
        assert!(mentions_mg_amount("8.5 mg"));
        assert!(!mentions_mg_amount("375 mg/m2 IV"));
        assert!(!mentions_mg_amount("30 mg/kg/day"));
        assert!(!mentions_mg_amount("no dose in mg is shown"));
        assert!(!mentions_mg_amount("30 mg/kg/day (maximum 1000 mg/day)"));
        assert!(!mentions_mg_amount("375 mg/m2, capped at 1000 mg"));
    }
}
