//! `scim-harness idp sync`: drive any SCIM target by hand with one persona and a directory,
//! once (a line per exchange) or in load mode (`crate::load`: cycles, a generated
//! directory with churn, a summary per operation).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use conformance::Profile;

/// Arguments of `idp sync` (DESIGN.md "Command line").
#[derive(Args)]
pub struct SyncArgs {
    /// Persona that sends the traffic: entra, entra-aadopt, okta, okta-oin, rfc.
    #[arg(long)]
    persona: String,
    /// Target profile: a TOML file, or the name of a shipped one (`target profiles`).
    #[arg(long)]
    target: PathBuf,
    /// Override the profile's base_url.
    #[arg(long, env = "SCIM_HARNESS_TARGET_URL")]
    target_url: Option<String>,
    /// The IdP's directory (YAML); default: the sample directory built into the binary
    /// (fixtures/directory.yaml). Exclusive with --generate-users.
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// Write every exchange as one JSON object per line (secrets redacted), streamed.
    #[arg(long)]
    transcript: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    connection: crate::connection::ConnectionArgs,
    #[command(flatten)]
    load: crate::load::LoadArgs,
}

/// Prints each exchange's status line as it happens and, with `--transcript`, writes it
/// as a JSON line; the transcript is never held in memory.
struct Progress {
    file: Option<idp::JsonLinesSink<BufWriter<File>>>,
}

impl idp::TranscriptSink for Progress {
    fn exchange(&mut self, exchange: idp::Exchange) {
        let status = exchange
            .status
            .map_or_else(|| "---".to_string(), |s| s.to_string());
        println!("{status:>3} {:<6} {}", exchange.method, exchange.url);
        if let Some(file) = &mut self.file {
            file.exchange(exchange);
        }
    }
}

/// The JSON-lines transcript `--transcript` asks for (`idp sync`, load mode, `record`),
/// created now so a bad path fails before any traffic.
pub fn transcript_file(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<idp::JsonLinesSink<BufWriter<File>>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let file =
        File::create(path).with_context(|| format!("creating transcript {}", path.display()))?;
    Ok(Some(idp::JsonLinesSink::new(BufWriter::new(file))))
}

/// The SCIM target a profile names (`--target`, `--target-url`, the connection flags):
/// the target with its credential and client, the client, and the profile's name.
pub fn scim_target(
    profile: &std::path::Path,
    target_url: Option<&str>,
    connection: &crate::connection::ConnectionArgs,
    timeout: std::time::Duration,
) -> anyhow::Result<(idp::ScimTarget, idp::Connector, String)> {
    // A shipped profile (`--target grafana`) needs no file of its own beyond the run.
    let mut profile = Profile::load(&connection.shipped.resolve(profile)?)?;
    let credential = profile.credential()?;
    let connector = connection.apply(&mut profile, timeout)?;
    let mut target = idp::ScimTarget::new(profile.scim_base(target_url), "");
    target.credential = credential;
    target.connector = Some(connector.clone());
    target.timeout = timeout;
    Ok((target, connector, profile.name))
}

/// Runs one initial cycle, or load mode's cycles when a load flag is given. Returns
/// whether it ended without errors.
pub fn sync(args: SyncArgs) -> anyhow::Result<bool> {
    let persona: idp::PersonaId = args
        .persona
        .parse()
        .map_err(|err| anyhow::anyhow!("--persona: {err}"))?;
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let (mut target, _, name) = scim_target(
        &args.target,
        args.target_url.as_deref(),
        &args.connection,
        timeout,
    )?;
    if args.load.concurrency.is_some() || args.load.rate.is_some() {
        let defaults = idp::SyncLimits::for_persona(persona);
        target.limits = Some(idp::SyncLimits {
            concurrency: args.load.concurrency.map_or(defaults.concurrency, |c| {
                usize::try_from(c).unwrap_or(usize::MAX)
            }),
            requests_per_second: args.load.rate,
        });
    }
    if args.load.is_load() {
        return crate::load::run(crate::load::LoadRun {
            persona,
            target,
            name,
            directory: args.directory.as_deref(),
            transcript: args.transcript.as_deref(),
            args: &args.load,
        });
    }
    let directory = crate::catalogue::load_directory(args.directory.as_deref())?;
    println!("persona {persona} → target {name} at {}", target.base_url);
    let file = crate::idp_sync::transcript_file(args.transcript.as_deref())?;
    let mut progress = Progress { file };
    // One thread: the engine's requests are polled where the cycle runs, without a task
    // or a cross-thread wake-up each (the sync throughput bench measures it so).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(async {
        let mut engine = idp::SyncEngine::new(persona, target);
        // Only the counts are printed.
        engine.keep_outcomes(false);
        engine.cycle_to(&directory, &mut progress).await
    });
    for issue in &report.errors {
        println!(
            "error: {} {}: {:?}: {}",
            issue.operation, issue.object, issue.code, issue.message
        );
    }
    println!("{}", report.summary());
    if let (Some(path), Some(file)) = (&args.transcript, progress.file) {
        let written = file.written();
        file.finish()
            .with_context(|| format!("writing transcript {}", path.display()))?;
        println!("transcript: {} ({written} exchanges)", path.display());
    }
    Ok(report.is_clean())
}
