//! The rows of one range answer, and the hex spelling of hashes.
//!
//! A row is kept as the full 20-byte hash (prefix plus suffix) with its
//! count, in a sorted vector: about 28 bytes a row instead of a 35-character
//! string in a map, which matters when a cache holds hundreds of prefixes
//! of about a thousand rows each.

use super::error::BreachError;
use crate::core::audit::breach::{Sha1, hex_upper};

/// Hex digits in a range prefix.
pub(crate) const PREFIX_LEN: usize = 5;
/// Hex digits in a range suffix (40 minus the prefix).
pub(crate) const SUFFIX_LEN: usize = 35;

/// The non-padding rows the service returned for one prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RangeRows(Vec<(Sha1, u64)>);

impl RangeRows {
    /// Builds the set from rows in any order. A hash listed twice keeps
    /// its larger count (the service never does that; a damaged cache might).
    pub(crate) fn from_rows(mut rows: Vec<(Sha1, u64)>) -> Self {
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        rows.dedup_by(|later, earlier| later.0 == earlier.0);
        Self(rows)
    }

    /// How often `hash` was seen, if it is listed.
    pub(crate) fn count_of(&self, hash: &Sha1) -> Option<u64> {
        self.0
            .binary_search_by(|(row, _)| row.cmp(hash))
            .ok()
            .map(|at| self.0[at].1)
    }

    /// The rows, sorted by hash.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(Sha1, u64)> {
        self.0.iter()
    }
}

/// The first five upper-case hex digits of a hash: all the service sees.
pub(crate) fn prefix_of(hash: &Sha1) -> String {
    let mut hex = hex_upper(hash);
    hex.truncate(PREFIX_LEN);
    hex
}

/// The last 35 upper-case hex digits of a hash.
pub(crate) fn suffix_of(hash: &Sha1) -> String {
    hex_upper(hash).split_off(PREFIX_LEN)
}

/// Whether `text` is a well-formed prefix (five hex digits, any case).
pub(crate) fn is_prefix(text: &str) -> bool {
    text.len() == PREFIX_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Decodes 40 hex digits (any case) into a hash.
pub(crate) fn parse_hex_hash(hex: &[u8]) -> Option<Sha1> {
    if hex.len() != 40 {
        return None;
    }
    let mut hash = [0u8; 20];
    for (byte, pair) in hash.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(hash)
}

/// Joins a prefix and a suffix into the full hash.
pub(crate) fn join_hash(prefix: &str, suffix: &str) -> Option<Sha1> {
    if !is_prefix(prefix) || suffix.len() != SUFFIX_LEN {
        return None;
    }
    let mut hex = [0u8; 40];
    hex[..PREFIX_LEN].copy_from_slice(prefix.as_bytes());
    hex[PREFIX_LEN..].copy_from_slice(suffix.as_bytes());
    parse_hex_hash(&hex)
}

/// Parses a count: decimal digits only, at most what a `u64` holds.
pub(crate) fn parse_count(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Reads a range answer: `SUFFIX:COUNT` lines, CRLF or LF, whitespace
/// around lines and fields tolerated. Rows with count 0 are padding and are
/// dropped. Any line that does not parse makes the whole answer unusable:
/// guessing "not found" from half an answer could hide a breach.
pub(crate) fn parse_range_body(prefix: &str, body: &str) -> Result<RangeRows, BreachError> {
    let bad = |detail: String| BreachError::BadResponse { detail };
    let mut rows = Vec::new();
    let mut lines = 0usize;
    for (index, raw) in body.split('\n').enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let parsed = line.split_once(':').and_then(|(suffix, count)| {
            let hash = join_hash(prefix, suffix.trim())?;
            Some((hash, parse_count(count.trim().as_bytes())?))
        });
        match parsed {
            Some((_, 0)) => {}
            Some(row) => rows.push(row),
            None => return Err(bad(format!("line {} is not SUFFIX:COUNT", index + 1))),
        }
    }
    // Every prefix has entries, and padding adds hundreds more: an empty
    // answer comes from something other than the range API.
    if lines == 0 {
        return Err(bad("the answer is empty".into()));
    }
    Ok(RangeRows::from_rows(rows))
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::audit::breach::sha1_of;

    // SHA-1("Password") = 8BE3C943B1609FFFBFC51AAD666D0A04ADF83C9D.
    const SUFFIX: &str = "943B1609FFFBFC51AAD666D0A04ADF83C9D";

    #[test]
    fn prefix_and_suffix_split_the_upper_case_hex() {
        let hash = sha1_of("Password");
        assert_eq!(prefix_of(&hash), "8BE3C");
        assert_eq!(suffix_of(&hash), SUFFIX);
        assert_eq!(join_hash("8be3c", &SUFFIX.to_lowercase()), Some(hash));
    }

    #[test]
    fn padded_crlf_lower_case_answer_is_read() {
        let body = format!(
            "  {}:123\r\n0000000000000000000000000000000000A:0\r\n\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF: 7 \r\n",
            SUFFIX.to_lowercase()
        );
        let rows = parse_range_body("8BE3C", &body).unwrap();
        assert_eq!(rows.count_of(&sha1_of("Password")), Some(123));
        assert_eq!(rows.iter().count(), 2, "the padding row is dropped");
    }

    #[test]
    fn a_suffix_only_in_a_padding_row_is_not_listed() {
        let body = format!("{SUFFIX}:0\n");
        let rows = parse_range_body("8BE3C", &body).unwrap();
        assert_eq!(rows.count_of(&sha1_of("Password")), None);
    }

    #[test]
    fn one_bad_line_spoils_the_whole_answer() {
        for body in [
            format!("{SUFFIX}:12\nnot a row\n"),
            format!("{SUFFIX}:-1\n"),
            format!("{SUFFIX}1:3\n"),
            "<html>busy</html>".to_owned(),
            "   \r\n".to_owned(),
        ] {
            let err = parse_range_body("8BE3C", &body).unwrap_err();
            assert!(matches!(err, BreachError::BadResponse { .. }), "{body:?}");
            assert!(!err.to_string().contains("943B"), "no hash in the reason");
        }
    }

    #[test]
    fn counts_are_decimal_and_bounded() {
        assert_eq!(parse_count(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_count(b"18446744073709551616"), None);
        assert_eq!(parse_count(b"+5"), None);
        assert_eq!(parse_count(b""), None);
    }

    #[test]
    fn duplicate_rows_keep_the_larger_count() {
        let hash = sha1_of("Password");
        let rows = RangeRows::from_rows(vec![(hash, 3), (hash, 9), (hash, 5)]);
        assert_eq!(rows.count_of(&hash), Some(9));
        assert_eq!(rows.iter().count(), 1);
    }
}
