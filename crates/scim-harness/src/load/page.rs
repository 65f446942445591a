//! `load.html`: the load report as one self-contained page (no script, no CDN): the
//! figures as tables with stable ids and classes, a latency histogram per operation
//! and the rate over time as inline SVG drawn by plotters.

use report::escape_html as escape;
use std::fmt::Write as _;

use plotters::prelude::*;

use super::summary::{Bucket, LoadReport, OperationSummary, SecondCount, Totals};

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 1.5em}\
th,td{border:1px solid #ccc;padding:0.2em 0.6em;text-align:right}\
td.name,th.name{text-align:left;font-family:monospace}\
dl{display:grid;grid-template-columns:max-content auto;gap:0.2em 1em}\
dd{margin:0;font-weight:bold}.failed{color:#b00}\
figure{display:inline-block;margin:0.5em}";

/// The page for `report`.
pub fn render(report: &LoadReport) -> anyhow::Result<String> {
    let mut out = String::new();
    let title = format!("scim-harness load: {} → {}", report.persona, report.target);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let s = &report.settings;
    let _ = writeln!(
        out,
        "<p id=\"settings\">{} at <code>{}</code>, started {}; concurrency {}, rate {}, \
         {} cycle(s){}{}, seed {}; scim-harness {}</p>",
        escape(&report.persona),
        escape(&report.base_url),
        escape(&report.started_at),
        s.concurrency,
        s.rate.map_or("unpaced".to_owned(), |r| format!("{r}/s")),
        report.cycles.len(),
        s.generated_users.map_or(String::new(), |u| format!(
            ", {u} generated users in {} groups",
            s.generated_groups.unwrap_or(0)
        )),
        s.churn_percent
            .map_or(String::new(), |c| format!(", churn {c}%")),
        s.seed,
        escape(&report.harness_version)
    );
    let o = &report.overall;
    let verdict = if report.clean { "clean" } else { "failed" };
    let _ = writeln!(
        out,
        "<dl id=\"totals\"><dt>Requests</dt><dd id=\"total-requests\">{}</dd>\
         <dt>Errors</dt><dd id=\"total-errors\">{}</dd>\
         <dt>Seconds</dt><dd id=\"total-seconds\">{:.3}</dd>\
         <dt>Requests/s</dt><dd id=\"total-rate\">{:.3}</dd>\
         <dt>Verdict</dt><dd id=\"verdict\" class=\"{verdict}\">{verdict}</dd></dl>",
        o.requests, o.errors, o.seconds, o.rate
    );
    out.push_str("<h2>Rate over time</h2>\n<figure id=\"rate-over-time\">");
    out.push_str(&rate_chart(&report.rate_over_time)?);
    out.push_str("<figcaption>Requests (blue) and errors (red) per second</figcaption></figure>\n");
    out.push_str("<h2>Whole run</h2>\n");
    table(&mut out, "operations-overall", o);
    out.push_str("<h2>Latency per operation</h2>\n");
    for op in &o.operations {
        let _ = write!(
            out,
            "<figure class=\"latency\" data-operation=\"{}\">",
            escape(&op.operation)
        );
        out.push_str(&latency_chart(op)?);
        let _ = writeln!(
            out,
            "<figcaption>{}</figcaption></figure>",
            escape(&op.operation)
        );
    }
    out.push_str("<h2>Cycles</h2>\n");
    for c in &report.cycles {
        let _ = writeln!(
            out,
            "<section class=\"cycle\" id=\"cycle-{}\"><h3>Cycle {}</h3>\
             <p class=\"engine\">{}</p>",
            c.cycle,
            c.cycle,
            escape(&c.engine)
        );
        if let Some(churn) = &c.churn {
            let _ = writeln!(
                out,
                "<p class=\"churn\">Churn before it: {}</p>",
                escape(&churn.to_string())
            );
        }
        table(
            &mut out,
            &format!("operations-cycle-{}", c.cycle),
            &c.totals,
        );
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

/// One table row per operation, and a total row.
fn table(out: &mut String, id: &str, totals: &Totals) {
    let _ = writeln!(
        out,
        "<table class=\"operations\" id=\"{id}\"><thead><tr><th class=\"name\">operation</th>\
         <th>count</th><th>errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th>\
         <th>max ms</th><th>req/s</th><th>errors by status</th></tr></thead><tbody>"
    );
    for o in &totals.operations {
        let by_status: Vec<String> = o.errors.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        let _ = writeln!(
            out,
            "<tr class=\"operation\" data-operation=\"{name}\"><td class=\"name\">{name}</td>\
             <td class=\"count\">{}</td><td class=\"errors\">{}</td><td class=\"p50\">{:.3}</td>\
             <td class=\"p95\">{:.3}</td><td class=\"p99\">{:.3}</td><td class=\"max\">{:.3}</td>\
             <td class=\"rate\">{:.3}</td><td class=\"by-status\">{}</td></tr>",
            o.count,
            o.error_count,
            o.p50_ms,
            o.p95_ms,
            o.p99_ms,
            o.max_ms,
            o.rate,
            escape(&by_status.join(", ")),
            name = escape(&o.operation),
        );
    }
    let _ = writeln!(
        out,
        "</tbody><tfoot><tr class=\"total\"><td class=\"name\">total</td>\
         <td class=\"count\">{}</td><td class=\"errors\">{}</td><td colspan=\"4\"></td>\
         <td class=\"rate\">{:.3}</td><td></td></tr></tfoot></table>",
        totals.requests, totals.errors, totals.rate
    );
}

fn plot_error(what: &str) -> impl Fn(String) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("drawing the {what} chart: {e}")
}

/// At most this many points per line: a long soak's seconds are averaged in groups.
const MAX_POINTS: usize = 1200;

/// `seconds` averaged over groups of consecutive seconds, so that at most [`MAX_POINTS`]
/// remain; each point is placed at its group's first second.
fn thinned(seconds: &[SecondCount]) -> Vec<SecondCount> {
    let group = seconds.len().div_ceil(MAX_POINTS).max(1);
    seconds
        .chunks(group)
        .map(|c| SecondCount {
            second: c[0].second,
            requests: c.iter().map(|s| s.requests).sum::<u64>() / c.len() as u64,
            errors: c.iter().map(|s| s.errors).sum::<u64>() / c.len() as u64,
        })
        .collect()
}

/// Requests and errors per second.
fn rate_chart(all: &[SecondCount]) -> anyhow::Result<String> {
    let seconds = &thinned(all)[..];
    let mut svg = String::new();
    {
        let err = plot_error("rate over time");
        let root = SVGBackend::with_string(&mut svg, (720, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let top = seconds.iter().map(|s| s.requests).max().unwrap_or(0).max(1);
        // Points mark the seconds of a short run; a long run's line needs none.
        let points = if all.len() <= 30 { 2 } else { 0 };
        let end = (all.len() as u64).max(2);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0u64..end, 0u64..top + top / 10 + 1)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("second of the run")
            .y_desc("requests/s")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(
                LineSeries::new(seconds.iter().map(|s| (s.second, s.requests)), &BLUE)
                    .point_size(points),
            )
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(
                LineSeries::new(seconds.iter().map(|s| (s.second, s.errors)), &RED)
                    .point_size(points),
            )
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// One operation's latency histogram over the 1-2-5 buckets.
fn latency_chart(op: &OperationSummary) -> anyhow::Result<String> {
    let mut svg = String::new();
    let buckets: &[Bucket] = &op.histogram;
    {
        let err = plot_error(&op.operation);
        let root = SVGBackend::with_string(&mut svg, (480, 220)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let n = buckets.len().max(1);
        let top = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
        let labels: Vec<String> = buckets.iter().map(|b| format!("<{}", b.below_ms)).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(&op.operation, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n).into_segmented(), 0u64..top + top / 10 + 1)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("latency (ms)")
            .y_desc("exchanges")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(BLUE.filled())
                    .margin(2)
                    .data(buckets.iter().enumerate().map(|(i, b)| (i, b.count))),
            )
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_soak_is_averaged_to_at_most_max_points() {
        let day: Vec<SecondCount> = (0..86_400)
            .map(|n| SecondCount {
                second: n,
                requests: 100 + n % 2,
                errors: u64::from(n % 10 == 0),
            })
            .collect();
        let points = thinned(&day);
        assert!(points.len() <= MAX_POINTS, "{}", points.len());
        assert_eq!(points[1].second, 72);
        assert_eq!(points[0].requests, 100);
        let short = thinned(&day[..5]);
        assert_eq!(short.len(), 5);
        assert_eq!(short[3].requests, 101);
        let svg = rate_chart(&day).unwrap();
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
    }
}
