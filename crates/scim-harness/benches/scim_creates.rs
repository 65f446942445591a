//! Whole-process benchmark: SCIM user creates per second over loopback keep-alive, with p50/p99
//! latency, against the reference target and (when `SCIM_BENCH_PYTHON_SERVER` names a
//! `scim2-server` executable) a Python SCIM server measured in the same run as the baseline.
//!
//! Run it with `cargo xtask bench` (which prepares the Python baseline); options:
//! `--requests N` (default 20000), `--concurrency C` (default 32).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token-not-a-secret";

struct Load {
    requests: usize,
    concurrency: usize,
}

struct Figures {
    creates_per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Kills the child on drop so a failed run leaves no server behind.
struct Server {
    child: Child,
    users_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    let mut load = Load {
        requests: 20_000,
        concurrency: 32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--requests" => load.requests = parse_next(&mut args, "--requests"),
            "--concurrency" => load.concurrency = parse_next(&mut args, "--concurrency"),
            "--bench" => {} // passed by `cargo bench`
            other => {
                eprintln!(
                    "error: unknown argument `{other}` (expected --requests N, --concurrency C)"
                );
                std::process::exit(2);
            }
        }
    }
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");

    let dir = tempfile::tempdir().expect("temporary directory");
    let target = start_reference_target(&dir.path().join("bench.sqlite"));
    let ours = rt.block_on(measure(&target.users_url, &load));
    drop(target);
    report("reference target (Rust, SQLite)", &ours);

    match std::env::var_os("SCIM_BENCH_PYTHON_SERVER") {
        Some(exe) => {
            let python = start_python_server(&exe);
            // scim2-server's CLI serves one connection at a time and answers HTTP/1.0 (no
            // keep-alive), so concurrent clients only queue and break; one client is its best case.
            // The interpreted server is slower; a smaller load gives a stable rate in less time.
            let baseline_load = Load { requests: load.requests.min(4_000), concurrency: 1 };
            let theirs = rt.block_on(measure(&python.users_url, &baseline_load));
            drop(python);
            report("baseline: scim2-server (Python, in memory)", &theirs);
            println!(
                "ratio: reference target creates/s = {:.1} x the Python baseline (goal: >= 10 x)",
                ours.creates_per_second / theirs.creates_per_second
            );
        }
        None => println!(
            "baseline: not measured (set SCIM_BENCH_PYTHON_SERVER to a scim2-server executable; `cargo xtask bench` does)"
        ),
    }
}

fn parse_next(args: &mut impl Iterator<Item = String>, flag: &str) -> usize {
    args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        eprintln!("error: {flag} needs a positive number");
        std::process::exit(2)
    })
}

fn start_reference_target(db: &std::path::Path) -> Server {
    let ini = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/target/reference.ini");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["target", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--config")
        .arg(ini)
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawning scim-harness target serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reading the listen line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listen line")
        .to_string();
    Server {
        child,
        users_url: format!("{base}/apis/scim.grafana.app/v0alpha1/namespaces/default/Users"),
    }
}

fn start_python_server(exe: &std::ffi::OsStr) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(exe)
        .args([
            "--hostname",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--bearer-token",
            TOKEN,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning scim2-server");
    let server = Server {
        child,
        users_url: format!("http://127.0.0.1:{port}/Users"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "scim2-server did not listen within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

fn user_body(n: usize) -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("bench{n}@example.test"),
        "externalId": format!("ext-{n}"),
        "displayName": format!("Bench User {n}"),
        "name": {"givenName": "Bench", "familyName": format!("User {n}")},
        "active": true,
        "emails": [{"value": format!("bench{n}@example.test"), "type": "work", "primary": true}]
    })
}

/// Sends `load.requests` creates from `load.concurrency` tasks sharing one keep-alive pool.
async fn measure(users_url: &str, load: &Load) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(load.concurrency)
        .build()
        .expect("http client");
    // Warm up connections and caches.
    for n in 0..200 {
        post(&client, users_url, usize::MAX / 2 + n).await;
    }
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..load.concurrency {
        let client = client.clone();
        let url = users_url.to_string();
        let next = next.clone();
        let total = load.requests;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return latencies;
                }
                let t = Instant::now();
                post(&client, &url, n).await;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::with_capacity(load.requests);
    for task in tasks {
        latencies.extend(task.await.expect("load task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        creates_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
    }
}

async fn post(client: &reqwest::Client, url: &str, n: usize) {
    let resp = client
        .post(url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/scim+json")
        .body(user_body(n).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {n}: {e}"));
    let status = resp.status();
    assert_eq!(status.as_u16(), 201, "create {n} answered {status}");
}

fn report(name: &str, f: &Figures) {
    println!(
        "{name}: {:.0} creates/s, p50 {:.2} ms, p99 {:.2} ms",
        f.creates_per_second,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3
    );
}
