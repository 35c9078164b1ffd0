//! The application: which screen is showing, the queue of commands, the
//! worker for slow jobs, the clipboard and the auto-lock timer.

use std::time::{Duration, Instant};

use egui::Ui;
use uuid::Uuid;

mod backup;
mod banner;
mod bridge;
mod exchange;
mod kdf;
mod password;
mod restore;
mod security;
mod session;
mod two_factor;

use super::backup_view::{self, BackupContext, BackupView};
use super::categories_view::{self, CategoriesView, CategoryAction};
use super::clipboard::{Clipboard, ClipboardBackend};
use super::command::Command;
use super::editor::{self, EditorOutcome, EditorState};
use super::export_view::{self, ExportState};
use super::first_run::{self, FirstRunState};
use super::import_view::{self, ImportState};
use super::logs_view::{self, LogsView};
use super::main_view::{self, Dialog, DialogOutcome};
use super::passwords::{self, DetailAction, PasswordsAction, PasswordsState, View};
use super::restore_view::{self, RestoreContext, RestoreState};
use super::security_view::{self, SecurityView};
use super::settings_view::{self, SettingsAction, SettingsView};
use super::theme;
use super::toast::{Toasts, Undo};
use super::unlock::{self, UnlockState};
use super::widgets::capitalized;
use super::worker::Worker;
use crate::core::entries::{Actor, EntryPatch};
use crate::core::paths::Paths;
use crate::core::secret::SecretString;
use crate::core::settings::Settings;
use crate::core::time;
use crate::core::totp::Totp;
use crate::core::vault::{self, HistoryPolicy, Vault};
use crate::ui::passwords::CopyWhat;
use backup::BackupStatus;
use banner::{BannerAction, expiry_banner_ui};
use session::unlock_state;

/// The window's title.
pub const TITLE: &str = "Secure Password Manager";

enum Screen {
    FirstRun(Box<FirstRunState>),
    Unlock(Box<UnlockState>),
    Main(Box<MainState>),
    /// The unlocked state is with a worker (an import being written); the
    /// text says what is happening.
    Busy(String),
}

/// The parts of the unlocked window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Passwords,
    Security,
    Backup,
    Categories,
    Settings,
    Logs,
}

struct MainState {
    vault: Vault,
    section: Section,
    passwords: PasswordsState,
    categories: CategoriesView,
    settings: SettingsView,
    logs: LogsView,
    editor: Option<EditorState>,
    dialog: Option<Dialog>,
    import: Option<ImportState>,
    export: Option<ExportState>,
    security: SecurityView,
    backup: BackupView,
    /// The restore dialog, while open (it holds a staged backup).
    restore: Option<RestoreState>,
    /// Entries that expired or expire within 7 days, shown once after
    /// unlocking until dismissed.
    expiry_banner: Option<Vec<Uuid>>,
}

/// The whole window's state.
pub struct App {
    paths: Paths,
    settings: Settings,
    screen: Screen,
    worker: Worker,
    queue: Vec<Command>,
    clipboard: Clipboard,
    toasts: Toasts,
    last_activity: Instant,
    theme_applied: bool,
    backups: BackupStatus,
    /// The key file of the last unlock (a path, not a secret), offered
    /// again when a backup of this vault is restored.
    key_file: Option<std::path::PathBuf>,
    /// The Browser Bridge service and its waiting approval prompts.
    bridge: bridge::BridgeHost,
    /// The verified password, kept between the two steps of a two-factor
    /// unlock (wiped when dropped).
    two_factor_pending: Option<crate::core::vault::Credentials>,
    /// How far the job behind the progress screen has got, when it says.
    busy_progress: Option<std::sync::Arc<password::BusyProgress>>,
}

