//! The offline Pwned Passwords file: lookups at every position, line
//! endings, and files that must be refused rather than trusted.

use std::io::Write;
use std::path::{Path, PathBuf};

use spm::breach::{BreachChecker, BreachConfig, BreachError, OfflineFile};
use spm::core::audit::breach::{BreachAnswer, BreachSource, Sha1, hex_upper, sha1_of};

use super::{config, quiet};

/// `n` invented hashes, sorted, each with count `index + 1` in file order.
fn sorted_rows(n: usize, tag: &str) -> Vec<(Sha1, u64)> {
    let mut hashes: Vec<Sha1> = (0..n).map(|i| sha1_of(&format!("{tag} {i}"))).collect();
    hashes.sort_unstable();
    hashes.into_iter().zip(1..).collect()
}

/// Writes `rows` as `HASH:COUNT` lines ending in `eol`, the last one too
/// unless `final_newline` is false.
fn write_file(path: &Path, rows: &[(Sha1, u64)], eol: &str, final_newline: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for (i, (hash, count)) in rows.iter().enumerate() {
        let end = if i + 1 < rows.len() || final_newline {
            eol
        } else {
            ""
        };
        write!(out, "{}:{count}{end}", hex_upper(hash)).unwrap();
    }
    out.flush().unwrap();
}

fn file_with(rows: &[(Sha1, u64)], eol: &str, final_newline: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pwned-passwords-sha1-ordered-by-hash.txt");
    write_file(&path, rows, eol, final_newline);
    (dir, path)
}

/// Checks every listed hash and a few unlisted ones, below, between and
/// above the listed ones.
fn assert_answers(file: &OfflineFile, rows: &[(Sha1, u64)]) {
    for (hash, count) in rows {
        assert_eq!(
            file.lookup(hash).unwrap(),
            Some(*count),
            "{}",
            hex_upper(hash)
        );
    }
    for unlisted in [
        [0u8; 20],
        [0xFF; 20],
        sha1_of("unlisted 1"),
        sha1_of("unlisted 2"),
    ] {
        assert_eq!(file.lookup(&unlisted).unwrap(), None);
    }
}

#[test]
fn listed_hashes_give_their_count_and_others_none_at_every_position() {
    let rows = sorted_rows(300, "small");
    for (eol, final_newline) in [("\n", true), ("\r\n", true), ("\n", false), ("\r\n", false)] {
        let (_dir, path) = file_with(&rows, eol, final_newline);
        let file = OfflineFile::open(&path).unwrap();
        assert_answers(&file, &rows);
        // First and last lines explicitly.
        assert_eq!(file.lookup(&rows[0].0).unwrap(), Some(1));
        assert_eq!(file.lookup(&rows[299].0).unwrap(), Some(300));
    }
}

#[test]
fn one_line_files_work_with_and_without_newline() {
    let rows = [(sha1_of("Password"), 123)];
    for final_newline in [true, false] {
        let (_dir, path) = file_with(&rows, "\r\n", final_newline);
        let file = OfflineFile::open(&path).unwrap();
        assert_answers(&file, &rows);
    }
}

#[test]
fn a_large_file_is_searched_without_reading_it_whole() {
    // 2.2 MB: past the size where `open` checks every line, so sampling
    // and the search's own checks are what run.
    let rows = sorted_rows(50_000, "large");
    let (_dir, path) = file_with(&rows, "\r\n", false);
    let file = OfflineFile::open(&path).unwrap();
    for (hash, count) in rows.iter().step_by(97).chain([&rows[0], &rows[49_999]]) {
        assert_eq!(file.lookup(hash).unwrap(), Some(*count));
    }
    assert_eq!(file.lookup(&sha1_of("absent")).unwrap(), None);
}

#[test]
fn an_unsorted_file_is_refused_not_searched() {
    let mut rows = sorted_rows(40, "order");
    rows.swap(10, 30);
    let (_dir, path) = file_with(&rows, "\n", true);
    assert!(matches!(
        OfflineFile::open(&path),
        Err(BreachError::OfflineNotSorted { .. })
    ));

    // Through the checker, every answer is unknown, with the reason.
    let cfg = BreachConfig {
        offline_file: Some(path),
        ..config("http://127.0.0.1:9/range/", Path::new("/nonexistent"))
    };
    let answers = BreachChecker::new(cfg).lookup(&[rows[0].0, sha1_of("x")], &quiet);
    for answer in answers {
        assert!(matches!(answer, BreachAnswer::Unknown(r) if r.contains("not sorted by hash")));
    }
}

#[test]
fn a_large_file_out_of_order_is_caught_by_sampling() {
    // The second half placed before the first: sorted within each half.
    let rows = sorted_rows(50_000, "rotated");
    let rotated: Vec<_> = rows[25_000..]
        .iter()
        .chain(&rows[..25_000])
        .copied()
        .collect();
    let (_dir, path) = file_with(&rotated, "\n", true);
    assert!(matches!(
        OfflineFile::open(&path),
        Err(BreachError::OfflineNotSorted { .. })
    ));
}

#[test]
fn lines_that_are_not_hash_count_are_refused() {
    let good = format!("{}:5\n", hex_upper(&sha1_of("a")));
    let cases = [
        format!("{good}this is not a hash\n"),
        format!("{good}{}\n", hex_upper(&sha1_of("b")).replace(':', "")),
        format!("{good}{}:0\n", "F".repeat(40)),
        format!("{good}{}:12x\n", "F".repeat(40)),
        format!("{good}{}:{}\n", "F".repeat(40), "9".repeat(80)),
        format!("{good}\n{}:1\n", "F".repeat(40)),
    ];
    for text in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.txt");
        std::fs::write(&path, &text).unwrap();
        match OfflineFile::open(&path) {
            Err(BreachError::OfflineMalformed { offset, .. }) => assert_eq!(offset, 43, "{text}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn ntlm_empty_missing_and_directory_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ntlm = dir.path().join("ntlm.txt");
    std::fs::write(&ntlm, format!("{}:3\r\n", "A".repeat(32))).unwrap();
    assert!(matches!(
        OfflineFile::open(&ntlm),
        Err(BreachError::OfflineNtlm { .. })
    ));

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let error = OfflineFile::open(&empty).unwrap_err();
    assert!(matches!(error, BreachError::OfflineEmpty { .. }));
    assert!(error.to_string().contains("empty.txt is empty"));

    let missing = OfflineFile::open(&dir.path().join("missing.txt")).unwrap_err();
    assert!(matches!(missing, BreachError::OfflineIo { .. }));
    assert!(matches!(
        OfflineFile::open(dir.path()),
        Err(BreachError::OfflineNotAFile { .. })
    ));
}

#[test]
fn keepassxc_sample_is_refused_as_unsorted_and_found_once_sorted() {
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/keepassxc/hibp.txt");
    if !sample.parent().unwrap().parent().unwrap().exists() {
        println!("skipped: ../shared/fixtures not found");
        return;
    }
    assert!(matches!(
        OfflineFile::open(&sample),
        Err(BreachError::OfflineNotSorted { .. })
    ));

    // Sorted in a temporary directory, it answers for SHA-1("Password").
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.sort_unstable();
    let dir = tempfile::tempdir().unwrap();
    let sorted = dir.path().join("hibp-sorted.txt");
    std::fs::write(&sorted, lines.join("\r\n")).unwrap();
    let file = OfflineFile::open(&sorted).unwrap();
    assert_eq!(file.lookup(&sha1_of("Password")).unwrap(), Some(123));
    assert_eq!(file.lookup(&sha1_of("password")).unwrap(), None);
}
