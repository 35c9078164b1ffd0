//! Reading a stored TOTP value into checked settings.
//!
//! The stored value is kept exactly as the user or an importer wrote it, so
//! this reader is lenient where authenticator apps are lenient (case,
//! grouping, padding, unknown parameters) and strict where a guess would
//! give a wrong code (an unknown algorithm, digits or a period out of range,
//! a secret that is not base32).

use totp_rs::Secret;
use zeroize::Zeroizing;

use super::{Algorithm, Kind, TotpError};

/// Codes have 6 to 10 digits (RFC 4226 allows 6 and up; a 31-bit value has
/// at most 10 decimal digits).
pub(super) const DIGITS: std::ops::RangeInclusive<u32> = 6..=10;
/// From one second to one day per code.
pub(super) const PERIOD: std::ops::RangeInclusive<u64> = 1..=86_400;

/// Everything a stored value says, the secret already decoded.
pub(super) struct Parsed {
    pub secret: Secret,
    pub algorithm: Algorithm,
    pub kind: Kind,
    pub period: u64,
    pub issuer: Option<String>,
    pub account: Option<String>,
}

impl Parsed {
    /// The defaults of Google Authenticator's URI format: SHA-1, 6 digits,
    /// 30 seconds.
    fn with_secret(secret: Secret) -> Self {
        Self {
            secret,
            algorithm: Algorithm::Sha1,
            kind: Kind::Digits(6),
            period: 30,
            issuer: None,
            account: None,
        }
    }
}

/// Reads an `otpauth://totp/` URI, a `steam://` secret or a bare base32
/// secret.
pub(super) fn parse(raw: &str) -> Result<Parsed, TotpError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(TotpError::Empty);
    }
    if let Some(rest) = strip_prefix_ignore_case(raw, "otpauth://") {
        return parse_uri(rest);
    }
    if let Some(rest) = strip_prefix_ignore_case(raw, "steam://") {
        let mut parsed = Parsed::with_secret(decode_secret(rest)?);
        parsed.kind = Kind::Steam;
        return Ok(parsed);
    }
    Ok(Parsed::with_secret(decode_secret(raw)?))
}

/// The part of a URI after `otpauth://`: `totp/LABEL?PARAMETERS`.
fn parse_uri(rest: &str) -> Result<Parsed, TotpError> {
    let (kind, rest) = rest.split_once('/').unwrap_or((rest, ""));
    if !kind.eq_ignore_ascii_case("totp") {
        return Err(TotpError::NotTimeBased);
    }
    // A fragment is not part of any parameter.
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));

    let mut secret = None;
    let mut algorithm = None;
    let mut digits = None;
    let mut period = None;
    let mut issuer = None;
    let mut steam = false;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        // The first of a repeated parameter counts, as in most readers.
        match name.to_ascii_lowercase().as_str() {
            "secret" if secret.is_none() => secret = Some(Zeroizing::new(value.to_owned())),
            "algorithm" if algorithm.is_none() => algorithm = Some(parse_algorithm(value)?),
            // Checked after the loop: Steam ignores it, wherever `encoder` is.
            "digits" if digits.is_none() => digits = Some(value),
            "period" if period.is_none() => period = Some(parse_period(value)?),
            "issuer" if issuer.is_none() => issuer = percent_decode(value, true),
            "encoder" => steam |= value.eq_ignore_ascii_case("steam"),
            _ => {}
        }
    }

    let secret = secret.ok_or(TotpError::NoSecret)?;
    let secret = Zeroizing::new(percent_decode(&secret, false).ok_or(TotpError::InvalidSecret)?);
    let mut parsed = Parsed::with_secret(decode_secret(&secret)?);
    let (label_issuer, account) = split_label(label);
    parsed.issuer = issuer.filter(|i| !i.is_empty()).or(label_issuer);
    parsed.account = account;
    parsed.algorithm = algorithm.unwrap_or(Algorithm::Sha1);
    parsed.period = period.unwrap_or(30);
    // Steam's codes are always five of its characters over HMAC-SHA-1,
    // whatever `digits` says (the importer writes `digits=5` beside it).
    parsed.kind = if steam {
        parsed.algorithm = Algorithm::Sha1;
        Kind::Steam
    } else {
        Kind::Digits(digits.map(parse_digits).transpose()?.unwrap_or(6))
    };
    Ok(parsed)
}

/// `Issuer:account`, percent-decoded; the separator may be encoded too.
fn split_label(label: &str) -> (Option<String>, Option<String>) {
    let Some(label) = percent_decode(label, false) else {
        return (None, None);
    };
    let non_empty = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    match label.split_once(':') {
        Some((issuer, account)) => (non_empty(issuer), non_empty(account)),
        None => (None, non_empty(&label)),
    }
}

fn parse_algorithm(value: &str) -> Result<Algorithm, TotpError> {
    // `SHA256`, `sha256`, `SHA-256` and KeePass's `HMAC-SHA-256` are one name.
    let name: String = value
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    match name.trim_start_matches("HMAC") {
        "SHA1" => Ok(Algorithm::Sha1),
        "SHA256" => Ok(Algorithm::Sha256),
        "SHA512" => Ok(Algorithm::Sha512),
        _ => Err(TotpError::UnknownAlgorithm),
    }
}

fn parse_digits(value: &str) -> Result<u8, TotpError> {
    let digits: Option<u32> = value.trim().parse().ok();
    match digits {
        Some(d) if DIGITS.contains(&d) => Ok(d as u8),
        _ => Err(TotpError::Digits {
            given: shown_number(value),
        }),
    }
}

fn parse_period(value: &str) -> Result<u64, TotpError> {
    let period: Option<u64> = value.trim().parse().ok();
    match period {
        Some(p) if PERIOD.contains(&p) => Ok(p),
        _ => Err(TotpError::Period {
            given: shown_number(value),
        }),
    }
}

/// A parameter's value for an error message: only a short plain number is
/// echoed, so a message never repeats arbitrary text from the stored value.
fn shown_number(value: &str) -> String {
    let value = value.trim();
    if !value.is_empty() && value.len() <= 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        value.to_owned()
    } else {
        "not a whole number".to_owned()
    }
}

/// Decodes base32 (RFC 4648) written as people write it: any case, grouped
/// with spaces or dashes, with or without `=` padding. totp-rs decodes only
/// upper-case, unpadded, ungrouped text, so that is what it is handed.
fn decode_secret(text: &str) -> Result<Secret, TotpError> {
    let cleaned: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    let unpadded = cleaned.trim_end_matches('=');
    if unpadded.is_empty() {
        return Err(TotpError::NoSecret);
    }
    let alphabet = |b: u8| matches!(b, b'A'..=b'Z' | b'2'..=b'7');
    // A length of 1, 3 or 6 past a multiple of 8 is not the encoding of any
    // bytes: a typo, not a secret.
    if !unpadded.bytes().all(alphabet) || matches!(unpadded.len() % 8, 1 | 3 | 6) {
        return Err(TotpError::InvalidSecret);
    }
    Secret::try_from_base32(unpadded).map_err(|_| TotpError::InvalidSecret)
}

/// `%XX` escapes (and `+` as a space in query values) to UTF-8 text.
fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    // A copy, so that the buffer is wiped even when it is not UTF-8.
    std::str::from_utf8(&out).ok().map(str::to_owned)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}
