//! SCIM groups and the teams they provision: create, replace (members by difference),
//! delete, read, and the SCIM representation with members from `team_member`.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};
use scim::model::{Group, GROUP_SCHEMA};
use scim::schema::ResourceSchema;
use scim::ScimError;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::store::listing::{
    membership_refs, representation, stored_doc, Listed, ResourceTable, Selection,
};
use crate::store::{meta, new_app_uid, new_scim_id, parse_doc};

/// A stored SCIM group.
#[derive(Debug, Clone)]
pub struct ScimGroupRecord {
    pub id: String,
    pub team_id: i64,
    pub external_id: Option<String>,
    pub doc: Map<String, Value>,
    pub created: i64,
    pub last_modified: i64,
    pub version: i64,
}

const GROUPS: ResourceTable<ScimGroupRecord> = ResourceTable {
    select: "SELECT sg.id, sg.team_id, sg.external_id, sg.doc, sg.created,
        sg.last_modified, sg.version
    FROM scim_group sg",
    id: "sg.id",
    external_id: "sg.external_id",
    order: "sg.team_id",
    name: ("displayName", "sg.display_name_lower"),
    from_row,
    schema: ResourceSchema::group,
};

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScimGroupRecord> {
    Ok(ScimGroupRecord {
        id: r.get(0)?,
        team_id: r.get(1)?,
        external_id: r.get(2)?,
        doc: parse_doc(&r.get::<_, String>(3)?)?,
        created: r.get(4)?,
        last_modified: r.get(5)?,
        version: r.get(6)?,
    })
}

/// What a SCIM Group body asks the target to store.
#[derive(Debug, Clone)]
pub struct GroupWrite {
    /// `displayName` → `team.name`.
    pub display_name: String,
    /// `externalId` → `team.external_uid` (the SCIM id when absent).
    pub external_id: Option<String>,
    /// Member user ids (SCIM ids); `None` when the body did not assert `members`.
    pub members: Option<Vec<String>>,
    /// The document to store, without `members`, `id`, `meta`, `externalId`.
    pub doc: Map<String, Value>,
    /// `doc` as stored, serialized before the write reaches the writer thread.
    pub doc_json: String,
}

const NOT_IN_DOC: &[&str] = &["schemas", "id", "meta", "externalId", "members"];

impl GroupWrite {
    /// Derive the team columns from a validated Group. `members_asserted` says whether
    /// the body carried `members` at all (RFC 7644 §3.5.1: an omitted attribute is not
    /// asserted by the client).
    pub fn from_group(group: Group, members_asserted: bool) -> Result<GroupWrite, AppError> {
        let display_name = group.display_name.trim().to_owned();
        if display_name.is_empty() {
            return Err(ScimError::invalid_value("attribute `displayName` is required").into());
        }
        let external_id = group.external_id.clone().filter(|e| !e.is_empty());
        let members = members_asserted.then(|| {
            let mut seen = HashSet::new();
            group
                .members
                .iter()
                .map(|m| m.value.clone())
                .filter(|v| seen.insert(v.clone()))
                .collect()
        });
        let (doc, doc_json) = stored_doc(&group, NOT_IN_DOC, "group")?;
        Ok(GroupWrite {
            display_name,
            external_id,
            members,
            doc_json,
            doc,
        })
    }
}

pub fn not_found(id: &str) -> AppError {
    ScimError::not_found(format!("group `{id}` not found")).into()
}

/// A group by SCIM id.
pub fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<ScimGroupRecord>> {
    GROUPS.get(conn, id)
}

/// RFC 7643 §4.2 `members`: the team's members that are SCIM users, in the order
/// they joined. Members added in the app for users SCIM does not provision are not
/// SCIM resources and are not listed.
pub fn members(conn: &Connection, team_id: i64, base: &str) -> rusqlite::Result<Vec<Value>> {
    membership_refs(
        conn,
        "SELECT su.id, u.name FROM team_member tm
         JOIN scim_user su ON su.user_id = tm.user_id
         JOIN user u ON u.id = tm.user_id
         WHERE tm.team_id = ?1 ORDER BY tm.id",
        team_id,
        (base, "Users"),
        "User",
    )
}

/// RFC 7643 §4.2: the SCIM representation; `members` when given and non-empty.
pub fn resource(rec: &ScimGroupRecord, members: Option<Vec<Value>>, base: &str) -> Value {
    let mut out = representation(GROUP_SCHEMA, &rec.id, rec.external_id.as_deref(), &rec.doc);
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        out.insert("members".into(), Value::Array(members));
    }
    out.insert(
        "meta".into(),
        meta(
            "Group",
            rec.created,
            rec.last_modified,
            rec.version,
            format!("{base}/Groups/{}", rec.id),
        ),
    );
    Value::Object(out)
}

