//! Reading an unlocked vault: search, filtered listings and finding one
//! entry by id or title. None of it touches the disk.

use std::cmp::Ordering;

use uuid::Uuid;

use super::{Vault, VaultError};
use crate::core::entries::Entry;
use crate::core::time;

/// Which entries a listing shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this category (case-insensitive).
    pub category: Option<String>,
    /// Only favorites.
    pub favorites: bool,
    /// Only passwords expiring within this many days.
    pub expiring_days: Option<u32>,
    /// Only expired passwords.
    pub expired: bool,
    /// Show the trash instead of the live entries.
    pub trash: bool,
    /// Only entries matching this text.
    pub search: Option<String>,
}

/// Where [`Vault::find`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Live entries first; trashed ones when no live entry matches a title.
    Any,
    /// Live entries only.
    Live,
    /// Trashed entries only.
    Trash,
}

impl Scope {
    fn admits(self, entry: &Entry) -> bool {
        match self {
            Scope::Any => true,
            Scope::Live => !entry.is_trashed(),
            Scope::Trash => entry.is_trashed(),
        }
    }
}

impl Vault {
    /// Positions in [`Vault::entries`] of the entries matching `query`
    /// (see [`Vault::search`]), for views that keep their own order.
    pub fn search_slots(&self, query: &str) -> Vec<usize> {
        self.index.search(query)
    }

    /// Entries matching every whitespace-separated term of `query`,
    /// case-insensitively, in title, username, URLs, notes and tags.
    pub fn search(&self, query: &str) -> Vec<&Entry> {
        self.index
            .search(query)
            .into_iter()
            .map(|slot| &self.entries[slot])
            .collect()
    }

    /// Entries passing `filter`: favorites first, then by title.
    pub fn query(&self, filter: &Filter) -> Vec<&Entry> {
        let now = time::now_unix();
        let candidates = match filter.search.as_deref() {
            Some(text) => self.search(text),
            None => self.entries.iter().collect(),
        };
        let mut found: Vec<&Entry> = candidates
            .into_iter()
            .filter(|e| e.is_trashed() == filter.trash)
            .filter(|e| !filter.favorites || e.favorite)
            .filter(|e| !filter.expired || e.is_expired(now))
            .filter(|e| {
                filter
                    .expiring_days
                    .is_none_or(|d| e.expires_within(now, d))
            })
            .filter(|e| {
                let wanted = filter.category.as_deref();
                wanted.is_none_or(|c| same_name(e.category.expose(), c))
            })
            .collect();
        found.sort_by(|a, b| b.favorite.cmp(&a.favorite).then_with(|| by_title(a, b)));
        found
    }

    /// Finds one entry in `scope`, trying in turn: its whole id (the 8
    /// digits `list` shows, or the full uuid), its exact title, then the
    /// start of an id (4 or more digits). So a title that happens to look
    /// like the start of some id still finds its own entry.
    pub fn find(&self, id: &str, scope: Scope) -> Result<&Entry, VaultError> {
        let text = id.trim();
        let hex = id_digits(text);
        let by_id = |whole: bool| -> Vec<&Entry> {
            let Some(hex) = &hex else { return Vec::new() };
            let hit = |e: &&Entry| scope.admits(e) && id_matches(&e.uuid, hex, whole);
            self.entries.iter().filter(hit).collect()
        };
        let titled = |pick: Scope| -> Vec<&Entry> {
            let named = |e: &&Entry| pick.admits(e) && e.title.expose() == text;
            self.entries.iter().filter(named).collect()
        };

        let mut hits = by_id(true);
        if hits.is_empty() {
            hits = match scope {
                Scope::Any => {
                    let live = titled(Scope::Live);
                    if live.is_empty() {
                        titled(Scope::Trash)
                    } else {
                        live
                    }
                }
                other => titled(other),
            };
        }
        // A title that names an entry elsewhere (a live one, when purging
        // from the trash) is not read as an id prefix: acting on some other
        // entry that merely shares those digits would surprise.
        let titled_elsewhere = || self.entries.iter().any(|e| e.title.expose() == text);
        if hits.is_empty() && !titled_elsewhere() {
            hits = by_id(false);
        }
        if hits.is_empty() {
            let damaged = hex.as_ref().and_then(|hex| {
                self.damaged
                    .iter()
                    .find(|d| id_matches(&d.uuid, hex, false))
            });
            if let Some(d) = damaged {
                let reason = d.reason.clone();
                return Err(VaultError::Damaged {
                    id: d.short_id(),
                    reason,
                });
            }
        }
        let listing = if scope == Scope::Trash {
            "list --trash"
        } else {
            "list"
        };
        match hits.len() {
            0 => Err(VaultError::NotFound {
                id: id.to_owned(),
                listing,
            }),
            1 => Ok(hits[0]),
            count => Err(VaultError::Ambiguous {
                id: id.to_owned(),
                count,
                listing,
            }),
        }
    }
}

/// Whether `uuid` has the id `hex`: exactly (`whole`) or as a prefix.
/// Up to 8 digits compare with the short id, more with the full uuid.
fn id_matches(uuid: &Uuid, hex: &str, whole: bool) -> bool {
    let full = uuid.simple().to_string();
    let target = if hex.len() <= 8 {
        &full[..8]
    } else {
        &full[..]
    };
    if whole {
        target == hex
    } else {
        target.starts_with(hex)
    }
}

/// The hex digits of something that looks like an id (4 to 32 digits,
/// dashes allowed), lowercased.
fn id_digits(text: &str) -> Option<String> {
    // Dashes only count in a whole uuid as printed (8-4-4-4-12).
    let hex = if text.len() == 36 {
        text.replace('-', "")
    } else {
        text.to_owned()
    };
    let hex = hex.to_ascii_lowercase();
    let looks_like_id = (4..=32).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit());
    looks_like_id.then_some(hex)
}

/// Case-insensitive comparison of titles without copying them; equal
/// titles keep the order they were added in.
fn by_title(a: &Entry, b: &Entry) -> Ordering {
    folded(a.title.expose())
        .cmp(folded(b.title.expose()))
        .then_with(|| a.created_at.cmp(&b.created_at))
}

fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(char::to_lowercase)
}

/// Whether two names are the same ignoring case.
pub(super) fn same_name(a: &str, b: &str) -> bool {
    folded(a).eq(folded(b))
}
