//! Profiles: the shipped ones load; errors name file, line and column; unknown keys fail.

use std::path::Path;

use conformance::{AdminEndpoint, Baseline, ConfigMethod, Profile, ProfileNeed};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/profiles")
        .join(name)
}

#[test]
fn shipped_profiles_load() {
    let r = Profile::load(&fixture("reference.toml")).expect("reference");
    assert!(r.saml.is_some() && r.session.is_some() && r.probes.is_some());
    assert_eq!(
        r.config.as_ref().map(|c| c.method),
        Some(ConfigMethod::ScimConfigApi)
    );
    assert!(r.provides(ProfileNeed::TeamSync) && r.provides(ProfileNeed::CreateUser));
    let g = Profile::load(&fixture("grafana.toml")).expect("grafana");
    assert!(g.saml.is_some());
    assert!(g.provides(ProfileNeed::ConfigApi) && g.provides(ProfileNeed::UserProbe));
    // Team Sync is an ini setting in Grafana; creating users needs a server admin, so
    // it goes with basic auth, and every probe reads what an org-Admin token may.
    assert!(!g.provides(ProfileNeed::TeamSync) && g.provides(ProfileNeed::CreateUser));
    // The embedded target's metadata lists the rollover certificate; a Grafana's does only
    // when its owner wrote it with --next-cert and says so.
    assert!(r.provides(ProfileNeed::RolloverKey) && !g.provides(ProfileNeed::RolloverKey));
    assert!(g.needs_admin(AdminEndpoint::CreateUser));
    for probe in [
        AdminEndpoint::UserByLogin,
        AdminEndpoint::TeamsByName,
        AdminEndpoint::TeamMembers,
    ] {
        assert!(!g.needs_admin(probe), "{probe:?}");
    }
    let probes = g.probes.as_ref().unwrap();
    for path in [
        &probes.user_by_login,
        &probes.teams_by_name,
        &probes.team_members,
    ] {
        let path = path.as_deref().unwrap_or_default();
        assert!(
            !path.starts_with("/api/users") && !path.starts_with("/api/admin/"),
            "a probe on a server-admin endpoint: {path}"
        );
    }
    assert!(r.needs_admin(AdminEndpoint::CreateUser) && r.needs_admin(AdminEndpoint::TeamSync));
    let s = Profile::load(&fixture("scim-only.toml")).expect("scim-only");
    assert!(s.saml.is_none() && s.config.is_none() && s.probes.is_none());
    for need in [
        ProfileNeed::Saml,
        ProfileNeed::ConfigApi,
        ProfileNeed::CreateUser,
    ] {
        assert!(!s.provides(need), "scim-only provides {need:?}");
    }
    assert_eq!(s.scim_base(Some("http://h:1/")), "http://h:1/scim/v2");
}

#[track_caller]
fn check_error(text: &str, expect: &[&str]) {
    let err = Profile::parse(text, "p.toml")
        .expect_err("should not load")
        .to_string();
    for part in expect {
        assert!(err.contains(part), "error `{err}` lacks `{part}`");
    }
}

const BASE: &str =
    "name = \"x\"\nbase_url = \"http://127.0.0.1:1\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n";

#[test]
fn profile_errors_name_file_line_and_column() {
    check_error(
        &format!("{BASE}colour = 1\n"),
        &["p.toml:6:1", "unknown field `colour`"],
    );
    check_error(
        &format!("{BASE}[saml]\nacs = \"/a\"\nsp_entity_id = \"/m\"\nwhat = 1\n"),
        &["p.toml:9:1", "what"],
    );
    check_error("name = \"x\"\nbase_url = [\n", &["p.toml:2:"]);
    check_error(
        &format!("{BASE}[config]\nmethod = \"fixed\"\n"),
        &["p.toml:6:1", "fixed"],
    );
    check_error(
        &format!("{BASE}[config]\nmethod = \"carrier-pigeon\"\n"),
        &["p.toml:7:", "carrier-pigeon"],
    );
    check_error(
        &format!("{BASE}[admin]\nbasic_auth = [\"root_shell\"]\n"),
        &["p.toml:7:", "root_shell"],
    );
    check_error(
        &format!("{BASE}[admin]\nbasic_auth = [\"create_user\"]\n"),
        &[
            "p.toml:7:1",
            "[probes] create_user, which the profile does not set",
        ],
    );
}

