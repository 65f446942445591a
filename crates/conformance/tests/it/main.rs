//! Integration tests of the conformance crate: the scenario loader, the catalogue, the
//! committed JSON Schema, profiles and baselines, and the runner against a recording peer.

mod baseline;
mod catalogue;
mod loader;
mod profile;
mod run;
mod schema;