impl App {
    /// The app for the vault in `paths`, copying to `clipboard`.
    pub fn new(paths: Paths, clipboard: Box<dyn ClipboardBackend>) -> Self {
        let settings = Settings::load(&paths.settings())
            .map(|l| l.settings)
            .unwrap_or_default();
        let screen = if vault::exists(&paths) {
            Screen::Unlock(Box::new(unlock_state(&paths)))
        } else {
            Screen::FirstRun(Box::default())
        };
        Self {
            paths,
            settings,
            screen,
            worker: Worker::default(),
            queue: Vec::new(),
            clipboard: Clipboard::new(clipboard),
            toasts: Toasts::default(),
            last_activity: Instant::now(),
            theme_applied: false,
            backups: BackupStatus::default(),
            key_file: None,
            bridge: bridge::BridgeHost::default(),
            two_factor_pending: None,
            busy_progress: None,
        }
    }

    /// Whether a slow job (unlock, vault creation) is running.
    pub fn is_busy(&self) -> bool {
        self.worker.busy()
    }

    /// The open vault, if unlocked.
    pub fn vault(&self) -> Option<&Vault> {
        match &self.screen {
            Screen::Main(main) => Some(&main.vault),
            _ => None,
        }
    }

    /// Where the Browser Bridge listens, while it runs.
    pub fn bridge_addr(&self) -> Option<std::net::SocketAddr> {
        self.bridge.addr()
    }

    /// How many bridge approval prompts wait for an answer.
    pub fn approvals_waiting(&self) -> usize {
        self.bridge.waiting()
    }

    /// Moves the last input `idle` into the past, as if nobody had touched
    /// the window for that long (lets tests reach the auto-lock).
    #[doc(hidden)]
    pub fn pretend_idle(&mut self, idle: Duration) {
        if let Some(earlier) = Instant::now().checked_sub(idle) {
            self.last_activity = earlier;
        }
    }

    /// Runs one whole frame: logic, then drawing (what tests drive).
    pub fn frame(&mut self, ui: &mut Ui) {
        self.logic(ui.ctx());
        self.draw(ui);
    }

