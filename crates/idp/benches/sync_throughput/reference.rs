//! `--reference`: the memory sync against the reference target, in a process of its own
//! (this bench started with `--serve-reference DIR`), with the target's own rate, CPU
//! time and peak RSS read from its `/proc/PID` files.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The token the reference target is started with (it checks it).
pub const TOKEN: &str = "glsa_reference_bench_token";
/// Where the reference target serves SCIM (Grafana's path).
pub const SCIM_PATH: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";

/// `--serve-reference DIR`: the reference target on a multi-thread runtime, its database
/// in DIR; prints `listening ADDR`, serves until stdin closes.
pub fn serve(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("building the target's runtime");
    let ini = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/target/reference.ini");
    let opts = reference_target::ServeOptions {
        listen: "127.0.0.1:0".parse().expect("a loopback address"),
        db: dir.join("grafana.db"),
        config_ini: Some(ini),
        token: TOKEN.into(),
        idp_certs: Vec::new(),
        namespace: None,
        root_url: None,
        tls: None,
    };
    let target = runtime
        .block_on(reference_target::spawn(
            opts,
            reference_target::FaultSet::none(),
        ))
        .expect("starting the reference target");
    println!("listening {}", target.addr());
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
    drop(target);
}

/// The reference target process; ends with the bench.
pub struct ReferenceTarget {
    child: std::process::Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl ReferenceTarget {
    pub fn start() -> Result<ReferenceTarget, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("a folder for the target's db: {e}"))?;
        let exe = std::env::current_exe().map_err(|e| format!("locating the bench: {e}"))?;
        let mut child = Command::new(exe)
            .arg("--serve-reference")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawning the bench with --serve-reference: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line);
        }
        match line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
        {
            Some(addr) => Ok(ReferenceTarget {
                child,
                addr,
                _dir: dir,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("expected `listening ADDR`, got {:?}", line.trim()))
            }
        }
    }

    pub fn scim_url(&self) -> String {
        format!("http://{}{SCIM_PATH}", self.addr)
    }

    /// CPU seconds the target has used so far.
    pub fn cpu(&self) -> Option<f64> {
        super::proc_cpu(&format!("/proc/{}/stat", self.child.id())).map(|(own, _)| own)
    }

    /// The target's peak resident set in MiB.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        super::vm_hwm_mb(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for ReferenceTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
