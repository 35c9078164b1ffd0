//! The bytes under a CSV import: the file's text encoding, its header line,
//! and the physical lines each record spans.
//!
//! The csv crate parses leniently and only says where a record *ends*, after
//! any blank lines before it. A small tap between the file and the parser
//! keeps the raw bytes of the record being read, so we can count lines
//! exactly (blank lines and CRLF included) and notice damage the parser
//! forgives silently: text after a closing quote, or a quote never closed.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;

use zeroize::Zeroizing;

use crate::core::exchange::ExchangeError;

/// The UTF-8 byte-order mark some tools (Excel, 1Password) write first.
pub(super) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much of the file's start is read to find the header line; the
/// widest real header (1Password for Mac) is under 4 KiB.
const HEAD_BYTES: u64 = 64 * 1024;

/// Chunk size of the encoding scan.
const SCAN_CHUNK: usize = 64 * 1024;

/// How a file's bytes become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// Valid UTF-8 throughout.
    Utf8,
    /// Anything else: old Excel and Windows tools write this code page.
    Windows1252,
}

impl Encoding {
    /// One cell's text; borrowed when no conversion is needed.
    pub(super) fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(bytes),
            Encoding::Windows1252 => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        }
    }

    /// The encoding of a file's first bytes (for [`super::sniff`], which
    /// sees no more): UTF-8 unless they hold a byte sequence UTF-8 forbids.
    pub(super) fn of_head(head: &[u8]) -> Self {
        match std::str::from_utf8(head) {
            Ok(_) => Encoding::Utf8,
            // A sequence cut off by the end of the head is still UTF-8.
            Err(e) if e.error_len().is_none() => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        }
    }
}

const NUL_BYTES: &str = "it contains NUL bytes, as UTF-16 text does";

/// Why a file cannot be read as 8-bit text, if it cannot.
pub(super) fn utf16_sign(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        Some("it starts with a UTF-16 byte-order mark")
    } else if memchr::memchr(0, head).is_some() {
        Some(NUL_BYTES)
    } else {
        None
    }
}

/// Reads the whole file once, a chunk at a time, to choose its encoding:
/// a file that is not valid UTF-8 anywhere is read as Windows-1252, and a
/// UTF-16 file is refused. Returns the encoding and the file's size.
pub(super) fn scan_encoding(path: &Path) -> Result<(Encoding, u64), ExchangeError> {
    let read_error = |source| ExchangeError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let mut buf = Zeroizing::new(vec![0u8; SCAN_CHUNK]);
    // Bytes of a UTF-8 sequence split by the chunk boundary, kept at the front.
    let mut carry = 0;
    let mut utf8 = true;
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf[carry..]).map_err(read_error)?;
        if n == 0 {
            utf8 &= carry == 0;
            break;
        }
        let filled = carry + n;
        // A byte-order mark counts only at the very start of the file.
        let sign = if size == 0 {
            utf16_sign(&buf[..filled])
        } else {
            memchr::memchr(0, &buf[carry..filled]).map(|_| NUL_BYTES)
        };
        size += n as u64;
        if let Some(detail) = sign {
            return Err(ExchangeError::Encoding {
                path: path.to_owned(),
                detail: detail.to_owned(),
            });
        }
        carry = 0;
        if utf8 {
            match std::str::from_utf8(&buf[..filled]) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() => {
                    let valid = e.valid_up_to();
                    buf.copy_within(valid..filled, 0);
                    carry = filled - valid;
                }
                Err(_) => utf8 = false,
            }
        }
    }
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    };
    Ok((encoding, size))
}

/// The first bytes of a file, enough to hold its header line.
pub(super) fn read_head(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut head = Zeroizing::new(Vec::with_capacity(HEAD_BYTES as usize));
    File::open(path)?.take(HEAD_BYTES).read_to_end(&mut head)?;
    Ok(head)
}

/// What the header line says: the delimiter and the column names.
pub(super) struct Head {
    /// `,`, `;` or a tab: whichever the header line uses most.
    pub delimiter: u8,
    /// The column names as written (byte-order mark removed).
    pub cells: Vec<String>,
}

