//! The window's screens, driven through their accessibility labels (what a
//! screen reader announces) with egui_kittest.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::Vault;
use spm::ui::app::App;
use spm::ui::clipboard::MemoryClipboard;

mod common;

const MASTER: &str = "correct horse battery staple 42";

fn harness(dir: &std::path::Path, clipboard: &MemoryClipboard) -> Harness<'static, App> {
    let app = App::new(Paths::portable(dir), Box::new(clipboard.clone()));
    Harness::builder()
        .with_size([1280.0, 800.0])
        // Grids lay themselves out over a couple of extra frames.
        .with_max_steps(32)
        .build_ui_state(|ui, app: &mut App| app.frame(ui), app)
}

/// Steps frames until the background job (unlock, creation) has finished.
fn settle(h: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    h.step();
    while h.state().is_busy() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(!h.state().is_busy(), "the background job did not finish");
    h.run();
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
    // Let fade-in animations of modals and popups finish before the next
    // interaction.
    h.run_steps(8);
}

/// Clicks a button that starts a background job, then waits for it.
fn click_and_settle(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click();
    settle(h);
}

/// The table row of the entry titled `title` (the detail panel's heading
/// carries the same text).
fn row<'h>(h: &'h Harness<'_, App>, title: &'h str) -> egui_kittest::Node<'h> {
    h.get_by_role_and_label(Role::Button, title)
}

fn has_row(h: &Harness<'_, App>, title: &str) -> bool {
    h.query_by_role_and_label(Role::Button, title).is_some()
}

fn create_vault_by_library(dir: &std::path::Path) {
    let paths = Paths::portable(dir);
    let options = common::fast_options(KeyMode::FileKey);
    drop(Vault::create(&paths, &MASTER.into(), &options, None).unwrap());
}

/// A window over a new vault (made by the library), already unlocked.
fn unlocked(dir: &std::path::Path) -> Harness<'static, App> {
    create_vault_by_library(dir);
    let mut h = harness(dir, &MemoryClipboard::default());
    h.run();
    unlock(&mut h, MASTER);
    h
}

fn unlock(h: &mut Harness<'_, App>, password: &str) {
    type_into(h, "Master password", password);
    click_and_settle(h, "Unlock");
}

#[test]
fn first_run_to_trash_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let clipboard = MemoryClipboard::default();
    let mut h = harness(dir.path(), &clipboard);
    h.run();

    // First run: welcome, password with strength meter, light KDF for speed.
    click(&mut h, "Create a vault");
    type_into(&mut h, "Master password", MASTER);
    assert!(
        h.query_by_label_contains("Strength:").is_some(),
        "a live strength meter"
    );
    type_into(&mut h, "Repeat the master password", MASTER);
    h.get_by_label_contains("Light (19 MiB)").click();
    h.run();
    click_and_settle(&mut h, "Create vault");
    assert!(dir.path().join("auth.json").exists());
    h.get_by_label_contains("Your vault is empty");

    // Add an entry.
    click(&mut h, "New entry");
    type_into(&mut h, "Title", "GitHub");
    type_into(&mut h, "Username", "alice");
    type_into(&mut h, "Password", "first-Pass-123!");
    click(&mut h, "Save");
    assert!(has_row(&h, "GitHub"));

    // Search filters as you type.
    type_into(&mut h, "Search", "git");
    assert!(has_row(&h, "GitHub"));
    h.get_by_label("Search").type_text("zzz");
    h.run();
    assert!(!has_row(&h, "GitHub"), "the search hides non-matching rows");
    // The search box keeps the focus while the results change.
    for _ in "gitzzz".chars() {
        h.key_press(Key::Backspace);
        h.run();
    }
    assert!(
        has_row(&h, "GitHub"),
        "clearing the search shows every entry again"
    );

    // Copy the password.
    row(&h, "GitHub").click();
    h.run();
    click(&mut h, "Copy password");
    assert_eq!(
        clipboard.0.lock().unwrap().as_deref(),
        Some("first-Pass-123!")
    );

    // Lock: the clipboard is cleared and the unlock screen appears.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::K);
    h.run();
    assert_eq!(*clipboard.0.lock().unwrap(), None);
    h.get_by_label("Unlock");

    // A wrong password, then the right one.
    unlock(&mut h, "not the password");
    h.get_by_label_contains("wrong master password");
    unlock(&mut h, MASTER);
    row(&h, "GitHub").click();
    h.run();

    // Change the password with a reason; the history shows it.
    click(&mut h, "Edit");
    click(&mut h, "Generator");
    click(&mut h, "Use this password");
    click(&mut h, "Reason for the change");
    click(&mut h, "breach");
    click(&mut h, "Save");
    h.get_by_label_contains("(breach by user)");

    // Delete, undo, delete, restore from the trash.
    click(&mut h, "Delete");
    assert!(!has_row(&h, "GitHub"));
    click(&mut h, "Undo");
    assert!(has_row(&h, "GitHub"));
    row(&h, "GitHub").click();
    h.run();
    click(&mut h, "Delete");
    click(&mut h, "Trash (1)");
    row(&h, "GitHub").click();
    h.run();
    click(&mut h, "Restore");
    click(&mut h, "All (1)");
    assert!(has_row(&h, "GitHub"));
}

