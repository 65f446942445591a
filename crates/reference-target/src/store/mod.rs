//! What the target stores, as SQL over a transaction: SCIM users and the app users they
//! provision, SCIM groups and their teams, the stored SCIMConfig, and the app-side
//! reads and writes of Grafana's HTTP API.

pub mod app;
pub mod config;
pub mod groups;
pub mod listing;
pub mod login;
pub mod saml;
pub mod users;

use rusqlite::{Connection, OptionalExtension, ToSql};
use serde_json::{Map, Value};

use crate::timestamp::scim_datetime;

/// A fresh SCIM resource id (a UUID, as Entra and Okta expect ids to look).
pub fn new_scim_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// A fresh `user.uid` for a SCIM-provisioned user: `scim-` and random hex, never
/// derived from the `externalId` (CVE-2025-41115; Grafana PRs #113500, #113538).
pub fn new_scim_user_uid() -> String {
    format!("scim-{}", uuid::Uuid::new_v4().simple())
}

/// A fresh `uid` for a user or team created in the app (Grafana's 14-character shape).
pub fn new_app_uid() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    // Grafana uids start with a letter.
    let mut uid: String = hex.chars().take(14).collect();
    uid.replace_range(0..1, "c");
    uid
}

/// RFC 7643 §3.1 `meta`.
pub fn meta(
    resource_type: &str,
    created: i64,
    last_modified: i64,
    version: i64,
    location: String,
) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), resource_type.into());
    m.insert("created".into(), scim_datetime(created).into());
    m.insert("lastModified".into(), scim_datetime(last_modified).into());
    m.insert("location".into(), location.into());
    m.insert("version".into(), format!("W/\"{version}\"").into());
    Value::Object(m)
}

/// The schema URNs a stored document carries beyond the core one: every top-level key
/// that is a URN holding an object (the enterprise extension, custom extensions).
pub fn extension_urns(doc: &Map<String, Value>) -> impl Iterator<Item = &str> {
    doc.iter()
        .filter(|(k, v)| k.len() > 4 && k[..4].eq_ignore_ascii_case("urn:") && v.is_object())
        .map(|(k, _)| k.as_str())
}

/// Parse a stored JSON document column.
pub fn parse_doc(text: &str) -> rusqlite::Result<Map<String, Value>> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// An app user row, as uniqueness checks and adoption need it.
#[derive(Debug, Clone)]
pub struct AppUserRef {
    pub id: i64,
    pub is_admin: bool,
    /// The SCIM resource provisioning this user, if any.
    pub scim_id: Option<String>,
}

fn app_user_where(
    conn: &Connection,
    condition: &str,
    value: &dyn ToSql,
) -> rusqlite::Result<Option<AppUserRef>> {
    conn.prepare_cached(&format!(
        "SELECT u.id, u.is_admin, su.id FROM user u LEFT JOIN scim_user su ON su.user_id = u.id
         WHERE {condition}"
    ))?
    .query_row([value], |r| {
        Ok(AppUserRef {
            id: r.get(0)?,
            is_admin: r.get(1)?,
            scim_id: r.get(2)?,
        })
    })
    .optional()
}

/// The app user whose login equals `login`, ignoring case.
pub fn app_user_by_login(conn: &Connection, login: &str) -> rusqlite::Result<Option<AppUserRef>> {
    app_user_where(conn, "lower(u.login) = lower(?1)", &login)
}

/// The app user with this internal id.
pub fn app_user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<AppUserRef>> {
    app_user_where(conn, "u.id = ?1", &id)
}

/// The app user whose email equals `email`, ignoring case.
pub fn app_user_by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<AppUserRef>> {
    app_user_where(conn, "lower(u.email) = lower(?1)", &email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids() {
        let uid = new_scim_user_uid();
        assert!(uid.starts_with("scim-") && uid.len() == 37, "{uid}");
        let app = new_app_uid();
        assert_eq!(app.len(), 14);
        assert!(app.starts_with('c'));
        assert_ne!(new_scim_id(), new_scim_id());
    }
}
