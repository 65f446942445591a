//! The runner against a real peer on a loopback socket that answers every request 200
//! and records what it was sent, in arrival order: exclusive cases (`set_config`) run after
//! the other cases of their configuration, alone, with the configuration restored after
//! each; `seed_app_user` keeps its password out of the transcript. A peer that never answers
//! ends each case as an error naming the timeout, or the run as unreachable.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use conformance::{
    parse_scenario, Catalogue, NamedConfig, Outcome, Profile, RunEvent, RunOptions, TargetConfig,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpListener;

type Log = Arc<Mutex<Vec<String>>>;

/// The next request on a connection: method, path and body (`Content-Length` bytes);
/// `None` once the client has closed it.
async fn read_request(read: &mut BufReader<OwnedReadHalf>) -> Option<(String, String, Vec<u8>)> {
    read_request_with_auth(read)
        .await
        .map(|(m, p, b, _)| (m, p, b))
}

/// Serve until the test ends: log `METHOD PATH BODY | authorization: VALUE` per
/// request; paths containing `slow` answer after 100 ms and log `DONE PATH` just before
/// answering.
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
                while let Some((method, path, body, auth)) = read_request_with_auth(&mut read).await
                {
                    seen.lock().unwrap().push(format!(
                        "{method} {path} {} | authorization: {auth}",
                        String::from_utf8_lossy(&body)
                    ));
                    if path.contains("slow") {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        seen.lock().unwrap().push(format!("DONE {path}"));
                    }
                    let body = if path == "/api/admin/users" {
                        r#"{"id":7}"#
                    } else if method == "GET" && path == "/ts-on" {
                        r#"{"enabled":true}"#
                    } else if path.starts_with("/api/org/users?") {
                        ORG_USERS
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
        credential: idp::Credential::Bearer("t".into()),
        connector: None,
        admin: None,
        profile,
        seed: 1,
        jobs: 4,
        request_timeout: Duration::from_secs(5),
        case_timeout: Duration::from_secs(20),
        idp_keys: "unused".into(),
        baseline: None,
        default_config: "default".into(),
        // The scripted peers answer only what each test expects.
        keep: true,
        interrupt: conformance::Interrupt::default(),
        max_fail: None,
        running: Default::default(),
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
        login: Default::default(),
    }]
}

