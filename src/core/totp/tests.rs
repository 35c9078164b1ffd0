//! Codes checked against numbers computed outside this code: RFC 6238's
//! Appendix B, and a one-off script over Python's `hmac` and `hashlib` for
//! the stored-value table.

use super::*;

/// The moment every row of the stored-value table is computed at.
const AT: u64 = 1_700_000_000;

/// `12345678901234567890` (RFC 6238's SHA-1 seed) in base32.
const SEED20: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn code(stored: &str, at: u64) -> String {
    let totp = Totp::parse(stored).unwrap_or_else(|e| panic!("{stored}: {e}"));
    totp.code_at(at).expose().to_owned()
}

#[test]
fn rfc_6238_appendix_b_vectors() {
    // The RFC's seeds: its ASCII digits repeated to 20, 32 and 64 bytes.
    let ascii = b"12345678901234567890".repeat(4);
    let seeds = [
        (
            Algorithm::Sha1,
            crate::core::exchange::totp::base32(&ascii[..20]),
        ),
        (
            Algorithm::Sha256,
            crate::core::exchange::totp::base32(&ascii[..32]),
        ),
        (
            Algorithm::Sha512,
            crate::core::exchange::totp::base32(&ascii[..64]),
        ),
    ];
    // (time, SHA-1, SHA-256, SHA-512), as published.
    let vectors: [(u64, [&str; 3]); 6] = [
        (59, ["94287082", "46119246", "90693936"]),
        (1_111_111_109, ["07081804", "68084774", "25091201"]),
        (1_111_111_111, ["14050471", "67062674", "99943326"]),
        (1_234_567_890, ["89005924", "91819424", "93441116"]),
        (2_000_000_000, ["69279037", "90698825", "38618901"]),
        (20_000_000_000, ["65353130", "77737706", "47863826"]),
    ];
    for (column, (algorithm, seed)) in seeds.iter().enumerate() {
        let uri = format!(
            "otpauth://totp/RFC?secret={seed}&digits=8&algorithm={}",
            algorithm.name()
        );
        let totp = Totp::parse(&uri).unwrap();
        assert_eq!(totp.algorithm(), *algorithm);
        for (time, expected) in vectors {
            assert_eq!(
                totp.code_at(time).expose(),
                expected[column],
                "{} at {time}",
                algorithm.name()
            );
        }
    }
}

#[test]
fn stored_values_give_the_expected_codes() {
    // (what, stored value, code at AT)
    let table: &[(&str, &str, &str)] = &[
        (
            "plain URI",
            "otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME",
            "921300",
        ),
        (
            "lower-case secret",
            "otpauth://totp/a?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "921300",
        ),
        (
            "secret grouped with encoded spaces",
            "otpauth://totp/a?secret=GEZD%20GNBV%20GY3T%20QOJQ%20GEZD%20GNBV%20GY3T%20QOJQ",
            "921300",
        ),
        (
            "secret grouped with dashes",
            "otpauth://totp/a?secret=gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
            "921300",
        ),
        (
            "16-byte secret padded with =",
            "otpauth://totp/a?secret=GAYTEMZUGU3DOOBZMFRGGZDFMY======",
            "846452",
        ),
        (
            "16-byte secret padded with %3D",
            "otpauth://totp/a?secret=GAYTEMZUGU3DOOBZMFRGGZDFMY%3D%3D%3D%3D%3D%3D",
            "846452",
        ),
        (
            "16-byte secret unpadded",
            "otpauth://totp/a?secret=GAYTEMZUGU3DOOBZMFRGGZDFMY",
            "846452",
        ),
        (
            "80-bit secret",
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP",
            "324550",
        ),
        (
            "algorithm in lower case is SHA-256, not SHA-1",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=sha256",
            "869966",
        ),
        (
            "SHA512",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA512",
            "550644",
        ),
        (
            "Sha1 in mixed case",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=Sha1",
            "921300",
        ),
        (
            "7 digits",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=7",
            "1921300",
        ),
        (
            "8 digits, 60 seconds",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&period=60",
            "15895298",
        ),
        (
            "9 digits",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=9",
            "681921300",
        ),
        (
            "10 digits",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=10",
            "1681921300",
        ),
        (
            "period of 1 second",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=1",
            "038164",
        ),
        (
            "period of 24 hours",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=86400",
            "523690",
        ),
        (
            "unknown parameters ignored",
            "otpauth://totp/a?image=https%3A%2F%2Fx.test%2Fa.png&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&color=red&lock=",
            "921300",
        ),
        (
            "label separator %3A",
            "otpauth://totp/ACME%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "921300",
        ),
        (
            "label separator %3a and a different issuer parameter",
            "otpauth://totp/Old%3aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=New",
            "921300",
        ),
        (
            "UTF-8 issuer",
            "otpauth://totp/Caf%C3%A9:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Caf%C3%A9",
            "921300",
        ),
        (
            "upper-case scheme and type",
            "OTPAUTH://TOTP/a?SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "921300",
        ),
        (
            "Steam, steam://",
            "steam://GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "R87JJ",
        ),
        (
            "Steam, encoder=steam",
            "otpauth://totp/Steam:gabe?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Steam&encoder=steam",
            "R87JJ",
        ),
        (
            "Steam, the importer's URI (digits=5 beside the encoder)",
            "otpauth://totp/Steam?secret=JBSWY3DPEHPK3PXP&digits=5&encoder=steam",
            "2KM2P",
        ),
        (
            "bare base32 secret",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "921300",
        ),
        (
            "bare secret, grouped, lower case",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
            "921300",
        ),
    ];
    for (what, stored, expected) in table {
        assert_eq!(code(stored, AT), *expected, "{what}");
    }
}

