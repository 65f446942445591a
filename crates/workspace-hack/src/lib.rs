//! No code: the dependencies in Cargo.toml (managed by `cargo hakari`) unify features
//! across the workspace (ARCHITECTURE.md, crate table).
