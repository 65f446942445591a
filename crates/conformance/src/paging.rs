//! `expect: {paging}`: page through a whole list the way an IdP import does and judge
//! what RFC 7644 §3.4.2.4 guarantees. No order is assumed (the RFC defines none without
//! `sortBy`) and no filter is sent (neither Entra nor Okta filters an import): the pages
//! must be disjoint, together complete, and counted right. The scenario is `exclusive`,
//! so nothing else writes while the pages are read.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::case::{CaseRun, Stop};
use crate::event::Mismatch;
use crate::observe::get;
use crate::scenario::PagingExpect;

/// Most pages read before the list is judged incomplete.
const MAX_PAGES: usize = 200;

/// One page as read.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub exchange: u64,
    /// The `startIndex` and `count` sent.
    pub start_index: u64,
    pub count: u64,
    pub status: u16,
    pub body: Option<Value>,
}

/// The pages the list spans, from `startIndex=1`, each `startIndex` the previous plus the
/// resources it returned (so a server that returns fewer than `count` is followed as a
/// client must). The page size is chosen from a first `count=1` read so the list spans a
/// few pages whatever its length.
pub(crate) async fn read_pages(cx: &mut CaseRun<'_>, path: &str) -> Result<Vec<Page>, Stop> {
    let mut pages = Vec::new();
    let probe = read_page(cx, path, 1, 1).await?;
    let total = total_results(&probe);
    pages.push(probe);
    let Some(total) = total.filter(|_| pages[0].status == 200) else {
        return Ok(pages);
    };
    let count = total.div_ceil(4).clamp(1, 500);
    let mut start = 1;
    while start <= total && pages.len() <= MAX_PAGES {
        let page = read_page(cx, path, start, count).await?;
        let returned = resources(&page).map_or(0, <[Value]>::len) as u64;
        let done = page.status != 200 || returned == 0;
        pages.push(page);
        if done {
            break;
        }
        start += returned;
    }
    Ok(pages)
}

async fn read_page(
    cx: &mut CaseRun<'_>,
    path: &str,
    start_index: u64,
    count: u64,
) -> Result<Page, Stop> {
    let url = cx
        .shared
        .scim_url(&format!("{path}?startIndex={start_index}&count={count}"));
    let (exchange, status, body) = get(cx, url).await?;
    Ok(Page {
        exchange,
        start_index,
        count,
        status,
        body,
    })
}

fn total_results(p: &Page) -> Option<u64> {
    p.body.as_ref()?.get("totalResults")?.as_u64()
}

fn resources(p: &Page) -> Option<&[Value]> {
    p.body
        .as_ref()?
        .get("Resources")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
}

/// Judge the pages (`pages[0]` is the `count=1` probe): each answered 200 with the
/// totalResults of the first, `startIndex` echoed, `itemsPerPage` its length, no more
/// than `count` resources; no id on two pages; as many ids as totalResults; and every id
/// of `includes` (target ids of the scenario's users) among them.
pub(crate) fn judge(step: usize, pages: &[Page], includes: &[(String, String)]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut add = |check: String, expected: String, observed: String, n: u64| {
        out.push(Mismatch {
            step,
            check,
            expected,
            observed,
            exchange: Some(n),
        });
    };
    let Some(first) = pages.first() else {
        return out;
    };
    let total = total_results(first);
    if first.status == 200 && total.is_none() {
        let check = "totalResults (RFC 7644 §3.4.2: REQUIRED)".to_owned();
        add(check, "an integer".into(), "absent".into(), first.exchange);
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (i, page) in pages.iter().enumerate() {
        let n = page.exchange;
        let what = format!("page startIndex={} count={}", page.start_index, page.count);
        if page.status != 200 {
            add(
                format!("{what}: status"),
                "200".into(),
                page.status.to_string(),
                n,
            );
            return out;
        }
        let Some(items) = resources(page) else {
            add(
                format!("{what}: Resources"),
                "an array".into(),
                "absent".into(),
                n,
            );
            return out;
        };
        if total_results(page) != total {
            add(
                format!("{what}: totalResults (nothing else wrote meanwhile)"),
                show(total),
                show(total_results(page)),
                n,
            );
        }
        if items.len() as u64 > page.count {
            add(
                format!("{what}: resources on the page (RFC 7644 §3.4.2.4: no more than count)"),
                format!("at most {}", page.count),
                items.len().to_string(),
                n,
            );
        }
        let body = page.body.as_ref();
        let field = |k: &str| body.and_then(|b| b.get(k)).and_then(Value::as_u64);
        if !items.is_empty() && field("startIndex") != Some(page.start_index) {
            add(
                format!("{what}: startIndex"),
                page.start_index.to_string(),
                show(field("startIndex")),
                n,
            );
        }
        if !items.is_empty() && field("itemsPerPage") != Some(items.len() as u64) {
            let want = format!("{} (the resources returned)", items.len());
            add(
                format!("{what}: itemsPerPage"),
                want,
                show(field("itemsPerPage")),
                n,
            );
        }
        if i == 0 {
            continue; // the probe overlaps the first page
        }
        for id in items.iter().filter_map(|r| r.get("id")?.as_str()) {
            if !seen.insert(id.to_owned()) {
                add(
                    format!("{what}: pages are disjoint"),
                    "each id on one page".into(),
                    format!("id {id:?} again"),
                    n,
                );
            }
        }
    }
    let last = pages.last().map_or(0, |p| p.exchange);
    if let Some(total) = total {
        if seen.len() as u64 != total {
            let check = "the pages together (RFC 7644 §3.4.2.4: totalResults)".to_owned();
            add(
                check,
                format!("{total} distinct resources"),
                seen.len().to_string(),
                last,
            );
        }
    }
    for (key, id) in includes {
        if !seen.contains(id) {
            add(
                format!("the pages together: {key}"),
                format!("id {id:?} listed"),
                "not on any page".into(),
                last,
            );
        }
    }
    out
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "absent".to_owned(), |v| v.to_string())
}

