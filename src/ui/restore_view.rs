//! The restore dialog: the backup's master password, then every check the
//! staged backup passed, what it holds, and a confirmation before the
//! current vault is replaced. Staging and switching run on the worker; this
//! module only draws the dialog's state.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};
use zeroize::Zeroize;

use super::backup_status::local_time;
use super::backup_view::{check_ui, checks_ui};
use super::theme;
use super::widgets;
use crate::core::backup::restore::{PRE_RESTORE_PREFIX, Staged};
use crate::core::backup::{CheckStatus, VerifyReport};
use crate::core::secret::SecretString;

/// Where the dialog is.
pub enum RestoreStage {
    /// Asking for the backup's master password.
    Ask,
    /// The archive is being verified, unpacked and unlocked.
    Checking,
    /// The archive failed verification; nothing can be restored from it.
    Refused(Box<VerifyReport>),
    /// Verified and unlocked in a staging folder, waiting for the
    /// confirmation. Dropping it removes the staging folder.
    Ready(Box<Staged>),
}

/// The restore dialog's state.
pub struct RestoreState {
    /// The archive to restore.
    pub archive: PathBuf,
    password: String,
    /// The backup passphrase of an encrypted (`.zip.enc`) archive.
    passphrase: String,
    show: bool,
    /// The key file, when the backup needs one.
    pub key_file: String,
    /// Whether to ask for a key file.
    pub ask_key_file: bool,
    /// Where the dialog is.
    pub stage: RestoreStage,
    /// Why the last attempt failed (a wrong password, say).
    pub error: Option<String>,
    focused_once: bool,
}

impl Drop for RestoreState {
    fn drop(&mut self) {
        self.password.zeroize();
        self.passphrase.zeroize();
    }
}

impl RestoreState {
    /// The dialog for `archive`; `key_file` is the one the vault was
    /// unlocked with, offered again when the vault needs one.
    pub fn new(archive: PathBuf, key_file: Option<PathBuf>, ask_key_file: bool) -> Self {
        Self {
            archive,
            password: String::new(),
            passphrase: String::new(),
            show: false,
            key_file: key_file
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            ask_key_file,
            stage: RestoreStage::Ask,
            error: None,
            focused_once: false,
        }
    }
}

/// What the dialog asks the app to do.
pub enum RestoreAction {
    /// Verify, unpack and unlock the archive with these credentials.
    Check {
        /// The backup's master password.
        password: SecretString,
        /// Its key file, if it needs one.
        key_file: Option<PathBuf>,
        /// The passphrase of an encrypted archive.
        passphrase: Option<SecretString>,
    },
    /// Open the file picker for the key file.
    ChooseKeyFile,
    /// Replace the current vault with the staged backup.
    Confirm,
    /// Close the dialog; nothing changes.
    Close,
}

/// What the dialog needs from the app besides its own state.
pub struct RestoreContext<'a> {
    /// The vault's data directory (where `pre-restore-…` goes).
    pub data_dir: &'a Path,
    /// Whether a backup is being written; the switch waits for it.
    pub backup_running: bool,
}

/// Draws the dialog; returns what was asked for.
pub fn restore_ui(
    ctx: &egui::Context,
    state: &mut RestoreState,
    cx: &RestoreContext<'_>,
) -> Option<RestoreAction> {
    let mut action = None;
    let modal = egui::Modal::new(egui::Id::unique("restore-dialog")).show(ctx, |ui| {
        ui.set_width(620.0);
        ui.heading("Restore a backup");
        ui.add_space(theme::GAP);
        ui.horizontal_wrapped(|ui| {
            ui.label("Backup file:");
            ui.label(RichText::new(state.archive.display().to_string()).monospace());
        });
        ui.add_space(theme::GAP);
        // What scrolls when the window is short: everything but the
        // question and the buttons.
        let room = (ctx.content_rect().height() - 300.0).max(120.0);
        action = match &state.stage {
            RestoreStage::Ask => ask_ui(ui, state),
            RestoreStage::Checking => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Checking the archive and opening it with the password…");
                });
                None
            }
            RestoreStage::Refused(report) => refused_ui(ui, report, room),
            RestoreStage::Ready(staged) => ready_ui(ui, staged, cx, room),
        };
    });
    // Escape closes it, a click beside it does not: a stray click should
    // not throw away a backup that took a key derivation to open.
    let checking = matches!(state.stage, RestoreStage::Checking);
    let beside = modal.backdrop_response.clicked();
    if modal.should_close() && !beside && !checking && action.is_none() {
        action = Some(RestoreAction::Close);
    }
    action
}

