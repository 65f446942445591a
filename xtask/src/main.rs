//! Project automation (the cargo-xtask pattern): `cargo xtask test | run-scenarios | bench | mutants | interop | ci-recipes | fuzz | tidy`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};

mod bench_load;
mod ci_recipes;
mod fuzz;
mod interop;
mod mutants;
mod system_packages;
mod tidy;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  test            install missing system packages (as root; chromium and chromium-driver for
                  the browser test among them) and run the whole test suite
  run-scenarios   run the scenario catalogue against the embedded reference target [ARGS for scim-harness run]
  bench [NAME]... [-- ARGS]
                  whole-process benchmarks: scim-creates, remote-catalogue, saml-logins, idp-serve, sync,
                  load (default: all)
  mutants [--release] [FAULT]... [-- ARGS]
                  the catalogue against the clean reference target and against each fault
                  switch; fails if the clean run fails or a fault survives
  interop [-- ARGS]
                  the scim-only profile against PyPI's scim2-server (installed under target/),
                  judged with fixtures/interop/scim2-server.baseline.toml
  ci-recipes      validate the CI recipes in ci/ (shellcheck, actionlint, check-jsonschema) and run
                  ci/run-harness.sh against target serve and the embedded target
  fuzz [TARGET] [--time SECS]
                  the cargo-fuzz targets in fuzz/ (scim_filter, patch_path, saml_acs,
                  scenario_loader, profile_loader), each for SECS s (default 600); needs
                  the nightly toolchain and cargo-fuzz
  tidy            check that ARCHITECTURE.md and the tree agree (crate table, server crates,
                  unsafe, `//!` lines, file length); prints every violation
";

