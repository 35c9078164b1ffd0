//! Reading Bitwarden JSON exports: the real files other tools' tests use
//! ([`fixtures`]), small exports written here with invented data (this
//! file), and password-protected exports sealed by a test-only encryptor
//! built from the same primitives Bitwarden uses ([`protected`]).

// A test crate's root finds its modules beside it, not in the folder of the
// same name, hence the paths.
#[path = "import_bitwarden/fixtures.rs"]
mod fixtures;
#[path = "import_bitwarden/protected.rs"]
mod protected;
#[path = "import_bitwarden/support.rs"]
mod support;

use spm::core::exchange::{ExchangeError, bitwarden};

use support::*;

#[test]
fn totp_as_a_bare_secret_becomes_a_uri() {
    let parsed = read_items(
        r#"{"type": 1, "name": "Harbor Bank",
            "login": {"username": "kim", "totp": "jbsw y3dp ehpk 3pxp"}}"#,
    );
    assert_eq!(
        parsed.entries[0].entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Harbor%20Bank?secret=JBSWY3DPEHPK3PXP"
    );
    assert!(parsed.warnings.is_empty());
}

#[test]
fn totp_uri_with_padding_sha256_eight_digits_and_a_minute_is_kept_exactly() {
    let uri = "otpauth://totp/Acme:kim?secret=GEZDGNBVGY%3D%3D%3D%3D%3D%3D\
               &algorithm=SHA256&digits=8&period=60&issuer=Acme";
    let parsed = read_items(&format!(
        r#"{{"type": 1, "name": "Acme", "login": {{"username": "kim", "totp": "{uri}"}}}}"#
    ));
    assert_eq!(parsed.entries[0].entry.totp.as_ref().unwrap().expose(), uri);
}

#[test]
fn totp_steam_secret_keeps_the_steam_encoder() {
    let parsed = read_items(
        r#"{"type": 1, "name": "Steam", "login": {"username": "gamer", "totp": "steam://ABCDEFGH"}}"#,
    );
    assert_eq!(
        parsed.entries[0].entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Steam?secret=ABCDEFGH&digits=5&encoder=steam"
    );
}

#[test]
fn unreadable_totp_is_kept_as_a_hidden_field_with_a_warning() {
    let parsed = read_items(
        r#"{"type": 1, "name": "Odd Site", "login": {"username": "kim", "totp": "not a secret!"},
            "fields": [{"name": "TOTP", "value": "mine", "type": 0}]}"#,
    );
    let entry = &parsed.entries[0];
    assert!(entry.entry.totp.is_none());
    assert_eq!(
        fields(entry),
        owned(&[("TOTP", "mine", false), ("TOTP (2)", "not a secret!", true)])
    );
    assert_eq!(parsed.warnings.len(), 1);
    assert!(
        parsed.warnings[0].starts_with("item 1 \"Odd Site\": "),
        "{}",
        parsed.warnings[0]
    );
    assert!(parsed.warnings[0].contains("hidden field \"TOTP\""));
    assert!(!parsed.warnings[0].contains("not a secret!"));
}

#[test]
fn every_field_type_is_imported_and_repeated_names_are_numbered() {
    let parsed = read_items(
        r#"{"type": 1, "name": "Fields", "login": {"username": "u", "password": "p"},
            "fields": [
              {"name": "Note", "value": "visible", "type": 0},
              {"name": "PIN", "value": "2468", "type": 1},
              {"name": "Remember", "value": "true", "type": 2},
              {"name": "Alias", "value": null, "type": 3, "linkedId": 100},
              {"name": "Secret copy", "value": null, "type": 3, "linkedId": 101},
              {"name": "PIN", "value": "1357", "type": 1},
              {"name": "PIN", "value": "9999", "type": 0}
            ]}"#,
    );
    let entry = &parsed.entries[0];
    assert_eq!(
        fields(entry),
        owned(&[
            ("Note", "visible", false),
            ("PIN", "2468", true),
            ("Remember", "true", false),
            ("Alias", "linked: username", false),
            ("Secret copy", "linked: password", false),
            ("PIN (2)", "1357", true),
            ("PIN (3)", "9999", false),
        ])
    );
    assert!(entry.entry.validate().is_ok());
}

#[test]
fn password_history_comes_oldest_first_with_its_dates() {
    let parsed = read_items(
        r#"{"type": 1, "name": "Mail", "login": {"username": "kim", "password": "third"},
            "passwordHistory": [
              {"lastUsedDate": "2024-03-01T10:00:00.000Z", "password": "second"},
              {"lastUsedDate": "2023-01-15T08:30:00Z", "password": "first"}
            ]}"#,
    );
    let history = &parsed.entries[0].history;
    let seen: Vec<(&str, i64)> = history
        .iter()
        .map(|h| (h.password.expose(), h.changed_at))
        .collect();
    assert_eq!(seen, [("first", 1_673_771_400), ("second", 1_709_287_200)]);
}

