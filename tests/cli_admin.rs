//! `generate`, `settings`, `doctor`, `paths`, help and exit codes.

mod common;

use common::{TestVault, binary, run_in};

#[test]
fn help_documents_every_subcommand_and_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["--help"], "").ok();
    for word in [
        "init",
        "add",
        "list",
        "show",
        "edit",
        "rm",
        "restore",
        "trash",
        "history",
        "generate",
        "settings",
        "doctor",
        "paths",
        "Exit codes",
        "5  the vault is open",
    ] {
        assert!(
            run.stdout.contains(word),
            "--help lacks {word:?}:\n{}",
            run.stdout
        );
    }
    for sub in ["init", "add", "list", "edit", "generate", "trash"] {
        run_in(dir.path(), &[sub, "--help"], "").ok();
    }
    let version = run_in(dir.path(), &["--version"], "").ok();
    assert!(version.stdout.starts_with("password-manager "));
    run_in(dir.path(), &["no-such-command"], "").expect_code(2);
}

#[test]
fn generate_makes_passwords_and_passphrases() {
    let dir = tempfile::tempdir().unwrap();
    let pw = run_in(dir.path(), &["generate", "--length", "40"], "").ok();
    assert_eq!(pw.stdout.trim().chars().count(), 40);
    let plain = run_in(
        dir.path(),
        &[
            "generate",
            "--no-symbols",
            "--no-digits",
            "--exclude-ambiguous",
        ],
        "",
    );
    let plain = plain.ok();
    assert!(
        plain.stdout.trim().chars().all(|c| c.is_ascii_alphabetic()),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.trim().contains(['l', 'I', 'O', 'o']));
    let phrase = run_in(
        dir.path(),
        &["generate", "--passphrase", "5", "--separator", "."],
        "",
    )
    .ok();
    assert_eq!(phrase.stdout.trim().split('.').count(), 5);
    let short = run_in(dir.path(), &["generate", "--length", "3"], "").expect_code(2);
    assert!(short.stderr.contains("between 8"));
    // Generating touches no files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn settings_get_and_set_with_dotted_keys() {
    let v = TestVault::empty();
    assert_eq!(
        v.run(&["settings", "get", "clipboard.auto_clear_seconds"], "")
            .ok()
            .stdout,
        "25\n"
    );
    assert_eq!(
        v.run(&["settings", "get", "browser_bridge.host"], "")
            .ok()
            .stdout,
        "127.0.0.1\n"
    );
    v.run(&["settings", "set", "security.auto_lock_minutes", "15"], "")
        .ok();
    assert_eq!(
        v.run(&["settings", "get", "security.auto_lock_minutes"], "")
            .ok()
            .stdout,
        "15\n"
    );
    let section = v
        .run(&["settings", "get", "password_history"], "")
        .ok()
        .json();
    assert_eq!(section["max_versions"], 10);

    let bad = v
        .run(&["settings", "set", "browser_bridge.port", "0"], "")
        .expect_code(2);
    assert!(bad.stderr.contains("from 1 to 65535"), "{}", bad.stderr);
    let unknown = v
        .run(&["settings", "set", "nonsense.key", "1"], "")
        .expect_code(2);
    assert!(
        unknown.stderr.contains("known settings"),
        "{}",
        unknown.stderr
    );

    let saved: serde_json::Value = v.json("settings.json");
    assert_eq!(saved["security"]["auto_lock_minutes"], 15);
    assert!(
        saved.get("browser_bridge").is_none(),
        "only changed keys are stored"
    );
}

#[test]
fn corrupt_settings_are_moved_aside_and_defaults_used() {
    let v = TestVault::new(); // a vault, so the warning is also logged
    std::fs::write(v.file("settings.json"), "{\n \"clipboard\": \n").unwrap();
    let run = v
        .run(&["settings", "get", "clipboard.auto_clear_seconds"], "")
        .ok();
    assert_eq!(run.stdout, "25\n");
    assert!(
        run.stderr.contains("settings.json could not be read"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    let moved = std::fs::read_dir(v.path()).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("settings.json.corrupt-")
    });
    assert!(moved);
    assert!(v.log().contains("WARN  SETTINGS_INVALID"), "{}", v.log());
}

