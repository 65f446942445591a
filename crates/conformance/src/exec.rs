//! One case from start to end: directory steps on the case's own [`idp::Directory`],
//! sync cycles of its persona, SAML logins, and expectations read back from the target.
//! The steps that speak to the target directly (`request`, `set_config`, `seed_app_user`)
//! live in `direct`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::Value;

use crate::catalogue::{Case, TargetConfig};
use crate::event::{CaseResult, Mismatch, Outcome, Source, TranscriptEntry};
use crate::http::{percent_encode, Answer, Request};
use crate::login::{self, LoginResult};
use crate::runner::Shared;
use crate::scenario::{
    AppExpect, Expect, LoginExpect, NewUser, Persona, Step, TeamExpect, UserChange, UserExpect,
};
use crate::Level;

/// Why a case stopped early.
pub(crate) enum Stop {
    /// Expectations did not hold (recorded in `mismatches`).
    Failed,
    /// A harness or transport problem.
    Error(String),
}

/// What the last sync did.
struct LastSync {
    exchanges: usize,
    errors: usize,
    last_status: Option<u16>,
    last_n: Option<u64>,
}

/// The running state of one case.
pub(crate) struct CaseRun<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) case: &'a Case,
    pub tag: String,
    pub(crate) dir: idp::Directory,
    engine: idp::SyncEngine,
    /// Scenario user key → directory id.
    pub(crate) users: BTreeMap<String, String>,
    /// Scenario group key → directory id.
    pub(crate) groups: BTreeMap<String, String>,
    /// Target ids the engine learnt, kept after it forgets them (deletes).
    pub(crate) user_ids: BTreeMap<String, String>,
    pub(crate) group_ids: BTreeMap<String, String>,
    transcript: Vec<TranscriptEntry>,
    mismatches: Vec<Mismatch>,
    notes: Vec<String>,
    step: usize,
    last_sync: Option<LastSync>,
    last_login: Option<LoginResult>,
    /// The answer to the last `request` step and its transcript entry.
    pub(crate) last_response: Option<(u64, Answer)>,
    /// The settings the case runs under now (its config, then `set_config` steps).
    pub(crate) current: TargetConfig,
    /// `seed_app_user` key → the app's user id.
    pub(crate) seeded: BTreeMap<String, i64>,
}

/// A result for a case that did not run.
pub(crate) fn not_run(
    case: &Case,
    shared: &Shared,
    outcome: Outcome,
    reason: String,
    transcript: Vec<TranscriptEntry>,
) -> CaseResult {
    let s = &case.scenario.scenario;
    CaseResult {
        id: case.id.clone(),
        scenario: s.id.clone(),
        title: s.title.clone(),
        area: case.scenario.area.clone(),
        persona: case.persona.id().to_string(),
        config: case.config.name.clone(),
        level: s.level,
        spec: s.spec.clone(),
        outcome,
        reason: Some(reason),
        duration_ms: 0,
        tag: case_tag(shared.opts.seed, &case.id),
        mismatches: Vec::new(),
        notes: Vec::new(),
        transcript,
    }
}

