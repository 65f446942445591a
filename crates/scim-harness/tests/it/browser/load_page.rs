//! `load.html` in headless Chromium: the page a real load run wrote (300 users, 3 cycles
//! with churn, against a served reference target) shows the same numbers as its
//! load.json, read from the DOM, and carries its charts as inline SVG.

use serde_json::Value;

use super::driver::{Browser, Chromedriver};
use crate::load_process::LoadRun;

/// The rows of the operations table `id`, as `[name, count, errors, p50, p95, p99, max,
/// rate]` texts.
const ROWS: &str = "return Array.from(document.querySelectorAll('#' + arguments[0] + ' tbody tr.operation')).map(function(r){return ['name','count','errors','p50','p95','p99','max','rate'].map(function(c){return r.querySelector('td.' + c).textContent;});});";

async fn rows(browser: &Browser, table: &str) -> Vec<Vec<String>> {
    let v = browser
        .client
        .execute(ROWS, vec![Value::String(table.to_owned())])
        .await
        .unwrap_or_else(|e| panic!("reading #{table}: {e}"));
    serde_json::from_value(v).unwrap_or_else(|e| panic!("#{table} rows: {e}"))
}

async fn number(browser: &Browser, css: &str) -> f64 {
    let text = browser.find(css).await.text().await.unwrap();
    text.parse()
        .unwrap_or_else(|e| panic!("{css}: {text:?} is not a number: {e}"))
}

/// Each row of the page's table against the operation of the same name in `ops`.
#[track_caller]
fn check_rows(table: &str, shown: &[Vec<String>], ops: &Value) {
    let ops = ops.as_array().unwrap();
    assert_eq!(shown.len(), ops.len(), "#{table}: {shown:?}");
    for (row, op) in shown.iter().zip(ops) {
        assert_eq!(row[0], op["operation"].as_str().unwrap(), "#{table}");
        assert_eq!(row[1], op["count"].to_string(), "#{table} {}", row[0]);
        assert_eq!(row[2], op["error_count"].to_string(), "#{table} {}", row[0]);
        for (i, key) in [
            (3, "p50_ms"),
            (4, "p95_ms"),
            (5, "p99_ms"),
            (6, "max_ms"),
            (7, "rate"),
        ] {
            let shown: f64 = row[i].parse().unwrap();
            let json = op[key].as_f64().unwrap();
            assert!(
                (shown - json).abs() <= 0.0005 + json * 1e-9,
                "#{table} {} {key}: page {shown}, load.json {json}",
                row[0]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_load_page_shows_the_numbers_of_load_json() {
    let run = tokio::task::spawn_blocking(LoadRun::new).await.unwrap();
    assert_eq!(
        run.output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.output.stdout)
    );
    let json = run.json();
    let page = run.path("out/load.html");
    let driver = Chromedriver::start().await;
    let browser = Browser::open(&driver).await;
    browser.goto(&format!("file://{}", page.display())).await;
    browser.wait_for_text("Rate over time", "load-page").await;

    let overall = &json["overall"];
    assert_eq!(
        number(&browser, "#total-requests").await,
        overall["requests"].as_f64().unwrap()
    );
    assert_eq!(
        number(&browser, "#total-errors").await,
        overall["errors"].as_f64().unwrap()
    );
    let verdict = browser.find("#verdict").await.text().await.unwrap();
    assert_eq!(verdict, "clean");
    check_rows(
        "operations-overall",
        &rows(&browser, "operations-overall").await,
        &overall["operations"],
    );
    for c in json["cycles"].as_array().unwrap() {
        let table = format!("operations-cycle-{}", c["cycle"]);
        check_rows(&table, &rows(&browser, &table).await, &c["operations"]);
    }
    // The charts: the rate over time, and one latency histogram per operation, each an
    // inline SVG with bars or a line drawn.
    let charts = browser
        .client
        .execute(
            "return [document.querySelectorAll('#rate-over-time svg polyline, #rate-over-time svg path').length, Array.from(document.querySelectorAll('figure.latency')).map(function(f){return [f.dataset.operation, f.querySelectorAll('svg rect').length];})];",
            vec![],
        )
        .await
        .unwrap();
    assert!(charts[0].as_u64().unwrap() >= 2, "two lines: {charts}");
    let latency = charts[1].as_array().unwrap();
    assert_eq!(
        latency.len(),
        overall["operations"].as_array().unwrap().len(),
        "{charts}"
    );
    for f in latency {
        // The background and at least one bar.
        assert!(f[1].as_u64().unwrap() >= 2, "{f}");
    }
    browser.screenshot("load-page.png").await;
    browser.close().await;
}
