//! Settings > Security: changing the master password, rotating the data
//! key, switching the key mode and key protection, and applying new KDF
//! parameters, each on the worker, which holds the unlocked vault
//! meanwhile (key derivations are too slow for a frame, and records that
//! move to a new key must not race this window's writes). The window shows
//! a progress screen until the job ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{App, MainState, Screen};
use crate::core::keys::KeyMode;
use crate::core::secret::SecretString;
use crate::core::vault::rekey::KeyChange;
use crate::core::vault::{self, Credentials, Vault};
use crate::ui::password_view::PasswordAction;
use crate::ui::widgets::{self, capitalized};
use crate::ui::worker::Finish;

/// How far a long job on the unlocked vault has got, for the progress
/// screen: records moved when the job reports them, otherwise the time
/// spent against the time expected.
pub(super) struct BusyProgress {
    done: AtomicUsize,
    total: AtomicUsize,
    started: Instant,
    expected: Option<Duration>,
}

impl BusyProgress {
    pub(super) fn new(expected: Option<Duration>) -> Self {
        Self {
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            started: Instant::now(),
            expected,
        }
    }

    fn report(&self, done: usize, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    /// The bar's share and text, when there is anything to show.
    pub(super) fn bar(&self) -> Option<(f32, String)> {
        let (done, total) = (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        if total > 0 {
            return Some((
                done as f32 / total as f32,
                format!(
                    "{} of {} records",
                    widgets::number(done),
                    widgets::number(total)
                ),
            ));
        }
        let expected = self.expected?;
        let elapsed = self.started.elapsed();
        let share = elapsed.as_secs_f32() / expected.as_secs_f32().max(0.001);
        Some((
            share.min(0.95),
            format!(
                "{:.1} s of about {:.1} s",
                elapsed.as_secs_f32(),
                expected.as_secs_f32()
            ),
        ))
    }
}

/// A job on the unlocked vault: it gets a progress callback for records.
pub(super) type VaultJob<R> = Box<dyn FnOnce(&mut Vault, &mut dyn FnMut(usize, usize)) -> R + Send>;
/// What puts a job's result into the window.
pub(super) type VaultDone<R> = Box<dyn FnOnce(&mut App, &mut MainState, R) + Send>;

impl App {
    /// Runs `job` on the worker with the unlocked vault while the window
    /// shows `busy` and a progress bar; `done` then puts the result into
    /// the window, which gets the vault back. `what` names the job in the
    /// message shown if it cannot start.
    pub(super) fn with_vault_on_worker<R: Send + 'static>(
        &mut self,
        ctx: &egui::Context,
        name: &'static str,
        busy: String,
        expected: Option<Duration>,
        job: VaultJob<R>,
        done: VaultDone<R>,
    ) {
        // A backup being written reads the key files this job replaces,
        // and would pair an old one with a new one.
        if self.backups.writing() {
            self.toasts.error(format!(
                "A backup is being written; start {name} again once it is done (the status \
                 bar says when). Nothing changed."
            ));
            return;
        }
        let Screen::Main(mut main) = std::mem::replace(&mut self.screen, Screen::Busy(busy)) else {
            return;
        };
        let progress = Arc::new(BusyProgress::new(expected));
        self.busy_progress = Some(progress.clone());
        let wake = ctx.clone();
        let work = move || -> Finish {
            let result = job(&mut main.vault, &mut |moved, total| {
                progress.report(moved, total);
                wake.request_repaint();
            });
            Box::new(move |app: &mut App| {
                app.busy_progress = None;
                done(app, &mut main, result);
                app.screen = Screen::Main(main);
                app.last_activity = Instant::now();
            })
        };
        let failed: Finish = Box::new(move |app: &mut App| {
            app.busy_progress = None;
            app.screen = Screen::Unlock(Box::new(super::unlock_state(&app.paths)));
            app.toasts.error(format!(
                "Could not start {name}; the vault was locked. Nothing changed."
            ));
        });
        self.worker.run(ctx, name, work, failed);
    }

    pub(super) fn password_action(&mut self, ctx: &egui::Context, action: PasswordAction) {
        match action {
            PasswordAction::Change { current, new } => self.change_password(ctx, current, new),
            PasswordAction::Rotate(password) => self.rotate_key(ctx, password),
            PasswordAction::SwitchMode(password) => {
                let target = if vault::is_password_derived(&self.paths) {
                    KeyMode::FileKey
                } else {
                    KeyMode::PasswordDerived
                };
                self.change_keys(ctx, password, KeyChange::Mode(target));
            }
            PasswordAction::Protect { key_file, password } => {
                self.change_keys(ctx, password, KeyChange::Protect(key_file));
            }
            PasswordAction::Unprotect(password) => {
                self.change_keys(ctx, password, KeyChange::Unprotect);
            }
            PasswordAction::DeleteOldBackups => {
                // A fresh backup under the new key first, so none is left
                // without one.
                self.backup_now(ctx);
                self.delete_old_backups();
            }
        }
    }

    /// Changes the master password (in password-derived mode every record
    /// moves to a new key).
    fn change_password(&mut self, ctx: &egui::Context, current: SecretString, new: SecretString) {
        let credentials = Credentials {
            password: current,
            key_file: self.key_file.clone(),
        };
        self.with_vault_on_worker(
            ctx,
            "the master password change",
            "Changing the master password…".to_owned(),
            None,
            Box::new(move |vault, progress| {
                vault.change_master_password(&credentials, &new, progress)
            }),
            Box::new(|app, main, result| {
                let view = &mut main.settings.password;
                match result {
                    Ok(done) => {
                        view.close();
                        let mut summary = "Master password changed.".to_owned();
                        if done.records > 0 {
                            summary.push_str(&format!(
                                " {} records re-encrypted under the new derived key.",
                                widgets::number(done.records)
                            ));
                        }
                        if done.tokens_revoked > 0 {
                            summary.push_str(&format!(
                                " {} browser bridge token{} revoked: paired extensions must \
                                 pair again.",
                                done.tokens_revoked,
                                if done.tokens_revoked == 1 { "" } else { "s" }
                            ));
                        }
                        summary.push_str(
                            " Backups made before still open with the previous password; make \
                             a new backup now.",
                        );
                        view.summary = Some(summary);
                        main.settings.bridge.invalidate();
                        app.toasts.info("Master password changed.");
                    }
                    Err(e) => view.error = Some(capitalized(&e.to_string())),
                }
            }),
        );
    }

    /// Switches the key mode or key protection; the master password (and
    /// the key file in use) confirm it.
    fn change_keys(&mut self, ctx: &egui::Context, password: SecretString, change: KeyChange) {
        let credentials = Credentials {
            password,
            key_file: self.key_file.clone(),
        };
        let (name, busy) = match &change {
            KeyChange::Mode(mode) => ("the key mode switch", format!("Switching to {mode} mode…")),
            KeyChange::Protect(_) => (
                "key protection",
                "Adding the key file to the master password…".to_owned(),
            ),
            KeyChange::Unprotect => (
                "key protection",
                "Removing the key file from the master password…".to_owned(),
            ),
        };
        let job_change = change.clone();
        self.with_vault_on_worker(
            ctx,
            name,
            busy,
            None,
            Box::new(move |vault, progress| vault.change_keys(&credentials, &job_change, progress)),
            Box::new(move |app, main, result| {
                let view = &mut main.settings.password;
                let done = match result {
                    Ok(done) => done,
                    Err(e) => {
                        view.rotate_error = Some(capitalized(&e.to_string()));
                        return;
                    }
                };
                view.close_rotation();
                let records = match done.records {
                    0 => "no record re-encrypted (the data key was only re-wrapped)".to_owned(),
                    1 => "1 record re-encrypted".to_owned(),
                    n => format!("{} records re-encrypted", widgets::number(n)),
                };
                let (summary, toast) = match change {
                    KeyChange::Mode(mode) => {
                        view.derived = mode == KeyMode::PasswordDerived;
                        (
                            format!(
                                "The vault is in {mode} mode now; {records}. Backups made before \
                                 keep the key mode of their time."
                            ),
                            format!("Switched to {mode} mode."),
                        )
                    }
                    KeyChange::Protect(key_file) => {
                        view.protected = true;
                        let summary = format!(
                            "Key protection is on: {} must join the master password from now \
                             on; {records}. Keep a copy of the key file apart from the vault: \
                             without it the vault does not open. Backups made before open \
                             without it.",
                            key_file.display()
                        );
                        app.key_file = Some(key_file);
                        (summary, "Key protection is on.".to_owned())
                    }
                    KeyChange::Unprotect => {
                        view.protected = false;
                        app.key_file = None;
                        (
                            format!(
                                "Key protection is off: the master password alone opens the \
                                 vault; {records}. Backups made while the key file was required \
                                 still need it."
                            ),
                            "Key protection is off.".to_owned(),
                        )
                    }
                };
                view.rotated = Some(summary);
                app.toasts.info(toast);
            }),
        );
    }

    /// Rotates the data key; the window shows the records moving.
    fn rotate_key(&mut self, ctx: &egui::Context, password: SecretString) {
        let before: Vec<std::path::PathBuf> =
            crate::core::backup::retention::list(&self.settings.backups_dir(&self.paths))
                .into_iter()
                .map(|found| found.path)
                .collect();
        let credentials = Credentials {
            password,
            key_file: self.key_file.clone(),
        };
        self.with_vault_on_worker(
            ctx,
            "the key rotation",
            "Re-encrypting every record under a new key…".to_owned(),
            None,
            Box::new(move |vault, progress| vault.rotate_data_key(&credentials, progress)),
            Box::new(move |app, main, result| {
                let view = &mut main.settings.password;
                match result {
                    Ok(rotated) => {
                        view.close_rotation();
                        view.rotated = Some(format!(
                            "Encryption key rotated (version {}): {} records re-encrypted. \
                             Backups are now signed with the key fingerprint {}.",
                            rotated.key_version,
                            widgets::number(rotated.records),
                            rotated.signing_fingerprint
                        ));
                        view.old_backups = before;
                        app.toasts.info("Encryption key rotated.");
                    }
                    Err(e) => view.rotate_error = Some(capitalized(&e.to_string())),
                }
            }),
        );
    }

    /// Deletes the backups made before the last rotation, with their side
    /// files.
    fn delete_old_backups(&mut self) {
        let Some(main) = self.main() else {
            return;
        };
        let old = std::mem::take(&mut main.settings.password.old_backups);
        let mut deleted = 0;
        let mut failed = None;
        for archive in &old {
            for file in crate::core::backup::retention::with_side_files(archive) {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => failed = Some(format!("Could not delete {}: {e}", file.display())),
                }
            }
            deleted += 1;
        }
        match failed {
            Some(error) => self.toasts.error(error),
            None => self
                .toasts
                .info(format!("Deleted {deleted} backups made under the old key.")),
        }
        self.backups.forget_listing();
    }
}
