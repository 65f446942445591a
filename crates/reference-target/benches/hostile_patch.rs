//! Hostile PATCH bodies against the reference target (issue 19), over a loopback socket
//! to an in-process target (`reference_target::spawn`, two runtime workers):
//!
//! (a) Growth: one PATCH adding N values (N = 1k, 4k, 8k, 10k) to a fresh user, spread
//!     over ⌈N / 1000⌉ multi-valued attributes so every attribute stays at the cap; the
//!     median time per size and its ratio to 1k (linear: 4, 8, 10; quadratic: 16, 64,
//!     100).
//! (b) Stall: a normal writer's PATCH latency (replace `displayName`, one at a time) alone,
//!     then while one hostile client sends, back to back, 10,000-value `emails` PATCHes
//!     (refused at the cap), then while it sends the largest PATCH the cap allows (replace
//!     `emails` with 1,000 values). p50 and p99 of each, and their ratio to the writer alone.
//! (c) Memory: the process's resident set (`VmRSS`; target and client share the process)
//!     before and after 2,000 hostile 10,000-value PATCHes (489 KB each).
//!
//! `cargo bench -p reference-target --bench hostile_patch`. Environment:
//! `HOSTILE_BENCH_SAMPLES` (default 200) normal-writer PATCHes per phase;
//! `HOSTILE_BENCH_FLOOD` (default 2000) hostile PATCHes in (c).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TOKEN: &str = "hostile-bench-token";
const BASE: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CAP: usize = reference_target::MAX_VALUES_PER_ATTRIBUTE;
/// Multi-valued attributes a user can be given `{"value": …}` elements in: the core
/// schema's (but `emails`, which the user is created with), then attributes no schema
/// defines (stored as given).
const ATTRIBUTES: [&str; 10] = [
    "phoneNumbers",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "benchTagsA",
    "benchTagsB",
    "benchTagsC",
    "benchTagsD",
    "benchTagsE",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn values(prefix: &str, n: usize) -> Value {
    (0..n)
        .map(|i| json!({"value": format!("{prefix}-{i:05}@example.test"), "type": "other"}))
        .collect()
}

fn patch(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

/// One PATCH adding `n` values, at most [`CAP`] to each attribute.
fn add_spread(n: usize) -> Value {
    let ops = ATTRIBUTES
        .iter()
        .enumerate()
        .map(|(i, attr)| (attr, n.saturating_sub(i * CAP).min(CAP)))
        .filter(|(_, count)| *count > 0)
        .map(|(attr, count)| json!({"op": "add", "path": attr, "value": values(attr, count)}))
        .collect();
    patch(ops)
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn send(&self, method: reqwest::Method, path: &str, body: &[u8]) -> (u16, Duration) {
        let start = Instant::now();
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/scim+json")
            .body(body.to_vec())
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        response.bytes().await.expect("response read");
        (status, start.elapsed())
    }

    async fn create_user(&self, name: &str) -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "externalId": name, "userName": format!("{name}@example.test"), "active": true,
            "emails": [{"value": format!("{name}@example.test"), "type": "work", "primary": true}],
        });
        let response = self
            .http
            .post(format!("{}{BASE}/Users", self.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("create sent");
        assert_eq!(response.status().as_u16(), 201, "creating {name}");
        let created: Value = response.json().await.expect("created user");
        created["id"].as_str().expect("id").to_owned()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The normal writer: `samples` PATCHes renaming `id`, one at a time; sorted latencies.
async fn normal_writer(client: &Client, id: &str, samples: usize) -> Vec<Duration> {
    let path = format!("{BASE}/Users/{id}");
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let body = patch(vec![
            json!({"op": "replace", "path": "displayName", "value": format!("Normal {i}")}),
        ]);
        let (status, took) = client
            .send(reqwest::Method::PATCH, &path, body.to_string().as_bytes())
            .await;
        assert_eq!(status, 200, "normal writer PATCH");
        latencies.push(took);
    }
    latencies.sort();
    latencies
}

/// Runs `normal_writer` while a hostile client sends `body` to `path` back to back.
async fn under_flood(
    client: &Arc<Client>,
    id: &str,
    samples: usize,
    path: String,
    body: Vec<u8>,
    expect: u16,
) -> (Vec<Duration>, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let hostile = {
        let (client, stop) = (Arc::clone(client), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) {
                let (status, _) = client.send(reqwest::Method::PATCH, &path, &body).await;
                assert_eq!(status, expect, "hostile PATCH");
                sent += 1;
            }
            sent
        })
    };
    // Let the flood start before measuring.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let latencies = normal_writer(client, id, samples).await;
    stop.store(true, Ordering::Relaxed);
    let sent = hostile.await.expect("hostile client");
    (latencies, sent)
}

