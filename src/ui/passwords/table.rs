//! The password table: search box, sortable headers, and rows drawn only
//! when visible, so a 100,000-entry vault scrolls smoothly.

use egui::Ui;
use egui_extras::{Column as Col, TableBuilder};

use super::{Column, PasswordsAction, PasswordsState, date};
use crate::core::vault::Vault;
use crate::ui::command::Command;
use crate::ui::theme;

pub fn table_ui(ui: &mut Ui, state: &mut PasswordsState, vault: &Vault) -> Option<PasswordsAction> {
    let mut action = None;
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        let search = ui.add(
            egui::TextEdit::singleline(&mut state.search)
                // A fixed id keeps the focus while results (and the detail
                // panel beside them) come and go.
                .id(egui::Id::unique("password-search"))
                .hint_text("title, username, URL, notes, tags")
                .desired_width(ui.available_width() - 130.0),
        );
        let search = search.labelled_by(label.id);
        if state.focus_search {
            search.request_focus();
            state.focus_search = false;
        }
        if Command::NewEntry.button(ui, state.view != super::View::Trash) {
            action = Some(PasswordsAction::Command(Command::NewEntry));
        }
    });
    ui.add_space(theme::GAP);

    let rows = state.rows(vault).to_vec();
    if rows.is_empty() {
        ui.add_space(theme::SECTION_GAP);
        ui.vertical_centered(|ui| {
            let message = if state.live_total == 0 && state.view == super::View::All {
                "Your vault is empty. Add your first login with “New entry”, or bring in another manager’s export with File > Import…"
            } else {
                "Nothing matches."
            };
            ui.label(message);
        });
        return action;
    }

    let headers = [
        (Column::Title, "Title"),
        (Column::Username, "Username"),
        (Column::Url, "URL"),
        (Column::Category, "Category"),
        (Column::Modified, "Modified"),
        (Column::Expires, "Expires"),
    ];
    let mut clicked_header = None;
    let mut clicked_row = None;
    // Column widths follow the space left beside the sidebar and details.
    let width = ui.available_width() - 6.0 * ui.spacing().item_spacing.x;
    let share = |fraction: f32| (width * fraction).max(60.0);
    TableBuilder::new(ui)
        .striped(true)
        .auto_shrink([false, false])
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Col::exact(share(0.24)).clip(true))
        .column(Col::exact(share(0.20)).clip(true))
        .column(Col::exact(share(0.22)).clip(true))
        .column(Col::exact(share(0.12)).clip(true))
        .column(Col::exact(share(0.11)).clip(true))
        .column(Col::remainder().clip(true))
        .header(theme::ROW_HEIGHT, |mut header| {
            for (column, name) in headers {
                header.col(|ui| {
                    let text = egui::RichText::new(name).strong();
                    let button = ui.add(egui::Button::new(text).frame(false));
                    if button.clicked() {
                        clicked_header = Some(column);
                    }
                    if state.sort == column {
                        sort_arrow(ui, state.ascending);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, rows.len(), |mut row| {
                let uuid = rows[row.index()];
                let Some(entry) = vault.get(uuid) else { return };
                let selected = state.selected == Some(uuid);
                row.set_selected(selected);
                row.col(|ui| {
                    // A gold dot marks favorites (drawn, so no font needs a
                    // star); the space is kept for every row so titles align.
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
                    if entry.favorite {
                        ui.painter()
                            .circle_filled(rect.center(), 4.0, theme::FAVORITE);
                    }
                    if ui
                        .selectable_label(selected, entry.title.expose())
                        .clicked()
                    {
                        clicked_row = Some(uuid);
                    }
                });
                row.col(|ui| {
                    ui.label(entry.username.expose());
                });
                row.col(|ui| {
                    ui.label(entry.primary_url().map_or("", |u| u.expose()));
                });
                row.col(|ui| {
                    ui.label(entry.category.expose());
                });
                row.col(|ui| {
                    ui.label(date(Some(entry.updated_at)));
                });
                row.col(|ui| {
                    ui.label(date(entry.expires_at));
                });
                if row.response().clicked() {
                    clicked_row = Some(uuid);
                }
            });
        });
    if let Some(column) = clicked_header {
        state.sort_by(column);
    }
    if let Some(uuid) = clicked_row {
        state.selected = Some(uuid);
        state.reveal = false;
    }
    action
}

/// A small triangle showing the sort direction (drawn, so no font needs
/// the glyph).
fn sort_arrow(ui: &mut Ui, ascending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    let c = rect.center();
    let (tip, base) = if ascending { (-4.0, 3.0) } else { (4.0, -3.0) };
    let points = vec![
        egui::pos2(c.x, c.y + tip),
        egui::pos2(c.x + 4.0, c.y + base),
        egui::pos2(c.x - 4.0, c.y + base),
    ];
    let color = ui.visuals().strong_text_color();
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
}
