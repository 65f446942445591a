//! SQLite access: one writer thread owning the writing connection (each write request
//! an atomic savepoint, queued writes sharing a `BEGIN IMMEDIATE … COMMIT`), a pool of
//! reader connections (WAL lets them run beside the writer), idempotent migrations,
//! and the Grafana-shaped schema.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};

use crate::error::AppError;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("opening database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("migrating database {path} to schema version {version}")]
    Migrate {
        path: PathBuf,
        version: usize,
        #[source]
        source: rusqlite::Error,
    },
    #[error("starting the writer thread for database {path}")]
    Thread {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database {path} has schema version {found}, newer than this build knows ({known})")]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
}

/// The schema, one entry per version; `PRAGMA user_version` records how many ran.
/// Every statement is idempotent as well, so a half-applied version re-runs cleanly.
const MIGRATIONS: &[&str] = &[
    r#"
-- `team` ids are AUTOINCREMENT, so a deleted team's id is never reused (ids appear in
-- the app API). User rows are never deleted (SCIM DELETE disables), so `user` ids
-- cannot be reused and skip that bookkeeping, as do the other tables.

-- Grafana: pkg/services/user/model.go (user), with `is_provisioned` (SCIM).
CREATE TABLE IF NOT EXISTS user (
    id             INTEGER PRIMARY KEY,
    uid            TEXT    NOT NULL UNIQUE,
    org_id         INTEGER NOT NULL DEFAULT 1,
    login          TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    is_admin       INTEGER NOT NULL DEFAULT 0,
    is_disabled    INTEGER NOT NULL DEFAULT 0,
    is_provisioned INTEGER NOT NULL DEFAULT 0,
    created        INTEGER NOT NULL,
    updated        INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS user_login_lower ON user (lower(login));
CREATE UNIQUE INDEX IF NOT EXISTS user_email_lower ON user (lower(email));

-- Grafana: pkg/services/login/model.go (UserAuth). SCIM writes auth_module 'auth.saml',
-- an empty auth_id and external_uid = the SCIM externalId.
CREATE TABLE IF NOT EXISTS user_auth (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    auth_module  TEXT    NOT NULL,
    auth_id      TEXT    NOT NULL DEFAULT '',
    external_uid TEXT    NOT NULL DEFAULT '',
    created      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS user_auth_user ON user_auth (user_id, auth_module);
-- For login lookups by (module, auth id); SCIM rows have no auth id and stay out.
CREATE INDEX IF NOT EXISTS user_auth_module_id ON user_auth (auth_module, auth_id)
    WHERE auth_id <> '';

-- Grafana: pkg/services/team/model.go.
CREATE TABLE IF NOT EXISTS team (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    uid            TEXT    NOT NULL UNIQUE,
    org_id         INTEGER NOT NULL DEFAULT 1,
    name           TEXT    NOT NULL,
    email          TEXT    NOT NULL DEFAULT '',
    external_uid   TEXT    NOT NULL DEFAULT '',
    is_provisioned INTEGER NOT NULL DEFAULT 0,
    created        INTEGER NOT NULL,
    updated        INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS team_org_name_lower ON team (org_id, lower(name));

CREATE TABLE IF NOT EXISTS team_member (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL DEFAULT 1,
    team_id    INTEGER NOT NULL REFERENCES team (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    permission INTEGER NOT NULL DEFAULT 0,
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    UNIQUE (team_id, user_id)
);
CREATE INDEX IF NOT EXISTS team_member_user ON team_member (user_id);

-- The SCIM User resource: its id, the full document as the IdP sent it (without id,
-- meta, active, externalId, groups and password, which live elsewhere or nowhere),
-- and the app user it provisions, keyed by that user's id, which is also the stable
-- list order.
CREATE TABLE IF NOT EXISTS scim_user (
    user_id         INTEGER PRIMARY KEY REFERENCES user (id) ON DELETE CASCADE,
    id              TEXT    NOT NULL UNIQUE,
    user_name_lower TEXT    NOT NULL UNIQUE,
    external_id     TEXT,
    doc             TEXT    NOT NULL,
    created         INTEGER NOT NULL,
    last_modified   INTEGER NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scim_user_external_id ON scim_user (external_id);

-- The SCIM Group resource and the team it provisions (keyed by the team id, the list
-- order); members live in team_member.
CREATE TABLE IF NOT EXISTS scim_group (
    team_id            INTEGER PRIMARY KEY REFERENCES team (id) ON DELETE CASCADE,
    id                 TEXT    NOT NULL UNIQUE,
    display_name_lower TEXT    NOT NULL UNIQUE,
    external_id        TEXT,
    doc                TEXT    NOT NULL,
    created            INTEGER NOT NULL,
    last_modified      INTEGER NOT NULL,
    version            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scim_group_external_id ON scim_group (external_id);

-- Grafana: the SCIMConfig object (`config/default`) stored through the API; absent
-- means "use the file settings".
CREATE TABLE IF NOT EXISTS scim_config (
    namespace                    TEXT    PRIMARY KEY,
    enable_user_sync             INTEGER NOT NULL,
    enable_group_sync            INTEGER NOT NULL,
    reject_non_provisioned_users INTEGER NOT NULL,
    generation                   INTEGER NOT NULL,
    created                      INTEGER NOT NULL,
    updated                      INTEGER NOT NULL
);

-- Login sessions (cookie `grafana_session`), read by GET /api/user. The SAML
-- login issue creates rows here.
CREATE TABLE IF NOT EXISTS session (
    token   TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS session_user ON session (user_id);
"#,
    r#"
-- Grafana: org_user.role, the user's role in the organization (one organization here).
-- A SAML login with `assertion_attribute_role` sets it (Grafana PR #106374: for
-- provisioned users too); everyone else keeps auto_assign_org_role's Viewer.
ALTER TABLE user ADD COLUMN org_role TEXT NOT NULL DEFAULT 'Viewer';
"#,
    r#"
-- The SAML SP's state (issue 19), so a restart never reopens a replay window:
-- AuthnRequests issued and not yet answered (SAML Profiles §4.1.4.3: InResponseTo
-- names one), and the assertion ids already used until they expire (§4.1.4.5).
CREATE TABLE IF NOT EXISTS saml_request (
    id            TEXT    PRIMARY KEY,
    idp_entity_id TEXT    NOT NULL,
    return_to     TEXT    NOT NULL,
    expires       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS saml_request_expires ON saml_request (expires);
CREATE TABLE IF NOT EXISTS saml_assertion (
    id    TEXT    PRIMARY KEY,
    until INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS saml_assertion_until ON saml_assertion (until);
"#,
    r#"
-- Issue 19: a session is stored as the SHA-256 of its cookie value (hex), so the
-- database holds nothing that logs anyone in. Sessions stored before held the value
-- itself and end here.
DROP TABLE IF EXISTS session;
CREATE TABLE IF NOT EXISTS session (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS session_user ON session (user_id);
CREATE INDEX IF NOT EXISTS session_expires ON session (expires);
"#,
];

/// The most writes one commit carries (group commit). Under load the writer thread
/// takes every queued write, up to this many, into one transaction.
pub const MAX_WRITES_PER_COMMIT: usize = 64;

/// Delivers a write's result once its transaction's fate is known: `None` when the
/// commit succeeded, else why it did not.
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;

/// A write for the writer thread: runs its work inside a savepoint and returns how to
/// deliver the result. It sets the flag if it could not undo its own changes.
type WriteJob = Box<dyn FnOnce(&Connection, &mut bool) -> Completion + Send>;

/// The database: one writer thread owning the only writing connection, and a pool of
/// reader connections.
///
/// Each write request is one unit of work on the writer thread: it runs inside its own
/// savepoint (its changes are all kept or all undone), writes never interleave (so
/// concurrent updates never get lost), and its reply is sent only after the
/// transaction holding it has committed. Writes queued together share one `BEGIN
/// IMMEDIATE … COMMIT` (group commit), which makes the WAL append and commit cost per
/// write small under load; a lone write is a transaction of its own.
pub struct Db {
    writer: mpsc::Sender<WriteJob>,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The pool holds idle connections only; a panic elsewhere leaves it consistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Db {
    /// Open (creating if needed) and migrate the database at `path`.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let open_err = |source| DbError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = connect(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        // Checkpoint less often than every 1000 pages: hot index pages written by many
        // commits are copied to the database once per checkpoint.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)
            .map_err(open_err)?;
        migrate(&mut conn, path)?;
        seed(&conn).map_err(|source| DbError::Migrate {
            path: path.to_owned(),
            version: MIGRATIONS.len(),
            source,
        })?;
        let (writer, jobs) = mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("target-db-writer".to_owned())
            .spawn(move || run_writer(&conn, &jobs))
            .map_err(|source| DbError::Thread {
                path: path.to_owned(),
                source,
            })?;
        Ok(Db {
            writer,
            readers: Mutex::new(Vec::new()),
            path: path.to_owned(),
        })
    }

    fn submit(&self, job: WriteJob) -> Result<(), AppError> {
        self.writer
            .send(job)
            .map_err(|_| AppError::invariant("the database writer thread has stopped"))
    }

    /// Run `f` on the writer thread as one atomic unit: its changes are committed when
    /// it returns `Ok` and undone otherwise, and the result comes back only after the
    /// commit. Writes are serialized, so concurrent requests never lose updates.
    ///
    /// Blocks the calling thread; from async code use [`Db::write`].
    #[cfg(test)]
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, result) = mpsc::sync_channel(1);
        self.submit(write_job(f, move |r| {
            let _ = reply.send(r);
        }))?;
        result
            .recv()
            .map_err(|_| AppError::invariant("a database write failed before it could answer"))?
    }

    /// Run `f` in one read transaction (a consistent snapshot) on a reader connection.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let result = in_transaction(&conn, "BEGIN", f);
        lock(&self.readers).push(conn);
        result
    }

    /// [`Db::write_blocking`] without blocking: the writer thread answers through a
    /// oneshot channel.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, result) = tokio::sync::oneshot::channel();
        self.submit(write_job(f, move |r| {
            let _ = reply.send(r);
        }))?;
        result
            .await
            .map_err(|_| AppError::invariant("a database write failed before it could answer"))?
    }

    /// [`Db::read_blocking`] on a blocking thread.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.read_blocking(f)).await?
    }
}

/// The writer thread: take the next write and whatever else is queued (up to
/// [`MAX_WRITES_PER_COMMIT`]) and commit them together. Ends when every `Db` handle
/// is gone.
fn run_writer(conn: &Connection, jobs: &mpsc::Receiver<WriteJob>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_WRITES_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(conn, batch);
    }
}

/// One `BEGIN IMMEDIATE … COMMIT` around these writes, each in its own savepoint; then
/// every write learns the outcome. If the transaction cannot begin, the writes are
/// dropped unrun and their requests answer 500.
fn commit_batch(conn: &Connection, batch: Vec<WriteJob>) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    if let Err(e) = conn
        .prepare_cached("BEGIN IMMEDIATE")
        .and_then(|mut s| s.execute([]))
    {
        tracing::error!(error = %e, "beginning a write transaction");
        return;
    }
    let mut damaged = false;
    let mut completions = Vec::with_capacity(batch.len());
    for job in batch {
        match std::panic::catch_unwind(AssertUnwindSafe(|| job(conn, &mut damaged))) {
            Ok(completion) => completions.push(completion),
            Err(_) => {
                // The request's reply channel is gone with the job: it answers 500.
                tracing::error!("a database write panicked");
                if roll_back_savepoint(conn).is_err() {
                    damaged = true;
                }
            }
        }
    }
    let outcome = if damaged {
        Err("a write could not undo its changes, so the transaction was rolled back".to_owned())
    } else {
        conn.prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]))
            .map(drop)
            .map_err(|e| format!("committing: {e}"))
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "write transaction failed");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    let failure = outcome.err();
    for completion in completions {
        completion(failure.as_deref());
    }
}

