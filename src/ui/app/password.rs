//! Settings > Security > Change master password, on the worker: the key
//! derivation runs twice (checking the current password, deriving from the
//! new one), too slow for a frame.

use super::App;
use crate::core::vault::{self, Credentials, SecondFactor};
use crate::ui::password_view::PasswordAction;
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    pub(super) fn password_action(&mut self, ctx: &egui::Context, action: PasswordAction) {
        let PasswordAction::Change { current, new } = action;
        let paths = self.paths.clone();
        let key_file = self.key_file.clone();
        let Some(main) = self.main() else {
            return;
        };
        main.settings.password.busy = true;
        let work = move || -> Finish {
            let credentials = Credentials {
                password: current,
                key_file,
            };
            // The window's session passed the second factor at unlock; the
            // current password is asked again here.
            let result = vault::rekey::change_master_password_keyed(
                &paths,
                &credentials,
                SecondFactor::NotChecked,
                &new,
                None,
            );
            Box::new(move |app: &mut App| app.password_changed(result))
        };
        let failed: Finish = Box::new(|app: &mut App| {
            app.password_changed(Err(vault::VaultError::Invalid(
                "could not start the change; try again".to_owned(),
            )));
        });
        self.worker.run(ctx, "change-master-password", work, failed);
    }

    fn password_changed(
        &mut self,
        result: Result<
            (vault::rekey::PasswordChanged, crate::core::secret::Key256),
            vault::VaultError,
        >,
    ) {
        let Some(main) = self.main() else {
            return;
        };
        let view = &mut main.settings.password;
        view.busy = false;
        match result {
            Ok((done, key)) => {
                main.vault.adopt_two_factor_key(key);
                view.close();
                let mut summary = "Master password changed.".to_owned();
                if done.tokens_revoked > 0 {
                    summary.push_str(&format!(
                        " {} browser bridge token{} revoked: paired extensions must pair again.",
                        done.tokens_revoked,
                        if done.tokens_revoked == 1 { "" } else { "s" }
                    ));
                }
                summary.push_str(
                    " Backups made before still open with the previous password; make a new \
                     backup now.",
                );
                view.summary = Some(summary);
                main.settings.bridge.invalidate();
                self.toasts.info("Master password changed.");
            }
            Err(e) => view.error = Some(capitalized(&e.to_string())),
        }
    }
}
