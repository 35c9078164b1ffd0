//! Settings > Security in the window, driven through widget labels with
//! egui_kittest: two-factor unlock set up (the QR code renders, the key it
//! shows gives the code typed back), the recovery codes shown once, the
//! code step of the unlock screen (a wrong code, a recovery code), turning
//! it off; changing the master password; rotating the encryption key.

use std::path::Path;
use std::time::Duration;

use common::phone::base32_decode;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::Vault;
use spm::ui::app::App;

mod common;

use common::gui::{click, harness, label_text, security_page, settle, type_into, wait_for};

fn vault_in(dir: &Path) {
    let paths = Paths::portable(dir);
    drop(
        Vault::create(
            &paths,
            &common::MASTER.into(),
            &common::fast_options(KeyMode::FileKey),
            None,
        )
        .unwrap(),
    );
    std::fs::write(
        dir.join("settings.json"),
        r#"{"backup": {"auto": false}, "breach": {"enabled": false}}"#,
    )
    .unwrap();
}

fn unlock_password(h: &mut Harness<'_, App>) {
    type_into(h, "Master password", common::MASTER);
    click(h, "Unlock");
}

/// Sets two-factor unlock up through Settings; returns the secret and the
/// recovery codes shown.
fn enrol(h: &mut Harness<'_, App>) -> (Vec<u8>, Vec<String>) {
    security_page(h);
    click(h, "Set up two-factor unlock");
    assert!(
        h.query_by_label("QR code of the new two-factor secret")
            .is_some(),
        "the QR code is drawn"
    );
    let key = label_text(h, "Key: ");
    let secret = base32_decode(key.trim_start_matches("Key: "));
    assert_eq!(secret.len(), 20);
    type_into(h, "Code from the app", &phone_code(&secret, 0));
    click(h, "Turn on two-factor unlock");
    assert!(h.query_by_label("Two-factor unlock is on.").is_some());
    let codes: Vec<String> = h
        .query_all(egui_kittest::kittest::by().predicate(|node| {
            let text = node.value().unwrap_or_default();
            node.role() == Role::Label && text.len() == 14 && text.matches('-').count() == 2
        }))
        .map(|node| node.accesskit_node().value().unwrap_or_default())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes are shown");
    click(h, "I have stored them");
    assert!(
        h.query_by_label_contains("10 recovery codes left")
            .is_some()
    );
    (secret, codes)
}

#[test]
fn set_up_in_settings_then_unlock_with_a_code_after_the_password() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path());
    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock_password(&mut h);
    let (secret, codes) = enrol(&mut h);
    let config = std::fs::read_to_string(dir.path().join("totp_config.json")).unwrap();
    assert!(!config.contains(&codes[0]));

    // Lock; the password alone now leads to the code step.
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    assert!(h.state().vault().is_none());
    unlock_password(&mut h);
    assert!(
        h.state().vault().is_none(),
        "the password alone does not open it"
    );
    assert!(h.query_by_label("Two-factor code").is_some());

    type_into(&mut h, "Two-factor code", "000000");
    h.get_all_by_label("Unlock").last().unwrap().click();
    settle(&mut h);
    assert!(h.state().vault().is_none());
    assert!(h.query_by_label_contains("wrong two-factor code").is_some());

    // The next step's code (enrolment used this step's) opens the vault.
    type_into(&mut h, "Two-factor code", &phone_code(&secret, 30));
    h.get_all_by_label("Unlock").last().unwrap().click();
    settle(&mut h);
    assert!(h.state().vault().is_some(), "the code opened the vault");

    // Once more, with a recovery code.
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    unlock_password(&mut h);
    type_into(&mut h, "Two-factor code", &codes[4]);
    h.get_all_by_label("Unlock").last().unwrap().click();
    settle(&mut h);
    assert!(
        h.state().vault().is_some(),
        "a recovery code opened the vault"
    );
    security_page(&mut h);
    assert!(h.query_by_label_contains("9 recovery codes left").is_some());
}

