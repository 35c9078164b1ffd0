//! The file rules the bridge's three JSON stores share.
//!
//! Each file is a JSON object with a `version` number and is written with
//! [`fsio::write_atomic`] (owner-only, atomic). A missing file is an empty
//! store. A file that does not parse, or that holds a field this version
//! does not know, is refused as damaged rather than half-read: these files
//! decide who may read passwords, so guessing at their meaning is worse
//! than asking the user to pair again. A file from a newer version says so.
//!
//! Error messages never quote the file's contents (serde's messages can
//! hold values); they give the position and, for a missing or unknown
//! field, its name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::core::fsio::{self, FileError};
use crate::core::lock::{self, DirLock, LockError};

/// How long a change waits for another process's turn on the data
/// directory (an unlock holds it while its key derivation runs).
pub const TURN_PATIENCE: Duration = Duration::from_secs(5);

/// The largest store file that is read; anything bigger is damage.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Which store a file is, for the advice in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// `browser_bridge_tokens.json`.
    Tokens,
    /// `approval_store.json`.
    Approvals,
    /// `bridge_pairing.json`.
    Pairing,
}

impl StoreKind {
    /// What the user should do about a damaged or unreadable file.
    pub fn remedy(self) -> &'static str {
        match self {
            StoreKind::Tokens => {
                "Every browser token is refused until it is fixed: delete the file and pair \
                 your browsers again"
            }
            StoreKind::Approvals => {
                "Delete the file: remembered approvals are then forgotten and each site asks \
                 again"
            }
            StoreKind::Pairing => {
                "Open a new pairing window (password-manager bridge pair), which replaces it"
            }
        }
    }
}

/// A bridge store file could not be read, understood or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a store this version can read.
    #[error("{} is damaged: {detail}. {}", path.display(), kind.remedy())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Which store it is.
        kind: StoreKind,
        /// What is wrong, without quoting the contents.
        detail: String,
    },
    /// The file was written by a newer version of the program.
    #[error(
        "{} was written by a newer version of Secure Password Manager (format {found}; this \
         version reads format {supported}). Update the program, or: {}",
        path.display(),
        kind.remedy()
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Which store it is.
        kind: StoreKind,
        /// The version the file declares.
        found: u64,
        /// The version this program writes.
        supported: u64,
    },
    /// Another process held the data directory for too long.
    #[error(
        "could not change {}: another Secure Password Manager process kept the data directory \
         busy for {} s; try again in a moment",
        path.display(),
        TURN_PATIENCE.as_secs()
    )]
    Busy {
        /// The file that was to change.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    File(#[from] FileError),
}

impl StoreError {
    /// A damaged-file error.
    pub fn corrupt(path: &Path, kind: StoreKind, detail: impl Into<String>) -> Self {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            kind,
            detail: detail.into(),
        }
    }
}

/// Takes this process's turn at changing files in `path`'s directory.
///
/// The turn is the data directory's lock, the same one unlock attempts
/// use; dropping the returned guard ends it.
pub fn take_turn(path: &Path, patience: Duration) -> Result<DirLock, StoreError> {
    lock::lock_directory(fsio::parent_dir(path), patience).map_err(|e| match e {
        LockError::Busy { .. } => StoreError::Busy {
            path: path.to_path_buf(),
        },
        LockError::File(e) => StoreError::File(e),
    })
}

/// Reads a versioned store; `Ok(None)` when the file does not exist.
///
/// The bytes are wiped after parsing: the pairing file holds a key.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    kind: StoreKind,
    supported: u64,
) -> Result<Option<T>, StoreError> {
    let Some(bytes) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    let bytes = Zeroizing::new(bytes);
    if bytes.len() > MAX_FILE_BYTES {
        let detail = format!("it is larger than {} MiB", MAX_FILE_BYTES >> 20);
        return Err(StoreError::corrupt(path, kind, detail));
    }

    // A struct would also parse from a JSON array; only an object is a store.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let detail = "it is not a JSON object";
        return Err(StoreError::corrupt(path, kind, detail));
    }

    // The version is checked first, so a newer file is reported as newer
    // rather than as damaged because of a field added since.
    #[derive(serde::Deserialize)]
    struct Version {
        version: Option<u64>,
    }
    let declared = serde_json::from_slice::<Version>(&bytes)
        .map_err(|e| StoreError::corrupt(path, kind, describe(&e)))?;
    match declared.version {
        None => {
            let detail = "it has no \"version\" field";
            return Err(StoreError::corrupt(path, kind, detail));
        }
        Some(found) if found > supported => {
            return Err(StoreError::NewerFormat {
                path: path.to_path_buf(),
                kind,
                found,
                supported,
            });
        }
        Some(found) if found < supported => {
            let detail = format!("format {found} is not one this version reads");
            return Err(StoreError::corrupt(path, kind, detail));
        }
        Some(_) => {}
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StoreError::corrupt(path, kind, describe(&e)))
}

