//! CSV files: the browsers', Bitwarden's, LastPass's, 1Password's and
//! KeePassXC's exports, and any other CSV through a column mapping.
//!
//! Files are streamed, one record at a time, so memory holds the entries
//! read and not the file. Real exports are messy, and each quirk has a
//! rule here:
//!
//! - Encoding: UTF-8, with or without a byte-order mark; a file that is not
//!   valid UTF-8 is read as Windows-1252 (with a warning); UTF-16 is refused
//!   with advice, since guessing it wrong would garble every value.
//! - The delimiter (`,`, `;` or tab) is the one the header line uses most.
//! - Rows shorter than the header read as empty cells; longer rows lose
//!   their extra cells (with one warning per file); blank lines are skipped.
//! - A record the lenient parser read past damage in (text after a closing
//!   quote, a quote never closed) is skipped with its lines, not imported
//!   half-right.
//! - Every entry records the physical line its record starts on, counting
//!   the header as line 1.
//!
//! The `dialects` module recognises each export by its header and maps its
//! columns; [`write()`] writes Bitwarden's columns back out.

mod dialects;
mod onepassword;
mod row;
mod source;
mod write;

use std::path::Path;

pub use write::write;

use self::dialects::{Layout, Mapper};
use self::row::{Columns, Draft, Row};
use self::source::{Damage, Encoding, Records, Span};
use super::{ExchangeError, Format, ImportedEntry, Parsed, Skipped, fill_title, totp};
use crate::core::entries::MAX_ENTRY_BYTES;

/// Which column holds what, for a CSV no known dialect matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// Column index of the title.
    pub title: Option<usize>,
    /// Column index of the username.
    pub username: Option<usize>,
    /// Column index of the password.
    pub password: Option<usize>,
    /// Column index of the URL.
    pub url: Option<usize>,
    /// Column index of the notes.
    pub notes: Option<usize>,
    /// Column index of a TOTP secret or URI.
    pub totp: Option<usize>,
    /// Column index of the category (folder, group).
    pub category: Option<usize>,
}

/// How often (in records) `read` reports its progress.
const PROGRESS_EVERY: u64 = 4096;

/// The dialect a CSV's first bytes show, if any. `head` needs to hold the
/// header line; any CSV no dialect matches gives `None` (it can still be
/// read as [`Format::GenericCsv`] with a [`Mapping`]).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if source::utf16_sign(head).is_some() {
        return None;
    }
    let head = source::parse_head(head, Encoding::of_head(head));
    dialects::detect(&Columns::new(head.cells))
}

/// The header row of a CSV file, for choosing a [`Mapping`] by hand.
pub fn headers(path: &Path) -> Result<Vec<String>, ExchangeError> {
    let (encoding, _) = source::scan_encoding(path)?;
    let head = source::read_head(path).map_err(|source| ExchangeError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(source::parse_head(&head, encoding).cells)
}

/// A sensible first [`Mapping`] for a header row, by column name (case and
/// surrounding spaces ignored): the first column named like each value,
/// with exact names preferred over names that merely contain the word
/// (`login_username`). A column serves one value at most.
pub fn guess_mapping(headers: &[String]) -> Mapping {
    const NAMES: [&[&str]; 7] = [
        &["title", "name", "account"],
        &["username", "user", "login", "email", "e-mail", "user name"],
        &["password", "pass", "pwd"],
        &["url", "uri", "website", "web site", "login_uri"],
        &["notes", "note", "extra", "comment", "comments"],
        &["totp", "otp", "otpauth", "2fa"],
        &["folder", "group", "category", "grouping", "collections"],
    ];
    let keys: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut used = vec![false; keys.len()];
    let mut found = [None; 7];

    // Whole names first, so `url` beats `login_uri` for the URL.
    for exact in [true, false] {
        for (slot, names) in NAMES.iter().enumerate() {
            if found[slot].is_some() {
                continue;
            }
            let hit = (0..keys.len()).find(|&i| {
                !used[i]
                    && names.iter().any(|n| {
                        if exact {
                            keys[i] == *n
                        } else {
                            keys[i]
                                .split(|c: char| !c.is_alphanumeric())
                                .any(|w| w == *n)
                        }
                    })
            });
            if let Some(i) = hit {
                used[i] = true;
                found[slot] = Some(i);
            }
        }
    }
    let [title, username, password, url, notes, totp, category] = found;
    Mapping {
        title,
        username,
        password,
        url,
        notes,
        totp,
        category,
    }
}

/// Reads a CSV file as `format` (a CSV dialect); `mapping` is required for
/// [`Format::GenericCsv`] and ignored otherwise. `progress` is told how many
/// bytes were read, every few thousand records and at the end.
pub fn read(
    path: &Path,
    format: Format,
    mapping: Option<&Mapping>,
    progress: &mut dyn FnMut(u64),
) -> Result<Parsed, ExchangeError> {
    if !format.is_csv() {
        return Err(ExchangeError::Unsupported {
            path: path.to_owned(),
            what: format!("reading {} as CSV", format.label()),
            advice: "choose a CSV format".to_owned(),
        });
    }
    let (mut records, encoding, size) = open(path, format)?;
    let Some(_) = records.next().map_err(|e| csv_error(path, e))? else {
        return Err(malformed(
            path,
            format,
            "it is empty: there is no header row",
        ));
    };
    let header = Row::decode(&records.record, encoding)
        .cells()
        .map(str::to_owned)
        .collect();
    let cols = Columns::new(header);
    let mapper = mapper(path, format, &cols, mapping)?;

    let mut reading = Reading::new(format, encoding, cols.len());
    let mut count = 0u64;
    while let Some(span) = records.next().map_err(|e| csv_error(path, e))? {
        reading.record(&mapper, &records.record, span);
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            progress(records.bytes_read());
        }
    }
    progress(size);
    Ok(reading.parsed)
}