/// Run one case to its result.
pub(crate) async fn run_case(case: &Case, shared: &Shared) -> CaseResult {
    if let Some(need) = case
        .scenario
        .needs()
        .into_iter()
        .find(|n| !shared.opts.profile.provides(*n))
    {
        return not_run(
            case,
            shared,
            Outcome::Skip,
            format!(
                "target profile `{}` has {}",
                shared.opts.profile.name,
                need.describe()
            ),
            Vec::new(),
        );
    }
    let started = Instant::now();
    let mut target = idp::ScimTarget::new(
        shared.opts.profile.scim_base(Some(&shared.opts.base_url)),
        shared.opts.token.clone(),
    );
    target.timeout = shared.opts.request_timeout;
    target.max_retry_wait = std::time::Duration::from_millis(500);
    target.rate_limit_attempts = Some(2);
    target.server_error_backoff = std::time::Duration::from_millis(50);
    let mut run = CaseRun {
        shared,
        case,
        tag: case_tag(shared.opts.seed, &case.id),
        dir: idp::Directory::new(),
        engine: idp::SyncEngine::new(case.persona.id(), target),
        users: BTreeMap::new(),
        groups: BTreeMap::new(),
        user_ids: BTreeMap::new(),
        group_ids: BTreeMap::new(),
        transcript: Vec::new(),
        mismatches: Vec::new(),
        notes: Vec::new(),
        step: 0,
        last_sync: None,
        last_login: None,
        last_response: None,
        current: case.config.values,
        seeded: BTreeMap::new(),
    };
    let stop = match tokio::time::timeout(shared.opts.case_timeout, run.steps()).await {
        Ok(r) => r.err(),
        Err(_) => Some(Stop::Error(format!(
            "case did not finish within {:?}",
            shared.opts.case_timeout
        ))),
    };
    let level = case.scenario.scenario.level;
    let (outcome, reason) = match stop {
        Some(Stop::Error(e)) => (Outcome::Error, Some(e)),
        _ if run.mismatches.is_empty() => (Outcome::Pass, None),
        _ => {
            let m = &run.mismatches[0];
            let reason = format!(
                "step {}: {}: expected {}, observed {}",
                m.step, m.check, m.expected, m.observed
            );
            let outcome = match level {
                Level::Must => Outcome::Fail,
                Level::Should | Level::Info => Outcome::Warn,
            };
            (outcome, Some(reason))
        }
    };
    let mut result = not_run(case, shared, outcome, String::new(), run.transcript);
    result.reason = reason;
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    result.mismatches = run.mismatches;
    result.notes = run.notes;
    result
}

/// A short tag, unique per seed and case id: base-36 of an FNV-1a hash.
pub fn case_tag(seed: u64, case_id: &str) -> String {
    let mut h = fnv(case_id, seed);
    let mut out = String::new();
    for _ in 0..7 {
        let d = (h % 36) as u32;
        out.push(char::from_digit(d, 36).unwrap_or('0'));
        h /= 36;
    }
    out
}

