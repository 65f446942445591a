//! Per-profile credentials (#14): Basic and a named header reach the target as set, over
//! the lean `http://` transport and through reqwest, and the transcript shows neither.

use idp::{Credential, DirUser, Directory, PersonaId, SyncEngine};
use rstest::rstest;

use crate::peer::{fake_scim, Peer};

const SECRET: &str = "s3cret-v4lue";

/// `user:password@` in the URL sends through reqwest instead of the lean transport.
#[rstest]
#[case::basic_plain(Credential::Basic { user: "admin".into(), password: SECRET.into() }, false, "authorization", "Basic YWRtaW46czNjcmV0LXY0bHVl", "Basic [redacted]")]
#[case::header_plain(Credential::Header { name: "X-Api-Key".into(), value: SECRET.into() }, false, "x-api-key", SECRET, "[redacted]")]
#[case::header_reqwest(Credential::Header { name: "X-Api-Key".into(), value: SECRET.into() }, true, "x-api-key", SECRET, "[redacted]")]
#[tokio::test]
async fn the_credential_is_sent_and_never_recorded(
    #[case] credential: Credential,
    #[case] through_reqwest: bool,
    #[case] header: &str,
    #[case] sent: &str,
    #[case] shown: &str,
) {
    let peer = Peer::start(fake_scim()).await;
    let mut target = peer.target();
    if through_reqwest {
        target.base_url = target.base_url.replacen("http://", "http://u:p@", 1);
    }
    target.credential = credential;
    let mut dir = Directory::new();
    dir.add_user(DirUser::new("a", "a@x.example")).unwrap();
    let mut engine = SyncEngine::new(PersonaId::Rfc, target);
    let report = engine.cycle(&dir).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    let requests = peer.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r.header(header), Some(sent), "{}", r.line());
    }
    let transcript = serde_json::to_string(&report.exchanges).unwrap();
    assert!(
        !transcript.contains(SECRET) && !transcript.contains("YWRtaW46"),
        "{transcript}"
    );
    for e in &report.exchanges {
        let recorded = e.request_headers.iter().find(|(k, _)| k == header);
        assert_eq!(
            recorded.map(|(_, v)| v.as_str()),
            Some(shown),
            "{:?}",
            e.request_headers
        );
    }
}

#[tokio::test]
async fn a_credential_that_is_no_header_fails_each_request_without_showing_it() {
    let peer = Peer::start(fake_scim()).await;
    let mut target = peer.target();
    target.credential = Credential::Header {
        name: "X-Api-Key".into(),
        value: format!("{SECRET}\n"),
    };
    let mut dir = Directory::new();
    dir.add_user(DirUser::new("a", "a@x.example")).unwrap();
    let report = SyncEngine::new(PersonaId::Rfc, target).cycle(&dir).await;
    assert!(!report.is_clean());
    assert!(peer.requests().is_empty(), "nothing is sent");
    let text = format!("{:?}", report.errors);
    assert!(
        text.contains("not a valid http header value") && !text.contains(SECRET),
        "{text}"
    );
}