#[test]
fn a_missing_token_variable_is_named_without_a_value() {
    let p = Profile::parse(
        "name = \"x\"\nbase_url = \"http://h\"\n[scim]\npath = \"/s\"\ntoken = { env = \"SCIM_HARNESS_TEST_UNSET_VAR\" }\n",
        "p.toml",
    )
    .expect("parses");
    let err = p.token().expect_err("unset").to_string();
    assert!(err.contains("SCIM_HARNESS_TEST_UNSET_VAR"), "{err}");
}

#[test]
fn baselines_load_and_need_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.toml");
    std::fs::write(
        &path,
        "[[expected]]\ncase = \"users.*/okta/*\"\nreason = \"vendor bug 1\"\n",
    )
    .unwrap();
    let b = Baseline::load(&path).expect("loads");
    assert_eq!(
        b.entry_for("users.lifecycle/okta/default")
            .map(|e| e.reason.as_str()),
        Some("vendor bug 1")
    );
    assert!(b.entry_for("users.lifecycle/entra/default").is_none());
    std::fs::write(&path, "[[expected]]\ncase = \"x\"\nreason = \"\"\n").unwrap();
    assert!(Baseline::load(&path)
        .unwrap_err()
        .to_string()
        .contains("no reason"));
    std::fs::write(&path, "[[expected]]\ncase = \"x\"\nwhy = \"y\"\n").unwrap();
    let err = Baseline::load(&path).unwrap_err().to_string();
    assert!(err.contains(":3:1") && err.contains("why"), "{err}");
}

#[test]
fn shipped_profiles_say_how_their_target_refuses_and_logs_in() {
    use conformance::Refusal;
    let r = Profile::load(&fixture("reference.toml")).expect("reference");
    let (saml, session) = (r.saml.unwrap(), r.session.unwrap());
    assert!(!saml.allow_idp_initiated && saml.allow_sign_up);
    assert!(saml.settings_switch.is_some() && saml.login_path.is_some());
    assert_eq!(session.refusal, Refusal::Redirect);
    assert_eq!(
        session
            .messages
            .get("saml.idp-initiated-disabled")
            .map(String::as_str),
        Some("IdP-initiated login is disabled")
    );
    let g = Profile::load(&fixture("grafana.toml")).expect("grafana");
    let (saml, session) = (g.saml.unwrap(), g.session.unwrap());
    assert!(!saml.allow_idp_initiated && saml.settings_switch.is_none());
    assert_eq!(session.refusal, Refusal::Redirect);
    assert_eq!(session.message_marker.as_deref(), Some("\"loginError\":"));
    // Left open by Grafana's sources: judged by the refusal, the message reported.
    assert!(!session
        .messages
        .contains_key("user.sync.user-externalUID-mismatch"));
    let plain = Profile::parse(
        "name = \"p\"\nbase_url = \"http://h\"\n[scim]\npath = \"/s\"\ntoken = \"t\"\n\
         [saml]\nacs = \"/a\"\nsp_entity_id = \"/m\"\n[session]\nwhoami = \"/me\"\nlogin_pointer = \"/l\"\n",
        "p.toml",
    )
    .unwrap();
    assert_eq!(
        plain.session.unwrap().refusal,
        Refusal::Status,
        "the default"
    );
    check_error(
        "name = \"p\"\nbase_url = \"http://h\"\n[scim]\npath = \"/s\"\ntoken = \"t\"\n\
         [saml]\nacs = \"/a\"\nsp_entity_id = \"/m\"\n[session]\nwhoami = \"/me\"\nlogin_pointer = \"/l\"\nrefusal = \"json\"\n",
        &["p.toml:", "unknown variant `json`"],
    );
}

