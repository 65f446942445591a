//! `scim-harness run` and `list` as processes: the embedded reference target end to end,
//! reports without secrets, baselines, and the exit codes for bad input and unreachable
//! targets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::target_process::{assert_exit, TargetProcess, TOKEN};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn harness(args: &[&str]) -> Output {
    harness_with(args, &[])
}

/// [`harness`] with these environment variables set.
fn harness_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(args)
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("SCIM_HARNESS_ADMIN_USER")
        .env_remove("SCIM_HARNESS_ADMIN_PASSWORD")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("running scim-harness")
}

fn run_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["run", "--out", out, "--seed", "7", "--jobs", "4"];
    v.extend_from_slice(extra);
    v
}

fn idp_keys() -> String {
    root().join("fixtures/idp").display().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every base64 line of each private key in fixtures/idp, less the lines that also
/// occur in a certificate (the public modulus is in both).
fn private_key_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let mut certs = String::new();
    let dir = root().join("fixtures/idp");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".cert.pem") {
            let pem = std::fs::read_to_string(&path).unwrap();
            certs.extend(pem.lines().filter(|l| !l.starts_with("-----")));
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".key.pem") {
            let pem = std::fs::read_to_string(&path).unwrap();
            lines.extend(
                pem.lines()
                    .filter(|l| !l.starts_with("-----") && l.len() > 40 && !l.contains(' '))
                    .filter(|l| !certs.contains(*l))
                    .map(str::to_owned),
            );
        }
    }
    assert!(lines.len() > 20, "found the key fixtures");
    lines
}

#[track_caller]
fn assert_no_secrets(dir: &Path, token: Option<&str>) {
    let keys = private_key_lines();
    for name in ["report.json", "junit.xml", "report.html"] {
        let body =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|_| panic!("{name} written"));
        if let Some(t) = token {
            assert!(!body.contains(t), "{name} contains the bearer token");
        }
        for (i, _) in body.match_indices("Bearer ") {
            // The ServiceProviderConfig describes the scheme as "OAuth Bearer Token" and
            // "Bearer <token>".
            assert!(
                [
                    "Bearer [redacted]",
                    "Bearer Token",
                    "Bearer &lt;token&gt;",
                    "Bearer <token>"
                ]
                .iter()
                .any(|ok| body[i..].starts_with(ok)),
                "{name} has an unredacted bearer at {i}"
            );
        }
        for line in &keys {
            assert!(
                !body.contains(line.as_str()),
                "{name} contains private key material"
            );
        }
        assert!(
            !body.contains("PRIVATE KEY"),
            "{name} contains a PEM private key"
        );
    }
}

#[test]
fn the_whole_catalogue_passes_against_the_embedded_reference_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let keys = idp_keys();
    let args = run_args(
        &out,
        &[
            "--format",
            "human",
            "--format",
            "json",
            "--format",
            "junit",
            "--format",
            "html",
            "--idp-keys",
            &keys,
        ],
    );
    let o = harness(&args);
    let stdout = text(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&o.stderr)
    );
    assert!(stdout.contains("seed 7"), "{stdout}");
    // The SAML cases refuse tampered documents; xmlsec's own error lines stay off stderr.
    assert!(
        !text(&o.stderr).contains("func=xmlSec"),
        "stderr:\n{}",
        text(&o.stderr)
    );
    assert!(
        stdout.contains("    PASS ["),
        "fixed-width status column:\n{stdout}"
    );
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains("SUMMARY"))
        .expect("a summary line");
    assert!(summary.contains("0 failed"), "{summary}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["schema"], "scim-harness/report/v1");
    let total = json["summary"]["total"].as_u64().unwrap();
    assert!(total >= 50, "{total} cases");
    assert_eq!(json["summary"]["passed"].as_u64(), Some(total));
    let cases = json["cases"].as_array().unwrap();
    let login = cases
        .iter()
        .find(|c| c["id"] == "identity.valid-login/okta/default")
        .expect("the login case");
    let transcript = login["transcript"].as_array().unwrap();
    assert!(transcript
        .iter()
        .any(|e| e["kind"] == "saml" && e["xml"].as_str().unwrap().contains("Assertion")));
    assert!(transcript
        .iter()
        .any(|e| e["kind"] == "http" && e["source"] == "persona"));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuites") && junit.contains("users.lifecycle"));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("id=\"fo\"") && html.contains("data-persona=\"entra-aadopt\""));
    assert_no_secrets(dir.path(), None);
}

