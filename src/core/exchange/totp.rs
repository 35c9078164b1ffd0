//! The many ways exports store a TOTP secret, turned into one `otpauth://`
//! URI (what entries keep).
//!
//! Seen in the wild: full `otpauth://` URIs (kept as they are, padding and
//! parameters included), bare base32 secrets (often lower case, grouped with
//! spaces), `steam://SECRET`, and the KeePass plug-in conventions (a seed plus
//! a settings string, or separate secret, period, length and algorithm
//! values), which the KeePass reader passes to [`from_parts`].

/// How a TOTP code is computed, beyond its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpParams {
    /// Seconds per code.
    pub period: u32,
    /// Digits per code (5 for Steam).
    pub digits: u32,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Steam's own alphabet for codes.
    pub steam: bool,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self {
            period: 30,
            digits: 6,
            algorithm: "SHA1".to_owned(),
            steam: false,
        }
    }
}

/// Turns what an export holds into an `otpauth://` URI. `label` names the
/// account in the URI (the entry's title). Returns `None` for an empty
/// value; a value that is neither a URI nor base32 is returned as an error
/// message, so the importer can keep it as a field and warn.
pub fn normalize(raw: &str, label: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    // `get` rather than slicing: byte 10 or 8 may fall inside a character.
    let starts_with = |prefix: &str| {
        raw.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if starts_with("otpauth://") {
        return Ok(Some(raw.to_owned()));
    }
    if starts_with("steam://") {
        let params = TotpParams {
            digits: 5,
            steam: true,
            ..TotpParams::default()
        };
        return from_parts(&raw[8..], &params, label).map(Some);
    }
    from_parts(raw, &TotpParams::default(), label).map(Some)
}

/// Builds a URI from a base32 secret and its parameters. The secret may be
/// lower case, grouped with spaces or dashes, and padded or not.
pub fn from_parts(secret: &str, params: &TotpParams, label: &str) -> Result<String, String> {
    let cleaned: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let unpadded = cleaned.trim_end_matches('=');
    if unpadded.is_empty()
        || !unpadded
            .bytes()
            .all(|b| matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
    {
        return Err("the TOTP secret is not base32".to_owned());
    }
    let mut uri = format!(
        "otpauth://totp/{}?secret={unpadded}",
        percent_encode(if label.is_empty() { "TOTP" } else { label })
    );
    if params.period != 30 {
        uri.push_str(&format!("&period={}", params.period));
    }
    if params.digits != 6 {
        uri.push_str(&format!("&digits={}", params.digits));
    }
    if !params.algorithm.eq_ignore_ascii_case("SHA1") {
        uri.push_str(&format!(
            "&algorithm={}",
            params.algorithm.to_ascii_uppercase()
        ));
    }
    if params.steam {
        uri.push_str("&encoder=steam");
    }
    Ok(uri)
}

/// Base32 (RFC 4648) of raw secret bytes, for formats that store them in
/// hex or base64.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Percent-encodes a URI path segment (everything but unreserved bytes).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_kept_exactly() {
        let uri = "otpauth://totp/x?secret=GEZDGNBVGY%3D%3D%3D%3D%3D%3D&algorithm=SHA256&digits=8&period=60";
        assert_eq!(normalize(uri, "x").unwrap().as_deref(), Some(uri));
    }

    #[test]
    fn bare_secrets_become_uris() {
        assert_eq!(
            normalize("jbsw y3dp ehpk 3pxp", "My Bank")
                .unwrap()
                .unwrap(),
            "otpauth://totp/My%20Bank?secret=JBSWY3DPEHPK3PXP"
        );
        assert_eq!(normalize("  ", "x").unwrap(), None);
        assert!(normalize("not base32 at all!", "x").is_err());
    }

    #[test]
    fn multi_byte_text_across_the_prefix_length_is_an_error_not_a_panic() {
        assert!(normalize("aaaaaaaaa\u{e9}", "x").is_err());
        assert!(normalize("aaaaaaa\u{e9}", "x").is_err());
    }

    #[test]
    fn steam_secrets_keep_their_encoder() {
        assert_eq!(
            normalize("steam://ABCDEFGH", "Steam").unwrap().unwrap(),
            "otpauth://totp/Steam?secret=ABCDEFGH&digits=5&encoder=steam"
        );
    }

    #[test]
    fn parameters_other_than_the_defaults_are_written() {
        let params = TotpParams {
            period: 60,
            digits: 8,
            algorithm: "sha256".into(),
            steam: false,
        };
        assert_eq!(
            from_parts("GEZDGNBVGY======", &params, "a").unwrap(),
            "otpauth://totp/a?secret=GEZDGNBVGY&period=60&digits=8&algorithm=SHA256"
        );
    }

    #[test]
    fn base32_matches_the_rfc_vectors() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"Hello!\xDE\xAD\xBE\xEF"), "JBSWY3DPEHPK3PXP");
    }
}