#[test]
fn five_failures_show_a_live_lockout_countdown() {
    let dir = tempfile::tempdir().unwrap();
    create_vault_by_library(dir.path());
    let mut h = harness(dir.path(), &MemoryClipboard::default());
    h.run();
    for _ in 0..5 {
        unlock(&mut h, "wrong");
    }
    h.get_by_label_contains("Try again in");
    // While locked out, even the right password is not tried.
    type_into(&mut h, "Master password", MASTER);
    h.get_by_label("Unlock").click();
    h.step();
    assert!(!h.state().is_busy(), "no unlock starts during the lockout");
    assert!(h.state().vault().is_none());
}

#[test]
fn the_generator_honours_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    click(&mut h, "New entry");
    type_into(&mut h, "Title", "Generated");
    click(&mut h, "Generator");
    h.get_by_role_and_label(Role::Slider, "Length")
        .set_value_accesskit(40.0);
    h.run();
    click(&mut h, "Digits");
    click(&mut h, "Symbols");
    click(&mut h, "Use this password");
    click(&mut h, "Save");
    let vault = h.state().vault().unwrap();
    let entry = vault
        .entries()
        .iter()
        .find(|e| e.title.expose() == "Generated")
        .unwrap();
    let password = entry.password.expose();
    assert_eq!(password.chars().count(), 40, "{password}");
    assert!(
        password.chars().all(|c| c.is_ascii_alphabetic()),
        "{password}"
    );
}

#[test]
fn escape_closes_only_the_top_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    click(&mut h, "New entry");
    click(&mut h, "Category");
    h.get_by_label("Personal");
    h.key_press(Key::Escape);
    h.run();
    assert!(h.query_by_label("Personal").is_none(), "the popup closed");
    h.get_by_label("Title");
    h.key_press(Key::Escape);
    h.run();
    assert!(
        h.query_by_label("Title").is_none(),
        "then the editor closed"
    );
}

#[test]
fn categories_can_be_added_renamed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    h.get_by_role_and_label(Role::Button, "Categories").click();
    h.run();

    type_into(&mut h, "New category", "Travel");
    click(&mut h, "Add category");
    click(&mut h, "Rename Travel");
    h.get_by_label("New name").focus();
    h.run();
    for _ in "Travel".chars() {
        h.key_press(Key::Backspace);
    }
    h.get_by_label("New name").type_text("Trips");
    h.run();
    click(&mut h, "Save name");
    click(&mut h, "Delete Trips");
    h.get_by_label_contains("Deleted Trips");
    let names: Vec<String> = h
        .state()
        .vault()
        .unwrap()
        .categories()
        .iter()
        .map(|c| c.name.expose().to_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n == "Travel" || n == "Trips"),
        "{names:?}"
    );
}

#[test]
fn settings_changes_are_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    h.get_by_role_and_label(Role::Button, "Settings").click();
    h.run();
    h.get_by_role_and_label(Role::Slider, "Lock after this many minutes without use")
        .set_value_accesskit(30.0);
    h.run();
    click(&mut h, "Lock when the window is minimized");
    let read = || -> serde_json::Value {
        std::fs::read(dir.path().join("settings.json"))
            .map(|bytes| serde_json::from_slice(&bytes).unwrap())
            .unwrap_or_default()
    };
    let breach_before = read()["breach"]["enabled"].as_bool().unwrap_or(true);
    click(
        &mut h,
        "Check passwords against known breaches during an audit",
    );
    let saved = read();
    assert_eq!(saved["security"]["auto_lock_minutes"], 30);
    assert_eq!(saved["security"]["lock_on_minimize"], false);
    assert_eq!(saved["breach"]["enabled"], !breach_before);
    h.get_by_label_contains("passwords.db");
}

