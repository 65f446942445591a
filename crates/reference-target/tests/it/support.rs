//! Test support: a target served on a real loopback socket through `reference_target::spawn`, a
//! router-only target for `oneshot` requests, and SCIM bodies.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-4f9c2a7e1b";
pub const BASE: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SCIM_JSON: &str = "application/scim+json";

/// Both syncs on: what the harness passes to the reference target.
pub const SYNC_ON: &str = "[auth.scim]\nuser_sync_enabled = true\ngroup_sync_enabled = true\n";

/// A response, with the body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Assert an RFC 7644 §3.12 error with this status and `scimType`.
    #[track_caller]
    pub fn assert_scim_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.content_type(), SCIM_JSON, "body: {}", self.body);
        assert_eq!(
            self.body["schemas"],
            json!([ERROR_SCHEMA]),
            "body: {}",
            self.body
        );
        assert_eq!(
            self.body["status"],
            json!(status.to_string()),
            "body: {}",
            self.body
        );
        assert_eq!(
            self.body.get("scimType").and_then(Value::as_str),
            scim_type,
            "body: {}",
            self.body
        );
        assert!(self.body["detail"].is_string(), "body: {}", self.body);
    }

    /// The `id` of a created resource.
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
            .to_owned()
    }
}

/// The server admin's basic-auth credentials when the ini does not set `[security]`
/// (Grafana's default admin/admin).
pub const ADMIN: (&str, &str) = ("admin", "admin");

/// How a test authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// The bearer token: a service account with the org Admin role.
    Token,
    /// Basic auth as the server admin ([`ADMIN`]).
    Admin,
    None,
    Wrong,
}

/// A target served through `reference_target::spawn` on 127.0.0.1:0.
pub struct Target {
    pub addr: SocketAddr,
    pub db: PathBuf,
    client: reqwest::Client,
    running: reference_target::RunningTarget,
    _dir: TempDir,
}

impl Target {
    /// Serve with this ini text (`SYNC_ON` for most tests).
    pub async fn start(ini: &str) -> Target {
        let dir = tempfile::tempdir().expect("temp dir");
        let ini_path = dir.path().join("grafana.ini");
        std::fs::write(&ini_path, ini).expect("write ini");
        let db = dir.path().join("target.db");
        let opts = reference_target::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            db: db.clone(),
            config_ini: Some(ini_path),
            token: TOKEN.to_owned(),
            idp_certs: Vec::new(),
            namespace: None,
            root_url: None,
            tls: None,
        };
        let running = reference_target::spawn(opts, reference_target::FaultSet::none())
            .await
            .expect("target became ready");
        Target {
            addr: running.addr(),
            db,
            client: reqwest::Client::new(),
            running,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Send a request with a JSON body (as `application/scim+json`).
    pub async fn send_as(
        &self,
        auth: Auth,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        request = match auth {
            Auth::Token => request.bearer_auth(TOKEN),
            Auth::Admin => request.basic_auth(ADMIN.0, Some(ADMIN.1)),
            Auth::Wrong => request.bearer_auth("not-the-token"),
            Auth::None => request,
        };
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, SCIM_JSON)
                .body(serde_json::to_vec(body).unwrap());
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("response body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-json body: {}", String::from_utf8_lossy(&bytes)))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Send with the credentials a deployment uses for `path`: server-admin basic auth on
    /// the global user and admin APIs, else the service-account token.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        self.send_as(auth_for(path), method, path, body).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// `POST /Users`, asserting 201.
    pub async fn create_user(&self, body: &Value) -> Reply {
        let r = self.post(&format!("{BASE}/Users"), body).await;
        assert_eq!(r.status, 201, "creating user: {}", r.body);
        r
    }

    /// `POST /Groups`, asserting 201.
    pub async fn create_group(&self, body: &Value) -> Reply {
        let r = self.post(&format!("{BASE}/Groups"), body).await;
        assert_eq!(r.status, 201, "creating group: {}", r.body);
        r
    }

