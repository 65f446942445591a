//! The scenario file model (YAML, one scenario per file) and its loader.
//!
//! Steps say what happens in the directory ("Alice leaves"), never which HTTP request to
//! send: the persona decides the wire form (DESIGN.md "Scenario files"). Every struct
//! denies unknown keys, and `scenarios/schema.json` is generated from these types.
//!
//! An omitted `Option` field is `None` without help; `#[schemars(default)]` only writes
//! that `"default": null` into the schema.

use std::collections::BTreeMap;
use std::fmt;

use idp::PersonaId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod flow;
mod load;
mod login_step;
mod needs;
mod request_auth;
mod status;

pub use flow::SessionExpect;
pub use load::{parse_scenario, LoadedScenario};
pub use login_step::{Flow, LoginKey, LoginStep, Signing};
pub(crate) use needs::{json_strings, templates};
pub use needs::{ProfileNeed, TEMPLATE_KINDS};
pub use request_auth::{NamedAuth, RequestAuth};
pub use status::Statuses;

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
    #[schemars(default)]
    pub personas: Option<Vec<PersonaId>>,
    /// Names from `scenarios/configs.yaml`; omitted means `default`.
    #[schemars(default)]
    pub configs: Option<Vec<String>>,
    /// The case changes target-wide settings (`set_config`): it runs alone, and the
    /// runner restores the case's named configuration after it. Required with `set_config`.
    #[serde(default)]
    pub exclusive: bool,
    /// What the case needs the target profile to declare under `[supports]`; without it
    /// the case is skipped with the reason (a rule of one product, or an optional part of
    /// RFC 7643, judged only where the target has it).
    #[serde(default)]
    pub requires: Vec<Requirement>,
    pub steps: Vec<Step>,
}

/// A `requires` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// `[supports] enterprise_extension` (the default): the target takes the RFC 7643
    /// §4.3 enterprise extension.
    EnterpriseExtension,
    /// `[supports] requires_external_id = true`: the target refuses a user without
    /// `externalId`, as Grafana does.
    ExternalIdRequired,
}

