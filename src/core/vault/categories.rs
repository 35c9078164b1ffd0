//! Managing categories: add, rename, recolor, delete. Entries name their
//! category, so a rename or delete rewrites those entries in the same
//! transaction.

use uuid::Uuid;

use super::lookup::same_name;
use super::{Vault, VaultError, records};
use crate::core::entries::{Category, Entry};
use crate::core::secret::SecretString;
use crate::core::time;

/// The category that takes the entries of a deleted one.
pub const FALLBACK_CATEGORY: &str = "General";

impl Vault {
    /// Adds a category.
    pub fn add_category(&mut self, name: &str, color: &str) -> Result<(), VaultError> {
        let name = self.free_name(name, None)?;
        let category = Category {
            uuid: Uuid::new_v4(),
            name: name.as_str().into(),
            color: color.to_owned(),
        };
        let row = records::seal_category(&self.keys, &category);
        self.store.write(|w| w.put_category(&row))?;
        self.categories.push(category);
        self.sort_categories();
        self.revision += 1;
        Ok(())
    }

    /// Renames a category and every entry in it.
    pub fn rename_category(&mut self, old: &str, new: &str) -> Result<(), VaultError> {
        let index = self.category_index(old)?;
        let new = self.free_name(new, Some(old))?;
        let mut category = self.categories[index].clone();
        category.name = new.as_str().into();
        self.rewrite_category(old, Some(category), &new)
    }

    /// Changes a category's color (`#rrggbb`).
    pub fn recolor_category(&mut self, name: &str, color: &str) -> Result<(), VaultError> {
        let index = self.category_index(name)?;
        let mut category = self.categories[index].clone();
        category.color = color.to_owned();
        let row = records::seal_category(&self.keys, &category);
        self.store.write(|w| w.put_category(&row))?;
        self.categories[index] = category;
        self.revision += 1;
        Ok(())
    }

    /// Deletes a category; its entries move to General.
    pub fn delete_category(&mut self, name: &str) -> Result<(), VaultError> {
        if same_name(name, FALLBACK_CATEGORY) {
            return Err(VaultError::Invalid(format!(
                "{FALLBACK_CATEGORY} takes the entries of deleted categories, so it stays"
            )));
        }
        self.category_index(name)?;
        if !self
            .categories
            .iter()
            .any(|c| same_name(c.name.expose(), FALLBACK_CATEGORY))
        {
            self.add_category(FALLBACK_CATEGORY, "#6b7280")?;
        }
        self.rewrite_category(name, None, FALLBACK_CATEGORY)
    }

    /// Moves every entry of category `old` to `target`, and replaces the
    /// category with `renamed` (or deletes it), in one transaction.
    fn rewrite_category(
        &mut self,
        old: &str,
        renamed: Option<Category>,
        target: &str,
    ) -> Result<(), VaultError> {
        let index = self.category_index(old)?;
        let removed = self.categories[index].uuid;
        let now = time::now_unix();
        let moved: Vec<(usize, Entry)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.category.expose() == self.categories[index].name.expose())
            .map(|(slot, e)| {
                let mut next = e.clone();
                next.category = SecretString::from(target);
                next.updated_at = now;
                (slot, next)
            })
            .collect();
        let keys = &self.keys;
        let rows = &self.rows;
        self.store.write(|w| {
            match &renamed {
                Some(category) => w.put_category(&records::seal_category(keys, category))?,
                None => w.delete_category(removed)?,
            }
            for (slot, entry) in &moved {
                w.put_entry(&records::seal_entry(keys, entry, rows[*slot]))?;
            }
            Ok(())
        })?;
        for (slot, entry) in moved {
            self.entries[slot] = entry;
        }
        match renamed {
            Some(category) => self.categories[index] = category,
            None => {
                self.categories.remove(index);
            }
        }
        self.sort_categories();
        self.revision += 1;
        Ok(())
    }

    fn category_index(&self, name: &str) -> Result<usize, VaultError> {
        self.categories
            .iter()
            .position(|c| c.name.expose() == name)
            .ok_or_else(|| VaultError::Invalid(format!("there is no category named {name:?}")))
    }

    /// A trimmed, non-empty name no other category has (`except` may keep
    /// its own name in another case).
    fn free_name(&self, name: &str, except: Option<&str>) -> Result<String, VaultError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(VaultError::Invalid("a category needs a name".to_owned()));
        }
        let taken = self.categories.iter().any(|c| {
            same_name(c.name.expose(), name) && except.is_none_or(|e| c.name.expose() != e)
        });
        if taken {
            return Err(VaultError::Invalid(format!(
                "a category named {name:?} exists already"
            )));
        }
        Ok(name.to_owned())
    }

    fn sort_categories(&mut self) {
        self.categories
            .sort_by(|a, b| a.name.expose().cmp(b.name.expose()));
    }
}

#[cfg(test)]
mod tests {
    use crate::core::entries::Entry;
    use crate::core::kdf::KdfParams;
    use crate::core::keys::KeyMode;
    use crate::core::paths::Paths;
    use crate::core::vault::{CreateOptions, Credentials, HistoryPolicy, Vault};

    fn vault(dir: &std::path::Path) -> Vault {
        let paths = Paths::portable(dir);
        let options = CreateOptions {
            key_mode: KeyMode::FileKey,
            key_file: None,
            kdf: KdfParams::insecure_for_tests(),
        };
        Vault::create(&paths, &"pw".into(), &options, None).unwrap()
    }

    fn names(v: &Vault) -> Vec<String> {
        v.categories()
            .iter()
            .map(|c| c.name.expose().to_owned())
            .collect()
    }

    #[test]
    fn rename_moves_entries_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = vault(dir.path());
        let id = v
            .add(Entry {
                title: "A".into(),
                category: "Work".into(),
                ..Default::default()
            })
            .unwrap();
        v.rename_category("Work", "Job").unwrap();
        assert_eq!(v.get(id).unwrap().category.expose(), "Job");
        assert!(names(&v).contains(&"Job".to_owned()) && !names(&v).contains(&"Work".to_owned()));
        assert!(
            v.rename_category("Job", "personal").is_err(),
            "names stay unique"
        );
        drop(v);
        let credentials = Credentials {
            password: "pw".into(),
            key_file: None,
        };
        let reopened = Vault::unlock(
            &Paths::portable(dir.path()),
            &credentials,
            None,
            HistoryPolicy::default(),
        )
        .unwrap();
        assert_eq!(reopened.get(id).unwrap().category.expose(), "Job");
    }

    #[test]
    fn delete_moves_entries_to_general_and_general_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = vault(dir.path());
        let id = v
            .add(Entry {
                title: "A".into(),
                category: "Social".into(),
                ..Default::default()
            })
            .unwrap();
        v.recolor_category("Social", "#123456").unwrap();
        v.delete_category("Social").unwrap();
        assert_eq!(v.get(id).unwrap().category.expose(), "General");
        assert!(!names(&v).contains(&"Social".to_owned()));
        assert!(v.delete_category("General").is_err());
        v.add_category("Travel", "#00ff00").unwrap();
        assert!(v.add_category("travel", "#00ff00").is_err());
    }
}
