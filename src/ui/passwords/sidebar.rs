//! The filter sidebar: fixed views and each category with its color and
//! count.

use egui::{RichText, Ui};

use super::{PasswordsAction, PasswordsState, View};
use crate::core::vault::Vault;
use crate::ui::theme;

pub fn sidebar_ui(
    ui: &mut Ui,
    state: &mut PasswordsState,
    vault: &Vault,
) -> Option<PasswordsAction> {
    let c = state.counts(vault);
    let per_category = c.per_category.clone();
    let counts = [
        (View::All, "All", c.all),
        (View::Favorites, "Favorites", c.favorites),
        (View::Expiring, "Expiring soon", c.expiring),
        (View::Expired, "Expired", c.expired),
        (View::Trash, "Trash", c.trash),
    ];
    let trashed = counts[4].2;
    // Long category names end in "…" rather than running under the table.
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    ui.add_space(theme::GAP);
    if let View::Audit(rule) = state.view {
        let count = state.audit_count(rule);
        let _ = ui.selectable_label(true, format!("Audit: {} ({count})", rule.label()));
        ui.add_space(theme::GAP);
    }
    for (view, label, count) in counts {
        let selected = state.view == view;
        if ui
            .selectable_label(selected, format!("{label} ({count})"))
            .clicked()
        {
            state.view = view;
        }
    }
    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("Categories").strong());
    for category in vault.categories() {
        let name = category.name.expose();
        let count = per_category.get(name).copied().unwrap_or(0);
        let selected = state.view == View::Category(name.to_owned());
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter()
                .circle_filled(rect.center(), 5.0, theme::parse_color(&category.color));
            if ui
                .selectable_label(selected, format!("{name} ({count})"))
                .clicked()
            {
                state.view = View::Category(name.to_owned());
            }
        });
    }
    let mut action = None;
    if state.view == View::Trash && trashed > 0 {
        ui.add_space(theme::SECTION_GAP);
        if ui.button("Empty trash…").clicked() {
            action = Some(PasswordsAction::EmptyTrash);
        }
    }
    action
}
