//! Fidelity: each documented operation, driven through the matching directory change,
//! against a peer that answers with the sheet's responses (fixtures/vendor/).

use std::path::PathBuf;

use idp::{Action, DirGroup, DirUser, Directory, IssueCode, PersonaId, SyncEngine};
use rstest::rstest;
use serde_json::{json, Value};

use crate::peer::{Peer, Recorded, Reply};

fn vendor(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/vendor")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The sheet's response for `name`.
fn answer(name: &str) -> Reply {
    let f = vendor(name);
    let status = f["response"]["status"].as_u64().unwrap() as u16;
    match &f["response"]["body"] {
        Value::Null => Reply::empty(status),
        b => Reply::json(status, b.clone()),
    }
}

/// Route by `METHOD path` (a trailing `*` matches any rest); unmatched requests get 500.
fn script(routes: Vec<(&'static str, Reply)>) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    move |r: &Recorded| {
        let line = format!("{} {}", r.method, r.path);
        routes
            .iter()
            .find(|(pat, _)| match pat.strip_suffix('*') {
                Some(prefix) => line.starts_with(prefix),
                None => line == *pat,
            })
            .map(|(_, reply)| reply.clone())
            .unwrap_or_else(|| Reply::json(500, json!({"detail": format!("unscripted {line}")})))
    }
}

/// Method, path (`{id}` matches any segment), query, documented headers, and body with
/// key order, as in the fixture.
#[track_caller]
fn check(rec: &Recorded, name: &str) {
    let f = vendor(name);
    let req = &f["request"];
    assert_eq!(
        rec.method,
        req["method"].as_str().unwrap(),
        "{name}: method"
    );
    let want_path = req["path"].as_str().unwrap();
    match want_path.strip_suffix("{id}") {
        Some(prefix) => assert!(rec.path.starts_with(prefix), "{name}: path {}", rec.path),
        None => assert_eq!(rec.path, want_path, "{name}: path"),
    }
    if let Some(q) = req["query"].as_str() {
        assert_eq!(rec.query.as_deref(), Some(q), "{name}: query");
    }
    for (k, v) in req["headers"].as_object().unwrap() {
        assert_eq!(rec.header(k), v.as_str(), "{name}: header {k}");
    }
    assert_eq!(
        rec.header("authorization"),
        Some("Bearer s3cret-token"),
        "{name}: authorization"
    );
    if !req["body"].is_null() {
        assert_eq!(
            rec.body.as_ref().map(|b| b.to_string()),
            Some(req["body"].to_string()),
            "{name}: body"
        );
    }
}

fn requests_matching<'a>(reqs: &'a [Recorded], line: &str) -> Vec<&'a Recorded> {
    reqs.iter().filter(|r| r.line().starts_with(line)).collect()
}

const TUT_UPN: &str = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee";
const TUT_MAIL: &str = "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com";

/// The user of entra-scim.md §1.2 "Create User".
fn tut_user() -> DirUser {
    let mut u = DirUser::new("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", TUT_UPN);
    u.profile.mail = Some(TUT_MAIL.into());
    u.profile.given_name = Some("givenName".into());
    u.profile.surname = Some("familyName".into());
    u
}

fn one_user(u: DirUser) -> Directory {
    let mut d = Directory::new();
    d.add_user(u).unwrap();
    d
}

/// Entra's peer after a create: the user resource of §1.2, id 48af03ac28ad4fb88478.
fn entra_routes(get_user: Reply) -> Vec<(&'static str, Reply)> {
    vec![
        ("GET /Users", answer("entra-1.1-test-connection")),
        ("POST /Users", answer("entra-1.2-create-user")),
        ("GET /Users/48af03ac28ad4fb88478", get_user),
        ("PATCH /Users/48af03ac28ad4fb88478", Reply::empty(204)),
        ("DELETE /Users/48af03ac28ad4fb88478", Reply::empty(204)),
    ]
}

