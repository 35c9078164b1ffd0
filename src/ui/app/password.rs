//! Settings > Security: changing the master password, rotating the data
//! key and switching the key mode, each on the worker, which holds the
//! unlocked vault meanwhile (key derivations are too slow for a frame, and
//! records that move to a new key must not race this window's writes).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{App, Screen};
use crate::core::keys::KeyMode;
use crate::core::secret::SecretString;
use crate::core::vault::{self, Credentials};
use crate::ui::password_view::PasswordAction;
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    pub(super) fn password_action(&mut self, ctx: &egui::Context, action: PasswordAction) {
        match action {
            PasswordAction::Change { current, new } => self.change_password(ctx, current, new),
            PasswordAction::Rotate(password) => self.rotate_key(ctx, password),
            PasswordAction::SwitchMode(password) => self.switch_key_mode(ctx, password),
            PasswordAction::DeleteOldBackups => self.delete_old_backups(),
        }
    }

    /// Changes the master password on the worker, which holds the unlocked
    /// vault meanwhile (in password-derived mode every record moves to a
    /// new key, which must not race this window's own writes).
    fn change_password(&mut self, ctx: &egui::Context, current: SecretString, new: SecretString) {
        let key_file = self.key_file.clone();
        let busy = "Changing the master password…".to_owned();
        let Screen::Main(mut main) = std::mem::replace(&mut self.screen, Screen::Busy(busy)) else {
            return;
        };
        let work = move || -> Finish {
            let credentials = Credentials {
                password: current,
                key_file,
            };
            let result = main.vault.change_master_password(&credentials, &new);
            Box::new(move |app: &mut App| {
                let view = &mut main.settings.password;
                match result {
                    Ok(done) => {
                        view.close();
                        let mut summary = "Master password changed.".to_owned();
                        if done.records > 0 {
                            summary.push_str(&format!(
                                " {} records re-encrypted under the new derived key.",
                                done.records
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
                app.screen = Screen::Main(main);
                app.last_activity = std::time::Instant::now();
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.screen = Screen::Unlock(Box::new(super::unlock_state(&app.paths)));
            app.toasts
                .error("Could not start the change; the vault was locked. Nothing changed.");
        });
        self.worker.run(ctx, "change-master-password", work, failed);
    }

    /// Switches the key mode on the worker, which holds the unlocked vault
    /// meanwhile; the master password confirms it.
    fn switch_key_mode(&mut self, ctx: &egui::Context, password: SecretString) {
        let key_file = self.key_file.clone();
        let target = if vault::is_password_derived(&self.paths) {
            KeyMode::FileKey
        } else {
            KeyMode::PasswordDerived
        };
        let busy = format!("Switching to {target} mode…");
        let Screen::Main(mut main) = std::mem::replace(&mut self.screen, Screen::Busy(busy)) else {
            return;
        };
        let work = move || -> Finish {
            let credentials = Credentials { password, key_file };
            let result = main.vault.change_key_mode(&credentials, target);
            Box::new(move |app: &mut App| {
                let view = &mut main.settings.password;
                match result {
                    Ok(done) => {
                        view.close_rotation();
                        view.derived = target == KeyMode::PasswordDerived;
                        view.rotated = Some(format!(
                            "The vault is in {target} mode now; {} records re-encrypted.",
                            done.records
                        ));
                        app.toasts.info(format!("Switched to {target} mode."));
                    }
                    Err(e) => view.rotate_error = Some(capitalized(&e.to_string())),
                }
                app.screen = Screen::Main(main);
                app.last_activity = std::time::Instant::now();
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.screen = Screen::Unlock(Box::new(super::unlock_state(&app.paths)));
            app.toasts
                .error("Could not start the switch; the vault was locked. Nothing changed.");
        });
        self.worker.run(ctx, "switch-key-mode", work, failed);
    }
}

/// How far a long job on the unlocked vault has got, for the progress
/// screen.
#[derive(Default)]
pub(super) struct BusyProgress {
    done: AtomicUsize,
    total: AtomicUsize,
}

impl BusyProgress {
    /// (done, total).
    pub(super) fn get(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

impl App {
    /// Rotates the data key on the worker, which holds the unlocked vault
    /// meanwhile; the window shows the progress.
    fn rotate_key(&mut self, ctx: &egui::Context, password: SecretString) {
        let before: Vec<std::path::PathBuf> =
            crate::core::backup::retention::list(&self.settings.backups_dir(&self.paths))
                .into_iter()
                .map(|found| found.path)
                .collect();
        let key_file = self.key_file.clone();
        let progress = Arc::new(BusyProgress::default());
        self.busy_progress = Some(progress.clone());
        let busy = "Re-encrypting every record under a new key…".to_owned();
        let Screen::Main(mut main) = std::mem::replace(&mut self.screen, Screen::Busy(busy)) else {
            return;
        };
        let wake = ctx.clone();
        let work = move || -> Finish {
            let credentials = Credentials { password, key_file };
            let result = main
                .vault
                .rotate_data_key(&credentials, &mut |done, total| {
                    progress.total.store(total, Ordering::Relaxed);
                    progress.done.store(done, Ordering::Relaxed);
                    wake.request_repaint();
                });
            Box::new(move |app: &mut App| {
                app.busy_progress = None;
                let view = &mut main.settings.password;
                match result {
                    Ok(rotated) => {
                        view.close_rotation();
                        view.rotated = Some(format!(
                            "Encryption key rotated (version {}): {} records re-encrypted. \
                             Backups are now signed with the key fingerprint {}.",
                            rotated.key_version, rotated.records, rotated.signing_fingerprint
                        ));
                        view.old_backups = before;
                        app.toasts.info("Encryption key rotated.");
                    }
                    Err(e) => view.rotate_error = Some(capitalized(&e.to_string())),
                }
                app.screen = Screen::Main(main);
                app.last_activity = std::time::Instant::now();
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.busy_progress = None;
            app.screen = Screen::Unlock(Box::new(super::unlock_state(&app.paths)));
            app.toasts
                .error("Could not start the key rotation; the vault was locked. Nothing changed.");
        });
        self.worker.run(ctx, "rotate-key", work, failed);
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
