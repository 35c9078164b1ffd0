//! Log event codes and the rules for naming things in logs.
//!
//! Logging policy: the core returns errors and does not log them; the edges
//! (command line, window, bridge) log each error once. The core does emit
//! the security events below at the point where they happen (a failed
//! unlock, an added entry), so every edge records them the same way.
//!
//! A log line never holds a password, key, TOTP secret, note, username or
//! title. Entries are named by [`entry_ref`], a short hash of their uuid.

use uuid::Uuid;

/// A master password was wrong.
pub const LOGIN_FAILED: &str = "LOGIN_FAILED";
/// The vault was unlocked.
pub const LOGIN_SUCCESS: &str = "LOGIN_SUCCESS";
/// Unlocking was refused because of earlier failures.
pub const LOGIN_LOCKED_OUT: &str = "LOGIN_LOCKED_OUT";
/// Two-factor unlock was turned on.
pub const TWO_FACTOR_ENABLED: &str = "TWO_FACTOR_ENABLED";
/// Two-factor unlock was turned off.
pub const TWO_FACTOR_DISABLED: &str = "TWO_FACTOR_DISABLED";
/// A recovery code took the place of a two-factor code (how many are left
/// follows).
pub const TWO_FACTOR_RECOVERY_USED: &str = "TWO_FACTOR_RECOVERY_USED";
/// A backup finished.
pub const BACKUP_COMPLETE: &str = "BACKUP_COMPLETE";
/// A backup failed.
pub const BACKUP_FAILED: &str = "BACKUP_FAILED";
/// A backup was written, but an optional part of it (the GPG signature)
/// was not; the message says why and what to do.
pub const BACKUP_WARNING: &str = "BACKUP_WARNING";
/// A backup was restored (or an interrupted restore finished).
pub const RESTORE_COMPLETE: &str = "RESTORE_COMPLETE";
/// A restore was refused or failed.
pub const RESTORE_FAILED: &str = "RESTORE_FAILED";
/// A breach check could not complete.
pub const BREACH_CHECK_ERROR: &str = "BREACH_CHECK_ERROR";
/// A security audit finished.
pub const SECURITY_AUDIT_RESULT: &str = "SECURITY_AUDIT_RESULT";
/// The browser bridge issued a token.
pub const BROWSER_BRIDGE_TOKEN_ISSUED: &str = "BROWSER_BRIDGE_TOKEN_ISSUED";
/// A browser bridge token was revoked.
pub const BROWSER_BRIDGE_TOKEN_REVOKED: &str = "BROWSER_BRIDGE_TOKEN_REVOKED";
/// A browser bridge pairing window was opened (its expiry follows).
pub const BROWSER_BRIDGE_PAIRING_OPENED: &str = "BROWSER_BRIDGE_PAIRING_OPENED";
/// A pairing code was accepted and the window used up.
pub const BROWSER_BRIDGE_PAIRING_ACCEPTED: &str = "BROWSER_BRIDGE_PAIRING_ACCEPTED";
/// A pairing code was refused (the reason follows; never the code).
pub const BROWSER_BRIDGE_PAIRING_FAILED: &str = "BROWSER_BRIDGE_PAIRING_FAILED";
/// A pairing window was closed, by hand or after too many wrong codes.
pub const BROWSER_BRIDGE_PAIRING_CLOSED: &str = "BROWSER_BRIDGE_PAIRING_CLOSED";
/// The browser bridge started listening (the address follows).
pub const BROWSER_BRIDGE_STARTED: &str = "BROWSER_BRIDGE_STARTED";
/// The browser bridge stopped.
pub const BROWSER_BRIDGE_STOPPED: &str = "BROWSER_BRIDGE_STOPPED";
/// The browser bridge could not start (the reason follows).
pub const BROWSER_BRIDGE_FAILED: &str = "BROWSER_BRIDGE_FAILED";
/// The browser extension reported an event of its own (logged only).
pub const BROWSER_EXTENSION_REPORT: &str = "BROWSER_EXTENSION_REPORT";
/// A bridge request was approved.
pub const APPROVAL_GRANTED: &str = "APPROVAL_GRANTED";
/// A bridge request was denied.
pub const APPROVAL_DENIED: &str = "APPROVAL_DENIED";
/// A bridge approval was remembered.
pub const APPROVAL_REMEMBERED: &str = "APPROVAL_REMEMBERED";
/// An entry's password changed (the reason follows).
pub const PASSWORD_ROTATED: &str = "PASSWORD_ROTATED";
/// The vault's keys were re-derived with new Argon2id parameters (old
/// and new follow).
pub const KDF_CHANGED: &str = "KDF_CHANGED";
/// A vault was created.
pub const VAULT_CREATED: &str = "VAULT_CREATED";
/// The vault was locked (or the process finished with it).
pub const VAULT_LOCKED: &str = "VAULT_LOCKED";
/// An entry was added.
pub const ENTRY_ADDED: &str = "ENTRY_ADDED";
/// An entry was changed.
pub const ENTRY_UPDATED: &str = "ENTRY_UPDATED";
/// An entry moved to the trash.
pub const ENTRY_TRASHED: &str = "ENTRY_TRASHED";
/// An entry came back from the trash.
pub const ENTRY_RESTORED: &str = "ENTRY_RESTORED";
/// An entry was deleted for good.
pub const ENTRY_PURGED: &str = "ENTRY_PURGED";
/// A sealed record failed its integrity check.
pub const RECORD_INTEGRITY_FAILED: &str = "RECORD_INTEGRITY_FAILED";
/// A file's permissions were tightened.
pub const PERMISSIONS_TIGHTENED: &str = "PERMISSIONS_TIGHTENED";
/// `settings.json` was unreadable or held an invalid value.
pub const SETTINGS_INVALID: &str = "SETTINGS_INVALID";
/// A setting was changed.
pub const SETTINGS_CHANGED: &str = "SETTINGS_CHANGED";
/// A command failed.
pub const COMMAND_FAILED: &str = "COMMAND_FAILED";
/// `doctor` ran.
pub const DOCTOR_REPORT: &str = "DOCTOR_REPORT";
/// An import was applied (counts only).
pub const IMPORT_COMPLETED: &str = "IMPORT_COMPLETED";
/// An export was written (format and count only).
pub const EXPORT_COMPLETED: &str = "EXPORT_COMPLETED";

/// Logs an event: `event!(info, events::ENTRY_ADDED, "entry {}", r)`.
///
/// The event code travels as the log record's target, which the log format
/// prints as its own column.
#[macro_export]
macro_rules! event {
    ($level:ident, $code:expr, $($arg:tt)+) => {
        ::log::$level!(target: $code, $($arg)+)
    };
}

/// The name an entry goes by in logs: a short hash of its uuid, so a log
/// reader can follow one entry without learning anything about it.
pub fn entry_ref(uuid: &Uuid) -> String {
    let digest = crate::core::crypto::sha256(uuid.as_bytes());
    let hex: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("entry#{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ref_is_short_stable_and_not_the_uuid() {
        let uuid = Uuid::new_v4();
        let r = entry_ref(&uuid);
        assert_eq!(r, entry_ref(&uuid));
        assert_eq!(r.len(), "entry#".len() + 10);
        assert!(!r.contains(&uuid.simple().to_string()[..8]));
    }
}
