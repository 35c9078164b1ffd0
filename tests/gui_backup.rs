//! Backups and restores in the window, driven through their accessibility
//! labels with egui_kittest, on vaults in temporary directories.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{Credentials, Vault};
use spm::ui::app::App;
use spm::ui::clipboard::MemoryClipboard;

mod common;

const MASTER: &str = "correct horse battery staple 42";

fn harness(dir: &Path) -> Harness<'static, App> {
    let app = App::new(Paths::portable(dir), Box::new(MemoryClipboard::default()));
    Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(32)
        .build_ui_state(|ui, app: &mut App| app.frame(ui), app)
}

/// Steps frames until every background job has finished.
fn settle(h: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    h.step();
    while h.state().is_busy() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(!h.state().is_busy(), "the background job did not finish");
    h.run();
    // A dialog that grew with the result centres itself again over the
    // next frames; clicks must wait for that.
    h.run_steps(4);
}

/// Steps frames until `label` appears somewhere (a toast, say), for at
/// most a few thousand frames.
#[track_caller]
fn wait_for_label(h: &mut Harness<'_, App>, label: &str) {
    wait_until(h, label, |h| h.query_by_label_contains(label).is_some());
}

#[track_caller]
fn wait_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&Harness<'_, App>) -> bool) {
    for _ in 0..3000 {
        if done(h) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    panic!("{what:?} never happened");
}

fn type_into(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

fn click(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click();
    h.run();
    h.run_steps(8);
}

fn click_and_settle(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click();
    settle(h);
}

/// A vault made by the library holding entries with these titles, with
/// `settings` (JSON) as its settings file.
fn vault_with(dir: &Path, titles: &[&str], settings: &str) {
    let paths = Paths::portable(dir);
    let options = common::fast_options(KeyMode::FileKey);
    drop(Vault::create(&paths, &MASTER.into(), &options, None).unwrap());
    let credentials = Credentials {
        password: MASTER.into(),
        key_file: None,
    };
    let mut vault = Vault::unlock(&paths, &credentials, None, Default::default()).unwrap();
    for title in titles {
        vault
            .add(spm::core::entries::Entry {
                title: (*title).into(),
                password: format!("pw-{title}-1234").into(),
                ..Default::default()
            })
            .unwrap();
    }
    drop(vault);
    std::fs::write(dir.join("settings.json"), settings).unwrap();
}

/// No automatic backup at unlock, no breach checks.
const MANUAL_ONLY: &str = r#"{"backup": {"auto": false}, "breach": {"enabled": false}}"#;

fn unlock(h: &mut Harness<'_, App>, password: &str) {
    type_into(h, "Master password", password);
    click_and_settle(h, "Unlock");
}

fn opened(dir: &Path) -> Harness<'static, App> {
    let mut h = harness(dir);
    h.run();
    unlock(&mut h, MASTER);
    h
}

/// The archives in a folder, oldest first.
fn archives(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with("backup_") && name.ends_with(".zip")
    });
    found.sort();
    found
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn titles(h: &Harness<'_, App>) -> Vec<String> {
    let mut titles: Vec<String> = h
        .state()
        .vault()
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.title.expose().to_owned())
        .collect();
    titles.sort();
    titles
}

/// Opens the Backup section (its tab; the menu bar has a Backup menu too).
fn backup_tab(h: &mut Harness<'_, App>) {
    let tab = h
        .get_all_by_role_and_label(Role::Button, "Backup")
        .last()
        .unwrap();
    tab.click();
    h.run();
    settle(h);
}

/// A node's text (a plain label keeps it as its value).
fn text_of(node: &egui_kittest::Node<'_>) -> String {
    let node = node.accesskit_node();
    let text = if node.role() == Role::Label {
        node.value()
    } else {
        node.label()
    };
    text.unwrap_or_default()
}

/// The status bar's words about backups (the Backup section's heading
/// "Last backup" aside).
fn backup_status(h: &Harness<'_, App>) -> String {
    for needle in ["Last backup", "No backup yet", "Writing a backup"] {
        let found = h
            .query_all_by_label_contains(needle)
            .map(|node| text_of(&node))
            .find(|text| text != "Last backup");
        if let Some(text) = found {
            return text;
        }
    }
    panic!("the status bar says nothing about backups");
}

/// Selects an archive in the section's list and presses a button.
fn on_listed(h: &mut Harness<'_, App>, archive: &Path, button: &str) {
    h.get_by_role_and_label(Role::Button, &file_name(archive))
        .click();
    h.run();
    click(h, button);
}

const CHECKS: [&str; 7] = [
    "sha256 side file",
    "signature",
    "zip structure",
    "archive paths",
    "size limits",
    "manifest",
    "database integrity",
];

