//! `scim-harness run`: the scenario runner over a target profile, or over the embedded
//! reference target when no profile is given.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use conformance::{Catalogue, RunEvent, RunOptions};

use crate::embedded::EmbeddedTarget;
use crate::exit;

/// Report formats (`--format`, repeatable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Junit,
    Html,
    /// `summary.md` (also written whenever another file format is).
    #[value(name = "md", alias = "summary")]
    Md,
}

impl FormatArg {
    fn format(self) -> report::Format {
        match self {
            FormatArg::Human => report::Format::Human,
            FormatArg::Json => report::Format::Json,
            FormatArg::Junit => report::Format::Junit,
            FormatArg::Html => report::Format::Html,
            FormatArg::Md => report::Format::Summary,
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    Always,
    Never,
}

impl ColorArg {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorArg::Auto => anstream::ColorChoice::Auto,
            ColorArg::Always => anstream::ColorChoice::Always,
            ColorArg::Never => anstream::ColorChoice::Never,
        }
    }
}

/// Arguments of `run` (DESIGN.md "Command line").
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Target profile: a TOML file, or the name of a shipped one (`target profiles`);
    /// without it the embedded reference target is started.
    #[arg(long)]
    target: Option<PathBuf>,
    /// Override the profile's base_url.
    #[arg(long, env = "SCIM_HARNESS_TARGET_URL")]
    target_url: Option<String>,
    #[command(flatten)]
    catalogue: crate::catalogue::CatalogueArgs,
    #[command(flatten)]
    select: crate::select::SelectionArgs,
    /// Report formats, comma-separated or repeated (`--format human,json,junit`); human
    /// goes to standard output, the others to --out (`md`: summary.md, which every run
    /// that writes a file format writes too).
    #[arg(long = "format", value_enum, value_delimiter = ',', default_values_t = [FormatArg::Human])]
    formats: Vec<FormatArg>,
    /// Colour of the terminal report: `auto` colours a terminal unless NO_COLOR is set
    /// (CLICOLOR_FORCE=1 forces colour into a pipe).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,
    /// Fail the run (exit 1) when a SHOULD case warns, not only when a MUST case fails.
    #[arg(long)]
    strict: bool,
    /// Stop starting cases after N failed ones (with --strict, warned ones count too);
    /// running cases finish, cleanup runs, and the cases not run are reported as skipped
    /// with that reason.
    #[arg(long, value_name = "N")]
    max_fail: Option<usize>,
    /// Folder for report.json, junit.xml, report.html and summary.md.
    #[arg(long, default_value = "scim-harness-report")]
    out: PathBuf,
    /// Seed of the names cases create; the run prints it, so `--seed` reproduces a run.
    #[arg(long)]
    seed: Option<u64>,
    /// Expected failures (TOML), each with a reason; a stale entry fails the run.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write a baseline of this run's failures, warnings and errors to FILE (each new
    /// entry names the outcome and has a placeholder reason to replace); the entries of
    /// --baseline that still apply are kept.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Cases running at once.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Folder with the IdP signing keys and certificates
    /// ({entra,okta,rfc,attacker}.{key,cert}.pem, optionally rollover.*); default: the
    /// test-only keys built into the binary (fixtures/idp).
    #[arg(long, value_name = "DIR")]
    idp_keys: Option<PathBuf>,
    /// Inject a deliberate bug into the embedded reference target (repeatable; not with
    /// --target); `target faults` lists them.
    #[arg(long = "fault", value_name = "NAME", conflicts_with = "target")]
    faults: Vec<reference_target::Fault>,
    /// Leave what the cases created on the target (no cleanup after each case);
    /// `clean --seed N` removes it later.
    #[arg(long)]
    keep: bool,
    #[command(flatten)]
    connection: crate::connection::ConnectionArgs,
}

/// A failure with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

pub(crate) fn usage(error: anyhow::Error) -> Failure {
    Failure {
        code: exit::USAGE,
        error,
    }
}

