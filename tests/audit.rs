//! The security audit over a vault whose expected findings are known: every
//! rule, exclusions, the score, snapshots for the trend, and breach answers
//! from a stand-in source (never "not breached" when the check failed).

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use spm::core::audit::breach::{BreachAnswer, BreachSource, Sha1, sha1_of};
use spm::core::audit::{Rule, score};
use spm::core::entries::Entry;
use spm::core::exchange::{Format, ImportedEntry, Parsed};
use spm::core::keys::KeyMode;
use spm::core::paths::Paths;
use spm::core::time::now_unix;
use spm::core::vault::{DuplicatePolicy, Vault};
use uuid::Uuid;

const STRONG: &str = "vq7#Lr2!xPz9@Kt4mW-e5";

/// Answers from a table; hashes it does not know are "unknown".
struct Table(HashMap<Sha1, BreachAnswer>);

impl BreachSource for Table {
    fn lookup(
        &self,
        hashes: &[Sha1],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Vec<BreachAnswer> {
        progress(hashes.len(), hashes.len());
        hashes
            .iter()
            .map(|h| {
                self.0
                    .get(h)
                    .cloned()
                    .unwrap_or(BreachAnswer::Unknown("the mirror timed out".into()))
            })
            .collect()
    }
}

fn entry(title: &str, user: &str, password: &str, url: &str) -> Entry {
    Entry {
        title: title.into(),
        username: user.into(),
        password: password.into(),
        urls: if url.is_empty() {
            vec![]
        } else {
            vec![url.into()]
        },
        ..Default::default()
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vault,
    ids: HashMap<&'static str, Uuid>,
}

/// A vault with one entry per rule, plus clean ones.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let options = common::fast_options(KeyMode::FileKey);
    let mut vault =
        Vault::create(&Paths::portable(dir.path()), &"m".into(), &options, None).unwrap();
    let now = now_unix();
    let mut expired = entry(
        "Expired",
        "e",
        "Quiet-Harbor-Lantern-71",
        "https://e.example",
    );
    expired.expires_at = Some(now - 86_400);
    let mut expiring = entry(
        "Expiring",
        "x",
        "Velvet-Comet-Orchard-32",
        "https://x.example",
    );
    expiring.expires_at = Some(now + 10 * 86_400);
    let mut later = entry(
        "Later",
        "l",
        "Granite-Meadow-Falcon-88",
        "https://l.example",
    );
    later.expires_at = Some(now + 90 * 86_400);
    let list = [
        (
            "clean",
            entry("Clean", "c", STRONG, "https://clean.example"),
        ),
        (
            "weak",
            entry("Weak", "w", "password1", "https://weak.example"),
        ),
        (
            "short",
            entry("Short", "s", "Xy7!q", "https://short.example"),
        ),
        (
            "reuse_a",
            entry(
                "Reuse A",
                "ra",
                "Shared-Secret-Phrase-Nine-9",
                "https://ra.example",
            ),
        ),
        (
            "reuse_b",
            entry(
                "Reuse B",
                "rb",
                "Shared-Secret-Phrase-Nine-9",
                "https://rb.example",
            ),
        ),
        (
            "dup_a",
            entry(
                "Dup A",
                "Same@x",
                "Dup-One-Unique-Pass-1!",
                "https://login.dup.example/a",
            ),
        ),
        (
            "dup_b",
            entry(
                "Dup B",
                "same@x",
                "Dup-Two-Unique-Pass-2!",
                "https://LOGIN.dup.example/b",
            ),
        ),
        (
            "insecure",
            entry(
                "Insecure",
                "i",
                "Insecure-But-Strong-Pass-7",
                "http://router.example",
            ),
        ),
        (
            "breached",
            entry(
                "Breached",
                "b",
                "Breached-Looking-Strong-44",
                "https://b.example",
            ),
        ),
        (
            "unknown",
            entry(
                "Unknown",
                "u",
                "Unknown-Status-Strong-55",
                "https://u.example",
            ),
        ),
        ("expired", expired),
        ("expiring", expiring),
        ("later", later),
        ("note", entry("Note", "", "", "")),
    ];
    let mut ids = HashMap::new();
    let (names, entries): (Vec<_>, Vec<_>) = list.into_iter().unzip();
    for (name, uuid) in names.into_iter().zip(vault.add_many(entries).unwrap()) {
        ids.insert(name, uuid);
    }
    Fixture {
        _dir: dir,
        vault,
        ids,
    }
}

/// Breach answers: one found, one unknown, the rest not found.
fn breach_table(f: &Fixture) -> Table {
    let mut table = HashMap::new();
    for e in f.vault.entries() {
        table.insert(sha1_of(e.password.expose()), BreachAnswer::NotFound);
    }
    table.insert(
        sha1_of("Breached-Looking-Strong-44"),
        BreachAnswer::Found(1234),
    );
    table.remove(&sha1_of("Unknown-Status-Strong-55"));
    Table(table)
}

fn findings_by_rule(report: &spm::core::audit::AuditReport) -> HashMap<Rule, Vec<Uuid>> {
    let mut by: HashMap<Rule, Vec<Uuid>> = HashMap::new();
    for f in &report.findings {
        by.entry(f.rule).or_default().push(f.entry);
    }
    for list in by.values_mut() {
        list.sort();
    }
    by
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

#[test]
fn every_rule_finds_exactly_its_entries() {
    let f = fixture();
    let table = breach_table(&f);
    let report = f.vault.audit(Some(&table), 365, &|_, _| {}).unwrap();
    let by = findings_by_rule(&report);
    let id = |n: &str| f.ids[n];
    assert_eq!(by[&Rule::Weak], sorted(vec![id("weak"), id("short")]));
    assert_eq!(
        by[&Rule::Reused],
        sorted(vec![id("reuse_a"), id("reuse_b")])
    );
    assert_eq!(by[&Rule::Duplicate], sorted(vec![id("dup_a"), id("dup_b")]));
    assert_eq!(by[&Rule::Expired], vec![id("expired")]);
    assert_eq!(by[&Rule::Expiring], vec![id("expiring")]);
    assert_eq!(by[&Rule::InsecureUrl], vec![id("insecure")]);
    assert_eq!(by[&Rule::Breached], vec![id("breached")]);
    assert_eq!(
        by[&Rule::BreachUnknown],
        vec![id("unknown")],
        "a failed check is not safe"
    );
    assert!(!by.contains_key(&Rule::Old), "nothing is a year old");
    let breached = report
        .findings
        .iter()
        .find(|x| x.rule == Rule::Breached)
        .unwrap();
    assert_eq!(breached.detail, "seen 1234 times");

    // The counts and the score agree with the formula.
    let c = &report.counts;
    assert_eq!(c.entries, 14);
    assert_eq!(
        (c.weak, c.reused, c.duplicate, c.expired, c.breached),
        (2, 2, 2, 1, 1)
    );
    assert_eq!(c.breach_unknown, 1);
    assert_eq!(report.score, score(c));
    assert_eq!(
        report.score, 88,
        "100 - (60 + 60 + 20 + 15 + 15) / 14 = 87.86"
    );
}

#[test]
fn exclusions_leave_findings_out_and_are_counted() {
    let mut f = fixture();
    let short = f.ids["short"];
    f.vault
        .set_audit_exclusion(short, Rule::Weak, true)
        .unwrap();
    let report = f.vault.audit(None, 365, &|_, _| {}).unwrap();
    assert_eq!(report.counts.weak, 1);
    assert_eq!(report.counts.excluded, 1);
    assert!(!report.findings.iter().any(|x| x.entry == short));
    assert!(!report.breach_checked);
    assert!(!report.findings.iter().any(|x| x.rule == Rule::Breached));

    f.vault
        .set_audit_exclusion(short, Rule::Weak, false)
        .unwrap();
    let again = f.vault.audit(None, 365, &|_, _| {}).unwrap();
    assert_eq!(again.counts.weak, 2);
    assert_eq!(again.counts.excluded, 0);
}

#[test]
fn old_passwords_are_found_by_their_last_change() {
    let dir = tempfile::tempdir().unwrap();
    let options = common::fast_options(KeyMode::FileKey);
    let mut vault =
        Vault::create(&Paths::portable(dir.path()), &"m".into(), &options, None).unwrap();
    let two_years_ago = now_unix() - 2 * 365 * 86_400;
    let mut parsed = Parsed::new(Format::Json);
    for (title, password) in [("Ancient", STRONG), ("Rotated", "Another-Strong-Pass-8!")] {
        let mut e = entry(title, "a", password, "https://old.example");
        e.created_at = two_years_ago;
        e.updated_at = two_years_ago;
        parsed.entries.push(ImportedEntry {
            entry: e,
            history: vec![],
            location: title.into(),
        });
    }
    let plan = vault.plan_import(parsed, DuplicatePolicy::KeepBoth);
    vault.apply_import(plan).unwrap();
    let rotated = vault
        .entries()
        .iter()
        .find(|e| e.title.expose() == "Rotated")
        .unwrap()
        .uuid;
    vault
        .update(
            rotated,
            spm::core::entries::EntryPatch {
                password: Some("Fresh-Strong-Pass-2026!".into()),
                ..Default::default()
            },
            spm::core::entries::RotationReason::Expiry,
            spm::core::entries::Actor::User,
        )
        .unwrap();
    let report = vault.audit(None, 365, &|_, _| {}).unwrap();
    let old: Vec<&str> = report
        .findings
        .iter()
        .filter(|x| x.rule == Rule::Old)
        .map(|x| vault.get(x.entry).unwrap().title.expose())
        .collect();
    assert_eq!(old, ["Ancient"]);
}

#[test]
fn snapshots_make_a_trend() {
    let mut f = fixture();
    let first = f.vault.audit(None, 365, &|_, _| {}).unwrap();
    f.vault.record_audit(&first).unwrap();
    // Snapshots are ordered by their time, in seconds.
    std::thread::sleep(Duration::from_millis(1100));
    let weak = f.ids["weak"];
    f.vault
        .update(
            weak,
            spm::core::entries::EntryPatch {
                password: Some(format!("{STRONG}x").into()),
                ..Default::default()
            },
            spm::core::entries::RotationReason::Strength,
            spm::core::entries::Actor::User,
        )
        .unwrap();
    let second = f.vault.audit(None, 365, &|_, _| {}).unwrap();
    f.vault.record_audit(&second).unwrap();
    let trend = f.vault.audit_trend().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0].score, first.score);
    assert_eq!(trend[1].counts.weak, first.counts.weak - 1);
    assert!(trend[1].score >= trend[0].score);
}

