//! A target that refuses logins with a status: `target serve` with `[auth.saml]
//! refusal_answer = json` and a profile saying `[session] refusal = "status"`; the login
//! cases judge its status and message id as before Grafana's redirect became the default.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::target_process::TOKEN;

fn harness() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    c.env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("RUST_LOG");
    c
}

fn fixtures(rest: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rest)
        .display()
        .to_string()
}

#[test]
fn a_target_refusing_with_a_status_is_judged_by_status_and_message_id() {
    let work = tempfile::tempdir().unwrap();
    let metadata = work.path().join("rfc.xml");
    let written = harness()
        .args(["saml", "metadata", "--persona", "rfc", "--cert"])
        .arg(fixtures("idp/rfc.cert.pem"))
        .arg("--out")
        .arg(&metadata)
        .output()
        .unwrap();
    assert!(written.status.success(), "{written:?}");
    let ini = work.path().join("grafana.ini");
    std::fs::write(
        &ini,
        "[auth.scim]\nuser_sync_enabled = true\ngroup_sync_enabled = true\n\
         [auth.saml]\nrefusal_answer = json\n\
         assertion_attribute_role = role\nrole_values_editor = Editor\n\
         role_values_admin = Admin\nrole_values_grafana_admin = GrafanaAdmin\n",
    )
    .unwrap();
    let mut child = harness()
        .args(["target", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(work.path().join("db.sqlite"))
        .arg("--config")
        .arg(&ini)
        .arg("--idp-cert")
        .arg(&metadata)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    // The reference profile, answering with a status instead of the login page.
    let reference = std::fs::read_to_string(fixtures("profiles/reference.toml")).unwrap();
    let profile = reference
        .replace("refusal = \"redirect\"", "refusal = \"status\"")
        .replace(
            "base_url = \"http://127.0.0.1:3000\"",
            &format!("base_url = \"{url}\""),
        )
        .replace(
            "token = { env = \"SCIM_HARNESS_TOKEN\" }",
            &format!("token = \"{TOKEN}\""),
        );
    assert!(profile.contains("refusal = \"status\""));
    let profile_path = work.path().join("status.toml");
    std::fs::write(&profile_path, profile).unwrap();
    let out = work.path().join("out");
    let run = harness()
        .args(["run", "--scenarios", &fixtures("../scenarios"), "--target"])
        .arg(&profile_path)
        .args([
            "--idp-keys",
            &fixtures("idp"),
            "--persona",
            "rfc",
            "--format",
            "json",
            "--out",
        ])
        .arg(&out)
        .args([
            "--include",
            "identity.*",
            "--include",
            "config.reject-*",
            "--include",
            "config.sign-up-off/*",
            "--include",
            "saml.idp-initiated-refused/*",
            "--include",
            "saml.unsigned/*",
        ])
        // Seeding a local user needs the server admin: the target's default admin/admin.
        .env("SCIM_HARNESS_ADMIN_USER", "admin")
        .env("SCIM_HARNESS_ADMIN_PASSWORD", "admin")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let report = std::fs::read_to_string(out.join("report.json")).unwrap_or_default();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_str(&report).unwrap();
    let outcomes: Vec<&str> = parsed["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["outcome"].as_str())
        .collect();
    assert!(outcomes.len() >= 15, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| *o == "pass"), "{outcomes:?}");
    // The refusals were read as JSON: a status and a message id, no login page.
    assert!(
        report.contains("user.sync.user-externalUID-mismatch"),
        "the ids were seen"
    );
    assert!(
        !report.contains("grafanaBootData"),
        "no login page was read"
    );
}
