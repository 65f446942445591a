//! Hostile peers: the sync ends with reported errors, no panic, in bounded time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use idp::{DirUser, Directory, IssueCode, PersonaId, SyncEngine, SyncReport};
use rstest::rstest;
use serde_json::json;

use crate::peer::{fake_scim, Peer, Recorded, Reply};

fn dir() -> Directory {
    let mut d = Directory::new();
    let mut u = DirUser::new("h1", "h1@x.example");
    u.profile.mail = Some("h1@x.example".into());
    d.add_user(u).unwrap();
    d
}

fn empty_list() -> Reply {
    Reply::json(
        200,
        json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}),
    )
}

/// Answer GETs like an empty target and everything else with `write`.
fn writes(
    write: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    let fake = fake_scim();
    move |r: &Recorded| {
        if r.method == "POST" {
            write(r)
        } else {
            fake(r)
        }
    }
}

/// How many POSTs the cycle sent, retries included.
fn post_count(report: &SyncReport) -> usize {
    report
        .exchanges
        .iter()
        .filter(|e| e.method == "POST")
        .count()
}

#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::okta(PersonaId::Okta)]
#[case::rfc(PersonaId::Rfc)]
#[tokio::test]
async fn a_peer_that_never_answers_times_out(#[case] persona: PersonaId) {
    let peer = Peer::start(writes(|_| {
        Reply::empty(201).after(Duration::from_secs(3600))
    }))
    .await;
    let mut target = peer.target();
    target.timeout = Duration::from_millis(300);
    target.server_error_retries = Some(1);
    let mut engine = SyncEngine::new(persona, target);
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].code, IssueCode::Timeout);
    let last = report.exchanges.last().unwrap();
    assert_eq!(last.status, None);
    assert!(last
        .error
        .as_deref()
        .unwrap()
        .starts_with("no response within"));
}

#[tokio::test]
async fn a_peer_that_hangs_on_test_connection_stops_the_cycle() {
    let peer = Peer::start(|_: &Recorded| Reply::empty(200).after(Duration::from_secs(3600))).await;
    let mut target = peer.target();
    target.timeout = Duration::from_millis(200);
    let mut engine = SyncEngine::new(PersonaId::Entra, target);
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors[0].code, IssueCode::ConnectionFailed);
    assert_eq!(report.exchanges.len(), 1);
}

#[rstest]
#[case::garbage(Reply::raw(201, "application/scim+json", "{\"id\": \"u1\", oops"))]
#[case::html(Reply::raw(201, "text/html", "<html>created</html>"))]
#[case::empty(Reply::empty(201))]
#[case::array(Reply::json(201, json!([1, 2])))]
#[tokio::test]
async fn invalid_json_is_reported(#[case] reply: Reply) {
    for persona in PersonaId::ALL {
        let r = reply.clone();
        let peer = Peer::start(writes(move |_| r.clone())).await;
        let mut engine = SyncEngine::new(persona, peer.target());
        let report = engine.cycle(&dir()).await;
        assert_eq!(report.errors.len(), 1, "{persona}: {:?}", report.errors);
        assert_eq!(
            report.errors[0].code,
            IssueCode::ServiceIncompatible,
            "{persona}"
        );
        assert_eq!(engine.user_target_id("h1"), None);
    }
}

#[tokio::test]
async fn garbage_on_lookup_is_reported() {
    let peer = Peer::start(|r: &Recorded| {
        if r.query.as_deref().is_some_and(|q| q.contains("h1")) {
            Reply::raw(200, "application/json", "not json at all")
        } else {
            empty_list()
        }
    })
    .await;
    let mut engine = SyncEngine::new(PersonaId::Okta, peer.target());
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors[0].code, IssueCode::ServiceIncompatible);
    assert_eq!(
        report.exchanges.last().unwrap().response_text.as_deref(),
        Some("not json at all")
    );
}

