//! Real exports from other tools (see `../shared/fixtures/MANIFEST.md`),
//! with the values their own tests expect. Skipped without the folder.

use spm::core::entries::Entry;
use spm::core::exchange::csv;
use spm::core::exchange::{Format, Parsed};

use super::{fields, fixture, login};

/// Reads a fixture as the dialect `sniff` finds, which must be `want`.
fn read_fixture(relative: &str, want: Format) -> Option<Parsed> {
    let path = fixture(relative)?;
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(csv::sniff(&bytes), Some(want), "{relative}");
    Some(csv::read(&path, want, None, &mut |_| {}).unwrap())
}

fn field<'e>(entry: &'e Entry, name: &str) -> Option<&'e str> {
    entry
        .fields
        .iter()
        .find(|f| f.name.expose() == name)
        .map(|f| f.value.expose())
}

#[test]
fn firefox_simple_password_data() {
    let Some(parsed) = read_fixture(
        "bitwarden-jslib/firefox-simple-password-data.csv",
        Format::FirefoxCsv,
    ) else {
        return;
    };
    assert_eq!(parsed.entries.len(), 1);
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        login(entry),
        ("example.com", "foo", "bar", vec!["https://example.com"])
    );
    assert_eq!(entry.created_at, 1_612_345_678);
}

#[test]
fn firefox_accounts_row_is_skipped_and_its_damaged_cell_survived() {
    let Some(parsed) = read_fixture(
        "bitwarden-jslib/firefox-accounts-data.csv",
        Format::FirefoxCsv,
    ) else {
        return;
    };
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].location, "line 2");
    assert!(
        parsed.skipped[0]
            .reason
            .contains("chrome://FirefoxAccounts")
    );
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.entries[0].location, "line 3");
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("example.com", "foo", "bar", vec!["https://example.com"])
    );
}

#[test]
fn safari_simple_password_data() {
    let Some(parsed) = read_fixture(
        "bitwarden-jslib/safari-simple-password-data.csv",
        Format::SafariCsv,
    ) else {
        return;
    };
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        login(entry),
        (
            "example.com (example_user)",
            "example_user",
            "example_p@ssword",
            vec!["https://example.com"]
        )
    );
    assert_eq!(entry.notes.expose(), "Example note\nMore notes on new line");
    assert_eq!(
        entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/test?secret=examplesecret"
    );
}

#[test]
fn safari_old_simple_password_data() {
    let Some(parsed) = read_fixture(
        "bitwarden-jslib/safari-old-simple-password-data.csv",
        Format::SafariCsv,
    ) else {
        return;
    };
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        login(entry),
        (
            "example.com (example_user)",
            "example_user",
            "example_p@ssword",
            vec!["https://example.com"]
        )
    );
    assert_eq!(entry.notes.expose(), "");
}

#[test]
fn chrome_note_data_with_crlf() {
    let Some(parsed) = read_fixture("bitwarden-clients/chrome-note-data.csv", Format::ChromeCsv)
    else {
        return;
    };
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        entry.notes.expose(),
        "First line, with a comma\nSecond line with \"quotes\""
    );
    assert_eq!(login(entry).1, "username@example.com");
    assert_eq!(login(entry).3, ["https://www.example.com/"]);
}

/// The identity, card and 4-item files from both 1Password apps.
#[test]
fn onepassword_multiple_items_give_four_entries_on_both_apps() {
    for app in ["mac", "windows"] {
        let name = format!("bitwarden-jslib/1password-multipleitems.{app}.csv");
        let Some(parsed) = read_fixture(&name, Format::OnePasswordCsv) else {
            return;
        };
        let titles: Vec<&str> = parsed
            .entries
            .iter()
            .map(|e| e.entry.title.expose())
            .collect();
        assert_eq!(parsed.entries.len(), 4, "{app}: {titles:?}");
        assert_eq!(titles[1], "Identity Item", "{app}");
        assert_eq!(titles[2], "test card", "{app}");
        assert!(parsed.skipped.is_empty(), "{app}: {:?}", parsed.skipped);
        let account = parsed
            .entries
            .iter()
            .find(|e| e.entry.title.expose() == "1Password Account")
            .unwrap();
        assert_eq!(
            login(&account.entry),
            (
                "1Password Account",
                "email@bitwarden.com",
                "the account's password",
                vec!["https://my.1password.com"]
            ),
            "{app}"
        );
    }
}

