//! Sealing and opening records with XChaCha20-Poly1305, and the small
//! primitives around it (randomness, key splitting, verifiers).
//!
//! A sealed blob is `nonce (24 bytes) || ciphertext || tag (16 bytes)`. Every
//! blob gets a fresh random nonce; 192-bit nonces make random choice safe for
//! any number of records under one key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::core::secret::Key256;

/// Length of the random nonce at the start of every sealed blob.
pub const NONCE_LEN: usize = 24;
/// Length of the authentication tag at the end of every sealed blob.
pub const TAG_LEN: usize = 16;

/// Sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The blob was altered, truncated, sealed under another key, or moved
    /// from another place (its associated data no longer matches).
    #[error("failed its integrity check (the data was altered, truncated or moved)")]
    Integrity,
}

/// Fills `buf` from the operating system's random source.
pub fn fill_random(buf: &mut [u8]) {
    OsRng.fill_bytes(buf);
}

/// Returns `N` random bytes.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// Seals `plaintext` under `key`, binding it to `aad`.
pub fn seal(key: &Key256, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let nonce_bytes: [u8; NONCE_LEN] = random_array();
    let nonce = XNonce::from_slice(&nonce_bytes);
    let body = cipher
        .encrypt(
            nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        // Encryption fails only for messages beyond 256 GiB, which no record reaches.
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + body.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&body);
    out
}

/// Opens a blob made by [`seal`] with the same key and associated data.
pub fn open(key: &Key256, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Integrity);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Integrity)
}

/// Seals `plaintext` under a nonce the caller chose, returning
/// `ciphertext || tag` (no nonce). For formats that derive each nonce from
/// a position, such as the chunks of an encrypted backup; the caller must
/// never use one nonce twice under one key.
pub fn seal_with_nonce(
    key: &Key256,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        // Encryption fails only for messages beyond 256 GiB; chunks are far smaller.
        .unwrap_or_default()
}

/// Opens `ciphertext || tag` made by [`seal_with_nonce`] with the same key,
/// nonce and associated data.
pub fn open_with_nonce(
    key: &Key256,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < TAG_LEN {
        return Err(CryptoError::Integrity);
    }
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Integrity)
}

/// Derives a 256-bit subkey from input key material for one purpose.
///
/// `info` names the purpose, so keys for different purposes are independent.
pub fn hkdf_subkey(ikm: &[u8], info: &[u8]) -> Key256 {
    let hk = Hkdf::<Sha256>::new(None, ikm);
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's output limit, so expand cannot fail.
    let _ = hk.expand(info, &mut okm[..]);
    Key256::from_bytes(*okm)
}

/// A keyed digest used to verify a key without storing the key.
pub fn verifier(key: &Key256, label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// Compares two byte strings in constant time.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// SHA-256 of some bytes.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    Sha256::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blob_opens_only_with_same_key_and_aad() {
        let key = Key256::random();
        let blob = seal(&key, b"entries|1", b"secret");
        assert_eq!(&open(&key, b"entries|1", &blob).unwrap()[..], b"secret");
        assert_eq!(open(&key, b"entries|2", &blob), Err(CryptoError::Integrity));
        assert_eq!(
            open(&Key256::random(), b"entries|1", &blob),
            Err(CryptoError::Integrity)
        );
    }

    #[test]
    fn flipped_or_truncated_blob_fails_integrity() {
        let key = Key256::random();
        let mut blob = seal(&key, b"a", b"secret");
        blob[30] ^= 1;
        assert_eq!(open(&key, b"a", &blob), Err(CryptoError::Integrity));
        assert_eq!(open(&key, b"a", &blob[..10]), Err(CryptoError::Integrity));
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let key = Key256::random();
        assert_ne!(
            seal(&key, b"", b"x")[..NONCE_LEN],
            seal(&key, b"", b"x")[..NONCE_LEN]
        );
    }

    #[test]
    fn a_chosen_nonce_must_match_to_open() {
        let key = Key256::random();
        let nonce = [5u8; NONCE_LEN];
        let sealed = seal_with_nonce(&key, &nonce, b"h", b"chunk");
        assert_eq!(sealed.len(), 5 + TAG_LEN);
        assert_eq!(
            &open_with_nonce(&key, &nonce, b"h", &sealed).unwrap()[..],
            b"chunk"
        );
        let mut other = nonce;
        other[23] ^= 1;
        assert!(open_with_nonce(&key, &other, b"h", &sealed).is_err());
        assert!(open_with_nonce(&key, &nonce, b"x", &sealed).is_err());
        assert!(open_with_nonce(&key, &nonce, b"h", &sealed[..10]).is_err());
    }

    #[test]
    fn subkeys_differ_by_purpose() {
        let a = hkdf_subkey(b"material", b"one");
        let b = hkdf_subkey(b"material", b"two");
        assert_ne!(a.expose(), b.expose());
    }
}
