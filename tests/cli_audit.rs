//! `audit` and `breach refresh` on the command line: the summary, the JSON
//! and CSV reports (no passwords, no hashes), exit status 6 for findings,
//! exclusions, and breach checks against a mock range server on 127.0.0.1.

mod common;

#[path = "breach/mock.rs"]
#[allow(dead_code)]
mod mock;

use std::os::unix::fs::PermissionsExt;

use common::TestVault;
use mock::{MockServer, Reply};
use spm::core::audit::breach::{hex_upper, sha1_of};

const WEAK: &str = "password1";
const STRONG: &str = "vq7#Lr2!xPz9@Kt4mW-e5";

fn vault_with(entries: &[(&str, &str)]) -> TestVault {
    let v = TestVault::new();
    for (title, password) in entries {
        v.add(
            &[
                "--title",
                title,
                "--url",
                &format!("https://{title}.example"),
            ],
            password,
        );
    }
    v
}

#[test]
fn findings_give_exit_status_6_and_a_summary() {
    let v = vault_with(&[("mail", WEAK), ("bank", STRONG)]);
    let run = v
        .run_unlocked(&["audit", "--no-breach"], &[])
        .expect_code(6);
    assert!(run.stdout.contains("Weak password"), "{}", run.stdout);
    assert!(run.stdout.contains("mail"), "{}", run.stdout);
    assert!(
        run.stdout.contains("breach checks skipped"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(WEAK));
}

#[test]
fn a_clean_vault_exits_0() {
    let v = vault_with(&[("bank", STRONG)]);
    let run = v.run_unlocked(&["audit", "--no-breach"], &[]).ok();
    assert!(run.stdout.contains("Nothing to fix."), "{}", run.stdout);
    assert!(run.stdout.contains("Security score: 100"), "{}", run.stdout);
}

#[test]
fn the_report_files_hold_no_passwords_or_hashes() {
    let v = vault_with(&[("mail", WEAK), ("shop", WEAK), ("bank", STRONG)]);
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let csv = out.path().join("report.csv");
    let run = v
        .run_unlocked(
            &[
                "audit",
                "--no-breach",
                "--json",
                "--export",
                json.to_str().unwrap(),
            ],
            &[],
        )
        .expect_code(6);
    let printed: serde_json::Value = serde_json::from_str(
        &run.stdout
            .lines()
            .skip_while(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    assert_eq!(printed["counts"]["reused"], 2);
    let filed: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(filed["score"], printed["score"]);
    let finding = &filed["findings"][0];
    for key in ["rule", "entry_id", "title", "username", "url", "detail"] {
        assert!(finding.get(key).is_some(), "{key} missing: {finding}");
    }

    v.run_unlocked(
        &[
            "audit",
            "--no-breach",
            "--export",
            csv.to_str().unwrap(),
            "--format",
            "csv",
        ],
        &[],
    )
    .expect_code(6);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("time,score,rule,entry_id,title,username,url,detail\n"));
    assert!(
        text.contains(",weak,") && text.contains(",reused,"),
        "{text}"
    );
    let hash = hex_upper(&sha1_of(WEAK));
    for file in [&json, &csv] {
        let content = std::fs::read_to_string(file).unwrap();
        assert!(
            !content.contains(WEAK),
            "{} holds a password",
            file.display()
        );
        assert!(
            !content.contains(&hash[..10]),
            "{} holds a hash",
            file.display()
        );
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = v.log();
    assert!(log.contains("SECURITY_AUDIT_RESULT"), "{log}");
    assert!(!log.contains("mail") && !log.contains(WEAK));
}

#[test]
fn an_excluded_entry_is_left_out_and_counted() {
    let v = vault_with(&[("pin", "4711")]);
    v.run_unlocked(&["audit", "exclude", "pin", "weak"], &[])
        .ok();
    let run = v.run_unlocked(&["audit", "--no-breach"], &[]).ok();
    assert!(run.stdout.contains("1 findings excluded"), "{}", run.stdout);
    v.run_unlocked(&["audit", "include", "pin", "weak"], &[])
        .ok();
    v.run_unlocked(&["audit", "--no-breach"], &[])
        .expect_code(6);
    let bad = v
        .run_unlocked(&["audit", "exclude", "pin", "tiny"], &[])
        .expect_code(2);
    assert!(bad.stderr.contains("is not one of"), "{}", bad.stderr);
}

/// A range server that knows one breached password and fails for another.
fn mock_for(breached: &str, failing: &str) -> MockServer {
    let hash = hex_upper(&sha1_of(breached));
    let failing_prefix = hex_upper(&sha1_of(failing))[..5].to_owned();
    let (prefix, suffix) = (hash[..5].to_owned(), hash[5..].to_owned());
    MockServer::start(move |path, _| {
        if path.ends_with(&failing_prefix) {
            Reply::Status(500)
        } else if path.ends_with(&prefix) {
            Reply::Body(format!(
                "{}:42\r\n0123456789ABCDEF0123456789ABCDEF012:0\r\n",
                suffix.to_lowercase()
            ))
        } else {
            Reply::Body("0123456789ABCDEF0123456789ABCDEF012:0\r\n".into())
        }
    })
}

#[test]
fn breach_checks_find_breached_passwords_and_never_call_failures_safe() {
    let breached = "Correct-Horse-Breached-77";
    let failing = "Unlucky-Server-Error-99!";
    let v = vault_with(&[("found", breached), ("unknown", failing), ("clean", STRONG)]);
    let server = mock_for(breached, failing);
    v.run_unlocked(&["settings", "set", "breach.api_url", &server.url()], &[])
        .ok();
    let run = v.run_unlocked(&["audit", "--json"], &[]).expect_code(6);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["counts"]["breached"], 1, "{report}");
    assert_eq!(report["counts"]["breach_unknown"], 1, "{report}");
    let rules: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["title"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("found".into(), "breached".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("unknown".into(), "breach_unknown".into())),
        "{rules:?}"
    );
    assert!(!rules.iter().any(|(t, _)| t == "clean"), "{rules:?}");
    // Only prefixes left the machine.
    for request in server.requests() {
        for password in [breached, failing, STRONG] {
            let hash = hex_upper(&sha1_of(password));
            assert!(!request.line.contains(&hash[5..]), "{}", request.line);
        }
    }
    assert!(v.log().contains("BREACH_CHECK_ERROR"), "{}", v.log());
}

#[test]
fn refresh_fetches_every_prefix_the_vault_needs() {
    let v = vault_with(&[("a", STRONG), ("b", "Second-Strong-Password-2!")]);
    let server = mock_for("unused-password", "also-unused");
    v.run_unlocked(&["settings", "set", "breach.api_url", &server.url()], &[])
        .ok();
    let run = v.run_unlocked(&["breach", "refresh"], &[]).ok();
    assert!(
        run.stdout.contains("2 prefixes, 2 fetched, 0 failed"),
        "{}",
        run.stdout
    );
    let again = v.run_unlocked(&["--refresh-breach-cache"], &[]).ok();
    assert!(again.stdout.contains("2 fetched"), "{}", again.stdout);
    assert_eq!(
        server.requests().len(),
        4,
        "a refresh ignores the cache's age"
    );
}