/// Reads the header line from a file's first bytes.
pub(super) fn parse_head(head: &[u8], encoding: Encoding) -> Head {
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(head.len());
    let line = first_line(&head[start..]);
    let delimiter = pick_delimiter(line);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line);
    let mut record = csv::ByteRecord::new();
    let cells = match reader.read_byte_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|cell| encoding.decode(cell).into_owned())
            .collect(),
        _ => Vec::new(),
    };
    Head { delimiter, cells }
}

/// The bytes up to the first line break outside quotes.
fn first_line(bytes: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\r' | b'\n' if !quoted => return &bytes[..i],
            _ => {}
        }
    }
    bytes
}

/// The delimiter a header line uses most, outside quotes; a comma on a tie
/// or when the line has a single column.
fn pick_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Raw bytes the parser has read and we have not yet attributed to a record.
struct Window {
    /// The bytes, from offset `base` of the stream the parser sees.
    bytes: Zeroizing<Vec<u8>>,
    /// Stream offset of `bytes[0]`.
    base: u64,
    /// How many leading bytes belong to records already scanned. They are
    /// dropped when the next chunk arrives, not after every record, so the
    /// read-ahead is moved once per chunk.
    done: usize,
}

impl Window {
    /// Appends without leaving copies behind: when the buffer must grow, the
    /// old one is dropped (and so wiped) rather than reallocated in place.
    fn append(&mut self, data: &[u8]) {
        if self.done > 0 {
            self.bytes.drain(..self.done);
            self.base += self.done as u64;
            self.done = 0;
        }
        let needed = self.bytes.len() + data.len();
        if needed > self.bytes.capacity() {
            let mut bigger =
                Zeroizing::new(Vec::with_capacity(needed.max(self.bytes.capacity() * 2)));
            bigger.extend_from_slice(&self.bytes);
            self.bytes = bigger;
        }
        self.bytes.extend_from_slice(data);
    }
}

/// The file as the parser reads it, with a copy of each chunk kept in the
/// shared window.
struct Tap {
    file: File,
    window: Rc<RefCell<Window>>,
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.window.borrow_mut().append(&buf[..n]);
        Ok(n)
    }
}

/// How a record is damaged, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Damage {
    /// A quoted cell is followed by more text before the next delimiter.
    TextAfterQuote,
    /// A quoted cell runs to the end of the file.
    Unclosed,
}

/// Where a record sits in the file, and whether it is damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    /// The physical line the record starts on, 1-based.
    pub first_line: u64,
    /// The physical line it ends on.
    pub last_line: u64,
    /// Damage the lenient parser read past.
    pub damage: Option<Damage>,
}

/// Where the quote scanner is within a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cell {
    Start,
    Unquoted,
    Quoted,
    Escaped,
    QuoteSeen,
}

/// Counts lines and checks quotes over each record's raw bytes.
struct Scanner {
    delimiter: u8,
    escape: Option<u8>,
    /// The physical line at the current byte, 1-based.
    line: u64,
    /// Whether the previous byte was a CR (so a following LF ends no line).
    prev_cr: bool,
}

impl Scanner {
    fn line_break(&mut self, b: u8) {
        if !(b == b'\n' && self.prev_cr) {
            self.line += 1;
        }
        self.prev_cr = b == b'\r';
    }

