//! Backups from the window: Backup now, the automatic backup after
//! unlocking, the cached status of the newest backup, and what the Backup
//! section's buttons do. Writing, verifying and pruning run on the worker;
//! the folder is listed on the UI thread (a directory read, never an
//! archive) only after a change and at most once a minute otherwise.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{App, Screen};
use crate::core::backup::{self, BackupOptions, auto, signing};
use crate::ui::backup_status::{self, Check, LastBackup, StatusLine};
use crate::ui::backup_view::BackupAction;
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

/// How often the backups folder is listed again while the vault is open
/// (a backup taken by the command line shows up within this time).
const LIST_EVERY: Duration = Duration::from_secs(60);

/// What the window knows about backups, kept across frames so that
/// nothing is read from disk on every frame.
#[derive(Default)]
pub(super) struct BackupStatus {
    /// The newest backup in the folder, with what verifying it found.
    last: Option<LastBackup>,
    /// When the folder was last listed; `None` asks for a listing now.
    listed_at: Option<Instant>,
    /// A backup (manual or automatic) is being written.
    writing: bool,
    /// The newest backup is being verified.
    verifying: bool,
    /// The newest backup changed and wants verifying.
    want_verify: bool,
    /// The vault was just unlocked: take an automatic backup if one is due.
    want_auto: bool,
}

impl BackupStatus {
    /// After unlocking: list the folder, then back up if one is due.
    pub(super) fn unlocked(&mut self) {
        self.listed_at = None;
        self.want_auto = true;
    }

    /// Lists the folder again at the next frame (backups were deleted).
    pub(super) fn forget_listing(&mut self) {
        self.listed_at = None;
        self.last = None;
    }

    /// Whether a backup is being written.
    pub(super) fn writing(&self) -> bool {
        self.writing
    }

    /// The status bar's line.
    pub(super) fn line(&self) -> StatusLine {
        let now = chrono::Utc::now().naive_utc();
        backup_status::status_line(self.last.as_ref(), self.writing, now)
    }

    /// The newest backup, for the section.
    pub(super) fn last(&self) -> Option<&LastBackup> {
        self.last.as_ref()
    }
}

impl App {
    /// Per-frame backup work while the vault is open: the listing when it
    /// is stale, the automatic backup after unlocking, and verifying a new
    /// newest backup. Each starts at most one job.
    pub(super) fn backup_tick(&mut self, ctx: &egui::Context) {
        if !matches!(self.screen, Screen::Main(_)) {
            return;
        }
        let stale = self
            .backups
            .listed_at
            .is_none_or(|at| at.elapsed() >= LIST_EVERY);
        if stale && !self.backups.writing {
            self.relist();
        }
        if self.backups.want_auto && !self.backups.writing {
            self.backups.want_auto = false;
            self.start_auto_backup(ctx);
        }
        let idle = !self.backups.writing && !self.backups.verifying;
        if self.backups.want_verify && idle {
            self.backups.want_verify = false;
            self.verify_newest(ctx);
        }
    }

    /// Lists the backups folder: the newest archive for the status bar and
    /// every archive for the section. A new newest archive gets verified.
    fn relist(&mut self) {
        let dir = self.settings.backups_dir(&self.paths);
        let listed = backup_status::list_backups(&dir);
        self.backups.listed_at = Some(Instant::now());
        self.backups.last = match (listed.first(), self.backups.last.take()) {
            (Some(newest), Some(last)) if last.listed.path == newest.path => Some(LastBackup {
                listed: newest.clone(),
                check: last.check,
            }),
            (Some(newest), _) => {
                self.backups.want_verify = true;
                Some(LastBackup {
                    listed: newest.clone(),
                    check: Check::Pending,
                })
            }
            (None, _) => None,
        };
        if let Some(main) = self.main() {
            main.backup.set_list(listed);
        }
    }

    /// The vault's own signing key, when it has published one.
    fn public_key(&self) -> Option<PathBuf> {
        let key = self.paths.data_dir.join(signing::PUBLIC_KEY_FILE);
        key.exists().then_some(key)
    }

