//! Bitwarden's JSON export, plain or password-protected.

use std::path::Path;

use super::{ExchangeError, FileKey, Format, Parsed};

/// Whether the first bytes look like a Bitwarden JSON export.
pub fn sniff(_head: &[u8]) -> bool {
    false
}

/// Whether the export is password-protected.
pub fn is_password_protected(_path: &Path) -> Result<bool, ExchangeError> {
    Ok(false)
}

/// Reads a Bitwarden JSON export; a password-protected one needs
/// `key.password`.
pub fn read(path: &Path, _key: &FileKey) -> Result<Parsed, ExchangeError> {
    Err(ExchangeError::Unsupported {
        path: path.to_owned(),
        what: Format::BitwardenJson.label().to_owned(),
        advice: "this reader is not finished".to_owned(),
    })
}
