//! Bitwarden's JSON export, plain or password-protected.
//!
//! Bitwarden writes three kinds of JSON export:
//!
//! - **plain**: folders, collections (organization exports) and items in the
//!   clear; [`items`] turns them into entries;
//! - **password-protected**: the same document sealed under a key derived
//!   from a password chosen at export time; [`crypto`] opens it and the
//!   result is read like a plain export;
//! - **account-encrypted**: sealed with the Bitwarden account's own key,
//!   which never leaves Bitwarden. It cannot be read anywhere else, so the
//!   user is asked to export again.
//!
//! Every user value passes through a `serde_json` tree on its way into an
//! entry. That tree is wiped when dropped (see [`Document`]), and so is every
//! buffer holding the file's bytes or decrypted data.

mod crypto;
mod fields;
mod items;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use super::{ExchangeError, FileKey, Format, Parsed};

/// Largest file read. Real exports of many thousands of items stay far
/// below this; anything larger is a mistake and would only exhaust memory.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether the first bytes of a file (a few KiB) look like a Bitwarden JSON
/// export: a JSON object that names the password-protected header fields, or
/// an `items` list next to Bitwarden's `folders`, `collections` or
/// `folderId` keys.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let has = |key: &str| memchr::memmem::find(head, key.as_bytes()).is_some();
    if has("\"passwordProtected\"") || has("\"encKeyValidation_DO_NOT_EDIT\"") {
        return true;
    }
    has("\"items\"") && (has("\"folders\"") || has("\"collections\"") || has("\"folderId\""))
}

/// Whether the file is a password-protected Bitwarden export, so the caller
/// knows to ask for the file's password before [`read`]. An export sealed
/// with the Bitwarden account's key is not: no password opens it, and
/// [`read`] explains what to do instead.
pub fn is_password_protected(path: &Path) -> Result<bool, ExchangeError> {
    let document = Document::load(path)?;
    Ok(kind(&document.0) == Kind::PasswordProtected)
}

/// Reads a Bitwarden JSON export; a password-protected one needs
/// `key.password`.
///
/// Items become entries in file order. Items that cannot be imported (an
/// unknown type, nothing in them) are listed in `Parsed::skipped` with their
/// position and the reason; the rest are still read.
pub fn read(path: &Path, key: &FileKey) -> Result<Parsed, ExchangeError> {
    let document = Document::load(path)?;
    match kind(&document.0) {
        Kind::Plain => items::convert(path, &document.0),
        Kind::PasswordProtected => {
            let Some(password) = key.password.as_ref() else {
                return Err(ExchangeError::NeedsKey {
                    path: path.to_owned(),
                    key_file_hint: "",
                });
            };
            let plaintext = crypto::decrypt_export(path, &document.0, password)?;
            drop(document);

            let inner = Document::parse(path, &plaintext, Source::Decrypted)?;
            if kind(&inner.0) != Kind::Plain {
                return Err(malformed(
                    path,
                    "the decrypted data is itself marked as encrypted; export it again",
                ));
            }
            let mut parsed = items::convert(path, &inner.0)?;
            if key.key_file.is_some() {
                parsed.warnings.push(
                    "Bitwarden exports are opened by a password alone; the key file was not used"
                        .to_owned(),
                );
            }
            Ok(parsed)
        }
        Kind::AccountEncrypted => Err(ExchangeError::Unsupported {
            path: path.to_owned(),
            what: "a Bitwarden export encrypted with the account's own key".to_owned(),
            advice: "only Bitwarden can open it; export the vault again from Bitwarden, \
                     either as \"JSON (Encrypted)\" with a file password (\"Password protected\") \
                     or as plain .json"
                .to_owned(),
        }),
    }
}

/// What kind of Bitwarden export a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Items in the clear (`encrypted` false or absent).
    Plain,
    /// Sealed under a key from a file password.
    PasswordProtected,
    /// Sealed under the Bitwarden account's key.
    AccountEncrypted,
}

/// Tells the kinds apart by the top-level flags Bitwarden writes.
fn kind(root: &Map<String, Value>) -> Kind {
    let flag = |key: &str| root.get(key).and_then(Value::as_bool) == Some(true);
    match (flag("encrypted"), flag("passwordProtected")) {
        (false, _) => Kind::Plain,
        (true, true) => Kind::PasswordProtected,
        (true, false) => Kind::AccountEncrypted,
    }
}

/// Where bytes being parsed came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The file itself.
    File,
    /// The decrypted `data` of a password-protected export.
    Decrypted,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::File => "the file",
            Source::Decrypted => "the decrypted data",
        }
    }
}

/// A parsed export's top-level object. Its strings are zeroized when it is
/// dropped, because they are the user's passwords, notes and names.
struct Document(Map<String, Value>);

