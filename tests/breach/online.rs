//! The range client against the scripted server: what is sent, how
//! answers are read, and what each kind of failure gives.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use spm::breach::{BreachChecker, user_agent};
use spm::core::audit::breach::{BreachAnswer, BreachSource, hex_upper};

use super::mock::{MockServer, Reply};
use super::{body, config, hash, quiet, suffix};

fn unknown_reason(answer: &BreachAnswer) -> &str {
    match answer {
        BreachAnswer::Unknown(reason) => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn padded_lower_case_crlf_answer_gives_counts_and_padding_is_not_found() {
    let found = hash("ABCDE", "found");
    let padding_only = hash("ABCDE", "padding");
    let absent = hash("ABCDE", "absent");
    let text = format!(
        "  {}:42 \r\n{}:0\r\n{}:0\r\n{}:7\r\n",
        suffix("found").to_lowercase(),
        suffix("padding"),
        suffix("more padding").to_lowercase(),
        suffix("someone else"),
    );
    let server = MockServer::start(move |_, _| Reply::Body(text.clone()));
    let dir = tempfile::tempdir().unwrap();
    let checker = BreachChecker::new(config(&server.url(), dir.path()));

    let answers = checker.lookup(&[found, padding_only, absent], &quiet);
    assert_eq!(
        answers,
        [
            BreachAnswer::Found(42),
            BreachAnswer::NotFound,
            BreachAnswer::NotFound
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request for the one prefix");
    assert_eq!(requests[0].line, "GET /range/ABCDE HTTP/1.1");
}

#[test]
fn requests_carry_padding_and_user_agent_and_only_the_prefix() {
    let hashes = [hash("8BE3C", "one"), hash("0A1B2", "two")];
    let server = MockServer::start(|_, _| Reply::Body(body(&[(suffix("x"), 1)])));
    let dir = tempfile::tempdir().unwrap();
    BreachChecker::new(config(&server.url(), dir.path())).lookup(&hashes, &quiet);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.header("add-padding"), Some("true"));
        assert_eq!(request.header("user-agent"), Some(user_agent().as_str()));
        assert!(user_agent().starts_with("secure-password-manager/"));
        // Not even one digit past the prefix leaves, in any case.
        let raw = request.raw.to_ascii_uppercase();
        for hash in &hashes {
            let hex = hex_upper(hash);
            assert!(!raw.contains(&hex[..6]), "{raw}");
            assert!(!raw.contains(&hex[5..15]), "{raw}");
        }
    }
    let lines: BTreeSet<&str> = requests.iter().map(|r| r.line.as_str()).collect();
    assert_eq!(
        lines,
        BTreeSet::from(["GET /range/0A1B2 HTTP/1.1", "GET /range/8BE3C HTTP/1.1"])
    );
}

#[test]
fn one_request_per_distinct_prefix_with_at_most_max_concurrency_in_flight() {
    let prefixes: Vec<String> = (0..12)
        .map(|i| format!("{:05X}", 0x10000 + i * 4099))
        .collect();
    let mut hashes = Vec::new();
    for (i, prefix) in prefixes.iter().enumerate() {
        hashes.push(hash(prefix, &format!("listed {i}")));
        hashes.push(hash(prefix, &format!("unlisted {i}")));
    }
    let rows: Vec<_> = (0..12)
        .map(|i| (suffix(&format!("listed {i}")), i + 1))
        .collect();
    let text = body(&rows);
    let server = MockServer::start_with_delay(Duration::from_millis(60), move |_, _| {
        Reply::Body(text.clone())
    });
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server.url(), dir.path());
    cfg.max_concurrency = 3;
    let seen = Mutex::new(Vec::new());
    let answers = BreachChecker::new(cfg).lookup(&hashes, &|done, total| {
        seen.lock().unwrap().push((done, total))
    });

    for (i, pair) in answers.chunks(2).enumerate() {
        assert_eq!(pair[0], BreachAnswer::Found(i as u64 + 1));
        assert_eq!(pair[1], BreachAnswer::NotFound);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 12);
    let asked: BTreeSet<String> = requests
        .iter()
        .map(|r| {
            r.line
                .split(' ')
                .nth(1)
                .unwrap()
                .trim_start_matches("/range/")
                .to_owned()
        })
        .collect();
    assert_eq!(asked, prefixes.iter().cloned().collect());
    let peak = server.peak_in_flight();
    assert!(peak <= 3, "peak {peak}");
    assert!(peak >= 2, "requests ran in parallel (peak {peak})");
    let expected: Vec<(usize, usize)> = (0..=12).map(|done| (done, 12)).collect();
    assert_eq!(*seen.lock().unwrap(), expected);
}

#[test]
fn too_many_requests_is_waited_out_as_retry_after_says() {
    let target = hash("C0FFE", "busy");
    let text = body(&[(suffix("busy"), 5)]);
    let server = MockServer::start(move |_, earlier| match earlier {
        0 => Reply::TooMany(Some("1")),
        _ => Reply::Body(text.clone()),
    });
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let answers = BreachChecker::new(config(&server.url(), dir.path())).lookup(&[target], &quiet);

    assert_eq!(answers, [BreachAnswer::Found(5)]);
    assert_eq!(server.requests().len(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited");
}

#[test]
fn endless_too_many_requests_gives_up_after_three_retries() {
    let server = MockServer::start(|_, _| Reply::TooMany(Some("0")));
    let dir = tempfile::tempdir().unwrap();
    let answers =
        BreachChecker::new(config(&server.url(), dir.path())).lookup(&[hash("C0FFE", "x")], &quiet);
    assert!(unknown_reason(&answers[0]).contains("HTTP 429"));
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn server_error_makes_only_that_prefix_unknown() {
    let failing = hash("50000", "down");
    let working = hash("60000", "up");
    let text = body(&[(suffix("up"), 3)]);
    let server = MockServer::start(move |prefix, _| match prefix {
        "50000" => Reply::Status(500),
        _ => Reply::Body(text.clone()),
    });
    let dir = tempfile::tempdir().unwrap();
    let answers =
        BreachChecker::new(config(&server.url(), dir.path())).lookup(&[failing, working], &quiet);

    let reason = unknown_reason(&answers[0]);
    assert!(reason.contains("HTTP 500"), "{reason}");
    assert!(!reason.contains("50000") && !reason.contains(&suffix("down")[..8]));
    assert_eq!(answers[1], BreachAnswer::Found(3));
}

#[test]
fn silent_server_gives_unknown_after_the_timeout() {
    for reply in [Reply::Silence, Reply::StallBody] {
        let server = MockServer::start(move |_, _| reply.clone());
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(&server.url(), dir.path());
        cfg.timeout = Duration::from_secs(1);
        let started = Instant::now();
        let answers = BreachChecker::new(cfg).lookup(&[hash("7E57E", "slow")], &quiet);

        let reason = unknown_reason(&answers[0]);
        assert!(reason.contains("did not answer within 1 s"), "{reason}");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4));
    }
}

#[test]
fn malformed_answer_is_unknown_even_for_rows_that_did_parse() {
    let listed = hash("BAD00", "listed");
    for text in [
        "<html><body>Service unavailable</body></html>\r\n".to_owned(),
        format!("{}:12\r\nthis is not a row\r\n", suffix("listed")),
        format!("{}:twelve\r\n", suffix("listed")),
        String::new(),
    ] {
        let server = MockServer::start(move |_, _| Reply::Body(text.clone()));
        let dir = tempfile::tempdir().unwrap();
        let answers =
            BreachChecker::new(config(&server.url(), dir.path())).lookup(&[listed], &quiet);
        let reason = unknown_reason(&answers[0]);
        assert!(reason.contains("could not be read"), "{reason}");
    }
}

#[test]
fn refused_connection_gives_unknown() {
    // A port that was just free: nothing listens on it now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/range/");
    let answers =
        BreachChecker::new(config(&url, dir.path())).lookup(&[hash("12345", "a")], &quiet);
    let reason = unknown_reason(&answers[0]);
    assert!(
        reason.contains("could not reach the breach service"),
        "{reason}"
    );
}

#[test]
fn redirects_are_not_followed() {
    let elsewhere = MockServer::start(|_, _| Reply::Body(body(&[(suffix("a"), 1)])));
    let target = format!("{}12345", elsewhere.url());
    let server = MockServer::start(move |_, _| Reply::Redirect(target.clone()));
    let dir = tempfile::tempdir().unwrap();
    let answers =
        BreachChecker::new(config(&server.url(), dir.path())).lookup(&[hash("12345", "a")], &quiet);
    assert!(unknown_reason(&answers[0]).contains("HTTP 301"));
    assert_eq!(elsewhere.requests().len(), 0);
}

#[test]
fn plain_http_to_another_host_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    // Never contacted: the address is rejected before any connection.
    let cfg = config("http://pwned.invalid/range/", dir.path());
    let answers = BreachChecker::new(cfg).lookup(&[hash("12345", "a")], &quiet);
    assert!(unknown_reason(&answers[0]).contains("must be an https:// address"));
}
