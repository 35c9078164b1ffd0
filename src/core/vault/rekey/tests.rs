use super::*;
use crate::core::entries::Entry;
use crate::core::kdf::KdfParams;
use crate::core::keys::KeyMode;
use crate::core::vault::{CreateOptions, HistoryPolicy, Vault};

const OLD: &str = "old master password 1";
const NEW: &str = "new master password 2";

/// What a test does just before a change takes the directory's turn, as
/// another process's unlock could.
type Hook = Option<Box<dyn FnMut(&Paths)>>;

thread_local! {
    static BEFORE_TURN: std::cell::RefCell<Hook> = const { std::cell::RefCell::new(None) };
}

/// Called by [`switch`] just before it takes the directory's turn.
pub(super) fn before_turn(paths: &Paths) {
    BEFORE_TURN.with(|hook| {
        if let Some(hook) = hook.borrow_mut().as_mut() {
            hook(paths);
        }
    });
}

/// Makes `change` with no progress to show.
fn change_as(
    paths: &Paths,
    current: &Credentials,
    change: KeyChange,
) -> Result<KeysChanged, VaultError> {
    change_keys(
        paths,
        current,
        SecondFactor::Absent,
        &change,
        &mut |_, _| {},
    )
}

fn credentials(password: &str) -> Credentials {
    Credentials {
        password: password.into(),
        key_file: None,
    }
}

/// A file-key vault with a few entries and a paired browser.
fn vault() -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = CreateOptions {
        key_mode: KeyMode::FileKey,
        key_file: None,
        kdf: KdfParams::new(19 * 1024, 2, 1).unwrap(),
    };
    let mut vault = Vault::create(&paths, &OLD.into(), &options, None).unwrap();
    for i in 0..5 {
        vault
            .add(Entry {
                title: format!("Site {i}").into(),
                password: format!("pw-{i}").into(),
                ..Entry::default()
            })
            .unwrap();
    }
    drop(vault);
    let mut tokens = TokenStore::load(&paths.bridge_tokens()).unwrap();
    tokens.issue("Firefox", "fp-1", 24, 1_800_000_000).unwrap();
    (dir, paths)
}

fn opens(paths: &Paths, password: &str) -> Option<usize> {
    Vault::unlock(
        paths,
        &credentials(password),
        None,
        HistoryPolicy::default(),
    )
    .ok()
    .map(|v| v.entries().len())
}

#[test]
fn after_a_change_only_the_new_password_opens_and_tokens_are_revoked() {
    let (_dir, paths) = vault();
    let done = change_master_password(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &NEW.into(),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        done,
        PasswordChanged {
            files: 3,
            tokens_revoked: 1,
            records: 0
        }
    );
    assert_eq!(opens(&paths, NEW), Some(5));
    assert_eq!(opens(&paths, OLD), None);
    assert!(
        TokenStore::load(&paths.bridge_tokens())
            .unwrap()
            .list()
            .is_empty()
    );
    assert!(!paths.data_dir.join(JOURNAL_FILE).exists());
    for path in candidates(&paths) {
        assert!(
            !next(&path).exists(),
            "{} left behind",
            next(&path).display()
        );
    }
}

#[test]
fn a_wrong_current_password_changes_nothing() {
    let (_dir, paths) = vault();
    let salt = std::fs::read(paths.salt()).unwrap();
    let wrong = change_master_password(
        &paths,
        &credentials("not it"),
        SecondFactor::Absent,
        &NEW.into(),
        None,
        &mut |_, _| {},
    );
    assert!(matches!(wrong, Err(VaultError::WrongPassword { .. })));
    assert_eq!(std::fs::read(paths.salt()).unwrap(), salt);
    assert_eq!(opens(&paths, OLD), Some(5));
    let blank = change_master_password(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &"   ".into(),
        None,
        &mut |_, _| {},
    );
    assert!(matches!(blank, Err(VaultError::EmptyPassword)));
}