fn entra_created() -> Reply {
    let f = vendor("entra-1.2-create-user");
    Reply::json(200, f["response"]["body"].clone())
}

/// entra-scim.md §1.1 and §1.2: Test Connection with a random GUID, lookup, POST.
#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::aadopt(PersonaId::EntraAadOpt)]
#[tokio::test]
async fn entra_test_connection_lookup_create(#[case] persona: PersonaId) {
    let peer = Peer::start(script(entra_routes(entra_created()))).await;
    let mut engine = SyncEngine::new(persona, peer.target());
    let report = engine.cycle(&one_user(tut_user())).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests();
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    // §1.1: form-encoded filter on a random GUID, no paging, no User-Agent, no Accept of JSON.
    let probe = &reqs[0];
    let q = probe.query.as_deref().unwrap();
    let guid = q
        .strip_prefix("filter=userName+eq+%22")
        .and_then(|r| r.strip_suffix("%22"))
        .unwrap();
    assert!(uuid::Uuid::parse_str(guid).is_ok(), "{q}");
    let mut documented = probe.clone();
    documented.query = Some(q.replace(guid, "7d420df3-9995-4831-a406-ecf8166f5f6a"));
    check(&documented, "entra-1.1-test-connection");
    assert_eq!(probe.header("user-agent"), None);
    assert_eq!(probe.header("content-type"), None);
    assert_ne!(probe.header("accept"), Some("application/scim+json"));
    assert_eq!(
        reqs[1].query.as_deref(),
        Some(format!("filter=userName+eq+%22{TUT_UPN}%22").as_str())
    );
    check(&reqs[2], "entra-1.2-create-user");
    assert_eq!(
        engine
            .user_target_id("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
            .as_deref(),
        Some("48af03ac28ad4fb88478")
    );
}

/// entra-scim.md §1.2: a match links to the existing id; no POST.
#[tokio::test]
async fn entra_links_on_match() {
    let mut routes = vec![("GET /Users", answer("entra-1.2-lookup-user"))];
    routes.insert(
        0,
        (
            "GET /Users/2441309d85324e7793ae",
            Reply::json(
                200,
                vendor("entra-1.2-lookup-user")["response"]["body"]["Resources"][0].clone(),
            ),
        ),
    );
    routes.push(("PATCH /Users/2441309d85324e7793ae", Reply::empty(204)));
    let probe_answer = answer("entra-1.1-test-connection");
    let peer = Peer::start(move |r: &Recorded| {
        if r.line()
            .starts_with("GET /Users?filter=userName+eq+%22Test_User")
        {
            answer("entra-1.2-lookup-user")
        } else if r.path == "/Users" {
            probe_answer.clone()
        } else {
            script(routes.clone())(r)
        }
    })
    .await;
    let mut u = tut_user();
    u.id = "7fce0092-d52e-4f76-b727-3955bd72c939".into();
    let mut engine = SyncEngine::new(PersonaId::Entra, peer.target());
    let report = engine.cycle(&one_user(u)).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(report.outcomes[0].action, Action::Linked);
    let reqs = peer.requests();
    assert!(requests_matching(&reqs, "POST").is_empty());
    // Only the missing name.formatted is sent, as an Add (absent in the target).
    let patch = requests_matching(&reqs, "PATCH /Users/2441309d85324e7793ae");
    assert_eq!(
        patch[0].body.as_ref().unwrap()["Operations"],
        json!([{"op":"Add","path":"name.formatted","value":"givenName familyName"}])
    );
}

/// Apply a directory change after an initial create, return the requests of cycle 2.
async fn entra_second_cycle(
    persona: PersonaId,
    get_user: Reply,
    change: impl FnOnce(&mut Directory),
) -> (Vec<Recorded>, idp::SyncReport) {
    let peer = Peer::start(script(entra_routes(get_user))).await;
    let mut dir = one_user(tut_user());
    let mut engine = SyncEngine::new(persona, peer.target());
    let first = engine.cycle(&dir).await;
    assert!(first.is_clean(), "{:?}", first.errors);
    let before = peer.requests().len();
    change(&mut dir);
    let report = engine.cycle(&dir).await;
    (peer.requests()[before..].to_vec(), report)
}

const TUT_ID: &str = "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef";

/// entra-scim.md §1.4: GET by id, then the documented operations; the only extra one
/// is `name.formatted`, from the default `Join` mapping (§5).
#[tokio::test]
async fn entra_update_multi_valued() {
    let (reqs, report) = entra_second_cycle(PersonaId::Entra, entra_created(), |d| {
        d.update_user(TUT_ID, |p| {
            p.mail = Some("updatedEmail@microsoft.com".into());
            p.surname = Some("updatedFamilyName".into());
        })
        .unwrap();
    })
    .await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(reqs[0].line(), "GET /Users/48af03ac28ad4fb88478");
    let ops = reqs[1].body.as_ref().unwrap()["Operations"]
        .as_array()
        .unwrap()
        .clone();
    let want =
        vendor("entra-1.4-update-user-multi-valued")["request"]["body"]["Operations"].clone();
    assert_eq!(Value::Array(ops[..2].to_vec()), want);
    assert_eq!(
        ops[2],
        json!({"op":"Replace","path":"name.formatted","value":"givenName updatedFamilyName"})
    );
    assert_eq!(reqs.len(), 2);
}

/// entra-scim.md §1.4 "Single-valued update".
#[tokio::test]
async fn entra_update_single_valued() {
    let (reqs, _) = entra_second_cycle(PersonaId::Entra, entra_created(), |d| {
        d.update_user(TUT_ID, |p| {
            p.user_principal_name = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com".into();
        })
        .unwrap();
    })
    .await;
    let mut patch = reqs[1].clone();
    patch.path = "/Users/5171a35d82074e068ce2".into();
    check(&patch, "entra-1.4-update-user-single-valued");
}

/// entra-scim.md §1.4 [QA708183]: Add when the target has no value, Replace when it has.
#[tokio::test]
async fn entra_add_versus_replace() {
    let mut current = vendor("entra-1.2-create-user")["response"]["body"].clone();
    current["name"] = json!({"familyName": "familyName"});
    let (reqs, _) = entra_second_cycle(PersonaId::Entra, Reply::json(200, current), |d| {
        d.update_user(TUT_ID, |p| {
            p.given_name = Some("Bar".into());
            p.surname = Some("Foo2".into());
        })
        .unwrap();
    })
    .await;
    let ops = reqs[1].body.as_ref().unwrap()["Operations"]
        .as_array()
        .unwrap()
        .clone();
    let want = vendor("entra-1.4-add-versus-replace")["request"]["body"]["Operations"].clone();
    assert_eq!(Value::Array(ops[..2].to_vec()), want);
    assert_eq!(
        ops[2]["op"], "Add",
        "name.formatted is absent in the target"
    );
}

/// entra-scim.md §1.5 and §2: disable by soft delete, re-enable by restore.
#[rstest]
#[case::entra(PersonaId::Entra, "entra-1.5-disable-user", json!("True"))]
#[case::aadopt(PersonaId::EntraAadOpt, "entra-2-disable-user-aadopt", json!(true))]
#[tokio::test]
async fn entra_disable_and_enable(
    #[case] persona: PersonaId,
    #[case] fixture: &str,
    #[case] enabled: Value,
) {
    let (reqs, report) = entra_second_cycle(persona, entra_created(), |d| {
        d.soft_delete_user(TUT_ID).unwrap()
    })
    .await;
    assert_eq!(report.outcomes[0].action, Action::Disabled);
    assert_eq!(reqs[0].line(), "GET /Users/48af03ac28ad4fb88478");
    let mut patch = reqs[1].clone();
    patch.path = "/Users/5171a35d82074e068ce2".into();
    check(&patch, fixture);
    let mut disabled = vendor("entra-1.2-create-user")["response"]["body"].clone();
    disabled["active"] = json!(false);
    let peer = Peer::start(script(entra_routes(Reply::json(200, disabled)))).await;
    let mut dir = one_user(tut_user());
    let mut engine = SyncEngine::new(persona, peer.target());
    engine.cycle(&dir).await;
    dir.soft_delete_user(TUT_ID).unwrap();
    engine.cycle(&dir).await;
    dir.restore_user(TUT_ID).unwrap();
    let n = peer.requests().len();
    let report = engine.cycle(&dir).await;
    assert_eq!(report.outcomes[0].action, Action::Enabled);
    let reenable = &peer.requests()[n + 1];
    assert_eq!(
        reenable.body.as_ref().unwrap()["Operations"][0]["value"],
        enabled
    );
}

/// entra-scim.md §1.6: GET, then DELETE; only a hard delete sends DELETE.
#[tokio::test]
async fn entra_hard_delete() {
    let (reqs, report) = entra_second_cycle(PersonaId::Entra, entra_created(), |d| {
        d.hard_delete_user(TUT_ID).unwrap()
    })
    .await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(reqs.len(), 2);
    let mut del = reqs[1].clone();
    del.path = "/Users/5171a35d82074e068ce2".into();
    check(&del, "entra-1.6-delete-user");
}

/// entra-scim.md §4: a 404 on the cached id is InvalidAnchor, reported, not re-created.
#[tokio::test]
async fn entra_invalid_anchor_is_not_recreated() {
    let (reqs, report) = entra_second_cycle(
        PersonaId::Entra,
        answer("entra-1.3-get-unknown-user"),
        |d| {
            d.update_user(TUT_ID, |p| p.display_name = Some("X".into()))
                .unwrap();
        },
    )
    .await;
    assert_eq!(report.errors[0].code, IssueCode::InvalidAnchor);
    assert!(requests_matching(&reqs, "POST").is_empty());
    assert_eq!(reqs.len(), 1);
}

/// entra-scim.md §1.2 [AZ45885]: the manager in a separate PATCH after both exist.
#[rstest]
#[case::entra(PersonaId::Entra, "Add")]
#[case::aadopt(PersonaId::EntraAadOpt, "add")]
#[tokio::test]
async fn entra_manager_in_separate_patch(#[case] persona: PersonaId, #[case] op: &str) {
    let peer = Peer::start(crate::peer::fake_scim()).await;
    let mut dir = Directory::new();
    let mut boss = DirUser::new("boss", "boss@x.example");
    boss.profile.given_name = Some("Bo".into());
    dir.add_user(boss).unwrap();
    let mut u = DirUser::new("emp", "emp@x.example");
    u.profile.manager = Some("boss".into());
    dir.add_user(u).unwrap();
    let mut engine = SyncEngine::new(persona, peer.target());
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests();
    let last = reqs.last().unwrap();
    assert_eq!(last.line(), "PATCH /Users/u2");
    let mut want = vendor("entra-1.4-manager")["request"]["body"].clone();
    want["Operations"][0]["op"] = json!(op);
    want["Operations"][0]["value"] = json!("u1");
    assert_eq!(last.body.as_ref().unwrap().to_string(), want.to_string());
    // Cleared in the directory: one PATCH removing the URN path, no value, nothing else.
    dir.update_user("emp", |p| p.manager = None).unwrap();
    let sent = peer.requests().len();
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests();
    assert_eq!(reqs.len(), sent + 1, "{:?}", &reqs[sent..]);
    assert_eq!(reqs[sent].line(), "PATCH /Users/u2");
    let want = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": if op == "Add" { "Remove" } else { "remove" },
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]});
    assert_eq!(reqs[sent].body.as_ref().unwrap(), &want);
    // Sent once: the next cycle has nothing to do.
    assert!(engine.cycle(&dir).await.is_clean());
    assert_eq!(peer.requests().len(), sent + 1);
}

