//! SCIM users and the app users they provision: create (or adopt), replace, delete,
//! read, and the SCIM representation.

use rusqlite::{params, Connection, OptionalExtension};
use scim::model::{User, USER_SCHEMA};
use scim::schema::ResourceSchema;
use scim::ScimError;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::fault::{Fault, FaultSet};
use crate::store::listing::{
    membership_refs, representation, stored_doc, Listed, ResourceTable, Selection,
};
use crate::store::{
    app_user_by_email, app_user_by_id, app_user_by_login, meta, new_scim_id, new_scim_user_uid,
    parse_doc,
};

/// Grafana: `auth_module` of the `user_auth` row SCIM writes.
pub const SAML_AUTH_MODULE: &str = "auth.saml";

/// Ten years in milliseconds: Grafana sets `last_seen_at` that far back for a user who
/// never logged in.
const NEVER_SEEN_OFFSET: i64 = 10 * 365 * 24 * 3600 * 1000;

/// A stored SCIM user with the app-side state its representation needs.
#[derive(Debug, Clone)]
pub struct ScimUserRecord {
    pub id: String,
    pub user_id: i64,
    pub external_id: Option<String>,
    pub doc: Map<String, Value>,
    pub is_disabled: bool,
    pub created: i64,
    pub last_modified: i64,
    pub version: i64,
}

const USERS: ResourceTable<ScimUserRecord> = ResourceTable {
    select: "SELECT su.id, su.user_id, su.external_id, su.doc, u.is_disabled,
        su.created, su.last_modified, su.version
    FROM scim_user su JOIN user u ON u.id = su.user_id",
    id: "su.id",
    external_id: "su.external_id",
    order: "su.user_id",
    name: ("userName", "su.user_name_lower"),
    from_row,
    schema: ResourceSchema::user,
};

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScimUserRecord> {
    Ok(ScimUserRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        external_id: r.get(2)?,
        doc: parse_doc(&r.get::<_, String>(3)?)?,
        is_disabled: r.get(4)?,
        created: r.get(5)?,
        last_modified: r.get(6)?,
        version: r.get(7)?,
    })
}

/// What a SCIM User body asks the target to store, with the app columns derived the
/// way Grafana maps them.
#[derive(Debug, Clone)]
pub struct UserWrite {
    /// `userName` → `user.login`.
    pub user_name: String,
    /// `externalId` → `user_auth.external_uid`.
    pub external_id: Option<String>,
    /// The work email (`User::work_email`), else the `userName` → `user.email`.
    pub email: String,
    /// `displayName`, else `name.formatted`, else given and family name, else the
    /// `userName` → `user.name`.
    pub name: String,
    /// `active` → `user.is_disabled`; `None` keeps the current state.
    pub active: Option<bool>,
    /// The document to store: every attribute sent, minus those kept elsewhere.
    pub doc: Map<String, Value>,
    /// `doc` as stored, serialized before the write reaches the writer thread.
    pub doc_json: String,
}

/// Attributes not kept in the stored document: `id` and `meta` are the target's,
/// `externalId` and `active` have their own columns, `groups` is read-only (RFC 7643
/// §4.1.2) and `password` is never returned (RFC 7643 §4.1.1) nor stored.
const NOT_IN_DOC: &[&str] = &[
    "schemas",
    "id",
    "meta",
    "externalId",
    "active",
    "groups",
    "password",
];

impl UserWrite {
    /// Derive the app columns from a validated User.
    pub fn from_user(user: User) -> Result<UserWrite, AppError> {
        let user_name = user.user_name.clone();
        if user_name.trim().is_empty() {
            return Err(ScimError::invalid_value("attribute `userName` is required").into());
        }
        let email = user
            .work_email()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or(&user_name)
            .trim()
            .to_owned();
        let name = display_name(&user);
        let external_id = user.external_id.clone().filter(|e| !e.is_empty());
        let active = user.active;
        let (doc, doc_json) = stored_doc(&user, NOT_IN_DOC, "user")?;
        Ok(UserWrite {
            user_name,
            external_id,
            email,
            name,
            active,
            doc_json,
            doc,
        })
    }
}

/// Grafana's `user.name` for a SCIM user.
fn display_name(user: &User) -> String {
    let non_empty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(d) = non_empty(&user.display_name) {
        return d;
    }
    if let Some(name) = &user.name {
        if let Some(f) = non_empty(&name.formatted) {
            return f;
        }
        let parts: Vec<String> = [&name.given_name, &name.family_name]
            .into_iter()
            .filter_map(non_empty)
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
    }
    user.user_name.clone()
}

