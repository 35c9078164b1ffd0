//! One regression test per quirk of CSV files met in the wild.

use std::time::Instant;

use spm::core::exchange::csv;
use spm::core::exchange::{ExchangeError, Format};

use super::{locations, login, read, temp_csv, try_read};

const CHROME: &[u8] = b"name,url,username,password,note\n";

fn chrome(rows: &str) -> Vec<u8> {
    [CHROME, rows.as_bytes()].concat()
}

#[test]
fn a_utf8_byte_order_mark_is_not_part_of_the_first_column_name() {
    let data = [
        b"\xEF\xBB\xBF".as_slice(),
        &chrome("Mail,https://mail.example,jo,pw,\n"),
    ]
    .concat();
    assert_eq!(csv::sniff(&data), Some(Format::ChromeCsv));
    let parsed = read(&data, Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("Mail", "jo", "pw", vec!["https://mail.example"])
    );
    let file = temp_csv(&data);
    assert_eq!(csv::headers(&file.path).unwrap()[0], "name");
}

#[test]
fn crlf_line_ends_are_read_and_a_crlf_inside_a_quoted_cell_becomes_lf() {
    let data = b"name,url,username,password,note\r\nA,,u,p,\"one\r\ntwo\"\r\nB,,u,p,\r\n";
    let parsed = read(data, Format::ChromeCsv);
    assert_eq!(parsed.entries[0].entry.notes.expose(), "one\ntwo");
    assert_eq!(parsed.entries[1].entry.password.expose(), "p");
    assert_eq!(locations(&parsed), ["line 2", "line 4"]);
}

#[test]
fn quoted_cells_may_span_lines_and_later_rows_keep_their_line_numbers() {
    let data = chrome("A,,u,p,\"line 1\nline 2\nline 3\"\nB,,u,p,\n");
    let parsed = read(&data, Format::ChromeCsv);
    assert_eq!(
        parsed.entries[0].entry.notes.expose(),
        "line 1\nline 2\nline 3"
    );
    assert_eq!(locations(&parsed), ["line 2", "line 5"]);
}

#[test]
fn doubled_quotes_are_unescaped_exactly_once() {
    let data = chrome("A,,u,\"a\"\"\"\"b\",\"say \"\"hi\"\"\"\n");
    let parsed = read(&data, Format::ChromeCsv);
    assert_eq!(parsed.entries[0].entry.password.expose(), "a\"\"b");
    assert_eq!(parsed.entries[0].entry.notes.expose(), "say \"hi\"");
}

#[test]
fn backslashes_are_kept_literally() {
    let data = chrome("A,,u,C:\\dir\\n,\"ends in \\\"\n");
    let parsed = read(&data, Format::ChromeCsv);
    assert_eq!(parsed.entries[0].entry.password.expose(), "C:\\dir\\n");
    assert_eq!(parsed.entries[0].entry.notes.expose(), "ends in \\");
}

#[test]
fn semicolon_and_tab_delimiters_are_detected_from_the_header_line() {
    let semi = b"name;url;username;password;note\nA;https://a.example;u;p,w;\n";
    assert_eq!(csv::sniff(semi), Some(Format::ChromeCsv));
    let parsed = read(semi, Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("A", "u", "p,w", vec!["https://a.example"])
    );

    let tab = b"name\turl\tusername\tpassword\nB\thttps://b.example\tu;v\tp w\n";
    assert_eq!(csv::sniff(tab), Some(Format::ChromeCsv));
    let parsed = read(tab, Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("B", "u;v", "p w", vec!["https://b.example"])
    );
}

#[test]
fn rows_shorter_than_the_header_read_missing_cells_as_empty() {
    let parsed = read(&chrome("A,https://a.example,jo\n"), Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("A", "jo", "", vec!["https://a.example"])
    );
    assert!(parsed.warnings.is_empty());
}

#[test]
fn rows_longer_than_the_header_lose_extra_cells_with_one_warning() {
    let parsed = read(&chrome("A,,u,p,n,x1\nB,,u,p,n,x2,x3\n"), Format::ChromeCsv);
    assert_eq!(parsed.entries.len(), 2);
    assert_eq!(parsed.entries[1].entry.notes.expose(), "n");
    assert_eq!(
        parsed.warnings,
        [
            "line 2 has 6 cells but the header row has 5; extra cells were ignored \
          (here and in any later rows like it)"
        ]
    );
}

#[test]
fn blank_lines_are_ignored_and_do_not_shift_line_numbers() {
    let parsed = read(&chrome("\nA,,u,p,\n\n\r\nB,,u,p,\n\n"), Format::ChromeCsv);
    assert_eq!(locations(&parsed), ["line 3", "line 6"]);
    assert!(parsed.skipped.is_empty());
}