/// Run `expect: {paging}` in a case.
pub(crate) async fn expect_paging(cx: &mut CaseRun<'_>, want: &PagingExpect) -> Result<(), Stop> {
    let mut includes = Vec::new();
    for key in &want.includes {
        includes.push((key.clone(), cx.target_user_id(key, "paging")?));
    }
    let pages = read_pages(cx, "/Users").await?;
    let step = cx.step_no();
    cx.mismatches(judge(step, &pages, &includes));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(n: u64, start: u64, count: u64, total: u64, ids: &[&str]) -> Page {
        let resources: Vec<Value> = ids.iter().map(|i| json!({"id": i})).collect();
        Page {
            exchange: n,
            start_index: start,
            count,
            status: 200,
            body: Some(json!({
                "totalResults": total, "startIndex": start,
                "itemsPerPage": ids.len(), "Resources": resources,
            })),
        }
    }

    fn checks(pages: &[Page], includes: &[(&str, &str)]) -> Vec<String> {
        let inc: Vec<(String, String)> = includes
            .iter()
            .map(|(k, i)| ((*k).to_owned(), (*i).to_owned()))
            .collect();
        judge(1, pages, &inc).into_iter().map(|m| m.check).collect()
    }

    #[test]
    fn disjoint_complete_pages_in_any_order_pass() {
        let pages = [
            page(1, 1, 1, 5, &["c"]),
            page(2, 1, 2, 5, &["e", "a"]),
            page(3, 3, 2, 5, &["d", "c"]),
            page(4, 5, 2, 5, &["b"]),
        ];
        assert_eq!(
            checks(&pages, &[("alice", "a"), ("bob", "b")]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_repeated_id_a_missing_one_and_a_wrong_count_are_each_named() {
        let pages = [
            page(1, 1, 1, 4, &["a"]),
            page(2, 1, 2, 4, &["a", "b"]),
            page(3, 3, 2, 4, &["b", "c"]),
        ];
        let found = checks(&pages, &[("dan", "d")]);
        assert!(found.iter().any(|c| c.contains("disjoint")), "{found:?}");
        assert!(
            found.iter().any(|c| c.contains("together (RFC")),
            "{found:?}"
        );
        assert!(found.iter().any(|c| c.ends_with(": dan")), "{found:?}");
    }

    #[test]
    fn an_ignored_start_index_is_caught() {
        // The server answers every page from the start: ids repeat and startIndex is wrong.
        let mut second = page(3, 3, 2, 4, &["a", "b"]);
        second.body.as_mut().unwrap()["startIndex"] = json!(1);
        let pages = [
            page(1, 1, 1, 4, &["a"]),
            page(2, 1, 2, 4, &["a", "b"]),
            second,
        ];
        let found = checks(&pages, &[]);
        assert!(found.iter().any(|c| c.ends_with("startIndex")), "{found:?}");
        assert!(found.iter().any(|c| c.contains("disjoint")), "{found:?}");
    }

    #[test]
    fn more_than_count_and_a_wrong_items_per_page_are_caught() {
        let mut big = page(2, 1, 2, 3, &["a", "b", "c"]);
        big.body.as_mut().unwrap()["itemsPerPage"] = json!(2);
        let found = checks(&[page(1, 1, 1, 3, &["a"]), big], &[]);
        assert!(
            found.iter().any(|c| c.contains("no more than count")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|c| c.ends_with("itemsPerPage")),
            "{found:?}"
        );
    }

    #[test]
    fn a_failed_page_stops_the_judgement_there() {
        let mut failed = page(2, 1, 2, 3, &[]);
        failed.status = 500;
        let found = checks(&[page(1, 1, 1, 3, &["a"]), failed], &[]);
        assert_eq!(found, vec!["page startIndex=1 count=2: status".to_owned()]);
    }
}