/// entra-scim.md §1.7: lookup with excludedAttributes first, create without members,
/// GET before PATCH, member add and remove with value arrays (flag: filtered remove),
/// rename, delete.
#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::aadopt(PersonaId::EntraAadOpt)]
#[tokio::test]
async fn entra_group_lifecycle(#[case] persona: PersonaId) {
    let peer = Peer::start(crate::peer::fake_scim()).await;
    let mut dir = Directory::new();
    dir.add_user(DirUser::new("m1", "m1@x.example")).unwrap();
    dir.create_group(DirGroup::new(
        "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName",
    ))
    .unwrap();
    let gid = "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159";
    let mut engine = SyncEngine::new(persona, peer.target());
    assert!(engine.cycle(&dir).await.is_clean());
    let reqs = peer.requests();
    let lookup = requests_matching(&reqs, "GET /Groups?")[0];
    assert_eq!(
        lookup.query.as_deref(),
        vendor("entra-1.7-lookup-group")["request"]["query"].as_str()
    );
    check(
        requests_matching(&reqs, "POST /Groups")[0],
        "entra-1.7-create-group",
    );

    let mut step = |f: &dyn Fn(&mut Directory)| {
        f(&mut dir);
        let n = peer.requests().len();
        (n, dir.clone())
    };
    let (n, d) = step(&|d| d.add_member(gid, "m1").unwrap());
    assert!(engine.cycle(&d).await.is_clean());
    let reqs = peer.requests()[n..].to_vec();
    assert_eq!(reqs[0].line(), "GET /Groups/g2?excludedAttributes=members");
    let add = reqs[1].body.clone().unwrap();
    let mut want = vendor("entra-1.7-add-members")["request"]["body"].clone();
    want["Operations"][0]["value"][0]["value"] = json!("u1");
    if persona == PersonaId::EntraAadOpt {
        want["Operations"][0] = json!({"op":"add","path":"members","value":[{"value":"u1"}]});
    }
    assert_eq!(add.to_string(), want.to_string());

    let (n, d) = step(&|d| d.remove_member(gid, "m1").unwrap());
    assert!(engine.cycle(&d).await.is_clean());
    let remove = peer.requests()[n + 1].body.clone().unwrap();
    let want = if persona == PersonaId::EntraAadOpt {
        let mut w = vendor("entra-2-remove-member-aadopt")["request"]["body"].clone();
        w["Operations"][0]["path"] = json!("members[value eq \"u1\"]");
        w
    } else {
        let mut w = vendor("entra-1.7-remove-members")["request"]["body"].clone();
        w["Operations"][0]["value"][0]["value"] = json!("u1");
        w
    };
    assert_eq!(remove.to_string(), want.to_string());

    let (n, d) = step(&|d| {
        d.rename_group(
            gid,
            "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
        )
        .unwrap()
    });
    assert!(engine.cycle(&d).await.is_clean());
    let mut rename = peer.requests()[n + 1].clone();
    rename.path = "/Groups/fa2ce26709934589afc5".into();
    if persona == PersonaId::Entra {
        check(&rename, "entra-1.7-rename-group");
    } else {
        assert_eq!(
            rename.body.unwrap()["Operations"],
            json!([{"op":"replace","value":{"displayName":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}}])
        );
    }

    let (n, d) = step(&|d| d.delete_group(gid).unwrap());
    assert!(engine.cycle(&d).await.is_clean());
    let reqs = peer.requests()[n..].to_vec();
    assert_eq!(reqs[0].line(), "GET /Groups/g2?excludedAttributes=members");
    let mut del = reqs[1].clone();
    del.path = "/Groups/cdb1ce18f65944079d37".into();
    check(&del, "entra-1.7-delete-group");
}

