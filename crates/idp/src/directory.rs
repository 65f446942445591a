//! The IdP's own view of people and groups, loaded from YAML and mutated by scenario steps.
//!
//! A [`Directory`] is persona-neutral: every user carries both an Entra object id (`id`)
//! and an Okta user id (`okta_id`, `00u…`), and each persona picks the one its product
//! would send as `externalId` (entra-scim.md §5 "Mapping required by Grafana": `objectId`;
//! okta-scim.md §3 "Assign user": the Okta user id).
//!
//! Deleted objects stay as tombstones (`hard_deleted`) so that the sync engine can tell
//! "deleted since the last cycle" from "never existed".

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

mod store;

pub use store::Members;
pub(crate) use store::UserIndex;
use store::{generated_user, Block, IdIndex, Place, Segment, Users};

/// What a directory operation failed on.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("reading directory {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A YAML syntax or shape error, with the position serde_norway reports.
    #[error("parsing directory {origin}: line {line}, column {column}: {message}")]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("loading directory {origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("no user with id `{0}` in the directory")]
    UnknownUser(String),
    #[error("no group with id `{0}` in the directory")]
    UnknownGroup(String),
    #[error("a user or group with id `{0}` already exists in the directory")]
    Duplicate(String),
    #[error("user `{0}` is hard-deleted and cannot be changed")]
    HardDeleted(String),
    #[error("generating users: pattern `{0}` has no `{{n}}` placeholder")]
    BadPattern(String),
    #[error("a directory holds at most {} users", u32::MAX)]
    TooMany,
}

/// The attributes of a person that a persona maps to SCIM (entra-scim.md §5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserProfile {
    /// Entra `userPrincipalName`, Okta `login`; SCIM `userName` for every persona.
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub employee_id: Option<String>,
    /// Directory id of the manager.
    pub manager: Option<String>,
    /// Entra `preferredLanguage` (entra-scim.md §5 default mapping).
    pub preferred_language: Option<String>,
    /// Entra `telephoneNumber` → `phoneNumbers[type eq "work"].value` (§5).
    pub business_phone: Option<String>,
    /// Entra `mobile` → `phoneNumbers[type eq "mobile"].value` (§5).
    pub mobile_phone: Option<String>,
    /// Entra `physicalDeliveryOfficeName` → `addresses[type eq "work"].formatted` (§5).
    pub office_location: Option<String>,
}

/// One person in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirUser {
    /// Entra object id (a GUID in real tenants; any string here).
    pub id: String,
    /// Okta user id (`00u…`); derived from `id` when the file does not give one.
    pub okta_id: String,
    pub profile: UserProfile,
    /// Entra `accountEnabled`; Okta user status ACTIVE.
    pub enabled: bool,
    /// In the recycle bin (Entra) or deactivated (Okta); entra-scim.md §1.5.
    pub soft_deleted: bool,
    /// Permanently deleted; entra-scim.md §1.6. A tombstone: no further change is allowed.
    pub hard_deleted: bool,
    /// Assigned to the app (in provisioning scope).
    pub assigned: bool,
}

impl DirUser {
    /// A new, enabled, assigned user with only a login; fill the rest through `profile`.
    pub fn new(id: impl Into<String>, user_principal_name: impl Into<String>) -> DirUser {
        let id = id.into();
        DirUser {
            okta_id: derive_okta_id(&id),
            id,
            profile: UserProfile {
                user_principal_name: user_principal_name.into(),
                ..UserProfile::default()
            },
            enabled: true,
            soft_deleted: false,
            hard_deleted: false,
            assigned: true,
        }
    }

    /// Whether the IdP wants this user active in the target: assigned, enabled and not
    /// deleted (entra-scim.md §1.5: all other cases become `active=false`).
    pub fn is_active(&self) -> bool {
        self.assigned && self.enabled && !self.soft_deleted && !self.hard_deleted
    }
}

/// One group in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGroup {
    /// Entra object id of the group; also used as the Okta group id.
    pub id: String,
    pub display_name: String,
    /// The member users, in insertion order.
    pub members: Members,
    /// Assigned to the app (Entra) or on the Push Groups tab (Okta, okta-scim.md §4).
    pub pushed: bool,
    /// Deleted in the IdP; a tombstone the sync turns into `DELETE /Groups/{id}`.
    pub deleted: bool,
}

