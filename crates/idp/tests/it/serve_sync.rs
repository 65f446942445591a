//! `idp serve`'s SCIM on demand sends what `idp sync`'s engine sends: the standard
//! directory is pushed into two fresh reference targets, once with the library's
//! `SyncEngine` (as `idp sync` drives it) and once through a served site's
//! `POST /api/sync`; then the same user is disabled on each (`Directory::disable_user`,
//! `PATCH /api/users/{KEY}` with `{"active": false}`) and a second cycle runs. The two
//! second-cycle transcripts must match, target ids masked, and be the persona's delta.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use idp::serve::{router, sites, ServeConfig, ServiceProvider};
use idp::{Directory, Exchange, IdpKeys, PersonaId, ScimTarget, SyncEngine};
use rstest::rstest;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::reference_target::start_target;

const ALICE: &str = "0d3c9f7e-6b5a-4c2d-9e1f-a2b3c4d5e6f7";
const ALICE_LOGIN: &str = "alice.ng@contoso.example";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn directory() -> Directory {
    Directory::load(root().join("fixtures/directory.yaml")).unwrap()
}

/// One site of `persona` pushing into `target`, as `idp serve --target` sets it up.
fn served(persona: PersonaId, target: ScimTarget) -> Router {
    router(&sites(&served_config(persona, target)).unwrap())
}

fn served_config(persona: PersonaId, target: ScimTarget) -> ServeConfig {
    ServeConfig {
        personas: vec![persona],
        directory: directory(),
        public_url: "http://127.0.0.1:7070".into(),
        tenant: "contoso".into(),
        service_providers: vec![ServiceProvider::new(
            "http://sp.example/saml/metadata",
            "http://sp.example/saml/acs",
        )],
        keys: Arc::new(IdpKeys::load(&root().join("fixtures/idp")).unwrap()),
        target: Some(target),
        interval: None,
        admin_token: None,
    }
}

async fn call(app: &Router, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

/// An exchange as JSON, as the API shows it.
fn as_json(e: &Exchange) -> Value {
    serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap()
}

/// The target ids in `exchanges`' responses (a resource's `id`, a list's resources' ids).
fn target_ids(exchanges: &[Value]) -> Vec<String> {
    let mut ids = Vec::new();
    for e in exchanges {
        let body = &e["response_json"];
        let resources = body["Resources"].as_array().cloned().unwrap_or_default();
        for id in std::iter::once(&body["id"]).chain(resources.iter().map(|r| &r["id"])) {
            if let Some(id) = id.as_str() {
                ids.push(id.to_owned());
            }
        }
    }
    ids.sort();
    ids.dedup();
    // The longest first, so an id that contains another is found whole.
    ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
    ids
}

/// `text` with each of `ids` replaced by `{id1}`, `{id2}`, … in order of first appearance
/// (`seen` carries the numbering across calls).
fn mask(text: &str, ids: &[String], seen: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let next = ids
            .iter()
            .filter_map(|id| rest.find(id.as_str()).map(|at| (at, id)))
            .min_by_key(|(at, id)| (*at, std::cmp::Reverse(id.len())));
        let Some((at, id)) = next else {
            out.push_str(rest);
            return out;
        };
        let n = match seen.iter().position(|s| s == id) {
            Some(n) => n + 1,
            None => {
                seen.push(id.clone());
                seen.len()
            }
        };
        out.push_str(&rest[..at]);
        out.push_str(&format!("{{id{n}}}"));
        rest = &rest[at + id.len()..];
    }
}

/// Per exchange: the method, the URL's path and query, and the request body, with the
/// target ids (learnt from `all`'s responses) masked in order of appearance and the
/// target's `origin` (in `$ref`s and `meta.location`) as `{target}` and the times in
/// `meta` as `{time}`.
fn comparable(cycle: &[Value], all: &[Value], origin: &str) -> Vec<(String, String, String)> {
    let ids = target_ids(all);
    let mut seen = Vec::new();
    cycle
        .iter()
        .map(|e| {
            let url = e["url"].as_str().unwrap();
            let path = url
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                .unwrap_or(url);
            let body = match e["request_body"].clone() {
                Value::Null => String::new(),
                mut b => {
                    // Okta's PUT sends back the resource it read, timestamps and all.
                    if let Some(meta) = b.get_mut("meta").and_then(Value::as_object_mut) {
                        for stamp in ["created", "lastModified"] {
                            if meta.contains_key(stamp) {
                                meta.insert(stamp.to_owned(), json!("{time}"));
                            }
                        }
                    }
                    b.to_string().replace(origin, "{target}")
                }
            };
            (
                e["method"].as_str().unwrap().to_owned(),
                mask(path, &ids, &mut seen),
                mask(&body, &ids, &mut seen),
            )
        })
        .collect()
}