/// Declares [`Step`] from one list of `Variant(Type) = "yaml_key"` lines: the enum (each
/// variant renamed to its key, for the schema), [`Step::kind`], [`STEP_KINDS`] and the
/// reader of one step's map.
macro_rules! steps {
    ($($(#[doc = $doc:literal])* $variant:ident($ty:ty) = $kind:literal,)*) => {
        /// One step. Users and groups are named by a key local to the scenario (`alice`); the
        /// runner makes every name the target sees unique per case.
        #[derive(Debug, Clone, PartialEq, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub enum Step {
            $($(#[doc = $doc])* #[serde(rename = $kind)] $variant($ty),)*
        }

        impl Step {
            /// The step's key as written in YAML.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Step::$variant(_) => $kind,)*
                }
            }

            /// The value of a step whose key is `kind`, read from `map`.
            fn read<'de, A: serde::de::MapAccess<'de>>(
                kind: &str,
                map: &mut A,
            ) -> Result<Step, A::Error> {
                Ok(match kind {
                    $($kind => Step::$variant(map.next_value()?),)*
                    other => {
                        return Err(<A::Error as serde::de::Error>::unknown_variant(
                            other, STEP_KINDS,
                        ))
                    }
                })
            }
        }

        /// Every step key, in documentation order.
        pub const STEP_KINDS: &[&str] = &[$($kind,)*];
    };
}

steps! {
    /// A user joins the directory, assigned to the app.
    AddUser(NewUser) = "add_user",
    /// Profile attributes change.
    UpdateUser(UserChange) = "update_user",
    /// `accountEnabled = false` / Okta deactivate.
    DisableUser(String) = "disable_user",
    /// `accountEnabled = true` / Okta activate.
    EnableUser(String) = "enable_user",
    /// Moved to the recycle bin (Entra) or deactivated (Okta).
    SoftDeleteUser(String) = "soft_delete_user",
    /// Restored from the recycle bin.
    RestoreUser(String) = "restore_user",
    /// Deleted permanently.
    HardDeleteUser(String) = "hard_delete_user",
    /// A group is created and pushed to the app.
    CreateGroup(NewGroup) = "create_group",
    RenameGroup(GroupRename) = "rename_group",
    DeleteGroup(String) = "delete_group",
    AddMember(Membership) = "add_member",
    RemoveMember(Membership) = "remove_member",
    /// Many users at once, optionally all members of a group.
    GenerateUsers(GenerateUsers) = "generate_users",
    /// One provisioning cycle of the case's persona.
    Sync(SyncStep) = "sync",
    /// A SAML login through the target's ACS.
    Login(LoginStep) = "login",
    /// One raw HTTP request with the profile's credentials; the answer is kept for the
    /// next `expect: {response: …}`.
    Request(Box<RawRequest>) = "request",
    /// Several raw requests sent at once (an IdP's parallel membership PATCHes); the
    /// answer with the highest status is kept for the next `expect: {response: …}`.
    Concurrent(Vec<RawRequest>) = "concurrent",
    /// Change target settings mid-case (SCIMConfig API, Team Sync switch).
    SetConfig(SetConfig) = "set_config",
    /// An app user created outside SCIM (for adoption by email).
    SeedAppUser(SeedAppUser) = "seed_app_user",
    /// Observe the target and compare.
    Expect(Box<Expect>) = "expect",
}

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
                let step = Step::read(&kind, &mut map)?;
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
    #[schemars(default)]
    pub login: Option<String>,
    /// The mail; default the login.
    #[schemars(default)]
    pub email: Option<String>,
    #[schemars(default)]
    pub given_name: Option<String>,
    #[schemars(default)]
    pub surname: Option<String>,
    #[schemars(default)]
    pub display_name: Option<String>,
    #[schemars(default)]
    pub job_title: Option<String>,
    #[schemars(default)]
    pub department: Option<String>,
    /// Entra's default mappings (entra-scim.md §5): `preferredLanguage`, the work and
    /// mobile `phoneNumbers`, the work address's `formatted` (office). Only the Entra
    /// personas send them.
    #[schemars(default)]
    pub preferred_language: Option<String>,
    #[schemars(default)]
    pub business_phone: Option<String>,
    #[schemars(default)]
    pub mobile_phone: Option<String>,
    #[schemars(default)]
    pub office_location: Option<String>,
    /// The scenario key of this user's manager, added before; sent by the personas that
    /// send a manager (not Okta) in a PATCH of its own after the create.
    #[schemars(default)]
    pub manager: Option<String>,
    /// The IdP's object id, which every persona sends as `externalId`; default a GUID
    /// unique to the case.
    #[schemars(default)]
    pub external_id: Option<String>,
}

/// `update_user`: only the given attributes change.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub user: String,
    #[schemars(default)]
    pub login: Option<String>,
    #[schemars(default)]
    pub email: Option<String>,
    #[schemars(default)]
    pub given_name: Option<String>,
    #[schemars(default)]
    pub surname: Option<String>,
    #[schemars(default)]
    pub display_name: Option<String>,
    #[schemars(default)]
    pub job_title: Option<String>,
    #[schemars(default)]
    pub department: Option<String>,
    /// Entra's default mappings (entra-scim.md §5): `preferredLanguage`, the work and
    /// mobile `phoneNumbers`, the work address's `formatted` (office). Only the Entra
    /// personas send them.
    #[schemars(default)]
    pub preferred_language: Option<String>,
    #[schemars(default)]
    pub business_phone: Option<String>,
    #[schemars(default)]
    pub mobile_phone: Option<String>,
    #[schemars(default)]
    pub office_location: Option<String>,
    /// The scenario key of the new manager.
    #[schemars(default)]
    pub manager: Option<String>,
    /// Clear the manager (it cannot be given with `manager`).
    #[serde(default)]
    #[schemars(default)]
    pub clear_manager: bool,
}

