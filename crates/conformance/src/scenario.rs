//! The scenario file model (YAML, one scenario per file) and its loader.
//!
//! Steps say what happens in the directory ("Alice leaves"), never which HTTP request to
//! send: the persona decides the wire form (DESIGN.md "Scenario files"). Every struct
//! denies unknown keys, and `scenarios/schema.json` is generated from these types.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LoadError;

/// How sure a check is (DESIGN.md "How sure a check is").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Required by the seed document, an RFC MUST or documented IdP behaviour.
    Must,
    /// RFC SHOULDs and behaviour known only from code or pull requests.
    Should,
    /// Where public sources are silent or disagree.
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::Info => "info",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A persona id as scenario files write it (DESIGN.md "Personas").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Persona {
    Entra,
    EntraAadopt,
    Okta,
    OktaOin,
    Rfc,
}

impl Persona {
    pub fn id(self) -> idp::PersonaId {
        match self {
            Persona::Entra => idp::PersonaId::Entra,
            Persona::EntraAadopt => idp::PersonaId::EntraAadOpt,
            Persona::Okta => idp::PersonaId::Okta,
            Persona::OktaOin => idp::PersonaId::OktaOin,
            Persona::Rfc => idp::PersonaId::Rfc,
        }
    }
}

/// One scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id, dotted, starting with the area: `users.lifecycle`.
    pub id: String,
    pub title: String,
    pub level: Level,
    /// RFC 7643/7644 sections, Grafana documentation pages, CVEs.
    #[serde(default)]
    pub spec: Vec<String>,
    /// The personas the scenario applies to; omitted means every persona.
    #[serde(default)]
    pub personas: Option<Vec<Persona>>,
    /// Names from `scenarios/configs.yaml`; omitted means `default`.
    #[serde(default)]
    pub configs: Option<Vec<String>>,
    /// The case changes target-wide settings (`set_config`): it runs alone, and the
    /// runner restores the case's named configuration after it. Required with `set_config`.
    #[serde(default)]
    pub exclusive: bool,
    pub steps: Vec<Step>,
}

/// One step. Users and groups are named by a key local to the scenario (`alice`); the
/// runner makes every name the target sees unique per case.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A user joins the directory, assigned to the app.
    AddUser(NewUser),
    /// Profile attributes change.
    UpdateUser(UserChange),
    /// `accountEnabled = false` / Okta deactivate.
    DisableUser(String),
    /// `accountEnabled = true` / Okta activate.
    EnableUser(String),
    /// Moved to the recycle bin (Entra) or deactivated (Okta).
    SoftDeleteUser(String),
    /// Restored from the recycle bin.
    RestoreUser(String),
    /// Deleted permanently.
    HardDeleteUser(String),
    /// A group is created and pushed to the app.
    CreateGroup(NewGroup),
    RenameGroup(GroupRename),
    DeleteGroup(String),
    AddMember(Membership),
    RemoveMember(Membership),
    /// Many users at once, optionally all members of a group.
    GenerateUsers(GenerateUsers),
    /// One provisioning cycle of the case's persona.
    Sync(SyncStep),
    /// A SAML login through the target's ACS.
    Login(LoginStep),
    /// One raw HTTP request with the profile's credentials; the answer is kept for the
    /// next `expect: {response: …}`.
    Request(Box<RawRequest>),
    /// Change target settings mid-case (SCIMConfig API, Team Sync switch).
    SetConfig(SetConfig),
    /// An app user created outside SCIM (for adoption by email).
    SeedAppUser(SeedAppUser),
    /// Observe the target and compare.
    Expect(Box<Expect>),
}

impl Step {
    /// The step's key as written in YAML.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::AddUser(_) => "add_user",
            Step::UpdateUser(_) => "update_user",
            Step::DisableUser(_) => "disable_user",
            Step::EnableUser(_) => "enable_user",
            Step::SoftDeleteUser(_) => "soft_delete_user",
            Step::RestoreUser(_) => "restore_user",
            Step::HardDeleteUser(_) => "hard_delete_user",
            Step::CreateGroup(_) => "create_group",
            Step::RenameGroup(_) => "rename_group",
            Step::DeleteGroup(_) => "delete_group",
            Step::AddMember(_) => "add_member",
            Step::RemoveMember(_) => "remove_member",
            Step::GenerateUsers(_) => "generate_users",
            Step::Sync(_) => "sync",
            Step::Login(_) => "login",
            Step::Request(_) => "request",
            Step::SetConfig(_) => "set_config",
            Step::SeedAppUser(_) => "seed_app_user",
            Step::Expect(_) => "expect",
        }
    }
}

