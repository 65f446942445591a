//! The CI-facing flags of `run` and `list` as processes: `--max-fail`, `--write-baseline`
//! and outcome-naming baselines, `list`'s selection and JSON, progress and colour.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::target_process::assert_exit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary with the repository's catalogue, no inherited harness settings, and these
/// environment variables.
fn harness_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(args)
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("SCIM_HARNESS_ADMIN_USER")
        .env_remove("SCIM_HARNESS_ADMIN_PASSWORD")
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .envs(env.iter().copied())
        .output()
        .expect("running scim-harness")
}

fn harness(args: &[&str]) -> Output {
    harness_env(args, &[])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Status lines (`    FAIL [ 0.012s] id`) with this status.
fn with_status(stdout: &str, status: &str) -> Vec<String> {
    let prefix = format!("{status:>8} [");
    stdout
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(|l| l.rsplit(' ').next().unwrap_or_default().to_owned())
        .collect()
}

/// Every case this fault makes fail, run one at a time: the run stops after the first
/// failure, the rest are reported as skipped with the reason, and the exit code is that
/// of a failed run.
#[test]
fn max_fail_stops_starting_cases_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let include = "saml.encrypted-*";
    let o = harness(&[
        "run",
        "--out",
        &out,
        "--seed",
        "7",
        "--jobs",
        "1",
        "--include",
        include,
        "--fault",
        "saml-encryption-unsupported",
        "--max-fail",
        "1",
    ]);
    assert_exit(&o, 1);
    let stdout = text(&o.stdout);
    let selected: usize = stdout
        .strip_prefix("running ")
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a `running N cases` line: {stdout}"));
    assert!(selected > 3, "{stdout}");
    assert_eq!(with_status(&stdout, "FAIL").len(), 1, "{stdout}");
    let not_run = stdout
        .matches("not run: the run stopped starting cases after 1 failed (--max-fail 1)")
        .count();
    let passed = with_status(&stdout, "PASS").len();
    assert_eq!(1 + passed + not_run, selected, "{stdout}");
    assert!(not_run > 0, "{stdout}");
    assert!(
        stdout.contains(&format!("{selected} cases: {passed} passed, 1 failed")),
        "{stdout}"
    );
    assert!(stdout.contains("CLEANUP cleanup: removed"), "{stdout}");
    assert!(!stdout.contains("STOPPED"), "not an interrupt: {stdout}");
    assert!(
        text(&o.stderr).contains("--max-fail 1"),
        "{}",
        text(&o.stderr)
    );
}

/// Without failures the limit changes nothing; `--max-fail 0` is a usage error.
#[test]
fn max_fail_without_failures_runs_everything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let run = |n: &str| {
        harness(&[
            "run",
            "--out",
            &out,
            "--seed",
            "7",
            "--include",
            "users.lifecycle/*",
            "--max-fail",
            n,
        ])
    };
    let o = run("1");
    assert_exit(&o, 0);
    assert!(!text(&o.stdout).contains("not run"), "{}", text(&o.stdout));
    assert_exit(&run("0"), 2);
}

