//! The detail panel shows an entry's two-factor code with its countdown and
//! copies it through the clipboard that clears itself.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spm::core::entries::Entry;
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::totp::{Totp, grouped};
use spm::core::vault::{Credentials, Vault};
use spm::ui::app::App;
use spm::ui::clipboard::MemoryClipboard;

mod common;

const MASTER: &str = "correct horse battery staple 42";

/// One code a day, so the code cannot change while the test runs (unless
/// it starts within seconds of midnight UTC, which the test allows for).
const DAILY: &str =
    "otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=86400";

fn entry(title: &str, totp: &str) -> Entry {
    Entry {
        title: title.into(),
        username: "alice".into(),
        password: "pw-1234-pw".into(),
        totp: Some(totp.into()),
        ..Default::default()
    }
}

/// A vault holding `entries`, unlocked in a window whose clipboard is
/// `clipboard`; breach checks are off so nothing reaches the network.
fn unlocked_with(
    dir: &std::path::Path,
    entries: Vec<Entry>,
    clipboard: &MemoryClipboard,
) -> Harness<'static, App> {
    let paths = Paths::portable(dir);
    drop(
        Vault::create(
            &paths,
            &MASTER.into(),
            &common::fast_options(KeyMode::FileKey),
            None,
        )
        .unwrap(),
    );
    let credentials = Credentials {
        password: MASTER.into(),
        key_file: None,
    };
    let mut vault = Vault::unlock(&paths, &credentials, None, Default::default()).unwrap();
    vault.add_many(entries).unwrap();
    drop(vault);
    std::fs::write(
        dir.join("settings.json"),
        r#"{"breach": {"enabled": false}}"#,
    )
    .unwrap();

    let app = App::new(Paths::portable(dir), Box::new(clipboard.clone()));
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(32)
        .build_ui_state(|ui, app: &mut App| app.frame(ui), app);
    h.run();
    h.get_by_label("Master password").focus();
    h.run();
    h.get_by_label("Master password").type_text(MASTER);
    h.run();
    h.get_by_label("Unlock").click();
    let deadline = Instant::now() + Duration::from_secs(60);
    h.step();
    while h.state().is_busy() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(!h.state().is_busy(), "unlocking did not finish");
    h.run();
    h
}

fn select(h: &mut Harness<'_, App>, title: &str) {
    h.get_by_role_and_label(Role::Button, title).click();
    h.run();
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Today's code of [`DAILY`], and the one after it in case the day ends
/// during the test.
fn daily_codes() -> [String; 2] {
    let totp = Totp::parse(DAILY).unwrap();
    let today = now();
    [today, today + 60].map(|t| totp.code_at(t).expose().to_owned())
}

#[test]
fn the_code_shows_grouped_and_copy_code_puts_it_on_the_clipboard() {
    let dir = tempfile::tempdir().unwrap();
    let clipboard = MemoryClipboard::default();
    let mut h = unlocked_with(dir.path(), vec![entry("ACME", DAILY)], &clipboard);
    select(&mut h, "ACME");

    let codes = daily_codes();
    let shown = codes
        .iter()
        .find(|code| h.query_by_label(&grouped(code)).is_some())
        .unwrap_or_else(|| panic!("neither {codes:?} is shown grouped"));
    assert_eq!(shown.len(), 6);
    h.get_by_label("Two-factor code");
    // The countdown, in hours for a daily code ("23 h").
    let countdown = h
        .query_all(egui_kittest::kittest::by().predicate(|node| {
            let text = node.value().or_else(|| node.label()).unwrap_or_default();
            text.strip_suffix(" h")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }))
        .count();
    assert!(countdown > 0, "no countdown in hours");

    h.get_by_label("Copy code").click();
    h.run();
    let copied = clipboard.0.lock().unwrap().clone();
    assert!(
        copied.as_ref().is_some_and(|c| codes.contains(c)),
        "the clipboard holds {copied:?}, not a code"
    );
}

#[test]
fn a_short_secret_shows_its_warning_beside_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let short = "otpauth://totp/Old?secret=JBSWY3DPEHPK3PXP&period=86400";
    let mut h = unlocked_with(
        dir.path(),
        vec![entry("Old", short)],
        &MemoryClipboard::default(),
    );
    select(&mut h, "Old");
    h.get_by_label_contains("only 80 bits long");
    h.get_by_label("Copy code");
}

#[test]
fn an_invalid_secret_shows_why_and_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "otpauth://totp/Broken?secret=NOT-BASE32-1890";
    let mut h = unlocked_with(
        dir.path(),
        vec![entry("Broken", broken)],
        &MemoryClipboard::default(),
    );
    select(&mut h, "Broken");
    h.get_by_label_contains("Not a valid TOTP secret");
    assert!(h.query_by_label("Copy code").is_none(), "no code to copy");
    assert!(
        h.query_by_label_contains("1890").is_none(),
        "the secret is not shown"
    );
}

#[test]
fn an_entry_without_totp_shows_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Entry {
        title: "Plain".into(),
        password: "pw-1234-pw".into(),
        ..Default::default()
    };
    let mut h = unlocked_with(dir.path(), vec![plain], &MemoryClipboard::default());
    select(&mut h, "Plain");
    assert!(h.query_by_label("Two-factor code").is_none());
}
