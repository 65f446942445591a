//! SCIM Groups over a real socket: teams, members in every PATCH dialect, projection,
//! delete, and concurrent member adds.

use std::sync::Arc;

use rstest::rstest;
use serde_json::{json, Value};

use crate::support::*;

async fn users(t: &Target, n: usize, prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            t.create_user(&user(
                &format!("{prefix}{i}@example.com"),
                &format!("{prefix}-ext-{i}"),
            ))
            .await
            .id(),
        );
    }
    ids
}

#[tokio::test]
async fn a_group_creates_a_provisioned_team_with_its_members() {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 2, "g").await;
    let r = t
        .create_group(&group("Engineering", Some("aad-eng"), &[&ids[0], &ids[1]]))
        .await;
    assert_eq!(r.content_type(), SCIM_JSON);
    let gid = r.id();
    assert_eq!(
        r.headers["location"],
        r.body["meta"]["location"].as_str().unwrap()
    );
    assert_eq!(r.body["meta"]["resourceType"], "Group");
    assert_eq!(r.body["displayName"], "Engineering");
    assert_eq!(r.body["externalId"], "aad-eng");
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(member_ids(&r.body), expected);
    assert_eq!(r.body["members"][0]["display"], "Display g0@example.com");

    let team = t.team_named("Engineering").await;
    assert_eq!(team["isProvisioned"], true);
    assert_eq!(team["externalUID"], "aad-eng");
    assert_eq!(team["memberCount"], 2);
    assert_eq!(team["orgId"], 1);
    let members = t
        .get(&format!("/api/teams/{}/members", team["id"]))
        .await
        .body;
    let logins: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["g0@example.com", "g1@example.com"]);
    assert_eq!(members[0]["teamId"], team["id"]);
    assert_eq!(members[0]["orgId"], 1);

    // The users list their group.
    let u = t.get(&format!("{BASE}/Users/{}", ids[0])).await.body;
    assert_eq!(u["groups"][0]["value"], json!(gid));
    assert_eq!(u["groups"][0]["display"], "Engineering");

    let got = t.get(&format!("{BASE}/Groups/{gid}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, r.body);
}

#[tokio::test]
async fn a_team_without_external_id_uses_the_scim_id() {
    let t = Target::start(SYNC_ON).await;
    let gid = t.create_group(&group("Okta Group", None, &[])).await.id();
    assert_eq!(t.team_named("Okta Group").await["externalUID"], json!(gid));
}

#[tokio::test]
async fn display_name_is_required_and_unique() {
    let t = Target::start(SYNC_ON).await;
    t.create_group(&group("Ops", None, &[])).await;
    t.post(&format!("{BASE}/Groups"), &group("OPS", None, &[]))
        .await
        .assert_scim_error(409, Some("uniqueness"));
    let mut body = group("x", None, &[]);
    body.as_object_mut().unwrap().remove("displayName");
    t.post(&format!("{BASE}/Groups"), &body)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    // A team the app owns holds the name too.
    let r = t.post("/api/teams", &json!({"name": "Local Team"})).await;
    assert_eq!(r.status, 200);
    t.post(&format!("{BASE}/Groups"), &group("local team", None, &[]))
        .await
        .assert_scim_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn an_unknown_member_is_invalid_value_naming_it() {
    let t = Target::start(SYNC_ON).await;
    let r = t
        .post(
            &format!("{BASE}/Groups"),
            &group("G", None, &["no-such-user"]),
        )
        .await;
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("no-such-user"),
        "{}",
        r.body
    );
    assert_eq!(
        t.get("/api/teams/search?name=G").await.body["totalCount"],
        0,
        "nothing was created"
    );

    let gid = t.create_group(&group("G", None, &[])).await.id();
    let r = t
        .patch(
            &format!("{BASE}/Groups/{gid}"),
            &patch(json!([{"op": "Add", "path": "members", "value": [{"value": "ghost-id"}]}])),
        )
        .await;
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.body["detail"].as_str().unwrap().contains("ghost-id"));
}