fn main() {
    let samples = env_usize("HOSTILE_BENCH_SAMPLES", 200);
    let flood = env_usize("HOSTILE_BENCH_FLOOD", 2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let ini = dir.path().join("grafana.ini");
    std::fs::write(
        &ini,
        "[auth.scim]\nuser_sync_enabled = true\ngroup_sync_enabled = true\n",
    )
    .expect("ini");
    runtime.block_on(async {
        let running = reference_target::spawn(
            reference_target::ServeOptions {
                listen: "127.0.0.1:0".parse().expect("address"),
                db: dir.path().join("target.db"),
                config_ini: Some(ini),
                token: TOKEN.to_owned(),
                idp_certs: Vec::new(),
                namespace: None,
                root_url: None,
                tls: None,
            },
            reference_target::FaultSet::none(),
        )
        .await
        .expect("target started");
        let client = Arc::new(Client {
            http: reqwest::Client::new(),
            base: running.base_url(),
        });

        println!("(a) one PATCH adding N values to a fresh user (median of 5)");
        let mut growth = Vec::new();
        for n in [1_000, 4_000, 8_000, 10_000] {
            let body = add_spread(n).to_string();
            let mut runs = Vec::new();
            for run in 0..5 {
                let id = client.create_user(&format!("grow-{n}-{run}")).await;
                let (status, took) = client
                    .send(
                        reqwest::Method::PATCH,
                        &format!("{BASE}/Users/{id}"),
                        body.as_bytes(),
                    )
                    .await;
                assert_eq!(status, 200, "growth PATCH of {n}");
                runs.push(took);
            }
            runs.sort();
            growth.push((n, runs[2], body.len()));
        }
        let base = growth[0].1.as_secs_f64();
        for (n, t, bytes) in &growth {
            println!(
                "  N = {n:>6} ({:>4} KB): {:>8.2} ms   ratio to 1k {:>5.2}   (linear {:>4.1}, quadratic {:>5.1})",
                bytes / 1000,
                ms(*t),
                t.as_secs_f64() / base,
                *n as f64 / 1000.0,
                (*n as f64 / 1000.0).powi(2)
            );
        }

        let normal = client.create_user("normal").await;
        let target = client.create_user("hostile").await;
        let hostile_path = format!("{BASE}/Users/{target}");
        let over_cap = patch(vec![
            json!({"op": "add", "path": "emails", "value": values("hostile", 10_000)}),
        ])
        .to_string()
        .into_bytes();
        let at_cap = patch(vec![
            json!({"op": "replace", "path": "emails", "value": values("cap", CAP)}),
        ])
        .to_string()
        .into_bytes();

        println!("(b) a normal writer's PATCH latency, {samples} PATCHes per phase");
        let alone = normal_writer(&client, &normal, samples).await;
        let (over, over_sent) = under_flood(
            &client,
            &normal,
            samples,
            hostile_path.clone(),
            over_cap.clone(),
            400,
        )
        .await;
        let (cap, cap_sent) =
            under_flood(&client, &normal, samples, hostile_path.clone(), at_cap, 200).await;
        let (p50, p99) = (percentile(&alone, 0.5), percentile(&alone, 0.99));
        println!("  alone:                                p50 {:>7.2} ms  p99 {:>7.2} ms", ms(p50), ms(p99));
        for (what, l, sent) in [
            ("beside 10,000-value PATCHes (refused)", &over, over_sent),
            ("beside 1,000-value PATCHes (accepted)", &cap, cap_sent),
        ] {
            let (q50, q99) = (percentile(l, 0.5), percentile(l, 0.99));
            println!(
                "  {what}: p50 {:>7.2} ms  p99 {:>7.2} ms   ratio to alone p50 {:>5.2} p99 {:>5.2}   ({sent} hostile PATCHes meanwhile)",
                ms(q50),
                ms(q99),
                q50.as_secs_f64() / p50.as_secs_f64(),
                q99.as_secs_f64() / p99.as_secs_f64(),
            );
        }

        println!("(c) resident memory over {flood} hostile 10,000-value PATCHes ({} KB each)", over_cap.len() / 1000);
        let before = rss_kib();
        let start = Instant::now();
        for _ in 0..flood {
            let (status, _) = client
                .send(reqwest::Method::PATCH, &hostile_path, &over_cap)
                .await;
            assert_eq!(status, 400, "hostile PATCH");
        }
        let after = rss_kib();
        println!(
            "  VmRSS before {:.1} MiB, after {:.1} MiB ({:+.1} MiB) in {:.1} s",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            (after as f64 - before as f64) / 1024.0,
            start.elapsed().as_secs_f64()
        );
        running.stop().await.expect("target stopped");
    });
}