#[test]
fn grafana_cloud_profile_has_no_admin_and_no_team_sync_switch() {
    let mut c = Profile::load(&fixture("grafana-cloud.toml")).expect("grafana-cloud");
    assert!(!c.provides(ProfileNeed::CreateUser) && !c.provides(ProfileNeed::TeamSync));
    c.set_namespace("stacks-12345").expect("a valid namespace");
    assert_eq!(
        c.scim_base(Some("https://s.grafana.net")),
        "https://s.grafana.net/apis/scim.grafana.app/v0alpha1/namespaces/stacks-12345"
    );
    assert_eq!(
        c.config.as_ref().and_then(|c| c.path.as_deref()),
        Some("/apis/scim.grafana.app/v0alpha1/namespaces/stacks-12345/config/default")
    );
}

#[test]
fn namespace_fills_the_shipped_paths_and_must_be_a_dns_label() {
    for name in ["reference.toml", "grafana.toml"] {
        let mut p = Profile::load(&fixture(name)).expect(name);
        assert!(p.scim.path.contains("{namespace}"), "{name}");
        p.set_namespace("default").expect("default");
        assert!(p.scim.path.ends_with("/namespaces/default"), "{name}");
    }
    let mut p = Profile::load(&fixture("reference.toml")).expect("reference");
    for bad in [
        "",
        "Stacks-1",
        "a/b",
        "-a",
        "a-",
        "x".repeat(64).as_str(),
        "../x",
    ] {
        let err = p.set_namespace(bad).expect_err(bad).to_string();
        assert!(err.starts_with(&format!("--namespace `{bad}`")), "{err}");
    }
}

const AUTH_HEAD: &str = "name = \"t\"\nbase_url = \"https://h\"\n[scim]\npath = \"/scim\"\n";

#[test]
fn auth_kinds_resolve_to_credentials_without_showing_secrets() {
    let basic = Profile::parse(
        &format!("{AUTH_HEAD}auth = {{ kind = \"basic\", user = \"admin\", password = \"pw\" }}\n"),
        "b.toml",
    )
    .expect("basic");
    assert_eq!(
        basic.credential().expect("literal"),
        idp::Credential::Basic {
            user: "admin".into(),
            password: "pw".into()
        }
    );
    let header = Profile::parse(
        &format!(
            "{AUTH_HEAD}auth = {{ kind = \"header\", name = \"X-Api-Key\", value = {{ env = \"SCIM_HARNESS_TEST_UNSET_KEY\" }} }}\n"
        ),
        "h.toml",
    )
    .expect("header");
    let err = header.credential().expect_err("unset").to_string();
    assert_eq!(
        err,
        "target profile h.toml: scim.auth.value names the environment variable \
         SCIM_HARNESS_TEST_UNSET_KEY, which is not set"
    );
    let bearer = Profile::parse(
        &format!("{AUTH_HEAD}auth = {{ kind = \"bearer\", token = \"tok\" }}\n"),
        "t.toml",
    )
    .expect("bearer");
    assert_eq!(
        bearer.credential().expect("bearer"),
        idp::Credential::Bearer("tok".into())
    );
    let bad_name = Profile::parse(
        &format!("{AUTH_HEAD}auth = {{ kind = \"header\", name = \"X Key\", value = \"v\" }}\n"),
        "n.toml",
    )
    .expect("parses");
    assert_eq!(
        bad_name.credential().expect_err("bad name").to_string(),
        "target profile n.toml: scim.auth: `X Key` is not a valid http header name"
    );
}

#[test]
fn scim_auth_and_tls_keys_are_checked() {
    check_error(
        &format!("{AUTH_HEAD}token = \"t\"\nauth = {{ kind = \"bearer\", token = \"t\" }}\n"),
        &["not both"],
    );
    check_error(AUTH_HEAD, &["needs `token` or `auth`"]);
    check_error(
        &format!("{AUTH_HEAD}auth = {{ kind = \"digest\", token = \"t\" }}\n"),
        &["digest"],
    );
    check_error(
        &format!("{AUTH_HEAD}token = \"t\"\n[tls]\nclient_cert = \"c.pem\"\n"),
        &["client_cert and client_key go together"],
    );
    let p = Profile::parse(
        &format!("{AUTH_HEAD}token = \"t\"\n[tls]\nca_file = \"ca.pem\"\n"),
        "p.toml",
    )
    .expect("tls");
    assert_eq!(
        p.tls_files().ca_certs,
        vec![std::path::PathBuf::from("ca.pem")]
    );
}
