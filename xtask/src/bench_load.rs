//! `cargo xtask bench load`: what load mode's measurement costs. In one run, against the
//! sync bench's loopback responder (a process of its own): `idp sync` load mode with its
//! latency recording, the same with `--no-metrics`, and wrk sending the engine's own
//! lookup and create; prints the rates and their ratios (issue 19: overhead under 5%,
//! load mode at or above 0.46 of wrk). Then the sync bench's 1,000,000-user memory run.
//!
//! `cargo xtask bench load -- [--users N] [--rounds N] [--no-memory]`

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

use anyhow::{bail, Context};

use crate::{cargo, target_dir, EXIT_USAGE};

/// The responder accepts any token; the profile wants one.
const TOKEN: &str = "bench-token";
/// Requests in flight, for load mode (`--concurrency`) and wrk (`-c`).
const CONCURRENCY: usize = 8;
const WRK_SECONDS: u32 = 5;

struct Options {
    users: usize,
    rounds: usize,
    memory: bool,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        users: 50_000,
        rounds: 5,
        memory: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} needs a number above zero"))
        };
        match a.as_str() {
            "--users" => o.users = number("--users")?,
            "--rounds" => o.rounds = number("--rounds")?,
            "--no-memory" => o.memory = false,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}

pub fn bench_load(args: &[String]) -> anyhow::Result<ExitCode> {
    let o = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: bench load: {e}\nusage: cargo xtask bench load -- [--users N] [--rounds N] [--no-memory]");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    // One cargo call for both, so the two resolve the same features and a second run
    // compiles nothing.
    let built = built(
        &[
            "build",
            "--release",
            "--locked",
            "--package",
            "scim-harness",
            "--package",
            "idp",
            "--bin",
            "scim-harness",
            "--bench",
            "sync_throughput",
        ],
        &["scim-harness", "sync_throughput"],
    )?;
    let (harness, responder_exe) = (&built[0], &built[1]);
    let work = target_dir().join("bench-load");
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let responder = Responder::start(responder_exe)?;
    let url = format!("http://{}", responder.addr);
    println!(
        "responder: {url} (the sync bench's, its own process); {} users, concurrency {CONCURRENCY}, {} rounds",
        o.users, o.rounds
    );

    // (a) and (b) alternate, so a busy moment of the shared machine hits both. Besides
    // the rate, each run reports the CPU its process spent in the cycle: per request, a
    // figure a neighbour's load disturbs less than the wall-clock rate.
    let (mut measured, mut counted, mut cpu_ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=o.rounds {
        let a = load_run(harness, &url, o.users, false)?;
        let b = load_run(harness, &url, o.users, true)?;
        println!(
            "round {round}: recording {:.0} req/s, {:.1} µs CPU/request; --no-metrics {:.0} req/s, {:.1} µs CPU/request",
            a.rate,
            a.cpu_us_per_request,
            b.rate,
            b.cpu_us_per_request
        );
        measured.push(a.rate);
        counted.push(b.rate);
        if b.cpu_us_per_request > 0.0 {
            cpu_ratios.push(a.cpu_us_per_request / b.cpu_us_per_request);
        }
    }
    let a = median(&mut measured);
    let b = median(&mut counted);
    let cpu_ratio = median(&mut cpu_ratios);
    let c = match crate::system_packages::ensure_tool("wrk") {
        Ok(()) => {
            let script = wrk_script(harness, &url, &work)?;
            wrk(&url, &script)
        }
        Err(err) => {
            eprintln!("note: wrk is not available, the baseline is not measured: {err:#}");
            None
        }
    };
    println!("\nload mode, latencies recorded (a): {a:>10.0} requests/s (median)");
    println!("load mode, --no-metrics       (b): {b:>10.0} requests/s (median)");
    match c {
        Some(c) => println!("wrk, the engine's GET and POST (c): {c:>10.0} requests/s"),
        None => println!("wrk                           (c): not measured"),
    }
    println!(
        "measurement overhead 1 - a/b: {:.1}% of the rate (goal: under 5%); CPU per request {:+.1}% (median of the rounds' ratios)",
        (1.0 - a / b) * 100.0,
        (cpu_ratio - 1.0) * 100.0
    );
    if let Some(c) = c {
        println!("a/c: {:.2} (goal: at or above 0.46)", a / c);
    }
    drop(responder);

    if o.memory {
        println!("\n== the sync engine's peak memory over 1,000,000 users (sync bench --memory)");
        // The bench executable built above, run as `cargo bench` runs it.
        let status = Command::new(responder_exe)
            .args(["--bench", "--memory", "--users", "1000000"])
            .current_dir(crate::workspace_root().join("crates/idp"))
            .status()
            .with_context(|| format!("starting {}", responder_exe.display()))?;
        if !status.success() {
            println!("note: the 1,000,000-user memory run did not complete ({status})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `cargo ARGS --message-format json-render-diagnostics` and returns the executables
/// of the targets named `names`, in that order.
fn built(args: &[&str], names: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let mut cmd = cargo();
    cmd.args(args)
        .args(["--message-format", "json-render-diagnostics"])
        .stdout(Stdio::piped());
    let out = cmd
        .spawn()
        .and_then(|c| c.wait_with_output())
        .with_context(|| format!("starting {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed with {}", out.status);
    }
    let messages: Vec<serde_json::Value> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .filter(|m: &serde_json::Value| m["reason"] == "compiler-artifact")
        .collect();
    names
        .iter()
        .map(|name| {
            messages
                .iter()
                .filter(|m| m["target"]["name"] == *name)
                .find_map(|m| m["executable"].as_str().map(PathBuf::from))
                .with_context(|| format!("{cmd:?} named no executable for {name}"))
        })
        .collect()
}

/// The sync bench's responder (`--serve`); it ends when its stdin closes.
struct Responder {
    child: Child,
    addr: String,
}

impl Responder {
    fn start(exe: &Path) -> anyhow::Result<Responder> {
        let mut child = Command::new(exe)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {} --serve", exe.display()))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        match line.trim().strip_prefix("listening ") {
            Some(addr) => Ok(Responder {
                addr: addr.to_owned(),
                child,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the responder printed {:?}, not `listening ADDR`",
                    line.trim()
                )
            }
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn idp_sync(harness: &Path, url: &str) -> Command {
    let mut cmd = Command::new(harness);
    cmd.args(["idp", "sync", "--persona", "entra", "--target", "scim-only"])
        .args(["--target-url", url])
        .env("SCIM_HARNESS_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

/// What one load run reported.
struct LoadFigures {
    rate: f64,
    /// The harness's CPU time in the cycle per request, 0 when not reported.
    cpu_us_per_request: f64,
}

/// One initial cycle of `users` generated users in load mode; what it reports
/// ("overall: N requests in S s (R/s), E errors; client CPU C s").
fn load_run(
    harness: &Path,
    url: &str,
    users: usize,
    no_metrics: bool,
) -> anyhow::Result<LoadFigures> {
    let mut cmd = idp_sync(harness, url);
    cmd.args(["--generate-users", &users.to_string()]).args([
        "--cycles",
        "1",
        "--concurrency",
        &CONCURRENCY.to_string(),
    ]);
    if no_metrics {
        cmd.arg("--no-metrics");
    }
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{cmd:?} failed with {}:\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let figures = stdout.lines().find_map(|l| {
        let rest = l.strip_prefix("overall: ")?;
        let (requests, rest) = rest.split_once(" requests in ")?;
        let seconds = rest.split_once(" s ")?.0;
        let (requests, seconds): (f64, f64) = (requests.parse().ok()?, seconds.parse().ok()?);
        let cpu: f64 = rest
            .split_once("client CPU ")
            .and_then(|(_, c)| c.trim_end_matches(" s").parse().ok())
            .unwrap_or(0.0);
        (seconds > 0.0 && requests > 0.0).then(|| LoadFigures {
            rate: requests / seconds,
            cpu_us_per_request: cpu * 1e6 / requests,
        })
    });
    figures.with_context(|| format!("no `overall:` line in the output of {cmd:?}:\n{stdout}"))
}

/// A wrk script sending, alternately, the two requests load mode sends per user in an
/// initial cycle (the lookup GET and the create POST) with the engine's own headers and
/// body, read from the transcript of a one-user run (the token put back in).
fn wrk_script(harness: &Path, url: &str, work: &Path) -> anyhow::Result<PathBuf> {
    let transcript = work.join("one-user.jsonl");
    let mut cmd = idp_sync(harness, url);
    cmd.args(["--generate-users", "1", "--cycles", "1", "--transcript"])
        .arg(&transcript)
        .stdout(Stdio::null());
    crate::run(&mut cmd)?;
    let text = std::fs::read_to_string(&transcript)
        .with_context(|| format!("reading {}", transcript.display()))?;
    let exchanges: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let user = &exchanges[exchanges.len().saturating_sub(2)..];
    let methods: Vec<&str> = user.iter().filter_map(|e| e["method"].as_str()).collect();
    if methods != ["GET", "POST"] {
        bail!("the one-user transcript ends with {methods:?}, not a GET and a POST");
    }
    let mut lua = String::from("local reqs = {\n");
    for e in user {
        let mut headers = Vec::new();
        let mut accept = false;
        for h in e["request_headers"].as_array().into_iter().flatten() {
            let (k, v) = (h[0].as_str().unwrap_or(""), h[1].as_str().unwrap_or(""));
            accept |= k == "accept";
            let v = if k == "authorization" {
                format!("Bearer {TOKEN}")
            } else {
                v.to_owned()
            };
            headers.push(format!("[{}] = {}", lua_string(k), lua_string(&v)));
        }
        if !accept {
            headers.push("[\"accept\"] = \"*/*\"".to_owned());
        }
        let body = match &e["request_body"] {
            serde_json::Value::Null => "nil".to_owned(),
            b => lua_string(&b.to_string()),
        };
        let full = e["url"].as_str().unwrap_or("");
        let path = full
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/");
        lua.push_str(&format!(
            "  wrk.format({}, {}, {{{}}}, {body}),\n",
            lua_string(e["method"].as_str().unwrap_or("GET")),
            lua_string(path),
            headers.join(", ")
        ));
    }
    lua.push_str(
        "}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return reqs[(n % 2) + 1]\nend\n",
    );
    let script = work.join("engine-requests.lua");
    std::fs::write(&script, lua).with_context(|| format!("writing {}", script.display()))?;
    Ok(script)
}

/// A Lua long string holding `s` verbatim.
fn lua_string(s: &str) -> String {
    let mut level = 0;
    while s.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let eq = "=".repeat(level);
    format!("[{eq}[{s}]{eq}]")
}

/// wrk's requests/s with the script, as many connections as load mode's concurrency.
fn wrk(url: &str, script: &Path) -> Option<f64> {
    let out = Command::new("wrk")
        .args([
            "-t2".to_owned(),
            format!("-c{CONCURRENCY}"),
            format!("-d{WRK_SECONDS}s"),
        ])
        .arg("-s")
        .arg(script)
        .arg(format!("{url}/scim/v2/Users"))
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