#[test]
fn empty_passwords_and_titles_are_kept_and_the_title_comes_from_the_host() {
    let parsed = read(
        &chrome(",https://login.example.org/x,jo,,\n"),
        Format::ChromeCsv,
    );
    assert_eq!(
        login(&parsed.entries[0].entry),
        (
            "login.example.org",
            "jo",
            "",
            vec!["https://login.example.org/x"]
        )
    );
}

#[test]
fn a_password_of_over_1000_characters_is_kept_byte_for_byte() {
    let password: String = (0..1500)
        .map(|i| ['a', '"', ',', '\\', 'é', ' ', '€', ';'][i % 8])
        .collect();
    let quoted = password.replace('"', "\"\"");
    let parsed = read(&chrome(&format!("A,,u,\"{quoted}\",\n")), Format::ChromeCsv);
    assert_eq!(parsed.entries[0].entry.password.expose(), password);
}

#[test]
fn a_file_that_is_not_utf8_is_read_as_windows_1252_with_one_warning() {
    let data = b"name,url,username,password,note\ncaf\xe9,,jos\xe9,p\xe4ss,\nB,,u,\x80,\n";
    let parsed = read(data, Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("café", "josé", "päss", vec![])
    );
    assert_eq!(parsed.entries[1].entry.password.expose(), "€");
    assert_eq!(parsed.warnings.len(), 1);
    assert!(
        parsed.warnings[0].contains("Windows-1252"),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn utf16_files_are_refused_with_a_clear_encoding_error() {
    let text = "name,url,username,password\nA,,u,p\n";
    let mut with_bom = vec![0xFF, 0xFE];
    with_bom.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let without_bom: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for data in [with_bom, without_bom] {
        let error = try_read(&data, Format::ChromeCsv).unwrap_err();
        assert!(matches!(error, ExchangeError::Encoding { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("UTF-16"), "{message}");
        assert!(message.contains("save it as UTF-8"), "{message}");
        assert_eq!(csv::sniff(&data), None);
    }
}

#[test]
fn a_damaged_row_is_skipped_with_its_line_and_the_rest_continues() {
    let parsed = read(
        &chrome("A,,u,p,\nB,,u,\"pa\"ss,\nC,,u,p,\n"),
        Format::ChromeCsv,
    );
    let titles: Vec<&str> = parsed
        .entries
        .iter()
        .map(|e| e.entry.title.expose())
        .collect();
    assert_eq!(titles, ["A", "C"]);
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].location, "line 3");
    assert!(
        parsed.skipped[0]
            .reason
            .contains("quoted cell is followed by more text")
    );
    assert!(
        !parsed.skipped[0].reason.contains("pa"),
        "no cell text in reasons"
    );
}

#[test]
fn a_quote_never_closed_is_reported_with_the_lines_it_swallowed() {
    let parsed = read(
        &chrome("A,,u,p,\nB,,u,\"open,\nC,,u,p,\n"),
        Format::ChromeCsv,
    );
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.skipped[0].location, "line 3");
    assert!(
        parsed.skipped[0].reason.contains("never closed"),
        "{:?}",
        parsed.skipped
    );
    assert!(
        parsed.skipped[0].reason.contains("(line 4)"),
        "{:?}",
        parsed.skipped
    );
}

#[test]
fn a_row_larger_than_an_entry_may_be_is_skipped_and_the_rest_continues() {
    let huge = "x".repeat(1024 * 1024 + 1);
    let parsed = read(
        &chrome(&format!("A,,u,{huge},\nB,,u,p,\n")),
        Format::ChromeCsv,
    );
    assert_eq!(locations(&parsed), ["line 3"]);
    assert_eq!(parsed.skipped[0].location, "line 2");
    assert!(
        parsed.skipped[0].reason.contains("more than the 1 MiB"),
        "{:?}",
        parsed.skipped
    );
}

#[test]
fn a_row_with_nothing_in_it_is_skipped_not_imported_empty() {
    let parsed = read(&chrome(",,,,\nA,,u,p,\n"), Format::ChromeCsv);
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.skipped[0].location, "line 2");
    assert_eq!(
        parsed.skipped[0].reason,
        "the row holds no title, URL, username, password or notes"
    );
}

#[test]
fn a_header_only_file_gives_no_entries_and_no_error() {
    for data in [CHROME, b"name,url,username,password,note".as_slice()] {
        let parsed = read(data, Format::ChromeCsv);
        assert!(parsed.entries.is_empty() && parsed.skipped.is_empty());
        assert!(parsed.warnings.is_empty());
    }
}

#[test]
fn an_empty_file_is_an_error_that_says_so() {
    let error = try_read(b"", Format::ChromeCsv).unwrap_err();
    assert!(error.to_string().contains("no header row"), "{error}");
}

