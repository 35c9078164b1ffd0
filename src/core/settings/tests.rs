use super::*;

fn load_text(text: &str) -> (tempfile::TempDir, Loaded) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, text).unwrap();
    let loaded = Settings::load(&path).unwrap();
    (dir, loaded)
}

#[test]
fn breach_addresses_must_be_https_or_loopback() {
    let (_dir, loaded) = load_text("{}");
    let mut s = loaded.settings;
    s.set("breach.api_url", "http://127.0.0.1:8080/range/")
        .unwrap();
    s.set("breach.api_url", "http://[::1]:9/range/").unwrap();
    s.set("breach.api_url", "https://mirror.example/range/")
        .unwrap();
    for bad in [
        "http://example.com/range/",
        "ftp://x/",
        "http://127.0.0.1.evil/",
    ] {
        assert!(s.set("breach.api_url", bad).is_err(), "{bad}");
    }
    assert_eq!(s.breach_offline_file(), None);
    s.set("breach.offline_file", "/data/pwned.txt").unwrap();
    assert_eq!(
        s.breach_offline_file(),
        Some(std::path::PathBuf::from("/data/pwned.txt"))
    );
    assert_eq!(s.audit_max_age_days(), 365);
    assert_eq!(s.breach_max_concurrency(), 8);
}

#[test]
fn missing_file_gives_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = Settings::load(&dir.path().join("settings.json")).unwrap();
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.settings.clipboard_clear_seconds(), 25);
    assert_eq!(loaded.settings.history_max_versions(), 10);
    assert_eq!(
        loaded.settings.get("browser_bridge.port").unwrap(),
        &json!(43110)
    );
}

#[test]
fn unknown_keys_survive_a_save() {
    let (dir, mut loaded) = load_text(r#"{"future": {"x": 1}, "clipboard": {"y": 2}}"#);
    loaded
        .settings
        .set("clipboard.auto_clear_seconds", "40")
        .unwrap();
    let path = dir.path().join("settings.json");
    loaded.settings.save(&path).unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["future"]["x"], 1);
    assert_eq!(saved["clipboard"]["y"], 2);
    assert_eq!(saved["clipboard"]["auto_clear_seconds"], 40);
}

#[test]
fn corrupt_file_is_moved_aside_with_its_line() {
    let (dir, loaded) = load_text("{\n  \"clipboard\": {,\n}");
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].contains("line 2"),
        "{}",
        loaded.warnings[0]
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("settings.json.corrupt-")),
        "{names:?}"
    );
    assert!(!names.contains(&"settings.json".to_owned()));
}

#[test]
fn invalid_value_alone_is_replaced_by_its_default() {
    let (_dir, loaded) = load_text(
        r#"{"browser_bridge": {"port": 0, "token_ttl_hours": 48},
            "clipboard": {"auto_clear_seconds": -5}}"#,
    );
    let s = &loaded.settings;
    assert_eq!(s.get("browser_bridge.port").unwrap(), &json!(43110));
    assert_eq!(s.get("browser_bridge.token_ttl_hours").unwrap(), &json!(48));
    assert_eq!(s.clipboard_clear_seconds(), 25);
    assert_eq!(loaded.warnings.len(), 2);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("browser_bridge.port = 0"))
    );
}

#[test]
fn a_section_replaced_by_a_value_falls_back_to_its_defaults() {
    let (_dir, loaded) = load_text(r#"{"password_history": 5, "security": []}"#);
    assert!(loaded.settings.history_enabled());
    assert_eq!(loaded.settings.history_max_versions(), 10);
    assert_eq!(loaded.settings.auto_lock_minutes(), 5);
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("password_history should be a section"));
}

