//! Each export format, with invented data shaped like the real thing.

use spm::core::exchange::csv::{self, Mapping};
use spm::core::exchange::{ExchangeError, Format};

use super::{fields, login, read, read_mapped, temp_csv, try_read};

#[test]
fn chrome_android_logins_take_the_app_package_as_url_and_title() {
    let data = b"name,url,username,password,note\n\
                 ,android://h4sh-Value_==@com.example.app/,jo,pw,\n";
    let parsed = read(data, Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("com.example.app", "jo", "pw", vec!["com.example.app"])
    );
}

#[test]
fn chrome_exports_without_the_note_column_read_too() {
    let data = b"name,url,username,password\nShop,https://shop.example/,jo,pw\n";
    assert_eq!(csv::sniff(data), Some(Format::ChromeCsv));
    let parsed = read(data, Format::ChromeCsv);
    assert_eq!(
        login(&parsed.entries[0].entry),
        ("Shop", "jo", "pw", vec!["https://shop.example/"])
    );
}

#[test]
fn firefox_keeps_times_in_seconds_and_the_realm_and_skips_its_account_row() {
    let data = b"\"url\",\"username\",\"password\",\"httpRealm\",\"formActionOrigin\",\"guid\",\
                 \"timeCreated\",\"timeLastUsed\",\"timePasswordChanged\"\n\
                 \"chrome://FirefoxAccounts\",\"id\",\"{}\",\"Firefox Accounts credentials\",,\"{g1}\",\"1\",\"1\",\"1\"\n\
                 \"https://intranet.example\",\"jo\",\"pw\",\"Staff area\",,\"{g2}\",\"1600000000123\",\"1700000000000\",\"1650000000999\"\n";
    assert_eq!(csv::sniff(data), Some(Format::FirefoxCsv));
    let parsed = read(data, Format::FirefoxCsv);
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].location, "line 2");
    assert!(
        parsed.skipped[0]
            .reason
            .contains("chrome://FirefoxAccounts")
    );
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        login(entry),
        (
            "intranet.example",
            "jo",
            "pw",
            vec!["https://intranet.example"]
        )
    );
    assert_eq!(
        (entry.created_at, entry.updated_at),
        (1_600_000_000, 1_650_000_000)
    );
    assert_eq!(fields(entry), [("httpRealm", "Staff area", false)]);
}

#[test]
fn safari_reads_notes_and_one_time_password_uris() {
    let data = b"Title,URL,Username,Password,Notes,OTPAuth\n\
                 Bank,https://bank.example,jo,pw,\"two\nlines\",otpauth://totp/Bank?secret=JBSWY3DPEHPK3PXP\n";
    let parsed = read(data, Format::SafariCsv);
    let entry = &parsed.entries[0].entry;
    assert_eq!(entry.notes.expose(), "two\nlines");
    assert_eq!(
        entry.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Bank?secret=JBSWY3DPEHPK3PXP"
    );
}

#[test]
fn bitwarden_reads_folders_url_lists_fields_favorites_and_notes() {
    let data = b"folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
                 Work/Mail,1,login,Mail,,\"PIN: 1234\nRecovery: a: b\",0,\"https://mail.example,https://webmail.example\",jo,pw,jbsw y3dp ehpk 3pxp\n\
                 ,,note,Wifi,\"SSID home\nkey inside\",,0,,,,\n";
    assert_eq!(csv::sniff(data), Some(Format::BitwardenCsv));
    let parsed = read(data, Format::BitwardenCsv);
    let mail = &parsed.entries[0].entry;
    assert_eq!(
        login(mail),
        (
            "Mail",
            "jo",
            "pw",
            vec!["https://mail.example", "https://webmail.example"]
        )
    );
    assert_eq!(mail.category.expose(), "Work/Mail");
    assert!(mail.favorite);
    assert_eq!(
        fields(mail),
        [("PIN", "1234", true), ("Recovery", "a: b", false)]
    );
    assert_eq!(
        mail.totp.as_ref().unwrap().expose(),
        "otpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP"
    );
    let note = &parsed.entries[1].entry;
    assert_eq!(login(note), ("Wifi", "", "", vec![]));
    assert_eq!(note.notes.expose(), "SSID home\nkey inside");
    assert!(!note.favorite);
    assert_eq!(parsed.categories, ["Work/Mail"]);
}

#[test]
fn lastpass_values_are_kept_as_written_and_secure_notes_have_no_url() {
    let data = b"url,username,password,totp,extra,name,grouping,fav\n\
                 https://a.example,jo,a&amp;b,,&lt;note&gt;,A &amp; B,Shopping\\Online,1\n\
                 http://sn,,,,\"NoteType:Server\nHostname:h\",Server,Admin,0\n";
    assert_eq!(csv::sniff(data), Some(Format::LastPassCsv));
    let parsed = read(data, Format::LastPassCsv);
    let a = &parsed.entries[0].entry;
    assert_eq!(
        login(a),
        ("A &amp; B", "jo", "a&amp;b", vec!["https://a.example"])
    );
    assert_eq!(a.notes.expose(), "&lt;note&gt;");
    assert_eq!(a.category.expose(), "Shopping\\Online");
    assert!(a.favorite);
    let note = &parsed.entries[1].entry;
    assert!(note.urls.is_empty());
    assert_eq!(note.title.expose(), "Server");
    assert_eq!(note.notes.expose(), "NoteType:Server\nHostname:h");
    assert!(!note.favorite);
}

