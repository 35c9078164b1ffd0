//! A reader for KeePass 2 XML (File > Export > KeePass XML, and the inner
//! document of a KDBX file).
//!
//! It walks the elements it knows (`KeePassFile/Meta`, `Root/Group`,
//! `Entry`, `String`, `Times`, `History`, `DeletedObjects`) and skips the
//! rest, so icons, auto-type and plug-in data cost nothing. It is lenient
//! where KeePassXC's lenient mode is (missing uuids, broken deleted-object
//! records), and strict where a guess would mislead: a file without exactly
//! one `<Root>` holding exactly one group is refused. Errors name the line
//! and column, never a value.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use zeroize::Zeroizing;

use super::model::{Doc, Group, KpEntry, KpString, Times};
use crate::core::exchange::ExchangeError;
use crate::core::secret::SecretString;

/// Deepest group nesting accepted; real databases stay far below, and the
/// limit keeps a hostile file from exhausting the stack.
const MAX_GROUP_DEPTH: usize = 128;

/// Seconds from 0001-01-01 to 1970-01-01: KDBX 4 stores times as seconds
/// since the former.
const KDBX4_EPOCH_OFFSET: i64 = 62_135_596_800;

/// Parses the text of a KeePass 2 XML document.
pub(super) fn parse(path: &Path, text: &str) -> Result<Doc, ExchangeError> {
    let mut reader = XmlReader {
        reader: Reader::from_str(text),
        text,
        newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        path,
        bad_times: 0,
        warnings: Vec::new(),
    };
    reader.document()
}

