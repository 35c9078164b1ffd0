//! What an authenticator app shows, computed here on its own (RFC 6238
//! with SHA-1, 6 digits, 30 s steps), so the product's codes are checked
//! against an independent implementation.

use hmac::{Hmac, Mac};

/// RFC 4648 base32 without padding, as authenticator apps read it.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut out) = (0u64, 0, Vec::new());
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_uppercase())
            .expect("a base32 character") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The code for `secret` at `unix` seconds.
pub fn code(secret: &[u8], unix: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

/// The code for a base32 `key` at `unix` seconds.
pub fn code_for_key(key: &str, unix: u64) -> String {
    code(&base32_decode(key), unix)
}

/// Seconds since the epoch now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