/// What to do with an `externalId` a write leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingExternalId {
    /// PUT: an omitted `externalId` is "not asserted" (RFC 7644 §3.5.1); keep it.
    Keep,
    /// PATCH: the result of the operations is the whole truth; an absent one is an error.
    Refuse,
}

fn taken(what: &str, value: &str, detail: &str) -> AppError {
    ScimError::uniqueness(format!("{what} `{value}` {detail}")).into()
}

/// `userName` uniqueness across SCIM users and app logins, excluding the app user
/// (`own_user`) and SCIM user (`own_scim`) being written. RFC 7643 §4.1.1: `userName`
/// is unique and case-insensitive; Grafana keeps logins unique, ignoring case.
fn check_user_name(
    conn: &Connection,
    w: &UserWrite,
    own_user: Option<i64>,
    own_scim: Option<&str>,
) -> Result<(), AppError> {
    if let Some(other) = scim_id_by_user_name(conn, &w.user_name.to_lowercase())? {
        if own_scim != Some(other.as_str()) {
            return Err(taken("userName", &w.user_name, "is already taken"));
        }
    }
    if let Some(other) = app_user_by_login(conn, &w.user_name)? {
        if own_user != Some(other.id) {
            return Err(taken(
                "userName",
                &w.user_name,
                "is already the login of another user",
            ));
        }
    }
    Ok(())
}

/// Grafana keeps emails unique, ignoring case.
fn check_email(conn: &Connection, w: &UserWrite, own_user: i64) -> Result<(), AppError> {
    match app_user_by_email(conn, &w.email)? {
        Some(other) if other.id != own_user => Err(taken(
            "email",
            &w.email,
            "is already the email of another user",
        )),
        _ => Ok(()),
    }
}

/// `externalId` is the login link (the SAML uid must equal it), so two SCIM users
/// cannot share one; `own_scim` is the SCIM user being written.
fn check_external_id(
    conn: &Connection,
    external_id: &str,
    own_scim: Option<&str>,
) -> Result<(), AppError> {
    let other: Option<String> = conn
        .prepare_cached("SELECT id FROM scim_user WHERE external_id = ?1")?
        .query_row([external_id], |r| r.get(0))
        .optional()?;
    match other {
        Some(other) if own_scim != Some(other.as_str()) => Err(taken(
            "externalId",
            external_id,
            "is already the externalId of another provisioned user",
        )),
        _ => Ok(()),
    }
}

fn scim_id_by_user_name(conn: &Connection, lower: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT id FROM scim_user WHERE user_name_lower = ?1")?
        .query_row([lower], |r| r.get(0))
        .optional()
}

/// Point the user's `auth.saml` row at this external id, creating the row (with an
/// empty `auth_id`, as Grafana's SCIM does) if there is none.
fn set_external_uid(
    conn: &Connection,
    user_id: i64,
    external_id: &str,
    now: i64,
) -> rusqlite::Result<()> {
    let updated = conn
        .prepare_cached(
            "UPDATE user_auth SET external_uid = ?1 WHERE user_id = ?2 AND auth_module = ?3",
        )?
        .execute(params![external_id, user_id, SAML_AUTH_MODULE])?;
    if updated == 0 {
        insert_external_uid(conn, user_id, external_id, now)?;
    }
    Ok(())
}

/// Eight random hex digits, to tell apart the copies the uniqueness faults make.
fn short_tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// `local+tag@domain` (or `value+tag`): a login or email the app's unique indexes
/// accept beside `value`, for the uniqueness faults.
fn tagged(value: &str, tag: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => format!("{local}+{tag}@{domain}"),
        None => format!("{value}+{tag}"),
    }
}