/// Member PATCHes as each persona sends them.
fn add_op(dialect: &str, ids: &[&str]) -> Value {
    let values: Vec<Value> = ids.iter().map(|i| json!({"value": i})).collect();
    match dialect {
        "entra" => patch(json!([{"op": "Add", "path": "members", "value": values}])),
        "entra-aadopt" | "rfc" => patch(json!([{"op": "add", "path": "members", "value": values}])),
        "okta-oin" => patch(json!([{"op": "add", "path": "members", "value": values}])),
        "pathless" => patch(json!([{"op": "add", "value": {"members": values}}])),
        other => panic!("{other}"),
    }
}

fn remove_op(dialect: &str, id: &str) -> Value {
    match dialect {
        "entra" => patch(json!([{"op": "Remove", "path": "members", "value": [{"value": id}]}])),
        "entra-aadopt" | "pathless" => {
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]))
        }
        "okta-oin" => patch(json!([{"op": "remove", "path": "members", "value": [{"value": id}]}])),
        "rfc" => patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])),
        other => panic!("{other}"),
    }
}

#[rstest]
#[case("entra")]
#[case("entra-aadopt")]
#[case("okta-oin")]
#[case("rfc")]
#[case("pathless")]
#[tokio::test]
async fn members_are_added_and_removed_in_every_dialect(#[case] dialect: &str) {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 3, "m").await;
    let gid = t
        .create_group(&group("Team M", None, &[&ids[0]]))
        .await
        .id();
    let path = format!("{BASE}/Groups/{gid}");

    let r = t
        .patch(&path, &add_op(dialect, &[&ids[1], &ids[2], &ids[0]]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut all = ids.clone();
    all.sort();
    assert_eq!(
        member_ids(&r.body),
        all,
        "PATCH answers with the group and its members"
    );
    assert_eq!(t.team_named("Team M").await["memberCount"], 3);

    let r = t.patch(&path, &remove_op(dialect, &ids[1])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut left = vec![ids[0].clone(), ids[2].clone()];
    left.sort();
    assert_eq!(member_ids(&t.get(&path).await.body), left);
    let team = t.team_named("Team M").await;
    let members = t
        .get(&format!("/api/teams/{}/members", team["id"]))
        .await
        .body;
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["login"] != "m1@example.com"));
}

#[tokio::test]
async fn patch_renames_the_group_and_the_team() {
    let t = Target::start(SYNC_ON).await;
    let gid = t
        .create_group(&group("Old Name", Some("x"), &[]))
        .await
        .id();
    let r = t
        .patch(
            &format!("{BASE}/Groups/{gid}"),
            &patch(json!([{"op": "Replace", "path": "displayName", "value": "New Name"}])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["displayName"], "New Name");
    assert_eq!(t.team_named("New Name").await["externalUID"], "x");
    assert_eq!(
        t.get("/api/teams/search?name=Old%20Name").await.body["totalCount"],
        0
    );
}

/// Okta pushes groups by PUT with the full member list.
#[tokio::test]
async fn put_replaces_the_members() {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 3, "p").await;
    let gid = t
        .create_group(&group("Pushed", None, &[&ids[0], &ids[1]]))
        .await
        .id();
    let path = format!("{BASE}/Groups/{gid}");
    let r = t
        .put(&path, &group("Pushed", None, &[&ids[1], &ids[2]]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut expected = vec![ids[1].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(member_ids(&r.body), expected);
    // Without `members`, the members stay (not asserted).
    let r = t
        .put(
            &path,
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Pushed"}),
        )
        .await;
    assert_eq!(member_ids(&r.body), expected);
    // An explicit empty list empties the group.
    let r = t.put(&path, &group("Pushed", None, &[])).await;
    assert!(r.body.get("members").is_none(), "{}", r.body);
    assert_eq!(t.team_named("Pushed").await["memberCount"], 0);
}

#[tokio::test]
async fn excluded_members_are_not_returned() {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 2, "x").await;
    let gid = t
        .create_group(&group("Big", None, &[&ids[0], &ids[1]]))
        .await
        .id();
    let list = t
        .get(&format!("{BASE}/Groups?excludedAttributes=members"))
        .await
        .body;
    assert_eq!(list["totalResults"], 1);
    assert!(list["Resources"][0].get("members").is_none(), "{list}");
    assert_eq!(list["Resources"][0]["displayName"], "Big");
    let one = t
        .get(&format!("{BASE}/Groups/{gid}?excludedAttributes=members"))
        .await
        .body;
    assert!(one.get("members").is_none());
    assert_eq!(one["id"], json!(gid));
    let filtered = t
        .get(&format!(
            "{BASE}/Groups?excludedAttributes=members&filter={}",
            encode("displayName eq \"big\"")
        ))
        .await
        .body;
    assert_eq!(filtered["totalResults"], 1);
    assert!(filtered["Resources"][0].get("members").is_none());
    // Without the parameter the members are there.
    let full = t.get(&format!("{BASE}/Groups")).await.body;
    assert_eq!(full["Resources"][0]["members"].as_array().unwrap().len(), 2);
    // A filter on members still sees them while excluding them from the output.
    let by_member = t
        .get(&format!(
            "{BASE}/Groups?excludedAttributes=members&filter={}",
            encode(&format!("members[value eq \"{}\"]", ids[1]))
        ))
        .await
        .body;
    assert_eq!(by_member["totalResults"], 1);
    assert!(by_member["Resources"][0].get("members").is_none());
}

#[tokio::test]
async fn deleting_a_group_deletes_its_team() {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 1, "d").await;
    let gid = t
        .create_group(&group("Doomed", None, &[&ids[0]]))
        .await
        .id();
    let team_id = t.team_named("Doomed").await["id"].clone();
    let r = t.delete(&format!("{BASE}/Groups/{gid}")).await;
    assert_eq!(r.status, 204);
    t.get(&format!("{BASE}/Groups/{gid}"))
        .await
        .assert_scim_error(404, None);
    assert_eq!(
        t.get("/api/teams/search?name=Doomed").await.body["totalCount"],
        0
    );
    assert_eq!(t.get(&format!("/api/teams/{team_id}")).await.status, 404);
    // The user is untouched.
    assert_eq!(t.get(&format!("{BASE}/Users/{}", ids[0])).await.status, 200);
}

#[tokio::test]
async fn disabled_users_keep_their_memberships() {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 1, "k").await;
    let gid = t
        .create_group(&group("Keepers", None, &[&ids[0]]))
        .await
        .id();
    let r = t
        .patch(
            &format!("{BASE}/Users/{}", ids[0]),
            &patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        member_ids(&t.get(&format!("{BASE}/Groups/{gid}")).await.body),
        vec![ids[0].clone()]
    );
    let team = t.team_named("Keepers").await;
    assert_eq!(team["memberCount"], 1);
    let members = t
        .get(&format!("/api/teams/{}/members", team["id"]))
        .await
        .body;
    assert_eq!(members[0]["isDisabled"], true);
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_scim_groups() {
    let t = Target::start(SYNC_ON).await;
    let ids = users(&t, 2, "r").await;
    let gid = t
        .create_group(&group("Leavers", None, &[&ids[0], &ids[1]]))
        .await
        .id();
    assert_eq!(
        t.delete(&format!("{BASE}/Users/{}", ids[0])).await.status,
        204
    );
    assert_eq!(
        member_ids(&t.get(&format!("{BASE}/Groups/{gid}")).await.body),
        vec![ids[1].clone()]
    );
    assert_eq!(t.team_named("Leavers").await["memberCount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_member_adds_all_land() {
    let t = Arc::new(Target::start(SYNC_ON).await);
    let ids = users(&t, 16, "c").await;
    let gid = t.create_group(&group("Crowd", None, &[])).await.id();
    let path = format!("{BASE}/Groups/{gid}");
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let t = Arc::clone(&t);
            let path = path.clone();
            let body = patch(json!([{"op": "Add", "path": "members", "value": [{"value": id}]}]));
            tokio::spawn(async move { t.patch(&path, &body).await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(member_ids(&t.get(&path).await.body), expected);
    assert_eq!(t.team_named("Crowd").await["memberCount"], 16);
}
