//! Prints a generated whole-record CDS Hooks request (JSON) to stdout and its make-up to stderr.
//!
//! Usage: `make-record [--seed N] [--resources N] [--hook order-select|order-sign] [--compact]`
//! (defaults: the standard record, seed 1, pretty-printed; `--compact` writes it on one line, as
//! an EHR sends it).

use std::io::Write;
use std::process::ExitCode;

use fhir_mapping::Hook;
use oms_cds_tests::record::{generate, make_up, RecordSpec};

const USAGE: &str =
    "usage: make-record [--seed N] [--resources N] [--hook order-select|order-sign] [--compact]";

fn main() -> ExitCode {
    let (spec, compact) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let request = generate(&spec);
    let mut stdout = std::io::stdout().lock();
    let written = if compact {
        serde_json::to_writer(&mut stdout, &request)
    } else {
        serde_json::to_writer_pretty(&mut stdout, &request)
    };
    let written = written
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout));
    if let Err(error) = written {
        eprintln!("could not write the record: {error}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "seed {}, {}, today {}\n{}",
        spec.seed,
        spec.hook.code(),
        spec.today,
        make_up(&spec)
    );
    ExitCode::SUCCESS
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(RecordSpec, bool), String> {
    let mut spec = RecordSpec::standard(1);
    let mut compact = false;
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err("make-record: a deterministic whole-record CDS Hooks request".into());
        }
        if flag == "--compact" {
            compact = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seed" => spec.seed = number(&flag, &value)?,
            "--resources" => spec.resources = number(&flag, &value)?,
            "--hook" => {
                spec.hook =
                    Hook::from_code(&value).ok_or_else(|| format!("unknown hook '{value}'"))?;
            }
            _ => return Err(format!("unknown argument '{flag}'")),
        }
    }
    if spec.resources < RecordSpec::MIN_RESOURCES {
        return Err(format!(
            "--resources must be at least {}",
            RecordSpec::MIN_RESOURCES
        ));
    }
    Ok((spec, compact))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{flag} takes a whole number, not '{value}'"))
}