    /// Per-frame work that draws nothing: finished jobs, shortcuts, queued
    /// commands, the clipboard timer and the auto-lock.
    pub fn logic(&mut self, ctx: &egui::Context) {
        if !self.theme_applied {
            theme::apply(ctx, settings_view::theme_choice(&self.settings.theme()));
            self.theme_applied = true;
        }
        while let Some(outcome) = self.worker.poll() {
            self.finish_job(outcome);
        }
        self.read_shortcuts(ctx);
        for command in std::mem::take(&mut self.queue) {
            self.run(ctx, command);
        }
        self.backup_tick(ctx);
        self.bridge_tick(ctx);
        self.kdf_tick();
        self.clipboard.tick();
        if self.clipboard.countdown().is_some() {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        self.auto_lock(ctx);
    }

    /// Draws the current screen from state.
    pub fn draw(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        match &mut self.screen {
            Screen::FirstRun(state) => {
                let action = egui::CentralPanel::default()
                    .show(ui, |ui| first_run::first_run_ui(ui, state))
                    .inner;
                if let Some(action) = action {
                    self.start_create(&ctx, action);
                }
            }
            Screen::Unlock(state) => {
                let action = egui::CentralPanel::default()
                    .show(ui, |ui| unlock::unlock_ui(ui, state))
                    .inner;
                if let Some(action) = action {
                    self.start_unlock(&ctx, action);
                }
            }
            Screen::Main(_) => self.main_ui(ui),
            Screen::Busy(what) => {
                let progress = self.busy_progress.as_ref().and_then(|p| p.bar());
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.add_space(ui.available_height() / 3.0);
                    ui.vertical_centered(|ui| {
                        ui.spinner();
                        ui.label(what.as_str());
                        if let Some((share, text)) = progress {
                            ui.add_space(theme::GAP);
                            ui.add(
                                egui::ProgressBar::new(share)
                                    .desired_width(360.0)
                                    .text(text),
                            );
                            ui.ctx().request_repaint_after(Duration::from_millis(100));
                        }
                    });
                });
            }
        }
        self.approval_ui(&ctx);
        if let Some(Undo::Restore(uuid)) = self.toasts.toasts_ui(&ctx) {
            self.restore(uuid);
        }
    }

    fn main_ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        let clipboard = self
            .clipboard
            .countdown()
            .map(|(what, left)| (what, left.as_secs() + 1));
        let backup_line = self.backups.line();
        let backups_dir = self.settings.backups_dir(&self.paths);
        let custom_dir = backups_dir != self.paths.backups_dir();
        let bridge_state = self.bridge.state();
        let Screen::Main(main) = &mut self.screen else {
            return;
        };
        let has_selection = main.passwords.selected.is_some();
        let menu = egui::Panel::top("menu")
            .show(ui, |ui| main_view::menu_bar_ui(ui, has_selection))
            .inner;
        let shown = main.passwords.rows(&main.vault).len();
        let total = main.passwords.live_total;
        egui::Panel::bottom("status").show(ui, |ui| {
            main_view::status_bar_ui(ui, shown, total, clipboard, &backup_line);
        });
        let section_before = main.section;
        egui::Panel::top("sections").show(ui, |ui| {
            ui.horizontal(|ui| {
                for (section, label) in [
                    (Section::Passwords, "Passwords"),
                    (Section::Security, "Security"),
                    (Section::Backup, "Backup"),
                    (Section::Categories, "Categories"),
                    (Section::Settings, "Settings"),
                    (Section::Logs, "Logs"),
                ] {
                    ui.selectable_value(&mut main.section, section, label);
                }
            });
        });
        let mut action = None;
        let mut security_action = None;
        let mut banner_action = None;
        if let Some(banner) = &main.expiry_banner {
            banner_action = egui::Panel::top("expiry-banner")
                .show(ui, |ui| expiry_banner_ui(ui, banner, &main.vault))
                .inner;
        }
        let backup_opened = main.section == Section::Backup && section_before != Section::Backup;
        let mut backup_action = None;
        let mut category_action = None;
        let mut setting_actions = Vec::new();
        match main.section {
            Section::Passwords => {
                action = passwords::passwords_ui(ui, &mut main.passwords, &main.vault);
            }
            Section::Security => {
                egui::CentralPanel::default().show(ui, |ui| {
                    security_action =
                        security_view::security_ui(ui, &mut main.security, &main.vault);
                });
            }
            Section::Backup => {
                let cx = BackupContext {
                    last: self.backups.last(),
                    writing: self.backups.writing(),
                    dir: &backups_dir,
                    custom_dir,
                };
                egui::CentralPanel::default().show(ui, |ui| {
                    backup_action = backup_view::backup_ui(ui, &mut main.backup, &cx);
                });
            }
            Section::Categories => {
                egui::CentralPanel::default().show(ui, |ui| {
                    category_action =
                        categories_view::categories_ui(ui, &mut main.categories, &main.vault);
                });
            }
            Section::Settings => {
                egui::CentralPanel::default().show(ui, |ui| {
                    setting_actions = settings_view::settings_ui(
                        ui,
                        &mut main.settings,
                        &self.paths,
                        &bridge_state,
                    );
                });
            }
            Section::Logs => {
                egui::CentralPanel::default().show(ui, |ui| {
                    logs_view::logs_ui(ui, &mut main.logs, &self.paths);
                });
            }
        }

        let categories: Vec<String> = main
            .vault
            .categories()
            .iter()
            .map(|c| c.name.expose().to_owned())
            .collect();
        let edited = main
            .editor
            .as_mut()
            .map(|e| editor::editor_ui(&ctx, e, &categories));
        let decided = main.dialog.map(|d| (d, main_view::dialog_ui(&ctx, d)));
        let import = main
            .import
            .as_mut()
            .and_then(|state| import_view::import_ui(&ctx, state));
        let export = main
            .export
            .as_mut()
            .and_then(|state| export_view::export_ui(&ctx, state));
        let restore_cx = RestoreContext {
            data_dir: &self.paths.data_dir,
            backup_running: self.backups.writing(),
        };
        let restore = main
            .restore
            .as_mut()
            .and_then(|state| restore_view::restore_ui(&ctx, state, &restore_cx));

        self.queue.extend(menu);
        match action {
            Some(PasswordsAction::Command(command)) => self.queue.push(command),
            Some(PasswordsAction::Detail(detail)) => self.detail_action(detail),
            Some(PasswordsAction::EmptyTrash) => self.open_dialog(Dialog::ConfirmEmptyTrash),
            None => {}
        }
        if let Some(outcome) = edited {
            self.editor_outcome(outcome);
        }
        if let Some(change) = category_action {
            self.category_action(change);
        }
        for change in setting_actions {
            self.setting_action(&ctx, change);
        }
        if let Some((dialog, outcome)) = decided {
            self.dialog_outcome(dialog, outcome);
        }
        if let Some(action) = import {
            self.import_action(&ctx, action);
        }
        if let Some(action) = security_action {
            self.security_action(&ctx, action);
        }
        match banner_action {
            Some(BannerAction::Show) => {
                if let Some(main) = self.main() {
                    main.section = Section::Passwords;
                    main.passwords.view = View::Expiring;
                    main.expiry_banner = None;
                }
            }
            Some(BannerAction::Dismiss) => {
                if let Some(main) = self.main() {
                    main.expiry_banner = None;
                }
            }
            None => {}
        }
        if let Some(action) = export {
            self.export_action(&ctx, action);
        }
        if backup_opened {
            self.backup_section_opened();
        }
        if let Some(action) = backup_action {
            self.backup_action(&ctx, action);
        }
        if let Some(action) = restore {
            self.restore_action(&ctx, action);
        }
    }

    fn main(&mut self) -> Option<&mut MainState> {
        match &mut self.screen {
            Screen::Main(main) => Some(main),
            _ => None,
        }
    }

    fn read_shortcuts(&mut self, ctx: &egui::Context) {
        let Some(main) = self.main() else {
            // Before unlocking, only Quit applies.
            let quit = Command::Quit.shortcut();
            if quit.is_some_and(|s| ctx.input_mut(|i| i.consume_shortcut(&s))) {
                self.queue.push(Command::Quit);
            }
            return;
        };
        let modal_open = main.editor.is_some()
            || main.dialog.is_some()
            || main.import.is_some()
            || main.export.is_some()
            || main.restore.is_some();
        let typing = ctx.egui_wants_keyboard_input();
        let mut pressed: Vec<Command> = Command::WITH_SHORTCUTS
            .iter()
            .copied()
            .filter(|c| !modal_open || matches!(c, Command::Lock | Command::Quit))
            .filter(|c| {
                c.shortcut()
                    .is_some_and(|s| ctx.input_mut(|i| i.consume_shortcut(&s)))
            })
            .collect();
        if !modal_open && !typing && ctx.input(|i| i.key_pressed(egui::Key::Delete)) {
            pressed.push(Command::DeleteEntry);
        }
        self.queue.extend(pressed);
    }

    fn run(&mut self, ctx: &egui::Context, command: Command) {
        let keep = Duration::from_secs(self.settings.clipboard_clear_seconds());
        match command {
            Command::Lock => self.lock("Vault locked."),
            Command::Quit => {
                self.clipboard.clear_now();
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Command::ShowShortcuts => self.open_dialog(Dialog::Shortcuts),
            Command::Import => self.open_import(),
            Command::RunAudit => self.run_audit(ctx),
            Command::Export => self.open_export(),
            Command::BackupNow => self.backup_now(ctx),
            Command::RestoreBackup => self.pick_restore_file(),
            Command::ShowAbout => self.open_dialog(Dialog::About),
            Command::OpenDataFolder => {
                let opened = std::process::Command::new("xdg-open")
                    .arg(&self.paths.data_dir)
                    .spawn();
                if opened.is_err() {
                    let dir = self.paths.data_dir.display().to_string();
                    self.toasts.error(format!(
                        "Could not open a file manager; the folder is {dir}"
                    ));
                }
            }
            Command::NewEntry => {
                if let Some(main) = self.main() {
                    let category = match &main.passwords.view {
                        View::Category(name) => Some(name.clone()),
                        _ => None,
                    };
                    main.editor = Some(EditorState::new_entry(category));
                }
            }
            Command::FocusSearch => {
                if let Some(main) = self.main() {
                    main.passwords.focus_search = true;
                }
            }
            Command::EditEntry => {
                if let Some(uuid) = self.selected() {
                    self.detail_action(DetailAction::Edit(uuid));
                }
            }
            Command::DeleteEntry => {
                if let Some(uuid) = self.selected() {
                    self.detail_action(DetailAction::Trash(uuid));
                }
            }
            Command::CopyPassword | Command::CopyUsername | Command::CopyUrl => {
                let what = match command {
                    Command::CopyPassword => CopyWhat::Password,
                    Command::CopyUsername => CopyWhat::Username,
                    _ => CopyWhat::Url,
                };
                if let Some(uuid) = self.selected() {
                    self.copy(uuid, what, keep);
                }
            }
        }
    }

    fn selected(&mut self) -> Option<Uuid> {
        self.main().and_then(|m| m.passwords.selected)
    }

    fn open_dialog(&mut self, dialog: Dialog) {
        if let Some(main) = self.main() {
            main.dialog = Some(dialog);
        }
    }

    fn detail_action(&mut self, action: DetailAction) {
        let keep = Duration::from_secs(self.settings.clipboard_clear_seconds());
        match action {
            DetailAction::Copy(uuid, what) => self.copy(uuid, what, keep),
            DetailAction::Edit(uuid) => {
                if let Some(main) = self.main()
                    && let Some(entry) = main.vault.get(uuid)
                {
                    main.editor = Some(EditorState::edit(entry));
                }
            }
            DetailAction::Trash(uuid) => {
                let result = self.main().map(|m| m.vault.trash(uuid));
                match result {
                    Some(Ok(())) => self
                        .toasts
                        .with_undo("Moved to the trash.", Undo::Restore(uuid)),
                    Some(Err(e)) => self.toasts.error(e.to_string()),
                    None => {}
                }
            }
            DetailAction::Restore(uuid) => self.restore(uuid),
            DetailAction::Purge(uuid) => self.open_dialog(Dialog::ConfirmPurge(uuid)),
            DetailAction::ToggleFavorite(uuid) => {
                let result = self.main().and_then(|m| {
                    let favorite = !m.vault.get(uuid)?.favorite;
                    let patch = EntryPatch {
                        favorite: Some(favorite),
                        ..Default::default()
                    };
                    let reason = crate::core::entries::RotationReason::Manual;
                    Some(m.vault.update(uuid, patch, reason, Actor::User))
                });
                if let Some(Err(e)) = result {
                    self.toasts.error(e.to_string());
                }
            }
        }
    }

    fn category_action(&mut self, action: CategoryAction) {
        let Some(main) = self.main() else {
            return;
        };
        let result = match &action {
            CategoryAction::Add(name, color) => main.vault.add_category(name, color),
            CategoryAction::Rename(old, new) => main.vault.rename_category(old, new),
            CategoryAction::Recolor(name, color) => main.vault.recolor_category(name, color),
            CategoryAction::Delete(name) => main.vault.delete_category(name),
        };
        match (result, action) {
            (Err(e), _) => self.toasts.error(capitalized(&e.to_string())),
            (Ok(()), CategoryAction::Delete(name)) => {
                self.toasts
                    .info(format!("Deleted {name}; its entries are in General now."));
            }
            _ => {}
        }
    }

    fn setting_action(&mut self, ctx: &egui::Context, action: SettingsAction) {
        let (key, value) = match action {
            SettingsAction::OpenDataFolder => {
                self.queue.push(Command::OpenDataFolder);
                return;
            }
            SettingsAction::Bridge(action) => {
                self.bridge_action(ctx, action);
                return;
            }
            SettingsAction::TwoFactor(action) => {
                self.two_factor_action(ctx, action);
                return;
            }
            SettingsAction::Kdf(action) => {
                self.kdf_action(ctx, action);
                return;
            }
            SettingsAction::Password(action) => {
                self.password_action(ctx, action);
                return;
            }
            SettingsAction::Change(key, value) => (key, value),
        };
        self.change_setting(key, &value);
    }

    /// Saves one setting (dotted key, value as `settings set` takes it).
    fn change_setting(&mut self, key: &str, value: &str) {
        let saved = self
            .settings
            .set(key, value)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                self.settings
                    .save(&self.paths.settings())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = saved {
            self.toasts.error(format!("The setting was not saved: {e}"));
        }
        let policy = HistoryPolicy::from_settings(&self.settings);
        if let Some(main) = self.main() {
            main.vault.set_history_policy(policy);
        }
    }

    fn restore(&mut self, uuid: Uuid) {
        let result = self.main().map(|m| m.vault.restore(uuid));
        match result {
            Some(Ok(())) => self.toasts.info("Restored from the trash."),
            Some(Err(e)) => self.toasts.error(e.to_string()),
            None => {}
        }
    }

    fn copy(&mut self, uuid: Uuid, what: CopyWhat, keep: Duration) {
        let Some(main) = self.main() else {
            return;
        };
        let Some(entry) = main.vault.get(uuid) else {
            return;
        };
        let (label, value): (&'static str, SecretString) = match what {
            CopyWhat::Username => ("Username", entry.username.clone()),
            CopyWhat::Password => ("Password", entry.password.clone()),
            CopyWhat::Url => ("URL", entry.primary_url().cloned().unwrap_or_default()),
            CopyWhat::Field(i) => match entry.fields.get(i) {
                Some(field) => ("Field", field.value.clone()),
                None => return,
            },
            // The code of this moment; the panel showed the same one unless
            // the period ended in between.
            CopyWhat::Totp => match entry.totp.as_ref().map(|t| Totp::parse(t.expose())) {
                Some(Ok(totp)) => {
                    let now = u64::try_from(time::now_unix()).unwrap_or(0);
                    ("Code", totp.code_at(now))
                }
                Some(Err(e)) => {
                    let message = format!("No code to copy: {e}");
                    self.toasts.error(message);
                    return;
                }
                None => return,
            },
        };
        match self.clipboard.copy(label, &value, keep) {
            Ok(()) => self.toasts.info(format!("{label} copied.")),
            Err(e) => self.toasts.error(e),
        }
    }

    fn editor_outcome(&mut self, outcome: EditorOutcome) {
        let Some(main) = self.main() else {
            return;
        };
        let saved = match outcome {
            EditorOutcome::Open => return,
            EditorOutcome::Cancelled => {
                main.editor = None;
                return;
            }
            EditorOutcome::Add(entry) => main.vault.add(*entry).map(Some),
            EditorOutcome::Update(uuid, patch, reason) => main
                .vault
                .update(uuid, *patch, reason, Actor::User)
                .map(|()| Some(uuid)),
        };
        match saved {
            Ok(uuid) => {
                main.editor = None;
                main.passwords.selected = uuid;
                self.toasts.info("Saved.");
                if let Some(uuid) = uuid {
                    self.recheck_after_edit(uuid);
                }
            }
            Err(e) => {
                if let Some(editor) = &mut main.editor {
                    editor.error = Some(e.to_string());
                }
            }
        }
    }

    fn dialog_outcome(&mut self, dialog: Dialog, outcome: DialogOutcome) {
        let Some(main) = self.main() else {
            return;
        };
        match outcome {
            DialogOutcome::Open => return,
            DialogOutcome::Closed => {}
            DialogOutcome::Confirmed => {
                let result = match dialog {
                    Dialog::ConfirmEmptyTrash => main.vault.empty_trash().map(|_| ()),
                    Dialog::ConfirmPurge(uuid) => main.vault.purge(uuid),
                    _ => Ok(()),
                };
                if let Err(e) = result {
                    self.toasts.error(e.to_string());
                }
            }
        }
        if let Some(main) = self.main() {
            main.dialog = None;
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        App::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    /// Only the window's size and position persist; egui's memory (widget
    /// state, which follows what was on screen) is never written to disk.
    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.stop_bridge();
        self.clipboard.clear_now();
    }
}
