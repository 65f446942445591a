//! Load mode's flags on `idp sync` and their parsers (durations, percentages, rates).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// The load and soak flags of `idp sync` (README "Load and soak").
#[derive(Args, Debug, Default, Clone)]
pub struct LoadArgs {
    /// Objects handled at once, so requests in flight; default: the persona's (entra 8,
    /// okta and rfc 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrency: Option<u64>,
    /// At most R requests (retries included) start per second; default: unpaced.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Run N cycles: the first provisions everything, each later one sends what changed.
    #[arg(long, value_name = "N", conflicts_with = "duration",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub cycles: Option<u64>,
    /// Soak: start cycles until D has passed (`90s`, `10m`, `2h`, `1h30m`); the cycle
    /// running then finishes.
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Generate N users instead of reading a directory (exclusive with --directory).
    #[arg(long, value_name = "N", conflicts_with = "directory")]
    pub generate_users: Option<usize>,
    /// Spread the generated users over G groups, each user a member of one (default 0).
    #[arg(long, value_name = "G", requires = "generate_users")]
    pub generate_groups: Option<usize>,
    /// Before each cycle after the first, change P% of the generated users: updates,
    /// disables and re-enables, deletes, member adds and removes (`5%` or `5`).
    #[arg(long, value_name = "P%", value_parser = parse_percent, requires = "generate_users")]
    pub churn: Option<f64>,
    /// Seed of the churn: the same seed makes the same changes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Write load.json and load.html (latency histograms, rate over time) into DIR.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Count requests only, without latencies or per-operation figures (the bench's
    /// baseline for the cost of measuring).
    #[arg(long, hide = true)]
    pub no_metrics: bool,
}

impl LoadArgs {
    /// Whether any flag asks for load mode (a summary instead of a line per exchange).
    pub fn is_load(&self) -> bool {
        self.cycles.is_some()
            || self.duration.is_some()
            || self.generate_users.is_some()
            || self.churn.is_some()
            || self.report.is_some()
            || self.no_metrics
    }
}

/// `90s`, `10m`, `2h`, `1h30m`, `500ms`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let bad = || format!("`{text}` is not a duration (e.g. 90s, 10m, 2h, 1h30m)");
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        rest = &rest[unit_len..];
    }
    if total.is_zero() {
        return Err(format!("`{text}`: the duration must be above zero"));
    }
    Ok(total)
}

/// `5%` or `5`: a share from 0 to 100.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0% to 100%")),
    }
}

/// Requests per second: a finite number above zero.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches("/s").parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "`{text}` is not a rate above zero in requests per second"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_their_units() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        for bad in ["", "m", "10x", "1.5h", "0s", "s10"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages_and_rates_are_bounded() {
        assert_eq!(parse_percent("5%"), Ok(5.0));
        assert_eq!(parse_percent("12.5"), Ok(12.5));
        assert!(parse_percent("101%").is_err());
        assert!(parse_percent("-1").is_err());
        assert_eq!(parse_rate("200"), Ok(200.0));
        assert_eq!(parse_rate("16.7/s"), Ok(16.7));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("inf").is_err());
    }
}
