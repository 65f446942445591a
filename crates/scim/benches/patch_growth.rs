//! How PATCH application grows with the size of the resource (issue 19): one `add` of
//! N `emails` onto a user, and one `remove` of N listed `members` from a group of N, for
//! N = 1k, 4k, 8k, 10k, each timed as the median of several runs; the ratios against
//! 1k show linear (4, 8, 10) or quadratic (16, 64, 100) growth.
//!
//! `cargo bench -p scim --bench patch_growth`. `PATCH_BENCH_RUNS` (default 5) runs per size.

use std::time::{Duration, Instant};

use scim::model::PatchRequest;
use scim::schema::ResourceSchema;
use serde_json::{json, Value};

const SIZES: [usize; 4] = [1_000, 4_000, 8_000, 10_000];

fn emails(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"value": format!("user-{i:05}@example.com"), "type": "work"}))
        .collect()
}

fn members(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"value": format!("0000-{i:08}")}))
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(runs: usize, mut once: impl FnMut() -> Duration) -> Duration {
    median((0..runs).map(|_| once()).collect())
}

fn report(what: &str, times: &[(usize, Duration)]) {
    println!("{what}");
    let base = times[0].1.as_secs_f64();
    for (n, t) in times {
        println!(
            "  n = {n:>6}: {:>9.2} ms   ratio to 1k {:>6.2}   (linear {:>5.1}, quadratic {:>6.1})",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / base,
            *n as f64 / SIZES[0] as f64,
            (*n as f64 / SIZES[0] as f64).powi(2)
        );
    }
}

fn main() {
    let runs = std::env::var("PATCH_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let user_schema = ResourceSchema::user();
    let group_schema = ResourceSchema::group();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1", "userName": "hostile@example.com",
        "emails": [{"value": "hostile@example.com", "type": "work", "primary": true}],
    });
    let add: Vec<(usize, Duration)> = SIZES
        .iter()
        .map(|&n| {
            let request = PatchRequest::from_json(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "emails", "value": emails(n)}],
            }))
            .expect("patch request");
            let t = time(runs, || {
                let mut resource = user.clone();
                let start = Instant::now();
                scim::patch::apply(&mut resource, &request, user_schema).expect("patch applies");
                let took = start.elapsed();
                assert_eq!(resource["emails"].as_array().map(Vec::len), Some(n + 1));
                took
            });
            (n, t)
        })
        .collect();
    report("add N emails to a user (one operation)", &add);
    let remove: Vec<(usize, Duration)> = SIZES
        .iter()
        .map(|&n| {
            let group = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "id": "g1", "displayName": "hostile",
                "members": members(n),
            });
            let request = PatchRequest::from_json(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": "members", "value": members(n)}],
            }))
            .expect("patch request");
            let t = time(runs, || {
                let mut resource = group.clone();
                let start = Instant::now();
                scim::patch::apply(&mut resource, &request, group_schema).expect("patch applies");
                let took = start.elapsed();
                assert!(resource.get("members").is_none());
                took
            });
            (n, t)
        })
        .collect();
    report(
        "remove N listed members from a group of N (one operation)",
        &remove,
    );
}
