//! Integration tests of the mock IdP: fidelity against the sheets, lifecycle snapshots,
//! the reference target over a real socket, and hostile peers.

mod captured;
mod credentials;
mod fidelity;
mod generated;
mod hostile;
mod lifecycle;
mod limits;
mod peer;
mod reference_target;
mod serve_sync;