/// entra-scim.md §2 [COMPAT]: with the flag, filtered paths separate, the rest in one
/// path-less replace with dotted and URN keys (name.formatted, from §5, removed here).
#[tokio::test]
async fn aadopt_pathless_replace() {
    let mut current = vendor("entra-1.2-create-user")["response"]["body"].clone();
    current["displayName"] = json!("Old");
    current[idp_enterprise()] = json!({"employeeNumber": "1"});
    let (reqs, _) = entra_second_cycle(PersonaId::EntraAadOpt, Reply::json(200, current), |d| {
        d.update_user(TUT_ID, |p| {
            p.mail = Some("TestMhvaes@test.microsoft.com".into());
            p.display_name = Some("Bjfe".into());
            p.given_name = Some("Kkom".into());
            p.surname = Some("Unua".into());
            p.employee_id = Some("Aklq".into());
        })
        .unwrap();
    })
    .await;
    let mut body = reqs[1].body.clone().unwrap();
    body["Operations"][1]["value"]
        .as_object_mut()
        .unwrap()
        .remove("name.formatted");
    let want = vendor("entra-2-update-user-aadopt")["request"]["body"].clone();
    assert_eq!(body.to_string(), want.to_string());
}

fn idp_enterprise() -> &'static str {
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
}

// ---- Okta ------------------------------------------------------------------------------

