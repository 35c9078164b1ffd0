//! Export, import and merge on the command line with this product's own
//! formats: everything survives a round trip, two copies of a vault merge by
//! entry id, and bad files or passphrases change nothing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{MASTER, TestVault};

const PASSPHRASE: &str = "export passphrase 9";

/// A vault with two entries: one with every field and a password history.
fn sample_vault() -> (TestVault, String, String) {
    let v = TestVault::new();
    let mail = v.add(
        &[
            "--title",
            "Mail",
            "--username",
            "me@example.org",
            "--url",
            "https://mail.example.org",
            "--url",
            "https://webmail.example.org",
            "--notes",
            "first\nsecond",
            "--category",
            "Travel",
            "--tag",
            "home",
            "--favorite",
            "--expires",
            "2031-05-06",
            "--field",
            "Account=12345",
            "--hidden-field",
            "PIN",
            "--totp",
            "-",
        ],
        "first-password\notpauth://totp/Mail?secret=JBSWY3DPEHPK3PXP\n4321",
    );
    v.run_unlocked(
        &["edit", &mail, "--password", "--reason", "breach"],
        &["second-password"],
    )
    .ok();
    let bank = v.add(&["--title", "Bank", "--username", "me"], "bank-pass");
    (v, mail, bank)
}

fn show(v: &TestVault, id: &str) -> serde_json::Value {
    v.run_unlocked(&["show", id, "--json", "--reveal"], &[])
        .ok()
        .json()
}

fn history(v: &TestVault, id: &str) -> Vec<serde_json::Value> {
    v.run_unlocked(&["history", id, "--json", "--reveal"], &[])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn export(v: &TestVault, format: &str, out: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "export",
        "--format",
        format,
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    v.run_unlocked(&args, &[PASSPHRASE])
}

fn import(v: &TestVault, file: &Path, extra: &[&str], secrets: &[&str]) -> common::Run {
    let mut args = vec!["import", file.to_str().unwrap(), "--json"];
    args.extend(extra);
    v.run_unlocked(&args, secrets)
}

/// The fields of `show --json` that must survive an export and import.
fn portable(mut detail: serde_json::Value) -> serde_json::Value {
    let object = detail.as_object_mut().unwrap();
    object.remove("imported_from");
    detail
}

#[test]
fn spmx_round_trip_keeps_entries_history_totp_and_categories() {
    let (a, mail, bank) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    export(&a, "spmx", &file, &[]).ok();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("second-password") && !text.contains("Mail"));

    let b = TestVault::new();
    let result = import(&b, &file, &[], &[PASSPHRASE]).ok().json();
    assert_eq!(result["format"], "spmx");
    assert_eq!(result["added"], 2);

    for id in [&mail, &bank] {
        assert_eq!(portable(show(&b, id)), portable(show(&a, id)), "entry {id}");
    }
    assert_eq!(show(&b, &mail)["imported_from"], "spmx");
    let old = history(&b, &mail);
    assert_eq!(old.len(), 1);
    assert_eq!(old[0]["password"], "first-password");
    assert_eq!(
        old[0]["reason"], "breach",
        "our own export keeps the reason"
    );

    let categories = b.run_unlocked(&["categories", "--json"], &[]).ok().json();
    assert!(
        categories
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Travel"),
        "{categories}"
    );
}