fn fnv(data: &str, seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in data.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A GUID-shaped id derived from the case tag and a key (Entra object ids are GUIDs).
fn guid(tag: &str, key: &str) -> String {
    let a = fnv(&format!("{tag}/{key}"), 1);
    let b = fnv(&format!("{tag}/{key}"), 2);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

impl<'a> CaseRun<'a> {
    pub(crate) fn expand(&self, text: &str) -> String {
        text.replace("{tag}", &self.tag)
    }

    pub(crate) fn record(&mut self, source: Source, exchange: idp::Exchange) -> u64 {
        let n = self.transcript.len() as u64 + 1;
        self.transcript.push(TranscriptEntry::Http {
            n,
            step: self.step,
            source,
            exchange: Box::new(exchange),
        });
        n
    }

    pub(crate) fn record_saml(&mut self, attack: Option<String>, xml: String) -> u64 {
        let n = self.transcript.len() as u64 + 1;
        self.transcript.push(TranscriptEntry::Saml {
            n,
            step: self.step,
            attack,
            xml,
        });
        n
    }

    pub(crate) fn mismatch(
        &mut self,
        check: String,
        expected: String,
        observed: String,
        exchange: Option<u64>,
    ) {
        self.mismatches.push(Mismatch {
            step: self.step,
            check,
            expected,
            observed,
            exchange,
        });
    }

    fn note(&mut self, text: String) {
        if !self.notes.contains(&text) {
            self.notes.push(text);
        }
    }

    async fn steps(&mut self) -> Result<(), Stop> {
        let steps = self.case.scenario.scenario.steps.clone();
        for (i, step) in steps.iter().enumerate() {
            self.step = i + 1;
            let before = self.mismatches.len();
            self.one(step).await?;
            if self.mismatches.len() > before {
                return Err(Stop::Failed);
            }
        }
        Ok(())
    }

    pub(crate) fn user_id(&self, key: &str) -> Result<String, Stop> {
        self.users.get(key).cloned().ok_or_else(|| {
            Stop::Error(format!(
                "step {}: user `{key}` is not in the directory",
                self.step
            ))
        })
    }

    pub(crate) fn group_id(&self, key: &str) -> Result<String, Stop> {
        self.groups.get(key).cloned().ok_or_else(|| {
            Stop::Error(format!(
                "step {}: group `{key}` is not in the directory",
                self.step
            ))
        })
    }

    fn dir_err(&self, e: idp::DirectoryError) -> Stop {
        Stop::Error(format!("step {}: directory: {e}", self.step))
    }

    async fn one(&mut self, step: &Step) -> Result<(), Stop> {
        match step {
            Step::AddUser(u) => self.add_user(u),
            Step::UpdateUser(u) => self.update_user(u),
            Step::DisableUser(u) => {
                let id = self.user_id(u)?;
                self.dir.disable_user(&id).map_err(|e| self.dir_err(e))
            }
            Step::EnableUser(u) => {
                let id = self.user_id(u)?;
                self.dir.enable_user(&id).map_err(|e| self.dir_err(e))
            }
            Step::SoftDeleteUser(u) => {
                let id = self.user_id(u)?;
                self.dir.soft_delete_user(&id).map_err(|e| self.dir_err(e))
            }
            Step::RestoreUser(u) => {
                let id = self.user_id(u)?;
                self.dir.restore_user(&id).map_err(|e| self.dir_err(e))
            }
            Step::HardDeleteUser(u) => {
                let id = self.user_id(u)?;
                self.dir.hard_delete_user(&id).map_err(|e| self.dir_err(e))
            }
            Step::CreateGroup(g) => {
                let id = guid(&self.tag, &format!("group:{}", g.group));
                let name = match &g.name {
                    Some(n) => self.expand(n),
                    None => format!("{}-{}", g.group, self.tag),
                };
                self.dir
                    .create_group(idp::DirGroup::new(id.clone(), name))
                    .map_err(|e| self.dir_err(e))?;
                self.groups.insert(g.group.clone(), id);
                Ok(())
            }
            Step::RenameGroup(g) => {
                let id = self.group_id(&g.group)?;
                let name = self.expand(&g.name);
                self.dir
                    .rename_group(&id, &name)
                    .map_err(|e| self.dir_err(e))
            }
            Step::DeleteGroup(g) => {
                let id = self.group_id(g)?;
                self.dir.delete_group(&id).map_err(|e| self.dir_err(e))
            }
            Step::AddMember(m) => {
                let (g, u) = (self.group_id(&m.group)?, self.user_id(&m.user)?);
                self.dir.add_member(&g, &u).map_err(|e| self.dir_err(e))
            }
            Step::RemoveMember(m) => {
                let (g, u) = (self.group_id(&m.group)?, self.user_id(&m.user)?);
                self.dir.remove_member(&g, &u).map_err(|e| self.dir_err(e))
            }
            Step::GenerateUsers(g) => {
                let spec = idp::Generate {
                    count: g.count,
                    pattern: format!("{}{{n:04}}.{}@example.test", g.prefix, self.tag),
                };
                let ids = match &g.group {
                    Some(group) => {
                        let gid = self.group_id(group)?;
                        self.dir.generate_members(&gid, &spec)
                    }
                    None => self.dir.generate(&spec),
                }
                .map_err(|e| self.dir_err(e))?;
                for (i, id) in ids.into_iter().enumerate() {
                    self.users.insert(format!("{}{}", g.prefix, i + 1), id);
                }
                Ok(())
            }
            Step::Sync(s) => self.sync(s.allow_errors).await,
            Step::Login(l) => {
                let result = login::login(self, l).await?;
                self.last_login = Some(result);
                Ok(())
            }
            Step::Request(r) => self.request(r).await,
            Step::SetConfig(c) => self.set_config(c).await,
            Step::SeedAppUser(a) => self.seed_app_user(a).await,
            Step::Expect(e) => self.expect(e).await,
        }
    }

    fn add_user(&mut self, u: &NewUser) -> Result<(), Stop> {
        let id = match &u.external_id {
            Some(e) => self.expand(e),
            None => guid(&self.tag, &format!("user:{}", u.user)),
        };
        let login = match &u.login {
            Some(l) => self.expand(l),
            None => format!("{}.{}@example.test", u.user, self.tag),
        };
        let mut user = idp::DirUser::new(id.clone(), login.clone());
        if u.external_id.is_some() {
            // The same externalId for every persona (Okta sends okta_id).
            user.okta_id = id.clone();
        }
        let p = &mut user.profile;
        p.mail = Some(u.email.as_ref().map_or(login, |e| self.expand(e)));
        p.given_name = u.given_name.as_ref().map(|v| self.expand(v));
        p.surname = u.surname.as_ref().map(|v| self.expand(v));
        p.display_name = u.display_name.as_ref().map(|v| self.expand(v));
        p.job_title = u.job_title.as_ref().map(|v| self.expand(v));
        p.department = u.department.as_ref().map(|v| self.expand(v));
        self.dir.add_user(user).map_err(|e| self.dir_err(e))?;
        self.users.insert(u.user.clone(), id);
        Ok(())
    }

    fn update_user(&mut self, u: &UserChange) -> Result<(), Stop> {
        let id = self.user_id(&u.user)?;
        let x = |v: &Option<String>| v.as_ref().map(|v| v.replace("{tag}", &self.tag));
        let (login, email, given, surname, display, title, dept) = (
            x(&u.login),
            x(&u.email),
            x(&u.given_name),
            x(&u.surname),
            x(&u.display_name),
            x(&u.job_title),
            x(&u.department),
        );
        self.dir
            .update_user(&id, |p| {
                if let Some(v) = login {
                    p.user_principal_name = v;
                }
                if email.is_some() {
                    p.mail = email;
                }
                if given.is_some() {
                    p.given_name = given;
                }
                if surname.is_some() {
                    p.surname = surname;
                }
                if display.is_some() {
                    p.display_name = display;
                }
                if title.is_some() {
                    p.job_title = title;
                }
                if dept.is_some() {
                    p.department = dept;
                }
            })
            .map_err(|e| self.dir_err(e))
    }

    async fn sync(&mut self, allow_errors: bool) -> Result<(), Stop> {
        let report = self.engine.cycle(&self.dir).await;
        let mut last_n = None;
        let mut last_status = None;
        for ex in &report.exchanges {
            last_status = ex.status;
            last_n = Some(self.record(Source::Persona, ex.clone()));
        }
        for u in self.dir.users() {
            if let Some(t) = self.engine.user_target_id(&u.id) {
                self.user_ids.insert(u.id.clone(), t.to_owned());
            }
        }
        for g in self.dir.groups() {
            if let Some(t) = self.engine.group_target_id(&g.id) {
                self.group_ids.insert(g.id.clone(), t.to_owned());
            }
        }
        self.last_sync = Some(LastSync {
            exchanges: report.exchanges.len(),
            errors: report.errors.len(),
            last_status,
            last_n,
        });
        if let Some(issue) = report
            .errors
            .iter()
            .find(|i| matches!(i.code, idp::IssueCode::Timeout | idp::IssueCode::Transport))
        {
            return Err(Stop::Error(format!("step {}: sync: {issue}", self.step)));
        }
        if !allow_errors && !report.errors.is_empty() {
            let observed: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
            self.mismatch(
                format!("sync by {}", self.case.persona.id()),
                "a cycle without errors".to_owned(),
                observed.join("; "),
                last_n,
            );
        }
        Ok(())
    }

    // ---- reading the target ----------------------------------------------------------

    /// GET with the bearer token; a transport failure stops the case as an error.
    pub(crate) async fn get(
        &mut self,
        url: String,
        source: Source,
    ) -> Result<(u64, u16, Option<Value>), Stop> {
        let (ex, answer) = self.shared.client.send(&Request::get(url.clone())).await;
        let n = self.record(source, ex);
        match answer {
            Ok(a) => Ok((n, a.status, a.json)),
            Err(e) => Err(Stop::Error(format!("step {}: GET {url}: {e}", self.step))),
        }
    }

    /// The user's SCIM resource: by the id the persona learnt, else by `userName`.
    async fn read_user(&mut self, dir_id: &str, login: &str) -> Result<(u64, Option<Value>), Stop> {
        if let Some(tid) = self.user_ids.get(dir_id).cloned() {
            let url = self
                .shared
                .scim_url(&format!("/Users/{}", percent_encode(&tid)));
            let (n, status, json) = self.get(url, Source::Observer).await?;
            return match status {
                200 => Ok((n, json)),
                404 => Ok((n, None)),
                s => Err(self.unexpected_status(n, s, "reading the user back")),
            };
        }
        let filter = format!(
            "userName eq \"{}\"",
            login.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let url = self
            .shared
            .scim_url(&format!("/Users?filter={}", percent_encode(&filter)));
        let (n, status, json) = self.get(url, Source::Observer).await?;
        if status != 200 {
            return Err(self.unexpected_status(n, status, "listing users"));
        }
        let first = json
            .as_ref()
            .and_then(|j| j.get("Resources"))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned();
        Ok((n, first))
    }

    pub(crate) fn unexpected_status(&mut self, n: u64, status: u16, what: &str) -> Stop {
        self.mismatch(
            what.to_owned(),
            "status 200 or 404".to_owned(),
            format!("status {status}"),
            Some(n),
        );
        Stop::Failed
    }

    /// The app's user JSON through `[probes] user_by_login`; `None` when the profile
    /// has no such probe.
    pub(crate) async fn read_app_user(
        &mut self,
        login: &str,
    ) -> Result<Option<(u64, Option<Value>)>, Stop> {
        let Some(probe) = self
            .shared
            .opts
            .profile
            .probes
            .as_ref()
            .and_then(|p| p.user_by_login.clone())
        else {
            self.note(
                "app user checks not run: the target profile has no [probes] user_by_login"
                    .to_owned(),
            );
            return Ok(None);
        };
        let url = self
            .shared
            .url(&probe.replace("{login}", &percent_encode(login)));
        let (n, status, json) = self.get(url, Source::Observer).await?;
        match status {
            200 => Ok(Some((n, json))),
            404 => Ok(Some((n, None))),
            s => Err(self.unexpected_status(n, s, "app user probe")),
        }
    }

    // ---- expectations ----------------------------------------------------------------

    async fn expect(&mut self, e: &Expect) -> Result<(), Stop> {
        if let Some(u) = &e.user {
            self.expect_user(u).await?;
        }
        if let Some(a) = &e.app_user {
            if let Some((n, json)) = self.read_app_user(&a.login).await? {
                self.check_app(
                    &format!("app user {}", a.login),
                    &a.state(),
                    n,
                    json.as_ref(),
                );
            }
        }
        if let Some(t) = &e.team {
            self.expect_team(t).await?;
        }
        if let Some(l) = &e.login {
            self.expect_login(l)?;
        }
        if let Some(r) = &e.response {
            self.expect_response(r).await?;
        }
        if e.last_status.is_some() || e.requests.is_some() || e.sync_errors.is_some() {
            let Some(last) = &self.last_sync else {
                return Err(Stop::Error(format!(
                    "step {}: expect: no earlier sync",
                    self.step
                )));
            };
            let (exchanges, errors, status, n) =
                (last.exchanges, last.errors, last.last_status, last.last_n);
            if let Some(want) = e.last_status {
                if status != Some(want) {
                    let seen = status.map_or("no response".to_owned(), |s| s.to_string());
                    self.mismatch(
                        "status of the last SCIM exchange".into(),
                        want.to_string(),
                        seen,
                        n,
                    );
                }
            }
            if let Some(c) = &e.requests {
                if !c.holds(exchanges) {
                    self.mismatch(
                        "requests in the last sync".into(),
                        c.to_string(),
                        exchanges.to_string(),
                        n,
                    );
                }
            }
            if let Some(want) = e.sync_errors {
                if errors != want {
                    self.mismatch(
                        "errors in the last sync".into(),
                        want.to_string(),
                        errors.to_string(),
                        n,
                    );
                }
            }
        }
        Ok(())
    }

    fn expected_external_id(&self, user: &idp::DirUser) -> String {
        match self.case.persona {
            Persona::Okta | Persona::OktaOin => user.okta_id.clone(),
            _ => user.id.clone(),
        }
    }

    async fn expect_user(&mut self, u: &UserExpect) -> Result<(), Stop> {
        let id = self.user_id(&u.user)?;
        let Some(user) = self.dir.user(&id).cloned() else {
            return Err(Stop::Error(format!(
                "step {}: user `{}` is not in the directory",
                self.step, u.user
            )));
        };
        let login = user.profile.user_principal_name.clone();
        let what = format!("user {}", u.user);
        let needs_resource = u.exists.is_some()
            || u.active.is_some()
            || u.matches_directory
            || u.user_name.is_some()
            || u.external_id.is_some()
            || u.display_name.is_some()
            || u.given_name.is_some()
            || u.family_name.is_some();
        if needs_resource {
            let (n, resource) = self.read_user(&id, &login).await?;
            let exists = resource.is_some();
            if let Some(want) = u.exists {
                if want != exists {
                    self.mismatch(
                        format!("{what}: SCIM resource exists"),
                        want.to_string(),
                        exists.to_string(),
                        Some(n),
                    );
                }
            }
            match resource {
                Some(r) => {
                    if let Some(want) = u.active {
                        let seen = r.get("active").cloned().unwrap_or(Value::Null);
                        if seen != Value::Bool(want) {
                            self.mismatch(
                                format!("{what}: active"),
                                want.to_string(),
                                seen.to_string(),
                                Some(n),
                            );
                        }
                    }
                    let mut fields: Vec<(&str, String)> = Vec::new();
                    if u.matches_directory {
                        fields.push(("/userName", login.clone()));
                        fields.push(("/externalId", self.expected_external_id(&user)));
                        if let Some(m) = &user.profile.mail {
                            fields.push(("email", m.clone()));
                        }
                        if let Some(g) = &user.profile.given_name {
                            fields.push(("/name/givenName", g.clone()));
                        }
                        if let Some(s) = &user.profile.surname {
                            fields.push(("/name/familyName", s.clone()));
                        }
                        if let Some(d) = &user.profile.display_name {
                            fields.push(("/displayName", d.clone()));
                        }
                    }
                    let explicit = [
                        ("/userName", &u.user_name),
                        ("/externalId", &u.external_id),
                        ("/displayName", &u.display_name),
                        ("/name/givenName", &u.given_name),
                        ("/name/familyName", &u.family_name),
                    ];
                    for (pointer, v) in explicit {
                        if let Some(v) = v {
                            fields.push((pointer, self.expand(v)));
                        }
                    }
                    for (pointer, want) in fields {
                        let seen = if pointer == "email" {
                            primary_email(&r)
                        } else {
                            r.pointer(pointer)
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        };
                        let matches = match (&seen, pointer) {
                            (Some(s), "/userName" | "email") => s.eq_ignore_ascii_case(&want),
                            (Some(s), _) => *s == want,
                            (None, _) => false,
                        };
                        if !matches {
                            let label = pointer.trim_start_matches('/').replace('/', ".");
                            self.mismatch(
                                format!("{what}: {label}"),
                                format!("{want:?}"),
                                seen.map_or("absent".to_owned(), |s| format!("{s:?}")),
                                Some(n),
                            );
                        }
                    }
                }
                // Absent though other attributes were asked for (an explicit `exists`
                // was compared above).
                None if u.exists.is_none() => {
                    self.mismatch(
                        format!("{what}: SCIM resource exists"),
                        "true".into(),
                        "false".into(),
                        Some(n),
                    );
                }
                None => {}
            }
        }
        if let Some(app) = &u.app {
            if let Some((n, json)) = self.read_app_user(&login).await? {
                self.check_app(&format!("{what} in the app"), app, n, json.as_ref());
            }
        }
        Ok(())
    }

    fn check_app(&mut self, what: &str, want: &AppExpect, n: u64, json: Option<&Value>) {
        if let Some(e) = want.exists {
            if e != json.is_some() {
                self.mismatch(
                    format!("{what}: exists"),
                    e.to_string(),
                    json.is_some().to_string(),
                    Some(n),
                );
                return;
            }
        }
        let Some(j) = json else {
            if want.disabled.is_some()
                || want.email.is_some()
                || want.name.is_some()
                || want.id_is_not.is_some()
            {
                self.mismatch(
                    format!("{what}: exists"),
                    "true".into(),
                    "false".into(),
                    Some(n),
                );
            }
            return;
        };
        if let Some(d) = want.disabled {
            let seen = j.get("isDisabled").cloned().unwrap_or(Value::Null);
            if seen != Value::Bool(d) {
                self.mismatch(
                    format!("{what}: isDisabled"),
                    d.to_string(),
                    seen.to_string(),
                    Some(n),
                );
            }
        }
        for (key, v) in [("email", &want.email), ("name", &want.name)] {
            if let Some(v) = v {
                let want = self.expand(v);
                let seen = j
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let ok = if key == "email" {
                    seen.eq_ignore_ascii_case(&want)
                } else {
                    seen == want
                };
                if !ok {
                    self.mismatch(
                        format!("{what}: {key}"),
                        format!("{want:?}"),
                        format!("{seen:?}"),
                        Some(n),
                    );
                }
            }
        }
        if let Some(not) = want.id_is_not {
            let seen = j.get("id").and_then(Value::as_i64);
            if seen == Some(not) {
                self.mismatch(
                    format!("{what}: id"),
                    format!("not {not}"),
                    not.to_string(),
                    Some(n),
                );
            }
        }
    }

    async fn expect_team(&mut self, t: &TeamExpect) -> Result<(), Stop> {
        let id = self.group_id(&t.group)?;
        let group = self.dir.group(&id).cloned();
        let name = match (&t.name, &group) {
            (Some(n), _) => self.expand(n),
            (None, Some(g)) => g.display_name.clone(),
            (None, None) => String::new(),
        };
        let what = format!("group {}", t.group);
        let want_exists = t.exists.unwrap_or(true);
        // SCIM read-back.
        let url = match self.group_ids.get(&id) {
            Some(tid) => self
                .shared
                .scim_url(&format!("/Groups/{}", percent_encode(tid))),
            None => {
                let f = format!("displayName eq \"{}\"", name.replace('"', "\\\""));
                self.shared
                    .scim_url(&format!("/Groups?filter={}", percent_encode(&f)))
            }
        };
        let by_id = self.group_ids.contains_key(&id);
        let (n, status, json) = self.get(url, Source::Observer).await?;
        let resource = match (status, by_id) {
            (200, true) => json,
            (404, true) => None,
            (200, false) => json
                .as_ref()
                .and_then(|j| j.get("Resources"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .cloned(),
            (s, _) => return Err(self.unexpected_status(n, s, "reading the group back")),
        };
        if want_exists != resource.is_some() {
            self.mismatch(
                format!("{what}: SCIM group exists"),
                want_exists.to_string(),
                resource.is_some().to_string(),
                Some(n),
            );
            return Ok(());
        }
        let reverse: BTreeMap<String, String> = self
            .users
            .iter()
            .filter_map(|(k, d)| self.user_ids.get(d).map(|t| (t.clone(), k.clone())))
            .collect();
        let want_members: Option<BTreeSet<String>> =
            t.members.as_ref().map(|m| m.iter().cloned().collect());
        if let Some(r) = &resource {
            let seen_name = r
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if seen_name != name {
                self.mismatch(
                    format!("{what}: displayName"),
                    format!("{name:?}"),
                    format!("{seen_name:?}"),
                    Some(n),
                );
            }
            let ids: Vec<String> = r
                .get("members")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m.get("value").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(want) = &want_members {
                let seen: BTreeSet<String> = ids
                    .iter()
                    .map(|i| reverse.get(i).cloned().unwrap_or_else(|| i.clone()))
                    .collect();
                if &seen != want {
                    self.mismatch(
                        format!("{what}: SCIM members"),
                        fmt_set(want),
                        fmt_set(&seen),
                        Some(n),
                    );
                }
            }
            if let Some(c) = t.member_count {
                if ids.len() != c {
                    self.mismatch(
                        format!("{what}: SCIM member count"),
                        c.to_string(),
                        ids.len().to_string(),
                        Some(n),
                    );
                }
            }
        }
        // App probes: the team and its members by login.
        let probes = self.shared.opts.profile.probes.clone().unwrap_or_default();
        let (Some(by_name), Some(members_path)) = (probes.teams_by_name, probes.team_members)
        else {
            self.note("team checks in the app not run: the target profile has no [probes] teams_by_name and team_members".to_owned());
            return Ok(());
        };
        let url = self
            .shared
            .url(&by_name.replace("{name}", &percent_encode(&name)));
        let (n, status, json) = self.get(url, Source::Observer).await?;
        if status != 200 {
            return Err(self.unexpected_status(n, status, "team search probe"));
        }
        let team = json
            .as_ref()
            .and_then(|j| j.get("teams"))
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|t| t.get("name").and_then(Value::as_str) == Some(name.as_str()))
            })
            .cloned();
        if want_exists != team.is_some() {
            self.mismatch(
                format!("{what}: team exists in the app"),
                want_exists.to_string(),
                team.is_some().to_string(),
                Some(n),
            );
            return Ok(());
        }
        let Some(team) = team else { return Ok(()) };
        if want_members.is_none() && t.member_count.is_none() {
            return Ok(());
        }
        let team_id = team
            .get("id")
            .map(|v| v.to_string().trim_matches('"').to_owned())
            .unwrap_or_default();
        let url = self
            .shared
            .url(&members_path.replace("{id}", &percent_encode(&team_id)));
        let (n, status, json) = self.get(url, Source::Observer).await?;
        if status != 200 {
            return Err(self.unexpected_status(n, status, "team members probe"));
        }
        let logins: Vec<String> = json
            .as_ref()
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.get("login").and_then(Value::as_str))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(want) = &want_members {
            let by_login: BTreeMap<String, String> = self
                .users
                .iter()
                .filter_map(|(k, d)| {
                    self.dir
                        .user(d)
                        .map(|u| (u.profile.user_principal_name.to_lowercase(), k.clone()))
                })
                .collect();
            let seen: BTreeSet<String> = logins
                .iter()
                .map(|l| by_login.get(l).cloned().unwrap_or_else(|| l.clone()))
                .collect();
            if &seen != want {
                self.mismatch(
                    format!("{what}: team members in the app"),
                    fmt_set(want),
                    fmt_set(&seen),
                    Some(n),
                );
            }
        }
        if let Some(c) = t.member_count {
            if logins.len() != c {
                self.mismatch(
                    format!("{what}: team member count in the app"),
                    c.to_string(),
                    logins.len().to_string(),
                    Some(n),
                );
            }
        }
        Ok(())
    }

    fn expect_login(&mut self, l: &LoginExpect) -> Result<(), Stop> {
        let Some(last) = self.last_login.clone() else {
            return Err(Stop::Error(format!(
                "step {}: expect login: no earlier login",
                self.step
            )));
        };
        let seen = last.describe();
        if let Some(key) = &l.accepted_as {
            let id = self.user_id(key)?;
            let want = self
                .dir
                .user(&id)
                .map(|u| u.profile.user_principal_name.clone())
                .unwrap_or_default();
            let ok = last
                .whoami_login
                .as_deref()
                .is_some_and(|w| w.eq_ignore_ascii_case(&want));
            if !ok {
                self.mismatch(
                    format!("login as {key}"),
                    format!("accepted, session for {want:?}"),
                    seen.clone(),
                    Some(last.exchange),
                );
            }
        }
        if let Some(status) = l.rejected {
            if last.status != status || last.whoami_login.is_some() {
                self.mismatch(
                    "login".into(),
                    format!("rejected with {status}, no session"),
                    seen.clone(),
                    Some(last.exchange),
                );
            }
        }
        if l.refused && last.whoami_login.is_some() {
            self.mismatch(
                "login".into(),
                "refused, no session".into(),
                seen.clone(),
                Some(last.exchange),
            );
        }
        if let Some(want) = &l.error_id {
            if last.error_id.as_deref() != Some(want.as_str()) {
                self.mismatch(
                    "login error id".into(),
                    want.clone(),
                    last.error_id.clone().unwrap_or_else(|| "none".into()),
                    Some(last.exchange),
                );
            }
        }
        Ok(())
    }

    // ---- for the login module ----------------------------------------------------------

    pub(crate) fn shared(&self) -> &'a Shared {
        self.shared
    }

    pub(crate) fn persona(&self) -> Persona {
        self.case.persona
    }

    pub(crate) fn step_no(&self) -> usize {
        self.step
    }

    pub(crate) fn directory_user(&self, key: &str) -> Option<idp::DirUser> {
        self.users
            .get(key)
            .and_then(|id| self.dir.user(id))
            .cloned()
    }

    /// Display names of the (live) groups the user is in.
    pub(crate) fn groups_of(&self, dir_id: &str) -> Vec<String> {
        self.dir
            .groups()
            .iter()
            .filter(|g| !g.deleted && g.members.iter().any(|m| m == dir_id))
            .map(|g| g.display_name.clone())
            .collect()
    }

    pub(crate) fn external_id_of(&self, user: &idp::DirUser) -> String {
        self.expected_external_id(user)
    }

    pub(crate) async fn send_login(
        &mut self,
        req: &Request,
    ) -> Result<(u64, crate::http::Answer), String> {
        let (ex, answer) = self.shared.client.send(req).await;
        let n = self.record(Source::Login, ex);
        answer.map(|a| (n, a))
    }
}

/// The primary email, else the first.
fn primary_email(r: &Value) -> Option<String> {
    let emails = r.get("emails")?.as_array()?;
    let pick = emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| emails.first())?;
    pick.get("value").and_then(Value::as_str).map(str::to_owned)
}

fn fmt_set(s: &BTreeSet<String>) -> String {
    format!("[{}]", s.iter().cloned().collect::<Vec<_>>().join(", "))
}
