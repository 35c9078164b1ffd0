//! What a vault holds: entries, their custom fields and password history.
//!
//! Every text field is a [`SecretString`]. Entries are sealed whole, one
//! record per row, so nothing a user typed reaches the database in plaintext.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::secret::SecretString;

/// A named extra value on an entry (a PIN, a security answer, an account id).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    /// The field's name.
    pub name: SecretString,
    /// The field's value.
    pub value: SecretString,
    /// Whether the value is masked like a password.
    pub hidden: bool,
}

impl fmt::Debug for CustomField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomField")
            .field("hidden", &self.hidden)
            .finish_non_exhaustive()
    }
}

/// One login (or note, or card) in the vault.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable identity; the row key, not part of the sealed record.
    #[serde(skip)]
    pub uuid: Uuid,
    /// Site or app name.
    pub title: SecretString,
    /// Login name.
    pub username: SecretString,
    /// The password.
    pub password: SecretString,
    /// Addresses; the first is the primary one.
    pub urls: Vec<SecretString>,
    /// Free text.
    pub notes: SecretString,
    /// Category name (empty for none).
    pub category: SecretString,
    /// Tags.
    pub tags: Vec<SecretString>,
    /// Shown first and in the favorites filter.
    pub favorite: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// When the password should be changed, Unix seconds.
    pub expires_at: Option<i64>,
    /// An `otpauth://` URI for the entry's two-factor codes.
    pub totp: Option<SecretString>,
    /// Extra named values.
    pub fields: Vec<CustomField>,
    /// When the entry was moved to the trash, Unix seconds.
    pub deleted_at: Option<i64>,
    /// Where the entry came from, when an import brought it in. (Record
    /// format 2; must stay the last field, see `vault::records`.)
    pub imported: Option<ImportMark>,
}

/// The import an entry came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportMark {
    /// The source format's short name (`bitwarden-json`, `kdbx`, ...).
    pub format: String,
    /// When it was imported, Unix seconds.
    pub at: i64,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("uuid", &self.uuid)
            .field("favorite", &self.favorite)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("expires_at", &self.expires_at)
            .field("deleted_at", &self.deleted_at)
            .field("imported", &self.imported)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// Whether the entry is in the trash.
    pub fn is_trashed(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether the password's expiry date has passed.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// Whether the password expires within `days` days (and has not yet).
    pub fn expires_within(&self, now: i64, days: u32) -> bool {
        self.expires_at
            .is_some_and(|t| t > now && t <= now + i64::from(days) * 86_400)
    }

    /// The primary URL, if any.
    pub fn primary_url(&self) -> Option<&SecretString> {
        self.urls.first()
    }

    /// The short id shown in listings: the first 8 hex digits of the uuid.
    pub fn short_id(&self) -> String {
        short_id(&self.uuid)
    }

    /// Bytes of text the entry holds, over all its fields.
    pub fn text_bytes(&self) -> usize {
        let single = [
            &self.title,
            &self.username,
            &self.password,
            &self.notes,
            &self.category,
        ];
        single.iter().map(|t| t.expose().len()).sum::<usize>()
            + self
                .urls
                .iter()
                .chain(&self.tags)
                .map(|t| t.expose().len())
                .sum::<usize>()
            + self.totp.as_ref().map_or(0, |t| t.expose().len())
            + self
                .fields
                .iter()
                .map(|f| f.name.expose().len() + f.value.expose().len())
                .sum::<usize>()
    }

    /// Checks what every entry must satisfy before it is saved.
    pub fn validate(&self) -> Result<(), String> {
        if self.title.is_blank() {
            return Err("an entry needs a title (the site or app name)".to_owned());
        }
        if self.fields.iter().any(|f| f.name.is_blank()) {
            return Err("a custom field needs a name".to_owned());
        }
        let size = self.text_bytes();
        if size > MAX_ENTRY_BYTES {
            return Err(format!(
                "the entry holds {size} bytes of text; the limit is {MAX_ENTRY_BYTES} (1 MiB)"
            ));
        }
        let mut names = std::collections::HashSet::with_capacity(self.fields.len());
        if let Some(twice) = self.fields.iter().find(|f| !names.insert(f.name.expose())) {
            return Err(format!(
                "the custom field {:?} is given twice",
                twice.name.expose()
            ));
        }
        Ok(())
    }
}

/// Most text one entry may hold; a larger value is almost surely a mistake
/// (a file pasted into a field) and would slow every unlock.
pub const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// The first 8 hex digits of a uuid: the short id `list` shows.
pub fn short_id(uuid: &Uuid) -> String {
    uuid.simple().to_string()[..8].to_owned()
}

/// Changes to apply to an entry; `None` leaves a field as it is.
#[derive(Default)]
pub struct EntryPatch {
    /// New title.
    pub title: Option<SecretString>,
    /// New username.
    pub username: Option<SecretString>,
    /// New password (the old one moves to the history).
    pub password: Option<SecretString>,
    /// New URL list (replaces the old one).
    pub urls: Option<Vec<SecretString>>,
    /// New notes.
    pub notes: Option<SecretString>,
    /// New category.
    pub category: Option<SecretString>,
    /// New tag list (replaces the old one).
    pub tags: Option<Vec<SecretString>>,
    /// New favorite flag.
    pub favorite: Option<bool>,
    /// New expiry; `Some(None)` clears it.
    pub expires_at: Option<Option<i64>>,
    /// New TOTP URI; `Some(None)` clears it.
    pub totp: Option<Option<SecretString>>,
    /// Fields to add, or replace by name.
    pub set_fields: Vec<CustomField>,
    /// Names of fields to remove.
    pub remove_fields: Vec<String>,
    /// A whole new list of fields (the editor's way); applied before the
    /// additions and removals above.
    pub replace_fields: Option<Vec<CustomField>>,
}