#[test]
fn set_validates_keys_and_values() {
    let mut s = Settings::default();
    assert!(matches!(
        s.set("nope.key", "1"),
        Err(SettingsError::Unknown { .. })
    ));
    assert!(matches!(
        s.set("clipboard", "1"),
        Err(SettingsError::Section { .. })
    ));
    assert!(matches!(
        s.set("browser_bridge.port", "0"),
        Err(SettingsError::Invalid { .. })
    ));
    assert!(s.set("browser_bridge.host", "10.0.0.1").is_err());
    let weak_kdf = r#"{"m_cost_kib": 1024, "t_cost": 1, "p_cost": 1}"#;
    assert!(s.set("key_management.kdf", weak_kdf).is_err());
    s.set("security.lock_on_minimize", "false").unwrap();
    assert_eq!(s.get("security.lock_on_minimize").unwrap(), &json!(false));
    s.set("key_management.mode", "password-derived").unwrap();
    assert_eq!(s.key_mode(), "password-derived");
}

#[test]
fn the_benchmark_aims_for_500_ms_unless_set_from_100_to_5000() {
    let mut s = Settings::default();
    assert_eq!(s.benchmark_target_ms(), 500);
    for bad in ["99", "5001", "10000"] {
        assert!(
            s.set("key_management.benchmark_target_ms", bad).is_err(),
            "{bad}"
        );
    }
    s.set("key_management.benchmark_target_ms", "5000").unwrap();
    assert_eq!(s.benchmark_target_ms(), 5000);
    s.set("key_management.benchmark_target_ms", "100").unwrap();
    assert_eq!(s.benchmark_target_ms(), 100);
}

#[test]
fn backups_go_to_the_chosen_absolute_folder_or_the_default() {
    let paths = crate::core::paths::Paths::portable(Path::new("/vault"));
    let mut s = Settings::default();
    assert_eq!(s.backups_dir(&paths), paths.backups_dir());
    s.set("backup.dir", "/mnt/usb/backups").unwrap();
    assert_eq!(s.backups_dir(&paths), Path::new("/mnt/usb/backups"));
    for bad in ["backups", "./here", "1"] {
        assert!(s.set("backup.dir", bad).is_err(), "{bad}");
    }
    s.set("backup.dir", "").unwrap();
    assert_eq!(s.backups_dir(&paths), paths.backups_dir());
    let (_dir, loaded) = load_text(r#"{"backup": {"dir": "relative/dir"}}"#);
    assert_eq!(loaded.settings.backups_dir(&paths), paths.backups_dir());
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
}

#[test]
fn bridge_approvals_last_90_days_unless_set_from_0_to_3650() {
    let mut s = Settings::default();
    assert_eq!(s.bridge_approval_ttl_days(), 90);
    s.set("browser_bridge.approval_ttl_days", "0").unwrap();
    assert_eq!(s.bridge_approval_ttl_days(), 0);
    s.set("browser_bridge.approval_ttl_days", "3650").unwrap();
    for bad in ["-1", "3651", "\"x\"", "1.5"] {
        assert!(
            s.set("browser_bridge.approval_ttl_days", bad).is_err(),
            "{bad}"
        );
    }
    assert_eq!(s.bridge_approval_ttl_days(), 3650);
}

#[test]
fn a_gpg_key_id_is_text_of_safe_characters() {
    let mut s = Settings::default();
    assert_eq!(s.backup_gpg_key_id(), None);
    s.set("backup.gpg_key_id", "ABCDEF0123456789").unwrap();
    assert_eq!(s.backup_gpg_key_id().as_deref(), Some("ABCDEF0123456789"));
    // Digits alone stay text rather than becoming a number.
    s.set("backup.gpg_key_id", "12345678").unwrap();
    assert_eq!(s.backup_gpg_key_id().as_deref(), Some("12345678"));
    s.set("backup.gpg_key_id", "me+backup@example.org").unwrap();
    for bad in ["--homedir", "-x", "a b", "x;y", "\"$(id)\""] {
        assert!(s.set("backup.gpg_key_id", bad).is_err(), "{bad}");
    }
    s.set("backup.gpg_key_id", "").unwrap();
    assert_eq!(s.backup_gpg_key_id(), None);
    let (_dir, loaded) = load_text(r#"{"backup": {"gpg_key_id": "--batch"}}"#);
    assert_eq!(loaded.settings.backup_gpg_key_id(), None);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
}
