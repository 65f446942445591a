//! Integration tests of the conformance crate: the scenario loader, the catalogue, the
//! committed JSON Schema, profiles and baselines.

mod catalogue;
mod loader;
mod profile;
mod schema;