impl DirGroup {
    /// A new pushed group without members.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> DirGroup {
        DirGroup {
            id: id.into(),
            display_name: display_name.into(),
            members: Members::default(),
            pushed: true,
            deleted: false,
        }
    }
}

/// How to generate many users at once (the `generate:` directive of a group in YAML).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    /// How many users.
    pub count: usize,
    /// The login of each, with `{n}` (1-based) or `{n:03}` (zero-padded) for the number,
    /// e.g. `load.user{n:03}@contoso.example`. The mail is the same string.
    pub pattern: String,
}

impl Generate {
    /// The directory id of the `n`-th generated user (1-based): GUID-shaped, derived
    /// from the pattern and the number, so it is stable and needs no list of ids.
    pub fn user_id(&self, n: usize) -> String {
        guid_from(&format!("{}#{n}", self.pattern), 0)
    }
}

/// The IdP's people and groups, in a stable order.
///
/// Generated users are not stored: a block keeps its pattern and count and makes each
/// user when asked; a change to one stores that user whole (`overrides`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    users: Users,
    /// Generated users changed since they were generated, by position.
    overrides: HashMap<UserIndex, DirUser>,
    index: IdIndex,
    groups: Vec<DirGroup>,
}

// ---- YAML file shape -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    #[serde(default)]
    users: Vec<UserEntry>,
    #[serde(default)]
    groups: Vec<GroupEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UserEntry {
    id: String,
    #[serde(default)]
    okta_id: Option<String>,
    user_principal_name: String,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    surname: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    job_title: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    employee_id: Option<String>,
    #[serde(default)]
    manager: Option<String>,
    #[serde(default)]
    preferred_language: Option<String>,
    #[serde(default)]
    business_phone: Option<String>,
    #[serde(default)]
    mobile_phone: Option<String>,
    #[serde(default)]
    office_location: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    soft_deleted: bool,
    #[serde(default)]
    hard_deleted: bool,
    #[serde(default = "yes")]
    assigned: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GroupEntry {
    id: String,
    display_name: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default = "yes")]
    pushed: bool,
    #[serde(default)]
    generate: Option<Generate>,
}

