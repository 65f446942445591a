//! `cargo xtask mutants`: the catalogue against the clean reference target and against each
//! of its fault switches (`scim-harness target faults`). A fault counts as caught when at
//! least one MUST case that passed against the clean target *fails* under it; an errored case
//! is listed but does not count, since an error says the harness could not judge, not that it
//! judged the target wrong. A fault `target faults` marks `[should]` breaks what only Grafana's
//! code says (DESIGN.md's grading rule makes such checks `should`): it counts as caught when a
//! SHOULD case that passed against the clean target warns under it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::{cargo, harness_run, run, system_packages, target_dir, EXIT_USAGE};

/// The mutants report's schema id; bump it on an incompatible change.
const SCHEMA: &str = "scim-harness/mutants/v1";

/// The runner's own exit codes that still leave a report behind (README "Exit codes").
const RUN_PASSED: i32 = 0;
const RUN_FAILED: i32 = 1;

/// How many catching case ids the printed matrix shows per fault (the JSON has them all).
const SHOWN_CASES: usize = 3;

/// The seed every run uses unless the caller passes `--seed`, so the clean run and the
/// fault runs create the same names and their reports line up case by case.
const DEFAULT_SEED: &str = "20261129";

struct Options {
    release: bool,
    faults: Vec<String>,
    run_args: Vec<String>,
}

const USAGE: &str = "\
usage: cargo xtask mutants [--release] [FAULT]... [-- ARGS for scim-harness run]

Runs the catalogue against the clean reference target (every MUST case must pass), then once
per fault switch (each must make at least one MUST case fail). Without FAULT names, every
fault the target lists is tried. Writes target/scim-harness/mutants/mutants.json.
";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        release: false,
        faults: Vec::new(),
        run_args: Vec::new(),
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--release" => options.release = true,
            "--" => {
                options.run_args = iter.by_ref().cloned().collect();
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            name => options.faults.push(name.to_owned()),
        }
    }
    Ok(options)
}

