//! The group phases: provision, rename, delete or unlink each pushed group, then its
//! memberships in each persona's requests.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::Value;

use crate::dialect::Form;
use crate::directory::{DirGroup, Directory};
use crate::persona::{Family, PersonaId, RequestKind};
use crate::wire::{self, OktaMember};

use super::engine::GroupLink;
use super::pass::{fail, group_ref, Cycle, Pass, Step};
use super::report::{Action, IssueCode, ObjectKind};

/// At most this many membership changes go into one PATCH (okta-scim.md §4 [OINMGR]);
/// used for every persona, since Entra documents batching but no number.
pub const MEMBER_BATCH: usize = 100;

impl Pass<'_> {
    pub(super) async fn sync_group(&self, group: &DirGroup, c: &mut Cycle) {
        let step = self.sync_group_inner(group, c).await;
        if let Err(f) = step {
            if f.code == IssueCode::InvalidAnchor {
                if let Some(l) = self.groups().get_mut(&group.id) {
                    l.broken = true;
                }
            }
            c.issue(group_ref(&group.id), "sync group", f.code, f.message);
        }
    }

    async fn sync_group_inner(&self, group: &DirGroup, c: &mut Cycle) -> Step<()> {
        let link = self.groups().get(&group.id).cloned();
        match link {
            Some(link) if link.broken => Ok(()),
            // entra-scim.md §1.7 "Delete"; okta-scim.md §4 "Delete and unlink".
            Some(link) if group.deleted => {
                let path = Self::group_path(&link.target_id);
                if self.persona.family() == Family::Entra {
                    self.get_by_id(&format!("{path}?excludedAttributes=members"))
                        .await?;
                }
                let reply = self
                    .call(Method::DELETE, RequestKind::Delete, &path, None)
                    .await?;
                Self::expect(reply, &[200, 204], "delete group")?;
                self.groups().remove(&group.id);
                self.record(c, group_ref(&group.id), Action::Deleted, &link.target_id);
                Ok(())
            }
            // Taken off the push list: "Leave the group in the target app" sends nothing.
            Some(link) if !group.pushed => {
                self.groups().remove(&group.id);
                self.record(c, group_ref(&group.id), Action::Unlinked, &link.target_id);
                Ok(())
            }
            Some(link) if link.display_name != group.display_name => {
                self.rename_group(group, &link, c).await
            }
            Some(_) => Ok(()),
            None if group.deleted || !group.pushed => Ok(()),
            None => self.provision_group(group, c).await,
        }
    }

    async fn provision_group(&self, group: &DirGroup, c: &mut Cycle) -> Step<()> {
        let (id, action) = match self.lookup(ObjectKind::Group, &group.display_name).await? {
            // Okta needs "Link Group" for an existing name (okta-scim.md §4 [PLAN C9315]);
            // this persona plays an admin who chose it.
            Some(found) => (
                found["id"].as_str().unwrap_or_default().to_owned(),
                Action::Linked,
            ),
            None => {
                let body = wire::create_group_body(self.persona, group);
                let reply = self
                    .call(Method::POST, RequestKind::Write, "/Groups", Some(body))
                    .await?;
                let reply = Self::expect(reply, &[200, 201], "create group")?;
                let created = Self::json_object(reply, "create group")?;
                let Some(id) = created.get("id").and_then(Value::as_str) else {
                    return fail(
                        IssueCode::ServiceIncompatible,
                        "create group: response has no id",
                    );
                };
                (id.to_owned(), Action::Created)
            }
        };
        self.groups().insert(
            group.id.clone(),
            GroupLink {
                target_id: id.clone(),
                display_name: group.display_name.clone(),
                members: BTreeSet::new(),
                broken: false,
            },
        );
        c.touched_groups.insert(group.id.clone());
        self.record(c, group_ref(&group.id), action, &id);
        Ok(())
    }

    async fn rename_group(&self, group: &DirGroup, link: &GroupLink, c: &mut Cycle) -> Step<()> {
        let path = Self::group_path(&link.target_id);
        match self.persona {
            // Okta AIW renames with the membership PUT (okta-scim.md §2 table).
            PersonaId::Okta => {
                c.touched_groups.insert(group.id.clone());
            }
            p => {
                if p.family() == Family::Entra {
                    self.entra_group_get(group, &path, c).await?;
                }
                let body = wire::rename_group_patch(p, &link.target_id, &group.display_name);
                self.write(Method::PATCH, &path, body, "rename group")
                    .await?;
            }
        }
        if self.persona != PersonaId::Okta {
            if let Some(l) = self.groups().get_mut(&group.id) {
                l.display_name = group.display_name.clone();
            }
            self.record(c, group_ref(&group.id), Action::Renamed, &link.target_id);
        }
        Ok(())
    }

    /// entra-scim.md §1.7: every group GET carries `excludedAttributes=members`; once
    /// per group per cycle.
    async fn entra_group_get(&self, group: &DirGroup, path: &str, c: &mut Cycle) -> Step<()> {
        if c.fetched_groups.insert(group.id.clone()) {
            self.get_by_id(&format!("{path}?excludedAttributes=members"))
                .await?;
        }
        Ok(())
    }

    pub(super) async fn sync_members(&self, dir: &Directory, group: &DirGroup, c: &mut Cycle) {
        let Some(link) = self.groups().get(&group.id).cloned() else {
            return;
        };
        if link.broken || group.deleted || !group.pushed {
            return;
        }
        let step = self.sync_members_inner(dir, group, &link, c).await;
        if let Err(f) = step {
            c.issue(group_ref(&group.id), "sync members", f.code, f.message);
        }
    }

    async fn sync_members_inner(
        &self,
        dir: &Directory,
        group: &DirGroup,
        link: &GroupLink,
        c: &mut Cycle,
    ) -> Step<()> {
        let okta = self.persona.family() == Family::Okta;
        // Target id and userName of every member that exists in the target.
        let mut live: BTreeMap<String, (OktaMember, bool)> = BTreeMap::new();
        for id in group.members.iter().chain(link.members.iter()) {
            if let Some(l) = self.users().get(id).filter(|l| !l.gone && !l.broken) {
                let display = dir
                    .user(id)
                    .map(|u| u.profile.user_principal_name.clone())
                    .unwrap_or_default();
                let m = OktaMember {
                    id: l.target_id.clone(),
                    display,
                };
                live.insert(id.clone(), (m, l.active));
            }
        }
        // Okta pushes only active users (okta-scim.md §4 preconditions); a member that
        // was pushed stays until removed from the group.
        let desired: Vec<String> = group
            .members
            .iter()
            .filter(|m| match live.get(*m) {
                Some((_, active)) => !okta || *active || link.members.contains(*m),
                None => false,
            })
            .cloned()
            .collect();
        let desired_set: BTreeSet<String> = desired.iter().cloned().collect();
        let adds: Vec<String> = desired
            .iter()
            .filter(|m| !link.members.contains(*m))
            .cloned()
            .collect();
        // Members deleted in the target left with their resource: drop without a request.
        let removes: Vec<String> = link
            .members
            .iter()
            .filter(|m| !desired_set.contains(*m) && live.contains_key(*m))
            .cloned()
            .collect();
        let member = |id: &String| {
            live.get(id).map(|l| l.0.clone()).unwrap_or(OktaMember {
                id: String::new(),
                display: String::new(),
            })
        };
        let path = Self::group_path(&link.target_id);
        let touched = c.touched_groups.contains(&group.id);
        if adds.is_empty() && removes.is_empty() && !(touched && self.persona == PersonaId::Okta) {
            self.set_members(group, desired_set);
            return Ok(());
        }
        match self.persona {
            // okta-scim.md §4 "Membership change (AIW apps)" and [LAB]: GET, then PUT
            // with displayName and the full member list.
            PersonaId::Okta => {
                self.get_by_id(&path).await?;
                let all: Vec<OktaMember> = desired.iter().map(member).collect();
                let echo = self
                    .dialect
                    .has(Form::OktaGroupPutEcho)
                    .then_some(link.target_id.as_str());
                let body = wire::okta_group_put(&group.display_name, &all, echo);
                self.write(Method::PUT, &path, body, "put group").await?;
                self.set_members(group, desired_set);
                if link.display_name != group.display_name {
                    if let Some(l) = self.groups().get_mut(&group.id) {
                        l.display_name = group.display_name.clone();
                    }
                    self.record(c, group_ref(&group.id), Action::Renamed, &link.target_id);
                }
                self.note_members(c, group, &link.target_id, adds.len(), removes.len());
            }
            // okta-scim.md §4 "Rename (OIN)": the replace of id and displayName "is
            // triggered each time there's a group membership update operation"; then
            // removes and adds, at most MEMBER_BATCH changes a request.
            PersonaId::OktaOin
                if self.dialect.has(Form::OktaMemberReplace)
                    || self.dialect.has(Form::OktaMemberReplacePathless) =>
            {
                let all: Vec<OktaMember> = desired.iter().map(member).collect();
                let body = if self.dialect.has(Form::OktaMemberReplacePathless) {
                    wire::okta_members_replace_pathless(&link.target_id, &group.display_name, &all)
                } else {
                    let rename = wire::rename_group_patch(
                        self.persona,
                        &link.target_id,
                        &group.display_name,
                    );
                    self.write(Method::PATCH, &path, rename, "patch group")
                        .await?;
                    wire::okta_members_replace(&all)
                };
                self.write(Method::PATCH, &path, body, "replace group members")
                    .await?;
                self.set_members(group, desired_set);
                self.note_members(c, group, &link.target_id, adds.len(), removes.len());
            }
            PersonaId::OktaOin | PersonaId::Rfc => {
                if self.persona == PersonaId::OktaOin {
                    let body = wire::rename_group_patch(
                        self.persona,
                        &link.target_id,
                        &group.display_name,
                    );
                    self.write(Method::PATCH, &path, body, "patch group")
                        .await?;
                }
                let mut changes: Vec<(bool, &String)> = removes
                    .iter()
                    .map(|r| (false, r))
                    .chain(adds.iter().map(|a| (true, a)))
                    .collect();
                while !changes.is_empty() {
                    let batch: Vec<(bool, &String)> =
                        changes.drain(..changes.len().min(MEMBER_BATCH)).collect();
                    let rm: Vec<String> = batch
                        .iter()
                        .filter(|b| !b.0)
                        .map(|b| member(b.1).id)
                        .collect();
                    let ad: Vec<OktaMember> =
                        batch.iter().filter(|b| b.0).map(|b| member(b.1)).collect();
                    let body = wire::okta_members_patch(&rm, &ad);
                    self.write(Method::PATCH, &path, body, "patch group members")
                        .await?;
                    let (n_add, n_rm) = (ad.len(), rm.len());
                    if let Some(l) = self.groups().get_mut(&group.id) {
                        for (add, id) in &batch {
                            if *add {
                                l.members.insert((*id).clone());
                            } else {
                                l.members.remove(*id);
                            }
                        }
                    }
                    self.note_members(c, group, &link.target_id, n_add, n_rm);
                }
                self.set_members(group, desired_set);
            }
            // entra-scim.md §1.7: GET (excluding members), then Add PATCHes with value
            // arrays, then Remove PATCHes (value array, or filtered paths with the flag).
            PersonaId::Entra | PersonaId::EntraAadOpt => {
                self.entra_group_get(group, &path, c).await?;
                let aadopt = self.persona.aadopt();
                for (add, list) in [(true, &adds), (false, &removes)] {
                    for chunk in list.chunks(MEMBER_BATCH) {
                        let ids: Vec<String> = chunk.iter().map(|m| member(m).id).collect();
                        let body = wire::entra_members_patch(aadopt, self.dialect, add, &ids);
                        self.write(Method::PATCH, &path, body, "patch group members")
                            .await?;
                        if let Some(l) = self.groups().get_mut(&group.id) {
                            for m in chunk {
                                if add {
                                    l.members.insert(m.clone());
                                } else {
                                    l.members.remove(m);
                                }
                            }
                        }
                        let (a, r) = if add {
                            (chunk.len(), 0)
                        } else {
                            (0, chunk.len())
                        };
                        self.note_members(c, group, &link.target_id, a, r);
                    }
                }
                self.set_members(group, desired_set);
            }
        }
        Ok(())
    }

    fn set_members(&self, group: &DirGroup, members: BTreeSet<String>) {
        if let Some(l) = self.groups().get_mut(&group.id) {
            l.members = members;
        }
    }

    fn note_members(
        &self,
        c: &mut Cycle,
        group: &DirGroup,
        target_id: &str,
        added: usize,
        removed: usize,
    ) {
        if added > 0 {
            self.record(
                c,
                group_ref(&group.id),
                Action::MembersAdded(added),
                target_id,
            );
        }
        if removed > 0 {
            self.record(
                c,
                group_ref(&group.id),
                Action::MembersRemoved(removed),
                target_id,
            );
        }
    }
}
