//! Checks of a login's flow beyond its session: where the ACS answer sends the browser
//! (`stays_on_site`), and whether a kept session still works (`expect: {session}`).

use crate::event::Mismatch;
use crate::login::{LoginResult, SessionProbe};
use crate::scenario::SessionExpect;

fn mismatch(
    step: usize,
    check: &str,
    expected: &str,
    observed: String,
    n: Option<u64>,
) -> Mismatch {
    Mismatch {
        step,
        check: check.to_owned(),
        expected: expected.to_owned(),
        observed,
        exchange: n,
    }
}

/// The ACS answer's `Location`, resolved against `base_url` as a browser does (WHATWG
/// URL: `//host` and `/\host` name another host), keeps `base_url`'s origin. No redirect
/// passes; a `Location` that does not resolve is off the site.
pub(crate) fn stays_on_site(step: usize, base_url: &str, last: &LoginResult) -> Vec<Mismatch> {
    let Some(location) = &last.location else {
        return Vec::new();
    };
    let base = match reqwest::Url::parse(base_url) {
        Ok(b) => b,
        Err(e) => {
            let seen = format!("the base URL {base_url:?} does not parse: {e}");
            return vec![mismatch(
                step,
                "login redirect",
                "a redirect on the target",
                seen,
                None,
            )];
        }
    };
    match base.join(location) {
        Ok(to) if to.origin() == base.origin() => Vec::new(),
        resolved => {
            let to = resolved.map_or_else(|e| format!("unresolvable ({e})"), |u| u.to_string());
            let seen = format!("Location {location:?}, resolved to {to}");
            let expected = format!("a redirect on {}", base.origin().ascii_serialization());
            vec![mismatch(
                step,
                "login redirect",
                &expected,
                seen,
                Some(last.exchange),
            )]
        }
    }
}

/// A kept session probed now (`None`: the login kept none) against `want`.
pub(crate) fn session(
    step: usize,
    want: &SessionExpect,
    probe: Option<&SessionProbe>,
) -> Vec<Mismatch> {
    let check = format!("session {}", want.key);
    let Some(p) = probe else {
        return match want.valid {
            true => vec![mismatch(
                step,
                &check,
                "a working session",
                "the login opened no session".to_owned(),
                None,
            )],
            false => Vec::new(),
        };
    };
    let seen = match &p.now {
        Some(login) => format!("whoami answered {} naming {login:?}", p.status),
        None => format!("whoami answered {}, no login", p.status),
    };
    let n = Some(p.exchange);
    match (want.valid, &p.now) {
        (true, Some(now))
            if p.opened_for
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(now)) =>
        {
            Vec::new()
        }
        (true, _) => {
            let who = p.opened_for.as_deref().unwrap_or("the user who logged in");
            vec![mismatch(
                step,
                &check,
                &format!("a working session for {who:?}"),
                seen,
                n,
            )]
        }
        (false, None) => Vec::new(),
        (false, Some(_)) => vec![mismatch(
            step,
            &check,
            "no working session (ended)",
            seen,
            n,
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(location: &str) -> LoginResult {
        LoginResult {
            status: 302,
            error_id: None,
            message: None,
            whoami_login: None,
            exchange: 3,
            location: Some(location.to_owned()),
        }
    }

    #[test]
    fn a_redirect_stays_on_site_only_on_the_base_origin() {
        let base = "http://127.0.0.1:3000/grafana";
        for ok in ["/", "/d/abc?x=1", "login", "http://127.0.0.1:3000/x"] {
            assert!(stays_on_site(1, base, &answered(ok)).is_empty(), "{ok}");
        }
        for off in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "http://127.0.0.1:3001/",
            "https://127.0.0.1:3000/",
        ] {
            assert_eq!(stays_on_site(1, base, &answered(off)).len(), 1, "{off}");
        }
        let none = LoginResult {
            location: None,
            ..answered("/")
        };
        assert!(stays_on_site(1, base, &none).is_empty());
    }

    #[test]
    fn a_kept_session_is_judged_by_whoami_now() {
        let want = |valid| SessionExpect {
            key: "s".into(),
            valid,
        };
        let probe = |now: Option<&str>| SessionProbe {
            opened_for: Some("dee@x".into()),
            now: now.map(str::to_owned),
            status: if now.is_some() { 200 } else { 401 },
            exchange: 7,
        };
        assert!(session(1, &want(true), Some(&probe(Some("DEE@x")))).is_empty());
        assert_eq!(session(1, &want(true), Some(&probe(None))).len(), 1);
        assert_eq!(
            session(1, &want(true), Some(&probe(Some("eve@x")))).len(),
            1
        );
        assert!(session(1, &want(false), Some(&probe(None))).is_empty());
        assert_eq!(
            session(1, &want(false), Some(&probe(Some("dee@x")))).len(),
            1
        );
        assert!(session(1, &want(false), None).is_empty());
        assert_eq!(session(1, &want(true), None).len(), 1);
    }
}
