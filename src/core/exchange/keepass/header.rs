//! What a KDBX file's plaintext outer header says, read before any key is
//! tried: which generation it is, where the header ends, whether the file
//! is whole, and whether its key derivation is sane.
//!
//! Layout (all little-endian): the 4-byte signature, a 4-byte kind, minor
//! and major version (2 bytes each), then fields of type (1 byte), length
//! (2 bytes in KDBX 3, 4 in KDBX 4) and data, closed by a field of type 0.

use std::path::Path;

use super::kdbx_malformed;
use crate::core::exchange::ExchangeError;

/// The first four bytes of every KeePass database file.
pub(super) const SIGNATURE: [u8; 4] = [0x03, 0xD9, 0xA2, 0x9A];
const KEEPASS_1: u32 = 0xB54B_FB65;
const KEEPASS_2_PRERELEASE: u32 = 0xB54B_FB66;
const KEEPASS_2: u32 = 0xB54B_FB67;

const RESAVE_ADVICE: &str = "open it in KeePassXC or KeePass 2, save it as a KDBX 4 database \
                             (Database > Save As), then import that file";

/// KDBX 3: the AES-KDF round count field.
const KDBX3_ROUNDS: u8 = 6;
/// KDBX 4: the key derivation parameters field.
const KDBX4_KDF_PARAMETERS: u8 = 11;

/// Key derivation limits, far above what KeePass or KeePassXC choose (their
/// one-second settings are tens of millions of AES rounds, or Argon2 with
/// 64 MiB to 1 GiB and a few dozen passes). Beyond them a file is damaged,
/// or made to stall or exhaust the machine.
const MAX_AES_ROUNDS: u64 = 1_000_000_000;
const MAX_ARGON2_MEMORY: u64 = 4 << 30;
/// Memory times passes, in bytes: 64 passes over 1 GiB.
const MAX_ARGON2_WORK: u64 = 64 << 30;
const MAX_ARGON2_LANES: u64 = 256;

/// The KDBX generations we read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Version {
    /// KDBX 3.0 and 3.1.
    Kdbx3,
    /// KDBX 4.0 and 4.1.
    Kdbx4,
}

/// Which KDBX generation the file is, or why we do not read it.
pub(super) fn version(path: &Path, data: &[u8]) -> Result<Version, ExchangeError> {
    if data.get(..4) != Some(&SIGNATURE[..]) {
        return Err(kdbx_malformed(
            path,
            "it does not start with the KeePass signature, so it is not a KeePass database",
        ));
    }
    let (Some(kind), Some(minor), Some(major)) =
        (number(data, 4, 4), number(data, 8, 2), number(data, 10, 2))
    else {
        return Err(kdbx_malformed(
            path,
            "the file ends inside its version header",
        ));
    };
    let unsupported = |what: String| ExchangeError::Unsupported {
        path: path.to_owned(),
        what,
        advice: RESAVE_ADVICE.to_owned(),
    };
    match (u32::try_from(kind).unwrap_or(0), major) {
        (KEEPASS_1, _) => Err(unsupported("a KeePass 1 database (.kdb)".to_owned())),
        (KEEPASS_2_PRERELEASE, _) | (KEEPASS_2, 1 | 2) => Err(unsupported(format!(
            "the old KDBX {major}.{minor} format (KeePass 2.0 to 2.19)"
        ))),
        (KEEPASS_2, 3) => Ok(Version::Kdbx3),
        (KEEPASS_2, 4) => Ok(Version::Kdbx4),
        _ => Err(kdbx_malformed(
            path,
            &format!("its header names KDBX version {major}.{minor}, which does not exist"),
        )),
    }
}

/// Checks what can be checked without the key: the file is whole (KDBX 4)
/// and its key derivation will finish.
pub(super) fn check(path: &Path, data: &[u8], version: Version) -> Result<(), ExchangeError> {
    let cut_short = || kdbx_malformed(path, "the file ends early; it may be cut short");
    let (fields, end) = fields(data, version).ok_or_else(cut_short)?;
    if version == Version::Kdbx4 && !blocks_complete(data, end) {
        return Err(cut_short());
    }
    kdf_cost(&fields, version).map_err(|what| {
        kdbx_malformed(
            path,
            &format!(
                "its key derivation asks for {what}, far beyond what KeePass sets; \
                 the file is damaged or was made to stall this program"
            ),
        )
    })
}

