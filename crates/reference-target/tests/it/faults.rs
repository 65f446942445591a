//! Fault switches: each one changes the behaviour its doc claims, and the clean
//! target does not show it. `check(fault, clean)` runs a probe against a target with
//! the fault and one without.

use axum::http::Method;
use reference_target::Fault;
use serde_json::json;

use crate::support::*;

const CONFIG: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default";
const TEAM_SYNC: &str = "/api/admin/team-sync";

fn clean() -> RouterTarget {
    RouterTarget::from_ini(SYNC_ON, &[])
}

fn faulty(fault: Fault) -> RouterTarget {
    RouterTarget::with_faults(SYNC_ON, &[fault])
}

/// Where each fault's clean-versus-faulty test lives. The match is exhaustive, so a new
/// fault does not compile until it names its test.
fn test_of(fault: Fault) -> &'static str {
    match fault {
        Fault::SamlLinkByEmail => "saml_login::link_by_email_accepts_another_uid",
        Fault::SamlUidNormalised => "saml_login::uid_normalised_accepts_a_case_or_space_variant",
        Fault::SamlFirstCertificateOnly => {
            "saml_login::first_certificate_only_refuses_the_next_key"
        }
        Fault::SamlAcceptUnsigned
        | Fault::SamlXsw
        | Fault::SamlNoReplayCache
        | Fault::SamlIgnoreAudience
        | Fault::SamlIgnoreExpiry
        | Fault::SamlConditionsExpiryOnly
        | Fault::SamlIgnoreSessionExpiry
        | Fault::SamlAnyConfirmationMethod
        | Fault::SamlKeyinfoCertByName => "saml_login::a_saml_fault_accepts_its_attack",
        Fault::SamlNodeLimit => "saml_login::node_limit_refuses_a_large_valid_response",
        Fault::SamlOverwriteProfile => "saml_login::overwrite_profile_takes_the_saml_values",
        Fault::SamlAllowDisabled => "saml_login::allow_disabled_lets_a_deactivated_user_in",
        Fault::SamlEmptyUid => "saml_login::empty_uid_falls_through_to_the_email",
        Fault::IgnoreRejectNonProvisioned => {
            "saml_login::ignore_reject_lets_a_non_provisioned_user_in"
        }
        Fault::IgnoreFalseString => "faults::ignore_false_string",
        Fault::RemoveWithValueRemovesAll => "faults::remove_with_value_removes_all",
        Fault::CaseSensitiveUsername => "faults::case_sensitive_username",
        Fault::MembersDespiteExcluded => "faults::members_despite_excluded",
        Fault::KeepTeamOnGroupDelete => "faults::keep_team_on_group_delete",
        Fault::ExternalIdAsUid => "faults::external_id_as_uid",
        Fault::TeamSyncWithGroupSync => "faults::team_sync_with_group_sync",
        Fault::ListNumbersAsStrings => "faults::list_numbers_as_strings",
        Fault::DuplicateUsername => "faults::duplicate_username",
        Fault::NoEmailAdoption => "faults::no_email_adoption",
        Fault::ConfigNeedsRestart => "faults::config_needs_restart",
        Fault::HideDisabledUsers => "faults::hide_disabled_users",
        Fault::DeleteOnlyDisables => "faults::delete_only_disables",
        Fault::PlainErrorBodies => "faults::plain_error_bodies",
        Fault::AddMemberReplaces => "faults::add_member_replaces",
        Fault::IgnoreStartIndex => "faults::ignore_start_index",
        Fault::UserSyncOffIgnored => "faults::user_sync_off_ignored",
        Fault::NoTeamGuard => "faults::no_team_guard",
        Fault::RenameIgnored => "faults::rename_ignored",
        Fault::IdpInitiatedWhenOff => {
            "saml_login::idp_initiated_when_off_accepts_an_unsolicited_response"
        }
        Fault::SignUpDespiteReject => {
            "saml_login::sign_up_despite_reject_creates_a_never_seen_user"
        }
        Fault::SessionOnRefusal => "saml_login::session_on_refusal_sets_the_session_cookie",
        // issue 16: interop
        Fault::DeleteUnknownSucceeds => "faults_interop::delete_unknown_succeeds",
        Fault::FilterPlusAsSpace => "faults_interop::filter_plus_as_space",
        Fault::AddFilteredPathNoTarget => "faults_interop::add_filtered_path_no_target",
        Fault::CaseSensitiveGroupName => "faults_interop::case_sensitive_group_name",
        Fault::MalformedAuth500 => "faults_interop::malformed_auth_500",
        Fault::ReaddMemberConflict => "faults_interop::readd_member_conflict",
        Fault::DuplicateGroupName => "faults_interop::duplicate_group_name",
        Fault::UrnPathIgnored => "faults_interop::urn_path_ignored",
        Fault::RemoveNonMemberFails => "faults_interop::remove_non_member_fails",
        Fault::ReplaceMembersAdds => "faults_interop::replace_members_adds",
        Fault::ManagerStringRefused => "faults_interop::manager_string_refused",
        Fault::ManagerRemoveRefused => "faults_interop::manager_remove_refused",
        Fault::UnlockedGroupPatch => "faults_interop::unlocked_group_patch",
        // issue 16: identity
        Fault::ExternalIdChangeIgnored => {
            "saml_login::external_id_change_ignored_keeps_the_old_uid"
        }
        Fault::DuplicateExternalId => "faults_identity::duplicate_external_id",
        Fault::AdoptProvisionedByEmail => "faults_identity::adopt_provisioned_by_email",
        Fault::UpdateTakesEmail => "faults_identity::update_takes_email",
        // issue 16: login
        Fault::SessionSurvivesDisable => "saml_login::session_survives_disable_keeps_the_session",
        Fault::RequestReusable => "saml_login::request_reusable_accepts_a_second_answer",
        // issue 16: encrypted assertions
        Fault::SamlEncryptionUnsupported => {
            "saml_login::encryption_unsupported_refuses_a_valid_encrypted_login"
        }
        Fault::SamlEncryptedUnsignedAccepted | Fault::SamlEncryptedPlusPlain => {
            "saml_login::an_encryption_fault_accepts_its_attack"
        }
        Fault::OpenRedirectRelayState => {
            "saml_login::open_redirect_follows_an_off_site_relay_state"
        }
        // issue 16: role and app API
        Fault::ExternalUserEditable => "faults_role::external_user_editable",
        Fault::TeamGuardIgnoresConfig => "faults_role::team_guard_ignores_config",
        Fault::RoleLessTokenAccepted => "faults_role::role_less_token_accepted",
        Fault::SamlRoleIgnored => "saml_login::role_ignored_keeps_the_default_role",
        // issue 17: captured forms
        Fault::MemberReplaceRefused => "faults_captured::member_replace_refused",
        Fault::AddOnPresentAttributeRefused => "faults_captured::add_on_present_attribute_refused",
        Fault::ExternalIdFilterUnsupported => "faults_captured::externalid_filter_unsupported",
    }
}

