//! The user's browser during a login: requests without the SCIM token, carrying the
//! cookies the SP set (its login cookies, then the session cookie).

use crate::case::{CaseRun, Stop};
use crate::http::{Answer, Request};

/// The cookies a browser holds for the target.
#[derive(Debug, Default)]
pub(super) struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    /// Sends `req` as the browser does: no bearer token, the cookies held. A failure names
    /// the method and `path` (the profile's, not the URL).
    pub async fn send(
        &self,
        run: &mut CaseRun<'_>,
        req: Request,
        path: &str,
    ) -> Result<(u64, Answer), Stop> {
        let pairs: Vec<String> = (self.cookies.iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let cookies = (!pairs.is_empty()).then(|| pairs.join("; "));
        let method = req.method.clone();
        let req = Request {
            bearer: false,
            cookies,
            ..req
        };
        let sent = run.send_login(&req).await;
        sent.map_err(|e| super::fail(run.step_no(), &format!("{method} {path}: {e}")))
    }

    /// A browser that holds only `cookie`.
    pub fn holding(cookie: (String, String)) -> Browser {
        Browser {
            cookies: vec![cookie],
        }
    }

    /// The cookie `name`, when held.
    pub fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.cookies.iter().find(|(n, _)| n == name).cloned()
    }

    /// Keeps every cookie `answer` sets.
    pub fn keep_all(&mut self, answer: &Answer) {
        self.cookies.extend(answer.set_cookies());
    }

    /// Keeps the cookie `name` when `answer` sets it to a value, in place of an older one;
    /// whether it did.
    pub fn keep(&mut self, answer: &Answer, name: &str) -> bool {
        let set = answer.set_cookies();
        let Some(cookie) = set.into_iter().find(|(n, v)| n == name && !v.is_empty()) else {
            return false;
        };
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push(cookie);
        true
    }
}

/// The string at a JSON pointer of the answer's body.
pub(super) fn json_str(answer: &Answer, pointer: &str) -> Option<String> {
    answer
        .json
        .as_ref()?
        .pointer(pointer)?
        .as_str()
        .map(str::to_owned)
}