/// Every step key, in documentation order.
pub const STEP_KINDS: &[&str] = &[
    "add_user",
    "update_user",
    "disable_user",
    "enable_user",
    "soft_delete_user",
    "restore_user",
    "hard_delete_user",
    "create_group",
    "rename_group",
    "delete_group",
    "add_member",
    "remove_member",
    "generate_users",
    "sync",
    "login",
    "request",
    "set_config",
    "seed_app_user",
    "expect",
];

/// A step is a map with exactly one key, the step kind (`- add_user: {user: alice}`).
/// serde_norway reads externally tagged enums only from YAML tags, so this is written
/// by hand; errors keep serde_norway's line and column.
impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Step, D::Error> {
        struct StepVisitor;
        impl<'de> serde::de::Visitor<'de> for StepVisitor {
            type Value = Step;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step: a map with one key, the step kind")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
                use serde::de::Error;
                let Some(kind) = map.next_key::<String>()? else {
                    return Err(A::Error::custom(
                        "empty step: expected one key, the step kind",
                    ));
                };
                let step = match kind.as_str() {
                    "add_user" => Step::AddUser(map.next_value()?),
                    "update_user" => Step::UpdateUser(map.next_value()?),
                    "disable_user" => Step::DisableUser(map.next_value()?),
                    "enable_user" => Step::EnableUser(map.next_value()?),
                    "soft_delete_user" => Step::SoftDeleteUser(map.next_value()?),
                    "restore_user" => Step::RestoreUser(map.next_value()?),
                    "hard_delete_user" => Step::HardDeleteUser(map.next_value()?),
                    "create_group" => Step::CreateGroup(map.next_value()?),
                    "rename_group" => Step::RenameGroup(map.next_value()?),
                    "delete_group" => Step::DeleteGroup(map.next_value()?),
                    "add_member" => Step::AddMember(map.next_value()?),
                    "remove_member" => Step::RemoveMember(map.next_value()?),
                    "generate_users" => Step::GenerateUsers(map.next_value()?),
                    "sync" => Step::Sync(map.next_value()?),
                    "login" => Step::Login(map.next_value()?),
                    "request" => Step::Request(map.next_value()?),
                    "set_config" => Step::SetConfig(map.next_value()?),
                    "seed_app_user" => Step::SeedAppUser(map.next_value()?),
                    "expect" => Step::Expect(map.next_value()?),
                    other => return Err(A::Error::unknown_variant(other, STEP_KINDS)),
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(A::Error::custom(format!(
                        "step `{kind}` has a second key `{extra}`: write one step per list item"
                    )));
                }
                Ok(step)
            }
        }
        d.deserialize_map(StepVisitor)
    }
}

/// `add_user`. Text values may contain `{tag}`, the case's unique tag; without one they
/// are sent verbatim (so a scenario can collide on purpose, e.g. `external_id: "1"`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The scenario-local key.
    pub user: String,
    /// `userPrincipalName` / Okta login, sent as `userName`; default `{user}.{tag}@example.test`.
    #[serde(default)]
    pub login: Option<String>,
    /// The mail; default the login.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    /// The IdP's object id, which every persona sends as `externalId`; default a GUID
    /// unique to the case.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// `update_user`: only the given attributes change.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub user: String,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
}

/// `create_group`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub group: String,
    /// The display name; default `{group}-{tag}`.
    #[serde(default)]
    pub name: Option<String>,
}

/// `rename_group`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRename {
    pub group: String,
    /// The new display name (`{tag}` expands).
    pub name: String,
}

/// `add_member` and `remove_member`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub group: String,
    pub user: String,
}

/// `generate_users`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateUsers {
    pub count: usize,
    /// Login prefix; logins are `{prefix}{n:04}.{tag}@example.test`.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// A group (created earlier) the users join.
    #[serde(default)]
    pub group: Option<String>,
}

fn default_prefix() -> String {
    "user".to_owned()
}