#[test]
fn the_log_viewer_shows_a_failed_login_and_filters_lines() {
    let dir = tempfile::tempdir().unwrap();
    create_vault_by_library(dir.path());
    // A wrong password through the command line writes LOGIN_FAILED.
    common::run_in(dir.path(), &["list"], "wrong\n").expect_code(3);
    common::run_in(dir.path(), &["list"], &format!("{MASTER}\n")).ok();

    let mut h = harness(dir.path(), &MemoryClipboard::default());
    h.run();
    unlock(&mut h, MASTER);
    h.get_by_role_and_label(Role::Button, "Logs").click();
    h.run_steps(8);
    h.run();
    h.get_by_label_contains("LOGIN_FAILED");
    h.get_by_label_contains("LOGIN_SUCCESS");

    type_into(&mut h, "Filter", "login_failed");
    h.run_steps(4);
    h.run();
    h.get_by_label_contains("LOGIN_FAILED");
    assert!(
        h.query_by_label_contains("LOGIN_SUCCESS").is_none(),
        "the filter hides other lines"
    );
}

#[test]
fn the_editor_checks_fields_as_they_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    click(&mut h, "New entry");
    type_into(&mut h, "Expires (YYYY-MM-DD)", "31/12/2031");
    h.get_by_label_contains("A date like 2031-12-31");
    type_into(&mut h, "TOTP URI", "http://not-totp");
    h.get_by_label_contains("An otpauth:// URI");
    type_into(
        &mut h,
        "URLs (one per line)",
        "https://a.example\nnot a url",
    );
    h.get_by_label_contains("Line 2: a URL cannot contain spaces");
    click(&mut h, "Add field");
    click(&mut h, "Add field");
    type_into(&mut h, "Field 1 name", "PIN");
    type_into(&mut h, "Field 2 name", "PIN");
    h.get_by_label_contains("Field 2: another field is already named that");
    click(&mut h, "Save");
    h.get_by_label_contains("The title is required");
    type_into(&mut h, "Title", "Example");
    click(&mut h, "Save");
    h.get_by_label_contains("Expires must be a date like 2031-12-31");
    assert!(
        h.state().vault().unwrap().entries().is_empty(),
        "nothing was saved"
    );
}

#[test]
fn the_vault_locks_after_the_idle_time_and_drops_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    assert!(h.state().vault().is_some());
    let minutes = spm::core::settings::Settings::default().auto_lock_minutes();
    // One minute short: still open.
    h.state_mut()
        .pretend_idle(Duration::from_secs((minutes - 1) * 60));
    h.run();
    assert!(h.state().vault().is_some(), "locked too early");
    h.state_mut()
        .pretend_idle(Duration::from_secs(minutes * 60 + 1));
    h.run();
    assert!(h.state().vault().is_none(), "the vault is locked");
    h.get_by_label("Master password");
    h.get_by_label_contains(&format!("Locked after {minutes} minutes"));
}

#[test]
fn minimizing_locks_when_the_setting_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .minimized = Some(true);
    h.run();
    assert!(h.state().vault().is_none(), "the vault is locked");
    h.get_by_label_contains("Locked when the window was minimized");
}

#[test]
fn minimizing_does_not_lock_when_the_setting_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    h.get_by_role_and_label(Role::Button, "Settings").click();
    h.run();
    click(&mut h, "Lock when the window is minimized");
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .minimized = Some(true);
    h.run();
    assert!(h.state().vault().is_some(), "still unlocked");
}

/// Presses Tab and says which of `labels` now has the keyboard focus.
fn tab_to(h: &mut Harness<'_, App>, label: &str) {
    h.key_press(Key::Tab);
    h.run();
    assert!(
        h.get_by_label(label).is_focused(),
        "Tab should have moved to {label:?}"
    );
}

#[test]
fn tab_moves_through_the_first_run_form_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), &MemoryClipboard::default());
    h.run();
    click(&mut h, "Create a vault");
    h.get_by_label("Master password").focus();
    h.run();
    tab_to(&mut h, "Repeat the master password");
}

#[test]
fn tab_moves_through_the_editor_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    click(&mut h, "New entry");
    h.get_by_label("Title").focus();
    h.run();
    for label in [
        "Username",
        "Password",
        "Show",
        "Generator",
        "URLs (one per line)",
        "Category",
        "Favorite",
        "Tags (comma separated)",
        "Expires (YYYY-MM-DD)",
        "TOTP URI",
    ] {
        tab_to(&mut h, label);
    }
}