/// Where a KDBX 3 outer header ends (what its `HeaderHash` covers).
pub(super) fn kdbx3_header_end(data: &[u8]) -> Option<usize> {
    fields(data, Version::Kdbx3).map(|(_, end)| end)
}

/// The little-endian number of `len` bytes at `pos`.
fn number(data: &[u8], pos: usize, len: usize) -> Option<u64> {
    let bytes = data.get(pos..pos.checked_add(len)?)?;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0, |acc, b| acc << 8 | u64::from(*b)),
    )
}

/// A header field: its type and data.
type Field<'a> = (u8, &'a [u8]);

/// The header's fields and the offset just past the header.
fn fields(data: &[u8], version: Version) -> Option<(Vec<Field<'_>>, usize)> {
    let len_size = match version {
        Version::Kdbx3 => 2,
        Version::Kdbx4 => 4,
    };
    let mut out = Vec::new();
    let mut pos = 12;
    loop {
        let kind = *data.get(pos)?;
        let len = usize::try_from(number(data, pos + 1, len_size)?).ok()?;
        let start = pos + 1 + len_size;
        let value = data.get(start..start.checked_add(len)?)?;
        pos = start + len;
        if kind == 0 {
            return Some((out, pos));
        }
        out.push((kind, value));
    }
}

/// Whether a KDBX 4 block stream is whole: after the header, its SHA-256
/// and HMAC (64 bytes), blocks of HMAC (32 bytes), length (4) and data,
/// ending with an empty block. (The crate accepts a file whose final empty
/// block was cut off; KeePass does not.)
fn blocks_complete(data: &[u8], header_end: usize) -> bool {
    let mut pos = header_end.saturating_add(64);
    loop {
        let Some(len) = number(data, pos.saturating_add(32), 4) else {
            return false;
        };
        pos = pos.saturating_add(36).saturating_add(len as usize);
        if pos > data.len() {
            return false;
        }
        if len == 0 {
            return true;
        }
    }
}

/// `Err(what)` when the key derivation would take absurd time or memory.
fn kdf_cost(fields: &[Field<'_>], version: Version) -> Result<(), String> {
    let field = |kind: u8| fields.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v);
    let parameters: Vec<(&str, u64)> = match version {
        Version::Kdbx3 => field(KDBX3_ROUNDS)
            .and_then(|v| number(v, 0, v.len().min(8)))
            .map(|rounds| vec![("R", rounds)])
            .unwrap_or_default(),
        // Unreadable parameters are left to the crate to report.
        Version::Kdbx4 => field(KDBX4_KDF_PARAMETERS)
            .and_then(variant_numbers)
            .unwrap_or_default(),
    };
    let get = |name: &str| parameters.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    if let Some(rounds) = get("R").filter(|r| *r > MAX_AES_ROUNDS) {
        return Err(format!("{rounds} AES rounds"));
    }
    let memory = get("M").unwrap_or(0);
    if memory > MAX_ARGON2_MEMORY {
        return Err(format!("{} MiB of Argon2 memory", memory >> 20));
    }
    if memory.saturating_mul(get("I").unwrap_or(0)) > MAX_ARGON2_WORK {
        return Err("more Argon2 passes over its memory than any machine does in minutes".into());
    }
    if let Some(lanes) = get("P").filter(|p| *p > MAX_ARGON2_LANES) {
        return Err(format!("{lanes} Argon2 lanes"));
    }
    Ok(())
}

