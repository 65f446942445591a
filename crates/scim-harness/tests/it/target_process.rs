//! A `scim-harness target serve` child process, started on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const TOKEN: &str = "test-token-not-a-secret";
pub const SCIM_BASE: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";

/// A running reference target; killed (SIGKILL) on drop if still alive.
pub struct TargetProcess {
    pub child: Child,
    pub url: String,
}

impl TargetProcess {
    /// Starts the binary on `db` and waits for it to print where it listens.
    pub fn start(db: &Path) -> TargetProcess {
        TargetProcess::start_with(db, &[])
    }

    /// [`TargetProcess::start`] with further `target serve` flags.
    pub fn start_with(db: &Path, extra: &[&str]) -> TargetProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(["target", "serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .arg("--config")
            .arg(reference_ini())
            .args(extra)
            .env_remove("SCIM_HARNESS_NAMESPACE")
            .env("SCIM_HARNESS_TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning scim-harness target serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("reading the listen line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from serve: {first:?}"))
            .to_string();
        TargetProcess { child, url }
    }

    pub fn scim(&self, resource: &str) -> String {
        format!("{}{SCIM_BASE}/{resource}", self.url)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TargetProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn reference_ini() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/target/reference.ini")
}

/// A plain SCIM user body as an RFC client sends it.
pub fn user_body(n: usize) -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("user{n}@example.test"),
        "externalId": format!("ext-{n}"),
        "displayName": format!("User {n}"),
        "active": true,
        "emails": [{"value": format!("user{n}@example.test"), "type": "work", "primary": true}]
    })
}

/// Every userName the target lists, following startIndex/count paging.
pub async fn list_user_names(client: &reqwest::Client, target: &TargetProcess) -> Vec<String> {
    let mut names = Vec::new();
    let mut start = 1;
    loop {
        let page: serde_json::Value = client
            .get(target.scim("Users"))
            .query(&[
                ("startIndex", start.to_string()),
                ("count", "500".to_string()),
            ])
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("listing users")
            .error_for_status()
            .expect("listing users status")
            .json()
            .await
            .expect("list body");
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        if resources.is_empty() {
            break;
        }
        start += resources.len();
        names.extend(
            resources
                .iter()
                .map(|r| r["userName"].as_str().expect("userName").to_string()),
        );
        if start as u64 > page["totalResults"].as_u64().expect("totalResults") {
            break;
        }
    }
    names
}

/// The process exited with `code`; otherwise fail showing what it printed.
#[track_caller]
pub fn assert_exit(o: &std::process::Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
