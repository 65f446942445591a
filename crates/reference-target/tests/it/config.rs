//! Configuration: file < environment < SCIMConfig API, DELETE reverting to the file,
//! changes without restart, and SCIM group sync refused together with Team Sync.

use axum::http::Method;
use serde_json::{json, Value};

use crate::support::*;

const CONFIG: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default";

fn terraform_body(user_sync: bool, group_sync: bool, reject: bool) -> Value {
    json!({
        "apiVersion": "scim.grafana.app/v0alpha1",
        "kind": "SCIMConfig",
        "metadata": {"name": "default", "namespace": "default"},
        "spec": {"enableUserSync": user_sync, "enableGroupSync": group_sync, "rejectNonProvisionedUsers": reject}
    })
}

async fn can_create_user(t: &RouterTarget, name: &str) -> u16 {
    t.send(
        Method::POST,
        &format!("{BASE}/Users"),
        Some(&user(name, name)),
    )
    .await
    .status
}

#[tokio::test]
async fn get_without_a_stored_config_shows_the_file_settings() {
    let t = RouterTarget::from_ini(
        "[auth.scim]\nuser_sync_enabled = true\nreject_non_provisioned_users = true\n",
        &[],
    );
    let r = t.send(Method::GET, CONFIG, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["apiVersion"], "scim.grafana.app/v0alpha1");
    assert_eq!(r.body["kind"], "SCIMConfig");
    assert_eq!(r.body["metadata"]["name"], "default");
    assert_eq!(r.body["metadata"]["namespace"], "default");
    assert_eq!(
        r.body["spec"],
        json!({"enableUserSync": true, "enableGroupSync": false, "rejectNonProvisionedUsers": true})
    );
    assert_eq!(r.body["status"]["source"], "file");
}

#[tokio::test]
async fn file_then_env_then_api_and_delete_reverts() {
    // File: user sync off. Environment: on.
    let t = RouterTarget::from_ini(
        "[auth.scim]\nuser_sync_enabled = false\n",
        &[("GF_AUTH_SCIM_USER_SYNC_ENABLED", "true")],
    );
    assert!(
        t.state.settings().scim.user_sync_enabled,
        "env overrides the file"
    );
    assert_eq!(can_create_user(&t, "a@example.com").await, 201);

    // API: off, at once.
    let r = t
        .send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(false, false, true)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"]["source"], "database");
    assert_eq!(r.body["spec"]["enableUserSync"], false);
    assert_eq!(r.body["spec"]["rejectNonProvisionedUsers"], true);
    assert_eq!(can_create_user(&t, "b@example.com").await, 403);
    let r = t.send(Method::GET, CONFIG, None).await;
    assert_eq!(r.body["status"]["source"], "database");
    assert_eq!(r.body["spec"]["enableUserSync"], false);
    assert_eq!(
        t.state.scim_settings().1,
        reference_target::ConfigSource::Database
    );

    // DELETE: back to file + env.
    let r = t.send(Method::DELETE, CONFIG, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.send(Method::GET, CONFIG, None).await;
    assert_eq!(r.body["status"]["source"], "file");
    assert_eq!(r.body["spec"]["enableUserSync"], true);
    assert_eq!(can_create_user(&t, "c@example.com").await, 201);
    // Deleting again is still 200 (Terraform accepts 200 or 404).
    assert_eq!(t.send(Method::DELETE, CONFIG, None).await.status, 200);
}

#[tokio::test]
async fn the_api_can_enable_what_the_file_leaves_off() {
    let t = RouterTarget::with_settings(reference_target::Settings::default());
    assert_eq!(can_create_user(&t, "a@example.com").await, 403);
    let r = t
        .send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(true, true, false)),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(can_create_user(&t, "a@example.com").await, 201);
    let g = t
        .send(
            Method::POST,
            &format!("{BASE}/Groups"),
            Some(&group("G", None, &[])),
        )
        .await;
    assert_eq!(g.status, 201);
    // A second PUT replaces the first.
    let r = t
        .send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(true, false, false)),
        )
        .await;
    assert_eq!(r.body["metadata"]["generation"], 2);
    let g = t
        .send(
            Method::POST,
            &format!("{BASE}/Groups"),
            Some(&group("H", None, &[])),
        )
        .await;
    assert_eq!(g.status, 403);
}

#[tokio::test]
async fn the_stored_config_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    {
        let state = reference_target::AppState::open(
            &db,
            reference_target::Settings::default(),
            TOKEN.into(),
        )
        .unwrap();
        let t = RouterTarget::from_state(state);
        assert_eq!(
            t.send(
                Method::PUT,
                CONFIG,
                Some(&terraform_body(true, false, true))
            )
            .await
            .status,
            200
        );
    }
    let state =
        reference_target::AppState::open(&db, reference_target::Settings::default(), TOKEN.into())
            .unwrap();
    let (spec, source) = state.scim_settings();
    assert_eq!(source, reference_target::ConfigSource::Database);
    assert!(
        spec.user_sync_enabled && spec.reject_non_provisioned_users && !spec.group_sync_enabled
    );
}

