//! One case from start to end: its steps in order (directory steps in `directory`, sync
//! cycles of its persona, SAML logins in `login`, the steps that speak to the target
//! directly in `direct`), and its `expect` steps: observers read, expectation checks judge.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::case::{case_tag, CaseLog, CaseRun, Stop, SEED_HINT};
use crate::catalogue::Case;
use crate::event::{CaseResult, Outcome, Source, TranscriptEntry};
use crate::expect::{self, TeamWant};
use crate::http::Answer;
use crate::login::{self, LoginMemory, LoginResult};
use crate::observe::{self, id_text, LastSync};
use crate::options::Shared;
use crate::paging;
use crate::scenario::{Expect, LoginExpect, Step, TeamExpect, UserExpect};
use crate::Level;

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
        persona: case.persona.to_string(),
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

/// Why a case cannot run against this profile and run ([`crate::runner::skip_reason`]).
pub(crate) fn skip_reason(case: &Case, shared: &Shared) -> Option<String> {
    crate::runner::skip_reason(case, &shared.opts.profile, shared.opts.admin.is_some())
}

/// Run one case to its result.
pub(crate) async fn run_case(case: &Case, shared: &Shared) -> CaseResult {
    if let Some(reason) = skip_reason(case, shared) {
        return not_run(case, shared, Outcome::Skip, reason, Vec::new());
    }
    let started = Instant::now();
    let mut run = CaseSteps {
        cx: CaseRun::new(case, shared),
        last_sync: None,
        last_login: None,
        last_response: None,
        logins: LoginMemory::default(),
    };
    let stop = match tokio::time::timeout(shared.opts.case_timeout, run.steps()).await {
        Ok(r) => r.err(),
        Err(_) => Some(Stop::Error(format!(
            "case did not finish within {:?}",
            shared.opts.case_timeout
        ))),
    };
    let log = std::mem::take(&mut run.cx.log);
    let mut result = finished(case, shared, stop, log);
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // After the verdict, in the case's own task (so `--jobs` bounds it too).
    if !shared.opts.keep {
        let done = run.cx.clean_up().await;
        if let Ok(mut total) = shared.cleanup.lock() {
            total.merge(done);
        }
    }
    result
}

/// The result of a case that ran: an error when it stopped on one, else pass, or fail or
/// warn by its level, with the first mismatch as the reason.
fn finished(case: &Case, shared: &Shared, stop: Option<Stop>, log: CaseLog) -> CaseResult {
    let (outcome, reason) = match stop {
        Some(Stop::Error(e)) => (Outcome::Error, Some(e)),
        _ if log.mismatches.is_empty() => (Outcome::Pass, None),
        _ => {
            let m = &log.mismatches[0];
            let reason = format!(
                "step {}: {}: expected {}, observed {}",
                m.step, m.check, m.expected, m.observed
            );
            let outcome = match case.scenario.scenario.level {
                Level::Must => Outcome::Fail,
                Level::Should | Level::Info => Outcome::Warn,
            };
            (outcome, Some(reason))
        }
    };
    let mut result = not_run(case, shared, outcome, String::new(), log.transcript);
    result.reason = reason;
    result.mismatches = log.mismatches;
    result.notes = log.notes;
    result
}

/// A case's steps in order, with what later steps read back of earlier ones.
struct CaseSteps<'a> {
    cx: CaseRun<'a>,
    last_sync: Option<LastSync>,
    last_login: Option<LoginResult>,
    /// The answer to the last `request` step and its transcript entry.
    last_response: Option<(u64, Answer)>,
    /// Sessions kept and the last AuthnRequest, for later login steps and checks.
    logins: LoginMemory,
}