/// The representation, loading members only when `with_members`.
pub fn render(
    conn: &Connection,
    rec: &ScimGroupRecord,
    with_members: bool,
    base: &str,
) -> rusqlite::Result<Value> {
    let members = if with_members {
        Some(members(conn, rec.team_id, base)?)
    } else {
        None
    };
    Ok(resource(rec, members, base))
}

/// The app user ids of these SCIM user ids; an unknown one is `invalidValue` naming it.
fn resolve_members(conn: &Connection, values: &[String]) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT user_id FROM scim_user WHERE id = ?1")?;
    values
        .iter()
        .map(|v| {
            stmt.query_row([v], |r| r.get::<_, i64>(0))
                .optional()?
                .ok_or_else(|| {
                    ScimError::invalid_value(format!("member `{v}` is not the id of a known user"))
                        .into()
                })
        })
        .collect()
}

/// Make the team's SCIM-visible members exactly `wanted`, touching only the difference.
fn set_members(conn: &Connection, team_id: i64, wanted: &[i64], now: i64) -> rusqlite::Result<()> {
    let current: HashSet<i64> = {
        let mut stmt = conn.prepare_cached(
            "SELECT tm.user_id FROM team_member tm JOIN scim_user su ON su.user_id = tm.user_id
             WHERE tm.team_id = ?1",
        )?;
        let rows = stmt.query_map([team_id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let wanted_set: HashSet<i64> = wanted.iter().copied().collect();
    let mut remove =
        conn.prepare_cached("DELETE FROM team_member WHERE team_id = ?1 AND user_id = ?2")?;
    for user_id in current.difference(&wanted_set) {
        remove.execute(params![team_id, user_id])?;
    }
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO team_member (team_id, user_id, created, updated) VALUES (?1, ?2, ?3, ?3)",
    )?;
    for user_id in wanted.iter().filter(|u| !current.contains(u)) {
        add.execute(params![team_id, user_id, now])?;
    }
    Ok(())
}

/// Team names are unique in an organization, ignoring case; SCIM `displayName`s are
/// unique among groups for the same reason.
fn check_unique(
    conn: &Connection,
    display_name: &str,
    own: Option<(&str, i64)>,
) -> Result<(), AppError> {
    let other_group: Option<String> = conn
        .prepare_cached("SELECT id FROM scim_group WHERE display_name_lower = ?1")?
        .query_row([display_name.to_lowercase()], |r| r.get(0))
        .optional()?;
    if other_group.is_some_and(|g| Some(g.as_str()) != own.map(|o| o.0)) {
        return Err(ScimError::uniqueness(format!(
            "displayName `{display_name}` is already taken"
        ))
        .into());
    }
    let other_team: Option<i64> = conn
        .prepare_cached("SELECT id FROM team WHERE org_id = 1 AND lower(name) = lower(?1)")?
        .query_row([display_name], |r| r.get(0))
        .optional()?;
    if other_team.is_some_and(|t| Some(t) != own.map(|o| o.1)) {
        return Err(ScimError::uniqueness(format!(
            "displayName `{display_name}` is already the name of a team"
        ))
        .into());
    }
    Ok(())
}

/// RFC 7644 §3.3: create a group and its team (`is_provisioned`, `external_uid` =
/// the group's externalId or its SCIM id) with the given members.
///
/// `allow_duplicate` is the `duplicate-group-name` fault: no uniqueness check; a taken
/// name gets a tagged team name and index key, as the app's unique indexes demand.
pub fn create(
    conn: &Connection,
    w: GroupWrite,
    now: i64,
    allow_duplicate: bool,
) -> Result<ScimGroupRecord, AppError> {
    let mut team_name = w.display_name.clone();
    let mut name_key = w.display_name.to_lowercase();
    match check_unique(conn, &w.display_name, None) {
        Err(e) if allow_duplicate && e.status() == axum::http::StatusCode::CONFLICT => {
            let tag = format!("dup-{}", &new_app_uid()[..8]);
            team_name = format!("{team_name}+{tag}");
            name_key = format!("{name_key}\u{1f}{tag}");
        }
        other => other?,
    }
    let user_ids = resolve_members(conn, w.members.as_deref().unwrap_or_default())?;
    let id = new_scim_id();
    let external_uid = w.external_id.clone().unwrap_or_else(|| id.clone());
    conn.prepare_cached(
        "INSERT INTO team (uid, name, external_uid, is_provisioned, created, updated)
         VALUES (?1, ?2, ?3, 1, ?4, ?4)",
    )?
    .execute(params![new_app_uid(), team_name, external_uid, now])?;
    let team_id = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO scim_group (id, team_id, display_name_lower, external_id, doc, created, last_modified, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)",
    )?
    .execute(params![
        id,
        team_id,
        name_key,
        w.external_id,
        w.doc_json,
        now
    ])?;
    set_members(conn, team_id, &user_ids, now)?;
    Ok(ScimGroupRecord {
        id,
        team_id,
        external_id: w.external_id,
        doc: w.doc,
        created: now,
        last_modified: now,
        version: 1,
    })
}

/// What to do with an `externalId` a group write leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingExternalId {
    /// PUT: not asserted; keep the stored one.
    Keep,
    /// PATCH: removed; the team's `external_uid` falls back to the SCIM id.
    Clear,
}

