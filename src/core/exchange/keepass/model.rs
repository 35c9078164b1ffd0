//! The shape of a KeePass database as both readers see it.
//!
//! The XML reader builds it from the file's elements, the KDBX reader from
//! the `keepass` crate's decrypted database; [`super::convert`] then turns
//! it into entries once, so both paths follow the same rules (group paths,
//! recycle bin, TOTP conventions, history).

use crate::core::secret::SecretString;

/// A whole database: its single root group and what its `Meta` and
/// `DeletedObjects` say.
pub(super) struct Doc {
    /// The root group (its own name is not part of any category).
    pub root: Group,
    /// Meta `RecycleBinUUID`, when present and not the nil uuid.
    pub recycle_bin: Option<uuid::Uuid>,
    /// Whether Meta named a recycle bin at all; when it does not, a group
    /// called `Recycle Bin` below the root plays that part.
    pub recycle_bin_declared: bool,
    /// `DeletedObjects`: uuid and deletion time (Unix seconds).
    pub deleted: Vec<(uuid::Uuid, i64)>,
    /// Problems the reader worked around (no secrets in them).
    pub warnings: Vec<String>,
}

/// A group with its entries and subgroups, in file order.
#[derive(Default)]
pub(super) struct Group {
    /// The group's uuid, when it has a valid one.
    pub uuid: Option<uuid::Uuid>,
    /// The group's name.
    pub name: SecretString,
    /// Entries directly in this group.
    pub entries: Vec<KpEntry>,
    /// Child groups.
    pub groups: Vec<Group>,
}

/// One entry (or one history version of it).
#[derive(Default)]
pub(super) struct KpEntry {
    /// The entry's uuid, when it has a valid, non-nil one.
    pub uuid: Option<uuid::Uuid>,
    /// Where it is in the file (`line 12`, `item 3`), for messages.
    pub location: String,
    /// Its strings, in file order (sorted by key for KDBX, whose reader
    /// does not keep the order).
    pub strings: Vec<KpString>,
    /// Its tags, already split.
    pub tags: Vec<SecretString>,
    /// Its times.
    pub times: Times,
    /// How many attachments it has (they are not imported).
    pub attachments: usize,
    /// Older versions, oldest first (empty for a version itself).
    pub history: Vec<KpEntry>,
}

/// One `<String>`: a key, a value and whether KeePass protects it.
pub(super) struct KpString {
    /// The key (`Title`, `UserName`, or a custom field's name).
    pub key: SecretString,
    /// The value, decrypted.
    pub value: SecretString,
    /// `Protected` / `ProtectInMemory` was set.
    pub protected: bool,
}

/// An entry's `<Times>`, as Unix seconds.
#[derive(Default, Clone, Copy)]
pub(super) struct Times {
    /// `CreationTime`.
    pub created: Option<i64>,
    /// `LastModificationTime`.
    pub modified: Option<i64>,
    /// `ExpiryTime`, meaningful only when `expires` is set.
    pub expiry: Option<i64>,
    /// `Expires`.
    pub expires: bool,
    /// `LocationChanged`: for an entry in the recycle bin, when it was
    /// moved there.
    pub location_changed: Option<i64>,
}

impl KpEntry {
    /// The value of the string `key` (exact, case-sensitive match).
    pub fn get(&self, key: &str) -> Option<&SecretString> {
        self.strings
            .iter()
            .find(|s| s.key.expose() == key)
            .map(|s| &s.value)
    }
}
