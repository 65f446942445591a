//! The sync engine: turns Directory changes into a persona's SCIM exchanges, cycle by
//! cycle, keeping the target ids it learnt and what it last sent.
//!
//! [`SyncEngine`] (`engine`) keeps what the engine knows between cycles; each cycle runs
//! as a `Pass` (`pass`) through the four phases, with the requests every phase shares
//! (`requests`), the user and manager steps (`users`) and the group and membership steps
//! (`groups`). What a cycle did comes back as a [`SyncReport`] (`report`).

mod engine;
mod groups;
mod links;
mod pass;
mod report;
mod requests;
mod users;

pub use engine::SyncEngine;
pub use groups::MEMBER_BATCH;
pub use report::{Action, IssueCode, ObjectKind, ObjectRef, Outcome, SyncIssue, SyncReport};