const SAVEPOINT: &str = "SAVEPOINT request";
const RELEASE: &str = "RELEASE request";

fn roll_back_savepoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("ROLLBACK TO request")?.execute([])?;
    conn.prepare_cached(RELEASE)?.execute([])?;
    Ok(())
}

/// A write job running `f` in its own savepoint and handing the result to `deliver`
/// once the commit's outcome is known.
fn write_job<T, F>(f: F, deliver: impl FnOnce(Result<T, AppError>) + Send + 'static) -> WriteJob
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
{
    Box::new(move |conn, damaged| {
        let result = conn
            .prepare_cached(SAVEPOINT)
            .and_then(|mut s| s.execute([]))
            .map_err(AppError::from)
            .and_then(|_| {
                let result = f(conn).and_then(|value| {
                    conn.prepare_cached(RELEASE)?.execute([])?;
                    Ok(value)
                });
                // Undo this write only; if that fails its changes would be committed
                // with the others, so the whole transaction must go.
                if result.is_err() && roll_back_savepoint(conn).is_err() {
                    *damaged = true;
                }
                result
            });
        Box::new(move |failure: Option<&str>| {
            let result = match failure {
                None => result,
                // The write's own error explains more than the commit's, and nothing of
                // it was kept either way.
                Some(why) => result.and(Err(AppError::invariant(why.to_owned()))),
            };
            deliver(result);
        })
    })
}

/// Run `f` between `begin` and `COMMIT`, or `ROLLBACK` when it fails. A transaction
/// left open by a panic in an earlier `f` is rolled back first.
fn in_transaction<T>(
    conn: &Connection,
    begin: &str,
    f: impl FnOnce(&Connection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    conn.prepare_cached(begin)?.execute([])?;
    let result = f(conn).and_then(|value| {
        conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(value)
    });
    if result.is_err() && !conn.is_autocommit() {
        conn.prepare_cached("ROLLBACK")?.execute([])?;
    }
    result
}

/// A connection with the pragmas every connection needs. `synchronous=NORMAL` in WAL
/// mode keeps committed data across a process kill (only an OS crash may lose the
/// last transactions).
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Savepoint (statement) journals stay in memory instead of spilling to temp files.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 64 MiB of page cache (the default is 2 MiB), so indexes stay in memory.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.set_prepared_statement_cache_capacity(64);
    // The query planner stability guarantee: plans never depend on bound values.
    // Without it SQLite marks statements whose plan peeked at a bound integer, and
    // rusqlite's statement cache (which clears bindings) then forces a re-prepare on
    // every use.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), DbError> {
    let migrate_err = |version, source| DbError::Migrate {
        path: path.to_owned(),
        version,
        source,
    };
    let current: usize = conn
        .pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
        .map_err(|e| migrate_err(0, e))?
        .try_into()
        .unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(DbError::TooNew {
            path: path.to_owned(),
            found: current,
            known: MIGRATIONS.len(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = index + 1;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| migrate_err(version, e))?;
        tx.execute_batch(sql).map_err(|e| migrate_err(version, e))?;
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(|e| migrate_err(version, e))?;
        tx.commit().map_err(|e| migrate_err(version, e))?;
    }
    Ok(())
}

/// Grafana starts with a server administrator as user 1 (login `admin`); the target
/// does too, so a test can prove SCIM never touches it (CVE-2025-41115).
fn seed(conn: &Connection) -> rusqlite::Result<()> {
    let now = crate::timestamp::now_millis();
    conn.execute(
        "INSERT OR IGNORE INTO user (id, uid, login, email, name, is_admin, created, updated, last_seen_at)
         VALUES (1, ?1, 'admin', 'admin@localhost', 'admin', 1, ?2, ?2, ?2)",
        rusqlite::params![crate::store::new_app_uid(), now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent_and_seed_the_admin_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open(&path).unwrap();
        drop(db);
        let db = Db::open(&path).unwrap();
        let (admins, version): (i64, i64) = db
            .read_blocking(|tx| {
                let admins = tx.query_row(
                    "SELECT count(*) FROM user WHERE id = 1 AND login = 'admin'",
                    [],
                    |r| r.get(0),
                )?;
                let version = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
                Ok((admins, version))
            })
            .unwrap();
        assert_eq!(admins, 1);
        assert_eq!(version, MIGRATIONS.len() as i64);
        // Re-running a migration's statements on a migrated database is harmless.
        db.write_blocking(|tx| Ok(tx.execute_batch(MIGRATIONS[0])?))
            .unwrap();
    }

    #[test]
    fn a_failed_write_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let err = db
            .write_blocking(|tx| -> Result<(), AppError> {
                tx.execute("UPDATE user SET name = 'changed' WHERE id = 1", [])?;
                Err(AppError::invariant("stop"))
            })
            .unwrap_err();
        assert!(matches!(err, AppError::Internal(_)));
        let name: String = db
            .read_blocking(|tx| {
                Ok(tx.query_row("SELECT name FROM user WHERE id = 1", [], |r| r.get(0))?)
            })
            .unwrap();
        assert_eq!(name, "admin");
    }

    /// Group commit: each write in a batch is all-or-nothing on its own, and every
    /// write hears the outcome.
    #[test]
    fn writes_in_one_batch_succeed_or_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let conn = connect(&dir.path().join("t.db")).unwrap();
        let (tx, rx) = mpsc::channel::<(&'static str, bool)>();
        let insert = |name: &'static str, fail: bool| {
            let tx = tx.clone();
            write_job(
                move |conn| {
                    conn.execute(
                        "INSERT INTO team (uid, name, created, updated) VALUES (?1, ?1, 0, 0)",
                        [name],
                    )?;
                    if fail {
                        return Err(AppError::invariant("refused"));
                    }
                    Ok(())
                },
                move |r: Result<(), AppError>| tx.send((name, r.is_ok())).unwrap(),
            )
        };
        let panicking: WriteJob = Box::new(|conn, _| {
            conn.execute_batch("SAVEPOINT request; INSERT INTO team (uid, name, created, updated) VALUES ('p', 'p', 0, 0);")
                .unwrap();
            panic!("boom");
        });
        commit_batch(
            &conn,
            vec![
                insert("a", false),
                insert("b", true),
                panicking,
                insert("c", false),
            ],
        );
        drop(tx);
        let outcomes: Vec<_> = rx.iter().collect();
        assert_eq!(outcomes, [("a", true), ("b", false), ("c", true)]);
        let names: Vec<String> = db
            .read_blocking(|c| {
                let mut st = c.prepare("SELECT name FROM team ORDER BY id")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(Db::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Db::open(&path).unwrap_err();
        assert!(matches!(err, DbError::TooNew { found: 99, .. }), "{err}");
    }
}
