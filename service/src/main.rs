//! The `oms-cds` binary: CLI -> telemetry -> config -> run.

use std::process::ExitCode;

use clap::Parser;
use oms_cds::card_ids::UuidSource;
use oms_cds::cli::{Cli, Command, ConfigCommand};
use oms_cds::config::Settings;
use oms_cds::{commands, telemetry};

/// mimalloc: measured against glibc malloc on whole-record requests (issue 16 note); it also
/// returns freed memory to the system after a burst of large requests.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("oms-cds: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config } => {
            let settings = Settings::load(config.as_deref())?;
            telemetry::init(&settings.log, std::io::stdout);
            for deprecation in &settings.deprecations {
                tracing::warn!(deprecation = %deprecation, "deprecated configuration key");
            }
            for (variable, meant) in &settings.misspelt_variables {
                tracing::warn!(
                    variable,
                    meant,
                    "environment variable ignored: it is not a setting (a misspelt name?)"
                );
            }
            commands::serve(settings).await
        }
        Command::Evaluate {
            file,
            at,
            seed,
            config,
        } => {
            let settings = Settings::load_for_evaluation(config.as_deref())?;
            let today = at.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
            let ids = seed.map_or(UuidSource::Random, UuidSource::seeded);
            println!("{}", commands::evaluate(&settings, &file, today, ids)?);
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check { config, print },
        } => {
            println!("{}", commands::check_config(config.as_deref(), print)?);
            Ok(())
        }
        Command::Demo { port } => {
            telemetry::init(
                &oms_cds::config::LogSettings {
                    level: "warn".into(),
                    ..Default::default()
                },
                std::io::stderr,
            );
            oms_cds::demo::run(port).await
        }
        Command::Token { aud, demo } => {
            println!("{}", commands::token(&demo, &aud).await?);
            Ok(())
        }
        Command::Healthcheck { url } => commands::healthcheck(&url).await,
    }
}
