//! The ways KeePass users store TOTP secrets, turned into one `otpauth://`
//! URI.
//!
//! Three conventions are in use, and one entry may carry more than one
//! (KeePassXC kept writing the old pair for a while after adopting `otp`):
//!
//! - KeePassXC: `otp`, an `otpauth://` URI or KeeOtp's query form
//!   `key=SECRET&step=30&size=6&otpHashMode=Sha256`;
//! - KeePass 2.47+: `TimeOtp-Secret-Base32` (or `-Hex`, `-Base64`, or the
//!   plain UTF-8 `TimeOtp-Secret`) with `TimeOtp-Period`, `TimeOtp-Length`
//!   and `TimeOtp-Algorithm`;
//! - KeeTrayTOTP: `TOTP Seed` with `TOTP Settings` (`30;6`, or `30;S` for
//!   Steam).
//!
//! The first convention that decodes gives the URI; the strings of every
//! convention that decodes to the same secret are consumed. Strings that do
//! not decode (or name a different secret) stay as hidden fields, with a
//! warning, so nothing is lost.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::model::KpEntry;
use crate::core::exchange::totp::{self, TotpParams};
use crate::core::secret::SecretString;

/// What an entry's TOTP strings amount to.
#[derive(Default)]
pub(super) struct Found {
    /// The URI to store, if any convention decoded.
    pub uri: Option<SecretString>,
    /// Keys of strings folded into the URI (not kept as fields).
    pub consumed: Vec<String>,
    /// Keys of TOTP strings kept as fields, which must be hidden.
    pub kept: Vec<String>,
    /// Why some were kept (no secrets in it).
    pub warning: Option<String>,
}

/// One convention's strings on an entry and what they decode to.
struct Convention {
    keys: Vec<String>,
    decoded: Result<String, String>,
}

const TIME_OTP_SECRETS: [&str; 4] = [
    "TimeOtp-Secret-Base32",
    "TimeOtp-Secret",
    "TimeOtp-Secret-Hex",
    "TimeOtp-Secret-Base64",
];
const TIME_OTP_PARAMS: [&str; 3] = ["TimeOtp-Period", "TimeOtp-Length", "TimeOtp-Algorithm"];

/// Finds the entry's TOTP secret; `label` names the account in the URI.
pub(super) fn find(entry: &KpEntry, label: &str) -> Found {
    let conventions = [
        keepassxc(entry, label),
        time_otp(entry, label),
        tray_totp(entry, label),
    ];
    let mut found = Found::default();
    let mut problems = Vec::new();
    for convention in conventions.into_iter().flatten() {
        match convention.decoded {
            Ok(uri) => {
                let same = found
                    .uri
                    .as_ref()
                    .is_none_or(|first| uri_secret(first.expose()) == uri_secret(&uri));
                if same {
                    found.uri.get_or_insert_with(|| SecretString::new(uri));
                    found.consumed.extend(convention.keys);
                } else {
                    problems.push("a second TOTP secret differs from the first".to_owned());
                    found.kept.extend(convention.keys);
                }
            }
            Err(reason) => {
                problems.push(reason);
                found.kept.extend(convention.keys);
            }
        }
    }
    if !problems.is_empty() {
        found.warning = Some(format!(
            "{}: {}; its TOTP strings were kept as hidden fields",
            entry.location,
            problems.join(", ")
        ));
    }
    found
}

/// KeePassXC's `otp` string.
fn keepassxc(entry: &KpEntry, label: &str) -> Option<Convention> {
    let value = entry.get("otp")?.expose().trim();
    let decoded = if value.len() >= 10 && value[..10].eq_ignore_ascii_case("otpauth://") {
        Ok(value.to_owned())
    } else if value.contains('=') {
        keeotp(value, label)
    } else {
        totp::normalize(value, label)
            .and_then(|uri| uri.ok_or_else(|| "the otp string is empty".to_owned()))
    };
    Some(Convention {
        keys: vec!["otp".to_owned()],
        decoded,
    })
}

/// KeeOtp's `key=...&step=...&size=...&otpHashMode=...` form.
fn keeotp(query: &str, label: &str) -> Result<String, String> {
    let mut params = TotpParams::default();
    let mut secret = None;
    let mut encoding = "base32".to_owned();
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).ok_or("the otp string is not valid percent-encoding")?;
        match name.to_ascii_lowercase().as_str() {
            "key" => secret = Some(SecretString::new(value)),
            "step" => params.period = parse_number(&value, 1..=86_400, "step")?,
            "size" => params.digits = parse_number(&value, 4..=10, "size")?,
            "otphashmode" => params.algorithm = value.to_ascii_uppercase(),
            "encoding" => encoding = value.to_ascii_lowercase(),
            "type" if !value.eq_ignore_ascii_case("totp") => {
                return Err("the otp string is not time-based (TOTP)".to_owned());
            }
            _ => {}
        }
    }
    let secret = secret.ok_or("the otp string has no key")?;
    let base32 = match encoding.as_str() {
        "base32" => secret,
        "base64" => bytes_to_base32(decode_base64(secret.expose()))?,
        "hex" => bytes_to_base32(decode_hex(secret.expose()))?,
        "utf8" | "utf-8" => SecretString::new(totp::base32(secret.expose().as_bytes())),
        _ => return Err("the otp string names an unknown key encoding".to_owned()),
    };
    check_algorithm(&params.algorithm)?;
    totp::from_parts(base32.expose(), &params, label)
}

