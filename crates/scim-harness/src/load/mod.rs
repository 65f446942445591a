//! Load and soak mode of `idp sync` (README "Load and soak"): cycles of one persona's
//! sync against a target, over a generated directory with seeded churn, measured per
//! operation (count, errors by status, latency quantiles, rate) and reported on stdout,
//! as `load.json` and as `load.html`.

mod args;
mod generated;
mod metrics;
mod page;
mod progress;
mod summary;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

pub use args::LoadArgs;
use generated::Generated;
use metrics::{Live, LoadSink, Metrics};
use summary::{CycleSummary, LoadReport, Settings, Totals};

/// At most this many of a cycle's failed objects are printed one by one.
const PRINTED_ISSUES: usize = 20;

/// What a load run needs besides its flags.
pub struct LoadRun<'a> {
    pub persona: idp::PersonaId,
    pub target: idp::ScimTarget,
    /// The profile's name.
    pub name: String,
    /// `--directory`, when no users are generated.
    pub directory: Option<&'a Path>,
    pub transcript: Option<&'a Path>,
    pub args: &'a LoadArgs,
}

/// Run the cycles. Returns whether no object failed beyond the persona's retries.
pub fn run(mut run: LoadRun<'_>) -> anyhow::Result<bool> {
    let args = run.args;
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the report folder {}", dir.display()))?;
    }
    // The metrics need method, URL, status and time only: a full transcript only when
    // one is written.
    if run.transcript.is_none() {
        run.target.transcript = idp::TranscriptDetail::Lines;
    }
    let concurrency = run
        .target
        .limits
        .unwrap_or_else(|| idp::SyncLimits::for_persona(run.persona))
        .concurrency
        .max(1);
    let mut dir;
    let mut generated = None;
    match args.generate_users {
        Some(users) => {
            let groups = args.generate_groups.unwrap_or(0);
            let t = Instant::now();
            dir = idp::Directory::new();
            generated = Some(Generated::build(&mut dir, users, groups, args.seed)?);
            println!(
                "generated {users} users in {groups} groups ({:.1} s)",
                t.elapsed().as_secs_f64()
            );
        }
        None => dir = crate::catalogue::load_directory(run.directory)?,
    }
    let transcript = crate::idp_sync::transcript_file(run.transcript)?;
    println!(
        "persona {} → target {} at {} (concurrency {concurrency}, {})",
        run.persona,
        run.name,
        run.target.base_url,
        args.rate
            .map_or("unpaced".to_owned(), |r| format!("at most {r} requests/s"))
    );
    let base_url = run.target.base_url.clone();
    let live = Arc::new(Live::default());
    let run_start = Instant::now();
    let mut sink = LoadSink {
        metrics: (!args.no_metrics).then(|| Metrics::new(&base_url, run_start)),
        live: live.clone(),
        transcript,
    };
    let mut shown = progress::LoadProgress::start(live.clone(), run_start);
    // One thread, as plain `idp sync` (the engine's requests are polled where it runs).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut engine = idp::SyncEngine::new(run.persona, run.target);
    // Only the counts are printed: a million kept outcomes would cost about 130 MB.
    engine.keep_outcomes(false);
    let mut cycles = Vec::new();
    let mut clean = true;
    let mut n = 0u64;
    loop {
        n += 1;
        let churn = match (&mut generated, args.churn) {
            (Some(g), Some(percent)) if n > 1 => Some(g.churn(&mut dir, percent, n)?),
            _ => None,
        };
        if let Some(c) = &churn {
            shown.println(&format!("cycle {n}: churn: {c}"));
        }
        live.cycle.store(n, Ordering::Relaxed);
        let (before, errors_before) = (
            live.requests.load(Ordering::Relaxed),
            live.errors.load(Ordering::Relaxed),
        );
        let (t, cpu) = (Instant::now(), process_cpu_seconds());
        let report = runtime.block_on(engine.cycle_to(&dir, &mut sink));
        let seconds = t.elapsed().as_secs_f64();
        let cpu = cpu.zip(process_cpu_seconds()).map(|(a, b)| b - a);
        let requests = live.requests.load(Ordering::Relaxed) - before;
        let errors = live.errors.load(Ordering::Relaxed) - errors_before;
        let operations = sink
            .metrics
            .as_mut()
            .map(|m| m.end_cycle(seconds))
            .unwrap_or_default();
        let mut totals = Totals::new(seconds, requests, errors, operations);
        totals.cpu_seconds = cpu;
        let mut text = String::new();
        for issue in report.errors.iter().take(PRINTED_ISSUES) {
            text.push_str(&format!(
                "error: {} {}: {:?}: {}\n",
                issue.operation, issue.object, issue.code, issue.message
            ));
        }
        if report.errors.len() > PRINTED_ISSUES {
            text.push_str(&format!(
                "error: … and {} more failed objects\n",
                report.errors.len() - PRINTED_ISSUES
            ));
        }
        text.push_str(&format!("{}\n", report.summary()));
        text.push_str(&summary::table(&format!("cycle {n}"), &totals));
        shown.println(text.trim_end());
        clean &= report.is_clean();
        cycles.push(CycleSummary {
            cycle: n,
            churn,
            totals,
            failed_objects: report.errors.len(),
            engine: report.summary(),
        });
        let done = match args.duration {
            Some(d) => run_start.elapsed() >= d,
            None => n >= args.cycles.unwrap_or(1),
        };
        if done {
            break;
        }
    }
    shown.finish();
    let seconds: f64 = cycles.iter().map(|c| c.totals.seconds).sum();
    let requests = cycles.iter().map(|c| c.totals.requests).sum();
    let errors = cycles.iter().map(|c| c.totals.errors).sum();
    let operations = sink
        .metrics
        .as_ref()
        .map(|m| m.overall(seconds))
        .unwrap_or_default();
    let mut overall = Totals::new(seconds, requests, errors, operations);
    overall.cpu_seconds = cycles
        .iter()
        .map(|c| c.totals.cpu_seconds)
        .sum::<Option<f64>>();
    print!("{}", summary::table("overall", &overall));
    if !clean {
        let failed: usize = cycles.iter().map(|c| c.failed_objects).sum();
        println!("load: {failed} objects failed after the persona's retries (exit 1)");
    }
    if let Some(file) = sink.transcript.take() {
        let path = run.transcript.unwrap_or(Path::new("transcript"));
        let written = file.written();
        file.finish()
            .with_context(|| format!("writing transcript {}", path.display()))?;
        println!("transcript: {} ({written} exchanges)", path.display());
    }
    if let Some(folder) = &args.report {
        let report = LoadReport {
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at,
            persona: run.persona.to_string(),
            target: run.name.clone(),
            base_url,
            settings: Settings {
                concurrency,
                rate: args.rate,
                cycles: args.cycles,
                duration_seconds: args.duration.map(|d| d.as_secs_f64()),
                generated_users: args.generate_users,
                generated_groups: args
                    .generate_users
                    .map(|_| args.generate_groups.unwrap_or(0)),
                churn_percent: args.churn,
                seed: args.seed,
            },
            cycles,
            overall,
            rate_over_time: sink
                .metrics
                .as_ref()
                .map(|m| m.seconds().to_vec())
                .unwrap_or_default(),
            clean,
        };
        write_report(folder, &report)?;
    }
    Ok(clean)
}

/// User and system CPU seconds of this process so far (`/proc/self/stat`, clock ticks
/// of 1/100 s); `None` off Linux.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields 14 and 15 of proc(5), counted after the command name's closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn write_report(folder: &Path, report: &LoadReport) -> anyhow::Result<()> {
    let json = folder.join("load.json");
    let text = serde_json::to_string_pretty(report).context("serializing load.json")?;
    std::fs::write(&json, text + "\n").with_context(|| format!("writing {}", json.display()))?;
    let html = folder.join("load.html");
    let page = page::render(report).context("rendering load.html")?;
    std::fs::write(&html, page).with_context(|| format!("writing {}", html.display()))?;
    println!("report: {} and {}", json.display(), html.display());
    Ok(())
}
