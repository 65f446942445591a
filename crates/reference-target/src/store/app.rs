//! The app side of Grafana's HTTP API over the same tables: users (lookup, search,
//! local creation), teams and team members, and login sessions.

use axum::http::StatusCode;
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use crate::error::AppError;
use crate::store::new_app_uid;
use crate::store::users::SAML_AUTH_MODULE;

/// An app user as Grafana's user JSON needs it.
#[derive(Debug, Clone)]
pub struct AppUser {
    pub id: i64,
    pub uid: String,
    pub org_id: i64,
    pub login: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub is_disabled: bool,
    pub is_provisioned: bool,
    pub created: i64,
    pub updated: i64,
    pub last_seen_at: i64,
    /// The role in the organization: `Viewer`, `Editor` or `Admin`.
    pub org_role: String,
    /// `auth_module`s of the user's `user_auth` rows.
    pub auth_modules: Vec<String>,
}

impl AppUser {
    /// Grafana: `isExternal` — the user has an external auth identity.
    pub fn is_external(&self) -> bool {
        !self.auth_modules.is_empty()
    }

    /// Grafana's `authLabels` (`login.GetAuthProviderLabel`).
    pub fn auth_labels(&self) -> Vec<&'static str> {
        self.auth_modules
            .iter()
            .map(|m| match m.as_str() {
                SAML_AUTH_MODULE => "SAML",
                "ldap" => "LDAP",
                "oauth_generic_oauth" => "Generic OAuth",
                _ => "Unknown",
            })
            .collect()
    }
}

const SELECT_USER: &str =
    "SELECT u.id, u.uid, u.org_id, u.login, u.email, u.name, u.is_admin, u.is_disabled,
        u.is_provisioned, u.created, u.updated, u.last_seen_at, u.org_role FROM user u";

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AppUser> {
    Ok(AppUser {
        id: r.get(0)?,
        uid: r.get(1)?,
        org_id: r.get(2)?,
        login: r.get(3)?,
        email: r.get(4)?,
        name: r.get(5)?,
        is_admin: r.get(6)?,
        is_disabled: r.get(7)?,
        is_provisioned: r.get(8)?,
        created: r.get(9)?,
        updated: r.get(10)?,
        last_seen_at: r.get(11)?,
        org_role: r.get(12)?,
        auth_modules: Vec::new(),
    })
}

fn with_auth_modules(conn: &Connection, mut user: AppUser) -> rusqlite::Result<AppUser> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT auth_module FROM user_auth WHERE user_id = ?1 ORDER BY auth_module",
    )?;
    user.auth_modules = stmt
        .query_map([user.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(user)
}

fn user_where(
    conn: &Connection,
    clause: &str,
    value: &dyn rusqlite::ToSql,
) -> rusqlite::Result<Option<AppUser>> {
    let user = conn
        .prepare_cached(&format!("{SELECT_USER} WHERE {clause}"))?
        .query_row([value], user_from_row)
        .optional()?;
    user.map(|u| with_auth_modules(conn, u)).transpose()
}

/// A user by internal id.
pub fn user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<AppUser>> {
    user_where(conn, "u.id = ?1", &id)
}

/// Grafana: `GET /api/users/lookup?loginOrEmail=` — by login, then by email, ignoring case.
pub fn user_by_login_or_email(conn: &Connection, value: &str) -> rusqlite::Result<Option<AppUser>> {
    match user_where(conn, "lower(u.login) = lower(?1)", &value)? {
        Some(u) => Ok(Some(u)),
        None => user_where(conn, "lower(u.email) = lower(?1)", &value),
    }
}

/// Grafana: `GET /api/users/search` — `query` matches login, email or name (substring,
/// ignoring case); `is_provisioned` filters; ordered by login.
pub fn search_users(
    conn: &Connection,
    query: Option<&str>,
    is_provisioned: Option<bool>,
    page: u64,
    per_page: u64,
) -> rusqlite::Result<(u64, Vec<AppUser>)> {
    let pattern = query.map(like_pattern);
    let search = Search {
        table: "user u",
        select: SELECT_USER,
        filter: "WHERE (?1 IS NULL OR lower(u.login) LIKE ?1 ESCAPE '\\' OR lower(u.email) LIKE ?1 ESCAPE '\\'
            OR lower(u.name) LIKE ?1 ESCAPE '\\')
          AND (?2 IS NULL OR u.is_provisioned = ?2)",
        order: "u.login, u.id",
        from_row: user_from_row,
    };
    let (total, users) = search.page(conn, [&pattern, &is_provisioned], page, per_page)?;
    let users = users
        .into_iter()
        .map(|u| with_auth_modules(conn, u))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((total, users))
}

