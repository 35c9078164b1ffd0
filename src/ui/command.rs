//! Every action the window offers, with its label, shortcut and tooltip,
//! so menus, buttons and keys always agree.

use egui::{Key, KeyboardShortcut, Modifiers};

/// An action a person can take. Widgets queue commands; the app runs them
/// at the start of the next frame, before anything is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Open the editor for a new entry.
    NewEntry,
    /// Put the cursor in the search box.
    FocusSearch,
    /// Edit the selected entry.
    EditEntry,
    /// Move the selected entry to the trash.
    DeleteEntry,
    /// Copy the selected entry's password.
    CopyPassword,
    /// Copy the selected entry's username.
    CopyUsername,
    /// Copy the selected entry's primary URL.
    CopyUrl,
    /// Lock the vault.
    Lock,
    /// Close the window.
    Quit,
    /// Show the keyboard shortcuts.
    ShowShortcuts,
    /// Show the About box.
    ShowAbout,
    /// Open the data folder in the file manager.
    OpenDataFolder,
    /// Bring in a file from another password manager.
    Import,
    /// Write the vault to a file.
    Export,
    /// Run the security audit.
    RunAudit,
    /// Write a backup into the backups folder now.
    BackupNow,
    /// Pick a backup archive and restore the vault from it.
    RestoreBackup,
}

impl Command {
    /// Commands that have a keyboard shortcut, in the order the shortcut
    /// list shows them.
    pub const WITH_SHORTCUTS: &'static [Command] = &[
        Command::NewEntry,
        Command::FocusSearch,
        Command::EditEntry,
        Command::DeleteEntry,
        Command::CopyPassword,
        Command::CopyUsername,
        Command::RunAudit,
        Command::BackupNow,
        Command::Lock,
        Command::Quit,
    ];

    /// The text on menus and buttons.
    pub fn label(self) -> &'static str {
        match self {
            Command::NewEntry => "New entry",
            Command::FocusSearch => "Search",
            Command::EditEntry => "Edit",
            Command::DeleteEntry => "Delete",
            Command::CopyPassword => "Copy password",
            Command::CopyUsername => "Copy username",
            Command::CopyUrl => "Copy URL",
            Command::Lock => "Lock",
            Command::Quit => "Quit",
            Command::ShowShortcuts => "Keyboard shortcuts",
            Command::ShowAbout => "About",
            Command::OpenDataFolder => "Open data folder",
            Command::Import => "Import…",
            Command::Export => "Export…",
            Command::RunAudit => "Run audit",
            Command::BackupNow => "Backup now",
            Command::RestoreBackup => "Restore…",
        }
    }

    /// What it does, for tooltips.
    pub fn tooltip(self) -> &'static str {
        match self {
            Command::NewEntry => "Add a login to the vault",
            Command::FocusSearch => "Search titles, usernames, URLs, notes and tags",
            Command::EditEntry => "Change the selected entry",
            Command::DeleteEntry => "Move the selected entry to the trash (it can be undone)",
            Command::CopyPassword => "Copy the password; the clipboard is cleared after a while",
            Command::CopyUsername => "Copy the username",
            Command::CopyUrl => "Copy the primary URL",
            Command::Lock => "Lock the vault and forget every decrypted value",
            Command::Quit => "Lock and close the window",
            Command::ShowShortcuts => "List the keyboard shortcuts",
            Command::ShowAbout => "Version and licence",
            Command::OpenDataFolder => "Show the vault's files in the file manager",
            Command::Import => {
                "Import a browser CSV, a Bitwarden or KeePass file, or an export of this vault"
            }
            Command::Export => "Save the vault as an encrypted file, a KeePass file, or plain text",
            Command::RunAudit => "Check every password for weakness, reuse, expiry and breaches",
            Command::BackupNow => {
                "Write a signed, checksummed backup archive into the backups folder"
            }
            Command::RestoreBackup => {
                "Replace the vault with a backup, after checking it and its master password"
            }
        }
    }

    /// The keyboard shortcut, if any.
    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        let ctrl = Modifiers::COMMAND;
        let ctrl_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        let key = match self {
            Command::NewEntry => (ctrl, Key::N),
            Command::FocusSearch => (ctrl, Key::F),
            Command::EditEntry => (ctrl, Key::E),
            Command::DeleteEntry => (ctrl, Key::D),
            Command::CopyPassword => (ctrl, Key::L),
            Command::CopyUsername => (ctrl_shift, Key::L),
            Command::Lock => (ctrl_shift, Key::K),
            Command::RunAudit => (ctrl_shift, Key::A),
            Command::BackupNow => (ctrl, Key::B),
            Command::Quit => (ctrl, Key::Q),
            _ => return None,
        };
        Some(KeyboardShortcut::new(key.0, key.1))
    }

    /// The shortcut as text ("Ctrl+Shift+L"), or empty.
    pub fn shortcut_text(self, ctx: &egui::Context) -> String {
        self.shortcut()
            .map(|s| ctx.format_shortcut(&s))
            .unwrap_or_default()
    }

    /// Draws a menu entry for the command; returns whether it was chosen.
    pub fn menu_item(self, ui: &mut egui::Ui, enabled: bool) -> bool {
        let mut button = egui::Button::new(self.label());
        // Only with a shortcut: an empty one would still end the accessible
        // name with a space.
        if self.shortcut().is_some() {
            button = button.shortcut_text(self.shortcut_text(ui.ctx()));
        }
        let clicked = ui
            .add_enabled(enabled, button)
            .on_hover_text(self.tooltip())
            .clicked();
        if clicked {
            ui.close();
        }
        clicked
    }

    /// Draws a button for the command; returns whether it was clicked.
    pub fn button(self, ui: &mut egui::Ui, enabled: bool) -> bool {
        let tip = match self.shortcut() {
            Some(_) => format!("{} ({})", self.tooltip(), self.shortcut_text(ui.ctx())),
            None => self.tooltip().to_owned(),
        };
        ui.add_enabled(enabled, egui::Button::new(self.label()))
            .on_hover_text(tip)
            .clicked()
    }
}
