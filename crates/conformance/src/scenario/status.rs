//! `Statuses`: an expected HTTP status, or the list of statuses a source allows.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// One HTTP status (`status: 200`) or every status a source allows (`status: [200, 204]`,
/// e.g. RFC 7644 §3.5.2 lets a PATCH be answered with either); any listed one passes.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum Statuses {
    One(u16),
    AnyOf(Vec<u16>),
}

impl Statuses {
    /// Whether `status` is one of the allowed ones.
    pub fn allows(&self, status: u16) -> bool {
        match self {
            Statuses::One(s) => *s == status,
            Statuses::AnyOf(list) => list.contains(&status),
        }
    }
}

impl From<u16> for Statuses {
    fn from(s: u16) -> Statuses {
        Statuses::One(s)
    }
}

impl fmt::Display for Statuses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statuses::One(s) => write!(f, "{s}"),
            Statuses::AnyOf(list) => {
                let shown: Vec<String> = list.iter().map(u16::to_string).collect();
                write!(f, "{}", shown.join(" or "))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Statuses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Statuses, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Statuses;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an HTTP status (100 to 599) or a non-empty list of them")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Statuses, E> {
                status(v).map(Statuses::One)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Statuses, E> {
                let v = u64::try_from(v)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status")))?;
                self.visit_u64(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Statuses, A::Error> {
                let mut list = Vec::new();
                while let Some(v) = seq.next_element::<u64>()? {
                    list.push(status(v)?);
                }
                if list.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list of statuses allows nothing",
                    ));
                }
                Ok(Statuses::AnyOf(list))
            }
        }
        d.deserialize_any(V)
    }
}

fn status<E: de::Error>(v: u64) -> Result<u16, E> {
    u16::try_from(v)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| E::custom(format!("{v} is not an HTTP status (100 to 599)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Statuses, String> {
        serde_norway::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn one_or_a_list() {
        assert_eq!(parse("204"), Ok(Statuses::One(204)));
        assert_eq!(parse("[200, 204]"), Ok(Statuses::AnyOf(vec![200, 204])));
        let any = parse("[200, 204]").unwrap();
        assert!(any.allows(204) && any.allows(200) && !any.allows(201));
        assert_eq!(any.to_string(), "200 or 204");
    }

    #[test]
    fn refuses_what_is_not_a_status() {
        for bad in ["[]", "99", "600", "-1", "\"200\"", "[200, 70000]"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("status"), "{bad}: {err}");
        }
    }
}
