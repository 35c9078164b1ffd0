//! A plain export's folders, collections and items, turned into categories
//! and entries.
//!
//! Bitwarden's item types: 1 login, 2 secure note, 3 card, 4 identity,
//! 5 SSH key. Logins fill the entry's own username, password, URLs and TOTP;
//! the others keep their values as custom fields. Whatever cannot become an
//! entry is skipped with its position and a reason, never dropped silently.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::fields::{CARD, FieldList, IDENTITY, SSH_KEY, text};
use super::malformed;
use crate::core::entries::Entry;
use crate::core::exchange::{
    ExchangeError, Format, ImportedEntry, Parsed, PastPassword, Skipped, fill_title, totp,
};
use crate::core::secret::SecretString;
use crate::core::time::parse_rfc3339;

/// Reads the categories and items of a plain export.
pub(super) fn convert(path: &Path, root: &Map<String, Value>) -> Result<Parsed, ExchangeError> {
    let items = match root.get("items") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(malformed(path, "\"items\" is not a list")),
        None => {
            return Err(malformed(
                path,
                "there is no \"items\" list, so this is not a Bitwarden export",
            ));
        }
    };
    let mut parsed = Parsed::new(Format::BitwardenJson);
    let places = Places::read(root, &mut parsed);

    // Item ids seen so far (ids are not secret), so an item listed twice is
    // imported once.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, value) in items.iter().enumerate() {
        let position = index + 1;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        if let Some(first) = id.and_then(|id| seen.get(id)) {
            parsed.skipped.push(Skipped {
                location: location(position, value),
                reason: format!(
                    "it has the same id as item {first}, which is imported; \
                     it is imported once"
                ),
            });
            continue;
        }
        if let Some(id) = id {
            seen.insert(id, position);
        }
        match convert_item(position, value, &places, &mut parsed.warnings) {
            Ok(entry) => parsed.entries.push(entry),
            Err(skipped) => parsed.skipped.push(skipped),
        }
    }
    Ok(parsed)
}

/// Folder and collection names by id.
struct Places {
    folders: HashMap<String, SecretString>,
    collections: HashMap<String, SecretString>,
}

impl Places {
    /// Reads `folders` and `collections`, listing every name (empty folders
    /// too) in `parsed.categories`, once each.
    fn read(root: &Map<String, Value>, parsed: &mut Parsed) -> Self {
        Self {
            folders: read_names(root, "folders", parsed),
            collections: read_names(root, "collections", parsed),
        }
    }

    /// An item's category: its folder's name, else the name of the first of
    /// its collections this file describes, else none.
    fn category_of(&self, item: &Map<String, Value>) -> SecretString {
        let folder = item
            .get("folderId")
            .and_then(Value::as_str)
            .and_then(|id| self.folders.get(id));
        let collection = || {
            item.get("collectionIds")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(|id| self.collections.get(id))
        };
        folder.or_else(collection).cloned().unwrap_or_default()
    }
}

/// Reads one list of `{id, name}` objects.
fn read_names(
    root: &Map<String, Value>,
    key: &str,
    parsed: &mut Parsed,
) -> HashMap<String, SecretString> {
    let mut names = HashMap::new();
    let list = match root.get(key) {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => return names,
        Some(_) => {
            parsed.warnings.push(format!(
                "\"{key}\" is not a list; items were imported without their {key}"
            ));
            return names;
        }
    };
    for place in list.iter().filter_map(Value::as_object) {
        let name = text(place, "name");
        if name.trim().is_empty() {
            continue;
        }
        if !parsed.categories.contains(&name) {
            parsed.categories.push(name.clone());
        }
        let id = text(place, "id");
        if !id.is_empty() {
            names.insert(id, SecretString::new(name));
        }
    }
    names
}

/// Where an item is, for skips and warnings: `item 3 "Name"`, or `item 3`
/// when it has no name.
fn location(position: usize, item: &Value) -> String {
    match item.get("name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => format!("item {position} {name:?}"),
        _ => format!("item {position}"),
    }
}

/// Turns one item into an entry, or says why it is skipped.
fn convert_item(
    position: usize,
    value: &Value,
    places: &Places,
    warnings: &mut Vec<String>,
) -> Result<ImportedEntry, Skipped> {
    let location = location(position, value);
    let skip = |reason: String| Skipped {
        location: location.clone(),
        reason,
    };
    let Some(item) = value.as_object() else {
        return Err(skip(
            "it is not a JSON object, so it holds no item; it was not imported".to_owned(),
        ));
    };

    let mut entry = base_entry(item, places);
    let mut fields = FieldList::default();
    let raw_totp = match item.get("type").and_then(Value::as_u64) {
        Some(1) => login(item, &mut entry),
        Some(2) => None,
        Some(3) => {
            fields.push_section(item, "card", CARD);
            None
        }
        Some(4) => {
            fields.push_section(item, "identity", IDENTITY);
            None
        }
        Some(5) => {
            fields.push_section(item, "sshKey", SSH_KEY);
            None
        }
        other => return Err(skip(unknown_type(item.get("type"), other))),
    };
    fields.push_custom(item);
    let history = history(item);

    let has_content = !entry.username.is_blank()
        || !entry.password.is_empty()
        || !entry.urls.is_empty()
        || !entry.notes.is_blank()
        || raw_totp.is_some()
        || !fields.is_empty()
        || !history.is_empty();
    if !has_content {
        return Err(skip(
            "it has no username, password, URL, notes, TOTP, fields or password \
             history, so there is nothing to import"
                .to_owned(),
        ));
    }

    fill_title(&mut entry);
    if let Some(raw) = raw_totp {
        set_totp(&mut entry, &mut fields, raw, &location, warnings);
    }
    entry.fields = fields.into_vec();
    if let Err(why) = entry.validate() {
        return Err(skip(format!("{why}; it was not imported")));
    }
    Ok(ImportedEntry {
        entry,
        history,
        location,
    })
}