/// `sync`: one cycle. Errors the persona reports fail the case unless allowed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncStep {
    /// The cycle may report errors (the next `expect` checks what happened).
    #[serde(default)]
    pub allow_errors: bool,
}

/// Which of the target's HTTP surfaces a raw request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// `path` is joined with the profile's SCIM base (`[scim] path`).
    Scim,
    /// `path` is joined with the base URL (the app's own API).
    App,
}

/// `request`: one raw HTTP request. `path`, query values, header values and strings in
/// `body` expand `{tag}`, `{user_id:KEY}` (the user's SCIM id on the target),
/// `{group_id:KEY}`, `{user_name:KEY}`, `{team_id:KEY}` (the app team of a group, via
/// `[probes] teams_by_name`) and `{app_user_id:KEY}` (the app user id of a user key or of a
/// `seed_app_user` login, via `[probes] user_by_login`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    pub surface: Surface,
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, … (upper case).
    pub method: String,
    /// Starts with `/`; may carry its own query string.
    pub path: String,
    /// Query parameters, percent-encoded and appended in key order.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// A JSON body, sent as `application/json` unless `headers` names a content type.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// Further request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Send the profile's bearer token (default); `false` to test unauthenticated access.
    #[serde(default = "yes")]
    pub auth: bool,
}

fn yes() -> bool {
    true
}

impl RawRequest {
    /// Every text that may hold templates: path, query and header values, body strings.
    pub fn strings(&self) -> Vec<&str> {
        let mut texts: Vec<&str> = vec![&self.path];
        texts.extend(self.query.values().map(String::as_str));
        texts.extend(self.headers.values().map(String::as_str));
        if let Some(b) = &self.body {
            json_strings(b, &mut texts);
        }
        texts
    }
}

/// `set_config`: the case's settings change mid-case; omitted keys keep their value.
/// SCIM settings go through the profile's `[config]` method (`scim-config-api`), Team Sync
/// through `[config] team_sync`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetConfig {
    #[serde(default)]
    pub user_sync: Option<bool>,
    #[serde(default)]
    pub group_sync: Option<bool>,
    #[serde(default)]
    pub reject_non_provisioned_users: Option<bool>,
    /// Grafana's `[team_sync] enabled`.
    #[serde(default)]
    pub team_sync: Option<bool>,
    /// The target must refuse the change: a 4xx other than 401, 403, 404 and 405 (the
    /// case keeps its settings). Give either `team_sync` or SCIM settings, not both.
    #[serde(default)]
    pub expect_refused: bool,
}

impl SetConfig {
    /// Whether the step changes a SCIMConfig setting.
    pub fn touches_scim_config(&self) -> bool {
        self.user_sync.is_some()
            || self.group_sync.is_some()
            || self.reject_non_provisioned_users.is_some()
    }
}

/// `seed_app_user`: a user created through the app's admin API, not by SCIM (profile
/// `[probes] create_user`). Values expand `{tag}`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeedAppUser {
    pub login: String,
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The name `{app_user_id:KEY}` uses for it; default the login as written.
    #[serde(default)]
    pub key: Option<String>,
}

/// What the IdP signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Signing {
    Assertion,
    Response,
    Both,
}

/// Who starts the login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// The IdP posts an unsolicited Response.
    #[default]
    IdpInitiated,
    /// The SP redirects with an AuthnRequest first; the Response answers it.
    SpInitiated,
}

/// `login`: the persona's IdP issues a Response for a user and posts it to the ACS.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginStep {
    /// The user (key) who logs in.
    pub user: String,
    /// Override the uid claim (default: the externalId the persona provisioned).
    #[serde(default)]
    pub uid: Option<String>,
    /// Override the email claim.
    #[serde(default)]
    pub email: Option<String>,
    /// Override the NameID (default: the login).
    #[serde(default)]
    pub name_id: Option<String>,
    /// A tamper-catalogue attack (`scim-harness saml attacks`).
    #[serde(default)]
    pub attack: Option<String>,
    /// With `attack`: the user (key) the forged parts claim to be, with that user's login as
    /// NameID and provisioned externalId as uid (default: an identity the target does not know).
    /// Naming a provisioned user makes an SP that reads the forged part log in as that user.
    #[serde(default)]
    pub victim: Option<String>,
    /// What to sign (default: the persona's IdP default).
    #[serde(default)]
    pub sign: Option<Signing>,
    #[serde(default)]
    pub flow: Flow,
}

