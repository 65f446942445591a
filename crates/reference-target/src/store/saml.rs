//! The SP's SAML state, kept in the database so a restart never reopens a replay
//! window: the AuthnRequests issued and not yet answered (`saml_request`) and the
//! assertion ids already used (`saml_assertion`). Expired rows are purged on insert.
//! Times are Unix seconds of the SP's clock.

use rusqlite::{params, Connection, OptionalExtension};

/// An outstanding AuthnRequest as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    /// The entity id of the IdP the request went to.
    pub idp_entity_id: String,
    /// Where the browser returns after the login.
    pub return_to: String,
}

/// Records AuthnRequest `id`, answerable until `expires`. Expired requests are purged
/// first; past `max` outstanding ones the oldest are forgotten, so a flood of
/// `GET /login/saml` (which needs no credentials) keeps the table at `max` rows.
pub fn insert_request(
    conn: &Connection,
    id: &str,
    request: &StoredRequest,
    expires: i64,
    now: i64,
    max: usize,
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM saml_request WHERE expires <= ?1")?
        .execute([now])?;
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM saml_request")?
        .query_row([], |r| r.get(0))?;
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    if count >= max {
        conn.prepare_cached(
            "DELETE FROM saml_request WHERE id IN
             (SELECT id FROM saml_request ORDER BY expires, id LIMIT ?1)",
        )?
        .execute([count - max + 1])?;
    }
    conn.prepare_cached(
        "INSERT OR REPLACE INTO saml_request (id, idp_entity_id, return_to, expires)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        id,
        request.idp_entity_id,
        request.return_to,
        expires
    ])?;
    Ok(())
}

/// The live (unexpired) outstanding request `id`.
pub fn outstanding_request(
    conn: &Connection,
    id: &str,
    now: i64,
) -> rusqlite::Result<Option<StoredRequest>> {
    conn.prepare_cached(
        "SELECT idp_entity_id, return_to FROM saml_request WHERE id = ?1 AND expires > ?2",
    )?
    .query_row(params![id, now], |r| {
        Ok(StoredRequest {
            idp_entity_id: r.get(0)?,
            return_to: r.get(1)?,
        })
    })
    .optional()
}

/// Consumes request `id` (it is answered once) and returns where to return to; `None`
/// when it is not outstanding. With `keep` (the `request-reusable` fault) it stays.
pub fn take_request(conn: &Connection, id: &str, keep: bool) -> rusqlite::Result<Option<String>> {
    let sql = match keep {
        true => "SELECT return_to FROM saml_request WHERE id = ?1",
        false => "DELETE FROM saml_request WHERE id = ?1 RETURNING return_to",
    };
    conn.prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// Records assertion `id` as used until `until`; `false` when it is already recorded and
/// not yet expired (a replay). Expired entries are purged first, so the table holds only
/// assertions still inside their validity window.
pub fn remember_assertion(
    conn: &Connection,
    id: &str,
    until: i64,
    now: i64,
) -> rusqlite::Result<bool> {
    conn.prepare_cached("DELETE FROM saml_assertion WHERE until <= ?1")?
        .execute([now])?;
    let inserted = conn
        .prepare_cached("INSERT OR IGNORE INTO saml_assertion (id, until) VALUES (?1, ?2)")?
        .execute(params![id, until])?;
    Ok(inserted == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (tempfile::TempDir, crate::db::Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("t.db")).unwrap();
        (dir, db)
    }

    fn request(idp: &str) -> StoredRequest {
        StoredRequest {
            idp_entity_id: idp.to_owned(),
            return_to: "/".to_owned(),
        }
    }

    #[test]
    fn requests_are_bounded_oldest_first_and_expire() {
        let (_dir, db) = conn();
        let rows = db
            .write_blocking(|c| {
                for i in 0..5 {
                    insert_request(c, &format!("r{i}"), &request("idp"), 100 + i, 0, 3)?;
                }
                let live: Vec<bool> = (0..5)
                    .map(|i| outstanding_request(c, &format!("r{i}"), 0).map(|r| r.is_some()))
                    .collect::<rusqlite::Result<_>>()?;
                let expired = outstanding_request(c, "r2", 102)?;
                insert_request(c, "late", &request("idp"), 200, 103, 3)?;
                let count: i64 =
                    c.query_row("SELECT count(*) FROM saml_request", [], |r| r.get(0))?;
                Ok((live, expired, count))
            })
            .unwrap();
        assert_eq!(rows.0, [false, false, true, true, true]);
        assert_eq!(rows.1, None);
        // At 103, r2 (102) and r3 (103) have expired: r4 and the new one are left.
        assert_eq!(rows.2, 2);
    }

    #[test]
    fn an_assertion_is_used_once_until_it_expires() {
        let (_dir, db) = conn();
        let seen = db
            .write_blocking(|c| {
                Ok([
                    remember_assertion(c, "a", 10, 0)?,
                    remember_assertion(c, "a", 10, 5)?,
                    remember_assertion(c, "a", 20, 10)?,
                ])
            })
            .unwrap();
        assert_eq!(seen, [true, false, true]);
    }

    #[test]
    fn a_request_is_taken_once_unless_kept() {
        let (_dir, db) = conn();
        let taken = db
            .write_blocking(|c| {
                insert_request(c, "r", &request("idp"), 10, 0, 10)?;
                Ok([
                    take_request(c, "r", true)?,
                    take_request(c, "r", false)?,
                    take_request(c, "r", false)?,
                ])
            })
            .unwrap();
        assert_eq!(taken, [Some("/".to_owned()), Some("/".to_owned()), None]);
    }
}