/// KeePass 2.47+'s `TimeOtp-*` strings.
fn time_otp(entry: &KpEntry, label: &str) -> Option<Convention> {
    let (secret_key, secret) = TIME_OTP_SECRETS
        .iter()
        .find_map(|key| entry.get(key).map(|value| (*key, value)))?;
    let keys: Vec<String> = TIME_OTP_SECRETS
        .iter()
        .chain(&TIME_OTP_PARAMS)
        .filter(|key| entry.get(key).is_some())
        .map(|key| (*key).to_owned())
        .collect();
    let decoded = (|| {
        let base32 = match secret_key {
            "TimeOtp-Secret-Base32" => secret.clone(),
            "TimeOtp-Secret" => SecretString::new(totp::base32(secret.expose().as_bytes())),
            "TimeOtp-Secret-Hex" => bytes_to_base32(decode_hex(secret.expose()))?,
            _ => bytes_to_base32(decode_base64(secret.expose()))?,
        };
        let mut params = TotpParams::default();
        if let Some(period) = entry.get("TimeOtp-Period") {
            params.period = parse_number(period.expose(), 1..=86_400, "TimeOtp-Period")?;
        }
        if let Some(length) = entry.get("TimeOtp-Length") {
            params.digits = parse_number(length.expose(), 4..=10, "TimeOtp-Length")?;
        }
        if let Some(algorithm) = entry.get("TimeOtp-Algorithm") {
            // KeePass writes `HMAC-SHA-256`; URIs say `SHA256`.
            let name = algorithm.expose().trim().to_ascii_uppercase();
            params.algorithm = name.trim_start_matches("HMAC-").replace('-', "");
        }
        check_algorithm(&params.algorithm)?;
        totp::from_parts(base32.expose(), &params, label)
    })();
    Some(Convention { keys, decoded })
}

/// KeeTrayTOTP's `TOTP Seed` and `TOTP Settings`.
fn tray_totp(entry: &KpEntry, label: &str) -> Option<Convention> {
    let seed = entry.get("TOTP Seed")?;
    let settings = entry.get("TOTP Settings");
    let mut keys = vec!["TOTP Seed".to_owned()];
    if settings.is_some() {
        keys.push("TOTP Settings".to_owned());
    }
    let decoded = (|| {
        let mut params = TotpParams::default();
        if let Some(settings) = settings {
            let mut parts = settings.expose().split(';').map(str::trim);
            if let Some(period) = parts.next().filter(|p| !p.is_empty()) {
                params.period = parse_number(period, 1..=86_400, "TOTP Settings")?;
            }
            match parts.next() {
                Some("S") | Some("s") => {
                    params.digits = 5;
                    params.steam = true;
                }
                Some(digits) if !digits.is_empty() => {
                    params.digits = parse_number(digits, 4..=10, "TOTP Settings")?;
                }
                _ => {}
            }
        }
        let seed = seed.expose().trim();
        if seed.len() >= 10 && seed[..10].eq_ignore_ascii_case("otpauth://") {
            return Ok(seed.to_owned());
        }
        totp::from_parts(seed, &params, label)
    })();
    Some(Convention { keys, decoded })
}

fn check_algorithm(name: &str) -> Result<(), String> {
    if matches!(name, "SHA1" | "SHA256" | "SHA512") {
        Ok(())
    } else {
        Err("the TOTP algorithm is not SHA-1, SHA-256 or SHA-512".to_owned())
    }
}

fn parse_number(
    text: &str,
    range: std::ops::RangeInclusive<u32>,
    what: &str,
) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{what} is not a number from {} to {}",
                range.start(),
                range.end()
            )
        })
}

fn bytes_to_base32(bytes: Option<zeroize::Zeroizing<Vec<u8>>>) -> Result<SecretString, String> {
    let bytes = bytes
        .filter(|b| !b.is_empty())
        .ok_or("the TOTP secret is not valid hex or base64")?;
    Ok(SecretString::new(totp::base32(&bytes)))
}

/// Hex digits, whitespace ignored.
pub(super) fn decode_hex(text: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let digits: zeroize::Zeroizing<Vec<u8>> =
        zeroize::Zeroizing::new(text.bytes().filter(|b| !b.is_ascii_whitespace()).collect());
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let value = |b: u8| char::from(b).to_digit(16);
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(digits.len() / 2));
    for pair in digits.chunks_exact(2) {
        let byte = value(pair[0])? * 16 + value(pair[1])?;
        out.push(u8::try_from(byte).ok()?);
    }
    Some(out)
}

