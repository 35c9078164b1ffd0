//! The command line stores, lists, searches, shows, edits, trashes and
//! restores entries.

mod common;

use common::{MASTER, TestVault};

#[test]
fn added_entry_lists_and_shows_with_every_field() {
    let v = TestVault::new();
    let id = v.add(
        &[
            "--title",
            "GitHub",
            "--username",
            "alice",
            "--url",
            "https://github.com",
            "--url",
            "https://gist.github.com",
            "--notes",
            "line one\nline two",
            "--category",
            "Work",
            "--tag",
            "dev",
            "--tag",
            "code",
            "--favorite",
            "--expires",
            "2031-05-06",
            "--field",
            "Account=12345",
        ],
        "s3cret-Pass",
    );
    assert_eq!(id.len(), 8);

    let listed = v.list(&[]);
    assert_eq!(listed.len(), 1);
    let e = &listed[0];
    assert_eq!(e["id"], id.as_str());
    assert_eq!(e["title"], "GitHub");
    assert_eq!(e["username"], "alice");
    assert_eq!(e["urls"][1], "https://gist.github.com");
    assert_eq!(e["category"], "Work");
    assert_eq!(e["tags"][1], "code");
    assert_eq!(e["favorite"], true);
    assert_eq!(e["expires_at"], "2031-05-06T23:59:59Z");
    assert!(e.get("password").is_none(), "list must not print passwords");

    let shown = v
        .run_unlocked(&["show", &id, "--json", "--reveal"], &[])
        .ok()
        .json();
    assert_eq!(shown["password"], "s3cret-Pass");
    assert_eq!(shown["notes"], "line one\nline two");
    assert_eq!(shown["custom_fields"][0]["name"], "Account");
    assert_eq!(shown["custom_fields"][0]["value"], "12345");

    let masked = v.run_unlocked(&["show", "GitHub"], &[]).ok();
    assert!(masked.stdout.contains("********"));
    assert!(!masked.stdout.contains("s3cret-Pass"));
    assert!(masked.stdout.contains("line two"));
}

#[test]
fn search_and_filters_select_the_right_entries() {
    let v = TestVault::new();
    v.add(
        &[
            "--title",
            "Mail",
            "--username",
            "bob@example.org",
            "--category",
            "Personal",
        ],
        "a",
    );
    v.add(
        &[
            "--title",
            "Bank",
            "--notes",
            "PIN in safe",
            "--category",
            "Finance",
            "--favorite",
        ],
        "b",
    );
    v.add(
        &[
            "--title",
            "Old VPN",
            "--expires",
            "2001-01-01",
            "--tag",
            "legacy",
        ],
        "c",
    );
    let soon = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    v.add(&["--title", "Wiki", "--expires", &soon], "d");

    let titles = |extra: &[&str]| -> Vec<String> {
        v.list(extra)
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&["--search", "EXAMPLE.ORG"]), ["Mail"]);
    assert_eq!(titles(&["--search", "pin safe"]), ["Bank"]);
    assert_eq!(titles(&["--search", "LEGACY"]), ["Old VPN"]);
    assert_eq!(titles(&["--category", "finance"]), ["Bank"]);
    assert_eq!(titles(&["--favorites"]), ["Bank"]);
    assert_eq!(titles(&["--expired"]), ["Old VPN"]);
    assert_eq!(titles(&["--expiring", "7"]), ["Wiki"]);
    assert!(titles(&["--search", "nothing-like-this"]).is_empty());
    // Favorites first, then by title.
    assert_eq!(titles(&[]), ["Bank", "Mail", "Old VPN", "Wiki"]);

    let human = v.run_unlocked(&["list"], &[]).ok();
    assert!(human.stdout.starts_with("ID"), "{}", human.stdout);
    assert!(human.stdout.contains("expired"));
}