/// A profile with a literal token against a `target serve` process: the token never
/// reaches a report.
#[test]
fn reports_never_carry_the_token_or_private_keys() {
    let work = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&work.path().join("db.sqlite"));
    let profile = work.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"served\"\nbase_url = \"{}\"\n[scim]\npath = \"/apis/scim.grafana.app/v0alpha1/namespaces/default\"\ntoken = \"{TOKEN}\"\n\
[saml]\nacs = \"/saml/acs\"\nsp_entity_id = \"/saml/metadata\"\n[session]\nwhoami = \"/api/user\"\nlogin_pointer = \"/login\"\n\
[config]\nmethod = \"scim-config-api\"\npath = \"/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default\"\n",
            target.url
        ),
    )
    .unwrap();
    let out = work.path().join("out").display().to_string();
    let keys = idp_keys();
    let p = profile.display().to_string();
    let args = run_args(
        &out,
        &[
            "--target",
            &p,
            "--format",
            "json",
            "--format",
            "junit",
            "--format",
            "html",
            "--idp-keys",
            &keys,
            "--include",
            "users.lifecycle/*",
            "--include",
            "identity.*/entra/*",
            "--include",
            "config.reject*/okta/*",
        ],
    );
    let o = harness(&args);
    // The served target trusts no IdP, so the login cases fail: exit 1, reports written.
    assert_exit(&o, 1);
    assert_no_secrets(Path::new(&out), Some(TOKEN));
    let json = std::fs::read_to_string(Path::new(&out).join("report.json")).unwrap();
    assert!(
        json.contains("\"kind\": \"saml\""),
        "saml documents are in the report"
    );
}

#[test]
fn a_malformed_profile_exits_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("bad.toml");
    std::fs::write(&profile, "name = \"x\"\nbase_url = \"http://127.0.0.1:1\"\n[scim]\npath = \"/s\"\ntoken = \"t\"\nflavour = 1\n").unwrap();
    let p = profile.display().to_string();
    let o = harness(&["run", "--target", &p]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("bad.toml:6:1") && err.contains("flavour"),
        "{err}"
    );
}

#[test]
fn an_unreachable_target_exits_3_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(&profile, "name = \"gone\"\nbase_url = \"http://127.0.0.1:1\"\n[scim]\npath = \"/scim/v2\"\ntoken = \"t\"\n").unwrap();
    let p = profile.display().to_string();
    let o = harness(&["run", "--target", &p, "--timeout", "2"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("target unreachable at http://127.0.0.1:1/scim/v2"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_broken_scenario_catalogue_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("users")).unwrap();
    std::fs::copy(
        root().join("scenarios/configs.yaml"),
        dir.path().join("configs.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("users/x.yaml"),
        "id: x\ntitle: t\nlevel: must\nsteps:\n  - sink: {}\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["run", "--scenarios"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("users/x.yaml:5:5") && err.contains("sink"),
        "{err}"
    );
}

#[test]
fn a_baseline_marks_expected_failures_and_fails_on_stale_entries() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.toml");
    // The case passes, so its entry no longer matches: the run fails.
    std::fs::write(
        &baseline,
        "[[expected]]\ncase = \"users.lifecycle/entra/default\"\nreason = \"vendor bug 1\"\n\n[[expected]]\ncase = \"no.such.case/*\"\nreason = \"old\"\n",
    )
    .unwrap();
    let out = dir.path().display().to_string();
    let b = baseline.display().to_string();
    let args = run_args(
        &out,
        &[
            "--baseline",
            &b,
            "--include",
            "users.lifecycle/entra/default",
        ],
    );
    let o = harness(&args);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("    FAIL ") && stdout.contains("remove the entry"),
        "{stdout}"
    );
    assert!(
        stdout.contains("STALE") && stdout.contains("no.such.case/*"),
        "{stdout}"
    );
}