#[test]
fn the_unlock_screen_starts_in_the_password_field_and_tabs_on() {
    let dir = tempfile::tempdir().unwrap();
    create_vault_by_library(dir.path());
    let mut h = harness(dir.path(), &MemoryClipboard::default());
    h.run();
    assert!(
        h.get_by_label("Master password").is_focused(),
        "the password field has focus when the window opens"
    );
    type_into(&mut h, "Master password", "x");
    tab_to(&mut h, "Show password");
    tab_to(&mut h, "Unlock");
}

/// Checks the import dialog's format: what it shows, and that it was
/// detected from the file.
#[track_caller]
fn assert_detected(h: &Harness<'_, App>, format: &str) {
    let shown = h.get_by_label("Format").value();
    assert_eq!(shown.as_deref(), Some(format));
    h.get_by_label("detected from the file");
}

/// Opens a File menu item.
fn file_menu(h: &mut Harness<'_, App>, item: &str) {
    click(h, "File");
    click(h, item);
}

#[test]
fn an_export_of_another_vault_imports_through_the_window_with_a_preview() {
    use spm::core::exchange::{self, ExportFormat, FileKey};
    // A file made by another copy of the vault.
    let other = tempfile::tempdir().unwrap();
    create_vault_by_library(other.path());
    let mut source = Vault::unlock(
        &Paths::portable(other.path()),
        &spm::core::vault::Credentials {
            password: MASTER.into(),
            key_file: None,
        },
        None,
        Default::default(),
    )
    .unwrap();
    source
        .add(spm::core::entries::Entry {
            title: "Harbour Bank".into(),
            username: "captain".into(),
            password: "anchor-42".into(),
            urls: vec!["https://bank.example".into()],
            ..Default::default()
        })
        .unwrap();
    let (data, _) = source.export_data(false).unwrap();
    let file = other.path().join("copy.json");
    exchange::write(&file, ExportFormat::Json, &data, &FileKey::default()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    file_menu(&mut h, "Import…");
    type_into(&mut h, "File to import", file.to_str().unwrap());
    assert_detected(&h, "Secure Password Manager JSON");
    click_and_settle(&mut h, "Read file");
    h.get_by_label_contains("1 will be added");
    h.get_by_label("Harbour Bank");
    assert!(
        h.state().vault().unwrap().entries().is_empty(),
        "nothing is written before the confirmation"
    );
    click_and_settle(&mut h, "Import 1 entries");
    h.get_by_label_contains("Imported: 1 added, 0 updated, 0 skipped");
    click(&mut h, "Done");
    assert!(has_row(&h, "Harbour Bank"));
    row(&h, "Harbour Bank").click();
    h.run();
    h.get_by_label_contains("Imported from json on");
    let vault = h.state().vault().unwrap();
    assert_eq!(vault.entries()[0].password.expose(), "anchor-42");
}

#[test]
fn an_unknown_file_is_refused_with_the_formats_tried() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.bin");
    std::fs::write(&file, [0u8, 1, 2, 3, 250, 251]).unwrap();
    let mut h = unlocked(dir.path());
    file_menu(&mut h, "Import…");
    type_into(&mut h, "File to import", file.to_str().unwrap());
    h.get_by_label_contains("is not in a format this program knows");
    assert!(
        h.query_by_label("Read file")
            .is_some_and(|b| b.accesskit_node().is_disabled()),
        "nothing to read"
    );
}

#[test]
fn the_window_exports_an_encrypted_file_that_opens_with_its_passphrase() {
    use spm::core::exchange::{self, FileKey, Format};
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    click(&mut h, "New entry");
    type_into(&mut h, "Title", "Lighthouse");
    type_into(&mut h, "Password", "beam-of-light");
    click(&mut h, "Save");

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    file_menu(&mut h, "Export…");
    type_into(&mut h, "Save as", file.to_str().unwrap());
    type_into(&mut h, "Export passphrase", "sea breeze 7");
    type_into(&mut h, "Repeat the export passphrase", "sea breeze 7");
    click_and_settle(&mut h, "Export");
    h.get_by_label_contains("Exported 1 entries");

    let key = FileKey {
        password: Some("sea breeze 7".into()),
        key_file: None,
    };
    let parsed = exchange::read(&file, Format::Spmx, &key, None, &mut |_| {}).unwrap();
    assert_eq!(parsed.entries[0].entry.title.expose(), "Lighthouse");
    assert_eq!(parsed.entries[0].entry.password.expose(), "beam-of-light");
}

