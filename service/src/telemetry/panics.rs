//! The process's panic hook: a panic is reported through `tracing`, so in JSON mode it is one
//! JSON line like every other message, instead of the default plain text on stderr.
//!
//! Two kinds of panic reach it:
//! - the FHIR parser's, which `fhir-mapping` contains (the resource becomes a data issue shown
//!   on the card): expected, possibly many per request, and their messages may quote the
//!   resource, so one DEBUG line with the location only;
//! - any other: a bug. ERROR with the message and location; a handler's panic is also answered
//!   500 and noted on its request line.

use std::panic::PanicHookInfo;

/// Replaces the default panic hook (which prints plain text to stderr) with one that logs.
pub fn report_panics_as_log_lines() {
    std::panic::set_hook(Box::new(report));
}

fn report(info: &PanicHookInfo<'_>) {
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    if fhir_mapping::parser_panic_is_contained() {
        tracing::debug!(
            panic.location = location,
            "the FHIR parser panicked on a resource; it is reported as unreadable"
        );
        return;
    }
    let thread = std::thread::current();
    tracing::error!(
        panic.message = message(info),
        panic.location = location,
        thread = thread.name().unwrap_or("unnamed"),
        "panic"
    );
}

/// The panic's message: `panic!` with a literal gives a `&str`, with arguments a `String`.
fn message<'a>(info: &'a PanicHookInfo<'_>) -> &'a str {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}