    fn verify_newest(&mut self, ctx: &egui::Context) {
        let Some(last) = &self.backups.last else {
            return;
        };
        let path = last.listed.path.clone();
        let key = self.public_key();
        self.backups.verifying = true;
        let work = move || -> Finish {
            let report = backup::verify(&path, key.as_deref());
            Box::new(move |app: &mut App| {
                app.backups.verifying = false;
                app.take_newest_report(&report);
            })
        };
        let failed: Finish = Box::new(|app: &mut App| app.backups.verifying = false);
        self.worker.run(ctx, "verify-backup", work, failed);
    }

    /// Records what verifying an archive found, if it is the newest.
    fn take_newest_report(&mut self, report: &backup::VerifyReport) {
        if let Some(last) = &mut self.backups.last
            && last.listed.path == report.archive
        {
            last.check = Check::from_report(report);
        }
    }

    /// Backup now: a backup with the section's options, on the worker.
    pub(super) fn backup_now(&mut self, ctx: &egui::Context) {
        if self.backups.writing {
            self.toasts.info("A backup is already being written.");
            return;
        }
        let dir = self.settings.backups_dir(&self.paths);
        let gpg_key_id = self.settings.backup_gpg_key_id();
        let Some(main) = self.main() else { return };
        let options = BackupOptions {
            include_logs: main.backup.include_logs,
            include_breach_cache: main.backup.include_breach_cache,
            encryption: None,
            gpg_key_id,
        };
        let source = main.vault.backup_source();
        self.backups.writing = true;
        ctx.request_repaint();

        let work = move || -> Finish {
            let written = backup::create_from(&source, &dir, &options);
            Box::new(move |app: &mut App| {
                app.backups.writing = false;
                app.backups.listed_at = None;
                match written {
                    Ok(info) => {
                        let name = file_name(&info.path);
                        let entries = info.manifest.entry_count;
                        app.toasts
                            .info(format!("Backup written: {name}, {entries} entries"));
                        // A backup without its GPG signature is still a backup.
                        for warning in &info.warnings {
                            app.toasts.error(capitalized(warning));
                        }
                    }
                    Err(e) => app.toasts.error(format!(
                        "The backup was not written: {}",
                        capitalized(&e.to_string())
                    )),
                }
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.backups.writing = false;
            app.toasts
                .error("Could not start the backup; nothing was written. Try again.");
        });
        self.worker.run(ctx, "backup", work, failed);
    }

    /// After unlocking: an automatic backup in the background when one is
    /// due, followed by the retention rule. No dialog, a toast at the end.
    fn start_auto_backup(&mut self, ctx: &egui::Context) {
        let policy = self.settings.backup_auto();
        let dir = self.settings.backups_dir(&self.paths);
        if !auto::due(&dir, &policy, chrono::Utc::now()) {
            return;
        }
        let Some(main) = self.main() else { return };
        // An empty vault has nothing to keep (a new one, say): its backup
        // would only postpone the first one worth having.
        if main.vault.entries().is_empty() {
            return;
        }
        let source = main.vault.backup_source();
        self.backups.writing = true;

        let work = move || -> Finish {
            let outcome = auto::run_in(&source, &dir, &policy);
            Box::new(move |app: &mut App| {
                app.backups.writing = false;
                app.backups.listed_at = None;
                match outcome {
                    Ok(outcome) => {
                        let mut text = format!(
                            "Automatic backup written: {}",
                            file_name(&outcome.info.path)
                        );
                        if !outcome.pruned.is_empty() {
                            text.push_str(&format!(
                                "; {} older backups pruned",
                                outcome.pruned.len()
                            ));
                        }
                        app.toasts.info(text);
                    }
                    Err(e) => app.toasts.error(format!(
                        "The automatic backup failed: {}. Use Backup now to retry, or turn \
                         automatic backups off in the Backup section.",
                        capitalized(&e.to_string())
                    )),
                }
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.backups.writing = false;
            app.toasts
                .error("Could not start the automatic backup; use Backup now.");
        });
        self.worker.run(ctx, "auto-backup", work, failed);
    }

    /// The Backup section was opened: list the folder and verify the
    /// newest backup again.
    pub(super) fn backup_section_opened(&mut self) {
        self.relist();
        if self.backups.last.is_some() {
            self.backups.want_verify = true;
        }
    }

    pub(super) fn backup_action(&mut self, ctx: &egui::Context, action: BackupAction) {
        match action {
            BackupAction::BackupNow => self.backup_now(ctx),
            BackupAction::ChooseFolder => {
                let picked = rfd::FileDialog::new()
                    .set_title("Choose the backups folder")
                    .set_directory(self.settings.backups_dir(&self.paths))
                    .pick_folder();
                if let Some(dir) = picked {
                    self.change_backup_dir(dir.display().to_string());
                }
            }
            BackupAction::DefaultFolder => self.change_backup_dir(String::new()),
            BackupAction::Setting(key, value) => {
                self.change_setting(key, &value);
            }
            BackupAction::Prune => self.plan_prune(),
            BackupAction::ConfirmPrune => self.prune_now(ctx),
            BackupAction::CancelPrune => {
                if let Some(main) = self.main() {
                    main.backup.prune_plan = None;
                }
            }
            BackupAction::Verify(path) => self.verify_listed(ctx, path),
            BackupAction::Restore(path) => self.open_restore(path),
            BackupAction::RestoreFromFile => self.pick_restore_file(),
        }
    }

    fn change_backup_dir(&mut self, dir: String) {
        self.change_setting("backup.dir", &dir);
        if let Some(main) = self.main() {
            main.backup.report = None;
            main.backup.pruned = None;
        }
        self.relist();
    }

    /// Lists what the retention rule would delete, for the confirmation;
    /// with nothing to delete, says so at once.
    fn plan_prune(&mut self) {
        let dir = self.settings.backups_dir(&self.paths);
        let rule = self.settings.backup_retention();
        let (_, delete) =
            crate::core::backup::retention::plan(&crate::core::backup::retention::list(&dir), rule);
        let Some(main) = self.main() else { return };
        if delete.is_empty() {
            main.backup.pruned = Some(Ok(Vec::new()));
        } else {
            main.backup.pruned = None;
            main.backup.prune_plan = Some(delete.into_iter().map(|found| found.path).collect());
        }
    }

    fn prune_now(&mut self, ctx: &egui::Context) {
        let dir = self.settings.backups_dir(&self.paths);
        let rule = self.settings.backup_retention();
        let Some(main) = self.main() else { return };
        main.backup.prune_plan = None;
        main.backup.pruning = true;
        let work = move || -> Finish {
            let deleted = auto::prune(&dir, rule).map_err(|e| {
                format!(
                    "{}; nothing after it was deleted",
                    capitalized(&e.to_string())
                )
            });
            Box::new(move |app: &mut App| {
                if let Some(main) = app.main() {
                    main.backup.pruning = false;
                    // The checks of an archive now gone are no longer news.
                    let gone = |path: &std::path::Path| !path.exists();
                    if main
                        .backup
                        .report
                        .as_ref()
                        .is_some_and(|r| gone(&r.archive))
                    {
                        main.backup.report = None;
                    }
                    main.backup.pruned = Some(deleted);
                }
                app.backups.listed_at = None;
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            if let Some(main) = app.main() {
                main.backup.pruning = false;
                main.backup.pruned = Some(Err("Could not start pruning; try again.".to_owned()));
            }
        });
        self.worker.run(ctx, "prune-backups", work, failed);
    }

    /// Verify for the archive chosen in the list: every check is shown.
    fn verify_listed(&mut self, ctx: &egui::Context, path: PathBuf) {
        let key = self.public_key();
        let Some(main) = self.main() else { return };
        main.backup.verifying = Some(path.clone());
        main.backup.report = None;
        let work = move || -> Finish {
            let report = backup::verify(&path, key.as_deref());
            Box::new(move |app: &mut App| {
                app.take_newest_report(&report);
                if let Some(main) = app.main() {
                    main.backup.verifying = None;
                    main.backup.report = Some(report);
                }
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            if let Some(main) = app.main() {
                main.backup.verifying = None;
            }
            app.toasts.error("Could not start verifying; try again.");
        });
        self.worker.run(ctx, "verify-backup", work, failed);
    }

    /// Forgets what is known about backups (after a restore, whose
    /// settings may name another folder).
    pub(super) fn forget_backups(&mut self) {
        self.backups = BackupStatus::default();
    }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
