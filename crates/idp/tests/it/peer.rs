//! A scripted SCIM peer on a real loopback socket: records every request and answers
//! through a handler, either a script of the sheets' responses or a small stateful fake.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use idp::ScimTarget;
use serde_json::{json, Value};

/// The SCIM base path the peer serves under.
pub const BASE: &str = "/scim/v2";

/// One request as the peer saw it; `path` is relative to [`BASE`], `query` raw.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD /path?query`.
    pub fn line(&self) -> String {
        match &self.query {
            Some(q) => format!("{} {}?{q}", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }
}

/// What the peer answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub raw: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            raw: None,
            headers: vec![("content-type".into(), "application/scim+json".into())],
            delay: None,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            raw: None,
            headers: vec![],
            delay: None,
        }
    }

    pub fn raw(status: u16, content_type: &str, raw: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            body: None,
            raw: Some(raw.into()),
            headers: vec![("content-type".into(), content_type.into())],
            delay: None,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn after(mut self, d: Duration) -> Reply {
        self.delay = Some(d);
        self
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct PeerState {
    handler: Handler,
    log: Arc<Mutex<Vec<Recorded>>>,
}

/// A running peer; stops when dropped.
pub struct Peer {
    pub addr: std::net::SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(st): State<PeerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rec = Recorded {
        method: method.to_string(),
        path: uri
            .path()
            .strip_prefix(BASE)
            .unwrap_or(uri.path())
            .to_owned(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body).ok(),
    };
    st.log.lock().unwrap().push(rec.clone());
    let reply = (st.handler)(&rec);
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    let mut resp = match (&reply.raw, &reply.body) {
        (Some(raw), _) => raw.clone().into_response(),
        (None, Some(b)) => serde_json::to_vec(b).unwrap().into_response(),
        (None, None) => ().into_response(),
    };
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (k, v) in &reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    resp
}

impl Peer {
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Peer {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = PeerState {
            handler: Arc::new(handler),
            log: log.clone(),
        };
        let app = axum::Router::new().fallback(handle).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Peer { addr, log, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}{BASE}", self.addr)
    }

    /// A target with short bounds, so that no test waits long.
    pub fn target(&self) -> ScimTarget {
        let mut t = ScimTarget::new(self.base_url(), "s3cret-token");
        t.timeout = Duration::from_secs(10);
        t.max_retry_wait = Duration::from_secs(2);
        t.server_error_backoff = Duration::from_millis(50);
        t
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }
}

/// Decode `application/x-www-form-urlencoded` or percent-encoding.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The value of query parameter `name`, decoded.
pub fn param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| decode(v))
    })
}

/// `attr eq "value"` → value.
pub fn filter_value(filter: &str) -> String {
    let start = filter.find('"').unwrap() + 1;
    filter[start..filter.len() - 1].replace("\\\"", "\"")
}

/// A tiny in-memory SCIM service provider: ids `u1`, `u2`… and `g1`…; PATCH through the
/// `scim` crate; PATCH on groups answers 204 (entra-scim.md §1.7).
#[derive(Default)]
pub struct Fake {
    users: Vec<Value>,
    groups: Vec<Value>,
    next: u32,
}

pub fn fake_scim() -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let state = Arc::new(Mutex::new(Fake::default()));
    move |r: &Recorded| state.lock().unwrap().answer(r)
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(),
        "Resources": resources})
}

fn not_found() -> Reply {
    Reply::json(
        404,
        json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"not found"}),
    )
}

impl Fake {
    fn answer(&mut self, r: &Recorded) -> Reply {
        let mut parts = r.path.trim_start_matches('/').splitn(2, '/');
        let collection = parts.next().unwrap_or("").to_owned();
        let id = parts.next().map(decode);
        let is_user = collection == "Users";
        let exclude_members = param(r.query.as_deref(), "excludedAttributes").is_some();
        let strip = |mut v: Value| {
            if exclude_members {
                v.as_object_mut().unwrap().remove("members");
            }
            v
        };
        if collection == "ServiceProviderConfig" {
            return Reply::json(
                200,
                json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],"patch":{"supported":true}}),
            );
        }
        let store = if is_user {
            &mut self.users
        } else {
            &mut self.groups
        };
        let key = if is_user { "userName" } else { "displayName" };
        match (r.method.as_str(), id) {
            ("GET", None) => {
                let found: Vec<Value> = match param(r.query.as_deref(), "filter") {
                    Some(f) => {
                        let v = filter_value(&f);
                        store
                            .iter()
                            .filter(|u| u[key].as_str().is_some_and(|s| s.eq_ignore_ascii_case(&v)))
                            .cloned()
                            .map(strip)
                            .collect()
                    }
                    None => Vec::new(),
                };
                Reply::json(200, list(found))
            }
            ("POST", None) => {
                let mut body = r.body.clone().unwrap();
                if store.iter().any(|u| u[key] == body[key]) {
                    return Reply::json(
                        409,
                        json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"exists"}),
                    );
                }
                self.next += 1;
                let id = format!("{}{}", if is_user { "u" } else { "g" }, self.next);
                let o = body.as_object_mut().unwrap();
                o.remove("password");
                o.insert("id".into(), json!(id));
                o.insert(
                    "meta".into(),
                    json!({"resourceType": if is_user {"User"} else {"Group"}}),
                );
                let store = if is_user {
                    &mut self.users
                } else {
                    &mut self.groups
                };
                store.push(body.clone());
                Reply::json(201, body)
            }
            (m, Some(id)) => {
                let Some(pos) = store.iter().position(|u| u["id"] == id.as_str()) else {
                    return not_found();
                };
                match m {
                    "GET" => Reply::json(200, strip(store[pos].clone())),
                    "DELETE" => {
                        store.remove(pos);
                        Reply::empty(204)
                    }
                    "PUT" => {
                        let mut body = r.body.clone().unwrap();
                        body["id"] = json!(id);
                        store[pos] = body.clone();
                        Reply::json(200, body)
                    }
                    "PATCH" => {
                        let req =
                            scim::model::PatchRequest::from_json(r.body.clone().unwrap()).unwrap();
                        let schema = if is_user {
                            scim::schema::ResourceSchema::user()
                        } else {
                            scim::schema::ResourceSchema::group()
                        };
                        match scim::patch::apply(&mut store[pos], &req, schema) {
                            Ok(()) if is_user => Reply::json(200, store[pos].clone()),
                            Ok(()) => Reply::empty(204),
                            Err(e) => Reply::json(400, json!({"status":"400","detail": e.detail})),
                        }
                    }
                    _ => Reply::empty(405),
                }
            }
            _ => Reply::empty(405),
        }
    }
}
