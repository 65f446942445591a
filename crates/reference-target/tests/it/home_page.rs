//! The home page `GET /` through the router: "Signed in as" the session's user with its
//! login, email, name and external UID, "Not signed in" without a live session (none,
//! unknown, expired, or the user disabled), and a link to `/login/saml` either way.

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::json;
use tower::ServiceExt;

use crate::support::{patch, user, RouterTarget, BASE, SYNC_ON, TOKEN};

/// A target whose database file the test can write a session into.
struct Home {
    target: RouterTarget,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().expect("temp dir");
        let ini = dir.path().join("grafana.ini");
        std::fs::write(&ini, SYNC_ON).unwrap();
        let settings =
            reference_target::Settings::load(Some(&ini), std::iter::empty()).expect("settings");
        let db = dir.path().join("t.db");
        let state =
            reference_target::AppState::open(&db, settings, TOKEN.to_owned()).expect("open state");
        Home {
            target: RouterTarget::from_state(state),
            db,
            _dir: dir,
        }
    }

    /// Provisions the SCIM user `body` and opens a session for it that ends at
    /// `expires` (milliseconds since the epoch); returns the session token.
    async fn session_for(&self, body: serde_json::Value, expires: i64) -> String {
        let created = self
            .target
            .send(Method::POST, &format!("{BASE}/Users"), Some(&body))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let user_name = body["userName"].as_str().unwrap().to_owned();
        let token = format!("home-{}", uuid::Uuid::new_v4().simple());
        let sql = rusqlite::Connection::open(&self.db).unwrap();
        let inserted = sql
            .execute(
                "INSERT INTO session (token_hash, user_id, created, expires)
                 SELECT ?1, id, 0, ?2 FROM user WHERE login = ?3",
                rusqlite::params![crate::support::session_hash(&token), expires, user_name],
            )
            .unwrap();
        assert_eq!(inserted, 1, "no app user with login {user_name}");
        token
    }

    /// `GET /` with this `Cookie` header, if any: the status, content type and page.
    async fn get(&self, cookie: Option<&str>) -> (u16, String, String) {
        let mut request = Request::builder().method(Method::GET).uri("/");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        let response = self
            .target
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            content_type,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }
}

const FAR_FUTURE: i64 = 4_102_444_800_000; // 2100-01-01

#[track_caller]
fn assert_not_signed_in(status: u16, page: &str) {
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Not signed in</h1>"), "{page}");
    assert!(
        page.contains("<a href=\"/login/saml\">Sign in with SAML</a>"),
        "{page}"
    );
    assert!(!page.contains("Signed in as"), "{page}");
}

#[tokio::test]
async fn without_a_session_the_page_offers_a_saml_sign_in_and_needs_no_token() {
    let home = Home::new();
    let (status, content_type, page) = home.get(None).await;
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert_not_signed_in(status, &page);
    assert!(!page.contains("<script"), "{page}");
    let (status, _, page) = home.get(Some("grafana_session=no-such-session")).await;
    assert_not_signed_in(status, &page);
}

#[tokio::test]
async fn a_session_shows_its_user_login_email_name_and_external_uid() {
    let home = Home::new();
    let mut body = user("alice.ng@contoso.example", "0d3c9f7e-ext");
    body["displayName"] = json!("Alice <b>Ng</b> & co");
    body["emails"] =
        json!([{"primary": true, "type": "work", "value": "alice.ng+grafana@contoso.example"}]);
    let token = home.session_for(body, FAR_FUTURE).await;
    let (status, content_type, page) = home
        .get(Some(&format!("theme=dark; grafana_session={token}")))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(
        page.contains("<h1>Signed in as alice.ng@contoso.example</h1>"),
        "{page}"
    );
    for (term, value) in [
        ("Login", "alice.ng@contoso.example"),
        ("Email", "alice.ng+grafana@contoso.example"),
        ("Name", "Alice &lt;b&gt;Ng&lt;/b&gt; &amp; co"),
        ("External UID", "0d3c9f7e-ext"),
    ] {
        assert!(
            page.contains(&format!("<dt>{term}</dt><dd>{value}</dd>")),
            "{term}: {page}"
        );
    }
    assert!(page.contains("href=\"/login/saml\""), "{page}");
    assert!(!page.contains("Not signed in"), "{page}");
    assert!(!page.contains("<b>Ng"), "the name is escaped: {page}");
}

#[tokio::test]
async fn an_expired_session_or_a_disabled_user_is_not_signed_in() {
    let home = Home::new();
    let expired = home
        .session_for(user("old@example.test", "ext-old"), 1)
        .await;
    let (status, _, page) = home.get(Some(&format!("grafana_session={expired}"))).await;
    assert_not_signed_in(status, &page);

    let token = home
        .session_for(user("bob@example.test", "ext-bob"), FAR_FUTURE)
        .await;
    let cookie = format!("grafana_session={token}");
    let (_, _, page) = home.get(Some(&cookie)).await;
    assert!(page.contains("Signed in as bob@example.test"), "{page}");
    let listed = home
        .target
        .send(
            Method::GET,
            &format!("{BASE}/Users?filter=userName%20eq%20%22bob@example.test%22"),
            None,
        )
        .await;
    let id = listed.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disabled = home
        .target
        .send(
            Method::PATCH,
            &format!("{BASE}/Users/{id}"),
            Some(&patch(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        )
        .await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.body);
    let (status, _, page) = home.get(Some(&cookie)).await;
    assert_not_signed_in(status, &page);
}
