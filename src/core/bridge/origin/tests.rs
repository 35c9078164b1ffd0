use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::core::secret::SecretString;

use MatchKind::{Exact, Subdomain};

fn page(text: &str) -> PageOrigin {
    parse_origin(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

/// (entry URL, page origin, expected match): the module's rules, row by row.
#[rustfmt::skip]
const RULES: &[(&str, &str, Option<MatchKind>)] = &[
    // A site and its subdomains; never the other way round, never a substring.
    ("example.com", "https://example.com", Some(Exact)),
    ("example.com", "https://login.example.com", Some(Subdomain)),
    ("example.com", "https://a.b.example.com", Some(Subdomain)),
    ("login.example.com", "https://login.example.com", Some(Exact)),
    ("login.example.com", "https://example.com", None),
    ("login.example.com", "https://other.example.com", None),
    ("login.example.com", "https://x.login.example.com", Some(Subdomain)),
    ("hub.com", "https://github.com", None),
    ("github.com", "https://hub.com", None),
    ("example.com", "https://example.com.evil.net", None),
    ("example.com", "https://notexample.com", None),
    ("example.com", "https://example.co", None),
    // Public suffixes: an entry for one covers no subdomain.
    ("co.uk", "https://a.co.uk", None),
    ("co.uk", "https://co.uk", Some(Exact)),
    ("com", "https://example.com", None),
    ("github.io", "https://x.github.io", None),
    ("github.io", "https://github.io", Some(Exact)),
    ("a.co.uk", "https://b.co.uk", None),
    ("a.co.uk", "https://www.a.co.uk", Some(Subdomain)),
    ("x.github.io", "https://y.github.io", None),
    ("x.github.io", "https://docs.x.github.io", Some(Subdomain)),
    ("amazonaws.com", "https://bucket.s3.amazonaws.com", None),
    ("localhost", "http://localhost", Some(Exact)),
    ("localhost", "http://app.localhost", None),
    // Ports: named ones must agree; defaults are no port.
    ("https://example.com:8443", "https://example.com:8443", Some(Exact)),
    ("https://example.com:8443", "https://example.com", None),
    ("https://example.com:8443", "https://login.example.com:8443", Some(Subdomain)),
    ("https://example.com", "https://example.com:8443", Some(Exact)),
    ("https://example.com:443", "https://example.com", Some(Exact)),
    ("https://example.com:443/", "https://example.com:443", Some(Exact)),
    ("example.com", "http://example.com:8080", Some(Exact)),
    ("example.com:8080", "http://example.com:8080", Some(Exact)),
    ("example.com:8080", "http://example.com", None),
    ("example.com:80", "http://example.com", Some(Exact)),
    ("example.com:80", "https://example.com", None),
    ("example.com:443", "https://example.com", Some(Exact)),
    ("localhost:3000/app", "http://localhost:3000", Some(Exact)),
    ("localhost:3000/app", "http://localhost:3001", None),
    // IP addresses match only exactly.
    ("http://127.0.0.1", "http://127.0.0.1", Some(Exact)),
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080", Some(Exact)),
    ("http://127.0.0.1", "http://127.0.0.2", None),
    ("0.0.1", "http://1.0.0.1", None),
    ("1.1", "http://1.1.1.1", None),
    ("10.0.0.1", "http://10.0.0.1", Some(Exact)),
    ("http://[::1]:8080/", "http://[::1]:8080", Some(Exact)),
    ("[::1]:8080", "http://[::1]:8080", Some(Exact)),
    ("http://[::1]", "http://[::2]", None),
    ("http://[0:0::1]", "http://[::1]", Some(Exact)),
    ("http://127.0.0.1", "http://[::ffff:127.0.0.1]", None),
    ("example.com", "http://93.184.215.14", None),
    // Unicode and punycode are one host; look-alikes are not.
    ("https://bücher.example", "https://xn--bcher-kva.example", Some(Exact)),
    ("https://xn--bcher-kva.example", "https://bücher.example", Some(Exact)),
    ("bücher.example", "https://www.bücher.example", Some(Subdomain)),
    ("https://BÜCHER.example", "https://bücher.example", Some(Exact)),
    ("paypal.com", "https://p\u{430}ypal.com", None),
    ("p\u{430}ypal.com", "https://paypal.com", None),
    ("p\u{430}ypal.com", "https://p\u{430}ypal.com", Some(Exact)),
    // Schemes.
    ("https://example.com", "http://example.com", None),
    ("http://example.com", "https://example.com", Some(Exact)),
    ("http://example.com", "http://example.com", Some(Exact)),
    ("example.com", "http://example.com", Some(Exact)),
    ("example.com/login", "https://example.com", Some(Exact)),
    ("//example.com/login", "https://example.com", Some(Exact)),
    ("HTTPS://EXAMPLE.COM", "https://example.com", Some(Exact)),
    ("ftp://example.com", "https://example.com", None),
    ("android://hash@com.example.app/", "https://example.com", None),
    ("androidapp://com.example", "https://example.com", None),
    ("javascript:alert(1)", "https://example.com", None),
    ("mailto:me@example.com", "https://example.com", None),
    ("data:text/html,example.com", "https://example.com", None),
    ("file:///etc/example.com", "https://example.com", None),
    ("https:example.com", "https://example.com", None),
    // Paths, queries, user info, dots, case and whitespace are normalised.
    ("https://example.com/login?next=/a#top", "https://example.com", Some(Exact)),
    ("https://user:pw@example.com/", "https://example.com", Some(Exact)),
    ("user@example.com", "https://example.com", Some(Exact)),
    ("https://example.com./", "https://example.com", Some(Exact)),
    ("example.com.", "https://example.com.", Some(Exact)),
    ("  \tHTTPS://Login.Example.COM/x \n", "https://login.example.com", Some(Exact)),
    ("example.com/a?next=https://evil.net", "https://example.com", Some(Exact)),
    ("example.com/a?next=https://evil.net", "https://evil.net", None),
    ("https://evil.net/?u=https://example.com", "https://example.com", None),
    ("https://example.com@evil.net", "https://example.com", None),
    ("https://example.com@evil.net", "https://evil.net", Some(Exact)),
    ("https://ex%61mple.com", "https://example.com", Some(Exact)),
    // Garbage never matches.
    ("", "https://example.com", None),
    ("   ", "https://example.com", None),
    ("example", "https://example.com", None),
    (".com", "https://example.com", None),
    ("example..com", "https://example.com", None),
    ("example.com..", "https://example.com", None),
    ("https://", "https://example.com", None),
    ("https:///example.com", "https://example.com", None),
    ("https://exa mple.com", "https://example.com", None),
    ("exa\nmple.com", "https://example.com", None),
    ("exa\tmple.com", "https://example.com", None),
    ("example.com\u{0}", "https://example.com", None),
    ("https://example.com:99999", "https://example.com", None),
    ("https://example.com:0", "https://example.com", None),
    ("https://*.example.com", "https://a.example.com", None),
    ("*.example.com", "https://example.com", None),
    ("https://[::1", "http://[::1]", None),
    ("user:pw@example.com", "https://example.com", None),
];

#[test]
fn the_rules_table_holds() {
    let mut failures = Vec::new();
    for &(entry, origin, expected) in RULES {
        let got = match_entry_url(entry, &page(origin));
        if got != expected {
            failures.push(format!(
                "{entry:?} on {origin:?}: got {got:?}, want {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn origins_parse_to_a_canonical_form() {
    let cases = [
        (
            "https://login.example.com",
            "https://login.example.com",
            443,
        ),
        (
            "https://login.example.com/",
            "https://login.example.com",
            443,
        ),
        (
            "HTTPS://Login.Example.COM:443",
            "https://login.example.com",
            443,
        ),
        ("http://example.com:80/", "http://example.com", 80),
        ("http://example.com:443", "http://example.com:443", 443),
        ("https://example.com:8443", "https://example.com:8443", 8443),
        ("https://example.com.", "https://example.com", 443),
        (
            "https://bücher.example",
            "https://xn--bcher-kva.example",
            443,
        ),
        ("http://127.0.0.1:43110", "http://127.0.0.1:43110", 43110),
        ("http://[::1]:8080/", "http://[::1]:8080", 8080),
        ("http://[0:0:0:0:0:0:0:1]", "http://[::1]", 80),
        ("  https://example.com \n", "https://example.com", 443),
        ("https://localhost", "https://localhost", 443),
    ];
    for (text, canonical, port) in cases {
        let origin = page(text);
        assert_eq!(origin.as_str(), canonical, "{text:?}");
        assert_eq!(origin.to_string(), canonical);
        assert_eq!(origin.port(), port, "{text:?}");
        assert_eq!(page(canonical), origin, "{text:?} round trip");
    }
    let origin = page("http://[::1]:8080");
    assert_eq!(origin.scheme(), Scheme::Http);
    assert_eq!(origin.host(), &OriginHost::Ipv6(Ipv6Addr::LOCALHOST));
}

#[test]
fn origins_with_more_than_scheme_host_and_port_are_refused() {
    use OriginError::*;
    let long = format!("https://{}.com", "a".repeat(MAX_ORIGIN_LEN));
    let cases: &[(&str, OriginError)] = &[
        ("", Empty),
        (" \t", Empty),
        (&long, TooLong),
        ("https://exa mple.com", SpaceOrControl),
        ("https://example.com\u{7f}", SpaceOrControl),
        ("https://example.com\u{a0}", SpaceOrControl),
        ("ftp://example.com", UnsupportedScheme),
        ("chrome-extension://abcdef", UnsupportedScheme),
        ("example.com", NotAnOrigin),
        ("javascript:alert(1)", NotAnOrigin),
        ("https:example.com", NotAnOrigin),
        ("https://user@example.com", HasUserinfo),
        ("https://user:pw@example.com", HasUserinfo),
        ("https://@example.com", HasUserinfo),
        ("https://example.com/login", HasPath),
        ("https://example.com//", HasPath),
        ("https://example.com/./", HasPath),
        ("https://example.com\\x", HasPath),
        ("https://example.com?x=1", HasQuery),
        ("https://example.com/?", HasQuery),
        ("https://example.com#top", HasFragment),
        ("https://example.com/#", HasFragment),
        ("https://", BadHost),
        ("https:///example.com", BadHost),
        ("https://a..b", BadHost),
        ("https://x*y.com", BadHost),
        ("https://[::1", BadHost),
        ("https://.", BadHost),
        ("https://example.com:", BadPort),
        ("https://example.com:0", BadPort),
        ("https://example.com:65536", BadPort),
        ("https://example.com:-1", BadPort),
        ("https://example.com:x", BadPort),
    ];
    for (text, want) in cases {
        assert_eq!(parse_origin(text), Err(*want), "{text:?}");
    }
    // The message never repeats what the page sent.
    let err = parse_origin("https://secret-marker.example/path").unwrap_err();
    assert!(!err.to_string().contains("secret-marker"));
}

#[test]
fn exact_matches_come_first_and_order_is_otherwise_kept() {
    let items: Vec<Vec<&str>> = vec![
        vec!["example.com"],                            // 0: subdomain
        vec!["https://other.org"],                      // 1: none
        vec!["https://login.example.com/signin"],       // 2: exact
        vec!["login.example.com.evil.net"],             // 3: none
        vec!["example.com", "login.example.com"],       // 4: best URL, exact
        vec!["https://example.com:8443"],               // 5: none (port)
        vec!["sub.login.example.com", "EXAMPLE.COM/x"], // 6: subdomain
        vec![],                                         // 7: no URLs
    ];
    let found = matching(
        &items,
        |urls| urls.iter().copied(),
        &page("https://login.example.com"),
    );
    assert_eq!(
        found,
        vec![(2, Exact), (4, Exact), (0, Subdomain), (6, Subdomain)]
    );
}

#[test]
fn trashed_entries_are_never_offered() {
    let entry = |url: &str, trashed: bool| Entry {
        urls: vec![SecretString::from(url)],
        deleted_at: trashed.then_some(1),
        ..Default::default()
    };
    let entries = vec![
        entry("example.com", false),
        entry("https://example.com", true),
        entry("https://example.com/login", false),
    ];
    let found = matching_entries(&entries, &page("https://example.com"));
    assert_eq!(found, vec![(0, Exact), (2, Exact)]);
}

/// Text built from the pieces URLs are made of, shuffled at random.
fn random_text(rng: &mut StdRng, pieces: &[&str]) -> String {
    let count = rng.gen_range(0..12);
    (0..count)
        .map(|_| pieces[rng.gen_range(0..pieces.len())])
        .collect()
}

#[test]
fn generated_text_never_panics_and_garbage_never_matches() {
    let mut rng = StdRng::seed_from_u64(0x5eed_b41d);
    // No piece holds an `e`, an `x` or a character IDNA or percent-decoding
    // turns into one, so no text can name example.com.
    let garbage = [
        "a",
        "b",
        "m",
        "p",
        "l",
        "c",
        "o",
        "q",
        "z",
        "1",
        "9",
        "0",
        ".",
        "..",
        ":",
        "://",
        "/",
        "//",
        "?",
        "#",
        "@",
        "[",
        "]",
        "[::1]",
        ":443",
        ":0",
        ":99999",
        "%",
        "%2",
        "%zz",
        "\\",
        " ",
        "\t",
        "\n",
        "\u{0}",
        "\u{7f}",
        "\u{200b}",
        "ü",
        "\u{430}",
        "中",
        "xn--",
        "-",
        "_",
        "*",
        "http",
        "https",
        "HTTPS",
        "ftp",
        "javascript:",
        "android://",
        "co.uk",
        "github.io",
        "com",
        "127.0.0.1",
        "0x7f",
        "\u{fffd}",
        "😀",
        "=",
        "&",
    ];
    let pages = [
        page("https://example.com"),
        page("http://example.com:8080"),
        page("https://login.example.com"),
    ];
    for _ in 0..600 {
        let text = random_text(&mut rng, &garbage);
        for page in &pages {
            assert_eq!(match_entry_url(&text, page), None, "{text:?} on {page}");
        }
        // Whatever parses as an origin is canonical and matches itself.
        if let Ok(origin) = parse_origin(&text) {
            assert_eq!(
                parse_origin(origin.as_str()).as_ref(),
                Ok(&origin),
                "{text:?}"
            );
            assert_eq!(
                match_entry_url(origin.as_str(), &origin),
                Some(Exact),
                "{text:?}"
            );
        }
    }
}

#[test]
fn mutated_urls_never_panic_and_stay_consistent() {
    let mut rng = StdRng::seed_from_u64(0x00b4_1d9e);
    let seeds = [
        "https://login.example.com:8443/path?q=1#f",
        "http://[::1]:43110/",
        "https://user:pw@bücher.example./x",
        "example.com:80/login",
        "android://hash@com.example/",
    ];
    let noise = [
        ":", "/", "@", "[", "]", ".", "%", "?", "#", "\\", " ", "\u{0}", "é", "xn--", "9", "-",
    ];
    let origin = page("https://login.example.com:8443");
    for _ in 0..600 {
        let mut text: Vec<char> = seeds[rng.gen_range(0..seeds.len())].chars().collect();
        for _ in 0..rng.gen_range(1..4) {
            let at = rng.gen_range(0..=text.len());
            if rng.gen_bool(0.5) && at < text.len() {
                text.remove(at);
            } else {
                let piece = noise[rng.gen_range(0..noise.len())];
                for (i, c) in piece.chars().enumerate() {
                    text.insert(at + i, c);
                }
            }
        }
        let text: String = text.into_iter().collect();
        let first = match_entry_url(&text, &origin);
        assert_eq!(match_entry_url(&text, &origin), first, "{text:?}");
        if let Ok(parsed) = parse_origin(&text) {
            assert_eq!(match_entry_url(parsed.as_str(), &parsed), Some(Exact));
        }
    }
}

#[test]
fn oversized_entry_urls_never_match() {
    let long = format!("https://example.com/{}", "a".repeat(MAX_ENTRY_URL_LEN));
    assert_eq!(match_entry_url(&long, &page("https://example.com")), None);
    let deep = format!("https://{}example.com", "a.".repeat(200));
    assert_eq!(match_entry_url(&deep, &page("https://example.com")), None);
}

#[test]
fn the_site_index_finds_exactly_what_a_full_scan_finds() {
    // Every entry URL of the rules table in one vault, plus some trash.
    let mut entries: Vec<Entry> = RULES
        .iter()
        .map(|(url, _, _)| Entry {
            urls: vec![SecretString::from(*url)],
            ..Default::default()
        })
        .collect();
    entries.push(Entry {
        urls: vec![SecretString::from("https://example.com")],
        deleted_at: Some(1),
        ..Default::default()
    });
    entries.push(Entry {
        urls: vec![
            SecretString::from("login.example.com"),
            SecretString::from("example.com"),
        ],
        ..Default::default()
    });
    let index = SiteIndex::build(&entries);
    let mut pages: Vec<&str> = RULES.iter().map(|(_, page, _)| *page).collect();
    pages.extend([
        "https://nothing.invalid",
        "http://[::1]:8080",
        "https://co.uk",
    ]);
    for text in pages {
        let Ok(page) = parse_origin(text) else {
            continue;
        };
        assert_eq!(
            index.matching(&page),
            matching_entries(&entries, &page),
            "{text}"
        );
    }
}