/// `create_group`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub group: String,
    /// The display name; default `{group}-{tag}`.
    #[schemars(default)]
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
    #[schemars(default)]
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
    /// Restart provisioning first (Entra's "Restart provisioning"): the persona forgets
    /// every cached id and sent value and re-matches each object by filter.
    #[serde(default)]
    pub restart: bool,
    /// From this cycle on, the persona sends these captured request forms instead of its
    /// documented ones (fixtures/captured/; forms of another persona are ignored). Given,
    /// it replaces the forms an earlier `sync` asked for.
    #[schemars(default)]
    pub forms: Option<Vec<idp::Form>>,
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
    #[schemars(default)]
    pub body: Option<serde_json::Value>,
    /// Further request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `true` (default): the profile's credential; `false`: none; `admin`: the server
    /// admin's basic auth; `wrong-role`: `[scim] wrong_role_token`.
    #[serde(default)]
    pub auth: RequestAuth,
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
    #[schemars(default)]
    pub user_sync: Option<bool>,
    #[schemars(default)]
    pub group_sync: Option<bool>,
    #[schemars(default)]
    pub reject_non_provisioned_users: Option<bool>,
    /// Grafana's `[team_sync] enabled`.
    #[schemars(default)]
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
    #[schemars(default)]
    pub name: Option<String>,
    /// The name `{app_user_id:KEY}` uses for it; default the login as written.
    #[schemars(default)]
    pub key: Option<String>,
}

/// `expect`: every given part is checked; an omitted part is not.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A user's state, read back over SCIM and from the app probes.
    pub user: Option<UserExpect>,
    /// An app user named literally (e.g. `admin`), from the app probes only.
    pub app_user: Option<AppUserExpect>,
    /// A group's team and members.
    pub team: Option<TeamExpect>,
    /// The result of the last `login`.
    pub login: Option<LoginExpect>,
    /// The status of the last SCIM exchange the persona sent (one, or a list of those
    /// the source allows).
    #[schemars(default)]
    pub last_status: Option<Statuses>,
    /// How many requests the persona sent in the last `sync`.
    pub requests: Option<Count>,
    /// How many errors the persona reported in the last `sync`.
    #[schemars(default)]
    pub sync_errors: Option<usize>,
    /// The answer to the last `request` step.
    pub response: Option<ResponseExpect>,
    /// Every page of `GET /Users` (needs `exclusive: true`).
    pub paging: Option<PagingExpect>,
    /// A session an earlier login kept (`keep_session`), probed now.
    pub session: Option<SessionExpect>,
}

/// `expect: {paging}`: `GET /Users` read page by page from `startIndex=1`, unfiltered, as
/// an IdP import reads it; RFC 7644 §3.4.2.4 defines no order without `sortBy`, so what is
/// judged is that the pages are disjoint, together complete (`totalResults` distinct
/// resources), and counted right (`startIndex`, `itemsPerPage`, at most `count`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PagingExpect {
    /// Users (keys) whose resources must be on one of the pages.
    #[serde(default)]
    pub includes: Vec<String>,
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
    /// One status, or a list of those the source allows.
    #[schemars(default)]
    pub status: Option<Statuses>,
    /// The media type of `Content-Type`, parameters ignored, case-insensitive.
    #[schemars(default)]
    pub content_type: Option<String>,
    /// Pointer → exact value; strings expand the `request` templates.
    #[serde(default)]
    pub json: BTreeMap<String, serde_json::Value>,
    /// Pointer → JSON type.
    #[serde(default)]
    pub json_type: BTreeMap<String, JsonType>,
    /// Pointer → JSON type, judged only where the pointer resolves (for what a source
    /// makes optional, e.g. `startIndex` outside pagination, RFC 7644 §3.4.2).
    #[serde(default)]
    pub json_type_if_present: BTreeMap<String, JsonType>,
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
    #[schemars(default)]
    pub exists: Option<bool>,
    #[schemars(default)]
    pub active: Option<bool>,
    /// userName, externalId, primary email and name parts equal what the directory holds.
    #[serde(default)]
    pub matches_directory: bool,
    #[schemars(default)]
    pub user_name: Option<String>,
    #[schemars(default)]
    pub external_id: Option<String>,
    #[schemars(default)]
    pub display_name: Option<String>,
    #[schemars(default)]
    pub given_name: Option<String>,
    #[schemars(default)]
    pub family_name: Option<String>,
    /// The app's view of the user (profile `[probes] user_by_login`).
    pub app: Option<AppExpect>,
}

