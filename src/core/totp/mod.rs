//! Two-factor codes (TOTP, RFC 6238) from an entry's stored value.
//!
//! Entries keep what the user or an importer wrote (`entry.totp`): most often
//! an `otpauth://totp/` URI, sometimes a `steam://` secret or a bare base32
//! secret. [`Totp::parse`] reads any of these, checks every parameter, and
//! hands totp-rs only values it accepts; totp-rs computes the HMAC and the
//! code. A value that cannot give a correct code is an error, never a guess:
//! no code is better than a wrong one. The stored value itself is never
//! changed here.

mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

use totp_rs::Builder;

use crate::core::secret::SecretString;

/// RFC 4226 asks for secrets of at least 128 bits; shorter ones still work.
const RECOMMENDED_SECRET_BITS: usize = 128;

/// Why a stored value gives no code. Messages never quote the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// Nothing is stored.
    #[error("the entry has no TOTP secret")]
    Empty,
    /// A URI without a `secret` parameter, or an empty secret.
    #[error("not a valid TOTP secret: the value has no secret; set the entry's TOTP again")]
    NoSecret,
    /// The secret is not base32.
    #[error(
        "not a valid TOTP secret: it is not base32 (letters A-Z and digits 2-7); \
         check it against the site's setup page and set the entry's TOTP again"
    )]
    InvalidSecret,
    /// An `otpauth://hotp/` (counter-based) or otherwise unknown URI.
    #[error("the TOTP value is not time-based (only otpauth://totp/ URIs give codes)")]
    NotTimeBased,
    /// An algorithm other than SHA-1, SHA-256 or SHA-512.
    #[error("the TOTP algorithm is not SHA1, SHA256 or SHA512")]
    UnknownAlgorithm,
    /// `digits` out of range.
    #[error("the TOTP value's digits parameter is {given}; codes have 6 to 10 digits")]
    Digits {
        /// The number given, or "not a whole number".
        given: String,
    },
    /// `period` out of range.
    #[error("the TOTP value's period parameter is {given}; it must be 1 to 86400 seconds")]
    Period {
        /// The number given, or "not a whole number".
        given: String,
    },
}

/// Something that works but deserves the user's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TotpWarning {
    /// The secret is shorter than RFC 4226 recommends (80 bits is common).
    ShortSecret {
        /// Its length in bits.
        bits: usize,
    },
}

impl fmt::Display for TotpWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShortSecret { bits } => write!(
                f,
                "The secret is only {bits} bits long (at least {RECOMMENDED_SECRET_BITS} are \
                 recommended); codes work, but ask the site for a new one if it offers it."
            ),
        }
    }
}

/// The HMAC behind a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA-1, the default.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name as URIs write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }
}

/// What a code looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Decimal digits (6 to 10).
    Digits(u8),
    /// Steam Guard: 5 characters from Steam's alphabet.
    Steam,
}

/// A code generator for one entry. Holds the decoded secret, which is wiped
/// when dropped and never printed.
pub struct Totp {
    generator: totp_rs::Totp,
    algorithm: Algorithm,
    kind: Kind,
    period: u64,
    issuer: Option<String>,
    account: Option<String>,
    warnings: Vec<TotpWarning>,
}

impl Totp {
    /// Reads a stored value: an `otpauth://totp/` URI, `steam://SECRET`, or
    /// a bare base32 secret (SHA-1, 6 digits, 30 seconds).
    pub fn parse(stored: &str) -> Result<Self, TotpError> {
        let parsed = parse::parse(stored)?;
        let bits = parsed.secret.len() * 8;
        let warnings = if bits < RECOMMENDED_SECRET_BITS {
            vec![TotpWarning::ShortSecret { bits }]
        } else {
            Vec::new()
        };

        // Every value was checked above; the non-compliant build lets short
        // secrets and 9 or 10 digits through, which totp-rs would refuse.
        let (algorithm, digits) = match parsed.kind {
            Kind::Steam => (totp_rs::Algorithm::Steam, 5),
            Kind::Digits(digits) => (library_algorithm(parsed.algorithm), digits),
        };
        let generator = Builder::new()
            .with_algorithm(algorithm)
            .with_digits(digits)
            .with_step_duration(parsed.period)
            .with_secret(parsed.secret)
            .build_noncompliant();
        Ok(Self {
            generator,
            algorithm: parsed.algorithm,
            kind: parsed.kind,
            period: parsed.period,
            issuer: parsed.issuer,
            account: parsed.account,
            warnings,
        })
    }

    /// The code at a moment (Unix seconds), without spaces.
    pub fn code_at(&self, unix_secs: u64) -> SecretString {
        match self.kind {
            // totp-rs keeps codes in a u32 and panics at 10 digits, where the
            // code is the whole 31-bit truncated value (RFC 4226 section
            // 5.3), zero-padded; that truncation is done here from its HMAC.
            Kind::Digits(10) => {
                let signature = self.generator.sign(unix_secs);
                let value = truncate(signature.as_ref());
                SecretString::new(format!("{value:010}"))
            }
            _ => SecretString::new(self.generator.generate(unix_secs).to_string()),
        }
    }

    /// Seconds until the code at `unix_secs` changes (1 to the period).
    pub fn seconds_left(&self, unix_secs: u64) -> u64 {
        self.period - unix_secs % self.period
    }

    /// Seconds per code.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// Characters per code (5 for Steam).
    pub fn digits(&self) -> u8 {
        match self.kind {
            Kind::Digits(digits) => digits,
            Kind::Steam => 5,
        }
    }

    /// Decimal digits or Steam's characters.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The HMAC's hash (SHA-1 for Steam).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The issuer: the `issuer` parameter, else the label's `Issuer:` part.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The account named in the label.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// What the user should know about this secret.
    pub fn warnings(&self) -> &[TotpWarning] {
        &self.warnings
    }
}

/// Only the shape: the secret, the label and the codes stay out of logs.
impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("algorithm", &self.algorithm)
            .field("kind", &self.kind)
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// A code split into groups for reading aloud or typing: `123 456`,
/// `1234 5678`, `123 456 789`. Steam's five characters stay together.
pub fn grouped(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let groups: Vec<String> = match chars.len() {
        n if n < 6 => return code.to_owned(),
        n if n % 3 == 0 => chars.chunks(3).map(|c| c.iter().collect()).collect(),
        n => {
            let (first, second) = chars.split_at(n / 2);
            vec![first.iter().collect(), second.iter().collect()]
        }
    };
    groups.join(" ")
}

fn library_algorithm(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

/// RFC 4226's dynamic truncation: 31 bits at the offset named by the last
/// byte's low nibble.
fn truncate(signature: &[u8]) -> u32 {
    let offset = usize::from(signature[signature.len() - 1] & 0x0f);
    let bytes = [
        signature[offset],
        signature[offset + 1],
        signature[offset + 2],
        signature[offset + 3],
    ];
    u32::from_be_bytes(bytes) & 0x7fff_ffff
}