#[test]
fn ten_digit_codes_across_period_boundaries() {
    let uri = format!("otpauth://totp/a?secret={SEED20}&digits=10");
    let expected = [
        (0, "1284755224"),
        (29, "1284755224"),
        (30, "1094287082"),
        (59, "1094287082"),
        (86_399, "1428890500"),
        (86_400, "2037722317"),
    ];
    for (at, code_then) in expected {
        assert_eq!(code(&uri, at), code_then, "at {at}");
    }
}

#[test]
fn values_that_cannot_give_a_correct_code_are_errors() {
    let digits = |given: &str| TotpError::Digits {
        given: given.to_owned(),
    };
    let period = |given: &str| TotpError::Period {
        given: given.to_owned(),
    };
    let table: Vec<(&str, String, TotpError)> = vec![
        (
            "digits=0",
            format!("otpauth://totp/a?secret={SEED20}&digits=0"),
            digits("0"),
        ),
        (
            "digits=11",
            format!("otpauth://totp/a?secret={SEED20}&digits=11"),
            digits("11"),
        ),
        (
            "digits=5 without Steam",
            format!("otpauth://totp/a?secret={SEED20}&digits=5"),
            digits("5"),
        ),
        (
            "digits=six",
            format!("otpauth://totp/a?secret={SEED20}&digits=six"),
            digits("not a whole number"),
        ),
        (
            "period=0",
            format!("otpauth://totp/a?secret={SEED20}&period=0"),
            period("0"),
        ),
        (
            "period=86401",
            format!("otpauth://totp/a?secret={SEED20}&period=86401"),
            period("86401"),
        ),
        (
            "period=-30",
            format!("otpauth://totp/a?secret={SEED20}&period=-30"),
            period("not a whole number"),
        ),
        (
            "MD5",
            format!("otpauth://totp/a?secret={SEED20}&algorithm=MD5"),
            TotpError::UnknownAlgorithm,
        ),
        (
            "HOTP",
            format!("otpauth://hotp/a?secret={SEED20}&counter=1"),
            TotpError::NotTimeBased,
        ),
        (
            "no secret",
            "otpauth://totp/a?issuer=x".to_owned(),
            TotpError::NoSecret,
        ),
        (
            "empty secret",
            "otpauth://totp/a?secret=".to_owned(),
            TotpError::NoSecret,
        ),
        ("blank value", "  ".to_owned(), TotpError::Empty),
        (
            "digits 0, 1, 8, 9 are not base32",
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJ0".to_owned(),
            TotpError::InvalidSecret,
        ),
        (
            "punctuation",
            "JBSWY3DP!HPK3PXP".to_owned(),
            TotpError::InvalidSecret,
        ),
        (
            "a length no bytes encode to",
            "JBSWY3DPE".to_owned(),
            TotpError::InvalidSecret,
        ),
        (
            "bad percent escape",
            "otpauth://totp/a?secret=JBSW%ZZ".to_owned(),
            TotpError::InvalidSecret,
        ),
        (
            "Steam with a bad secret",
            "steam://hunter2!".to_owned(),
            TotpError::InvalidSecret,
        ),
    ];
    for (what, stored, expected) in table {
        match Totp::parse(&stored) {
            Ok(_) => panic!("{what}: parsed"),
            Err(error) => assert_eq!(error, expected, "{what}"),
        }
    }
}

