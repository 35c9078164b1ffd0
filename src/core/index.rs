//! The in-memory search index over decrypted entries.
//!
//! Every entry's searchable text (title, username, URLs, notes, tags),
//! lowercased, is appended to one buffer. A search runs one fast substring
//! scan over the whole buffer and maps each hit back to its entry, which
//! keeps a 100,000-entry search within a few milliseconds.
//!
//! The buffer holds secrets: it grows by copying into a larger buffer and
//! wiping the old one, an edited entry's old text is overwritten in place,
//! and everything is wiped when the index is dropped.

use memchr::memmem;
use zeroize::Zeroize;

use crate::core::entries::Entry;

const FIELD_SEP: char = '\u{1}';
const ENTRY_SEP: char = '\u{0}';
const DEAD: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    slot: u32,
}

/// Substring search over every entry's searchable text.
#[derive(Default)]
pub struct SearchIndex {
    text: Vec<u8>,
    spans: Vec<Span>,
    /// For each entry slot, the index of its live span.
    span_of: Vec<usize>,
    dead_bytes: usize,
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

impl SearchIndex {
    /// Builds the index for entries in slot order.
    pub fn build(entries: &[Entry]) -> Self {
        let mut index = Self::default();
        let estimate: usize = entries.iter().map(searchable_len).sum();
        index.text = Vec::with_capacity(estimate + estimate / 8 + 64);
        for entry in entries {
            index.push(entry);
        }
        index
    }

    /// Adds the entry that now occupies the next slot.
    pub fn push(&mut self, entry: &Entry) {
        let slot = self.span_of.len();
        let span = self.append(entry, slot);
        self.span_of.push(span);
    }

    /// Replaces the text of the entry at `slot`.
    pub fn update(&mut self, slot: usize, entry: &Entry) {
        self.kill(self.span_of[slot]);
        self.span_of[slot] = self.append(entry, slot);
    }

    /// Removes the entry at `slot`; the last slot's entry moves into it (the
    /// same move `Vec::swap_remove` makes).
    pub fn swap_remove(&mut self, slot: usize) {
        self.kill(self.span_of[slot]);
        let last = self.span_of.len() - 1;
        if slot != last {
            let moved = self.span_of[last];
            self.spans[moved].slot = slot as u32;
            self.span_of[slot] = moved;
        }
        self.span_of.pop();
    }

    /// Whether enough text is dead that a rebuild would pay off.
    pub fn wants_rebuild(&self) -> bool {
        self.dead_bytes > 1 << 20 && self.dead_bytes * 2 > self.text.len()
    }

    /// Slots of the entries whose text contains every whitespace-separated
    /// term of `query`, case-insensitively, in slot order.
    pub fn search(&self, query: &str) -> Vec<usize> {
        let query = query.to_lowercase();
        let mut terms: Vec<&str> = query.split_whitespace().collect();
        if terms.is_empty() {
            return (0..self.span_of.len()).collect();
        }
        // Scan for the longest term; it has the fewest false starts.
        terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
        let first = memmem::Finder::new(terms[0].as_bytes());
        let rest: Vec<memmem::Finder<'_>> = terms[1..]
            .iter()
            .map(|t| memmem::Finder::new(t.as_bytes()))
            .collect();

        let bytes = &self.text[..];
        let needle_len = terms[0].len();
        let mut found = Vec::new();
        // Spans are in buffer order, so one cursor walks them alongside the
        // scan; after a hit the scan jumps to the next entry, so a common
        // term costs one search per entry, not one per occurrence.
        let mut cursor = 0;
        let mut pos = 0;
        while let Some(offset) = first.find(&bytes[pos..]) {
            let hit = pos + offset;
            while cursor < self.spans.len() && self.spans[cursor].end < hit + needle_len {
                cursor += 1;
            }
            let Some(span) = self.spans.get(cursor).copied() else {
                break;
            };
            if hit < span.start {
                // The match ran across an entry boundary; go on in this span.
                pos = span.start;
                continue;
            }
            if span.slot != DEAD {
                let hay = &bytes[span.start..span.end];
                if rest.iter().all(|f| f.find(hay).is_some()) {
                    found.push(span.slot as usize);
                }
            }
            pos = span.end + 1;
            cursor += 1;
            if pos >= bytes.len() {
                break;
            }
        }
        // Slots come out in buffer order, which is slot order until edits
        // move entries to the end.
        if !found.is_sorted() {
            found.sort_unstable();
        }
        found
    }