pub fn mutants(args: &[String]) -> anyhow::Result<ExitCode> {
    let options = match parse(args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    if let Some(code) = system_packages::ensure()? {
        return Ok(code);
    }
    let mut build = cargo();
    build.args(["build", "--locked", "--package", "scim-harness"]);
    if options.release {
        build.arg("--release");
    }
    run(&mut build)?;
    let profile = if options.release { "release" } else { "debug" };
    let binary = target_dir().join(profile).join("scim-harness");

    let known = list_faults(&binary)?;
    let selected: Vec<(String, String)> = if options.faults.is_empty() {
        known.clone()
    } else {
        let mut chosen = Vec::new();
        for name in &options.faults {
            match known.iter().find(|(n, _)| n == name) {
                Some(found) => chosen.push(found.clone()),
                None => {
                    let names: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
                    eprintln!(
                        "error: unknown fault `{name}` (known: {})",
                        names.join(", ")
                    );
                    return Ok(ExitCode::from(EXIT_USAGE));
                }
            }
        }
        chosen
    };

    let out = target_dir().join("scim-harness").join("mutants");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    let mut run_args = options.run_args.clone();
    if !run_args
        .iter()
        .any(|a| a == "--seed" || a.starts_with("--seed="))
    {
        run_args.extend(["--seed".to_owned(), DEFAULT_SEED.to_owned()]);
    }

    println!(
        "mutants: the catalogue against the clean target, then {} fault(s); reports in {}",
        selected.len(),
        out.display()
    );
    let started = Instant::now();
    let clean = run_catalogue(&binary, None, &out.join("clean"), &run_args)?;
    let clean_failures: Vec<&CaseOutcome> = clean
        .cases
        .iter()
        .filter(|c| c.level == "must" && c.outcome != "pass")
        .collect();
    println!(
        "[clean] {} cases, {} MUST; {} MUST not passing ({:.1} s)",
        clean.cases.len(),
        clean.cases.iter().filter(|c| c.level == "must").count(),
        clean_failures.len(),
        clean.seconds
    );
    for case in &clean_failures {
        println!("    {} {}: {}", case.outcome, case.id, case.reason);
    }

    let clean_passed: BTreeSet<&str> = clean
        .cases
        .iter()
        .filter(|c| c.outcome == "pass")
        .map(|c| c.id.as_str())
        .collect();
    let mut rows = Vec::new();
    for (i, (name, doc)) in selected.iter().enumerate() {
        let slug = name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
        let report = run_catalogue(&binary, Some(name), &out.join(&slug), &run_args)?;
        // Only a case that passed against the clean target can catch a fault. A fault
        // marked `[should]` breaks what only Grafana's code says, so SHOULD cases judge it.
        let by_should = doc.starts_with(SHOULD_MARK);
        let caught = report.ids(|c| {
            let judged = if by_should {
                c.level != "must" && matches!(c.outcome.as_str(), "warn" | "fail")
            } else {
                c.level == "must" && c.outcome == "fail"
            };
            judged && clean_passed.contains(c.id.as_str())
        });
        let errored = report.ids(|c| c.level == "must" && c.outcome == "error");
        let should =
            report.ids(|c| c.level != "must" && matches!(c.outcome.as_str(), "fail" | "warn"));
        println!(
            "[{}/{}] {name}: {} ({:.1} s)",
            i + 1,
            selected.len(),
            if caught.is_empty() {
                "SURVIVED".to_owned()
            } else {
                let level = if by_should { "SHOULD" } else { "MUST" };
                format!("caught by {} {level} case(s)", caught.len())
            },
            report.seconds
        );
        rows.push(Row {
            name: name.clone(),
            doc: doc.clone(),
            by_should,
            caught,
            errored,
            should,
        });
    }

    print_matrix(&rows);
    let survived: Vec<&str> = rows
        .iter()
        .filter(|r| r.caught.is_empty())
        .map(|r| r.name.as_str())
        .collect();
    let doc = json!({
        "schema": SCHEMA,
        "seed": seed_of(&run_args),
        "duration_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "clean": {
            "cases": clean.cases.len(),
            "must": clean.cases.iter().filter(|c| c.level == "must").count(),
            "must_not_passing": clean_failures
                .iter()
                .map(|c| json!({"case": c.id, "outcome": c.outcome, "reason": c.reason}))
                .collect::<Vec<_>>(),
        },
        "faults": rows.iter().map(|r| json!({
            "name": r.name,
            "doc": r.doc,
            "caught": !r.caught.is_empty(),
            "judged_by": if r.by_should { "should" } else { "must" },
            "caught_by": r.caught,
            "must_errored": r.errored,
            "should_or_info_flagged": r.should,
        })).collect::<Vec<_>>(),
        "survived": survived,
    });
    let path = out.join("mutants.json");
    let mut text = serde_json::to_string_pretty(&doc).context("rendering mutants.json")?;
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;

    println!(
        "mutants: clean run {}; {}/{} faults caught; {:.0} s; matrix in {}",
        if clean_failures.is_empty() {
            "passed"
        } else {
            "FAILED"
        },
        rows.len() - survived.len(),
        rows.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    if !survived.is_empty() {
        println!("survived: {}", survived.join(", "));
    }
    if clean_failures.is_empty() && survived.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

/// How `target faults` marks a fault that only SHOULD cases can see.
const SHOULD_MARK: &str = "[should] ";

struct Row {
    name: String,
    doc: String,
    /// Judged by SHOULD cases (`[should]` in `target faults`), not MUST ones.
    by_should: bool,
    caught: Vec<String>,
    errored: Vec<String>,
    should: Vec<String>,
}

fn print_matrix(rows: &[Row]) {
    let width = rows
        .iter()
        .map(|r| r.name.len() + 1)
        .max()
        .unwrap_or(5)
        .max(5);
    println!();
    println!(
        "{:width$}  {:>6}  catching MUST cases (SHOULD cases for a fault marked *)",
        "fault", "caught"
    );
    for row in rows {
        let mut shown: Vec<&str> = row
            .caught
            .iter()
            .take(SHOWN_CASES)
            .map(String::as_str)
            .collect();
        let more = row.caught.len().saturating_sub(SHOWN_CASES);
        let more_text = format!("+{more} more");
        if more > 0 {
            shown.push(&more_text);
        }
        let cases = if shown.is_empty() {
            format!("none (MUST errored: {})", row.errored.len())
        } else {
            shown.join(", ")
        };
        let name = if row.by_should {
            format!("{}*", row.name)
        } else {
            row.name.clone()
        };
        println!("{name:width$}  {:>6}  {cases}", row.caught.len());
    }
    println!();
}

fn seed_of(run_args: &[String]) -> Option<String> {
    let mut iter = run_args.iter();
    while let Some(a) = iter.next() {
        if a == "--seed" {
            return iter.next().cloned();
        }
        if let Some(v) = a.strip_prefix("--seed=") {
            return Some(v.to_owned());
        }
    }
    None
}

/// `scim-harness target faults`: one `NAME  doc` line per fault.
fn list_faults(binary: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let output = Command::new(binary)
        .args(["target", "faults"])
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("starting {}", binary.display()))?;
    if !output.status.success() {
        bail!(
            "`{} target faults` failed with {}",
            binary.display(),
            output.status
        );
    }
    let text = String::from_utf8(output.stdout).context("`target faults` printed non-UTF-8")?;
    let faults: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let line = line.trim();
            let (name, doc) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            (name.to_owned(), doc.trim().to_owned())
        })
        .collect();
    if faults.is_empty() {
        bail!("`{} target faults` listed no faults", binary.display());
    }
    Ok(faults)
}