pub(crate) fn load_catalogue(args: &crate::catalogue::CatalogueArgs) -> Result<Catalogue, Failure> {
    args.load().map_err(usage)
}

/// `scim-harness run`.
pub fn run(args: RunArgs) -> Result<u8, Failure> {
    if args.target.is_none() && args.target_url.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--target-url (or SCIM_HARNESS_TARGET_URL) needs --target PROFILE: without --target \
             the run goes to the embedded reference target, not to that URL"
        )));
    }
    if args.target.is_none() && args.connection.names_tls() {
        return Err(usage(anyhow::anyhow!(
            "--ca-cert, --insecure, --client-cert and --client-key need --target PROFILE: the \
             embedded reference target is served over plain http"
        )));
    }
    let catalogue = load_catalogue(&args.catalogue)?;
    if args.jobs == 0 {
        return Err(usage(anyhow::anyhow!("--jobs must be at least 1")));
    }
    if args.max_fail == Some(0) {
        return Err(usage(anyhow::anyhow!(
            "--max-fail must be at least 1 (leave it out to run every case)"
        )));
    }
    let selection = args.select.selection(&catalogue).map_err(usage)?;
    let all_cases = catalogue.cases();
    let cases = catalogue.select(&selection);
    if cases.is_empty() {
        eprintln!("{}", crate::select::none_matched(all_cases.len()));
        return Ok(exit::NO_CASES);
    }
    let baseline = args
        .baseline
        .as_deref()
        .map(conformance::Baseline::load)
        .transpose()
        .context("loading the baseline")
        .map_err(usage)?;
    if let Some(b) = &baseline {
        let todo = b.placeholders();
        if todo > 0 {
            eprintln!(
                "warning: baseline {}: {todo} entries still have the placeholder reason \
                 `TODO: …`; say why each outcome is expected",
                b.origin
            );
        }
    }
    let mut draft = crate::baseline_draft::BaselineDraft::new(baseline.clone());
    let mut outdated: Vec<String> = Vec::new();
    let request_timeout = Duration::from_secs(args.timeout.max(1));
    let (profile, connector) = match &args.target {
        Some(path) => {
            let (profile, connector) = args
                .connection
                .load_profile(path, request_timeout)
                .map_err(usage)?;
            (Some(profile), Some(connector))
        }
        None => (None, None),
    };
    let token = match &profile {
        Some(p) => Some(
            p.credential()
                .context("resolving the scim credential")
                .map_err(usage)?,
        ),
        None => None,
    };
    // The server admin for what the profile's [admin] names (SCIM_HARNESS_ADMIN_USER /
    // _PASSWORD); the embedded target brings its own.
    let admin = match &profile {
        Some(_) => conformance::AdminCredentials::from_env()
            .context("reading the server-admin credentials")
            .map_err(usage)?,
        None => None,
    };
    let seed = args.seed.unwrap_or_else(|| {
        let n = uuid::Uuid::new_v4().as_u128();
        (n as u64) % 1_000_000_000
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .map_err(usage)?;
    let formats: Vec<report::Format> = args.formats.iter().map(|f| f.format()).collect();
    let meta = run_meta(&args, &catalogue);
    runtime.block_on(async {
        let interrupt = conformance::Interrupt::default();
        watch_signals(interrupt.clone());
        let keys =
            crate::catalogue::IdpKeyFolder::new(args.idp_keys.as_deref()).map_err(|error| {
                Failure {
                    code: exit::FAILED,
                    error,
                }
            })?;
        let (profile, base_url, token, admin, _embedded) = match (profile, token) {
            (Some(p), Some(t)) => {
                let url = args
                    .target_url
                    .clone()
                    .unwrap_or_else(|| p.base_url.clone());
                (p, url, t, admin, None)
            }
            _ => {
                let faults: reference_target::FaultSet = args.faults.iter().copied().collect();
                let embedded =
                    EmbeddedTarget::start(keys.path(), faults, &args.connection.namespace)
                        .await
                        .context("starting the embedded reference target")
                        .map_err(|error| Failure {
                            code: exit::FAILED,
                            error,
                        })?;
                let mut profile = embedded.profile().map_err(usage)?;
                profile
                    .set_namespace(&args.connection.namespace)
                    .map_err(|e| usage(e.into()))?;
                (
                    profile,
                    embedded.base_url.clone(),
                    idp::Credential::Bearer(embedded.token.clone()),
                    Some(embedded.admin.clone()),
                    Some(embedded),
                )
            }
        };
        let opts = RunOptions {
            profile,
            base_url,
            credential: token,
            connector,
            admin,
            seed,
            jobs: args.jobs,
            request_timeout,
            case_timeout: Duration::from_secs(args.timeout.max(1) * 30),
            idp_keys: keys.path().to_owned(),
            baseline: baseline.clone(),
            default_config: catalogue.configs[0].name.clone(),
            keep: args.keep,
            interrupt: interrupt.clone(),
            max_fail: args.max_fail.map(|limit| conformance::MaxFail {
                limit,
                count_warnings: args.strict,
            }),
            running: conformance::RunningCases::default(),
        };
        let human = formats.contains(&report::Format::Human);
        // The palette's escapes go through anstream, which strips them unless --color
        // and the environment (NO_COLOR, CLICOLOR_FORCE, a terminal) allow colour.
        let mut terminal = report::Terminal::new(
            anstream::AutoStream::new(std::io::stdout(), args.color.choice()),
            report::Palette::ansi(),
        );
        let running = opts.running.clone();
        let mut progress = crate::progress::Progress::start(cases.len(), running);
        let mut collector = report::Collector::new();
        collector.meta = meta;
        let mut not_run = 0usize;
        let summary = conformance::run(cases, &all_cases, opts, |event: RunEvent| {
            if let RunEvent::CaseFinished(r) = &event {
                draft.case(r);
                if let Some(e) = baseline.as_ref().and_then(|b| b.outdated(r)) {
                    let pattern = match e.case == r.id {
                        true => String::new(),
                        false => format!("entry `{}` ", e.case),
                    };
                    outdated.push(format!(
                        "{}: {pattern}expects {}, now {}",
                        r.id,
                        e.outcome.map_or("a failure", |o| o.as_str()),
                        r.outcome.as_str()
                    ));
                }
                if r.outcome == conformance::Outcome::Skip
                    && r.reason
                        .as_deref()
                        .is_some_and(|w| w.contains("(--max-fail "))
                {
                    not_run += 1;
                }
            }
            match &event {
                RunEvent::CaseFinished(r) => progress.case(r),
                RunEvent::RunFinished { .. } => progress.finish(),
                _ => {}
            }
            if human {
                progress.suspend(|| terminal.event(&event));
            }
            collector.event(&event);
        })
        .await
        .map_err(|e| match e {
            conformance::RunError::Unreachable { .. } => Failure {
                code: exit::UNREACHABLE,
                error: anyhow::Error::new(e),
            },
            other => usage(anyhow::Error::new(other)),
        })?;
        write_reports(&formats, &collector, &args.out)?;
        if !outdated.is_empty() {
            eprintln!(
                "baseline: {} cases did better than their entry expects (outdated entries, \
                 not failures; update or remove them):",
                outdated.len()
            );
            for line in outdated.iter().take(20) {
                eprintln!("  {line}");
            }
            if outdated.len() > 20 {
                eprintln!("  … and {} more", outdated.len() - 20);
            }
        }
        if let Some(path) = &args.write_baseline {
            write_baseline(path, draft, &all_cases, seed, summary.interrupted)?;
        }
        if interrupt.reason() == Some(conformance::StopReason::MaxFail) {
            let limit = args.max_fail.unwrap_or_default();
            eprintln!(
                "stopped: {limit} failed (--max-fail {limit}); {not_run} cases were not run \
                 and are reported as skipped with that reason"
            );
        }
        Ok(if summary.interrupted {
            exit::INTERRUPTED
        } else if summary.is_success() && !(args.strict && summary.warned > 0) {
            exit::SUCCESS
        } else {
            exit::FAILED
        })
    })
}

/// What the reports record of the command line: version, start time, selection and the
/// catalogue's digest.
fn run_meta(args: &RunArgs, catalogue: &Catalogue) -> report::RunMeta {
    let now = time::OffsetDateTime::now_utc();
    let started_at = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .ok();
    let shown = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    report::RunMeta {
        harness_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        started_at,
        catalogue_digest: Some(crate::catalogue::digest(catalogue)),
        strict: args.strict,
        selection: report::RunSelection {
            faults: args.faults.iter().map(|f| f.name().to_owned()).collect(),
            baseline: shown(&args.baseline),
            scenarios: shown(&args.catalogue.scenarios),
            no_builtin_scenarios: args.catalogue.no_builtin_scenarios,
            ..args.select.report()
        },
    }
}

/// The first SIGINT or SIGTERM stops the run from starting cases (running ones finish,
/// the configuration is put back, cleanup runs, the reports are written and marked
/// incomplete, exit 130); a second one exits at once with 130.
fn watch_signals(interrupt: conformance::Interrupt) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        eprintln!("warning: cannot watch SIGINT/SIGTERM; Ctrl-C will stop the run at once");
        return;
    };
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            seen += 1;
            if seen > 1 {
                eprintln!("interrupted again: exiting now");
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
            interrupt.raise();
            eprintln!(
                "interrupted: no new case starts; running cases finish, the configuration is \
                 put back, cleanup runs and the reports are written (Ctrl-C again to exit now)"
            );
        }
    });
}

