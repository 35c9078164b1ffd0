//! Running the audit from the window (on the worker, with progress), and
//! what the Security section's buttons do.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use uuid::Uuid;

use super::{App, Section};
use crate::breach::{BreachChecker, BreachConfig};
use crate::core::audit::Rule;
use crate::core::audit::breach::BreachSource;
use crate::ui::editor::EditorState;
use crate::ui::passwords::View;
use crate::ui::security_view::{self, AuditProgress, SecurityAction};
use crate::ui::widgets::capitalized;
use crate::ui::worker::Finish;

impl App {
    pub(super) fn security_action(&mut self, ctx: &egui::Context, action: SecurityAction) {
        match action {
            SecurityAction::Run => self.run_audit(ctx),
            SecurityAction::ShowRule(rule) => {
                if let Some(main) = self.main() {
                    main.section = Section::Passwords;
                    main.passwords.view = View::Audit(rule);
                }
            }
            SecurityAction::Rotate(uuid, rule) => self.rotate(uuid, rule),
            SecurityAction::Exclude(uuid, rule) => self.exclude(uuid, rule),
            SecurityAction::ExportReport => self.export_report(),
        }
    }

    /// Starts the audit on the worker; the vault stays usable meanwhile.
    pub(super) fn run_audit(&mut self, ctx: &egui::Context) {
        let max_age = self.settings.audit_max_age_days();
        let breach_wanted = self.settings.breach_enabled();
        let config = BreachConfig::from_settings(&self.settings, &self.paths);
        let Some(main) = self.main() else { return };
        if main.security.running.is_some() {
            return;
        }
        main.section = Section::Security;
        let job = match main.vault.audit_job(max_age) {
            Ok(job) => job,
            Err(e) => {
                main.security.error = Some(capitalized(&e.to_string()));
                return;
            }
        };
        let with_breach = breach_wanted && !main.security.no_breach;
        let progress = Arc::new(AuditProgress::default());
        main.security.running = Some(progress.clone());
        main.security.error = None;

        let work = move || -> Finish {
            let checker = with_breach.then(|| BreachChecker::new(config));
            let report = job.run(
                checker.as_ref().map(|c| c as &dyn BreachSource),
                &|done, total| {
                    progress.total.store(total, Ordering::Relaxed);
                    progress.done.store(done, Ordering::Relaxed);
                },
            );
            Box::new(move |app: &mut App| {
                let Some(main) = app.main() else { return };
                main.security.running = None;
                if let Err(e) = main.vault.record_audit(&report) {
                    main.security.error = Some(capitalized(&e.to_string()));
                }
                main.security.trend = main.vault.audit_trend().unwrap_or_default();
                main.passwords.set_audit_findings(Some(&report));
                main.security.report = Some(report);
            })
        };
        let failed: Finish = Box::new(|app: &mut App| {
            if let Some(main) = app.main() {
                main.security.running = None;
                main.security.error = Some("Could not start the audit; try again.".to_owned());
            }
        });
        self.worker.run(ctx, "audit", work, failed);
    }

    fn rotate(&mut self, uuid: Uuid, rule: Rule) {
        let Some(main) = self.main() else { return };
        if let Some(entry) = main.vault.get(uuid) {
            main.editor = Some(match rule {
                // The password is not the problem: edit the entry as it is.
                Rule::Duplicate | Rule::InsecureUrl => EditorState::edit(entry),
                _ => EditorState::rotate(entry, security_view::reason_for(rule)),
            });
        }
    }

    fn exclude(&mut self, uuid: Uuid, rule: Rule) {
        let Some(main) = self.main() else { return };
        match main.vault.set_audit_exclusion(uuid, rule, true) {
            Ok(()) => {
                if let Some(report) = &mut main.security.report {
                    report.exclude(uuid, rule);
                    main.passwords.set_audit_findings(Some(report));
                }
                self.toasts
                    .info(format!("Left out of “{}” from now on.", rule.label()));
            }
            Err(e) => self.toasts.error(capitalized(&e.to_string())),
        }
    }

    /// After an entry changed: its findings are worked out again at once.
    pub(super) fn recheck_after_edit(&mut self, uuid: Uuid) {
        let max_age = self.settings.audit_max_age_days();
        let Some(main) = self.main() else { return };
        let Some(report) = &main.security.report else {
            return;
        };
        if let Ok(updated) = main.vault.recheck_audit(report, uuid, max_age) {
            main.passwords.set_audit_findings(Some(&updated));
            main.security.report = Some(updated);
        }
    }

    fn export_report(&mut self) {
        let picked = rfd::FileDialog::new()
            .set_title("Export the audit report")
            .set_file_name("audit-report.json")
            .add_filter("JSON", &["json"])
            .add_filter("CSV", &["csv"])
            .save_file();
        let Some(path) = picked else { return };
        self.write_report(&path);
    }

    /// Writes the last report to `path` (CSV when it ends in `.csv`).
    pub(super) fn write_report(&mut self, path: &std::path::Path) {
        let Some(main) = self.main() else { return };
        let Some(report) = &main.security.report else {
            return;
        };
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let bytes = if csv {
            main.vault.audit_report_csv(report)
        } else {
            main.vault.audit_report_json(report)
        };
        match crate::core::fsio::write_atomic(path, &bytes) {
            Ok(()) => self
                .toasts
                .info(format!("Report written to {}.", path.display())),
            Err(e) => self.toasts.error(format!(
                "The report was not written: {}",
                capitalized(&e.to_string())
            )),
        }
    }
}
