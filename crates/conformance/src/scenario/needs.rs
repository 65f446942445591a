//! What a scenario needs from the target profile, and the `{kind:KEY}` templates of its
//! `request` steps.

use super::{LoadedScenario, LoginKey, NamedAuth, RawRequest, RequestAuth, Requirement, Step};

impl LoadedScenario {
    /// Whether any step logs in (the case needs the profile's `[saml]`).
    pub fn needs_saml(&self) -> bool {
        self.scenario
            .steps
            .iter()
            .any(|s| matches!(s, Step::Login(_)))
    }

    /// What the case needs from the target profile besides SCIM, each with the profile
    /// key that provides it; the runner skips the case when one is missing.
    pub fn needs(&self) -> Vec<ProfileNeed> {
        let mut out = Vec::new();
        let mut add = |n: ProfileNeed| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        for r in &self.scenario.requires {
            add(match r {
                Requirement::EnterpriseExtension => ProfileNeed::EnterpriseExtension,
                Requirement::ExternalIdRequired => ProfileNeed::ExternalIdRequired,
            });
        }
        let mut seeded: Vec<&str> = Vec::new();
        for step in &self.scenario.steps {
            match step {
                Step::Login(l) => {
                    add(ProfileNeed::Saml);
                    if l.key == Some(LoginKey::Rollover) {
                        add(ProfileNeed::RolloverKey);
                    }
                    if l.role.is_some() {
                        add(ProfileNeed::RoleAttribute);
                    }
                    let attack_encrypts = l
                        .attack
                        .as_deref()
                        .and_then(|a| a.parse::<saml::Attack>().ok())
                        .is_some_and(|a| a.needs_encryption());
                    if l.encrypt || attack_encrypts {
                        add(ProfileNeed::SamlEncryption);
                    }
                }
                Step::SetConfig(c) => {
                    if c.touches_scim_config() {
                        add(ProfileNeed::ConfigApi);
                    }
                    if c.team_sync.is_some() {
                        add(ProfileNeed::TeamSync);
                    }
                }
                Step::SeedAppUser(a) => {
                    add(ProfileNeed::CreateUser);
                    seeded.push(a.key.as_deref().unwrap_or(&a.login));
                }
                Step::Request(_) | Step::Concurrent(_) => {
                    let requests: Vec<&RawRequest> = match step {
                        Step::Request(r) => vec![r],
                        Step::Concurrent(rs) => rs.iter().collect(),
                        _ => Vec::new(),
                    };
                    for r in &requests {
                        match r.auth {
                            RequestAuth::Named(NamedAuth::Admin) => add(ProfileNeed::ServerAdmin),
                            RequestAuth::Named(NamedAuth::WrongRole) => {
                                add(ProfileNeed::WrongRoleToken)
                            }
                            RequestAuth::Profile(_) => {}
                        }
                    }
                    let texts: Vec<&str> = requests.iter().flat_map(|r| r.strings()).collect();
                    for (kind, key) in texts.iter().flat_map(|t| templates(t)).flatten() {
                        match kind {
                            "team_id" => add(ProfileNeed::TeamProbe),
                            // A seeded app user's id is known from its creation.
                            "app_user_id" if !seeded.contains(&key) => add(ProfileNeed::UserProbe),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// Something a scenario needs from the target profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileNeed {
    /// `[saml]` and `[session]` (login steps).
    Saml,
    /// `[saml] encrypt_for` (`login: {encrypt: true}`, the encrypted-assertion attacks).
    SamlEncryption,
    /// `[config] method = "scim-config-api"` (`set_config` of SCIM settings).
    ConfigApi,
    /// `[config] team_sync` (`set_config: {team_sync}`).
    TeamSync,
    /// `[probes] create_user` (`seed_app_user`).
    CreateUser,
    /// `[probes] teams_by_name` (`{team_id:KEY}`).
    TeamProbe,
    /// `[probes] user_by_login` (`{app_user_id:KEY}`).
    UserProbe,
    /// `[supports] enterprise_extension` (`requires: [enterprise-extension]`).
    EnterpriseExtension,
    /// `[supports] requires_external_id` (`requires: [external-id-required]`).
    ExternalIdRequired,
    /// `[saml] trusts_rollover_key` (`login: {key: rollover}`).
    RolloverKey,
    /// The server admin's credentials (`request: {auth: admin}`); every profile can
    /// send them, the run must have them.
    ServerAdmin,
    /// `[scim] wrong_role_token` (`request: {auth: wrong-role}`).
    WrongRoleToken,
    /// `[saml] role_attribute` (`login: {role}`).
    RoleAttribute,
}

impl ProfileNeed {
    /// The profile keys that provide it and the steps that need it, for a skip reason.
    pub fn describe(self) -> &'static str {
        match self {
            ProfileNeed::Saml => "no [saml] section: login steps cannot run",
            ProfileNeed::SamlEncryption => {
                "no [saml] encrypt_for: the target's encryption certificate is not known, so \
                 no assertion can be encrypted for it"
            }
            ProfileNeed::ConfigApi => {
                "no [config] method = \"scim-config-api\": set_config cannot change SCIM settings"
            }
            ProfileNeed::TeamSync => "no [config] team_sync: set_config cannot switch Team Sync",
            ProfileNeed::CreateUser => "no [probes] create_user: seed_app_user cannot run",
            ProfileNeed::TeamProbe => "no [probes] teams_by_name: {team_id:KEY} cannot be resolved",
            ProfileNeed::UserProbe => {
                "no [probes] user_by_login: {app_user_id:KEY} cannot be resolved"
            }
            ProfileNeed::EnterpriseExtension => {
                "[supports] enterprise_extension = false: the target does not take the \
                 enterprise extension (RFC 7643 §4.3 is optional)"
            }
            ProfileNeed::RolloverKey => {
                "no [saml] trusts_rollover_key = true: the IdP metadata the target trusts must list \
                 fixtures/idp/rollover.cert.pem after the persona's certificate (`scim-harness saml \
                 metadata --next-cert`)"
            }
            ProfileNeed::ExternalIdRequired => {
                "no [supports] requires_external_id = true: the case judges a rule of the \
                 target (Grafana's), not of RFC 7643, where externalId is OPTIONAL (§3.1)"
            }
            ProfileNeed::ServerAdmin => "no server admin: a request with auth: admin cannot run",
            ProfileNeed::WrongRoleToken => {
                "no [scim] wrong_role_token: a request with auth: wrong-role cannot run"
            }
            ProfileNeed::RoleAttribute => {
                "no [saml] role_attribute: a login with a role claim cannot run"
            }
        }
    }
}

/// The template kinds of `request` steps and `response` values.
pub const TEMPLATE_KINDS: [&str; 6] = [
    "user_id",
    "group_id",
    "user_name",
    "external_id",
    "team_id",
    "app_user_id",
];

/// Every `{kind:KEY}` in `text` (identifier characters only, so JSON and SCIM filter text
/// pass through): `Ok((kind, key))`, or `Err(inner)` for an unknown kind.
pub(crate) fn templates(text: &str) -> Vec<Result<(&str, &str), &str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inner = &after[..close];
        let ident = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b == b'@'
                })
        };
        if let Some((kind, key)) = inner.split_once(':') {
            if ident(kind) && ident(key) && !kind.contains(['.', '@', '-']) {
                if TEMPLATE_KINDS.contains(&kind) {
                    out.push(Ok((kind, key)));
                } else {
                    out.push(Err(inner));
                }
            }
        }
        rest = &after[close + 1..];
    }
    out
}

/// Every string inside a JSON value (keys excluded).
pub(crate) fn json_strings<'v>(v: &'v serde_json::Value, out: &mut Vec<&'v str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}