/// okta-scim.md §1 "Timeouts, 429": integer Retry-After honoured, then the create goes on.
#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::okta(PersonaId::Okta)]
#[case::rfc(PersonaId::Rfc)]
#[tokio::test]
async fn rate_limited_then_created(#[case] persona: PersonaId) {
    let posts = Arc::new(AtomicUsize::new(0));
    let fake = fake_scim();
    let counter = posts.clone();
    let peer = Peer::start(move |r: &Recorded| {
        if r.method == "POST" && counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(429, json!({"detail": "slow down"})).header("retry-after", "1")
        } else {
            fake(r)
        }
    })
    .await;
    let mut engine = SyncEngine::new(persona, peer.target());
    let report = engine.cycle(&dir()).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let statuses: Vec<Option<u16>> = report
        .exchanges
        .iter()
        .filter(|e| e.method == "POST")
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [Some(429), Some(201)]);
    assert_eq!(engine.user_target_id("h1").as_deref(), Some("u1"));
}

#[tokio::test]
async fn rate_limit_retries_are_bounded() {
    let peer = Peer::start(writes(|_| {
        Reply::json(429, json!({})).header("retry-after", "0")
    }))
    .await;
    let mut target = peer.target();
    target.rate_limit_attempts = Some(3);
    let mut engine = SyncEngine::new(PersonaId::Okta, target);
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors[0].code, IssueCode::TooManyRequests);
    assert_eq!(post_count(&report), 4);
}

/// entra-scim.md §4: 5xx is escrowed to the next cycle (no immediate retry); the rfc
/// persona retries twice; both report ServerError and create nothing.
#[rstest]
#[case::entra(PersonaId::Entra, 1)]
#[case::okta(PersonaId::Okta, 1)]
#[case::rfc(PersonaId::Rfc, 3)]
#[tokio::test]
async fn always_503_is_reported(#[case] persona: PersonaId, #[case] posts: usize) {
    let peer = Peer::start(writes(|_| {
        Reply::json(503, json!({"detail": "unavailable"}))
    }))
    .await;
    let mut engine = SyncEngine::new(persona, peer.target());
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code, IssueCode::ServerError);
    assert!(
        report.errors[0].message.contains("unavailable"),
        "{}",
        report.errors[0]
    );
    assert_eq!(post_count(&report), posts);
    // The next cycle tries again (escrow), and still reports.
    let again = engine.cycle(&dir()).await;
    assert_eq!(again.errors[0].code, IssueCode::ServerError);
}

/// A 501 says the server cannot do the request at all: the rfc persona, which retries a
/// 503 twice, sends it once.
#[tokio::test]
async fn not_implemented_is_not_retried() {
    let peer = Peer::start(writes(|_| {
        Reply::json(501, json!({"detail": "not implemented"}))
    }))
    .await;
    let mut engine = SyncEngine::new(PersonaId::Rfc, peer.target());
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code, IssueCode::ServerError);
    assert_eq!(post_count(&report), 1);
}

/// A server without /ServiceProviderConfig (RFC 7644 §4: discovery "MAY be retrieved")
/// still passes the rfc persona's Test Connection, through a one-user list read.
#[tokio::test]
async fn no_service_provider_config_falls_back_to_a_user_list() {
    let peer = Peer::start(|r: &Recorded| {
        if r.path.ends_with("/ServiceProviderConfig") {
            Reply::json(404, json!({"detail": "no such endpoint"}))
        } else if r.method == "GET" {
            Reply::json(200, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []}))
        } else {
            Reply::json(201, json!({"id": "x1"}))
        }
    })
    .await;
    let mut engine = SyncEngine::new(PersonaId::Rfc, peer.target());
    let report = engine.cycle(&dir()).await;
    assert!(
        report
            .errors
            .iter()
            .all(|e| !e.operation.contains("test connection")),
        "{:?}",
        report.errors
    );
    assert!(report.exchanges[1]
        .url
        .contains("/Users?startIndex=1&count=1"));
}

