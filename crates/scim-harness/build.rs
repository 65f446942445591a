//! Rebuilds the binary when what it carries changes: `include_dir!` in `src/catalogue.rs`
//! reads `scenarios/` and `fixtures/idp/` at compile time, and Cargo watches a folder named
//! here for any change inside it.

fn main() {
    println!("cargo:rerun-if-changed=../../scenarios");
    println!("cargo:rerun-if-changed=../../fixtures/idp");
}