#[test]
fn a_crash_at_every_step_leaves_exactly_one_password_that_opens_everything() {
    for stop in [
        Step::Prepared,
        Step::Committed,
        Step::FirstRenamed,
        Step::Switched,
    ] {
        let (_dir, paths) = vault();
        change_until(
            &paths,
            &credentials(OLD),
            SecondFactor::Absent,
            &NEW.into(),
            None,
            Some(stop),
        )
        .unwrap();
        // The next unlock finishes or rolls back first.
        let (works, fails) = if stop >= Step::Committed {
            (NEW, OLD)
        } else {
            (OLD, NEW)
        };
        assert_eq!(opens(&paths, works), Some(5), "after {stop:?}");
        assert_eq!(opens(&paths, fails), None, "after {stop:?}");
        assert!(
            !paths.data_dir.join(JOURNAL_FILE).exists(),
            "after {stop:?}"
        );
        let tokens = TokenStore::load(&paths.bridge_tokens())
            .unwrap()
            .list()
            .len();
        assert_eq!(
            tokens,
            usize::from(stop < Step::Committed),
            "after {stop:?}"
        );
    }
}

#[test]
fn the_command_lines_start_finishes_a_committed_change_and_says_so() {
    let (_dir, paths) = vault();
    change_until(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &NEW.into(),
        None,
        Some(Step::FirstRenamed),
    )
    .unwrap();
    let note = finish_interrupted(&paths).unwrap().unwrap();
    assert!(
        note.contains("finished an interrupted master password change"),
        "{note}"
    );
    assert_eq!(finish_interrupted(&paths).unwrap(), None);
    assert_eq!(opens(&paths, NEW), Some(5));

    change_until(
        &paths,
        &credentials(NEW),
        SecondFactor::Absent,
        &OLD.into(),
        None,
        Some(Step::Prepared),
    )
    .unwrap();
    let note = finish_interrupted(&paths).unwrap().unwrap();
    assert!(note.contains("rolled back"), "{note}");
    assert_eq!(opens(&paths, NEW), Some(5));
}

