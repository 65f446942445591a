//! Our XML-DSig verifier against an independent one (bergshamra, pure Rust, trusted keys only, strict
//! reference placement), for every persona, every signing mode and every attack of the tamper catalogue, plus
//! the untampered document: on "is every signature valid" and "which elements do they cover" the two agree,
//! except where ours is stricter by design (an algorithm, transform or shape it does not accept), and those
//! exceptions are listed here, each with its reason; a listed exception that no longer differs fails too.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::PinnedKeys;
use crate::attack::{Attack, AttackContext};
use crate::clock::{FixedClock, SequentialIds};
use crate::encrypt::{ContentEncryption, Encryption, EncryptionKey};
use crate::keys::SigningKeys;
use crate::sign::sign_response;
use crate::spec::{Login, ResponseSpec};
use crate::style::{IdpStyle, SignMode, UserClaims, GRAFANA_UID_ATTRIBUTE};
use crate::verify::DEFAULT_CLOCK_SKEW;
use crate::xml;

/// Where ours refuses and bergshamra accepts: the algorithm or shape our verifier does not implement.
const STRICTER: &[(&str, &str)] = &[
    ("sha1-digest", "SHA-1 DigestMethod"),
    ("rsa-sha1-signature", "rsa-sha1 SignatureMethod"),
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn keys(name: &str) -> SigningKeys {
    SigningKeys::from_pem_files(
        fixture(&format!("idp/{name}.key.pem")),
        fixture(&format!("idp/{name}.cert.pem")),
    )
    .unwrap()
}

fn user() -> UserClaims {
    UserClaims {
        uid: "uid-alice-0001".into(),
        login: "alice@example.test".into(),
        email: "alice@example.test".into(),
        display_name: "Alice Liddell".into(),
        given_name: "Alice".into(),
        surname: "Liddell".into(),
        groups: vec!["Engineering".into()],
    }
}

/// `Some(covered IDs, sorted)` when every Signature is valid, `None` when not.
type Verdict = Option<BTreeSet<String>>;

fn ours(pinned: &PinnedKeys, text: &str) -> Verdict {
    let root = xml::parse(text).ok()?;
    let parts = pinned.verify(&root).ok()?;
    parts
        .into_iter()
        .map(|bytes| {
            let element = xml::parse(std::str::from_utf8(&bytes).ok()?).ok()?;
            element.attr("ID").map(|id| format!("#{id}"))
        })
        .collect()
}

fn oracle(keys: &SigningKeys, text: &str) -> Verdict {
    let key = bergshamra::keys::loader::load_x509_cert_der(keys.certificate().der()).ok()?;
    let mut manager = bergshamra::KeysManager::new();
    manager.add_key(key);
    let ctx = bergshamra::DsigContext::new(manager);
    let results = bergshamra::verify_all(&ctx, text).ok()?;
    if results.is_empty() {
        return None;
    }
    let mut covered = BTreeSet::new();
    for result in results {
        if !result.all_reference_digests_verified() {
            return None;
        }
        if let bergshamra::VerifyResult::Valid { references, .. } = result {
            covered.extend(references.into_iter().map(|r| r.uri));
        }
    }
    Some(covered)
}

#[test]
fn our_verdicts_agree_with_bergshamra_on_every_mode_and_attack() {
    let attacker = keys("attacker");
    let encryption = Encryption {
        key: EncryptionKey::from_pem_file(fixture("target/sp.cert.pem")).unwrap(),
        content: ContentEncryption::Aes256Cbc,
    };
    let now = time::macros::datetime!(2030-06-01 12:00:00 UTC);
    let mut compared = 0;
    let mut stricter_seen = BTreeSet::new();
    let mut disagreements = Vec::new();
    for style in IdpStyle::ALL {
        let trusted = keys(style.name());
        let pinned = PinnedKeys::new(&[trusted.certificate().clone()]).unwrap();
        let ctx = AttackContext {
            trusted: &trusted,
            attacker: &attacker,
            uid_attribute: GRAFANA_UID_ATTRIBUTE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            now,
            victim: None,
            encrypt_for: Some(&encryption),
        };
        let login = Login {
            idp_entity_id: style.entity_id("tenant"),
            acs_url: "https://sp.example.test/saml/acs".into(),
            audience: "https://sp.example.test/saml/metadata".into(),
            name_id: "alice@example.test".into(),
            name_id_format: None,
            attributes: style.attributes_for(&user(), "tenant"),
            in_response_to: Some("_request-0001".into()),
        };
        for mode in SignMode::ALL {
            let mut spec = ResponseSpec::new(
                style,
                &login,
                &FixedClock::new(now),
                &SequentialIds::starting_at(1),
            );
            spec.sign = mode;
            let mut documents = vec![("untampered", sign_response(&spec, &trusted).unwrap())];
            for attack in Attack::all() {
                let tampered = attack.apply(&spec, &ctx).unwrap();
                documents.push((attack.name(), tampered.xml));
            }
            for (name, text) in documents {
                compared += 1;
                let (a, b) = (ours(&pinned, &text), oracle(&trusted, &text));
                if a == b {
                    continue;
                }
                if a.is_none() && b.is_some() && STRICTER.iter().any(|(n, _)| *n == name) {
                    stricter_seen.insert(name);
                    continue;
                }
                disagreements.push(format!(
                    "{style:?}/{mode:?}/{name}: ours {a:?}, bergshamra {b:?}"
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    let listed: BTreeSet<&str> = STRICTER.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        stricter_seen, listed,
        "a listed exception no longer differs"
    );
    // 3 personas x 3 signing modes x (the untampered document + every attack).
    assert_eq!(compared, 3 * 3 * (1 + Attack::all().len()));
}
