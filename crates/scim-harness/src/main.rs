//! The `scim-harness` binary: the command line over the harness crates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

/// mimalloc rather than glibc's malloc: the sync engine allocates per request, and in the
/// sync throughput bench glibc's malloc and free took about a sixth of the engine
/// thread's time (the bench uses the same allocator, so it measures this).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod baseline_draft;
mod catalogue;
mod clean;
mod connection;
mod embedded;
mod idp_serve;
mod idp_sync;
mod list;
mod load;
mod profiles;
mod progress;
mod record;
mod replay;
mod run;
mod saml_issue;
mod select;
mod transcript_cmd;

/// Exit codes, documented in README.md ("Exit codes").
mod exit {
    /// Every case passed, warned, was skipped or was expected by the baseline.
    pub const SUCCESS: u8 = 0;
    /// The run completed and found failures (a MUST case failed or errored, a stale
    /// baseline entry, a SHOULD case warned under `--strict`, or a sync reported errors).
    pub const FAILED: u8 = 1;
    /// A usage, scenario or profile error.
    pub const USAGE: u8 = 2;
    /// The target did not answer.
    pub const UNREACHABLE: u8 = 3;
    /// The selection (`--persona`, `--config`, `--level`, `--include`, `--exclude`,
    /// `--partition`) matched no case, so nothing was checked or listed (as nextest does).
    pub const NO_CASES: u8 = 4;
    /// The run was interrupted (SIGINT/SIGTERM), as a shell reports 128 + SIGINT.
    pub const INTERRUPTED: u8 = 130;
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
    /// Run the scenario catalogue against a target (the embedded reference target by default).
    Run(Box<run::RunArgs>),
    /// List the selected cases (the selection flags of `run`): id, level, title and spec
    /// references, or JSON with `--format json`.
    List(Box<list::ListArgs>),
    /// Remove what an earlier run with --seed N left on a target (names carrying that
    /// seed's case tags).
    Clean(Box<clean::CleanArgs>),
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
    /// A recording reverse proxy: put it between an IdP and a SCIM service; traffic passes
    /// through unchanged and every exchange goes to a transcript (secrets redacted).
    /// Runs until SIGINT or SIGTERM.
    Record(Box<record::RecordArgs>),
    /// Re-send a transcript in order to a target, rewriting the ids it assigns into later
    /// requests, and diff each answer against the recorded one (exit 1 on a difference).
    Replay(Box<replay::ReplayArgs>),
    /// Work with transcripts (`record --transcript`, `idp sync --transcript`).
    Transcript {
        #[command(subcommand)]
        command: transcript_cmd::TranscriptCommand,
    },
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell),
    /// e.g. `scim-harness completions bash > ~/.local/share/bash-completion/completions/scim-harness`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum IdpCommand {
    /// Run one provisioning cycle of a persona against a target.
    Sync(Box<idp_sync::SyncArgs>),
    /// Serve the mock IdP: SAML sign-in pages and metadata for your application, and the
    /// directory pushed over SCIM on demand (POST /api/sync, the admin page) or on a
    /// schedule (--interval). Runs until SIGINT or SIGTERM.
    Serve(Box<idp_serve::ServeArgs>),
}

#[derive(Subcommand)]
enum SamlCommand {
    /// Write a signed SAML Response (XML), optionally tampered with an attack.
    Issue(Box<saml_issue::IssueArgs>),
    /// List the attacks of the tamper catalogue.
    Attacks,
    /// Write a persona IdP's metadata (EntityDescriptor with its certificate and SSO URL), for an SP to trust.
    Metadata(Box<saml_issue::MetadataArgs>),
}

