//! How entries look on the terminal and in `--json` output.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::core::entries::{Entry, HistoryItem};
use crate::core::time::{format_date, format_rfc3339};

const MASK: &str = "********";

/// An entry in `list --json` (no secrets).
#[derive(Serialize)]
pub struct EntrySummary<'a> {
    id: String,
    uuid: String,
    title: &'a str,
    username: &'a str,
    urls: Vec<&'a str>,
    category: &'a str,
    tags: Vec<&'a str>,
    favorite: bool,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
    deleted_at: Option<String>,
    has_totp: bool,
    fields: Vec<&'a str>,
}

impl<'a> EntrySummary<'a> {
    /// The summary of one entry.
    pub fn of(e: &'a Entry) -> Self {
        Self {
            id: e.short_id(),
            uuid: e.uuid.to_string(),
            title: e.title.expose(),
            username: e.username.expose(),
            urls: e.urls.iter().map(|u| u.expose()).collect(),
            category: e.category.expose(),
            tags: e.tags.iter().map(|t| t.expose()).collect(),
            favorite: e.favorite,
            created_at: format_rfc3339(e.created_at),
            updated_at: format_rfc3339(e.updated_at),
            expires_at: e.expires_at.map(format_rfc3339),
            deleted_at: e.deleted_at.map(format_rfc3339),
            has_totp: e.totp.is_some(),
            fields: e.fields.iter().map(|f| f.name.expose()).collect(),
        }
    }
}

/// An entry in `show --json`; secrets only with `--reveal`.
#[derive(Serialize)]
pub struct EntryDetail<'a> {
    #[serde(flatten)]
    summary: EntrySummary<'a>,
    password: Option<&'a str>,
    notes: &'a str,
    totp: Option<&'a str>,
    custom_fields: Vec<FieldDetail<'a>>,
    /// The format an import brought the entry in from.
    imported_from: Option<&'a str>,
}

#[derive(Serialize)]
struct FieldDetail<'a> {
    name: &'a str,
    value: Option<&'a str>,
    hidden: bool,
}

impl<'a> EntryDetail<'a> {
    /// The detail of one entry.
    pub fn of(e: &'a Entry, reveal: bool) -> Self {
        Self {
            summary: EntrySummary::of(e),
            password: reveal.then(|| e.password.expose()),
            notes: e.notes.expose(),
            imported_from: e.imported.as_ref().map(|m| m.format.as_str()),
            totp: if reveal {
                e.totp.as_ref().map(|t| t.expose())
            } else {
                None
            },
            custom_fields: e
                .fields
                .iter()
                .map(|f| FieldDetail {
                    name: f.name.expose(),
                    value: (reveal || !f.hidden).then(|| f.value.expose()),
                    hidden: f.hidden,
                })
                .collect(),
        }
    }
}

/// A history item in `history --json`.
#[derive(Serialize)]
pub struct HistoryDetail<'a> {
    changed_at: String,
    reason: &'static str,
    changed_by: &'static str,
    source: Option<&'a str>,
    password: Option<&'a str>,
}

impl<'a> HistoryDetail<'a> {
    /// The detail of one history item.
    pub fn of(h: &'a HistoryItem, reveal: bool) -> Self {
        Self {
            changed_at: format_rfc3339(h.changed_at),
            reason: h.reason.as_str(),
            changed_by: h.changed_by.as_str(),
            source: h.source.as_deref(),
            password: reveal.then(|| h.password.expose()),
        }
    }
}

/// The first error met writing to standard output, if any.
static OUTPUT_ERROR: Mutex<Option<io::Error>> = Mutex::new(None);

/// Writes one line to standard output. A failure (a full disk behind a
/// redirection, say) is remembered and turns the exit code into 1, instead
/// of a panic in the middle of the command.
pub fn write_out(args: fmt::Arguments<'_>) {
    if let Err(e) = writeln!(io::stdout().lock(), "{args}") {
        let mut slot = OUTPUT_ERROR.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
    }
}

/// Writes one line to standard error; if that fails there is nowhere left
/// to say so.
pub fn write_err(args: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

/// Takes the remembered standard-output error, if any.
pub fn take_output_error() -> Option<io::Error> {
    OUTPUT_ERROR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

/// `println!` that never panics (see [`write_out`]).
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::output::write_out(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics (see [`write_err`]).
macro_rules! note {
    ($($arg:tt)*) => { $crate::cli::output::write_err(format_args!($($arg)*)) };
}

pub(crate) use {note, say};

/// "1 entry", "3 entries".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Prints JSON to stdout.
pub fn print_json<T: Serialize>(value: &T) {
    say!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Prints rows under a header, each column as wide as its widest cell
/// (measured in terminal columns, so wide characters line up).
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.width())));
        }
        say!("{}", line.trim_end());
    }
}

