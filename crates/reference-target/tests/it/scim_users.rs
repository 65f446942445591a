//! SCIM Users over a real socket: create, read-back, Grafana's mapping, adoption,
//! CVE-2025-41115, delete semantics, deactivation, filters and paging.

use rstest::rstest;
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn create_answers_201_with_location_meta_and_the_resource() {
    let t = Target::start(SYNC_ON).await;
    let r = t.create_user(&user("alice@example.com", "ext-alice")).await;
    assert_eq!(r.content_type(), SCIM_JSON);
    let id = r.id();
    assert_eq!(id.len(), 36, "a uuid: {id}");
    let location = r.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, r.body["meta"]["location"]);
    assert_eq!(location, t.url(&format!("{BASE}/Users/{id}")));
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert!(r.body["meta"]["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.body["meta"]["created"], r.body["meta"]["lastModified"]);
    assert_eq!(r.body["userName"], "alice@example.com");
    assert_eq!(r.body["externalId"], "ext-alice");
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["schemas"], json!([USER_SCHEMA]));

    let got = t.get(&format!("{BASE}/Users/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.content_type(), SCIM_JSON);
    assert_eq!(got.body, r.body);
}

#[tokio::test]
async fn every_attribute_sent_reads_back_and_unknown_ones_are_tolerated() {
    let t = Target::start(SYNC_ON).await;
    let body = json!({
        "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0b7d3e2c",
        "userName": "bob@example.com",
        "active": "True",
        "displayName": "Bob B",
        "title": "Engineer",
        "preferredLanguage": "en-GB",
        "name": {"givenName": "Bob", "familyName": "Builder", "formatted": "Bob Builder"},
        "emails": [{"primary": true, "type": "work", "value": "bob@corp.example"}],
        "phoneNumbers": [{"type": "mobile", "value": "+1 555 0100"}],
        "addresses": [{"type": "work", "locality": "Oslo", "country": "NO"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Platform", "employeeNumber": "42", "manager": {"value": "m-1"}
        },
        "someVendorThing": {"x": 1},
        "password": "s3cret!"
    });
    let r = t.create_user(&body).await;
    let got = t.get(&format!("{BASE}/Users/{}", r.id())).await.body;
    assert_eq!(got["active"], true, "the string True is a boolean");
    for key in [
        "displayName",
        "title",
        "preferredLanguage",
        "name",
        "emails",
        "phoneNumbers",
        "addresses",
        "someVendorThing",
    ] {
        assert_eq!(got[key], body[key], "{key} reads back: {got}");
    }
    let ext = &got["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(ext["department"], "Platform");
    assert_eq!(ext["employeeNumber"], "42");
    assert_eq!(ext["manager"]["value"], "m-1");
    assert!(got["schemas"].as_array().unwrap().contains(&json!(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    )));
    assert!(
        got.get("password").is_none(),
        "password is never returned: {got}"
    );
}

#[tokio::test]
async fn the_app_user_is_mapped_as_grafana_maps_it() {
    let t = Target::start(SYNC_ON).await;
    let mut body = user("carol@example.com", "ext-carol");
    body["emails"] = json!([
        {"type": "home", "value": "carol@home.example"},
        {"type": "work", "value": "carol.work@example.com"}
    ]);
    body["displayName"] = json!("Carol C");
    t.create_user(&body).await;
    let u = t.lookup("carol@example.com").await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.body["login"], "carol@example.com");
    assert_eq!(u.body["email"], "carol.work@example.com", "the work email");
    assert_eq!(u.body["name"], "Carol C");
    assert_eq!(u.body["isProvisioned"], true);
    assert_eq!(u.body["isDisabled"], false);
    assert_eq!(u.body["isExternal"], true);
    assert_eq!(u.body["authLabels"], json!(["SAML"]));
    assert!(
        u.body["uid"].as_str().unwrap().starts_with("scim-"),
        "{}",
        u.body
    );

    // user_auth: auth.saml, empty auth_id, external_uid = externalId.
    let (module, auth_id, ext): (String, String, String) = t
        .sql()
        .query_row(
            "SELECT auth_module, auth_id, external_uid FROM user_auth WHERE user_id = ?1",
            [u.body["id"].as_i64().unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (module.as_str(), auth_id.as_str(), ext.as_str()),
        ("auth.saml", "", "ext-carol")
    );
}

#[rstest]
#[case::display_name(json!({"displayName": "Shown", "name": {"formatted": "Formatted"}}), "Shown")]
#[case::formatted(json!({"name": {"formatted": "Formatted", "givenName": "G"}}), "Formatted")]
#[case::given_and_family(json!({"name": {"givenName": "Given", "familyName": "Family"}}), "Given Family")]
#[case::user_name(json!({}), "dave@example.com")]
#[tokio::test]
async fn name_falls_back_in_order(#[case] extra: Value, #[case] expected: &str) {
    let t = Target::start(SYNC_ON).await;
    let mut body =
        json!({"schemas": [USER_SCHEMA], "userName": "dave@example.com", "externalId": "d"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    t.create_user(&body).await;
    let u = t.lookup("dave@example.com").await;
    assert_eq!(u.body["name"], expected);
    assert_eq!(
        u.body["email"], "dave@example.com",
        "no email: the userName"
    );
}

#[tokio::test]
async fn user_name_is_unique_ignoring_case() {
    let t = Target::start(SYNC_ON).await;
    t.create_user(&user("erin@example.com", "e1")).await;
    let mut dup = user("ERIN@Example.com", "e2");
    dup["emails"] = json!([{"type": "work", "value": "other@example.com"}]);
    let r = t.post(&format!("{BASE}/Users"), &dup).await;
    r.assert_scim_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn external_id_is_required() {
    let t = Target::start(SYNC_ON).await;
    let mut body = user("frank@example.com", "x");
    body.as_object_mut().unwrap().remove("externalId");
    let r = t.post(&format!("{BASE}/Users"), &body).await;
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.body["detail"].as_str().unwrap().contains("externalId"));
}

/// CVE-2025-41115: a numeric externalId must never alias an internal user id.
#[tokio::test]
async fn a_numeric_external_id_does_not_touch_user_1() {
    let t = Target::start(SYNC_ON).await;
    let admin_before = t.lookup("admin").await.body;
    assert_eq!(admin_before["id"], 1);

    let r = t.create_user(&user("mallory@example.com", "1")).await;
    assert_eq!(r.body["externalId"], "1");
    assert_ne!(r.id(), "1");

    let mallory = t.lookup("mallory@example.com").await.body;
    assert_ne!(mallory["id"], 1);
    assert!(mallory["uid"].as_str().unwrap().starts_with("scim-"));
    assert_ne!(mallory["uid"], "1");

    let admin_after = t.lookup("admin").await.body;
    assert_eq!(admin_after, admin_before, "user 1 is untouched");
    assert_eq!(admin_after["isProvisioned"], false);
    let auth_rows: i64 = t
        .sql()
        .query_row(
            "SELECT count(*) FROM user_auth WHERE user_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(auth_rows, 0);
    t.get(&format!("{BASE}/Users/1"))
        .await
        .assert_scim_error(404, None);

    // Nor does an externalId equal to the admin's uid.
    let admin_uid = admin_before["uid"].as_str().unwrap();
    t.create_user(&user("trudy@example.com", admin_uid)).await;
    assert_eq!(t.lookup("admin").await.body, admin_before);
}

/// Grafana PR #108657: a POST whose email matches a non-provisioned user adopts it.
#[tokio::test]
async fn a_post_adopts_the_local_user_with_that_email() {
    let t = Target::start(SYNC_ON).await;
    let created = t
        .post(
            "/api/admin/users",
            &json!({"name": "Grace Local", "email": "Grace@Example.com", "login": "grace.local", "password": "pw12345"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let local_id = created.body["id"].as_i64().unwrap();
    assert_eq!(t.lookup("grace.local").await.body["isProvisioned"], false);

    let mut body = user("grace@example.com", "ext-grace");
    body["displayName"] = json!("Grace SCIM");
    let r = t.post(&format!("{BASE}/Users"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);

    let u = t.lookup("grace@example.com").await.body;
    assert_eq!(u["id"], local_id, "the same account");
    assert_eq!(u["isProvisioned"], true);
    assert_eq!(u["login"], "grace@example.com", "login from SCIM");
    assert_eq!(u["name"], "Grace SCIM");
    let ext: String = t
        .sql()
        .query_row(
            "SELECT external_uid FROM user_auth WHERE user_id = ?1",
            [local_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ext, "ext-grace");

    let provisioned = t.get("/api/users/search?isProvisioned=true").await.body;
    assert_eq!(provisioned["totalCount"], 1);
    assert_eq!(provisioned["users"][0]["id"], local_id);
}

#[tokio::test]
async fn a_second_scim_user_with_a_provisioned_email_conflicts() {
    let t = Target::start(SYNC_ON).await;
    t.create_user(&user("heidi@example.com", "h1")).await;
    let mut other = user("heidi2@example.com", "h2");
    other["emails"] = json!([{"type": "work", "value": "HEIDI@example.com"}]);
    t.post(&format!("{BASE}/Users"), &other)
        .await
        .assert_scim_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn delete_removes_the_resource_keeps_the_app_user_disabled_and_recreate_adopts() {
    let t = Target::start(SYNC_ON).await;
    let first = t.create_user(&user("ivan@example.com", "ext-1")).await;
    let id = first.id();
    let app_id = t.lookup("ivan@example.com").await.body["id"].clone();

    let d = t.delete(&format!("{BASE}/Users/{id}")).await;
    assert_eq!(d.status, 204);
    assert_eq!(d.body, Value::Null);
    t.get(&format!("{BASE}/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    t.delete(&format!("{BASE}/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    let list = t
        .get(&format!(
            "{BASE}/Users?filter=userName%20eq%20%22ivan@example.com%22"
        ))
        .await;
    assert_eq!(list.body["totalResults"], 0);

    let kept = t.lookup("ivan@example.com").await.body;
    assert_eq!(kept["id"], app_id, "the app user stays");
    assert_eq!(kept["isDisabled"], true);
    assert_eq!(kept["isProvisioned"], true);

    let again = t.create_user(&user("ivan@example.com", "ext-2")).await;
    assert_ne!(again.id(), id, "a new SCIM id; the old one stays 404");
    assert_eq!(again.body["externalId"], "ext-2");
    t.get(&format!("{BASE}/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    let adopted = t.lookup("ivan@example.com").await.body;
    assert_eq!(adopted["id"], app_id);
    assert_eq!(adopted["isDisabled"], false);
    let ext: String = t
        .sql()
        .query_row(
            "SELECT external_uid FROM user_auth WHERE user_id = ?1 AND auth_module = 'auth.saml'",
            [app_id.as_i64().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ext, "ext-2");
}

fn deactivate_patch(dialect: &str) -> Value {
    match dialect {
        "entra" => patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        "entra-aadopt" => patch(json!([{"op": "replace", "path": "active", "value": false}])),
        "okta-oin" => patch(json!([{"op": "replace", "value": {"active": false}}])),
        other => panic!("unknown dialect {other}"),
    }
}

fn activate_patch(dialect: &str) -> Value {
    match dialect {
        "entra" => patch(json!([{"op": "Replace", "path": "active", "value": "True"}])),
        "entra-aadopt" => patch(json!([{"op": "replace", "path": "active", "value": true}])),
        "okta-oin" => patch(json!([{"op": "replace", "value": {"active": true}}])),
        other => panic!("unknown dialect {other}"),
    }
}

#[rstest]
#[case("entra")]
#[case("entra-aadopt")]
#[case("okta-oin")]
#[tokio::test]
async fn patch_active_false_disables_and_the_user_stays_readable(#[case] dialect: &str) {
    let t = Target::start(SYNC_ON).await;
    let id = t.create_user(&user("judy@example.com", "j")).await.id();
    let path = format!("{BASE}/Users/{id}");

    let r = t.patch(&path, &deactivate_patch(dialect)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    assert_eq!(
        r.body["userName"], "judy@example.com",
        "PATCH answers with the full resource"
    );
    assert_eq!(t.get(&path).await.body["active"], false);
    let found = t
        .get(&format!(
            "{BASE}/Users?filter=userName%20eq%20%22judy@example.com%22"
        ))
        .await
        .body;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["active"], false);
    let inactive = t
        .get(&format!("{BASE}/Users?filter=active%20eq%20false"))
        .await
        .body;
    assert_eq!(inactive["totalResults"], 1);
    assert_eq!(t.lookup("judy@example.com").await.body["isDisabled"], true);

    let r = t.patch(&path, &activate_patch(dialect)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], true);
    assert_eq!(t.lookup("judy@example.com").await.body["isDisabled"], false);
}

/// Okta: GET then PUT with `active` flipped; an omitted `externalId` is kept.
#[tokio::test]
async fn put_replaces_deactivates_and_keeps_an_omitted_external_id() {
    let t = Target::start(SYNC_ON).await;
    let id = t
        .create_user(&user("ken@example.com", "00u-ken"))
        .await
        .id();
    let path = format!("{BASE}/Users/{id}");
    let mut body = t.get(&path).await.body;
    body["active"] = json!(false);
    body["displayName"] = json!("Ken Renamed");
    body["id"] = json!("some-other-id");
    body.as_object_mut().unwrap().remove("externalId");
    let r = t.put(&path, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.id(), id, "the id in the body is ignored");
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["externalId"], "00u-ken");
    assert_eq!(r.body["displayName"], "Ken Renamed");
    assert_eq!(r.body["meta"]["version"], "W/\"2\"");
    let u = t.lookup("ken@example.com").await.body;
    assert_eq!(u["isDisabled"], true);
    assert_eq!(u["name"], "Ken Renamed");
}

#[tokio::test]
async fn put_to_a_taken_user_name_conflicts() {
    let t = Target::start(SYNC_ON).await;
    t.create_user(&user("leo@example.com", "l1")).await;
    let id = t.create_user(&user("mia@example.com", "m1")).await.id();
    let mut body = user("Leo@example.com", "m1");
    body["emails"] = json!([{"type": "work", "value": "mia@example.com"}]);
    t.put(&format!("{BASE}/Users/{id}"), &body)
        .await
        .assert_scim_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn patch_changes_attributes_and_derived_columns() {
    let t = Target::start(SYNC_ON).await;
    let id = t.create_user(&user("nina@example.com", "n")).await.id();
    let r = t
        .patch(
            &format!("{BASE}/Users/{id}"),
            &patch(json!([
                {"op": "Replace", "path": "displayName", "value": "Nina New"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "nina.new@example.com"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"}
            ])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["displayName"], "Nina New");
    assert_eq!(
        r.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Ops"
    );
    let u = t.lookup("nina@example.com").await.body;
    assert_eq!(u["name"], "Nina New");
    assert_eq!(u["email"], "nina.new@example.com");
}

#[tokio::test]
async fn patch_cannot_remove_the_external_id() {
    let t = Target::start(SYNC_ON).await;
    let id = t.create_user(&user("oscar@example.com", "o")).await.id();
    t.patch(
        &format!("{BASE}/Users/{id}"),
        &patch(json!([{"op": "remove", "path": "externalId"}])),
    )
    .await
    .assert_scim_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn filters_use_user_name_ignoring_case_and_external_id() {
    let t = Target::start(SYNC_ON).await;
    t.create_user(&user("pat@example.com", "ext-pat")).await;
    t.create_user(&user("quinn@example.com", "ext-quinn")).await;
    let q = |f: &str| format!("{BASE}/Users?filter={}", encode(f));
    let r = t.get(&q("userName eq \"PAT@example.com\"")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["userName"], "pat@example.com");
    assert_eq!(
        t.get(&q("userName eq \"nobody@example.com\"")).await.body["totalResults"],
        0
    );
    assert_eq!(
        t.get(&q("externalId eq \"ext-quinn\"")).await.body["totalResults"],
        1
    );
    assert_eq!(
        t.get(&q("externalId eq \"EXT-QUINN\"")).await.body["totalResults"],
        0,
        "externalId is case-exact"
    );
    assert_eq!(
        t.get(&q("userName sw \"p\" or userName sw \"q\""))
            .await
            .body["totalResults"],
        2
    );
}

#[tokio::test]
async fn paging_is_stable_over_25_users() {
    let t = Target::start(SYNC_ON).await;
    let mut created = Vec::new();
    for i in 0..25 {
        created.push(
            t.create_user(&user(&format!("page{i:02}@example.com"), &format!("p{i}")))
                .await
                .id(),
        );
    }
    let mut seen = Vec::new();
    for (start, expected) in [(1, 10), (11, 10), (21, 5)] {
        let r = t
            .get(&format!("{BASE}/Users?startIndex={start}&count=10"))
            .await
            .body;
        assert_eq!(r["totalResults"], 25);
        assert_eq!(r["startIndex"], start);
        assert_eq!(r["itemsPerPage"], expected);
        let ids: Vec<String> = r["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), expected);
        seen.extend(ids);
    }
    assert_eq!(seen, created, "every user once, in creation order");
    // The same page twice is the same page.
    let a = t
        .get(&format!("{BASE}/Users?startIndex=11&count=10"))
        .await
        .body;
    let b = t
        .get(&format!("{BASE}/Users?startIndex=11&count=10"))
        .await
        .body;
    assert_eq!(a, b);
    // startIndex < 1 reads as 1; count < 0 as 0; count = 0 gives the total only.
    let r = t
        .get(&format!("{BASE}/Users?startIndex=0&count=3"))
        .await
        .body;
    assert_eq!(r["startIndex"], 1);
    assert_eq!(r["Resources"][0]["id"], json!(created[0]));
    for count in ["0", "-5"] {
        let r = t.get(&format!("{BASE}/Users?count={count}")).await.body;
        assert_eq!(r["totalResults"], 25);
        assert_eq!(r["itemsPerPage"], 0);
        assert_eq!(r["Resources"], json!([]));
    }
    // A filtered listing pages the same way.
    let f = encode("userName sw \"page\"");
    let r = t
        .get(&format!("{BASE}/Users?filter={f}&startIndex=21&count=10"))
        .await
        .body;
    assert_eq!(r["totalResults"], 25);
    assert_eq!(r["itemsPerPage"], 5);
    assert_eq!(r["Resources"][0]["id"], json!(created[20]));
    // Past the end: empty.
    let r = t.get(&format!("{BASE}/Users?startIndex=100")).await.body;
    assert_eq!(r["totalResults"], 25);
    assert_eq!(r["Resources"], json!([]));
}

#[tokio::test]
async fn attributes_and_excluded_attributes_project_users() {
    let t = Target::start(SYNC_ON).await;
    let id = t.create_user(&user("rita@example.com", "r")).await.id();
    let r = t
        .get(&format!("{BASE}/Users/{id}?attributes=userName"))
        .await
        .body;
    assert_eq!(r["userName"], "rita@example.com");
    assert_eq!(r["id"], json!(id), "id is always returned");
    assert!(r.get("displayName").is_none(), "{r}");
    let r = t
        .get(&format!(
            "{BASE}/Users?excludedAttributes=emails,displayName"
        ))
        .await
        .body;
    let first = &r["Resources"][0];
    assert!(
        first.get("emails").is_none() && first.get("displayName").is_none(),
        "{first}"
    );
    assert_eq!(first["userName"], "rita@example.com");
}
