//! The admin page, its forms and the admin token, through the router.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};

use super::{app, app_for, check_refused, config, form, get, send, ALICE, ALICE_LOGIN, TOKEN};
use crate::persona::PersonaId;
use crate::serve::{router, sites};
use crate::transport::ScimTarget;
use serde_json::json;

#[tokio::test]
async fn sync_without_a_target_is_refused_naming_target() {
    let app = app();
    let a = send(&app, Method::POST, "/api/sync", &[], Body::empty()).await;
    check_refused(&a, StatusCode::CONFLICT, "--target");
    let a = form(&app, "/admin/sync", "", &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(
        a.location().starts_with("/admin?error="),
        "{}",
        a.location()
    );
    let page = get(&app, a.location()).await;
    assert!(page.text.contains("id=\"error\""), "{}", page.text);
    assert!(
        page.text.contains("<button id=\"sync-now\" disabled>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("--target"), "{}", page.text);
}

#[tokio::test]
async fn the_admin_token_guards_the_api_and_the_page() {
    let (app, _) = app_for(&[PersonaId::Entra], Some(TOKEN));
    let bearer = format!("Bearer {TOKEN}");
    let routes = [
        (Method::GET, "/api/users"),
        (Method::GET, "/api/users/alice.ng@contoso.example"),
        (Method::POST, "/api/users"),
        (Method::PATCH, "/api/users/alice.ng@contoso.example"),
        (Method::DELETE, "/api/users/alice.ng@contoso.example"),
        (Method::GET, "/api/groups"),
        (Method::POST, "/api/groups"),
        (Method::PATCH, "/api/groups/g"),
        (Method::DELETE, "/api/groups/g"),
        (Method::PUT, "/api/groups/g/members/k"),
        (Method::DELETE, "/api/groups/g/members/k"),
        (Method::POST, "/api/sync"),
        (Method::GET, "/api/transcript"),
        (Method::GET, "/api/elsewhere"),
    ];
    for (method, uri) in routes {
        for headers in [
            vec![],
            vec![("authorization", "Bearer wrong")],
            vec![("cookie", "idp_admin=wrong")],
        ] {
            let a = send(&app, method.clone(), uri, &headers, Body::from("{}")).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} {headers:?}: {}",
                a.text
            );
            assert_eq!(a.json()["error"], "unauthorized", "{method} {uri}");
            assert!(!a.text.contains(TOKEN));
        }
    }
    for uri in [
        "/admin/users/x",
        "/admin/users",
        "/admin/groups",
        "/admin/groups/x",
        "/admin/sync",
    ] {
        let a = form(&app, uri, "action=delete", &[]).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(a.text.contains("<html"), "{uri}: an HTML page");
    }
    assert_eq!(
        get(&app, "/api/users/nobody").await.status,
        StatusCode::UNAUTHORIZED,
        "the token before the key"
    );
    let a = send(
        &app,
        Method::GET,
        "/api/users",
        &[("authorization", &bearer)],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = get(&app, "/admin").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.text.contains("?token="), "{}", a.text);
    let a = get(&app, "/admin?token=wrong").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.headers.get(header::SET_COOKIE).is_none());

    let a = get(&app, &format!("/admin?token={TOKEN}")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/admin");
    let cookie = a.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert_eq!(
        cookie,
        format!("idp_admin={TOKEN}; HttpOnly; SameSite=Strict; Path=/")
    );
    let sent = format!("other=1; idp_admin={TOKEN}");
    let page = send(
        &app,
        Method::GET,
        "/admin",
        &[("cookie", &sent)],
        Body::empty(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(!page.text.contains(TOKEN), "the token is never on the page");
    let a = send(
        &app,
        Method::GET,
        "/api/users",
        &[("cookie", &sent)],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "the cookie opens the API too");
    let a = form(
        &app,
        &format!("/admin/users/{ALICE}"),
        "action=disable",
        &[("cookie", &sent)],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let alice = send(
        &app,
        Method::GET,
        &format!("/api/users/{ALICE}"),
        &[("authorization", &bearer)],
        Body::empty(),
    )
    .await;
    assert_eq!(alice.json()["enabled"], false);
}

#[tokio::test]
async fn without_a_token_the_page_is_open() {
    let app = app();
    let a = get(&app, "/admin?token=anything").await;
    assert_eq!(
        a.status,
        StatusCode::SEE_OTHER,
        "the token is dropped from the address"
    );
    assert!(a.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(get(&app, "/admin").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_page_lists_users_and_groups_under_the_site_prefix() {
    let target = ScimTarget::new("http://127.0.0.1:9/scim", "target-bearer-secret");
    let all = sites(&config(
        &[PersonaId::Entra, PersonaId::Okta],
        Some(target),
        Some(TOKEN),
    ))
    .unwrap();
    let app = router(&all);
    let a = get(&app, &format!("/okta/admin?token={TOKEN}")).await;
    assert_eq!(a.location(), "/okta/admin");
    let cookie = format!("idp_admin={TOKEN}");
    let page = send(
        &app,
        Method::GET,
        "/okta/admin",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let row = page.user_row(ALICE_LOGIN);
    assert!(
        row.contains(&format!("action=\"/okta/admin/users/{ALICE}\"")),
        "{row}"
    );
    assert!(row.contains("class=\"status\">active<"), "{row}");
    for action in ["disable", "soft-delete", "unassign", "delete"] {
        assert!(
            row.contains(&format!("name=\"action\" value=\"{action}\"")),
            "{action}: {row}"
        );
    }
    let okta_id = &all[1]
        .provisioner
        .directory()
        .user(ALICE)
        .unwrap()
        .okta_id
        .clone();
    assert!(row.contains(okta_id.as_str()), "okta's externalId: {row}");
    assert!(page.text.contains("<form method=\"post\" action=\"/okta/admin/sync\"><button id=\"sync-now\">Sync now</button></form>"), "{}", page.text);
    assert!(
        page.text
            .contains("<tr data-group=\"Sales &amp; Customer Success\">"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("http://127.0.0.1:9/scim"),
        "the target's URL"
    );
    assert!(
        page.text
            .contains("http://127.0.0.1:7070/okta/saml/metadata"),
        "the metadata URL"
    );
    assert!(page.text.contains("on demand only"));
    assert!(!page.text.contains("target-bearer-secret") && !page.text.contains(TOKEN));
    assert!(!page.text.contains("<script"), "no script");
}

#[tokio::test]
async fn the_page_forms_change_the_directory() {
    let app = app();
    let a = form(
        &app,
        &format!("/admin/users/{ALICE}"),
        "action=disable",
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert!(
        a.location()
            .starts_with("/admin?done=disabled%20alice.ng%40contoso.example"),
        "{}",
        a.location()
    );
    let page = get(&app, a.location()).await;
    assert!(
        page.text
            .contains("<p id=\"done\" role=\"status\">disabled alice.ng@contoso.example"),
        "{}",
        page.text
    );
    let row = page.user_row(ALICE_LOGIN);
    assert!(
        row.contains("class=\"status\">disabled<") && row.contains("value=\"enable\""),
        "{row}"
    );
    assert!(
        !get(&app, "/admin").await.text.contains("id=\"done\""),
        "shown once"
    );

    for (action, status) in [
        ("soft-delete", "soft-deleted"),
        ("restore", "disabled"),
        ("enable", "active"),
        ("unassign", "unassigned"),
        ("assign", "active"),
        ("delete", "deleted"),
    ] {
        let a = form(
            &app,
            &format!("/admin/users/{ALICE_LOGIN}"),
            &format!("action={action}"),
            &[],
        )
        .await;
        assert!(a.location().contains("done="), "{action}: {}", a.location());
        let page = get(&app, "/admin").await;
        let row = page.user_row(ALICE_LOGIN);
        assert!(
            row.contains(&format!("class=\"status\">{status}<")),
            "{action}: {row}"
        );
    }
    assert!(
        !get(&app, "/admin")
            .await
            .user_row(ALICE_LOGIN)
            .contains("<form"),
        "no actions on a tombstone"
    );

    let a = form(&app, "/admin/users/nobody", "action=disable", &[]).await;
    assert!(
        a.location().starts_with("/admin?error="),
        "{}",
        a.location()
    );
    let a = form(
        &app,
        "/admin/users/dana.whitfield@contoso.example",
        "action=explode",
        &[],
    )
    .await;
    assert!(get(&app, a.location())
        .await
        .text
        .contains("unknown user action `explode`"));

    let a = form(
        &app,
        "/admin/users",
        "userPrincipalName=zoe%40contoso.example&displayName=Zoe+Q",
        &[],
    )
    .await;
    assert!(a.location().contains("done=added"), "{}", a.location());
    let page = get(&app, "/admin").await;
    assert!(page.user_row("zoe@contoso.example").contains("Zoe Q"));

    let a = form(&app, "/admin/groups", "displayName=Platform&id=g-9", &[]).await;
    assert!(a.location().contains("done="), "{}", a.location());
    form(
        &app,
        "/admin/groups/g-9",
        "action=add-member&user=zoe%40contoso.example",
        &[],
    )
    .await;
    form(
        &app,
        "/admin/groups/g-9",
        "action=rename&displayName=Platform+%26+SRE",
        &[],
    )
    .await;
    let page = get(&app, "/admin").await;
    assert!(
        page.text.contains("<tr data-group=\"Platform &amp; SRE\">"),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("<li data-member=\"zoe@contoso.example\">"),
        "{}",
        page.text
    );
    let groups = get(&app, "/api/groups/g-9").await.json();
    assert_eq!(
        groups["members"][0]["userPrincipalName"],
        "zoe@contoso.example"
    );
    form(
        &app,
        "/admin/groups/g-9",
        "action=remove-member&user=zoe%40contoso.example",
        &[],
    )
    .await;
    assert_eq!(
        get(&app, "/api/groups/g-9").await.json()["members"],
        json!([])
    );
    form(&app, "/admin/groups/g-9", "action=delete", &[]).await;
    assert_eq!(get(&app, "/api/groups/g-9").await.json()["deleted"], true);
}

#[tokio::test]
async fn a_page_of_another_site_cannot_post_changes() {
    let app = app();
    let evil = [
        ("origin", "http://evil.example"),
        ("host", "127.0.0.1:7070"),
    ];
    let a = form(
        &app,
        &format!("/admin/users/{ALICE}"),
        "action=disable",
        &evil,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    let a = send(&app, Method::POST, "/api/sync", &evil, Body::empty()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(a.json()["error"], "cross_site");
    let a = send(&app, Method::GET, "/api/users", &evil, Body::empty()).await;
    assert_eq!(a.status, StatusCode::OK, "reading is not a change");
    let alice = get(&app, &format!("/api/users/{ALICE}")).await.json();
    assert_eq!(alice["enabled"], true, "nothing changed");

    let same = [
        ("origin", "http://127.0.0.1:7070"),
        ("host", "127.0.0.1:7070"),
    ];
    let a = form(
        &app,
        &format!("/admin/users/{ALICE}"),
        "action=disable",
        &same,
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let alice = get(&app, &format!("/api/users/{ALICE}")).await.json();
    assert_eq!(alice["enabled"], false);
}

#[tokio::test]
async fn a_path_that_does_not_decode_is_a_json_400() {
    let app = app();
    let a = get(&app, "/api/users/%FF%FE").await;
    check_refused(&a, StatusCode::BAD_REQUEST, "path");
}
