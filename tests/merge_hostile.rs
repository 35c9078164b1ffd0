//! Merging odd or hostile copies of a vault loses nothing: a file that
//! repeats an entry id, deletes an entry it also changes, was changed in the
//! same second as the vault, or is merged again and again.

mod common;

use std::path::{Path, PathBuf};

use common::TestVault;
use serde_json::{Value, json};

/// One entry of this product's JSON export.
fn entry(uuid: &str, title: &str, password: &str, updated: &str) -> Value {
    json!({
        "uuid": uuid, "title": title, "username": "u", "password": password,
        "urls": ["https://merge.example"], "notes": "", "category": "", "tags": [],
        "favorite": false, "created_at": "2020-01-01T00:00:00Z", "updated_at": updated,
        "expires_at": null, "totp": null, "fields": [], "deleted_at": null, "history": []
    })
}

fn document(entries: Vec<Value>) -> Value {
    json!({
        "format": "secure-password-manager", "version": 1,
        "exported_at": "2020-01-01T00:00:00Z", "categories": [], "entries": entries
    })
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn import(v: &TestVault, file: &Path, command: &str) -> Value {
    v.run_unlocked(&[command, file.to_str().unwrap(), "--json"], &[])
        .ok()
        .json()
}

fn passwords(v: &TestVault, id: &str) -> (String, Vec<String>) {
    let shown = v
        .run_unlocked(&["show", id, "--json", "--reveal"], &[])
        .ok()
        .json();
    let history = v
        .run_unlocked(&["history", id, "--json", "--reveal"], &[])
        .ok()
        .json();
    let old = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["password"].as_str().unwrap().to_owned())
        .collect();
    (shown["password"].as_str().unwrap().to_owned(), old)
}

fn uuid_of(v: &TestVault, id: &str) -> String {
    let shown = v.run_unlocked(&["show", id, "--json"], &[]).ok().json();
    shown["uuid"].as_str().unwrap().to_owned()
}

