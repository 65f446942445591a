//! The role and app-API faults of issue 16 (an external user edited through the app
//! API, the team guard reading the ini alone, a role-less token served): each changes
//! what its doc claims, and the clean target does not show it. `saml-role-ignored`
//! needs a login: saml_login.rs.

use axum::body::Body;
use axum::http::{header, Method, Request};
use reference_target::Fault;
use serde_json::json;

use crate::faults::{both, create_group, create_user, users};
use crate::support::*;

fn org_user_id(found: &Reply) -> i64 {
    found.body[0]["userId"].as_i64().expect("an org user")
}

#[tokio::test]
async fn external_user_editable() {
    let (clean, faulty) = both(SYNC_ON, Fault::ExternalUserEditable, |t| async move {
        create_user(&t, "ext@example.test").await;
        let found = t
            .send(Method::GET, "/api/org/users?query=ext%40example.test", None)
            .await;
        let id = org_user_id(&found);
        let edit = json!({"login": "edited", "email": "edited@example.test", "name": "Edited"});
        let put = t
            .send(Method::PUT, &format!("/api/users/{id}"), Some(&edit))
            .await;
        (put.status, put.body["message"].clone())
    })
    .await;
    assert_eq!(
        clean,
        (403, json!("User info cannot be updated for external Users"))
    );
    assert_eq!(faulty, (200, json!("User updated")));
}

#[tokio::test]
async fn a_local_user_is_editable_through_the_app_api() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    let body = json!({"login": "loc", "email": "loc@example.test", "name": "Loc", "password": "x"});
    let created = t.send(Method::POST, "/api/admin/users", Some(&body)).await;
    let id = created.body["id"].as_i64().unwrap();
    let edit = json!({"login": "loc2", "email": "loc2@example.test", "name": "Loc Two"});
    let put = t
        .send(Method::PUT, &format!("/api/users/{id}"), Some(&edit))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let after = t
        .send(Method::GET, "/api/users/lookup?loginOrEmail=loc2", None)
        .await;
    assert_eq!(after.body["name"], "Loc Two");
}

#[tokio::test]
async fn team_guard_ignores_config() {
    let (clean, faulty) = both(SYNC_ON, Fault::TeamGuardIgnoresConfig, |t| async move {
        let m1 = create_user(&t, "m1@example.test").await;
        create_user(&t, "m2@example.test").await;
        create_group(&t, "Squad", &[&m1]).await;
        let off = json!({"apiVersion": "scim.grafana.app/v0alpha1", "kind": "SCIMConfig",
            "metadata": {"name": "default", "namespace": "default"},
            "spec": {"enableUserSync": true, "enableGroupSync": false, "rejectNonProvisionedUsers": false}});
        let put = t
            .send(Method::PUT, "/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default", Some(&off))
            .await;
        assert_eq!(put.status, 200, "{}", put.body);
        let team = t.send(Method::GET, "/api/teams/search?name=Squad", None).await;
        let team_id = team.body["teams"][0]["id"].as_i64().expect("the team");
        let found = t
            .send(Method::GET, "/api/org/users?query=m2%40example.test", None)
            .await;
        let add = json!({"userId": org_user_id(&found)});
        let added = t
            .send(Method::POST, &format!("/api/teams/{team_id}/members"), Some(&add))
            .await;
        let deleted = t
            .send(Method::DELETE, &format!("/api/teams/{team_id}"), None)
            .await;
        (added.status, deleted.status)
    })
    .await;
    assert_eq!(clean, (200, 200));
    assert_eq!(faulty, (400, 400));
}

#[tokio::test]
async fn role_less_token_accepted() {
    let ini = format!("{SYNC_ON}[service_accounts]\nrole_less_token = no-role-token\n");
    let (clean, faulty) = both(&ini, Fault::RoleLessTokenAccepted, |t| async move {
        let body = serde_json::to_vec(&user("nr@example.test", "ext-nr")).unwrap();
        let request = Request::builder()
            .method(Method::POST)
            .uri(users())
            .header(header::HOST, "target.test")
            .header(header::AUTHORIZATION, "Bearer no-role-token")
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .body(Body::from(body))
            .unwrap();
        t.request(request).await.status
    })
    .await;
    assert_eq!((clean, faulty), (403, 201));
}
