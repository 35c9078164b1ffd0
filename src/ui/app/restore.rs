//! Restoring a backup from the window. The archive is staged on the
//! worker (verified, unpacked and unlocked with the backup's master
//! password in a private folder); the staged backup waits in the dialog's
//! state until the person confirms. Then the vault is locked (which
//! releases its writer lock), and the worker takes the lock again and
//! switches the files in. The unlock screen follows with what happened.

use std::path::PathBuf;

use super::{App, Screen};
use crate::core::backup::restore::{self, RestoreError, Restored};
use crate::core::events;
use crate::core::lock::VaultLock;
use crate::core::secret::SecretString;
use crate::core::settings::Settings;
use crate::core::vault::{self, Credentials, VaultError};
use crate::event;
use crate::ui::restore_view::{RestoreAction, RestoreStage, RestoreState};
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    /// Opens the restore dialog for `archive`. The file picker, the Backup
    /// section's list and tests all come in here.
    pub fn open_restore(&mut self, archive: PathBuf) {
        let needs_key_file = vault::needs_key_file(&self.paths);
        let key_file = self.key_file.clone().filter(|_| needs_key_file);
        if let Some(main) = self.main() {
            main.restore = Some(RestoreState::new(archive, key_file, needs_key_file));
        }
    }

    /// Backup > Restore…: pick an archive, then the dialog.
    pub(super) fn pick_restore_file(&mut self) {
        if self.main().is_none() {
            return;
        }
        let picked = rfd::FileDialog::new()
            .set_title("Restore from a backup")
            .set_directory(self.settings.backups_dir(&self.paths))
            .add_filter("Backup archives (.zip, .zip.enc)", &["zip", "enc"])
            .add_filter("All files", &["*"])
            .pick_file();
        if let Some(path) = picked {
            self.open_restore(path);
        }
    }

    pub(super) fn restore_action(&mut self, ctx: &egui::Context, action: RestoreAction) {
        match action {
            RestoreAction::Check {
                password,
                key_file,
                passphrase,
            } => {
                self.stage_restore(ctx, Credentials { password, key_file }, passphrase);
            }
            RestoreAction::ChooseKeyFile => {
                let picked = rfd::FileDialog::new()
                    .set_title("The backup's key file")
                    .pick_file();
                let state = self.main().and_then(|m| m.restore.as_mut());
                if let (Some(path), Some(state)) = (picked, state) {
                    state.key_file = path.display().to_string();
                }
            }
            RestoreAction::Confirm => self.confirm_restore(ctx),
            // Dropping the state drops a staged backup and its folder.
            RestoreAction::Close => {
                if let Some(main) = self.main() {
                    main.restore = None;
                }
            }
        }
    }

    /// Verifies, unpacks and unlocks the archive on the worker. Touches no
    /// live file.
    fn stage_restore(
        &mut self,
        ctx: &egui::Context,
        credentials: Credentials,
        passphrase: Option<SecretString>,
    ) {
        let paths = self.paths.clone();
        let Some(state) = self.main().and_then(|m| m.restore.as_mut()) else {
            return;
        };
        let archive = state.archive.clone();
        state.stage = RestoreStage::Checking;
        state.error = None;

        let work = move || -> Finish {
            let keys = restore::RestoreKeys {
                credentials: &credentials,
                passphrase: passphrase.as_ref(),
            };
            let staged = restore::stage(&archive, None, &keys, &paths);
            drop(credentials);
            drop(passphrase);
            Box::new(move |app: &mut App| {
                if let Err(e) = &staged {
                    event!(
                        error,
                        events::RESTORE_FAILED,
                        "restore of {} refused: {e}",
                        archive.display()
                    );
                }
                // A dialog closed meanwhile drops what was staged.
                let Some(state) = app.main().and_then(|m| m.restore.as_mut()) else {
                    return;
                };
                match staged {
                    Ok(staged) => state.stage = RestoreStage::Ready(Box::new(staged)),
                    Err(RestoreError::Verification { report }) => {
                        state.stage = RestoreStage::Refused(report);
                    }
                    Err(e) => {
                        // A wrong password, a missing key file…: ask again.
                        if let RestoreError::Unlock {
                            cause: VaultError::KeyFileRequired | VaultError::KeyFileUnusable { .. },
                        } = &e
                        {
                            state.ask_key_file = true;
                        }
                        state.stage = RestoreStage::Ask;
                        state.error = Some(format!("{}.", capitalized(&e.to_string())));
                    }
                }
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            if let Some(state) = app.main().and_then(|m| m.restore.as_mut()) {
                state.stage = RestoreStage::Ask;
                state.error = Some("Could not start checking the backup; try again.".to_owned());
            }
        });
        self.worker.run(ctx, "restore-stage", work, failed);
    }

    /// Locks the vault and switches the staged backup in on the worker.
    fn confirm_restore(&mut self, ctx: &egui::Context) {
        if self.backups.writing() {
            return;
        }
        let Some(main) = self.main() else { return };
        let Some(state) = main.restore.as_mut() else {
            return;
        };
        let staged = match std::mem::replace(&mut state.stage, RestoreStage::Checking) {
            RestoreStage::Ready(staged) => staged,
            other => {
                state.stage = other;
                return;
            }
        };
        let entries = staged.entries;

        // Locking drops the vault, and with it the writer lock that the
        // switch takes again below.
        self.clipboard.clear_now();
        self.screen = Screen::Busy("Restoring the backup…".to_owned());
        let paths = self.paths.clone();
        let work = move || -> Finish {
            let switched = VaultLock::acquire(&paths.lock_file())
                .map_err(|e| format!("The backup was not restored: {e}"))
                .and_then(|lock| {
                    let switched = restore::switch(*staged, &paths, &lock);
                    drop(lock);
                    switched.map_err(|e| {
                        event!(error, events::RESTORE_FAILED, "restore switch failed: {e}");
                        format!("The restore failed: {}", capitalized(&e.to_string()))
                    })
                });
            Box::new(move |app: &mut App| app.finish_restore(entries, switched))
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.finish_restore(
                0,
                Err("Could not start the restore; nothing was restored.".to_owned()),
            );
        });
        self.worker.run(ctx, "restore-switch", work, failed);
    }

    /// Shows the unlock screen with what the restore did.
    fn finish_restore(&mut self, entries: usize, switched: Result<Restored, String>) {
        // The backup brought its own settings (theme, backups folder…).
        self.settings = Settings::load(&self.paths.settings())
            .map(|l| l.settings)
            .unwrap_or_default();
        self.theme_applied = false;
        self.forget_backups();
        let mut state = super::unlock_state(&self.paths);
        match switched {
            Ok(restored) => {
                let kept = restored.pre_restore.map_or_else(
                    || "There were no previous files.".to_owned(),
                    |dir| format!("The previous files are in {}.", dir.display()),
                );
                state.notice = Some(format!(
                    "Backup restored: {entries} entries. {kept} Unlock with the backup's master \
                     password."
                ));
            }
            Err(e) => state.error = Some(e),
        }
        self.screen = Screen::Unlock(Box::new(state));
    }
}