/// The parts every item type has: name, notes, favorite, category, dates,
/// trash state and id.
fn base_entry(item: &Map<String, Value>, places: &Places) -> Entry {
    let updated_at = date(item, "revisionDate").unwrap_or(0);
    // An item in Bitwarden's trash has a deletion date; keep it trashed here
    // too. A date that does not parse still means "deleted".
    let deleted_at = match item.get("deletedDate") {
        None | Some(Value::Null) => None,
        Some(_) => Some(date(item, "deletedDate").unwrap_or(updated_at)),
    };
    // Bitwarden ids are UUIDs; keeping them lets a second import of the same
    // export merge instead of adding copies.
    let uuid = item
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_default();
    Entry {
        uuid,
        title: text(item, "name").into(),
        notes: text(item, "notes").into(),
        favorite: item
            .get("favorite")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        category: places.category_of(item),
        created_at: date(item, "creationDate").unwrap_or(0),
        updated_at,
        deleted_at,
        ..Entry::default()
    }
}

/// Fills a login's username, password and URLs; returns its raw TOTP value,
/// if it has one.
fn login(item: &Map<String, Value>, entry: &mut Entry) -> Option<SecretString> {
    let login = item.get("login").and_then(Value::as_object)?;
    entry.username = text(login, "username").into();
    entry.password = text(login, "password").into();
    entry.urls = login
        .get("uris")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|uri| text(uri, "uri"))
        .filter(|uri| !uri.trim().is_empty())
        .map(SecretString::new)
        .collect();
    let totp = SecretString::new(text(login, "totp"));
    (!totp.is_blank()).then_some(totp)
}

/// Stores a TOTP value as an `otpauth://` URI; one that is neither a URI nor
/// a base32 secret is kept as the hidden field `TOTP`, with a warning.
fn set_totp(
    entry: &mut Entry,
    fields: &mut FieldList,
    raw: SecretString,
    location: &str,
    warnings: &mut Vec<String>,
) {
    match totp::normalize(raw.expose(), entry.title.expose()) {
        Ok(uri) => entry.totp = uri.map(SecretString::new),
        Err(why) => {
            warnings.push(format!(
                "{location}: {why}, so its TOTP value was kept as the hidden field \"TOTP\"; \
                 check it in the entry"
            ));
            fields.push("TOTP", raw, true);
        }
    }
}

/// The item's older passwords, oldest first.
fn history(item: &Map<String, Value>) -> Vec<PastPassword> {
    let mut history: Vec<PastPassword> = item
        .get("passwordHistory")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|old| {
            let password = SecretString::new(text(old, "password"));
            (!password.is_empty()).then(|| PastPassword {
                password,
                changed_at: date(old, "lastUsedDate").unwrap_or(0),
                reason: None,
            })
        })
        .collect();
    // Bitwarden lists the newest first; a stable sort keeps the file's order
    // among equal (or unknown) dates.
    history.sort_by_key(|old| old.changed_at);
    history
}

/// An RFC 3339 date in Unix seconds.
fn date(object: &Map<String, Value>, key: &str) -> Option<i64> {
    object
        .get(key)
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
}

/// Why an item of an unknown type is skipped.
fn unknown_type(raw: Option<&Value>, number: Option<u64>) -> String {
    let known = "the types this program reads are 1 login, 2 secure note, 3 card, \
                 4 identity and 5 SSH key";
    match (raw, number) {
        (_, Some(n)) => format!("its type {n} is not one it knows ({known}); it was not imported"),
        (None | Some(Value::Null), None) => {
            format!("it has no \"type\" ({known}); it was not imported")
        }
        (Some(_), None) => {
            format!("its \"type\" is not a number ({known}); it was not imported")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn locations_quote_names_and_drop_blank_ones() {
        assert_eq!(
            location(3, &value(r#"{"name": "Gmail"}"#)),
            "item 3 \"Gmail\""
        );
        assert_eq!(
            location(4, &value(r#"{"name": "say \"hi\""}"#)),
            r#"item 4 "say \"hi\"""#
        );
        assert_eq!(location(5, &value(r#"{"name": "  "}"#)), "item 5");
        assert_eq!(location(6, &value("[]")), "item 6");
    }

    #[test]
    fn history_without_dates_keeps_file_order_before_dated_passwords() {
        let item = value(
            r#"{"passwordHistory": [
                {"lastUsedDate": "2024-01-01T00:00:00Z", "password": "b"},
                {"lastUsedDate": "garbage", "password": "x"},
                {"password": "y"},
                {"lastUsedDate": "2020-01-01T00:00:00Z", "password": ""}
            ]}"#,
        );
        let seen: Vec<(String, i64)> = history(item.as_object().unwrap())
            .into_iter()
            .map(|h| (h.password.expose().to_owned(), h.changed_at))
            .collect();
        assert_eq!(
            seen,
            [
                ("x".to_owned(), 0),
                ("y".to_owned(), 0),
                ("b".to_owned(), 1_704_067_200)
            ]
        );
    }

    #[test]
    fn a_deletion_date_that_does_not_parse_still_trashes_the_item() {
        let places = Places {
            folders: HashMap::new(),
            collections: HashMap::new(),
        };
        let item = value(r#"{"revisionDate": "2024-01-01T00:00:00Z", "deletedDate": "soon"}"#);
        let entry = base_entry(item.as_object().unwrap(), &places);
        assert_eq!(entry.deleted_at, Some(1_704_067_200));
    }
}
