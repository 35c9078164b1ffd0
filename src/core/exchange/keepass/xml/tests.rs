//! The XML reader and the conversion behind it, on small invented
//! databases written inline.

use std::path::Path;

use super::parse;
use crate::core::exchange::keepass::convert::to_parsed;
use crate::core::exchange::{ExchangeError, Format, Parsed};

fn read(xml: &str) -> Result<Parsed, ExchangeError> {
    parse(Path::new("test.xml"), xml).map(|doc| to_parsed(doc, Format::KeePassXml))
}

/// A database whose root group holds `body`.
fn database(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<KeePassFile>\n<Meta><Generator>test</Generator>\
         </Meta>\n<Root>\n<Group><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Root</Name>\n{body}\n\
         </Group>\n</Root>\n</KeePassFile>\n"
    )
}

/// An `<Entry>` with these strings, and `extra` elements.
fn entry(strings: &[(&str, &str)], extra: &str) -> String {
    let strings: String = strings
        .iter()
        .map(|(k, v)| format!("<String><Key>{k}</Key><Value>{v}</Value></String>"))
        .collect();
    format!("<Entry>{strings}{extra}</Entry>")
}

fn malformed_detail(result: Result<Parsed, ExchangeError>) -> String {
    match result {
        Err(ExchangeError::Malformed { detail, .. }) => detail,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn an_entry_without_a_title_is_named_after_its_url() {
    let xml = database(&entry(
        &[
            ("Title", ""),
            ("UserName", "ann"),
            ("URL", "https://mail.example.org/x"),
        ],
        "",
    ));
    let parsed = read(&xml).unwrap();
    assert_eq!(parsed.entries[0].entry.title.expose(), "mail.example.org");
}

#[test]
fn an_entirely_empty_entry_is_skipped_with_its_line() {
    let xml = database(&entry(&[("Title", ""), ("Password", "")], ""));
    let parsed = read(&xml).unwrap();
    assert!(parsed.entries.is_empty());
    assert_eq!(parsed.skipped[0].location, "line 6");
    assert!(parsed.skipped[0].reason.contains("the entry is empty"));
}

#[test]
fn time_otp_strings_become_a_uri_and_are_not_kept_as_fields() {
    let xml = database(&entry(
        &[
            ("Title", "Bank"),
            ("TimeOtp-Secret-Base32", "JBSWY3DPEHPK3PXP"),
            ("TimeOtp-Algorithm", "HMAC-SHA-256"),
            ("TimeOtp-Period", "60"),
            ("Account", "12-34"),
        ],
        "",
    ));
    let parsed = read(&xml).unwrap();
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Bank?secret=JBSWY3DPEHPK3PXP&period=60&algorithm=SHA256"
    );
    let names: Vec<&str> = entry.fields.iter().map(|f| f.name.expose()).collect();
    assert_eq!(names, ["Account"]);
}

#[test]
fn keeotp_and_steam_conventions_are_read() {
    let keeotp = entry(
        &[
            ("Title", "Git"),
            (
                "otp",
                "key=JBSWY3DPEHPK3PXP&amp;size=8&amp;otpHashMode=Sha512",
            ),
        ],
        "",
    );
    let steam = entry(
        &[
            ("Title", "Steam"),
            ("TOTP Seed", "JBSWY3DPEHPK3PXP"),
            ("TOTP Settings", "30;S"),
        ],
        "",
    );
    let parsed = read(&database(&format!("{keeotp}{steam}"))).unwrap();
    let uris: Vec<&str> = parsed
        .entries
        .iter()
        .map(|e| e.entry.totp.as_ref().unwrap().expose())
        .collect();
    assert_eq!(
        uris,
        [
            "otpauth://totp/Git?secret=JBSWY3DPEHPK3PXP&digits=8&algorithm=SHA512",
            "otpauth://totp/Steam?secret=JBSWY3DPEHPK3PXP&digits=5&encoder=steam",
        ]
    );
    assert!(parsed.entries.iter().all(|e| e.entry.fields.is_empty()));
}

#[test]
fn an_undecodable_totp_secret_is_kept_hidden_with_a_warning() {
    let xml = database(&entry(
        &[
            ("Title", "Odd"),
            ("TOTP Seed", "not*base32"),
            ("TOTP Settings", "30;6"),
        ],
        "",
    ));
    let parsed = read(&xml).unwrap();
    let fields = &parsed.entries[0].entry.fields;
    assert_eq!(fields.len(), 2);
    assert!(fields.iter().all(|f| f.hidden));
    assert!(parsed.entries[0].entry.totp.is_none());
    assert_eq!(parsed.warnings.len(), 1);
    assert!(!parsed.warnings[0].contains("not*base32"));
}

#[test]
fn history_versions_become_older_passwords_not_entries() {
    let version = |pw: &str, at: &str| {
        entry(
            &[("Title", "Mail"), ("Password", pw)],
            &format!("<Times><LastModificationTime>{at}</LastModificationTime></Times>"),
        )
    };
    let history = format!(
        "<History>{}{}{}{}</History>",
        version("first", "2020-01-01T00:00:00Z"),
        version("first", "2020-02-01T00:00:00Z"),
        version("second", "2020-03-01T00:00:00Z"),
        version("now", "2020-04-01T00:00:00Z"),
    );
    let xml = database(&entry(&[("Title", "Mail"), ("Password", "now")], &history));
    let parsed = read(&xml).unwrap();
    assert_eq!(parsed.entries.len(), 1);
    let past: Vec<(&str, i64)> = parsed.entries[0]
        .history
        .iter()
        .map(|p| (p.password.expose(), p.changed_at))
        .collect();
    assert_eq!(past, [("first", 1_580_515_200), ("second", 1_583_020_800)]);
}

#[test]
fn times_tags_favorites_urls_and_protection_are_read() {
    let extra = "<Tags>work; Favorite ,travel</Tags><Times>\
        <CreationTime>2020-01-01T00:00:00Z</CreationTime>\
        <LastModificationTime>ANid1Q4AAAA=</LastModificationTime>\
        <ExpiryTime>2030-01-01T00:00:00Z</ExpiryTime><Expires>True</Expires></Times>\
        <String><Key>PIN</Key><Value ProtectInMemory=\"True\">1234</Value></String>\
        <Binary><Key>scan.pdf</Key><Value Ref=\"0\"/></Binary>";
    let xml = database(&entry(
        &[
            ("Title", "Card &amp; &#x2603;"),
            ("URL", "https://a.example"),
            ("KP2A_URL_2", "https://c.example"),
            ("KP2A_URL", "https://b.example"),
        ],
        extra,
    ));
    let parsed = read(&xml).unwrap();
    let entry = &parsed.entries[0].entry;
    assert_eq!(entry.title.expose(), "Card & \u{2603}");
    let urls: Vec<&str> = entry.urls.iter().map(|u| u.expose()).collect();
    assert_eq!(
        urls,
        [
            "https://a.example",
            "https://b.example",
            "https://c.example"
        ]
    );
    let tags: Vec<&str> = entry.tags.iter().map(|t| t.expose()).collect();
    assert_eq!(tags, ["work", "travel"]);
    assert!(entry.favorite);
    assert_eq!(entry.created_at, 1_577_836_800);
    // KDBX 4 style: base64 of seconds since 0001-01-01.
    assert_eq!(entry.updated_at, 1_577_836_800);
    assert_eq!(entry.expires_at, Some(1_893_456_000));
    assert!(entry.fields[0].hidden);
    assert_eq!(
        parsed.warnings,
        [
            "line 6: 1 attachment was not imported (this program does not store attachments); \
          save them from KeePass if you need them"
        ]
    );
}

#[test]
fn groups_become_categories_and_the_named_bin_the_trash() {
    let body = format!(
        "{}<Group><Name>Work</Name><Group><Name>Servers</Name>{}</Group></Group>\
         <Group><Name>Recycle Bin</Name>{}</Group>",
        entry(&[("Title", "In root")], ""),
        entry(&[("Title", "Deep")], ""),
        entry(
            &[("Title", "Gone")],
            "<Times><LocationChanged>2021-05-05T10:00:00Z</LocationChanged></Times>"
        ),
    );
    let parsed = read(&database(&body)).unwrap();
    assert_eq!(parsed.categories, ["Work", "Work/Servers"]);
    let summary: Vec<(&str, &str, Option<i64>)> = parsed
        .entries
        .iter()
        .map(|e| {
            (
                e.entry.title.expose(),
                e.entry.category.expose(),
                e.entry.deleted_at,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("In root", "", None),
            ("Deep", "Work/Servers", None),
            ("Gone", "", Some(1_620_208_800)),
        ]
    );
}

#[test]
fn deleted_objects_are_listed_and_broken_records_ignored() {
    let xml = database("").replace(
        "</Root>",
        "<DeletedObjects><DeletedObject><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID>\
         <DeletionTime>2020-01-01T00:00:00Z</DeletionTime></DeletedObject>\
         <DeletedObject><UUID/></DeletedObject></DeletedObjects></Root>",
    );
    let parsed = read(&xml).unwrap();
    assert_eq!(parsed.deleted, [(uuid::Uuid::from_u128(2), 1_577_836_800)]);
    assert_eq!(parsed.warnings.len(), 1);
}

#[test]
fn case_distinct_keys_stay_separate_fields() {
    let xml = database(&entry(&[("Title", "T"), ("Pin", "1"), ("pin", "2")], ""));
    let parsed = read(&xml).unwrap();
    let names: Vec<&str> = parsed.entries[0]
        .entry
        .fields
        .iter()
        .map(|f| f.name.expose())
        .collect();
    assert_eq!(names, ["Pin", "pin"]);
}

#[test]
fn bad_xml_is_reported_with_line_and_column() {
    let xml = database("<Entry><String><Key>Title</Key><Value>x</Valu></String></Entry>");
    let detail = malformed_detail(read(&xml));
    assert!(detail.starts_with("line 6, column "), "{detail}");
    assert!(!detail.contains("x</"), "{detail}");
}

#[test]
fn a_file_cut_short_names_the_unclosed_element() {
    let xml = database(&entry(&[("Title", "T")], ""));
    let cut = &xml[..xml.find("</Group>").unwrap()];
    let detail = malformed_detail(read(cut));
    assert!(detail.contains("ends inside <Group>"), "{detail}");
}

#[test]
fn root_must_hold_exactly_one_group() {
    let none = "<KeePassFile><Root></Root></KeePassFile>";
    assert!(malformed_detail(read(none)).contains("<Root> holds no group"));
    let two = database("").replace("</Root>", "<Group><Name>Second</Name></Group></Root>");
    assert!(malformed_detail(read(&two)).contains("a second group"));
    let two_roots = database("").replace("</KeePassFile>", "<Root/></KeePassFile>");
    assert!(malformed_detail(read(&two_roots)).contains("second <Root>"));
    let not_keepass = "<?xml version=\"1.0\"?><html><body/></html>";
    assert!(malformed_detail(read(not_keepass)).contains("<html>"));
}

#[test]
fn hostile_group_nesting_is_refused_not_overflowed() {
    let depth = 10_000;
    let body = format!(
        "{}{}",
        "<Group><Name>g</Name>".repeat(depth),
        "</Group>".repeat(depth)
    );
    assert!(malformed_detail(read(&database(&body))).contains("nested more than"));
}

#[test]
fn header_hash_is_found_in_meta_only() {
    let xml = "<KeePassFile><Meta><Generator>g</Generator><HeaderHash>\
               q83vEjRWeJA=</HeaderHash></Meta><Root/></KeePassFile>";
    assert_eq!(super::header_hash(xml).as_deref(), Some("q83vEjRWeJA="));
    assert_eq!(
        super::header_hash("<KeePassFile><Root/></KeePassFile>"),
        None
    );
}
