//! Fault switches on the command line: `target faults`, `target serve --fault`,
//! `run --fault`, and the usage errors around them.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::target_process::{reference_ini, TOKEN};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(args)
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("running scim-harness")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn target_faults_lists_every_fault_with_its_doc() {
    let o = harness(&["target", "faults"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), reference_target::Fault::ALL.len(), "{out}");
    for (line, fault) in lines.iter().zip(reference_target::Fault::ALL) {
        let (name, doc) = line.split_once("  ").expect("NAME  doc");
        assert_eq!(name, fault.name());
        let doc = doc.trim_start();
        // Faults only SHOULD cases can see are marked, for `cargo xtask mutants`.
        let doc = match doc.strip_prefix("[should] ") {
            Some(rest) => {
                assert!(fault.judged_by_should(), "{line}");
                rest
            }
            None => {
                assert!(!fault.judged_by_should(), "{line}");
                doc
            }
        };
        assert_eq!(doc, fault.doc());
    }
}

#[test]
fn an_unknown_fault_is_a_usage_error_listing_the_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db").display().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["target", "serve", "--listen", "127.0.0.1:0", "--db", &db])
        .args(["--fault", "saml-xws"])
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("unknown fault `saml-xws`") && err.contains("saml-xsw, saml-no-replay-cache"),
        "{err}"
    );
    assert!(!Path::new(&db).exists(), "nothing was started");

    let o = harness(&["run", "--fault", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("unknown fault `nope`"));
}

#[test]
fn run_fault_with_a_target_profile_is_a_usage_error() {
    let o = harness(&[
        "run",
        "--target",
        "does-not-matter.toml",
        "--fault",
        "saml-xsw",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("--fault") && err.contains("--target"), "{err}");
}

#[test]
fn serve_warns_once_per_active_fault() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["target", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("t.db"))
        .arg("--config")
        .arg(reference_ini())
        .args(["--fault", "saml-xsw", "--fault", "list-numbers-as-strings"])
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("listening on "), "{first:?}");
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("fault injected"))
        .collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings[0].contains("WARN") && warnings[0].contains("saml-xsw"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

/// `run --fault` reaches the embedded target: the same selection passes clean and fails
/// with a fault every list read notices.
#[test]
fn run_fault_injects_into_the_embedded_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(["run", "--seed", "7", "--jobs", "4", "--include", "users.*"])
            .arg("--out")
            .arg(dir.path())
            .arg("--scenarios")
            .arg(root.join("scenarios"))
            .arg("--idp-keys")
            .arg(root.join("fixtures/idp"))
            .args(extra)
            .env_remove("SCIM_HARNESS_TARGET_URL")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        (o.status.code(), text(&o.stdout), text(&o.stderr))
    };
    let (code, out, err) = run(&[]);
    assert_eq!(code, Some(0), "clean run:\n{out}\n{err}");
    let (code, out, err) = run(&["--fault", "list-numbers-as-strings"]);
    assert_eq!(code, Some(1), "faulty run:\n{out}\n{err}");
    assert!(
        err.contains("fault injected: list-numbers-as-strings"),
        "{err}"
    );
}