#[test]
fn entries_have_a_nil_uuid_and_no_times_when_the_file_has_none() {
    let parsed = read(&chrome("A,,u,p,\n"), Format::ChromeCsv);
    let entry = &parsed.entries[0].entry;
    assert!(entry.uuid.is_nil());
    assert_eq!((entry.created_at, entry.updated_at), (0, 0));
    assert!(parsed.entries[0].history.is_empty());
}

#[test]
fn nothing_read_reaches_debug_output() {
    let parsed = read(
        &chrome("Secret Bank,https://bank.example,hidden-user,hunter2-pw,private note\n"),
        Format::ChromeCsv,
    );
    let printed = format!("{parsed:?}");
    for secret in [
        "Secret Bank",
        "bank.example",
        "hidden-user",
        "hunter2-pw",
        "private note",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked");
    }
}

/// 100,000 rows: read in well under a second in release builds, with
/// progress reported along the way.
#[test]
fn a_hundred_thousand_rows_stream_with_progress() {
    let mut data = CHROME.to_vec();
    for i in 0..100_000 {
        data.extend_from_slice(
            format!("Site {i},https://s{i}.example/login,user{i},\"p,{i}\"\"x\",note {i}\n")
                .as_bytes(),
        );
    }
    let file = temp_csv(&data);
    let mut reports = Vec::new();
    let started = Instant::now();
    let parsed = csv::read(&file.path, Format::ChromeCsv, None, &mut |n| {
        reports.push(n)
    })
    .unwrap();
    let elapsed = started.elapsed();

    assert_eq!(parsed.entries.len(), 100_000);
    assert_eq!(parsed.entries[99_999].location, "line 100001");
    assert_eq!(parsed.entries[99_999].entry.password.expose(), "p,99999\"x");
    assert!(reports.len() >= 20, "{} progress reports", reports.len());
    assert!(reports.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(reports.last().copied(), Some(data.len() as u64));
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_millis() < 1000, "took {elapsed:?}");
    }
    println!("100,000 rows read in {elapsed:?}");
}

#[test]
fn multi_byte_text_where_a_prefix_is_checked_does_not_panic() {
    // Byte 8, 10 and 24 of these cells fall inside a two-byte character.
    let data = "url,username,password,httpRealm,formActionOrigin,guid,timeCreated,\
                timeLastUsed,timePasswordChanged\n\
                chrome://FirefoxAccountéé,u,p,,,,,,\n";
    let parsed = read(data.as_bytes(), Format::FirefoxCsv);
    assert_eq!(parsed.entries.len(), 1);

    let data = "Title,URL,Username,Password,Notes,OTPAuth\nA,,u,p,,aaaaaaaaaé\nB,,u,p,,aaaaaaaé\n";
    let parsed = read(data.as_bytes(), Format::SafariCsv);
    assert_eq!(parsed.entries.len(), 2);
    assert_eq!(parsed.warnings.len(), 2);

    let data = "UUID,TITLE,SCOPE,SECTIOéé 1: X\nid,T,Default,v\n";
    let parsed = read(data.as_bytes(), Format::OnePasswordCsv);
    assert_eq!(parsed.entries.len(), 1);
}

/// Random short files made of the bytes CSV parsing turns on, read as every
/// dialect: each read returns entries, skips or an error, never a panic.
#[test]
fn random_quotes_delimiters_and_line_ends_never_panic() {
    const ALPHABET: &[u8] = b"\",;\t\r\n\\a:/@()1 \xC3\xA9\xFF";
    const HEADERS: &[&[u8]] = &[
        b"name,url,username,password,note\n",
        b"\"Title\",\"Type\",\"Scope\",\"Created Date\",\"Notes\",\"PIN(pin)\"\n",
        b"folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n",
        b"",
    ];
    let formats = [
        Format::ChromeCsv,
        Format::FirefoxCsv,
        Format::SafariCsv,
        Format::BitwardenCsv,
        Format::LastPassCsv,
        Format::OnePasswordCsv,
        Format::KeePassXcCsv,
    ];
    // A fixed xorshift sequence, so a failure reproduces.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..200 {
        let mut data = HEADERS[round % HEADERS.len()].to_vec();
        let len = (next() % 120) as usize;
        data.extend((0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]));
        let _ = csv::sniff(&data);
        let file = temp_csv(&data);
        for format in formats {
            let _ = csv::read(&file.path, format, None, &mut |_| {});
        }
        let mapping = csv::guess_mapping(&csv::headers(&file.path).unwrap_or_default());
        let _ = csv::read(&file.path, Format::GenericCsv, Some(&mapping), &mut |_| {});
    }
}