impl CaseSteps<'_> {
    async fn steps(&mut self) -> Result<(), Stop> {
        let case = self.cx.case;
        let steps = &case.scenario.scenario.steps;
        let mut failed = false;
        for (i, step) in steps.iter().enumerate() {
            self.cx.set_step(i + 1);
            let before = self.cx.log.mismatches.len();
            self.one(step).await?;
            if self.cx.log.mismatches.len() > before {
                failed = true;
                // Later checks are still worth reporting while only reads remain; a step
                // that acts on the target could mislead after a failure, so stop there.
                if !steps[i + 1..].iter().all(only_reads) {
                    return Err(Stop::Failed);
                }
            }
        }
        if failed {
            return Err(Stop::Failed);
        }
        Ok(())
    }

    async fn one(&mut self, step: &Step) -> Result<(), Stop> {
        if self.cx.directory_step(step)? {
            return Ok(());
        }
        match step {
            Step::Sync(s) => {
                if s.restart {
                    self.cx.engine.restart();
                }
                if let Some(forms) = &s.forms {
                    self.cx.engine.set_forms(forms);
                }
                self.sync(s.allow_errors).await
            }
            Step::Login(l) => {
                self.last_login = Some(login::login(&mut self.cx, l, &mut self.logins).await?);
                Ok(())
            }
            Step::Request(r) => {
                self.last_response = Some(self.cx.request(r).await?);
                Ok(())
            }
            Step::Concurrent(rs) => {
                self.last_response = Some(self.cx.concurrent(rs).await?);
                Ok(())
            }
            Step::SetConfig(c) => self.cx.set_config(c).await,
            Step::SeedAppUser(a) => self.cx.seed_app_user(a).await,
            Step::Expect(e) => self.expect(e).await,
            _ => Err(self
                .cx
                .step_err(format!("step `{}` did not run", step.kind()))),
        }
    }

    /// One cycle of the persona; its exchanges go to the transcript as they are (moved,
    /// not copied), then the target ids it learnt are kept.
    async fn sync(&mut self, allow_errors: bool) -> Result<(), Stop> {
        let cx = &mut self.cx;
        let mut report = cx.engine.cycle(&cx.dir).await;
        let exchanges = std::mem::take(&mut report.exchanges);
        let mut last = LastSync {
            exchanges: exchanges.len(),
            errors: report.errors.len(),
            last_status: None,
            last_n: None,
        };
        for ex in exchanges {
            last.last_status = ex.status;
            last.last_n = Some(cx.record(Source::Persona, ex));
        }
        cx.learn_target_ids();
        let last_n = last.last_n;
        self.last_sync = Some(last);
        let stops = |i: &&idp::SyncIssue| {
            matches!(i.code, idp::IssueCode::Timeout | idp::IssueCode::Transport)
        };
        if let Some(issue) = report.errors.iter().find(stops) {
            return Err(cx.step_err(format!("sync: {issue}")));
        }
        if !allow_errors && !report.errors.is_empty() {
            let mut observed: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
            if report.errors.iter().any(conflict) {
                observed.push(SEED_HINT.to_owned());
            }
            cx.mismatch(
                format!("sync by {}", cx.case.persona),
                "a cycle without errors".to_owned(),
                observed.join("; "),
                last_n,
            );
        }
        Ok(())
    }

    /// `expect`: each given part, in the order the scenario model lists them.
    async fn expect(&mut self, e: &Expect) -> Result<(), Stop> {
        let step = self.cx.step_no();
        if let Some(u) = &e.user {
            self.expect_user(u).await?;
        }
        if let Some(a) = &e.app_user {
            if let Some(found) = observe::read_app_user(&mut self.cx, &a.login).await? {
                let what = format!("app user {}", a.login);
                let want = a.state();
                for note in expect::app_user_unobserved(&what, &want, &found) {
                    self.cx.note(note);
                }
                let found = expect::app_user(step, &what, &want, &self.cx.tag, &found);
                self.cx.mismatches(found);
            }
        }
        if let Some(t) = &e.team {
            self.expect_team(t).await?;
        }
        if let Some(l) = &e.login {
            self.expect_login(l)?;
        }
        if let Some(r) = &e.response {
            self.cx
                .expect_response(r, self.last_response.as_ref())
                .await?;
        }
        if let Some(p) = &e.paging {
            paging::expect_paging(&mut self.cx, p).await?;
        }
        if let Some(want) = &e.session {
            let probe = login::probe_session(&mut self.cx, &self.logins, &want.key).await?;
            self.cx
                .mismatches(expect::session(step, want, probe.as_ref()));
        }
        if e.last_status.is_some() || e.requests.is_some() || e.sync_errors.is_some() {
            let Some(last) = &self.last_sync else {
                return Err(self.cx.step_err("expect: no earlier sync".to_owned()));
            };
            self.cx.mismatches(expect::last_sync(step, e, last));
        }
        Ok(())
    }

    async fn expect_user(&mut self, u: &UserExpect) -> Result<(), Stop> {
        let cx = &mut self.cx;
        let id = cx.user_id(&u.user)?;
        let Some(user) = cx.dir.user(&id).map(std::borrow::Cow::into_owned) else {
            return Err(cx.step_err(format!("user `{}` is not in the directory", u.user)));
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
            let found = observe::read_user(cx, &id, &login).await?;
            let supports = &cx.shared().opts.profile.supports;
            let (fields, unstored): (Vec<_>, Vec<_>) =
                expect::user_fields(u, &user, cx.external_id_of(&user), &cx.tag)
                    .into_iter()
                    .partition(|(pointer, _)| supports.stores(&expect::attribute_label(pointer)));
            for (pointer, _) in unstored {
                let label = expect::attribute_label(pointer);
                cx.note(format!(
                    "{label} not read back: the profile says the target does not store it \
                     ([supports] not_stored)"
                ));
            }
            let step = cx.step_no();
            cx.mismatches(expect::user_resource(step, &what, u, &fields, &found));
        }
        if let Some(app) = &u.app {
            if let Some(found) = observe::read_app_user(cx, &login).await? {
                let what = format!("{what} in the app");
                let step = cx.step_no();
                for note in expect::app_user_unobserved(&what, app, &found) {
                    cx.note(note);
                }
                cx.mismatches(expect::app_user(step, &what, app, &cx.tag, &found));
            }
        }
        Ok(())
    }

    async fn expect_team(&mut self, t: &TeamExpect) -> Result<(), Stop> {
        let cx = &mut self.cx;
        let id = cx.group_id(&t.group)?;
        let name = match (&t.name, cx.dir.group(&id)) {
            (Some(n), _) => cx.expand(n),
            (None, Some(g)) => g.display_name.clone(),
            (None, None) => String::new(),
        };
        let what = format!("group {}", t.group);
        let members: Option<BTreeSet<String>> =
            t.members.as_ref().map(|m| m.iter().cloned().collect());
        let want = TeamWant {
            what: &what,
            name: &name,
            exists: t.exists.unwrap_or(true),
            members: members.as_ref(),
            member_count: t.member_count,
        };
        if scim_group(cx, &id, &want).await? {
            app_team(cx, &want).await?;
        }
        Ok(())
    }

    fn expect_login(&mut self, l: &LoginExpect) -> Result<(), Stop> {
        let Some(last) = &self.last_login else {
            return Err(self
                .cx
                .step_err("expect login: no earlier login".to_owned()));
        };
        let accepted_login = match l.accepted_as.as_ref().or(l.only_as.as_ref()) {
            Some(key) => {
                let id = self.cx.user_id(key)?;
                let user = self.cx.dir.user(&id);
                Some(
                    user.map(|u| u.profile.user_principal_name.clone())
                        .unwrap_or_default(),
                )
            }
            None => None,
        };
        let step = self.cx.step_no();
        let Some(session) = &self.cx.shared().opts.profile.session else {
            return Err(self
                .cx
                .step_err("expect login: the target profile has no [session]".to_owned()));
        };
        let (found, notes) = expect::login(step, l, accepted_login.as_deref(), last, session);
        self.cx.mismatches(found);
        if l.stays_on_site {
            let base = &self.cx.shared().opts.base_url;
            self.cx.mismatches(expect::stays_on_site(step, base, last));
        }
        for note in notes {
            self.cx.note(note);
        }
        Ok(())
    }
}