#[test]
fn ctrl_b_and_file_backup_now_write_verified_backups() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha", "Beta"], MANUAL_ONLY);
    let mut h = opened(dir.path());
    assert_eq!(backup_status(&h), "No backup yet");

    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    wait_for_label(&mut h, "Backup written: backup_");
    h.get_by_label_contains(", 2 entries");
    settle(&mut h);
    let written = archives(&dir.path().join("backups"));
    assert_eq!(written.len(), 1);
    let status = backup_status(&h);
    assert!(
        status.starts_with("Last backup") && status.ends_with("(verified)"),
        "{status}"
    );

    h.get_by_label("File").click();
    h.run();
    // Menu items carry their shortcut in their name.
    h.get_by_label("Backup now Ctrl+B").click();
    // Frames one by one: the status bar's spinner turns while it runs.
    h.step();
    let folder = dir.path().join("backups");
    wait_until(&mut h, "a second backup", |_| archives(&folder).len() == 2);
    settle(&mut h);
    h.get_by_label_contains(&file_name(&archives(&folder)[1]));
    assert_eq!(archives(&dir.path().join("backups")).len(), 2);
    assert!(backup_status(&h).ends_with("(verified)"));
}

#[test]
fn the_backup_section_lists_the_backup_and_verify_names_every_check() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha"], MANUAL_ONLY);
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("password_manager.log"), "a line\n").unwrap();
    let mut h = opened(dir.path());
    backup_tab(&mut h);
    h.get_by_label("No backup in this folder yet.");
    click(&mut h, "Include the logs");
    click_and_settle(&mut h, "Backup now");
    let archive = archives(&dir.path().join("backups")).pop().unwrap();

    h.get_by_role_and_label(Role::Button, &file_name(&archive));
    h.get_by_label("Verified: every check passed");
    on_listed(&mut h, &archive, "Verify");
    settle(&mut h);
    h.get_by_label(&format!("{} verifies.", file_name(&archive)));
    for check in CHECKS {
        h.get_by_label_contains(&format!("{check}: passed \u{2014} "));
    }
    let manifest = spm::core::backup::verify(&archive, None).manifest.unwrap();
    assert!(
        manifest.files.iter().any(|f| f.path.starts_with("logs/")),
        "the option put the logs in"
    );
}

#[test]
fn a_restore_asks_checks_confirms_and_keeps_the_previous_files() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha"], MANUAL_ONLY);
    let mut h = opened(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    wait_for_label(&mut h, "Backup written");
    settle(&mut h);
    let archive = archives(&dir.path().join("backups")).pop().unwrap();

    // A change after the backup.
    click(&mut h, "New entry");
    // The table's column header is called Title too.
    h.get_by_role_and_label(Role::TextInput, "Title").focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Title")
        .type_text("Gamma");
    h.run();
    click(&mut h, "Save");
    assert_eq!(titles(&h), ["Alpha", "Gamma"]);
    let db_before = std::fs::read(dir.path().join("passwords.db")).unwrap();

    // A wrong password: the message, and the dialog asks again.
    backup_tab(&mut h);
    on_listed(&mut h, &archive, "Restore…");
    type_into(&mut h, "Master password of the backup", "not the password");
    click_and_settle(&mut h, "Check the backup");
    h.get_by_label_contains("wrong master password");
    assert!(
        h.query_by_label("Replace the current vault").is_none(),
        "no confirmation without the password"
    );

    // The right one: every check, the counts, then Cancel changes nothing.
    type_into(&mut h, "Master password of the backup", MASTER);
    click_and_settle(&mut h, "Check the backup");
    for check in CHECKS {
        h.get_by_label_contains(&format!("{check}: passed \u{2014} "));
    }
    h.get_by_label_contains("unlock: passed \u{2014} opened with the master password");
    h.get_by_label("1 (the trash included)");
    h.get_by_label_contains("Replace the current vault with this backup?");
    click(&mut h, "Cancel");
    assert!(h.query_by_label("Replace the current vault").is_none());
    assert_eq!(titles(&h), ["Alpha", "Gamma"]);
    assert!(
        std::fs::read(dir.path().join("passwords.db")).unwrap() == db_before,
        "the database is as it was"
    );
    assert!(no_file_starting_with(dir.path(), "pre-restore-"));
    assert!(no_file_starting_with(dir.path(), ".restore-staging-"));

    // Confirm: the unlock screen says what happened.
    on_listed(&mut h, &archive, "Restore…");
    type_into(&mut h, "Master password of the backup", MASTER);
    click_and_settle(&mut h, "Check the backup");
    click_and_settle(&mut h, "Replace the current vault");
    assert!(h.state().vault().is_none(), "locked");
    let notice = text_of(&h.get_by_label_contains("Backup restored: 1 entries."));
    assert!(notice.contains("pre-restore-"), "{notice}");
    assert!(notice.contains("Unlock with the backup's master password."));

    unlock(&mut h, MASTER);
    assert_eq!(titles(&h), ["Alpha"], "the backup's entries only");
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("pre-restore-"))
        .expect("a pre-restore folder")
        .path();
    // The previous files are a whole vault: it opens, with the later entry.
    let previous = Vault::unlock(
        &Paths::portable(&kept),
        &Credentials {
            password: MASTER.into(),
            key_file: None,
        },
        None,
        Default::default(),
    )
    .unwrap();
    let mut old_titles: Vec<&str> = previous
        .entries()
        .iter()
        .map(|e| e.title.expose())
        .collect();
    old_titles.sort();
    assert_eq!(old_titles, ["Alpha", "Gamma"]);
}