/// Whether a `user.uid` is in use.
fn uid_taken(conn: &Connection, uid: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM user WHERE uid = ?1")?
        .query_row([uid], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// A new user's `auth.saml` row.
fn insert_external_uid(
    conn: &Connection,
    user_id: i64,
    external_id: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO user_auth (user_id, auth_module, auth_id, external_uid, created) VALUES (?1, ?2, '', ?3, ?4)",
    )?
    .execute(params![user_id, SAML_AUTH_MODULE, external_id, now])?;
    Ok(())
}

/// RFC 7644 §3.3: create a user. An app user that SCIM does not provision and whose
/// email matches is adopted instead of conflicting (Grafana PR #108657): it becomes
/// provisioned, takes the login, name and externalId from SCIM, and keeps its id, uid
/// and data. The internal uid of a new user is `scim-` and random (CVE-2025-41115).
pub fn create(
    conn: &Connection,
    mut w: UserWrite,
    now: i64,
    faults: &FaultSet,
) -> Result<ScimUserRecord, AppError> {
    let external_id = w
        .external_id
        .clone()
        .ok_or_else(|| ScimError::invalid_value("attribute `externalId` is required"))?;
    if !faults.has(Fault::DuplicateExternalId) {
        check_external_id(conn, &external_id, None)?;
    }
    let disabled = !w.active.unwrap_or(true);
    let mut user_name_key = w.user_name.to_lowercase();
    if faults.has(Fault::DuplicateUsername) && scim_id_by_user_name(conn, &user_name_key)?.is_some()
    {
        // Fault: no uniqueness check. The app's unique login and email indexes would
        // still refuse the copy, so it gets a tagged login, email and index key.
        let tag = format!("dup-{}", short_tag());
        user_name_key = format!("{user_name_key}\u{1f}{tag}");
        w.user_name = tagged(&w.user_name, &tag);
        w.email = tagged(&w.email, &tag);
    }
    let owner = if faults.has(Fault::NoEmailAdoption) {
        None
    } else {
        app_user_by_email(conn, &w.email)?
    };
    let owner = match owner {
        // Fault (CVE-2025-41115): a numeric externalId read as an internal user id.
        None if faults.has(Fault::ExternalIdAsUid) => match external_id.parse::<i64>() {
            Ok(n) => app_user_by_id(conn, n)?.filter(|o| o.scim_id.is_none()),
            Err(_) => None,
        },
        other => other,
    };
    if faults.has(Fault::NoEmailAdoption) {
        if let Some(other) = app_user_by_email(conn, &w.email)? {
            if other.scim_id.is_none() {
                // Fault: the existing account is not adopted; the new user cannot
                // share its email in the app, so it gets a tagged one.
                w.email = tagged(&w.email, &format!("scim-{}", short_tag()));
            }
        }
    }
    // Fault (adopt-provisioned-by-email): any email owner is adopted, another
    // provisioned user or the server admin included.
    let takeover = (faults.has(Fault::ExternalIdAsUid)
        || faults.has(Fault::AdoptProvisionedByEmail))
        && owner.is_some();
    if owner.as_ref().is_none_or(|o| {
        (o.scim_id.is_none() || faults.has(Fault::AdoptProvisionedByEmail))
            && (!o.is_admin || takeover)
    }) {
        // The email is free or belongs to the user adopted below.
        check_user_name(conn, &w, owner.as_ref().map(|o| o.id), None)?;
    }
    let user_id = match owner {
        Some(owner) if owner.scim_id.is_some() && !faults.has(Fault::AdoptProvisionedByEmail) => {
            return Err(taken(
                "email",
                &w.email,
                "is already the email of another provisioned user",
            ));
        }
        Some(owner) if owner.is_admin && !takeover => {
            return Err(taken(
                "email",
                &w.email,
                "belongs to a server administrator, which scim does not adopt",
            ));
        }
        Some(owner) => {
            if owner.scim_id.is_some() {
                // Fault (adopt-provisioned-by-email): the new SCIM user takes the
                // account over; the SCIM user that provisioned it is dropped.
                conn.prepare_cached("DELETE FROM scim_user WHERE user_id = ?1")?
                    .execute([owner.id])?;
            }
            // Grafana PR #108657: adopt the existing account.
            conn.prepare_cached(
                "UPDATE user SET login = ?1, email = ?2, name = ?3, is_provisioned = 1, is_disabled = ?4,
                    updated = ?5 WHERE id = ?6",
            )?
            .execute(params![w.user_name, w.email, w.name, disabled, now, owner.id])?;
            set_external_uid(conn, owner.id, &external_id, now)?;
            owner.id
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO user (uid, login, email, name, is_provisioned, is_disabled, created, updated, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?6, ?7)",
            )?
            .execute(params![
                if faults.has(Fault::ExternalIdAsUid) && !uid_taken(conn, &external_id)? {
                    external_id.clone()
                } else {
                    new_scim_user_uid()
                },
                w.user_name,
                w.email,
                w.name,
                disabled,
                now,
                now - NEVER_SEEN_OFFSET
            ])?;
            let user_id = conn.last_insert_rowid();
            insert_external_uid(conn, user_id, &external_id, now)?;
            user_id
        }
    };
    let id = new_scim_id();
    conn.prepare_cached(
        "INSERT INTO scim_user (id, user_id, user_name_lower, external_id, doc, created, last_modified, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)",
    )?
    .execute(params![
        id,
        user_id,
        user_name_key,
        external_id,
        w.doc_json,
        now
    ])?;
    if disabled {
        revoke_sessions(conn, user_id, faults)?;
    }
    Ok(ScimUserRecord {
        id,
        user_id,
        external_id: Some(external_id),
        doc: w.doc,
        is_disabled: disabled,
        created: now,
        last_modified: now,
        version: 1,
    })
}

