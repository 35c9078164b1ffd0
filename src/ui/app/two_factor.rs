//! Settings > Security > Two-factor unlock: enrolment on the UI thread
//! (no key derivation is needed: the open vault holds the key), turning
//! it off on the worker (it checks the master password again).

use std::time::Duration;

use super::App;
use crate::core::secret::SecretString;
use crate::core::two_factor::{self, Enrolment};
use crate::core::vault::{self, Credentials};
use crate::ui::two_factor_view::TwoFactorAction;
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    pub(super) fn two_factor_action(&mut self, ctx: &egui::Context, action: TwoFactorAction) {
        let keep = Duration::from_secs(self.settings.clipboard_clear_seconds());
        let key_file = self.key_file.clone();
        let paths = self.paths.clone();
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.two_factor;
        view.error = None;
        match action {
            TwoFactorAction::Start => {
                view.enrolment = Some(Enrolment::new(&two_factor::default_account()))
            }
            TwoFactorAction::Cancel => view.enrolment_ended(),
            TwoFactorAction::Enable(code) => {
                let Some(enrolment) = &view.enrolment else {
                    return;
                };
                match main.vault.enable_two_factor(enrolment, code.expose()) {
                    Ok(codes) => {
                        view.enrolment_ended();
                        view.recovery = Some(codes);
                        view.status = two_factor::status(&paths).ok().flatten();
                    }
                    Err(e) => view.error = Some(capitalized(&e.to_string())),
                }
            }
            TwoFactorAction::CopyRecoveryCodes => {
                let Some(codes) = &view.recovery else {
                    return;
                };
                let text: Vec<&str> = codes.iter().map(SecretString::expose).collect();
                let text = SecretString::new(text.join("\n"));
                match self.clipboard.copy("Recovery codes", &text, keep) {
                    Ok(()) => self.toasts.info("Recovery codes copied."),
                    Err(e) => self.toasts.error(e),
                }
            }
            TwoFactorAction::CodesStored => view.recovery = None,
            TwoFactorAction::Disable { password, code } => {
                view.busy = true;
                let work = move || -> Finish {
                    let credentials = Credentials { password, key_file };
                    let result = vault::disable_two_factor(&paths, &credentials, &code);
                    Box::new(move |app: &mut App| app.two_factor_disabled(result))
                };
                let failed: Finish = Box::new(|app: &mut App| {
                    app.two_factor_disabled(Err(vault::VaultError::Invalid(
                        "could not start checking the password; try again".to_owned(),
                    )));
                });
                self.worker.run(ctx, "two-factor-off", work, failed);
            }
        }
    }

    fn two_factor_disabled(&mut self, result: Result<(), vault::VaultError>) {
        let paths = self.paths.clone();
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.two_factor;
        view.busy = false;
        match result {
            Ok(()) => {
                view.disable_ended();
                view.status = two_factor::status(&paths).ok().flatten();
                self.toasts
                    .info("Two-factor unlock is off; the master password alone unlocks again.");
            }
            Err(e) => view.error = Some(capitalized(&e.to_string())),
        }
    }
}