fn no_file_starting_with(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with(prefix))
}

#[test]
fn a_damaged_archive_shows_its_failed_checks_and_cannot_be_restored() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha"], MANUAL_ONLY);
    let mut h = opened(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    wait_for_label(&mut h, "Backup written");
    settle(&mut h);
    let archive = archives(&dir.path().join("backups")).pop().unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&archive, bytes).unwrap();

    // Opening the section checks the newest backup again.
    backup_tab(&mut h);
    assert_eq!(backup_status(&h), "Last backup FAILED to verify");
    h.get_by_label_contains("FAILED to verify: sha256 side file");

    // The restore dialog, opened the way the file picker opens it.
    h.state_mut().open_restore(archive.clone());
    h.run();
    type_into(&mut h, "Master password of the backup", MASTER);
    click_and_settle(&mut h, "Check the backup");
    let side_file = text_of(&h.get_by_label_contains("sha256 side file: FAILED \u{2014} "));
    assert!(
        side_file.contains(&archive.parent().unwrap().display().to_string())
            && !side_file.contains(".restore-staging-"),
        "names the file that was chosen, not the private copy: {side_file}"
    );
    h.get_by_label_contains("signature: FAILED \u{2014} ");
    h.get_by_label_contains("FAILED verification, so nothing can be restored");
    let confirm = h.query_by_label("Replace the current vault");
    assert!(
        confirm.is_none_or(|b| b.accesskit_node().is_disabled()),
        "no way to confirm"
    );
    click(&mut h, "Close");
    assert_eq!(titles(&h), ["Alpha"]);
    assert!(no_file_starting_with(dir.path(), ".restore-staging-"));
}

#[test]
fn unlocking_takes_an_automatic_backup_when_one_is_due() {
    // Default settings: automatic backups on, every 24 hours.
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha"], r#"{"breach": {"enabled": false}}"#);
    let mut h = opened(dir.path());
    h.get_by_label_contains("Automatic backup written: backup_");
    assert_eq!(archives(&dir.path().join("backups")).len(), 1);
    assert!(backup_status(&h).ends_with("(verified)"));

    // Not due again an hour later: none on the next unlock.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::K);
    h.run();
    unlock(&mut h, MASTER);
    assert_eq!(archives(&dir.path().join("backups")).len(), 1);
}

#[test]
fn no_automatic_backup_when_they_are_off() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha"], MANUAL_ONLY);
    let h = opened(dir.path());
    assert!(archives(&dir.path().join("backups")).is_empty());
    assert!(h.query_by_label_contains("Automatic backup").is_none());
    assert_eq!(backup_status(&h), "No backup yet");
}

#[test]
fn automatic_backups_go_to_the_chosen_folder() {
    let dir = tempfile::tempdir().unwrap();
    let chosen = tempfile::tempdir().unwrap();
    let settings = serde_json::json!({
        "backup": {"dir": chosen.path()},
        "breach": {"enabled": false},
    });
    vault_with(dir.path(), &["Alpha"], &settings.to_string());
    let mut h = opened(dir.path());
    assert_eq!(archives(chosen.path()).len(), 1);
    assert!(archives(&dir.path().join("backups")).is_empty());
    backup_tab(&mut h);
    h.get_by_label(&chosen.path().display().to_string());
    h.get_by_label("Use the default folder");
}