    fn scan(&mut self, raw: &[u8]) -> Span {
        // The rest of the previous record's line end, and blank lines.
        let mut i = 0;
        while i < raw.len() && matches!(raw[i], b'\r' | b'\n') {
            self.line_break(raw[i]);
            i += 1;
        }
        let first_line = self.line;
        let mut last_line = self.line;
        let mut state = Cell::Start;
        let mut damage = None;
        for &b in &raw[i..] {
            let is_break = matches!(b, b'\r' | b'\n');
            let ends_record =
                is_break && matches!(state, Cell::Start | Cell::Unquoted | Cell::QuoteSeen);
            state = match state {
                _ if ends_record => Cell::Start,
                Cell::Start | Cell::Unquoted if b == self.delimiter => Cell::Start,
                Cell::Start if b == b'"' => Cell::Quoted,
                Cell::Start | Cell::Unquoted => Cell::Unquoted,
                Cell::Quoted if b == b'"' => Cell::QuoteSeen,
                Cell::Quoted if Some(b) == self.escape => Cell::Escaped,
                Cell::Quoted | Cell::Escaped => Cell::Quoted,
                Cell::QuoteSeen if b == b'"' => Cell::Quoted,
                Cell::QuoteSeen if b == self.delimiter => Cell::Start,
                Cell::QuoteSeen => {
                    damage.get_or_insert(Damage::TextAfterQuote);
                    Cell::Unquoted
                }
            };
            if is_break {
                self.line_break(b);
            } else {
                self.prev_cr = false;
            }
            if !is_break {
                last_line = self.line;
            }
        }
        if matches!(state, Cell::Quoted | Cell::Escaped) {
            damage = Some(Damage::Unclosed);
        }
        Span {
            first_line,
            last_line,
            damage,
        }
    }
}

/// A CSV file's records, streamed, each with its [`Span`].
pub(super) struct Records {
    reader: csv::Reader<Tap>,
    window: Rc<RefCell<Window>>,
    scanner: Scanner,
    /// The record last read.
    pub record: csv::ByteRecord,
    /// Bytes skipped before the parser's stream (a byte-order mark).
    skipped: u64,
    /// Longest record so far, so its bytes can be overwritten at the end.
    longest: usize,
}

impl Records {
    /// Opens `path` for reading with `delimiter`; `escape` is the byte
    /// that escapes a quote inside a quoted cell, for dialects that use one.
    pub(super) fn open(path: &Path, delimiter: u8, escape: Option<u8>) -> io::Result<Self> {
        let mut file = File::open(path)?;
        let mut bom = [0u8; 3];
        let got = file.read(&mut bom)?;
        let skipped = if got == 3 && bom == UTF8_BOM { 3 } else { 0 };
        file.seek(SeekFrom::Start(skipped))?;

        let window = Rc::new(RefCell::new(Window {
            bytes: Zeroizing::new(Vec::with_capacity(64 * 1024)),
            base: 0,
            done: 0,
        }));
        let tap = Tap {
            file,
            window: Rc::clone(&window),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .escape(escape)
            .from_reader(tap);
        Ok(Self {
            reader,
            window,
            scanner: Scanner {
                delimiter,
                escape,
                line: 1,
                prev_cr: false,
            },
            record: csv::ByteRecord::new(),
            skipped,
            longest: 0,
        })
    }

    /// Reads the next record into [`Records::record`]; `None` at the end.
    pub(super) fn next(&mut self) -> Result<Option<Span>, csv::Error> {
        let more = self.reader.read_byte_record(&mut self.record);
        let end = self.reader.position().byte();
        if !more? {
            return Ok(None);
        }
        self.longest = self.longest.max(self.record.as_slice().len());
        let start = self.record.position().map_or(end, |p| p.byte());

        let mut window = self.window.borrow_mut();
        let base = window.base;
        let len = window.bytes.len();
        let from = (start.saturating_sub(base) as usize).min(len);
        let to = (end.saturating_sub(base) as usize).clamp(from, len);
        let span = self.scanner.scan(&window.bytes[from..to]);
        window.done = to;
        Ok(Some(span))
    }

    /// Bytes of the file read so far.
    pub(super) fn bytes_read(&self) -> u64 {
        self.reader.position().byte() + self.skipped
    }
}

impl Drop for Records {
    fn drop(&mut self) {
        // Wipe the record buffer we can reach by overwriting it in place:
        // the csv crate offers no way to zeroize it.
        // TODO(csv crate API): its internal read buffer (8 KiB) is not wiped.
        self.record.clear();
        self.record.push_field(&vec![0u8; self.longest]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(data: &[u8], escape: Option<u8>) -> Vec<(Vec<String>, Span)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, data).unwrap();
        let mut records = Records::open(&path, b',', escape).unwrap();
        let mut out = Vec::new();
        while let Some(span) = records.next().unwrap() {
            let cells = records
                .record
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            out.push((cells, span));
        }
        out
    }

