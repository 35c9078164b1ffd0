//! Plain CSV export in Bitwarden's columns, which most password managers
//! import.

use std::io::{self, Write};

use zeroize::Zeroizing;

use crate::core::entries::Entry;
use crate::core::exchange::ExportData;

/// Bitwarden's CSV header.
const HEADER: &str = "folder,favorite,type,name,notes,fields,reprompt,login_uri,\
                      login_username,login_password,login_totp";

/// Writes `data`'s entries as CSV with Bitwarden's columns: the category as
/// the folder, URLs joined by commas, custom fields as `name: value` lines.
/// Entries without login data (no username, password, URL or TOTP) are
/// written as notes. Every entry in `data` is written, trashed or not: the
/// caller chooses what to export. Password history and tags have no column
/// and are left out.
pub fn write(out: &mut dyn Write, data: &ExportData) -> io::Result<()> {
    out.write_all(HEADER.as_bytes())?;
    out.write_all(b"\n")?;
    let mut line = Zeroizing::new(String::new());
    for (entry, _history) in &data.entries {
        let fields = fields_cell(entry);
        let urls = Zeroizing::new(
            entry
                .urls
                .iter()
                .map(|u| u.expose())
                .collect::<Vec<_>>()
                .join(","),
        );
        let is_note = entry.username.is_empty()
            && entry.password.is_empty()
            && entry.urls.is_empty()
            && entry.totp.is_none();
        let cells = [
            entry.category.expose(),
            if entry.favorite { "1" } else { "" },
            if is_note { "note" } else { "login" },
            entry.title.expose(),
            entry.notes.expose(),
            &fields,
            "0",
            &urls,
            entry.username.expose(),
            entry.password.expose(),
            entry.totp.as_ref().map_or("", |t| t.expose()),
        ];

        // Room for every cell quoted with all its quotes doubled, so the
        // line never reallocates and leaves a copy behind.
        let room = cells.iter().map(|c| 2 * c.len() + 3).sum::<usize>() + 1;
        if line.capacity() < room {
            line = Zeroizing::new(String::with_capacity(room));
        }
        line.clear();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            push_cell(&mut line, cell);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Custom fields as Bitwarden writes them: `name: value`, one per line.
fn fields_cell(entry: &Entry) -> Zeroizing<String> {
    let room = entry
        .fields
        .iter()
        .map(|f| f.name.expose().len() + f.value.expose().len() + 3)
        .sum();
    let mut cell = Zeroizing::new(String::with_capacity(room));
    for (i, field) in entry.fields.iter().enumerate() {
        if i > 0 {
            cell.push('\n');
        }
        cell.push_str(field.name.expose());
        cell.push_str(": ");
        cell.push_str(field.value.expose());
    }
    cell
}

/// Appends one cell, quoted (RFC 4180) when it holds a delimiter, a quote,
/// a line break or surrounding spaces that a reader might trim.
fn push_cell(line: &mut String, cell: &str) {
    let needs_quotes = cell.contains([',', '"', '\r', '\n'])
        || cell.starts_with(char::is_whitespace)
        || cell.ends_with(char::is_whitespace);
    if !needs_quotes {
        line.push_str(cell);
        return;
    }
    line.push('"');
    for c in cell.chars() {
        if c == '"' {
            line.push('"');
        }
        line.push(c);
    }
    line.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_they_must_be() {
        let mut line = String::new();
        for cell in ["plain", "a,b", "say \"hi\"", "two\nlines", " pad", ""] {
            push_cell(&mut line, cell);
            line.push('|');
        }
        assert_eq!(
            line,
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\" pad\"||"
        );
    }
}
