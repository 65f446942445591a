//! The user phases: provision (lookup, link or create), update per persona family,
//! delete, and the manager in its own PATCH.

use std::collections::BTreeSet;
use std::sync::PoisonError;

use reqwest::Method;
use serde_json::Value;

use crate::directory::{DirUser, Directory};
use crate::persona::{Family, PersonaId, RequestKind};
use crate::wire::{self, ActiveChange, Attr, Attrs, EntraChange, PackedAttrs};

use super::engine::UserLink;
use super::links::manager_hash;
use super::pass::{fail, user_ref, Cycle, Pass, Step};
use super::report::{Action, IssueCode, ObjectKind, Outcome};

impl Pass<'_> {
    pub(super) async fn sync_user(&self, dir: &Directory, user: &DirUser, c: &mut Cycle) {
        let obj = user_ref(&user.id);
        // `Some(true)`: deleted or broken, left alone.
        let left_alone = self.users().get(&user.id).map(|l| l.gone || l.broken);
        let step = match left_alone {
            // A match is linked, then brought up to date in the same cycle
            // (entra-scim.md §1.2 [HOW]; okta-scim.md §3 "Assign user" step 3).
            None if user.is_active() => match self.provision_user(user, c).await {
                Ok(()) if c.linked.contains(&user.id) => self.update_user(dir, user, c).await,
                other => other,
            },
            None | Some(true) => Ok(()),
            Some(false) => self.update_user(dir, user, c).await,
        };
        if let Err(f) = step {
            if f.code == IssueCode::InvalidAnchor {
                self.users().update(&user.id, |l| l.broken = true);
            }
            c.issue(obj, "sync user", f.code, f.message);
        }
    }

    /// Lookup, then link or create (entra-scim.md §1.2, okta-scim.md §3 "Assign user").
    async fn provision_user(&self, user: &DirUser, c: &mut Cycle) -> Step<()> {
        let attrs = wire::user_attrs(self.persona, user);
        let login = &user.profile.user_principal_name;
        if let Some(found) = self.lookup_user(user).await? {
            return self.link_user(user, found, c).await;
        }
        let password = self.password();
        let body = wire::create_user_body(self.persona, self.dialect, &attrs, &password);
        let reply = self
            .call_with(Method::POST, RequestKind::Write, "/Users", Some(body))
            .await?;
        if reply.status == 409 && self.persona.family() == Family::Rfc {
            // RFC 7644 §3.3: the resource exists; match it again and link.
            if let Some(found) = self.lookup(ObjectKind::User, login).await? {
                return self.link_user(user, found, c).await;
            }
        }
        let reply = Self::expect(reply, &[200, 201], "create user")?;
        if reply.empty && self.persona.family() == Family::Okta {
            // okta-scim.md §3 "Assign user" [R20].
            return fail(
                IssueCode::ServiceIncompatible,
                format!("Create new user returned empty user ({login})"),
            );
        }
        let created = Self::json_object(reply, "create user")?;
        let Some(id) = created.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return fail(
                IssueCode::ServiceIncompatible,
                "create user: response has no id",
            );
        };
        self.users().insert(
            &user.id,
            &UserLink {
                target_id: id.clone(),
                attrs: PackedAttrs::pack(&attrs),
                active: true,
                manager: None,
                gone: false,
                broken: false,
            },
        );
        if user.profile.manager.is_some() {
            c.manager_seen.insert(user.id.clone(), false);
        }
        self.record(c, user_ref(&user.id), Action::Created, &id);
        Ok(())
    }

    /// Adopt a matched resource. Its current values become the known state, so the
    /// update that follows sends only the differences; Okta always pushes the profile
    /// with `active:true` on a match (okta-scim.md §3 "Assign user" step 3).
    async fn link_user(&self, user: &DirUser, found: Value, c: &mut Cycle) -> Step<()> {
        let id = found["id"].as_str().unwrap_or_default().to_owned();
        let okta = self.persona.family() == Family::Okta;
        let attrs = if okta {
            Attrs::new()
        } else {
            wire::user_attrs(self.persona, user)
                .keys()
                .filter_map(|k| k.read(&found).map(|v| (*k, v)))
                .collect()
        };
        let active = !okta
            && found
                .get("active")
                .and_then(scim::model::parse_bool)
                .unwrap_or(true);
        self.users().insert(
            &user.id,
            &UserLink {
                target_id: id.clone(),
                attrs: PackedAttrs::pack(&attrs),
                active,
                manager: wire::read_manager(&found).map(|m| manager_hash(&m)),
                gone: false,
                broken: false,
            },
        );
        c.linked.insert(user.id.clone());
        self.record(c, user_ref(&user.id), Action::Linked, &id);
        Ok(())
    }

    async fn update_user(&self, dir: &Directory, user: &DirUser, c: &mut Cycle) -> Step<()> {
        let _ = dir;
        let Some(link) = self.users().get(&user.id) else {
            return Ok(());
        };
        let desired = wire::user_attrs(self.persona, user);
        let family = self.persona.family();
        let wants_active = user.is_active();
        // Hard delete: entra-scim.md §1.6 (DELETE only while still assigned); Okta never
        // deletes (okta-scim.md §3 "Deprovision"), it deactivates; rfc deletes.
        if user.hard_deleted {
            match family {
                Family::Entra if user.assigned => return self.delete_user(user, &link, c).await,
                Family::Entra => return Ok(()),
                Family::Rfc => return self.delete_user(user, &link, c).await,
                Family::Okta => {}
            }
        }
        let attrs_changed = !link.attrs.holds(&desired);
        let active_changed = wants_active != link.active;
        if !attrs_changed && !active_changed {
            return Ok(());
        }
        match family {
            Family::Entra => {
                self.entra_update(user, &link, desired, wants_active, c)
                    .await
            }
            Family::Okta => {
                self.okta_update(user, &link, desired, wants_active, c)
                    .await
            }
            Family::Rfc => self.rfc_update(user, &link, desired, wants_active, c).await,
        }
    }

    fn note_user_change(
        &self,
        c: &mut Cycle,
        user: &DirUser,
        attrs: Option<Attrs>,
        active: Option<bool>,
        target_id: &str,
    ) {
        self.users().update(&user.id, |link| {
            let was = link.active;
            if let Some(a) = attrs {
                if !link.attrs.holds(&a) {
                    link.attrs = PackedAttrs::pack(&a);
                    c.outcome(Outcome {
                        object: user_ref(&user.id),
                        action: Action::Updated,
                        target_id: Some(target_id.to_owned()),
                    });
                }
            }
            if let Some(active) = active {
                link.active = active;
                if active != was {
                    let action = if active {
                        Action::Enabled
                    } else {
                        Action::Disabled
                    };
                    c.outcome(Outcome {
                        object: user_ref(&user.id),
                        action,
                        target_id: Some(target_id.to_owned()),
                    });
                }
            }
        });
    }

    /// entra-scim.md §1.3–§1.5: GET by id, then one PATCH with `Add` for attributes the
    /// target lacks and `Replace` for those it has; cleared values are not sent.
    async fn entra_update(
        &self,
        user: &DirUser,
        link: &UserLink,
        desired: Attrs,
        wants_active: bool,
        c: &mut Cycle,
    ) -> Step<()> {
        let path = Self::user_path(&link.target_id);
        let current = self.get_by_id(&path).await?;
        if user.profile.manager.is_some() {
            let had = wire::read_manager(&current).is_some();
            c.manager_seen.insert(user.id.clone(), had);
        }
        let changes: Vec<EntraChange> = desired
            .iter()
            .filter_map(|(attr, value)| {
                let now = attr.read(&current);
                (now.as_deref() != Some(value.as_str())).then(|| EntraChange {
                    attr: *attr,
                    present: now.is_some(),
                    value: value.clone(),
                })
            })
            .collect();
        let current_active = current.get("active").and_then(scim::model::parse_bool);
        let active = (current_active != Some(wants_active) || wants_active != link.active)
            .then_some(ActiveChange {
                active: wants_active,
                present: current.get("active").is_some(),
            });
        if !changes.is_empty() || active.is_some() {
            let body =
                wire::entra_user_patch(self.persona.aadopt(), self.dialect, &changes, active);
            self.write(Method::PATCH, &path, body, "patch user").await?;
        }
        self.note_user_change(c, user, Some(desired), Some(wants_active), &link.target_id);
        Ok(())
    }

    /// okta-scim.md §2 and §3: GET then PUT of the whole resource (AIW: every write,
    /// deactivate and reactivate included; OIN: profile only), PATCH `{"active":…}` for
    /// OIN (de)activation. AIW reactivation starts with the filter lookup [DF].
    async fn okta_update(
        &self,
        user: &DirUser,
        link: &UserLink,
        desired: Attrs,
        wants_active: bool,
        c: &mut Cycle,
    ) -> Step<()> {
        let oin = self.persona == PersonaId::OktaOin;
        let path = Self::user_path(&link.target_id);
        let attrs_changed = !link.attrs.holds(&desired);
        let active_changed = wants_active != link.active;
        if !oin && active_changed && wants_active && !c.linked.contains(&user.id) {
            self.lookup(ObjectKind::User, &user.profile.user_principal_name)
                .await?;
        }
        if attrs_changed || (!oin && active_changed) {
            let current = self.get_by_id(&path).await?;
            let active = (!oin).then_some(wants_active);
            let body = wire::okta_put_body(&current, &desired, active);
            self.write(Method::PUT, &path, body, "put user").await?;
            let active = if oin { None } else { Some(wants_active) };
            self.note_user_change(c, user, Some(desired.clone()), active, &link.target_id);
        }
        if oin && active_changed {
            let body = wire::okta_active_patch(wants_active);
            self.write(Method::PATCH, &path, body, "patch user").await?;
            self.note_user_change(c, user, None, Some(wants_active), &link.target_id);
        }
        Ok(())
    }

    /// RFC 7644 §3.5.2: PATCH `replace`/`remove` with paths, no GET.
    async fn rfc_update(
        &self,
        user: &DirUser,
        link: &UserLink,
        desired: Attrs,
        wants_active: bool,
        c: &mut Cycle,
    ) -> Step<()> {
        let mut keys: BTreeSet<Attr> = desired.keys().copied().collect();
        keys.extend(link.attrs.keys());
        let changes: Vec<(Attr, Option<String>)> = keys
            .into_iter()
            .filter(|k| !link.attrs.matches(*k, desired.get(k).map(String::as_str)))
            .map(|k| (k, desired.get(&k).cloned()))
            .collect();
        let active = (wants_active != link.active).then_some(wants_active);
        let body = wire::rfc_user_patch(&changes, active);
        let path = Self::user_path(&link.target_id);
        self.write(Method::PATCH, &path, body, "patch user").await?;
        self.note_user_change(c, user, Some(desired), Some(wants_active), &link.target_id);
        Ok(())
    }

    async fn delete_user(&self, user: &DirUser, link: &UserLink, c: &mut Cycle) -> Step<()> {
        let path = Self::user_path(&link.target_id);
        if self.persona.family() == Family::Entra {
            // QA1195656: "GET calls will always precede other actions".
            self.get_by_id(&path).await?;
        }
        let reply = self
            .call(Method::DELETE, RequestKind::Delete, &path, None)
            .await?;
        Self::expect(reply, &[200, 204], "delete user")?;
        self.users().update(&user.id, |l| l.gone = true);
        self.record(c, user_ref(&user.id), Action::Deleted, &link.target_id);
        Ok(())
    }

    /// The manager in its own PATCH after the user exists (entra-scim.md §1.2
    /// [AZ45885]); a manager this engine set and the directory cleared is removed
    /// ([`wire::manager_clear_patch`] says why, though other cleared values are not sent,
    /// §1.4 [KNOWN]).
    pub(super) async fn sync_manager(&self, user: &DirUser, c: &mut Cycle) {
        let Some(link) = self.users().get(&user.id) else {
            return;
        };
        if link.gone || link.broken || user.hard_deleted {
            return;
        }
        let Some(manager_dir) = &user.profile.manager else {
            if link.manager.is_some() {
                self.clear_manager(user, &link.target_id, c).await;
            }
            return;
        };
        let Some(manager) = self
            .users()
            .get(manager_dir)
            .filter(|m| !m.gone && !m.broken)
            .map(|m| m.target_id)
        else {
            return;
        };
        if link.manager == Some(manager_hash(&manager)) {
            return;
        }
        let path = Self::user_path(&link.target_id);
        let step: Step<()> = async {
            let body = match self.persona.family() {
                Family::Entra => {
                    let present = match c.manager_seen.get(&user.id) {
                        Some(had) => *had,
                        None => wire::read_manager(&self.get_by_id(&path).await?).is_some(),
                    };
                    wire::entra_manager_patch(self.persona.aadopt(), present, &manager)
                }
                _ => wire::rfc_manager_patch(&manager),
            };
            self.write(Method::PATCH, &path, body, "patch manager")
                .await
        }
        .await;
        match step {
            Ok(()) => {
                self.users()
                    .update(&user.id, |l| l.manager = Some(manager_hash(&manager)));
                self.record(c, user_ref(&user.id), Action::ManagerSet, &link.target_id);
            }
            Err(f) => c.issue(user_ref(&user.id), "set manager", f.code, f.message),
        }
    }

    async fn clear_manager(&self, user: &DirUser, target_id: &str, c: &mut Cycle) {
        let op = match self.persona.family() {
            Family::Entra => wire::entra_op(self.persona.aadopt(), "remove"),
            _ => "remove".to_owned(),
        };
        let path = Self::user_path(target_id);
        let body = wire::manager_clear_patch(&op);
        match self
            .write(Method::PATCH, &path, body, "clear manager")
            .await
        {
            Ok(()) => {
                self.users().update(&user.id, |l| l.manager = None);
                self.record(c, user_ref(&user.id), Action::ManagerCleared, target_id);
            }
            Err(f) => c.issue(user_ref(&user.id), "clear manager", f.code, f.message),
        }
    }

    fn password(&self) -> String {
        // okta-scim.md §3 "Create": always sent, value irrelevant.
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz0123456789";
        let seed = {
            let mut seed = self
                .password_seed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            **seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            **seed
        };
        let mut h = seed >> 11;
        (0..8)
            .map(|_| {
                let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
                h /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }
}
