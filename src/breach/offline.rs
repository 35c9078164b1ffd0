//! The offline Pwned Passwords file: `HASH:COUNT` lines (40 hex digits of
//! SHA-1, a colon, a decimal count), sorted by hash, CRLF or LF, tens of
//! gigabytes.
//!
//! A lookup is a binary search over byte offsets: probe the middle of the
//! remaining range, skip to the next line start, read that one line (at
//! most 63 bytes) and halve the range. Memory use is constant and a lookup
//! reads a few dozen small blocks, so the file is never loaded.
//!
//! A binary search in an unsorted file silently answers "not found" for
//! hashes that are there, so order is checked twice: at `open` (every line
//! of a small file, a few thousand evenly spaced lines of a large one), and
//! during every search (each line read must sort between the lines that
//! bound the range it was read from). Any disorder is an error, never an
//! answer.

use std::cmp::Ordering;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::error::BreachError;
use super::rows::{parse_count, parse_hex_hash};
use crate::core::audit::breach::Sha1;

/// The longest valid line: 40 hex digits, a colon, a 20-digit count, CR LF.
const MAX_LINE: usize = 63;
/// How many evenly spaced lines `open` checks in a large file.
const SAMPLES: u64 = 4096;
/// Files up to this size are checked line by line at `open`.
const FULL_CHECK_LIMIT: u64 = 1 << 20;

/// An opened offline Pwned Passwords file, checked for format and order.
#[derive(Debug)]
pub struct OfflineFile {
    file: File,
    len: u64,
    path: PathBuf,
}

/// One line of the file and where it lies.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: u64,
    /// Where the following line starts (the file length after the last).
    next: u64,
    hash: Sha1,
    count: u64,
}

