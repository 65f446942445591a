//! What an API edit of a user may say: the writable attributes, each checked for its
//! type, and their application to the directory, all or nothing.

use axum::body::Bytes;
use serde_json::{Map, Value};

use super::{resolve_user, Refusal};
use crate::directory::{Directory, UserProfile};

/// The user attributes `PATCH /api/users/{KEY}` and `POST /api/users` write.
pub(super) const WRITABLE_USER_ATTRIBUTES: &str = "userPrincipalName, mail, givenName, surname, \
     displayName, jobTitle, department, employeeId, manager, active, enabled, assigned, \
     softDeleted";

/// One checked change to a user.
#[derive(Debug)]
pub(super) enum UserChange {
    Login(String),
    Text(TextAttribute, Option<String>),
    /// The manager's key (id or login), or `None` to clear it.
    Manager(Option<String>),
    /// `active` and `enabled` both set `accountEnabled`.
    Enabled(bool),
    Assigned(bool),
    SoftDeleted(bool),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum TextAttribute {
    Mail,
    GivenName,
    Surname,
    DisplayName,
    JobTitle,
    Department,
    EmployeeId,
}

impl TextAttribute {
    fn of(name: &str) -> Option<TextAttribute> {
        Some(match name {
            "mail" => TextAttribute::Mail,
            "givenName" => TextAttribute::GivenName,
            "surname" => TextAttribute::Surname,
            "displayName" => TextAttribute::DisplayName,
            "jobTitle" => TextAttribute::JobTitle,
            "department" => TextAttribute::Department,
            "employeeId" => TextAttribute::EmployeeId,
            _ => return None,
        })
    }

    fn field(self, p: &mut UserProfile) -> &mut Option<String> {
        match self {
            TextAttribute::Mail => &mut p.mail,
            TextAttribute::GivenName => &mut p.given_name,
            TextAttribute::Surname => &mut p.surname,
            TextAttribute::DisplayName => &mut p.display_name,
            TextAttribute::JobTitle => &mut p.job_title,
            TextAttribute::Department => &mut p.department,
            TextAttribute::EmployeeId => &mut p.employee_id,
        }
    }
}

/// The JSON object of a request body.
pub(super) fn object(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Refusal::bad_request(
            "the request body must be a JSON object".to_owned(),
        )),
        Err(e) => Err(Refusal::bad_request(format!(
            "the request body is not JSON: {e}"
        ))),
    }
}

pub(super) fn wrong_type(name: &str, expected: &str, value: &Value) -> Refusal {
    Refusal::bad_request(format!(
        "attribute `{name}`: expected {expected}, got {value}"
    ))
}

pub(super) fn boolean(name: &str, value: &Value) -> Result<bool, Refusal> {
    value
        .as_bool()
        .ok_or_else(|| wrong_type(name, "true or false", value))
}

/// The changes `attrs` asks for, every attribute checked; `skip` names attributes the
/// caller reads itself.
pub(super) fn user_changes(
    attrs: &Map<String, Value>,
    skip: &[&str],
) -> Result<Vec<UserChange>, Refusal> {
    let mut changes = Vec::with_capacity(attrs.len());
    for (name, value) in attrs {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let change = match name.as_str() {
            "userPrincipalName" => match value.as_str() {
                Some(login) if !login.trim().is_empty() => UserChange::Login(login.to_owned()),
                _ => return Err(wrong_type(name, "a non-empty string", value)),
            },
            "manager" => match value {
                Value::Null => UserChange::Manager(None),
                Value::String(key) => UserChange::Manager(Some(key.clone())),
                _ => return Err(wrong_type(name, "a user id or login, or null", value)),
            },
            "active" | "enabled" => UserChange::Enabled(boolean(name, value)?),
            "assigned" => UserChange::Assigned(boolean(name, value)?),
            "softDeleted" => UserChange::SoftDeleted(boolean(name, value)?),
            other => match TextAttribute::of(other) {
                Some(attr) => match value {
                    Value::Null => UserChange::Text(attr, None),
                    Value::String(s) => UserChange::Text(attr, Some(s.clone())),
                    _ => return Err(wrong_type(name, "a string or null", value)),
                },
                None => {
                    return Err(Refusal::bad_request(format!(
                        "unknown attribute `{other}` (writable: {WRITABLE_USER_ATTRIBUTES}; \
                         DELETE hard-deletes)"
                    )))
                }
            },
        };
        changes.push(change);
    }
    Ok(changes)
}

/// Applies `changes` to user `id` in `dir`, after checking what could refuse them (the
/// user is deleted, a manager is unknown, the login is another user's): all or nothing.
pub(super) fn apply_user_changes(
    dir: &mut Directory,
    id: &str,
    changes: Vec<UserChange>,
) -> Result<(), Refusal> {
    match dir.user(id) {
        None => return Err(Refusal::unknown_user(id)),
        Some(u) if u.hard_deleted => {
            return Err(Refusal::conflict(format!(
                "user `{id}` is hard-deleted and cannot be changed"
            )))
        }
        Some(_) => {}
    }
    let checked = check_user_changes(dir, id, changes)?;
    apply_checked(dir, id, checked)
}

/// `changes` for user `id` with manager keys resolved to ids; refused when a manager is
/// unknown or the login is another user's.
pub(super) fn check_user_changes(
    dir: &Directory,
    id: &str,
    changes: Vec<UserChange>,
) -> Result<Vec<UserChange>, Refusal> {
    let mut checked = Vec::with_capacity(changes.len());
    for change in changes {
        let change = match change {
            UserChange::Manager(Some(key)) => {
                let manager = resolve_user(dir, &key).ok_or_else(|| {
                    Refusal::bad_request(format!(
                        "attribute `manager`: no user `{key}` in the directory"
                    ))
                })?;
                UserChange::Manager(Some(manager.to_owned()))
            }
            UserChange::Login(login) => {
                if let Some(other) = dir.user_by_login(&login).filter(|u| u.id != id) {
                    return Err(Refusal::conflict(format!(
                        "attribute `userPrincipalName`: `{login}` is user `{}`'s",
                        other.id
                    )));
                }
                UserChange::Login(login)
            }
            other => other,
        };
        checked.push(change);
    }
    Ok(checked)
}

/// Applies checked changes to user `id`, which exists and is not hard-deleted: none of
/// the directory calls can fail then.
pub(super) fn apply_checked(
    dir: &mut Directory,
    id: &str,
    checked: Vec<UserChange>,
) -> Result<(), Refusal> {
    for change in checked {
        match change {
            UserChange::Login(login) => dir.update_user(id, |p| p.user_principal_name = login),
            UserChange::Text(attr, value) => dir.update_user(id, |p| *attr.field(p) = value),
            UserChange::Manager(manager) => dir.update_user(id, |p| p.manager = manager),
            UserChange::Enabled(true) => dir.enable_user(id),
            UserChange::Enabled(false) => dir.disable_user(id),
            UserChange::Assigned(true) => dir.assign_user(id),
            UserChange::Assigned(false) => dir.unassign_user(id),
            UserChange::SoftDeleted(true) => dir.soft_delete_user(id),
            UserChange::SoftDeleted(false) => dir.restore_user(id),
        }?;
    }
    Ok(())
}