#[test]
fn two_factor_unlock_keeps_working_with_codes_and_recovery_codes_after_a_change() {
    let (_dir, paths) = vault();
    let vault = Vault::unlock(&paths, &credentials(OLD), None, HistoryPolicy::default()).unwrap();
    let enrolment = two_factor::Enrolment::new("alice");
    let now = crate::core::time::now_unix();
    let codes = vault
        .enable_two_factor(&enrolment, &enrolment.code_at(now))
        .unwrap();
    drop(vault);
    let code = SecretString::new(enrolment.code_at(now + 30));
    let done = change_master_password(
        &paths,
        &credentials(OLD),
        SecondFactor::Code(&code),
        &NEW.into(),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(done.files, 4, "totp_config.json is re-sealed too");
    let with = |password: &str, code: &SecretString| {
        Vault::unlock_with(
            &paths,
            &credentials(password),
            SecondFactor::Code(code),
            None,
            HistoryPolicy::default(),
        )
        .map(|v| v.entries().len())
    };
    assert_eq!(with(NEW, &codes[0]).unwrap(), 5);
    assert!(with(OLD, &codes[1]).is_err());
    assert_eq!(with(NEW, &codes[1]).unwrap(), 5);
}

/// A vault with more records than one re-sealing batch, some history.
fn bigger_vault() -> (tempfile::TempDir, Paths) {
    let (dir, paths) = vault();
    let mut open =
        Vault::unlock(&paths, &credentials(OLD), None, HistoryPolicy::default()).unwrap();
    let many: Vec<Entry> = (0..1500)
        .map(|i| Entry {
            title: format!("Bulk {i}").into(),
            password: format!("bulk-{i}").into(),
            ..Entry::default()
        })
        .collect();
    open.add_many(many).unwrap();
    let first = open.entries()[0].uuid;
    let patch = crate::core::entries::EntryPatch {
        password: Some("changed".into()),
        ..Default::default()
    };
    open.update(
        first,
        patch,
        crate::core::entries::RotationReason::Manual,
        crate::core::entries::Actor::User,
    )
    .unwrap();
    drop(open);
    (dir, paths)
}

fn key_versions(paths: &Paths) -> Vec<u32> {
    let bytes = std::fs::read(paths.secret_key()).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    file["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key_version"].as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn rotating_re_seals_every_record_under_a_new_key_and_drops_the_old_one() {
    let (_dir, paths) = bigger_vault();
    let salt = std::fs::read(paths.salt()).unwrap();
    let mut seen = Vec::new();
    let rotated = rotate_data_key(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &mut |done, total| seen.push((done, total)),
    )
    .unwrap();
    assert_eq!(rotated.key_version, 2);
    // 1,505 entries, 1 history record, 5 categories.
    assert_eq!(rotated.records, 1511);
    assert_eq!(seen.last(), Some(&(1511, 1511)));
    assert_eq!(key_versions(&paths), [2]);
    assert_ne!(std::fs::read(paths.salt()).unwrap(), salt, "a new salt");
    let store = crate::core::store::Store::open(&paths.db()).unwrap();
    assert_eq!(store.count_not_sealed_with(2).unwrap(), 0);
    let vault = Vault::unlock(&paths, &credentials(OLD), None, HistoryPolicy::default()).unwrap();
    assert_eq!(vault.entries().len(), 1505);
    assert_eq!(vault.check_history().unwrap(), (1, 0));
    assert!(vault.damaged().is_empty());
    // The bridge's tokens stay: only the key changed.
    assert_eq!(
        TokenStore::load(&paths.bridge_tokens())
            .unwrap()
            .list()
            .len(),
        1
    );
}

#[test]
fn a_rotation_stopped_half_way_opens_with_both_keys_and_a_writer_finishes_it() {
    let (_dir, paths) = bigger_vault();
    let plan = Plan {
        operation: "data key",
        rotate: true,
        revoke_tokens: false,
        mode: None,
        key_file: KeyFileChange::Keep,
    };
    let switched = switch(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &OLD.into(),
        None,
        &plan,
        None,
    )
    .unwrap();
    // The first batch is committed, then the process "dies".
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        finish_rotation(&paths, &switched.keys, &switched.kek, &mut |done, _| {
            assert!(done < rotate::BATCH, "stopped after the first batch");
        })
    }));
    assert!(stopped.is_err());
    assert_eq!(key_versions(&paths), [1, 2]);

    // A reader opens every record with both keys and changes nothing.
    assert_eq!(opens(&paths, OLD), Some(1505));
    assert_eq!(key_versions(&paths), [1, 2]);
    // A writer finishes the rotation and says so.
    let lock = crate::core::lock::VaultLock::acquire(&paths.lock_file()).unwrap();
    let vault = Vault::unlock(
        &paths,
        &credentials(OLD),
        Some(lock),
        HistoryPolicy::default(),
    )
    .unwrap();
    assert!(
        vault
            .notices()
            .iter()
            .any(|n| n.contains("finished an interrupted data key rotation")),
        "{:?}",
        vault.notices()
    );
    assert_eq!(vault.entries().len(), 1505);
    drop(vault);
    assert_eq!(key_versions(&paths), [2]);
}

#[test]
fn an_open_vault_that_rotates_seals_what_it_writes_next_with_the_new_key() {
    let (_dir, paths) = vault();
    let mut open =
        Vault::unlock(&paths, &credentials(OLD), None, HistoryPolicy::default()).unwrap();
    let rotated = open
        .rotate_data_key(&credentials(OLD), &mut |_, _| {})
        .unwrap();
    assert_eq!(rotated.key_version, 2);
    open.add(Entry {
        title: "After".into(),
        password: "written-after".into(),
        ..Entry::default()
    })
    .unwrap();
    drop(open);
    let store = crate::core::store::Store::open(&paths.db()).unwrap();
    assert_eq!(store.count_not_sealed_with(2).unwrap(), 0);
    assert_eq!(opens(&paths, OLD), Some(6));
}

/// A password-derived vault with entries and one history record.
fn derived_vault(entries: usize) -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = CreateOptions {
        key_mode: KeyMode::PasswordDerived,
        key_file: None,
        kdf: KdfParams::new(19 * 1024, 2, 1).unwrap(),
    };
    let mut vault = Vault::create(&paths, &OLD.into(), &options, None).unwrap();
    let many: Vec<Entry> = (0..entries)
        .map(|i| Entry {
            title: format!("Derived {i}").into(),
            password: format!("derived-{i}").into(),
            ..Entry::default()
        })
        .collect();
    vault.add_many(many).unwrap();
    let first = vault.entries()[0].uuid;
    let patch = crate::core::entries::EntryPatch {
        password: Some("changed".into()),
        ..Default::default()
    };
    vault
        .update(
            first,
            patch,
            crate::core::entries::RotationReason::Manual,
            crate::core::entries::Actor::User,
        )
        .unwrap();
    drop(vault);
    (dir, paths)
}

