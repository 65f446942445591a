//! The directory steps: users and groups join, change and leave the case's own
//! [`idp::Directory`]; the persona sends what changed at the next `sync`.

use crate::case::{guid, CaseRun, Stop};
use crate::scenario::{GenerateUsers, NewGroup, NewUser, Step, UserChange};

impl CaseRun<'_> {
    /// Run a directory step; `Ok(false)` when `step` is not one.
    pub(crate) fn directory_step(&mut self, step: &Step) -> Result<bool, Stop> {
        match step {
            Step::AddUser(u) => self.add_user(u)?,
            Step::UpdateUser(u) => self.update_user(u)?,
            Step::DisableUser(u) => self.change_user(u, idp::Directory::disable_user)?,
            Step::EnableUser(u) => self.change_user(u, idp::Directory::enable_user)?,
            Step::SoftDeleteUser(u) => self.change_user(u, idp::Directory::soft_delete_user)?,
            Step::RestoreUser(u) => self.change_user(u, idp::Directory::restore_user)?,
            Step::HardDeleteUser(u) => self.change_user(u, idp::Directory::hard_delete_user)?,
            Step::CreateGroup(g) => self.create_group(g)?,
            Step::RenameGroup(g) => {
                let id = self.group_id(&g.group)?;
                let name = self.expand(&g.name);
                self.dir
                    .rename_group(&id, &name)
                    .map_err(|e| self.dir_err(e))?;
            }
            Step::DeleteGroup(g) => {
                let id = self.group_id(g)?;
                self.dir.delete_group(&id).map_err(|e| self.dir_err(e))?;
            }
            Step::AddMember(m) => {
                let (g, u) = (self.group_id(&m.group)?, self.user_id(&m.user)?);
                self.dir.add_member(&g, &u).map_err(|e| self.dir_err(e))?;
            }
            Step::RemoveMember(m) => {
                let (g, u) = (self.group_id(&m.group)?, self.user_id(&m.user)?);
                self.dir
                    .remove_member(&g, &u)
                    .map_err(|e| self.dir_err(e))?;
            }
            Step::GenerateUsers(g) => self.generate_users(g)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// One change of a user's state in the directory (`change` takes the directory id).
    fn change_user(
        &mut self,
        key: &str,
        change: fn(&mut idp::Directory, &str) -> Result<(), idp::DirectoryError>,
    ) -> Result<(), Stop> {
        let id = self.user_id(key)?;
        change(&mut self.dir, &id).map_err(|e| self.dir_err(e))
    }

    fn create_group(&mut self, g: &NewGroup) -> Result<(), Stop> {
        let id = guid(&self.tag, &format!("group:{}", g.group));
        let name = match &g.name {
            Some(n) => self.expand(n),
            None => format!("{}-{}", g.group, self.tag),
        };
        self.dir
            .create_group(idp::DirGroup::new(id.clone(), name))
            .map_err(|e| self.dir_err(e))?;
        self.ids.groups.insert(g.group.clone(), id);
        Ok(())
    }

    fn generate_users(&mut self, g: &GenerateUsers) -> Result<(), Stop> {
        let spec = idp::Generate {
            count: g.count,
            pattern: format!("{}{{n:04}}.{}@example.test", g.prefix, self.tag),
        };
        let count = match &g.group {
            Some(group) => {
                let gid = self.group_id(group)?;
                self.dir.generate_members(&gid, &spec)
            }
            None => self.dir.generate(&spec),
        }
        .map_err(|e| self.dir_err(e))?;
        for n in 1..=count {
            self.ids
                .users
                .insert(format!("{}{n}", g.prefix), spec.user_id(n));
        }
        Ok(())
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
        p.preferred_language = u.preferred_language.as_ref().map(|v| self.expand(v));
        p.business_phone = u.business_phone.as_ref().map(|v| self.expand(v));
        p.mobile_phone = u.mobile_phone.as_ref().map(|v| self.expand(v));
        p.office_location = u.office_location.as_ref().map(|v| self.expand(v));
        p.manager = match &u.manager {
            Some(key) => Some(self.user_id(key)?),
            None => None,
        };
        self.dir.add_user(user).map_err(|e| self.dir_err(e))?;
        self.ids.users.insert(u.user.clone(), id);
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
        let manager = match (&u.manager, u.clear_manager) {
            (Some(key), false) => Some(Some(self.user_id(key)?)),
            (None, true) => Some(None),
            (None, false) => None,
            (Some(_), true) => {
                return Err(self.step_err(format!(
                    "update_user {}: `manager` and `clear_manager: true` together",
                    u.user
                )))
            }
        };
        let defaults = (
            x(&u.preferred_language),
            x(&u.business_phone),
            x(&u.mobile_phone),
            x(&u.office_location),
        );
        self.dir
            .update_user(&id, |p| {
                if let Some(v) = login {
                    p.user_principal_name = v;
                }
                let given_values = [
                    (&mut p.mail, email),
                    (&mut p.given_name, given),
                    (&mut p.surname, surname),
                    (&mut p.display_name, display),
                    (&mut p.job_title, title),
                    (&mut p.department, dept),
                    (&mut p.preferred_language, defaults.0),
                    (&mut p.business_phone, defaults.1),
                    (&mut p.mobile_phone, defaults.2),
                    (&mut p.office_location, defaults.3),
                ];
                for (slot, v) in given_values {
                    if v.is_some() {
                        *slot = v;
                    }
                }
                if let Some(m) = manager {
                    p.manager = m;
                }
            })
            .map_err(|e| self.dir_err(e))
    }
}