/// Opens a CSV for streaming: chooses its encoding, and its delimiter and
/// quote escape from the header line. Also returns the file's size.
fn open(path: &Path, format: Format) -> Result<(Records, Encoding, u64), ExchangeError> {
    let read_error = |source| ExchangeError::Read {
        path: path.to_owned(),
        source,
    };
    let (encoding, size) = source::scan_encoding(path)?;
    let head = source::read_head(path).map_err(read_error)?;
    let head = source::parse_head(&head, encoding);
    // Only 1Password for Mac escapes quotes with a backslash; anywhere else
    // a backslash is an ordinary character (Windows paths, passwords).
    let mac = format == Format::OnePasswordCsv && onepassword::is_mac(&Columns::new(head.cells));
    let escape = mac.then_some(b'\\');
    let records = Records::open(path, head.delimiter, escape).map_err(read_error)?;
    Ok((records, encoding, size))
}

/// The mapper for `format`, or why this file cannot be read as it.
fn mapper(
    path: &Path,
    format: Format,
    cols: &Columns,
    mapping: Option<&Mapping>,
) -> Result<Mapper, ExchangeError> {
    let unsupported = |what: String, advice: &str| ExchangeError::Unsupported {
        path: path.to_owned(),
        what,
        advice: advice.to_owned(),
    };
    if format != Format::GenericCsv {
        return Mapper::new(format, cols).ok_or_else(|| {
            malformed(
                path,
                format,
                "its header row has none of the columns this format uses; \
                 import it with --format csv and choose its columns",
            )
        });
    }
    let Some(mapping) = mapping else {
        return Err(unsupported(
            "a CSV without a column mapping".to_owned(),
            "choose which columns hold the title, username, password and URL",
        ));
    };
    if mapping.title.is_none() && mapping.url.is_none() {
        return Err(unsupported(
            "a column mapping without a title or URL column".to_owned(),
            "choose the column that holds the title or the URL (or both)",
        ));
    }
    let columns = [
        mapping.title,
        mapping.username,
        mapping.password,
        mapping.url,
        mapping.notes,
        mapping.totp,
        mapping.category,
    ];
    if let Some(i) = columns.into_iter().flatten().find(|&i| i >= cols.len()) {
        return Err(unsupported(
            format!(
                "a column mapping naming column {} when the header row has {}",
                i + 1,
                cols.len()
            ),
            "choose columns from the file's header row",
        ));
    }
    Ok(Mapper::Columns(Layout::from_mapping(mapping)))
}

fn malformed(path: &Path, format: Format, detail: &str) -> ExchangeError {
    ExchangeError::Malformed {
        path: path.to_owned(),
        format: format.label(),
        detail: detail.to_owned(),
    }
}

