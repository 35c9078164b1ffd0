//! This product's own exports: plain JSON, and the encrypted `.spmx`
//! envelope around the same JSON.
//!
//! The JSON document (`"format": "secure-password-manager"`, version 1)
//! holds categories with colors, and entries with every field, their uuid
//! (so importing it into another copy of the vault merges), their trash
//! state and their password history. Times are RFC 3339 strings.
//!
//! The `.spmx` envelope is JSON too, readable by any installation whatever
//! its own settings:
//!
//! ```text
//! { "format": "secure-password-manager-export", "version": 1,
//!   "kdf": { "algorithm": "argon2id", "version": 19, "memory_kib": ..,
//!            "iterations": .., "parallelism": .., "salt": base64(32 bytes) },
//!   "cipher": "xchacha20poly1305",
//!   "ciphertext": base64(nonce(24) || ciphertext || tag(16)) }
//! ```
//!
//! The key is HKDF-SHA256 (info `secure-password-manager export v1`) of the
//! 32-byte Argon2id output over the NFC form of the passphrase. Every header
//! field is bound to the ciphertext as associated data, so a changed
//! parameter fails to open instead of silently weakening the file.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{ExchangeError, ExportData, Format, ImportedEntry, Parsed, PastPassword};
use crate::core::crypto;
use crate::core::entries::{Actor, CustomField, Entry, RotationReason};
use crate::core::kdf::{self, KdfParams};
use crate::core::secret::{Key256, SecretString};
use crate::core::time;

/// The `format` value of the plain JSON document.
const JSON_FORMAT: &str = "secure-password-manager";
/// The `format` value of the encrypted envelope.
const SPMX_FORMAT: &str = "secure-password-manager-export";
const CIPHER: &str = "xchacha20poly1305";
const ARGON2_VERSION: u32 = 0x13;

/// Whether the first bytes are one of our documents, and which.
pub fn sniff(head: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(head);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if !start.starts_with('{') {
        return None;
    }
    if text.contains(&format!("\"{SPMX_FORMAT}\"")) {
        Some(Format::Spmx)
    } else if text.contains(&format!("\"{JSON_FORMAT}\"")) {
        Some(Format::Json)
    } else {
        None
    }
}

#[derive(Serialize, Deserialize)]
struct Document {
    format: String,
    version: u32,
    exported_at: String,
    categories: Vec<CategoryOut>,
    entries: Vec<EntryOut>,
}

#[derive(Serialize, Deserialize)]
struct CategoryOut {
    name: SecretString,
    color: String,
}

#[derive(Serialize, Deserialize)]
struct EntryOut {
    uuid: Uuid,
    title: SecretString,
    username: SecretString,
    password: SecretString,
    urls: Vec<SecretString>,
    notes: SecretString,
    category: SecretString,
    tags: Vec<SecretString>,
    favorite: bool,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
    totp: Option<SecretString>,
    fields: Vec<CustomField>,
    deleted_at: Option<String>,
    history: Vec<HistoryOut>,
}

#[derive(Serialize, Deserialize)]
struct HistoryOut {
    password: SecretString,
    changed_at: String,
    reason: RotationReason,
    changed_by: Actor,
}

/// A growing buffer that wipes every buffer it outgrows, so serialising a
/// vault leaves no plaintext copies in freed memory.
struct WipingBuffer(Zeroizing<Vec<u8>>);

impl Write for WipingBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + data.len() > self.0.capacity() {
            let wanted = (self.0.len() + data.len()).max(self.0.capacity() * 2);
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&self.0);
            self.0 = bigger;
        }
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The plain JSON document for `data`.
pub fn to_json(data: &ExportData) -> Zeroizing<Vec<u8>> {
    let document = Document {
        format: JSON_FORMAT.to_owned(),
        version: 1,
        exported_at: time::now_rfc3339(),
        categories: data
            .categories
            .iter()
            .map(|c| CategoryOut {
                name: c.name.clone(),
                color: c.color.clone(),
            })
            .collect(),
        entries: data.entries.iter().map(|(e, h)| entry_out(e, h)).collect(),
    };
    let estimate: usize = data
        .entries
        .iter()
        .map(|(e, h)| e.text_bytes() + 400 + h.len() * 120)
        .sum();
    let mut buffer = WipingBuffer(Zeroizing::new(Vec::with_capacity(estimate + 1024)));
    // Writing to memory cannot fail, and every value serialises.
    serde_json::to_writer_pretty(&mut buffer, &document).expect("serialise the export");
    buffer.0
}

