//! The context of one running case: who it is (case, persona, tag), its own
//! [`idp::Directory`] and sync engine, the ids its steps created, and its record
//! (transcript, mismatches, notes). Every exchange a step sends is recorded here.

use std::collections::BTreeMap;

use idp::PersonaId;

use crate::catalogue::{Case, TargetConfig};
use crate::event::{Mismatch, Source, TranscriptEntry};
use crate::http::{Answer, Request};
use crate::options::Shared;
use crate::profile::Probes;

/// Why a case stopped early.
pub(crate) enum Stop {
    /// Expectations did not hold (recorded in the mismatches).
    Failed,
    /// A harness or transport problem.
    Error(String),
}

/// Said with a `409` the case did not expect: on a target that works, the usual cause is
/// a leftover of an earlier run, because created names carry the run's seed.
pub(crate) const SEED_HINT: &str = "hint: the target already holds a name this case creates; \
created names carry the run's seed, so an earlier run with the same --seed may have left it \
(remove it, or run with another --seed)";

/// A short tag, unique per seed and case id: base-36 of an FNV-1a hash.
pub fn case_tag(seed: u64, case_id: &str) -> String {
    let mut h = idp::fnv(case_id, seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut out = String::new();
    for _ in 0..7 {
        let d = (h % 36) as u32;
        out.push(char::from_digit(d, 36).unwrap_or('0'));
        h /= 36;
    }
    out
}

/// A GUID-shaped id derived from the case tag and a key (Entra object ids are GUIDs).
pub(crate) fn guid(tag: &str, key: &str) -> String {
    idp::guid_from(&format!("{tag}/{key}"), 1)
}

/// The ids a case's steps created: scenario keys to directory ids, and directory ids to
/// the ids the target gave them.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    /// Scenario user key → directory id.
    pub users: BTreeMap<String, String>,
    /// Scenario group key → directory id.
    pub groups: BTreeMap<String, String>,
    /// Target ids the engine learnt, kept after it forgets them (deletes).
    pub user_ids: BTreeMap<String, String>,
    pub group_ids: BTreeMap<String, String>,
}

/// What a case leaves for its result.
#[derive(Debug, Default)]
pub(crate) struct CaseLog {
    pub transcript: Vec<TranscriptEntry>,
    pub mismatches: Vec<Mismatch>,
    pub notes: Vec<String>,
}

/// The running state of one case.
pub(crate) struct CaseRun<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) case: &'a Case,
    pub tag: String,
    /// The step running now (1-based).
    step: usize,
    pub(crate) dir: idp::Directory,
    pub(crate) engine: idp::SyncEngine,
    pub(crate) ids: Ids,
    pub(crate) log: CaseLog,
    /// The settings the case runs under now (its config, then `set_config` steps).
    pub(crate) current: TargetConfig,
    /// `seed_app_user` key → the app's user id.
    pub(crate) seeded: BTreeMap<String, i64>,
}

