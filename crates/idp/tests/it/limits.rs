//! Concurrency cap and transcript order: Entra overlaps the objects of a phase, Okta
//! sends one request at a time, and the transcript reads the same either way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use idp::{DirUser, Directory, PersonaId, ScimTarget, SyncEngine, SyncLimits};
use rstest::rstest;
use serde_json::json;

/// Answers every GET with an empty list, POST with a fresh user, anything else 204; each
/// answer is held back a little so that overlapping requests overlap on the peer.
#[derive(Clone, Default)]
struct Overlap {
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    /// Method of every request in arrival order.
    arrivals: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicUsize>,
}

impl Overlap {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().fallback(move |method: Method| {
            let me = me.clone();
            async move {
                me.arrivals.lock().unwrap().push(method.to_string());
                let now = me.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                me.peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(150)).await;
                me.in_flight.fetch_sub(1, Ordering::SeqCst);
                let list = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                    "totalResults":0,"Resources":[]});
                match method {
                    Method::GET => (StatusCode::OK, list.to_string()).into_response(),
                    Method::POST => {
                        let id = me.next_id.fetch_add(1, Ordering::SeqCst) + 1;
                        let user = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "id": format!("u{id}"), "active": true});
                        (StatusCode::CREATED, user.to_string()).into_response()
                    }
                    _ => StatusCode::NO_CONTENT.into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}/scim/v2")
    }
}

const USERS: usize = 8;

/// Eight users; every one after the first reports to the first.
fn team() -> Directory {
    let mut d = Directory::new();
    for i in 0..USERS {
        let mut u = DirUser::new(format!("id-{i}"), format!("user{i}@contoso.example"));
        if i > 0 {
            u.profile.manager = Some("id-0".into());
        }
        d.add_user(u).unwrap();
    }
    d
}

#[rstest]
#[case::entra_cap_4(PersonaId::Entra, Some(4), 4)]
#[case::entra_default(PersonaId::Entra, None, idp::ENTRA_CONCURRENCY)]
#[case::okta_default(PersonaId::Okta, None, 1)]
#[case::rfc_default(PersonaId::Rfc, None, 1)]
#[tokio::test]
async fn a_phase_runs_up_to_the_cap(
    #[case] persona: PersonaId,
    #[case] cap: Option<usize>,
    #[case] expected_cap: usize,
) {
    let peer = Overlap::default();
    let mut target = ScimTarget::new(peer.start().await, "t");
    target.limits = cap.map(|concurrency| SyncLimits {
        concurrency,
        requests_per_second: None,
    });
    let mut engine = SyncEngine::new(persona, target);
    let report = engine.cycle(&team()).await;
    assert!(report.is_clean(), "{}", report.summary());
    let peak = peer.peak.load(Ordering::SeqCst);
    assert!(peak <= expected_cap, "peak {peak} above cap {expected_cap}");
    if expected_cap > 1 {
        assert!(peak > 1, "{persona}: requests never overlapped");
    }
    // Managers after users: no PATCH reaches the peer before the last POST.
    let arrivals = peer.arrivals.lock().unwrap().clone();
    let last_post = arrivals.iter().rposition(|m| m == "POST").unwrap();
    let first_patch = arrivals.iter().position(|m| m == "PATCH");
    if let Some(first_patch) = first_patch {
        assert!(last_post < first_patch, "{arrivals:?}");
    }
}

/// The entra persona against `url` with every user of [`team`] in flight at once.
fn entra_all_at_once(url: String, token: &str) -> SyncEngine {
    let mut target = ScimTarget::new(url, token);
    target.limits = Some(SyncLimits {
        concurrency: USERS,
        requests_per_second: None,
    });
    SyncEngine::new(PersonaId::Entra, target)
}

