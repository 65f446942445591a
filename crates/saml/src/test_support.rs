//! What the crate's unit tests share.

use crate::clock::{FixedClock, SequentialIds};
use crate::spec::{Login, ResponseSpec};
use crate::style::IdpStyle;

/// An rfc-style Response for alice at a fixed instant (2030-01-01), unsigned settings as
/// `ResponseSpec::new` gives them.
pub(crate) fn rfc_spec() -> ResponseSpec {
    let login = Login {
        idp_entity_id: "https://idp.example.test".into(),
        acs_url: "https://sp.example.test/saml/acs".into(),
        audience: "https://sp.example.test/saml/metadata".into(),
        name_id: "alice@example.test".into(),
        name_id_format: None,
        attributes: Vec::new(),
        in_response_to: None,
    };
    let clock = FixedClock::new(time::macros::datetime!(2030-01-01 00:00:00 UTC));
    ResponseSpec::new(
        IdpStyle::Rfc,
        &login,
        &clock,
        &SequentialIds::starting_at(1),
    )
}
