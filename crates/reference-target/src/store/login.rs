//! A verified SAML login turned into a Grafana user and a session, with Grafana's rules
//! (grafana-target.md §6): the lookup order, `ValidateUserProvisioningHook`,
//! `updateUserAttributes`, sign-up, one `user_auth` row per user and module.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::AppError;
use crate::fault::{Fault, FaultSet};
use crate::login::error::LoginError;
use crate::store::app::{user_by_id, AppUser};
use crate::store::users::SAML_AUTH_MODULE;
use crate::store::{app_user_by_email, app_user_by_login, new_app_uid};

/// What the signed assertion says about the user, read with the `[auth.saml]` attribute names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginClaims {
    /// The NameID: Grafana's `AuthID` for the `auth.saml` module.
    pub name_id: String,
    /// The single value of `assertion_attribute_external_uid`; empty when absent or empty.
    pub external_uid: String,
    pub login: String,
    pub email: String,
    pub name: String,
}

/// The settings in force for this login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Grafana: user sync enabled (the SCIMConfig, falling back to `[auth.scim]`).
    pub user_sync_enabled: bool,
    /// Grafana: `reject_non_provisioned_users` (the SCIMConfig, falling back to `[auth.scim]`).
    pub reject_non_provisioned_users: bool,
    /// Grafana: `[auth.saml] allow_sign_up`.
    pub allow_sign_up: bool,
}

/// The new session to store on success.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub now: i64,
    pub expires: i64,
}

/// Runs the login inside one write: either every rule passes and the user (created,
/// or updated if not provisioned), its `user_auth` row and the session are written, or
/// nothing is written and the first failed rule is returned.
pub fn log_in(
    conn: &Connection,
    claims: &LoginClaims,
    policy: LoginPolicy,
    session: &NewSession,
    faults: &FaultSet,
) -> Result<Result<AppUser, LoginError>, AppError> {
    let found = find_user(conn, claims)?;
    let stored_uid = match &found {
        Some((user, _)) => stored_external_uid(conn, user.id)?,
        None => None,
    };
    if let Err(e) = check(
        found.as_ref().map(|(u, _)| u),
        stored_uid.as_deref(),
        claims,
        policy,
        faults,
    ) {
        return Ok(Err(e));
    }
    let user_id = match found {
        Some((user, auth_row)) => {
            if !user.is_provisioned || faults.has(Fault::SamlOverwriteProfile) {
                // updateUserAttributes: a non-provisioned user takes the asserted values
                // (the `saml-overwrite-profile` fault: a provisioned one too).
                if let Err(e) = sync_attributes(conn, &user, claims, session.now)? {
                    return Ok(Err(e));
                }
            }
            upsert_auth(conn, &user, auth_row, claims, session.now)?;
            user.id
        }
        None => match sign_up(conn, claims, session.now)? {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        },
    };
    conn.prepare_cached("UPDATE user SET last_seen_at = ?1 WHERE id = ?2")?
        .execute(params![session.now, user_id])?;
    insert_session(conn, user_id, session)?;
    let user = user_by_id(conn, user_id)?
        .ok_or_else(|| AppError::invariant("a user vanished inside its login transaction"))?;
    Ok(Ok(user))
}

/// The `session-on-refusal` fault only: a session for the user the refused `claims`
/// name (found as the login looks users up), when there is one. Returns whether a
/// session was written.
pub fn open_session_despite_refusal(
    conn: &Connection,
    claims: &LoginClaims,
    session: &NewSession,
) -> Result<bool, AppError> {
    let Some((user, _)) = find_user(conn, claims)? else {
        return Ok(false);
    };
    insert_session(conn, user.id, session)?;
    Ok(true)
}

/// What the `session` table keys a session by: the SHA-256 of its cookie value, in
/// lowercase hex. The cookie carries the token; the table only its hash, so reading the
/// database gives no one a session.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(token.as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// Stores `session` for `user_id` under its token's hash; expired sessions are purged
/// first, so the table holds live sessions only.
fn insert_session(conn: &Connection, user_id: i64, session: &NewSession) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM session WHERE expires <= ?1")?
        .execute([session.now])?;
    conn.prepare_cached(
        "INSERT INTO session (token_hash, user_id, created, expires) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        token_hash(&session.token),
        user_id,
        session.now,
        session.expires
    ])?;
    Ok(())
}