#[test]
fn dates_id_favorite_and_trash_state_are_kept() {
    let parsed = read_items(
        r#"{"id": "0f8e2c1a-9b7d-4e3f-a1b2-c3d4e5f60718", "type": 1, "name": "Old",
            "favorite": true,
            "creationDate": "2022-05-01T00:00:00Z", "revisionDate": "2023-06-02T12:00:00Z",
            "deletedDate": "2024-07-03T00:00:00Z",
            "login": {"username": "kim", "password": "pw"}},
           {"id": "not-a-uuid", "type": 1, "name": "New", "login": {"password": "pw2"}}"#,
    );
    let old = &by_title(&parsed, "Old").entry;
    assert_eq!(old.uuid.to_string(), "0f8e2c1a-9b7d-4e3f-a1b2-c3d4e5f60718");
    assert!(old.favorite);
    assert_eq!(old.created_at, 1_651_363_200);
    assert_eq!(old.updated_at, 1_685_707_200);
    assert_eq!(old.deleted_at, Some(1_719_964_800));
    let new = &by_title(&parsed, "New").entry;
    assert!(new.uuid.is_nil());
    assert_eq!(
        (new.created_at, new.updated_at, new.deleted_at),
        (0, 0, None)
    );
}

#[test]
fn organization_collections_become_categories_and_shared_items_come_once() {
    let parsed = read_text(
        r#"{"encrypted": false,
            "collections": [
              {"id": "c1", "organizationId": "o1", "name": "Engineering"},
              {"id": "c2", "organizationId": "o1", "name": "Operations"},
              {"id": "c3", "organizationId": "o1", "name": "Empty Team"}
            ],
            "items": [
              {"id": "a3c1f0d2-1111-4222-8333-944455566677", "organizationId": "o1",
               "type": 1, "name": "Build Server", "collectionIds": ["c2", "c1"],
               "login": {"username": "ci", "password": "b1ld"}},
              {"id": "a3c1f0d2-1111-4222-8333-944455566677", "organizationId": "o1",
               "type": 1, "name": "Build Server", "collectionIds": ["c2", "c1"],
               "login": {"username": "ci", "password": "b1ld"}},
              {"organizationId": "o1", "type": 2, "name": "Runbook", "notes": "restart",
               "collectionIds": ["unknown", "c1"]}
            ]}"#,
    );
    assert_eq!(
        parsed.categories,
        ["Engineering", "Operations", "Empty Team"]
    );
    assert_eq!(parsed.entries.len(), 2);
    assert_eq!(
        by_title(&parsed, "Build Server").entry.category.expose(),
        "Operations"
    );
    assert_eq!(
        by_title(&parsed, "Runbook").entry.category.expose(),
        "Engineering"
    );
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].location, "item 2 \"Build Server\"");
    assert!(parsed.skipped[0].reason.contains("same id as item 1"));
}

#[test]
fn folder_wins_over_collection_and_unknown_folders_leave_no_category() {
    let parsed = read_text(
        r#"{"folders": [{"id": "f1", "name": "Home"}, {"id": "f2", "name": "Home"}],
            "collections": [{"id": "c1", "name": "Shared"}],
            "items": [
              {"type": 2, "name": "A", "notes": "x", "folderId": "f1", "collectionIds": ["c1"]},
              {"type": 2, "name": "B", "notes": "y", "folderId": "gone"}
            ]}"#,
    );
    assert_eq!(parsed.categories, ["Home", "Shared"]);
    assert_eq!(by_title(&parsed, "A").entry.category.expose(), "Home");
    assert_eq!(by_title(&parsed, "B").entry.category.expose(), "");
}

#[test]
fn notes_only_item_and_nameless_items_are_imported() {
    let parsed = read_items(
        r#"{"type": 2, "name": "Wifi", "notes": "guest / hunter22", "secureNote": {"type": 0}},
           {"type": 1, "name": "", "login": {"username": "kim",
            "uris": [{"uri": "https://www.shop.example/login"}]}},
           {"type": 1, "name": null, "login": {"username": "solo"}},
           {"type": 2, "notes": "just text"}"#,
    );
    let titles: Vec<&str> = parsed
        .entries
        .iter()
        .map(|e| e.entry.title.expose())
        .collect();
    assert_eq!(titles, ["Wifi", "www.shop.example", "solo", "Untitled"]);
    let wifi = &parsed.entries[0].entry;
    assert_eq!(wifi.notes.expose(), "guest / hunter22");
    assert!(wifi.username.is_empty() && wifi.password.is_empty() && wifi.fields.is_empty());
    assert_eq!(parsed.entries[3].location, "item 4");
}

