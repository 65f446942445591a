//! `scim-harness record` and `replay` as processes: a persona's cycle recorded through the
//! proxy, replayed against a fresh reference target with no difference, and against a
//! faulty one with the difference named by exchange and JSON path.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use crate::target_process::{assert_exit, TargetProcess, TOKEN};

/// A small directory: two users (one the other's manager) and a group with both.
const DIRECTORY: &str = "\
users:
  - id: 5c1f3a2e-8d4b-4f6a-9e21-0b7c4d3e2f10
    userPrincipalName: dana.whitfield@contoso.example
    mail: dana.whitfield@contoso.example
    givenName: Dana
    surname: Whitfield
    displayName: Dana Whitfield
  - id: 7a9e4b1c-2d3f-4e5a-8b6c-1d2e3f4a5b60
    userPrincipalName: carol.mendes@contoso.example
    mail: carol.mendes@contoso.example
    givenName: Carol
    surname: Mendes
    displayName: Carol Mendes
    manager: 5c1f3a2e-8d4b-4f6a-9e21-0b7c4d3e2f10
groups:
  - id: 11111111-2222-4333-8444-555555555555
    displayName: Platform Team
    members: [5c1f3a2e-8d4b-4f6a-9e21-0b7c4d3e2f10, 7a9e4b1c-2d3f-4e5a-8b6c-1d2e3f4a5b60]
";

/// The second cycle's directory: Dana's given name changed and a new group with her.
fn second_directory() -> String {
    DIRECTORY
        .replace("givenName: Dana", "givenName: Danielle")
        .replace("displayName: Platform Team", "displayName: Platform Crew")
        .replace(", 7a9e4b1c-2d3f-4e5a-8b6c-1d2e3f4a5b60]", "]")
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    c.env("SCIM_HARNESS_TOKEN", TOKEN).env_remove("RUST_LOG");
    c
}

