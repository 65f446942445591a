//! `idp sync` in load mode as a process: cycles over a generated directory with churn
//! against the reference target (the summary, and load.json whose counts add up), 429s
//! from a small responder counted and retried away (exit 0) or never ending (exit 1),
//! and bad flag combinations refused with exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::target_process::{TargetProcess, TOKEN};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `idp sync` with `args` after the persona and target flags.
fn idp_sync(persona: &str, target_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["idp", "sync", "--persona", persona, "--target"])
        .arg(root().join("fixtures/profiles/reference.toml"))
        .args(["--target-url", target_url])
        .args(args)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .output()
        .expect("running scim-harness idp sync")
}

/// A load run of 300 users in 3 groups, 3 cycles with 10% churn, against a served
/// reference target, with its report folder (the browser test reads its page too).
pub struct LoadRun {
    pub dir: tempfile::TempDir,
    pub output: Output,
}

impl LoadRun {
    pub fn new() -> LoadRun {
        let dir = tempfile::tempdir().unwrap();
        let target = TargetProcess::start(&dir.path().join("grafana.db"));
        let report = dir.path().join("out");
        let transcript = dir.path().join("transcript.jsonl");
        let output = idp_sync(
            "entra",
            &target.url,
            &[
                "--generate-users",
                "300",
                "--generate-groups",
                "3",
                "--cycles",
                "3",
                "--churn",
                "10%",
                "--seed",
                "7",
                "--report",
                report.to_str().unwrap(),
                "--transcript",
                transcript.to_str().unwrap(),
            ],
        );
        LoadRun { dir, output }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn json(&self) -> Value {
        let text = std::fs::read_to_string(self.path("out/load.json")).unwrap_or_else(|e| {
            panic!(
                "load.json: {e}\n{}\n{}",
                String::from_utf8_lossy(&self.output.stdout),
                String::from_utf8_lossy(&self.output.stderr)
            )
        });
        serde_json::from_str(&text).expect("load.json is JSON")
    }
}

/// An operation's row in a list of operations.
fn op<'a>(ops: &'a Value, name: &str) -> Option<&'a Value> {
    ops.as_array()?.iter().find(|o| o["operation"] == name)
}

fn count(ops: &Value, name: &str) -> u64 {
    op(ops, name).map_or(0, |o| o["count"].as_u64().unwrap())
}