#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::okta(PersonaId::Okta)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_cycles_send_what_idp_sync_sends(#[case] persona: PersonaId) {
    let (lib_target, served_target) = (start_target().await, start_target().await);

    // (a) The library engine, streamed to a sink as `idp sync` does.
    let mut dir = directory();
    let mut engine = SyncEngine::new(persona, lib_target.scim());
    let mut lib_first: Vec<Exchange> = Vec::new();
    let first = engine.cycle_to(&dir, &mut lib_first).await;
    assert!(
        first.is_clean(),
        "{persona} library cycle 1: {:?}",
        first.errors
    );
    dir.disable_user(ALICE).unwrap();
    let mut lib_second: Vec<Exchange> = Vec::new();
    let second = engine.cycle_to(&dir, &mut lib_second).await;
    assert!(
        second.is_clean(),
        "{persona} library cycle 2: {:?}",
        second.errors
    );

    // (b) A served site, through its API.
    let app = served(persona, served_target.scim());
    let (status, summary) = call(&app, Method::POST, "/api/sync", None).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["cycle"], 1);
    assert_eq!(summary["errors"], json!([]), "{persona} served cycle 1");
    assert_eq!(
        summary["exchanges"], first.exchange_count,
        "{persona}: cycle 1 sizes"
    );
    let (_, after_first) = call(&app, Method::GET, "/api/transcript", None).await;
    let next = after_first["next"].as_u64().unwrap();
    assert_eq!(next, first.exchange_count as u64);
    let (status, alice) = call(
        &app,
        Method::GET,
        &format!("/api/users/{ALICE_LOGIN}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let alice_target_id = alice["targetId"]
        .as_str()
        .expect("a target id after cycle 1")
        .to_owned();

    let (status, patched) = call(
        &app,
        Method::PATCH,
        &format!("/api/users/{ALICE_LOGIN}"),
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let (status, summary) = call(&app, Method::POST, "/api/sync", None).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["cycle"], 2);
    assert_eq!(summary["errors"], json!([]), "{persona} served cycle 2");
    assert_eq!(
        summary["counts"],
        json!({"disabled": 1}),
        "{persona}: {summary}"
    );
    assert_eq!(summary["summary"], second.summary(), "{persona}");
    let (_, page) = call(
        &app,
        Method::GET,
        &format!("/api/transcript?since={next}"),
        None,
    )
    .await;
    let logged = page["exchanges"].as_array().unwrap();
    assert!(
        logged.iter().all(|l| l["cycle"] == 2),
        "{persona}: only cycle 2 after since={next}"
    );
    let served_second: Vec<Value> = logged.iter().map(|l| l["exchange"].clone()).collect();
    let served_first: Vec<Value> = after_first["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["exchange"].clone())
        .collect();

    // The same requests, target ids aside.
    let lib_all: Vec<Value> = lib_first.iter().chain(&lib_second).map(as_json).collect();
    let lib_second: Vec<Value> = lib_second.iter().map(as_json).collect();
    let served_all: Vec<Value> = served_first.iter().chain(&served_second).cloned().collect();
    let want = comparable(
        &lib_second,
        &lib_all,
        &format!("http://{}", lib_target.addr()),
    );
    let got = comparable(
        &served_second,
        &served_all,
        &format!("http://{}", served_target.addr()),
    );
    assert_eq!(got.len(), want.len(), "{persona}: {got:#?}\nvs {want:#?}");
    assert_eq!(got, want, "{persona}");

    // A real delta: only the disabled user's requests, not a resend of the directory.
    assert!(!served_second.is_empty(), "{persona}: the disable was sent");
    assert!(served_second.len() <= 2, "{persona}: {got:#?}");
    for e in &served_second {
        let url = e["url"].as_str().unwrap();
        assert!(
            url.ends_with(&format!("/Users/{alice_target_id}")),
            "{persona}: {url}"
        );
    }
    let write = got.iter().find(|(m, _, _)| m != "GET").expect("a write");
    // Entra writes the boolean as the string "False" (entra-scim.md §2), Okta as false.
    let body = write.2.to_ascii_lowercase();
    assert!(
        body.contains("\"active\"") && body.contains("false"),
        "{persona}: {write:?}"
    );
    let (_, alice) = call(&app, Method::GET, &format!("/api/users/{ALICE}"), None).await;
    assert_eq!(
        (alice["active"].clone(), alice["targetId"].clone()),
        (json!(false), json!(alice_target_id))
    );

    lib_target.stop().await;
    served_target.stop().await;
}

/// Two cycles asked for at once run one after the other, each exchange logged under its
/// own cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_syncs_run_one_after_the_other() {
    let t = start_target().await;
    let all = sites(&served_config(PersonaId::Entra, t.scim())).unwrap();
    let p = &all[0].provisioner;
    let (a, b) = tokio::join!(p.sync(), p.sync());
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut cycles = [a.cycle, b.cycle];
    cycles.sort_unstable();
    assert_eq!(cycles, [1, 2]);
    let first = if a.cycle == 1 { &a } else { &b };
    let logged: Vec<u64> = p.log().since(0).map(|l| l.cycle).collect();
    assert!(logged.is_sorted(), "cycles interleaved: {logged:?}");
    assert_eq!(logged.iter().filter(|&&c| c == 1).count(), first.exchanges);
    assert!(
        first.exchanges > 100,
        "the initial cycle pushes the directory"
    );
    t.stop().await;
}

/// `--interval`: cycles run on the schedule (the first after one interval) until the
/// server shuts down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_runs_cycles_until_shutdown() {
    let t = start_target().await;
    let every = std::time::Duration::from_millis(100);
    let all = sites(&served_config(PersonaId::Okta, t.scim())).unwrap();
    let site = Arc::clone(&all[0]);
    let listener = idp::serve::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(idp::serve::serve(listener, all, Some(every), async {
        let _ = stopped.await;
    }));
    let cycle = || site.provisioner.last_summary().map_or(0, |s| s.cycle);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while cycle() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no second scheduled cycle in 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(site.provisioner.schedule(), Some(every));
    let summary = site.provisioner.last_summary().unwrap();
    assert_eq!(summary.errors.len(), 0, "{}", summary.summary);
    assert!(
        summary.counts.is_empty(),
        "nothing changed: {}",
        summary.summary
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    // An abort takes effect at the task's next poll; let one in flight end.
    tokio::time::sleep(every / 2).await;
    let at_stop = cycle();
    tokio::time::sleep(every * 4).await;
    assert_eq!(cycle(), at_stop, "the schedule stops with the server");
    t.stop().await;
}