impl OfflineFile {
    /// Opens `path` and checks that it is a non-empty, sorted file of
    /// `HASH:COUNT` lines.
    pub fn open(path: &Path) -> Result<Self, BreachError> {
        let io = |error| BreachError::OfflineIo {
            path: path.to_path_buf(),
            error,
        };
        // A FIFO or device could block forever or never end.
        if !std::fs::metadata(path).map_err(io)?.is_file() {
            return Err(BreachError::OfflineNotAFile {
                path: path.to_path_buf(),
            });
        }
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            return Err(BreachError::OfflineEmpty {
                path: path.to_path_buf(),
            });
        }
        let opened = Self {
            file,
            len,
            path: path.to_path_buf(),
        };
        opened.check_order()?;
        Ok(opened)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How often `hash` was seen, or `None` if the file does not list it.
    pub fn lookup(&self, hash: &Sha1) -> Result<Option<u64>, BreachError> {
        // Invariant: `lo` is a line start; every line before `lo` sorts
        // below `hash` and every line from `hi` on sorts above it.
        let (mut lo, mut hi) = (0, self.len);
        let (mut below, mut above): (Option<Sha1>, Option<Sha1>) = (None, None);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let line = match self.line_at_or_after(mid)? {
                Some(line) if line.start < hi => line,
                // No line starts in [mid, hi): the answer lies before mid.
                _ => {
                    hi = mid;
                    continue;
                }
            };
            let out_of_bounds =
                below.is_some_and(|b| line.hash <= b) || above.is_some_and(|a| line.hash >= a);
            if out_of_bounds {
                return Err(self.not_sorted());
            }
            match line.hash.cmp(hash) {
                Ordering::Equal => return Ok(Some(line.count)),
                Ordering::Less => (lo, below) = (line.next, Some(line.hash)),
                Ordering::Greater => (hi, above) = (line.start, Some(line.hash)),
            }
        }
        Ok(None)
    }

    /// Checks format and ascending order: every line of a small file, or
    /// evenly spaced lines plus the last few of a large one.
    fn check_order(&self) -> Result<(), BreachError> {
        if self.len <= FULL_CHECK_LIMIT {
            return self.check_run(0);
        }
        let mut previous: Option<Line> = None;
        for i in 0..SAMPLES {
            let pos = (u128::from(self.len) * u128::from(i) / u128::from(SAMPLES)) as u64;
            let Some(line) = self.line_at_or_after(pos)? else {
                continue;
            };
            if previous.is_some_and(|p| p.start == line.start) {
                continue;
            }
            if previous.is_some_and(|p| line.hash <= p.hash) {
                return Err(self.not_sorted());
            }
            previous = Some(line);
        }
        // The tail, so that the last line's format is checked too.
        let tail = self.len.saturating_sub(2 * MAX_LINE as u64);
        match self.line_at_or_after(tail)? {
            Some(first) => self.check_run(first.start),
            None => Ok(()),
        }
    }

    /// Reads every line from `start` to the end, checking that each sorts
    /// above the one before.
    fn check_run(&self, start: u64) -> Result<(), BreachError> {
        let mut previous: Option<Sha1> = None;
        let mut at = start;
        while at < self.len {
            let line = self.line_at(at)?;
            if previous.is_some_and(|p| line.hash <= p) {
                return Err(self.not_sorted());
            }
            previous = Some(line.hash);
            at = line.next;
        }
        Ok(())
    }

    /// The first line that starts at or after `pos`, if any.
    fn line_at_or_after(&self, pos: u64) -> Result<Option<Line>, BreachError> {
        if pos == 0 {
            return self.line_at(0).map(Some);
        }
        // One read from the byte before `pos` holds the rest of the line
        // `pos` falls in (a newline right there means a line starts at
        // `pos`) and the whole line after it: one system call per probe.
        let mut buf = [0u8; 2 * (MAX_LINE + 1)];
        let n = self.read_at(&mut buf, pos - 1)?;
        let start = match memchr::memchr(b'\n', &buf[..n.min(MAX_LINE + 1)]) {
            Some(i) => pos + i as u64,
            None if n < MAX_LINE + 1 => return Ok(None),
            None => return Err(self.malformed(pos)),
        };
        if start >= self.len {
            return Ok(None);
        }
        let rest = &buf[(start - (pos - 1)) as usize..n];
        self.parse_line(rest, start, n < buf.len()).map(Some)
    }

    /// Reads and parses the line that starts at `start`.
    fn line_at(&self, start: u64) -> Result<Line, BreachError> {
        let mut buf = [0u8; MAX_LINE + 1];
        let n = self.read_at(&mut buf, start)?;
        self.parse_line(&buf[..n], start, n < buf.len())
    }

    /// Parses the line at the head of `bytes`, which were read from `start`
    /// and reach the end of the file if `to_eof`.
    fn parse_line(&self, bytes: &[u8], start: u64, to_eof: bool) -> Result<Line, BreachError> {
        let window = &bytes[..bytes.len().min(MAX_LINE + 1)];
        let (text, next) = match memchr::memchr(b'\n', window) {
            Some(i) => (&window[..i], start + i as u64 + 1),
            // The last line may lack its newline.
            None if to_eof && window.len() == bytes.len() => (window, start + window.len() as u64),
            None => return Err(self.malformed(start)),
        };
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let Some(colon) = memchr::memchr(b':', text) else {
            return Err(self.malformed(start));
        };
        let (hex, count) = (&text[..colon], &text[colon + 1..]);
        if hex.len() == 32 && hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(BreachError::OfflineNtlm {
                path: self.path.clone(),
            });
        }
        match (parse_hex_hash(hex), parse_count(count)) {
            (Some(hash), Some(count)) if count > 0 => Ok(Line {
                start,
                next,
                hash,
                count,
            }),
            _ => Err(self.malformed(start)),
        }
    }

    /// Fills as much of `buf` as the file has from `offset`; returns how
    /// much (less than `buf.len()` only at the end of the file).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize, BreachError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self
                .file
                .read_at(&mut buf[filled..], offset + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(BreachError::OfflineIo {
                        path: self.path.clone(),
                        error,
                    });
                }
            }
        }
        Ok(filled)
    }

    fn malformed(&self, offset: u64) -> BreachError {
        BreachError::OfflineMalformed {
            path: self.path.clone(),
            offset,
        }
    }

    fn not_sorted(&self) -> BreachError {
        BreachError::OfflineNotSorted {
            path: self.path.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::audit::breach::hex_upper;

    /// A hash whose first byte is `first` and whose other bytes are zero.
    fn hash(first: u8) -> Sha1 {
        let mut hash = [0u8; 20];
        hash[0] = first;
        hash
    }

    #[test]
    fn a_search_that_meets_disorder_is_an_error_not_an_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unsorted.txt");
        let text: String = [0x10, 0x20, 0x60, 0x30, 0x40, 0x50, 0x70]
            .map(|b| format!("{}:1\n", hex_upper(&hash(b))))
            .concat();
        std::fs::write(&path, text).unwrap();
        assert!(matches!(
            OfflineFile::open(&path),
            Err(BreachError::OfflineNotSorted { .. })
        ));

        // Skip the check at open, as if sampling had missed the disorder:
        // the search reads 0x40 (range now below it), then 0x60 inside that
        // range, which cannot be in a sorted file.
        let file = File::open(&path).unwrap();
        let len = file.metadata().unwrap().len();
        let unchecked = OfflineFile { file, len, path };
        assert!(matches!(
            unchecked.lookup(&hash(0x35)),
            Err(BreachError::OfflineNotSorted { .. })
        ));
    }
}
