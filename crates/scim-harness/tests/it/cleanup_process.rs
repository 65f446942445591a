//! Runs that leave nothing behind: the whole catalogue against a persistent `target
//! serve`, read back through its APIs for any user, group or team whose name carries one
//! of the run's case tags; `--keep` keeps them, and `clean --seed N` removes them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::target_process::{list_user_names, TargetProcess, SCIM_BASE, TOKEN};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A run of the whole catalogue through reference.toml against `target`, as the served
/// target's default server admin (admin/admin).
fn run_against(target: &TargetProcess, out: &Path, seed: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args([
            "run", "--seed", seed, "--jobs", "4", "--format", "human", "--format", "json",
        ])
        .arg("--out")
        .arg(out)
        .arg("--target")
        .arg(root().join("fixtures/profiles/reference.toml"))
        .args(["--target-url", &target.url])
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .arg("--idp-keys")
        .arg(root().join("fixtures/idp"))
        .args(extra)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env("SCIM_HARNESS_ADMIN_USER", "admin")
        .env("SCIM_HARNESS_ADMIN_PASSWORD", "admin")
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("SCIM_HARNESS_NAMESPACE")
        .env_remove("RUST_LOG")
        .output()
        .expect("running scim-harness")
}

fn report(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// The case tags of a report: every name a case creates carries its tag.
fn tags(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["tag"].as_str().expect("tag").to_owned())
        .collect()
}

async fn get_json(client: &reqwest::Client, url: String) -> Value {
    client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .error_for_status()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: body: {e}"))
}

/// Every name the target holds: SCIM userNames and group displayNames, app user logins
/// and emails (the org list, disabled users included), team names.
fn names_on(target: &TargetProcess) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut names = list_user_names(&client, target).await;
        let groups = get_json(
            &client,
            format!("{}{SCIM_BASE}/Groups?startIndex=1&count=10000", target.url),
        )
        .await;
        names.extend(
            groups["Resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| g["displayName"].as_str().map(str::to_owned)),
        );
        let users = get_json(&client, format!("{}/api/org/users", target.url)).await;
        for u in users.as_array().expect("the org user list") {
            for k in ["login", "email"] {
                names.extend(u[k].as_str().map(str::to_owned));
            }
        }
        let teams = get_json(
            &client,
            format!("{}/api/teams/search?perpage=100000", target.url),
        )
        .await;
        names.extend(
            teams["teams"]
                .as_array()
                .expect("the team list")
                .iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned)),
        );
        names
    })
}

/// The names among `names` that carry one of `tags`.
fn tagged<'a>(names: &'a [String], tags: &[String]) -> Vec<&'a String> {
    names
        .iter()
        .filter(|n| {
            let n = n.to_lowercase();
            tags.iter().any(|t| n.contains(&t.to_lowercase()))
        })
        .collect()
}

/// A full run against a persistent target leaves no user, group or team with one of
/// its tags, and says so in report.json; a run with `--keep` leaves them (so the check
/// can see them) and records no cleanup.
#[test]
fn a_full_run_leaves_nothing_and_keep_keeps_it() {
    let work = tempfile::tempdir().unwrap();
    // Trust the personas' IdPs, so the login cases sign users up as well.
    let mut flags = Vec::new();
    for persona in ["entra", "okta", "rfc"] {
        let metadata = work.path().join(format!("{persona}.xml"));
        let written = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(["saml", "metadata", "--persona", persona, "--cert"])
            .arg(root().join(format!("fixtures/idp/{persona}.cert.pem")))
            .arg("--out")
            .arg(&metadata)
            .output()
            .expect("saml metadata");
        assert!(written.status.success(), "{written:?}");
        flags.push("--idp-cert".to_owned());
        flags.push(metadata.display().to_string());
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let target = TargetProcess::start_with(&work.path().join("db.sqlite"), &flags);

    let out = work.path().join("clean");
    let o = run_against(&target, &out, "31", &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("cleanup: removed "), "{stdout}");
    let r = report(&out);
    let cleanup = &r["summary"]["cleanup"];
    assert!(
        cleanup["removed"].as_u64().expect("removed") > 0,
        "{cleanup}"
    );
    assert_eq!(cleanup["left_behind"], serde_json::json!([]), "{cleanup}");
    let run_tags = tags(&r);
    let names = names_on(&target);
    let left = tagged(&names, &run_tags);
    assert!(
        left.is_empty(),
        "the run left {} names: {left:?}",
        left.len()
    );

    let kept = work.path().join("kept");
    let o = run_against(&target, &kept, "32", &["--keep"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let r = report(&kept);
    assert_eq!(r["summary"]["cleanup"], Value::Null);
    let names = names_on(&target);
    let left = tagged(&names, &tags(&r));
    assert!(
        left.len() > 100,
        "--keep keeps what the run created; found only {left:?}"
    );

    // `clean --seed 32` removes what that run kept, and says how much.
    let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["clean", "--seed", "32", "--target-url", &target.url])
        .arg("--target")
        .arg(root().join("fixtures/profiles/reference.toml"))
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env("SCIM_HARNESS_ADMIN_USER", "admin")
        .env("SCIM_HARNESS_ADMIN_PASSWORD", "admin")
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("SCIM_HARNESS_NAMESPACE")
        .output()
        .expect("running scim-harness clean");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("clean seed 32: removed ") && stdout.contains("left behind 0"),
        "{stdout}"
    );
    let names = names_on(&target);
    let left = tagged(&names, &tags(&r));
    assert!(left.is_empty(), "clean left {} names: {left:?}", left.len());
}

/// `clean` against a target that does not answer exits 3.
#[test]
fn clean_against_an_unreachable_target_exits_3() {
    let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["clean", "--seed", "1", "--target-url", "http://127.0.0.1:9"])
        .arg("--target")
        .arg(root().join("fixtures/profiles/reference.toml"))
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("SCIM_HARNESS_ADMIN_USER")
        .env_remove("SCIM_HARNESS_ADMIN_PASSWORD")
        .env_remove("SCIM_HARNESS_NAMESPACE")
        .output()
        .expect("running scim-harness clean");
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