fn data_key_version(paths: &Paths) -> u64 {
    let auth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.auth()).unwrap()).unwrap();
    auth["data_key_version"].as_u64().unwrap()
}

#[test]
fn in_password_derived_mode_a_new_password_re_encrypts_every_record() {
    let (_dir, paths) = derived_vault(1200);
    let done = change_master_password(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &NEW.into(),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    // 1,200 entries, 1 history record, 5 categories.
    assert_eq!(done.records, 1206);
    assert_eq!(data_key_version(&paths), 2);
    assert!(!paths.secret_key_migrating().exists());
    assert!(
        !paths.secret_key().exists(),
        "still no key file in this mode"
    );
    let store = crate::core::store::Store::open(&paths.db()).unwrap();
    assert_eq!(store.count_not_sealed_with(2).unwrap(), 0);
    drop(store);
    assert_eq!(opens(&paths, NEW), Some(1200));
    assert_eq!(opens(&paths, OLD), None);

    // A rotation there is a new salt, so a new derived key too.
    let rotated = rotate_data_key(
        &paths,
        &credentials(NEW),
        SecondFactor::Absent,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!((rotated.key_version, rotated.records), (3, 1206));
    assert_eq!(opens(&paths, NEW), Some(1200));
}

#[test]
fn in_password_derived_mode_a_crash_at_every_step_leaves_one_password_and_every_record() {
    for stop in [
        Step::Prepared,
        Step::Committed,
        Step::FirstRenamed,
        Step::Switched,
    ] {
        let (_dir, paths) = derived_vault(20);
        change_until(
            &paths,
            &credentials(OLD),
            SecondFactor::Absent,
            &NEW.into(),
            None,
            Some(stop),
        )
        .unwrap();
        let (works, fails) = if stop >= Step::Committed {
            (NEW, OLD)
        } else {
            (OLD, NEW)
        };
        // A reader opens every record, with both keys where they are mixed.
        let vault =
            Vault::unlock(&paths, &credentials(works), None, HistoryPolicy::default()).unwrap();
        assert_eq!(vault.entries().len(), 20, "after {stop:?}");
        assert_eq!(vault.check_history().unwrap(), (1, 0), "after {stop:?}");
        drop(vault);
        assert_eq!(opens(&paths, fails), None, "after {stop:?}");
        // A writer finishes the move to the new key.
        let lock = crate::core::lock::VaultLock::acquire(&paths.lock_file()).unwrap();
        drop(
            Vault::unlock(
                &paths,
                &credentials(works),
                Some(lock),
                HistoryPolicy::default(),
            )
            .unwrap(),
        );
        assert!(!paths.secret_key_migrating().exists(), "after {stop:?}");
        assert_eq!(opens(&paths, works), Some(20), "after {stop:?}");
    }
}

fn key_mode_of(paths: &Paths) -> String {
    let auth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.auth()).unwrap()).unwrap();
    auth["key_mode"].as_str().unwrap().to_owned()
}

#[test]
fn switching_key_modes_moves_records_only_towards_password_derived() {
    let (_dir, paths) = bigger_vault();
    let done = change_as(
        &paths,
        &credentials(OLD),
        KeyChange::Mode(KeyMode::PasswordDerived),
    )
    .unwrap();
    assert_eq!(done.records, 1511);
    assert_eq!(key_mode_of(&paths), "password-derived");
    assert!(
        !paths.secret_key().exists(),
        "no key file in password-derived mode"
    );
    assert_eq!(opens(&paths, OLD), Some(1505));

    let done = change_as(&paths, &credentials(OLD), KeyChange::Mode(KeyMode::FileKey)).unwrap();
    assert_eq!(done.records, 0, "the data key is only wrapped");
    assert_eq!(key_mode_of(&paths), "file-key");
    assert!(paths.secret_key().exists());
    assert_eq!(opens(&paths, OLD), Some(1505));
    let again = change_as(&paths, &credentials(OLD), KeyChange::Mode(KeyMode::FileKey));
    assert!(matches!(again, Err(VaultError::Invalid(_))));
}