#[test]
fn load_mode_runs_cycles_with_churn_and_its_counts_add_up() {
    let run = LoadRun::new();
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(0), "{stdout}\n{stderr}");
    for cycle in 1..=3 {
        assert!(stdout.contains(&format!("\ncycle {cycle}: ")), "{stdout}");
    }
    assert!(
        stdout.contains("cycle 2: churn: 30 users changed"),
        "{stdout}"
    );
    assert!(stdout.contains("overall: "), "{stdout}");
    assert!(stdout.contains("POST /Users "), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    let json = run.json();
    assert_eq!(json["persona"], "entra");
    assert_eq!(json["clean"], true);
    let cycles = json["cycles"].as_array().unwrap();
    assert_eq!(cycles.len(), 3);
    // Cycle 1 creates every generated user and group.
    let first = &cycles[0]["operations"];
    assert_eq!(count(first, "POST /Users"), 300, "{first}");
    assert_eq!(count(first, "POST /Groups"), 3, "{first}");
    // Entra tests the connection with one lookup more than the users it looks up.
    assert_eq!(count(first, "GET /Users?filter"), 301, "{first}");
    assert_eq!(cycles[0]["churn"], Value::Null);
    // Cycle 2: each changed user is one change; Entra sends profile updates, disables,
    // re-enables and recycle-bin deletes as PATCH, permanent deletes as DELETE.
    let churn = &cycles[1]["churn"];
    assert_eq!(churn["users_changed"], 30, "{churn}");
    let n = |k: &str| churn[k].as_u64().unwrap();
    let second = &cycles[1]["operations"];
    assert!(n("updated") > 0, "{churn}");
    assert_eq!(
        count(second, "PATCH /Users/{id}"),
        n("updated") + n("disabled") + n("enabled") + n("soft_deleted"),
        "{churn}\n{second}"
    );
    assert_eq!(count(second, "DELETE /Users/{id}"), n("hard_deleted"));
    assert_eq!(count(second, "POST /Users"), 0, "{second}");
    if n("members_added") + n("members_removed") > 0 {
        assert!(count(second, "PATCH /Groups/{id}") > 0, "{second}");
    }
    // Each cycle's requests are the sum of its operations; the run's, of its cycles'.
    let mut by_op: std::collections::BTreeMap<String, u64> = Default::default();
    let mut requests = 0;
    for c in cycles {
        let sum: u64 = c["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["count"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, c["requests"].as_u64().unwrap(), "{c}");
        assert_eq!(c["errors"], 0, "{c}");
        assert_eq!(c["failed_objects"], 0, "{c}");
        requests += sum;
        for o in c["operations"].as_array().unwrap() {
            *by_op
                .entry(o["operation"].as_str().unwrap().to_owned())
                .or_default() += o["count"].as_u64().unwrap();
        }
    }
    let overall = &json["overall"];
    assert_eq!(overall["requests"].as_u64(), Some(requests));
    for (name, total) in &by_op {
        assert_eq!(count(&overall["operations"], name), *total, "{name}");
        let o = op(&overall["operations"], name).unwrap();
        let (p50, p99, max) = (
            o["p50_ms"].as_f64().unwrap(),
            o["p99_ms"].as_f64().unwrap(),
            o["max_ms"].as_f64().unwrap(),
        );
        assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{o}");
        let bucketed: u64 = o["histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(bucketed, *total, "{o}");
    }
    // Latencies in microseconds (`Exchange::elapsed_us`), not whole milliseconds: a
    // loopback p50 falls between whole numbers of milliseconds.
    let fractional = overall["operations"].as_array().unwrap().iter().any(|o| {
        let p50 = o["p50_ms"].as_f64().unwrap();
        p50 > 0.001 && p50.fract() != 0.0
    });
    assert!(fractional, "whole milliseconds only: {overall}");
    let per_second: u64 = json["rate_over_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(per_second, requests);
    // The transcript was streamed beside the metrics: one line per request.
    let transcript = std::fs::read_to_string(run.path("transcript.jsonl")).unwrap();
    assert_eq!(transcript.lines().count() as u64, requests);
    assert!(!transcript.contains(TOKEN));
    let html = std::fs::read_to_string(run.path("out/load.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "self-contained"
    );
}

/// A SCIM responder for Entra's initial cycle: an empty list for every lookup, a user
/// for every create, except that the first `refusals` creates (all of them with
/// `u64::MAX`) get `429 Too Many Requests` with `Retry-After: 0`.
async fn throttling_responder(refusals: u64) -> (String, Arc<AtomicU64>) {
    let posts = Arc::new(AtomicU64::new(0));
    let seen = posts.clone();
    let app = axum::Router::new().fallback(move |method: Method| {
        let posts = posts.clone();
        async move {
            let builder = Response::builder().header("content-type", "application/scim+json");
            let (status, body) = match method {
                Method::GET => (
                    StatusCode::OK,
                    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#.to_owned(),
                ),
                Method::POST => {
                    let n = posts.fetch_add(1, Ordering::SeqCst);
                    if n < refusals {
                        return Response::builder()
                            .status(StatusCode::TOO_MANY_REQUESTS)
                            .header("retry-after", "0")
                            .body(axum::body::Body::empty())
                            .unwrap();
                    }
                    (
                        StatusCode::CREATED,
                        format!(
                            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u{n}","active":true}}"#
                        ),
                    )
                }
                _ => (StatusCode::NO_CONTENT, String::new()),
            };
            builder
                .status(status)
                .body(axum::body::Body::from(body))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

/// Runs a 4-user load against a throttling responder; returns the output and load.json.
async fn throttled_run(refusals: u64) -> (Output, Value) {
    let (url, _) = throttling_responder(refusals).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("out");
    let report_arg = report.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        idp_sync(
            "entra",
            &url,
            &[
                "--generate-users",
                "4",
                "--concurrency",
                "1",
                "--report",
                &report_arg,
            ],
        )
    })
    .await
    .unwrap();
    let text = std::fs::read_to_string(report.join("load.json")).unwrap_or_else(|e| {
        panic!(
            "load.json: {e}\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, serde_json::from_str(&text).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_counted_and_retried_away() {
    let (output, json) = throttled_run(3).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let posts = op(&json["overall"]["operations"], "POST /Users").unwrap();
    // One request a time: the first user's create is refused three times, then taken.
    assert_eq!(posts["count"], 4 + 3, "{posts}");
    assert_eq!(posts["errors"]["429"], 3, "{posts}");
    assert_eq!(posts["error_count"], 3, "{posts}");
    assert_eq!(json["overall"]["errors"], 3);
    assert_eq!(json["clean"], true);
    assert!(stdout.contains("429×3"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_that_never_ends_fails_the_run() {
    let (output, json) = throttled_run(u64::MAX).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("TooManyRequests"), "{stdout}");
    assert!(
        stdout.contains("failed after the persona's retries"),
        "{stdout}"
    );
    assert_eq!(json["clean"], false);
    // Entra tries each create 1 + 5 times (persona.rs `rate_limit_attempts`).
    let posts = op(&json["overall"]["operations"], "POST /Users").unwrap();
    assert_eq!(posts["count"], 4 * 6, "{posts}");
    assert_eq!(posts["errors"]["429"], 4 * 6, "{posts}");
    assert_eq!(json["cycles"][0]["failed_objects"], 4);
}

#[test]
fn bad_flag_combinations_are_usage_errors() {
    let url = "http://127.0.0.1:9";
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--directory", "x.yaml", "--generate-users", "5"],
            &["--directory", "--generate-users"],
        ),
        (
            &["--generate-users", "5", "--cycles", "2", "--duration", "1m"],
            &["--cycles", "--duration"],
        ),
        (&["--generate-users", "5", "--churn", "150%"], &["150%"]),
        (&["--churn", "5%"], &["--generate-users"]),
        (&["--generate-groups", "2"], &["--generate-users"]),
        (&["--generate-users", "5", "--duration", "10x"], &["10x"]),
        (&["--generate-users", "5", "--cycles", "0"], &["--cycles"]),
        (&["--generate-users", "5", "--rate", "0"], &["--rate"]),
    ];
    for (args, named) in cases {
        let out = idp_sync("entra", url, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for name in *named {
            assert!(
                stderr.contains(name),
                "{args:?} should name {name}: {stderr}"
            );
        }
    }
}

/// Every other persona's churn cycles against the reference target: each change goes out
/// in the persona's own forms (PUT for okta, filtered PATCH for okta-oin…) and the target
/// takes them all.
#[rstest::rstest]
#[case::entra_aadopt("entra-aadopt")]
#[case::okta("okta")]
#[case::okta_oin("okta-oin")]
#[case::rfc("rfc")]
fn each_persona_sends_its_churn_cleanly(#[case] persona: &str) {
    let dir = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&dir.path().join("grafana.db"));
    let report = dir.path().join("out");
    let out = idp_sync(
        persona,
        &target.url,
        &[
            "--generate-users",
            "40",
            "--generate-groups",
            "2",
            "--cycles",
            "3",
            "--churn",
            "25%",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{persona}:\n{stdout}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("load.json")).unwrap()).unwrap();
    assert_eq!(json["clean"], true, "{persona}");
    let cycles = json["cycles"].as_array().unwrap();
    assert_eq!(
        count(&cycles[0]["operations"], "POST /Users"),
        40,
        "{persona}"
    );
    for c in &cycles[1..] {
        assert_eq!(c["churn"]["users_changed"], 10, "{persona}: {c}");
        // Half the changes at least are profile updates, each a request of its own.
        assert!(c["requests"].as_u64().unwrap() >= 5, "{persona}: {c}");
        assert_eq!(c["errors"], 0, "{persona}: {c}");
    }
}

/// `--duration`: cycles start until the time is up; the report says how long was asked.
#[test]
fn a_soak_runs_cycles_until_its_duration_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&dir.path().join("grafana.db"));
    let report = dir.path().join("out");
    let out = idp_sync(
        "entra",
        &target.url,
        &[
            "--generate-users",
            "20",
            "--duration",
            "1s",
            "--churn",
            "20%",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("load.json")).unwrap()).unwrap();
    assert_eq!(json["settings"]["duration_seconds"], 1.0);
    assert_eq!(json["settings"]["cycles"], Value::Null);
    let cycles = json["cycles"].as_array().unwrap();
    assert!(!cycles.is_empty());
    for (i, c) in cycles.iter().enumerate() {
        assert_eq!(c["cycle"], i + 1);
        assert_eq!(c["churn"].is_null(), i == 0, "{c}");
    }
}

/// On a terminal (util-linux `script` gives the run a pseudo-terminal) a progress line
/// shows the cycle, the requests, the rate and the errors; in a pipe, none (a plain line
/// comes only every 30 s). `--rate 20` makes the run last about a second.
#[tokio::test(flavor = "multi_thread")]
async fn progress_shows_on_a_terminal_only() {
    let (url, _) = throttling_responder(0).await;
    let profile = root().join("fixtures/profiles/reference.toml");
    let args = format!(
        "idp sync --persona entra --target {} --target-url {url} --generate-users 10 --rate 20",
        profile.display()
    );
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_scim-harness"));
    let tty = tokio::task::spawn_blocking(move || {
        Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("SCIM_HARNESS_TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .output()
            .expect("running util-linux script (Debian package bsdutils/util-linux)")
    })
    .await
    .unwrap();
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(shown.contains("overall: 21 requests"), "{shown}");
    assert!(
        shown.contains("cycle 1: ")
            && shown.contains(" requests, ")
            && shown.contains("/s, 0 errors"),
        "no progress line on the terminal: {shown}"
    );

    let piped = tokio::task::spawn_blocking(move || {
        let args: Vec<String> = args.split(' ').map(str::to_owned).collect();
        Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(&args)
            .env("SCIM_HARNESS_TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(piped.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains(" requests, "), "{stderr}");
}
