//! From a KeePass database to entries: groups become categories, the
//! recycle bin becomes the trash, history versions become older passwords,
//! and the TOTP plug-in strings become one URI.

use std::collections::HashSet;

use super::model::{Doc, Group, KpEntry};
use super::otp;
use crate::core::entries::{CustomField, Entry};
use crate::core::exchange::{Format, ImportedEntry, Parsed, PastPassword, Skipped, fill_title};
use crate::core::secret::SecretString;

/// The name KeePass gives its recycle bin; used when Meta names none.
const RECYCLE_BIN_NAME: &str = "Recycle Bin";

/// KeePassXC's (and Keepass2Android's) extra URLs: `KP2A_URL`,
/// `KP2A_URL_1`, `KP2A_URL_2`, ...
pub(super) const EXTRA_URL_PREFIX: &str = "KP2A_URL";

/// The tag KeePassXC's importers give favorites; read back as the flag.
pub(super) const FAVORITE_TAG: &str = "Favorite";

/// Turns a database into what the import will add.
pub(super) fn to_parsed(doc: Doc, format: Format) -> Parsed {
    let mut walk = Walk {
        parsed: Parsed::new(format),
        seen_categories: HashSet::new(),
        recycle_bin: doc.recycle_bin,
        bin_by_name: !doc.recycle_bin_declared,
        now: crate::core::time::now_unix(),
    };
    walk.parsed.warnings = doc.warnings;
    walk.parsed.deleted = doc.deleted;
    walk.group(doc.root, &mut Vec::new(), None);
    walk.parsed
}

struct Walk {
    parsed: Parsed,
    seen_categories: HashSet<String>,
    recycle_bin: Option<uuid::Uuid>,
    /// Meta names no bin: a root child called `Recycle Bin` is one.
    bin_by_name: bool,
    now: i64,
}

impl Walk {
    /// Reads `group`, whose path below the root is `path`. `bin_depth` is
    /// the path length at the recycle bin when the group is inside it.
    fn group(&mut self, group: Group, path: &mut Vec<String>, bin_depth: Option<usize>) {
        let category = path[bin_depth.unwrap_or(0)..].join("/");
        if !category.is_empty() && (bin_depth.is_none() || !group.entries.is_empty()) {
            self.category(&category);
        }
        for entry in group.entries {
            self.entry(entry, &category, bin_depth.is_some());
        }
        for child in group.groups {
            if bin_depth.is_none() && self.is_bin(&child, path.len()) {
                self.group(child, path, Some(path.len()));
                continue;
            }
            let name = match child.name.expose().trim() {
                "" => "(unnamed group)".to_owned(),
                name => name.to_owned(),
            };
            path.push(name);
            self.group(child, path, bin_depth);
            path.pop();
        }
    }

    fn is_bin(&self, group: &Group, depth: usize) -> bool {
        match self.recycle_bin {
            Some(bin) => group.uuid == Some(bin),
            None => self.bin_by_name && depth == 0 && group.name.expose() == RECYCLE_BIN_NAME,
        }
    }

    fn category(&mut self, name: &str) {
        if self.seen_categories.insert(name.to_owned()) {
            self.parsed.categories.push(name.to_owned());
        }
    }

    fn entry(&mut self, kp: KpEntry, category: &str, trashed: bool) {
        let location = kp.location.clone();
        match self.build(kp, category, trashed) {
            Ok(imported) => self.parsed.entries.push(imported),
            Err(reason) => self.parsed.skipped.push(Skipped { location, reason }),
        }
    }