#[test]
fn a_vault_with_a_key_file_restores_with_the_key_file_it_was_unlocked_with() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("vault.key");
    std::fs::write(&key_file, [7u8; 64]).unwrap();
    let paths = Paths::portable(dir.path());
    let options = spm::core::vault::CreateOptions {
        key_file: Some(key_file.clone()),
        ..common::fast_options(KeyMode::FileKey)
    };
    drop(Vault::create(&paths, &MASTER.into(), &options, None).unwrap());
    std::fs::write(dir.path().join("settings.json"), MANUAL_ONLY).unwrap();

    let mut h = harness(dir.path());
    h.run();
    type_into(&mut h, "Key file", key_file.to_str().unwrap());
    unlock(&mut h, MASTER);
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    wait_for_label(&mut h, "Backup written");
    settle(&mut h);
    let archive = archives(&dir.path().join("backups")).pop().unwrap();

    backup_tab(&mut h);
    on_listed(&mut h, &archive, "Restore…");
    assert_eq!(
        h.get_by_label("Key file").value().as_deref(),
        key_file.to_str(),
        "the key file of the unlock is offered again"
    );
    type_into(&mut h, "Master password of the backup", MASTER);
    click_and_settle(&mut h, "Check the backup");
    h.get_by_label_contains("unlock: passed");
    click_and_settle(&mut h, "Replace the current vault");
    h.get_by_label_contains("Backup restored: 0 entries.");
}

#[test]
fn an_encrypted_backup_is_restored_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Alpha"], MANUAL_ONLY);
    // An encrypted backup of the one-entry vault, made beside the window.
    let archive = {
        let paths = Paths::portable(dir.path());
        let credentials = Credentials {
            password: MASTER.into(),
            key_file: None,
        };
        let vault = Vault::unlock(&paths, &credentials, None, Default::default()).unwrap();
        let options = spm::core::backup::BackupOptions {
            encryption: Some(spm::core::backup::Encryption::new(
                "backup passphrase 7".into(),
            )),
            ..Default::default()
        };
        spm::core::backup::create(&vault, &dir.path().join("backups"), &options)
            .unwrap()
            .path
    };
    let mut h = opened(dir.path());
    click(&mut h, "New entry");
    h.get_by_role_and_label(Role::TextInput, "Title").focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Title")
        .type_text("Later");
    h.run();
    click(&mut h, "Save");

    backup_tab(&mut h);
    on_listed(&mut h, &archive, "Restore…");
    type_into(&mut h, "Master password of the backup", MASTER);
    // Without the passphrase the check cannot start; a wrong one is named.
    type_into(
        &mut h,
        "Backup passphrase (the archive is encrypted)",
        "wrong passphrase",
    );
    click_and_settle(&mut h, "Check the backup");
    h.get_by_label_contains("decryption: FAILED");
    assert!(h.query_by_label("Replace the current vault").is_none());
    click(&mut h, "Close");

    on_listed(&mut h, &archive, "Restore…");
    type_into(&mut h, "Master password of the backup", MASTER);
    type_into(
        &mut h,
        "Backup passphrase (the archive is encrypted)",
        "backup passphrase 7",
    );
    click_and_settle(&mut h, "Check the backup");
    h.get_by_label_contains("decryption: passed");
    click_and_settle(&mut h, "Replace the current vault");
    unlock(&mut h, MASTER);
    assert_eq!(titles(&h), ["Alpha"]);
}

#[test]
fn prune_now_shows_what_it_would_delete_and_deletes_only_when_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    vault_with(dir.path(), &["Mail"], MANUAL_ONLY);
    let folder = dir.path().join("backups");
    std::fs::create_dir_all(&folder).unwrap();
    // Nine days of January 2020: the rule (7 daily, 4 weekly, 12 monthly)
    // keeps the newest seven.
    for day in 1..=9 {
        std::fs::write(
            folder.join(format!("backup_202001{day:02}_000000.zip")),
            b"x",
        )
        .unwrap();
    }
    let mut h = opened(dir.path());
    backup_tab(&mut h);

    click(&mut h, "Prune now");
    assert!(h.query_by_label("Delete 2 backups").is_some());
    assert!(
        h.query_all_by_label_contains("backup_20200101_000000.zip")
            .next()
            .is_some()
    );
    assert_eq!(
        archives(&folder).len(),
        9,
        "nothing deleted before confirming"
    );
    click(&mut h, "Cancel");
    assert!(h.query_by_label("Delete 2 backups").is_none());
    assert_eq!(archives(&folder).len(), 9);

    click(&mut h, "Prune now");
    click_and_settle(&mut h, "Delete 2 backups");
    wait_for_label(&mut h, "Deleted 2 backups:");
    let left: Vec<String> = archives(&folder).iter().map(|p| file_name(p)).collect();
    assert_eq!(left.len(), 7, "{left:?}");
    assert!(!left.contains(&"backup_20200101_000000.zip".to_owned()));
    assert!(!left.contains(&"backup_20200102_000000.zip".to_owned()));
}