#[test]
fn a_profile_without_saml_or_config_skips_with_reasons() {
    let work = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&work.path().join("db.sqlite"));
    let profile = work.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"bare\"\nbase_url = \"{}\"\n[scim]\npath = \"/apis/scim.grafana.app/v0alpha1/namespaces/default\"\ntoken = \"{TOKEN}\"\n",
            target.url
        ),
    )
    .unwrap();
    let out = work.path().join("out").display().to_string();
    let p = profile.display().to_string();
    let args = run_args(
        &out,
        &[
            "--target",
            &p,
            "--persona",
            "entra",
            "--include",
            "identity.valid-login/*",
            "--include",
            "config.*",
            "--include",
            "users.lifecycle/*",
        ],
    );
    let o = harness(&args);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("has no [saml] section"), "{stdout}");
    assert!(stdout.contains("has no [config] section"), "{stdout}");
    assert!(
        stdout.contains("PASS [") && stdout.contains("users.lifecycle/entra/default"),
        "{stdout}"
    );
}

#[test]
fn list_prints_every_case() {
    let o = harness(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let stdout = text(&o.stdout);
    assert!(stdout.lines().count() >= 50);
    assert!(
        stdout.contains("security.numeric-external-id/entra/default")
            && stdout.contains("CVE-2025-41115")
    );
}

#[test]
fn target_url_without_a_target_is_a_usage_error_not_a_run_against_the_embedded_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let o = harness(&["run", "--out", &out, "--target-url", "http://127.0.0.1:9"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("--target-url (or SCIM_HARNESS_TARGET_URL) needs --target"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.path().join("report.json").exists(), "nothing was run");
}

#[test]
fn a_selection_of_no_case_exits_4_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let o = harness(&run_args(&out, &["--include", "no-such-scenario.*"]));
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("the selection matched none of the catalogue's"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn list_into_a_reader_that_has_gone_ends_quietly() {
    // The read end is closed before the process starts, so its first line meets a
    // broken pipe (as in `scim-harness list | head -1` once head has exited).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .arg("list")
        .arg("--scenarios")
        .arg(root().join("scenarios"))
        .stdout(writer)
        .output()
        .expect("running scim-harness list");
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A second run with the same `--seed` against a target that kept the first run's users
/// fails, and says why: the hint names the seed.
#[test]
fn reusing_a_seed_on_a_target_that_kept_its_objects_says_so() {
    let work = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&work.path().join("db.sqlite"));
    let profile = work.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"served\"\nbase_url = \"{}\"\n[scim]\npath = \"/apis/scim.grafana.app/v0alpha1/namespaces/default\"\ntoken = \"{TOKEN}\"\n",
            target.url
        ),
    )
    .unwrap();
    let p = profile.display().to_string();
    let run = |out: &str, keep: &[&str]| {
        let mut extra = vec!["--target", &p, "--include", "users.rename-username/*"];
        extra.extend_from_slice(keep);
        harness(&run_args(out, &extra))
    };
    // --keep: without it the first run would remove what it created.
    let first = run(&work.path().join("a").display().to_string(), &["--keep"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stdout));
    let again = run(&work.path().join("b").display().to_string(), &[]);
    let stdout = text(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("an earlier run with the same --seed"),
        "the failure names the likely cause: {stdout}"
    );
}

/// The shipped grafana profile against a `target serve` process: the service-account
/// token reads every probe; seeding a local user needs the server admin, so the
/// adoption case is skipped with the reason without `SCIM_HARNESS_ADMIN_*`, passes with
/// them, and the credentials reach no report. Half of the pair is a usage error.
#[test]
fn the_grafana_profile_seeds_local_users_only_with_the_admin_variables() {
    let work = tempfile::tempdir().unwrap();
    let target = TargetProcess::start(&work.path().join("db.sqlite"));
    let profile = root().join("fixtures/profiles/grafana.toml");
    let p = profile.display().to_string();
    let keys = idp_keys();
    let run = |name: &str, env: &[(&str, &str)]| {
        let out = work.path().join(name).display().to_string();
        let args = run_args(
            &out,
            &[
                "--target",
                &p,
                "--target-url",
                &target.url,
                "--format",
                "json",
                "--idp-keys",
                &keys,
                "--include",
                "users.adopt-by-email/entra/*",
                "--include",
                "users.disable-boolean/okta/*",
            ],
        );
        let mut all = vec![("SCIM_HARNESS_TOKEN", TOKEN)];
        all.extend_from_slice(env);
        let o = harness_with(&args, &all);
        (o, out)
    };
    let outcomes = |out: &str| -> Vec<(String, String, String)> {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new(out).join("report.json")).unwrap(),
        )
        .unwrap();
        json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["outcome"].as_str().unwrap().to_owned(),
                    c["reason"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };

    let (o, out) = run("without", &[]);
    assert_exit(&o, 0);
    let cases = outcomes(&out);
    let adopt = cases
        .iter()
        .find(|c| c.0.starts_with("users.adopt-by-email/"))
        .unwrap();
    assert_eq!(adopt.1, "skip", "{adopt:?}");
    assert!(
        adopt.2.contains("[probes] create_user") && adopt.2.contains("SCIM_HARNESS_ADMIN_USER"),
        "{adopt:?}"
    );
    // The app user probe (org users) answers the token: the disable case runs and passes.
    let disable = cases
        .iter()
        .find(|c| c.0.starts_with("users.disable-boolean/"))
        .unwrap();
    assert_eq!(disable.1, "pass", "{disable:?}");

    // The served target's server admin is Grafana's default admin/admin.
    let admin = [
        ("SCIM_HARNESS_ADMIN_USER", "admin"),
        ("SCIM_HARNESS_ADMIN_PASSWORD", "admin"),
    ];
    let (o, out) = run("with", &admin);
    assert_exit(&o, 0);
    for (id, outcome, reason) in outcomes(&out) {
        assert_eq!(outcome, "pass", "{id}: {reason}");
    }
    let report = std::fs::read_to_string(Path::new(&out).join("report.json")).unwrap();
    assert!(!report.contains(TOKEN), "the token in the report");
    // base64("admin:admin"), what the seeding request's Authorization header carried.
    assert!(
        !report.contains("YWRtaW46YWRtaW4"),
        "basic credentials in the report"
    );
    assert!(
        report.contains("/api/admin/users"),
        "the seeding request is in the transcript"
    );

    let (o, _) = run("half", &admin[..1]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("SCIM_HARNESS_ADMIN_PASSWORD"),
        "{}",
        text(&o.stderr)
    );
}

/// `--strict`: a SHOULD case that warns fails the run (exit 1), where without it the run
/// passes; `--format` takes a comma list.
#[test]
fn strict_fails_on_a_should_warning_and_formats_take_a_comma_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let select = [
        "--include",
        "saml.uid-value-whitespace/rfc/*",
        "--fault",
        "saml-uid-normalised",
        "--format",
        "human,json",
    ];
    let lenient = harness(&run_args(&out, &select));
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient.stdout));
    assert!(
        text(&lenient.stdout).contains("1 warned"),
        "{}",
        text(&lenient.stdout)
    );
    assert!(dir.path().join("report.json").is_file());
    let mut strict_args = run_args(&out, &select);
    strict_args.push("--strict");
    let strict = harness(&strict_args);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stdout));
}

/// `list` works from an empty folder with the built-in catalogue, and `completions`
/// prints a script that names the subcommands.
#[test]
fn list_runs_from_an_empty_folder_and_completions_name_the_commands() {
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .arg("list")
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("users.lifecycle/entra/default"));
    let c = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(0));
    let script = text(&c.stdout);
    assert!(
        script.contains("scim-harness") && script.contains("completions"),
        "{script}"
    );
}