fn decode_base64(text: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let cleaned: zeroize::Zeroizing<String> =
        zeroize::Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
    B64.decode(cleaned.as_bytes())
        .ok()
        .map(zeroize::Zeroizing::new)
}

/// `%XX` escapes and `+` as space, as in a URL query.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The `secret` parameter of a URI, upper case and without padding, to
/// tell whether two conventions hold the same secret.
fn uri_secret(uri: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    let value = query.split('&').find_map(|pair| {
        pair.strip_prefix("secret=")
            .or(pair.strip_prefix("SECRET="))
    })?;
    let value = percent_decode(value)?;
    Some(value.trim_end_matches('=').to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::exchange::keepass::model::KpString;

    fn entry(strings: &[(&str, &str)]) -> KpEntry {
        KpEntry {
            location: "line 7".into(),
            strings: strings
                .iter()
                .map(|(k, v)| KpString {
                    key: (*k).into(),
                    value: (*v).into(),
                    protected: false,
                })
                .collect(),
            ..KpEntry::default()
        }
    }

    #[test]
    fn keepassxc_uris_are_kept_as_written() {
        let uri = "otpauth://totp/KeePassXC:none?secret=JBSWY3DPEHPK3PXP&period=30&digits=6";
        let found = find(&entry(&[("otp", uri)]), "x");
        assert_eq!(found.uri.unwrap().expose(), uri);
        assert_eq!(found.consumed, ["otp"]);
        assert!(found.warning.is_none());
    }

    #[test]
    fn keeotp_queries_become_uris() {
        let found = find(
            &entry(&[(
                "otp",
                "key=JBSWY3DPEHPK3PXP&step=60&size=8&otpHashMode=Sha256",
            )]),
            "Bank",
        );
        assert_eq!(
            found.uri.unwrap().expose(),
            "otpauth://totp/Bank?secret=JBSWY3DPEHPK3PXP&period=60&digits=8&algorithm=SHA256"
        );
    }

    #[test]
    fn time_otp_strings_in_each_encoding_give_the_same_uri() {
        let expected =
            "otpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP&period=45&digits=8&algorithm=SHA512";
        let params = [
            ("TimeOtp-Period", "45"),
            ("TimeOtp-Length", "8"),
            ("TimeOtp-Algorithm", "HMAC-SHA-512"),
        ];
        for secret in [
            ("TimeOtp-Secret-Base32", "JBSWY3DPEHPK3PXP"),
            ("TimeOtp-Secret-Hex", "48656c6c6f21 deadbeef"),
            ("TimeOtp-Secret-Base64", "SGVsbG8h3q2+7w=="),
        ] {
            let mut strings = vec![secret];
            strings.extend(params);
            let found = find(&entry(&strings), "Mail");
            assert_eq!(found.uri.unwrap().expose(), expected, "{}", secret.0);
            assert_eq!(found.consumed.len(), 4);
        }
        let utf8 = find(&entry(&[("TimeOtp-Secret", "Hello!")]), "Mail");
        assert_eq!(
            utf8.uri.unwrap().expose(),
            "otpauth://totp/Mail?secret=JBSWY3DPEE"
        );
    }

    #[test]
    fn steam_settings_give_five_steam_digits() {
        let found = find(
            &entry(&[("TOTP Seed", "JBSWY3DPEHPK3PXP"), ("TOTP Settings", "30;S")]),
            "Steam",
        );
        assert_eq!(
            found.uri.unwrap().expose(),
            "otpauth://totp/Steam?secret=JBSWY3DPEHPK3PXP&digits=5&encoder=steam"
        );
        assert_eq!(found.consumed, ["TOTP Seed", "TOTP Settings"]);
    }

    #[test]
    fn undecodable_secrets_stay_as_hidden_fields_with_a_warning() {
        let found = find(&entry(&[("TimeOtp-Secret-Hex", "not hex!")]), "x");
        assert!(found.uri.is_none());
        assert_eq!(found.kept, ["TimeOtp-Secret-Hex"]);
        let warning = found.warning.unwrap();
        assert!(warning.starts_with("line 7: "), "{warning}");
        assert!(!warning.contains("not hex!"));
    }

    #[test]
    fn duplicate_conventions_are_consumed_and_different_ones_kept() {
        let same = find(
            &entry(&[
                ("otp", "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP"),
                ("TOTP Seed", "jbsw y3dp ehpk 3pxp"),
                ("TOTP Settings", "30;6"),
            ]),
            "a",
        );
        assert_eq!(same.consumed, ["otp", "TOTP Seed", "TOTP Settings"]);
        let different = find(
            &entry(&[
                ("otp", "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP"),
                ("TOTP Seed", "GEZDGNBV"),
            ]),
            "a",
        );
        assert_eq!(different.consumed, ["otp"]);
        assert_eq!(different.kept, ["TOTP Seed"]);
        assert!(different.warning.is_some());
    }
}