impl Document {
    /// Reads and parses a file.
    fn load(path: &Path) -> Result<Self, ExchangeError> {
        let bytes = read_file(path)?;
        Self::parse(path, &bytes, Source::File)
    }

    /// Parses JSON text that must hold an object.
    fn parse(path: &Path, bytes: &[u8], source: Source) -> Result<Self, ExchangeError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let detail = format!("invalid UTF-8 at byte {}", e.valid_up_to());
            match source {
                Source::File => ExchangeError::Encoding {
                    path: path.to_owned(),
                    detail,
                },
                Source::Decrypted => malformed(path, format!("the decrypted data has {detail}")),
            }
        })?;
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(mut other) => {
                wipe(&mut other);
                Err(malformed(
                    path,
                    format!(
                        "{} is JSON but not an object; a Bitwarden export is an object \
                         with an \"items\" list",
                        source.describe()
                    ),
                ))
            }
            Err(e) => Err(malformed(path, json_detail(source, &e))),
        }
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        self.0.values_mut().for_each(wipe);
    }
}

/// Zeroizes every string in a JSON tree. The parser's depth limit (128)
/// bounds the recursion.
fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(list) => list.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Says where the JSON breaks. serde_json's syntax messages name the
/// problem and its line and column but never quote the input, so they are
/// safe to show.
fn json_detail(source: Source, error: &serde_json::Error) -> String {
    let what = source.describe();
    if error.is_eof() {
        format!(
            "{what} ends in the middle of the JSON ({error}); it looks truncated, \
             so export it again"
        )
    } else {
        format!("{what} is not valid JSON ({error})")
    }
}

/// Reads a whole file into a buffer that is wiped when dropped.
fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, ExchangeError> {
    let read_error = |source| ExchangeError::Read {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(malformed(
            path,
            format!(
                "the file is {size} bytes; a Bitwarden export is never near \
                 {MAX_FILE_BYTES} bytes, so this is not one"
            ),
        ));
    }
    // Room for one byte more than the file, so reading never reallocates and
    // leaves an unwiped copy behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize + 1));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    Ok(bytes)
}

/// A [`ExchangeError::Malformed`] for this format.
fn malformed(path: &Path, detail: impl Into<String>) -> ExchangeError {
    ExchangeError::Malformed {
        path: path.to_owned(),
        format: Format::BitwardenJson.label(),
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_knows_plain_and_protected_exports() {
        assert!(sniff(br#"{"encrypted":false,"folders":[],"items":[]}"#));
        assert!(sniff(b"\xEF\xBB\xBF\n  {\"folders\": [], \"items\": []}"));
        assert!(sniff(
            br#"{"encrypted": true, "passwordProtected": true, "salt": "x"}"#
        ));
        assert!(sniff(
            br#"{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.x"}"#
        ));
        assert!(sniff(br#"{"collections": [], "items": []}"#));
    }

    #[test]
    fn sniff_refuses_other_json_and_text() {
        assert!(!sniff(br#"{"items": []}"#));
        assert!(!sniff(br#"{"entries": [], "folders": []}"#));
        assert!(!sniff(b"name,url,username,password\n"));
        assert!(!sniff(br#"[{"items": [], "folders": []}]"#));
        assert!(!sniff(b""));
    }

    #[test]
    fn kinds_follow_the_top_level_flags() {
        let kind_of = |text: &str| match serde_json::from_str::<Value>(text).unwrap() {
            Value::Object(map) => kind(&map),
            _ => unreachable!("the samples are objects"),
        };
        assert_eq!(kind_of(r#"{"items": []}"#), Kind::Plain);
        assert_eq!(kind_of(r#"{"encrypted": false, "items": []}"#), Kind::Plain);
        assert_eq!(
            kind_of(r#"{"encrypted": true, "passwordProtected": true}"#),
            Kind::PasswordProtected
        );
        assert_eq!(kind_of(r#"{"encrypted": true}"#), Kind::AccountEncrypted);
    }

    #[test]
    fn wiping_clears_every_string_in_the_tree() {
        let mut value: Value =
            serde_json::from_str(r#"{"a": ["secret", {"b": "other"}], "n": 1}"#).unwrap();
        wipe(&mut value);
        assert_eq!(value["a"][0], "");
        assert_eq!(value["a"][1]["b"], "");
        assert_eq!(value["n"], 1);
    }

    #[test]
    fn a_truncated_document_names_its_line_and_column() {
        let error = Document::parse(Path::new("x.json"), b"{\n  \"items\": [\n", Source::File)
            .err()
            .unwrap();
        let text = error.to_string();
        assert!(text.contains("line 3 column 0"), "{text}");
        assert!(text.contains("truncated"), "{text}");
    }
}
