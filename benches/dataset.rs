//! Entries for benchmarks and size checks.
//!
//! With `SPM_BENCH_DATASET_DIR` set to a folder holding `entries_N.csv`
//! (the shared benchmark generator's output: title, username, password, url,
//! notes, category) the real dataset is used. Otherwise a deterministic
//! synthetic set of the same shape is generated here.

#![allow(dead_code)]

use spm::core::entries::Entry;

/// The title of the one entry a "needle" search must find.
pub const NEEDLE_TITLE: &str = "Needle Unique Vault";

/// `n` entries, from the dataset folder when it has them.
pub fn entries(n: usize) -> Vec<Entry> {
    if let Some(dir) = std::env::var_os("SPM_BENCH_DATASET_DIR") {
        let path = std::path::Path::new(&dir).join(format!("entries_{n}.csv"));
        if path.exists() {
            return from_csv(&path);
        }
        eprintln!("{} is missing; using synthetic entries", path.display());
    }
    synthetic(n)
}

/// Reads the benchmark CSV.
pub fn from_csv(path: &std::path::Path) -> Vec<Entry> {
    let mut reader = csv::Reader::from_path(path).expect("dataset CSV");
    reader
        .records()
        .map(|r| {
            let r = r.expect("dataset row");
            let url = r.get(3).unwrap_or("");
            Entry {
                title: r.get(0).unwrap_or("").into(),
                username: r.get(1).unwrap_or("").into(),
                password: r.get(2).unwrap_or("").into(),
                urls: if url.is_empty() {
                    vec![]
                } else {
                    vec![url.into()]
                },
                notes: r.get(4).unwrap_or("").into(),
                category: r.get(5).unwrap_or("").into(),
                ..Default::default()
            }
        })
        .collect()
}

/// A deterministic set shaped like the shared dataset.
pub fn synthetic(n: usize) -> Vec<Entry> {
    const SYL: &[&str] = &[
        "ka", "zen", "tor", "vi", "lo", "mar", "qu", "ex", "ra", "bel", "dor",
    ];
    const KINDS: &[&str] = &[
        "Mail", "Bank", "Store", "VPN", "Wiki", "Git", "Music", "Hotel",
    ];
    const CATS: &[&str] = &[
        "Email",
        "Banking",
        "Social",
        "Shopping",
        "Work",
        "Development",
    ];
    const WORDS: &[&str] = &[
        "backup", "codes", "stored", "offline", "recovery", "rotate", "pin",
    ];
    const FIRST: &[&str] = &[
        "alex", "maria", "john", "li", "fatima", "olga", "pedro", "yuki",
    ];
    const CHARS: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-=?@";
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    (0..n)
        .map(|i| {
            let svc: String = (0..2 + next(2)).map(|_| SYL[next(SYL.len())]).collect();
            let title = if i == n / 2 {
                NEEDLE_TITLE.to_owned()
            } else {
                format!("{svc} {} {i:06}", KINDS[next(KINDS.len())])
            };
            let password: String = (0..14 + next(11))
                .map(|_| CHARS[next(CHARS.len())] as char)
                .collect();
            let notes = if next(10) < 6 {
                String::new()
            } else {
                let words: Vec<&str> = (0..3 + next(9)).map(|_| WORDS[next(WORDS.len())]).collect();
                words.join(" ")
            };
            Entry {
                title: title.into(),
                username: format!("{}.{}@example.com", FIRST[next(FIRST.len())], svc).into(),
                password: password.into(),
                urls: vec![format!("https://www.{svc}.example/login").into()],
                notes: notes.into(),
                category: CATS[next(CATS.len())].into(),
                ..Default::default()
            }
        })
        .collect()
}

/// The same entries as CSV (title, username, password, url, notes, category).
pub fn csv_bytes(entries: &[Entry]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["title", "username", "password", "url", "notes", "category"])
        .unwrap();
    for e in entries {
        writer
            .write_record([
                e.title.expose(),
                e.username.expose(),
                e.password.expose(),
                e.primary_url().map_or("", |u| u.expose()),
                e.notes.expose(),
                e.category.expose(),
            ])
            .unwrap();
    }
    writer.into_inner().unwrap()
}