#[test]
fn onepassword_mac_identity() {
    let Some(parsed) = read_fixture(
        "bitwarden-jslib/1password-identity.mac.csv",
        Format::OnePasswordCsv,
    ) else {
        return;
    };
    assert_eq!(parsed.entries.len(), 1);
    let e = &parsed.entries[0].entry;
    assert_eq!(e.username.expose(), "userNam3");
    assert_eq!(field(e, "first name"), Some("first name"));
    assert_eq!(field(e, "initial"), Some("mi"));
    assert_eq!(field(e, "last name"), Some("last name"));
    assert_eq!(field(e, "company"), Some("bitwarden"));
    assert_eq!(field(e, "default phone"), Some("8005555555"));
    assert_eq!(field(e, "email"), Some("email@bitwarden.com"));
    assert!(
        e.notes
            .expose()
            .contains("address\ncity state zip\nUnited States")
    );
    let tags: Vec<&str> = e.tags.iter().map(|t| t.expose()).collect();
    assert_eq!(tags, ["Starter Kit"]);
    assert_eq!(e.created_at, 1_606_923_754);
}

#[test]
fn onepassword_windows_identity() {
    let Some(parsed) = read_fixture(
        "bitwarden-jslib/1password-identity.windows.csv",
        Format::OnePasswordCsv,
    ) else {
        return;
    };
    let e = &parsed.entries[0].entry;
    assert_eq!(e.username.expose(), "userNam3");
    assert_eq!(field(e, "FIRST NAME"), Some("first name"));
    assert_eq!(field(e, "INITIAL"), Some("mi"));
    assert_eq!(field(e, "LAST NAME"), Some("last name"));
    assert_eq!(field(e, "COMPANY"), Some("bitwarden"));
    assert_eq!(field(e, "DEFAULT PHONE"), Some("8005555555"));
    assert_eq!(field(e, "EMAIL"), Some("email@bitwarden.com"));
    assert_eq!(
        field(e, "Identification"),
        None,
        "section headings are not fields"
    );
}

#[test]
fn onepassword_credit_cards_on_both_apps() {
    let cases = [
        (
            "mac",
            [
                "cardholder name",
                "number",
                "verification number",
                "expiry date",
            ],
            "01/2030",
        ),
        (
            "windows",
            [
                "CARDHOLDER NAME",
                "NUMBER",
                "VERIFICATION NUMBER",
                "EXPIRY DATE",
            ],
            // The Windows app printed the expiry as a date; it is kept as written.
            "1/3/1970 12:23 AM",
        ),
    ];
    for (app, names, expiry) in cases {
        let name = format!("bitwarden-jslib/1password-creditcard.{app}.csv");
        let Some(parsed) = read_fixture(&name, Format::OnePasswordCsv) else {
            return;
        };
        let e = &parsed.entries[0].entry;
        assert_eq!(e.title.expose(), "test card");
        assert_eq!(field(e, names[0]), Some("test"), "{app}");
        assert_eq!(field(e, names[1]), Some("4111111111111111"), "{app}");
        assert_eq!(field(e, names[2]), Some("111"), "{app}");
        assert_eq!(field(e, names[3]), Some(expiry), "{app}");
        let code = fields(e).into_iter().find(|f| f.0 == names[2]).unwrap();
        assert!(code.2, "{app}: the security code is hidden");
    }
}