#[tokio::test]
async fn group_sync_is_refused_while_team_sync_is_on() {
    let t = RouterTarget::from_ini(
        "[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n",
        &[],
    );
    let r = t
        .send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(true, true, false)),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["kind"], "Status");
    assert!(
        r.body["message"].as_str().unwrap().contains("team sync"),
        "{}",
        r.body
    );
    assert_eq!(
        t.send(Method::GET, CONFIG, None).await.body["status"]["source"],
        "file",
        "nothing stored"
    );
    // User sync alongside Team Sync is fine.
    assert_eq!(
        t.send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(true, false, false))
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn group_sync_with_team_sync_in_the_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let ini = write_temp(
        dir.path(),
        "grafana.ini",
        "[auth.scim]\ngroup_sync_enabled = true\n[team_sync]\nenabled = true\n",
    );
    let opts = reference_target::ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: dir.path().join("t.db"),
        config_ini: Some(ini),
        token: TOKEN.into(),
        idp_certs: Vec::new(),
        namespace: None,
        root_url: None,
        tls: None,
    };
    let mut called = false;
    let err = reference_target::serve(opts, |_| called = true, async {})
        .await
        .unwrap_err();
    assert!(!called, "never listened");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("group_sync_enabled") && msg.contains("team sync"),
        "{msg}"
    );
    // And through the environment.
    let err = reference_target::Settings::load(
        None,
        [
            (
                "GF_AUTH_SCIM_GROUP_SYNC_ENABLED".to_owned(),
                "true".to_owned(),
            ),
            ("GF_TEAM_SYNC_ENABLED".to_owned(), "true".to_owned()),
        ]
        .into_iter(),
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("team sync"));
}

#[rstest::rstest]
#[case::no_spec(json!({"apiVersion": "scim.grafana.app/v0alpha1", "kind": "SCIMConfig"}), 400)]
#[case::spec_not_bool(json!({"spec": {"enableUserSync": "yes"}}), 400)]
#[case::wrong_kind(json!({"kind": "Other", "spec": {}}), 400)]
#[case::wrong_name(json!({"metadata": {"name": "other"}, "spec": {}}), 400)]
#[case::wrong_metadata_namespace(json!({"metadata": {"namespace": "stacks-1"}, "spec": {}}), 400)]
#[case::not_an_object(json!([1]), 400)]
#[case::minimal(json!({"spec": {"enableUserSync": true}}), 200)]
#[tokio::test]
async fn put_bodies(#[case] body: Value, #[case] status: u16) {
    let t = RouterTarget::with_settings(reference_target::Settings::default());
    let r = t.send(Method::PUT, CONFIG, Some(&body)).await;
    assert_eq!(r.status, status, "{}", r.body);
    if status != 200 {
        assert_eq!(r.body["kind"], "Status");
        assert_eq!(r.body["code"], status);
    }
}

#[tokio::test]
async fn other_namespaces_names_and_missing_tokens_are_refused() {
    let t = RouterTarget::with_settings(reference_target::Settings::default());
    let r = t
        .send(
            Method::GET,
            "/apis/scim.grafana.app/v0alpha1/namespaces/stacks-9/config/default",
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("invalid namespace"));
    let r = t
        .send(
            Method::GET,
            "/apis/scim.grafana.app/v0alpha1/namespaces/default/config/other",
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = t
        .request(
            axum::http::Request::builder()
                .uri(CONFIG)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["kind"], "Status");
}

const TEAM_SYNC: &str = "/api/admin/team-sync";

#[tokio::test]
async fn team_sync_switch_starts_from_the_ini_and_flips_at_run_time() {
    let t = RouterTarget::from_ini(
        "[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n",
        &[],
    );
    let r = t.send(Method::GET, TEAM_SYNC, None).await;
    assert_eq!((r.status, &r.body), (200, &json!({"enabled": true})));
    let r = t
        .send(Method::PUT, TEAM_SYNC, Some(&json!({"enabled": false})))
        .await;
    assert_eq!((r.status, &r.body), (200, &json!({"enabled": false})));
    // Group sync is now allowed through the SCIMConfig API…
    let r = t
        .send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(true, true, false)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // …and Team Sync is refused while it is on: 409 with Grafana's message shape.
    let r = t
        .send(Method::PUT, TEAM_SYNC, Some(&json!({"enabled": true})))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("group sync"),
        "{}",
        r.body
    );
    assert_eq!(
        t.send(Method::GET, TEAM_SYNC, None).await.body,
        json!({"enabled": false})
    );
    // Turning group sync off lets Team Sync on, and group sync is then refused (400).
    t.send(
        Method::PUT,
        CONFIG,
        Some(&terraform_body(true, false, false)),
    )
    .await;
    let r = t
        .send(Method::PUT, TEAM_SYNC, Some(&json!({"enabled": true})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .send(
            Method::PUT,
            CONFIG,
            Some(&terraform_body(true, true, false)),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test]
async fn team_sync_switch_refuses_bad_bodies_and_needs_the_token() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    for body in [json!({}), json!({"enabled": "yes"}), json!("on")] {
        let r = t.send(Method::PUT, TEAM_SYNC, Some(&body)).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body["message"].is_string(), "{}", r.body);
    }
    let r = t
        .request(
            axum::http::Request::builder()
                .method(Method::PUT)
                .uri(TEAM_SYNC)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(r#"{"enabled":true}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test]
async fn reverting_to_file_group_sync_is_refused_while_team_sync_is_on() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    t.send(
        Method::PUT,
        CONFIG,
        Some(&terraform_body(true, false, false)),
    )
    .await;
    let r = t
        .send(Method::PUT, TEAM_SYNC, Some(&json!({"enabled": true})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.send(Method::DELETE, CONFIG, None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        t.send(Method::GET, CONFIG, None).await.body["status"]["source"],
        "database"
    );
}
