//! `cargo xtask interop`: the scim-only profile against an independent RFC 7644 server,
//! PyPI's `scim2-server` (pinned), in a virtualenv under `target/`. Every failure left must
//! be a real deviation of that server or a real interop gap with Entra/Okta traffic, each
//! listed with its reason in `fixtures/interop/scim2-server.baseline.toml`; a stale entry
//! fails the run too (the runner's baseline rules).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::{harness_run, run, target_dir, workspace_root};

/// The peer and its version: a change of version is a change of the baseline's subject.
pub(crate) const SCIM2_SERVER: &str = "scim2-server==0.8.3";

/// `scim2-server` in a virtualenv under `target/`, installed on first use.
pub(crate) fn scim2_server() -> anyhow::Result<PathBuf> {
    let venv = target_dir().join("scim2-server-venv");
    let exe = venv.join("bin/scim2-server");
    if !exe.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("creating a Python virtualenv (python3 with the venv module is needed)")?;
        run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            SCIM2_SERVER,
        ]))
        .with_context(|| format!("installing {SCIM2_SERVER} from PyPI"))?;
    }
    Ok(exe)
}

/// The server process, stopped when dropped (also on an error path).
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn interop(args: &[String]) -> anyhow::Result<ExitCode> {
    let exe = scim2_server()?;
    let (binary, _) = crate::harness_binary()?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("finding a free loopback port")?
        .port();
    // A throwaway token for a loopback server that lives as long as this command.
    let token = format!("interop-{}-{port}", std::process::id());
    let out = target_dir().join("interop");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let log = std::fs::File::create(out.join("scim2-server.log"))
        .with_context(|| format!("creating {}", out.join("scim2-server.log").display()))?;
    // `--tenant scim` serves the RFC paths under /scim/v2, the scim-only profile's path.
    let child = Command::new(&exe)
        .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
        .args(["--bearer-token", &token, "--tenant", "scim"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let _peer = Peer(child);
    wait_for(port)?;
    let root = workspace_root();
    let url = format!("http://127.0.0.1:{port}");
    println!("interop: {SCIM2_SERVER} at {url}, profile fixtures/profiles/scim-only.toml");
    let status = harness_run(&binary)
        .arg("--target")
        .arg(root.join("fixtures/profiles/scim-only.toml"))
        .args(["--target-url", &url, "--seed", "1"])
        .arg("--baseline")
        .arg(root.join("fixtures/interop/scim2-server.baseline.toml"))
        .args(["--format", "human", "--format", "json", "--out"])
        .arg(out.join("report"))
        .args(args)
        .env("SCIM_HARNESS_TOKEN", &token)
        .status()
        .context("starting scim-harness")?;
    let code = status.code().unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// Until the server accepts connections (Python starts in about a second).
fn wait_for(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("scim2-server did not listen on 127.0.0.1:{port} within 30 s (see target/interop/scim2-server.log)")
}
