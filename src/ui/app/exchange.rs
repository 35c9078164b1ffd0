//! Running imports and exports from the window: reading the file and
//! writing the export on the worker thread, and applying an import there
//! too, with the unlocked state handed to the worker for the duration.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use zeroize::Zeroize;

use super::{App, Screen};
use crate::core::events;
use crate::core::exchange::{self, FileKey, Format};
use crate::core::secret::SecretString;
use crate::event;
use crate::ui::export_view::{ExportAction, ExportState};
use crate::ui::import_view::{ImportAction, ImportState, Stage};
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    pub(super) fn open_import(&mut self) {
        if let Some(main) = self.main() {
            main.import = Some(ImportState::default());
        }
    }

    pub(super) fn open_export(&mut self) {
        if let Some(main) = self.main() {
            main.export = Some(ExportState::default());
        }
    }

    pub(super) fn import_action(&mut self, ctx: &egui::Context, action: ImportAction) {
        match action {
            ImportAction::Close => {
                if let Some(main) = self.main() {
                    main.import = None;
                }
            }
            ImportAction::Browse => {
                let picked = rfd::FileDialog::new()
                    .set_title("Import a file")
                    .add_filter(
                        "Password exports",
                        &["csv", "tsv", "txt", "json", "xml", "kdbx", "spmx"],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file();
                let state = self.main().and_then(|m| m.import.as_mut());
                if let (Some(path), Some(state)) = (picked, state) {
                    state.inspect(path.display().to_string());
                }
            }
            ImportAction::Read => self.read_import(ctx),
            ImportAction::Apply => self.apply_import(ctx),
        }
    }

    /// Reads the chosen file on the worker; the preview follows.
    fn read_import(&mut self, ctx: &egui::Context) {
        let Some(state) = self.main().and_then(|m| m.import.as_mut()) else {
            return;
        };
        let Some(format) = state.format else { return };
        let path = PathBuf::from(state.path.trim());
        let key = FileKey {
            password: (state.needs_key && !state.no_password)
                .then(|| SecretString::from(state.password.as_str())),
            key_file: Some(state.key_file.trim())
                .filter(|k| !k.is_empty())
                .map(PathBuf::from),
        };
        let mapping = (format == Format::GenericCsv).then(|| state.mapping.clone());
        let progress = Arc::new(AtomicU64::new(0));
        let total = std::fs::metadata(&path).map_or(0, |m| m.len());
        state.error = None;
        state.stage = Stage::Reading {
            progress: progress.clone(),
            total,
        };
        let policy = state.policy;

        let work = move || -> Finish {
            let parsed = exchange::read(&path, format, &key, mapping.as_ref(), &mut |bytes| {
                progress.store(bytes, Ordering::Relaxed)
            });
            Box::new(move |app: &mut App| {
                let Some(main) = app.main() else { return };
                let Some(state) = main.import.as_mut() else {
                    return;
                };
                match parsed {
                    Ok(parsed) => {
                        state.read = parsed.entries.len();
                        state.stage =
                            Stage::Preview(Box::new(main.vault.plan_import(parsed, policy)));
                    }
                    Err(e) => {
                        state.stage = Stage::Choose;
                        state.error = Some(capitalized(&e.to_string()));
                    }
                }
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            if let Some(state) = app.main().and_then(|m| m.import.as_mut()) {
                state.stage = Stage::Choose;
                state.error = Some("Could not start reading the file; try again.".to_owned());
            }
        });
        self.worker.run(ctx, "import-read", work, failed);
    }

    /// Writes the previewed plan on the worker, which holds the unlocked
    /// vault until it is done; the window shows a progress screen meanwhile.
    fn apply_import(&mut self, ctx: &egui::Context) {
        let plan = match self.main().and_then(|m| m.import.as_mut()) {
            Some(state) => match std::mem::replace(&mut state.stage, Stage::Applying) {
                Stage::Preview(plan) => plan,
                other => {
                    state.stage = other;
                    return;
                }
            },
            None => return,
        };
        let count = plan.counts();
        let busy = format!("Importing {} entries…", count.0 + count.1);
        let Screen::Main(mut main) = std::mem::replace(&mut self.screen, Screen::Busy(busy)) else {
            return;
        };

        let work = move || -> Finish {
            let result = main.vault.apply_import(*plan);
            Box::new(move |app: &mut App| {
                match result {
                    Ok(report) => {
                        let added = report.added;
                        if let Some(state) = main.import.as_mut() {
                            state.stage = Stage::Done(report);
                        }
                        app.toasts.info(format!("Imported {added} new entries."));
                    }
                    Err(e) => {
                        if let Some(state) = main.import.as_mut() {
                            state.stage = Stage::Choose;
                            state.error = Some(format!(
                                "Nothing was imported: {}",
                                capitalized(&e.to_string())
                            ));
                        }
                    }
                }
                app.screen = Screen::Main(main);
                app.last_activity = std::time::Instant::now();
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            // The unlocked state went with the thread that never started.
            app.screen = Screen::Unlock(Box::new(super::unlock_state(&app.paths)));
            app.toasts
                .error("Could not start the import; the vault was locked. Nothing was imported.");
        });
        self.worker.run(ctx, "import-apply", work, failed);
    }

    pub(super) fn export_action(&mut self, ctx: &egui::Context, action: ExportAction) {
        match action {
            ExportAction::Close => {
                if let Some(main) = self.main() {
                    main.export = None;
                }
            }
            ExportAction::Browse => {
                let Some(state) = self.main().and_then(|m| m.export.as_mut()) else {
                    return;
                };
                let extension = state.format.extension();
                let picked = rfd::FileDialog::new()
                    .set_title("Export the vault")
                    .set_file_name(format!("passwords.{extension}"))
                    .save_file();
                if let Some(path) = picked {
                    state.path = path.display().to_string();
                    // The picker has already asked about replacing a file.
                    state.replace_ok = true;
                }
            }
            ExportAction::Export => self.write_export(ctx),
        }
    }

    /// Gathers the export here and writes it on the worker (the KDF and
    /// encryption take a moment).
    fn write_export(&mut self, ctx: &egui::Context) {
        let paths = self.paths.clone();
        let Some(main) = self.main() else { return };
        let Some(state) = main.export.as_mut() else {
            return;
        };
        let path = PathBuf::from(state.path.trim());
        if paths.holds(&path) {
            state.error = Some(format!(
                "{} is inside the vault's own folders, where an export could replace the \
                 vault's files. Choose a place elsewhere.",
                path.display()
            ));
            return;
        }
        if path.symlink_metadata().is_ok() && !state.replace_ok {
            state.error = Some(format!(
                "{} already exists. Choose another name, or pick it with Browse… to replace it.",
                path.display()
            ));
            return;
        }
        let (data, damaged) = match main.vault.export_data(state.include_trash) {
            Ok(found) => found,
            Err(e) => {
                state.error = Some(capitalized(&e.to_string()));
                return;
            }
        };
        let format = state.format;
        let key = FileKey {
            password: (!format.is_plaintext())
                .then(|| SecretString::from(state.passphrase.as_str())),
            key_file: None,
        };
        state.passphrase.zeroize();
        state.confirm.zeroize();
        state.busy = true;
        state.error = None;

        let work = move || -> Finish {
            let written = exchange::write(&path, format, &data, &key);
            let count = data.entries.len();
            Box::new(move |app: &mut App| {
                let Some(main) = app.main() else { return };
                match written {
                    Ok(()) => {
                        main.export = None;
                        event!(
                            info,
                            events::EXPORT_COMPLETED,
                            "export as {}: {count} entries",
                            format.name()
                        );
                        let mut text = format!("Exported {count} entries to {}.", path.display());
                        if damaged > 0 {
                            text.push_str(&format!(
                                " {damaged} damaged history records were left out."
                            ));
                        }
                        app.toasts.info(text);
                    }
                    Err(e) => {
                        if let Some(state) = main.export.as_mut() {
                            state.busy = false;
                            state.error = Some(capitalized(&e.to_string()));
                        }
                    }
                }
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            if let Some(state) = app.main().and_then(|m| m.export.as_mut()) {
                state.busy = false;
                state.error = Some("Could not start the export; try again.".to_owned());
            }
        });
        self.worker.run(ctx, "export", work, failed);
    }
}