/// A run under two faults (one MUST failure, SHOULD warnings) writes a baseline; the same
/// run with it exits 0 even with `--strict`; against the correct target every entry is
/// outdated (reported, not a failure).
#[test]
fn a_written_baseline_makes_the_same_run_pass() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let file = dir.path().join("new/baseline.toml");
    let file_arg = file.display().to_string();
    let faults = [
        "--fault",
        "role-less-token-accepted",
        "--fault",
        "saml-uid-normalised",
    ];
    let select = [
        "--include",
        "config.token-without-role/*",
        "--include",
        "saml.uid-value-whitespace/*",
        "--include",
        "users.lifecycle/*",
    ];
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--out", &out, "--seed", "11", "--strict"];
        args.extend_from_slice(&select);
        args.extend_from_slice(extra);
        harness(&args)
    };
    let mut first = faults.to_vec();
    first.extend(["--write-baseline", &file_arg]);
    let o = run(&first);
    assert_exit(&o, 1);
    let stdout = text(&o.stdout);
    let failed = with_status(&stdout, "FAIL");
    let warned = with_status(&stdout, "WARN");
    assert!(!failed.is_empty() && !warned.is_empty(), "{stdout}");
    let written = std::fs::read_to_string(&file).expect("the baseline was written");
    for id in failed.iter().chain(&warned) {
        assert!(
            written.contains(&format!("case = \"{id}\"")),
            "{id}: {written}"
        );
    }
    assert_eq!(
        written.matches("[[expected]]").count(),
        failed.len() + warned.len(),
        "{written}"
    );
    assert_eq!(written.matches("outcome = \"fail\"").count(), failed.len());
    assert_eq!(written.matches("outcome = \"warn\"").count(), warned.len());
    assert_eq!(
        written
            .matches("reason = \"TODO: why this is expected\"")
            .count(),
        failed.len() + warned.len()
    );

    let mut again = faults.to_vec();
    again.extend(["--baseline", &file_arg]);
    let o = run(&again);
    assert_exit(&o, 0);
    let stdout = text(&o.stdout);
    let expected = failed.len() + warned.len();
    assert!(
        stdout.contains(&format!(
            "0 failed, 0 warned, 0 skipped, 0 errored, {expected} expected"
        )),
        "{stdout}"
    );
    assert!(
        text(&o.stderr).contains("still have the placeholder reason"),
        "{}",
        text(&o.stderr)
    );

    // The correct target: every listed case passes; that is reported, not a failure.
    let o = run(&["--baseline", &file_arg]);
    assert_exit(&o, 0);
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains(&format!(
            "baseline: {expected} cases did better than their entry expects"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}: expects fail, now pass", failed[0])),
        "{stderr}"
    );
}

fn list_json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["list", "--format", "json"];
    all.extend_from_slice(args);
    let o = harness(&all);
    assert_exit(&o, 0);
    serde_json::from_slice(&o.stdout).expect("list --format json prints a JSON array")
}