fn yes() -> bool {
    true
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Directory {
        Directory::default()
    }

    /// Load a directory from a YAML file (see `fixtures/directory.yaml`).
    pub fn load(path: impl AsRef<Path>) -> Result<Directory, DirectoryError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Directory::from_yaml(&text, &path.display().to_string())
    }

    /// Parse a directory from YAML text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Directory, DirectoryError> {
        let file: DirectoryFile = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            DirectoryError::Parse {
                origin: origin.to_owned(),
                line,
                column,
                message: strip_location(&e.to_string()),
            }
        })?;
        let invalid = |message: String| DirectoryError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let mut dir = Directory::new();
        for (i, u) in file.users.into_iter().enumerate() {
            let okta_id = u.okta_id.unwrap_or_else(|| derive_okta_id(&u.id));
            let user = DirUser {
                id: u.id,
                okta_id,
                profile: UserProfile {
                    user_principal_name: u.user_principal_name,
                    mail: u.mail,
                    given_name: u.given_name,
                    surname: u.surname,
                    display_name: u.display_name,
                    job_title: u.job_title,
                    department: u.department,
                    employee_id: u.employee_id,
                    manager: u.manager,
                    preferred_language: u.preferred_language,
                    business_phone: u.business_phone,
                    mobile_phone: u.mobile_phone,
                    office_location: u.office_location,
                },
                enabled: u.enabled,
                soft_deleted: u.soft_deleted,
                hard_deleted: u.hard_deleted,
                assigned: u.assigned,
            };
            dir.add_user(user)
                .map_err(|e| invalid(format!("users[{i}]: {e}")))?;
        }
        for (i, g) in file.groups.into_iter().enumerate() {
            let mut group = DirGroup::new(g.id, g.display_name);
            group.pushed = g.pushed;
            let id = group.id.clone();
            dir.create_group(group)
                .map_err(|e| invalid(format!("groups[{i}]: {e}")))?;
            for m in g.members {
                dir.add_member(&id, &m)
                    .map_err(|e| invalid(format!("groups[{i}] members: {e}")))?;
            }
            if let Some(spec) = g.generate {
                dir.generate_members(&id, &spec)
                    .map_err(|e| invalid(format!("groups[{i}] generate: {e}")))?;
            }
        }
        for u in dir.users() {
            if let Some(m) = &u.profile.manager {
                if dir.user(m).is_none() {
                    return Err(invalid(format!(
                        "user `{}`: manager `{m}` is not a user in the directory",
                        u.id
                    )));
                }
            }
        }
        Ok(dir)
    }

    /// How many users, tombstones included.
    pub fn user_count(&self) -> usize {
        self.users.total as usize
    }

    /// Every user, tombstones included, in insertion order. Generated users are made as
    /// the iterator reaches them.
    pub fn users(&self) -> UserIter<'_> {
        UserIter { dir: self, next: 0 }
    }

    /// The user at position `i` of the insertion order.
    pub(crate) fn user_at(&self, i: UserIndex) -> Option<Cow<'_, DirUser>> {
        Some(match self.users.place(i)? {
            Place::Explicit(k) => Cow::Borrowed(&self.users.explicit[k]),
            Place::Generated(b, n) => match self.overrides.get(&i) {
                Some(u) => Cow::Borrowed(u),
                None => Cow::Owned(generated_user(&self.users.blocks[b].pattern, n)),
            },
        })
    }

    /// Every group, tombstones included, in insertion order.
    pub fn groups(&self) -> &[DirGroup] {
        &self.groups
    }

    pub fn user(&self, id: &str) -> Option<Cow<'_, DirUser>> {
        self.user_at(self.index.find(&self.users, id)?)
    }

    pub fn group(&self, id: &str) -> Option<&DirGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The user whose `userPrincipalName` is `login` (ASCII case-insensitive).
    pub fn user_by_login(&self, login: &str) -> Option<Cow<'_, DirUser>> {
        self.users()
            .find(|u| u.profile.user_principal_name.eq_ignore_ascii_case(login))
    }

    /// The user a KEY names, as `idp serve`'s pages and API take one: the directory `id`,
    /// else the `userPrincipalName` (ASCII case-insensitive). Tombstones included.
    pub fn user_by_key(&self, key: &str) -> Option<Cow<'_, DirUser>> {
        self.user(key).or_else(|| self.user_by_login(key))
    }

    /// The members of `group` as users, in insertion order.
    pub fn members_of<'d>(
        &'d self,
        group: &'d DirGroup,
    ) -> impl Iterator<Item = Cow<'d, DirUser>> + 'd {
        group.members.indices().filter_map(|i| self.user_at(i))
    }

    /// Display names of the live groups user `id` is a member of, in directory order (the
    /// groups claim of a login).
    pub fn group_names_of(&self, id: &str) -> Vec<String> {
        let Some(at) = self.index.find(&self.users, id) else {
            return Vec::new();
        };
        self.groups
            .iter()
            .filter(|g| !g.deleted && g.members.contains(at))
            .map(|g| g.display_name.clone())
            .collect()
    }

    /// The group named `display_name` that is not deleted.
    pub fn group_by_name(&self, display_name: &str) -> Option<&DirGroup> {
        self.groups
            .iter()
            .find(|g| !g.deleted && g.display_name == display_name)
    }

    fn user_mut(&mut self, id: &str) -> Result<&mut DirUser, DirectoryError> {
        let unknown = || DirectoryError::UnknownUser(id.to_owned());
        let at = self.index.find(&self.users, id).ok_or_else(unknown)?;
        let user = match self.users.place(at).ok_or_else(unknown)? {
            Place::Explicit(k) => &mut self.users.explicit[k],
            Place::Generated(b, n) => {
                let pattern = &self.users.blocks[b].pattern;
                self.overrides
                    .entry(at)
                    .or_insert_with(|| generated_user(pattern, n))
            }
        };
        if user.hard_deleted {
            return Err(DirectoryError::HardDeleted(id.to_owned()));
        }
        Ok(user)
    }

    fn group_mut(&mut self, id: &str) -> Result<&mut DirGroup, DirectoryError> {
        self.groups
            .iter_mut()
            .find(|g| g.id == id && !g.deleted)
            .ok_or_else(|| DirectoryError::UnknownGroup(id.to_owned()))
    }

    /// Add a user ("Alice joins").
    pub fn add_user(&mut self, user: DirUser) -> Result<(), DirectoryError> {
        if self.users.total == u32::MAX {
            return Err(DirectoryError::TooMany);
        }
        if self.index.find(&self.users, &user.id).is_some() {
            return Err(DirectoryError::Duplicate(user.id));
        }
        let id = user.id.clone();
        let at = self.users.push(user);
        self.index.insert(&self.users, &id, at);
        Ok(())
    }

    /// Change profile attributes ("Alice changes her name").
    pub fn update_user(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut UserProfile),
    ) -> Result<(), DirectoryError> {
        let user = self.user_mut(id)?;
        change(&mut user.profile);
        Ok(())
    }

    /// `accountEnabled = false` (entra-scim.md §1.5), Okta deactivate.
    pub fn disable_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.enabled = false;
        Ok(())
    }

    /// `accountEnabled = true`, Okta activate.
    pub fn enable_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.enabled = true;
        Ok(())
    }

    /// Move to the recycle bin (entra-scim.md §1.5: `IsSoftDeleted=true`).
    pub fn soft_delete_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.soft_deleted = true;
        Ok(())
    }

    /// Restore from the recycle bin.
    pub fn restore_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.soft_deleted = false;
        Ok(())
    }

    /// Delete permanently (entra-scim.md §1.6). The user stays as a tombstone and is
    /// removed from every group.
    pub fn hard_delete_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.hard_deleted = true;
        if let Some(at) = self.index.find(&self.users, id) {
            for g in &mut self.groups {
                g.members.remove(at);
            }
        }
        Ok(())
    }

    /// Assign the user to the app (into provisioning scope).
    pub fn assign_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.assigned = true;
        Ok(())
    }

    /// Unassign the user from the app (entra-scim.md §1.5: a disable, never a DELETE).
    pub fn unassign_user(&mut self, id: &str) -> Result<(), DirectoryError> {
        self.user_mut(id)?.assigned = false;
        Ok(())
    }

    /// Create a group.
    pub fn create_group(&mut self, group: DirGroup) -> Result<(), DirectoryError> {
        if self.group(&group.id).is_some() {
            return Err(DirectoryError::Duplicate(group.id));
        }
        self.groups.push(group);
        Ok(())
    }

    pub fn rename_group(&mut self, id: &str, display_name: &str) -> Result<(), DirectoryError> {
        self.group_mut(id)?.display_name = display_name.to_owned();
        Ok(())
    }

    /// Delete a group; it stays as a tombstone until the engine has seen it.
    pub fn delete_group(&mut self, id: &str) -> Result<(), DirectoryError> {
        let g = self.group_mut(id)?;
        g.deleted = true;
        g.members.clear();
        Ok(())
    }

    /// Put the group on (or take it off) the app's push list; taking it off sends
    /// nothing ("Leave the group in the target app", okta-scim.md §4 "Delete and unlink").
    pub fn set_group_pushed(&mut self, id: &str, pushed: bool) -> Result<(), DirectoryError> {
        self.group_mut(id)?.pushed = pushed;
        Ok(())
    }

    /// Add a member (idempotent).
    pub fn add_member(&mut self, group: &str, user: &str) -> Result<(), DirectoryError> {
        let unknown = || DirectoryError::UnknownUser(user.to_owned());
        let at = self.index.find(&self.users, user).ok_or_else(unknown)?;
        if self.user_at(at).is_none_or(|u| u.hard_deleted) {
            return Err(unknown());
        }
        let g = self.group_mut(group)?;
        if !g.members.contains(at) {
            g.members.push(user, at);
        }
        Ok(())
    }

    /// Remove a member (idempotent).
    pub fn remove_member(&mut self, group: &str, user: &str) -> Result<(), DirectoryError> {
        let at = self.index.find(&self.users, user);
        let g = self.group_mut(group)?;
        if let Some(at) = at {
            g.members.remove(at);
        }
        Ok(())
    }

    /// Generate `spec.count` users from `spec.pattern`; returns how many. Ids are
    /// GUID-shaped and derived from the pattern and the number ([`Generate::user_id`]),
    /// so they are stable. The users are not stored one by one: the block keeps the
    /// pattern and makes each user when asked.
    pub fn generate(&mut self, spec: &Generate) -> Result<usize, DirectoryError> {
        self.add_block(spec)
            .map(|b| self.users.blocks[b].count as usize)
    }

    fn add_block(&mut self, spec: &Generate) -> Result<usize, DirectoryError> {
        if !spec.pattern.contains("{n") {
            return Err(DirectoryError::BadPattern(spec.pattern.clone()));
        }
        expand_pattern(&spec.pattern, 1)?;
        let count = u32::try_from(spec.count).map_err(|_| DirectoryError::TooMany)?;
        let start = self.users.total;
        let total = start.checked_add(count).ok_or(DirectoryError::TooMany)?;
        let block = self.users.blocks.len();
        self.users.blocks.push(Block {
            pattern: spec.pattern.clone(),
            count,
            start,
        });
        self.users.segments.push(Segment::Generated {
            start,
            block: block as u32,
        });
        self.users.total = total;
        for n in 1..=count {
            let id = store::generated_id(&spec.pattern, n);
            if !self.index.insert(&self.users, &id, start + n - 1) {
                self.index.remove_from(start);
                self.users.blocks.pop();
                self.users.segments.pop();
                self.users.total = start;
                return Err(DirectoryError::Duplicate(id));
            }
        }
        Ok(block)
    }

    /// [`Directory::generate`], every generated user a member of `group`.
    pub fn generate_members(
        &mut self,
        group: &str,
        spec: &Generate,
    ) -> Result<usize, DirectoryError> {
        self.group_mut(group)?;
        let b = self.add_block(spec)?;
        let block = self.users.blocks[b].clone();
        self.group_mut(group)?.members.push_block(&block);
        Ok(block.count as usize)
    }
}

