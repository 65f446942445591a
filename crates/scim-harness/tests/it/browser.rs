//! The mock IdP tested in a real browser (issue 15): headless Chromium, driven over
//! WebDriver, logs in to the reference target through `scim-harness idp serve`, lands
//! signed in as the provisioned user, then sees the next login refused once the user is
//! disabled on the IdP's admin page and pushed: by the IdP while it is disabled there, and
//! by the target once the IdP alone enables the user again. Both servers are processes of the real
//! binary; assertions read the pages' text, never pixels. Screenshots (and the servers'
//! logs) go to `target/browser-artifacts/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`cargo xtask test` installs them);
//! without them these tests fail and say so.

mod driver;
mod load_page;
mod report_page;
mod servers;

use driver::{free_port, Browser, Chromedriver};
use servers::{start_target, IdpServe, TOKEN};

/// The user who logs in: `fixtures/directory.yaml`'s Alice Ng (Entra object id, UPN, mail).
const USER_ID: &str = "0d3c9f7e-6b5a-4c2d-9e1f-a2b3c4d5e6f7";
const USER_LOGIN: &str = "alice.ng@contoso.example";
const USER_MAIL: &str = "alice.ng+grafana@contoso.example";

/// The reference target's public message for `user.disabled`
/// (`fixtures/profiles/reference.toml` [session.messages]).
const USER_DISABLED: &str = "User is disabled";

/// The browser machinery on its own, against the reference target's home page: no
/// session, so "Not signed in" and a link to start a SAML login.
#[tokio::test(flavor = "multi_thread")]
async fn chromium_reads_the_reference_target_home_page() {
    let work = tempfile::tempdir().unwrap();
    let (_target, url) = start_target(
        "home-target-serve",
        "127.0.0.1:0",
        &work.path().join("db.sqlite"),
        &[],
    );
    let driver = Chromedriver::start().await;
    let browser = Browser::open(&driver).await;
    browser.goto(&format!("{url}/")).await;
    let text = browser.wait_for_text("Not signed in", "home").await;
    assert!(text.contains("Sign in with SAML"), "{text}");
    assert!(!text.contains("Signed in as"), "{text}");
    let link = browser.find("a[href=\"/login/saml\"]").await;
    assert_eq!(link.text().await.unwrap(), "Sign in with SAML");
    let shot = browser.screenshot("home-not-signed-in.png").await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 0);
    browser.close().await;
}