/// `expect`: every given part is checked; an omitted part is not.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A user's state, read back over SCIM and from the app probes.
    #[serde(default)]
    pub user: Option<UserExpect>,
    /// An app user named literally (e.g. `admin`), from the app probes only.
    #[serde(default)]
    pub app_user: Option<AppUserExpect>,
    /// A group's team and members.
    #[serde(default)]
    pub team: Option<TeamExpect>,
    /// The result of the last `login`.
    #[serde(default)]
    pub login: Option<LoginExpect>,
    /// The status of the last SCIM exchange the persona sent.
    #[serde(default)]
    pub last_status: Option<u16>,
    /// How many requests the persona sent in the last `sync`.
    #[serde(default)]
    pub requests: Option<Count>,
    /// How many errors the persona reported in the last `sync`.
    #[serde(default)]
    pub sync_errors: Option<usize>,
    /// The answer to the last `request` step.
    #[serde(default)]
    pub response: Option<ResponseExpect>,
}

/// A JSON value's type, for `json_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// A JSON number without a fraction.
    Integer,
    String,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Integer => "integer",
            JsonType::String => "string",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }

    /// The type of `v` as this enum names it (`None` for a fractional number).
    pub fn of(v: &serde_json::Value) -> Option<JsonType> {
        use serde_json::Value;
        Some(match v {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => return None,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        })
    }
}

/// The expected answer to the last `request`. JSON pointers follow RFC 6901.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseExpect {
    #[serde(default)]
    pub status: Option<u16>,
    /// The media type of `Content-Type`, parameters ignored, case-insensitive.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Pointer → exact value; strings expand the `request` templates.
    #[serde(default)]
    pub json: BTreeMap<String, serde_json::Value>,
    /// Pointer → JSON type.
    #[serde(default)]
    pub json_type: BTreeMap<String, JsonType>,
    /// Pointers that must not resolve.
    #[serde(default)]
    pub absent: Vec<String>,
    /// The body is an RFC 7644 §3.12 error: the Error schema, and `status` (REQUIRED) the
    /// HTTP status as a string. The media type is checked by `content_type`.
    #[serde(default)]
    pub scim_error: bool,
}

/// A user's expected state. Text values expand `{tag}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserExpect {
    pub user: String,
    /// Whether the SCIM resource exists (`GET /Users/{id}`, else a `userName` filter).
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub active: Option<bool>,
    /// userName, externalId, primary email and name parts equal what the directory holds.
    #[serde(default)]
    pub matches_directory: bool,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// The app's view of the user (profile `[probes] user_by_login`).
    #[serde(default)]
    pub app: Option<AppExpect>,
}

/// What the app's user JSON should say.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppExpect {
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The app's numeric user id must differ from this (CVE-2025-41115: not user 1).
    #[serde(default)]
    pub id_is_not: Option<i64>,
}

/// An app user named by its literal login or email (values are not expanded).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppUserExpect {
    pub login: String,
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl AppUserExpect {
    /// The same checks as an [`AppExpect`].
    pub fn state(&self) -> AppExpect {
        AppExpect {
            exists: self.exists,
            disabled: self.disabled,
            email: self.email.clone(),
            name: self.name.clone(),
            id_is_not: None,
        }
    }
}

/// A group's expected team.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamExpect {
    pub group: String,
    #[serde(default)]
    pub exists: Option<bool>,
    /// The display name (`{tag}` expands); default: the directory's.
    #[serde(default)]
    pub name: Option<String>,
    /// Exactly these members (user keys).
    #[serde(default)]
    pub members: Option<Vec<String>>,
    /// How many members, when they are generated.
    #[serde(default)]
    pub member_count: Option<usize>,
}

/// The last login's expected result: accepted as a user, or rejected.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginExpect {
    /// A session exists and `whoami` names this user (key).
    #[serde(default)]
    pub accepted_as: Option<String>,
    /// The ACS answered this status and no session exists.
    #[serde(default)]
    pub rejected: Option<u16>,
    /// No session exists, whatever the status (for refusals whose status no source fixes).
    #[serde(default)]
    pub refused: bool,
    /// The answer carries this error id (Grafana's `messageId`).
    #[serde(default)]
    pub error_id: Option<String>,
}

