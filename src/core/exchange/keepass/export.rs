//! Writing a vault as a KDBX 4 database that KeePassXC and KeePass open.
//!
//! Layout: one group per category, nested at `/`; entries without a
//! category sit in the root group; trashed entries go to a `Recycle Bin`
//! group that Meta names as such (below it, their category path). Each
//! entry keeps our uuid, so importing the file back merges instead of
//! duplicating. Extra URLs use KeePassXC's `KP2A_URL_1`, `KP2A_URL_2`, ...
//! strings, TOTP its `otp` string, the favorite flag the `Favorite` tag,
//! and older passwords become history versions. Reading the file back with
//! [`super::read_kdbx`] gives the same entries.

use std::io::Write;
use std::path::PathBuf;

use keepass::DatabaseKey;
use keepass::config::{DatabaseConfig, KdfConfig, OuterCipherConfig};
use keepass::db::{Database, EntryId, EntryMut, GroupId, Times};

use super::convert::{EXTRA_URL_PREFIX, FAVORITE_TAG, url_index};
use super::keyfile;
use crate::core::entries::{Entry, HistoryItem};
use crate::core::exchange::{ExchangeError, ExportData, FileKey};

/// Argon2id memory, iterations and lanes: 64 MiB and 3 passes, KeePassXC's
/// own order of magnitude (about half a second on a laptop).
const ARGON2_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
const ARGON2_ITERATIONS: u64 = 3;
const ARGON2_LANES: u32 = 2;

const RECYCLE_BIN_NAME: &str = "Recycle Bin";

/// Names that KeePass gives a meaning; a custom field called one of them
/// is written under another name so it cannot overwrite the real one.
const RESERVED: [&str; 6] = ["Title", "UserName", "Password", "URL", "Notes", "otp"];

/// Writes `data` as a KDBX 4 database protected by `key`.
pub(super) fn write(
    out: &mut dyn Write,
    data: &ExportData,
    key: &FileKey,
) -> Result<(), ExchangeError> {
    let key = database_key(key)?;
    let mut db = Database::with_config(config()?);
    db.meta.generator = Some("Secure Password Manager".to_owned());
    db.meta.database_name = Some("Passwords".to_owned());
    db.root_mut().name = "Root".to_owned();

    let root = db.root().id();
    for category in &data.categories {
        group_for(&mut db, root, category.name.expose());
    }
    // The bin is a group of its own, even if a category has its name.
    let bin = data.entries.iter().any(|(e, _)| e.is_trashed()).then(|| {
        let mut root_group = db.root_mut();
        let mut bin = root_group.add_group();
        bin.name = RECYCLE_BIN_NAME.to_owned();
        let id = bin.id();
        db.meta.recyclebin_uuid = Some(id.uuid());
        db.meta.recyclebin_enabled = Some(true);
        id
    });

    for (entry, history) in &data.entries {
        let base = match bin {
            Some(bin) if entry.is_trashed() => bin,
            _ => root,
        };
        let parent = group_for(&mut db, base, entry.category.expose());
        add_entry(&mut db, parent, entry, history)?;
    }
    db.save(out, key).map_err(|e| write_error(&e.to_string()))
}

/// KDBX 4.1 with Argon2id, ChaCha20 outside and inside, GZip.
fn config() -> Result<DatabaseConfig, ExchangeError> {
    let mut config = DatabaseConfig::default();
    // The Argon2 version type belongs to the crate's own Argon2 library;
    // its default configuration is where to get it from.
    let version = match &config.kdf_config {
        KdfConfig::Argon2 { version, .. } | KdfConfig::Argon2id { version, .. } => *version,
        _ => {
            return Err(write_error(
                "the KeePass library offers no Argon2 key derivation",
            ));
        }
    };
    config.kdf_config = KdfConfig::Argon2id {
        iterations: ARGON2_ITERATIONS,
        memory: ARGON2_MEMORY_BYTES,
        parallelism: ARGON2_LANES,
        version,
    };
    config.outer_cipher_config = OuterCipherConfig::ChaCha20;
    Ok(config)
}

fn database_key(key: &FileKey) -> Result<DatabaseKey, ExchangeError> {
    if key.password.is_none() && key.key_file.is_none() {
        return Err(write_error(
            "a KDBX export must be protected: give it a password or a key file",
        ));
    }
    let mut db_key = DatabaseKey::new();
    if let Some(password) = &key.password {
        db_key = db_key.with_password(password.expose());
    }
    if let Some(path) = &key.key_file {
        let bytes = keyfile::load(path)?;
        let mut reader: &[u8] = &bytes[..];
        db_key = db_key
            .with_keyfile(&mut reader)
            .map_err(|e| write_error(&e.to_string()))?;
    }
    Ok(db_key)
}

