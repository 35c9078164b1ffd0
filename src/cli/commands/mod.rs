//! One module per group of subcommands.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod bridge;
pub mod entries;
pub mod entry_input;
pub mod exchange;
pub mod kdf;
pub mod totp;
pub mod two_factor;
