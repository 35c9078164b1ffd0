//! The banner after unlocking that names passwords expired or expiring
//! within 7 days.

use egui::Ui;
use uuid::Uuid;

use crate::core::vault::Vault;
use crate::ui::theme;

/// Live entries that expired or expire within 7 days; `None` when none do.
pub(super) fn expiring_soon(vault: &Vault) -> Option<Vec<Uuid>> {
    let now = crate::core::time::now_unix();
    let soon: Vec<Uuid> = vault
        .entries()
        .iter()
        .filter(|e| !e.is_trashed() && (e.is_expired(now) || e.expires_within(now, 7)))
        .map(|e| e.uuid)
        .collect();
    (!soon.is_empty()).then_some(soon)
}

/// What the expiry banner asks for.
pub(super) enum BannerAction {
    Show,
    Dismiss,
}

/// The banner after unlocking that names entries expired or expiring soon.
pub(super) fn expiry_banner_ui(ui: &mut Ui, soon: &[Uuid], vault: &Vault) -> Option<BannerAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let titles: Vec<&str> = soon
            .iter()
            .filter_map(|u| vault.get(*u))
            .take(5)
            .map(|e| e.title.expose())
            .collect();
        let more = soon.len().saturating_sub(titles.len());
        let mut text = format!(
            "{} within 7 days: {}",
            if soon.len() == 1 {
                "1 password has expired or expires".to_owned()
            } else {
                format!("{} passwords have expired or expire", soon.len())
            },
            titles.join(", ")
        );
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        ui.label(egui::RichText::new(text).color(theme::WARNING));
        if ui.button("Show them").clicked() {
            action = Some(BannerAction::Show);
        }
        if ui.button("Dismiss").clicked() {
            action = Some(BannerAction::Dismiss);
        }
    });
    action
}
