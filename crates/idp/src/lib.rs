//! The mock identity provider: a Directory of people and groups, and personas that turn
//! its changes into the SCIM 2.0 traffic Entra ID and Okta really send, and log its
//! users in with the SAML Responses those IdPs issue ([`issue_login`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use idp::{Directory, PersonaId, ScimTarget, SyncEngine};
//! let dir = Directory::load("fixtures/directory.yaml")?;
//! let target = ScimTarget::new("http://127.0.0.1:3000/apis/scim.grafana.app/v0alpha1/namespaces/default", "token");
//! let mut engine = SyncEngine::new("entra".parse::<PersonaId>()?, target);
//! let report = engine.cycle(&dir).await;
//! println!("{}", report.summary());
//! report.transcript().write_json_lines(std::io::stdout())?;
//! # Ok(()) }
//! ```
//!
//! [`SyncEngine::cycle`] keeps the cycle's exchanges in the report. For large
//! directories, [`SyncEngine::cycle_to`] hands each one to a [`TranscriptSink`] as soon
//! as its object is done (in the same order and numbering) and keeps nothing, e.g.
//! `engine.cycle_to(&dir, &mut JsonLinesSink::new(file))`.
//!
//! Facts come from `reference/entra-scim.md` and `reference/okta-scim.md`; each
//! behaviour cites its section. Where the sheets are silent, the crate README-level
//! choices are documented on the item that makes them.

mod dialect;
mod directory;
mod login;
mod persona;
pub mod record;
pub mod serve;
mod sync;
mod transport;
mod wire;

pub use dialect::{Dialect, Form};
pub use directory::{
    derive_okta_id, fnv, guid_from, strip_location, DirGroup, DirUser, Directory, DirectoryError,
    Generate, Members, UserIter, UserProfile,
};
pub use login::{
    answer_authn_request, issue_login, issue_login_with, AttackVictim, AuthnRequestAnswer,
    AuthnRequestError, ClaimOverrides, IdpKeys, IssuedLogin, LoginError, LoginRequest, SamlSp,
};
pub use persona::{PersonaId, UnknownPersona, OKTA_USER_AGENT, RFC_USER_AGENT};
pub use sync::{
    Action, IssueCode, ObjectKind, ObjectRef, Outcome, SyncEngine, SyncIssue, SyncReport,
    MEMBER_BATCH,
};
pub use transport::{
    error_chain, exchange_json_line, ConnectError, Connector, Credential, CredentialError,
    Exchange, JsonLinesReader, JsonLinesSink, JsonText, ScimTarget, SyncLimits, TlsFiles,
    Transcript, TranscriptDetail, TranscriptReadError, TranscriptSink, TransportError,
    ENTRA_CONCURRENCY,
};