/// Exit code for a usage error or a missing prerequisite the user must install.
pub(crate) const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(EXIT_USAGE);
    };
    let rest: Vec<String> = args.collect();
    let result = match command.as_str() {
        "test" => test(&rest),
        "run-scenarios" => run_scenarios(&rest),
        "bench" => bench(&rest),
        "mutants" => mutants::mutants(&rest),
        "tidy" => tidy::tidy(&rest),
        "interop" => interop::interop(&rest),
        "ci-recipes" => ci_recipes::ci_recipes(&rest),
        "fuzz" => fuzz::fuzz(&rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("error: unknown xtask command `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(EXIT_USAGE))
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
/// Read at run time first (`cargo run` sets it), so a binary built from another checkout that
/// shares the target directory still works on this one.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else `target/` in the workspace.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// `scim-harness run` from the workspace root, on this checkout's catalogue and test keys.
pub(crate) fn harness_run(binary: &Path) -> Command {
    let root = workspace_root();
    let mut cmd = Command::new(binary);
    cmd.current_dir(&root)
        .arg("run")
        .arg("--scenarios")
        .arg(root.join("scenarios"))
        .arg("--idp-keys")
        .arg(root.join("fixtures/idp"));
    cmd
}

/// Builds `scim-harness` in the dev profile, the build `cargo xtask test` made (README "One
/// build"), and returns its path with the names of the units that had to be compiled.
/// After `cargo test --workspace` that list is empty: the `workspace-hack` crate gives
/// every package the features the test build resolves.
pub(crate) fn harness_binary() -> anyhow::Result<(PathBuf, Vec<String>)> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--locked",
        "--package",
        "scim-harness",
        "--message-format",
        "json-render-diagnostics",
    ])
    .stdout(std::process::Stdio::piped());
    let output = cmd
        .spawn()
        .and_then(|child| child.wait_with_output())
        .with_context(|| format!("starting {cmd:?}"))?;
    if !output.status.success() {
        bail!("{cmd:?} failed with {}", output.status);
    }
    let mut compiled = Vec::new();
    let mut binary = None;
    for line in output.stdout.split(|b| *b == b'\n') {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        if message["fresh"] == false {
            let id = message["package_id"].as_str().unwrap_or("?");
            let kind = message["target"]["kind"][0].as_str().unwrap_or("?");
            compiled.push(format!("{} ({kind})", id.rsplit('/').next().unwrap_or(id)));
        }
        if message["target"]["name"] == "scim-harness" {
            if let Some(exe) = message["executable"].as_str() {
                binary = Some(PathBuf::from(exe));
            }
        }
    }
    let binary = binary.unwrap_or_else(|| target_dir().join("debug/scim-harness"));
    Ok((binary, compiled))
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Runs a command to completion; a non-zero status is an error naming the command.
pub(crate) fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// `cargo xtask test`: system packages first, then every test in the workspace.
fn test(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(code) = system_packages::ensure_for_tests()? {
        return Ok(code);
    }
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--locked"])
        .args(args)
        // Snapshots are reviewed by people; a test run never writes them.
        .env("INSTA_UPDATE", "no");
    run(&mut cmd)?;
    // One build serves both README commands: the harness the tests built is the one
    // `run-scenarios`, interop and the recipes run, so building it compiles nothing.
    let (_, compiled) = harness_binary()?;
    if !compiled.is_empty() {
        bail!(
            "building scim-harness after the tests compiled {} unit(s) again ({}): the \
             workspace-hack crate is out of date; run `cargo hakari generate` (cargo install \
             cargo-hakari) and commit crates/workspace-hack",
            compiled.len(),
            compiled.join(", ")
        );
    }
    // The catalogue against an independent RFC 7644 server: a verdict no source supports
    // shows up here as a failure the baseline cannot explain.
    let code = interop::interop(&[])?;
    if code != ExitCode::SUCCESS {
        bail!("the interop run against {} failed", interop::SCIM2_SERVER);
    }
    // The recipes vendors copy into their CI, and the script they all call.
    if ci_recipes::ci_recipes(&[])? != ExitCode::SUCCESS {
        bail!("the CI recipes in ci/ failed their checks");
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask run-scenarios [ARGS]`: build the harness (the dev build `cargo xtask test`
/// made, so nothing is compiled after it), then run the whole catalogue over every persona
/// and config against the embedded reference target.
/// Reports go to `target/scim-harness/`; extra arguments go to `scim-harness run`.
/// The exit code is the runner's (README "Exit codes").
fn run_scenarios(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(code) = system_packages::ensure()? {
        return Ok(code);
    }
    let (binary, _) = harness_binary()?;
    let out = target_dir().join("scim-harness");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut cmd = harness_run(&binary);
    cmd.args([
        "--format", "human", "--format", "json", "--format", "junit", "--format", "html",
    ])
    .arg("--out")
    .arg(&out)
    .args(args);
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", binary.display()))?;
    println!("reports are in {}", out.display());
    let code = status.code().unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// `cargo xtask bench`: a whole-process load of user creates over loopback keep-alive.
fn bench(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(code) = system_packages::ensure()? {
        return Ok(code);
    }
    let (selected, extra): (Vec<&String>, Vec<&String>) = match args.iter().position(|a| a == "--")
    {
        Some(i) => (args[..i].iter().collect(), args[i + 1..].iter().collect()),
        None => (args.iter().collect(), Vec::new()),
    };
    for name in &selected {
        if !BENCHES.iter().any(|b| b.name == name.as_str()) {
            let known: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
            eprintln!(
                "error: unknown benchmark `{name}` (known: {})",
                known.join(", ")
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    for bench in BENCHES {
        if !selected.is_empty() && !selected.iter().any(|s| s.as_str() == bench.name) {
            continue;
        }
        println!("== {}: {}", bench.name, bench.what);
        if bench.name == "load" {
            let extra: Vec<String> = extra.iter().map(|s| (*s).clone()).collect();
            let code = bench_load::bench_load(&extra)?;
            if code != ExitCode::SUCCESS {
                return Ok(code);
            }
            continue;
        }
        let mut cmd = cargo();
        cmd.args([
            "bench",
            "--locked",
            "--package",
            bench.package,
            "--bench",
            bench.target,
            "--",
        ])
        .args(&extra);
        match bench.name {
            "scim-creates" => match interop::scim2_server() {
                Ok(exe) => {
                    cmd.env("SCIM_BENCH_PYTHON_SERVER", exe);
                }
                Err(err) => eprintln!("note: the Python baseline is not measured: {err:#}"),
            },
            "sync" => {
                if let Err(err) = system_packages::ensure_tool("wrk") {
                    eprintln!(
                        "note: wrk is not available, the sync baseline is not measured: {err:#}"
                    );
                }
            }
            _ => {}
        }
        run(&mut cmd)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One whole-process benchmark and the baseline it measures itself against in the same run.
struct Bench {
    name: &'static str,
    package: &'static str,
    target: &'static str,
    what: &'static str,
}

const BENCHES: &[Bench] = &[
    Bench {
        name: "scim-creates",
        package: "scim-harness",
        target: "scim_creates",
        what: "SCIM user creates/s against the reference target, next to a Python SCIM server",
    },
    Bench {
        name: "remote-catalogue",
        package: "scim-harness",
        target: "remote_catalogue",
        what: "the whole catalogue against target serve behind a 25 ms-each-way proxy, next to the embedded run and the round-trip bound",
    },
    Bench {
        name: "saml-logins",
        package: "reference-target",
        target: "saml_logins",
        what: "signed SAML logins/s end to end, next to the raw RSA-2048 signing rate",
    },
    Bench {
        name: "idp-serve",
        package: "idp",
        target: "serve",
        what: "idp serve: server time of a login round trip next to the signing alone; 100 concurrent logins; a cycle through POST /api/sync next to the engine alone",
    },
    Bench {
        name: "sync",
        package: "idp",
        target: "sync_throughput",
        what: "sync engine requests/s against a loopback responder, next to wrk; peak memory of a 100k-user sync",
    },
    Bench {
        name: "load",
        // Run by `bench_load.rs` (three processes, not one cargo bench target).
        package: "scim-harness",
        target: "",
        what: "idp sync load mode's requests/s with and without latency recording, next to wrk on the same responder; the sync bench's 1,000,000-user memory run",
    },
];