/// The numeric entries of a KDBX 4 variant dictionary: a 2-byte version,
/// then items of type (1 byte), key length (4), key, value length (4) and
/// value, closed by type 0.
fn variant_numbers(dictionary: &[u8]) -> Option<Vec<(&str, u64)>> {
    const NUMERIC: [u8; 4] = [0x04, 0x05, 0x0C, 0x0D];
    let mut out = Vec::new();
    let mut pos = 2;
    loop {
        let kind = *dictionary.get(pos)?;
        if kind == 0 {
            return Some(out);
        }
        let key_len = usize::try_from(number(dictionary, pos + 1, 4)?).ok()?;
        let key_start = pos + 5;
        let key = dictionary.get(key_start..key_start.checked_add(key_len)?)?;
        let value_len = usize::try_from(number(dictionary, key_start + key_len, 4)?).ok()?;
        let value_start = key_start + key_len + 4;
        let value = dictionary.get(value_start..value_start.checked_add(value_len)?)?;
        if NUMERIC.contains(&kind) && value_len <= 8 {
            out.push((std::str::from_utf8(key).ok()?, number(value, 0, value_len)?));
        }
        pos = value_start + value_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A KDBX 4 file: header fields, 64 bytes of hashes, the blocks.
    fn kdbx4(fields: &[(u8, Vec<u8>)], blocks: &[&[u8]]) -> Vec<u8> {
        let mut data = SIGNATURE.to_vec();
        data.extend(KEEPASS_2.to_le_bytes());
        data.extend([1, 0, 4, 0]);
        for (kind, value) in fields.iter().chain([&(0, Vec::new())]) {
            data.push(*kind);
            data.extend((value.len() as u32).to_le_bytes());
            data.extend(value);
        }
        data.extend([0u8; 64]);
        for block in blocks.iter().chain([&&[][..]]) {
            data.extend([0u8; 32]);
            data.extend((block.len() as u32).to_le_bytes());
            data.extend(*block);
        }
        data
    }

    fn argon2(memory: u64, iterations: u64, lanes: u32) -> Vec<u8> {
        let mut dictionary = vec![0, 1];
        let mut item = |kind: u8, key: &str, value: &[u8]| {
            dictionary.push(kind);
            dictionary.extend((key.len() as u32).to_le_bytes());
            dictionary.extend(key.as_bytes());
            dictionary.extend((value.len() as u32).to_le_bytes());
            dictionary.extend(value);
        };
        item(0x42, "$UUID", &[0x9E; 16]);
        item(0x05, "M", &memory.to_le_bytes());
        item(0x05, "I", &iterations.to_le_bytes());
        item(0x04, "P", &lanes.to_le_bytes());
        dictionary.push(0);
        dictionary
    }

    #[test]
    fn a_kdbx4_file_must_end_with_its_empty_block() {
        let path = Path::new("x.kdbx");
        let data = kdbx4(&[(2, vec![0xAA])], &[&[1, 2, 3]]);
        assert!(check(path, &data, Version::Kdbx4).is_ok());
        for len in 0..data.len() {
            assert!(
                check(path, &data[..len], Version::Kdbx4).is_err(),
                "cut at {len}"
            );
        }
    }

    #[test]
    fn absurd_key_derivation_is_refused_before_it_runs() {
        let path = Path::new("x.kdbx");
        let sane = kdbx4(&[(KDBX4_KDF_PARAMETERS, argon2(64 << 20, 20, 4))], &[]);
        assert!(check(path, &sane, Version::Kdbx4).is_ok());
        for (parameters, what) in [
            (argon2(8 << 30, 1, 1), "8192 MiB of Argon2 memory"),
            (argon2(1 << 30, 1000, 1), "more Argon2 passes"),
            (argon2(1 << 20, 1, 1 << 20), "1048576 Argon2 lanes"),
        ] {
            let data = kdbx4(&[(KDBX4_KDF_PARAMETERS, parameters)], &[]);
            let error = check(path, &data, Version::Kdbx4).unwrap_err().to_string();
            assert!(error.contains(what), "{error}");
        }
    }

    #[test]
    fn kdbx3_header_end_and_rounds_are_read() {
        let mut data = SIGNATURE.to_vec();
        data.extend(KEEPASS_2.to_le_bytes());
        data.extend([1, 0, 3, 0]);
        data.extend([KDBX3_ROUNDS, 8, 0]);
        data.extend(u64::MAX.to_le_bytes());
        data.extend([0, 4, 0, 13, 10, 13, 10]);
        data.extend([0xFF; 5]);
        assert_eq!(kdbx3_header_end(&data), Some(30));
        assert_eq!(kdbx3_header_end(&data[..29]), None);
        let error = check(Path::new("x"), &data, Version::Kdbx3).unwrap_err();
        assert!(error.to_string().contains("AES rounds"));
    }

    #[test]
    fn unknown_and_old_versions_are_told_apart() {
        let path = Path::new("x.kdbx");
        let mut head = SIGNATURE.to_vec();
        head.extend(KEEPASS_1.to_le_bytes());
        head.extend([0, 0, 1, 0]);
        assert!(matches!(
            version(path, &head),
            Err(ExchangeError::Unsupported { .. })
        ));
        head[4..8].copy_from_slice(&KEEPASS_2.to_le_bytes());
        head[10..12].copy_from_slice(&42u16.to_le_bytes());
        let error = version(path, &head).err().unwrap().to_string();
        assert!(error.contains("KDBX version 42.0"), "{error}");
        assert!(matches!(
            version(path, b"PK\x03\x04"),
            Err(ExchangeError::Malformed { .. })
        ));
    }
}