#[test]
fn error_messages_are_clear_and_never_quote_the_secret() {
    let error = Totp::parse("otpauth://totp/a?secret=SECRET1SECRET").unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("not a valid TOTP secret"), "{message}");
    assert!(!message.contains("SECRET1SECRET"));
    let error = Totp::parse(&format!("otpauth://totp/a?secret={SEED20}&digits=11")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the TOTP value's digits parameter is 11; codes have 6 to 10 digits"
    );
    let error = Totp::parse(&format!("otpauth://totp/a?secret={SEED20}&period=0")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the TOTP value's period parameter is 0; it must be 1 to 86400 seconds"
    );
}

#[test]
fn labels_and_issuers() {
    // (stored value, issuer, account)
    let table = [
        (
            "otpauth://totp/ACME:alice@x.test?secret=JBSWY3DPEHPK3PXP",
            Some("ACME"),
            Some("alice@x.test"),
        ),
        (
            "otpauth://totp/ACME%3A%20alice?secret=JBSWY3DPEHPK3PXP",
            Some("ACME"),
            Some("alice"),
        ),
        (
            "otpauth://totp/Old%3aalice?secret=JBSWY3DPEHPK3PXP&issuer=New",
            Some("New"),
            Some("alice"),
        ),
        (
            "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Caf%C3%A9",
            Some("Café"),
            Some("alice"),
        ),
        (
            "otpauth://totp/Big%20Bank:bob?secret=JBSWY3DPEHPK3PXP&issuer=Big+Bank",
            Some("Big Bank"),
            Some("bob"),
        ),
        ("otpauth://totp/?secret=JBSWY3DPEHPK3PXP", None, None),
        ("JBSWY3DPEHPK3PXP", None, None),
    ];
    for (stored, issuer, account) in table {
        let totp = Totp::parse(stored).unwrap();
        assert_eq!(totp.issuer(), issuer, "{stored}");
        assert_eq!(totp.account(), account, "{stored}");
    }
}

#[test]
fn short_secrets_work_with_a_warning() {
    let short = Totp::parse("JBSWY3DPEHPK3PXP").unwrap();
    assert_eq!(short.warnings(), [TotpWarning::ShortSecret { bits: 80 }]);
    assert!(short.warnings()[0].to_string().contains("80 bits"));
    assert!(Totp::parse(SEED20).unwrap().warnings().is_empty());
}

#[test]
fn defaults_and_accessors() {
    let bare = Totp::parse(SEED20).unwrap();
    assert_eq!(
        (bare.algorithm(), bare.digits(), bare.period()),
        (Algorithm::Sha1, 6, 30)
    );
    assert_eq!(bare.kind(), Kind::Digits(6));
    let steam = Totp::parse(&format!("steam://{SEED20}")).unwrap();
    assert_eq!(
        (steam.kind(), steam.digits(), steam.period()),
        (Kind::Steam, 5, 30)
    );
}

#[test]
fn seconds_left_counts_down_to_the_next_code() {
    let totp = Totp::parse(SEED20).unwrap();
    assert_eq!(totp.seconds_left(0), 30);
    assert_eq!(totp.seconds_left(1), 29);
    assert_eq!(totp.seconds_left(29), 1);
    assert_eq!(totp.seconds_left(30), 30);
}

#[test]
fn the_importers_steam_uri_round_trips() {
    use crate::core::exchange::totp::normalize;
    let uri = normalize("steam://GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "Steam")
        .unwrap()
        .unwrap();
    let totp = Totp::parse(&uri).unwrap();
    assert_eq!(totp.kind(), Kind::Steam);
    assert_eq!(totp.code_at(AT).expose(), "R87JJ");
}

#[test]
fn debug_shows_no_secret_label_or_code() {
    let totp = Totp::parse("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
    let shown = format!("{totp:?}");
    for hidden in ["JBSWY3DPEHPK3PXP", "alice", "ACME", "324550"] {
        assert!(!shown.contains(hidden), "{shown}");
    }
    assert!(format!("{:?}", totp.code_at(AT)).contains(".."));
}

#[test]
fn codes_are_grouped_for_reading() {
    let table = [
        ("R87JJ", "R87JJ"),
        ("123456", "123 456"),
        ("1234567", "123 4567"),
        ("12345678", "1234 5678"),
        ("123456789", "123 456 789"),
        ("1234567890", "12345 67890"),
    ];
    for (code, shown) in table {
        assert_eq!(grouped(code), shown);
    }
}