/// A group read back over SCIM; `false` when its existence was already wrong.
async fn scim_group(cx: &mut CaseRun<'_>, dir_id: &str, want: &TeamWant<'_>) -> Result<bool, Stop> {
    let step = cx.step_no();
    let found = observe::read_group(cx, dir_id, want.name).await?;
    let check = format!("{}: SCIM group exists", want.what);
    let seen = found.resource.is_some();
    let missing = expect::exists(step, check, want.exists, seen, found.exchange);
    if !missing.is_empty() {
        cx.mismatches(missing);
        return Ok(false);
    }
    if let Some(r) = &found.resource {
        let reverse = user_keys_by(cx, |cx, d| cx.ids.user_ids.get(d).cloned());
        cx.mismatches(expect::group_resource(
            step,
            want,
            &reverse,
            r,
            found.exchange,
        ));
    }
    Ok(true)
}

/// A group's team in the app and its members, through the profile's probes.
async fn app_team(cx: &mut CaseRun<'_>, want: &TeamWant<'_>) -> Result<(), Stop> {
    let step = cx.step_no();
    let (Some(by_name), Some(members_path)) = (
        cx.probe(|p| &p.teams_by_name),
        cx.probe(|p| &p.team_members),
    ) else {
        cx.note("team checks in the app not run: the target profile has no [probes] teams_by_name and team_members".to_owned());
        return Ok(());
    };
    let team = observe::search_team(cx, &by_name, want.name, &[200]).await?;
    let check = format!("{}: team exists in the app", want.what);
    let seen = team.resource.is_some();
    let missing = expect::exists(step, check, want.exists, seen, team.exchange);
    if !missing.is_empty() {
        cx.mismatches(missing);
        return Ok(());
    }
    let Some(team) = team.resource else {
        return Ok(());
    };
    if want.members.is_none() && want.member_count.is_none() {
        return Ok(());
    }
    let team_id = team.get("id").map(id_text).unwrap_or_default();
    let (n, logins) = observe::team_member_logins(cx, &members_path, &team_id).await?;
    let by_login = user_keys_by(cx, |cx, d| {
        cx.dir
            .user(d)
            .map(|u| u.profile.user_principal_name.to_lowercase())
    });
    cx.mismatches(expect::team_members(step, want, &by_login, &logins, n));
    Ok(())
}

/// Scenario user keys by what `of` says of their directory id (users it says nothing of
/// are left out).
fn user_keys_by(
    cx: &CaseRun<'_>,
    of: impl Fn(&CaseRun<'_>, &str) -> Option<String>,
) -> BTreeMap<String, String> {
    cx.ids
        .users
        .iter()
        .filter_map(|(k, d)| of(cx, d).map(|v| (v, k.clone())))
        .collect()
}

/// A sync issue that is a `409 Conflict` (a create, rename or member write).
fn conflict(issue: &idp::SyncIssue) -> bool {
    issue.code == idp::IssueCode::Conflict
}

/// A step that only reads the target: an `expect`, or a `request` with `GET`.
fn only_reads(step: &Step) -> bool {
    match step {
        Step::Expect(_) => true,
        Step::Request(r) => r.method.eq_ignore_ascii_case("GET"),
        _ => false,
    }
}
