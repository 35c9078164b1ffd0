//! The vault: the one synchronous API every edge (command line, window,
//! browser bridge) reads and writes through.
//!
//! Unlocking runs the KDF once, checks the verifier, unwraps the data keys,
//! then opens every record into memory and builds the search index, so
//! listing, filtering and searching never touch the disk. Each write is one
//! database transaction; the in-memory copy changes only after it commits.

mod audit;
mod backup;
mod categories;
mod edit;
mod error;
mod export;
mod import;
pub mod kdf_change;
mod lookup;
mod records;
pub mod rekey;
mod unlock;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use uuid::Uuid;

pub use backup::BackupSource;
pub use error::{VaultError, human_duration};
pub use import::{Action, DuplicatePolicy, ImportPlan, ImportReport};
pub use lookup::{Filter, Scope};
pub use records::DamagedRecord;
pub use unlock::{SecondFactor, Unlocked, authenticate, authenticate_with};

use crate::core::auth::AuthFile;
use crate::core::entries::{Category, DEFAULT_CATEGORIES, Entry, HistoryItem};
use crate::core::events;
use crate::core::hardening;
use crate::core::index::SearchIndex;
use crate::core::kdf::{self, KdfParams, SaltFile};
use crate::core::keys::{KeyFile, KeyMode, Keyring};
use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::core::secret::SecretString;
use crate::core::settings::Settings;
use crate::core::store::{Store, tables};
use crate::event;

/// What unlocks a vault.
pub struct Credentials {
    /// The master password.
    pub password: SecretString,
    /// The key file, when key protection is on.
    pub key_file: Option<PathBuf>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

/// How a new vault is set up.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Where the data key comes from.
    pub key_mode: KeyMode,
    /// A key file that joins the master password (key protection).
    pub key_file: Option<PathBuf>,
    /// Argon2id costs.
    pub kdf: KdfParams,
}

/// Rules for password history, from settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPolicy {
    /// Whether old passwords are kept.
    pub enabled: bool,
    /// How many old passwords an entry keeps.
    pub max_versions: u32,
}

impl Default for HistoryPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            max_versions: 10,
        }
    }
}

impl HistoryPolicy {
    /// The policy the settings ask for.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            enabled: settings.history_enabled(),
            max_versions: settings.history_max_versions(),
        }
    }
}

/// An unlocked vault.
pub struct Vault {
    paths: Paths,
    store: Store,
    keys: Keyring,
    entries: Vec<Entry>,
    /// The database row of each entry, by slot (parallel to `entries`).
    rows: Vec<i64>,
    slots: HashMap<Uuid, usize>,
    index: SearchIndex,
    categories: Vec<Category>,
    damaged: Vec<DamagedRecord>,
    history_policy: HistoryPolicy,
    notices: Vec<String>,
    /// Goes up with every committed change, so views can cache what they
    /// derive from the entries.
    revision: u64,
    /// The key of `totp_config.json`, from this opening's master password
    /// (absent when the vault was opened with bare data keys).
    two_factor_key: Option<crate::core::secret::Key256>,
    _lock: Option<VaultLock>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("data_dir", &self.paths.data_dir)
            .field("entries", &self.entries.len())
            .field("damaged", &self.damaged.len())
            .finish_non_exhaustive()
    }
}

/// What opening the database yields.
struct Loaded {
    entries: Vec<Entry>,
    rows: Vec<i64>,
    categories: Vec<Category>,
    damaged: Vec<DamagedRecord>,
}

/// The first revision of a vault opened now: each opening starts 2^32
/// apart from the previous one.
fn first_revision() -> u64 {
    static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) << 32
}

/// Whether a vault exists in these paths.
pub fn exists(paths: &Paths) -> bool {
    paths.auth().exists()
}

/// Whether unlocking this vault needs a key file (false when `auth.json`
/// cannot be read; unlocking then explains what is wrong).
pub fn needs_key_file(paths: &Paths) -> bool {
    crate::core::fsio::read_optional(&paths.auth())
        .ok()
        .flatten()
        .and_then(|bytes| AuthFile::parse(&bytes).ok())
        .is_some_and(|auth| auth.key_file_required)
}