#[test]
fn every_fault_names_its_test() {
    let this_file = include_str!("faults.rs");
    let saml_file = include_str!("saml_login.rs");
    for f in Fault::ALL {
        let path = test_of(*f);
        let (module, name) = path.split_once("::").unwrap();
        let file = match module {
            "faults" => this_file,
            "faults_interop" => include_str!("faults_interop.rs"),
            "faults_identity" => include_str!("faults_identity.rs"),
            "faults_role" => include_str!("faults_role.rs"),
            "faults_captured" => include_str!("faults_captured.rs"),
            _ => saml_file,
        };
        assert!(
            file.contains(&format!("async fn {name}(")),
            "{}: no test `{path}`",
            f.name()
        );
    }
}

#[test]
fn every_fault_has_a_name_and_a_one_line_doc() {
    assert!(Fault::ALL.len() >= 20);
    for f in Fault::ALL {
        assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
        assert!(!f.doc().contains('\n'));
    }
}

#[tokio::test]
async fn team_sync_with_group_sync() {
    async fn probe(t: &RouterTarget) -> (u16, u16) {
        // Group sync is on (SYNC_ON): Team Sync must be refused…
        let on = t
            .send(Method::PUT, TEAM_SYNC, Some(&json!({"enabled": true})))
            .await
            .status;
        // …and with Team Sync on, enabling group sync through the API too.
        let body = json!({"spec": {"enableUserSync": true, "enableGroupSync": true}});
        let config = t.send(Method::PUT, CONFIG, Some(&body)).await.status;
        (on, config)
    }
    assert_eq!(probe(&clean()).await, (409, 200));
    assert_eq!(
        probe(&faulty(Fault::TeamSyncWithGroupSync)).await,
        (200, 200)
    );

    let t = RouterTarget::from_ini(
        "[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n",
        &[],
    );
    let body = json!({"spec": {"enableUserSync": true, "enableGroupSync": true}});
    assert_eq!(t.send(Method::PUT, CONFIG, Some(&body)).await.status, 400);
    let t = RouterTarget::with_faults(
        "[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n",
        &[Fault::TeamSyncWithGroupSync],
    );
    assert_eq!(t.send(Method::PUT, CONFIG, Some(&body)).await.status, 200);
}

