//! Settings > Security > KDF tuning in the window, driven through widget
//! labels with egui_kittest: the current parameters, a real benchmark (a
//! 100 ms target keeps it short; no timing is asserted), its runs and
//! recommendation, Apply refused with a wrong password and then done with
//! the right one (`crypto.salt` changes, the same password opens), and
//! two-factor unlock set up after Apply in the same session still working.

use std::path::Path;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::Vault;
use spm::ui::app::App;

mod common;

use common::gui::{click, harness, label_text, security_page, settle, type_into};

fn vault_in(dir: &Path, mode: KeyMode) {
    let paths = Paths::portable(dir);
    drop(
        Vault::create(
            &paths,
            &common::MASTER.into(),
            &common::fast_options(mode),
            None,
        )
        .unwrap(),
    );
    std::fs::write(
        dir.join("settings.json"),
        r#"{"backup": {"auto": false}, "breach": {"enabled": false},
            "key_management": {"benchmark_target_ms": 100}}"#,
    )
    .unwrap();
}

fn unlock(h: &mut Harness<'_, App>) {
    type_into(h, "Master password", common::MASTER);
    click(h, "Unlock");
    assert!(h.state().vault().is_some(), "the master password opens");
}

fn salt_params(dir: &Path) -> (u64, u64, u64, String) {
    let text = std::fs::read_to_string(dir.join("crypto.salt")).unwrap();
    let salt: serde_json::Value = serde_json::from_str(&text).unwrap();
    let n = |key: &str| salt[key].as_u64().unwrap();
    (
        n("m_cost_kib"),
        n("t_cost"),
        n("p_cost"),
        salt["salt"].as_str().unwrap().to_owned(),
    )
}

/// Runs the benchmark; returns the passes it recommends (at 64 MiB, 4 lanes).
fn benchmark(h: &mut Harness<'_, App>) -> u64 {
    click(h, "Run benchmark");
    assert!(h.query_by_label("Passes").is_some(), "the runs are listed");
    let advice = label_text(h, "Recommended: ");
    let passes: u64 = advice
        .trim_start_matches("Recommended: 64 MiB, ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no passes in {advice:?}"));
    assert!(passes >= 3, "never below 3 passes at 64 MiB: {advice}");
    assert!(advice.contains(" passes, 4 lanes (about "), "{advice}");
    passes
}

#[test]
fn benchmark_then_apply_re_derives_with_the_recommendation() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path(), KeyMode::FileKey);
    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock(&mut h);
    security_page(&mut h);
    assert!(
        h.query_by_label("Current parameters: 19 MiB, 2 passes, 1 lane")
            .is_some()
    );
    assert!(h.query_all_by_label("Target unlock time").next().is_some());
    let (_, _, _, salt_before) = salt_params(dir.path());

    let passes = benchmark(&mut h);

    // A wrong password changes nothing and says why.
    click(&mut h, "Apply…");
    type_into(&mut h, "Master password", "not the password");
    click(&mut h, "Apply new parameters");
    assert!(
        h.query_by_label_contains("rong master password").is_some(),
        "the wrong password is reported"
    );
    assert_eq!(salt_params(dir.path()).3, salt_before);

    click(&mut h, "Apply…");
    type_into(&mut h, "Master password", common::MASTER);
    click(&mut h, "Apply new parameters");
    let (m, t, p, salt_after) = salt_params(dir.path());
    assert_eq!((m, t, p), (64 * 1024, passes, 4));
    assert_ne!(salt_after, salt_before);
    let summary = label_text(&h, "Applied: ");
    assert!(
        summary.starts_with(&format!(
            "Applied: 64 MiB, {passes} passes, 4 lanes (was 19 MiB, 2 passes, 1 lane)."
        )),
        "{summary}"
    );
    assert!(summary.contains("Backups made earlier keep their own parameters"));
    let current = format!("Current parameters: 64 MiB, {passes} passes, 4 lanes");
    assert!(h.query_by_label(&current).is_some());

    // New vaults start from them; the same password opens this one.
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(
        settings.contains(&format!("\"t_cost\": {passes}")),
        "{settings}"
    );
    assert!(
        settings.contains("\"benchmark_target_ms\": 100"),
        "{settings}"
    );
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    assert!(h.state().vault().is_none(), "locked");
    unlock(&mut h);
}

#[test]
fn two_factor_set_up_after_apply_in_the_same_session_still_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    vault_in(dir.path(), KeyMode::FileKey);
    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock(&mut h);
    security_page(&mut h);
    benchmark(&mut h);
    click(&mut h, "Apply…");
    type_into(&mut h, "Master password", common::MASTER);
    click(&mut h, "Apply new parameters");
    assert!(h.query_by_label_contains("Applied: ").is_some());

    // The open vault must seal the new two-factor file with the key the
    // new parameters give, or the next unlock could never pass it.
    click(&mut h, "Set up two-factor unlock");
    let key = label_text(&h, "Key: ");
    type_into(
        &mut h,
        "Code from the app",
        &phone_code(key.trim_start_matches("Key: ")),
    );
    click(&mut h, "Turn on two-factor unlock");
    assert!(h.query_by_label("Two-factor unlock is on.").is_some());
    let recovery = h
        .query_all(egui_kittest::kittest::by().predicate(|node| {
            let text = node.value().unwrap_or_default();
            node.role() == Role::Label && text.len() == 14 && text.matches('-').count() == 2
        }))
        .map(|node| node.accesskit_node().value().unwrap_or_default())
        .next()
        .expect("recovery codes are shown");
    click(&mut h, "I have stored them");

    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    type_into(&mut h, "Master password", common::MASTER);
    click(&mut h, "Unlock");
    type_into(&mut h, "Two-factor code", &recovery);
    h.get_all_by_label("Unlock").last().unwrap().click();
    settle(&mut h);
    assert!(
        h.state().vault().is_some(),
        "the recovery code opened the vault"
    );
}

#[test]
fn in_password_derived_mode_apply_moves_every_record_to_the_new_derived_key() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    vault_in(dir.path(), KeyMode::PasswordDerived);
    common::fill_vault(dir.path(), 40, 0, "");
    let mut h = harness(dir.path());
    h.run_steps(2);
    unlock(&mut h);
    security_page(&mut h);
    let passes = benchmark(&mut h);
    click(&mut h, "Apply…");
    type_into(&mut h, "Master password", common::MASTER);
    click(&mut h, "Apply new parameters");
    let summary = label_text(&h, "Applied: ");
    // 40 entries and the 5 default categories.
    assert!(
        summary.contains("45 records re-encrypted under the new derived key"),
        "{summary}"
    );
    assert_eq!(salt_params(dir.path()).1, passes);
    assert!(!paths.secret_key_migrating().exists());
    // The open vault goes on with the new key.
    let vault = h.state().vault().unwrap();
    assert_eq!(vault.entries().len(), 40);
    h.state_mut().pretend_idle(Duration::from_secs(24 * 3600));
    h.run_steps(4);
    unlock(&mut h);
    let vault = h.state().vault().unwrap();
    assert_eq!(vault.entries().len(), 40);
    assert!(vault.damaged().is_empty(), "every record opens");
}

/// What an authenticator app shows now.
fn phone_code(key: &str) -> String {
    common::phone::code_for_key(key, common::phone::now())
}
