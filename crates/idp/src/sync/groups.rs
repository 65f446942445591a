//! The group phases: provision, rename, delete or unlink each pushed group, then its
//! memberships in each persona's requests.

use reqwest::Method;
use serde_json::Value;

use crate::dialect::Form;
use crate::directory::{DirGroup, Directory};
use crate::persona::{Family, PersonaId, RequestKind};
use crate::wire::{self, OktaMember};

use super::engine::GroupLink;
use super::links::LinkIndex;
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
                members: Vec::new(),
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
        let was = |i: &LinkIndex| link.members.binary_search(i).is_ok();
        // Members that exist in the target, in directory order. Okta pushes only active
        // users (okta-scim.md §4 preconditions); a member that was pushed stays until
        // removed from the group.
        let desired: Vec<LinkIndex> = {
            let users = self.users();
            dir.members_of(group)
                .filter_map(|u| {
                    let i = users.find(&u.id)?;
                    let active = users.live(i)?;
                    (!okta || active || was(&i)).then_some(i)
                })
                .collect()
        };
        let mut desired_set = desired.clone();
        desired_set.sort_unstable();
        let adds: Vec<LinkIndex> = desired.iter().copied().filter(|i| !was(i)).collect();
        // Members deleted in the target left with their resource: drop without a request.
        // In directory-id order, as the engine has always sent them.
        let removes: Vec<LinkIndex> = {
            let users = self.users();
            let mut removes: Vec<(String, LinkIndex)> = link
                .members
                .iter()
                .filter(|i| desired_set.binary_search(i).is_err() && users.live(**i).is_some())
                .map(|i| (users.key(*i), *i))
                .collect();
            removes.sort();
            removes.into_iter().map(|(_, i)| i).collect()
        };
        let path = Self::group_path(&link.target_id);
        let touched = c.touched_groups.contains(&group.id);
        if adds.is_empty() && removes.is_empty() && !(touched && self.persona == PersonaId::Okta) {
            self.set_members(group, desired_set);
            return Ok(());
        }
        // What was sent so far, for the engine's state if a later request fails.
        let mut sent: Vec<(bool, LinkIndex)> = Vec::new();
        let result = self
            .send_members(
                dir, group, link, &path, &desired, &adds, &removes, &mut sent, c,
            )
            .await;
        match result {
            Ok(()) => self.set_members(group, desired_set),
            Err(_) if !sent.is_empty() => {
                let mut members = link.members.clone();
                members.extend(sent.iter().filter(|s| s.0).map(|s| s.1));
                members.sort_unstable();
                members.dedup();
                let removed: Vec<LinkIndex> = sent.iter().filter(|s| !s.0).map(|s| s.1).collect();
                members.retain(|i| !removed.contains(i));
                self.set_members(group, members);
            }
            Err(_) => {}
        }
        result
    }

    /// A member as the requests name it: its target id and its userName.
    fn member(&self, dir: &Directory, i: LinkIndex) -> OktaMember {
        let (id, key) = {
            let users = self.users();
            (users.target_of(i).map(|t| t.0), users.key(i))
        };
        let Some(id) = id else {
            return OktaMember {
                id: String::new(),
                display: String::new(),
            };
        };
        let display = dir
            .user(&key)
            .map(|u| u.profile.user_principal_name.clone())
            .unwrap_or_default();
        OktaMember { id, display }
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_members(
        &self,
        dir: &Directory,
        group: &DirGroup,
        link: &GroupLink,
        path: &str,
        desired: &[LinkIndex],
        adds: &[LinkIndex],
        removes: &[LinkIndex],
        sent: &mut Vec<(bool, LinkIndex)>,
        c: &mut Cycle,
    ) -> Step<()> {
        let member = |i: &LinkIndex| self.member(dir, *i);
        match self.persona {
            // okta-scim.md §4 "Membership change (AIW apps)" and [LAB]: GET, then PUT
            // with displayName and the full member list.
            PersonaId::Okta => {
                self.streamed(c, self.get_by_id(path)).await?;
                let all: Vec<OktaMember> = desired.iter().map(member).collect();
                let echo = self
                    .dialect
                    .has(Form::OktaGroupPutEcho)
                    .then_some(link.target_id.as_str());
                let body = wire::okta_group_put(&group.display_name, &all, echo);
                self.streamed(c, self.write(Method::PUT, path, body, "put group"))
                    .await?;
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
                    self.streamed(c, self.write(Method::PATCH, path, rename, "patch group"))
                        .await?;
                    wire::okta_members_replace(&all)
                };
                let what = "replace group members";
                self.streamed(c, self.write(Method::PATCH, path, body, what))
                    .await?;
                self.note_members(c, group, &link.target_id, adds.len(), removes.len());
            }
            PersonaId::OktaOin | PersonaId::Rfc => {
                if self.persona == PersonaId::OktaOin {
                    let body = wire::rename_group_patch(
                        self.persona,
                        &link.target_id,
                        &group.display_name,
                    );
                    self.streamed(c, self.write(Method::PATCH, path, body, "patch group"))
                        .await?;
                }
                let changes: Vec<(bool, LinkIndex)> = removes
                    .iter()
                    .map(|r| (false, *r))
                    .chain(adds.iter().map(|a| (true, *a)))
                    .collect();
                for batch in changes.chunks(MEMBER_BATCH) {
                    let rm: Vec<String> = batch
                        .iter()
                        .filter(|b| !b.0)
                        .map(|b| member(&b.1).id)
                        .collect();
                    let ad: Vec<OktaMember> =
                        batch.iter().filter(|b| b.0).map(|b| member(&b.1)).collect();
                    let body = wire::okta_members_patch(&rm, &ad);
                    let what = "patch group members";
                    self.streamed(c, self.write(Method::PATCH, path, body, what))
                        .await?;
                    sent.extend_from_slice(batch);
                    self.note_members(c, group, &link.target_id, ad.len(), rm.len());
                }
            }
            // entra-scim.md §1.7: GET (excluding members), then Add PATCHes with value
            // arrays, then Remove PATCHes (value array, or filtered paths with the flag).
            PersonaId::Entra | PersonaId::EntraAadOpt => {
                // entra_group_get's request, through `streamed` like the rest.
                if c.fetched_groups.insert(group.id.clone()) {
                    let path = format!("{path}?excludedAttributes=members");
                    self.streamed(c, self.get_by_id(&path)).await?;
                }
                let aadopt = self.persona.aadopt();
                for (add, list) in [(true, adds), (false, removes)] {
                    for chunk in list.chunks(MEMBER_BATCH) {
                        let ids: Vec<String> = chunk.iter().map(|m| member(m).id).collect();
                        let body = wire::entra_members_patch(aadopt, self.dialect, add, &ids);
                        let what = "patch group members";
                        self.streamed(c, self.write(Method::PATCH, path, body, what))
                            .await?;
                        sent.extend(chunk.iter().map(|m| (add, *m)));
                        let (a, r) = if add {
                            (chunk.len(), 0)
                        } else {
                            (0, chunk.len())
                        };
                        self.note_members(c, group, &link.target_id, a, r);
                    }
                }
            }
        }
        Ok(())
    }

    fn set_members(&self, group: &DirGroup, members: Vec<LinkIndex>) {
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