/// RFC 7644 §3.5.1: replace a user (PUT, and PATCH after the operations are applied).
/// `active=false` disables the app user (Grafana: "deactivate"); `active=true`
/// enables it again.
pub fn replace(
    conn: &Connection,
    id: &str,
    mut w: UserWrite,
    missing_external_id: MissingExternalId,
    now: i64,
    faults: &FaultSet,
) -> Result<ScimUserRecord, AppError> {
    let rec = get(conn, id)?.ok_or_else(|| not_found(id))?;
    if faults.has(Fault::RenameIgnored) {
        // Fault: the update keeps the stored userName (and so the app login).
        if let Some(old) = rec.doc.get("userName").and_then(Value::as_str) {
            if old != w.user_name {
                w.user_name = old.to_owned();
                w.doc.insert("userName".into(), Value::from(old));
                w.doc_json = serde_json::to_string(&w.doc)?;
            }
        }
    }
    let external_id = match (w.external_id.clone(), missing_external_id) {
        (Some(e), _) => e,
        (None, MissingExternalId::Keep) => rec
            .external_id
            .clone()
            .ok_or_else(|| ScimError::invalid_value("attribute `externalId` is required"))?,
        (None, MissingExternalId::Refuse) => {
            return Err(ScimError::invalid_value(
                "attribute `externalId` is required and cannot be removed",
            )
            .into())
        }
    };
    check_user_name(conn, &w, Some(rec.user_id), Some(id))?;
    if faults.has(Fault::UpdateTakesEmail) {
        // Fault: the update takes the email; its previous owner gets a tagged one.
        if let Some(other) = app_user_by_email(conn, &w.email)?.filter(|o| o.id != rec.user_id) {
            conn.prepare_cached("UPDATE user SET email = ?1 WHERE id = ?2")?
                .execute(params![
                    tagged(&w.email, &format!("moved-{}", short_tag())),
                    other.id
                ])?;
        }
    }
    check_email(conn, &w, rec.user_id)?;
    if !faults.has(Fault::DuplicateExternalId) {
        check_external_id(conn, &external_id, Some(id))?;
    }
    let disabled = w.active.map_or(rec.is_disabled, |active| !active);
    conn.prepare_cached(
        "UPDATE user SET login = ?1, email = ?2, name = ?3, is_disabled = ?4, updated = ?5 WHERE id = ?6",
    )?
    .execute(params![w.user_name, w.email, w.name, disabled, now, rec.user_id])?;
    // Fault (external-id-change-ignored): the SCIM resource shows the new externalId
    // but the login link keeps the old one.
    if rec.external_id.as_deref() != Some(external_id.as_str())
        && !faults.has(Fault::ExternalIdChangeIgnored)
    {
        set_external_uid(conn, rec.user_id, &external_id, now)?;
    }
    conn.prepare_cached(
        "UPDATE scim_user SET user_name_lower = ?1, external_id = ?2, doc = ?3, last_modified = ?4,
            version = version + 1 WHERE id = ?5",
    )?
    .execute(params![
        w.user_name.to_lowercase(),
        external_id,
        w.doc_json,
        now,
        id
    ])?;
    if disabled {
        revoke_sessions(conn, rec.user_id, faults)?;
    }
    Ok(ScimUserRecord {
        external_id: Some(external_id),
        doc: w.doc,
        is_disabled: disabled,
        last_modified: now,
        version: rec.version + 1,
        ..rec
    })
}