#[derive(Subcommand)]
enum TargetCommand {
    /// Serve the reference target until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
    /// List the fault switches (`--fault NAME`): name and the bug each reproduces.
    Faults,
    /// List the target profiles built into the binary (`--target NAME`), or print one to
    /// copy and edit.
    Profiles {
        /// The profile to print.
        name: Option<String>,
    },
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
    /// A trusted SAML IdP (repeatable): an IdP metadata file, or ENTITY_ID=CERT.pem.
    #[arg(long = "idp-cert", value_name = "METADATA|ENTITY_ID=PEM")]
    idp_certs: Vec<String>,
    /// Inject a deliberate bug (repeatable); `target faults` lists them.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<reference_target::Fault>,
    /// The namespace served (Grafana Cloud: `stacks-<id>`); others answer 403.
    #[arg(long, env = "SCIM_HARNESS_NAMESPACE", default_value = "default")]
    namespace: String,
    /// Grafana's `[server] root_url`: the public URL (behind a proxy); the SAML entity
    /// id and ACS and SCIM `meta.location` use it. Replaces the ini's.
    #[arg(long, value_name = "URL")]
    root_url: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates issued by a CA in this PEM file (mutual TLS).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
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
        Command::Run(args) => return finish(run::run(*args)),
        Command::List(args) => return finish(list::list(*args)),
        Command::Clean(args) => return finish(clean::clean(*args)),
        Command::Target {
            command: TargetCommand::Serve(args),
        } => serve(*args),
        Command::Target {
            command: TargetCommand::Faults,
        } => {
            list_faults();
            Ok(())
        }
        Command::Target {
            command: TargetCommand::Profiles { name },
        } => list_profiles(name.as_deref()),
        Command::Idp {
            command: IdpCommand::Sync(args),
        } => match idp_sync::sync(*args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(exit::FAILED),
            Err(err) => Err(err),
        },
        Command::Idp {
            command: IdpCommand::Serve(args),
        } => idp_serve::serve(*args),
        Command::Saml {
            command: SamlCommand::Issue(args),
        } => saml_issue::issue(*args),
        Command::Saml {
            command: SamlCommand::Metadata(args),
        } => saml_issue::metadata(*args),
        Command::Saml {
            command: SamlCommand::Attacks,
        } => {
            saml_issue::list_attacks();
            Ok(())
        }
        Command::Record(args) => record::record(*args),
        Command::Replay(args) => match replay::replay(*args) {
            Ok(code) => return ExitCode::from(code),
            Err(err) => Err(err),
        },
        Command::Transcript { command } => transcript_cmd::run(command),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "scim-harness", &mut std::io::stdout());
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

/// The exit code of `run` or `list`, printing the error if there is one.
fn finish(result: Result<u8, run::Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            ExitCode::from(failure.code)
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
    let idp_certs = args
        .idp_certs
        .iter()
        .map(|v| {
            v.parse::<reference_target::IdpSource>()
                .map_err(|e| anyhow::anyhow!("--idp-cert {v}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let options = reference_target::ServeOptions {
        listen: args.listen,
        db: args.db.clone(),
        config_ini: args.config,
        token: args.token,
        idp_certs,
        namespace: Some(args.namespace.clone()),
        root_url: args.root_url.clone(),
        tls: args
            .tls_cert
            .clone()
            .zip(args.tls_key.clone())
            .map(|(cert, key)| reference_target::ServeTls {
                cert,
                key,
                client_ca: args.tls_client_ca.clone(),
            }),
    };
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let namespace = args.namespace.clone();
    let announce = move |addr: SocketAddr| announce(scheme, addr, &namespace);
    let faults: reference_target::FaultSet = args.faults.into_iter().collect();
    runtime
        .block_on(async {
            // Install the handlers before the listen line is printed, so a signal sent
            // right after it is not lost to the default disposition.
            let shutdown = shutdown_signal()?;
            reference_target::serve_with_faults(options, faults, announce, shutdown).await
        })
        .with_context(|| {
            format!(
                "serving the reference target with database {}",
                args.db.display()
            )
        })
}

/// `scim-harness target faults`: one fault per line, its name and [`reference_target::Fault::doc`],
/// the doc marked `[should]` where only SHOULD cases can see the fault.
fn list_faults() {
    use std::io::Write;
    let width = reference_target::Fault::ALL
        .iter()
        .map(|f| f.name().len())
        .max()
        .unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for fault in reference_target::Fault::ALL {
        let level = if fault.judged_by_should() {
            "[should] "
        } else {
            ""
        };
        let _ = writeln!(out, "{:<width$}  {level}{}", fault.name(), fault.doc());
    }
    let _ = out.flush();
}

/// `scim-harness target profiles [NAME]`: the shipped profiles with what each is for, or
/// the text of one.
fn list_profiles(name: Option<&str>) -> anyhow::Result<()> {
    match name {
        Some(name) => match profiles::text(name) {
            Some(text) => print!("{text}"),
            None => anyhow::bail!(
                "no shipped profile `{name}` (shipped: {})",
                profiles::names().join(", ")
            ),
        },
        None => {
            let names = profiles::names();
            let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
            for name in names {
                println!("{name:<width$}  {}", profiles::summary(name));
            }
        }
    }
    Ok(())
}

/// Tells the user (and scripts reading stdout) where the target listens.
fn announce(scheme: &str, addr: SocketAddr, namespace: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {scheme}://{addr}");
    let _ = writeln!(
        out,
        "scim base {scheme}://{addr}/apis/scim.grafana.app/v0alpha1/namespaces/{namespace}"
    );
    let _ = out.flush();
}

/// A future that resolves on the first SIGINT or SIGTERM; the handlers are installed
/// when this is called.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt =
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut terminate =
            signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutdown signal received");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async move {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutdown signal received");
        })
    }
}
