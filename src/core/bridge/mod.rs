//! The browser bridge's core: which entries a page may see, who may ask, and
//! what the user already decided.
//!
//! The bridge is a small HTTP service on the loopback interface that paired
//! browser extensions call to fill and save logins. The server itself lives
//! in `src/bridge/`; this module holds the parts that decide and remember,
//! so they can be tested (and fuzzed) without a socket:
//!
//! - [`origin`] parses the origin a browser reports and decides which entry
//!   URLs belong to it, with the public suffix list as the boundary between
//!   sites;
//! - [`tokens`] issues the bearer tokens paired extensions present, storing
//!   only their SHA-256, and authenticates requests;
//! - [`approvals`] remembers the user's allow or deny decision per origin;
//! - [`pairing`] is the short window, opened by the window or the command
//!   line, in which an extension proves with a six-digit code that the user
//!   wants it paired.
//!
//! The three stores are JSON files in the data directory that more than one
//! process uses (the server, the window, `password-manager bridge ...`).
//! Each change takes turns with other processes through the data
//! directory's lock and re-reads the file inside its turn, so a revocation
//! made by the command line is never undone by a running server. Reads that
//! decide a request (`authenticate`, `lookup`, `redeem`) look at the file
//! as it is now, not at a copy loaded earlier.
//!
//! Nothing here logs a token, a pairing code or an entry URL: tokens are
//! named by their random id, approvals by the origin and a hash of the id.

pub mod approvals;
pub mod origin;
pub mod pairing;
pub mod store;
pub mod tokens;