/// A search of Grafana's HTTP API: the rows `filter` keeps (it reads `?1` and `?2`), in
/// `order`, a page at a time (`page` from 1, `perpage` rows).
struct Search<T> {
    /// The table and its alias, for the count.
    table: &'static str,
    /// `SELECT … FROM …` of the row's columns.
    select: &'static str,
    filter: &'static str,
    order: &'static str,
    from_row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
}

impl<T> Search<T> {
    /// The number of rows the filter keeps, and page `page` of them.
    fn page(
        &self,
        conn: &Connection,
        [a, b]: [&dyn ToSql; 2],
        page: u64,
        per_page: u64,
    ) -> rusqlite::Result<(u64, Vec<T>)> {
        let Search {
            table,
            select,
            filter,
            order,
            from_row,
        } = self;
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {table} {filter}"))?
            .query_row(params![a, b], |r| r.get(0))?;
        let offset = page.saturating_sub(1).saturating_mul(per_page);
        let mut stmt = conn.prepare_cached(&format!(
            "{select} {filter} ORDER BY {order} LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = stmt
            .query_map(params![a, b, clamp(per_page), clamp(offset)], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or(0), rows))
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `%needle%` for LIKE, lower-cased, with `%`, `_` and `\` escaped.
fn like_pattern(needle: &str) -> String {
    let mut out = String::from("%");
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Grafana: `POST /api/admin/users` — a local user that SCIM did not provision.
/// Login and email default to each other, as Grafana's user service does.
pub fn create_local_user(
    conn: &Connection,
    login: &str,
    email: &str,
    name: &str,
    now: i64,
) -> Result<i64, AppError> {
    let (login, email) = match (login.trim(), email.trim()) {
        ("", "") => {
            return Err(AppError::client(
                StatusCode::BAD_REQUEST,
                "bad request data: login or email is required",
            ))
        }
        ("", e) => (e, e),
        (l, "") => (l, l),
        (l, e) => (l, e),
    };
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM user WHERE lower(login) = lower(?1) OR lower(email) = lower(?2))")?
        .query_row(params![login, email], |r| r.get(0))?;
    if exists {
        return Err(AppError::client(
            StatusCode::PRECONDITION_FAILED,
            format!("User with email '{email}' or username '{login}' already exists"),
        ));
    }
    conn.prepare_cached(
        "INSERT INTO user (uid, login, email, name, created, updated, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
    )?
    .execute(params![new_app_uid(), login, email, name, now, now - 10 * 365 * 24 * 3600 * 1000])?;
    Ok(conn.last_insert_rowid())
}

/// Grafana: `PUT /api/users/:id` (`handleUpdateUser`): a new login, email and name; an
/// empty login takes the email. 400 when both are empty, 409 when another user holds
/// the login or email (any case), 404 without the user.
pub fn update_user_info(
    conn: &Connection,
    id: i64,
    login: &str,
    email: &str,
    name: &str,
    now: i64,
) -> Result<(), AppError> {
    let login = if login.trim().is_empty() {
        email
    } else {
        login
    }
    .trim();
    if login.is_empty() {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            "Validation error, need to specify either username or email",
        ));
    }
    let taken: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM user WHERE id <> ?1 AND (lower(login) = lower(?2) OR (?3 <> '' AND lower(email) = lower(?3))))")?
        .query_row(params![id, login, email.trim()], |r| r.get(0))?;
    if taken {
        return Err(AppError::client(
            StatusCode::CONFLICT,
            "Update would result in user login conflict",
        ));
    }
    let n = conn
        .prepare_cached(
            "UPDATE user SET login = ?2, email = ?3, name = ?4, updated = ?5 WHERE id = ?1",
        )?
        .execute(params![id, login, email.trim(), name, now])?;
    if n == 0 {
        return Err(AppError::client(StatusCode::NOT_FOUND, "user not found"));
    }
    Ok(())
}

/// A SAML login's role sync: the org role and the Grafana-admin flag.
pub fn set_role(
    conn: &Connection,
    id: i64,
    org_role: &str,
    is_admin: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE user SET org_role = ?2, is_admin = ?3 WHERE id = ?1")?
        .execute(params![id, org_role, is_admin])?;
    Ok(())
}

/// Grafana: `DELETE /api/admin/users/:id`. Memberships, sessions, external-auth links
/// and the SCIM resource go with the user (the schema cascades). `false` when there was
/// no such user.
pub fn delete_user(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM user WHERE id = ?1")?
        .execute([id])?;
    Ok(n > 0)
}

/// The user behind a login session cookie, if the session is live and the user enabled
/// (or `allow_disabled`, the `saml-allow-disabled` fault).
pub fn session_user(
    conn: &Connection,
    token: &str,
    now: i64,
    allow_disabled: bool,
) -> rusqlite::Result<Option<AppUser>> {
    let user_id: Option<i64> = conn
        .prepare_cached("SELECT user_id FROM session WHERE token_hash = ?1 AND expires > ?2")?
        .query_row(params![crate::store::login::token_hash(token), now], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    Ok(user_by_id(conn, user_id)?.filter(|u| allow_disabled || !u.is_disabled))
}

/// A team as Grafana's team JSON needs it.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: i64,
    pub uid: String,
    pub org_id: i64,
    pub name: String,
    pub email: String,
    pub external_uid: String,
    pub is_provisioned: bool,
    pub member_count: i64,
}

const SELECT_TEAM: &str =
    "SELECT t.id, t.uid, t.org_id, t.name, t.email, t.external_uid, t.is_provisioned,
        (SELECT count(*) FROM team_member tm WHERE tm.team_id = t.id) FROM team t";

fn team_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Team> {
    Ok(Team {
        id: r.get(0)?,
        uid: r.get(1)?,
        org_id: r.get(2)?,
        name: r.get(3)?,
        email: r.get(4)?,
        external_uid: r.get(5)?,
        is_provisioned: r.get(6)?,
        member_count: r.get(7)?,
    })
}

pub fn team_not_found() -> AppError {
    AppError::client(StatusCode::NOT_FOUND, "Team not found")
}

/// A team by id.
pub fn team_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Team>> {
    conn.prepare_cached(&format!("{SELECT_TEAM} WHERE t.id = ?1"))?
        .query_row([id], team_from_row)
        .optional()
}

/// Grafana: `GET /api/teams/search` — `name` matches exactly (ignoring case), `query`
/// as a substring; ordered by name.
pub fn search_teams(
    conn: &Connection,
    name: Option<&str>,
    query: Option<&str>,
    page: u64,
    per_page: u64,
) -> rusqlite::Result<(u64, Vec<Team>)> {
    let pattern = query.map(like_pattern);
    let search = Search {
        table: "team t",
        select: SELECT_TEAM,
        filter: "WHERE (?1 IS NULL OR lower(t.name) = lower(?1))
          AND (?2 IS NULL OR lower(t.name) LIKE ?2 ESCAPE '\\')",
        order: "t.name, t.id",
        from_row: team_from_row,
    };
    search.page(conn, [&name, &pattern], page, per_page)
}

fn team_name_taken(conn: &Connection, name: &str, except: Option<i64>) -> rusqlite::Result<bool> {
    let other: Option<i64> = conn
        .prepare_cached("SELECT id FROM team WHERE org_id = 1 AND lower(name) = lower(?1)")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    Ok(other.is_some_and(|id| Some(id) != except))
}

/// Grafana: `POST /api/teams` — a team the app owns (not provisioned).
pub fn create_team(
    conn: &Connection,
    name: &str,
    email: &str,
    now: i64,
) -> Result<(i64, String), AppError> {
    if team_name_taken(conn, name, None)? {
        return Err(AppError::client(StatusCode::CONFLICT, "Team name taken"));
    }
    let uid = new_app_uid();
    conn.prepare_cached(
        "INSERT INTO team (uid, name, email, created, updated) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![uid, name, email, now])?;
    Ok((conn.last_insert_rowid(), uid))
}

/// Grafana: `PUT /api/teams/:id`. A provisioned team's SCIM group shows the new
/// `displayName` too.
pub fn update_team(
    conn: &Connection,
    team: &Team,
    name: &str,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    if team_name_taken(conn, name, Some(team.id))? {
        return Err(AppError::client(StatusCode::CONFLICT, "Team name taken"));
    }
    conn.prepare_cached("UPDATE team SET name = ?1, email = ?2, updated = ?3 WHERE id = ?4")?
        .execute(params![name, email, now, team.id])?;
    Ok(())
}

/// Grafana: `DELETE /api/teams/:id`; its SCIM group, if any, goes with it.
pub fn delete_team(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM team WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// A team member as Grafana's member JSON needs it.
#[derive(Debug, Clone)]
pub struct TeamMember {
    pub org_id: i64,
    pub team_id: i64,
    pub user_id: i64,
    pub email: String,
    pub login: String,
    pub name: String,
    pub is_disabled: bool,
}

/// Grafana: `GET /api/teams/:id/members`, in the order members joined.
pub fn team_members(conn: &Connection, team_id: i64) -> rusqlite::Result<Vec<TeamMember>> {
    let mut stmt = conn.prepare_cached(
        "SELECT tm.org_id, tm.team_id, u.id, u.email, u.login, u.name, u.is_disabled
         FROM team_member tm JOIN user u ON u.id = tm.user_id
         WHERE tm.team_id = ?1 ORDER BY tm.id",
    )?;
    let rows = stmt.query_map([team_id], |r| {
        Ok(TeamMember {
            org_id: r.get(0)?,
            team_id: r.get(1)?,
            user_id: r.get(2)?,
            email: r.get(3)?,
            login: r.get(4)?,
            name: r.get(5)?,
            is_disabled: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// Grafana: `POST /api/teams/:id/members`.
pub fn add_member(conn: &Connection, team_id: i64, user_id: i64, now: i64) -> Result<(), AppError> {
    if user_by_id(conn, user_id)?.is_none() {
        return Err(AppError::client(StatusCode::NOT_FOUND, "User not found"));
    }
    let added = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO team_member (team_id, user_id, created, updated) VALUES (?1, ?2, ?3, ?3)",
        )?
        .execute(params![team_id, user_id, now])?;
    if added == 0 {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            "User is already added to this team",
        ));
    }
    Ok(())
}

/// Grafana: `DELETE /api/teams/:id/members/:userId`.
pub fn remove_member(conn: &Connection, team_id: i64, user_id: i64) -> Result<(), AppError> {
    let removed = conn
        .prepare_cached("DELETE FROM team_member WHERE team_id = ?1 AND user_id = ?2")?
        .execute(params![team_id, user_id])?;
    if removed == 0 {
        return Err(AppError::client(
            StatusCode::NOT_FOUND,
            "Team member not found",
        ));
    }
    Ok(())
}

/// Grafana: `PUT /api/teams/:id/members` — the members become exactly these users
/// (by email or login); an unknown one is an error naming it.
pub fn set_members_by_email(
    conn: &Connection,
    team_id: i64,
    emails: &[String],
    now: i64,
) -> Result<(), AppError> {
    let mut wanted = Vec::new();
    for email in emails {
        let user = user_by_login_or_email(conn, email)?.ok_or_else(|| {
            AppError::client(StatusCode::BAD_REQUEST, format!("User not found: {email}"))
        })?;
        wanted.push(user.id);
    }
    let current: Vec<i64> = team_members(conn, team_id)?
        .iter()
        .map(|m| m.user_id)
        .collect();
    let mut remove =
        conn.prepare_cached("DELETE FROM team_member WHERE team_id = ?1 AND user_id = ?2")?;
    for user_id in current.iter().filter(|u| !wanted.contains(u)) {
        remove.execute(params![team_id, user_id])?;
    }
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO team_member (team_id, user_id, created, updated) VALUES (?1, ?2, ?3, ?3)",
    )?;
    for user_id in &wanted {
        add.execute(params![team_id, user_id, now])?;
    }
    Ok(())
}
