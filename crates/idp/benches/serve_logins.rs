//! `idp serve` logins: the server time of one SP-initiated round trip (an AuthnRequest
//! in over HTTP-Redirect, the login page, the choice, the signed Response out), next to
//! the signing alone (`idp::issue_login`, the floor) in the same run; then 100 logins at
//! once over real sockets, counted for errors.
//!
//! ```text
//! cargo bench -p idp --bench serve_logins                 # 400 round trips, 100 concurrent
//! cargo bench -p idp --bench serve_logins -- --rounds 1000 --concurrent 200
//! ```
//!
//! Server time is measured through the router (`tower::ServiceExt::oneshot`, no socket),
//! so it is what the server spends; the concurrent part goes over loopback TCP with a
//! client per login, as 100 browsers would.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt as _;

use idp::serve::{router, sites, ServeConfig, ServiceProvider};
use idp::{Directory, IdpKeys, PersonaId};

const ACS: &str = "http://app.test/saml/acs";
const SP: &str = "http://app.test/saml/metadata";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn authn_request_uri(id: &str) -> String {
    let xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
IssueInstant=\"2026-12-06T12:00:00Z\" AssertionConsumerServiceURL=\"{ACS}\">\
<saml:Issuer>{SP}</saml:Issuer></samlp:AuthnRequest>"
    );
    saml::binding::Redirect::request(xml, Some("relay".into()))
        .to_url("/saml/sso")
        .expect("encoding an AuthnRequest")
}

fn ticket_of(page: &str) -> Option<String> {
    let marker = "name=\"ticket\" value=\"";
    let start = page.find(marker)? + marker.len();
    let end = start + page[start..].find('"')?;
    Some(page[start..end].to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let rounds = arg("--rounds", 400).max(10);
    let concurrent = arg("--concurrent", 100).max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let directory = Directory::load(root.join("fixtures/directory.yaml")).expect("the directory");
    let user = directory
        .users()
        .iter()
        .find(|u| u.is_active())
        .expect("an active user")
        .clone();
    let keys = Arc::new(IdpKeys::load(&root.join("fixtures/idp")).expect("the test keys"));
    let config = ServeConfig {
        personas: vec![PersonaId::Entra],
        directory,
        public_url: "http://idp.test".into(),
        tenant: "bench".into(),
        service_providers: vec![ServiceProvider::new(SP, ACS)],
        keys: Arc::clone(&keys),
        target: None,
        interval: None,
        admin_token: None,
    };
    let sites = sites(&config).expect("the site");
    let app = router(&sites);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");

    // The floor: signing the same Response without serving anything.
    let sp = ServiceProvider::new(SP, ACS).saml_sp(ACS);
    let mut floor = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let request = idp::LoginRequest {
            persona: PersonaId::Entra,
            user: &user,
            external_id: PersonaId::Entra.external_id(&user),
            groups: Vec::new(),
            overrides: idp::ClaimOverrides::default(),
            sign: None,
            attack: None,
            victim: None,
            sp: sp.clone(),
            tenant: "bench".into(),
            in_response_to: Some(format!("_f{i}")),
        };
        let start = Instant::now();
        let issued = idp::issue_login(&keys, &request).expect("signing");
        floor.push(start.elapsed());
        assert!(issued.xml.contains("InResponseTo"));
    }

    // Server time of a whole round trip through the router.
    let mut served = Vec::with_capacity(rounds);
    runtime.block_on(async {
        for i in 0..rounds {
            let start = Instant::now();
            let page = app
                .clone()
                .oneshot(
                    Request::get(authn_request_uri(&format!("_r{i}")))
                        .body(Body::empty())
                        .expect("a request"),
                )
                .await
                .expect("the login page");
            assert_eq!(page.status(), StatusCode::OK);
            let body = axum::body::to_bytes(page.into_body(), 4 << 20)
                .await
                .expect("its body");
            let ticket = ticket_of(&String::from_utf8_lossy(&body)).expect("a ticket");
            let choice = Request::post("/saml/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("ticket={ticket}&user={}", user.id)))
                .expect("a choice");
            let answer = app
                .clone()
                .oneshot(choice)
                .await
                .expect("the Response page");
            assert_eq!(answer.status(), StatusCode::OK);
            let _ = axum::body::to_bytes(answer.into_body(), 4 << 20)
                .await
                .expect("its body");
            served.push(start.elapsed());
        }
    });
    floor.sort();
    served.sort();
    let (f50, s50) = (percentile(&floor, 0.5), percentile(&served, 0.5));
    println!(
        "login round trip, server time over {rounds}: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ms(s50),
        ms(percentile(&served, 0.95)),
        ms(*served.last().expect("rounds")),
    );
    println!(
        "signing alone (issue_login):        p50 {:.2} ms, p95 {:.2} ms",
        ms(f50),
        ms(percentile(&floor, 0.95)),
    );
    println!(
        "ratio served/signing (p50): {:.2} (goal: under 5 ms of server time a round trip)",
        s50.as_secs_f64() / f50.as_secs_f64()
    );

    // 100 logins at once over real sockets.
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let base = format!("http://{addr}");
        let start = Instant::now();
        let tasks: Vec<_> = (0..concurrent)
            .map(|i| {
                let base = base.clone();
                let user = user.id.clone();
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let page = client
                        .get(format!("{base}{}", authn_request_uri(&format!("_c{i}"))))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    if page.status() != StatusCode::OK {
                        return Err(format!("login page: {}", page.status()));
                    }
                    let text = page.text().await.map_err(|e| e.to_string())?;
                    let ticket = ticket_of(&text).ok_or("no ticket")?;
                    let answer = client
                        .post(format!("{base}/saml/login"))
                        .form(&[("ticket", ticket.as_str()), ("user", user.as_str())])
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = answer.status();
                    let text = answer.text().await.map_err(|e| e.to_string())?;
                    if status != StatusCode::OK || !text.contains("SAMLResponse") {
                        return Err(format!("response page: {status}"));
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        let mut errors = Vec::new();
        for t in tasks {
            match t.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => errors.push(e),
                Err(e) => errors.push(e.to_string()),
            }
        }
        let took = start.elapsed();
        println!(
            "{concurrent} concurrent logins over loopback: {} ok, {} errors, {:.0} ms in all",
            concurrent - errors.len(),
            errors.len(),
            ms(took)
        );
        for e in errors.iter().take(5) {
            println!("  error: {e}");
        }
        server.abort();
    });
}