#[test]
fn an_id_repeated_in_one_file_gives_two_visible_entries() {
    let v = TestVault::new();
    let dir = tempfile::tempdir().unwrap();
    let id = "11111111-2222-4333-8444-555555555555";
    let mut second = entry(id, "Second", "pw-second", "2022-01-01T00:00:00Z");
    second["username"] = "other".into();
    let doc = document(vec![
        entry(id, "First", "pw-first", "2021-01-01T00:00:00Z"),
        second,
    ]);
    let file = write(dir.path(), "dup.json", &doc.to_string());
    let result = import(&v, &file, "import");
    assert_eq!(result["added"], 2, "{result}");

    let listed = v.list(&[]);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let mut uuids: Vec<&str> = listed.iter().map(|e| e["uuid"].as_str().unwrap()).collect();
    uuids.dedup();
    assert_eq!(uuids.len(), 2, "each entry has its own id: {listed:?}");
    assert_eq!(passwords(&v, "Second").0, "pw-second");
    let run = v.run_unlocked(&["list"], &[]).ok();
    assert!(
        !run.stderr.contains("repeats another entry"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_entry_changed_and_deleted_by_the_file_keeps_the_files_password() {
    let v = TestVault::new();
    let id = v.add(&["--title", "X", "--username", "u"], "pw-local");
    let uuid = uuid::Uuid::parse_str(&uuid_of(&v, &id)).unwrap();
    let b64 = base64_of(uuid.as_bytes());
    // Later than the vault's copy, yet within the clock skew tolerated.
    let soon = |seconds: i64| {
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + seconds, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let (changed, deleted) = (soon(60), soon(120));
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<KeePassFile><Meta><Generator>t</Generator></Meta><Root><Group><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Root</Name>
<Entry><UUID>{b64}</UUID><Times><LastModificationTime>{changed}</LastModificationTime></Times>
<String><Key>Title</Key><Value>X</Value></String><String><Key>UserName</Key><Value>u</Value></String>
<String><Key>Password</Key><Value>pw-file</Value></String></Entry>
</Group><DeletedObjects><DeletedObject><UUID>{b64}</UUID><DeletionTime>{deleted}</DeletionTime></DeletedObject></DeletedObjects></Root></KeePassFile>"#
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "k.xml", &xml);
    let result = import(&v, &file, "import");
    assert_eq!(result["trashed"], 1, "{result}");
    assert_eq!(v.list(&["--trash"]).len(), 1);
    let (now, old) = passwords(&v, &id);
    assert!(
        now == "pw-file" || old.contains(&"pw-file".to_owned()),
        "the file's password is lost: now {now:?}, history {old:?}"
    );
    assert!(
        now == "pw-local" || old.contains(&"pw-local".to_owned()),
        "the vault's password is lost: now {now:?}, history {old:?}"
    );
}

#[test]
fn a_copy_changed_in_the_same_second_does_not_lose_its_password() {
    let v = TestVault::new();
    let id = v.add(&["--title", "X", "--username", "u"], "pw-local");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("e.json");
    v.run_unlocked(
        &[
            "export",
            "--format",
            "json",
            "--plaintext-ok",
            "--output",
            export.to_str().unwrap(),
        ],
        &[],
    )
    .ok();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    doc["entries"][0]["password"] = "pw-other-side".into();
    let file = write(dir.path(), "same.json", &doc.to_string());
    import(&v, &file, "merge");
    let (now, old) = passwords(&v, &id);
    assert!(
        now == "pw-other-side" || old.contains(&"pw-other-side".to_owned()),
        "the other copy's password is lost: now {now:?}, history {old:?}"
    );
}

#[test]
fn merging_an_older_copy_again_and_again_keeps_the_history() {
    let v = TestVault::new();
    let id = v.add(&["--title", "X", "--username", "u"], "pw-1");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("old.json");
    v.run_unlocked(
        &[
            "export",
            "--format",
            "json",
            "--plaintext-ok",
            "--output",
            export.to_str().unwrap(),
        ],
        &[],
    )
    .ok();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    v.run_unlocked(&["edit", &id, "--password"], &["pw-2"]).ok();
    let before = passwords(&v, &id);
    assert_eq!(before.1, vec!["pw-1".to_owned()]);
    for _ in 0..3 {
        import(&v, &export, "merge");
    }
    assert_eq!(
        passwords(&v, &id),
        before,
        "merging an older copy must not repeat the history"
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_copy_dated_in_the_future_does_not_win_every_later_merge() {
    let v = TestVault::new();
    let dir = tempfile::tempdir().unwrap();
    let id = "33333333-2222-4333-8444-555555555555";
    let doc = document(vec![entry(id, "Future", "pw-file", "9999-12-31T23:59:59Z")]);
    let file = write(dir.path(), "future.json", &doc.to_string());
    let result = import(&v, &file, "import");
    assert_eq!(result["added"], 1, "{result}");
    assert!(
        result["warnings"].to_string().contains("future"),
        "{result}"
    );
    let shown = v
        .run_unlocked(&["show", "Future", "--json"], &[])
        .ok()
        .json();
    assert!(
        !shown["updated_at"].as_str().unwrap().starts_with("9999"),
        "{shown}"
    );

    v.run_unlocked(&["edit", "Future", "--password"], &["pw-local"])
        .ok();
    import(&v, &file, "merge");
    let (now, old) = passwords(&v, "Future");
    assert_eq!(now, "pw-local", "the edit made here wins");
    assert!(old.contains(&"pw-file".to_owned()), "{old:?}");
}

#[test]
fn an_export_over_the_vaults_own_files_is_refused() {
    let v = TestVault::new();
    v.add(&["--title", "Kept", "--username", "u"], "pw-kept");
    let outside = tempfile::tempdir().unwrap();
    let link = outside.path().join("link");
    std::os::unix::fs::symlink(v.path(), &link).unwrap();
    for target in [
        v.file("passwords.db"),
        v.file("secret.key"),
        v.file("new-export.spmx"),
        link.join("passwords.db"),
    ] {
        let run = v
            .run_unlocked(
                &[
                    "export",
                    "--format",
                    "spmx",
                    "--force",
                    "--output",
                    target.to_str().unwrap(),
                ],
                &["export passphrase"],
            )
            .expect_code(2);
        assert!(run.stderr.contains("vault's own"), "{}", run.stderr);
    }
    assert!(!v.file("new-export.spmx").exists());
    assert_eq!(v.list(&[]).len(), 1, "the vault still opens");
}

#[test]
fn a_dangling_link_at_the_output_path_is_not_replaced_without_force() {
    let v = TestVault::new();
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("out.json");
    std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
    let args = [
        "export",
        "--format",
        "json",
        "--plaintext-ok",
        "--output",
        link.to_str().unwrap(),
    ];
    v.run_unlocked(&args, &[]).expect_code(2);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
}

#[test]
fn updating_from_a_browser_csv_keeps_what_the_csv_has_no_column_for() {
    let v = TestVault::new();
    let id = v.add(
        &[
            "--title",
            "Mail",
            "--username",
            "me@example.org",
            "--url",
            "https://mail.example.org",
            "--notes",
            "recovery codes",
            "--totp",
            "-",
            "--hidden-field",
            "PIN",
        ],
        "old-pw\notpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP\n4321",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "chrome.csv",
        "name,url,username,password,note\n\
         Mail,https://mail.example.org/login,me@example.org,new-pw,\n",
    );
    let result = v
        .run_unlocked(
            &[
                "import",
                file.to_str().unwrap(),
                "--on-duplicate",
                "update",
                "--json",
            ],
            &[],
        )
        .ok()
        .json();
    assert_eq!(result["updated"], 1, "{result}");
    let shown = v
        .run_unlocked(&["show", &id, "--json", "--reveal"], &[])
        .ok()
        .json();
    assert_eq!(shown["password"], "new-pw");
    assert_eq!(shown["notes"], "recovery codes", "{shown}");
    assert!(shown["totp"].as_str().unwrap().contains("JBSWY3DPEHPK3PXP"));
    assert_eq!(shown["custom_fields"][0]["value"], "4321", "{shown}");
    assert_eq!(passwords(&v, &id).1, vec!["old-pw".to_owned()]);
}

#[test]
fn a_category_name_with_spaces_around_it_is_the_same_category() {
    let v = TestVault::new();
    let dir = tempfile::tempdir().unwrap();
    let mut doc = document(vec![]);
    doc["categories"] = json!([
        {"name": "Work ", "color": "#123456"},
        {"name": " Travel", "color": "#123456"},
        {"name": "travel ", "color": "#123456"}
    ]);
    let file = write(dir.path(), "cats.json", &doc.to_string());
    import(&v, &file, "import");
    let categories = v.run_unlocked(&["categories", "--json"], &[]).ok().json();
    let names: Vec<&str> = categories
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.trim() == "Work").count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names
            .iter()
            .filter(|n| n.trim().eq_ignore_ascii_case("travel"))
            .count(),
        1,
        "{names:?}"
    );
    assert!(names.contains(&"Travel"), "{names:?}");
}

#[test]
fn a_kdbx_export_of_text_with_control_characters_is_valid_xml_and_loses_nothing() {
    use spm::core::entries::{Category, CustomField, Entry};
    use spm::core::exchange::{ExportData, FileKey, keepass};

    let odd = "a\u{0}b\u{1b}[31m\u{b}\u{fffe}";
    let entry = Entry {
        uuid: uuid::Uuid::new_v4(),
        title: format!("title {odd}").as_str().into(),
        username: odd.into(),
        password: odd.into(),
        urls: vec![odd.into()],
        notes: odd.into(),
        category: format!("cat{odd}").as_str().into(),
        tags: vec![odd.into()],
        created_at: 1_700_000_000,
        updated_at: 1_700_000_000,
        fields: vec![CustomField {
            name: "field".into(),
            value: odd.into(),
            hidden: false,
        }],
        ..Default::default()
    };
    let data = ExportData {
        entries: vec![(entry, Vec::new())],
        categories: vec![Category {
            uuid: uuid::Uuid::new_v4(),
            name: format!("cat{odd}").as_str().into(),
            color: "#123456".into(),
        }],
    };
    let key = FileKey {
        password: Some("kdbx pass".into()),
        key_file: None,
    };
    let mut bytes = Vec::new();
    keepass::write_kdbx(&mut bytes, &data, &key).unwrap();

    // KeePassXC refuses a database whose XML holds any of these.
    let xml = keepass_crate_xml(&bytes);
    let bad: Vec<char> = xml
        .chars()
        .filter(|&c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}'))
        .collect();
    assert!(bad.is_empty(), "characters XML 1.0 cannot hold: {bad:?}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("odd.kdbx");
    std::fs::write(&file, &bytes).unwrap();
    let parsed = keepass::read_kdbx(&file, &key).unwrap();
    let back = &parsed.entries[0].entry;
    assert_eq!(back.title.expose(), format!("title {odd}"));
    assert_eq!(back.username.expose(), odd);
    assert_eq!(back.password.expose(), odd);
    assert_eq!(back.notes.expose(), odd);
    assert_eq!(back.urls[0].expose(), odd);
    assert_eq!(back.fields[0].value.expose(), odd);
}

fn keepass_crate_xml(bytes: &[u8]) -> String {
    let key = keepass::DatabaseKey::new().with_password("kdbx pass");
    let xml = keepass::Database::get_xml(&mut &bytes[..], key).unwrap();
    String::from_utf8(xml).unwrap()
}
