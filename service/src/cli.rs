//! The command line: `serve`, `evaluate`, `config check`, `demo`, `token`, `healthcheck`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// oms-cds: CDS Hooks 2.0 decision support for relapsed opsoclonus-myoclonus syndrome.
#[derive(Debug, Parser)]
#[command(name = "oms-cds", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the CDS Hooks service.
    Serve {
        /// TOML configuration file (environment variables OMS_CDS_* override it).
        #[arg(long, env = "OMS_CDS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Evaluate one CDS Hooks request from a file (or `-` for stdin) and print the response JSON
    /// the service would give: no HTTP, no authentication. For clinical validation and scripts.
    Evaluate {
        /// The request file, or `-` for standard input.
        file: PathBuf,
        /// The evaluation date (YYYY-MM-DD); default today (UTC).
        #[arg(long, value_parser = parse_date)]
        at: Option<time::Date>,
        /// Give cards and suggestions uuids from this seed instead of random ones, so the same
        /// request always prints the same response.
        #[arg(long)]
        seed: Option<u64>,
        /// TOML configuration file, for clinical and mapping parameters.
        #[arg(long, env = "OMS_CDS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Work with the configuration without starting the service.
    Config {
        /// What to do with it.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Start the service on embedded defaults (SQLite, 127.0.0.1) trusting a freshly generated
    /// key, send the bundled example requests as a signed EHR would, print the cards, then keep
    /// serving until Ctrl-C.
    Demo {
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Print a token minted with the running demo's key for the endpoint URL `--aud`.
    Token {
        /// The full URL of the endpoint the token is for (its `aud`).
        #[arg(long)]
        aud: String,
        /// The running demo's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        demo: String,
    },
    /// Exit 0 when the service at URL answers 200, 1 otherwise (container health checks).
    Healthcheck {
        /// The health endpoint.
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
}

/// `oms-cds config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration (the file, then OMS_CDS_* environment variables) exactly as
    /// `serve` reads it, without starting anything: exit 0 when `serve` would accept it.
    Check {
        /// TOML configuration file (environment variables OMS_CDS_* override it).
        #[arg(long, env = "OMS_CDS_CONFIG")]
        config: Option<PathBuf>,
        /// Print the effective configuration as TOML, secrets redacted.
        #[arg(long)]
        print: bool,
    },
}

fn parse_date(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format).map_err(|_| format!("`{text}` is not a date like 2026-11-25"))
}
