//! `totp code` prints an entry's two-factor code from its stored TOTP value.
//!
//! Expected codes were computed with Python's `hmac` and `hashlib`, not
//! with this program.

mod common;

use common::{Run, TestVault};

/// `12345678901234567890` (RFC 6238's SHA-1 seed) in base32.
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// The moment the expected codes are for.
const AT: &str = "1700000000";

/// Adds an entry whose TOTP value is read from stdin (`--totp -`).
fn add_with_totp(v: &TestVault, title: &str, totp: &str) -> String {
    let run = v
        .run_unlocked(
            &["add", "--json", "--title", title, "--totp", "-"],
            &["entry-password", totp],
        )
        .ok();
    run.json()["id"].as_str().expect("id").to_owned()
}

/// Nothing the binary printed or logged may hold the secret.
#[track_caller]
fn assert_secret_kept(v: &TestVault, run: &Run, secret: &str) {
    for (stream, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("log", &v.log()),
    ] {
        assert!(
            !text.to_ascii_uppercase().contains(secret),
            "the secret appears in {stream}:\n{text}"
        );
    }
}

#[test]
fn a_uri_added_from_stdin_gives_its_code_at_a_given_time() {
    let v = TestVault::new();
    let uri = format!("otpauth://totp/ACME:alice?secret={SEED}&issuer=ACME");
    let id = add_with_totp(&v, "ACME", &uri);

    let run = v.run_unlocked(&["totp", "code", &id, "--at", AT], &[]).ok();
    assert_eq!(run.stdout, "921300 (10 s left)\n");
    assert_secret_kept(&v, &run, SEED);

    let json = v
        .run_unlocked(&["totp", "code", "ACME", "--at", AT, "--json"], &[])
        .ok()
        .json();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["code"], "921300");
    assert_eq!(json["seconds_left"], 10);
    assert_eq!(json["period"], 30);
    assert_eq!(json["digits"], 6);
    assert_eq!(json["warnings"], serde_json::json!([]));
}

#[test]
fn sha256_eight_digits_and_a_long_period() {
    let v = TestVault::new();
    let uri = format!("otpauth://totp/x?secret={SEED}&algorithm=sha256&digits=8&period=60");
    let id = add_with_totp(&v, "Bank", &uri);
    let json = v
        .run_unlocked(&["totp", "code", &id, "--at", "1111111109", "--json"], &[])
        .ok()
        .json();
    // RFC 6238 uses a 32-byte seed for SHA-256; this is the 20-byte one,
    // computed separately (HMAC-SHA-256, counter 1111111109 / 60).
    assert_eq!(json["code"], "69648066");
    assert_eq!(json["seconds_left"], 31);
}

#[test]
fn steam_guard_codes_use_steams_alphabet() {
    let v = TestVault::new();
    let uri = format!("otpauth://totp/Steam:gabe?secret={SEED}&issuer=Steam&encoder=steam");
    let id = add_with_totp(&v, "Steam", &uri);
    let run = v.run_unlocked(&["totp", "code", &id, "--at", AT], &[]).ok();
    assert_eq!(run.stdout, "R87JJ (10 s left)\n");
    assert_secret_kept(&v, &run, SEED);
}

#[test]
fn a_short_secret_gives_its_code_with_a_warning() {
    let v = TestVault::new();
    let id = add_with_totp(&v, "Old", "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP");
    let run = v.run_unlocked(&["totp", "code", &id, "--at", AT], &[]).ok();
    assert_eq!(run.stdout, "324550 (10 s left)\n");
    assert!(run.stderr.contains("only 80 bits long"), "{}", run.stderr);
    assert_secret_kept(&v, &run, "JBSWY3DPEHPK3PXP");
}

#[test]
fn an_invalid_secret_is_an_error_that_does_not_quote_it() {
    let v = TestVault::new();
    let secret = "NOTBASE32SECRET1890";
    let id = add_with_totp(&v, "Broken", &format!("otpauth://totp/a?secret={secret}"));
    let run = v
        .run_unlocked(&["totp", "code", &id, "--at", AT], &[])
        .expect_code(1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains(&format!("error: entry {id}: not a valid TOTP secret")),
        "{}",
        run.stderr
    );
    assert_secret_kept(&v, &run, secret);

    // The stored value is left as it was.
    let shown = v
        .run_unlocked(&["show", &id, "--json", "--reveal"], &[])
        .ok()
        .json();
    assert_eq!(shown["totp"], format!("otpauth://totp/a?secret={secret}"));
}

#[test]
fn out_of_range_parameters_are_errors() {
    let v = TestVault::new();
    let id = add_with_totp(
        &v,
        "Eleven",
        &format!("otpauth://totp/a?secret={SEED}&digits=11"),
    );
    let run = v.run_unlocked(&["totp", "code", &id], &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("digits parameter is 11; codes have 6 to 10 digits"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_entry_without_totp_is_an_error() {
    let v = TestVault::new();
    let id = v.add(&["--title", "Plain"], "pw");
    let run = v.run_unlocked(&["totp", "code", &id], &[]).expect_code(1);
    assert_eq!(
        run.stderr,
        format!(
            "error: entry {id} has no TOTP secret; add one with `edit {id} --totp -` \
             (an otpauth:// URI)\n"
        )
    );
}
