//! KDBX 4 export: what we write reads back the same, and KeePassXC opens it.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use spm::core::entries::{Actor, Category, CustomField, Entry, HistoryItem, RotationReason};
use spm::core::exchange::{ExchangeError, ExportData, FileKey, keepass};

const PASSWORD: &str = "export test pässword";

fn history(password: &str, changed_at: i64) -> HistoryItem {
    HistoryItem {
        uuid: uuid::Uuid::new_v4(),
        entry_uuid: uuid::Uuid::nil(),
        password: password.into(),
        changed_at,
        reason: RotationReason::Manual,
        changed_by: Actor::User,
        source: None,
    }
}

fn field(name: &str, value: &str, hidden: bool) -> CustomField {
    CustomField {
        name: name.into(),
        value: value.into(),
        hidden,
    }
}

/// A small invented vault: a full entry, a bare one in the root, a trashed
/// one, and an empty category.
fn vault() -> ExportData {
    let mail = Entry {
        uuid: uuid::Uuid::from_u128(0x1111_2222_3333_4444_5555_6666_7777_8888),
        title: "Mail & more".into(),
        username: "ann@example.org".into(),
        password: "n0w-current".into(),
        urls: vec![
            "https://mail.example.org".into(),
            "https://example.org/login".into(),
            "imap.example.org".into(),
        ],
        notes: "line one\nline two <b>".into(),
        category: "Work/Mail".into(),
        tags: vec!["work".into(), "mail".into()],
        favorite: true,
        created_at: 1_600_000_000,
        updated_at: 1_650_000_000,
        expires_at: Some(1_900_000_000),
        totp: Some("otpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP&digits=8".into()),
        fields: vec![field("PIN", "4321", true), field("Account", "A-17", false)],
        ..Entry::default()
    };
    let bare = Entry {
        uuid: uuid::Uuid::from_u128(2),
        title: "Router".into(),
        password: "admin".into(),
        created_at: 1_500_000_000,
        updated_at: 1_500_000_100,
        ..Entry::default()
    };
    let trashed = Entry {
        uuid: uuid::Uuid::from_u128(3),
        title: "Old forum".into(),
        username: "ann".into(),
        category: "Personal".into(),
        created_at: 1_400_000_000,
        updated_at: 1_400_000_000,
        deleted_at: Some(1_700_000_000),
        ..Entry::default()
    };
    let categories = ["Work/Mail", "Personal", "Empty"]
        .iter()
        .map(|name| Category {
            uuid: uuid::Uuid::new_v4(),
            name: (*name).into(),
            color: "#123456".into(),
        })
        .collect();
    ExportData {
        entries: vec![
            (
                mail,
                vec![
                    history("first-old", 1_610_000_000),
                    history("second-old", 1_620_000_000),
                ],
            ),
            (bare, Vec::new()),
            (trashed, Vec::new()),
        ],
        categories,
    }
}

fn password_key() -> FileKey {
    FileKey {
        password: Some(PASSWORD.into()),
        key_file: None,
    }
}

