//! Timestamps: stored as Unix milliseconds, shown as RFC 3339 (SCIM `meta`, Grafana JSON).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

fn datetime(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339 with milliseconds, UTC: `2025-01-02T03:04:05.678Z` (SCIM `meta.created`,
/// RFC 7643 §3.1 `xsd:dateTime`).
pub fn scim_datetime(millis: i64) -> String {
    let dt = datetime(millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// RFC 3339 in whole seconds, as Grafana's JSON shows times: `2025-01-02T03:04:05Z`.
pub fn grafana_datetime(millis: i64) -> String {
    let dt = datetime(millis.div_euclid(1000) * 1000);
    dt.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Grafana's `util.GetAgeString`: `10y`, `2M`, `4d`, `5h`, `6m`, `< 1 minute`.
pub fn age_string(then_millis: i64, now_millis: i64) -> String {
    let minutes = (now_millis - then_millis).max(0) / 60_000;
    let (hours, days) = (minutes / 60, minutes / 1440);
    let (months, years) = (minutes / 43_800, minutes / 525_600);
    match () {
        _ if years > 0 => format!("{years}y"),
        _ if months > 0 => format!("{months}M"),
        _ if days > 0 => format!("{days}d"),
        _ if hours > 0 => format!("{hours}h"),
        _ if minutes > 0 => format!("{minutes}m"),
        _ => "< 1 minute".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let ms = 1_700_000_000_123;
        assert_eq!(scim_datetime(ms), "2023-11-14T22:13:20.123Z");
        assert_eq!(grafana_datetime(ms), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn ages() {
        let now = 1_700_000_000_000;
        assert_eq!(age_string(now, now), "< 1 minute");
        assert_eq!(age_string(now - 5 * 60_000, now), "5m");
        assert_eq!(age_string(now - 3 * 3_600_000, now), "3h");
        assert_eq!(age_string(now - 10 * 366 * 86_400_000, now), "10y");
    }
}