fn ids(items: &[serde_json::Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// `list --format json --partition hash:K/N`: every case has its fields, the parts are
/// disjoint and together the whole catalogue; `--level` keeps that level only.
#[test]
fn list_json_partitions_the_catalogue() {
    let whole = ids(&list_json(&[]));
    assert!(whole.len() > 100, "{whole:?}");
    let mut seen = Vec::new();
    for k in 1..=3 {
        let part = list_json(&["--partition", &format!("hash:{k}/3")]);
        assert!(!part.is_empty() && part.len() < whole.len(), "part {k}");
        for item in &part {
            for key in [
                "id", "scenario", "title", "level", "persona", "config", "area",
            ] {
                assert!(item[key].is_string(), "{key} in {item}");
            }
            assert!(item["spec"].is_array() && item["skip"].is_null(), "{item}");
            let id = item["id"].as_str().unwrap();
            assert_eq!(
                id,
                format!(
                    "{}/{}/{}",
                    item["scenario"].as_str().unwrap(),
                    item["persona"].as_str().unwrap(),
                    item["config"].as_str().unwrap()
                )
            );
        }
        seen.extend(ids(&part));
    }
    seen.sort();
    let mut want = whole.clone();
    want.sort();
    assert_eq!(seen, want);
    let should = list_json(&["--level", "should", "--persona", "okta"]);
    assert!(!should.is_empty());
    assert!(should
        .iter()
        .all(|i| i["level"] == "should" && i["persona"] == "okta"));
}

/// `list` and `run` take the same selection flags and select the same cases.
#[test]
fn list_selects_what_run_runs() {
    let select = [
        "--include",
        "users.*",
        "--exclude",
        "*generated*",
        "--persona",
        "okta",
        "--partition",
        "hash:2/3",
    ];
    let mut listed = ids(&list_json(&select));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let mut args = vec!["run", "--out", &out, "--seed", "5"];
    args.extend_from_slice(&select);
    let o = harness(&args);
    assert_exit(&o, 0);
    let mut ran = with_status(&text(&o.stdout), "PASS");
    listed.sort();
    ran.sort();
    assert!(!listed.is_empty());
    assert_eq!(listed, ran);
}

/// With `--target PROFILE`, `list` says which cases that profile skips and why; a
/// selection that matches nothing exits 4.
#[test]
fn list_names_what_a_profile_skips() {
    let profile = root().join("fixtures/profiles/scim-only.toml");
    let profile = profile.display().to_string();
    let items = list_json(&["--target", &profile, "--include", "saml.encrypted-login/*"]);
    assert!(!items.is_empty());
    for item in &items {
        let skip = item["skip"].as_str().unwrap_or_else(|| panic!("{item}"));
        assert!(
            skip.contains("scim-only") && skip.contains("[saml]"),
            "{skip}"
        );
    }
    let users = list_json(&["--target", &profile, "--include", "users.lifecycle/*"]);
    assert!(users.iter().all(|i| i["skip"].is_null()), "{users:?}");
    let o = harness(&["list", "--include", "no.such.case/*"]);
    assert_exit(&o, 4);
    assert!(text(&o.stdout).is_empty());
}

/// `--color`: `always` colours a pipe, `never` never colours, `auto` colours a pipe only
/// with CLICOLOR_FORCE and never with NO_COLOR (anstream's rules).
#[test]
fn color_follows_the_flag_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let run = |color: &str, env: &[(&str, &str)]| {
        let o = harness_env(
            &[
                "run",
                "--out",
                &out,
                "--seed",
                "2",
                "--include",
                "users.lifecycle/okta/*",
                "--color",
                color,
            ],
            env,
        );
        assert_exit(&o, 0);
        text(&o.stdout).contains("\x1b[")
    };
    assert!(run("always", &[]));
    assert!(run("always", &[("NO_COLOR", "1")]));
    assert!(!run("never", &[]));
    assert!(!run("never", &[("CLICOLOR_FORCE", "1")]));
    assert!(!run("auto", &[]));
    assert!(run("auto", &[("CLICOLOR_FORCE", "1")]));
    assert!(!run("auto", &[("NO_COLOR", "1")]));
}

/// On a terminal (util-linux `script` gives the run a pseudo-terminal) the progress bar
/// shows done/total, the counts and the running cases; in a pipe no bar is drawn.
#[test]
fn a_progress_bar_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let scenarios = root().join("scenarios").display().to_string();
    let command = format!(
        "{} run --scenarios {scenarios} --out {out} --seed 2 --jobs 1 --include 'users.*/okta/*'",
        env!("CARGO_BIN_EXE_scim-harness")
    );
    let o = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("RUST_LOG")
        .output()
        .expect("running util-linux script (Debian package bsdutils/util-linux)");
    assert_exit(&o, 0);
    let tty = text(&o.stdout);
    let total: usize = tty
        .split("running ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a `running N cases` line: {tty}"));
    // The running ids refresh every 200 ms, and these cases take milliseconds, so they
    // may not show; the label does.
    assert!(tty.contains("| running:"), "{tty}");
    assert!(tty.contains(&format!("/{total} ")), "{tty}");
    assert!(tty.contains(" passed, 0 failed, 0 warned"), "{tty}");

    let o = harness(&[
        "run",
        "--out",
        &out,
        "--seed",
        "2",
        "--jobs",
        "1",
        "--include",
        "users.*/okta/*",
    ]);
    assert_exit(&o, 0);
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert!(
        !stdout.contains("running: ") && !stderr.contains("running: "),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r') && !stdout.contains('\x1b'),
        "{stderr}"
    );
}