#[tokio::test]
async fn a_huge_body_is_cut_off() {
    let huge = format!(
        "{{\"Resources\":[],\"totalResults\":0,\"pad\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let peer =
        Peer::start(move |_: &Recorded| Reply::raw(200, "application/scim+json", huge.clone()))
            .await;
    let mut target = peer.target();
    target.max_response_bytes = 64 * 1024;
    let mut engine = SyncEngine::new(PersonaId::Rfc, target);
    let report = engine.cycle(&dir()).await;
    assert_eq!(report.errors[0].code, IssueCode::ConnectionFailed);
    assert!(report.exchanges[0]
        .error
        .as_deref()
        .unwrap()
        .contains("larger than 65536 bytes"));
}

#[tokio::test]
async fn a_connection_reset_is_reported() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            drop(sock);
        }
    });
    let target = idp::ScimTarget::new(format!("http://{addr}/scim/v2"), "t");
    let mut engine = SyncEngine::new(PersonaId::Okta, target);
    let report = engine.cycle(&dir()).await;
    task.abort();
    assert_eq!(report.errors[0].code, IssueCode::ConnectionFailed);
    assert!(report.exchanges[0]
        .error
        .as_deref()
        .unwrap()
        .starts_with("transport failure"));
}

/// A wrong content type on a valid JSON answer is tolerated (Okta's docs show
/// `text/json`, okta-scim.md §1 "Response rules").
#[tokio::test]
async fn wrong_content_type_with_json_is_read() {
    let fake = fake_scim();
    let peer = Peer::start(move |r: &Recorded| {
        let mut reply = fake(r);
        reply.headers = vec![("content-type".into(), "text/json;charset=UTF-8".into())];
        reply
    })
    .await;
    let mut engine = SyncEngine::new(PersonaId::Okta, peer.target());
    let report = engine.cycle(&dir()).await;
    assert!(report.is_clean(), "{:?}", report.errors);
}

/// A target that closes each connection after one answer, saying so
/// (`Connection: close`): every request goes out on a fresh connection and the sync
/// ends clean.
#[tokio::test]
async fn connection_close_after_each_answer_is_followed() {
    let fake = fake_scim();
    let peer = Peer::start(move |r: &Recorded| {
        let mut reply = fake(r);
        reply.headers.push(("connection".into(), "close".into()));
        reply
    })
    .await;
    let mut engine = SyncEngine::new(PersonaId::Okta, peer.target());
    let report = engine.cycle(&three()).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(peer.requests().len(), report.exchange_count);
}

/// A target that closes each connection right after its answer without saying so: the
/// engine notices the pooled connection has ended before it sends on it and opens a new
/// one; nothing is lost or reported.
#[tokio::test]
async fn a_silently_closed_idle_connection_is_replaced() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let server = tokio::spawn(async move {
        let mut next_id = 0;
        while let Ok((sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            next_id += 1;
            // One request, one answer, then close: no keep-alive, none announced.
            let _ = answer_once(sock, next_id).await;
        }
    });
    let target = idp::ScimTarget::new(format!("http://{addr}/scim/v2"), "t");
    let mut engine = SyncEngine::new(PersonaId::Okta, target);
    let report = engine.cycle(&three()).await;
    server.abort();
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(accepted.load(Ordering::SeqCst), report.exchange_count);
}

/// Three users, synced one request at a time by the okta persona.
fn three() -> Directory {
    let mut d = Directory::new();
    for n in 1..=3 {
        let login = format!("k{n}@x.example");
        let mut u = DirUser::new(format!("k{n}"), login.clone());
        u.profile.mail = Some(login);
        d.add_user(u).unwrap();
    }
    d
}

/// Read one request (head and `Content-Length` body) and answer it like an empty
/// target: an empty list for a GET, a created user for a POST.
async fn answer_once(mut sock: tokio::net::TcpStream, id: usize) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let (status, body) = if head.starts_with("post") {
        (
            "201 Created",
            format!(
                r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"s{id}","active":true}}"#
            ),
        )
    } else {
        (
            "200 OK",
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#.to_owned(),
        )
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/scim+json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(answer.as_bytes()).await?;
    sock.shutdown().await
}
