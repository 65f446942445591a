//! The runner against a real peer on a loopback socket that answers every request 200
//! and records what it was sent, in arrival order: exclusive cases (`set_config`) run after
//! the other cases of their configuration, alone, with the configuration restored after
//! each; `seed_app_user` keeps its password out of the transcript.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use conformance::{
    parse_scenario, Catalogue, NamedConfig, Outcome, Profile, RunEvent, RunOptions, TargetConfig,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

type Log = Arc<Mutex<Vec<String>>>;

/// Serve until the test ends: log `METHOD PATH BODY` per request; paths containing
/// `slow` answer after 100 ms and log `DONE PATH` just before answering.
async fn recording_target() -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                loop {
                    let mut line = String::new();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    let (method, path) = (method.to_owned(), path.to_owned());
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        read.read_line(&mut h).await.unwrap();
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap();
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    read.read_exact(&mut body).await.unwrap();
                    seen.lock().unwrap().push(format!(
                        "{method} {path} {}",
                        String::from_utf8_lossy(&body)
                    ));
                    if path.contains("slow") {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        seen.lock().unwrap().push(format!("DONE {path}"));
                    }
                    let body = if path == "/api/admin/users" {
                        r#"{"id":7}"#
                    } else {
                        "{}"
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, log)
}

fn scenario(id: &str, exclusive: bool, steps: &str) -> conformance::LoadedScenario {
    let text = format!(
        "id: {id}\ntitle: t\nlevel: must\npersonas: [rfc]\nexclusive: {exclusive}\nsteps:\n{steps}"
    );
    parse_scenario(&text, &format!("{id}.yaml"), "a").expect("the scenario loads")
}

fn options(url: String, profile: Profile) -> RunOptions {
    RunOptions {
        base_url: url,
        token: "t".into(),
        profile,
        seed: 1,
        jobs: 4,
        request_timeout: Duration::from_secs(5),
        case_timeout: Duration::from_secs(20),
        idp_keys: "unused".into(),
        baseline: None,
        default_config: "default".into(),
    }
}

fn default_config() -> Vec<NamedConfig> {
    vec![NamedConfig {
        name: "default".into(),
        values: TargetConfig {
            user_sync: true,
            group_sync: false,
            reject_non_provisioned_users: false,
        },
    }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_cases_run_alone_after_the_others_and_restore_the_config() {
    let (url, log) = recording_target().await;
    let profile = Profile::parse(
        "name = \"rec\"\nbase_url = \"http://unused\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n\
         [config]\nmethod = \"scim-config-api\"\npath = \"/config\"\nteam_sync = \"/ts\"\n",
        "rec.toml",
    )
    .unwrap();
    let get = |path: &str| {
        format!("  - request: {{surface: app, method: GET, path: {path}}}\n  - expect: {{response: {{status: 200}}}}\n")
    };
    let catalogue = Catalogue::from_parts(
        Path::new("."),
        vec![
            scenario(
                "a.exclusive",
                true,
                &format!(
                    "  - set_config: {{user_sync: false}}\n  - set_config: {{team_sync: true}}\n{}",
                    get("/excl")
                ),
            ),
            scenario("a.shared1", false, &get("/slow1")),
            scenario("a.shared2", false, &get("/slow2")),
        ],
        default_config(),
    )
    .unwrap();
    let cases = catalogue.cases();
    let opts = options(url, profile);
    let mut finished = Vec::new();
    conformance::run(cases.clone(), &cases, opts, |e| {
        if let RunEvent::CaseFinished(r) = e {
            finished.push((r.id.clone(), r.outcome, r.reason.clone()));
        }
    })
    .await
    .unwrap();
    let ids: Vec<&str> = finished.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "a.exclusive/rfc/default",
            "a.shared1/rfc/default",
            "a.shared2/rfc/default"
        ],
        "results come in case order"
    );
    for (id, outcome, reason) in &finished {
        assert_eq!(*outcome, Outcome::Pass, "{id}: {reason:?}");
    }
    let log = log.lock().unwrap().clone();
    let at = |prefix: &str| {
        log.iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in {log:#?}"))
    };
    let changed = at("PUT /config {\"apiVersion\":\"scim.grafana.app/v0alpha1\",\"kind\":\"SCIMConfig\",\"metadata\":{\"name\":\"default\",\"namespace\":\"default\"},\"spec\":{\"enableUserSync\":false");
    let switched_on = at("PUT /ts {\"enabled\":true}");
    assert!(
        at("DONE /slow1") < changed && at("DONE /slow2") < changed && changed < switched_on,
        "the exclusive case waits for the shared ones: {log:#?}"
    );
    let excl = at("GET /excl");
    assert!(switched_on < excl);
    // Restored right after it: Team Sync off, then the case's named configuration.
    assert!(
        log[excl + 1].starts_with("PUT /ts {\"enabled\":false}"),
        "{log:#?}"
    );
    assert!(
        log[excl + 2].starts_with("PUT /config ")
            && log[excl + 2].contains("\"enableUserSync\":true"),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_app_user_is_addressable_by_key_and_its_password_is_not_recorded() {
    let (url, log) = recording_target().await;
    let profile = Profile::parse(
        "name = \"rec\"\nbase_url = \"http://unused\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n\
         [probes]\ncreate_user = \"/api/admin/users\"\n",
        "rec.toml",
    )
    .unwrap();
    let s = scenario(
        "a.seed",
        false,
        "  - seed_app_user: {login: \"old-{tag}\", email: \"old-{tag}@example.test\", key: old}\n  \
         - request: {surface: app, method: GET, path: \"/api/users/{app_user_id:old}\"}\n  \
         - expect: {response: {status: 200}}\n",
    );
    let catalogue = Catalogue::from_parts(Path::new("."), vec![s], default_config()).unwrap();
    let cases = catalogue.cases();
    let mut results = Vec::new();
    conformance::run(cases.clone(), &cases, options(url, profile), |e| {
        if let RunEvent::CaseFinished(r) = e {
            results.push(r);
        }
    })
    .await
    .unwrap();
    let r = &results[0];
    assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.reason);
    let log = log.lock().unwrap().clone();
    let seeded = log
        .iter()
        .find(|l| l.starts_with("POST /api/admin/users "))
        .expect("the app user is created");
    assert!(seeded.contains("\"password\":\"Seed-"), "{seeded}");
    assert!(
        log.iter().any(|l| l.starts_with("GET /api/users/7 ")),
        "{log:#?}"
    );
    let transcript = serde_json::to_string(&r.transcript).unwrap();
    assert!(!transcript.contains("Seed-"), "{transcript}");
    assert!(
        transcript.contains("\"password\":\"[redacted]\""),
        "{transcript}"
    );
}
