//! The generated directory of load mode and its churn: users made in blocks through
//! `Directory::generate_members` / `Directory::generate`, addressed by number through
//! `Generate::user_id`, and a seeded share of them changed before each later cycle.
//!
//! Architecture Invariant: nothing here lists the directory's users; the blocks and one
//! state byte per user say everything churn needs, so the directory can store generated
//! users compactly.

use std::collections::HashSet;

use anyhow::Context;
use serde::Serialize;

use idp::{DirGroup, Directory, Generate};

/// A user this churn disabled (may be re-enabled).
const DISABLED: u8 = 1;
/// In the recycle bin (Entra) or deactivated (Okta).
const SOFT_DELETED: u8 = 2;
/// Permanently deleted: never picked again.
const HARD_DELETED: u8 = 4;
/// Removed from the group it was generated into.
const LEFT_HOME: u8 = 8;

/// One `generate` call: the users it made are numbered `first + 1 ..= first + count`.
struct Block {
    spec: Generate,
    /// Index into `groups` of the group the block's users joined.
    group: Option<usize>,
    /// Users before this block.
    first: usize,
}

/// What churn did before one cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChurnCounts {
    pub users_changed: usize,
    pub updated: usize,
    pub disabled: usize,
    pub enabled: usize,
    pub soft_deleted: usize,
    pub hard_deleted: usize,
    pub members_added: usize,
    pub members_removed: usize,
}

impl std::fmt::Display for ChurnCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users changed: {} updated, {} disabled, {} re-enabled, {} soft-deleted, \
             {} hard-deleted, {} member adds, {} member removes",
            self.users_changed,
            self.updated,
            self.disabled,
            self.enabled,
            self.soft_deleted,
            self.hard_deleted,
            self.members_added,
            self.members_removed
        )
    }
}

/// SplitMix64: a few lines for reproducible choices (not for security).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The generated users and groups, and the state churn keeps of them.
pub struct Generated {
    blocks: Vec<Block>,
    /// Directory ids of the generated groups.
    groups: Vec<String>,
    /// One byte per user: the flags above.
    state: Vec<u8>,
    /// Memberships churn added outside a user's own group: (user, group index).
    extra: Vec<(usize, usize)>,
    rng: Rng,
}

impl Generated {
    /// Generate `users` users over `groups` groups into `dir`; users beyond the groups
    /// (all of them with no group) are generated on their own.
    pub fn build(
        dir: &mut Directory,
        users: usize,
        groups: usize,
        seed: u64,
    ) -> anyhow::Result<Generated> {
        let mut blocks = Vec::new();
        let mut group_ids = Vec::with_capacity(groups);
        let mut first = 0;
        for g in 0..groups {
            let id = idp::guid_from(&format!("load-group-{g}"), 0);
            dir.create_group(DirGroup::new(id.clone(), format!("Load group {g}")))
                .with_context(|| format!("creating generated group {g}"))?;
            let count = users / groups + usize::from(g < users % groups);
            let spec = Generate {
                count,
                pattern: format!("load.g{g}.user{{n}}@load.example"),
            };
            // No ids come back: `Generate::user_id` gives the n-th.
            dir.generate_members(&id, &spec)
                .with_context(|| format!("generating the {count} users of group {g}"))?;
            blocks.push(Block {
                spec,
                group: Some(g),
                first,
            });
            first += count;
            group_ids.push(id);
        }
        if first < users {
            let spec = Generate {
                count: users - first,
                pattern: "load.user{n}@load.example".to_owned(),
            };
            dir.generate(&spec)
                .with_context(|| format!("generating {} users", spec.count))?;
            blocks.push(Block {
                spec,
                group: None,
                first,
            });
        }
        Ok(Generated {
            blocks,
            groups: group_ids,
            state: vec![0; users],
            extra: Vec::new(),
            rng: Rng(seed),
        })
    }

    /// How many users were generated.
    pub fn users(&self) -> usize {
        self.state.len()
    }

    /// The block of user `i` (0-based over all blocks) and its 1-based number in it.
    fn locate(&self, i: usize) -> (&Block, usize) {
        let b = self.blocks.partition_point(|b| b.first <= i) - 1;
        let block = &self.blocks[b];
        (block, i - block.first + 1)
    }

    fn user_id(&self, i: usize) -> String {
        let (block, n) = self.locate(i);
        block.spec.user_id(n)
    }

    /// Change `percent`% of the users (at least one when above zero) in `dir`, for the
    /// cycle numbered `cycle`; the engine then sends each change in the persona's forms.
    pub fn churn(
        &mut self,
        dir: &mut Directory,
        percent: f64,
        cycle: u64,
    ) -> anyhow::Result<ChurnCounts> {
        let mut counts = ChurnCounts::default();
        let users = self.users();
        if users == 0 || percent <= 0.0 {
            return Ok(counts);
        }
        let wanted = ((users as f64) * percent / 100.0).round().max(1.0) as usize;
        let mut picked = HashSet::with_capacity(wanted);
        let mut tries = wanted.saturating_mul(20);
        while picked.len() < wanted && tries > 0 {
            tries -= 1;
            let i = self.rng.below(users);
            if self.state[i] & HARD_DELETED == 0 {
                picked.insert(i);
            }
        }
        // In the order drawn would depend on the set's hashing: sort for reproducibility.
        let mut picked: Vec<usize> = picked.into_iter().collect();
        picked.sort_unstable();
        for i in picked {
            self.change(dir, i, cycle, &mut counts)
                .with_context(|| format!("churn of user {} before cycle {cycle}", i + 1))?;
            counts.users_changed += 1;
        }
        Ok(counts)
    }