/// Checks that `key_file` can join the master password of the vault in
/// `paths`: outside the vault's own directories (where files change, and a
/// copy of the vault would carry its key), not another name of one of the
/// vault's files, readable, and long enough.
pub fn check_new_key_file(key_file: &Path, paths: &Paths) -> Result<(), VaultError> {
    if paths.holds(key_file) {
        return Err(VaultError::Invalid(format!(
            "the key file {} is inside the vault's own directories, where files change (and a \
             copy of the vault would carry its key); keep it elsewhere, for example on a USB \
             stick",
            key_file.display()
        )));
    }
    if let Some(own) = paths.same_file_as(key_file) {
        return Err(VaultError::Invalid(format!(
            "the key file {} is another name (a hard link) of the vault's own {}, which changes \
             as the vault is used; use a file of random bytes kept apart from the vault, for \
             example on a USB stick",
            key_file.display(),
            own.display()
        )));
    }
    kdf::key_file_digest(key_file, kdf::MIN_KEY_FILE_BYTES)
        .map(drop)
        .map_err(|reason| VaultError::KeyFileUnusable {
            path: key_file.to_path_buf(),
            reason,
        })
}

/// Refuses a "new" master password that is the current one: the user
/// meant to change it, and nothing would change.
pub fn refuse_same_password(
    current: &Credentials,
    new_password: &crate::core::secret::SecretString,
) -> Result<(), VaultError> {
    if new_password.ct_eq(&current.password) {
        return Err(VaultError::Invalid(
            "the new master password is the same as the current one; nothing was changed"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Whether the vault's data key comes from the master password
/// (password-derived mode), read from `auth.json`.
pub fn is_password_derived(paths: &Paths) -> bool {
    rekey::current_auth(paths).is_ok_and(|auth| auth.key_mode == KeyMode::PasswordDerived)
}

/// Turns two-factor unlock off. Needs the master password and a current
/// code (or a recovery code), checked and counted like an unlock.
pub fn disable_two_factor(
    paths: &Paths,
    credentials: &Credentials,
    code: &crate::core::secret::SecretString,
) -> Result<(), VaultError> {
    if !crate::core::two_factor::is_enabled(paths) {
        return Err(crate::core::two_factor::TwoFactorError::NotEnabled.into());
    }
    authenticate_with(paths, credentials, SecondFactor::Code(code))?;
    crate::core::two_factor::remove(paths)?;
    Ok(())
}

/// `Ok` when a vault exists; otherwise says whether there is none or only
/// part of one. Lets an edge fail before asking for a password.
pub fn check_present(paths: &Paths) -> Result<(), VaultError> {
    if exists(paths) {
        Ok(())
    } else {
        Err(unlock::missing_vault(paths))
    }
}

impl Vault {
    /// Creates a new vault and returns it unlocked.
    pub fn create(
        paths: &Paths,
        password: &SecretString,
        options: &CreateOptions,
        lock: Option<VaultLock>,
    ) -> Result<Self, VaultError> {
        hardening::protect_process_memory();
        if password.is_blank() {
            return Err(VaultError::EmptyPassword);
        }
        options.kdf.validate()?;
        if options.key_mode == KeyMode::PasswordDerived && options.key_file.is_some() {
            return Err(VaultError::Invalid(
                "a key file needs file-key mode; leave out --key-file or use --key-mode file-key"
                    .to_owned(),
            ));
        }
        if exists(paths) {
            return Err(VaultError::AlreadyExists { path: paths.auth() });
        }
        if let err @ VaultError::IncompleteVault { .. } = unlock::missing_vault(paths) {
            return Err(err);
        }
        paths.ensure_dirs()?;
        // An existing directory chosen for the vault may be open to others.
        let notices = paths.tighten_permissions();
        let digest = options
            .key_file
            .as_deref()
            .map(|path| unlock::read_key_file(path, kdf::MIN_KEY_FILE_BYTES))
            .transpose()?;

        let salt = SaltFile::generate(options.kdf);
        let salt_bytes = salt.salt_bytes().map_err(VaultError::Invalid)?;
        let derived = kdf::derive(&options.kdf, &salt_bytes, password, digest.as_ref())?;
        // Checked before any file is written: a key file that changes
        // between reads would make a vault that never opens.
        if let (Some(path), Some(digest)) = (options.key_file.as_deref(), &digest) {
            unlock::confirm_key_file_unchanged(path, digest)?;
        }
        let keys = match options.key_mode {
            KeyMode::FileKey => Keyring::single(crate::core::secret::Key256::random()),
            KeyMode::PasswordDerived => Keyring::single(derived.password_data_key.clone()),
        };

        // auth.json is written last: until it exists there is no vault, and a
        // crash part-way leaves files that `init` refuses to overwrite.
        salt.save(&paths.salt())?;
        if options.key_mode == KeyMode::FileKey {
            let (path, name) = key_file_location(paths, digest.is_some());
            KeyFile::wrap(&keys, &derived.kek, name).save(&path)?;
        }
        let mut store = Store::create(&paths.db())?;
        let categories = default_categories();
        store.write(|w| {
            for category in &categories {
                w.put_category(&records::seal_category(&keys, category))?;
            }
            Ok(())
        })?;
        let auth = AuthFile::new(&derived.auth, options.key_mode, digest.is_some(), &salt);
        auth.save(&paths.auth())?;

        event!(
            info,
            events::VAULT_CREATED,
            "vault created: key mode {}, key file {}, argon2id m={} KiB t={} p={}",
            options.key_mode,
            if digest.is_some() {
                "required"
            } else {
                "not used"
            },
            options.kdf.m_cost_kib,
            options.kdf.t_cost,
            options.kdf.p_cost
        );
        let parts = Loaded {
            entries: Vec::new(),
            rows: Vec::new(),
            categories,
            damaged: Vec::new(),
        };
        let mut vault = Self::from_parts(paths.clone(), store, keys, parts, lock);
        vault.notices = notices;
        vault.two_factor_key = Some(crate::core::two_factor::file_key(&derived.kek));
        Ok(vault)
    }

    /// Unlocks an existing vault: one KDF run, then every record into memory.
    /// A vault with two-factor unlock answers
    /// [`VaultError::SecondFactorRequired`]; see [`Vault::unlock_with`].
    pub fn unlock(
        paths: &Paths,
        credentials: &Credentials,
        lock: Option<VaultLock>,
        history_policy: HistoryPolicy,
    ) -> Result<Self, VaultError> {
        Self::unlock_with(
            paths,
            credentials,
            SecondFactor::Absent,
            lock,
            history_policy,
        )
    }

    /// Unlocks with a second factor (a TOTP or recovery code) when the
    /// vault has two-factor unlock on.
    pub fn unlock_with(
        paths: &Paths,
        credentials: &Credentials,
        factor: SecondFactor<'_>,
        lock: Option<VaultLock>,
        history_policy: HistoryPolicy,
    ) -> Result<Self, VaultError> {
        let mut unlocked = authenticate_with(paths, credentials, factor)?;
        // A key rotation that stopped half-way left two data keys: a writer
        // finishes it (a reader opens every record with both).
        let mut finished = None;
        if unlocked.keys.versions().len() > 1 && lock.is_some() {
            let moved =
                rekey::finish_rotation(paths, &unlocked.keys, &unlocked.kek, &mut |_, _| {})?;
            unlocked.keys = unlocked.keys.only_active();
            finished = Some(moved);
        }
        let mut vault = Self::open_with_keys(paths, unlocked.keys, lock)?;
        if let Some(moved) = finished {
            let note = format!(
                "finished an interrupted data key rotation: {moved} records re-encrypted under \
                 key version {}",
                vault.keys.active_version()
            );
            event!(info, events::PASSWORD_ROTATED, "{note}");
            vault.notices.push(note);
        }
        vault.history_policy = history_policy;
        vault.two_factor_key = Some(unlocked.two_factor_key);
        Ok(vault)
    }

    /// Rotates the data key under this open vault (see
    /// [`rekey::rotate_data_key`]) and goes on with the new key. `current`
    /// is checked again; the session passed its second factor at unlock.
    pub fn rotate_data_key(
        &mut self,
        current: &Credentials,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<rekey::Rotated, VaultError> {
        let changed =
            rekey::rotate_data_key_keyed(&self.paths, current, SecondFactor::NotChecked, progress)?;
        Ok(self.go_on_with(changed))
    }

    /// Takes the keys a key change left and returns what it did.
    fn go_on_with<T>(&mut self, changed: rekey::KeyedChange<T>) -> T {
        self.keys = changed.keys;
        self.two_factor_key = Some(changed.two_factor_key);
        changed.done
    }

    /// Turns two-factor unlock on once `code` matches the enrolment's new
    /// secret; returns the recovery codes, to be shown this once.
    pub fn enable_two_factor(
        &self,
        enrolment: &crate::core::two_factor::Enrolment,
        code: &str,
    ) -> Result<Vec<crate::core::secret::SecretString>, VaultError> {
        let key = self.two_factor_key.as_ref().ok_or_else(|| {
            VaultError::Invalid(
                "this vault was opened without its master password; lock and unlock it, then \
                 try again"
                    .to_owned(),
            )
        })?;
        Ok(enrolment.complete(&self.paths, key, code, crate::core::time::now_unix())?)
    }

    /// Changes the master password under this open vault and goes on with
    /// the keys it leaves (new ones in password-derived mode, where every
    /// record moves; `progress` gets (done, total) records). `current` is
    /// checked again; the session passed its second factor at unlock.
    pub fn change_master_password(
        &mut self,
        current: &Credentials,
        new_password: &crate::core::secret::SecretString,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<rekey::PasswordChanged, VaultError> {
        refuse_same_password(current, new_password)?;
        let changed = rekey::change_keyed(
            &self.paths,
            current,
            SecondFactor::NotChecked,
            new_password,
            None,
            None,
            progress,
        )?;
        Ok(self.go_on_with(changed))
    }

    /// Changes how the data key is kept under this open vault (see
    /// [`rekey::change_keys`]) and goes on with the keys it leaves.
    pub fn change_keys(
        &mut self,
        current: &Credentials,
        change: &rekey::KeyChange,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<rekey::KeysChanged, VaultError> {
        let changed = rekey::keys_change_keyed(
            &self.paths,
            current,
            SecondFactor::NotChecked,
            change,
            progress,
        )?;
        Ok(self.go_on_with(changed))
    }

    /// Re-derives the keys with new Argon2id parameters under this open
    /// vault (see [`kdf_change::change_kdf_params`]) and goes on with the
    /// keys it leaves. `factor` is the two-factor code the window asks for.
    pub fn change_kdf_params(
        &mut self,
        current: &Credentials,
        factor: SecondFactor<'_>,
        params: crate::core::kdf::KdfParams,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<kdf_change::KdfChanged, VaultError> {
        let changed =
            kdf_change::change_kdf_params_keyed(&self.paths, current, factor, params, progress)?;
        Ok(self.go_on_with(changed))
    }

    /// Opens the database with already-unwrapped keys: everything an unlock
    /// does after the KDF (benchmarks measure this part on its own).
    pub fn open_with_keys(
        paths: &Paths,
        keys: Keyring,
        lock: Option<VaultLock>,
    ) -> Result<Self, VaultError> {
        let db = paths.db();
        if !db.exists() {
            return Err(VaultError::MissingFile { path: db });
        }
        let mut notices = paths.tighten_permissions();
        let store = Store::open(&db)?;

        let sealed = store.load_entries()?;
        let mut entries = Vec::with_capacity(sealed.len());
        let mut rows = Vec::with_capacity(sealed.len());
        let mut damaged = Vec::new();
        let mut seen = std::collections::HashSet::with_capacity(sealed.len());
        for (row, result) in sealed.iter().zip(records::open_entries(&keys, &sealed)) {
            match result {
                // A row copied whole carries a valid seal; its repeated uuid gives it away.
                Ok(entry) if !seen.insert(entry.uuid) => damaged.push(DamagedRecord {
                    table: tables::ENTRIES,
                    uuid: entry.uuid,
                    reason: "repeats another entry's id (a copied row)".to_owned(),
                }),
                Ok(entry) => {
                    entries.push(entry);
                    rows.push(row.row);
                }
                Err(d) => damaged.push(d),
            }
        }
        drop(sealed);

        let mut categories = Vec::new();
        for row in store.load_categories()? {
            match records::open_category(&keys, &row) {
                Ok(c) => categories.push(c),
                Err(d) => damaged.push(d),
            }
        }
        categories.sort_by(|a, b| a.name.expose().cmp(b.name.expose()));

        for d in &damaged {
            event!(
                error,
                events::RECORD_INTEGRITY_FAILED,
                "{} record {} {}",
                d.table,
                events::entry_ref(&d.uuid),
                d.reason
            );
            notices.push(format!(
                "{} {} {}",
                singular(d.table),
                d.short_id(),
                d.reason
            ));
        }
        let parts = Loaded {
            entries,
            rows,
            categories,
            damaged,
        };
        let mut vault = Self::from_parts(paths.clone(), store, keys, parts, lock);
        vault.notices = notices;
        Ok(vault)
    }

    fn from_parts(
        paths: Paths,
        store: Store,
        keys: Keyring,
        parts: Loaded,
        lock: Option<VaultLock>,
    ) -> Self {
        let Loaded {
            entries,
            rows,
            categories,
            damaged,
        } = parts;
        let index = SearchIndex::build(&entries);
        let slots = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.uuid, i))
            .collect();
        Self {
            paths,
            store,
            keys,
            entries,
            rows,
            slots,
            index,
            categories,
            damaged,
            history_policy: HistoryPolicy::default(),
            notices: Vec::new(),
            two_factor_key: None,
            revision: first_revision(),
            _lock: lock,
        }
    }

    /// Sets how password history is kept.
    pub fn set_history_policy(&mut self, policy: HistoryPolicy) {
        self.history_policy = policy;
    }

    /// Warnings from opening: tightened permissions, damaged records.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// A number that changes whenever the entries change. Two vaults
    /// opened in one process never share one (a view caching by revision
    /// is not fooled by a lock, a restore and an unlock).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Records that failed their integrity check.
    pub fn damaged(&self) -> &[DamagedRecord] {
        &self.damaged
    }

    /// Every entry, trash included, in storage order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The categories, by name.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The paths this vault lives in.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// An entry by uuid.
    pub fn get(&self, uuid: Uuid) -> Option<&Entry> {
        self.slots.get(&uuid).map(|&slot| &self.entries[slot])
    }

    /// The previous passwords of an entry, newest first, and how many
    /// history records failed their integrity check.
    pub fn history(&self, uuid: Uuid) -> Result<(Vec<HistoryItem>, usize), VaultError> {
        let slot = self.slot(uuid)?;
        let rows = self.store.load_history(self.rows[slot], uuid)?;
        let mut items = Vec::with_capacity(rows.len());
        let mut damaged = 0;
        for row in &rows {
            match records::open_history(&self.keys, row) {
                Ok(item) => items.push(item),
                Err(d) => {
                    event!(
                        error,
                        events::RECORD_INTEGRITY_FAILED,
                        "history record of {} {}",
                        events::entry_ref(&uuid),
                        d.reason
                    );
                    damaged += 1;
                }
            }
        }
        Ok((items, damaged))
    }
}

pub(super) fn key_file_location(paths: &Paths, protected: bool) -> (PathBuf, &'static str) {
    if protected {
        (paths.secret_key_enc(), "secret.key.enc")
    } else {
        (paths.secret_key(), "secret.key")
    }
}

fn default_categories() -> Vec<Category> {
    DEFAULT_CATEGORIES
        .iter()
        .map(|(name, color)| Category {
            uuid: Uuid::new_v4(),
            name: (*name).into(),
            color: (*color).to_owned(),
        })
        .collect()
}

fn singular(table: &str) -> &str {
    match table {
        tables::ENTRIES => "entry",
        tables::HISTORY => "history item",
        tables::CATEGORIES => "category",
        other => other,
    }
}