impl<'a> CaseRun<'a> {
    /// A case before its first step, with an engine of its persona aimed at the target.
    pub(crate) fn new(case: &'a Case, shared: &'a Shared) -> CaseRun<'a> {
        let opts = &shared.opts;
        let mut target = idp::ScimTarget::new(opts.profile.scim_base(Some(&opts.base_url)), "");
        target.credential = opts.credential.clone();
        target.connector = Some(shared.connector.clone());
        target.timeout = opts.request_timeout;
        target.max_retry_wait = std::time::Duration::from_millis(500);
        target.rate_limit_attempts = Some(2);
        target.server_error_backoff = std::time::Duration::from_millis(50);
        CaseRun {
            shared,
            case,
            tag: case_tag(opts.seed, &case.id),
            step: 0,
            dir: idp::Directory::new(),
            engine: idp::SyncEngine::new(case.persona, target),
            ids: Ids::default(),
            log: CaseLog::default(),
            current: case.config.values,
            seeded: BTreeMap::new(),
        }
    }

    pub(crate) fn shared(&self) -> &'a Shared {
        self.shared
    }

    pub(crate) fn persona(&self) -> PersonaId {
        self.case.persona
    }

    pub(crate) fn step_no(&self) -> usize {
        self.step
    }

    pub(crate) fn set_step(&mut self, step: usize) {
        self.step = step;
    }

    /// `text` with `{tag}` replaced by the case's tag.
    pub(crate) fn expand(&self, text: &str) -> String {
        text.replace("{tag}", &self.tag)
    }

    /// A harness error at the current step.
    pub(crate) fn step_err(&self, message: String) -> Stop {
        Stop::Error(format!("step {}: {message}", self.step))
    }

    pub(crate) fn dir_err(&self, e: idp::DirectoryError) -> Stop {
        self.step_err(format!("directory: {e}"))
    }

    /// A `[probes]` path of the profile, when it has one.
    pub(crate) fn probe(&self, which: impl Fn(&Probes) -> &Option<String>) -> Option<String> {
        let probes = self.shared.opts.profile.probes.as_ref()?;
        which(probes).clone()
    }

    // ---- the record --------------------------------------------------------------------

    /// Keep an exchange; returns its transcript number.
    pub(crate) fn record(&mut self, source: Source, exchange: idp::Exchange) -> u64 {
        let n = self.log.transcript.len() as u64 + 1;
        self.log.transcript.push(TranscriptEntry::Http {
            n,
            step: self.step,
            source,
            exchange: Box::new(exchange),
        });
        n
    }

    /// Keep a SAML document the IdP issued; returns its transcript number.
    pub(crate) fn record_saml(&mut self, attack: Option<String>, xml: String) -> u64 {
        let n = self.log.transcript.len() as u64 + 1;
        self.log.transcript.push(TranscriptEntry::Saml {
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
        self.log.mismatches.push(Mismatch {
            step: self.step,
            check,
            expected,
            observed,
            exchange,
        });
    }

    /// Keep what an expectation check found.
    pub(crate) fn mismatches(&mut self, found: Vec<Mismatch>) {
        self.log.mismatches.extend(found);
    }

    /// A check that could not run against this profile (once per text).
    pub(crate) fn note(&mut self, text: String) {
        if !self.log.notes.contains(&text) {
            self.log.notes.push(text);
        }
    }

    /// Send a request and record it as `source`; the answer, or why none came.
    pub(crate) async fn send(
        &mut self,
        source: Source,
        req: &Request,
    ) -> (u64, Result<Answer, String>) {
        let (ex, answer) = self.shared.client.send(req).await;
        (self.record(source, ex), answer)
    }

    pub(crate) async fn send_login(&mut self, req: &Request) -> Result<(u64, Answer), String> {
        let (n, answer) = self.send(Source::Login, req).await;
        answer.map(|a| (n, a))
    }

    // ---- the directory -------------------------------------------------------------------

    pub(crate) fn user_id(&self, key: &str) -> Result<String, Stop> {
        self.ids
            .users
            .get(key)
            .cloned()
            .ok_or_else(|| self.step_err(format!("user `{key}` is not in the directory")))
    }

    /// The SCIM id the persona learnt for user `key`; `asker` opens the error.
    pub(crate) fn target_user_id(&self, key: &str, asker: &str) -> Result<String, Stop> {
        let dir = self.user_id(key)?;
        self.ids.user_ids.get(&dir).cloned().ok_or_else(|| {
            self.step_err(format!(
                "{asker}: user `{key}` has no SCIM id on the target (not synced yet?)"
            ))
        })
    }

    pub(crate) fn group_id(&self, key: &str) -> Result<String, Stop> {
        self.ids
            .groups
            .get(key)
            .cloned()
            .ok_or_else(|| self.step_err(format!("group `{key}` is not in the directory")))
    }

    pub(crate) fn directory_user(&self, key: &str) -> Option<idp::DirUser> {
        self.ids
            .users
            .get(key)
            .and_then(|id| self.dir.user(id))
            .map(std::borrow::Cow::into_owned)
    }

    /// Display names of the (live) groups the user is in.
    pub(crate) fn groups_of(&self, dir_id: &str) -> Vec<String> {
        self.dir.group_names_of(dir_id)
    }

    /// The `externalId` the case's persona sends for `user`.
    pub(crate) fn external_id_of(&self, user: &idp::DirUser) -> String {
        self.case.persona.external_id(user)
    }

    /// Copy the target ids the engine learnt into [`Ids`], where they outlive deletes.
    pub(crate) fn learn_target_ids(&mut self) {
        for u in self.dir.users() {
            if let Some(t) = self.engine.user_target_id(&u.id) {
                self.ids.user_ids.insert(u.id.clone(), t.to_owned());
            }
        }
        for g in self.dir.groups() {
            if let Some(t) = self.engine.group_target_id(&g.id) {
                self.ids.group_ids.insert(g.id.clone(), t.to_owned());
            }
        }
    }
}