/// `idp serve --persona entra` against a reference target: push the directory, log in
/// through `/login/saml` by picking the user on the IdP's login page, arrive signed in;
/// disable the user on the admin page, push, and the next login is refused (by the IdP,
/// then, with the user enabled on the IdP only, by the target).
#[tokio::test(flavor = "multi_thread")]
async fn a_person_logs_in_through_idp_serve_and_is_refused_once_disabled() {
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let target_url = format!("http://127.0.0.1:{port}");

    // a. The IdP first: the target's ACS URL is known before the target runs.
    let idp = IdpServe::start("entra", &target_url);
    // b. The target trusts the IdP through the metadata the IdP serves.
    let http = reqwest::Client::new();
    let metadata = http.get(&idp.metadata).send().await.unwrap();
    assert_eq!(metadata.status(), 200, "GET {}", idp.metadata);
    let metadata = metadata.text().await.unwrap();
    assert!(metadata.contains("EntityDescriptor"), "{metadata}");
    let metadata_path = work.path().join("idp-metadata.xml");
    std::fs::write(&metadata_path, &metadata).unwrap();
    let (_target, url) = start_target(
        "target-serve",
        &format!("127.0.0.1:{port}"),
        &work.path().join("db.sqlite"),
        &[&metadata_path],
    );
    assert_eq!(url, target_url);

    // c. Push the directory.
    let sync = http
        .post(format!("{}/api/sync", idp.url))
        .send()
        .await
        .unwrap();
    let status = sync.status();
    let summary = sync.text().await.unwrap();
    assert_eq!(status, 200, "POST /api/sync: {summary}");
    assert_eq!(
        target_user(&http, &target_url).await["isDisabled"],
        false,
        "{USER_LOGIN} provisioned and active"
    );

    // d. Log in through the target's SP-initiated login, on the IdP's login page.
    let driver = Chromedriver::start().await;
    let browser = Browser::open(&driver).await;
    log_in_as_user(&browser, &idp, &target_url, "login-page").await;
    browser.screenshot("login-page.png").await;
    pick_user(&browser).await;
    let text = browser
        .wait_for_text(&format!("Signed in as {USER_LOGIN}"), "signed-in")
        .await;
    assert_eq!(browser.current_url().await, format!("{target_url}/"));
    assert!(text.contains(USER_MAIL), "{text}");
    browser.screenshot("signed-in.png").await;

    // e. Disable the user on the admin page and push.
    browser.goto(&idp.admin).await;
    browser.wait_for_text(USER_LOGIN, "admin-page").await;
    browser.screenshot("admin-page.png").await;
    admin_action(&browser, "disable", "disabled").await;
    browser.click("#sync-now").await;
    // The page shows the pushed cycle (the first was the API's), and it reached the target.
    let text = browser.wait_for_text("cycle 2", "admin-after-sync").await;
    browser.screenshot("admin-after-sync.png").await;
    assert_eq!(
        target_user(&http, &target_url).await["isDisabled"],
        true,
        "the pushed cycle disabled {USER_LOGIN}; admin page:\n{text}"
    );
    browser.close().await;

    // f. A fresh browser tries again. The IdP itself refuses a disabled user, as Entra
    // does (AADSTS50057), so no Response is sent.
    let browser = Browser::open(&driver).await;
    log_in_as_user(&browser, &idp, &target_url, "login-page-disabled").await;
    pick_user(&browser).await;
    browser.wait_for_text("AADSTS50057", "refused-by-idp").await;
    assert!(browser.current_url().await.starts_with(&idp.url));
    browser.screenshot("refused-by-idp.png").await;
    // Enabled again on the IdP but not pushed: the IdP now signs a Response, and the
    // target, where the pushed cycle disabled the user, refuses it on its login page.
    browser.goto(&idp.admin).await;
    admin_action(&browser, "enable", "active").await;
    log_in_as_user(&browser, &idp, &target_url, "login-page-again").await;
    pick_user(&browser).await;
    let text = browser
        .wait_for_any_text(&[USER_DISABLED, "Signed in as"], "refused")
        .await;
    assert!(
        !text.contains("Signed in as"),
        "the target let the disabled user in:\n{text}"
    );
    assert_eq!(browser.current_url().await, format!("{target_url}/login"));
    browser.screenshot("refused.png").await;
    browser.goto(&format!("{target_url}/")).await;
    browser.wait_for_text("Not signed in", "refused-home").await;
    browser.close().await;
}

/// On the IdP's admin page: clicks the user's `action` button and waits until, back on
/// the page, the user's row shows `status`.
async fn admin_action(browser: &Browser, action: &str, status: &str) {
    let row = format!("tr[data-user=\"{USER_LOGIN}\"]");
    browser
        .click(&format!("{row} button[value=\"{action}\"]"))
        .await;
    let cell = format!("{row} td.status");
    let deadline = std::time::Instant::now() + driver::PAGE_TIMEOUT;
    loop {
        let shown = match browser.client.find(fantoccini::Locator::Css(&cell)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if shown == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after {action}, {USER_LOGIN}'s status is {shown:?}, not {status:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens the target's `/login/saml` and waits for the IdP's login page listing the user.
async fn log_in_as_user(browser: &Browser, idp: &IdpServe, target_url: &str, what: &str) {
    browser.goto(&format!("{target_url}/login/saml")).await;
    let text = browser.wait_for_text(USER_LOGIN, what).await;
    assert!(text.contains("Sign in"), "{text}");
    let at = browser.current_url().await;
    assert!(
        at.starts_with(&idp.url),
        "the login page is the IdP's: {at}"
    );
}

/// Clicks the user's button on the IdP's login page (the button carries the directory id).
async fn pick_user(browser: &Browser) {
    let css = format!("button[name=\"user\"][data-user=\"{USER_LOGIN}\"]");
    let button = browser.find(&css).await;
    assert_eq!(
        button.attr("value").await.unwrap().as_deref(),
        Some(USER_ID)
    );
    button
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

/// The target's app user for [`USER_LOGIN`], read with the SCIM token as a deployment's
/// service account reads it (`GET /api/org/users?query=`).
async fn target_user(http: &reqwest::Client, target_url: &str) -> serde_json::Value {
    let users: serde_json::Value = http
        .get(format!("{target_url}/api/org/users"))
        .query(&[("query", USER_LOGIN)])
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    users
        .as_array()
        .and_then(|all| all.iter().find(|u| u["login"] == USER_LOGIN))
        .cloned()
        .unwrap_or_else(|| panic!("{USER_LOGIN} is not a user of the target: {users}"))
}
