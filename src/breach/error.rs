//! What can go wrong in a breach check. No message ever holds a hash, a
//! prefix or a suffix: a reason names what failed (a timeout, an HTTP
//! status, a file problem) and what to do, because these strings end up in
//! the audit report and in logs.

use std::path::PathBuf;

use crate::core::fsio::FileError;

/// A breach check failed, for one range request or for the offline file.
#[derive(Debug, thiserror::Error)]
pub enum BreachError {
    /// The range service did not answer within the configured time.
    #[error(
        "the breach service did not answer within {seconds} s; check the network \
         connection or raise breach.timeout_seconds"
    )]
    Timeout {
        /// The configured timeout, in whole seconds.
        seconds: u64,
    },
    /// No connection could be made (refused, reset, no route, no such host).
    #[error(
        "could not reach the breach service ({reason}); check the network connection \
         and breach.api_url"
    )]
    Network {
        /// What the operating system or the TLS layer reported.
        reason: String,
    },
    /// The service answered with a status other than 200 (and not 429).
    #[error("the breach service answered HTTP {status}; try again later or check breach.api_url")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The service kept answering 429 Too Many Requests.
    #[error(
        "the breach service refused {tries} requests in a row as too many \
         (HTTP 429); wait a few minutes and try again"
    )]
    RateLimited {
        /// How many requests were refused.
        tries: u32,
    },
    /// The answer was not a list of `SUFFIX:COUNT` lines.
    #[error(
        "the breach service's answer could not be read ({detail}); the passwords it \
         concerns were not checked. Try again later, or check that breach.api_url \
         points to a Pwned Passwords range API"
    )]
    BadResponse {
        /// What was wrong, without quoting the body.
        detail: String,
    },
    /// `breach.api_url` is neither https nor plain http to this machine.
    #[error(
        "breach.api_url must be an https:// address (http:// only to 127.0.0.1, [::1] \
         or localhost); fix it with `password-manager settings set breach.api_url ...`"
    )]
    InsecureUrl,
    /// The offline file could not be opened or read.
    #[error(
        "could not read the Pwned Passwords file {}: {error}; check breach.offline_file",
        path.display()
    )]
    OfflineIo {
        /// The offline file.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The offline file is a directory, a FIFO or a device.
    #[error(
        "{} is not a regular file; point breach.offline_file at the Pwned Passwords \
         text file",
        path.display()
    )]
    OfflineNotAFile {
        /// The offline file.
        path: PathBuf,
    },
    /// The offline file holds no lines.
    #[error(
        "the Pwned Passwords file {} is empty, so it cannot answer anything; download \
         it again or clear breach.offline_file",
        path.display()
    )]
    OfflineEmpty {
        /// The offline file.
        path: PathBuf,
    },
    /// A line of the offline file is not `HASH:COUNT`.
    #[error(
        "the Pwned Passwords file {} has a line that is not HASH:COUNT (40 hex digits, \
         a colon, a count of at least 1) at byte {offset}; download the SHA-1 file \
         again or clear breach.offline_file",
        path.display()
    )]
    OfflineMalformed {
        /// The offline file.
        path: PathBuf,
        /// Where the bad line starts.
        offset: u64,
    },
    /// The offline file holds NTLM hashes (32 hex digits), not SHA-1.
    #[error(
        "the Pwned Passwords file {} holds NTLM hashes; download the SHA-1 version \
         instead",
        path.display()
    )]
    OfflineNtlm {
        /// The offline file.
        path: PathBuf,
    },
    /// The offline file is not in ascending hash order.
    #[error(
        "the Pwned Passwords file {} is not sorted by hash (or repeats a hash), so a \
         search in it could miss a breached password and it cannot be used; download \
         the SHA-1 file ordered by hash, or clear breach.offline_file",
        path.display()
    )]
    OfflineNotSorted {
        /// The offline file.
        path: PathBuf,
    },
    /// A refresh was asked for while lookups use the offline file.
    #[error(
        "breach checks use the offline file {}, so there is nothing to refresh; clear \
         breach.offline_file to use the online service",
        path.display()
    )]
    OfflineMode {
        /// The offline file.
        path: PathBuf,
    },
    /// The cache could not be saved (the answers themselves are fine).
    #[error("the breach cache was not saved: {0}")]
    CacheSave(#[from] FileError),
}