    fn build(
        &mut self,
        kp: KpEntry,
        category: &str,
        trashed: bool,
    ) -> Result<ImportedEntry, String> {
        let mut entry = standard_fields(&kp);
        let blank = entry_is_blank(&entry, &kp);
        fill_title(&mut entry);

        let totp = otp::find(&kp, entry.title.expose());
        self.parsed.warnings.extend(totp.warning.clone());
        entry.fields = self.custom_fields(&kp, &totp);
        entry.totp = totp.uri;
        if blank && entry.fields.is_empty() && entry.totp.is_none() {
            return Err(
                "the entry is empty: it has no title, username, password, URL, notes or fields"
                    .to_owned(),
            );
        }

        for tag in &kp.tags {
            if tag.expose().eq_ignore_ascii_case(FAVORITE_TAG) {
                entry.favorite = true;
            } else if !entry.tags.contains(tag) {
                entry.tags.push(tag.clone());
            }
        }
        entry.category = category.into();
        entry.created_at = kp.times.created.unwrap_or(0);
        entry.updated_at = kp.times.modified.unwrap_or(0);
        entry.expires_at = kp.times.expiry.filter(|_| kp.times.expires);
        if trashed {
            entry.deleted_at = Some(kp.times.location_changed.unwrap_or(self.now));
        }
        if kp.attachments > 0 {
            self.parsed.warnings.push(attachment_warning(&kp));
        }
        entry.validate()?;
        Ok(ImportedEntry {
            history: past_passwords(&kp.history, &entry.password),
            entry,
            location: kp.location,
        })
    }

    /// Every string that is neither a standard one, an extra URL nor a
    /// consumed TOTP string, in order; a repeated name keeps its first value,
    /// and a string without a name is dropped (an entry needs named fields).
    fn custom_fields(&mut self, kp: &KpEntry, totp: &otp::Found) -> Vec<CustomField> {
        let mut fields: Vec<CustomField> = Vec::new();
        for string in &kp.strings {
            let key = string.key.expose();
            if is_standard(key)
                || url_index(key).is_some()
                || totp.consumed.iter().any(|k| k == key)
            {
                continue;
            }
            if key.trim().is_empty() {
                self.parsed.warnings.push(format!(
                    "{}: a field without a name was ignored",
                    kp.location
                ));
                continue;
            }
            if fields.iter().any(|f| f.name.expose() == key) {
                self.parsed.warnings.push(format!(
                    "{}: a field name appears twice; the second value was ignored",
                    kp.location
                ));
                continue;
            }
            fields.push(CustomField {
                name: string.key.clone(),
                value: string.value.clone(),
                hidden: string.protected || totp.kept.iter().any(|k| k == key),
            });
        }
        fields
    }
}

fn is_standard(key: &str) -> bool {
    matches!(key, "Title" | "UserName" | "Password" | "URL" | "Notes")
}

/// The position of an extra URL string (`KP2A_URL` is 0, `KP2A_URL_3` 3).
pub(super) fn url_index(key: &str) -> Option<u32> {
    let rest = key.strip_prefix(EXTRA_URL_PREFIX)?;
    if rest.is_empty() {
        return Some(0);
    }
    rest.strip_prefix('_')?.parse().ok()
}

/// An entry with the five standard strings and the URLs filled in.
fn standard_fields(kp: &KpEntry) -> Entry {
    let mut entry = Entry {
        uuid: kp.uuid.unwrap_or_default(),
        ..Entry::default()
    };
    let mut extra_urls: Vec<(u32, SecretString)> = Vec::new();
    for string in &kp.strings {
        let value = string.value.clone();
        match string.key.expose() {
            "Title" => entry.title = value,
            "UserName" => entry.username = value,
            "Password" => entry.password = value,
            "Notes" => entry.notes = value,
            "URL" if !value.is_blank() => entry.urls.insert(0, value),
            key => {
                if let Some(index) = url_index(key).filter(|_| !value.is_blank()) {
                    extra_urls.push((index, value));
                }
            }
        }
    }
    extra_urls.sort_by_key(|(index, _)| *index);
    entry
        .urls
        .extend(extra_urls.into_iter().map(|(_, url)| url));
    entry
}

