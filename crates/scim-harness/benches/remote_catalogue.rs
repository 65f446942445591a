//! Whole-process benchmark: the whole catalogue against a remote-looking target. The
//! reference target runs as `scim-harness target serve` behind a loopback proxy that delays
//! every chunk by 25 ms in each direction (a 50 ms round trip), and the run's wall time is
//! reported next to (a) the embedded run's, measured in the same process, and (b) the bound
//! that round trips set: per configuration, the longest case's exchanges one after the
//! other, or all shared cases' exchanges spread over `--jobs`, whichever is longer, plus the
//! exclusive cases' exchanges one after the other. The bound counts every exchange of a case
//! as dependent on the one before; the sync engine's own concurrency can beat it.
//!
//! Run it with `cargo xtask bench remote-catalogue`; options: `--delay-ms D` (one way,
//! default 25), `--jobs J` (default: the runner's, 8).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "bench-token-not-a-secret";

/// Kills the child on drop so a failed run leaves no server behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let mut delay_ms: u64 = 25;
    let mut jobs: usize = 8;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| fail(&format!("{name} needs a number")))
        };
        match arg.as_str() {
            "--delay-ms" => delay_ms = number("--delay-ms"),
            "--jobs" => jobs = usize::try_from(number("--jobs")).unwrap_or(8).max(1),
            "--bench" => {}
            other => fail(&format!(
                "unknown argument `{other}` (expected --delay-ms D, --jobs J)"
            )),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let work = tempfile::tempdir().unwrap_or_else(|e| fail(&format!("a temporary folder: {e}")));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(&format!("tokio: {e}")));

    let embedded = timed_run(&root, work.path(), "embedded", &[], jobs);
    let proxy = rt
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|e| fail(&format!("binding the proxy: {e}")));
    let proxy_url = format!(
        "http://{}",
        proxy.local_addr().unwrap_or_else(|e| fail(&e.to_string()))
    );
    let (server, target_addr) = serve_target(&root, work.path(), &proxy_url);
    let delay = Duration::from_millis(delay_ms);
    rt.spawn(run_proxy(proxy, target_addr, delay));
    let profile = root.join("fixtures/profiles/reference.toml");
    let profile = profile.display().to_string();
    let args = ["--target", &profile, "--target-url", &proxy_url];
    let remote = timed_run(&root, work.path(), "remote", &args, jobs);
    drop(server);

    let round_trip = delay * 2;
    let bound = round_trip_bound(&remote.report, jobs, round_trip);
    println!(
        "remote catalogue, {delay_ms} ms each way ({} ms round trip), --jobs {jobs}:",
        round_trip.as_millis()
    );
    println!(
        "  embedded run        {:>8.2} s  ({})",
        embedded.wall.as_secs_f64(),
        embedded.summary
    );
    println!(
        "  behind the proxy    {:>8.2} s  ({})",
        remote.wall.as_secs_f64(),
        remote.summary
    );
    println!(
        "  round-trip bound    {:>8.2} s  ({} exchanges)",
        bound.time.as_secs_f64(),
        bound.exchanges
    );
    println!(
        "  ratios: remote/embedded {:.1}, remote/bound {:.2} (goal: remote <= 30 s and <= 1.5x the bound)",
        remote.wall.as_secs_f64() / embedded.wall.as_secs_f64().max(1e-9),
        remote.wall.as_secs_f64() / bound.time.as_secs_f64().max(1e-9)
    );
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}

struct Timed {
    wall: Duration,
    summary: String,
    report: serde_json::Value,
}

/// `scim-harness run` with `extra`, timed as a whole process; its JSON report is read back.
fn timed_run(root: &Path, work: &Path, name: &str, extra: &[&str], jobs: usize) -> Timed {
    let out = work.join(name);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .current_dir(root)
        .args([
            "run",
            "--seed",
            "1",
            "--format",
            "json",
            "--jobs",
            &jobs.to_string(),
        ])
        .arg("--out")
        .arg(&out)
        .args(extra)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("SCIM_HARNESS_TARGET_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| fail(&format!("running scim-harness: {e}")));
    let wall = started.elapsed();
    let text = std::fs::read_to_string(out.join("report.json")).unwrap_or_else(|e| {
        fail(&format!(
            "the {name} run wrote no report ({e}); status {}",
            output.status
        ))
    });
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| fail(&format!("the {name} report: {e}")));
    let s = &report["summary"];
    let summary = format!(
        "{} cases: {} passed, {} failed, {} errored",
        s["total"], s["passed"], s["failed"], s["errored"]
    );
    Timed {
        wall,
        summary,
        report,
    }
}