/// Grafana's `getUser`: `user_auth` by (`auth_id`, `auth.saml`), then the user by email,
/// then by login (both ignoring case). Returns the user and the `user_auth` row found
/// in the first step, if that is how it was found.
fn find_user(
    conn: &Connection,
    claims: &LoginClaims,
) -> rusqlite::Result<Option<(AppUser, Option<i64>)>> {
    if !claims.name_id.is_empty() {
        let row: Option<(i64, i64)> = conn
            .prepare_cached(
                "SELECT id, user_id FROM user_auth WHERE auth_module = ?1 AND auth_id = ?2 ORDER BY id LIMIT 1",
            )?
            .query_row(params![SAML_AUTH_MODULE, claims.name_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((row, user_id)) = row {
            if let Some(user) = user_by_id(conn, user_id)? {
                return Ok(Some((user, Some(row))));
            }
        }
    }
    let by_email = match claims.email.as_str() {
        "" => None,
        email => app_user_by_email(conn, email)?,
    };
    let by_login = match (&by_email, claims.login.as_str()) {
        (None, login) if !login.is_empty() => app_user_by_login(conn, login)?,
        _ => None,
    };
    match by_email.or(by_login) {
        Some(r) => Ok(user_by_id(conn, r.id)?.map(|u| (u, None))),
        None => Ok(None),
    }
}

/// The user's `auth.saml` external uid: SCIM's `externalId` for a provisioned user.
pub fn stored_external_uid(conn: &Connection, user_id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT external_uid FROM user_auth WHERE user_id = ?1 AND auth_module = ?2
         ORDER BY external_uid = '', id LIMIT 1",
    )?
    .query_row(params![user_id, SAML_AUTH_MODULE], |r| r.get(0))
    .optional()
}

/// The rules, in Grafana's order, then the reference target's disabled-user check.
fn check(
    user: Option<&AppUser>,
    stored_uid: Option<&str>,
    claims: &LoginClaims,
    policy: LoginPolicy,
    faults: &FaultSet,
) -> Result<(), LoginError> {
    let asserted = claims.external_uid.as_str();
    // Faults: `saml-link-by-email` never compares uids; `saml-empty-uid` lets an empty
    // one through to the lookup's user.
    let skip_uid = faults.has(Fault::SamlLinkByEmail)
        || (asserted.is_empty() && faults.has(Fault::SamlEmptyUid));
    // Fault `saml-uid-normalised`: both uids trimmed and compared without case.
    let uid_equal = |stored: &str| match faults.has(Fault::SamlUidNormalised) {
        true => stored.trim().to_lowercase() == asserted.trim().to_lowercase(),
        false => stored == asserted,
    };
    // Fault `sign-up-despite-reject`: a never-seen user passes both the provisioning
    // rule and allow_sign_up.
    if user.is_none()
        && policy.user_sync_enabled
        && policy.reject_non_provisioned_users
        && faults.has(Fault::SignUpDespiteReject)
    {
        return Ok(());
    }
    // ValidateUserProvisioningHook (skipped when user sync is off).
    if policy.user_sync_enabled {
        match user {
            // A provisioned user: the stored and asserted uids must both be non-empty and
            // equal, whatever the reject setting (Grafana PR #108568).
            Some(u) if u.is_provisioned && skip_uid => {}
            Some(u) if u.is_provisioned => {
                let stored = stored_uid.unwrap_or_default();
                if stored.is_empty() || !uid_equal(stored) {
                    return Err(LoginError::EXTERNAL_UID_MISMATCH);
                }
            }
            // DESIGN.md: with rejection on, every user SCIM did not provision is refused,
            // whether or not a local account exists.
            _ if policy.reject_non_provisioned_users
                && !faults.has(Fault::IgnoreRejectNonProvisioned) =>
            {
                return Err(LoginError::NOT_PROVISIONED)
            }
            _ => {}
        }
    }
    match user {
        None if !policy.allow_sign_up => Err(LoginError::SIGNUP_DISABLED),
        None => Ok(()),
        Some(u) => {
            // updateUserAttributes: a provisioned user's uid, even with user sync off.
            if u.is_provisioned && !skip_uid {
                if asserted.is_empty() {
                    return Err(LoginError::EMPTY_EXTERNAL_UID);
                }
                if !uid_equal(stored_uid.unwrap_or_default()) {
                    return Err(LoginError::MISMATCHED_EXTERNAL_UID);
                }
            }
            if u.is_disabled && !faults.has(Fault::SamlAllowDisabled) {
                return Err(LoginError::USER_DISABLED);
            }
            Ok(())
        }
    }
}

/// updateUserAttributes for a user SCIM did not provision: login, email and name take
/// the asserted values where they differ and are not empty. A value another user holds
/// fails the login (`user.sync.internal`), as the unique constraint would in Grafana.
fn sync_attributes(
    conn: &Connection,
    user: &AppUser,
    claims: &LoginClaims,
    now: i64,
) -> Result<Result<(), LoginError>, AppError> {
    let login = Some(claims.login.as_str()).filter(|l| !l.is_empty() && *l != user.login);
    let email = Some(claims.email.as_str()).filter(|e| !e.is_empty() && *e != user.email);
    let name = Some(claims.name.as_str()).filter(|n| !n.is_empty() && *n != user.name);
    if login.is_none() && email.is_none() && name.is_none() {
        return Ok(Ok(()));
    }
    let taken_login = match login {
        Some(l) => app_user_by_login(conn, l)?.is_some_and(|o| o.id != user.id),
        None => false,
    };
    let taken_email = match email {
        Some(e) => app_user_by_email(conn, e)?.is_some_and(|o| o.id != user.id),
        None => false,
    };
    if taken_login || taken_email {
        tracing::warn!(target: "reference_target::saml", user = user.id, "asserted login or email belongs to another user");
        return Ok(Err(LoginError::INTERNAL));
    }
    conn.prepare_cached(
        "UPDATE user SET login = coalesce(?1, login), email = coalesce(?2, email),
            name = coalesce(?3, name), updated = ?4 WHERE id = ?5",
    )?
    .execute(params![login, email, name, now, user.id])?;
    Ok(Ok(()))
}

/// Exactly one `auth.saml` row per user (Grafana PR #118425): the row found by auth id,
/// else the user's existing row (SCIM's, with an empty `auth_id`), takes the NameID as
/// `auth_id`; only without either is a row inserted. A provisioned user's
/// `external_uid` stays SCIM's; anyone else's takes the asserted uid.
fn upsert_auth(
    conn: &Connection,
    user: &AppUser,
    found_row: Option<i64>,
    claims: &LoginClaims,
    now: i64,
) -> rusqlite::Result<()> {
    let row = match found_row {
        Some(row) => Some(row),
        None => conn
            .prepare_cached(
                "SELECT id FROM user_auth WHERE user_id = ?1 AND auth_module = ?2
                 ORDER BY external_uid = '', id LIMIT 1",
            )?
            .query_row(params![user.id, SAML_AUTH_MODULE], |r| r.get(0))
            .optional()?,
    };
    match row {
        Some(row) if user.is_provisioned => {
            conn.prepare_cached("UPDATE user_auth SET auth_id = ?1 WHERE id = ?2")?
                .execute(params![claims.name_id, row])?;
        }
        Some(row) => {
            conn.prepare_cached(
                "UPDATE user_auth SET auth_id = ?1, external_uid = ?2 WHERE id = ?3",
            )?
            .execute(params![claims.name_id, claims.external_uid, row])?;
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO user_auth (user_id, auth_module, auth_id, external_uid, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![user.id, SAML_AUTH_MODULE, claims.name_id, claims.external_uid, now])?;
        }
    }
    Ok(())
}

/// Grafana's SAML sign-up: a user that SCIM did not provision, with its `auth.saml`
/// row. Login and email default to each other, as Grafana's user service does.
fn sign_up(
    conn: &Connection,
    claims: &LoginClaims,
    now: i64,
) -> Result<Result<i64, LoginError>, AppError> {
    let (login, email) = match (claims.login.as_str(), claims.email.as_str()) {
        ("", "") => return Ok(Err(LoginError::MISSING_LOGIN)),
        ("", e) => (e, e),
        (l, "") => (l, l),
        (l, e) => (l, e),
    };
    // The lookup found no user by this email or login, but the login may be another
    // user's email or the other way round.
    if app_user_by_login(conn, login)?.is_some() || app_user_by_email(conn, email)?.is_some() {
        tracing::warn!(target: "reference_target::saml", "sign-up login or email collides with another user");
        return Ok(Err(LoginError::INTERNAL));
    }
    let name = if claims.name.is_empty() {
        login
    } else {
        &claims.name
    };
    conn.prepare_cached(
        "INSERT INTO user (uid, login, email, name, created, updated, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
    )?
    .execute(params![new_app_uid(), login, email, name, now])?;
    let user_id = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO user_auth (user_id, auth_module, auth_id, external_uid, created) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, SAML_AUTH_MODULE, claims.name_id, claims.external_uid, now])?;
    Ok(Ok(user_id))
}