#[test]
fn a_plain_export_needs_its_acknowledgement() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("plain.csv");
    file_menu(&mut h, "Export…");
    click(&mut h, "Plain JSON, everything, NOT encrypted");
    type_into(&mut h, "Save as", file.to_str().unwrap());
    h.get_by_label_contains("will NOT be encrypted");
    assert!(h.get_by_label("Export").accesskit_node().is_disabled());
    click(&mut h, "I understand; write a file that is not encrypted");
    assert!(!h.get_by_label("Export").accesskit_node().is_disabled());
}

#[test]
fn a_protected_bitwarden_export_imports_through_the_window() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/keepassxc/bitwarden_encrypted_argon2id_export.json");
    if !file.exists() {
        eprintln!("skipped: ../shared/fixtures not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    file_menu(&mut h, "Import…");
    type_into(&mut h, "File to import", file.to_str().unwrap());
    assert_detected(&h, "Bitwarden JSON");
    h.get_by_label("This file is protected.");

    type_into(&mut h, "Password of the file", "wrong");
    click_and_settle(&mut h, "Read file");
    h.get_by_label_contains("does not open");

    h.get_by_label("Password of the file").focus();
    h.run();
    for _ in 0..5 {
        h.key_press(Key::Backspace);
    }
    h.get_by_label("Password of the file").type_text("a");
    h.run();
    click_and_settle(&mut h, "Read file");
    h.get_by_label_contains("1 will be added");
    click_and_settle(&mut h, "Import 1 entries");
    click(&mut h, "Done");
    assert!(has_row(&h, "KeePassXC"));
}

#[test]
fn a_plain_csv_needs_its_title_or_url_column_chosen_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("odd.csv");
    std::fs::write(&file, "Login,Secret\nann,pw-ann\n").unwrap();
    let mut h = unlocked(dir.path());
    file_menu(&mut h, "Import…");
    type_into(&mut h, "File to import", file.to_str().unwrap());
    assert_detected(&h, "CSV (columns chosen by hand)");
    h.get_by_label_contains("one of them is required");
    assert!(h.get_by_label("Read file").accesskit_node().is_disabled());

    click(&mut h, "Title column");
    click(&mut h, "Login");
    click(&mut h, "Password column");
    click(&mut h, "Secret");
    assert!(!h.get_by_label("Read file").accesskit_node().is_disabled());
    click_and_settle(&mut h, "Read file");
    h.get_by_label_contains("1 will be added");
    click_and_settle(&mut h, "Import 1 entries");
    click(&mut h, "Done");
    assert!(has_row(&h, "ann"));
}

#[test]
fn a_keepassxc_database_imports_through_the_window() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/keepassxc/NewDatabase.kdbx");
    if !file.exists() {
        eprintln!("skipped: ../shared/fixtures not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    file_menu(&mut h, "Import…");
    type_into(&mut h, "File to import", file.to_str().unwrap());
    assert_detected(&h, "KeePass database (KDBX)");
    type_into(&mut h, "Password of the file", "a");
    click_and_settle(&mut h, "Read file");
    h.get_by_label_contains("2 will be added");
    h.get_by_label("Sample Entry");
    click_and_settle(&mut h, "Import 2 entries");
    click(&mut h, "Done");
    assert!(has_row(&h, "Sample Entry"));
    assert!(has_row(&h, "Subgroup Entry"));
}

/// A vault (made by the library) holding `entries`, with breach checks off
/// so no test reaches the network, unlocked in the window.
fn unlocked_with(
    dir: &std::path::Path,
    entries: Vec<spm::core::entries::Entry>,
) -> Harness<'static, App> {
    create_vault_by_library(dir);
    let mut vault = Vault::unlock(
        &Paths::portable(dir),
        &spm::core::vault::Credentials {
            password: MASTER.into(),
            key_file: None,
        },
        None,
        Default::default(),
    )
    .unwrap();
    vault.add_many(entries).unwrap();
    drop(vault);
    std::fs::write(
        dir.join("settings.json"),
        r#"{"breach": {"enabled": false}}"#,
    )
    .unwrap();
    let mut h = harness(dir, &MemoryClipboard::default());
    h.run();
    unlock(&mut h, MASTER);
    h
}

/// Opens the Security section (its tab; the menu bar has a Security menu too).
fn security_tab(h: &mut Harness<'_, App>) {
    let tab = h
        .get_all_by_role_and_label(Role::Button, "Security")
        .last()
        .unwrap();
    tab.click();
    h.run();
}