    fn lines(spans: &[(Vec<String>, Span)]) -> Vec<(u64, u64)> {
        spans
            .iter()
            .map(|(_, s)| (s.first_line, s.last_line))
            .collect()
    }

    #[test]
    fn lines_count_blank_lines_crlf_and_multi_line_cells() {
        let got = spans(b"a,b\n\n\n1,2\r\n\r\n\"x\r\ny\",3\nq,r", None);
        assert_eq!(lines(&got), [(1, 1), (4, 4), (6, 7), (8, 8)]);
        assert!(got.iter().all(|(_, s)| s.damage.is_none()));
    }

    #[test]
    fn cr_only_line_ends_count_as_lines() {
        let got = spans(b"a,b\r1,2\r\r3,4\r", None);
        assert_eq!(lines(&got), [(1, 1), (2, 2), (4, 4)]);
    }

    #[test]
    fn text_after_a_closing_quote_is_damage() {
        let got = spans(b"a,b\n\"x\"y,2\n3,4\n", None);
        assert_eq!(got[1].1.damage, Some(Damage::TextAfterQuote));
        assert_eq!(got[2].0, ["3", "4"]);
        assert_eq!(got[2].1.damage, None);
    }

    #[test]
    fn a_quote_open_at_the_end_of_the_file_is_damage() {
        let got = spans(b"a,b\n\"open,1\n2,3\n", None);
        assert_eq!(got[1].1.damage, Some(Damage::Unclosed));
        assert_eq!(lines(&got)[1], (2, 3));
    }

    #[test]
    fn escaped_quotes_are_not_damage_where_the_dialect_escapes() {
        let got = spans(b"a,b\n\"say \\\"hi\\\"\",2\n", Some(b'\\'));
        assert_eq!(got[1].0, ["say \"hi\"", "2"]);
        assert_eq!(got[1].1.damage, None);
    }

    #[test]
    fn the_header_line_picks_its_delimiter() {
        assert_eq!(parse_head(b"a;b;\"c,d\"\n", Encoding::Utf8).delimiter, b';');
        assert_eq!(parse_head(b"a\tb\tc", Encoding::Utf8).delimiter, b'\t');
        assert_eq!(parse_head(b"title", Encoding::Utf8).delimiter, b',');
        let head = parse_head(b"\xEF\xBB\xBF\"url\",\"na,me\"\r\nx", Encoding::Utf8);
        assert_eq!(head.cells, ["url", "na,me"]);
    }

    #[test]
    fn windows_1252_text_past_the_first_chunk_is_not_taken_for_a_utf16_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut data = b"a,b\n".to_vec();
        data.resize(SCAN_CHUNK, b'x');
        data.extend_from_slice(b"\xFF\xFE,1\n");
        std::fs::write(&path, &data).unwrap();
        let (encoding, size) = scan_encoding(&path).unwrap();
        assert_eq!(encoding, Encoding::Windows1252);
        assert_eq!(size, data.len() as u64);
    }

    #[test]
    fn a_utf8_character_split_between_chunks_is_still_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut data = b"a,b\n".to_vec();
        data.resize(SCAN_CHUNK - 1, b'x');
        data.extend_from_slice("\u{e9},1\n".as_bytes());
        std::fs::write(&path, &data).unwrap();
        assert_eq!(scan_encoding(&path).unwrap().0, Encoding::Utf8);
    }

    #[test]
    fn utf16_is_recognised_by_its_mark_or_nul_bytes() {
        assert!(utf16_sign(b"\xFF\xFEt\0").is_some());
        assert!(utf16_sign(b"t\0i\0").is_some());
        assert!(utf16_sign(b"title,url").is_none());
    }
}