fn okta_user() -> DirUser {
    let mut u = DirUser::new("okta-test-user", "test.user@okta.local");
    u.okta_id = "00ujl29u0le5T6Aj10h7".into();
    u.profile.mail = Some("test.user@okta.local".into());
    u.profile.given_name = Some("Test".into());
    u.profile.surname = Some("User".into());
    u.profile.display_name = Some("Test User".into());
    u
}

const OKTA_ID: &str = "23a35c27-23d3-4c03-b4c5-6443c09e7173";

fn okta_routes() -> Vec<(&'static str, Reply)> {
    vec![
        ("GET /Users", answer("okta-3-test-connection")),
        ("POST /Users", answer("okta-3-create-user")),
        (
            "GET /Users/23a35c27-23d3-4c03-b4c5-6443c09e7173",
            answer("okta-3-get-user"),
        ),
        (
            "PUT /Users/23a35c27-23d3-4c03-b4c5-6443c09e7173",
            answer("okta-3-update-user-put"),
        ),
        (
            "PATCH /Users/23a35c27-23d3-4c03-b4c5-6443c09e7173",
            answer("okta-3-deactivate-user-oin"),
        ),
        ("GET /Groups", answer("okta-4-lookup-group")),
        ("POST /Groups", answer("okta-4-create-group")),
        (
            "GET /Groups/abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            answer("okta-4-get-group"),
        ),
        (
            "PUT /Groups/abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            answer("okta-4-members-aiw-put"),
        ),
        (
            "PATCH /Groups/abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            Reply::empty(204),
        ),
        (
            "DELETE /Groups/abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            answer("okta-4-delete-group"),
        ),
    ]
}

