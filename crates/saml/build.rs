//! Compiles `csrc/verify.c`, the small C part of the verifier that calls xmlsec with keys parsed once,
//! against the system's xmlsec1 (the same headers and libraries samael's build already requires).

fn main() {
    println!("cargo:rerun-if-changed=csrc/verify.c");
    let probe = |link: bool| {
        pkg_config::Config::new()
            .cargo_metadata(link)
            .probe("xmlsec1-openssl")
            .expect("pkg-config could not find xmlsec1-openssl (install libxmlsec1-dev)")
    };
    let xmlsec = probe(false);
    let mut build = cc::Build::new();
    build.file("csrc/verify.c").warnings(true);
    for path in &xmlsec.include_paths {
        build.include(path);
    }
    for (name, value) in &xmlsec.defines {
        build.define(name, value.as_deref());
    }
    build.compile("saml_xmlsec_verify");
    // Link flags after the static library that needs them.
    probe(true);
}
