//! Opening and closing the vault: unlocking and creating it on the
//! worker, taking in the result, and locking (by hand, when idle, when
//! minimized).

use std::time::{Duration, Instant};

use super::{App, MainState, Screen, Section};
use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::core::two_factor;
use crate::core::vault::{self, CreateOptions, Credentials, HistoryPolicy, VaultError};
use crate::ui::backup_view::BackupView;
use crate::ui::categories_view::CategoriesView;
use crate::ui::first_run::FirstRunAction;
use crate::ui::logs_view::LogsView;
use crate::ui::passwords::PasswordsState;
use crate::ui::security_view::SecurityView;
use crate::ui::settings_view::SettingsView;
use crate::ui::unlock::{UnlockAction, UnlockState};
use crate::ui::worker::{Job, Outcome};

use super::banner::expiring_soon;

impl App {
    pub(super) fn start_unlock(&mut self, ctx: &egui::Context, action: UnlockAction) {
        let (password, key_file, code) = match action {
            UnlockAction::Submit { password, key_file } => {
                // Kept for the code step while two-factor unlock is on.
                self.two_factor_pending =
                    two_factor::is_enabled(&self.paths).then(|| Credentials {
                        password: password.clone(),
                        key_file: key_file.clone(),
                    });
                (password, key_file, None)
            }
            UnlockAction::SubmitCode(code) => match &self.two_factor_pending {
                Some(pending) => (
                    pending.password.clone(),
                    pending.key_file.clone(),
                    Some(code),
                ),
                None => {
                    if let Screen::Unlock(state) = &mut self.screen {
                        state.back_to_password();
                    }
                    return;
                }
            },
            UnlockAction::Back => {
                self.two_factor_pending = None;
                if let Screen::Unlock(state) = &mut self.screen {
                    state.back_to_password();
                }
                return;
            }
        };
        let lock = match VaultLock::acquire(&self.paths.lock_file()) {
            Ok(lock) => lock,
            Err(e) => {
                if let Screen::Unlock(state) = &mut self.screen {
                    state.error = Some(e.to_string());
                }
                return;
            }
        };
        if let Screen::Unlock(state) = &mut self.screen {
            state.busy = true;
            state.error = None;
        }
        self.key_file = key_file.clone();
        let credentials = Credentials { password, key_file };
        let policy = HistoryPolicy::from_settings(&self.settings);
        self.worker.start(
            ctx,
            self.paths.clone(),
            Job::Unlock {
                credentials,
                code,
                lock,
                policy,
            },
        );
    }

    pub(super) fn start_create(&mut self, ctx: &egui::Context, action: FirstRunAction) {
        let FirstRunAction::Create {
            password,
            key_mode,
            key_file,
            kdf,
        } = action;
        let created = crate::core::fsio::create_private_dir(&self.paths.data_dir)
            .map_err(|e| e.to_string())
            .and_then(|()| VaultLock::acquire(&self.paths.lock_file()).map_err(|e| e.to_string()));
        let Screen::FirstRun(state) = &mut self.screen else {
            return;
        };
        match created {
            Ok(lock) => {
                state.busy = true;
                let options = CreateOptions {
                    key_mode,
                    key_file,
                    kdf,
                };
                self.worker.start(
                    ctx,
                    self.paths.clone(),
                    Job::Create {
                        password,
                        options,
                        lock,
                    },
                );
            }
            Err(e) => state.error = Some(e),
        }
    }

