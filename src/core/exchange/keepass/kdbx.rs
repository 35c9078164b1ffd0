//! Opening KDBX 3.1 and 4.x files through the `keepass` crate, with the
//! checks it leaves out.
//!
//! The crate decrypts and parses; around it we
//! - read the plaintext header first ([`super::header`]), so KeePass 1 and
//!   KDBX 2 files get advice instead of a parse error, a cut-short file is
//!   refused, and an absurd key derivation never starts;
//! - read key files ourselves ([`super::keyfile`]);
//! - retry a Unicode password in NFC and NFD, since other programs may have
//!   stored either form;
//! - check a KDBX 3.1 file's `HeaderHash`, the only thing protecting its
//!   outer header, which the crate ignores;
//! - catch a panic inside the crate, so a hostile file cannot crash us;
//! - wipe the plaintext the crate leaves in memory once it is copied.
//!
//! TODO(KDF cost): a KDBX 3 file runs its key derivation twice, once for
//! the inner XML (to check `HeaderHash`) and once for the database, since
//! the crate exposes neither the hash nor a way to parse XML it already
//! decrypted. Acceptable for an import, which happens rarely and off the UI
//! thread.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keepass::DatabaseKey;
use keepass::db::{Database, Value};
use keepass::error::{
    CryptographyError, DatabaseFormatError, DatabaseKeyError, DatabaseOpenError, Kdbx3OpenError,
    Kdbx4OpenError,
};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, Zeroizing};

use super::header::{self, Version};
use super::keyfile::{self, FileKeyBytes};
use super::model::{Doc, Group, KpEntry, KpString, Times};
use super::{convert, kdbx_malformed, xml};
use crate::core::exchange::{ExchangeError, FileKey, Format, MAX_FILE_BYTES, Parsed, read_whole};
use crate::core::secret::SecretString;

/// Why the crate did not give us a database.
enum Failure {
    Crate(DatabaseOpenError),
    Panicked,
}

/// Reads a KDBX file with its password and/or key file.
pub(super) fn read(path: &Path, key: &FileKey) -> Result<Parsed, ExchangeError> {
    let data = read_whole(path, Format::Kdbx.label(), MAX_FILE_BYTES)?;
    let version = header::version(path, &data)?;
    header::check(path, &data, version)?;
    if key.password.is_none() && key.key_file.is_none() {
        return Err(ExchangeError::NeedsKey {
            path: path.to_owned(),
            key_file_hint: ", or its key file with --key-file",
        });
    }
    let key_file = key.key_file.as_deref().map(keyfile::load).transpose()?;
    let mut db = open(
        path,
        &data,
        version,
        key.password.as_ref(),
        key_file.as_ref(),
    )?;
    let doc = to_doc(&db);
    scrub(&mut db);
    Ok(convert::to_parsed(doc, Format::Kdbx))
}

/// Opens the database, trying the password as typed, then in NFC and NFD.
fn open(
    path: &Path,
    data: &[u8],
    version: Version,
    password: Option<&SecretString>,
    key_file: Option<&FileKeyBytes>,
) -> Result<Database, ExchangeError> {
    let mut last = None;
    for form in password_forms(password) {
        match open_once(
            path,
            data,
            version,
            form.as_deref().map(String::as_str),
            key_file,
        ) {
            Err(wrong @ ExchangeError::WrongKey { .. }) => last = Some(wrong),
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| ExchangeError::WrongKey {
        path: path.to_owned(),
    }))
}

/// The password as typed, then its NFC and NFD forms where they differ.
fn password_forms(password: Option<&SecretString>) -> Vec<Option<Zeroizing<String>>> {
    let Some(password) = password else {
        return vec![None];
    };
    let typed = password.expose();
    let mut forms = vec![Some(Zeroizing::new(typed.to_owned()))];
    for form in [typed.nfc().collect::<String>(), typed.nfd().collect()] {
        let form = Zeroizing::new(form);
        if forms.iter().flatten().all(|f| **f != *form) {
            forms.push(Some(form));
        }
    }
    forms
}

fn open_once(
    path: &Path,
    data: &[u8],
    version: Version,
    password: Option<&str>,
    key_file: Option<&FileKeyBytes>,
) -> Result<Database, ExchangeError> {
    let mut key = DatabaseKey::new();
    if let Some(password) = password {
        key = key.with_password(password);
    }
    if let Some(bytes) = key_file {
        // 32 bytes are taken as the key itself (see `keyfile`).
        let mut reader: &[u8] = &bytes[..];
        key = key
            .with_keyfile(&mut reader)
            .map_err(|source| ExchangeError::Read {
                path: path.to_owned(),
                source,
            })?;
    }
    if version == Version::Kdbx3 {
        let inner = guarded(|| Database::get_xml(&mut &data[..], key.clone()))
            .map_err(|f| open_error(path, version, f))?;
        check_header_hash(path, data, &Zeroizing::new(inner))?;
    }
    guarded(|| Database::parse(data, key)).map_err(|f| open_error(path, version, f))
}

/// Runs the crate, turning a panic into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, DatabaseOpenError>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(Failure::Crate),
        Err(_) => Err(Failure::Panicked),
    }
}