/// Whatever the overlap, the transcript lists Test Connection, then each user's lookup
/// and create in directory order, then each manager PATCH in directory order, numbered
/// 1, 2, 3…
#[tokio::test]
async fn the_transcript_is_in_directory_order() {
    let peer = Overlap::default();
    let mut engine = entra_all_at_once(peer.start().await, "t");
    let report = engine.cycle(&team()).await;
    assert!(report.is_clean(), "{}", report.summary());
    let lines: Vec<String> = report
        .exchanges
        .iter()
        .skip(1)
        .map(|e| {
            let who = e
                .request_body
                .as_ref()
                .and_then(|b| b.value().get("userName").cloned())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| e.path_and_query().to_owned());
            format!("{} {who}", e.method)
        })
        .collect();
    let mut expected = Vec::new();
    for i in 0..USERS {
        expected.push(format!(
            "GET /scim/v2/Users?filter=userName+eq+%22user{i}%40contoso.example%22"
        ));
        expected.push(format!("POST user{i}@contoso.example"));
    }
    for i in 1..USERS {
        let target_id = engine.user_target_id(&format!("id-{i}")).unwrap();
        expected.push(format!("PATCH /scim/v2/Users/{target_id}"));
    }
    assert_eq!(lines, expected);
    let seqs: Vec<u64> = report.exchanges.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let outcomes: Vec<String> = report
        .outcomes
        .iter()
        .map(|o| format!("{:?} {}", o.action, o.object.id))
        .collect();
    let mut expected: Vec<String> = (0..USERS).map(|i| format!("Created id-{i}")).collect();
    expected.extend((1..USERS).map(|i| format!("ManagerSet id-{i}")));
    assert_eq!(outcomes, expected);

    // A later cycle numbers on from the last.
    let mut dir = team();
    dir.update_user("id-0", |p| p.surname = Some("Ng".into()))
        .unwrap();
    let again = engine.cycle(&dir).await;
    assert!(again.is_clean(), "{}", again.summary());
    let first = report.exchanges.len() as u64 + 1;
    let seqs: Vec<u64> = again.exchanges.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (first..first + seqs.len() as u64).collect::<Vec<_>>());
    assert!(!seqs.is_empty());
}

/// `TranscriptDetail::Lines` keeps what a request line needs and drops headers and bodies.
#[tokio::test]
async fn a_lines_transcript_drops_headers_and_bodies() {
    let peer = Overlap::default();
    let mut target = ScimTarget::new(peer.start().await, "t");
    target.transcript = idp::TranscriptDetail::Lines;
    let mut engine = SyncEngine::new(PersonaId::Entra, target);
    let report = engine.cycle(&team()).await;
    assert!(report.is_clean(), "{}", report.summary());
    let post = report
        .exchanges
        .iter()
        .find(|e| e.method == "POST")
        .unwrap();
    assert_eq!(post.status, Some(201));
    assert!(post.url.ends_with("/scim/v2/Users"), "{}", post.url);
    assert!(post.request_headers.is_empty() && post.response_headers.is_empty());
    assert_eq!((&post.request_body, &post.response_json), (&None, &None));
}

/// `cycle_to` hands its sink what `cycle` would report, in the same order and numbering
/// whatever the overlap, and a `JsonLinesSink` writes what `Transcript::write_json_lines`
/// writes, token redacted; a later kept cycle numbers on from the streamed one.
#[tokio::test]
async fn a_streamed_transcript_reads_like_a_kept_one() {
    use idp::TranscriptSink;
    let peer = Overlap::default();
    let mut engine = entra_all_at_once(peer.start().await, "secret-token");
    let mut lines = idp::JsonLinesSink::new(Vec::new());
    let mut streamed: Vec<idp::Exchange> = Vec::new();
    let report = engine
        .cycle_to(&team(), &mut |e: idp::Exchange| {
            lines.exchange(e.clone());
            streamed.push(e);
        })
        .await;
    assert!(report.is_clean(), "{}", report.summary());
    assert!(report.exchanges.is_empty());
    assert_eq!(report.exchange_count, streamed.len());
    assert_eq!(lines.written(), streamed.len() as u64);

    let seqs: Vec<u64> = streamed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let order: Vec<String> = streamed
        .iter()
        .skip(1)
        .map(|e| format!("{} {}", e.method, e.path_and_query()))
        .collect();
    let mut expected = Vec::new();
    for i in 0..USERS {
        expected.push(format!(
            "GET /scim/v2/Users?filter=userName+eq+%22user{i}%40contoso.example%22"
        ));
        expected.push("POST /scim/v2/Users".to_owned());
    }
    for i in 1..USERS {
        let target_id = engine.user_target_id(&format!("id-{i}")).unwrap();
        expected.push(format!("PATCH /scim/v2/Users/{target_id}"));
    }
    assert_eq!(order, expected);

    let mut kept = Vec::new();
    idp::Transcript {
        exchanges: streamed.clone(),
    }
    .write_json_lines(&mut kept)
    .unwrap();
    let written = lines.finish().unwrap();
    assert_eq!(
        String::from_utf8(written.clone()).unwrap(),
        String::from_utf8(kept).unwrap()
    );
    let text = String::from_utf8(written).unwrap();
    assert!(text.contains("Bearer [redacted]") && !text.contains("secret-token"));

    let mut dir = team();
    dir.update_user("id-0", |p| p.surname = Some("Ng".into()))
        .unwrap();
    let again = engine.cycle(&dir).await;
    assert!(again.is_clean(), "{}", again.summary());
    assert_eq!(again.exchange_count, again.exchanges.len());
    assert_eq!(again.exchanges[0].seq, streamed.len() as u64 + 1);
}
