//! `--namespace`: the target serves one namespace (Grafana Cloud's `stacks-<id>`), any
//! other answers `403 authn.invalid-namespace`; the SCIMConfig is stored per namespace;
//! `[server] root_url` (`--root-url`) makes `meta.location`.

use axum::http::Method;
use serde_json::json;

use reference_target::ConfigSource;

use crate::support::{user, RouterTarget, SYNC_ON};

const CLOUD: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/stacks-12345";
const DEFAULT: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";

/// A target serving `stacks-12345`, and the `default` one over the same database (kept
/// alive: it owns the database's folder).
fn cloud_target(ini: &str) -> (RouterTarget, RouterTarget) {
    let base = RouterTarget::from_ini(ini, &[]);
    let state = base
        .state
        .clone()
        .with_namespace("stacks-12345")
        .expect("valid namespace");
    (RouterTarget::from_state(state), base)
}

#[tokio::test]
async fn only_the_served_namespace_answers_and_others_get_403_invalid_namespace() {
    let (t, _base) = cloud_target(SYNC_ON);
    let created = t
        .send(
            Method::POST,
            &format!("{CLOUD}/Users"),
            Some(&user("a@example.test", "ext-a")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    for path in [
        format!("{DEFAULT}/Users"),
        format!("{DEFAULT}/ServiceProviderConfig"),
        format!("{DEFAULT}/config/default"),
        "/apis/scim.grafana.app/v0alpha1/namespaces/stacks-999/Users".to_owned(),
    ] {
        let r = t.send(Method::GET, &path, None).await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        let text = r.body.to_string();
        assert!(
            text.contains("authn.invalid-namespace") && text.contains("stacks-12345"),
            "{path}: {text}"
        );
    }
    let config = t
        .send(Method::GET, &format!("{CLOUD}/config/default"), None)
        .await;
    assert_eq!(config.status, 200, "{}", config.body);
    assert_eq!(config.body["metadata"]["namespace"], json!("stacks-12345"));
}

#[tokio::test]
async fn the_scim_config_is_stored_under_the_served_namespace() {
    let (t, base) = cloud_target(SYNC_ON);
    let body = json!({"spec": {"enableUserSync": true, "enableGroupSync": false, "rejectNonProvisionedUsers": true}});
    let put = t
        .send(Method::PUT, &format!("{CLOUD}/config/default"), Some(&body))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(t.state.scim_settings().1, ConfigSource::Database);
    // Read back from the database under each namespace.
    let reread = |ns: &str| {
        base.state
            .clone()
            .with_namespace(ns)
            .expect(ns)
            .scim_settings()
    };
    let (cloud, source) = reread("stacks-12345");
    assert_eq!(source, ConfigSource::Database);
    assert!(cloud.reject_non_provisioned_users && !cloud.group_sync_enabled);
    assert_eq!(reread("default").1, ConfigSource::File);
}

#[test]
fn a_namespace_is_a_dns_label() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    for bad in ["", "Stacks", "a/b", "-x", "x-", "a..b"] {
        let err = t.state.clone().with_namespace(bad).expect_err(bad);
        assert!(
            err.to_string().starts_with(&format!("namespace `{bad}`")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn root_url_makes_meta_location() {
    let t = RouterTarget::from_ini(
        &format!("{SYNC_ON}[server]\nroot_url = https://grafana.example.test/\n"),
        &[],
    );
    let created = t
        .send(
            Method::POST,
            &format!("{DEFAULT}/Users"),
            Some(&user("b@example.test", "ext-b")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let location = created.body["meta"]["location"]
        .as_str()
        .expect("meta.location");
    assert!(
        location.starts_with(&format!("https://grafana.example.test{DEFAULT}/Users/")),
        "{location}"
    );
    assert_eq!(t.state.acs_url(), "https://grafana.example.test/saml/acs");
}
