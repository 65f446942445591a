//! `idp serve` as a process: what it prints, what it serves, how it refuses bad flags,
//! and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn idp_serve(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.current_dir(workspace())
        .args(["idp", "serve"])
        .args(args)
        .env_remove("SCIM_HARNESS_IDP_ADMIN_TOKEN")
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .env_remove("RUST_LOG");
    cmd
}

/// A running `idp serve`; killed on drop if still alive.
struct IdpProcess {
    child: Child,
    /// What it printed before serving, one entry a line.
    lines: Vec<String>,
}

impl IdpProcess {
    fn start(args: &[&str]) -> IdpProcess {
        let mut child = idp_serve(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning scim-harness idp serve");
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = out
                .read_line(&mut line)
                .expect("reading idp serve's output");
            assert!(n > 0, "idp serve ended before serving; printed {lines:?}");
            let line = line.trim_end().to_owned();
            let done = line.starts_with("scim target:");
            lines.push(line);
            if done {
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        IdpProcess { child, lines }
    }

    fn value(&self, prefix: &str) -> String {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in {:?}", self.lines))
            .trim()
            .to_owned()
    }
}

impl Drop for IdpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serves_metadata_and_an_idp_initiated_login_and_stops_on_sigterm() {
    let mut idp = IdpProcess::start(&[
        "--persona",
        "okta",
        "--listen",
        "127.0.0.1:0",
        "--sp-acs",
        "http://127.0.0.1:9/saml/acs",
        "--sp-entity-id",
        "urn:test:app",
    ]);
    let base = idp.value("idp serve: listening on ");
    assert!(base.starts_with("http://127.0.0.1:"), "{:?}", idp.lines);
    assert_eq!(
        idp.value("okta: metadata: "),
        format!("{base}/saml/metadata")
    );
    assert_eq!(idp.value("okta: admin: "), format!("{base}/admin"));
    assert!(idp.value("application: ").contains("urn:test:app"));
    assert!(idp.value("scim target: ").starts_with("none"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let metadata = client
            .get(format!("{base}/saml/metadata"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metadata.contains("entityID=\"http://www.okta.com/"),
            "{metadata}"
        );
        assert!(
            metadata.contains(&format!("Location=\"{base}/saml/sso\"")),
            "{metadata}"
        );
        // The first user of fixtures/directory.yaml, by login.
        let page = client
            .get(format!("{base}/saml/init?user=alice.ng%40contoso.example"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(
            page.contains("action=\"http://127.0.0.1:9/saml/acs\""),
            "{page}"
        );
        assert!(page.contains("name=\"SAMLResponse\""), "{page}");
    });
    let status = Command::new("kill")
        .args(["-TERM", &idp.child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
    let exit = idp.child.wait().expect("waiting for idp serve");
    assert!(exit.success(), "idp serve exited with {exit}");
}

#[test]
fn bad_flags_are_refused_with_what_is_wrong() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--persona", "entra", "--listen", "0.0.0.0:0"],
            "--admin-token",
        ),
        (&["--persona", "ping"], "ping"),
        (
            &[
                "--persona",
                "entra",
                "--listen",
                "127.0.0.1:0",
                "--sp-metadata",
                "no/such/sp.xml",
            ],
            "no/such/sp.xml",
        ),
        (
            &[
                "--persona",
                "entra",
                "--listen",
                "127.0.0.1:0",
                "--sp-metadata",
                "fixtures/directory.yaml",
            ],
            "not SAML metadata",
        ),
        (
            &[
                "--persona",
                "entra",
                "--listen",
                "127.0.0.1:0",
                "--interval",
                "soon",
            ],
            "--interval",
        ),
        (
            &[
                "--persona",
                "entra",
                "--listen",
                "127.0.0.1:0",
                "--directory",
                "no/such.yaml",
            ],
            "no/such.yaml",
        ),
    ];
    for (args, says) in cases {
        let out = idp_serve(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{args:?}: expected {says:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
