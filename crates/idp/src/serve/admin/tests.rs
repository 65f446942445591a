//! The admin API and page through the router, without a socket: edits and their
//! validation, user keys, the admin token, and the page's forms.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::directory::Directory;
use crate::login::IdpKeys;
use crate::persona::PersonaId;
use crate::serve::provision::{ExchangeLog, LOG_CAPACITY};
use crate::serve::{router, sites, ServeConfig, ServiceProvider, Site};
use crate::transport::{Exchange, ScimTarget};

const ALICE: &str = "0d3c9f7e-6b5a-4c2d-9e1f-a2b3c4d5e6f7";
const ALICE_LOGIN: &str = "alice.ng@contoso.example";
const DANA: &str = "5c1f3a2e-8d4b-4f6a-9e21-0b7c4d3e2f10";
const ENGINEERING: &str = "2f4e6a8c-0b1d-4e3f-9a5c-7e9b1d3f5a70";
const TOKEN: &str = "s3cret-admin-token";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(personas: &[PersonaId], target: Option<ScimTarget>, token: Option<&str>) -> ServeConfig {
    let root = root();
    ServeConfig {
        personas: personas.to_vec(),
        directory: Directory::load(root.join("fixtures/directory.yaml")).unwrap(),
        public_url: "http://127.0.0.1:7070".into(),
        tenant: "contoso".into(),
        service_providers: vec![ServiceProvider::new(
            "http://sp.example/saml/metadata",
            "http://sp.example/saml/acs",
        )],
        keys: Arc::new(IdpKeys::load(&root.join("fixtures/idp")).unwrap()),
        target,
        interval: None,
        admin_token: token.map(str::to_owned),
    }
}

/// The router and sites for `personas`.
fn app_for(personas: &[PersonaId], token: Option<&str>) -> (Router, Vec<Arc<Site>>) {
    let all = sites(&config(personas, None, token)).unwrap();
    (router(&all), all)
}

/// The router of one Entra site without a target or token.
fn app() -> Router {
    app_for(&[PersonaId::Entra], None).0
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `<tr data-user="login">` row of the admin page.
    fn user_row(&self, login: &str) -> &str {
        let start = self
            .text
            .find(&format!("<tr data-user=\"{login}\">"))
            .unwrap_or_else(|| panic!("no row for {login} in {}", self.text));
        let end = start + self.text[start..].find("</tr>").unwrap();
        &self.text[start..end]
    }
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    send(app, Method::GET, uri, &[], Body::empty()).await
}

async fn json_call(app: &Router, method: Method, uri: &str, body: Value) -> Answer {
    send(
        app,
        method,
        uri,
        &[("content-type", "application/json")],
        Body::from(body.to_string()),
    )
    .await
}

async fn form(app: &Router, uri: &str, fields: &str, headers: &[(&str, &str)]) -> Answer {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(app, Method::POST, uri, &all, Body::from(fields.to_owned())).await
}

#[tokio::test]
async fn lists_every_user_with_its_groups_and_ids() {
    let (app, _) = app_for(&[PersonaId::Okta], None);
    let a = get(&app, "/api/users").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let users = a.json();
    let fixture = Directory::load(root().join("fixtures/directory.yaml")).unwrap();
    assert_eq!(users.as_array().unwrap().len(), fixture.users().len());
    let alice = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ALICE)
        .unwrap();
    assert_eq!(alice["userPrincipalName"], ALICE_LOGIN);
    assert_eq!(alice["groups"], json!(["Engineering"]));
    assert_eq!(alice["active"], true);
    // Okta sends its user id as externalId.
    assert_eq!(alice["externalId"], alice["oktaId"]);
    assert_ne!(alice["externalId"], ALICE);
    assert_eq!(alice["targetId"], Value::Null);
    assert_eq!(alice["manager"], "7a9e4b1c-2d3f-4e5a-8b6c-1d2e3f4a5b60");
}