impl EntryPatch {
    /// Applies the patch to a copy of `entry`. Removing a field the entry
    /// does not have is an error, so a typo does not pass silently.
    pub fn apply(self, entry: &Entry) -> Result<Entry, String> {
        if let Some(name) = self
            .remove_fields
            .iter()
            .find(|n| !entry.fields.iter().any(|f| f.name.expose() == *n))
        {
            return Err(format!("the entry has no custom field named {name:?}"));
        }
        let mut next = entry.clone();
        if let Some(v) = self.title {
            next.title = v;
        }
        if let Some(v) = self.username {
            next.username = v;
        }
        if let Some(v) = self.password {
            next.password = v;
        }
        if let Some(v) = self.urls {
            next.urls = v;
        }
        if let Some(v) = self.notes {
            next.notes = v;
        }
        if let Some(v) = self.category {
            next.category = v;
        }
        if let Some(v) = self.tags {
            next.tags = v;
        }
        if let Some(v) = self.favorite {
            next.favorite = v;
        }
        if let Some(v) = self.expires_at {
            next.expires_at = v;
        }
        if let Some(v) = self.totp {
            next.totp = v;
        }
        if let Some(fields) = self.replace_fields {
            next.fields = fields;
        }
        next.fields
            .retain(|f| !self.remove_fields.iter().any(|n| n == f.name.expose()));
        for field in self.set_fields {
            match next.fields.iter_mut().find(|f| f.name == field.name) {
                Some(existing) => *existing = field,
                None => next.fields.push(field),
            }
        }
        Ok(next)
    }
}

/// Why a password changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RotationReason {
    /// The user chose to change it.
    Manual,
    /// It reached its expiry date.
    Expiry,
    /// It appeared in a breach.
    Breach,
    /// It was too weak.
    Strength,
    /// An import replaced it.
    Import,
}

/// Who changed a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The person at the keyboard.
    User,
    /// The browser extension, through the bridge.
    Browser,
    /// An import.
    Import,
    /// The program itself (a rotation policy).
    System,
}

macro_rules! name_enum {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in display order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            /// The lowercase name used on the command line and in logs.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),+ }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(<$ty>::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of: {}",
                        [$($name),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

name_enum!(RotationReason {
    Manual => "manual",
    Expiry => "expiry",
    Breach => "breach",
    Strength => "strength",
    Import => "import",
});

name_enum!(Actor {
    User => "user",
    Browser => "browser",
    Import => "import",
    System => "system",
});

/// A previous password of an entry.
#[derive(Clone, Serialize, Deserialize)]
pub struct HistoryItem {
    /// The history row's own id.
    #[serde(skip)]
    pub uuid: Uuid,
    /// The entry it belongs to.
    #[serde(skip)]
    pub entry_uuid: Uuid,
    /// The password as it was before the change.
    pub password: SecretString,
    /// When it was replaced, Unix seconds.
    pub changed_at: i64,
    /// Why it was replaced.
    pub reason: RotationReason,
    /// Who replaced it.
    pub changed_by: Actor,
    /// For passwords an import brought in or replaced: the source format's
    /// short name. (Record format 2; must stay the last field.)
    pub source: Option<String>,
}

impl fmt::Debug for HistoryItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryItem")
            .field("entry_uuid", &self.entry_uuid)
            .field("changed_at", &self.changed_at)
            .field("reason", &self.reason)
            .field("changed_by", &self.changed_by)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A category: a name and a display color.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// The category's row id.
    #[serde(skip)]
    pub uuid: Uuid,
    /// Its name.
    pub name: SecretString,
    /// `#rrggbb`.
    pub color: String,
}

impl fmt::Debug for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Category")
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

/// The categories a new vault starts with.
pub const DEFAULT_CATEGORIES: &[(&str, &str)] = &[
    ("General", "#6b7280"),
    ("Work", "#2563eb"),
    ("Personal", "#16a34a"),
    ("Finance", "#d97706"),
    ("Social", "#db2777"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            title: "Mail".into(),
            password: "old-password".into(),
            fields: vec![CustomField {
                name: "PIN".into(),
                value: "1234".into(),
                hidden: true,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn debug_output_hides_every_user_field() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("Mail"));
        assert!(!text.contains("old-password"));
        assert!(!text.contains("1234"));
    }

    #[test]
    fn patch_replaces_fields_by_name_and_removes_others() {
        let patch = EntryPatch {
            password: Some("new".into()),
            set_fields: vec![CustomField {
                name: "PIN".into(),
                value: "9".into(),
                hidden: true,
            }],
            ..Default::default()
        };
        let next = patch.apply(&sample()).unwrap();
        assert_eq!(next.password.expose(), "new");
        assert_eq!(next.fields.len(), 1);
        assert_eq!(next.fields[0].value.expose(), "9");
        let removed = EntryPatch {
            remove_fields: vec!["PIN".into()],
            ..Default::default()
        };
        assert!(removed.apply(&next).unwrap().fields.is_empty());
        let typo = EntryPatch {
            remove_fields: vec!["Pin".into()],
            ..Default::default()
        };
        assert!(
            typo.apply(&sample())
                .unwrap_err()
                .contains("no custom field named \"Pin\"")
        );
    }

    #[test]
    fn reasons_parse_from_their_names() {
        assert_eq!(
            "breach".parse::<RotationReason>(),
            Ok(RotationReason::Breach)
        );
        assert!(
            "nope"
                .parse::<RotationReason>()
                .unwrap_err()
                .contains("manual")
        );
    }

    #[test]
    fn blank_title_is_refused() {
        let entry = Entry {
            title: "  ".into(),
            ..Default::default()
        };
        assert!(entry.validate().is_err());
    }
}
