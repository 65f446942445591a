//! `scim-harness idp sync` as a process against the reference target: every persona's
//! initial cycle ends clean, the summary is printed, and the transcript is one redacted
//! JSON object per exchange.

use std::path::{Path, PathBuf};
use std::process::Command;

use rstest::rstest;

use crate::target_process::{TargetProcess, TOKEN};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[rstest]
#[case::entra("entra")]
#[case::entra_aadopt("entra-aadopt")]
#[case::okta("okta")]
#[case::okta_oin("okta-oin")]
#[case::rfc("rfc")]
fn idp_sync_provisions_the_cast_and_writes_a_redacted_transcript(#[case] persona: &str) {
    let dir = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&dir.path().join("grafana.db"));
    let transcript = dir.path().join("transcript.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["idp", "sync", "--persona", persona, "--target"])
        .arg(root().join("fixtures/profiles/reference.toml"))
        .arg("--target-url")
        .arg(&target.url)
        .arg("--directory")
        .arg(root().join("fixtures/directory.yaml"))
        .arg("--transcript")
        .arg(&transcript)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .output()
        .expect("running scim-harness idp sync");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "idp sync failed ({:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(!stdout.contains("error:"), "{stdout}");
    assert!(
        stdout.contains(&format!("transcript: {}", transcript.display())),
        "{stdout}"
    );

    let text = std::fs::read_to_string(&transcript).expect("the transcript is written");
    assert!(
        !text.contains(TOKEN),
        "the transcript holds the bearer token"
    );
    assert!(!stdout.contains(TOKEN), "stdout holds the bearer token");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each transcript line is JSON"))
        .collect();
    // One status line on stdout per exchange, in the same order.
    let printed = stdout
        .lines()
        .filter(|l| l.contains(&target.url) && !l.starts_with("persona "))
        .count();
    assert_eq!(printed, lines.len(), "{stdout}");
    // Each create the summary counts is a POST answered 201 in the transcript; the cast
    // (fixtures/directory.yaml) has more than 100 users (one group is generated).
    let posts = lines
        .iter()
        .filter(|e| e["method"] == "POST" && e["status"] == 201)
        .count();
    let created: usize = stdout
        .lines()
        .find_map(|l| {
            let (_, rest) = l.split_once(" exchanges; ")?;
            rest.split_once(" created")?.0.parse().ok()
        })
        .unwrap_or_else(|| panic!("no summary with a created count:\n{stdout}"));
    assert_eq!(posts, created, "{stdout}");
    assert!(created > 100, "{stdout}");
    for (i, e) in lines.iter().enumerate() {
        assert_eq!(
            e["seq"].as_u64(),
            Some(i as u64 + 1),
            "line {i} is numbered"
        );
        assert_eq!(e["persona"], persona);
        let auth = e["request_headers"]
            .as_array()
            .and_then(|h| h.iter().find(|p| p[0] == "authorization"))
            .map(|p| p[1].clone());
        assert_eq!(
            auth,
            Some(serde_json::json!("Bearer [redacted]")),
            "line {i}"
        );
    }
}
