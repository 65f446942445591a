//! The `scim-harness` binary: the command line over the harness crates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

mod idp_sync;
mod profile;
mod saml_issue;

/// Exit codes, documented in README.md ("Exit codes").
mod exit {
    /// The run completed and found failures (a MUST case failed, or a sync reported errors).
    pub const FAILED: u8 = 1;
    /// A usage, scenario or profile error.
    pub const USAGE: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "scim-harness",
    version,
    about = "SCIM 2.0 + SAML conformance harness and mock identity provider"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The Grafana-shaped reference target.
    Target {
        #[command(subcommand)]
        command: TargetCommand,
    },
    /// The mock identity provider.
    Idp {
        #[command(subcommand)]
        command: IdpCommand,
    },
    /// SAML Responses as the mock IdP issues them.
    Saml {
        #[command(subcommand)]
        command: SamlCommand,
    },
}

#[derive(Subcommand)]
enum IdpCommand {
    /// Run one provisioning cycle of a persona against a target.
    Sync(Box<idp_sync::SyncArgs>),
}

#[derive(Subcommand)]
enum SamlCommand {
    /// Write a signed SAML Response (XML), optionally tampered with an attack.
    Issue(Box<saml_issue::IssueArgs>),
    /// List the attacks of the tamper catalogue.
    Attacks,
}

#[derive(Subcommand)]
enum TargetCommand {
    /// Serve the reference target until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// Grafana-style ini file with `[auth.scim]` settings.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Bearer token SCIM clients must present (never logged).
    #[arg(long, env = "SCIM_HARNESS_TOKEN", hide_env_values = true)]
    token: String,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    let result = match cli.command {
        Command::Target {
            command: TargetCommand::Serve(args),
        } => serve(*args),
        Command::Idp {
            command: IdpCommand::Sync(args),
        } => match idp_sync::sync(*args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(exit::FAILED),
            Err(err) => Err(err),
        },
        Command::Saml {
            command: SamlCommand::Issue(args),
        } => saml_issue::issue(*args),
        Command::Saml {
            command: SamlCommand::Attacks,
        } => {
            saml_issue::list_attacks();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.token.trim().is_empty() {
        anyhow::bail!(
            "serving the reference target: --token (or SCIM_HARNESS_TOKEN) must not be empty"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let options = target::ServeOptions {
        listen: args.listen,
        db: args.db.clone(),
        config_ini: args.config,
        token: args.token,
    };
    runtime
        .block_on(target::serve(options, announce, shutdown_signal()))
        .with_context(|| {
            format!(
                "serving the reference target with database {}",
                args.db.display()
            )
        })
}

/// Tells the user (and scripts reading stdout) where the target listens.
fn announce(addr: SocketAddr) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on http://{addr}");
    let _ = writeln!(
        out,
        "scim base http://{addr}/apis/scim.grafana.app/v0alpha1/namespaces/default"
    );
    let _ = out.flush();
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