/// The group at `path` (`Work/Clients`) below `base`, created as needed.
fn group_for(db: &mut Database, base: GroupId, path: &str) -> GroupId {
    let bin = db.meta.recyclebin_uuid.map(GroupId::from_uuid);
    let mut current = base;
    let path = xml_text(path);
    for name in path.split('/').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(mut group) = db.group_mut(current) else {
            return current;
        };
        let existing = group
            .as_ref()
            .groups()
            .find(|g| g.name == name && Some(g.id()) != bin)
            .map(|g| g.id());
        current = match existing {
            Some(id) => id,
            None => {
                let mut child = group.add_group();
                child.name = name.to_owned();
                child.id()
            }
        };
    }
    current
}

fn add_entry(
    db: &mut Database,
    parent: GroupId,
    entry: &Entry,
    history: &[HistoryItem],
) -> Result<(), ExchangeError> {
    let id = if entry.uuid.is_nil() {
        EntryId::new()
    } else {
        EntryId::from_uuid(entry.uuid)
    };
    let mut group = db
        .group_mut(parent)
        .ok_or_else(|| write_error("a group disappeared while it was being written"))?;
    let mut kp = group.add_entry_with_id(id).map_err(|_| {
        write_error(&format!(
            "two entries share the id {}; export them again after fixing the vault",
            entry.uuid
        ))
    })?;
    set_strings(&mut kp, entry);
    kp.tags = entry.tags.iter().map(|t| xml_text(t.expose())).collect();
    if entry.favorite && !kp.tags.iter().any(|t| t.eq_ignore_ascii_case(FAVORITE_TAG)) {
        kp.tags.push(FAVORITE_TAG.to_owned());
    }
    set_times(&mut kp.times, entry);
    add_history(&mut kp, history);
    Ok(())
}

fn set_strings(kp: &mut EntryMut<'_>, entry: &Entry) {
    set_plain(kp, "Title", entry.title.expose());
    set_plain(kp, "UserName", entry.username.expose());
    kp.set_protected("Password", entry.password.expose());
    let first_url = entry.urls.first().map_or("", |u| u.expose());
    set_plain(kp, "URL", first_url);
    for (n, url) in entry.urls.iter().enumerate().skip(1) {
        set_plain(kp, &format!("{EXTRA_URL_PREFIX}_{n}"), url.expose());
    }
    set_plain(kp, "Notes", entry.notes.expose());
    if let Some(totp) = &entry.totp {
        kp.set_protected("otp", totp.expose());
    }
    for field in &entry.fields {
        let name = xml_text(field.name.expose());
        let name = if RESERVED.contains(&name.as_str()) || url_index(&name).is_some() {
            format!("{name} (field)")
        } else {
            name
        };
        if field.hidden {
            kp.set_protected(name, field.value.expose());
        } else {
            set_plain(kp, &name, field.value.expose());
        }
    }
}

/// Whether XML 1.0 can hold `c` at all (even escaped): not NUL, most C0
/// controls, U+FFFE or U+FFFF. KeePassXC refuses a whole database whose XML
/// holds one ("XML error: Unexpected ..."), and vault text may contain them.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A visible value; one with characters XML cannot hold is written
/// protected instead (base64 of its bytes), so nothing is lost.
fn set_plain(kp: &mut EntryMut<'_>, key: &str, value: &str) {
    if value.chars().all(xml_char) {
        kp.set_unprotected(key, value);
    } else {
        kp.set_protected(key, value);
    }
}

/// A name (field, tag, group) XML can hold: other characters become U+FFFD.
fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| if xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

fn set_times(times: &mut Times, entry: &Entry) {
    let at = |unix: i64| chrono::DateTime::from_timestamp(unix, 0).map(|t| t.naive_utc());
    if entry.created_at > 0 {
        times.creation = at(entry.created_at).or(times.creation);
    }
    if entry.updated_at > 0 {
        times.last_modification = at(entry.updated_at).or(times.last_modification);
    }
    if let Some(expiry) = entry.expires_at.and_then(at) {
        times.expiry = expiry;
        times.expires = Some(true);
    }
    // KeePass records when an entry moved to the bin as its location change.
    if let Some(deleted) = entry.deleted_at.and_then(at) {
        times.location_changed = Some(deleted);
    }
}

/// One history version per older password: a copy of the entry with that
/// password, modified when it was replaced. The crate puts each version it
/// is given first, so they are given newest first to end up oldest first.
fn add_history(kp: &mut EntryMut<'_>, history: &[HistoryItem]) {
    if history.is_empty() {
        return;
    }
    let mut versions = kp.history.take().unwrap_or_default();
    for item in history.iter().rev() {
        let mut version = (**kp).clone();
        version.history = None;
        version.set_protected("Password", item.password.expose());
        if let Some(at) = chrono::DateTime::from_timestamp(item.changed_at, 0) {
            version.times.last_modification = Some(at.naive_utc());
        }
        versions.add_entry(version);
    }
    kp.history = Some(versions);
}

fn write_error(detail: &str) -> ExchangeError {
    ExchangeError::Write {
        path: PathBuf::from("the KDBX export"),
        detail: detail.to_owned(),
    }
}
