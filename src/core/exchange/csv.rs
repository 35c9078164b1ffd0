//! CSV files: the browsers', Bitwarden's, LastPass's, 1Password's and
//! KeePassXC's exports, and any other CSV through a column mapping.

use std::path::Path;

use super::{ExchangeError, Format, Parsed};

/// Which column holds what, for a CSV no known dialect matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// Column index of the title.
    pub title: Option<usize>,
    /// Column index of the username.
    pub username: Option<usize>,
    /// Column index of the password.
    pub password: Option<usize>,
    /// Column index of the URL.
    pub url: Option<usize>,
    /// Column index of the notes.
    pub notes: Option<usize>,
    /// Column index of a TOTP secret or URI.
    pub totp: Option<usize>,
    /// Column index of the category (folder, group).
    pub category: Option<usize>,
}

/// The header row of a CSV file.
pub fn headers(path: &Path) -> Result<Vec<String>, ExchangeError> {
    Err(ExchangeError::Unsupported {
        path: path.to_owned(),
        what: "CSV".to_owned(),
        advice: "this reader is not finished".to_owned(),
    })
}

/// A mapping guessed from header names.
pub fn guess_mapping(_headers: &[String]) -> Mapping {
    Mapping::default()
}

/// The dialect a CSV's first bytes show, if any.
pub fn sniff(_head: &[u8]) -> Option<Format> {
    None
}

/// Writes `data` as CSV with Bitwarden's columns.
pub fn write(_out: &mut dyn std::io::Write, _data: &super::ExportData) -> std::io::Result<()> {
    Err(std::io::Error::other("CSV export is not finished"))
}

/// Reads a CSV file as `format` (a CSV dialect); `mapping` is required for
/// [`Format::GenericCsv`]. `progress` is told how many bytes were read.
pub fn read(
    path: &Path,
    format: Format,
    _mapping: Option<&Mapping>,
    _progress: &mut dyn FnMut(u64),
) -> Result<Parsed, ExchangeError> {
    Err(ExchangeError::Unsupported {
        path: path.to_owned(),
        what: format.label().to_owned(),
        advice: "this reader is not finished".to_owned(),
    })
}
