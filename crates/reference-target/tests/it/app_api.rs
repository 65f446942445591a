//! Grafana's app API over a real socket: users, teams, members, and the guards on
//! provisioned teams with Grafana's exact messages.

use axum::http::Method;
use serde_json::{json, Value};

use crate::support::*;

const CONFIG: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default";

/// A provisioned team (through SCIM) with one member; returns (team id, group id, member app id).
async fn provisioned_team(t: &Target, name: &str) -> (i64, String, i64) {
    let uid = t
        .create_user(&user(
            &format!("{name}-member@example.com"),
            &format!("{name}-m"),
        ))
        .await
        .id();
    let gid = t.create_group(&group(name, None, &[&uid])).await.id();
    let team = t.team_named(name).await;
    let member = t.lookup(&format!("{name}-member@example.com")).await.body["id"]
        .as_i64()
        .unwrap();
    (team["id"].as_i64().unwrap(), gid, member)
}

async fn local_user(t: &Target, login: &str) -> i64 {
    let r = t
        .post("/api/admin/users", &json!({"name": login, "email": format!("{login}@local.example"), "login": login, "password": "pw123456"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["message"], "User created");
    r.body["id"].as_i64().unwrap()
}

#[track_caller]
fn assert_message(r: &Reply, status: u16, message: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body, json!({"message": message}));
}

#[tokio::test]
async fn guards_refuse_changes_to_provisioned_teams_while_group_sync_is_on() {
    let t = Target::start(SYNC_ON).await;
    let (team, _gid, member) = provisioned_team(&t, "Guarded").await;
    let other = local_user(&t, "outsider").await;

    assert_message(
        &t.delete(&format!("/api/teams/{team}")).await,
        400,
        "Cannot delete provisioned teams",
    );
    const MEMBERS: &str = "Team memberships cannot be updated for provisioned teams";
    assert_message(
        &t.post(
            &format!("/api/teams/{team}/members"),
            &json!({"userId": other}),
        )
        .await,
        400,
        MEMBERS,
    );
    assert_message(
        &t.put(
            &format!("/api/teams/{team}/members"),
            &json!({"members": ["outsider@local.example"], "admins": []}),
        )
        .await,
        400,
        MEMBERS,
    );
    assert_message(
        &t.delete(&format!("/api/teams/{team}/members/{member}"))
            .await,
        400,
        MEMBERS,
    );
    assert_message(
        &t.put(
            &format!("/api/teams/{team}"),
            &json!({"name": "Renamed", "email": ""}),
        )
        .await,
        400,
        "Team name cannot be changed for provisioned teams",
    );
    // Same name, new email: allowed.
    assert_message(
        &t.put(
            &format!("/api/teams/{team}"),
            &json!({"name": "Guarded", "email": "g@example.com"}),
        )
        .await,
        200,
        "Team updated",
    );
    // Nothing changed.
    let after = t.team_named("Guarded").await;
    assert_eq!(after["memberCount"], 1);
    assert_eq!(after["email"], "g@example.com");
}

/// The guard reads the group sync setting in force: once group sync is switched off
/// (here through the SCIMConfig, after SCIM made the team), provisioned teams can be
/// deleted and their members changed (Grafana PRs #111888, #112717); renaming stays
/// refused.
#[tokio::test]
async fn with_group_sync_off_provisioned_teams_can_be_deleted() {
    let t =
        Target::start("[auth.scim]\nuser_sync_enabled = true\ngroup_sync_enabled = true\n").await;
    let (team, gid, member) = provisioned_team(&t, "Loose").await;
    let r = t
        .put(CONFIG, &json!({"spec": {"enableUserSync": true, "enableGroupSync": false, "rejectNonProvisionedUsers": false}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let other = local_user(&t, "joiner").await;

    assert_message(
        &t.put(
            &format!("/api/teams/{team}"),
            &json!({"name": "Still Loose"}),
        )
        .await,
        400,
        "Team name cannot be changed for provisioned teams",
    );
    assert_message(
        &t.post(
            &format!("/api/teams/{team}/members"),
            &json!({"userId": other}),
        )
        .await,
        200,
        "Member added to Team",
    );
    assert_message(
        &t.delete(&format!("/api/teams/{team}/members/{member}"))
            .await,
        200,
        "Team Member removed",
    );
    assert_message(
        &t.delete(&format!("/api/teams/{team}")).await,
        200,
        "Team deleted",
    );
    t.get(&format!("{BASE}/Groups/{gid}"))
        .await
        .assert_scim_error(404, None);
    assert_eq!(
        t.get("/api/teams/search?name=Loose").await.body["totalCount"],
        0
    );
}

#[tokio::test]
async fn plain_teams_work_as_in_grafana() {
    let t = Target::start(SYNC_ON).await;
    let r = t
        .post(
            "/api/teams",
            &json!({"name": "MyTestTeam", "email": "email@test.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["message"], "Team created");
    let team = r.body["teamId"].as_i64().unwrap();
    assert_eq!(r.body["uid"].as_str().unwrap().len(), 14);
    assert_message(
        &t.post("/api/teams", &json!({"name": "mytestteam"})).await,
        409,
        "Team name taken",
    );

    let a = local_user(&t, "ann").await;
    let b = local_user(&t, "ben").await;
    assert_message(
        &t.post(&format!("/api/teams/{team}/members"), &json!({"userId": a}))
            .await,
        200,
        "Member added to Team",
    );
    assert_message(
        &t.post(&format!("/api/teams/{team}/members"), &json!({"userId": a}))
            .await,
        400,
        "User is already added to this team",
    );
    let members = t.get(&format!("/api/teams/{team}/members")).await;
    assert_eq!(members.status, 200);
    let m = &members.body[0];
    for key in ["orgId", "teamId", "userId", "email", "login", "avatarUrl"] {
        assert!(m.get(key).is_some(), "{key} in {m}");
    }
    assert_eq!(m["userId"], a);
    assert_eq!(m["login"], "ann");

    assert_message(
        &t.put(
            &format!("/api/teams/{team}/members"),
            &json!({"members": ["ben@local.example"], "admins": []}),
        )
        .await,
        200,
        "Team memberships have been updated",
    );
    let members = t.get(&format!("/api/teams/{team}/members")).await.body;
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["userId"], b);
    assert_message(
        &t.delete(&format!("/api/teams/{team}/members/{b}")).await,
        200,
        "Team Member removed",
    );

    let hit = t.team_named("MyTestTeam").await;
    assert_eq!(hit["isProvisioned"], false);
    assert_eq!(hit["externalUID"], "");
    assert_eq!(hit["email"], "email@test.com");
    for key in [
        "id",
        "uid",
        "orgId",
        "name",
        "email",
        "avatarUrl",
        "memberCount",
        "externalUID",
        "isProvisioned",
    ] {
        assert!(hit.get(key).is_some(), "{key} in {hit}");
    }
    assert_message(
        &t.put(&format!("/api/teams/{team}"), &json!({"name": "Renamed"}))
            .await,
        200,
        "Team updated",
    );
    assert_eq!(t.team_named("Renamed").await["id"], team);
    assert_message(
        &t.delete(&format!("/api/teams/{team}")).await,
        200,
        "Team deleted",
    );
    assert_message(
        &t.get(&format!("/api/teams/{team}")).await,
        404,
        "Team not found",
    );
    assert_message(
        &t.delete(&format!("/api/teams/{team}")).await,
        404,
        "Team not found",
    );
}

#[tokio::test]
async fn team_search_envelope_and_paging() {
    let t = Target::start(SYNC_ON).await;
    for name in ["Alpha", "Beta", "Gamma"] {
        assert_eq!(
            t.post("/api/teams", &json!({"name": name})).await.status,
            200
        );
    }
    let r = t.get("/api/teams/search?perpage=2&page=2").await.body;
    assert_eq!(r["totalCount"], 3);
    assert_eq!(r["page"], 2);
    assert_eq!(r["perPage"], 2);
    assert_eq!(r["teams"].as_array().unwrap().len(), 1);
    assert_eq!(r["teams"][0]["name"], "Gamma");
    let r = t.get("/api/teams/search?query=et").await.body;
    assert_eq!(r["totalCount"], 1);
    let r = t.get("/api/teams/search?name=nobody").await.body;
    assert_eq!(
        r,
        json!({"totalCount": 0, "teams": [], "page": 1, "perPage": 1000})
    );
}

#[tokio::test]
async fn user_lookup_shape_and_404() {
    let t = Target::start(SYNC_ON).await;
    let r = t.lookup("admin").await;
    assert_eq!(r.status, 200);
    for key in [
        "id",
        "uid",
        "email",
        "name",
        "login",
        "isDisabled",
        "isProvisioned",
        "isExternal",
        "authLabels",
        "createdAt",
        "updatedAt",
        "orgId",
        "isGrafanaAdmin",
        "theme",
        "avatarUrl",
    ] {
        assert!(r.body.get(key).is_some(), "{key} in {}", r.body);
    }
    assert_eq!(r.body["isGrafanaAdmin"], true);
    assert_eq!(r.body["isExternal"], false);
    assert!(r.body["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        t.lookup("ADMIN@localhost").await.body["id"],
        1,
        "by email, ignoring case"
    );
    assert_message(&t.lookup("nobody").await, 404, "user not found");
}

#[tokio::test]
async fn user_search_filters_and_pages() {
    let t = Target::start(SYNC_ON).await;
    for i in 0..3 {
        t.create_user(&user(&format!("prov{i}@example.com"), &format!("p{i}")))
            .await;
    }
    local_user(&t, "localonly").await;
    let r = t
        .get("/api/users/search?isProvisioned=true&perpage=1000")
        .await
        .body;
    assert_eq!(r["totalCount"], 3);
    assert!(r["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["isProvisioned"] == true));
    let r = t.get("/api/users/search").await.body;
    assert_eq!(r["totalCount"], 5, "admin, three provisioned, one local");
    assert_eq!(r["perPage"], 1000);
    assert_eq!(r["page"], 1);
    let r = t.get("/api/users/search?perpage=2&page=2").await.body;
    assert_eq!(r["users"].as_array().unwrap().len(), 2);
    let r = t.get("/api/users/search?query=PROV1").await.body;
    assert_eq!(r["totalCount"], 1);
    let hit = &r["users"][0];
    assert_eq!(hit["login"], "prov1@example.com");
    assert_eq!(hit["authLabels"], json!(["SAML"]));
    assert_eq!(hit["lastSeenAtAge"], "10y");
    let r = t.get("/api/users/search?isProvisioned=false").await.body;
    assert_eq!(r["totalCount"], 2);
}

#[tokio::test]
async fn admin_user_creation_refuses_duplicates() {
    let t = Target::start(SYNC_ON).await;
    local_user(&t, "dup").await;
    let r = t
        .post(
            "/api/admin/users",
            &json!({"login": "DUP", "email": "x@example.com"}),
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
    let r = t
        .post("/api/admin/users", &json!({"login": "", "email": ""}))
        .await;
    assert_eq!(r.status, 400);
    let r = t.post("/api/admin/users", &json!("not an object")).await;
    assert_eq!(r.status, 400);
    // Email alone: the login defaults to it.
    let r = t
        .post("/api/admin/users", &json!({"email": "solo@example.com"}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        t.lookup("solo@example.com").await.body["login"],
        "solo@example.com"
    );
}

#[tokio::test]
async fn signed_in_user_is_401_without_a_session() {
    let t = Target::start(SYNC_ON).await;
    // The bearer token is not a login session.
    assert_message(&t.get("/api/user").await, 401, "Unauthorized");
    assert_message(
        &t.send_as(Auth::None, Method::GET, "/api/user", None).await,
        401,
        "Unauthorized",
    );
}

#[tokio::test]
async fn a_session_row_signs_the_user_in() {
    let t = Target::start(SYNC_ON).await;
    t.create_user(&user("sam@example.com", "s")).await;
    let id = t.lookup("sam@example.com").await.body["id"]
        .as_i64()
        .unwrap();
    t.sql()
        .execute(
            "INSERT INTO session (token_hash, user_id, created, expires) VALUES (?1, ?2, 0, 9999999999999)",
            rusqlite::params![crate::support::session_hash("tok-1"), id],
        )
        .unwrap();
    let r = reqwest::Client::new()
        .get(t.url("/api/user"))
        .header("cookie", "theme=dark; grafana_session=tok-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["login"], "sam@example.com");
    assert_eq!(body["id"], id);
}

#[tokio::test]
async fn the_app_api_requires_the_token() {
    let t = Target::start(SYNC_ON).await;
    for path in [
        "/api/users/lookup?loginOrEmail=admin",
        "/api/teams/search",
        "/api/users/search",
        "/api/nope",
    ] {
        let r = t.send_as(Auth::None, Method::GET, path, None).await;
        assert_message(&r, 401, "Unauthorized");
        let r = t.send_as(Auth::Wrong, Method::GET, path, None).await;
        assert_message(&r, 401, "Unauthorized");
    }
    assert_message(&t.get("/api/nope").await, 404, "Not found");
    assert_message(&t.get("/api/teams/abc").await, 400, "teamId is invalid");
}

/// Grafana's split: the bearer token is an org-Admin service account, refused on the
/// global user and admin APIs; basic auth as the server admin may call everything.
#[tokio::test]
async fn the_token_is_an_org_admin_and_basic_auth_is_the_server_admin() {
    let t = Target::start(SYNC_ON).await;
    let admin_only = [
        (
            Method::GET,
            "/api/users/lookup?loginOrEmail=admin",
            "users:read",
        ),
        (Method::GET, "/api/users/search", "users:read"),
        (Method::POST, "/api/admin/users", "users:create"),
        (Method::GET, "/api/admin/team-sync", "server admin"),
    ];
    for (method, path, permission) in admin_only {
        let body = json!({"login": "sa-made", "email": "sa-made@example.com"});
        let r = t
            .send_as(Auth::Token, method.clone(), path, Some(&body))
            .await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
        assert_eq!(r.body["title"], "Access denied", "{path}");
        assert_eq!(
            r.body["message"],
            format!("You'll need additional permissions to perform this action. Permissions needed: {permission}"),
            "{path}"
        );
        assert!(
            r.body["accessErrorId"]
                .as_str()
                .is_some_and(|id| id.starts_with("ACE")),
            "{}",
            r.body
        );
        let r = t
            .send_as(Auth::Admin, method.clone(), path, Some(&body))
            .await;
        assert!(
            r.status < 300,
            "{method} {path} as admin: {} {}",
            r.status,
            r.body
        );
    }
    // The service account's refused create made nothing.
    let users = t.get("/api/org/users?query=sa-made").await.body;
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
    // Org endpoints, teams and SCIM answer the token; the admin may call them too.
    for path in [
        "/api/org/users",
        "/api/org/users/lookup?query=admin",
        "/api/teams/search",
        &format!("{BASE}/Users"),
    ] {
        assert_eq!(
            t.send_as(Auth::Token, Method::GET, path, None).await.status,
            200,
            "{path}"
        );
        assert_eq!(
            t.send_as(Auth::Admin, Method::GET, path, None).await.status,
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn basic_auth_with_a_wrong_password_or_user_is_401() {
    let t = Target::start("[security]\nadmin_user = root\nadmin_password = s3cret\n").await;
    // Auth::Admin sends the default admin/admin, which this target does not have.
    for path in [
        "/api/users/search",
        "/api/org/users",
        &format!("{BASE}/Users"),
    ] {
        let r = t.send_as(Auth::Admin, Method::GET, path, None).await;
        assert_eq!(r.status, 401, "{path}: {}", r.body);
    }
    let r = reqwest::Client::new()
        .get(t.url("/api/users/search"))
        .basic_auth("root", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// `GET /api/org/users`: Grafana's OrgUserDTO (`userId`, `isDisabled`, `authLabels`),
/// `query` a substring of login, email or name; `lookup` the short form.
#[tokio::test]
async fn org_users_answer_the_token_with_disabled_state_and_auth_labels() {
    let t = Target::start(SYNC_ON).await;
    let scim_id = t
        .create_user(&user("orla@example.com", "ext-orla"))
        .await
        .id();
    let local = local_user(&t, "olaf").await;
    let r = t
        .patch(
            &format!("{BASE}/Users/{scim_id}"),
            &patch(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = t.get("/api/org/users?query=ORLA@").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.body.as_array().expect("an array");
    assert_eq!(rows.len(), 1, "{}", r.body);
    let orla = &rows[0];
    assert_eq!(orla["login"], "orla@example.com");
    assert_eq!(orla["email"], "orla@example.com");
    assert_eq!(orla["isDisabled"], true);
    assert_eq!(orla["isProvisioned"], true);
    assert_eq!(orla["authLabels"], json!(["SAML"]));
    assert!(
        orla["userId"].is_i64() && orla.get("id").is_none(),
        "{orla}"
    );

    let rows = t.get("/api/org/users?query=olaf").await.body;
    assert_eq!(rows[0]["userId"], local, "{rows}");
    assert_eq!(rows[0]["isDisabled"], false);
    assert_eq!(rows[0]["authLabels"], json!([]));

    let all = t.get("/api/org/users").await.body;
    assert!(
        all.as_array().unwrap().len() >= 3,
        "admin, orla, olaf: {all}"
    );
    let limited = t.get("/api/org/users?limit=1").await.body;
    assert_eq!(limited.as_array().unwrap().len(), 1, "{limited}");
    assert_eq!(
        t.get("/api/org/users?query=nobody-here").await.body,
        json!([])
    );

    let short = t.get("/api/org/users/lookup?query=orla").await.body;
    assert_eq!(short[0]["login"], "orla@example.com", "{short}");
    assert_eq!(short[0]["userId"], orla["userId"]);
    assert!(short[0].get("isDisabled").is_none(), "{short}");
}

/// Grafana's `DELETE /api/admin/users/:id`: server admin only; the user goes, with its
/// SCIM resource and team memberships; an unknown id is 404.
#[tokio::test]
async fn admin_user_deletion_removes_the_user_for_the_server_admin_only() {
    let t = Target::start(SYNC_ON).await;
    let (team, gid, member) = provisioned_team(&t, "Leaving").await;
    let path = format!("/api/admin/users/{member}");
    let r = t.send_as(Auth::Token, Method::DELETE, &path, None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "You'll need additional permissions to perform this action. Permissions needed: users:delete"
    );
    assert_message(&t.delete(&path).await, 200, "User deleted");
    assert_eq!(
        t.lookup("Leaving-member@example.com").await.status,
        404,
        "the app user is gone"
    );
    let members = t.get(&format!("/api/teams/{team}/members")).await.body;
    assert_eq!(members, json!([]), "its membership went with it");
    let g = t.get(&format!("{BASE}/Groups/{gid}")).await.body;
    assert_eq!(g["members"].as_array().map_or(0, Vec::len), 0, "{g}");
    assert_message(&t.delete(&path).await, 404, "user not found");
    assert_message(
        &t.delete("/api/admin/users/abc").await,
        400,
        "userId is invalid",
    );
}