    /// One change to user `i`: half are profile updates (title, department, display
    /// name); the rest disable or re-enable,
    /// delete (to the recycle bin first, permanently the next time), or move memberships.
    fn change(
        &mut self,
        dir: &mut Directory,
        i: usize,
        cycle: u64,
        counts: &mut ChurnCounts,
    ) -> anyhow::Result<()> {
        let id = self.user_id(i);
        let roll = self.rng.below(100);
        let state = self.state[i];
        let has_groups = !self.groups.is_empty();
        match roll {
            50..=64 if state & DISABLED != 0 => {
                dir.enable_user(&id)?;
                self.state[i] &= !DISABLED;
                counts.enabled += 1;
            }
            50..=64 => {
                dir.disable_user(&id)?;
                self.state[i] |= DISABLED;
                counts.disabled += 1;
            }
            65..=74 if state & SOFT_DELETED != 0 => {
                dir.hard_delete_user(&id)?;
                self.state[i] |= HARD_DELETED;
                self.extra.retain(|&(u, _)| u != i);
                counts.hard_deleted += 1;
            }
            65..=74 => {
                dir.soft_delete_user(&id)?;
                self.state[i] |= SOFT_DELETED;
                counts.soft_deleted += 1;
            }
            75..=87 if has_groups => {
                let g = self.rng.below(self.groups.len());
                dir.add_member(&self.groups[g], &id)?;
                if self.locate(i).0.group != Some(g) && !self.extra.contains(&(i, g)) {
                    self.extra.push((i, g));
                }
                counts.members_added += 1;
            }
            88..=99 if has_groups => {
                let home = self.locate(i).0.group.filter(|_| state & LEFT_HOME == 0);
                let extra = self.extra.iter().position(|&(u, _)| u == i);
                let group = match (extra, home) {
                    (Some(e), _) => self.extra.swap_remove(e).1,
                    (None, Some(g)) => {
                        self.state[i] |= LEFT_HOME;
                        g
                    }
                    (None, None) => {
                        // Nothing to leave: join another group instead.
                        let g = self.rng.below(self.groups.len());
                        dir.add_member(&self.groups[g], &id)?;
                        self.extra.push((i, g));
                        counts.members_added += 1;
                        return Ok(());
                    }
                };
                dir.remove_member(&self.groups[group], &id)?;
                counts.members_removed += 1;
            }
            _ => {
                let tag = self.rng.next() % 1000;
                // displayName too: every persona maps it (Okta maps neither title nor
                // department, okta-scim.md §3), so each update is a request.
                dir.update_user(&id, |p| {
                    p.job_title = Some(format!("Engineer {cycle}.{tag}"));
                    p.department = Some(format!("Department {}", tag % 17));
                    p.display_name = Some(format!("Load user {} ({cycle}.{tag})", i + 1));
                })?;
                counts.updated += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_split_over_the_groups_and_found_by_number() {
        let mut dir = Directory::new();
        let gen = Generated::build(&mut dir, 10, 3, 7).unwrap();
        assert_eq!(gen.users(), 10);
        assert_eq!(dir.groups().len(), 3);
        let sizes: Vec<usize> = dir.groups().iter().map(|g| g.members.len()).collect();
        assert_eq!(sizes, [4, 3, 3]);
        for i in 0..10 {
            let id = gen.user_id(i);
            assert!(dir.user(&id).is_some(), "user {i}: {id}");
        }
        // The last user of group 1 is a member of it.
        let last = gen.user_id(6);
        assert!(dir.groups()[1].members.iter().any(|m| m == last.as_str()));
        let mut none = Directory::new();
        let alone = Generated::build(&mut none, 5, 0, 7).unwrap();
        assert!(none.user(&alone.user_id(4)).is_some());
    }

    #[test]
    fn churn_changes_the_share_asked_and_the_seed_repeats_it() {
        let run = |seed| {
            let mut dir = Directory::new();
            let mut gen = Generated::build(&mut dir, 200, 4, seed).unwrap();
            let a = gen.churn(&mut dir, 10.0, 2).unwrap();
            let b = gen.churn(&mut dir, 10.0, 3).unwrap();
            (a, b, dir)
        };
        let (a, b, dir) = run(42);
        assert_eq!(a.users_changed, 20);
        assert_eq!(b.users_changed, 20);
        let sum = |c: &ChurnCounts| {
            c.updated
                + c.disabled
                + c.enabled
                + c.soft_deleted
                + c.hard_deleted
                + c.members_added
                + c.members_removed
        };
        assert_eq!(sum(&a), 20);
        assert!(a.updated > 0, "{a}");
        let (a2, b2, dir2) = run(42);
        assert_eq!((a2, b2), (a.clone(), b));
        assert_eq!(dir, dir2);
        let (other, _, _) = run(43);
        assert_ne!(other, a);
    }
}
