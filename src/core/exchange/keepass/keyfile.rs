//! KeePass key files, read into the 32 bytes they stand for.
//!
//! KeePass accepts five shapes, tried in this order:
//!
//! 1. XML version 2.0 (`.keyx`): `<Data Hash="...">` holds 32 bytes as hex
//!    (whitespace allowed), and `Hash` is the first 4 bytes of their SHA-256;
//! 2. XML version 1.0: `<Data>` holds the 32 bytes in base64;
//! 3. exactly 32 bytes: the key itself;
//! 4. exactly 64 hex digits: the key in hex;
//! 5. anything else: its SHA-256 is the key.
//!
//! An XML key file that is damaged is refused rather than hashed as shape 5:
//! that would silently make a different key. (The `keepass` crate ignores
//! the v2 hash, which is why we read key files ourselves and hand the crate
//! the 32 bytes, which it takes as shape 3.)

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::otp::decode_hex;
use crate::core::exchange::{ExchangeError, MAX_FILE_BYTES, read_whole};

/// The 32-byte key a key file stands for.
pub(super) type FileKeyBytes = Zeroizing<[u8; 32]>;

/// Reads the key file at `path`.
pub(super) fn load(path: &Path) -> Result<FileKeyBytes, ExchangeError> {
    let bytes = read_whole(path, "key file", MAX_FILE_BYTES)?;
    parse(&bytes).map_err(|detail| ExchangeError::Malformed {
        path: path.to_owned(),
        format: "KeePass key",
        detail,
    })
}

/// The key in `bytes`; an error says what is wrong with an XML key file.
pub(super) fn parse(bytes: &[u8]) -> Result<FileKeyBytes, String> {
    if let Some(xml) = key_file_xml(bytes) {
        return parse_xml(xml);
    }
    if let Ok(key) = <[u8; 32]>::try_from(bytes) {
        return Ok(Zeroizing::new(key));
    }
    if bytes.len() == 64
        && let Some(key) = std::str::from_utf8(bytes).ok().and_then(decode_hex)
        && let Ok(key) = <[u8; 32]>::try_from(key.as_slice())
    {
        return Ok(Zeroizing::new(key));
    }
    Ok(Zeroizing::new(Sha256::digest(bytes).into()))
}

/// The text of `bytes` when it is an XML document whose root is
/// `<KeyFile>`.
fn key_file_xml(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => return (e.name().as_ref() == "KeyFile").then_some(text),
            Event::Decl(_) | Event::Comment(_) | Event::Text(_) | Event::PI(_) => {}
            _ => return None,
        }
    }
}

/// What an XML key file says: its version, the `Data` text and `Hash`.
#[derive(Default)]
struct XmlKey {
    version: String,
    data: Zeroizing<String>,
    hash: Option<String>,
    has_data: bool,
}

fn parse_xml(text: &str) -> Result<FileKeyBytes, String> {
    let xml = read_xml(text)?;
    if !xml.has_data {
        return Err("the XML key file has no <Key><Data> element".to_owned());
    }
    let version = xml.version.trim();
    if version.starts_with('2') {
        parse_v2(&xml)
    } else if version.is_empty() || version.starts_with('1') {
        parse_v1(&xml)
    } else {
        Err(format!(
            "the XML key file has version {version:?}; only versions 1.0 and 2.0 exist"
        ))
    }
}

fn read_xml(text: &str) -> Result<XmlKey, String> {
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut key = XmlKey::default();
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "the XML key file is damaged at byte {}: {}",
                reader.error_position(),
                super::xml::describe_error(&e)
            )
        })?;
        match event {
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                if name == "Data" && path == ["KeyFile", "Key"] {
                    key.has_data = true;
                    key.hash = e.try_get_attribute("Hash").ok().flatten().and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    });
                }
                path.push(name);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if path == ["KeyFile", "Key", "Data"] => {
                key.data.push_str(&t.xml10_content());
            }
            Event::Text(t) if path == ["KeyFile", "Meta", "Version"] => {
                key.version.push_str(&t.xml10_content());
            }
            Event::Eof => return Ok(key),
            _ => {}
        }
    }
}

fn parse_v1(xml: &XmlKey) -> Result<FileKeyBytes, String> {
    let cleaned: Zeroizing<String> =
        Zeroizing::new(xml.data.chars().filter(|c| !c.is_whitespace()).collect());
    let bytes = Zeroizing::new(
        B64.decode(cleaned.as_bytes())
            .map_err(|_| "the key in the XML key file is not valid base64".to_owned())?,
    );
    to_key(&bytes)
}

fn parse_v2(xml: &XmlKey) -> Result<FileKeyBytes, String> {
    let bytes = decode_hex(&xml.data)
        .ok_or_else(|| "the key in the XML key file is not valid hex".to_owned())?;
    let key = to_key(&bytes)?;
    if let Some(hash) = &xml.hash {
        let digest = Sha256::digest(key.as_slice());
        let expected = decode_hex(hash)
            .ok_or_else(|| "the key file's Hash attribute is not hex".to_owned())?;
        if expected.as_slice() != &digest[..4] {
            return Err(
                "the key does not match the key file's Hash attribute: the file was changed \
                 or damaged; use an intact copy of the key file"
                    .to_owned(),
            );
        }
    }
    Ok(key)
}

fn to_key(bytes: &[u8]) -> Result<FileKeyBytes, String> {
    <[u8; 32]>::try_from(bytes)
        .map(Zeroizing::new)
        .map_err(|_| {
            format!(
                "the key in the XML key file is {} bytes long, not 32",
                bytes.len()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<KeyFile>
    <Meta><Version>2.0</Version></Meta>
    <Key>
        <Data Hash="A65F0C2D">
            36057B1C 35037FD9 62257893 C0A22403
            EE3F8FBB 504D9981 08B821CB 00D28F89
        </Data>
    </Key>
</KeyFile>"#;

    #[test]
    fn v2_key_files_check_their_hash() {
        let key = parse(V2.as_bytes()).unwrap();
        assert_eq!(key[..4], [0x36, 0x05, 0x7B, 0x1C]);
        let tampered = V2.replace("A65F0C2D", "A65F0C2E");
        assert!(
            parse(tampered.as_bytes())
                .unwrap_err()
                .contains("does not match the key file's Hash")
        );
        let bad_hex = V2.replace("36057B1C", "X6057B1C");
        assert!(
            parse(bad_hex.as_bytes())
                .unwrap_err()
                .contains("not valid hex")
        );
    }

    #[test]
    fn v1_key_files_hold_base64() {
        let text = "<KeyFile><Meta><Version>1.00</Version></Meta><Key><Data>\
                    AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</Data></Key></KeyFile>";
        let key = parse(text.as_bytes()).unwrap();
        assert_eq!(key[31], 31);
        let broken = "<KeyFile><Key><Data>yy</Data></Key></KeyFile>";
        assert!(parse(broken.as_bytes()).unwrap_err().contains("base64"));
    }

    #[test]
    fn raw_hex_and_other_files_follow_keepass() {
        let raw = [7u8; 32];
        assert_eq!(*parse(&raw).unwrap(), raw);
        let hex = "07".repeat(32);
        assert_eq!(*parse(hex.as_bytes()).unwrap(), raw);
        let other = b"any file at all";
        assert_eq!(
            parse(other).unwrap().as_slice(),
            Sha256::digest(other).as_slice()
        );
        // XML that is not a key file is just a file.
        let html = b"<html><body>hi</body></html>";
        assert_eq!(
            parse(html).unwrap().as_slice(),
            Sha256::digest(html).as_slice()
        );
    }
}