    fn append(&mut self, entry: &Entry, slot: usize) -> usize {
        let mut piece = String::with_capacity(searchable_len(entry) * 2);
        piece.push_str(entry.title.expose());
        piece.push(FIELD_SEP);
        piece.push_str(entry.username.expose());
        for url in &entry.urls {
            piece.push(FIELD_SEP);
            piece.push_str(url.expose());
        }
        piece.push(FIELD_SEP);
        piece.push_str(entry.notes.expose());
        for tag in &entry.tags {
            piece.push(FIELD_SEP);
            piece.push_str(tag.expose());
        }
        let mut lower = piece.to_lowercase();
        piece.zeroize();

        self.reserve(lower.len() + 1);
        let start = self.text.len();
        self.text.extend_from_slice(lower.as_bytes());
        self.text.push(ENTRY_SEP as u8);
        lower.zeroize();
        self.spans.push(Span {
            start,
            end: self.text.len() - 1,
            slot: slot as u32,
        });
        self.spans.len() - 1
    }

    fn kill(&mut self, span_index: usize) {
        let span = &mut self.spans[span_index];
        span.slot = DEAD;
        // Overwrite the old text so it leaves memory now, not at the next rebuild.
        let (start, end) = (span.start, span.end);
        self.text[start..end].fill(0);
        self.dead_bytes += end - start + 1;
    }

    /// Grows the buffer without leaving a copy of its old contents behind.
    fn reserve(&mut self, extra: usize) {
        if self.text.len() + extra <= self.text.capacity() {
            return;
        }
        let wanted = (self.text.capacity() * 2)
            .max(self.text.len() + extra)
            .max(4096);
        let mut grown = Vec::with_capacity(wanted);
        grown.extend_from_slice(&self.text);
        self.text.zeroize();
        self.text = grown;
    }
}

fn searchable_len(entry: &Entry) -> usize {
    entry.title.expose().len()
        + entry.username.expose().len()
        + entry
            .urls
            .iter()
            .map(|u| u.expose().len() + 1)
            .sum::<usize>()
        + entry.notes.expose().len()
        + entry
            .tags
            .iter()
            .map(|t| t.expose().len() + 1)
            .sum::<usize>()
        + 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str, notes: &str) -> Entry {
        Entry {
            title: title.into(),
            notes: notes.into(),
            ..Default::default()
        }
    }

    #[test]
    fn finds_case_insensitive_terms_in_any_field() {
        let mut e = entry("Mail", "");
        e.urls = vec!["https://Example.org".into()];
        e.tags = vec!["Work".into()];
        let index = SearchIndex::build(&[entry("Bank", "PIN here"), e]);
        assert_eq!(index.search("example"), vec![1]);
        assert_eq!(index.search("pin"), vec![0]);
        assert_eq!(index.search("work mail"), vec![1]);
        assert_eq!(index.search("work bank"), Vec::<usize>::new());
        assert_eq!(index.search("  "), vec![0, 1]);
    }

    #[test]
    fn terms_do_not_match_across_entries() {
        let index = SearchIndex::build(&[entry("abc", ""), entry("def", "")]);
        assert!(index.search("cdef").is_empty());
        assert!(index.search("c\u{0}d").is_empty());
    }

    #[test]
    fn update_and_remove_keep_slots_right() {
        let mut index =
            SearchIndex::build(&[entry("one", ""), entry("two", ""), entry("three", "")]);
        index.update(1, &entry("deux", ""));
        assert!(index.search("two").is_empty());
        assert_eq!(index.search("deux"), vec![1]);
        index.swap_remove(0);
        assert_eq!(index.search("three"), vec![0]);
        assert_eq!(index.search("deux"), vec![1]);
        assert!(index.search("one").is_empty());
        index.push(&entry("four", ""));
        assert_eq!(index.search("four"), vec![2]);
    }

    #[test]
    fn a_term_found_many_times_lists_each_entry_once_in_slot_order() {
        let mut index =
            SearchIndex::build(&[entry("eee", "eeee"), entry("abc", ""), entry("e", "e e")]);
        assert_eq!(index.search("e"), vec![0, 2]);
        index.update(0, &entry("xyz e", ""));
        assert_eq!(
            index.search("e"),
            vec![0, 2],
            "an edited entry moves in the buffer"
        );
    }

    #[test]
    fn unicode_text_is_found_lowercased() {
        let index = SearchIndex::build(&[entry("Café Müller", "東京")]);
        assert_eq!(index.search("MÜLLER"), vec![0]);
        assert_eq!(index.search("東京"), vec![0]);
    }
}