/// Prints entries as a table; the trash listing adds when each was trashed.
pub fn print_entries(entries: &[&Entry], now: i64, trash: bool) {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let mut flags = Vec::new();
            if e.favorite {
                flags.push("favorite");
            }
            if e.is_expired(now) {
                flags.push("expired");
            }
            let mut row = vec![
                e.short_id(),
                clip(e.title.expose(), 32),
                clip(e.username.expose(), 28),
                clip(e.primary_url().map_or("", |u| u.expose()), 36),
                clip(e.category.expose(), 14),
                flags.join(" "),
            ];
            if trash {
                row.push(e.deleted_at.map(format_date).unwrap_or_default());
            }
            row
        })
        .collect();
    let mut header = vec!["ID", "TITLE", "USERNAME", "URL", "CATEGORY", "FLAGS"];
    if trash {
        header.push("TRASHED");
    }
    print_table(&header, &rows);
}

/// Prints one entry for people.
pub fn print_entry(e: &Entry, reveal: bool) {
    let line = |label: &str, value: &str| {
        if !value.is_empty() {
            say!("{label:<10} {}", printable(value));
        }
    };
    line("ID", &e.short_id());
    line("Title", e.title.expose());
    line("Username", e.username.expose());
    let password = if reveal || e.password.is_empty() {
        e.password.expose()
    } else {
        MASK
    };
    line("Password", password);
    for (i, url) in e.urls.iter().enumerate() {
        line(if i == 0 { "URL" } else { "" }, url.expose());
    }
    line("Category", e.category.expose());
    let tags: Vec<&str> = e.tags.iter().map(|t| t.expose()).collect();
    line("Tags", &tags.join(", "));
    line("Favorite", if e.favorite { "yes" } else { "" });
    line(
        "Expires",
        &e.expires_at.map(format_date).unwrap_or_default(),
    );
    if let Some(totp) = &e.totp {
        line(
            "TOTP",
            if reveal {
                totp.expose()
            } else {
                "configured (use --reveal)"
            },
        );
    }
    for f in &e.fields {
        let value = if f.hidden && !reveal {
            MASK
        } else {
            f.value.expose()
        };
        let name = printable(f.name.expose());
        say!("{:<10} {name}: {}", "Field", printable(value));
    }
    line("Created", &format_rfc3339(e.created_at));
    line("Updated", &format_rfc3339(e.updated_at));
    line(
        "Trashed",
        &e.deleted_at.map(format_rfc3339).unwrap_or_default(),
    );
    if !e.notes.is_empty() {
        say!("Notes:");
        for l in e.notes.expose().lines() {
            say!("  {}", printable(l));
        }
    }
}

/// Text safe to print on a terminal: control characters (which could move
/// the cursor, retitle the window or clear the screen) become U+FFFD.
///
/// Bidirectional overrides and isolates (which can make text display in a
/// misleading order) are replaced too.
pub fn printable(text: &str) -> String {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    text.chars()
        .map(|c| if unsafe_char(c) { '\u{fffd}' } else { c })
        .collect()
}

/// One line of at most `max` terminal columns; longer text ends in `~`.
fn clip(text: &str, max: usize) -> String {
    let one_line = printable(&text.replace(['\n', '\r', '\t'], " "));
    if one_line.width() <= max {
        return one_line;
    }
    let mut out = String::new();
    for c in one_line.chars() {
        if out.width() + c.width().unwrap_or(0) > max - 1 {
            break;
        }
        out.push(c);
    }
    out.push('~');
    out
}

/// Progress on standard error when it is a terminal: a spinner while the
/// keys are derived, then a bar once records are counted; silent
/// otherwise (scripts and tests read only the result lines).
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// The bar's template, taken on at the first count.
    template: String,
    counting: std::cell::Cell<bool>,
}

/// Progress whose bar is labelled `label`, drawn only when `interactive`.
pub fn progress_bar(interactive: bool, label: &str) -> Progress {
    let template = format!("{label} [{{bar:40}}] {{pos}}/{{len}}");
    if !interactive || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return Progress {
            bar: None,
            template,
            counting: std::cell::Cell::new(false),
        };
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("Deriving the keys…");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Progress {
        bar: Some(bar),
        template,
        counting: std::cell::Cell::new(false),
    }
}

impl Progress {
    /// `done` of `total` records.
    pub fn update(&self, done: usize, total: usize) {
        let Some(bar) = &self.bar else {
            return;
        };
        if total == 0 {
            return;
        }
        if !self.counting.replace(true) {
            bar.disable_steady_tick();
            if let Ok(style) = indicatif::ProgressStyle::with_template(&self.template) {
                bar.set_style(style.progress_chars("=> "));
            }
        }
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
