//! The shipped target profiles: `--target NAME` from an empty folder, against a served
//! reference target, with the profile's relative certificate written beside it.

use std::process::Command;

use crate::target_process::{TargetProcess, TOKEN};

fn harness() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("SCIM_HARNESS_NAMESPACE")
        .env_remove("RUST_LOG");
    cmd
}

/// `--target reference` names no file in the empty folder: the shipped profile runs, and
/// its `[saml] encrypt_for` (the TEST-ONLY certificate of the reference target, which
/// `reference.ini` serves with) reaches the encrypted-login case, which would be skipped
/// for want of it, or fail, if the certificate were missing or wrong.
#[test]
fn a_shipped_profile_runs_by_name_from_an_empty_folder() {
    let work = tempfile::tempdir().unwrap();
    // The target trusts the rfc persona's test-only certificate.
    let metadata = work.path().join("rfc.xml");
    let cert =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/rfc.cert.pem");
    let written = harness()
        .args(["saml", "metadata", "--persona", "rfc", "--cert"])
        .arg(&cert)
        .arg("--out")
        .arg(&metadata)
        .output()
        .unwrap();
    assert!(written.status.success(), "{written:?}");
    let target = TargetProcess::start_with(
        &work.path().join("target.db"),
        &["--idp-cert", &metadata.display().to_string()],
    );
    let empty = tempfile::tempdir().unwrap();
    let out = harness()
        .current_dir(empty.path())
        .args(["run", "--target", "reference", "--target-url", &target.url])
        .args(["--include", "saml.encrypted-login/*", "--persona", "rfc"])
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        // Cleaning up the app user the login made needs the server admin (admin/admin).
        .env("SCIM_HARNESS_ADMIN_USER", "admin")
        .env("SCIM_HARNESS_ADMIN_PASSWORD", "admin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary = stdout
        .lines()
        .find(|l| l.contains("SUMMARY"))
        .unwrap_or_default();
    assert!(summary.contains(" 0 skipped"), "{summary}");
    assert!(summary.contains("1 cases: 1 passed"), "{summary}");
    assert!(stdout.contains("left behind 0"), "{stdout}");
    // Nothing but the reports is written to the folder the run started in.
    let left: Vec<_> = std::fs::read_dir(empty.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "scim-harness-report")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `target profiles` lists what `--target NAME` accepts; `target profiles NAME` prints the
/// text to copy; an unknown name is a usage error naming the shipped ones.
#[test]
fn target_profiles_lists_and_prints_and_unknown_names_are_usage_errors() {
    let empty = tempfile::tempdir().unwrap();
    let list = harness()
        .current_dir(empty.path())
        .args(["target", "profiles"])
        .output()
        .unwrap();
    assert!(list.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(
        names,
        ["grafana", "grafana-cloud", "reference", "scim-only"]
    );
    let text = harness()
        .args(["target", "profiles", "grafana-cloud"])
        .output()
        .unwrap();
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/profiles/grafana-cloud.toml"),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&text.stdout), source);
    let unknown = harness()
        .current_dir(empty.path())
        .args(["run", "--target", "grafna"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no shipped profile of that name"),
        "{stderr}"
    );
    assert!(stderr.contains("grafana-cloud"), "{stderr}");
}