fn login(title: &str, password: &str) -> spm::core::entries::Entry {
    spm::core::entries::Entry {
        title: title.into(),
        username: "me".into(),
        password: password.into(),
        urls: vec![format!("https://{}.example", title.to_lowercase()).into()],
        ..Default::default()
    }
}

#[test]
fn the_audit_scores_filters_and_rotates_a_weak_password_in_two_clicks() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked_with(
        dir.path(),
        vec![
            login("Forum", "password1"),
            login("Bank", "vq7#Lr2!xPz9@Kt4mW-e5"),
        ],
    );
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::A);
    settle(&mut h);
    h.run_steps(4);
    h.get_by_label("Security score 85 of 100");
    h.get_by_label_contains("breach checks skipped");

    // A count filters the password list.
    click(&mut h, "Weak password: 1");
    h.get_by_label("Audit: Weak password (1)");
    assert!(has_row(&h, "Forum"));
    assert!(!has_row(&h, "Bank"));

    // Rotate, then Save: the new password is in, with the reason recorded.
    security_tab(&mut h);
    click(&mut h, "Rotate");
    click(&mut h, "Save");
    h.get_by_label("Security score 100 of 100");
    let vault = h.state().vault().unwrap();
    let forum = vault
        .entries()
        .iter()
        .find(|e| e.title.expose() == "Forum")
        .unwrap();
    assert_ne!(forum.password.expose(), "password1");
    let (history, _) = vault.history(forum.uuid).unwrap();
    assert_eq!(
        history[0].reason,
        spm::core::entries::RotationReason::Strength
    );
    assert_eq!(
        vault.audit_trend().unwrap().len(),
        1,
        "the run left a snapshot"
    );
}

#[test]
fn an_excluded_finding_leaves_the_list_and_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked_with(dir.path(), vec![login("Door PIN", "4711")]);
    security_tab(&mut h);
    click(&mut h, "Skip breach checks");
    click_and_settle(&mut h, "Run audit");
    h.run_steps(4);
    h.get_by_label("Security score 70 of 100");
    click(&mut h, "Exclude");
    h.get_by_label("Security score 100 of 100");
    h.get_by_label_contains("1 findings excluded by choice");
    assert!(h.query_by_label("Exclude").is_none());
}

#[test]
fn a_banner_after_unlocking_names_passwords_that_expire_soon() {
    let dir = tempfile::tempdir().unwrap();
    let now = spm::core::time::now_unix();
    let mut soon = login("Payroll", "vq7#Lr2!xPz9@Kt4mW-e5");
    soon.expires_at = Some(now + 3 * 86_400);
    let mut later = login("Later", "Another-Strong-Pass-8!");
    later.expires_at = Some(now + 60 * 86_400);
    let mut h = unlocked_with(dir.path(), vec![soon, later]);
    h.get_by_label_contains("1 password has expired or expires within 7 days: Payroll");
    click(&mut h, "Show them");
    assert!(has_row(&h, "Payroll"));
    assert!(
        h.query_by_label_contains("within 7 days").is_none(),
        "dismissed"
    );
}

#[test]
fn an_insecure_address_is_fixed_by_editing_not_by_a_new_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut router = login("Router", "vq7#Lr2!xPz9@Kt4mW-e5");
    router.urls = vec!["http://192.168.1.1".into()];
    let mut h = unlocked_with(dir.path(), vec![router]);
    security_tab(&mut h);
    click_and_settle(&mut h, "Run audit");
    h.run_steps(4);
    h.get_by_label("Insecure (http://) address: 1");
    assert!(h.query_by_label("Rotate").is_none());
    click(&mut h, "Edit");
    assert_eq!(
        // Masked: one bullet per character.
        h.get_by_label("Password")
            .value()
            .map(|v| v.chars().count()),
        Some("vq7#Lr2!xPz9@Kt4mW-e5".len()),
        "the password is left as it was"
    );
    h.get_by_label("Title");
}

#[test]
fn a_new_entry_puts_the_cursor_in_title() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = unlocked(dir.path());
    click(&mut h, "New entry");
    h.run();
    // Typed with no click first: the text lands in Title.
    h.input_mut()
        .events
        .push(egui::Event::Text("Mail".to_owned()));
    h.run();
    let title = h.get_by_label("Title");
    assert_eq!(title.accesskit_node().value().as_deref(), Some("Mail"));
}