#[test]
fn edit_keeps_the_old_password_in_history_with_its_reason() {
    let v = TestVault::new();
    let id = v.add(&["--title", "Mail"], "first-password");
    v.run_unlocked(
        &["edit", &id, "--password", "--reason", "breach"],
        &["second-password"],
    )
    .ok();
    v.run_unlocked(
        &["edit", "Mail", "--generate", "32", "--reason", "strength"],
        &[],
    )
    .ok();
    v.run_unlocked(&["edit", "Mail", "--username", "new-user"], &[])
        .ok();

    let history = v
        .run_unlocked(&["history", &id, "--json", "--reveal"], &[])
        .ok()
        .json();
    let items = history.as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "a username change adds no history: {history}"
    );
    assert_eq!(items[0]["password"], "second-password");
    assert_eq!(items[0]["reason"], "strength");
    assert_eq!(items[1]["password"], "first-password");
    assert_eq!(items[1]["reason"], "breach");
    assert_eq!(items[1]["changed_by"], "user");

    let shown = v
        .run_unlocked(&["show", &id, "--json", "--reveal"], &[])
        .ok()
        .json();
    assert_eq!(shown["password"].as_str().unwrap().chars().count(), 32);
    assert_eq!(shown["username"], "new-user");

    let masked = v.run_unlocked(&["history", &id], &[]).ok();
    assert!(!masked.stdout.contains("first-password"));
    assert!(v.log().contains("PASSWORD_ROTATED"));
    assert!(v.log().contains("reason=breach"));
}

#[test]
fn history_keeps_only_the_configured_number_of_versions() {
    let v = TestVault::new();
    v.run(
        &["settings", "set", "password_history.max_versions", "2"],
        "",
    )
    .ok();
    let id = v.add(&["--title", "Rotating"], "p0");
    for n in 1..=4 {
        v.run_unlocked(&["edit", &id, "--password"], &[&format!("p{n}")])
            .ok();
    }
    let history = v
        .run_unlocked(&["history", &id, "--json", "--reveal"], &[])
        .ok()
        .json();
    let passwords: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["password"].as_str().unwrap())
        .collect();
    assert_eq!(passwords, ["p3", "p2"]);
}

#[test]
fn trash_restore_and_empty() {
    let v = TestVault::new();
    let keep = v.add(&["--title", "Keep"], "k");
    let gone = v.add(&["--title", "Gone"], "g");

    let rm = v.run_unlocked(&["rm", &gone], &[]).ok();
    assert!(rm.stdout.contains("trash"));
    assert_eq!(v.list(&[]).len(), 1);
    assert_eq!(v.list(&["--trash"])[0]["title"], "Gone");

    v.run_unlocked(&["restore", "Gone"], &[]).ok();
    assert_eq!(v.list(&[]).len(), 2);

    v.run_unlocked(&["rm", &gone], &[]).ok();
    // Not on a terminal, emptying the trash needs --yes.
    let refused = v.run_unlocked(&["trash", "empty"], &[]).expect_code(2);
    assert!(refused.stderr.contains("--yes"));
    assert_eq!(v.list(&["--trash"]).len(), 1);

    let emptied = v.run_unlocked(&["trash", "empty", "--yes"], &[]).ok();
    assert!(emptied.stdout.contains("Deleted 1"));
    assert!(v.list(&["--trash"]).is_empty());
    assert_eq!(v.list(&[])[0]["id"], keep.as_str());
    v.run_unlocked(&["show", &gone], &[]).expect_code(1);
}

#[test]
fn ids_resolve_by_prefix_or_unique_title() {
    let v = TestVault::new();
    let a = v.add(&["--title", "Twin"], "1");
    v.add(&["--title", "Twin"], "2");
    let ambiguous = v.run_unlocked(&["show", "Twin"], &[]).expect_code(1);
    assert!(
        ambiguous.stderr.contains("2 entries match"),
        "{}",
        ambiguous.stderr
    );
    let by_id = v
        .run_unlocked(&["show", &a[..6], "--json"], &[])
        .ok()
        .json();
    assert_eq!(by_id["id"], a.as_str());
    let missing = v.run_unlocked(&["show", "Nope"], &[]).expect_code(1);
    assert!(
        missing.stderr.contains("no entry matches \"Nope\""),
        "{}",
        missing.stderr
    );
}

