//! The Categories section: add, rename, recolor and delete categories.
//! Deleting one moves its entries to General.

use egui::{RichText, Ui};

use super::theme;
use crate::core::vault::Vault;

/// What the section asks for.
pub enum CategoryAction {
    /// Add a category.
    Add(String, String),
    /// Rename `old` to `new`.
    Rename(String, String),
    /// Give a category a new `#rrggbb` color.
    Recolor(String, String),
    /// Delete a category.
    Delete(String),
}

/// The section's state.
pub struct CategoriesView {
    new_name: String,
    new_color: [u8; 3],
    renaming: Option<(String, String)>,
}

impl Default for CategoriesView {
    fn default() -> Self {
        Self {
            new_name: String::new(),
            new_color: [0x25, 0x63, 0xeb],
            renaming: None,
        }
    }
}

fn hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// Draws the section.
pub fn categories_ui(
    ui: &mut Ui,
    view: &mut CategoriesView,
    vault: &Vault,
) -> Option<CategoryAction> {
    let mut action = None;
    ui.add_space(theme::GAP);
    ui.heading("Categories");
    ui.label("Deleting a category moves its entries to General.");
    ui.add_space(theme::GAP);
    egui::Grid::new("categories")
        .num_columns(4)
        .spacing([16.0, 8.0])
        .striped(true)
        .show(ui, |ui| {
            for category in vault.categories() {
                let name = category.name.expose().to_owned();
                let count = vault
                    .entries()
                    .iter()
                    .filter(|e| !e.is_trashed() && e.category.expose() == name)
                    .count();
                let color = theme::parse_color(&category.color);
                let mut rgb = [color.r(), color.g(), color.b()];
                let picker = ui.color_edit_button_srgb(&mut rgb);
                let label = format!("Color of {name}");
                picker
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ColorWell, true, &label));
                if picker.changed() {
                    action = Some(CategoryAction::Recolor(name.clone(), hex(rgb)));
                }

                match &mut view.renaming {
                    Some((old, new)) if *old == name => {
                        ui.horizontal(|ui| {
                            let label = ui.label("New name");
                            let field =
                                ui.add(egui::TextEdit::singleline(new).desired_width(160.0));
                            let field = field.labelled_by(label.id);
                            let entered =
                                field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                            if ui.button("Save name").clicked() || entered {
                                action = Some(CategoryAction::Rename(old.clone(), new.clone()));
                            }
                        });
                    }
                    _ => {
                        ui.label(RichText::new(&name).strong());
                    }
                }
                ui.label(format!("{count} entries"));
                ui.horizontal(|ui| {
                    if ui.button(format!("Rename {name}")).clicked() {
                        view.renaming = Some((name.clone(), name.clone()));
                    }
                    if ui.button(format!("Delete {name}")).clicked() {
                        action = Some(CategoryAction::Delete(name.clone()));
                    }
                });
                ui.end_row();
            }
        });
    ui.add_space(theme::SECTION_GAP);
    ui.horizontal(|ui| {
        let label = ui.label("New category");
        ui.add(egui::TextEdit::singleline(&mut view.new_name).desired_width(200.0))
            .labelled_by(label.id);
        let picker = ui.color_edit_button_srgb(&mut view.new_color);
        picker.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::ColorWell, true, "Color of the new category")
        });
        if ui.button("Add category").clicked() {
            action = Some(CategoryAction::Add(
                view.new_name.clone(),
                hex(view.new_color),
            ));
        }
    });
    if matches!(action, Some(CategoryAction::Rename(..))) {
        view.renaming = None;
    }
    if matches!(action, Some(CategoryAction::Add(..))) {
        view.new_name.clear();
    }
    action
}
