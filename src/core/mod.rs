//! The vault core: storage, cryptography and the data model.
//!
//! Nothing here knows about windows, terminals or HTTP. The edges (`cli`,
//! and later the window and the browser bridge) call [`vault::Vault`] and the
//! file modules; only [`store`] knows the vault is SQLite.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod bridge;
pub mod crypto;
pub mod doctor;
pub mod entries;
pub mod events;
pub mod exchange;
pub mod fsio;
pub mod generator;
pub mod hardening;
pub mod index;
pub mod kdf;
pub mod kdf_tuning;
pub mod keys;
pub mod lock;
pub mod paths;
pub mod secret;
pub mod settings;
pub mod store;
pub mod strength;
pub mod time;
pub mod totp;
pub mod two_factor;
pub mod vault;