/// okta-scim.md §1 and §3: Test Connection, percent-encoded lookup with fixed paging,
/// POST with password and locale; Okta's header set.
#[rstest]
#[case::okta(PersonaId::Okta)]
#[case::oin(PersonaId::OktaOin)]
#[tokio::test]
async fn okta_test_connection_lookup_create(#[case] persona: PersonaId) {
    let peer = Peer::start(script(okta_routes())).await;
    let mut engine = SyncEngine::new(persona, peer.target());
    let report = engine.cycle(&one_user(okta_user())).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests();
    assert_eq!(reqs.len(), 3);
    check(&reqs[0], "okta-3-test-connection");
    assert_eq!(reqs[0].header("content-type"), None);
    check(&reqs[1], "okta-1-lookup-user");
    let mut create = reqs[2].clone();
    let password = create.body.as_ref().unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(password.len(), 8);
    create.body.as_mut().unwrap()["password"] = json!("1mz050nq");
    check(&create, "okta-3-create-user");
    // The transcript never shows the password or the token.
    let line = idp::exchange_json_line(&report.exchanges[2]);
    assert!(
        !line.contains(&password) && !line.contains("s3cret-token"),
        "{line}"
    );
    assert!(line.contains("Bearer [redacted]"));
}

/// okta-scim.md §3 "Duplicate": a 409 is reported, not linked.
#[tokio::test]
async fn okta_conflict_is_reported() {
    let mut routes = okta_routes();
    routes[1] = ("POST /Users", answer("okta-3-create-user-conflict"));
    let peer = Peer::start(script(routes)).await;
    let mut engine = SyncEngine::new(PersonaId::Okta, peer.target());
    let report = engine.cycle(&one_user(okta_user())).await;
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code, IssueCode::Conflict);
    assert!(report.errors[0]
        .message
        .contains("User already exists in the database."));
    assert_eq!(engine.user_target_id("okta-test-user"), None);
}

