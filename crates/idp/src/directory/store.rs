//! How the directory keeps its users compactly: users added one by one are stored whole,
//! a generated block is stored as its pattern and count and each of its users is made on
//! demand; a group's members are runs (one user, or a generated block minus the members
//! removed from it); ids are found through an index of one `u32` per user.

use std::borrow::Cow;
use std::collections::BTreeSet;

use hashbrown::HashTable;

use super::{expand_pattern, fnv, guid_from, DirUser};

/// A user's position in the directory's insertion order; stable, since users are never
/// removed (deleted ones stay as tombstones).
pub(crate) type UserIndex = u32;

/// A generated block: users `n = 1..=count` of `pattern`, at positions `start..start+count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Block {
    pub(super) pattern: String,
    pub(super) count: u32,
    pub(super) start: UserIndex,
}

/// A run of users in insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    /// `len` users added one by one, `explicit[first..first+len]`.
    Explicit {
        start: UserIndex,
        first: u32,
        len: u32,
    },
    /// The generated block `blocks[block]`.
    Generated { start: UserIndex, block: u32 },
}

impl Segment {
    fn start(&self) -> UserIndex {
        match self {
            Segment::Explicit { start, .. } | Segment::Generated { start, .. } => *start,
        }
    }
}

/// The id of the `n`-th user of a block with `pattern` (see [`super::Generate::user_id`]).
pub(super) fn generated_id(pattern: &str, n: u32) -> String {
    guid_from(&format!("{pattern}#{n}"), 0)
}

/// The `n`-th user of a block with `pattern`, as `Directory::generate` has always made
/// it: the login and mail from the pattern, a given name, a surname with the number.
pub(super) fn generated_user(pattern: &str, n: u32) -> DirUser {
    // The pattern was checked when the block was made.
    let login = expand_pattern(pattern, n as usize).unwrap_or_else(|_| pattern.to_owned());
    let mut user = DirUser::new(generated_id(pattern, n), login.clone());
    let local = login.split('@').next().unwrap_or(&login).to_owned();
    user.profile.mail = Some(login);
    user.profile.given_name = Some("Generated".to_owned());
    user.profile.surname = Some(format!("User {n}"));
    user.profile.display_name = Some(local);
    user
}

/// Every user's position, found by a hash of its id; each hit is checked against the
/// user's real id, so a hash collision costs a comparison, never a wrong answer.
#[derive(Clone, Default)]
pub(super) struct IdIndex(HashTable<UserIndex>);

impl std::fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdIndex({} ids)", self.0.len())
    }
}

/// The index is derived from the users, so it never makes two directories differ.
impl PartialEq for IdIndex {
    fn eq(&self, _: &IdIndex) -> bool {
        true
    }
}
impl Eq for IdIndex {}

fn id_hash(id: &str) -> u64 {
    fnv(id, 0x1d)
}

/// The users in insertion order, without the index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Users {
    pub(super) explicit: Vec<DirUser>,
    pub(super) blocks: Vec<Block>,
    pub(super) segments: Vec<Segment>,
    pub(super) total: u32,
}

/// Where a user is kept.
pub(super) enum Place {
    Explicit(usize),
    /// Block index and the user's number `n` in it.
    Generated(usize, u32),
}

impl Users {
    pub(super) fn place(&self, i: UserIndex) -> Option<Place> {
        if i >= self.total {
            return None;
        }
        let s = self
            .segments
            .partition_point(|s| s.start() <= i)
            .checked_sub(1)?;
        Some(match self.segments[s] {
            Segment::Explicit { start, first, .. } => Place::Explicit((first + i - start) as usize),
            Segment::Generated { start, block } => Place::Generated(block as usize, i - start + 1),
        })
    }

    pub(super) fn id_at(&self, i: UserIndex) -> Option<Cow<'_, str>> {
        Some(match self.place(i)? {
            Place::Explicit(k) => Cow::Borrowed(self.explicit[k].id.as_str()),
            Place::Generated(b, n) => Cow::Owned(generated_id(&self.blocks[b].pattern, n)),
        })
    }

    /// Append one user (the caller has checked its id is new).
    pub(super) fn push(&mut self, user: DirUser) -> UserIndex {
        let at = self.total;
        let next = self.explicit.len() as u32;
        match self.segments.last_mut() {
            Some(Segment::Explicit { first, len, .. }) if *first + *len == next => *len += 1,
            _ => self.segments.push(Segment::Explicit {
                start: at,
                first: next,
                len: 1,
            }),
        }
        self.explicit.push(user);
        self.total += 1;
        at
    }
}