#[tokio::test]
async fn a_user_key_is_the_id_or_the_login_in_any_case() {
    let app = app();
    for key in [ALICE, ALICE_LOGIN, "Alice.NG@Contoso.example"] {
        let a = get(&app, &format!("/api/users/{key}")).await;
        assert_eq!(a.status, StatusCode::OK, "{key}: {}", a.text);
        assert_eq!(a.json()["id"], ALICE, "{key}");
        assert_eq!(
            a.json()["externalId"],
            ALICE,
            "{key}: entra sends the object id"
        );
    }
    let a = get(&app, "/api/users/nobody@contoso.example").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["error"], "not_found");
    assert!(
        a.json()["detail"]
            .as_str()
            .unwrap()
            .contains("nobody@contoso.example"),
        "{}",
        a.text
    );
    let a = json_call(
        &app,
        Method::PATCH,
        "/api/users/nobody",
        json!({"active": false}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
}

#[tokio::test]
async fn patch_applies_every_attribute() {
    let app = app();
    let a = json_call(
        &app,
        Method::PATCH,
        &format!("/api/users/{ALICE_LOGIN}"),
        json!({"active": false, "jobTitle": "SRE Lead", "manager": "dana.whitfield@contoso.example", "mail": null}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let back = get(&app, &format!("/api/users/{ALICE}")).await.json();
    assert_eq!(back["active"], false);
    assert_eq!(back["enabled"], false);
    assert_eq!(back["jobTitle"], "SRE Lead");
    assert_eq!(
        back["manager"], DANA,
        "the manager's key is stored as its id"
    );
    assert_eq!(back["mail"], Value::Null);
    let a = json_call(
        &app,
        Method::PATCH,
        &format!("/api/users/{ALICE}"),
        json!({"active": true, "manager": null, "softDeleted": true}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let back = a.json();
    assert_eq!(
        (
            back["enabled"].clone(),
            back["softDeleted"].clone(),
            back["active"].clone()
        ),
        (json!(true), json!(true), json!(false))
    );
    assert_eq!(back["manager"], Value::Null);
}

/// A refused edit names what it refused and changes nothing.
#[track_caller]
fn check_refused(a: &Answer, status: StatusCode, names: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert!(
        a.json()["detail"].as_str().unwrap().contains(names),
        "{names}: {}",
        a.text
    );
}

#[tokio::test]
async fn a_refused_patch_applies_nothing() {
    let app = app();
    let uri = format!("/api/users/{ALICE}");
    let before = get(&app, &uri).await.json();
    let cases = [
        (
            json!({"jobTitle": "X", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "`colour`",
        ),
        (
            json!({"active": false, "mail": 5}),
            StatusCode::BAD_REQUEST,
            "`mail`",
        ),
        (
            json!({"active": "no", "jobTitle": "X"}),
            StatusCode::BAD_REQUEST,
            "`active`",
        ),
        (
            json!({"active": false, "manager": "nobody"}),
            StatusCode::BAD_REQUEST,
            "`nobody`",
        ),
        (
            json!({"active": false, "userPrincipalName": "dana.whitfield@contoso.example"}),
            StatusCode::CONFLICT,
            "userPrincipalName",
        ),
        (
            json!({"active": false, "hardDeleted": true}),
            StatusCode::BAD_REQUEST,
            "`hardDeleted`",
        ),
        (
            json!(["active", false]),
            StatusCode::BAD_REQUEST,
            "JSON object",
        ),
    ];
    for (body, status, names) in cases {
        let a = json_call(&app, Method::PATCH, &uri, body.clone()).await;
        check_refused(&a, status, names);
        assert_eq!(
            get(&app, &uri).await.json(),
            before,
            "{body} changed the user"
        );
    }
    let a = send(&app, Method::PATCH, &uri, &[], Body::from("{not json")).await;
    check_refused(&a, StatusCode::BAD_REQUEST, "not JSON");
}

#[tokio::test]
async fn create_and_delete_users() {
    let app = app();
    let a = json_call(
        &app,
        Method::POST,
        "/api/users",
        json!({"userPrincipalName": "zoe@contoso.example", "displayName": "Zoe", "active": false}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let zoe = a.json();
    assert!(
        uuid::Uuid::parse_str(zoe["id"].as_str().unwrap()).is_ok(),
        "a new GUID: {zoe}"
    );
    assert_eq!(
        (zoe["displayName"].clone(), zoe["enabled"].clone()),
        (json!("Zoe"), json!(false))
    );
    assert_eq!(
        get(&app, "/api/users/zoe@contoso.example").await.json()["id"],
        zoe["id"]
    );

    let a = json_call(
        &app,
        Method::POST,
        "/api/users",
        json!({"id": "u-1", "userPrincipalName": "ZOE@contoso.example"}),
    )
    .await;
    check_refused(&a, StatusCode::CONFLICT, "ZOE@contoso.example");
    let a = json_call(
        &app,
        Method::POST,
        "/api/users",
        json!({"id": "u-2", "userPrincipalName": "yan@contoso.example", "shoeSize": 9}),
    )
    .await;
    check_refused(&a, StatusCode::BAD_REQUEST, "`shoeSize`");
    assert_eq!(
        get(&app, "/api/users/u-2").await.status,
        StatusCode::NOT_FOUND,
        "refused, so not created"
    );
    let a = json_call(
        &app,
        Method::POST,
        "/api/users",
        json!({"displayName": "No Login"}),
    )
    .await;
    check_refused(&a, StatusCode::BAD_REQUEST, "`userPrincipalName`");
    let a = json_call(
        &app,
        Method::POST,
        "/api/users",
        json!({"id": ALICE, "userPrincipalName": "other@contoso.example"}),
    )
    .await;
    check_refused(&a, StatusCode::CONFLICT, ALICE);

    let a = send(
        &app,
        Method::DELETE,
        &format!("/api/users/{ALICE_LOGIN}"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["hardDeleted"], true);
    assert_eq!(
        a.json()["groups"],
        json!([]),
        "a deleted user leaves its groups"
    );
    let a = send(
        &app,
        Method::DELETE,
        &format!("/api/users/{ALICE}"),
        &[],
        Body::empty(),
    )
    .await;
    check_refused(&a, StatusCode::CONFLICT, "hard-deleted");
    let a = json_call(
        &app,
        Method::PATCH,
        &format!("/api/users/{ALICE}"),
        json!({"active": true}),
    )
    .await;
    check_refused(&a, StatusCode::CONFLICT, "hard-deleted");
}

#[tokio::test]
async fn groups_and_members() {
    let app = app();
    let a = json_call(
        &app,
        Method::POST,
        "/api/groups",
        json!({"displayName": "Platform", "id": "g-1"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let a = send(
        &app,
        Method::PUT,
        &format!("/api/groups/g-1/members/{ALICE_LOGIN}"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        a.json()["members"],
        json!([{"id": ALICE, "userPrincipalName": ALICE_LOGIN}])
    );
    assert_eq!(
        get(&app, &format!("/api/users/{ALICE}")).await.json()["groups"],
        json!(["Engineering", "Platform"])
    );
    let a = json_call(
        &app,
        Method::PATCH,
        "/api/groups/g-1",
        json!({"displayName": "Platform & SRE"}),
    )
    .await;
    assert_eq!(a.json()["displayName"], "Platform & SRE", "{}", a.text);
    let a = json_call(
        &app,
        Method::PATCH,
        "/api/groups/g-1",
        json!({"displayName": "X", "owner": "me"}),
    )
    .await;
    check_refused(&a, StatusCode::BAD_REQUEST, "`owner`");
    assert_eq!(
        get(&app, "/api/groups/g-1").await.json()["displayName"],
        "Platform & SRE"
    );
    let a = send(
        &app,
        Method::DELETE,
        &format!("/api/groups/{ENGINEERING}/members/{ALICE}"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        get(&app, &format!("/api/users/{ALICE}")).await.json()["groups"],
        json!(["Platform & SRE"])
    );
    let a = send(
        &app,
        Method::PUT,
        "/api/groups/g-1/members/nobody",
        &[],
        Body::empty(),
    )
    .await;
    check_refused(&a, StatusCode::NOT_FOUND, "`nobody`");
    let a = send(
        &app,
        Method::PUT,
        &format!("/api/groups/nope/members/{ALICE}"),
        &[],
        Body::empty(),
    )
    .await;
    check_refused(&a, StatusCode::NOT_FOUND, "`nope`");
    let a = send(&app, Method::DELETE, "/api/groups/g-1", &[], Body::empty()).await;
    assert_eq!(a.json()["deleted"], true, "{}", a.text);
    let groups = get(&app, "/api/groups").await.json();
    let listed: Vec<&Value> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["id"])
        .collect();
    assert!(listed.contains(&&json!("g-1")), "the tombstone is listed");
    let a = json_call(
        &app,
        Method::POST,
        "/api/groups",
        json!({"displayName": "Dup", "id": ENGINEERING}),
    )
    .await;
    check_refused(&a, StatusCode::CONFLICT, ENGINEERING);
}

#[tokio::test]
async fn transcript_starts_empty_and_checks_since() {
    let app = app();
    let a = get(&app, "/api/transcript").await;
    assert_eq!(a.json(), json!({"exchanges": [], "next": 0}));
    let a = get(&app, "/api/transcript?since=7").await;
    assert_eq!(a.json()["exchanges"], json!([]));
    let a = get(&app, "/api/transcript?since=soon").await;
    check_refused(&a, StatusCode::BAD_REQUEST, "`since`");
    let a = get(&app, "/api/nothing/here").await;
    check_refused(&a, StatusCode::NOT_FOUND, "/api/nothing/here");
}

fn exchange(url: &str) -> Exchange {
    Exchange::unanswered("entra".into(), "GET".into(), url.into(), Vec::new(), None)
}

#[test]
fn the_log_keeps_the_newest_exchanges_numbered() {
    let mut log = ExchangeLog::default();
    for i in 0..LOG_CAPACITY + 10 {
        log.push(1 + (i / 100) as u64, exchange(&format!("http://t/{i}")));
    }
    assert_eq!(log.last(), (LOG_CAPACITY + 10) as u64);
    let all: Vec<_> = log.since(0).collect();
    assert_eq!(all.len(), LOG_CAPACITY);
    assert_eq!(
        (all[0].n, all[0].exchange.url.as_str()),
        (11, "http://t/10")
    );
    let tail: Vec<u64> = log.since(log.last() - 3).map(|l| l.n).collect();
    assert_eq!(tail, [5008, 5009, 5010]);
    assert_eq!(log.since(log.last()).count(), 0);
    assert_eq!(log.since(u64::MAX).count(), 0);
    assert_eq!(
        log.since(5).count(),
        LOG_CAPACITY,
        "older than kept: every kept one"
    );
    assert_eq!(log.since(0).next_back().map(|l| l.cycle), Some(51));
}

mod page_and_token;
