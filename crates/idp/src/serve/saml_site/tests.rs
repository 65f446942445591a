//! The SAML site through its router.
