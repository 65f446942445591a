//! The engine's per-user state, kept compact for directories of millions (issue 19):
//! one fixed-size slot per user, the variable parts (directory id, target id, attribute
//! hashes) in a byte arena of fixed-size chunks, and an index of one `u32` per user.

use hashbrown::HashTable;

use crate::directory::fnv;
use crate::wire::PackedAttrs;

use super::engine::UserLink;

/// A link's position in [`UserLinks`]; stable until [`UserLinks::clear`].
pub(super) type LinkIndex = u32;

/// Bytes per arena chunk. Chunks never move, so the arena grows without copying (a
/// `Vec` doubling would briefly hold both copies: the peak this store exists to lower).
const CHUNK: usize = 1 << 20;

/// Where a value lies in the arena.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    chunk: u32,
    at: u32,
    len: u32,
}

/// Append-only bytes in chunks; a value never straddles two.
#[derive(Default)]
struct Arena {
    chunks: Vec<Vec<u8>>,
}

impl Arena {
    fn push(&mut self, bytes: &[u8]) -> Span {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= bytes.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(bytes.len())));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let at = c.len();
        c.extend_from_slice(bytes);
        Span {
            chunk: chunk as u32,
            at: at as u32,
            len: bytes.len() as u32,
        }
    }

    fn get(&self, s: Span) -> &[u8] {
        let start = s.at as usize;
        self.chunks
            .get(s.chunk as usize)
            .and_then(|c| c.get(start..start + s.len as usize))
            .unwrap_or_default()
    }

    fn get_mut(&mut self, s: Span) -> &mut [u8] {
        let start = s.at as usize;
        match self.chunks.get_mut(s.chunk as usize) {
            Some(c) => c.get_mut(start..start + s.len as usize).unwrap_or_default(),
            None => &mut [],
        }
    }
}

/// An id as stored: a canonical lower-case UUID (what Entra object ids and most
/// targets' ids are) in its 16 bytes, anything else as its UTF-8 text.
fn encode_id(id: &str) -> (bool, Vec<u8>) {
    match uuid::Uuid::try_parse(id) {
        Ok(u)
            if u.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())
                == id =>
        {
            (true, u.as_bytes().to_vec())
        }
        _ => (false, id.as_bytes().to_vec()),
    }
}