#[test]
fn hidden_fields_and_totp_are_read_as_secrets_and_masked() {
    // Stdin order: master password, entry password, TOTP URI ("-"), hidden field.
    let v2 = TestVault::new();
    let run = v2
        .run_unlocked(
            &[
                "add",
                "--json",
                "--title",
                "Cloud",
                "--totp",
                "-",
                "--hidden-field",
                "Recovery",
            ],
            &[
                "pw",
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
                "recovery-words",
            ],
        )
        .ok();
    let id2 = run.json()["id"].as_str().unwrap().to_owned();
    let masked = v2.run_unlocked(&["show", &id2], &[]).ok();
    assert!(!masked.stdout.contains("recovery-words"));
    assert!(!masked.stdout.contains("JBSWY3DP"));
    let revealed = v2
        .run_unlocked(&["show", &id2, "--reveal", "--json"], &[])
        .ok()
        .json();
    assert_eq!(revealed["custom_fields"][0]["value"], "recovery-words");
    assert_eq!(revealed["totp"], "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP");
}

#[test]
fn bad_entry_input_is_a_usage_error_that_changes_nothing() {
    let v = TestVault::new();
    let bad_date = v.run_unlocked(&["add", "--title", "X", "--expires", "31/12/2030"], &["p"]);
    let bad_date = bad_date.expect_code(2);
    assert!(bad_date.stderr.contains("YYYY-MM-DD"));
    v.run_unlocked(&["add", "--title", "X", "--field", "novalue"], &["p"])
        .expect_code(2);
    v.run_unlocked(&["add", "--title", "X", "--totp", "http://x"], &["p"])
        .expect_code(2);
    v.run_unlocked(&["add", "--title", "   "], &["p"])
        .expect_code(2);
    v.run_unlocked(&["edit", "X"], &[]).expect_code(2);
    v.run_unlocked(&["edit", "X", "--title", "Y", "--reason", "bored"], &[])
        .expect_code(2);
    assert!(v.list(&[]).is_empty());
}

#[test]
fn missing_stdin_secret_is_explained() {
    let v = TestVault::new();
    let run = v
        .run(&["add", "--title", "X"], &format!("{MASTER}\n"))
        .expect_code(1);
    assert!(
        run.stderr.contains("standard input ended before"),
        "{}",
        run.stderr
    );
}

#[test]
fn categories_start_with_the_defaults_and_grow_with_new_names() {
    let v = TestVault::new();
    v.add(&["--title", "Flight", "--category", "Travel"], "x");
    v.add(&["--title", "Payroll", "--category", "Work"], "y");
    let listed = v.run_unlocked(&["categories", "--json"], &[]).ok().json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Finance", "General", "Personal", "Social", "Travel", "Work"]
    );
    let work = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Work")
        .unwrap();
    assert_eq!(work["entries"], 1);
    assert!(work["color"].as_str().unwrap().starts_with('#'));
}

#[test]
fn restore_and_rm_look_in_the_right_place_for_a_shared_title() {
    let v = TestVault::new();
    let old = v.add(&["--title", "Router"], "old");
    v.run_unlocked(&["rm", &old], &[]).ok();
    let new = v.add(&["--title", "Router"], "new");
    // "Router" names the live entry for rm and the trashed one for restore.
    let restored = v.run_unlocked(&["restore", "Router"], &[]).ok();
    assert!(restored.stdout.contains(&old), "{}", restored.stdout);
    let ambiguous = v.run_unlocked(&["rm", "Router"], &[]).expect_code(1);
    assert!(
        ambiguous.stderr.contains("2 entries match"),
        "{}",
        ambiguous.stderr
    );
    v.run_unlocked(&["rm", &new], &[]).ok();
    let gone = v.run_unlocked(&["rm", &new], &[]).expect_code(1);
    assert!(gone.stderr.contains("no entry matches"), "{}", gone.stderr);
}

#[test]
fn a_category_named_in_another_case_joins_the_existing_one() {
    let v = TestVault::new();
    v.add(&["--title", "Payroll", "--category", "  work "], "x");
    let listed = v.list(&[]);
    assert_eq!(listed[0]["category"], "Work");
    let categories = v.run_unlocked(&["categories", "--json"], &[]).ok().json();
    assert_eq!(categories.as_array().unwrap().len(), 5);
}