/// RFC 7644 §3.5.1: replace a group. Members change by difference, so concurrent
/// adds serialized by the writer transaction all land.
pub fn replace(
    conn: &Connection,
    id: &str,
    w: GroupWrite,
    missing_external_id: MissingExternalId,
    now: i64,
) -> Result<ScimGroupRecord, AppError> {
    let rec = get(conn, id)?.ok_or_else(|| not_found(id))?;
    check_unique(conn, &w.display_name, Some((id, rec.team_id)))?;
    let external_id = match missing_external_id {
        MissingExternalId::Keep => w.external_id.or_else(|| rec.external_id.clone()),
        MissingExternalId::Clear => w.external_id,
    };
    if let Some(members) = &w.members {
        let user_ids = resolve_members(conn, members)?;
        set_members(conn, rec.team_id, &user_ids, now)?;
    }
    let external_uid = external_id.clone().unwrap_or_else(|| id.to_owned());
    conn.prepare_cached(
        "UPDATE team SET name = ?1, external_uid = ?2, updated = ?3 WHERE id = ?4",
    )?
    .execute(params![w.display_name, external_uid, now, rec.team_id])?;
    conn.prepare_cached(
        "UPDATE scim_group SET display_name_lower = ?1, external_id = ?2, doc = ?3, last_modified = ?4,
            version = version + 1 WHERE id = ?5",
    )?
    .execute(params![
        w.display_name.to_lowercase(),
        external_id,
        w.doc_json,
        now,
        id
    ])?;
    Ok(ScimGroupRecord {
        external_id,
        doc: w.doc,
        last_modified: now,
        version: rec.version + 1,
        ..rec
    })
}

/// RFC 7644 §3.6: delete a group; its team goes with it (Grafana: group sync "will
/// create, update, and delete teams"), memberships included. `keep_team` is the
/// `keep-team-on-group-delete` fault: only the SCIM resource goes.
pub fn delete(conn: &Connection, id: &str, keep_team: bool) -> Result<(), AppError> {
    let rec = get(conn, id)?.ok_or_else(|| not_found(id))?;
    if keep_team {
        conn.prepare_cached("DELETE FROM scim_group WHERE id = ?1")?
            .execute([id])?;
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM team WHERE id = ?1")?
        .execute([rec.team_id])?;
    Ok(())
}

/// RFC 7644 §3.4.2: one page of groups matching `filter`, in creation order, with the
/// total. `displayName eq`, `externalId eq` and `id eq` use an index.
///
/// `case_sensitive_name` is the `case-sensitive-group-name` fault: `displayName eq`
/// compares the stored value byte for byte.
pub fn query(
    conn: &Connection,
    sel: &Selection<'_>,
    base: &str,
    case_sensitive_name: bool,
) -> Result<Listed, AppError> {
    let page = sel.page();
    let render = |rec: &ScimGroupRecord| render(conn, rec, sel.with_memberships, base);
    let Some(filter) = sel.filter else {
        return GROUPS.unfiltered_page(conn, page, "SELECT count(*) FROM scim_group", "", render);
    };
    let mut candidates = GROUPS.candidates(conn, filter)?;
    if case_sensitive_name {
        if let Some((attr, value)) = filter.as_simple_eq() {
            if attr.eq_ignore_ascii_case("displayName") {
                candidates.retain(|rec| {
                    rec.doc.get("displayName").and_then(Value::as_str) == Some(value)
                });
            }
        }
    }
    GROUPS.filtered_page(&candidates, filter, page, render)
}
