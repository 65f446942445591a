//! The refusals waiting for their login page (`login_error` cookie value → refusal),
//! bounded: at most a fixed number at once, the oldest forgotten first, in constant time
//! per refusal however many a flood of refused logins leaves behind.

use std::collections::{HashMap, VecDeque};

use time::OffsetDateTime;

use crate::login::error::LoginError;

/// Refusals by cookie value, with the order they were kept in.
#[derive(Debug)]
pub(crate) struct PendingRefusals {
    capacity: usize,
    by_token: HashMap<String, (LoginError, OffsetDateTime)>,
    /// Tokens oldest first; a taken token stays here until it reaches the front, so this
    /// holds at most `capacity` tokens and `by_token` no more.
    order: VecDeque<String>,
}

impl PendingRefusals {
    pub(crate) fn new(capacity: usize) -> Self {
        PendingRefusals {
            capacity: capacity.max(1),
            by_token: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Keeps `error` under `token` until `until`; the oldest refusals go first when full,
    /// and expired ones at the front go with them. Every refusal lives equally long, so
    /// the oldest kept is the first to expire.
    pub(crate) fn keep(
        &mut self,
        token: String,
        error: LoginError,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) {
        while let Some(front) = self.order.front() {
            let expired = self.by_token.get(front).is_none_or(|(_, u)| *u <= now);
            if self.order.len() < self.capacity && !expired {
                break;
            }
            if let Some(old) = self.order.pop_front() {
                self.by_token.remove(&old);
            }
        }
        self.order.push_back(token.clone());
        self.by_token.insert(token, (error, until));
    }

    /// The refusal `token` stands for, once, if it has not expired.
    pub(crate) fn take(&mut self, token: &str, now: OffsetDateTime) -> Option<LoginError> {
        let (error, until) = self.by_token.remove(token)?;
        (until > now).then_some(error)
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        (self.by_token.len(), self.order.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(s)
    }

    #[test]
    fn a_flood_keeps_the_newest_up_to_the_capacity() {
        let mut r = PendingRefusals::new(3);
        for i in 0..1000 {
            r.keep(format!("t{i}"), LoginError::REPLAYED, at(100), at(0));
        }
        assert_eq!(r.len(), (3, 3));
        assert_eq!(r.take("t996", at(0)), None);
        assert_eq!(r.take("t997", at(0)), Some(LoginError::REPLAYED));
        assert_eq!(r.take("t997", at(0)), None, "read once");
    }

    #[test]
    fn taken_and_expired_refusals_make_room() {
        let mut r = PendingRefusals::new(3);
        r.keep("a".into(), LoginError::REPLAYED, at(10), at(0));
        r.keep("b".into(), LoginError::REPLAYED, at(20), at(0));
        assert_eq!(r.take("a", at(0)), Some(LoginError::REPLAYED));
        // At 15, `a` (taken) and nothing else expired at the front go.
        r.keep("c".into(), LoginError::REPLAYED, at(30), at(15));
        assert_eq!(r.len(), (2, 2));
        assert_eq!(r.take("b", at(25)), None, "expired");
        assert_eq!(r.take("c", at(25)), Some(LoginError::REPLAYED));
    }
}
