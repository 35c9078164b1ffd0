use super::*;

/// Unix time in the middle of a time step.
const NOW: i64 = 1_800_000_015;

fn setup() -> (tempfile::TempDir, Paths, Key256) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::portable(dir.path());
    let key = file_key(&Key256::from_bytes([7; 32]));
    (dir, paths, key)
}

/// Enrols and returns the enrolment's codes generator (its secret) by way
/// of a twin made from the same bytes, plus the recovery codes.
fn enrolled(paths: &Paths, key: &Key256) -> (Vec<u8>, Vec<SecretString>) {
    let enrolment = Enrolment::new("alice");
    let secret = enrolment.secret.expose().to_vec();
    let code = enrolment.code_at(NOW);
    let codes = enrolment.complete(paths, key, &code, NOW).unwrap();
    (secret, codes)
}

fn code(secret: &[u8], unix: i64) -> SecretString {
    SecretString::new(code_at_step(secret, step_of(unix)))
}

#[test]
fn codes_follow_rfc_6238_for_sha1() {
    // RFC 6238 Appendix B (SHA-1 seed); the 6-digit code is the last six
    // digits of the published 8-digit value.
    let seed = b"12345678901234567890";
    for (time, eight) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(code_at_step(seed, step_of(time)), eight[2..], "at {time}");
    }
}

#[test]
fn enrolment_needs_the_current_code_and_writes_no_plaintext_secret() {
    let (_dir, paths, key) = setup();
    let enrolment = Enrolment::new("alice");
    let base32 = enrolment.base32().expose().to_owned();
    assert!(
        enrolment
            .uri()
            .expose()
            .starts_with("otpauth://totp/Secure%20Password%20Manager%3Aalice?secret=")
    );
    assert!(
        enrolment
            .uri()
            .expose()
            .contains("&issuer=Secure%20Password%20Manager")
    );
    assert_eq!(enrolment.key_text().expose().replace(' ', ""), base32);

    let stale = enrolment.code_at(NOW - 120);
    let wrong = match enrolment.complete(&paths, &key, &stale, NOW) {
        Err(e) => e,
        Ok(_) => panic!("a stale code enrolled"),
    };
    assert!(matches!(wrong, TwoFactorError::EnrolmentCodeWrong));
    assert!(!is_enabled(&paths));

    let (secret, codes) = enrolled(&paths, &key);
    assert_eq!(codes.len(), RECOVERY_CODES);
    let file = std::fs::read_to_string(paths.totp_config()).unwrap();
    let base32 = crate::core::exchange::totp::base32(&secret);
    assert!(!file.contains(&base32), "the secret is stored sealed");
    assert!(!file.to_lowercase().contains(&base32.to_lowercase()));
    for c in &codes {
        assert!(
            !file.contains(c.expose()),
            "recovery codes are stored as HMACs"
        );
        assert!(!file.contains(&c.expose().replace('-', "")));
    }
    let status = status(&paths).unwrap().unwrap();
    assert_eq!(
        (status.account.as_str(), status.recovery_left, status.digits),
        ("alice", 10, 6)
    );
    // A second enrolment is refused until the first is removed.
    let again = Enrolment::new("alice");
    let code = again.code_at(NOW);
    assert!(matches!(
        again.complete(&paths, &key, &code, NOW),
        Err(TwoFactorError::AlreadyEnabled)
    ));
}

#[test]
fn a_code_works_once_and_within_one_step_of_the_clock() {
    let (_dir, paths, key) = setup();
    let (secret, _) = enrolled(&paths, &key);
    // The enrolment used the current step; the next step's code works.
    let later = NOW + 30;
    assert_eq!(
        verify(&paths, &key, &code(&secret, later), later).unwrap(),
        Accepted::Code
    );
    assert!(matches!(
        verify(&paths, &key, &code(&secret, later), later),
        Err(Refused::Replayed)
    ));
    // One step ahead of this clock (the phone runs fast) is accepted ...
    let now = NOW + 300;
    assert!(verify(&paths, &key, &code(&secret, now + 30), now).is_ok());
    // ... but then the current step is older than the last one used.
    assert!(matches!(
        verify(&paths, &key, &code(&secret, now), now),
        Err(Refused::Replayed)
    ));
    // Two steps off either way is refused.
    let now = NOW + 900;
    assert!(matches!(
        verify(&paths, &key, &code(&secret, now - 60), now),
        Err(Refused::Wrong)
    ));
    assert!(matches!(
        verify(&paths, &key, &code(&secret, now + 60), now),
        Err(Refused::Wrong)
    ));
    // One step behind is fine, spaces and all.
    let typed = code(&secret, now - 30).expose().to_owned();
    let spaced = SecretString::new(format!(" {} {} ", &typed[..3], &typed[3..]));
    assert!(verify(&paths, &key, &spaced, now).is_ok());
}

#[test]
fn recovery_codes_work_once_each_in_any_case_and_grouping() {
    let (_dir, paths, key) = setup();
    let (_, codes) = enrolled(&paths, &key);
    let first = SecretString::new(codes[0].expose().to_uppercase().replace('-', " "));
    assert_eq!(
        verify(&paths, &key, &first, NOW).unwrap(),
        Accepted::Recovery { left: 9 }
    );
    assert!(matches!(
        verify(&paths, &key, &codes[0], NOW),
        Err(Refused::Wrong)
    ));
    assert_eq!(
        verify(&paths, &key, &codes[1], NOW).unwrap(),
        Accepted::Recovery { left: 8 }
    );
    assert_eq!(status(&paths).unwrap().unwrap().recovery_left, 8);
    let made_up = SecretString::new("abcd-efgh-jkmn".to_owned());
    assert!(matches!(
        verify(&paths, &key, &made_up, NOW),
        Err(Refused::Wrong)
    ));
}

#[test]
fn another_passwords_key_cannot_open_the_secret() {
    let (_dir, paths, key) = setup();
    let (secret, _) = enrolled(&paths, &key);
    let other = file_key(&Key256::from_bytes([8; 32]));
    let answer = verify(&paths, &other, &code(&secret, NOW + 30), NOW + 30);
    assert!(
        matches!(answer, Err(Refused::Failed(TwoFactorError::Corrupt { .. }))),
        "{answer:?}"
    );
}

#[test]
fn a_damaged_file_is_named_and_removal_turns_it_off() {
    let (_dir, paths, key) = setup();
    enrolled(&paths, &key);
    std::fs::write(paths.totp_config(), b"{not json").unwrap();
    let error = status(&paths).unwrap_err().to_string();
    assert!(error.contains("totp_config.json"), "{error}");
    assert!(error.contains("restore it from a backup"), "{error}");
    remove(&paths).unwrap();
    assert!(!is_enabled(&paths));
    assert!(matches!(remove(&paths), Err(TwoFactorError::NotEnabled)));
}

#[test]
fn recovery_codes_are_twelve_unambiguous_characters_in_groups_of_four() {
    let code = new_recovery_code();
    let text = code.expose();
    assert_eq!(text.len(), 14);
    assert_eq!(text.matches('-').count(), 2);
    assert!(
        text.bytes()
            .filter(|&b| b != b'-')
            .all(|b| RECOVERY_ALPHABET.contains(&b))
    );
    assert_ne!(new_recovery_code().expose(), text);
}
