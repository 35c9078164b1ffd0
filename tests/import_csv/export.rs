//! The CSV export in Bitwarden's columns, and reading it back.

use spm::core::entries::{CustomField, Entry};
use spm::core::exchange::csv;
use spm::core::exchange::{ExportData, Format};

use super::{fields, login, read};

fn field(name: &str, value: &str, hidden: bool) -> CustomField {
    CustomField {
        name: name.into(),
        value: value.into(),
        hidden,
    }
}

fn sample() -> Vec<Entry> {
    vec![
        Entry {
            title: "Mail, \"work\"".into(),
            username: "jo@example.com".into(),
            password: " pa,ss\"word\\ ".into(),
            urls: vec![
                "https://mail.example".into(),
                "https://webmail.example/x?a=1".into(),
            ],
            notes: "line one\nline \"two\", with comma".into(),
            category: "Work/Mail".into(),
            favorite: true,
            totp: Some("otpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP".into()),
            fields: vec![
                field("PIN", "1234", true),
                field("Recovery", "q: first pet", false),
                field("Address", "1 Road\nTown", false),
            ],
            ..Entry::default()
        },
        Entry {
            title: "Wifi".into(),
            notes: "SSID home".into(),
            ..Entry::default()
        },
        Entry {
            title: "Bare".into(),
            password: "only-a-password".into(),
            ..Entry::default()
        },
    ]
}

fn export(entries: Vec<Entry>) -> Vec<u8> {
    let data = ExportData {
        entries: entries.into_iter().map(|e| (e, Vec::new())).collect(),
        categories: Vec::new(),
    };
    let mut out = Vec::new();
    csv::write(&mut out, &data).unwrap();
    out
}

#[test]
fn the_export_uses_bitwardens_header_and_types() {
    let out = String::from_utf8(export(sample())).unwrap();
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,\
             login_password,login_totp"
        )
    );
    assert!(out.contains("\n,,note,Wifi,SSID home,,0,,,,\n"), "{out}");
    assert!(
        out.contains("\n,,login,Bare,,,0,,,only-a-password,\n"),
        "{out}"
    );
    assert!(out.contains("\"https://mail.example,https://webmail.example/x?a=1\""));
}

#[test]
fn reading_the_export_back_as_bitwarden_csv_gives_the_same_entries() {
    let original = sample();
    let out = export(original.clone());
    assert_eq!(csv::sniff(&out), Some(Format::BitwardenCsv));
    let parsed = read(&out, Format::BitwardenCsv);
    assert!(parsed.skipped.is_empty() && parsed.warnings.is_empty());
    assert_eq!(parsed.entries.len(), original.len());
    for (want, got) in original.iter().zip(&parsed.entries) {
        let got = &got.entry;
        assert_eq!(login(got), login(want));
        assert_eq!(got.notes.expose(), want.notes.expose());
        assert_eq!(got.category.expose(), want.category.expose());
        assert_eq!(got.favorite, want.favorite);
        assert_eq!(fields(got), fields(want));
        assert_eq!(
            got.totp.as_ref().map(|t| t.expose()),
            want.totp.as_ref().map(|t| t.expose())
        );
    }
}

#[test]
fn the_export_writes_every_entry_it_is_given_trashed_or_not() {
    let trashed = Entry {
        title: "Old".into(),
        password: "x".into(),
        deleted_at: Some(1),
        ..Entry::default()
    };
    let out = String::from_utf8(export(vec![trashed])).unwrap();
    assert_eq!(out.lines().count(), 2);
    assert!(out.contains(",Old,"));
}