#[test]
fn an_empty_vault_scores_100() {
    let dir = tempfile::tempdir().unwrap();
    let options = common::fast_options(KeyMode::FileKey);
    let vault = Vault::create(&Paths::portable(dir.path()), &"m".into(), &options, None).unwrap();
    let report = vault.audit(None, 365, &|_, _| {}).unwrap();
    assert_eq!(report.score, 100);
    assert!(!report.has_findings());
}

#[test]
fn long_and_non_ascii_passwords_are_scored_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let options = common::fast_options(KeyMode::FileKey);
    let mut vault =
        Vault::create(&Paths::portable(dir.path()), &"m".into(), &options, None).unwrap();
    // 10,000 characters without a pattern zxcvbn would recognise.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let long: String = (0..10_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'!' + (state % 94) as u8)
        })
        .collect();
    let mixed = "密码🔑Пароль-كلمة-σύνθημα-".repeat(40);
    vault
        .add_many(vec![
            entry("Long", "a", &long, "https://a.example"),
            entry("Mixed", "b", &mixed, "https://b.example"),
            entry("Tiny", "c", "é", "https://c.example"),
        ])
        .unwrap();
    let started = Instant::now();
    let report = vault.audit(None, 365, &|_, _| {}).unwrap();
    // Generous: this guards against quadratic blow-ups, not against a slow machine.
    assert!(started.elapsed() < Duration::from_secs(30));
    let weak: Vec<&str> = report
        .findings
        .iter()
        .filter(|x| x.rule == Rule::Weak)
        .map(|x| vault.get(x.entry).unwrap().title.expose())
        .collect();
    assert_eq!(weak, ["Tiny"]);
}

