//! The vault owner's side of the [`Link`](super::link::Link): answers the
//! workers' vault calls against the unlocked vault, or says it is locked.
//! The window's UI thread and `bridge serve`'s vault thread both keep an
//! [`Owner`] and call [`Owner::answer`].

use super::link::{Credential, StoreItem, Stored, VaultCall, VaultReply};
use crate::core::bridge::origin::{MatchKind, PageOrigin, SiteIndex};
use crate::core::entries::{Actor, Entry, EntryPatch, RotationReason};
use crate::core::secret::SecretString;
use crate::core::time;
use crate::core::totp::Totp;
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
        let now = u64::try_from(time::now_unix()).unwrap_or(0);
        self.credentials_at(vault, page, now)
    }

    /// [`Owner::credentials`] with two-factor codes for `unix_secs`.
    fn credentials_at(
        &mut self,
        vault: &Vault,
        page: &PageOrigin,
        unix_secs: u64,
    ) -> Vec<Credential> {
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
                    totp: current_code(entry, unix_secs),
                }
            })
            .collect()
    }
}

/// The entry's two-factor code at `unix_secs`, when its TOTP value gives
/// one. A value that does not is left out rather than reported: the
/// extension fills what it gets, and the window shows why.
fn current_code(entry: &Entry, unix_secs: u64) -> Option<String> {
    let totp = Totp::parse(entry.totp.as_ref()?.expose()).ok()?;
    Some(totp.code_at(unix_secs).expose().to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::bridge::origin::parse_origin;
    use crate::core::kdf::KdfParams;
    use crate::core::keys::KeyMode;
    use crate::core::paths::Paths;
    use crate::core::vault::CreateOptions;

    /// Unix seconds the expected codes were computed for (with Python's
    /// `hmac`, not this program).
    const AT: u64 = 1_700_000_000;

    fn login(title: &str, totp: Option<&str>) -> Entry {
        Entry {
            title: title.into(),
            username: "alice".into(),
            password: "pw".into(),
            urls: vec![format!("https://{title}.example").into()],
            totp: totp.map(SecretString::from),
            ..Entry::default()
        }
    }

    #[test]
    fn a_query_returns_the_current_code_of_a_usable_secret_only() {
        let dir = tempfile::tempdir().unwrap();
        let options = CreateOptions {
            key_mode: KeyMode::FileKey,
            key_file: None,
            kdf: KdfParams::insecure_for_tests(),
        };
        let mut vault =
            Vault::create(&Paths::portable(dir.path()), &"pw".into(), &options, None).unwrap();
        vault
            .add_many(vec![
                login(
                    "acme",
                    Some("otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
                ),
                login("steam", Some("steam://GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")),
                login("broken", Some("otpauth://totp/x?secret=NOT-BASE32-1")),
                login("plain", None),
            ])
            .unwrap();

        let mut owner = Owner::default();
        let code = |owner: &mut Owner, site: &str| {
            let page = parse_origin(&format!("https://{site}.example")).unwrap();
            let found = owner.credentials_at(&vault, &page, AT);
            assert_eq!(found.len(), 1, "{site}");
            found[0].totp.clone()
        };
        assert_eq!(code(&mut owner, "acme").as_deref(), Some("921300"));
        assert_eq!(code(&mut owner, "steam").as_deref(), Some("R87JJ"));
        assert_eq!(code(&mut owner, "broken"), None);
        assert_eq!(code(&mut owner, "plain"), None);
    }
}
