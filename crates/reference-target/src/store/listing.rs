//! What users and groups share as stored SCIM resources: a table read by id, listed one
//! page at a time in creation order (RFC 7644 §3.4.2), or filtered in memory after an
//! indexed lookup for `eq` on the name, `externalId` or `id`; and the common part of
//! the representation and of the stored document.

use rusqlite::{params, Connection, OptionalExtension, Row};
use scim::filter::Filter;
use scim::schema::ResourceSchema;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::AppError;
use crate::store::extension_urns;

/// A table of stored SCIM resources of one type, as reading and listing them needs it.
pub struct ResourceTable<R> {
    /// `SELECT … FROM …` of the record's columns, before any `WHERE`.
    pub select: &'static str,
    /// The SCIM id column.
    pub id: &'static str,
    /// The `externalId` column.
    pub external_id: &'static str,
    /// The column that orders rows by creation.
    pub order: &'static str,
    /// The naming attribute (`userName`, `displayName`) and its lowercased, indexed column.
    pub name: (&'static str, &'static str),
    pub from_row: fn(&Row<'_>) -> rusqlite::Result<R>,
    pub schema: fn() -> &'static ResourceSchema,
}

/// RFC 7644 §3.4.2.4: the slice of the results a list answers with.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    offset: i64,
    limit: i64,
}

impl Page {
    /// The page starting at the 1-based `start_index`, at most `count` long.
    pub fn new(start_index: u64, count: u64) -> Page {
        Page {
            offset: i64::try_from(start_index.saturating_sub(1)).unwrap_or(i64::MAX),
            limit: i64::try_from(count).unwrap_or(i64::MAX),
        }
    }

    /// This page of an in-memory list.
    fn of(self, all: Vec<Value>) -> Vec<Value> {
        all.into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .collect()
    }
}

/// A list's answer: the total number of results and one page of representations.
pub type Listed = (u64, Vec<Value>);

/// What a list asks the store for (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    pub filter: Option<&'a Filter>,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
    /// Whether the representations carry team memberships (a user's `groups`, a
    /// group's `members`), which cost a join each.
    pub with_memberships: bool,
}

impl Selection<'_> {
    /// The page it asks for.
    pub fn page(&self) -> Page {
        Page::new(self.start_index, self.count)
    }
}

impl<R> ResourceTable<R> {
    /// A resource by SCIM id.
    pub fn get(&self, conn: &Connection, id: &str) -> rusqlite::Result<Option<R>> {
        conn.prepare_cached(&format!("{} WHERE {} = ?1", self.select, self.id))?
            .query_row([id], self.from_row)
            .optional()
    }

    /// The records `select` and then `tail` (a `WHERE` and `ORDER BY`) read.
    fn rows(
        &self,
        conn: &Connection,
        tail: &str,
        params: impl rusqlite::Params,
    ) -> rusqlite::Result<Vec<R>> {
        let mut stmt = conn.prepare_cached(&format!("{} {tail}", self.select))?;
        let rows = stmt.query_map(params, self.from_row)?;
        rows.collect()
    }

    /// Without a filter: the total from `count_sql` and one page, in creation order, of
    /// the rows `only` (a `WHERE` clause, or empty) keeps.
    pub fn unfiltered_page(
        &self,
        conn: &Connection,
        page: Page,
        count_sql: &str,
        only: &str,
        render: impl FnMut(&R) -> rusqlite::Result<Value>,
    ) -> Result<Listed, AppError> {
        let total: i64 = conn
            .prepare_cached(count_sql)?
            .query_row([], |r| r.get(0))?;
        let recs = if page.limit == 0 {
            Vec::new()
        } else {
            self.rows(
                conn,
                &format!("{only} ORDER BY {} LIMIT ?1 OFFSET ?2", self.order),
                params![page.limit, page.offset],
            )?
        };
        let resources = recs
            .iter()
            .map(render)
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or(0), resources))
    }

    /// The records a filter may match: an indexed lookup for `eq` on the naming
    /// attribute (ignoring case), `externalId` or `id`, else every record in creation
    /// order.
    pub fn candidates(&self, conn: &Connection, filter: &Filter) -> rusqlite::Result<Vec<R>> {
        let (name_attr, name_column) = self.name;
        match filter.as_simple_eq() {
            Some((attr, value)) if attr.eq_ignore_ascii_case(name_attr) => self.rows(
                conn,
                &format!("WHERE {name_column} = ?1"),
                [value.to_lowercase()],
            ),
            Some((attr, value)) if attr.eq_ignore_ascii_case("externalId") => self.rows(
                conn,
                &format!("WHERE {} = ?1 ORDER BY {}", self.external_id, self.order),
                [value],
            ),
            Some((attr, value)) if attr.eq_ignore_ascii_case("id") => {
                Ok(self.get(conn, value)?.into_iter().collect())
            }
            _ => self.rows(conn, &format!("ORDER BY {}", self.order), []),
        }
    }

    /// With a filter: render each candidate, keep those it matches, and answer their
    /// number and one page of them.
    pub fn filtered_page<'r>(
        &self,
        candidates: impl IntoIterator<Item = &'r R>,
        filter: &Filter,
        page: Page,
        mut render: impl FnMut(&R) -> rusqlite::Result<Value>,
    ) -> Result<Listed, AppError>
    where
        R: 'r,
    {
        let schema = (self.schema)();
        let mut matched = Vec::new();
        for rec in candidates {
            let resource = render(rec)?;
            if filter.matches(&resource, schema) {
                matched.push(resource);
            }
        }
        let total = matched.len() as u64;
        Ok((total, page.of(matched)))
    }
}

/// The start of a representation (RFC 7643 §3): `schemas` (the core schema and the
/// extensions the document holds), `id`, `externalId` when set, then the stored
/// document; the caller adds what else it carries and `meta`.
pub fn representation(
    core_schema: &str,
    id: &str,
    external_id: Option<&str>,
    doc: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut schemas = vec![Value::from(core_schema)];
    schemas.extend(extension_urns(doc).map(Value::from));
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), id.into());
    if let Some(e) = external_id {
        out.insert("externalId".into(), e.into());
    }
    for (k, v) in doc {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// RFC 7643 §2.4: team memberships as multi-valued references, from `sql` (which reads
/// `?1` = `key` and yields the other side's SCIM id and display name): `value`, `$ref`
/// under `base`/`endpoint`, `display` and `type`.
pub fn membership_refs(
    conn: &Connection,
    sql: &str,
    key: i64,
    (base, endpoint): (&str, &str),
    kind: &str,
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([key], |r| {
        let id: String = r.get(0)?;
        let name: String = r.get(1)?;
        Ok(json!({
            "value": id,
            "$ref": format!("{base}/{endpoint}/{id}"),
            "display": name,
            "type": kind,
        }))
    })?;
    rows.collect()
}

/// The document a write stores: the resource as sent, without nulls and the attributes
/// in `not_in_doc` (names ignore case), and its JSON text. `what` names the resource
/// type in the error for a resource that does not serialize to an object.
pub fn stored_doc(
    resource: &impl Serialize,
    not_in_doc: &[&str],
    what: &str,
) -> Result<(Map<String, Value>, String), AppError> {
    let Value::Object(mut doc) = serde_json::to_value(resource)? else {
        return Err(AppError::invariant(format!(
            "a serialized {what} is not a json object"
        )));
    };
    doc.retain(|k, v| !v.is_null() && !not_in_doc.iter().any(|n| n.eq_ignore_ascii_case(k)));
    let json = serde_json::to_string(&doc)?;
    Ok((doc, json))
}
