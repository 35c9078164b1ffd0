//! The real files other tools' tests use, from ../shared/fixtures when that
//! folder is present.

use spm::core::exchange::{ExchangeError, Format, bitwarden};

use super::support::*;

#[test]
fn keepassxc_plain_export_reads_every_item_exactly() {
    let Some(path) = fixture("keepassxc/bitwarden_export.json") else {
        return;
    };
    assert!(bitwarden::sniff(&std::fs::read(&path).unwrap()));
    assert!(!bitwarden::is_password_protected(&path).unwrap());
    let parsed = bitwarden::read(&path, &no_key()).unwrap();
    assert_eq!(parsed.format, Format::BitwardenJson);
    assert_eq!(parsed.entries.len(), 4);
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.categories, ["My Folder", "Second Folder"]);

    let login = by_title(&parsed, "Login Name");
    let entry = &login.entry;
    assert_eq!(entry.category.expose(), "My Folder");
    assert_eq!(entry.username.expose(), "myusername@gmail.com");
    assert_eq!(entry.password.expose(), "mypassword");
    let urls: Vec<&str> = entry.urls.iter().map(|u| u.expose()).collect();
    assert_eq!(
        urls,
        [
            "https://mail.google.com",
            "https://google.com",
            "https://gmail.com"
        ]
    );
    assert_eq!(
        entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Google:myusername%40gmail.com?secret=DFDFDEF%3D&period=30&digits=6&issuer=Google"
    );
    assert_eq!(
        entry.notes.expose(),
        "1st line of note text\n2nd Line of note text"
    );
    assert!(entry.favorite);
    assert_eq!(
        entry.uuid.to_string(),
        "dddddddd-dddd-dddd-dddd-dddddddddddd"
    );
    assert_eq!(
        fields(login),
        owned(&[
            ("Text Field", "text-field-value", false),
            ("Hidden Field", "hidden-field-value", true),
            ("Boolean Field", "true", false),
        ])
    );

    let card = by_title(&parsed, "Card Name");
    assert_eq!(card.entry.category.expose(), "Second Folder");
    assert_eq!(
        fields(card),
        owned(&[
            ("cardholderName", "Jane Doe", false),
            ("brand", "Visa", false),
            ("number", "1234567891011121", true),
            ("expMonth", "10", false),
            ("expYear", "2021", false),
            ("code", "123", true),
            ("Text Field", "text-field-value", false),
            ("Hidden Field", "hidden-field-value", true),
            ("Boolean Field", "false", false),
        ])
    );

    let identity = by_title(&parsed, "My Identity");
    let identity_fields = fields(identity);
    let get = |name: &str| identity_fields.iter().find(|f| f.0 == name).cloned();
    assert_eq!(
        get("address1"),
        Some((
            "address1".into(),
            " 1 North Calle Cesar Chavez ".into(),
            false
        ))
    );
    assert_eq!(
        get("country"),
        Some(("country".into(), "United States ".into(), false))
    );
    assert_eq!(get("city").unwrap().1, "Santa Barbara");
    assert_eq!(get("ssn"), Some(("ssn".into(), "123-12-1234".into(), true)));
    assert!(get("passportNumber").unwrap().2);
    assert_eq!(get("address2"), None, "empty identity values are left out");
    assert_eq!(identity_fields.len(), 16 + 3);

    let note = by_title(&parsed, "My Secure Note");
    assert_eq!(
        note.entry.notes.expose(),
        "1st line of secure note\n2nd line of secure note\n3rd line of secure note"
    );
    assert!(note.entry.uuid.is_nil(), "its id is not a valid UUID");
    assert!(note.entry.username.is_empty() && note.entry.password.is_empty());
    assert_eq!(note.location, "item 1 \"My Secure Note\"");
}

#[test]
fn keepassxc_protected_exports_decrypt_with_their_password() {
    // Both files (PBKDF2 and Argon2id) hold the same single login, which is
    // not the plain export's content.
    let mut summaries = Vec::new();
    for name in [
        "keepassxc/bitwarden_encrypted_export.json",
        "keepassxc/bitwarden_encrypted_argon2id_export.json",
    ] {
        let Some(path) = fixture(name) else {
            return;
        };
        assert!(bitwarden::sniff(&std::fs::read(&path).unwrap()), "{name}");
        assert!(bitwarden::is_password_protected(&path).unwrap(), "{name}");
        let parsed = bitwarden::read(&path, &password("a")).unwrap();
        assert!(parsed.skipped.is_empty(), "{name}");
        assert_eq!(parsed.entries.len(), 1, "{name}");
        let entry = &parsed.entries[0].entry;
        // An empty folder is still offered as a category.
        assert_eq!(parsed.categories, ["Credit Cards"], "{name}");
        assert!(entry.category.is_empty());
        assert_eq!(entry.title.expose(), "KeePassXC", "{name}");
        assert_eq!(entry.username.expose(), "keepassxc");
        assert_eq!(entry.password.expose(), "TYsbQUyeD3qrav");
        let urls: Vec<&str> = entry.urls.iter().map(|u| u.expose()).collect();
        assert_eq!(
            urls,
            [
                "https://keepassxc.org",
                "https://github.com/keepassxreboot/keepassxc"
            ]
        );
        assert_eq!(entry.notes.expose(), "KeePassXC password manager");
        assert_eq!(
            entry.totp.as_ref().unwrap().expose(),
            "otpauth://totp/KeePassXC?secret=FSFSFSFSEFEFEF"
        );
        assert!(entry.favorite);
        assert_eq!(
            entry.uuid.to_string(),
            "4952bb03-05ac-433f-bade-af7e017b0cc3"
        );
        summaries.push(summary(&parsed));

        let wrong = bitwarden::read(&path, &password("b")).unwrap_err();
        assert!(
            matches!(wrong, ExchangeError::WrongKey { .. }),
            "{name}: {wrong}"
        );
        let none = bitwarden::read(&path, &no_key()).unwrap_err();
        assert!(
            matches!(none, ExchangeError::NeedsKey { .. }),
            "{name}: {none}"
        );
    }
    assert_eq!(summaries[0], summaries[1]);
}

#[test]
fn jslib_empty_export_gives_no_entries_and_no_error() {
    let Some(path) = fixture("bitwarden-jslib/bitwarden-empty.json") else {
        return;
    };
    assert!(bitwarden::sniff(&std::fs::read(&path).unwrap()));
    assert!(!bitwarden::is_password_protected(&path).unwrap());
    let parsed = bitwarden::read(&path, &no_key()).unwrap();
    assert!(parsed.entries.is_empty());
    assert!(parsed.skipped.is_empty());
    assert!(parsed.categories.is_empty());
}

#[test]
fn jslib_protected_export_is_detected_and_fails_cleanly() {
    let Some(path) = fixture("bitwarden-jslib/bitwarden-passwordprotected.json") else {
        return;
    };
    assert!(bitwarden::sniff(&std::fs::read(&path).unwrap()));
    assert!(bitwarden::is_password_protected(&path).unwrap());
    let none = bitwarden::read(&path, &no_key()).unwrap_err();
    assert!(matches!(none, ExchangeError::NeedsKey { .. }), "{none}");
    // It comes from a test with mocked crypto, so no password opens it.
    for guess in ["a", "wrong password"] {
        let error = bitwarden::read(&path, &password(guess)).unwrap_err();
        assert!(
            matches!(
                error,
                ExchangeError::WrongKey { .. } | ExchangeError::Malformed { .. }
            ),
            "{error}"
        );
    }
}