#[test]
fn importing_the_same_export_twice_changes_nothing_the_second_time() {
    let (a, _, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    export(&a, "spmx", &file, &[]).ok();
    let b = TestVault::new();
    import(&b, &file, &[], &[PASSPHRASE]).ok();
    let again = import(&b, &file, &[], &[PASSPHRASE]).ok().json();
    assert_eq!(again["added"], 0);
    assert_eq!(again["updated"], 0);
    assert_eq!(again["skipped"].as_array().unwrap().len(), 2);
    assert_eq!(b.list(&[]).len(), 2);
}

#[test]
fn merge_takes_the_newer_side_and_keeps_the_older_password_in_history() {
    let (a, mail, bank) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let first = out.path().join("a.spmx");
    export(&a, "spmx", &first, &[]).ok();

    // A second machine starts from the export, then changes things.
    let b = TestVault::new();
    import(&b, &first, &[], &[PASSPHRASE]).ok();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    b.run_unlocked(
        &["edit", &mail, "--password", "--reason", "expiry"],
        &["third-password"],
    )
    .ok();
    b.run_unlocked(&["rm", &bank], &[]).ok();
    let from_b = out.path().join("b.spmx");
    export(&b, "spmx", &from_b, &["--include-trash"]).ok();

    let merged = a
        .run_unlocked(
            &["merge", from_b.to_str().unwrap(), "--json"],
            &[PASSPHRASE],
        )
        .ok()
        .json();
    assert_eq!(merged["updated"], 2, "{merged}");
    assert_eq!(show(&a, &mail)["password"], "third-password");
    let old: Vec<String> = history(&a, &mail)
        .iter()
        .map(|h| h["password"].as_str().unwrap().to_owned())
        .collect();
    assert!(old.contains(&"second-password".to_owned()), "{old:?}");
    assert!(old.contains(&"first-password".to_owned()), "{old:?}");
    let trashed = a.list(&["--trash"]);
    assert_eq!(trashed.len(), 1);
    assert_eq!(trashed[0]["id"], bank.as_str());
}

#[test]
fn merge_refuses_files_from_other_programs() {
    let v = TestVault::new();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("other.csv");
    std::fs::write(
        &file,
        "name,url,username,password\nA,https://a.example,u,p\n",
    )
    .unwrap();
    let run = v
        .run_unlocked(&["merge", file.to_str().unwrap()], &[])
        .expect_code(2);
    assert!(run.stderr.contains("Use `import`"), "{}", run.stderr);
}

#[test]
fn plain_exports_need_an_explicit_confirmation_and_are_private() {
    let (v, _, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("plain.json");
    let refused = v
        .run_unlocked(
            &[
                "export",
                "--format",
                "json",
                "--output",
                file.to_str().unwrap(),
            ],
            &[],
        )
        .expect_code(2);
    assert!(
        refused.stderr.contains("--plaintext-ok"),
        "{}",
        refused.stderr
    );
    assert!(!file.exists());

    v.run_unlocked(
        &[
            "export",
            "--format",
            "json",
            "--output",
            file.to_str().unwrap(),
            "--plaintext-ok",
        ],
        &[],
    )
    .ok();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(document["format"], "secure-password-manager");
    assert_eq!(document["entries"].as_array().unwrap().len(), 2);

    // It imports back into an empty vault with its history.
    let b = TestVault::new();
    let result = import(&b, &file, &[], &[]).ok().json();
    assert_eq!(result["format"], "json");
    assert_eq!(result["added"], 2);
}

#[test]
fn an_existing_output_file_is_not_replaced_without_force() {
    let (v, _, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    std::fs::write(&file, "keep me").unwrap();
    let run = export(&v, "spmx", &file, &[]).expect_code(2);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    export(&v, "spmx", &file, &["--force"]).ok();
    assert_ne!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn a_wrong_passphrase_or_a_damaged_file_changes_nothing() {
    let (a, _, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    export(&a, "spmx", &file, &[]).ok();
    let b = TestVault::new();

    let wrong = import(&b, &file, &[], &["not the passphrase"]).expect_code(3);
    assert!(wrong.stderr.contains("does not open"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not the passphrase"));

    let bytes = std::fs::read(&file).unwrap();
    let cut = out.path().join("cut.spmx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let damaged = import(&b, &cut, &[], &[PASSPHRASE]).expect_code(1);
    assert!(damaged.stderr.contains("cut.spmx"), "{}", damaged.stderr);
    assert!(damaged.stderr.contains("truncated"), "{}", damaged.stderr);
    assert!(b.list(&[]).is_empty(), "nothing was imported");
}

#[test]
fn a_dry_run_reports_and_writes_nothing() {
    let (a, _, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    export(&a, "spmx", &file, &[]).ok();
    let b = TestVault::new();
    let result = import(&b, &file, &["--dry-run"], &[PASSPHRASE]).ok().json();
    assert_eq!(result["dry_run"], true);
    assert_eq!(result["added"], 2);
    assert!(b.list(&[]).is_empty());
}

#[test]
fn the_log_records_counts_but_no_entry_text() {
    let (a, _, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.spmx");
    export(&a, "spmx", &file, &[]).ok();
    let b = TestVault::new();
    import(&b, &file, &[], &[PASSPHRASE]).ok();
    let log = b.log();
    assert!(log.contains("IMPORT_COMPLETED"), "{log}");
    assert!(a.log().contains("EXPORT_COMPLETED"));
    for secret in [
        "Mail",
        "me@example.org",
        "second-password",
        MASTER,
        PASSPHRASE,
    ] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
}

/// A file from `../shared/fixtures` (real exports of other tools), or
/// `None` when that folder is absent.
fn fixture(path: &str) -> Option<std::path::PathBuf> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(path);
    if full.exists() {
        Some(full)
    } else {
        eprintln!("skipped: ../shared/fixtures not found");
        None
    }
}

#[test]
fn a_bitwarden_export_imports_on_the_command_line() {
    let Some(file) = fixture("keepassxc/bitwarden_export.json") else {
        return;
    };
    let v = TestVault::new();
    let result = import(&v, &file, &[], &[]).ok().json();
    assert_eq!(result["format"], "bitwarden-json");
    assert_eq!(result["added"], 4);
    let listed = v.list(&["--search", "Login Name"]);
    assert_eq!(listed.len(), 1);
    let login = show(&v, listed[0]["id"].as_str().unwrap());
    assert_eq!(login["username"], "myusername@gmail.com");
    assert_eq!(login["password"], "mypassword");
    assert_eq!(login["imported_from"], "bitwarden-json");
}

#[test]
fn a_password_protected_bitwarden_export_asks_for_its_password() {
    let Some(file) = fixture("keepassxc/bitwarden_encrypted_export.json") else {
        return;
    };
    let v = TestVault::new();
    let wrong = import(&v, &file, &[], &["b"]).expect_code(3);
    assert!(wrong.stderr.contains("does not open"), "{}", wrong.stderr);
    let result = import(&v, &file, &[], &["a"]).ok().json();
    assert_eq!(result["added"], 1);
    assert_eq!(v.list(&[])[0]["title"], "KeePassXC");
}

#[test]
fn a_browser_csv_imports_and_a_second_import_skips_the_duplicates() {
    let v = TestVault::new();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("Chrome Passwords.csv");
    std::fs::write(
        &file,
        "name,url,username,password,note\r\n\
         mail.example,https://mail.example/login,ann,pw-one,\r\n\
         ,https://shop.example/,bob,pw-two,\"two\r\nlines\"\r\n\
         bank.example,https://bank.example/,carol,,\r\n",
    )
    .unwrap();
    let first = import(&v, &file, &[], &[]).ok().json();
    assert_eq!(first["format"], "chrome-csv");
    assert_eq!(first["added"], 3);
    let shop = &v.list(&["--search", "bob"])[0];
    assert_eq!(
        shop["title"], "shop.example",
        "an empty title takes the host"
    );
    let detail = show(&v, shop["id"].as_str().unwrap());
    assert_eq!(detail["notes"], "two\nlines");

    let again = import(&v, &file, &[], &[]).ok().json();
    assert_eq!(again["added"], 0);
    let skipped = again["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 3);
    assert_eq!(skipped[0]["location"], "line 2");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("same username on the same site"),
        "{again}"
    );

    // --on-duplicate update replaces the password and keeps the old one.
    std::fs::write(
        &file,
        "name,url,username,password,note\nmail.example,https://mail.example/x,ann,pw-new,\n",
    )
    .unwrap();
    let updated = import(&v, &file, &["--on-duplicate", "update"], &[])
        .ok()
        .json();
    assert_eq!(updated["updated"], 1);
    let mail = &v.list(&["--search", "ann"])[0];
    let id = mail["id"].as_str().unwrap();
    assert_eq!(show(&v, id)["password"], "pw-new");
    let old = history(&v, id);
    assert_eq!(old[0]["password"], "pw-one");
    assert_eq!(old[0]["reason"], "import");
    assert_eq!(old[0]["source"], "chrome-csv");
}

#[test]
fn a_generic_csv_needs_a_title_or_url_column() {
    let v = TestVault::new();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("odd.csv");
    std::fs::write(&file, "Login,Secret\nann,pw\n").unwrap();
    let refused = import(&v, &file, &["--format", "csv"], &[]).expect_code(2);
    assert!(
        refused.stderr.contains("a Title or a URL column is needed"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("Login, Secret"),
        "{}",
        refused.stderr
    );

    let result = import(
        &v,
        &file,
        &[
            "--format",
            "csv",
            "--column",
            "title=Login",
            "--column",
            "password=Secret",
        ],
        &[],
    )
    .ok()
    .json();
    assert_eq!(result["added"], 1);
}

#[test]
fn a_malformed_row_is_reported_with_its_line_and_the_rest_continues() {
    let v = TestVault::new();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("bitwarden.csv");
    std::fs::write(
        &file,
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
         ,,login,Good,,,,https://good.example,u1,p1,\n\
         ,,login,\"Broken\"x,,,,https://bad.example,u2,p2,\n\
         ,,login,Also good,,,,https://also.example,u3,p3,\n",
    )
    .unwrap();
    let result = import(&v, &file, &[], &[]).ok().json();
    assert_eq!(result["added"], 2);
    let skipped = result["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{result}");
    assert_eq!(skipped[0]["location"], "line 3");
}

#[test]
fn a_file_of_no_known_format_lists_the_formats_tried() {
    let v = TestVault::new();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("mystery.dat");
    std::fs::write(&file, [0xffu8, 0xfe, 0x00, 0x01, 0x02]).unwrap();
    let run = import(&v, &file, &[], &[]).expect_code(1);
    assert!(run.stderr.contains("mystery.dat"), "{}", run.stderr);
    assert!(run.stderr.contains("Bitwarden JSON"), "{}", run.stderr);
    assert!(run.stderr.contains("KeePass"), "{}", run.stderr);
}

#[test]
fn a_keepassxc_database_imports_with_its_password() {
    let Some(file) = fixture("keepassxc/NewDatabase.kdbx") else {
        return;
    };
    let v = TestVault::new();
    let wrong = import(&v, &file, &[], &["b"]).expect_code(3);
    assert!(
        wrong.stderr.contains("NewDatabase.kdbx"),
        "{}",
        wrong.stderr
    );
    let result = import(&v, &file, &[], &["a"]).ok().json();
    assert_eq!(result["format"], "kdbx");
    assert_eq!(result["added"], 2, "{result}");
    let sample = &v.list(&["--search", "Sample Entry"])[0];
    let detail = show(&v, sample["id"].as_str().unwrap());
    assert_eq!(detail["username"], "User Name");
    assert_eq!(detail["password"], "Password");
    assert!(
        detail["totp"]
            .as_str()
            .unwrap()
            .contains("secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"),
        "{detail}"
    );
}

#[test]
fn a_key_file_only_database_needs_no_password() {
    let (Some(file), Some(key)) = (
        fixture("keepassxc/KeyFileProtectedNoPassword.kdbx"),
        fixture("keepassxc/KeyFileProtectedNoPassword.key"),
    ) else {
        return;
    };
    let v = TestVault::new();
    let result = import(
        &v,
        &file,
        &["--key-file", key.to_str().unwrap(), "--no-file-password"],
        &[],
    )
    .ok()
    .json();
    assert_eq!(result["added"], 2, "{result}");
}

#[test]
fn a_kdbx_export_comes_back_by_entry_id() {
    let (a, mail, _) = sample_vault();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.kdbx");
    export(&a, "kdbx", &file, &[]).ok();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // Into the same vault: nothing changes.
    let again = import(&a, &file, &[], &[PASSPHRASE]).ok().json();
    assert_eq!(again["format"], "kdbx");
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");

    // Into a new vault: the same entries under the same ids.
    let b = TestVault::new();
    import(&b, &file, &[], &[PASSPHRASE]).ok();
    let detail = show(&b, &mail);
    assert_eq!(detail["password"], "second-password");
    assert_eq!(detail["username"], "me@example.org");
    assert_eq!(
        detail["urls"],
        serde_json::json!(["https://mail.example.org", "https://webmail.example.org"])
    );
    let old = history(&b, &mail);
    assert_eq!(old[0]["password"], "first-password");
}

#[test]
fn a_missing_file_is_named_once_with_its_cause_said_once() {
    let v = TestVault::new();
    let missing = v.path().join("nowhere.json");
    let run = import(&v, &missing, &[], &[]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        run.stderr
    );
}