/// okta-scim.md §3 "Update": GET, then PUT of the GET body with the changes, unknown
/// fields kept and Okta's externalId added [FZ].
#[rstest]
#[case::okta(PersonaId::Okta)]
#[case::oin(PersonaId::OktaOin)]
#[tokio::test]
async fn okta_update_is_get_then_put(#[case] persona: PersonaId) {
    let peer = Peer::start(script(okta_routes())).await;
    let mut dir = one_user(okta_user());
    let mut engine = SyncEngine::new(persona, peer.target());
    engine.cycle(&dir).await;
    let n = peer.requests().len();
    dir.update_user("okta-test-user", |p| p.given_name = Some("Another".into()))
        .unwrap();
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests()[n..].to_vec();
    assert_eq!(reqs.len(), 2);
    check(&reqs[0], "okta-3-get-user");
    let put = reqs[1].body.clone().unwrap();
    let mut want = vendor("okta-3-update-user-put")["request"]["body"].clone();
    want["name"]["middleName"] = json!("");
    let want = want.as_object().unwrap();
    for (k, v) in want {
        assert_eq!(&put[k], v, "PUT {k}");
    }
    assert_eq!(put["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(put["displayName"], "Test User");
    assert_eq!(reqs[1].line(), format!("PUT /Users/{OKTA_ID}"));
    assert_eq!(
        reqs[1].header("content-type"),
        Some("application/scim+json; charset=utf-8")
    );
}

/// okta-scim.md §2 table and §3 "Deactivate": AIW GET+PUT `active:false`; OIN PATCH;
/// a hard delete never sends DELETE.
#[rstest]
#[case::okta_disable(PersonaId::Okta, false)]
#[case::oin_disable(PersonaId::OktaOin, false)]
#[case::okta_hard_delete(PersonaId::Okta, true)]
#[tokio::test]
async fn okta_deactivate(#[case] persona: PersonaId, #[case] hard: bool) {
    let peer = Peer::start(script(okta_routes())).await;
    let mut dir = one_user(okta_user());
    let mut engine = SyncEngine::new(persona, peer.target());
    engine.cycle(&dir).await;
    let n = peer.requests().len();
    if hard {
        dir.hard_delete_user("okta-test-user").unwrap();
    } else {
        dir.unassign_user("okta-test-user").unwrap();
    }
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(report.outcomes.last().unwrap().action, Action::Disabled);
    let reqs = peer.requests()[n..].to_vec();
    assert!(requests_matching(&reqs, "DELETE").is_empty());
    if persona == PersonaId::OktaOin {
        assert_eq!(reqs.len(), 1);
        check(&reqs[0], "okta-3-deactivate-user-oin");
    } else {
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].line(), format!("GET /Users/{OKTA_ID}"));
        let put = reqs[1].body.clone().unwrap();
        assert_eq!(put["active"], false);
        assert_eq!(put["id"], OKTA_ID);
    }
}

