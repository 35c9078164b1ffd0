//! One record as text, the header's columns, and the entry being built from
//! a record.

use std::borrow::Cow;

use zeroize::Zeroize;

use super::source::Encoding;
use crate::core::entries::{CustomField, Entry};
use crate::core::secret::SecretString;

/// A record's cells, decoded. Cells that needed converting are owned and
/// wiped when the row is dropped.
pub(super) struct Row<'r> {
    cells: Vec<Cow<'r, str>>,
}

impl<'r> Row<'r> {
    /// Decodes a record; a CRLF inside a cell becomes a plain line feed.
    pub(super) fn decode(record: &'r csv::ByteRecord, encoding: Encoding) -> Self {
        let cells = record
            .iter()
            .map(|bytes| {
                let text = encoding.decode(bytes);
                if !text.contains("\r\n") {
                    return text;
                }
                let unified = text.replace("\r\n", "\n");
                if let Cow::Owned(mut old) = text {
                    old.zeroize();
                }
                Cow::Owned(unified)
            })
            .collect();
        Self { cells }
    }

    /// The cell in column `col`; empty when the column is not mapped or the
    /// row is shorter than the header.
    pub(super) fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|i| self.cells.get(i))
            .map_or("", |cell| cell.as_ref())
    }

    /// The cell in column `col`, as a secret.
    pub(super) fn secret(&self, col: Option<usize>) -> SecretString {
        self.get(col).into()
    }

    /// How many cells the record has.
    pub(super) fn len(&self) -> usize {
        self.cells.len()
    }

    /// The cells, in order.
    pub(super) fn cells(&self) -> impl Iterator<Item = &str> {
        self.cells.iter().map(|c| c.as_ref())
    }
}

impl Drop for Row<'_> {
    fn drop(&mut self) {
        for cell in &mut self.cells {
            if let Cow::Owned(text) = cell {
                text.zeroize();
            }
        }
    }
}

/// The header row: column names as written, and trimmed lower-case for
/// matching.
pub(super) struct Columns {
    names: Vec<String>,
    keys: Vec<String>,
}

impl Columns {
    /// Columns from the header cells.
    pub(super) fn new(names: Vec<String>) -> Self {
        let keys = names.iter().map(|n| n.trim().to_lowercase()).collect();
        Self { names, keys }
    }

    /// The first column whose name is one of `any_of` (lower case).
    pub(super) fn find(&self, any_of: &[&str]) -> Option<usize> {
        any_of
            .iter()
            .find_map(|want| self.keys.iter().position(|k| k == want))
    }

    /// Whether every one of `names` (lower case) is a column.
    pub(super) fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.keys.iter().any(|k| k == n))
    }

    /// The name of column `i` as written, trimmed.
    pub(super) fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("", |n| n.trim())
    }

    /// The lower-case names.
    pub(super) fn keys(&self) -> &[String] {
        &self.keys
    }

    /// How many columns the header has.
    pub(super) fn len(&self) -> usize {
        self.names.len()
    }
}

/// An entry being built from one record, with its TOTP value as the file
/// had it (normalised once the title is final).
#[derive(Default)]
pub(super) struct Draft {
    /// The entry so far.
    pub entry: Entry,
    /// The TOTP cell, raw.
    pub totp: SecretString,
}

impl Draft {
    /// Whether the record gave the entry nothing at all.
    pub(super) fn is_empty(&self) -> bool {
        let e = &self.entry;
        [&e.title, &e.username, &e.password, &e.notes, &self.totp]
            .iter()
            .all(|t| t.is_blank())
            && e.urls.is_empty()
            && e.fields.is_empty()
    }

    /// Adds a URL unless it is blank or already there.
    pub(super) fn add_url(&mut self, url: &str) {
        let url = url.trim();
        if !url.is_empty() && !self.entry.urls.iter().any(|u| u.expose() == url) {
            self.entry.urls.push(url.into());
        }
    }

    /// Adds a custom field, renaming it `name (2)`, `name (3)`... when the
    /// entry already has one by that name (entries need unique names).
    pub(super) fn add_field(&mut self, name: &str, value: SecretString, hidden: bool) {
        let name = match name.trim() {
            "" => "Field",
            trimmed => trimmed,
        };
        let taken = |n: &str| self.entry.fields.iter().any(|f| f.name.expose() == n);
        let mut unique = name.to_owned();
        let mut n = 2;
        while taken(&unique) {
            unique = format!("{name} ({n})");
            n += 1;
        }
        self.entry.fields.push(CustomField {
            name: unique.into(),
            value,
            hidden,
        });
    }

    /// Keeps a value from a column the entry has no place for: nothing if it
    /// is blank or repeats the username or password; a paragraph of the notes
    /// if it spans lines (custom fields are one line); else a custom field,
    /// hidden when its name sounds secret.
    pub(super) fn add_extra(&mut self, label: &str, value: &str) {
        let value = value.trim();
        let e = &self.entry;
        if value.is_empty() || value == e.username.expose() || value == e.password.expose() {
            return;
        }
        let label = label.trim();
        // A repeat of a field already kept under this label (1Password for
        // Mac writes some values in two columns of the same name).
        let same =
            |f: &CustomField| f.value.expose() == value && f.name.expose().starts_with(label);
        if e.fields.iter().any(same) {
            return;
        }
        if value.contains('\n') {
            // Sized up front so no partial copy of the notes is left behind.
            let mut notes =
                String::with_capacity(e.notes.expose().len() + label.len() + value.len() + 4);
            notes.push_str(e.notes.expose());
            if !notes.is_empty() {
                notes.push_str("\n\n");
            }
            notes.push_str(label);
            notes.push_str(":\n");
            notes.push_str(value);
            self.entry.notes = notes.into();
            return;
        }
        self.add_field(label, value.into(), looks_secret(label));
    }
}

/// Whether a field name sounds like it holds a secret (a PIN, a card's
/// security code, a key), so its value is masked.
pub(super) fn looks_secret(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "password",
        "passcode",
        "pin",
        "secret",
        "key",
        "cvv",
        "cvc",
        "verification",
        "totp",
        "otp",
        "token",
        "pwd",
    ];
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| WORDS.contains(&word))
}

/// Whether a cell means "yes" (`1`, `true`, `yes`).
pub(super) fn is_yes(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_field_names_are_numbered() {
        let mut d = Draft::default();
        d.add_field("PIN", "1".into(), true);
        d.add_field("PIN", "2".into(), true);
        d.add_field(" ", "3".into(), false);
        let names: Vec<&str> = d.entry.fields.iter().map(|f| f.name.expose()).collect();
        assert_eq!(names, ["PIN", "PIN (2)", "Field"]);
    }

    #[test]
    fn extras_skip_repeats_and_move_multi_line_values_to_the_notes() {
        let mut d = Draft::default();
        d.entry.username = "jo".into();
        d.entry.notes = "first".into();
        d.add_extra("email", "jo");
        d.add_extra("address", "1 Road\nTown");
        d.add_extra("verification number", "111");
        d.add_extra("verification number", "111");
        d.add_extra("company", " ");
        assert_eq!(d.entry.notes.expose(), "first\n\naddress:\n1 Road\nTown");
        assert_eq!(d.entry.fields.len(), 1);
        assert!(d.entry.fields[0].hidden);
    }

    #[test]
    fn secret_sounding_names_are_recognised_by_word() {
        assert!(looks_secret("ACCOUNT-KEY"));
        assert!(looks_secret("PIN(pin)"));
        assert!(!looks_secret("shipping address"));
        assert!(!looks_secret("company"));
    }
}