/// `target serve` with the fixture IdPs trusted, its public URL the proxy's (Grafana's
/// `[server] root_url`), on a free port; returns the process and where it listens.
fn serve_target(root: &Path, work: &Path, public_url: &str) -> (Server, String) {
    let ini = work.join("target.ini");
    let base = std::fs::read_to_string(root.join("fixtures/target/reference.ini"))
        .unwrap_or_else(|e| fail(&format!("fixtures/target/reference.ini: {e}")));
    // The ini's relative key paths name files beside it: point them at the fixtures.
    let fixtures = root.join("fixtures/target");
    let base = base.replace("= sp.", &format!("= {}/sp.", fixtures.display()));
    std::fs::write(&ini, format!("{base}\n[server]\nroot_url = {public_url}\n"))
        .unwrap_or_else(|e| fail(&format!("writing {}: {e}", ini.display())));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.args(["target", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(work.join("target.sqlite"))
        .arg("--config")
        .arg(&ini)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("RUST_LOG");
    for persona in ["entra", "okta", "rfc"] {
        cmd.arg("--idp-cert").arg(idp_metadata(root, work, persona));
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| fail(&format!("starting target serve: {e}")));
    let mut first = String::new();
    let stdout = child.stdout.take().unwrap_or_else(|| fail("no stdout"));
    BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap_or_else(|e| fail(&format!("reading the listen line: {e}")));
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| fail(&format!("unexpected first line of target serve: {first:?}")))
        .to_owned();
    (Server(child), addr)
}

/// The persona IdP's metadata, written by `scim-harness saml metadata`.
fn idp_metadata(root: &Path, work: &Path, persona: &str) -> PathBuf {
    let out = work.join(format!("{persona}.xml"));
    let status = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["saml", "metadata", "--persona", persona, "--cert"])
        .arg(root.join(format!("fixtures/idp/{persona}.cert.pem")))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| fail(&format!("saml metadata: {e}")));
    if !status.success() {
        fail(&format!(
            "saml metadata --persona {persona} failed: {status}"
        ));
    }
    out
}

/// Forward every connection to `target`, each chunk in each direction `delay` late.
async fn run_proxy(listener: TcpListener, target: String, delay: Duration) {
    while let Ok((client, _)) = listener.accept().await {
        let target = target.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(&target).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::join!(delayed_copy(cr, sw, delay), delayed_copy(sr, cw, delay));
        });
    }
}

/// Copy `from` to `to`, each chunk written `delay` after it was read, in order, so the
/// link has latency but no bandwidth limit.
async fn delayed_copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let due = tokio::time::Instant::now() + delay;
                if tx.send((due, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

struct Bound {
    time: Duration,
    exchanges: usize,
}

/// What round trips alone cost the run in `report`, as the module documentation says:
/// per configuration, max(longest shared case, shared exchanges / jobs) plus every
/// exclusive case in turn.
fn round_trip_bound(report: &serde_json::Value, jobs: usize, round_trip: Duration) -> Bound {
    #[derive(Default)]
    struct PerConfig {
        longest: usize,
        shared: usize,
        exclusive: usize,
    }
    let exclusive = exclusive_scenarios();
    let mut configs: BTreeMap<String, PerConfig> = BTreeMap::new();
    let mut total = 0;
    for case in report["cases"].as_array().into_iter().flatten() {
        let n = case["transcript"]
            .as_array()
            .map_or(0, |t| t.iter().filter(|e| e["kind"] == "http").count());
        total += n;
        let config = case["config"].as_str().unwrap_or_default().to_owned();
        let c = configs.entry(config).or_default();
        if exclusive.contains(case["scenario"].as_str().unwrap_or_default()) {
            c.exclusive += n;
        } else {
            c.longest = c.longest.max(n);
            c.shared += n;
        }
    }
    let chains: usize = configs
        .values()
        .map(|c| c.longest.max(c.shared.div_ceil(jobs)) + c.exclusive)
        .sum();
    Bound {
        time: round_trip * u32::try_from(chains).unwrap_or(u32::MAX),
        exchanges: total,
    }
}

/// Scenario ids that run alone (`exclusive: true`), from the catalogue on disk.
fn exclusive_scenarios() -> std::collections::BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut out = std::collections::BTreeSet::new();
    let Ok(catalogue) = conformance::Catalogue::load(&root) else {
        return out;
    };
    for s in &catalogue.scenarios {
        if s.scenario.exclusive {
            out.insert(s.scenario.id.clone());
        }
    }
    out
}
