//! The vault owner's side of the [`Link`](super::link::Link): answers the
//! workers' vault calls against the unlocked vault, or says it is locked.
//! The window's UI thread and `bridge serve`'s vault thread both call
//! [`answer`].

use super::link::{Credential, StoreItem, Stored, VaultCall, VaultReply};
use crate::core::bridge::origin::{MatchKind, PageOrigin, matching_entries};
use crate::core::entries::{Actor, Entry, EntryPatch, RotationReason};
use crate::core::secret::SecretString;
use crate::core::vault::Vault;

/// Answers one call. `vault` is `None` while the vault is locked: every
/// call then gets [`VaultReply::Locked`] and nothing is read.
pub fn answer(vault: Option<&mut Vault>, call: VaultCall) {
    match call {
        VaultCall::Count { origin, reply } => {
            let answer = match vault {
                None => VaultReply::Locked,
                Some(vault) => VaultReply::Done(matching_entries(vault.entries(), &origin).len()),
            };
            let _ = reply.send(answer);
        }
        VaultCall::Query { origin, reply } => {
            let answer = match vault {
                None => VaultReply::Locked,
                Some(vault) => VaultReply::Done(credentials(vault, &origin)),
            };
            let _ = reply.send(answer);
        }
        VaultCall::Store { item, reply } => {
            let answer = match vault {
                None => VaultReply::Locked,
                Some(vault) => store(vault, item),
            };
            let _ = reply.send(answer);
        }
    }
}

/// The matching live entries, exact host matches first.
pub fn credentials(vault: &Vault, page: &PageOrigin) -> Vec<Credential> {
    let entries = vault.entries();
    matching_entries(entries, page)
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

/// Saves a login: a new entry, or with `update` a new password for the
/// entry with the same username on exactly this host (the old password
/// goes to the history, changed by the browser).
fn store(vault: &mut Vault, item: StoreItem) -> VaultReply<Stored> {
    let same = {
        let entries = vault.entries();
        matching_entries(entries, &item.page)
            .into_iter()
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
