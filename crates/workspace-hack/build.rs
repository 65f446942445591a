//! Empty: a build script makes cargo honour the `[build-dependencies]` hakari writes.

fn main() {}