/// Exports `data` into `dir/export.kdbx`.
fn export(dir: &Path, data: &ExportData, key: &FileKey) -> std::path::PathBuf {
    let mut bytes = Vec::new();
    keepass::write_kdbx(&mut bytes, data, key).unwrap();
    let path = dir.join("export.kdbx");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Everything an entry holds, as plain values, for comparing.
fn summary(e: &Entry) -> Vec<String> {
    let list = |items: &[spm::core::secret::SecretString]| {
        items
            .iter()
            .map(|i| i.expose().to_owned())
            .collect::<Vec<_>>()
            .join("|")
    };
    let mut fields: Vec<String> = e
        .fields
        .iter()
        .map(|f| format!("{}={}:{}", f.name.expose(), f.value.expose(), f.hidden))
        .collect();
    fields.sort();
    vec![
        e.uuid.to_string(),
        e.title.expose().to_owned(),
        e.username.expose().to_owned(),
        e.password.expose().to_owned(),
        list(&e.urls),
        e.notes.expose().to_owned(),
        e.category.expose().to_owned(),
        list(&e.tags),
        format!("fav={}", e.favorite),
        format!(
            "{} {} {:?} {:?}",
            e.created_at, e.updated_at, e.expires_at, e.deleted_at
        ),
        format!("{:?}", e.totp.as_ref().map(|t| t.expose().to_owned())),
        fields.join(","),
    ]
}

#[test]
fn an_exported_vault_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let data = vault();
    let path = export(dir.path(), &data, &password_key());
    let parsed = keepass::read_kdbx(&path, &password_key()).unwrap();

    assert_eq!(parsed.entries.len(), 3);
    for (original, past) in &data.entries {
        let back = parsed
            .entries
            .iter()
            .find(|i| i.entry.uuid == original.uuid)
            .expect("every entry comes back under its uuid");
        assert_eq!(summary(&back.entry), summary(original));
        let got: Vec<(&str, i64)> = back
            .history
            .iter()
            .map(|p| (p.password.expose(), p.changed_at))
            .collect();
        let want: Vec<(&str, i64)> = past
            .iter()
            .map(|h| (h.password.expose(), h.changed_at))
            .collect();
        assert_eq!(got, want);
    }
    let categories: BTreeSet<&str> = parsed.categories.iter().map(String::as_str).collect();
    assert_eq!(
        categories,
        BTreeSet::from(["Empty", "Personal", "Work", "Work/Mail"])
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn exports_need_a_key_and_can_use_a_key_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = Vec::new();
    let unprotected = keepass::write_kdbx(&mut sink, &vault(), &FileKey::default());
    assert!(matches!(unprotected, Err(ExchangeError::Write { .. })));

    let key_file = dir.path().join("export.keyx");
    std::fs::write(&key_file, b"any bytes make a key file").unwrap();
    let key = FileKey {
        password: None,
        key_file: Some(key_file.clone()),
    };
    let path = export(dir.path(), &vault(), &key);
    assert_eq!(keepass::read_kdbx(&path, &key).unwrap().entries.len(), 3);
    let with_password = FileKey {
        password: Some("".into()),
        key_file: Some(key_file),
    };
    let wrong = keepass::read_kdbx(&path, &with_password);
    assert!(matches!(wrong, Err(ExchangeError::WrongKey { .. })));
}

#[test]
fn custom_fields_named_like_keepass_strings_do_not_overwrite_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = vault();
    data.entries[1].0.fields = vec![
        field("Password", "not the password", false),
        field("KP2A_URL_1", "not a url", false),
    ];
    let path = export(dir.path(), &data, &password_key());
    let parsed = keepass::read_kdbx(&path, &password_key()).unwrap();
    let router = parsed
        .entries
        .iter()
        .find(|e| e.entry.title.expose() == "Router")
        .unwrap();
    assert_eq!(router.entry.password.expose(), "admin");
    assert!(router.entry.urls.is_empty());
    let names: BTreeSet<&str> = router
        .entry
        .fields
        .iter()
        .map(|f| f.name.expose())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["KP2A_URL_1 (field)", "Password (field)"])
    );
}

/// Runs `keepassxc-cli` with the password on stdin.
fn keepassxc_cli(args: &[&str], password: &str) -> String {
    let mut child = Command::new("keepassxc-cli")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keepassxc-cli");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{password}").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "keepassxc-cli {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn keepassxc_cli_opens_an_export() {
    let available = Command::new("keepassxc-cli")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        println!("skipped: keepassxc-cli not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = export(dir.path(), &vault(), &password_key());
    let db = path.to_str().unwrap();

    let listing = keepassxc_cli(&["ls", "-q", "-R", "-f", db], PASSWORD);
    let lines: BTreeSet<&str> = listing.lines().collect();
    for expected in [
        "Router",
        "Work/Mail/Mail & more",
        "Recycle Bin/Personal/Old forum",
    ] {
        assert!(
            lines.contains(expected),
            "{expected:?} missing from:\n{listing}"
        );
    }

    let shown = keepassxc_cli(
        &[
            "show",
            "-q",
            "-s",
            "-a",
            "UserName",
            "-a",
            "Password",
            "-a",
            "PIN",
            db,
            "/Work/Mail/Mail & more",
        ],
        PASSWORD,
    );
    assert_eq!(shown, "ann@example.org\nn0w-current\n4321\n");

    // KeePassXC understands the `otp` string: a code of the URI's 8 digits.
    let code = keepassxc_cli(
        &["show", "-q", "-t", db, "/Work/Mail/Mail & more"],
        PASSWORD,
    );
    let code = code.trim();
    assert!(
        code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code:?}"
    );
}