#[test]
fn changing_the_master_password_in_settings_then_unlocking_with_the_new_one_and_a_code() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path());
    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock_password(&mut h);
    security_page(&mut h);
    click(&mut h, "Change master password…");
    let new = "a brand new master password 99";
    type_into(&mut h, "Current master password", "not the password");
    type_into(&mut h, "New master password", new);
    type_into(&mut h, "Repeat the new master password", new);
    click(&mut h, "Change master password");
    assert!(h.query_by_label_contains("rong master password").is_some());

    type_into(&mut h, "Current master password", common::MASTER);
    click(&mut h, "Change master password");
    assert!(
        h.query_all_by_label_contains("Master password changed.")
            .next()
            .is_some()
    );
    // Two-factor unlock set up after the change seals under the new key.
    let (secret, _) = enrol(&mut h);

    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    unlock_password(&mut h);
    assert!(h.query_by_label_contains("rong master password").is_some());
    type_into(&mut h, "Master password", new);
    click(&mut h, "Unlock");
    type_into(&mut h, "Two-factor code", &phone_code(&secret, 30));
    h.get_all_by_label("Unlock").last().unwrap().click();
    settle(&mut h);
    assert!(
        h.state().vault().is_some(),
        "the new password and a code open it"
    );
}

#[test]
fn a_wrong_code_at_setup_keeps_it_off_and_turning_off_needs_password_and_code() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path());
    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock_password(&mut h);
    security_page(&mut h);
    click(&mut h, "Set up two-factor unlock");
    type_into(&mut h, "Code from the app", "12345");
    click(&mut h, "Turn on two-factor unlock");
    assert!(
        h.query_by_label_contains("does not match the new secret")
            .is_some()
    );
    assert!(!dir.path().join("totp_config.json").exists());
    click(&mut h, "Cancel");

    let (_secret, codes) = enrol(&mut h);
    click(&mut h, "Turn off…");
    type_into(&mut h, "Master password", "not the password");
    type_into(&mut h, "Code or recovery code", &codes[0]);
    click(&mut h, "Turn off two-factor unlock");
    assert!(h.query_by_label_contains("rong master password").is_some());
    assert!(dir.path().join("totp_config.json").exists());

    type_into(&mut h, "Master password", common::MASTER);
    type_into(&mut h, "Code or recovery code", &codes[1]);
    click(&mut h, "Turn off two-factor unlock");
    assert!(!dir.path().join("totp_config.json").exists());
    assert!(h.query_by_label("Set up two-factor unlock").is_some());
}

#[test]
fn rotating_the_encryption_key_in_settings_keeps_every_entry_and_offers_to_delete_old_backups() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path());
    let paths = Paths::portable(dir.path());
    common::fill_vault(dir.path(), 50, 0, "");
    let backup = common::run_in(
        dir.path(),
        &["backup", "--json"],
        &format!("{}\n", common::MASTER),
    )
    .ok()
    .json();
    // Dated a day back, as a backup made before a rotation would be (and
    // so never the name of the fresh one made in the same second).
    let made = std::path::PathBuf::from(backup["path"].as_str().unwrap());
    let archive = made.with_file_name("backup_20200101_000000.zip");
    for suffix in ["", ".sha256", ".sig"] {
        std::fs::rename(
            format!("{}{suffix}", made.display()),
            format!("{}{suffix}", archive.display()),
        )
        .unwrap();
    }

    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock_password(&mut h);
    security_page(&mut h);
    click(&mut h, "Rotate encryption key…");
    type_into(&mut h, "Master password (to confirm)", common::MASTER);
    click(&mut h, "Rotate encryption key");
    wait_for(&mut h, "Encryption key rotated (version 2)");
    assert!(
        h.query_by_label_contains("55 records re-encrypted")
            .is_some(),
        "50 entries and 5 categories"
    );
    // The open vault goes on with the new key.
    assert_eq!(h.state().vault().unwrap().entries().len(), 50);
    click(&mut h, "Delete the 1 old backup");
    assert!(!archive.exists(), "the old backup is gone");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".zip"))
        .collect();
    assert_eq!(left.len(), 1, "a fresh backup under the new key: {left:?}");
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    unlock_password(&mut h);
    assert_eq!(h.state().vault().unwrap().entries().len(), 50);
    let key: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.secret_key()).unwrap()).unwrap();
    assert_eq!(key["keys"].as_array().unwrap().len(), 1);
    assert_eq!(key["keys"][0]["key_version"], 2);

    // Then to password-derived mode: every record moves to the derived key.
    security_page(&mut h);
    click(&mut h, "Switch to password-derived mode…");
    type_into(&mut h, "Master password (to confirm)", common::MASTER);
    click(&mut h, "Switch to password-derived mode");
    wait_for(&mut h, "password-derived mode now");
    assert!(
        h.query_by_label_contains("55 records re-encrypted")
            .is_some()
    );
    assert!(!paths.secret_key().exists());
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    unlock_password(&mut h);
    assert_eq!(h.state().vault().unwrap().entries().len(), 50);
}

