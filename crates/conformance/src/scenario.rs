//! The scenario file model (YAML, one scenario per file) and its loader.
//!
//! Steps say what happens in the directory ("Alice leaves"), never which HTTP request to
//! send: the persona decides the wire form (DESIGN.md "Scenario files"). Every struct
//! denies unknown keys, and `scenarios/schema.json` is generated from these types.

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
        let mut groups: Vec<&str> = Vec::new();
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
                }
                Step::Expect(e) => {
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

    /// Whether any step logs in (the case needs the profile's `[saml]`).
    pub fn needs_saml(&self) -> bool {
        self.scenario
            .steps
            .iter()
            .any(|s| matches!(s, Step::Login(_)))
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
