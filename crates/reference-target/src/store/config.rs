//! The SCIMConfig object stored through the API (Grafana: `config/default`), which
//! overrides the file settings while it exists.

use rusqlite::{params, Connection, OptionalExtension};

use crate::settings::ScimSettings;

/// The namespace a target serves unless told otherwise (self-hosted Grafana's).
pub const DEFAULT_NAMESPACE: &str = "default";

/// A stored SCIMConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredConfig {
    pub spec: ScimSettings,
    /// Bumped on every write; shown as `metadata.resourceVersion` and `generation`.
    pub generation: i64,
    pub created: i64,
    pub updated: i64,
}

/// The stored config of namespace `ns`, if any.
pub fn get(conn: &Connection, ns: &str) -> rusqlite::Result<Option<StoredConfig>> {
    conn.prepare_cached(
        "SELECT enable_user_sync, enable_group_sync, reject_non_provisioned_users, generation, created, updated
         FROM scim_config WHERE namespace = ?1",
    )?
    .query_row([ns], |r| {
        Ok(StoredConfig {
            spec: ScimSettings {
                user_sync_enabled: r.get(0)?,
                group_sync_enabled: r.get(1)?,
                reject_non_provisioned_users: r.get(2)?,
            },
            generation: r.get(3)?,
            created: r.get(4)?,
            updated: r.get(5)?,
        })
    })
    .optional()
}

/// Store `spec` as namespace `ns`'s config, creating or replacing it.
pub fn put(
    conn: &Connection,
    ns: &str,
    spec: ScimSettings,
    now: i64,
) -> rusqlite::Result<StoredConfig> {
    conn.prepare_cached(
        "INSERT INTO scim_config (namespace, enable_user_sync, enable_group_sync, reject_non_provisioned_users,
            generation, created, updated)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)
         ON CONFLICT (namespace) DO UPDATE SET enable_user_sync = excluded.enable_user_sync,
            enable_group_sync = excluded.enable_group_sync,
            reject_non_provisioned_users = excluded.reject_non_provisioned_users,
            generation = generation + 1, updated = excluded.updated",
    )?
    .execute(params![
        ns,
        spec.user_sync_enabled,
        spec.group_sync_enabled,
        spec.reject_non_provisioned_users,
        now
    ])?;
    get(conn, ns)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// Remove namespace `ns`'s stored config; the file settings apply again. True if one
/// existed.
pub fn delete(conn: &Connection, ns: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM scim_config WHERE namespace = ?1")?
        .execute([ns])?
        > 0)
}
