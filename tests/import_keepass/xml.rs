//! KeePass 2 XML files from KeePassXC's and Bitwarden's test data.

use super::{entry, field, fixture, login, titles};
use spm::core::exchange::{ExchangeError, keepass};

#[test]
fn keepassxc_newdatabase_xml_reads_four_entries_and_its_deleted_objects() {
    let Some(path) = fixture("keepassxc/NewDatabase.xml") else {
        return;
    };
    let parsed = keepass::read_xml(&path).unwrap();
    assert_eq!(
        titles(&parsed),
        [
            "Sample Entry 1",
            "Sample Entry 2",
            "Subsub Entry",
            "delentry"
        ]
    );
    assert_eq!(parsed.categories, ["General", "Windows", "Windows/Subsub"]);
    let first = entry(&parsed, "Sample Entry 1");
    assert_eq!(login(first), ("User Name", "Password", ""));
    let tags: Vec<&str> = first.entry.tags.iter().map(|t| t.expose()).collect();
    assert_eq!(tags, ["a b c"]);
    let second = entry(&parsed, "Sample Entry 2");
    assert_eq!(
        login(second),
        (
            "notDEFUSERNAME",
            "Jer60Hz8o9XHvxBGcRqT",
            "http://www.keepassx.org/"
        )
    );
    assert_eq!(field(second, "CustomString"), ("isavalue", false));
    // 2010-09-01T16:16:20Z.
    assert_eq!(second.entry.expires_at, Some(1_283_357_780));
    assert_eq!(
        entry(&parsed, "Subsub Entry").entry.category.expose(),
        "Windows/Subsub"
    );
    // 2010-08-25T16:20:37Z, when it moved to the bin.
    assert_eq!(
        entry(&parsed, "delentry").entry.deleted_at,
        Some(1_282_753_237)
    );
    let deleted: Vec<String> = parsed.deleted.iter().map(|(u, _)| u.to_string()).collect();
    assert_eq!(
        deleted,
        [
            "e4afdbcd-6092-9a40-afe4-e671625e0dff",
            "f3487cb9-2356-8242-a128-2a754e05c5ee"
        ]
    );
    assert_eq!(parsed.deleted[0].1, 1_282_752_852);
}

#[test]
fn bitwarden_keepass_xml_sample_reads_multiline_values() {
    let Some(path) = fixture("bitwarden-jslib/keepass2-xml-importer-testdata.xml") else {
        return;
    };
    let parsed = keepass::read_xml(&path).unwrap();
    assert_eq!(parsed.categories, ["Folder2"]);
    let google = entry(&parsed, "Google");
    assert_eq!(login(google), ("googleuser", "googpass", "google.com"));
    assert_eq!(google.entry.category.expose(), "Folder2");
    assert_eq!(
        google.entry.notes.expose(),
        "This is a note!!!\n\nline1\nline2"
    );
    assert_eq!(field(google, "attr1"), ("att1value\n\nline1\nline2", false));
    assert_eq!(field(google, "att2"), ("att2value", false));
    assert!(google.history.is_empty());
}

#[test]
fn keepassxc_broken_xml_files_are_read_leniently_or_refused_clearly() {
    let read =
        |name: &str| fixture(&format!("keepassxc/{name}.xml")).map(|p| keepass::read_xml(&p));
    let Some(no_entry_uuid) = read("BrokenNoEntryUuid") else {
        return;
    };
    let no_entry_uuid = no_entry_uuid.unwrap();
    assert_eq!(titles(&no_entry_uuid), ["Sample Entry 1"]);
    assert!(no_entry_uuid.entries[0].entry.uuid.is_nil());

    let no_group_uuid = read("BrokenNoGroupUuid").unwrap().unwrap();
    assert!(no_group_uuid.entries.is_empty());
    let group_reference = read("BrokenGroupReference").unwrap().unwrap();
    assert_eq!(group_reference.entries[0].entry.deleted_at, None);

    let deleted = read("BrokenDeletedObjects").unwrap().unwrap();
    assert_eq!(deleted.deleted.len(), 1);
    assert_eq!(deleted.warnings.len(), 1);
    // An entry with nothing at all in it (and a history of nothing).
    let history = read("BrokenDifferentEntryHistoryUuid").unwrap().unwrap();
    assert!(history.entries.is_empty());
    assert_eq!(history.skipped[0].location, "line 7");

    for (name, detail) in [
        (
            "BrokenNoRootGroup",
            "line 3, column 2: <Root> holds no group",
        ),
        (
            "BrokenTwoRootGroups",
            "line 8, column 3: <Root> holds a second group",
        ),
        (
            "BrokenTwoRoots",
            "line 9, column 2: the file has a second <Root>",
        ),
    ] {
        match read(name).unwrap() {
            Err(ExchangeError::Malformed { detail: got, .. }) => {
                assert!(got.starts_with(detail), "{name}: {got}");
            }
            other => panic!("{name}: expected Malformed, got {other:?}"),
        }
    }
}