/// The parser fails only when the file cannot be read (it reads any bytes
/// as some CSV), so its errors are read errors.
fn csv_error(path: &Path, error: csv::Error) -> ExchangeError {
    let source = match error.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    ExchangeError::Read {
        path: path.to_owned(),
        source,
    }
}

/// The state of one `read`: what it found so far.
struct Reading {
    parsed: Parsed,
    encoding: Encoding,
    header_len: usize,
    warned_long: bool,
}

impl Reading {
    fn new(format: Format, encoding: Encoding, header_len: usize) -> Self {
        let mut parsed = Parsed::new(format);
        if encoding == Encoding::Windows1252 {
            parsed.warnings.push(
                "the file is not UTF-8, so it was read as Windows-1252 (Western European); \
                 check accented letters in the imported entries"
                    .to_owned(),
            );
        }
        Self {
            parsed,
            encoding,
            header_len,
            warned_long: false,
        }
    }

    /// Takes one record: an entry, or a skip with its reason.
    fn record(&mut self, mapper: &Mapper, record: &csv::ByteRecord, span: Span) {
        let location = format!("line {}", span.first_line);
        if record.as_slice().len() > MAX_ENTRY_BYTES {
            return self.skip(
                location,
                format!(
                    "the row (lines {}-{}) holds more than the 1 MiB an entry may; \
                     a quote may be missing its closing mark",
                    span.first_line, span.last_line
                ),
            );
        }
        let row = Row::decode(record, self.encoding);
        if let Some(reason) = mapper.skip_reason(&row) {
            return self.skip(location, reason.to_owned());
        }
        if let Some(damage) = span.damage {
            return self.skip(location, damage_reason(damage, span));
        }
        if row.len() > self.header_len && !self.warned_long {
            self.warned_long = true;
            self.parsed.warnings.push(format!(
                "{location} has {} cells but the header row has {}; extra cells were \
                 ignored (here and in any later rows like it)",
                row.len(),
                self.header_len
            ));
        }
        let draft = mapper.map(&row);
        drop(row);
        if draft.is_empty() {
            return self.skip(
                location,
                "the row holds no title, URL, username, password or notes".to_owned(),
            );
        }
        self.add(draft, location);
    }

    /// Finishes an entry: a title if it has none, its TOTP as a URI.
    fn add(&mut self, draft: Draft, location: String) {
        let Draft {
            mut entry,
            totp: raw_totp,
        } = draft;
        fill_title(&mut entry);
        match totp::normalize(raw_totp.expose(), entry.title.expose()) {
            Ok(uri) => entry.totp = uri.map(Into::into),
            Err(_) => {
                let mut draft = Draft {
                    entry,
                    ..Draft::default()
                };
                draft.add_field("TOTP", raw_totp, true);
                entry = draft.entry;
                self.parsed.warnings.push(format!(
                    "{location}: the TOTP value is neither an otpauth:// URI nor a base32 \
                     secret; it was kept as the hidden custom field \"TOTP\""
                ));
            }
        }
        let category = entry.category.expose();
        if !category.is_empty() && !self.parsed.categories.iter().any(|c| c == category) {
            self.parsed.categories.push(category.to_owned());
        }
        self.parsed.entries.push(ImportedEntry {
            entry,
            history: Vec::new(),
            location,
        });
    }

    fn skip(&mut self, location: String, reason: String) {
        self.parsed.skipped.push(Skipped { location, reason });
    }
}

/// A sentence on a damaged record, naming the lines it spans.
fn damage_reason(damage: Damage, span: Span) -> String {
    let (first, last) = (span.first_line, span.last_line);
    match damage {
        Damage::TextAfterQuote if last > first => format!(
            "the row is damaged: a quoted cell is followed by more text before the next \
             delimiter, and lines {first}-{last} were read as one row; fix the quotes and \
             import again"
        ),
        Damage::TextAfterQuote => "the row is damaged: a quoted cell is followed by more \
             text before the next delimiter; fix the quotes and import again"
            .to_owned(),
        Damage::Unclosed => format!(
            "a quoted cell is never closed, so everything from here to the end of the file \
             (line {last}) was read as one row; close the quote and import again"
        ),
    }
}
