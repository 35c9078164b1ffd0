//! KeePass: KDBX 3.1 and 4.x databases, KeePass 2 XML, and KDBX 4 export.
//!
//! Both readers produce the same [`model::Doc`] (the XML reader from the
//! file's elements, the KDBX reader from the `keepass` crate's decrypted
//! database), and [`convert`] turns it into entries, so a database reads
//! the same whichever way it arrives:
//!
//! - the group path below the root group is the category (`Windows/Subsub`);
//!   every group becomes a category, and entries in the root have none;
//! - entries in the recycle bin (Meta `RecycleBinUUID`, else a root group
//!   named `Recycle Bin`) are imported as trashed;
//! - `Title`, `UserName`, `Password`, `URL` and `Notes` fill the entry,
//!   `KP2A_URL*` add URLs, the TOTP plug-in strings become one URI
//!   ([`otp`]), and every other string is a custom field (hidden when
//!   protected);
//! - history versions become older passwords, never extra entries;
//! - attachments are not imported, with a warning per entry.

mod convert;
mod export;
mod header;
mod kdbx;
mod keyfile;
mod model;
mod otp;
mod xml;

use super::{ExchangeError, ExportData, FileKey, Format, MAX_FILE_BYTES, Parsed, read_whole};
use std::path::Path;

/// How errors name the XML format.
const XML_FORMAT: &str = "KeePass 2 XML";
/// How errors name the KDBX format.
const KDBX_FORMAT: &str = "KeePass database (KDBX)";

/// How far into a file [`sniff`] looks for `<KeePassFile`.
const SNIFF_WINDOW: usize = 4096;

/// The KeePass format the first bytes show, if any: the KDBX signature
/// (KeePass 1 files share it, and are refused with advice when read), or
/// an XML document with a `<KeePassFile>` element.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(&header::SIGNATURE) {
        return Some(Format::Kdbx);
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(SNIFF_WINDOW)]);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    (text.starts_with('<') && text.contains("<KeePassFile")).then_some(Format::KeePassXml)
}

/// Reads a KeePass 2 XML file (KeePass: File > Export > KeePass XML (2.x);
/// KeePassXC: Database > Export > XML File). Its values are plaintext.
pub fn read_xml(path: &Path) -> Result<Parsed, ExchangeError> {
    let bytes = read_whole(path, Format::KeePassXml.label(), MAX_FILE_BYTES)?;
    let text = utf8_text(path, &bytes)?;
    let doc = xml::parse(path, text)?;
    Ok(convert::to_parsed(doc, Format::KeePassXml))
}

/// Reads a KDBX 3.1 or 4.x file with its password and/or key file. An
/// empty password (`Some("")`) and no password (`None`) are different
/// keys; a Unicode password is also tried in NFC and NFD before the key is
/// declared wrong.
pub fn read_kdbx(path: &Path, key: &FileKey) -> Result<Parsed, ExchangeError> {
    kdbx::read(path, key)
}

/// Writes `data` as a KDBX 4 database under `key` (Argon2id, ChaCha20).
/// The caller writes `out` to the file atomically, with owner-only
/// permissions.
pub fn write_kdbx(
    out: &mut dyn std::io::Write,
    data: &ExportData,
    key: &FileKey,
) -> Result<(), ExchangeError> {
    export::write(out, data, key)
}

/// The file as UTF-8 text, without a byte-order mark. KeePass always
/// writes UTF-8.
fn utf8_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ExchangeError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ExchangeError::Encoding {
            path: path.to_owned(),
            detail: "it is UTF-16".to_owned(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| ExchangeError::Encoding {
        path: path.to_owned(),
        detail: format!("byte {} is not valid UTF-8", e.valid_up_to()),
    })
}

fn kdbx_malformed(path: &Path, detail: &str) -> ExchangeError {
    ExchangeError::Malformed {
        path: path.to_owned(),
        format: KDBX_FORMAT,
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_knows_kdbx_and_keepass_xml() {
        assert_eq!(
            sniff(&[0x03, 0xD9, 0xA2, 0x9A, 0x67, 0xFB, 0x4B, 0xB5]),
            Some(Format::Kdbx)
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<KeePassFile>"),
            Some(Format::KeePassXml)
        );
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><html/>"), None);
        assert_eq!(sniff(b"name,url,username,password\n"), None);
    }
}