/// Where the first logged request starting with `prefix` is.
#[track_caller]
fn first_line(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in {log:#?}"))
}

/// A profile with the SCIMConfig API at `/config` and the Team Sync switch at `team_sync`.
fn config_profile(team_sync: &str) -> Profile {
    Profile::parse(
        &format!(
            "name = \"rec\"\nbase_url = \"http://unused\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n\
             [config]\nmethod = \"scim-config-api\"\npath = \"/config\"\nteam_sync = \"{team_sync}\"\n"
        ),
        "rec.toml",
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_cases_run_alone_after_the_others_and_restore_the_config() {
    let (url, log) = recording_target().await;
    let profile = config_profile("/ts");
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
    let at = |prefix: &str| first_line(&log, prefix);
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

/// A target whose Team Sync was on before an exclusive case that switches it off gets it
/// back on after the case, not off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_sync_is_put_back_as_it_was_before_an_exclusive_case() {
    let (url, log) = recording_target().await;
    let profile = config_profile("/ts-on");
    let catalogue = Catalogue::from_parts(
        Path::new("."),
        vec![scenario(
            "a.exclusive",
            true,
            "  - set_config: {team_sync: false}\n  - request: {surface: app, method: GET, path: /excl}\n",
        )],
        default_config(),
    )
    .unwrap();
    let cases = catalogue.cases();
    let mut finished = Vec::new();
    conformance::run(cases.clone(), &cases, options(url, profile), |e| {
        if let RunEvent::CaseFinished(r) = e {
            finished.push((r.outcome, r.reason.clone()));
        }
    })
    .await
    .unwrap();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].0, Outcome::Pass, "{:?}", finished[0].1);
    let log = log.lock().unwrap().clone();
    let at = |prefix: &str| first_line(&log, prefix);
    let read = at("GET /ts-on");
    let off = at("PUT /ts-on {\"enabled\":false}");
    let excl = at("GET /excl");
    assert!(read < off && off < excl, "{log:#?}");
    assert!(
        log[excl + 1].starts_with("PUT /ts-on {\"enabled\":true}"),
        "Team Sync put back on: {log:#?}"
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

/// A peer that answers `GET …/ServiceProviderConfig` (unless `hang_all`) and then never
/// answers anything else: it reads the request and holds the connection open.
async fn hanging_target(hang_all: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                while let Some((_, path, _)) = read_request(&mut read).await {
                    let discovery = path.contains("/ServiceProviderConfig");
                    if hang_all || !discovery {
                        // Hold the connection, answer nothing, until the client gives up.
                        let mut sink = Vec::new();
                        let _ = read.read_to_end(&mut sink).await;
                        return;
                    }
                    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/scim+json\r\ncontent-length: 2\r\n\r\n{}";
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn plain_profile() -> Profile {
    Profile::parse(
        "name = \"hung\"\nbase_url = \"http://unused\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n",
        "hung.toml",
    )
    .unwrap()
}

fn names_the_timeout(text: &str) -> bool {
    text.contains("no response within") || text.contains("timed out")
}

/// Guards the test itself: a runner that hangs fails here instead of stalling the suite.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Runs `scenarios` against a [`hanging_target`] with a 300 ms request budget, bounded by
/// [`HANG_GUARD`]; returns the run's result and each finished case (id, outcome, reason).
async fn run_against_hung_target(
    hang_all: bool,
    scenarios: Vec<conformance::LoadedScenario>,
) -> (
    Result<conformance::Summary, conformance::RunError>,
    Vec<(String, Outcome, String)>,
) {
    let url = hanging_target(hang_all).await;
    let catalogue = Catalogue::from_parts(Path::new("."), scenarios, default_config()).unwrap();
    let cases = catalogue.cases();
    let mut opts = options(url, plain_profile());
    opts.request_timeout = Duration::from_millis(300);
    opts.case_timeout = Duration::from_secs(30);
    let mut finished = Vec::new();
    let result = tokio::time::timeout(
        HANG_GUARD,
        conformance::run(cases.clone(), &cases, opts, |e| {
            if let RunEvent::CaseFinished(r) = e {
                finished.push((
                    r.id.clone(),
                    r.outcome,
                    r.reason.clone().unwrap_or_default(),
                ));
            }
        }),
    )
    .await
    .expect("the run ends although the target never answers");
    (result, finished)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_never_answers_ends_each_case_as_an_error_naming_the_timeout() {
    let (result, finished) = run_against_hung_target(
        false,
        vec![
            scenario(
                "h.request",
                false,
                "  - request: {surface: scim, method: GET, path: /Users}\n  - expect: {response: {status: 200}}\n",
            ),
            scenario(
                "h.sync",
                false,
                "  - add_user: {user: alice}\n  - sync: {}\n  - expect: {user: {user: alice, exists: true}}\n",
            ),
        ],
    )
    .await;
    let summary = result.expect("discovery answered, so the run starts");
    assert_eq!(summary.total, 2);
    assert_eq!(finished.len(), 2, "{finished:#?}");
    for (id, outcome, reason) in &finished {
        assert!(
            matches!(outcome, Outcome::Error | Outcome::Fail),
            "{id}: a hung target cannot pass: {outcome:?} {reason}"
        );
        assert!(
            names_the_timeout(reason),
            "{id}: the reason names the timeout: {reason}"
        );
    }
    assert_eq!(
        finished[0].1,
        Outcome::Error,
        "a request with no answer is the harness unable to judge: {finished:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_never_answers_discovery_is_unreachable() {
    let (result, finished) = run_against_hung_target(
        true,
        vec![scenario(
            "h.request",
            false,
            "  - request: {surface: scim, method: GET, path: /Users}\n",
        )],
    )
    .await;
    assert!(finished.is_empty(), "{finished:#?}");
    match result {
        Err(conformance::RunError::Unreachable { url, detail }) => {
            assert!(url.ends_with("/scim/ServiceProviderConfig"), "{url}");
            assert!(names_the_timeout(&detail), "{detail}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

/// A profile with `[saml]` (and `settings_switch` when given) and `[session]`.
fn login_profile(switch: Option<&str>) -> Profile {
    let switch = switch.map_or(String::new(), |s| format!("settings_switch = \"{s}\"\n"));
    Profile::parse(
        &format!(
            "name = \"rec\"\nbase_url = \"http://unused\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n\
             [saml]\nacs = \"/acs\"\nsp_entity_id = \"/md\"\n{switch}\
             [session]\nwhoami = \"/me\"\nlogin_pointer = \"/login\"\n\
             [config]\nmethod = \"scim-config-api\"\npath = \"/config\"\n"
        ),
        "rec.toml",
    )
    .unwrap()
}

/// Runs one scenario (a GET of `/case`) under `default` and `idp` (which needs
/// `allow_idp_initiated: true`); returns each case's outcome and reason, and the log.
async fn run_login_configs(
    profile: Profile,
) -> (Vec<(String, Outcome, Option<String>)>, Vec<String>) {
    let (url, log) = recording_target().await;
    let text = "id: a.login-config\ntitle: t\nlevel: must\npersonas: [rfc]\nconfigs: [default, idp]\n\
                steps:\n  - request: {surface: app, method: GET, path: /case}\n  - expect: {response: {status: 200}}\n";
    let mut configs = default_config();
    configs.push(NamedConfig {
        name: "idp".into(),
        values: configs[0].values,
        login: conformance::LoginSettings {
            allow_idp_initiated: Some(true),
            allow_sign_up: None,
        },
    });
    let catalogue = Catalogue::from_parts(
        Path::new("."),
        vec![parse_scenario(text, "a.yaml", "a").unwrap()],
        configs,
    )
    .unwrap();
    let cases = catalogue.cases();
    let mut finished = Vec::new();
    conformance::run(cases.clone(), &cases, options(url, profile), |e| {
        if let RunEvent::CaseFinished(r) = e {
            finished.push((r.id.clone(), r.outcome, r.reason.clone()));
        }
    })
    .await
    .unwrap();
    let log = log.lock().unwrap().clone();
    (finished, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_settings_go_through_the_switch_and_are_put_back() {
    let (finished, log) = run_login_configs(login_profile(Some("/switch"))).await;
    for (id, outcome, reason) in &finished {
        assert_eq!(*outcome, Outcome::Pass, "{id}: {reason:?}");
    }
    let puts: Vec<usize> = (0..log.len())
        .filter(|i| log[*i].starts_with("PUT /switch "))
        .collect();
    assert_eq!(puts.len(), 3, "{log:#?}");
    let cases: Vec<usize> = (0..log.len())
        .filter(|i| log[*i].starts_with("GET /case"))
        .collect();
    // default: the profile's declared values; idp: the config's; then the switch as found.
    assert!(
        log[puts[0]].contains("\"allowIdpInitiated\":false")
            && log[puts[0]].contains("\"allowSignUp\":true")
    );
    assert!(
        log[puts[1]].contains("\"allowIdpInitiated\":true"),
        "{log:#?}"
    );
    assert!(puts[0] < cases[0] && cases[0] < puts[1] && puts[1] < cases[1] && cases[1] < puts[2]);
    assert_eq!(
        log[puts[2]]
            .split(" | ")
            .next()
            .unwrap_or_default()
            .trim_end(),
        "PUT /switch {}",
        "the GET's answer again"
    );
    assert!(log[..puts[0]].iter().any(|l| l.starts_with("GET /switch")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_switch_a_config_needing_other_login_settings_is_skipped() {
    let (finished, log) = run_login_configs(login_profile(None)).await;
    assert_eq!(finished[0].1, Outcome::Pass, "{:?}", finished[0]);
    assert_eq!(finished[1].1, Outcome::Skip, "{:?}", finished[1]);
    let reason = finished[1].2.clone().unwrap_or_default();
    assert!(
        reason.contains("allow_idp_initiated = false") && reason.contains("settings_switch"),
        "{reason}"
    );
    assert_eq!(log.iter().filter(|l| l.starts_with("GET /case")).count(), 1);
}

/// [`read_request`] and the `Authorization` header's value (empty when none).
async fn read_request_with_auth(
    read: &mut BufReader<OwnedReadHalf>,
) -> Option<(String, String, Vec<u8>, String)> {
    let mut line = String::new();
    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut length = 0;
    let mut authorization = String::new();
    loop {
        let mut h = String::new();
        if read.read_line(&mut h).await.unwrap_or(0) == 0 {
            return None;
        }
        if h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            }
            if k.eq_ignore_ascii_case("authorization") {
                authorization = v.trim().to_owned();
            }
        }
    }
    let mut body = vec![0; length];
    read.read_exact(&mut body).await.ok()?;
    Some((method, path, body, authorization))
}

/// What the recording target answers to `GET /api/org/users?…`: Grafana's org user
/// list, one entry a near miss (a login that only contains the one asked for).
const ORG_USERS: &str = r#"[{"userId":3,"login":"not-fixed@example.test","email":"not-fixed@example.test","isDisabled":false},{"userId":7,"login":"FIXED@example.test","email":"fixed@example.test","isDisabled":true}]"#;

/// The profile of the admin tests: a seeding probe, a Team Sync switch and the org user
/// list, with `[admin] basic_auth` naming `basic_auth`.
fn admin_profile(basic_auth: &str) -> Profile {
    Profile::parse(
        &format!(
            "name = \"rec\"\nbase_url = \"http://unused\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n\
             [probes]\ncreate_user = \"/api/admin/users\"\nuser_by_login = \"/api/org/users?query={{login}}\"\n\
             [admin]\nbasic_auth = [{basic_auth}]\n\
             [config]\nmethod = \"scim-config-api\"\npath = \"/config\"\nteam_sync = \"/ts\"\n"
        ),
        "rec.toml",
    )
    .unwrap()
}

/// Runs `scenarios` against a [`recording_target`]; each finished case and the log.
async fn run_recorded(
    profile: Profile,
    admin: Option<conformance::AdminCredentials>,
    scenarios: Vec<conformance::LoadedScenario>,
) -> (Vec<Box<conformance::CaseResult>>, Vec<String>) {
    let (url, log) = recording_target().await;
    let catalogue = Catalogue::from_parts(Path::new("."), scenarios, default_config()).unwrap();
    let cases = catalogue.cases();
    let mut opts = options(url, profile);
    opts.admin = admin;
    let mut results = Vec::new();
    conformance::run(cases.clone(), &cases, opts, |e| {
        if let RunEvent::CaseFinished(r) = e {
            results.push(r);
        }
    })
    .await
    .unwrap();
    let log = log.lock().unwrap().clone();
    (results, log)
}

fn admin() -> conformance::AdminCredentials {
    conformance::AdminCredentials {
        user: "root".into(),
        password: "pw-9f3k2".into(),
    }
}

const SEED: &str =
    "  - seed_app_user: {login: \"old-{tag}\", email: \"old-{tag}@example.test\", key: old}\n";

/// What `[admin] basic_auth` names goes with basic auth as the server admin, the rest
/// with the token; the credentials reach neither the transcript nor the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_admin_names_is_sent_with_basic_auth_and_the_rest_with_the_token() {
    let steps = format!(
        "{SEED}  - set_config: {{team_sync: true}}\n  - expect: {{app_user: {{login: fixed@example.test, exists: true}}}}\n"
    );
    let (results, log) = run_recorded(
        admin_profile("\"create_user\", \"team_sync\""),
        Some(admin()),
        vec![scenario("a.admin", true, &steps)],
    )
    .await;
    assert_eq!(results[0].outcome, Outcome::Pass, "{:?}", results[0].reason);
    // base64("root:pw-9f3k2")
    let basic = "authorization: Basic cm9vdDpwdy05ZjNrMg==";
    let line = |prefix: &str| {
        log.iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in {log:#?}"))
            .clone()
    };
    assert!(line("POST /api/admin/users ").ends_with(basic), "{log:#?}");
    assert!(
        line("PUT /ts {\"enabled\":true}").ends_with(basic),
        "{log:#?}"
    );
    assert!(
        line("GET /api/org/users?").ends_with("authorization: Bearer t"),
        "{log:#?}"
    );
    assert!(
        line("PUT /config ").ends_with("authorization: Bearer t"),
        "{log:#?}"
    );
    let report = serde_json::to_string(&results[0]).unwrap();
    assert!(!report.contains("pw-9f3k2"), "{report}");
    assert!(!report.contains("cm9vdDpwdy05ZjNrMg"), "{report}");
}

/// Without the admin variables, a case that needs what `[admin]` names is skipped with
/// the reason, and nothing of it is sent; the other cases run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_admin_credentials_cases_that_need_them_are_skipped_with_the_reason() {
    let (results, log) = run_recorded(
        admin_profile("\"create_user\", \"team_sync\""),
        None,
        vec![
            scenario("a.seed", false, SEED),
            scenario("a.switch", true, "  - set_config: {team_sync: true}\n"),
            scenario(
                "a.read",
                false,
                "  - expect: {app_user: {login: fixed@example.test, exists: true}}\n",
            ),
        ],
    )
    .await;
    let by_id = |id: &str| results.iter().find(|r| r.id.starts_with(id)).unwrap();
    for (id, key) in [
        ("a.seed/", "[probes] create_user"),
        ("a.switch/", "[config] team_sync"),
    ] {
        let r = by_id(id);
        assert_eq!(r.outcome, Outcome::Skip, "{id}: {:?}", r.reason);
        let reason = r.reason.clone().unwrap_or_default();
        assert!(
            reason.contains(key)
                && reason.contains("SCIM_HARNESS_ADMIN_USER")
                && reason.contains("SCIM_HARNESS_ADMIN_PASSWORD"),
            "{reason}"
        );
    }
    assert_eq!(by_id("a.read/").outcome, Outcome::Pass);
    assert!(
        !log.iter()
            .any(|l| l.starts_with("POST /api/admin/users") || l.starts_with("PUT /ts")),
        "{log:#?}"
    );
}

/// `user_by_login` answered with Grafana's org user list: the entry whose login (any
/// case) or email is the one asked for is the user, a near miss is not, and its
/// `isDisabled` is judged; a field the list lacks is noted as not observed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_org_user_list_is_read_for_the_user_with_that_login() {
    let expect = |id: &str, app: &str| {
        scenario(id, false, &format!("  - expect: {{app_user: {{{app}}}}}\n"))
    };
    let (results, _) = run_recorded(
        admin_profile("\"create_user\""),
        None,
        vec![
            expect(
                "o.disabled",
                "login: fixed@example.test, exists: true, disabled: true",
            ),
            expect("o.wrong", "login: fixed@example.test, disabled: false"),
            expect("o.absent", "login: fixed@example, exists: false"),
            expect("o.unobserved", "login: fixed@example.test, name: Fixed"),
        ],
    )
    .await;
    let by_id = |id: &str| results.iter().find(|r| r.id.starts_with(id)).unwrap();
    assert_eq!(
        by_id("o.disabled/").outcome,
        Outcome::Pass,
        "{:?}",
        by_id("o.disabled/").reason
    );
    let wrong = by_id("o.wrong/");
    assert_eq!(wrong.outcome, Outcome::Fail);
    assert_eq!(
        wrong.mismatches[0].check,
        "app user fixed@example.test: isDisabled"
    );
    assert_eq!(wrong.mismatches[0].observed, "true");
    assert_eq!(
        by_id("o.absent/").outcome,
        Outcome::Pass,
        "{:?}",
        by_id("o.absent/").reason
    );
    let unobserved = by_id("o.unobserved/");
    assert_eq!(unobserved.outcome, Outcome::Pass, "{:?}", unobserved.reason);
    assert!(
        unobserved
            .notes
            .iter()
            .any(|n| n.contains("name not observed")),
        "{:?}",
        unobserved.notes
    );
}

#[test]
fn admin_credentials_come_in_pairs_and_never_show_the_password() {
    use conformance::AdminCredentials;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert_eq!(AdminCredentials::from_lookup(env(&[])).unwrap(), None);
    let both = AdminCredentials::from_lookup(env(&[
        ("SCIM_HARNESS_ADMIN_USER", "root"),
        ("SCIM_HARNESS_ADMIN_PASSWORD", "pw-9f3k2"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(both, admin());
    assert!(!format!("{both:?}").contains("pw-9f3k2"));
    let half = AdminCredentials::from_lookup(env(&[("SCIM_HARNESS_ADMIN_USER", "root")]))
        .unwrap_err()
        .to_string();
    assert!(
        half.contains("SCIM_HARNESS_ADMIN_PASSWORD is not"),
        "{half}"
    );
    let empty = AdminCredentials::from_lookup(env(&[
        ("SCIM_HARNESS_ADMIN_USER", ""),
        ("SCIM_HARNESS_ADMIN_PASSWORD", ""),
    ]))
    .unwrap();
    assert_eq!(empty, None, "empty values count as unset");
}