impl IdIndex {
    pub(super) fn find(&self, users: &Users, id: &str) -> Option<UserIndex> {
        self.0
            .find(id_hash(id), |&i| users.id_at(i).is_some_and(|x| x == id))
            .copied()
    }

    /// Add `i` under `id`; false if another user already has that id.
    pub(super) fn insert(&mut self, users: &Users, id: &str, i: UserIndex) -> bool {
        if self.find(users, id).is_some() {
            return false;
        }
        let hash_of = |&j: &UserIndex| users.id_at(j).map_or(0, |x| id_hash(&x));
        self.0.insert_unique(id_hash(id), i, hash_of);
        true
    }

    /// Take back the positions from `from` on (a block that turned out to clash).
    pub(super) fn remove_from(&mut self, from: UserIndex) {
        self.0.retain(|i| *i < from);
    }
}

/// One run of a group's members.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    /// One user, added by id.
    One { id: String, at: UserIndex },
    /// Every user of a generated block but the numbers in `removed`.
    Block {
        pattern: String,
        start: UserIndex,
        count: u32,
        removed: BTreeSet<u32>,
    },
}

/// A group's members in the order they were added: each run is one user or a whole
/// generated block (less the members removed since), so a block of a million members
/// costs one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    runs: Vec<Run>,
}

impl Members {
    /// Directory ids of the members, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        self.runs
            .iter()
            .flat_map(|r| -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
                match r {
                    Run::One { id, .. } => Box::new(std::iter::once(Cow::Borrowed(id.as_str()))),
                    Run::Block {
                        pattern,
                        count,
                        removed,
                        ..
                    } => Box::new(
                        (1..=*count)
                            .filter(|n| !removed.contains(n))
                            .map(|n| Cow::Owned(generated_id(pattern, n))),
                    ),
                }
            })
    }

    /// Positions of the members in the directory, in insertion order.
    pub(crate) fn indices(&self) -> impl Iterator<Item = UserIndex> + '_ {
        self.runs
            .iter()
            .flat_map(|r| -> Box<dyn Iterator<Item = UserIndex> + '_> {
                match r {
                    Run::One { at, .. } => Box::new(std::iter::once(*at)),
                    Run::Block {
                        start,
                        count,
                        removed,
                        ..
                    } => Box::new(
                        (1..=*count)
                            .filter(|n| !removed.contains(n))
                            .map(move |n| start + n - 1),
                    ),
                }
            })
    }

    pub fn len(&self) -> usize {
        self.runs
            .iter()
            .map(|r| match r {
                Run::One { .. } => 1,
                Run::Block { count, removed, .. } => *count as usize - removed.len(),
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn contains(&self, at: UserIndex) -> bool {
        self.runs.iter().any(|r| match r {
            Run::One { at: a, .. } => *a == at,
            Run::Block {
                start,
                count,
                removed,
                ..
            } => at >= *start && at - start < *count && !removed.contains(&(at - start + 1)),
        })
    }

    pub(super) fn push(&mut self, id: &str, at: UserIndex) {
        self.runs.push(Run::One {
            id: id.to_owned(),
            at,
        });
    }

    pub(super) fn push_block(&mut self, block: &Block) {
        self.runs.push(Run::Block {
            pattern: block.pattern.clone(),
            start: block.start,
            count: block.count,
            removed: BTreeSet::new(),
        });
    }

    pub(super) fn remove(&mut self, at: UserIndex) {
        self.runs.retain_mut(|r| match r {
            Run::One { at: a, .. } => *a != at,
            Run::Block {
                start,
                count,
                removed,
                ..
            } => {
                if at >= *start && at - *start < *count {
                    removed.insert(at - *start + 1);
                }
                removed.len() < *count as usize
            }
        });
    }

    pub(super) fn clear(&mut self) {
        self.runs.clear();
    }
}