/// What the app's user JSON should say.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppExpect {
    #[schemars(default)]
    pub exists: Option<bool>,
    #[schemars(default)]
    pub disabled: Option<bool>,
    #[schemars(default)]
    pub email: Option<String>,
    #[schemars(default)]
    pub name: Option<String>,
    /// The app's numeric user id must differ from this (CVE-2025-41115: not user 1).
    #[schemars(default)]
    pub id_is_not: Option<i64>,
    /// The user's role in the organization (Grafana: `Viewer`, `Editor`, `Admin`; any case).
    #[schemars(default)]
    pub role: Option<String>,
}

/// An app user named by its literal login or email (values are not expanded).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppUserExpect {
    pub login: String,
    #[schemars(default)]
    pub exists: Option<bool>,
    #[schemars(default)]
    pub disabled: Option<bool>,
    #[schemars(default)]
    pub email: Option<String>,
    #[schemars(default)]
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
            role: None,
        }
    }
}

/// A group's expected team.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamExpect {
    pub group: String,
    #[schemars(default)]
    pub exists: Option<bool>,
    /// The display name (`{tag}` expands); default: the directory's.
    #[schemars(default)]
    pub name: Option<String>,
    /// Exactly these members (user keys).
    #[schemars(default)]
    pub members: Option<Vec<String>>,
    /// How many members, when they are generated.
    #[schemars(default)]
    pub member_count: Option<usize>,
}

/// The last login's expected result: accepted as a user, or rejected.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginExpect {
    /// A session exists and `whoami` names this user (key).
    #[schemars(default)]
    pub accepted_as: Option<String>,
    /// No session exists, and the ACS answered this status (or one of these), where the
    /// profile's target refuses with a status (`[session] refusal = "status"`); where it
    /// refuses with a redirect (Grafana), the status is not visible and only the missing
    /// session is judged.
    #[schemars(default)]
    pub rejected: Option<OneOf<u16>>,
    /// No session exists, whatever the status (for refusals whose status no source fixes).
    #[serde(default)]
    pub refused: bool,
    /// No session, or a session for this user (key) only: for a signed document whose
    /// forged or hidden part names someone else, the signer logging in as themself is no
    /// takeover (an SP that reads only what is signed does exactly that); a session for
    /// anyone else is.
    #[schemars(default)]
    pub only_as: Option<String>,
    /// The refusal's message id (or one of these): Grafana's `messageId` where the target
    /// answers it (`refusal = "status"`), else the public message the profile maps it to
    /// (`[session.messages]`), read from the page the refusal leads to.
    #[schemars(default)]
    pub error_id: Option<OneOf<String>>,
    /// The ACS answer sends the browser nowhere off the target: its `Location`, if any,
    /// resolved against the target's base URL, has the base URL's origin.
    #[serde(default)]
    pub stays_on_site: bool,
}

/// One value, or a list of values any one of which is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOf<T> {
    One(T),
    Any(Vec<T>),
}

impl<T: PartialEq> OneOf<T> {
    /// The accepted values.
    pub fn values(&self) -> &[T] {
        match self {
            OneOf::One(v) => std::slice::from_ref(v),
            OneOf::Any(v) => v,
        }
    }

    pub fn accepts(&self, value: &T) -> bool {
        self.values().contains(value)
    }
}

impl<T: std::fmt::Display + PartialEq> std::fmt::Display for OneOf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self.values().iter().map(ToString::to_string).collect();
        f.write_str(&shown.join(" or "))
    }
}

/// A count bound; each given bound must hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    #[schemars(default)]
    pub eq: Option<usize>,
    #[schemars(default)]
    pub min: Option<usize>,
    #[schemars(default)]
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

/// The JSON Schema of a scenario file, as committed in `scenarios/schema.json`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