/// Writes a store atomically, owner-only; the serialised bytes are wiped
/// afterwards.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let mut json = Zeroizing::new(serde_json::to_vec_pretty(value).unwrap_or_default());
    json.push(b'\n');
    fsio::write_atomic(path, &json)?;
    Ok(())
}

/// What is wrong with a file that did not parse, without its contents.
fn describe(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io => "it could not be read",
        Category::Eof => "it ends too early (truncated)",
        Category::Syntax => "it is not valid JSON",
        Category::Data => "it does not hold the expected fields and values",
    };
    // serde names a missing or unknown field in the first clause of its
    // message; other messages can quote a value, so only those two are kept.
    let message = error.to_string();
    let field = ["missing field", "unknown field", "duplicate field"]
        .iter()
        .find(|prefix| message.starts_with(*prefix))
        .map(|_| {
            let clause = message.split(',').next().unwrap_or_default();
            let clean: String = clause
                .chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .take(80)
                .collect();
            format!(": {clean}")
        })
        .unwrap_or_default();
    format!(
        "{what}{field} (line {}, column {})",
        error.line(),
        error.column()
    )
}

/// Lower-case hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Decodes exactly `out.len()` bytes of hexadecimal (either case) into
/// `out`; false, with `out` unspecified, when `text` is anything else.
pub fn from_hex(text: &str, out: &mut [u8]) -> bool {
    let digits = text.as_bytes();
    if digits.len() != out.len() * 2 {
        return false;
    }
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(high), Some(low)) => *byte = (high << 4) | low,
            _ => return false,
        }
    }
    true
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Whether `text` is exactly `len` lower-case hexadecimal digits.
pub fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        version: u64,
        name: String,
    }

    #[test]
    fn hex_round_trips_and_refuses_other_text() {
        let bytes = [0x00, 0x7f, 0xa5, 0xff];
        assert_eq!(to_hex(&bytes), "007fa5ff");
        let mut back = [0u8; 4];
        assert!(from_hex("007FA5ff", &mut back));
        assert_eq!(back, bytes);
        for bad in [
            "",
            "007fa5f",
            "007fa5ff0",
            "007fa5fg",
            "00 7fa5f",
            "ｆｆ00a5ff",
        ] {
            assert!(!from_hex(bad, &mut back), "{bad:?}");
        }
        assert!(is_lower_hex("00af", 4));
        assert!(!is_lower_hex("00AF", 4));
    }

    #[test]
    fn files_are_versioned_and_damage_is_reported_without_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.json");
        let kind = StoreKind::Tokens;
        assert!(read::<Sample>(&path, kind, 1).unwrap().is_none());

        let sample = Sample {
            version: 1,
            name: "x".into(),
        };
        write(&path, &sample).unwrap();
        assert_eq!(read::<Sample>(&path, kind, 1).unwrap(), Some(sample));

        std::fs::write(&path, r#"{"version": 2, "other": 1}"#).unwrap();
        let err = read::<Sample>(&path, kind, 1).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerFormat { found: 2, .. }),
            "{err}"
        );

        std::fs::write(
            &path,
            r#"{"version": 1, "name": "x", "secretish": "hunter2"}"#,
        )
        .unwrap();
        let err = read::<Sample>(&path, kind, 1).unwrap_err().to_string();
        assert!(err.contains("unknown field `secretish`"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("store.json"), "{err}");
        assert!(err.contains("pair your browsers again"), "{err}");

        std::fs::write(&path, r#"{"version": 1, "name": 7}"#).unwrap();
        let err = read::<Sample>(&path, kind, 1).unwrap_err().to_string();
        assert!(err.contains("expected fields and values"), "{err}");

        for broken in [
            "",
            "{",
            "[1]",
            "[1, \"x\"]",
            "{\"name\": \"x\"}",
            "{\"version\": 0}",
        ] {
            std::fs::write(&path, broken).unwrap();
            let err = read::<Sample>(&path, kind, 1).unwrap_err();
            assert!(
                matches!(err, StoreError::Corrupt { .. }),
                "{broken:?}: {err}"
            );
        }
    }

    #[test]
    fn a_turn_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.json");
        let turn = take_turn(&path, Duration::ZERO).unwrap();
        let err = take_turn(&path, Duration::from_millis(30)).unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }));
        drop(turn);
        take_turn(&path, Duration::ZERO).unwrap();
    }
}
