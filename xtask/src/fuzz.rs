//! `cargo xtask fuzz [TARGET] [--time SECS]`: the cargo-fuzz targets in `fuzz/` (the
//! harness's own parsers under hostile input), one after another, each for SECS seconds,
//! with a per-target summary (runs, seconds, coverage). Needs the nightly toolchain and
//! cargo-fuzz; not part of `.ci/run`.
//!
//! Each target runs as one libFuzzer process (no `-jobs`/`-fork`) with `-timeout=10`
//! (a hang is a finding) and `-rss_limit_mb=2048` (so is running out of memory). New
//! inputs go to a scratch corpus under `fuzz/target/`; the committed seeds in
//! `fuzz/corpus/<target>/` are read, never written. A finding lands in
//! `fuzz/artifacts/<target>/` and fails the command.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context};

use crate::{workspace_root, EXIT_USAGE};

/// The targets, in the order `cargo xtask fuzz` runs them, and what each one feeds.
pub(crate) const TARGETS: &[(&str, &str)] = &[
    (
        "scim_filter",
        "the SCIM filter parser and evaluator (crates/scim)",
    ),
    (
        "patch_path",
        "the PATCH path parser and PATCH application (crates/scim)",
    ),
    (
        "saml_acs",
        "the reference SP's SAMLResponse: base64, XML, saml::Verifier",
    ),
    (
        "scenario_loader",
        "the scenario loader (crates/conformance)",
    ),
    ("profile_loader", "the profile loader (crates/conformance)"),
];

/// Seconds per target when `--time` is not given.
const DEFAULT_SECS: u64 = 600;

const USAGE: &str = "usage: cargo xtask fuzz [TARGET] [--time SECS]";

/// What one target's run ended with.
struct Summary {
    target: &'static str,
    /// libFuzzer's last status line (`#N DONE cov: … ft: … corp: …`).
    last_status: Option<String>,
    /// libFuzzer's `Done N runs in S second(s)`.
    done: Option<String>,
    ok: bool,
}

pub(crate) fn fuzz(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut selected: Option<&'static str> = None;
    let mut secs = DEFAULT_SECS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--time" => {
                let Some(value) = args.next() else {
                    eprintln!("error: `--time` needs a number of seconds\n{USAGE}");
                    return Ok(ExitCode::from(EXIT_USAGE));
                };
                match value.parse::<u64>() {
                    Ok(n) if n > 0 => secs = n,
                    _ => {
                        eprintln!(
                            "error: `--time {value}`: expected a positive number of seconds\n{USAGE}"
                        );
                        return Ok(ExitCode::from(EXIT_USAGE));
                    }
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}\n\ntargets:");
                for (name, what) in TARGETS {
                    println!("  {name:<16} {what}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            name if selected.is_none() && !name.starts_with('-') => {
                let Some((known, _)) = TARGETS.iter().find(|(t, _)| *t == name) else {
                    let names: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
                    eprintln!(
                        "error: unknown fuzz target `{name}` (known: {})",
                        names.join(", ")
                    );
                    return Ok(ExitCode::from(EXIT_USAGE));
                };
                selected = Some(known);
            }
            other => {
                eprintln!("error: unexpected argument `{other}`\n{USAGE}");
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        }
    }
    if let Some(missing) = missing_prerequisite() {
        eprintln!("error: {missing}");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let mut summaries = Vec::new();
    for (target, what) in TARGETS {
        if selected.is_some_and(|s| s != *target) {
            continue;
        }
        println!("== fuzz {target} for {secs} s: {what}");
        summaries.push(run_target(target, secs)?);
    }
    println!("\n{:<16} {:<6} summary", "target", "result");
    for s in &summaries {
        println!(
            "{:<16} {:<6} {} | {}",
            s.target,
            if s.ok { "ok" } else { "FOUND" },
            s.done.as_deref().unwrap_or("-"),
            s.last_status.as_deref().unwrap_or("-"),
        );
    }
    if summaries.iter().any(|s| !s.ok) {
        eprintln!(
            "error: a fuzz target failed; the input is under fuzz/artifacts/<target>/ \
             (reproduce with `cargo +nightly fuzz run <target> <file>` in fuzz/)"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The nightly toolchain and cargo-fuzz, each with how to install it.
fn missing_prerequisite() -> Option<String> {
    let works = |args: &[&str]| {
        nightly_cargo()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !works(&["--version"]) {
        return Some(
            "the nightly toolchain is needed (`cargo +nightly` failed): \
             install it with `rustup toolchain install nightly`"
                .to_owned(),
        );
    }
    if !works(&["fuzz", "--version"]) {
        return Some(
            "cargo-fuzz is needed (`cargo +nightly fuzz` failed): \
             install it with `cargo install cargo-fuzz --locked`"
                .to_owned(),
        );
    }
    None
}

/// `cargo +nightly` through rustup's proxy (not `$CARGO`, which is the toolchain that
/// runs xtask), in `fuzz/`.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly")
        .current_dir(workspace_root().join("fuzz"))
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO");
    cmd
}

/// One target for `secs` seconds; libFuzzer's output passes through.
fn run_target(target: &'static str, secs: u64) -> anyhow::Result<Summary> {
    let fuzz_dir = workspace_root().join("fuzz");
    let scratch = fuzz_dir.join("target/corpus").join(target);
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let seeds = fuzz_dir.join("corpus").join(target);
    let mut cmd = nightly_cargo();
    // No sanitizer: the code under test is safe Rust (and xmlsec, which ASan would not
    // instrument); debug assertions catch overflow.
    cmd.args([
        "fuzz",
        "run",
        "--sanitizer",
        "none",
        "--debug-assertions",
        target,
    ])
    .arg(&scratch)
    .arg(&seeds)
    .arg("--")
    .arg(format!("-max_total_time={secs}"))
    .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let mut last_status = None;
    let mut done = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.context("reading cargo fuzz's output")?;
            eprintln!("{line}");
            if line.starts_with('#') && line.contains("cov:") {
                last_status = Some(line.split_whitespace().collect::<Vec<_>>().join(" "));
            } else if line.starts_with("Done ") {
                done = Some(line.clone());
            }
        }
    }
    let status = child.wait().context("waiting for cargo fuzz")?;
    if status.code().is_none() {
        bail!("cargo fuzz {target} was stopped by a signal");
    }
    Ok(Summary {
        target,
        last_status,
        done,
        ok: status.success(),
    })
}