fn ask_ui(ui: &mut Ui, state: &mut RestoreState) -> Option<RestoreAction> {
    let mut action = None;
    ui.label(
        "The backup is checked and opened in a private folder first. Nothing in the current \
         vault changes until you confirm.",
    );
    ui.add_space(theme::GAP);
    let field = widgets::text_field(
        ui,
        "Master password of the backup",
        &mut state.password,
        !state.show,
    );
    if !state.focused_once {
        field.request_focus();
        state.focused_once = true;
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let encrypted = crate::core::backup::is_encrypted(&state.archive);
    if encrypted {
        widgets::text_field(
            ui,
            "Backup passphrase (the archive is encrypted)",
            &mut state.passphrase,
            !state.show,
        );
    }
    ui.checkbox(&mut state.show, "Show password");
    if state.ask_key_file {
        ui.add_space(theme::GAP);
        if widgets::path_field(ui, "Key file", &mut state.key_file, 380.0) {
            action = Some(RestoreAction::ChooseKeyFile);
        }
    }
    if let Some(error) = &state.error {
        ui.add_space(theme::GAP);
        widgets::error_line(ui, error);
    }
    ui.add_space(theme::GAP);
    let ready = !state.password.is_empty() && (!encrypted || !state.passphrase.is_empty());
    ui.horizontal(|ui| {
        let check = widgets::primary_button(ui, "Check the backup", ready).clicked();
        if (check || entered) && ready {
            let key_file = Some(state.key_file.trim())
                .filter(|k| state.ask_key_file && !k.is_empty())
                .map(PathBuf::from);
            let passphrase =
                encrypted.then(|| SecretString::new(std::mem::take(&mut state.passphrase)));
            action = Some(RestoreAction::Check {
                password: SecretString::new(std::mem::take(&mut state.password)),
                key_file,
                passphrase,
            });
            state.focused_once = false;
        }
        if ui.button("Cancel").clicked() {
            action = Some(RestoreAction::Close);
        }
    });
    action
}

fn refused_ui(ui: &mut Ui, report: &VerifyReport, room: f32) -> Option<RestoreAction> {
    widgets::error_line(
        ui,
        "This backup FAILED verification, so nothing can be restored from it. The current \
         vault was not changed.",
    );
    ui.add_space(theme::GAP);
    scroll_ui(ui, room, |ui| checks_ui(ui, &report.checks));
    ui.add_space(theme::GAP);
    ui.button("Close").clicked().then_some(RestoreAction::Close)
}

fn ready_ui(
    ui: &mut Ui,
    staged: &Staged,
    cx: &RestoreContext<'_>,
    room: f32,
) -> Option<RestoreAction> {
    let mut action = None;
    scroll_ui(ui, room, |ui| facts_ui(ui, staged));
    ui.add_space(theme::SECTION_GAP);
    ui.label(
        RichText::new(format!(
            "Replace the current vault with this backup? The current files are kept in \
             {PRE_RESTORE_PREFIX}… (a new folder in {}).",
            cx.data_dir.display()
        ))
        .strong(),
    );
    ui.label("The vault locks; unlock it afterwards with the backup's master password.");
    if cx.backup_running {
        ui.label(RichText::new("A backup is being written; wait for it to finish.").small());
    }
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let replace = widgets::primary_button(ui, "Replace the current vault", !cx.backup_running);
        if replace.clicked() {
            action = Some(RestoreAction::Confirm);
        }
        if ui.button("Cancel").clicked() {
            action = Some(RestoreAction::Close);
        }
    });
    action
}

/// What the staged backup proved and holds: every check, the unlock, its
/// date, version and counts, and a warning when the signature went
/// unchecked.
fn facts_ui(ui: &mut Ui, staged: &Staged) {
    checks_ui(ui, &staged.report.checks);
    let opened = format!(
        "opened with the master password: {} entries, {} history records",
        staged.entries, staged.history
    );
    check_ui(ui, "unlock", CheckStatus::Passed, &opened);
    ui.add_space(theme::GAP);

    let manifest = &staged.manifest;
    let taken = crate::core::time::parse_rfc3339(&manifest.created_at)
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(
            || manifest.created_at.clone(),
            |t| local_time(t.naive_utc()),
        );
    let made_by = format!(
        "version {} (schema {})",
        manifest.product_version, manifest.schema_version
    );
    egui::Grid::new("restore-facts")
        .num_columns(2)
        .spacing([16.0, 2.0])
        .show(ui, |ui| {
            for (what, value) in [
                ("Taken", taken),
                ("Made by", made_by),
                (
                    "Entries",
                    format!("{} (the trash included)", staged.entries),
                ),
                ("History records", staged.history.to_string()),
            ] {
                ui.label(RichText::new(what).strong());
                ui.label(value);
                ui.end_row();
            }
        });
    match staged.logs_left {
        0 => {}
        1 => {
            ui.label("The archive's log file stays in the archive; the current log is kept.");
        }
        n => {
            ui.label(format!(
                "The archive's {n} log files stay in the archive; the current log is kept."
            ));
        }
    }
    if !staged.signature_checked {
        ui.add_space(theme::GAP);
        let warning = format!(
            "The signature was NOT checked: there is no public key to check it against, so \
             this archive could come from anyone who knows the backup's master password. The \
             restored vault signs with the key fingerprint {}; compare it with the \
             fingerprint you recorded.",
            staged.vault_key_fingerprint
        );
        ui.add(egui::Label::new(RichText::new(warning).color(theme::WARNING)).wrap());
    }
}

/// A box that scrolls when the window is too short for what it holds, so
/// the question and the buttons stay in view.
fn scroll_ui(ui: &mut Ui, max_height: f32, add: impl FnOnce(&mut Ui)) {
    egui::ScrollArea::vertical()
        .max_height(max_height)
        .auto_shrink([false, true])
        .show(ui, add);
}