/// `--write-baseline FILE`.
fn write_baseline(
    path: &Path,
    draft: crate::baseline_draft::BaselineDraft,
    all_cases: &[conformance::Case],
    seed: u64,
    interrupted: bool,
) -> Result<(), Failure> {
    let (baseline, added) = draft.finish(all_cases);
    let header = format!(
        "Expected outcomes, written by `scim-harness run --write-baseline` (seed {seed}){}.\n\
         Replace each `{}` with why that outcome is expected (a vendor ticket, a\n\
         documented deviation); give it to `scim-harness run --baseline FILE`.",
        if interrupted {
            "; the run was interrupted, so cases it did not start are missing"
        } else {
            ""
        },
        conformance::Baseline::REASON_PLACEHOLDER
    );
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating the folder of {}", path.display()))
            .map_err(|error| Failure {
                code: exit::FAILED,
                error,
            })?;
    }
    std::fs::write(path, baseline.to_toml(&header))
        .with_context(|| format!("writing the baseline {}", path.display()))
        .map_err(|error| Failure {
            code: exit::FAILED,
            error,
        })?;
    eprintln!(
        "baseline: wrote {} ({} entries, {added} new with the reason `{}` to replace)",
        path.display(),
        baseline.expected.len(),
        conformance::Baseline::REASON_PLACEHOLDER
    );
    Ok(())
}

fn write_reports(
    formats: &[report::Format],
    c: &report::Collector,
    out: &Path,
) -> Result<(), Failure> {
    let mut written = Vec::new();
    let mut formats = formats.to_vec();
    // summary.md goes with any report file, for the CI job that reads the folder.
    if formats.iter().any(|f| f.file_name().is_some())
        && !formats.contains(&report::Format::Summary)
    {
        formats.push(report::Format::Summary);
    }
    for f in &formats {
        let (Some(name), Some(text)) = (f.file_name(), f.render(c)) else {
            continue;
        };
        std::fs::create_dir_all(out)
            .with_context(|| format!("creating the report folder {}", out.display()))
            .map_err(|error| Failure {
                code: exit::FAILED,
                error,
            })?;
        let path = out.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(|error| Failure {
                code: exit::FAILED,
                error,
            })?;
        written.push(path.display().to_string());
    }
    if !written.is_empty() {
        println!("reports: {}", written.join(", "));
    }
    Ok(())
}
