//! The two servers the browser test logs in between, as processes of the real binary:
//! `scim-harness idp serve` (the mock IdP with its admin page and API) and `scim-harness
//! target serve` (the reference target) on a port chosen before it starts, since the IdP
//! must know the target's ACS URL first. Each is killed when dropped; its stdout lines are
//! read on a thread, its stderr goes to `target/browser-artifacts/<name>.log`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::driver::artifacts_dir;

/// The bearer token both servers share for SCIM (a test value, passed through the
/// environment, never on a command line).
pub const TOKEN: &str = "browser-test-token-not-a-secret";

/// How long a server may take to print a line it is expected to print.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn workspace(rest: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rest)
}

/// A running `scim-harness` server; killed when dropped.
pub struct Served {
    name: &'static str,
    child: Child,
    lines: Receiver<String>,
}

impl Served {
    /// Starts `scim-harness ARGS` from the workspace root with the token in the
    /// environment.
    pub fn start(name: &'static str, args: &[&str]) -> Served {
        let log_path = artifacts_dir().join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(args)
            .current_dir(workspace(""))
            .env("SCIM_HARNESS_TOKEN", TOKEN)
            .env_remove("SCIM_HARNESS_TARGET_URL")
            .env_remove("SCIM_HARNESS_NAMESPACE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting scim-harness {}: {e}", args.join(" ")));
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Served { name, child, lines }
    }

    /// Waits for the next stdout line holding `marker` (earlier lines are passed over) and
    /// returns what follows the marker, trimmed.
    pub fn line_after(&self, marker: &str) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some((_, rest)) = line.split_once(marker) {
                        return rest.trim().to_owned();
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no line with {marker:?} within {START_TIMEOUT:?} (log: {})",
                    self.name,
                    self.log().display()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: stdout ended before a line with {marker:?}; log {}:\n{}",
                    self.name,
                    self.log().display(),
                    std::fs::read_to_string(self.log()).unwrap_or_default()
                ),
            }
        }
    }

    fn log(&self) -> PathBuf {
        artifacts_dir().join(format!("{}.log", self.name))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `idp serve` for one persona, its SP the reference target at `target_url`, and the
/// URLs it prints; the process lives as long as this value.
pub struct IdpServe {
    _served: Served,
    pub url: String,
    pub metadata: String,
    pub admin: String,
}

impl IdpServe {
    pub fn start(persona: &str, target_url: &str) -> IdpServe {
        let acs = format!("{target_url}/saml/acs");
        let entity_id = format!("{target_url}/saml/metadata");
        let profile = workspace("fixtures/profiles/reference.toml");
        let directory = workspace("fixtures/directory.yaml");
        let served = Served::start(
            "idp-serve",
            &[
                "idp",
                "serve",
                "--persona",
                persona,
                "--listen",
                "127.0.0.1:0",
                "--directory",
                &directory.display().to_string(),
                "--sp-acs",
                &acs,
                "--sp-entity-id",
                &entity_id,
                "--target",
                &profile.display().to_string(),
                "--target-url",
                target_url,
            ],
        );
        // `idp serve: listening on URL`, then per persona `entra: metadata: URL`, …
        let url = served.line_after("listening on ");
        let metadata = served.line_after("metadata: ");
        let admin = served.line_after("admin: ");
        IdpServe {
            _served: served,
            url,
            metadata,
            admin,
        }
    }
}

/// `target serve` on `listen`, trusting the IdPs described by the metadata files; the
/// log is `target/browser-artifacts/<name>.log`.
pub fn start_target(
    name: &'static str,
    listen: &str,
    db: &Path,
    idp_metadata: &[&Path],
) -> (Served, String) {
    let ini = workspace("fixtures/target/reference.ini");
    let mut args: Vec<String> = [
        "target",
        "serve",
        "--listen",
        listen,
        "--db",
        &db.display().to_string(),
        "--config",
        &ini.display().to_string(),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    for metadata in idp_metadata {
        args.push("--idp-cert".into());
        args.push(metadata.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let served = Served::start(name, &args);
    let url = served.line_after("listening on ");
    (served, url)
}
