//! Runs one stage of the service's request path on a request file, so that `callgrind` can count
//! its instructions (`scripts/request-path-cost.sh` runs it and prints the ratios).
//!
//! Usage: `request-path-cost MODE FILE [ITERATIONS]`, where MODE is
//! - `read`: only read the file (the baseline of `value`);
//! - `setup`: read the file and set up the request path as the service does once at start-up
//!   (configuration, value sets, rules): the baseline of `path`;
//! - `value`: parse the body as a `serde_json::Value` (the yardstick: one plain JSON parse);
//! - `path`: what the service does with a body on its evaluation pool, without HTTP and with no
//!   FHIR server to call: parse the call, plan the prefetch completion, map, apply the rules,
//!   render and serialise the response.
//!
//! Prints the wall-clock time per iteration to stderr (noisy on a shared machine; the
//! instruction counts are the measurement).

use std::process::ExitCode;
use std::time::Instant;

use oms_cds::card_ids::UuidSource;
use oms_cds::catalogue::{Catalogue, SERVED_HOOKS};
use oms_cds::config::Settings;
use oms_cds::evaluation::Engine;
use oms_cds::fhir_client::{incomplete_keys, PrefetchReport};
use oms_cds::wire::request::parse_hook_call;
use oms_cds::wire::response::CdsResponse;
use oms_cds_tests::scenario::RULEBOOK_BASE;

const USAGE: &str = "usage: request-path-cost read|setup|value|path FILE [ITERATIONS]";

/// One stage run on the body: the bytes it produced, or why it failed.
type Stage = Box<dyn Fn(&[u8]) -> Result<usize, String>>;

/// The date the generated records and the examples are written for.
const TODAY: time::Date = time::macros::date!(2026 - 11 - 25);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let iterations: u32 = match args.get(2).map(|n| n.parse()) {
        None => 1,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("ITERATIONS must be a positive number\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let body = match std::fs::read(file) {
        Ok(body) => body,
        Err(error) => {
            eprintln!("cannot read {file}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let run: Stage = match mode.as_str() {
        "read" => Box::new(|body: &[u8]| Ok(body.len())),
        "value" => Box::new(|body: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(body)
                .map(|value| usize::from(value.is_object()))
                .map_err(|error| error.to_string())
        }),
        "setup" | "path" => match RequestPath::new() {
            Ok(path) if mode == "setup" => Box::new(move |body: &[u8]| Ok(path.setup_only(body))),
            Ok(path) => Box::new(move |body: &[u8]| path.run(body)),
            Err(error) => {
                eprintln!("cannot set up the request path: {error}");
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("unknown mode '{mode}'\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut produced = 0;
    for _ in 0..iterations {
        match run(&body) {
            Ok(bytes) => produced += bytes,
            Err(error) => {
                eprintln!("{mode} failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let per_iteration = started.elapsed() / iterations;
    eprintln!(
        "{mode}: {} bytes in, {per_iteration:?} per iteration, {} iterations ({produced} out)",
        body.len(),
        iterations
    );
    ExitCode::SUCCESS
}

/// The service's evaluation-pool work for one call, set up once as the service does at start-up.
struct RequestPath {
    engine: Engine,
    catalogue: Catalogue,
}

impl RequestPath {
    fn new() -> Result<RequestPath, String> {
        let mut settings = Settings::default();
        settings.auth.required = false;
        // Measure any size: the per-call resource limit is a policy, not part of the cost.
        settings.mapping.max_resources = usize::MAX;
        let engine = Engine::new(&settings).map_err(|error| error.to_string())?;
        let catalogue = Catalogue::new(engine.terminology());
        Ok(RequestPath { engine, catalogue })
    }

    /// Nothing per request: the set-up alone, kept alive as in `path`.
    fn setup_only(&self, body: &[u8]) -> usize {
        body.len() + self.catalogue.templates().count()
    }

    /// The response body's length.
    fn run(&self, body: &[u8]) -> Result<usize, String> {
        let call = parse_hook_call(body, &SERVED_HOOKS).map_err(|error| error.to_string())?;
        let incomplete = incomplete_keys(&self.catalogue, &call.call);
        let report = PrefetchReport::default();
        let evaluation = self
            .engine
            .evaluate(&call.call, TODAY, &report)
            .map_err(|error| error.to_string())?;
        let response =
            CdsResponse::from_evaluation(&evaluation, &mut UuidSource::Random, RULEBOOK_BASE);
        let bytes = serde_json::to_vec(&response).map_err(|error| error.to_string())?;
        Ok(bytes.len() + incomplete.len())
    }
}
