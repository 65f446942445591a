//! Reading a scenario file: YAML into [`Scenario`], then the references between its
//! steps checked, every error with file, line and column.

use super::{
    json_strings, templates, Expect, Flow, LoginExpect, LoginStep, RawRequest, ResponseExpect,
    Scenario, SetConfig, Step, TEMPLATE_KINDS,
};
use crate::LoadError;

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

/// Parse one scenario file's text; `origin` names it in errors.
pub fn parse_scenario(text: &str, origin: &str, area: &str) -> Result<LoadedScenario, LoadError> {
    let scenario: Scenario = serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        LoadError::Syntax {
            file: origin.to_owned(),
            line,
            column,
            message: idp::strip_location(&e.to_string()),
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

/// What earlier steps of a scenario created, for the references of later ones.
#[derive(Default)]
struct Known<'s> {
    users: Vec<&'s str>,
    /// Keys of generated users (`{prefix}{n}`), usable in templates.
    generated: Vec<String>,
    groups: Vec<&'s str>,
    /// `seed_app_user` keys.
    seeded: Vec<&'s str>,
    /// A `request` step came before (for `expect: {response}`).
    requested: bool,
}

impl LoadedScenario {
    /// The file's text as loaded (the report's catalogue digest covers it).
    pub fn text(&self) -> &str {
        &self.text
    }

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
        if s.personas.as_ref().is_some_and(Vec::is_empty) {
            return Err(self.key_error(
                "personas",
                "personas is empty; omit it for every persona".to_owned(),
            ));
        }
        let mut known = Known::default();
        for (i, step) in s.steps.iter().enumerate() {
            self.validate_step(i, step, &mut known)?;
        }
        Ok(())
    }

    fn need_user(&self, i: usize, known: &Known<'_>, u: &str) -> Result<(), LoadError> {
        if known.users.contains(&u) {
            Ok(())
        } else {
            Err(self.step_error(i, format!("user `{u}` is not added by an earlier step")))
        }
    }

    fn need_group(&self, i: usize, known: &Known<'_>, g: &str) -> Result<(), LoadError> {
        if known.groups.contains(&g) {
            Ok(())
        } else {
            Err(self.step_error(i, format!("group `{g}` is not created by an earlier step")))
        }
    }

    /// Step `i` against what the earlier steps created; records what it creates.
    fn validate_step<'s>(
        &'s self,
        i: usize,
        step: &'s Step,
        known: &mut Known<'s>,
    ) -> Result<(), LoadError> {
        match step {
            Step::AddUser(u) => {
                if known.users.contains(&u.user.as_str()) {
                    return Err(self.step_error(i, format!("user `{}` is added twice", u.user)));
                }
                known.users.push(&u.user);
            }
            Step::UpdateUser(u) => self.need_user(i, known, &u.user)?,
            Step::DisableUser(u)
            | Step::EnableUser(u)
            | Step::SoftDeleteUser(u)
            | Step::RestoreUser(u)
            | Step::HardDeleteUser(u) => self.need_user(i, known, u)?,
            Step::CreateGroup(g) => {
                if known.groups.contains(&g.group.as_str()) {
                    return Err(self.step_error(i, format!("group `{}` is created twice", g.group)));
                }
                known.groups.push(&g.group);
            }
            Step::RenameGroup(g) => self.need_group(i, known, &g.group)?,
            Step::DeleteGroup(g) => self.need_group(i, known, g)?,
            Step::AddMember(m) | Step::RemoveMember(m) => {
                self.need_group(i, known, &m.group)?;
                self.need_user(i, known, &m.user)?;
            }
            Step::GenerateUsers(g) => {
                known
                    .generated
                    .extend((1..=g.count).map(|n| format!("{}{n}", g.prefix)));
                if let Some(group) = &g.group {
                    self.need_group(i, known, group)?;
                }
                if g.prefix.is_empty() || g.count == 0 {
                    return Err(self
                        .step_error(i, "count must be positive and prefix non-empty".to_owned()));
                }
            }
            Step::Sync(_) => {}
            Step::Login(l) => self.validate_login(i, l, known)?,
            Step::Request(r) => {
                self.validate_request(i, r, known)?;
                known.requested = true;
            }
            Step::Concurrent(rs) => {
                if rs.is_empty() {
                    return Err(
                        self.step_error(i, "concurrent needs at least one request".to_owned())
                    );
                }
                for r in rs {
                    self.validate_request(i, r, known)?;
                }
                known.requested = true;
            }
            Step::SetConfig(c) => self.validate_set_config(i, c)?,
            Step::SeedAppUser(a) => {
                if a.login.trim().is_empty() || a.email.trim().is_empty() {
                    return Err(self.step_error(i, "login and email must be non-empty".to_owned()));
                }
                known.seeded.push(a.key.as_deref().unwrap_or(&a.login));
            }
            Step::Expect(e) => self.validate_expect(i, e, known)?,
        }
        Ok(())
    }

    fn validate_login(&self, i: usize, l: &LoginStep, known: &Known<'_>) -> Result<(), LoadError> {
        self.need_user(i, known, &l.user)?;
        if let Some(a) = &l.attack {
            a.parse::<saml::Attack>()
                .map_err(|e| self.step_error(i, e.to_string()))?;
        }
        if l.reuse_request
            && !(self.scenario.steps[..i].iter()).any(|s| matches!(s, Step::Login(_)))
        {
            return Err(self.step_error(
                i,
                "reuse_request: no earlier login whose request it could answer again".to_owned(),
            ));
        }
        if l.reuse_request && (l.flow == Some(Flow::IdpInitiated) || l.relay_state.is_some()) {
            return Err(self.step_error(
                i,
                "reuse_request answers an earlier AuthnRequest: no flow or relay_state".to_owned(),
            ));
        }
        if let Some(v) = &l.victim {
            self.need_user(i, known, v)?;
            if l.attack.is_none() {
                return Err(
                    self.step_error(i, format!("victim `{v}` needs an `attack` to forge it"))
                );
            }
        }
        Ok(())
    }

    fn validate_request(
        &self,
        i: usize,
        r: &RawRequest,
        known: &Known<'_>,
    ) -> Result<(), LoadError> {
        if r.method.is_empty() || !r.method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.step_error(
                i,
                format!("method `{}` must be an upper-case HTTP method", r.method),
            ));
        }
        if !r.path.starts_with('/') {
            return Err(self.step_error(i, format!("path `{}` must start with `/`", r.path)));
        }
        self.check_templates(i, &r.strings(), known)
    }

    fn validate_set_config(&self, i: usize, c: &SetConfig) -> Result<(), LoadError> {
        if !self.scenario.exclusive {
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
                "with expect_refused, give either team_sync or SCIM settings, not both".to_owned(),
            ));
        }
        Ok(())
    }

    fn validate_expect(&self, i: usize, e: &Expect, known: &Known<'_>) -> Result<(), LoadError> {
        if let Some(r) = &e.response {
            self.validate_response(i, r, known)?;
        }
        if let Some(u) = &e.user {
            self.need_user(i, known, &u.user)?;
        }
        if let Some(t) = &e.team {
            self.need_group(i, known, &t.group)?;
            for m in t.members.iter().flatten() {
                self.need_user(i, known, m)?;
            }
        }
        if let Some(l) = &e.login {
            self.validate_login_expect(i, l, known)?;
        }
        if let Some(kept) = &e.session {
            let keeps = |s: &Step| matches!(s, Step::Login(l) if l.keep_session.as_ref() == Some(&kept.key));
            if !self.scenario.steps[..i].iter().any(keeps) {
                return Err(self.step_error(
                    i,
                    format!(
                        "session: no earlier login keeps a session as `{}`",
                        kept.key
                    ),
                ));
            }
        }
        if let Some(p) = &e.paging {
            if !self.scenario.exclusive {
                return Err(self.step_error(
                    i,
                    "paging reads the whole list, which other cases would change meanwhile: \
                     the scenario must say `exclusive: true`"
                        .to_owned(),
                ));
            }
            for u in &p.includes {
                if !known.generated.contains(u) {
                    self.need_user(i, known, u)?;
                }
            }
        }
        if *e == Expect::default() {
            return Err(self.step_error(i, "expect checks nothing".to_owned()));
        }
        Ok(())
    }

    fn validate_response(
        &self,
        i: usize,
        r: &ResponseExpect,
        known: &Known<'_>,
    ) -> Result<(), LoadError> {
        if !known.requested {
            return Err(self.step_error(i, "response: no earlier request step".to_owned()));
        }
        if *r == ResponseExpect::default() {
            return Err(self.step_error(i, "response checks nothing".to_owned()));
        }
        let mut texts = Vec::new();
        for v in r.json.values() {
            json_strings(v, &mut texts);
        }
        self.check_templates(i, &texts, known)?;
        for pointer in r
            .json
            .keys()
            .chain(r.json_type.keys())
            .chain(r.json_type_if_present.keys())
            .chain(&r.absent)
        {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(self.step_error(
                    i,
                    format!("`{pointer}` is not a JSON pointer (RFC 6901): start it with `/`"),
                ));
            }
        }
        Ok(())
    }

    fn validate_login_expect(
        &self,
        i: usize,
        l: &LoginExpect,
        known: &Known<'_>,
    ) -> Result<(), LoadError> {
        for u in l.accepted_as.iter().chain(&l.only_as) {
            self.need_user(i, known, u)?;
        }
        let given = usize::from(l.accepted_as.is_some())
            + usize::from(l.rejected.is_some())
            + usize::from(l.refused)
            + usize::from(l.only_as.is_some());
        if given > 1 || (given == 0 && !l.stays_on_site) {
            return Err(self.step_error(
                i,
                "login: give exactly one of accepted_as, rejected, refused and only_as (or only \
                 stays_on_site)"
                    .to_owned(),
            ));
        }
        if !self.scenario.steps[..i]
            .iter()
            .any(|s| matches!(s, Step::Login(_)))
        {
            return Err(self.step_error(i, "login: no earlier login step".to_owned()));
        }
        Ok(())
    }

    /// Every `{kind:KEY}` template in `texts` names a known kind and a user, group or
    /// seeded app user created by an earlier step.
    fn check_templates(
        &self,
        i: usize,
        texts: &[&str],
        known: &Known<'_>,
    ) -> Result<(), LoadError> {
        let users: Vec<&str> = known
            .users
            .iter()
            .copied()
            .chain(known.generated.iter().map(String::as_str))
            .collect();
        let (groups, seeded) = (&known.groups, &known.seeded);
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
