//! KeePass: KDBX 3.1 and 4.x databases, and KeePass 2 XML.

use std::path::Path;

use super::{ExchangeError, ExportData, FileKey, Format, Parsed};

/// The KeePass format the first bytes show, if any.
pub fn sniff(_head: &[u8]) -> Option<Format> {
    None
}

/// Reads a KeePass 2 XML file.
pub fn read_xml(path: &Path) -> Result<Parsed, ExchangeError> {
    Err(ExchangeError::Unsupported {
        path: path.to_owned(),
        what: Format::KeePassXml.label().to_owned(),
        advice: "this reader is not finished".to_owned(),
    })
}

/// Reads a KDBX file with its password and/or key file.
pub fn read_kdbx(path: &Path, _key: &FileKey) -> Result<Parsed, ExchangeError> {
    Err(ExchangeError::Unsupported {
        path: path.to_owned(),
        what: Format::Kdbx.label().to_owned(),
        advice: "this reader is not finished".to_owned(),
    })
}

/// Writes `data` as a KDBX 4 file under `key`.
pub fn write_kdbx(
    _out: &mut dyn std::io::Write,
    _data: &ExportData,
    _key: &FileKey,
) -> Result<(), ExchangeError> {
    Err(ExchangeError::Write {
        path: std::path::PathBuf::new(),
        detail: "KDBX export is not finished".to_owned(),
    })
}