#[test]
fn invalid_setting_value_alone_falls_back_to_its_default() {
    let v = TestVault::empty();
    std::fs::write(
        v.file("settings.json"),
        r#"{"browser_bridge": {"port": 0, "token_ttl_hours": 12}, "custom": {"keep": true}}"#,
    )
    .unwrap();
    let run = v.run(&["settings", "get", "browser_bridge.port"], "").ok();
    assert_eq!(run.stdout, "43110\n");
    assert!(
        run.stderr.contains("browser_bridge.port = 0 is invalid"),
        "{}",
        run.stderr
    );
    assert_eq!(
        v.run(&["settings", "get", "browser_bridge.token_ttl_hours"], "")
            .ok()
            .stdout,
        "12\n"
    );
    v.run(
        &["settings", "set", "clipboard.auto_clear_seconds", "60"],
        "",
    )
    .ok();
    let saved: serde_json::Value = v.json("settings.json");
    assert_eq!(saved["custom"]["keep"], true, "unknown keys survive a save");
}

#[test]
fn paths_lists_every_runbook_file_in_the_data_dir() {
    let v = TestVault::empty();
    let run = v.run(&["paths", "--json"], "").ok().json();
    let dir = v.path().to_str().unwrap();
    assert_eq!(run["layout"], "portable");
    for (key, name) in [
        ("vault", "passwords.db"),
        ("secret_key", "secret.key"),
        ("secret_key_enc", "secret.key.enc"),
        ("crypto_salt", "crypto.salt"),
        ("auth", "auth.json"),
        ("totp_config", "totp_config.json"),
        ("bridge_tokens", "browser_bridge_tokens.json"),
        ("approval_store", "approval_store.json"),
        ("lock", "vault.lock"),
        ("backups", "backups"),
        ("log", "logs/password_manager.log"),
        ("settings", "settings.json"),
        ("breach_cache", "breach_cache.json"),
    ] {
        assert_eq!(run[key], format!("{dir}/{name}"), "{key}");
    }
}

#[test]
fn password_manager_home_selects_portable_mode() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(binary())
        .args(["paths", "--json"])
        .env("PASSWORD_MANAGER_HOME", dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["vault"],
        format!("{}/passwords.db", dir.path().display())
    );
}

#[test]
fn doctor_checks_integrity_wal_permissions_and_the_lock() {
    let v = TestVault::new();
    v.add(&["--title", "X"], "x");
    let report = v.run(&["doctor", "--json"], "").ok().json();
    assert_eq!(report["healthy"], true);
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["integrity_problems"], serde_json::json!([]));
    assert_eq!(report["checkpoint"]["busy"], false);
    assert_eq!(report["lock_holder"], serde_json::Value::Null);

    let human = v.run(&["doctor"], "").ok();
    assert!(human.stdout.contains("integrity check"), "{}", human.stdout);

    std::fs::write(v.file("passwords.db-journal"), b"left over").unwrap();
    let report = v.run(&["doctor", "--json"], "").json();
    let strays = report["stray_files"].as_array().unwrap();
    assert!(strays.iter().any(|s| {
        s["path"]
            .as_str()
            .unwrap()
            .ends_with("passwords.db-journal")
    }));
}

#[test]
fn doctor_fails_on_a_damaged_database() {
    let v = TestVault::new();
    let mut bytes = std::fs::read(v.file("passwords.db")).unwrap();
    bytes.truncate(bytes.len() / 2);
    bytes[100..200].fill(0xff);
    std::fs::write(v.file("passwords.db"), bytes).unwrap();
    let run = v.run(&["doctor"], "").expect_code(1);
    assert!(run.stdout.contains("FAIL"), "{}", run.stdout);
}

#[test]
fn without_a_display_the_window_explains_and_suggests_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(binary())
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no graphical display"), "{stderr}");
    assert!(stderr.contains("password-manager --help"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_debug_build_inside_the_source_tree_uses_dot_data() {
    let out = std::process::Command::new(binary())
        .args(["paths", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("PASSWORD_MANAGER_HOME")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["layout"], "development");
    let root = env!("CARGO_MANIFEST_DIR");
    assert_eq!(json["vault"], format!("{root}/.data/passwords.db"));
}

#[test]
fn outside_the_source_tree_the_xdg_directories_are_used() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(binary())
        .args(["paths", "--json"])
        .current_dir(home.path())
        .env_remove("PASSWORD_MANAGER_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", home.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = home.path().display();
    assert_eq!(json["layout"], "installed (XDG)");
    assert_eq!(
        json["vault"],
        format!("{h}/.local/share/secure-password-manager/passwords.db")
    );
    assert_eq!(
        json["settings"],
        format!("{h}/.config/secure-password-manager/settings.json")
    );
    assert_eq!(
        json["breach_cache"],
        format!("{h}/.cache/secure-password-manager/breach_cache.json")
    );
    // Printing paths creates nothing.
    assert!(!home.path().join(".local").exists());
}
