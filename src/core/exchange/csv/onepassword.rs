//! 1Password's CSV exports.
//!
//! The Windows app writes upper-case columns starting with `UUID`, then one
//! column per section field, named `<section> <n>: <LABEL>`, and a column
//! per section heading (`SECTION <n>: ...`) holding only the heading. The
//! Mac app writes every field type it knows as a `label(key)` column, fills
//! those an item uses, and escapes quotes inside quoted cells with a
//! backslash (`\"`), which is not RFC 4180; [`super::read`] sets that
//! escape for the Mac layout only.
//!
//! Logins, identities, cards and notes all become entries: the columns an
//! entry has a place for fill it, the others become custom fields.

use super::row::{Columns, Draft, Row};

/// Whether the header is the Windows app's.
pub(super) fn is_windows(cols: &Columns) -> bool {
    cols.has_all(&["uuid", "title"]) && cols.find(&["scope", "autosubmit"]).is_some()
}

/// Whether the header is the Mac app's.
pub(super) fn is_mac(cols: &Columns) -> bool {
    cols.has_all(&["title", "type", "scope"])
        && cols.find(&["created date", "modified date"]).is_some()
}

/// Which column holds what in a 1Password export.
pub(super) struct OnePassword {
    mac: bool,
    title: Option<usize>,
    username: Option<usize>,
    password: Option<usize>,
    url: Option<usize>,
    /// Windows: every URL of the item, one per line.
    urls: Option<usize>,
    notes: Option<usize>,
    tags: Option<usize>,
    created: Option<usize>,
    updated: Option<usize>,
    /// The other columns, with the label their fields get.
    extras: Vec<(usize, String)>,
}

/// Columns that say nothing about the item (ids, autofill settings, type).
const IGNORED: &[&str] = &["uuid", "scope", "autosubmit", "type"];

impl OnePassword {
    /// The layout of a 1Password header; `None` if it has no title column.
    pub(super) fn new(cols: &Columns) -> Option<Self> {
        let c = |names: &[&str]| cols.find(names);
        let mut op = OnePassword {
            mac: !cols.has_all(&["uuid"]),
            title: c(&["title"]),
            username: c(&["username"]),
            password: c(&["password"]),
            url: c(&["url"]),
            urls: c(&["urls"]),
            notes: c(&["notes"]),
            tags: c(&["tags"]),
            created: c(&["created date"]),
            updated: c(&["modified date"]),
            extras: Vec::new(),
        };
        op.title?;
        let known = [
            op.title,
            op.username,
            op.password,
            op.url,
            op.urls,
            op.notes,
            op.tags,
            op.created,
            op.updated,
        ];
        for (i, key) in cols.keys().iter().enumerate() {
            if known.contains(&Some(i)) || IGNORED.contains(&key.as_str()) {
                continue;
            }
            let label = if op.mac {
                Some(mac_label(cols.name(i)))
            } else {
                windows_label(cols.name(i))
            };
            if let Some(label) = label {
                op.extras.push((i, label.to_owned()));
            }
        }
        Some(op)
    }

    /// The entry a record describes.
    pub(super) fn map(&self, row: &Row) -> Draft {
        let mut d = Draft::default();
        d.entry.title = row.secret(self.title);
        d.entry.username = row.secret(self.username);
        d.entry.password = row.secret(self.password);
        d.entry.notes = row.secret(self.notes);
        d.add_url(row.get(self.url));
        row.get(self.urls)
            .split_whitespace()
            .for_each(|u| d.add_url(u));
        d.entry.tags = tags(row.get(self.tags))
            .into_iter()
            .map(Into::into)
            .collect();
        let seconds = |col| row.get(col).trim().parse::<i64>().ok();
        d.entry.created_at = seconds(self.created).unwrap_or(0);
        d.entry.updated_at = seconds(self.updated).unwrap_or(d.entry.created_at);

        // Identities keep their username in a section field.
        if d.entry.username.is_blank() {
            let username = self.extras.iter().find(|(i, label)| {
                label.eq_ignore_ascii_case("username") && !row.get(Some(*i)).trim().is_empty()
            });
            if let Some((i, _)) = username {
                d.entry.username = row.get(Some(*i)).trim().into();
            }
        }
        for (i, label) in &self.extras {
            let value = row.get(Some(*i));
            if label.eq_ignore_ascii_case("url") {
                d.add_url(value);
            } else {
                d.add_extra(label, value);
            }
        }
        d
    }
}

/// The label of a Mac column, `label(key)` -> `label`.
fn mac_label(name: &str) -> &str {
    match (name.strip_suffix(')'), name.rfind('(')) {
        (Some(_), Some(open)) if open > 0 => name[..open].trim(),
        _ => name,
    }
}

/// The label of a Windows column, `NAME 1: FIRST NAME` -> `FIRST NAME`;
/// `None` for a section heading column (`SECTION 1: NAME`).
fn windows_label(name: &str) -> Option<&str> {
    let Some((prefix, label)) = name.split_once(": ") else {
        return Some(name);
    };
    let numbered = prefix
        .rsplit(' ')
        .next()
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !numbered {
        return Some(name);
    }
    let heading = prefix
        .get(..8)
        .is_some_and(|word| word.eq_ignore_ascii_case("section "));
    (!heading).then_some(label.trim())
}

/// Tags as written: Windows `a, b`; Mac a printed set, `{(\n "a",\n b\n)}`.
fn tags(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    let inner = cell
        .strip_prefix("{(")
        .and_then(|c| c.strip_suffix(")}"))
        .unwrap_or(cell);
    inner
        .split([',', '\n'])
        .map(|t| t.trim().trim_matches('"').trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_columns_are_labelled_without_their_key() {
        assert_eq!(mac_label("first name(firstname)"), "first name");
        assert_eq!(
            mac_label("member ID (additional)(additional_no)"),
            "member ID (additional)"
        );
        assert_eq!(mac_label("Notes"), "Notes");
    }

    #[test]
    fn windows_columns_lose_their_section_number_and_headings_go() {
        assert_eq!(windows_label("NAME 1: FIRST NAME"), Some("FIRST NAME"));
        assert_eq!(windows_label("1: CARDHOLDER NAME"), Some("CARDHOLDER NAME"));
        assert_eq!(windows_label("SECTION 2: ADDRESS"), None);
        assert_eq!(windows_label("ACCOUNT-KEY"), Some("ACCOUNT-KEY"));
        assert_eq!(windows_label("Note: extra"), Some("Note: extra"));
    }

    #[test]
    fn tags_parse_from_both_apps() {
        assert_eq!(
            tags("{(\n    \"Starter Kit\",\n    work\n)}"),
            ["Starter Kit", "work"]
        );
        assert_eq!(tags("{(\n)}"), Vec::<String>::new());
        assert_eq!(tags("Starter Kit, home"), ["Starter Kit", "home"]);
    }
}