/// okta-scim.md §4: AIW group push is lookup, POST, GET, PUT with the full member list;
/// unlink-and-delete sends DELETE.
#[tokio::test]
async fn okta_aiw_group_push() {
    let peer = Peer::start(script(okta_routes())).await;
    let mut dir = one_user(okta_user());
    dir.create_group(DirGroup::new("okta-group", "Test SCIMv2"))
        .unwrap();
    dir.add_member("okta-group", "okta-test-user").unwrap();
    let mut engine = SyncEngine::new(PersonaId::Okta, peer.target());
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests();
    let lines: Vec<String> = reqs[3..].iter().map(Recorded::line).collect();
    assert_eq!(
        lines,
        [
            "GET /Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100",
            "POST /Groups",
            "GET /Groups/abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            "PUT /Groups/abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        ]
    );
    check(&reqs[3], "okta-4-lookup-group");
    check(&reqs[4], "okta-4-create-group");
    check(&reqs[5], "okta-4-get-group");
    check(&reqs[6], "okta-4-members-aiw-put");
    let n = reqs.len();
    dir.delete_group("okta-group").unwrap();
    assert!(engine.cycle(&dir).await.is_clean());
    check(&peer.requests()[n], "okta-4-delete-group");
}

/// okta-scim.md §4 "Membership change (OIN)": the id+displayName replace, then removes
/// with filter paths and one add; at most 100 changes a request.
#[tokio::test]
async fn okta_oin_membership_patch() {
    let peer = Peer::start(script(okta_routes())).await;
    let mut dir = one_user(okta_user());
    let mut leaver = DirUser::new("leaver", "leaver@okta.local");
    leaver.profile.mail = Some("leaver@okta.local".into());
    dir.add_user(leaver).unwrap();
    dir.create_group(DirGroup::new("okta-group", "Test SCIMv2"))
        .unwrap();
    let mut engine = SyncEngine::new(PersonaId::OktaOin, peer.target());
    engine.cycle(&dir).await;
    // The scripted POST answers every user with the same id; give the leaver its own.
    let _ = engine.user_target_id("leaver");
    dir.add_member("okta-group", "leaver").unwrap();
    engine.cycle(&dir).await;
    dir.remove_member("okta-group", "leaver").unwrap();
    dir.add_member("okta-group", "okta-test-user").unwrap();
    let n = peer.requests().len();
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let reqs = peer.requests()[n..].to_vec();
    check(&reqs[0], "okta-4-rename-group-oin");
    let body = reqs[1].body.clone().unwrap();
    let ops = body["Operations"].as_array().unwrap();
    assert_eq!(ops[0]["op"], "remove");
    assert_eq!(
        ops[1],
        json!({"op":"add","path":"members","value":[{"value":OKTA_ID,"display":"test.user@okta.local"}]})
    );
}

/// okta-scim.md §4 [OINMGR]: 120 new members go out as 100 + 20.
#[tokio::test]
async fn okta_oin_batches_at_most_100() {
    let peer = Peer::start(crate::peer::fake_scim()).await;
    let mut dir = Directory::new();
    dir.create_group(DirGroup::new("big", "Big")).unwrap();
    dir.generate_members(
        "big",
        &idp::Generate {
            count: 120,
            pattern: "m{n}@x.example".into(),
        },
    )
    .unwrap();
    let mut engine = SyncEngine::new(PersonaId::OktaOin, peer.target());
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let patches: Vec<usize> = peer
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.starts_with("/Groups/"))
        .map(|r| {
            r.body.as_ref().unwrap()["Operations"][0]["value"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .collect();
    assert_eq!(
        patches,
        [0, 100, 20],
        "rename replace, then two member batches"
    );
}
