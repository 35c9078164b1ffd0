//! No user text reaches a file in plaintext: not the database, not its
//! write-ahead log, not the logs, not any JSON file.

mod common;

use common::{TestVault, files_containing};
use spm::core::entries::{Actor, CustomField, Entry, EntryPatch, RotationReason};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::vault::{Credentials, HistoryPolicy, Vault};

const MARKERS: &[&str] = &[
    "MkTitleQ7",
    "MkUserQ7",
    "MkPassQ7",
    "MkUrlQ7",
    "MkNoteQ7",
    "MkCatQ7",
    "MkTagQ7",
    "MkFieldNameQ7",
    "MkFieldValQ7",
    "MkHiddenQ7",
    "MkTotpQ7",
    "MkNewPassQ7",
    "MkMasterQ7",
];

fn assert_no_marker_in(dir: &std::path::Path) {
    for marker in MARKERS {
        let hits = files_containing(dir, marker.as_bytes());
        assert!(hits.is_empty(), "{marker} found in plaintext in {hits:?}");
    }
}

#[test]
fn no_marker_appears_in_any_file_written_by_the_command_line() {
    let v = TestVault::empty();
    let master = "MkMasterQ7 is the master password";
    let mut init = vec!["init"];
    init.extend(common::FAST_KDF);
    v.run(&init, &format!("{master}\n")).ok();
    let unlocked = |args: &[&str], more: &str| v.run(args, &format!("{master}\n{more}"));
    let run = unlocked(
        &[
            "add",
            "--json",
            "--title",
            "MkTitleQ7",
            "--username",
            "MkUserQ7",
            "--url",
            "https://MkUrlQ7.example",
            "--notes",
            "MkNoteQ7",
            "--category",
            "MkCatQ7",
            "--tag",
            "MkTagQ7",
            "--field",
            "MkFieldNameQ7=MkFieldValQ7",
            "--hidden-field",
            "hidden",
            "--totp",
            "-",
        ],
        "MkPassQ7\notpauth://totp/a?secret=MkTotpQ7\nMkHiddenQ7\n",
    )
    .ok();
    let id = run.json()["id"].as_str().unwrap().to_owned();
    unlocked(&["edit", &id, "--password"], "MkNewPassQ7\n").ok();
    unlocked(&["show", &id, "--reveal"], "").ok();
    unlocked(&["list", "--search", "MkNoteQ7"], "").ok();
    unlocked(&["rm", &id], "").ok();
    unlocked(&["show", "MkTitleQ7-missing"], "").expect_code(1);
    v.run(&["list"], "MkMasterQ7 wrong guess\n").expect_code(3);

    assert!(v.log().contains("ENTRY_ADDED"), "the log was written");
    assert_no_marker_in(v.path());
}

#[test]
fn no_marker_appears_while_the_vault_is_open_with_a_live_wal() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = common::fast_options(KeyMode::FileKey);
    let master = "MkMasterQ7 again".into();
    drop(Vault::create(&paths, &master, &options, None).unwrap());
    let credentials = Credentials {
        password: master,
        key_file: None,
    };
    let mut vault = Vault::unlock(&paths, &credentials, None, HistoryPolicy::default()).unwrap();
    let uuid = vault
        .add(Entry {
            title: "MkTitleQ7".into(),
            username: "MkUserQ7".into(),
            password: "MkPassQ7".into(),
            urls: vec!["MkUrlQ7".into()],
            notes: "MkNoteQ7".into(),
            category: "MkCatQ7".into(),
            tags: vec!["MkTagQ7".into()],
            totp: Some("otpauth://totp/x?secret=MkTotpQ7".into()),
            fields: vec![CustomField {
                name: "MkFieldNameQ7".into(),
                value: "MkFieldValQ7".into(),
                hidden: true,
            }],
            ..Default::default()
        })
        .unwrap();
    let patch = EntryPatch {
        password: Some("MkNewPassQ7".into()),
        ..Default::default()
    };
    vault
        .update(uuid, patch, RotationReason::Manual, Actor::User)
        .unwrap();

    // The vault is still open: its write-ahead log holds the new pages.
    let wal = dir.path().join("passwords.db-wal");
    assert!(
        wal.exists() && std::fs::metadata(&wal).unwrap().len() > 0,
        "expected a live WAL"
    );
    assert_no_marker_in(dir.path());
    drop(vault);
    assert_no_marker_in(dir.path());
}

#[test]
fn debug_output_of_an_unlocked_vault_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let options = common::fast_options(KeyMode::PasswordDerived);
    let master = "MkMasterQ7".into();
    let mut vault = Vault::create(&paths, &master, &options, None).unwrap();
    let uuid = vault
        .add(Entry {
            title: "MkTitleQ7".into(),
            password: "MkPassQ7".into(),
            ..Default::default()
        })
        .unwrap();
    let credentials = Credentials {
        password: master,
        key_file: None,
    };
    let text = format!(
        "{vault:?} {:?} {:?} {credentials:?}",
        vault.get(uuid).unwrap(),
        vault.entries()
    );
    for marker in MARKERS {
        assert!(!text.contains(marker), "{marker} in {text}");
    }
}
