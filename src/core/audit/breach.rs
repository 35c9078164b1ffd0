//! What the audit needs from a breach database, whatever answers it (Have I
//! Been Pwned's range API with a cache, or an offline Pwned Passwords file).
//! The audit hashes passwords itself: a source only ever sees SHA-1 hashes.

/// A password's SHA-1 hash, the key of the Pwned Passwords database.
pub type Sha1 = [u8; 20];

/// The SHA-1 of a password's exact UTF-8 bytes.
pub fn sha1_of(password: &str) -> Sha1 {
    use sha1::Digest;
    sha1::Sha1::digest(password.as_bytes()).into()
}

/// Upper-case hex of a hash, as the range API spells it.
pub fn hex_upper(hash: &Sha1) -> String {
    hash.iter().map(|b| format!("{b:02X}")).collect()
}

/// What a breach source says about one hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreachAnswer {
    /// Seen in this many breaches' worth of passwords.
    Found(u64),
    /// Not in the database.
    NotFound,
    /// The check failed; the password's status is unknown. The reason names
    /// what failed (a timeout, an HTTP status), never the hash.
    Unknown(String),
}

/// A breach database.
pub trait BreachSource {
    /// Answers for each hash, in order. `progress(done, total)` is called
    /// as work completes (units are the source's own: prefixes fetched).
    fn lookup(
        &self,
        hashes: &[Sha1],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Vec<BreachAnswer>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_the_known_vector() {
        // SHA-1("Password"), the line KeePassXC's offline sample holds.
        assert_eq!(
            hex_upper(&sha1_of("Password")),
            "8BE3C943B1609FFFBFC51AAD666D0A04ADF83C9D"
        );
    }
}
