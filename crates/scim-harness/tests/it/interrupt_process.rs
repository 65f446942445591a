//! Ctrl-C during `run` (issue 14): the first SIGINT lets running cases finish, starts no
//! new one, puts the target's configuration back, writes reports marked incomplete and
//! exits 130; a second SIGINT exits at once with 130.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::target_process::{TargetProcess, TOKEN};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `run` against `target` through the reference profile, one case at a time, stdout piped:
/// the cases without logins (the served target trusts no IdP), over three configurations.
fn start_run(target: &TargetProcess, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .arg("run")
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .arg("--idp-keys")
        .arg(root().join("fixtures/idp"))
        .arg("--target")
        .arg(root().join("fixtures/profiles/reference.toml"))
        .args(["--target-url", &target.url, "--jobs", "1", "--seed", "130"])
        .args(["--include", "users.*", "--include", "groups.*"])
        .args([
            "--include",
            "config.user-sync-off*",
            "--include",
            "config.group-sync-off/*",
        ])
        .args(["--format", "human", "--format", "json", "--out"])
        .arg(out)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env("SCIM_HARNESS_ADMIN_USER", "admin")
        .env("SCIM_HARNESS_ADMIN_PASSWORD", "admin")
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("SCIM_HARNESS_NAMESPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting scim-harness run")
}

fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -INT failed");
}

/// Read the run's lines until one contains `marker`; returns the rest of the reader.
fn wait_for(child: &mut Child, marker: &str) -> BufReader<std::process::ChildStdout> {
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    loop {
        line.clear();
        let n = lines.read_line(&mut line).expect("reading run output");
        assert!(n > 0, "the run ended before printing {marker:?}");
        if line.contains(marker) {
            return lines;
        }
    }
}

fn scim_config(target: &TargetProcess) -> serde_json::Value {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "{}/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default",
                target.url
            ))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("GET the SCIMConfig")
            .json()
            .await
            .expect("the SCIMConfig as json")
    })
}

#[test]
fn a_first_ctrl_c_finishes_restores_writes_incomplete_reports_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&dir.path().join("t.db"));
    let before = scim_config(&target);
    let out = dir.path().join("report");
    let mut child = start_run(&target, &out);
    // A case of the user-sync-off configuration has finished: the run has changed the
    // target's SCIMConfig and has cases left.
    let mut rest = wait_for(&mut child, "/user-sync-off");
    sigint(&child);
    let mut tail = String::new();
    std::io::Read::read_to_string(&mut rest, &mut tail).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{tail}\n{stderr}");
    assert!(
        stderr.contains("interrupted: no new case starts"),
        "{stderr}"
    );
    assert!(tail.contains("STOPPED"), "{tail}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["interrupted"], true);
    let cases = report["cases"].as_array().unwrap();
    let not_started = cases
        .iter()
        .filter(|c| {
            c["reason"]
                .as_str()
                .is_some_and(|r| r.contains("the run was interrupted"))
        })
        .count();
    assert!(not_started > 0, "no case reported as not started");
    assert!(
        cases.iter().all(|c| c["outcome"] != "fail"),
        "an interrupted case must not fail: {report}"
    );
    // The configuration is back as the run found it (the ini file's).
    let after = scim_config(&target);
    assert_eq!(after["spec"], before["spec"], "{after}");
    assert_eq!(after["status"]["source"], "file", "{after}");
}

#[test]
fn a_second_ctrl_c_exits_at_once_with_130() {
    let dir = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&dir.path().join("t.db"));
    let mut child = start_run(&target, &dir.path().join("report"));
    let _rest = wait_for(&mut child, "PASS");
    sigint(&child);
    sigint(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
}
