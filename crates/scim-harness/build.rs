//! Rebuilds the binary when what it carries changes: `include_dir!` in `src/catalogue.rs`
//! and `src/profiles.rs` read `scenarios/`, `fixtures/idp/`
//! and `fixtures/profiles/` at compile time, and Cargo watches a folder named
//! here for any change inside it.

fn main() {
    println!("cargo:rerun-if-changed=../../scenarios");
    println!("cargo:rerun-if-changed=../../fixtures/idp");
    println!("cargo:rerun-if-changed=../../fixtures/profiles");
}
