//! Types that hold secrets: the master password, keys and decrypted fields.
//!
//! Every type here wipes its memory when dropped and prints only its type name
//! through `Debug`, so a stray `{:?}` in a log line or an error cannot leak what
//! it holds.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Text that must not leak: a password, a note, a username.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a string, taking ownership so no copy is left behind.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The text itself. Call sites are where secrets are used, so keep them few.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the text is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Compares two secrets in constant time (for equal lengths).
    pub fn ct_eq(&self, other: &SecretString) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(..)")
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// Secret bytes of any length: a key file's digest, a derived key stream.
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps bytes, taking ownership.
    pub fn new(value: Vec<u8>) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The bytes themselves.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(..)")
    }
}

/// A 256-bit symmetric key.
#[derive(Clone)]
pub struct Key256(Box<[u8; 32]>);

impl Key256 {
    /// Builds a key from bytes; the caller's copy should be zeroized by the caller.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut bytes = bytes;
        let key = Self(Box::new(bytes));
        bytes.zeroize();
        key
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> Self {
        let mut key = Self(Box::new([0u8; 32]));
        crate::core::crypto::fill_random(&mut key.0[..]);
        key
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for Key256 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key256(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_holds_no_secret() {
        let text = SecretString::from("hunter2-marker");
        let bytes = SecretBytes::new(b"bytes-marker".to_vec());
        let key = Key256::from_bytes([0x41; 32]);
        let printed = format!("{text:?} {bytes:?} {key:?} {:#?}", Some(&text));
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("bytes-marker"));
        assert!(!printed.contains("AAAA"));
        assert!(!printed.contains("65, 65"));
        assert!(printed.contains("SecretString(..)"));
    }

    #[test]
    fn blank_detection_counts_whitespace_as_empty() {
        assert!(SecretString::from(" \t\n").is_blank());
        assert!(!SecretString::from(" x ").is_blank());
    }

    #[test]
    fn constant_time_equality_matches_plain_equality() {
        let a = SecretString::from("same");
        assert!(a.ct_eq(&SecretString::from("same")));
        assert!(!a.ct_eq(&SecretString::from("diff")));
        assert!(!a.ct_eq(&SecretString::from("longer")));
    }
}
