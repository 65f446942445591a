//! The request URL: as the transcript shows it, as reqwest takes it, and the origin form a
//! plain request sends.

use super::http::Http;

impl Http {
    /// `path_and_query` starts with `/` and is already encoded.
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.target.base())
    }

    /// The request URL, as `Url::parse(&self.url(path_and_query))` gives it, without
    /// parsing scheme and host again.
    pub(super) fn parsed_url(&self, path_and_query: &str) -> Result<reqwest::Url, String> {
        let Some(base) = &self.base else {
            return reqwest::Url::parse(&self.url(path_and_query)).map_err(|e| e.to_string());
        };
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        url.set_query(query);
        Ok(url)
    }

    /// The request target (origin form) a plain request sends: what reqwest would send
    /// for the same URL. An already-canonical path and query (the engine's own, always)
    /// is used as it is; anything the URL parser would rewrite (dot segments, characters
    /// it percent-encodes) goes through it.
    pub(super) fn origin_form(&self, path_and_query: &str) -> Result<hyper::Uri, String> {
        let (path, _) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let canonical = path_and_query.starts_with('/')
            && path_and_query.bytes().all(|b| KEPT_AS_IS[usize::from(b)])
            && !path.contains("/.")
            && !path
                .as_bytes()
                .windows(3)
                .any(|w| w[0] == b'%' && w[1] == b'2' && w[2].eq_ignore_ascii_case(&b'e'));
        let target = if canonical {
            format!("{}{path_and_query}", self.prefix)
        } else {
            let url = self.parsed_url(path_and_query)?;
            match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            }
        };
        hyper::Uri::try_from(target).map_err(|e| e.to_string())
    }
}

/// The bytes the URL parser leaves as they are in a path or query: unreserved and
/// sub-delims, `:@/?` and `%` (RFC 3986 §2.2-2.3).
const KEPT_AS_IS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let others = b"-._~!$&()*+,;=:@/%?";
    let mut i = 0;
    while i < others.len() {
        t[others[i] as usize] = true;
        i += 1;
    }
    t
};