fn decode_id(uuid: bool, bytes: &[u8]) -> String {
    if uuid {
        if let Ok(u) = uuid::Uuid::from_slice(bytes) {
            return u.hyphenated().to_string();
        }
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// One user's state without its variable parts.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    key: Span,
    target: Span,
    attrs: Span,
    mask: u16,
    /// `KEY_UUID`, `TARGET_UUID`, `ACTIVE`, `GONE`, `BROKEN`, `MANAGER`.
    flags: u8,
    /// Hash of the manager's target id last sent (with `MANAGER`).
    manager: u64,
}

const KEY_UUID: u8 = 1;
const TARGET_UUID: u8 = 2;
const ACTIVE: u8 = 4;
const GONE: u8 = 8;
const BROKEN: u8 = 16;
const MANAGER: u8 = 32;

fn key_hash(id: &str) -> u64 {
    fnv(id, 0x11d)
}

/// The manager's target id as [`UserLink::manager`] keeps it.
pub(super) fn manager_hash(target_id: &str) -> u64 {
    fnv(target_id, 0x3a9)
}

fn key_of(slots: &[Slot], arena: &Arena, i: LinkIndex) -> String {
    slots.get(i as usize).map_or_else(String::new, |s| {
        decode_id(s.flags & KEY_UUID != 0, arena.get(s.key))
    })
}

/// Every user the engine linked, by directory id.
#[derive(Default)]
pub(super) struct UserLinks {
    slots: Vec<Slot>,
    arena: Arena,
    index: HashTable<LinkIndex>,
}

impl UserLinks {
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn clear(&mut self) {
        *self = UserLinks::default();
    }

    /// The directory id of link `i`.
    pub(super) fn key(&self, i: LinkIndex) -> String {
        key_of(&self.slots, &self.arena, i)
    }

    fn key_is(&self, i: LinkIndex, id: &str) -> bool {
        let Some(s) = self.slots.get(i as usize) else {
            return false;
        };
        let stored = self.arena.get(s.key);
        if s.flags & KEY_UUID != 0 {
            uuid::Uuid::from_slice(stored).is_ok_and(|u| {
                u.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    == id
            })
        } else {
            stored == id.as_bytes()
        }
    }

    pub(super) fn find(&self, id: &str) -> Option<LinkIndex> {
        self.index
            .find(key_hash(id), |&i| self.key_is(i, id))
            .copied()
    }

    /// Link `i` as a whole.
    pub(super) fn at(&self, i: LinkIndex) -> Option<UserLink> {
        let s = self.slots.get(i as usize)?;
        let words = self
            .arena
            .get(s.attrs)
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
        Some(UserLink {
            target_id: decode_id(s.flags & TARGET_UUID != 0, self.arena.get(s.target)),
            attrs: PackedAttrs::from_words(s.mask, words),
            active: s.flags & ACTIVE != 0,
            manager: (s.flags & MANAGER != 0).then_some(s.manager),
            gone: s.flags & GONE != 0,
            broken: s.flags & BROKEN != 0,
        })
    }

    pub(super) fn get(&self, id: &str) -> Option<UserLink> {
        self.at(self.find(id)?)
    }

    /// The target id of link `i`, and whether it is still usable (not deleted, not
    /// broken) and active.
    pub(super) fn target_of(&self, i: LinkIndex) -> Option<(String, bool, bool)> {
        let s = self.slots.get(i as usize)?;
        let usable = s.flags & (GONE | BROKEN) == 0;
        let target = decode_id(s.flags & TARGET_UUID != 0, self.arena.get(s.target));
        Some((target, usable, s.flags & ACTIVE != 0))
    }

    /// Whether link `i` is usable (not deleted, not broken), and if so whether active.
    pub(super) fn live(&self, i: LinkIndex) -> Option<bool> {
        let s = self.slots.get(i as usize)?;
        (s.flags & (GONE | BROKEN) == 0).then_some(s.flags & ACTIVE != 0)
    }

    fn write(&mut self, i: LinkIndex, link: &UserLink, fresh: bool) {
        let mut s = self.slots[i as usize];
        let (target_uuid, target) = encode_id(&link.target_id);
        if fresh || self.arena.get(s.target) != target.as_slice() {
            s.target = self.arena.push(&target);
        }
        let (mask, words) = link.attrs.to_words();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        if !fresh && s.attrs.len as usize == bytes.len() {
            self.arena.get_mut(s.attrs).copy_from_slice(&bytes);
        } else {
            s.attrs = self.arena.push(&bytes);
        }
        s.mask = mask;
        let mut flags = s.flags & KEY_UUID;
        for (on, bit) in [
            (target_uuid, TARGET_UUID),
            (link.active, ACTIVE),
            (link.gone, GONE),
            (link.broken, BROKEN),
            (link.manager.is_some(), MANAGER),
        ] {
            if on {
                flags |= bit;
            }
        }
        s.flags = flags;
        s.manager = link.manager.unwrap_or_default();
        self.slots[i as usize] = s;
    }

    /// Link `id` to `link`, replacing what it had.
    pub(super) fn insert(&mut self, id: &str, link: &UserLink) -> LinkIndex {
        if let Some(i) = self.find(id) {
            self.write(i, link, true);
            return i;
        }
        let i = self.slots.len() as LinkIndex;
        let (key_uuid, key) = encode_id(id);
        self.slots.push(Slot {
            key: self.arena.push(&key),
            flags: if key_uuid { KEY_UUID } else { 0 },
            ..Slot::default()
        });
        self.write(i, link, true);
        let UserLinks {
            slots,
            arena,
            index,
        } = self;
        index.insert_unique(key_hash(id), i, |&j| key_hash(&key_of(slots, arena, j)));
        i
    }

    /// Change the link of `id`, if there is one.
    pub(super) fn update(&mut self, id: &str, change: impl FnOnce(&mut UserLink)) {
        if let Some(i) = self.find(id) {
            if let Some(mut link) = self.at(i) {
                change(&mut link);
                self.write(i, &link, false);
            }
        }
    }
}