#[test]
fn cards_identities_and_ssh_keys_keep_their_values_as_fields() {
    let parsed = read_items(
        r#"{"type": 3, "name": "Travel Card", "card": {"cardholderName": "Kim Lee", "brand": "Mastercard",
            "number": "5500000000000004", "expMonth": "7", "expYear": "2031", "code": "321"}},
           {"type": 4, "name": "Me", "identity": {"firstName": "Kim", "lastName": "Lee",
            "address1": "  12 Fir Lane\t", "address2": "", "ssn": "000-11-2222",
            "passportNumber": "X1234567", "licenseNumber": "D-55", "email": null}},
           {"type": 5, "name": "Deploy key", "sshKey": {"privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
            "publicKey": "ssh-ed25519 AAAAC3Nz test", "keyFingerprint": "SHA256:abcdef"}}"#,
    );
    assert_eq!(
        fields(by_title(&parsed, "Travel Card")),
        owned(&[
            ("cardholderName", "Kim Lee", false),
            ("brand", "Mastercard", false),
            ("number", "5500000000000004", true),
            ("expMonth", "7", false),
            ("expYear", "2031", false),
            ("code", "321", true),
        ])
    );
    assert_eq!(
        fields(by_title(&parsed, "Me")),
        owned(&[
            ("firstName", "Kim", false),
            ("lastName", "Lee", false),
            ("address1", "  12 Fir Lane\t", false),
            ("ssn", "000-11-2222", true),
            ("passportNumber", "X1234567", true),
            ("licenseNumber", "D-55", true),
        ])
    );
    assert_eq!(
        fields(by_title(&parsed, "Deploy key")),
        owned(&[
            (
                "privateKey",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
                true
            ),
            ("publicKey", "ssh-ed25519 AAAAC3Nz test", false),
            ("keyFingerprint", "SHA256:abcdef", false),
        ])
    );
}

#[test]
fn unknown_types_and_empty_items_are_skipped_with_a_reason_and_the_rest_continue() {
    let parsed = read_items(
        r#"{"type": 1, "name": "First", "login": {"password": "one"}},
           {"type": 9, "name": "Passkey Thing", "notes": "x"},
           {"type": 1, "name": "Hollow", "login": {"username": "", "password": "", "uris": []}},
           "not an item",
           {"name": "Typeless", "notes": "y"},
           {"type": 2, "name": "Last", "notes": "kept"}"#,
    );
    let titles: Vec<&str> = parsed
        .entries
        .iter()
        .map(|e| e.entry.title.expose())
        .collect();
    assert_eq!(titles, ["First", "Last"]);
    let skipped: Vec<(&str, &str)> = parsed
        .skipped
        .iter()
        .map(|s| (s.location.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 4);
    assert_eq!(skipped[0].0, "item 2 \"Passkey Thing\"");
    assert!(
        skipped[0].1.starts_with("its type 9 is not one it knows"),
        "{}",
        skipped[0].1
    );
    assert_eq!(skipped[1].0, "item 3 \"Hollow\"");
    assert!(skipped[1].1.contains("nothing to import"));
    assert_eq!(skipped[2].0, "item 4");
    assert!(skipped[2].1.contains("not a JSON object"));
    assert_eq!(skipped[3].0, "item 5 \"Typeless\"");
    assert!(skipped[3].1.contains("no \"type\""));
}

#[test]
fn truncated_json_is_malformed_with_its_line_and_column() {
    let (_dir, path) =
        temp_file("{\n  \"encrypted\": false,\n  \"items\": [\n    {\"type\": 1, \"name\": \"Cut");
    let error = bitwarden::read(&path, &no_key()).unwrap_err();
    assert!(matches!(error, ExchangeError::Malformed { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains("line 4 column"), "{text}");
    assert!(text.contains("truncated"), "{text}");
    assert!(!text.contains("Cut"), "{text}");
}

#[test]
fn garbled_json_is_malformed_with_its_line_and_column() {
    let (_dir, path) = temp_file("{\"items\": [\n  {\"type\": 1,, \"name\": \"x\"}\n]}");
    let text = bitwarden::read(&path, &no_key()).unwrap_err().to_string();
    assert!(text.contains("not valid JSON"), "{text}");
    assert!(text.contains("line 2 column 14"), "{text}");

    let (_dir, path) = temp_file(r#"{"folders": []}"#);
    let text = bitwarden::read(&path, &no_key()).unwrap_err().to_string();
    assert!(text.contains("no \"items\" list"), "{text}");

    let (_dir, path) = temp_file("[1, 2]");
    let text = bitwarden::read(&path, &no_key()).unwrap_err().to_string();
    assert!(text.contains("not an object"), "{text}");
}

#[test]
fn non_utf8_files_give_an_encoding_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.json");
    std::fs::write(&path, b"{\"items\": [{\"name\": \"Caf\xE9\"}]}").unwrap();
    let error = bitwarden::read(&path, &no_key()).unwrap_err();
    assert!(matches!(error, ExchangeError::Encoding { .. }), "{error}");
}

#[test]
fn account_encrypted_exports_ask_for_a_new_export() {
    let (_dir, path) = temp_file(
        r#"{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.AAAA|BBBB|CCCC",
            "folders": [], "items": [{"type": 1, "name": "2.xx|yy|zz"}]}"#,
    );
    assert!(!bitwarden::is_password_protected(&path).unwrap());
    let error = bitwarden::read(&path, &password("a")).unwrap_err();
    assert!(
        matches!(error, ExchangeError::Unsupported { .. }),
        "{error}"
    );
    let text = error.to_string();
    assert!(text.contains("with a file password"), "{text}");
    assert!(text.contains("plain .json"), "{text}");
}