    /// `GET /api/users/lookup?loginOrEmail=`.
    pub async fn lookup(&self, login_or_email: &str) -> Reply {
        self.get(&format!(
            "/api/users/lookup?loginOrEmail={}",
            encode(login_or_email)
        ))
        .await
    }

    /// The team a SCIM group provisions, from `/api/teams/search?name=`.
    pub async fn team_named(&self, name: &str) -> Value {
        let r = self
            .get(&format!("/api/teams/search?name={}", encode(name)))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalCount"], 1, "team {name}: {}", r.body);
        r.body["teams"][0].clone()
    }

    /// Open the database file for assertions on the stored rows.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).expect("open db")
    }

    /// Stop serving and wait for `serve` to return.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.running.stop().await
    }
}

/// The credentials a deployment uses for `path` (see [`Target::send`]).
pub fn auth_for(path: &str) -> Auth {
    if reference_target::server_admin_only(path) {
        Auth::Admin
    } else {
        Auth::Token
    }
}

/// Percent-encode a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A router-only target (no socket) over a temporary database.
pub struct RouterTarget {
    pub router: axum::Router,
    pub state: reference_target::AppState,
    _dir: TempDir,
}

impl RouterTarget {
    pub fn with_settings(settings: reference_target::Settings) -> RouterTarget {
        let dir = tempfile::tempdir().expect("temp dir");
        let state =
            reference_target::AppState::open(&dir.path().join("t.db"), settings, TOKEN.to_owned())
                .expect("open state");
        RouterTarget {
            router: reference_target::app(state.clone()),
            state,
            _dir: dir,
        }
    }

    /// Over an already opened state.
    pub fn from_state(state: reference_target::AppState) -> RouterTarget {
        RouterTarget {
            router: reference_target::app(state.clone()),
            state,
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// From ini text, with these fault switches on.
    pub fn with_faults(ini: &str, faults: &[reference_target::Fault]) -> RouterTarget {
        let t = RouterTarget::from_ini(ini, &[]);
        let state = t.state.with_faults(faults.iter().copied().collect());
        RouterTarget {
            router: reference_target::app(state.clone()),
            state,
            _dir: t._dir,
        }
    }

    /// From ini text and environment variables.
    pub fn from_ini(ini: &str, env: &[(&str, &str)]) -> RouterTarget {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("grafana.ini");
        std::fs::write(&path, ini).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let settings =
            reference_target::Settings::load(Some(&path), env.into_iter()).expect("settings");
        RouterTarget::with_settings(settings)
    }

    /// Send a raw request through the router.
    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-json body: {}", String::from_utf8_lossy(&bytes)))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Send with the credentials a deployment uses for `path` ([`auth_for`]) and, if
    /// given, a JSON body as `application/scim+json`.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let authorization = match auth_for(path) {
            Auth::Admin => {
                use base64::Engine;
                let pair = format!("{}:{}", ADMIN.0, ADMIN.1);
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            _ => format!("Bearer {TOKEN}"),
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "target.test")
            .header(header::AUTHORIZATION, authorization);
        let body = match body {
            Some(b) => {
                builder = builder.header(header::CONTENT_TYPE, SCIM_JSON);
                Body::from(serde_json::to_vec(b).unwrap())
            }
            None => Body::empty(),
        };
        self.request(builder.body(body).unwrap()).await
    }
}

/// A SCIM User body as Entra sends it, with a work email.
pub fn user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "displayName": format!("Display {user_name}"),
        "emails": [{"primary": true, "type": "work", "value": user_name}],
    })
}

/// A SCIM Group body with these member ids.
pub fn group(display_name: &str, external_id: Option<&str>, members: &[&str]) -> Value {
    let mut g = json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": display_name,
        "members": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>(),
    });
    if let Some(e) = external_id {
        g["externalId"] = json!(e);
    }
    g
}

/// A PatchOp body.
pub fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": operations})
}

/// The member ids of a group resource, sorted.
pub fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Paths to a file in a temporary directory.
pub fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// What the target stores for a session cookie value: its SHA-256 in lowercase hex.
pub fn session_hash(token: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