#[test]
fn requiring_a_key_file_in_settings_then_unlocking_with_it_and_stopping_again() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path());
    let paths = Paths::portable(dir.path());
    let auth = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(paths.auth()).unwrap()).unwrap()
    };
    let apart = tempfile::tempdir().unwrap();
    let key_file = apart.path().join("vault.keyfile");
    std::fs::write(&key_file, [9u8; 96]).unwrap();
    let inside = dir.path().join("inside.keyfile");
    std::fs::write(&inside, [9u8; 96]).unwrap();

    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock_password(&mut h);
    security_page(&mut h);
    assert!(
        h.query_by_label_contains("Key file: not required")
            .is_some()
    );
    // A key file inside the vault's own directory is refused, nothing changes.
    click(&mut h, "Require a key file…");
    type_into(&mut h, "Key file", inside.to_str().unwrap());
    type_into(&mut h, "Master password (to confirm)", common::MASTER);
    click(&mut h, "Require the key file");
    wait_for(&mut h, "inside the vault's own directories");
    assert_eq!(auth()["key_file_required"], false);
    click(&mut h, "Cancel");

    click(&mut h, "Require a key file…");
    type_into(&mut h, "Key file", key_file.to_str().unwrap());
    type_into(&mut h, "Master password (to confirm)", common::MASTER);
    click(&mut h, "Require the key file");
    wait_for(&mut h, "Key protection is on");
    assert!(
        h.query_by_label_contains("no record re-encrypted")
            .is_some()
    );
    assert_eq!(auth()["key_file_required"], true);
    assert!(paths.secret_key_enc().exists() && !paths.secret_key().exists());
    // The session goes on with the key file: a rotation needs it.
    click(&mut h, "Rotate encryption key…");
    type_into(&mut h, "Master password (to confirm)", common::MASTER);
    click(&mut h, "Rotate encryption key");
    wait_for(&mut h, "Encryption key rotated (version 2)");

    // Locked, the vault asks for the key file as well.
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    type_into(&mut h, "Key file", key_file.to_str().unwrap());
    unlock_password(&mut h);
    assert!(
        h.state().vault().is_some(),
        "the key file and password open it"
    );

    security_page(&mut h);
    assert!(h.query_by_label_contains("Key file: required").is_some());
    click(&mut h, "Stop requiring the key file…");
    type_into(&mut h, "Master password (to confirm)", common::MASTER);
    click(&mut h, "Stop requiring the key file");
    wait_for(&mut h, "Key protection is off");
    assert_eq!(auth()["key_file_required"], false);
    assert!(paths.secret_key().exists() && !paths.secret_key_enc().exists());
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    assert!(h.query_by_label("Key file").is_none());
    unlock_password(&mut h);
    assert!(
        h.state().vault().is_some(),
        "the password alone opens it again"
    );
}

/// What an authenticator app shows `offset_secs` from now.
fn phone_code(secret: &[u8], offset_secs: u64) -> String {
    common::phone::code(secret, common::phone::now() + offset_secs)
}