/// RFC 7644 §3.6: delete a user. The SCIM resource is gone (404 afterwards); the app
/// user stays, disabled, with its data (Grafana: provisioned users "can only be
/// deactivated"), and leaves the teams SCIM groups provision, so no group lists a
/// member that no longer exists. A later create with the same email adopts it.
pub fn delete(conn: &Connection, id: &str, now: i64, faults: &FaultSet) -> Result<(), AppError> {
    let rec = get(conn, id)?.ok_or_else(|| not_found(id))?;
    if faults.has(Fault::DeleteOnlyDisables) {
        // Fault: a soft delete; the SCIM resource stays, inactive.
        conn.prepare_cached("UPDATE user SET is_disabled = 1, updated = ?1 WHERE id = ?2")?
            .execute(params![now, rec.user_id])?;
        revoke_sessions(conn, rec.user_id, faults)?;
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM scim_user WHERE id = ?1")?
        .execute([id])?;
    conn.prepare_cached("UPDATE user SET is_disabled = 1, updated = ?1 WHERE id = ?2")?
        .execute(params![now, rec.user_id])?;
    conn.prepare_cached(
        "DELETE FROM team_member WHERE user_id = ?1 AND team_id IN (SELECT team_id FROM scim_group)",
    )?
    .execute([rec.user_id])?;
    revoke_sessions(conn, rec.user_id, faults)?;
    Ok(())
}

/// A disabled user's login sessions end (IPSIE IL1-SCIM draft: revoke active sessions);
/// the `session-survives-disable` fault keeps them.
fn revoke_sessions(conn: &Connection, user_id: i64, faults: &FaultSet) -> rusqlite::Result<()> {
    if faults.has(Fault::SessionSurvivesDisable) {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM session WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(())
}

pub fn not_found(id: &str) -> AppError {
    ScimError::not_found(format!("user `{id}` not found")).into()
}

/// A user by SCIM id.
pub fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<ScimUserRecord>> {
    USERS.get(conn, id)
}

/// RFC 7643 §4.1.2 `groups`: the SCIM groups whose teams the user belongs to.
pub fn groups_of(conn: &Connection, user_id: i64, base: &str) -> rusqlite::Result<Vec<Value>> {
    membership_refs(
        conn,
        "SELECT sg.id, t.name FROM team_member tm
         JOIN scim_group sg ON sg.team_id = tm.team_id
         JOIN team t ON t.id = tm.team_id
         WHERE tm.user_id = ?1 ORDER BY sg.team_id",
        user_id,
        (base, "Groups"),
        "direct",
    )
}

/// RFC 7643 §4.1: the SCIM representation. `groups` is included when given and
/// non-empty; `active` reflects the app user's `is_disabled`.
pub fn resource(rec: &ScimUserRecord, groups: Option<Vec<Value>>, base: &str) -> Value {
    let mut out = representation(USER_SCHEMA, &rec.id, rec.external_id.as_deref(), &rec.doc);
    out.insert("active".into(), (!rec.is_disabled).into());
    if let Some(groups) = groups.filter(|g| !g.is_empty()) {
        out.insert("groups".into(), Value::Array(groups));
    }
    out.insert(
        "meta".into(),
        meta(
            "User",
            rec.created,
            rec.last_modified,
            rec.version,
            format!("{base}/Users/{}", rec.id),
        ),
    );
    Value::Object(out)
}

/// The representation with `groups` loaded when `with_groups`.
pub fn render(
    conn: &Connection,
    rec: &ScimUserRecord,
    with_groups: bool,
    base: &str,
) -> rusqlite::Result<Value> {
    let groups = if with_groups {
        Some(groups_of(conn, rec.user_id, base)?)
    } else {
        None
    };
    Ok(resource(rec, groups, base))
}

/// RFC 7644 §3.4.2: one page of users matching `filter`, in a stable order (creation
/// order), with the total count. `userName eq`, `externalId eq` and `id eq` filters
/// use an index; any other filter is evaluated over every user.
pub fn query(
    conn: &Connection,
    sel: &Selection<'_>,
    base: &str,
    faults: &FaultSet,
) -> Result<Listed, AppError> {
    let page = sel.page();
    let hide_disabled = faults.has(Fault::HideDisabledUsers);
    let render = |rec: &ScimUserRecord| render(conn, rec, sel.with_memberships, base);
    let Some(filter) = sel.filter else {
        if hide_disabled {
            // Fault: disabled users are left out of lists.
            return USERS.unfiltered_page(
                conn,
                page,
                "SELECT count(*) FROM scim_user su JOIN user u ON u.id = su.user_id WHERE u.is_disabled = 0",
                "WHERE u.is_disabled = 0",
                render,
            );
        }
        return USERS.unfiltered_page(conn, page, "SELECT count(*) FROM scim_user", "", render);
    };
    let mut candidates = USERS.candidates(conn, filter)?;
    if faults.has(Fault::CaseSensitiveUsername) {
        if let Some((attr, value)) = filter.as_simple_eq() {
            if attr.eq_ignore_ascii_case("userName") {
                // Fault: `userName eq` compares the stored value byte for byte.
                candidates
                    .retain(|rec| rec.doc.get("userName").and_then(Value::as_str) == Some(value));
            }
        }
    }
    let candidates = candidates
        .iter()
        .filter(|r| !(hide_disabled && r.is_disabled));
    USERS.filtered_page(candidates, filter, page, render)
}