/// A count bound; each given bound must hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    #[serde(default)]
    pub eq: Option<usize>,
    #[serde(default)]
    pub min: Option<usize>,
    #[serde(default)]
    pub max: Option<usize>,
}

impl Count {
    /// Whether `n` satisfies every bound.
    pub fn holds(&self, n: usize) -> bool {
        self.eq.is_none_or(|e| n == e)
            && self.min.is_none_or(|m| n >= m)
            && self.max.is_none_or(|m| n <= m)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(e) = self.eq {
            parts.push(format!("= {e}"));
        }
        if let Some(m) = self.min {
            parts.push(format!(">= {m}"));
        }
        if let Some(m) = self.max {
            parts.push(format!("<= {m}"));
        }
        f.write_str(&parts.join(" and "))
    }
}

/// A scenario as loaded: the file, where it came from, and its area (the folder).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The path as given to the loader.
    pub path: String,
    /// The folder under the catalogue root (`users`, `groups`, `identity`, …).
    pub area: String,
    /// The text, kept to locate semantic errors.
    text: String,
}

/// The JSON Schema of a scenario file, as committed in `scenarios/schema.json`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Parse one scenario file's text; `origin` names it in errors.
pub fn parse_scenario(text: &str, origin: &str, area: &str) -> Result<LoadedScenario, LoadError> {
    let scenario: Scenario = serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        LoadError::Syntax {
            file: origin.to_owned(),
            line,
            column,
            message: strip_location(&e.to_string()),
        }
    })?;
    let loaded = LoadedScenario {
        scenario,
        path: origin.to_owned(),
        area: area.to_owned(),
        text: text.to_owned(),
    };
    loaded.validate()?;
    Ok(loaded)
}

/// Read and parse one scenario file.
pub fn load_scenario(path: &Path, area: &str) -> Result<LoadedScenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_scenario(&text, &path.display().to_string(), area)
}

impl LoadedScenario {
    /// The error for a semantic problem in step `index` (0-based).
    fn step_error(&self, index: usize, message: String) -> LoadError {
        let (line, column) = locate_step(&self.text, index);
        LoadError::Invalid {
            file: self.path.clone(),
            line,
            column,
            message: format!(
                "step {} (`{}`): {message}",
                index + 1,
                self.scenario.steps[index].kind()
            ),
        }
    }

    /// The error for a problem with a top-level key.
    pub(crate) fn key_error(&self, key: &str, message: String) -> LoadError {
        let (line, column) = locate_key(&self.text, key);
        LoadError::Invalid {
            file: self.path.clone(),
            line,
            column,
            message,
        }
    }

