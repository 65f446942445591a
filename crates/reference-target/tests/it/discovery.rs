//! RFC 7644 §4 discovery over a real socket: truthful ServiceProviderConfig,
//! ResourceTypes and Schemas, behind the bearer token.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn service_provider_config_is_truthful() {
    let t = Target::start(SYNC_ON).await;
    let r = t.get(&format!("{BASE}/ServiceProviderConfig")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), SCIM_JSON);
    let c = &r.body;
    assert_eq!(
        c["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(c["patch"]["supported"], true);
    assert_eq!(c["bulk"]["supported"], false);
    assert_eq!(c["bulk"]["maxOperations"], 0);
    assert_eq!(
        c["bulk"]["maxPayloadSize"],
        reference_target::MAX_BODY_BYTES
    );
    assert_eq!(c["filter"]["supported"], true);
    assert_eq!(c["filter"]["maxResults"], reference_target::MAX_RESULTS);
    assert_eq!(c["changePassword"]["supported"], false);
    assert_eq!(c["sort"]["supported"], false);
    assert_eq!(c["etag"]["supported"], false);
    assert_eq!(c["authenticationSchemes"][0]["type"], "oauthbearertoken");
    assert_eq!(
        c["meta"]["location"],
        t.url(&format!("{BASE}/ServiceProviderConfig"))
    );

    // The advertised cap is the one enforced.
    let list = t.get(&format!("{BASE}/Users?count=100000")).await.body;
    assert_eq!(list["itemsPerPage"], 0, "no users yet: {list}");
    // RFC 7644 §4: a filter on the configuration is refused.
    t.get(&format!(
        "{BASE}/ServiceProviderConfig?filter=patch.supported%20eq%20true"
    ))
    .await
    .assert_scim_error(403, None);
}

#[tokio::test]
async fn resource_types_list_users_and_groups() {
    let t = Target::start(SYNC_ON).await;
    let r = t.get(&format!("{BASE}/ResourceTypes")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(r.body["totalResults"], 2);
    let names: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group"]);
    let user = t.get(&format!("{BASE}/ResourceTypes/User")).await.body;
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_SCHEMA);
    assert_eq!(
        user["schemaExtensions"][0]["schema"],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    assert_eq!(
        user["meta"]["location"],
        t.url(&format!("{BASE}/ResourceTypes/User"))
    );
    assert_eq!(
        t.get(&format!("{BASE}/ResourceTypes/Group")).await.body["endpoint"],
        "/Groups"
    );
    t.get(&format!("{BASE}/ResourceTypes/Printer"))
        .await
        .assert_scim_error(404, None);
}

#[tokio::test]
async fn schemas_describe_user_enterprise_and_group() {
    let t = Target::start(SYNC_ON).await;
    let r = t.get(&format!("{BASE}/Schemas")).await.body;
    let ids: Vec<&str> = r["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            USER_SCHEMA,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            GROUP_SCHEMA
        ]
    );
    assert_eq!(r["totalResults"], 3);
    let user = t.get(&format!("{BASE}/Schemas/{USER_SCHEMA}")).await;
    assert_eq!(user.status, 200);
    let attrs: Vec<&str> = user.body["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        attrs.contains(&"userName") && attrs.contains(&"active") && attrs.contains(&"emails"),
        "{attrs:?}"
    );
    let group = t.get(&format!("{BASE}/Schemas/{GROUP_SCHEMA}")).await.body;
    assert!(group["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "members"));
    t.get(&format!("{BASE}/Schemas/urn:nope"))
        .await
        .assert_scim_error(404, None);
}

#[tokio::test]
async fn discovery_requires_the_token() {
    let t = Target::start(SYNC_ON).await;
    for path in ["ServiceProviderConfig", "ResourceTypes", "Schemas"] {
        t.send_as(
            Auth::None,
            axum::http::Method::GET,
            &format!("{BASE}/{path}"),
            None,
        )
        .await
        .assert_scim_error(401, None);
    }
}