/// Whether nothing a person typed is in the entry's standard strings or
/// its history.
fn entry_is_blank(entry: &Entry, kp: &KpEntry) -> bool {
    entry.title.is_blank()
        && entry.username.is_blank()
        && entry.password.is_empty()
        && entry.urls.is_empty()
        && entry.notes.is_blank()
        && kp
            .history
            .iter()
            .all(|v| v.get("Password").is_none_or(|p| p.is_empty()))
}

/// The passwords of the history versions (oldest first), each with the
/// version's modification time. Runs of versions with the same password
/// (KeePass saves a version on every edit) collapse into one, which keeps
/// the latest time, and a run ending in the current password is dropped:
/// it is not an older password.
fn past_passwords(versions: &[KpEntry], current: &SecretString) -> Vec<PastPassword> {
    let mut out: Vec<PastPassword> = Vec::new();
    for version in versions {
        let Some(password) = version.get("Password").filter(|p| !p.is_empty()) else {
            continue;
        };
        let changed_at = version.times.modified.unwrap_or(0);
        match out.last_mut() {
            Some(last) if last.password == *password => last.changed_at = changed_at,
            _ => out.push(PastPassword {
                password: password.clone(),
                changed_at,
                reason: None,
            }),
        }
    }
    if out.last().is_some_and(|last| last.password == *current) {
        out.pop();
    }
    out
}

fn attachment_warning(kp: &KpEntry) -> String {
    let count = match kp.attachments {
        1 => "1 attachment was".to_owned(),
        n => format!("{n} attachments were"),
    };
    format!(
        "{}: {count} not imported (this program does not store attachments); \
         save them from KeePass if you need them",
        kp.location
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::exchange::keepass::model::{KpString, Times};

    fn version(password: &str, modified: i64) -> KpEntry {
        KpEntry {
            strings: vec![KpString {
                key: "Password".into(),
                value: password.into(),
                protected: true,
            }],
            times: Times {
                modified: Some(modified),
                ..Times::default()
            },
            ..KpEntry::default()
        }
    }

    #[test]
    fn history_runs_collapse_and_the_current_password_is_not_history() {
        let versions = [
            version("a", 10),
            version("a", 20),
            version("", 25),
            version("b", 30),
            version("c", 40),
            version("c", 50),
        ];
        let past = past_passwords(&versions, &"c".into());
        let got: Vec<(&str, i64)> = past
            .iter()
            .map(|p| (p.password.expose(), p.changed_at))
            .collect();
        assert_eq!(got, [("a", 20), ("b", 30)]);
    }

    #[test]
    fn nameless_and_repeated_fields_are_dropped_with_warnings() {
        let string = |key: &str, value: &str| KpString {
            key: key.into(),
            value: value.into(),
            protected: false,
        };
        let entry = KpEntry {
            location: "item 1".into(),
            strings: vec![
                string("Title", "T"),
                string(" ", "x"),
                string("Pin", "1"),
                string("Pin", "2"),
            ],
            ..KpEntry::default()
        };
        let doc = Doc {
            root: Group {
                entries: vec![entry],
                ..Group::default()
            },
            recycle_bin: None,
            recycle_bin_declared: false,
            deleted: Vec::new(),
            warnings: Vec::new(),
        };
        let parsed = to_parsed(doc, Format::Kdbx);
        let fields = &parsed.entries[0].entry.fields;
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].value.expose(), "1");
        assert_eq!(
            parsed.warnings,
            [
                "item 1: a field without a name was ignored",
                "item 1: a field name appears twice; the second value was ignored",
            ]
        );
    }

    #[test]
    fn extra_urls_are_numbered_keepassxc_style() {
        assert_eq!(url_index("KP2A_URL"), Some(0));
        assert_eq!(url_index("KP2A_URL_12"), Some(12));
        assert_eq!(url_index("KP2A_URLS"), None);
        assert_eq!(url_index("URL"), None);
    }
}