    /// References between steps: a user or group is used only after it was added, an
    /// attack name exists, an expectation names someone known.
    fn validate(&self) -> Result<(), LoadError> {
        let s = &self.scenario;
        if s.id.trim().is_empty() || s.id.contains(char::is_whitespace) || s.id.contains('/') {
            return Err(self.key_error(
                "id",
                format!("id `{}` must be non-empty, without spaces or `/`", s.id),
            ));
        }
        if s.steps.is_empty() {
            return Err(self.key_error("steps", "a scenario needs at least one step".to_owned()));
        }
        if let Some(p) = &s.personas {
            if p.is_empty() {
                return Err(self.key_error(
                    "personas",
                    "personas is empty; omit it for every persona".to_owned(),
                ));
            }
        }
        let mut users: Vec<&str> = Vec::new();
        // Keys of generated users (`{prefix}{n}`), usable in templates.
        let mut generated: Vec<String> = Vec::new();
        let mut groups: Vec<&str> = Vec::new();
        let mut seeded: Vec<&str> = Vec::new();
        let mut requested = false;
        for (i, step) in s.steps.iter().enumerate() {
            let need_user = |u: &str| -> Result<(), LoadError> {
                if users.contains(&u) {
                    Ok(())
                } else {
                    Err(self.step_error(i, format!("user `{u}` is not added by an earlier step")))
                }
            };
            let need_group = |g: &str| -> Result<(), LoadError> {
                if groups.contains(&g) {
                    Ok(())
                } else {
                    Err(self
                        .step_error(i, format!("group `{g}` is not created by an earlier step")))
                }
            };
            match step {
                Step::AddUser(u) => {
                    if users.contains(&u.user.as_str()) {
                        return Err(self.step_error(i, format!("user `{}` is added twice", u.user)));
                    }
                    users.push(&u.user);
                }
                Step::UpdateUser(u) => need_user(&u.user)?,
                Step::DisableUser(u)
                | Step::EnableUser(u)
                | Step::SoftDeleteUser(u)
                | Step::RestoreUser(u)
                | Step::HardDeleteUser(u) => need_user(u)?,
                Step::CreateGroup(g) => {
                    if groups.contains(&g.group.as_str()) {
                        return Err(
                            self.step_error(i, format!("group `{}` is created twice", g.group))
                        );
                    }
                    groups.push(&g.group);
                }
                Step::RenameGroup(g) => need_group(&g.group)?,
                Step::DeleteGroup(g) => need_group(g)?,
                Step::AddMember(m) | Step::RemoveMember(m) => {
                    need_group(&m.group)?;
                    need_user(&m.user)?;
                }
                Step::GenerateUsers(g) => {
                    generated.extend((1..=g.count).map(|n| format!("{}{n}", g.prefix)));
                    if let Some(group) = &g.group {
                        need_group(group)?;
                    }
                    if g.prefix.is_empty() || g.count == 0 {
                        return Err(self.step_error(
                            i,
                            "count must be positive and prefix non-empty".to_owned(),
                        ));
                    }
                }
                Step::Sync(_) => {}
                Step::Login(l) => {
                    need_user(&l.user)?;
                    if let Some(a) = &l.attack {
                        a.parse::<saml::Attack>()
                            .map_err(|e| self.step_error(i, e.to_string()))?;
                    }
                    if let Some(v) = &l.victim {
                        need_user(v)?;
                        if l.attack.is_none() {
                            return Err(self.step_error(
                                i,
                                format!("victim `{v}` needs an `attack` to forge it"),
                            ));
                        }
                    }
                }
                Step::Request(r) => {
                    if r.method.is_empty() || !r.method.bytes().all(|b| b.is_ascii_uppercase()) {
                        return Err(self.step_error(
                            i,
                            format!("method `{}` must be an upper-case HTTP method", r.method),
                        ));
                    }
                    if !r.path.starts_with('/') {
                        return Err(
                            self.step_error(i, format!("path `{}` must start with `/`", r.path))
                        );
                    }
                    let texts = r.strings();
                    let known: Vec<&str> = users
                        .iter()
                        .copied()
                        .chain(generated.iter().map(String::as_str))
                        .collect();
                    self.check_templates(i, &texts, &known, &groups, &seeded)?;
                    requested = true;
                }
                Step::SetConfig(c) => {
                    if !s.exclusive {
                        return Err(self.step_error(
                            i,
                            "set_config changes the whole target: the scenario must say `exclusive: true`"
                                .to_owned(),
                        ));
                    }
                    if *c
                        == (SetConfig {
                            expect_refused: c.expect_refused,
                            ..SetConfig::default()
                        })
                    {
                        return Err(self.step_error(i, "set_config changes nothing".to_owned()));
                    }
                    if c.expect_refused && c.team_sync.is_some() && c.touches_scim_config() {
                        return Err(self.step_error(
                            i,
                            "with expect_refused, give either team_sync or SCIM settings, not both"
                                .to_owned(),
                        ));
                    }
                }
                Step::SeedAppUser(a) => {
                    if a.login.trim().is_empty() || a.email.trim().is_empty() {
                        return Err(
                            self.step_error(i, "login and email must be non-empty".to_owned())
                        );
                    }
                    seeded.push(a.key.as_deref().unwrap_or(&a.login));
                }
                Step::Expect(e) => {
                    if let Some(r) = &e.response {
                        if !requested {
                            return Err(
                                self.step_error(i, "response: no earlier request step".to_owned())
                            );
                        }
                        if *r == ResponseExpect::default() {
                            return Err(self.step_error(i, "response checks nothing".to_owned()));
                        }
                        let mut texts = Vec::new();
                        for v in r.json.values() {
                            json_strings(v, &mut texts);
                        }
                        let known: Vec<&str> = users
                            .iter()
                            .copied()
                            .chain(generated.iter().map(String::as_str))
                            .collect();
                        self.check_templates(i, &texts, &known, &groups, &seeded)?;
                        for pointer in r.json.keys().chain(r.json_type.keys()).chain(&r.absent) {
                            if !pointer.is_empty() && !pointer.starts_with('/') {
                                return Err(self.step_error(
                                    i,
                                    format!("`{pointer}` is not a JSON pointer (RFC 6901): start it with `/`"),
                                ));
                            }
                        }
                    }
                    if let Some(u) = &e.user {
                        need_user(&u.user)?;
                    }
                    if let Some(t) = &e.team {
                        need_group(&t.group)?;
                        for m in t.members.iter().flatten() {
                            need_user(m)?;
                        }
                    }
                    if let Some(l) = &e.login {
                        if let Some(u) = &l.accepted_as {
                            need_user(u)?;
                        }
                        let given = usize::from(l.accepted_as.is_some())
                            + usize::from(l.rejected.is_some())
                            + usize::from(l.refused);
                        if given != 1 {
                            return Err(self.step_error(
                                i,
                                "login: give exactly one of accepted_as, rejected and refused"
                                    .to_owned(),
                            ));
                        }
                        if !s.steps[..i].iter().any(|s| matches!(s, Step::Login(_))) {
                            return Err(
                                self.step_error(i, "login: no earlier login step".to_owned())
                            );
                        }
                    }
                    if **e == Expect::default() {
                        return Err(self.step_error(i, "expect checks nothing".to_owned()));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every `{kind:KEY}` template in `texts` names a known kind and a user, group or
    /// seeded app user created by an earlier step.
    fn check_templates(
        &self,
        i: usize,
        texts: &[&str],
        users: &[&str],
        groups: &[&str],
        seeded: &[&str],
    ) -> Result<(), LoadError> {
        for text in texts {
            for t in templates(text) {
                let (kind, key) = t.map_err(|bad| {
                    self.step_error(
                        i,
                        format!(
                            "unknown template `{{{bad}}}`: use {}",
                            TEMPLATE_KINDS.map(|k| format!("{{{k}:KEY}}")).join(", ")
                        ),
                    )
                })?;
                let known = match kind {
                    "group_id" | "team_id" => groups.contains(&key),
                    "app_user_id" => users.contains(&key) || seeded.contains(&key),
                    _ => users.contains(&key),
                };
                if !known {
                    let what = match kind {
                        "group_id" | "team_id" => "group",
                        _ => "user",
                    };
                    return Err(self.step_error(
                        i,
                        format!(
                            "`{{{kind}:{key}}}`: {what} `{key}` is not created by an earlier step"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

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
        let mut seeded: Vec<&str> = Vec::new();
        for step in &self.scenario.steps {
            match step {
                Step::Login(_) => add(ProfileNeed::Saml),
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
                Step::Request(r) => {
                    let texts = r.strings();
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
}

impl ProfileNeed {
    /// The profile keys that provide it and the steps that need it, for a skip reason.
    pub fn describe(self) -> &'static str {
        match self {
            ProfileNeed::Saml => "no [saml] section: login steps cannot run",
            ProfileNeed::ConfigApi => {
                "no [config] method = \"scim-config-api\": set_config cannot change SCIM settings"
            }
            ProfileNeed::TeamSync => "no [config] team_sync: set_config cannot switch Team Sync",
            ProfileNeed::CreateUser => "no [probes] create_user: seed_app_user cannot run",
            ProfileNeed::TeamProbe => "no [probes] teams_by_name: {team_id:KEY} cannot be resolved",
            ProfileNeed::UserProbe => {
                "no [probes] user_by_login: {app_user_id:KEY} cannot be resolved"
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

/// serde_norway appends " at line L column C"; the error carries the position apart.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// 1-based line and column of a top-level key (`key:` at column 1), or 1:1.
fn locate_key(text: &str, key: &str) -> (usize, usize) {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map_or((1, 1), |i| (i + 1, 1))
}

/// 1-based line and column of the `index`-th item of the top-level `steps:` sequence.
fn locate_step(text: &str, index: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("steps:")) else {
        return (1, 1);
    };
    let mut indent = None;
    let mut seen = 0;
    for (n, line) in lines.iter().enumerate().skip(start + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let col = line.len() - trimmed.len();
        if col == 0 && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            let ind = *indent.get_or_insert(col);
            if col == ind {
                if seen == index {
                    return (n + 1, col + 1);
                }
                seen += 1;
            }
        }
    }
    (start + 1, 1)
}