/// The base64 `<HeaderHash>` of a KDBX 3.1 inner document's `Meta`, if it
/// has one. Only `Meta` is read.
pub(super) fn header_hash(text: &str) -> Option<String> {
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut hash = String::new();
    loop {
        let in_hash = path.len() == 3 && path[1] == "Meta" && path[2] == "HeaderHash";
        match reader.read_event().ok()? {
            Event::Start(e) => {
                path.push(e.name().as_ref().to_owned());
                // Meta comes before Root; past it there is nothing to find.
                if path.len() == 2 && path[1] == "Root" {
                    return None;
                }
            }
            Event::End(_) if in_hash => return Some(hash.trim().to_owned()),
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if in_hash => hash.push_str(&t.xml10_content()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// A time as KeePass writes it: ISO 8601 in XML and KDBX 3, base64 of a
/// little-endian i64 of seconds since 0001-01-01 in KDBX 4.
pub(super) fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc().timestamp());
    }
    let bytes: [u8; 8] = B64.decode(text).ok()?.try_into().ok()?;
    i64::from_le_bytes(bytes).checked_sub(KDBX4_EPOCH_OFFSET)
}

/// A uuid as KeePass writes it: base64 of its 16 bytes. The nil uuid
/// (KeePass's "none") reads as `None`.
pub(super) fn parse_uuid(text: &str) -> Option<uuid::Uuid> {
    let bytes: [u8; 16] = B64.decode(text.trim()).ok()?.try_into().ok()?;
    let uuid = uuid::Uuid::from_bytes(bytes);
    (!uuid.is_nil()).then_some(uuid)
}

/// Splits KeePass tags: `;` and `,` separate them.
pub(super) fn split_tags(text: &str) -> Vec<SecretString> {
    text.split([';', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
        .collect()
}

/// An element the walker stopped at: its name, start tag and position.
struct Child<'a> {
    name: String,
    start: BytesStart<'a>,
    /// `<Name/>`: there is nothing to read inside.
    empty: bool,
    /// Byte offset of its `<`.
    offset: u64,
}

struct XmlReader<'a> {
    reader: Reader<&'a [u8]>,
    text: &'a str,
    /// Offsets of every `\n`, so a line number costs a binary search.
    newlines: Vec<usize>,
    path: &'a Path,
    /// Dates that could not be read (left empty, reported once).
    bad_times: usize,
    warnings: Vec<String>,
}

impl<'a> XmlReader<'a> {
    fn document(&mut self) -> Result<Doc, ExchangeError> {
        let mut doc = None;
        loop {
            let offset = self.reader.buffer_position();
            let (start, empty) = match self.next()? {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::Eof => break,
                _ => continue,
            };
            if doc.is_some() {
                return Err(
                    self.malformed_at(offset, "there is another element after </KeePassFile>")
                );
            }
            if start.name().as_ref() != "KeePassFile" {
                let detail = format!(
                    "its first element is <{}>, but KeePass 2 XML starts with <KeePassFile>; \
                     export the database again as KeePass XML",
                    start.name().as_ref()
                );
                return Err(self.malformed_at(offset, &detail));
            }
            let element = self.child(start, empty, offset);
            doc = Some(self.keepass_file(&element)?);
        }
        let mut doc = doc.ok_or_else(|| {
            self.malformed("the file holds no <KeePassFile> element; it is not KeePass 2 XML")
        })?;
        if self.bad_times > 0 {
            self.warnings.push(format!(
                "{} dates could not be read and were left empty",
                self.bad_times
            ));
        }
        doc.warnings.append(&mut self.warnings);
        Ok(doc)
    }

    fn keepass_file(&mut self, element: &Child<'a>) -> Result<Doc, ExchangeError> {
        let mut doc = Doc {
            root: Group::default(),
            recycle_bin: None,
            recycle_bin_declared: false,
            deleted: Vec::new(),
            warnings: Vec::new(),
        };
        let mut seen_root = false;
        self.children(element, |this, child| match child.name.as_str() {
            "Meta" => this.meta(&child, &mut doc),
            "Root" if seen_root => Err(this.malformed_at(
                child.offset,
                "the file has a second <Root> element; a KeePass database has exactly one",
            )),
            "Root" => {
                seen_root = true;
                this.root(&child, &mut doc)
            }
            _ => this.skip(&child),
        })?;
        if !seen_root {
            return Err(self.malformed("the file has no <Root> element, so it holds no entries"));
        }
        Ok(doc)
    }

    fn meta(&mut self, element: &Child<'a>, doc: &mut Doc) -> Result<(), ExchangeError> {
        self.children(element, |this, child| {
            if child.name != "RecycleBinUUID" {
                return this.skip(&child);
            }
            let text = this.text(&child)?;
            if !text.trim().is_empty() {
                doc.recycle_bin_declared = true;
                doc.recycle_bin = parse_uuid(&text);
            }
            Ok(())
        })
    }

    fn root(&mut self, element: &Child<'a>, doc: &mut Doc) -> Result<(), ExchangeError> {
        let mut group = None;
        self.children(element, |this, child| match child.name.as_str() {
            "Group" if group.is_some() => Err(this.malformed_at(
                child.offset,
                "<Root> holds a second group; a KeePass database has exactly one root group",
            )),
            "Group" => {
                group = Some(this.group(&child, 0)?);
                Ok(())
            }
            "DeletedObjects" => this.deleted_objects(&child, doc),
            _ => this.skip(&child),
        })?;
        doc.root = group.ok_or_else(|| {
            self.malformed_at(
                element.offset,
                "<Root> holds no group; a KeePass database has exactly one root group",
            )
        })?;
        Ok(())
    }

    fn group(&mut self, element: &Child<'a>, depth: usize) -> Result<Group, ExchangeError> {
        if depth > MAX_GROUP_DEPTH {
            return Err(self.malformed_at(
                element.offset,
                &format!("groups are nested more than {MAX_GROUP_DEPTH} levels deep"),
            ));
        }
        let mut group = Group::default();
        self.children(element, |this, child| {
            match child.name.as_str() {
                "UUID" => group.uuid = parse_uuid(&this.text(&child)?),
                "Name" => group.name = this.secret_text(&child)?,
                "Entry" => group.entries.push(this.entry(&child, false)?),
                "Group" => group.groups.push(this.group(&child, depth + 1)?),
                _ => this.skip(&child)?,
            }
            Ok(())
        })?;
        Ok(group)
    }

    fn entry(&mut self, element: &Child<'a>, in_history: bool) -> Result<KpEntry, ExchangeError> {
        let (line, _) = self.line_column(element.offset);
        let mut entry = KpEntry {
            location: format!("line {line}"),
            ..KpEntry::default()
        };
        self.children(element, |this, child| {
            match child.name.as_str() {
                "UUID" => entry.uuid = parse_uuid(&this.text(&child)?),
                "Tags" => entry.tags = split_tags(&this.text(&child)?),
                "Times" => entry.times = this.times(&child)?,
                "String" => {
                    if let Some(string) = this.string(&child)? {
                        entry.strings.push(string);
                    }
                }
                "Binary" => {
                    entry.attachments += 1;
                    this.skip(&child)?;
                }
                // A version's own history is meaningless; KeePass never
                // writes one.
                "History" if !in_history => this.children(&child, |this, version| {
                    if version.name == "Entry" {
                        entry.history.push(this.entry(&version, true)?);
                        Ok(())
                    } else {
                        this.skip(&version)
                    }
                })?,
                _ => this.skip(&child)?,
            }
            Ok(())
        })?;
        Ok(entry)
    }

    /// One `<String>`; `None` (with a warning) when it has no key.
    fn string(&mut self, element: &Child<'a>) -> Result<Option<KpString>, ExchangeError> {
        let mut key = None;
        let mut value = SecretString::default();
        let mut protected = false;
        self.children(element, |this, child| {
            match child.name.as_str() {
                "Key" => key = Some(this.secret_text(&child)?),
                "Value" => {
                    protected = is_protected(&child.start);
                    value = this.secret_text(&child)?;
                }
                _ => this.skip(&child)?,
            }
            Ok(())
        })?;
        match key {
            Some(key) if !key.is_blank() => Ok(Some(KpString {
                key,
                value,
                protected,
            })),
            _ => {
                let (line, _) = self.line_column(element.offset);
                self.warnings.push(format!(
                    "line {line}: a <String> without a name was ignored"
                ));
                Ok(None)
            }
        }
    }

    fn times(&mut self, element: &Child<'a>) -> Result<Times, ExchangeError> {
        let mut times = Times::default();
        self.children(element, |this, child| {
            let slot = match child.name.as_str() {
                "CreationTime" => &mut times.created,
                "LastModificationTime" => &mut times.modified,
                "ExpiryTime" => &mut times.expiry,
                "LocationChanged" => &mut times.location_changed,
                "Expires" => {
                    times.expires = parse_bool(&this.text(&child)?);
                    return Ok(());
                }
                _ => return this.skip(&child),
            };
            *slot = this.time(&child)?;
            Ok(())
        })?;
        Ok(times)
    }

    fn deleted_objects(&mut self, element: &Child<'a>, doc: &mut Doc) -> Result<(), ExchangeError> {
        let mut ignored = 0;
        self.children(element, |this, record| {
            if record.name != "DeletedObject" {
                return this.skip(&record);
            }
            let (mut uuid, mut time) = (None, None);
            this.children(&record, |this, child| {
                match child.name.as_str() {
                    "UUID" => uuid = parse_uuid(&this.text(&child)?),
                    "DeletionTime" => time = this.time(&child)?,
                    _ => this.skip(&child)?,
                }
                Ok(())
            })?;
            match uuid {
                Some(uuid) => doc
                    .deleted
                    .push((uuid, time.unwrap_or_else(crate::core::time::now_unix))),
                None => ignored += 1,
            }
            Ok(())
        })?;
        if ignored > 0 {
            let (line, _) = self.line_column(element.offset);
            self.warnings.push(format!(
                "line {line}: {ignored} deleted-object records without a valid uuid were ignored"
            ));
        }
        Ok(())
    }

    fn time(&mut self, element: &Child<'a>) -> Result<Option<i64>, ExchangeError> {
        let text = self.text(element)?;
        let time = parse_time(&text);
        if time.is_none() && !text.trim().is_empty() {
            self.bad_times += 1;
        }
        Ok(time)
    }
}

/// The event walking itself: children, text, skipping, errors.
impl<'a> XmlReader<'a> {
    fn next(&mut self) -> Result<Event<'a>, ExchangeError> {
        self.reader.read_event().map_err(|e| {
            let offset = self.reader.error_position();
            self.malformed_at(offset, describe_error(&e))
        })
    }

    fn child(&self, start: BytesStart<'a>, empty: bool, offset: u64) -> Child<'a> {
        Child {
            name: start.name().as_ref().to_owned(),
            start,
            empty,
            offset,
        }
    }

    /// Calls `visit` for each child element of `parent`; `visit` must read
    /// or skip the child to its end.
    fn children(
        &mut self,
        parent: &Child<'a>,
        mut visit: impl FnMut(&mut Self, Child<'a>) -> Result<(), ExchangeError>,
    ) -> Result<(), ExchangeError> {
        if parent.empty {
            return Ok(());
        }
        loop {
            let offset = self.reader.buffer_position();
            match self.next()? {
                Event::Start(e) => {
                    let child = self.child(e, false, offset);
                    visit(self, child)?;
                }
                Event::Empty(e) => {
                    let child = self.child(e, true, offset);
                    visit(self, child)?;
                }
                Event::End(_) => return Ok(()),
                Event::Eof => return Err(self.truncated(parent)),
                _ => {}
            }
        }
    }

    /// The text inside `element`, entities resolved; nested elements are
    /// skipped.
    fn text(&mut self, element: &Child<'a>) -> Result<Zeroizing<String>, ExchangeError> {
        let mut text = Zeroizing::new(String::new());
        if element.empty {
            return Ok(text);
        }
        loop {
            let offset = self.reader.buffer_position();
            match self.next()? {
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::CData(c) => text.push_str(&c.xml10_content()),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => {
                            quick_xml::escape::resolve_predefined_entity(&r).map(str::to_owned)
                        }
                        Err(_) => None,
                    };
                    let resolved = resolved.ok_or_else(|| {
                        self.malformed_at(offset, "an unknown entity or character reference")
                    })?;
                    text.push_str(&resolved);
                }
                Event::Start(e) => {
                    let nested = self.child(e, false, offset);
                    self.skip(&nested)?;
                }
                Event::End(_) => return Ok(text),
                Event::Eof => return Err(self.truncated(element)),
                _ => {}
            }
        }
    }

    fn secret_text(&mut self, element: &Child<'a>) -> Result<SecretString, ExchangeError> {
        let mut text = self.text(element)?;
        Ok(SecretString::new(std::mem::take(&mut *text)))
    }

    /// Skips `element` and everything in it (without recursion, so a deep
    /// hostile nesting costs nothing).
    fn skip(&mut self, element: &Child<'a>) -> Result<(), ExchangeError> {
        if element.empty {
            return Ok(());
        }
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Event::Start(_) => depth += 1,
                Event::End(_) if depth == 0 => return Ok(()),
                Event::End(_) => depth -= 1,
                Event::Eof => return Err(self.truncated(element)),
                _ => {}
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, offset: u64) -> (usize, usize) {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let newlines_before = self.newlines.partition_point(|&n| n < offset);
        let line_start = match newlines_before {
            0 => 0,
            n => self.newlines[n - 1] + 1,
        };
        let column = self
            .text
            .get(line_start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (newlines_before + 1, column)
    }

    fn malformed(&self, detail: &str) -> ExchangeError {
        ExchangeError::Malformed {
            path: self.path.to_owned(),
            format: super::XML_FORMAT,
            detail: detail.to_owned(),
        }
    }

    fn malformed_at(&self, offset: u64, detail: &str) -> ExchangeError {
        let (line, column) = self.line_column(offset);
        self.malformed(&format!("line {line}, column {column}: {detail}"))
    }

    fn truncated(&self, element: &Child<'a>) -> ExchangeError {
        let detail = format!(
            "the file ends inside <{}>, which is never closed; it may be cut short",
            element.name
        );
        self.malformed_at(element.offset, &detail)
    }
}

/// What kind of XML error this is, in words that cannot quote the file
/// (quick-xml's own messages may quote tag names, which in a damaged file
/// can be pieces of a value). The line and column point at the place.
pub(super) fn describe_error(error: &quick_xml::Error) -> &'static str {
    match error {
        quick_xml::Error::Syntax(_) => {
            "the XML is not well formed: a tag, comment or declaration is never closed"
        }
        quick_xml::Error::IllFormed(_) => {
            "the XML is not well formed: an element is closed that is not open, or by another name"
        }
        quick_xml::Error::InvalidAttr(_) => "the XML is not well formed: an attribute is broken",
        quick_xml::Error::Escape(_) => "the XML holds an invalid entity or character reference",
        quick_xml::Error::Encoding(_) => "the XML is not valid UTF-8 text",
        _ => "the XML is not well formed",
    }
}

/// Whether a `<Value>` is marked protected (`Protected` in KDBX,
/// `ProtectInMemory` in exported XML).
fn is_protected(start: &BytesStart<'_>) -> bool {
    start.attributes().flatten().any(|a| {
        matches!(a.key.as_ref(), "Protected" | "ProtectInMemory")
            && a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .is_ok_and(|v| parse_bool(&v))
    })
}

fn parse_bool(text: &str) -> bool {
    let text = text.trim();
    text.eq_ignore_ascii_case("true") || text == "1"
}

#[cfg(test)]
mod tests;