/// Runs `probe` against a clean target and one with `fault` (both with `ini`), and
/// returns what each observed.
pub(crate) async fn both<T, F>(ini: &str, fault: Fault, probe: impl Fn(RouterTarget) -> F) -> (T, T)
where
    F: std::future::Future<Output = T>,
{
    let clean = probe(RouterTarget::from_ini(ini, &[])).await;
    let faulty = probe(RouterTarget::with_faults(ini, &[fault])).await;
    (clean, faulty)
}

pub(crate) fn users() -> String {
    format!("{BASE}/Users")
}

pub(crate) fn groups() -> String {
    format!("{BASE}/Groups")
}

pub(crate) async fn create_user(t: &RouterTarget, name: &str) -> String {
    let r = t
        .send(
            Method::POST,
            &users(),
            Some(&user(name, &format!("ext-{name}"))),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.id()
}

pub(crate) async fn create_group(t: &RouterTarget, name: &str, members: &[&str]) -> String {
    let r = t
        .send(Method::POST, &groups(), Some(&group(name, None, members)))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.id()
}

pub(crate) async fn get_group_members(t: &RouterTarget, id: &str) -> Vec<String> {
    let r = t
        .send(Method::GET, &format!("{}/{id}", groups()), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    member_ids(&r.body)
}

#[tokio::test]
async fn list_numbers_as_strings() {
    let (clean, faulty) = both(SYNC_ON, Fault::ListNumbersAsStrings, |t| async move {
        create_user(&t, "a@example.test").await;
        let users = t.send(Method::GET, &users(), None).await.body;
        let groups = t.send(Method::GET, &groups(), None).await.body;
        (
            users["totalResults"].clone(),
            users["itemsPerPage"].clone(),
            groups["startIndex"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (json!(1), json!(1), json!(1)));
    assert_eq!(faulty, (json!("1"), json!("1"), json!("1")));
}

#[tokio::test]
async fn ignore_start_index() {
    let (clean, faulty) = both(SYNC_ON, Fault::IgnoreStartIndex, |t| async move {
        for n in ["a", "b", "c"] {
            create_user(&t, &format!("{n}@example.test")).await;
        }
        let page = t
            .send(
                Method::GET,
                &format!("{}?startIndex=2&count=1", users()),
                None,
            )
            .await
            .body;
        (
            page["Resources"][0]["userName"].clone(),
            page["startIndex"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (json!("b@example.test"), json!(2)));
    assert_eq!(faulty.0, json!("a@example.test"));
}

#[tokio::test]
async fn case_sensitive_username() {
    let (clean, faulty) = both(SYNC_ON, Fault::CaseSensitiveUsername, |t| async move {
        create_user(&t, "Alice@Example.test").await;
        let filter = encode("userName eq \"alice@example.test\"");
        let r = t
            .send(Method::GET, &format!("{}?filter={filter}", users()), None)
            .await;
        let exact = encode("userName eq \"Alice@Example.test\"");
        let e = t
            .send(Method::GET, &format!("{}?filter={exact}", users()), None)
            .await;
        (
            r.body["totalResults"].clone(),
            e.body["totalResults"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (json!(1), json!(1)));
    assert_eq!(faulty, (json!(0), json!(1)));
}

#[tokio::test]
async fn members_despite_excluded() {
    let (clean, faulty) = both(SYNC_ON, Fault::MembersDespiteExcluded, |t| async move {
        let u = create_user(&t, "m@example.test").await;
        let g = create_group(&t, "Team M", &[&u]).await;
        let list = t
            .send(
                Method::GET,
                &format!("{}?excludedAttributes=members", groups()),
                None,
            )
            .await
            .body;
        let one = t
            .send(
                Method::GET,
                &format!("{}/{g}?excludedAttributes=members", groups()),
                None,
            )
            .await
            .body;
        (
            list["Resources"][0].get("members").is_some(),
            one.get("members").is_some(),
        )
    })
    .await;
    assert_eq!(clean, (false, false));
    assert_eq!(faulty, (true, true));
}

#[tokio::test]
async fn keep_team_on_group_delete() {
    let (clean, faulty) = both(SYNC_ON, Fault::KeepTeamOnGroupDelete, |t| async move {
        let u = create_user(&t, "k@example.test").await;
        let g = create_group(&t, "Team K", &[&u]).await;
        let r = t
            .send(Method::DELETE, &format!("{}/{g}", groups()), None)
            .await;
        assert_eq!(r.status, 204);
        let gone = t
            .send(Method::GET, &format!("{}/{g}", groups()), None)
            .await
            .status;
        let teams = t
            .send(Method::GET, "/api/teams/search?name=Team%20K", None)
            .await
            .body;
        (gone, teams["totalCount"].clone())
    })
    .await;
    assert_eq!(clean, (404, json!(0)));
    assert_eq!(faulty, (404, json!(1)));
}

#[tokio::test]
async fn remove_with_value_removes_all() {
    let (clean, faulty) = both(SYNC_ON, Fault::RemoveWithValueRemovesAll, |t| async move {
        let a = create_user(&t, "ra@example.test").await;
        let b = create_user(&t, "rb@example.test").await;
        let g = create_group(&t, "Team R", &[&a, &b]).await;
        // Entra's unflagged member removal.
        let body = patch(
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": a}]}]),
        );
        let r = t
            .send(Method::PATCH, &format!("{}/{g}", groups()), Some(&body))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        (get_group_members(&t, &g).await, b)
    })
    .await;
    assert_eq!(clean.0, vec![clean.1]);
    assert_eq!(faulty.0, Vec::<String>::new());
}

#[tokio::test]
async fn add_member_replaces() {
    let (clean, faulty) = both(SYNC_ON, Fault::AddMemberReplaces, |t| async move {
        let a = create_user(&t, "aa@example.test").await;
        let b = create_user(&t, "ab@example.test").await;
        let g = create_group(&t, "Team A", &[&a]).await;
        let body = patch(json!([{"op": "Add", "path": "members", "value": [{"value": b}]}]));
        let r = t
            .send(Method::PATCH, &format!("{}/{g}", groups()), Some(&body))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        get_group_members(&t, &g).await.len()
    })
    .await;
    assert_eq!((clean, faulty), (2, 1));
}

#[tokio::test]
async fn ignore_false_string() {
    let (clean, faulty) = both(SYNC_ON, Fault::IgnoreFalseString, |t| async move {
        let id = create_user(&t, "f@example.test").await;
        let path = format!("{}/{id}", users());
        let string = patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        let after_string = t.send(Method::PATCH, &path, Some(&string)).await.body["active"].clone();
        let pathless = patch(json!([{"op": "Replace", "value": {"active": "False"}}]));
        let after_pathless =
            t.send(Method::PATCH, &path, Some(&pathless)).await.body["active"].clone();
        let boolean = patch(json!([{"op": "replace", "path": "active", "value": false}]));
        let after_boolean =
            t.send(Method::PATCH, &path, Some(&boolean)).await.body["active"].clone();
        (after_string, after_pathless, after_boolean)
    })
    .await;
    assert_eq!(clean, (json!(false), json!(false), json!(false)));
    assert_eq!(faulty, (json!(true), json!(true), json!(false)));
}

#[tokio::test]
async fn external_id_as_uid() {
    let (clean, faulty) = both(SYNC_ON, Fault::ExternalIdAsUid, |t| async move {
        let r = t
            .send(Method::POST, &users(), Some(&user("eve@example.test", "1")))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let admin = t
            .send(Method::GET, "/api/users/lookup?loginOrEmail=admin", None)
            .await
            .status;
        let eve = t
            .send(
                Method::GET,
                "/api/users/lookup?loginOrEmail=eve@example.test",
                None,
            )
            .await
            .body;
        (admin, eve["id"].clone(), eve["isGrafanaAdmin"].clone())
    })
    .await;
    assert_eq!(clean.0, 200);
    assert_ne!(clean.1, json!(1));
    assert_eq!(clean.2, json!(false));
    // CVE-2025-41115: the SCIM user took over the administrator.
    assert_eq!(faulty, (404, json!(1), json!(true)));

    // A non-numeric externalId becomes the uid itself.
    let t = RouterTarget::with_faults(SYNC_ON, &[Fault::ExternalIdAsUid]);
    t.send(
        Method::POST,
        &users(),
        Some(&user("x@example.test", "ext-x")),
    )
    .await;
    let x = t
        .send(
            Method::GET,
            "/api/users/lookup?loginOrEmail=x@example.test",
            None,
        )
        .await
        .body;
    assert_eq!(x["uid"], "ext-x");
}

#[tokio::test]
async fn duplicate_username() {
    let (clean, faulty) = both(SYNC_ON, Fault::DuplicateUsername, |t| async move {
        let first = t
            .send(
                Method::POST,
                &users(),
                Some(&user("d@example.test", "ext-d1")),
            )
            .await;
        let second = t
            .send(
                Method::POST,
                &users(),
                Some(&user("d@example.test", "ext-d2")),
            )
            .await;
        let listed = t.send(Method::GET, &users(), None).await.body["totalResults"].clone();
        (
            first.status,
            second.status,
            second.body["userName"].clone(),
            listed,
        )
    })
    .await;
    assert_eq!((clean.0, clean.1, clean.3), (201, 409, json!(1)));
    assert_eq!(faulty, (201, 201, json!("d@example.test"), json!(2)));
}

#[tokio::test]
async fn no_email_adoption() {
    let (clean, faulty) = both(SYNC_ON, Fault::NoEmailAdoption, |t| async move {
        let local = t
            .send(
                Method::POST,
                "/api/admin/users",
                Some(&json!({"name": "Bob", "email": "bob@example.test", "login": "bob", "password": "pw123456"})),
            )
            .await;
        assert_eq!(local.status, 200, "{}", local.body);
        let r = t.send(Method::POST, &users(), Some(&user("bob@example.test", "ext-bob"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        // The SCIM user's app account (its login is the userName)…
        let provisioned = t
            .send(Method::GET, "/api/users/lookup?loginOrEmail=bob@example.test", None)
            .await
            .body;
        let users = t
            .send(Method::GET, "/api/users/search?isProvisioned=false", None)
            .await
            .body["totalCount"]
            .clone();
        (provisioned["id"] == local.body["id"], users)
    })
    .await;
    // …is the local account, adopted; with the fault a second one, the local left alone.
    assert_eq!(clean, (true, json!(1)));
    assert_eq!(faulty, (false, json!(2)));
}

#[tokio::test]
async fn config_needs_restart() {
    let (clean, faulty) = both(SYNC_ON, Fault::ConfigNeedsRestart, |t| async move {
        let off = json!({"spec": {"enableUserSync": false, "enableGroupSync": true}});
        let r = t.send(Method::PUT, CONFIG, Some(&off)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let shown = t.send(Method::GET, CONFIG, None).await.body["spec"]["enableUserSync"].clone();
        let created = t
            .send(
                Method::POST,
                &users(),
                Some(&user("c@example.test", "ext-c")),
            )
            .await
            .status;
        (shown, created)
    })
    .await;
    assert_eq!(clean, (json!(false), 403));
    assert_eq!(faulty, (json!(false), 201));
}

#[tokio::test]
async fn hide_disabled_users() {
    let (clean, faulty) = both(SYNC_ON, Fault::HideDisabledUsers, |t| async move {
        let id = create_user(&t, "h@example.test").await;
        create_user(&t, "h2@example.test").await;
        let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
        t.send(Method::PATCH, &format!("{}/{id}", users()), Some(&off))
            .await;
        let one = t
            .send(Method::GET, &format!("{}/{id}", users()), None)
            .await
            .status;
        let filter = encode("userName eq \"h@example.test\"");
        let found = t
            .send(Method::GET, &format!("{}?filter={filter}", users()), None)
            .await
            .body["totalResults"]
            .clone();
        let all = t.send(Method::GET, &users(), None).await.body["totalResults"].clone();
        (one, found, all)
    })
    .await;
    assert_eq!(clean, (200, json!(1), json!(2)));
    assert_eq!(faulty, (404, json!(0), json!(1)));
}

#[tokio::test]
async fn delete_only_disables() {
    let (clean, faulty) = both(SYNC_ON, Fault::DeleteOnlyDisables, |t| async move {
        let id = create_user(&t, "del@example.test").await;
        let r = t
            .send(Method::DELETE, &format!("{}/{id}", users()), None)
            .await;
        assert_eq!(r.status, 204);
        let after = t
            .send(Method::GET, &format!("{}/{id}", users()), None)
            .await;
        (after.status, after.body["active"].clone())
    })
    .await;
    assert_eq!(clean.0, 404);
    assert_eq!(faulty, (200, json!(false)));
}

#[tokio::test]
async fn plain_error_bodies() {
    use tower::ServiceExt;
    let (clean, faulty) = both(SYNC_ON, Fault::PlainErrorBodies, |t| async move {
        let request = axum::http::Request::builder()
            .uri(format!("{}/does-not-exist", users()))
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let response = t.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            content_type,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    })
    .await;
    assert_eq!((clean.0, clean.1.as_str()), (404, SCIM_JSON));
    assert!(clean.2.contains(ERROR_SCHEMA), "{}", clean.2);
    assert_eq!(faulty.0, 404);
    assert!(faulty.1.starts_with("text/plain"), "{}", faulty.1);
    assert!(
        !faulty.2.contains(ERROR_SCHEMA) && faulty.2.contains("not found"),
        "{}",
        faulty.2
    );
}

#[tokio::test]
async fn user_sync_off_ignored() {
    let ini = "[auth.scim]\ngroup_sync_enabled = true\n";
    let (clean, faulty) = both(ini, Fault::UserSyncOffIgnored, |t| async move {
        t.send(
            Method::POST,
            &users(),
            Some(&user("o@example.test", "ext-o")),
        )
        .await
        .status
    })
    .await;
    assert_eq!((clean, faulty), (403, 201));
}

#[tokio::test]
async fn no_team_guard() {
    let (clean, faulty) = both(SYNC_ON, Fault::NoTeamGuard, |t| async move {
        let u = create_user(&t, "g@example.test").await;
        create_group(&t, "Team G", &[&u]).await;
        let team = t
            .send(Method::GET, "/api/teams/search?name=Team%20G", None)
            .await
            .body["teams"][0]["id"]
            .clone();
        let local = t
            .send(
                Method::POST,
                "/api/admin/users",
                Some(&json!({"name": "L", "email": "l@example.test", "login": "l"})),
            )
            .await
            .body["id"]
            .clone();
        let add = t
            .send(
                Method::POST,
                &format!("/api/teams/{team}/members"),
                Some(&json!({"userId": local})),
            )
            .await
            .status;
        let remove = t
            .send(
                Method::DELETE,
                &format!("/api/teams/{team}/members/{local}"),
                None,
            )
            .await
            .status;
        (add, remove)
    })
    .await;
    assert_eq!(clean, (400, 400));
    assert_eq!(faulty, (200, 200));
}

#[tokio::test]
async fn rename_ignored() {
    let (clean, faulty) = both(SYNC_ON, Fault::RenameIgnored, |t| async move {
        let id = create_user(&t, "old@example.test").await;
        let path = format!("{}/{id}", users());
        let rename =
            patch(json!([{"op": "replace", "path": "userName", "value": "new@example.test"}]));
        let patched = t.send(Method::PATCH, &path, Some(&rename)).await.status;
        let mut body = user("newer@example.test", "ext-old@example.test");
        body["emails"] = json!([{"type": "work", "value": "old@example.test", "primary": true}]);
        let put = t.send(Method::PUT, &path, Some(&body)).await.status;
        let stored = t.send(Method::GET, &path, None).await.body["userName"].clone();
        let login = t
            .send(
                Method::GET,
                "/api/users/lookup?loginOrEmail=old@example.test",
                None,
            )
            .await
            .body["login"]
            .clone();
        (patched, put, stored, login)
    })
    .await;
    assert_eq!(
        clean,
        (
            200,
            200,
            json!("newer@example.test"),
            json!("newer@example.test")
        )
    );
    assert_eq!(
        faulty,
        (
            200,
            200,
            json!("old@example.test"),
            json!("old@example.test")
        )
    );
}

/// With every fault off, nothing above shows: the clean target is the one the other
/// tests in this binary exercise. Here, all faults on at once still serve a valid
/// create, read and delete without panicking.
#[tokio::test]
async fn all_faults_at_once_still_serve() {
    let t = RouterTarget::with_faults(SYNC_ON, Fault::ALL);
    let id = create_user(&t, "all@example.test").await;
    assert_eq!(
        t.send(Method::GET, &format!("{}/{id}", users()), None)
            .await
            .status,
        200
    );
    let g = create_group(&t, "Team All", &[&id]).await;
    assert_eq!(get_group_members(&t, &g).await, vec![id.clone()]);
    assert_eq!(
        t.send(Method::DELETE, &format!("{}/{id}", users()), None)
            .await
            .status,
        204
    );
}