#[test]
fn keepassxc_groups_lose_the_root_and_times_are_read() {
    let data = b"\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\
                 \"Root/Work/Mail\",\"Mail\",\"jo\",\"pw\",\"https://mail.example\",\"\",\"\",\"0\",\"2024-05-01T10:00:00Z\",\"2024-01-01T00:00:00Z\"\n\
                 \"Root\",\"Top\",\"\",\"pw2\",\"\",\"\",\"\",\"0\",\"\",\"\"\n";
    assert_eq!(csv::sniff(data), Some(Format::KeePassXcCsv));
    let parsed = read(data, Format::KeePassXcCsv);
    let mail = &parsed.entries[0].entry;
    assert_eq!(mail.category.expose(), "Work/Mail");
    assert_eq!(
        (mail.created_at, mail.updated_at),
        (1_704_067_200, 1_714_557_600)
    );
    assert_eq!(parsed.entries[1].entry.category.expose(), "");
}

#[test]
fn a_totp_value_that_is_not_a_secret_is_kept_hidden_with_a_warning() {
    let data = b"Title,URL,Username,Password,Notes,OTPAuth\nBank,,jo,pw,,not a secret!\n";
    let parsed = read(data, Format::SafariCsv);
    let entry = &parsed.entries[0].entry;
    assert!(entry.totp.is_none());
    assert_eq!(fields(entry), [("TOTP", "not a secret!", true)]);
    assert_eq!(
        parsed.warnings,
        [
            "line 2: the TOTP value is neither an otpauth:// URI nor a base32 secret; \
          it was kept as the hidden custom field \"TOTP\""
        ]
    );
}

#[test]
fn generic_csv_reads_the_chosen_columns() {
    let data = b"Site;Login;Secret;Link;Comment;Folder;2FA\n\
                 Forum;jo;pw;https://forum.example;hi;Fun;JBSWY3DPEHPK3PXP\n";
    let file = temp_csv(data);
    let headers = csv::headers(&file.path).unwrap();
    assert_eq!(
        headers,
        [
            "Site", "Login", "Secret", "Link", "Comment", "Folder", "2FA"
        ]
    );
    let mapping = Mapping {
        title: Some(0),
        username: Some(1),
        password: Some(2),
        url: Some(3),
        notes: Some(4),
        totp: Some(6),
        category: Some(5),
    };
    let parsed = read_mapped(data, &mapping).unwrap();
    let entry = &parsed.entries[0].entry;
    assert_eq!(
        login(entry),
        ("Forum", "jo", "pw", vec!["https://forum.example"])
    );
    assert_eq!(
        (entry.notes.expose(), entry.category.expose()),
        ("hi", "Fun")
    );
    assert!(entry.totp.is_some());
}

#[test]
fn generic_csv_needs_a_title_or_url_column() {
    let mapping = Mapping {
        username: Some(0),
        password: Some(1),
        ..Mapping::default()
    };
    let error = read_mapped(b"a,b\nx,y\n", &mapping).unwrap_err();
    assert!(matches!(error, ExchangeError::Unsupported { .. }));
    assert!(error.to_string().contains("title or the URL"), "{error}");

    let error = try_read(b"a,b\nx,y\n", Format::GenericCsv).unwrap_err();
    assert!(error.to_string().contains("column mapping"), "{error}");

    let beyond = Mapping {
        title: Some(5),
        ..Mapping::default()
    };
    let error = read_mapped(b"a,b\nx,y\n", &beyond).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("column 6 when the header row has 2"),
        "{error}"
    );
}

#[test]
fn a_forced_format_that_does_not_fit_the_header_says_so() {
    let error = try_read(b"alpha,beta\n1,2\n", Format::LastPassCsv).unwrap_err();
    assert!(matches!(error, ExchangeError::Malformed { .. }));
    assert!(error.to_string().contains("--format csv"), "{error}");
}

#[test]
fn mappings_are_guessed_from_header_names() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let guess = csv::guess_mapping(&names(&[
        "ID", " Name ", "E-mail", "PASS", "Website", "Extra", "OTP", "Category",
    ]));
    assert_eq!(
        guess,
        Mapping {
            title: Some(1),
            username: Some(2),
            password: Some(3),
            url: Some(4),
            notes: Some(5),
            totp: Some(6),
            category: Some(7),
        }
    );
    let guess = csv::guess_mapping(&names(&["login_uri", "login_username", "title"]));
    assert_eq!(
        (guess.title, guess.username, guess.url),
        (Some(2), Some(1), Some(0))
    );
    assert_eq!(csv::guess_mapping(&names(&["x", "y"])), Mapping::default());
}

#[test]
fn onepassword_mac_unescapes_backslash_quotes_and_keeps_extra_columns() {
    let data = br#""Title","Type","Scope","Created Date","Modified Date","Username","Password","URL","Notes","PIN(pin)","address(address)","Tags",
"Router","Login","Default","1600000000","1600000100","admin","pa\\ss","http://192.168.1.1","say \"hi\"","1234","1 Road
Town","{(
    \"Home\"
)}",
"#;
    assert_eq!(csv::sniff(data), Some(Format::OnePasswordCsv));
    let parsed = read(data, Format::OnePasswordCsv);
    let e = &parsed.entries[0].entry;
    assert_eq!(
        login(e),
        ("Router", "admin", "pa\\ss", vec!["http://192.168.1.1"])
    );
    assert_eq!(e.notes.expose(), "say \"hi\"\n\naddress:\n1 Road\nTown");
    assert_eq!(fields(e), [("PIN", "1234", true)]);
    assert_eq!(
        e.tags.iter().map(|t| t.expose()).collect::<Vec<_>>(),
        ["Home"]
    );
    assert_eq!((e.created_at, e.updated_at), (1_600_000_000, 1_600_000_100));
    assert_eq!(parsed.entries[0].location, "line 2");
}