fn entry_out(entry: &Entry, history: &[crate::core::entries::HistoryItem]) -> EntryOut {
    EntryOut {
        uuid: entry.uuid,
        title: entry.title.clone(),
        username: entry.username.clone(),
        password: entry.password.clone(),
        urls: entry.urls.clone(),
        notes: entry.notes.clone(),
        category: entry.category.clone(),
        tags: entry.tags.clone(),
        favorite: entry.favorite,
        created_at: time::format_rfc3339(entry.created_at),
        updated_at: time::format_rfc3339(entry.updated_at),
        expires_at: entry.expires_at.map(time::format_rfc3339),
        totp: entry.totp.clone(),
        fields: entry.fields.clone(),
        deleted_at: entry.deleted_at.map(time::format_rfc3339),
        history: history
            .iter()
            .map(|h| HistoryOut {
                password: h.password.clone(),
                changed_at: time::format_rfc3339(h.changed_at),
                reason: h.reason,
                changed_by: h.changed_by,
            })
            .collect(),
    }
}

/// Reads our plain JSON document from bytes (`path` names it in errors).
pub fn parse_json(path: &Path, bytes: &[u8], format: Format) -> Result<Parsed, ExchangeError> {
    let malformed = |detail: String| ExchangeError::Malformed {
        path: path.to_owned(),
        format: format.label(),
        detail,
    };
    let document: Document =
        serde_json::from_slice(bytes).map_err(|e| malformed(json_error(&e)))?;
    check_header(&document.format, JSON_FORMAT, document.version).map_err(malformed)?;

    let mut parsed = Parsed::new(format);
    for category in &document.categories {
        parsed.categories.push(category.name.expose().to_owned());
        parsed
            .category_colors
            .push((category.name.expose().to_owned(), category.color.clone()));
    }
    for (i, out) in document.entries.into_iter().enumerate() {
        let location = format!("entry {}", i + 1);
        match entry_in(out) {
            Ok(imported) => parsed.entries.push(ImportedEntry {
                location,
                ..imported
            }),
            Err(reason) => parsed.skipped.push(super::Skipped { location, reason }),
        }
    }
    Ok(parsed)
}

/// Where and what serde says is wrong, without quoting the document.
fn json_error(error: &serde_json::Error) -> String {
    format!(
        "line {}, column {}: {}",
        error.line(),
        error.column(),
        json_problem(error)
    )
}

/// Checks a document's `format` and `version` fields (both formats are at
/// version 1).
fn check_header(found: &str, expected: &str, version: u32) -> Result<(), String> {
    if found != expected {
        return Err(format!("unexpected format {found:?}"));
    }
    if version != 1 {
        return Err(format!(
            "version {version} is newer than this program reads (1); update the program"
        ));
    }
    Ok(())
}

/// What serde says is wrong, without quoting the document (which may hold
/// secrets).
fn json_problem(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io => "it could not be read",
        Category::Syntax => "it is not valid JSON",
        Category::Data => "a value has the wrong type or is missing",
        Category::Eof => "it ends too early (truncated?)",
    }
}