struct CaseOutcome {
    id: String,
    level: String,
    outcome: String,
    reason: String,
}

struct CatalogueRun {
    cases: Vec<CaseOutcome>,
    seconds: f64,
}

impl CatalogueRun {
    /// The ids of the cases `keep` selects, in id order.
    fn ids(&self, keep: impl Fn(&CaseOutcome) -> bool) -> Vec<String> {
        self.cases
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.id.clone())
            .collect()
    }
}

/// One `scim-harness run` against the embedded target (with `fault` switched on), its
/// terminal output kept in `out/run.log`, its cases read back from `out/report.json`.
fn run_catalogue(
    binary: &Path,
    fault: Option<&str>,
    out: &Path,
    run_args: &[String],
) -> anyhow::Result<CatalogueRun> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let log_path = out.join("run.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .with_context(|| format!("opening {}", log_path.display()))?;
    let mut cmd = harness_run(binary);
    cmd.args(["--format", "json", "--out"]).arg(out);
    if let Some(name) = fault {
        cmd.args(["--fault", name]);
    }
    cmd.args(run_args)
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
    let started = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", binary.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let label = fault.unwrap_or("clean");
    match status.code() {
        Some(RUN_PASSED | RUN_FAILED) => {}
        _ => bail!(
            "the {label} run ended with {status}, not a verdict; its output is in {}",
            log_path.display()
        ),
    }
    let report_path = out.join("report.json");
    let cases = read_report(&report_path)?;
    Ok(CatalogueRun { cases, seconds })
}

fn read_report(path: &PathBuf) -> anyhow::Result<Vec<CaseOutcome>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .with_context(|| format!("{}: no `cases` array", path.display()))?;
    let field = |case: &Value, key: &str| -> String {
        case.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut by_id = BTreeMap::new();
    for case in cases {
        let id = field(case, "id");
        by_id.insert(
            id.clone(),
            CaseOutcome {
                id,
                level: field(case, "level").to_ascii_lowercase(),
                outcome: field(case, "outcome").to_ascii_lowercase(),
                reason: field(case, "reason"),
            },
        );
    }
    Ok(by_id.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_split_faults_from_run_arguments() {
        let o = parse(&args(&[
            "--release",
            "saml-xsw",
            "--",
            "--persona",
            "entra",
        ]))
        .unwrap();
        assert!(o.release);
        assert_eq!(o.faults, ["saml-xsw"]);
        assert_eq!(o.run_args, ["--persona", "entra"]);
        assert!(parse(&args(&["--bogus"])).is_err());
    }

    #[test]
    fn seed_is_found_in_either_spelling() {
        assert_eq!(seed_of(&args(&["--seed", "7"])).as_deref(), Some("7"));
        assert_eq!(seed_of(&args(&["--seed=9"])).as_deref(), Some("9"));
        assert_eq!(seed_of(&args(&["--persona", "okta"])), None);
    }
}