    pub(super) fn finish_job(&mut self, outcome: Outcome) {
        let result = match outcome {
            Outcome::Opened(result) => result,
            Outcome::Finished(finish) => return finish(self),
        };
        match result {
            Ok(mut vault) => {
                self.two_factor_pending = None;
                vault.set_history_policy(HistoryPolicy::from_settings(&self.settings));
                for notice in vault.notices() {
                    self.toasts.info(notice.clone());
                }
                let vault_trend = vault.audit_trend().unwrap_or_default();
                let expiry_banner = expiring_soon(&vault);
                self.screen = Screen::Main(Box::new(MainState {
                    vault,
                    section: Section::Passwords,
                    passwords: PasswordsState::default(),
                    categories: CategoriesView::default(),
                    settings: {
                        let mut view = SettingsView::from_settings(&self.settings);
                        match two_factor::status(&self.paths) {
                            Ok(status) => view.two_factor.status = status,
                            Err(e) => view.two_factor.error = Some(e.to_string()),
                        }
                        view.password.derived = vault::is_password_derived(&self.paths);
                        view.password.protected = vault::needs_key_file(&self.paths);
                        view
                    },
                    logs: LogsView::new(&self.paths),
                    editor: None,
                    dialog: None,
                    import: None,
                    export: None,
                    security: SecurityView {
                        trend: vault_trend,
                        ..SecurityView::default()
                    },
                    backup: BackupView::from_settings(&self.settings),
                    restore: None,
                    expiry_banner,
                }));
                self.last_activity = Instant::now();
                self.backups.unlocked();
            }
            Err(error) => self.show_open_error(error),
        }
    }

    fn show_open_error(&mut self, error: VaultError) {
        // The password is kept only while the code step may still use it.
        if !matches!(
            error,
            VaultError::SecondFactorRequired | VaultError::WrongSecondFactor { .. }
        ) {
            self.two_factor_pending = None;
        }
        match &mut self.screen {
            Screen::Unlock(state) => {
                state.busy = false;
                match error {
                    VaultError::SecondFactorRequired => state.ask_for_code(),
                    VaultError::LockedOut { remaining_secs } => {
                        state.locked_until = Some(lockout_deadline(remaining_secs));
                    }
                    VaultError::WrongPassword {
                        locked_for: Some(secs),
                        ..
                    }
                    | VaultError::WrongSecondFactor {
                        locked_for: Some(secs),
                        ..
                    } => {
                        state.error = Some(error.to_string());
                        state.locked_until = Some(lockout_deadline(secs));
                    }
                    other => state.error = Some(other.to_string()),
                }
            }
            Screen::FirstRun(state) => {
                state.busy = false;
                state.error = Some(error.to_string());
            }
            Screen::Main(_) | Screen::Busy(_) => self.toasts.error(error.to_string()),
        }
    }

    /// Locks: every decrypted value is dropped (and wiped) with the vault.
    pub(super) fn lock(&mut self, message: &str) {
        if matches!(self.screen, Screen::Main(_)) {
            self.clipboard.clear_now();
            self.screen = Screen::Unlock(Box::new(unlock_state(&self.paths)));
            self.toasts.info(message.to_owned());
        }
    }

    pub(super) fn auto_lock(&mut self, ctx: &egui::Context) {
        if !matches!(self.screen, Screen::Main(_)) {
            return;
        }
        let active = ctx.input(|i| !i.events.is_empty() || i.pointer.is_moving());
        if active {
            self.last_activity = Instant::now();
        }
        let minimized = ctx.input(|i| i.viewport().minimized) == Some(true);
        if minimized && self.settings.lock_on_minimize() {
            self.lock("Locked when the window was minimized.");
            return;
        }
        let limit = Duration::from_secs(self.settings.auto_lock_minutes() * 60);
        if self.last_activity.elapsed() >= limit {
            let minutes = self.settings.auto_lock_minutes();
            self.lock(&format!("Locked after {minutes} minutes without use."));
            return;
        }
        ctx.request_repaint_after(Duration::from_secs(1));
    }
}

pub(super) fn unlock_state(paths: &Paths) -> UnlockState {
    let mut state = UnlockState::default();
    state.needs_key_file = vault::needs_key_file(paths);
    state
}

fn lockout_deadline(secs: i64) -> Instant {
    Instant::now() + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}