/// [`Directory::users`]: a named type rather than an `impl Iterator` of closures, so that
/// a future holding one across an await stays `Send` (rustc cannot prove it for some
/// closure types; rust-lang/rust#64552).
#[derive(Debug, Clone)]
pub struct UserIter<'d> {
    dir: &'d Directory,
    next: UserIndex,
}

impl<'d> Iterator for UserIter<'d> {
    type Item = Cow<'d, DirUser>;

    fn next(&mut self) -> Option<Cow<'d, DirUser>> {
        let u = self.dir.user_at(self.next)?;
        self.next += 1;
        Some(u)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.dir.users.total.saturating_sub(self.next) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for UserIter<'_> {}

fn expand_pattern(pattern: &str, n: usize) -> Result<String, DirectoryError> {
    let bad = || DirectoryError::BadPattern(pattern.to_owned());
    let start = pattern.find("{n").ok_or_else(bad)?;
    let end = start + pattern[start..].find('}').ok_or_else(bad)?;
    let spec = &pattern[start + 2..end];
    let number = match spec.strip_prefix(':') {
        None if spec.is_empty() => n.to_string(),
        Some(width) => {
            let width: usize = width.trim_start_matches('0').parse().map_err(|_| bad())?;
            format!("{n:0width$}")
        }
        None => return Err(bad()),
    };
    Ok(format!(
        "{}{number}{}",
        &pattern[..start],
        &pattern[end + 1..]
    ))
}

/// FNV-1a with its offset basis xor `seed`, for ids and tags that must be stable across
/// runs (not for security).
pub fn fnv(data: &str, seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for b in data.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A version-4-shaped GUID (Entra object ids are GUIDs) derived from `data`; `salt`
/// gives another family of ids for the same data.
pub fn guid_from(data: &str, salt: u64) -> String {
    const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;
    let a = fnv(data, salt.wrapping_mul(SPREAD));
    let b = fnv(data, salt.wrapping_add(1).wrapping_mul(SPREAD));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// An Okta-shaped user id (`00u` + 17 alphanumerics) derived from the Entra id, so one
/// directory serves both families (okta-scim.md §3 "Assign user").
pub fn derive_okta_id(id: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut h = fnv(id, 0x0b7a);
    let mut out = String::from("00u");
    for i in 0..17 {
        if i == 9 {
            h = fnv(id, h);
        }
        out.push(ALPHABET[(h % 62) as usize] as char);
        h /= 62;
    }
    out
}

/// serde_norway appends " at line L column C" to its messages; the error carries the
/// position separately.
pub fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests;