/// A running `record`, its listen URL and the rest of its stdout.
struct Recorder {
    child: Child,
    url: String,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Recorder {
    fn start(upstream: &str, transcript: &Path) -> Recorder {
        Recorder::start_with(upstream, transcript, &[])
    }

    fn start_with(upstream: &str, transcript: &Path, extra: &[&str]) -> Recorder {
        let mut child = bin()
            .args(["record", "--listen", "127.0.0.1:0", "--upstream", upstream])
            .arg("--transcript")
            .arg(transcript)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning scim-harness record");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("reading the listen line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from record: {first:?}"))
            .to_owned();
        Recorder { child, url, stdout }
    }

    /// SIGTERM, then the exit status and what it printed after the listen line.
    fn stop(mut self) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM failed");
        let mut rest = String::new();
        self.stdout
            .read_to_string(&mut rest)
            .expect("reading record's stdout");
        let code = self.child.wait().expect("waiting for record").code();
        (code, rest)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("reading a transcript")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each transcript line is JSON"))
        .collect()
}

fn replay(transcript: &Path, target: &TargetProcess, report: &Path) -> Output {
    bin()
        .arg("replay")
        .arg(transcript)
        .args(["--target", "reference", "--target-url", &target.url])
        .arg("--report")
        .arg(report)
        .output()
        .expect("running scim-harness replay")
}

/// Method, path and query, request body → status and response body: what passes
/// through, however the concurrent requests were ordered.
fn traffic(lines: &[Value]) -> Vec<(String, String, String, String, String)> {
    let mut out: Vec<_> = lines
        .iter()
        .map(|e| {
            let url = e["url"].as_str().unwrap();
            let path = &url[url.find("/apis/").expect("a SCIM path")..];
            (
                e["method"].as_str().unwrap().to_owned(),
                path.to_owned(),
                e["request_body"].to_string(),
                e["status"].to_string(),
                e["response_json"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_recorded_cycle_replays_clean_on_a_fresh_target_and_shows_a_faults_difference() {
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().join("directory.yaml");
    std::fs::write(&directory, DIRECTORY).unwrap();
    let recorded = dir.path().join("recorded.jsonl");
    let engine_view = dir.path().join("engine.jsonl");

    let second = dir.path().join("second.yaml");
    std::fs::write(&second, second_directory()).unwrap();
    let engine_second = dir.path().join("engine-second.jsonl");

    // Record two of entra's cycles through the proxy: the initial one, then one that
    // finds the users by filter and changes one.
    let original = TargetProcess::start(&dir.path().join("a.db"));
    let recorder = Recorder::start(&original.url, &recorded);
    for (directory, transcript) in [(&directory, &engine_view), (&second, &engine_second)] {
        let sync = bin()
            .args(["idp", "sync", "--persona", "entra", "--target", "reference"])
            .args(["--target-url", &recorder.url])
            .arg("--directory")
            .arg(directory)
            .arg("--transcript")
            .arg(transcript)
            .output()
            .expect("running scim-harness idp sync");
        assert_exit(&sync, 0);
    }
    let (code, printed) = recorder.stop();
    assert_eq!(
        code,
        Some(0),
        "record did not exit 0 on SIGTERM:\n{printed}"
    );
    let lines = read_lines(&recorded);
    assert!(
        printed.contains(&format!("({} exchanges)", lines.len())),
        "{printed}"
    );
    // One status line per exchange.
    assert_eq!(
        printed.lines().filter(|l| l.contains(" /apis/")).count(),
        lines.len(),
        "{printed}"
    );

    // The proxy passed the traffic through unchanged, and recorded it as the engine
    // did: the same requests, answers and bodies (byte for byte), credential redacted.
    let mut engine_lines = read_lines(&engine_view);
    engine_lines.extend(read_lines(&engine_second));
    assert_eq!(lines.len(), engine_lines.len());
    assert!(lines.len() >= 8, "a short cycle: {}", lines.len());
    assert_eq!(traffic(&lines), traffic(&engine_lines));
    let text = std::fs::read_to_string(&recorded).unwrap();
    assert!(
        !text.contains(TOKEN),
        "the recorded transcript holds the token"
    );
    for e in &lines {
        let headers = e["request_headers"].as_array().unwrap();
        assert!(
            headers.contains(&serde_json::json!(["authorization", "Bearer [redacted]"])),
            "{e}"
        );
    }

    // A fresh reference target answers the same: exit 0, no difference, ids rewritten.
    let fresh = TargetProcess::start(&dir.path().join("b.db"));
    let clean_report = dir.path().join("clean");
    let out = replay(&recorded, &fresh, &clean_report);
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("DIFF"), "{stdout}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(clean_report.join("replay.json")).unwrap())
            .unwrap();
    assert_eq!(report["matched"], lines.len(), "{report}");
    assert_eq!(report["differed"], 0);
    // Two users and two groups were created: their new ids went into later requests.
    assert_eq!(report["ids_rewritten"], 4, "{report}");

    // A target whose list answers carry numbers as strings: exit 1, and the terminal and
    // the reports name the exchange and the JSON path.
    let faulty = TargetProcess::start_with(
        &dir.path().join("c.db"),
        &["--fault", "list-numbers-as-strings"],
    );
    let fault_report = dir.path().join("fault");
    let out = replay(&recorded, &faulty, &fault_report);
    assert_exit(&out, 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first_list = lines
        .iter()
        .find(|e| e["method"] == "GET" && e["url"].as_str().unwrap().contains("filter="))
        .expect("entra looks a user up before creating it");
    assert!(
        stdout.contains(&format!(
            "DIFF #{:<4} GET",
            first_list["seq"].as_u64().unwrap()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("$.totalResults: recorded 0, replayed \"0\""),
        "{stdout}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(fault_report.join("replay.json")).unwrap())
            .unwrap();
    let differing: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "differ")
        .collect();
    assert!(!differing.is_empty());
    assert!(differing.iter().all(|r| r["method"] == "GET"), "{report}");
    assert!(differing[0]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["path"] == "$.totalResults" && d["replayed"] == "0"));
    let md = std::fs::read_to_string(fault_report.join("replay.md")).unwrap();
    assert!(md.contains("`$.totalResults`"), "{md}");

    // The same recording as a scenario skeleton: the loader takes it, it says what the
    // cycle did, and it runs green against the embedded reference target.
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(scenarios.join("regression")).unwrap();
    let skeleton = scenarios.join("regression/recorded.yaml");
    let out = bin()
        .args(["transcript", "to-scenario"])
        .arg(&recorded)
        .arg("-o")
        .arg(&skeleton)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let text = std::fs::read_to_string(&skeleton).unwrap();
    conformance::parse_scenario(&text, "recorded.yaml", "regression")
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    for step in [
        "add_user: {user: dana_whitfield,",
        "add_user: {user: carol_mendes,",
        "create_group: {group: platform_team, name: \"Platform Team {tag}\"}",
        "add_member: {group: platform_team, user: carol_mendes}",
        "expect: {team: {group: platform_team, exists: true, members: [dana_whitfield, carol_mendes]}}",
        "sync: {}\n  - update_user: {user: dana_whitfield, given_name: \"Danielle\"}",
        "expect: {team: {group: platform_crew, exists: true, members: [dana_whitfield]}}",
    ] {
        assert!(text.contains(step), "no `{step}` in\n{text}");
    }
    let out = bin()
        .args([
            "run",
            "--no-builtin-scenarios",
            "--persona",
            "entra",
            "--scenarios",
        ])
        .arg(&scenarios)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("PASS") && stdout.contains("regression.recorded/entra/default"),
        "{stdout}"
    );
}

#[test]
fn an_unreadable_transcript_is_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "\n{\"seq\": 1, \"method\": \"GET\"}\n").unwrap();
    let out = bin()
        .arg("replay")
        .arg(&bad)
        .args([
            "--target",
            "reference",
            "--target-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("transcript {}: line 2:", bad.display())),
        "{stderr}"
    );
    let missing: PathBuf = dir.path().join("missing.jsonl");
    let out = bin()
        .arg("replay")
        .arg(&missing)
        .args([
            "--target",
            "reference",
            "--target-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"));
}

/// An `https://` upstream is reached with `--ca-cert`, and refused without it (the
/// exchange records why).
#[test]
fn record_reaches_an_https_upstream_with_the_ca_flag() {
    use crate::tls_process::{https_target, Pki, NAMESPACE};
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().join("directory.yaml");
    std::fs::write(&directory, DIRECTORY).unwrap();
    let target = https_target(&pki, &dir.path().join("t.db"), &[]);
    let sync = |proxy: &str| {
        bin()
            .args(["idp", "sync", "--persona", "okta", "--target", "reference"])
            .args(["--target-url", proxy, "--namespace", NAMESPACE])
            .arg("--directory")
            .arg(&directory)
            .output()
            .unwrap()
    };

    let trusted = dir.path().join("trusted.jsonl");
    let recorder = Recorder::start_with(&target.url, &trusted, &["--ca-cert", &pki.path("ca.pem")]);
    assert_exit(&sync(&recorder.url), 0);
    let (code, printed) = recorder.stop();
    assert_eq!(code, Some(0), "{printed}");
    let lines = read_lines(&trusted);
    assert!(lines.iter().any(|e| e["status"] == 201), "{printed}");
    assert!(lines
        .iter()
        .all(|e| e["url"].as_str().unwrap().starts_with("https://127.0.0.1:")));

    let untrusted = dir.path().join("untrusted.jsonl");
    let recorder = Recorder::start(&target.url, &untrusted);
    assert_exit(&sync(&recorder.url), 1);
    let (code, printed) = recorder.stop();
    assert_eq!(code, Some(0), "{printed}");
    let first = &read_lines(&untrusted)[0];
    assert_eq!(first["status"], Value::Null, "{first}");
    assert!(
        first["error"].as_str().unwrap().contains("certificate"),
        "{first}"
    );
}