fn entry_in(out: EntryOut) -> Result<ImportedEntry, String> {
    let when = |text: &str, what: &str| {
        time::parse_rfc3339(text).ok_or_else(|| format!("its {what} time {text:?} is not a date"))
    };
    let history = out
        .history
        .iter()
        .map(|h| {
            Ok(PastPassword {
                password: h.password.clone(),
                changed_at: when(&h.changed_at, "history")?,
                reason: Some((h.reason, h.changed_by)),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let entry = Entry {
        uuid: out.uuid,
        title: out.title,
        username: out.username,
        password: out.password,
        urls: out.urls,
        notes: out.notes,
        category: out.category,
        tags: out.tags,
        favorite: out.favorite,
        created_at: when(&out.created_at, "creation")?,
        updated_at: when(&out.updated_at, "change")?,
        expires_at: out
            .expires_at
            .as_deref()
            .map(|t| when(t, "expiry"))
            .transpose()?,
        totp: out.totp,
        fields: out.fields,
        deleted_at: out
            .deleted_at
            .as_deref()
            .map(|t| when(t, "deletion"))
            .transpose()?,
        imported: None,
    };
    Ok(ImportedEntry {
        entry,
        history,
        location: String::new(),
    })
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    kdf: EnvelopeKdf,
    cipher: String,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct EnvelopeKdf {
    algorithm: String,
    version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

impl Envelope {
    /// Every header field, as the associated data of the ciphertext.
    fn associated_data(&self) -> Vec<u8> {
        let k = &self.kdf;
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.format,
            self.version,
            k.algorithm,
            k.version,
            k.memory_kib,
            k.iterations,
            k.parallelism,
            k.salt,
            self.cipher
        )
        .into_bytes()
    }
}

fn export_key(
    passphrase: &SecretString,
    salt: &[u8],
    params: &KdfParams,
) -> Result<Key256, String> {
    let stretched = kdf::stretch_passphrase(passphrase, salt, params).map_err(|e| e.to_string())?;
    Ok(crypto::hkdf_subkey(
        stretched.expose(),
        b"secure-password-manager export v1",
    ))
}

/// The encrypted `.spmx` document for `data` under `passphrase`.
pub fn to_spmx(
    data: &ExportData,
    passphrase: &SecretString,
    params: &KdfParams,
) -> Result<Vec<u8>, String> {
    let salt: [u8; kdf::SALT_LEN] = crypto::random_array();
    let mut envelope = Envelope {
        format: SPMX_FORMAT.to_owned(),
        version: 1,
        kdf: EnvelopeKdf {
            algorithm: "argon2id".to_owned(),
            version: ARGON2_VERSION,
            memory_kib: params.m_cost_kib,
            iterations: params.t_cost,
            parallelism: params.p_cost,
            salt: B64.encode(salt),
        },
        cipher: CIPHER.to_owned(),
        ciphertext: String::new(),
    };
    let key = export_key(passphrase, &salt, params)?;
    let plain = to_json(data);
    let sealed = crypto::seal(&key, &envelope.associated_data(), &plain);
    envelope.ciphertext = B64.encode(sealed);
    serde_json::to_vec_pretty(&envelope).map_err(|e| e.to_string())
}

/// Opens an `.spmx` document with its passphrase.
pub fn parse_spmx(
    path: &Path,
    bytes: &[u8],
    passphrase: Option<&SecretString>,
) -> Result<Parsed, ExchangeError> {
    let malformed = |detail: String| ExchangeError::Malformed {
        path: path.to_owned(),
        format: Format::Spmx.label(),
        detail,
    };
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|e| malformed(json_error(&e)))?;
    check_header(&envelope.format, SPMX_FORMAT, envelope.version).map_err(malformed)?;
    let k = &envelope.kdf;
    if k.algorithm != "argon2id" || k.version != ARGON2_VERSION || envelope.cipher != CIPHER {
        return Err(malformed(format!(
            "unknown algorithms {} v{} / {}",
            k.algorithm, k.version, envelope.cipher
        )));
    }
    let params = KdfParams::new(k.memory_kib, k.iterations, k.parallelism)
        .map_err(|e| malformed(format!("its key derivation settings are refused: {e}")))?;
    kdf::check_file_work(&params)
        .map_err(|e| malformed(format!("its key derivation settings are refused: {e}")))?;
    let salt = B64
        .decode(&k.salt)
        .map_err(|_| malformed("the salt is not base64".to_owned()))?;
    let sealed = B64
        .decode(&envelope.ciphertext)
        .map_err(|_| malformed("the ciphertext is not base64".to_owned()))?;

    let Some(passphrase) = passphrase else {
        return Err(ExchangeError::NeedsKey {
            path: path.to_owned(),
            key_file_hint: "",
        });
    };
    let key = export_key(passphrase, &salt, &params).map_err(malformed)?;
    let plain = crypto::open(&key, &envelope.associated_data(), &sealed).map_err(|_| {
        ExchangeError::WrongKey {
            path: path.to_owned(),
        }
    })?;
    parse_json(path, &plain, Format::Spmx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::entries::{Category, HistoryItem};

    fn sample() -> ExportData {
        let uuid = Uuid::new_v4();
        let entry = Entry {
            uuid,
            title: "Mail".into(),
            username: "me@example.org".into(),
            password: "s3cret".into(),
            urls: vec!["https://mail.example.org".into()],
            notes: "line one\nline two".into(),
            category: "Work".into(),
            tags: vec!["a".into()],
            favorite: true,
            created_at: 1_700_000_000,
            updated_at: 1_700_000_100,
            expires_at: Some(1_900_000_000),
            totp: Some("otpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP".into()),
            fields: vec![CustomField {
                name: "PIN".into(),
                value: "1234".into(),
                hidden: true,
            }],
            deleted_at: None,
            imported: None,
        };
        let history = vec![HistoryItem {
            uuid: Uuid::new_v4(),
            entry_uuid: uuid,
            password: "older".into(),
            changed_at: 1_700_000_050,
            reason: RotationReason::Breach,
            changed_by: Actor::User,
            source: None,
        }];
        ExportData {
            entries: vec![(entry, history)],
            categories: vec![Category {
                uuid: Uuid::new_v4(),
                name: "Work".into(),
                color: "#2563eb".into(),
            }],
        }
    }

    fn cheap() -> KdfParams {
        KdfParams::new(kdf::MIN_M_COST_KIB, kdf::MIN_T_COST, 1).unwrap()
    }

    fn check_same(parsed: &Parsed, data: &ExportData) {
        assert_eq!(parsed.entries.len(), 1);
        let got = &parsed.entries[0];
        let (want, history) = &data.entries[0];
        assert_eq!(&got.entry, want);
        assert_eq!(got.history.len(), 1);
        assert_eq!(got.history[0].password, history[0].password);
        assert_eq!(got.history[0].changed_at, history[0].changed_at);
        assert_eq!(
            got.history[0].reason,
            Some((RotationReason::Breach, Actor::User))
        );
        assert_eq!(
            parsed.category_colors,
            vec![("Work".to_owned(), "#2563eb".to_owned())]
        );
    }

    #[test]
    fn json_round_trips_every_field() {
        let data = sample();
        let json = to_json(&data);
        assert_eq!(sniff(&json), Some(Format::Json));
        let parsed = parse_json(Path::new("x.json"), &json, Format::Json).unwrap();
        check_same(&parsed, &data);
    }

    #[test]
    fn spmx_round_trips_and_needs_the_right_passphrase() {
        let data = sample();
        let bytes = to_spmx(&data, &"export pass".into(), &cheap()).unwrap();
        assert_eq!(sniff(&bytes), Some(Format::Spmx));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains("s3cret") && !text.contains("Mail"), "{text}");

        let path = Path::new("x.spmx");
        let parsed = parse_spmx(path, &bytes, Some(&"export pass".into())).unwrap();
        check_same(&parsed, &data);
        assert!(matches!(
            parse_spmx(path, &bytes, Some(&"wrong".into())),
            Err(ExchangeError::WrongKey { .. })
        ));
        assert!(matches!(
            parse_spmx(path, &bytes, None),
            Err(ExchangeError::NeedsKey { .. })
        ));
    }

    #[test]
    fn a_changed_header_fails_to_open_rather_than_weakening() {
        let data = sample();
        let bytes = to_spmx(&data, &"pass".into(), &cheap()).unwrap();
        let mut envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        envelope["kdf"]["parallelism"] = 2.into();
        let changed = serde_json::to_vec(&envelope).unwrap();
        assert!(matches!(
            parse_spmx(Path::new("x"), &changed, Some(&"pass".into())),
            Err(ExchangeError::WrongKey { .. })
        ));
        envelope["kdf"]["memory_kib"] = kdf::MAX_M_COST_KIB.into();
        envelope["kdf"]["iterations"] = kdf::MAX_T_COST.into();
        let slow = serde_json::to_vec(&envelope).unwrap();
        let started = std::time::Instant::now();
        let error = parse_spmx(Path::new("x"), &slow, Some(&"pass".into())).unwrap_err();
        assert!(error.to_string().contains("refused"), "{error}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        envelope["kdf"]["iterations"] = 2.into();
        envelope["kdf"]["memory_kib"] = 8.into();
        let weak = serde_json::to_vec(&envelope).unwrap();
        let error = parse_spmx(Path::new("x"), &weak, Some(&"pass".into())).unwrap_err();
        assert!(error.to_string().contains("refused"), "{error}");
    }

    #[test]
    fn truncated_files_are_reported_not_panicked_on() {
        let bytes = to_spmx(&sample(), &"pass".into(), &cheap()).unwrap();
        for cut in [0, 1, 10, bytes.len() / 2, bytes.len() - 2] {
            let error =
                parse_spmx(Path::new("t.spmx"), &bytes[..cut], Some(&"pass".into())).unwrap_err();
            assert!(error.to_string().contains("t.spmx"), "{error}");
        }
        let json = to_json(&sample());
        let error =
            parse_json(Path::new("t.json"), &json[..json.len() / 2], Format::Json).unwrap_err();
        assert!(error.to_string().contains("ends too early"), "{error}");
    }
}