#[test]
fn a_rotated_password_is_rechecked_at_once() {
    let mut f = fixture();
    let table = breach_table(&f);
    let before = f.vault.audit(Some(&table), 365, &|_, _| {}).unwrap();
    let weak = f.ids["weak"];
    let reuse_a = f.ids["reuse_a"];
    for (uuid, password) in [
        (weak, "Brand-New-Strong-Pass-31!"),
        (reuse_a, "Another-Fresh-One-77?"),
    ] {
        f.vault
            .update(
                uuid,
                spm::core::entries::EntryPatch {
                    password: Some(password.into()),
                    ..Default::default()
                },
                spm::core::entries::RotationReason::Strength,
                spm::core::entries::Actor::User,
            )
            .unwrap();
    }
    let after = f.vault.recheck_audit(&before, weak, 365).unwrap();
    let after = f.vault.recheck_audit(&after, reuse_a, 365).unwrap();
    let by = findings_by_rule(&after);
    assert_eq!(by[&Rule::Weak], vec![f.ids["short"]]);
    assert!(
        !by.contains_key(&Rule::Reused),
        "reuse is gone with one side changed"
    );
    assert_eq!(after.counts.weak, 1);
    // Not checked yet: unknown, never "not breached".
    assert!(by[&Rule::BreachUnknown].contains(&weak));
    assert_eq!(
        by[&Rule::Breached],
        vec![f.ids["breached"]],
        "kept from the run"
    );
    assert!(after.score > before.score);
}
