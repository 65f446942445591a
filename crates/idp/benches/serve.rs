//! `idp serve`: the server time of one SP-initiated login round trip (an AuthnRequest
//! in over HTTP-Redirect, the login page, the choice, the signed Response out), next to
//! the signing alone (`idp::issue_login`, the floor) in the same run; then 100 logins at
//! once over real sockets, counted for errors; then a provisioning cycle pushed through
//! `POST /api/sync`, next to the same cycle run by the engine alone (as `idp sync` runs
//! it), each against a fresh in-process reference target.
//!
//! ```text
//! cargo bench -p idp --bench serve                 # 400 round trips, 100 concurrent, 2,000 users
//! cargo bench -p idp --bench serve -- --rounds 1000 --concurrent 200 --users 5000 --cycles 3
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
use idp::{Directory, Generate, IdpKeys, PersonaId, ScimTarget, SyncEngine};

const TOKEN: &str = "bench-token-not-a-secret";
const SCIM_PATH: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";

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

/// A fresh reference target in-process (its database in `dir`).
async fn reference_target(
    root: &std::path::Path,
    dir: &std::path::Path,
) -> reference_target::RunningTarget {
    let opts = reference_target::ServeOptions {
        listen: "127.0.0.1:0".parse().expect("an address"),
        db: dir.join("grafana.db"),
        config_ini: Some(root.join("fixtures/target/reference.ini")),
        token: TOKEN.into(),
        idp_certs: Vec::new(),
        namespace: None,
        root_url: None,
        tls: None,
    };
    reference_target::spawn(opts, reference_target::FaultSet::none())
        .await
        .expect("the reference target")
}

/// The directory of the cycle part: the fixture plus `users` generated members of its
/// first group.
fn big_directory(root: &std::path::Path, users: usize) -> Directory {
    let mut dir = Directory::load(root.join("fixtures/directory.yaml")).expect("the directory");
    let group = dir.groups()[0].id.clone();
    dir.generate_members(
        &group,
        &Generate {
            count: users,
            pattern: "bench.user{n:05}@contoso.example".into(),
        },
    )
    .expect("generated users");
    dir
}

/// Disables every tenth active user: the churn of a later cycle.
fn churn(dir: &mut Directory) {
    let ids: Vec<String> = dir
        .users()
        .filter(|u| u.is_active())
        .step_by(10)
        .map(|u| u.id.clone())
        .collect();
    for id in ids {
        dir.disable_user(&id).expect("disabling");
    }
}

/// `cycles` cycles (the initial one, then churn) by the engine alone, as `idp sync`
/// drives it, against a fresh target; the wall time of each.
async fn direct_cycles(root: &std::path::Path, users: usize, cycles: usize) -> Vec<Duration> {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let target = reference_target(root, tmp.path()).await;
    let mut engine = SyncEngine::new(
        PersonaId::Entra,
        ScimTarget::new(format!("http://{}{SCIM_PATH}", target.addr()), TOKEN),
    );
    let mut dir = big_directory(root, users);
    let mut times = Vec::new();
    for c in 0..cycles {
        if c > 0 {
            churn(&mut dir);
        }
        let start = Instant::now();
        let report = engine.cycle(&dir).await;
        times.push(start.elapsed());
        assert!(report.is_clean(), "{}", report.summary());
    }
    let _ = target.stop().await;
    times
}

/// The same cycles through `POST /api/sync` of a served site.
async fn served_cycles(root: &std::path::Path, users: usize, cycles: usize) -> Vec<Duration> {
    let keys = Arc::new(IdpKeys::load(&root.join("fixtures/idp")).expect("the test keys"));
    let tmp = tempfile::tempdir().expect("a temp dir");
    let target = reference_target(root, tmp.path()).await;
    let config = ServeConfig {
        personas: vec![PersonaId::Entra],
        directory: big_directory(root, users),
        public_url: "http://idp.test".into(),
        tenant: "bench".into(),
        service_providers: Vec::new(),
        keys,
        target: Some(ScimTarget::new(
            format!("http://{}{SCIM_PATH}", target.addr()),
            TOKEN,
        )),
        interval: None,
        admin_token: None,
    };
    let sites = sites(&config).expect("the site");
    let app = router(&sites);
    let mut times = Vec::new();
    for c in 0..cycles {
        if c > 0 {
            sites[0].provisioner.edit(churn);
        }
        let start = Instant::now();
        let answer = app
            .clone()
            .oneshot(
                Request::post("/api/sync")
                    .body(Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("the sync answer");
        let status = answer.status();
        let body = axum::body::to_bytes(answer.into_body(), 64 << 20)
            .await
            .expect("its body");
        times.push(start.elapsed());
        let summary: serde_json::Value = serde_json::from_slice(&body).expect("a JSON summary");
        assert_eq!(status, StatusCode::OK, "{summary}");
        assert_eq!(
            summary["errors"].as_array().map(Vec::len),
            Some(0),
            "{summary}"
        );
    }
    let _ = target.stop().await;
    times
}

fn main() {
    let rounds = arg("--rounds", 400).max(10);
    let concurrent = arg("--concurrent", 100).max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let directory = Directory::load(root.join("fixtures/directory.yaml")).expect("the directory");
    let user = directory
        .users()
        .find(|u| u.is_active())
        .expect("an active user")
        .into_owned();
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
            rollover_key: false,
            encrypt_for: None,
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

    let users = arg("--users", 2000);
    let cycles = arg("--cycles", 2).max(1);
    let cycle_rounds = arg("--cycle-rounds", 3).max(1);
    let total = big_directory(&root, users).users().len();
    // Rounds alternate which runs first, so neither always gets the warmer machine.
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); cycles];
    for round in 0..cycle_rounds {
        let (direct, served) = runtime.block_on(async {
            if round % 2 == 0 {
                let d = direct_cycles(&root, users, cycles).await;
                (d, served_cycles(&root, users, cycles).await)
            } else {
                let s = served_cycles(&root, users, cycles).await;
                (direct_cycles(&root, users, cycles).await, s)
            }
        });
        for (c, (d, s)) in direct.iter().zip(&served).enumerate() {
            let what = if c == 0 {
                "initial"
            } else {
                "churn: every tenth user disabled"
            };
            let ratio = s.as_secs_f64() / d.as_secs_f64();
            ratios[c].push(ratio);
            println!(
                "round {} cycle {} ({what}, {total} users): engine alone {:.0} ms, through POST /api/sync {:.0} ms, ratio {ratio:.2}",
                round + 1,
                c + 1,
                ms(*d),
                ms(*s),
            );
        }
    }
    for (c, mut r) in ratios.into_iter().enumerate() {
        r.sort_by(f64::total_cmp);
        println!(
            "cycle {}: median ratio through the API / engine alone over {cycle_rounds} rounds: {:.2} (goal: as fast as idp sync's)",
            c + 1,
            r[r.len() / 2]
        );
    }
}
