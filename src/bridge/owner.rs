//! The vault owner's side of the [`Link`](super::link::Link): answers the
//! workers' vault calls against the unlocked vault, or says it is locked.
//! The window's UI thread and `bridge serve`'s vault thread both keep an
//! [`Owner`] and call [`Owner::answer`].

use super::link::{Credential, StoreItem, Stored, VaultCall, VaultReply};
use crate::core::bridge::origin::{MatchKind, PageOrigin, SiteIndex};
use crate::core::entries::{Actor, Entry, EntryPatch, RotationReason};
use crate::core::secret::SecretString;
use crate::core::vault::Vault;

/// Answers vault calls, keeping an index of the entries by site that is
/// rebuilt when the entries change.
#[derive(Default)]
pub struct Owner {
    index: Option<(u64, SiteIndex)>,
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owner").finish_non_exhaustive()
    }
}

impl Owner {
    /// Answers one call. `vault` is `None` while the vault is locked:
    /// every call then gets [`VaultReply::Locked`] and nothing is read.
    pub fn answer(&mut self, vault: Option<&mut Vault>, call: VaultCall) {
        let Some(vault) = vault else {
            self.index = None;
            match call {
                VaultCall::Count { reply, .. } => drop(reply.send(VaultReply::Locked)),
                VaultCall::Query { reply, .. } => drop(reply.send(VaultReply::Locked)),
                VaultCall::Store { reply, .. } => drop(reply.send(VaultReply::Locked)),
            }
            return;
        };
        match call {
            VaultCall::Count { origin, reply } => {
                let count = self.matches(vault, &origin).len();
                let _ = reply.send(VaultReply::Done(count));
            }
            VaultCall::Query { origin, reply } => {
                let found = self.credentials(vault, &origin);
                let _ = reply.send(VaultReply::Done(found));
            }
            VaultCall::Store { item, reply } => {
                let matches = self.matches(vault, &item.page);
                let _ = reply.send(store(vault, item, &matches));
            }
        }
    }

    /// The live entries matching `page`, exact host matches first.
    fn matches(&mut self, vault: &Vault, page: &PageOrigin) -> Vec<(usize, MatchKind)> {
        let current = self
            .index
            .as_ref()
            .is_some_and(|(revision, _)| *revision == vault.revision());
        if !current {
            self.index = Some((vault.revision(), SiteIndex::build(vault.entries())));
        }
        self.index
            .as_ref()
            .map(|(_, index)| index.matching(page))
            .unwrap_or_default()
    }

    /// The matching live entries as credentials, exact host matches first.
    pub fn credentials(&mut self, vault: &Vault, page: &PageOrigin) -> Vec<Credential> {
        let entries = vault.entries();
        self.matches(vault, page)
            .into_iter()
            .map(|(index, _)| {
                let entry = &entries[index];
                Credential {
                    entry_id: entry.short_id(),
                    title: entry.title.expose().to_owned(),
                    username: entry.username.expose().to_owned(),
                    password: entry.password.clone(),
                    totp: None,
                }
            })
            .collect()
    }
}

/// Saves a login: a new entry, or with `update` a new password for the
/// entry with the same username on exactly this host (the old password
/// goes to the history, changed by the browser).
fn store(vault: &mut Vault, item: StoreItem, matches: &[(usize, MatchKind)]) -> VaultReply<Stored> {
    let same = {
        let entries = vault.entries();
        matches
            .iter()
            .copied()
            .find(|&(index, kind)| {
                kind == MatchKind::Exact && entries[index].username.expose() == item.username
            })
            .map(|(index, _)| (entries[index].uuid, entries[index].short_id()))
    };
    let failed = |e: crate::core::vault::VaultError| VaultReply::Failed {
        status: 400,
        code: "REFUSED",
        message: e.to_string(),
    };
    match same {
        Some((_, entry_id)) if !item.update => VaultReply::Done(Stored::Conflict { entry_id }),
        Some((uuid, entry_id)) => {
            let patch = EntryPatch {
                password: Some(item.password),
                ..EntryPatch::default()
            };
            match vault.update(uuid, patch, RotationReason::Manual, Actor::Browser) {
                Ok(()) => VaultReply::Done(Stored::Updated { entry_id }),
                Err(e) => failed(e),
            }
        }
        None => {
            let host = item.page.host().to_string();
            let entry = Entry {
                title: SecretString::new(
                    item.title.filter(|t| !t.trim().is_empty()).unwrap_or(host),
                ),
                username: SecretString::new(item.username),
                password: item.password,
                urls: vec![SecretString::new(item.page.as_str().to_owned())],
                notes: SecretString::new(item.notes.unwrap_or_default()),
                ..Entry::default()
            };
            match vault.add(entry) {
                Ok(uuid) => VaultReply::Done(Stored::Added {
                    entry_id: crate::core::entries::short_id(&uuid),
                }),
                Err(e) => failed(e),
            }
        }
    }
}