fn open_error(path: &Path, version: Version, failure: Failure) -> ExchangeError {
    let error = match failure {
        Failure::Panicked => {
            return kdbx_malformed(path, "the KeePass reader failed on its contents");
        }
        Failure::Crate(error) => error,
    };
    match error {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => ExchangeError::WrongKey {
            path: path.to_owned(),
        },
        // KDBX 3 has no key check before decryption: a wrong key shows as
        // bad padding at the end of the payload.
        DatabaseOpenError::Cryptography(CryptographyError::InvalidPadding(_))
            if version == Version::Kdbx3 =>
        {
            ExchangeError::WrongKey {
                path: path.to_owned(),
            }
        }
        DatabaseOpenError::Key(DatabaseKeyError::EmptyKey) => ExchangeError::NeedsKey {
            path: path.to_owned(),
            key_file_hint: ", or its key file with --key-file",
        },
        DatabaseOpenError::UnexpectedEof | DatabaseOpenError::Io(_) => {
            kdbx_malformed(path, "the file ends early; it may be cut short")
        }
        DatabaseOpenError::Format(DatabaseFormatError::Kdbx3(Kdbx3OpenError::Xml(_)))
        | DatabaseOpenError::Format(DatabaseFormatError::Kdbx4(Kdbx4OpenError::Xml(_))) => {
            kdbx_malformed(path, "its decrypted contents are not valid KeePass XML")
        }
        other => kdbx_malformed(path, &other.to_string()),
    }
}

/// KDBX 3.1 keeps a SHA-256 of the outer header inside the encrypted XML;
/// a mismatch means the header (ciphers, seeds, the key of the protected
/// strings) was changed after the file was saved.
fn check_header_hash(path: &Path, data: &[u8], inner: &[u8]) -> Result<(), ExchangeError> {
    let Some(stored) = std::str::from_utf8(inner).ok().and_then(xml::header_hash) else {
        return Ok(());
    };
    let end = header::kdbx3_header_end(data)
        .ok_or_else(|| kdbx_malformed(path, "the file ends inside its header"))?;
    let actual = Sha256::digest(&data[..end]);
    if B64.decode(stored.as_bytes()).ok().as_deref() != Some(&actual[..]) {
        return Err(kdbx_malformed(
            path,
            "the header was modified after the file was saved (its HeaderHash does not match); \
             do not trust this copy, import a backup instead",
        ));
    }
    Ok(())
}

/// The crate's database in our model. Strings are sorted by key, since the
/// crate keeps them in a hash map.
fn to_doc(db: &Database) -> Doc {
    let now = crate::core::time::now_unix();
    let mut items = 0;
    let mut deleted: Vec<(uuid::Uuid, i64)> = db
        .deleted_objects
        .iter()
        .map(|(uuid, time)| (*uuid, time.map_or(now, |t| t.and_utc().timestamp())))
        .collect();
    deleted.sort_unstable();
    Doc {
        root: group(&db.root(), &mut items),
        recycle_bin: db.meta.recyclebin_uuid.filter(|u| !u.is_nil()),
        recycle_bin_declared: db.meta.recyclebin_uuid.is_some(),
        deleted,
        warnings: Vec::new(),
    }
}

fn group(group_ref: &keepass::db::GroupRef<'_>, items: &mut usize) -> Group {
    let entries = group_ref
        .entries()
        .map(|e| {
            *items += 1;
            entry(&e, format!("item {items}"), e.attachments().count())
        })
        .collect();
    Group {
        uuid: Some(group_ref.id().uuid()),
        name: group_ref.name.as_str().into(),
        entries,
        groups: group_ref.groups().map(|g| group(&g, items)).collect(),
    }
}

fn entry(e: &keepass::db::Entry, location: String, attachments: usize) -> KpEntry {
    let mut strings: Vec<KpString> = e
        .fields
        .iter()
        .map(|(key, value)| KpString {
            key: key.as_str().into(),
            value: value.get().as_str().into(),
            protected: value.is_protected(),
        })
        .collect();
    strings.sort_by(|a, b| a.key.expose().cmp(b.key.expose()));
    let history = e.history.as_ref().map_or_else(Vec::new, |h| {
        h.get_entries()
            .iter()
            .map(|version| entry(version, location.clone(), 0))
            .collect()
    });
    let unix = |t: chrono::NaiveDateTime| t.and_utc().timestamp();
    KpEntry {
        uuid: Some(e.id().uuid()).filter(|u| !u.is_nil()),
        location,
        strings,
        tags: e.tags.iter().flat_map(|t| xml::split_tags(t)).collect(),
        times: Times {
            created: e.times.creation.map(unix),
            modified: e.times.last_modification.map(unix),
            expiry: Some(unix(e.times.expiry)),
            expires: e.times.expires == Some(true),
            location_changed: e.times.location_changed.map(unix),
        },
        attachments,
        history,
    }
}

/// Wipes the plaintext the crate holds outside its protected values. (Its
/// history versions offer no mutable access, so they are left to drop.)
fn scrub(db: &mut Database) {
    db.foreach_entry_mut(|mut entry| {
        for value in entry.fields.values_mut() {
            if let Value::Unprotected(text) = value {
                text.zeroize();
            }
        }
    });
    db.foreach_group_mut(|mut group| group.name.zeroize());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_forms_add_nfc_and_nfd_only_when_they_differ() {
        let ascii = SecretString::from("plain");
        assert_eq!(password_forms(Some(&ascii)).len(), 1);
        // "é" precomposed (NFC) versus "e" + combining acute (NFD).
        let composed = SecretString::from("caf\u{e9}");
        let forms = password_forms(Some(&composed));
        let texts: Vec<&str> = forms.iter().flatten().map(|f| f.as_str()).collect();
        assert_eq!(texts, ["caf\u{e9}", "cafe\u{301}"]);
        assert_eq!(password_forms(None).len(), 1);
    }
}