#[test]
fn a_mode_switch_stopped_at_every_step_still_opens_every_record() {
    for stop in [
        Step::Prepared,
        Step::Committed,
        Step::FirstRenamed,
        Step::Switched,
    ] {
        let (_dir, paths) = derived_vault(30);
        // From password-derived to file-key and back, each stopped.
        for mode in [KeyMode::FileKey, KeyMode::PasswordDerived] {
            let lock = crate::core::lock::VaultLock::acquire(&paths.lock_file()).unwrap();
            drop(
                Vault::unlock(
                    &paths,
                    &credentials(OLD),
                    Some(lock),
                    HistoryPolicy::default(),
                )
                .unwrap(),
            );
            if key_mode_of(&paths) == mode.as_str() {
                continue;
            }
            let plan = Plan {
                operation: "key mode",
                rotate: false,
                revoke_tokens: false,
                mode: Some(mode),
                key_file: KeyFileChange::Keep,
            };
            switch(
                &paths,
                &credentials(OLD),
                SecondFactor::Absent,
                &OLD.into(),
                None,
                &plan,
                Some(stop),
            )
            .unwrap();
            let vault =
                Vault::unlock(&paths, &credentials(OLD), None, HistoryPolicy::default()).unwrap();
            assert_eq!(vault.entries().len(), 30, "{mode} after {stop:?}");
            assert_eq!(
                vault.check_history().unwrap(),
                (1, 0),
                "{mode} after {stop:?}"
            );
        }
    }
}

#[test]
fn key_protection_goes_on_and_off() {
    let (dir, paths) = vault();
    let inside = dir.path().join("vault.keyfile");
    std::fs::write(&inside, [7u8; 128]).unwrap();
    let refused = change_as(
        &paths,
        &credentials(OLD),
        KeyChange::Protect(inside.clone()),
    );
    assert!(
        matches!(&refused, Err(VaultError::Invalid(why)) if why.contains("inside the vault")),
        "{refused:?}"
    );
    let apart = tempfile::tempdir().unwrap();
    let key_file = apart.path().join("vault.keyfile");
    std::fs::write(&key_file, [7u8; 128]).unwrap();
    change_as(
        &paths,
        &credentials(OLD),
        KeyChange::Protect(key_file.clone()),
    )
    .unwrap();
    assert!(paths.secret_key_enc().exists() && !paths.secret_key().exists());
    assert!(matches!(
        Vault::unlock(&paths, &credentials(OLD), None, HistoryPolicy::default()),
        Err(VaultError::KeyFileRequired)
    ));
    let with_file = Credentials {
        password: OLD.into(),
        key_file: Some(key_file.clone()),
    };
    let vault = Vault::unlock(&paths, &with_file, None, HistoryPolicy::default()).unwrap();
    assert_eq!(vault.entries().len(), 5);
    drop(vault);
    change_as(&paths, &with_file, KeyChange::Unprotect).unwrap();
    assert!(paths.secret_key().exists() && !paths.secret_key_enc().exists());
    assert_eq!(opens(&paths, OLD), Some(5));
}

#[test]
fn a_failure_counted_elsewhere_during_the_derivation_is_kept() {
    let (_dir, paths) = vault();
    // Another process records two wrong passwords while this change
    // derives its keys.
    BEFORE_TURN.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(|paths: &Paths| {
            let mut auth = current_auth(paths).unwrap();
            auth.failed_attempts = 2;
            auth.save(&paths.auth()).unwrap();
        }));
    });
    let done = change_master_password(
        &paths,
        &credentials(OLD),
        SecondFactor::Absent,
        &NEW.into(),
        None,
        &mut |_, _| {},
    );
    BEFORE_TURN.with(|hook| *hook.borrow_mut() = None);
    done.unwrap();
    assert_eq!(current_auth(&paths).unwrap().failed_attempts, 2);
    assert_eq!(opens(&paths, NEW), Some(5));
}
