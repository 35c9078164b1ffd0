//! The security audit: weak, reused, duplicate, expired, old and breached
//! passwords and insecure login URLs, with a score.

pub mod breach;
