//! The selected entry: every field, the password masked with a reveal
//! toggle, copy buttons, its strength, its two-factor code, custom fields
//! and its history.

use std::f32::consts::{FRAC_PI_2, TAU};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use egui::{RichText, Sense, Shape, Stroke, Ui, Vec2};
use uuid::Uuid;

use super::{PasswordsState, date};
use crate::core::entries::{Entry, HistoryItem};
use crate::core::strength;
use crate::core::strength::Strength;
use crate::core::time;
use crate::core::totp::{self, Totp, TotpError};
use crate::core::vault::Vault;
use crate::ui::theme;
use crate::ui::widgets;

/// What the detail panel asks for.
pub enum DetailAction {
    /// Copy a value of the entry.
    Copy(Uuid, CopyWhat),
    /// Open the editor.
    Edit(Uuid),
    /// Move to the trash.
    Trash(Uuid),
    /// Bring back from the trash.
    Restore(Uuid),
    /// Delete for good (after confirmation).
    Purge(Uuid),
    /// Flip the favorite flag.
    ToggleFavorite(Uuid),
}

/// Which value to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Username,
    Password,
    Url,
    Field(usize),
    /// The current two-factor code.
    Totp,
}

/// What the panel derives from the selected entry: its strength estimate
/// (zxcvbn) and its history (a database read). Kept until the entry or the
/// vault changes, so a frame does neither.
pub struct Details {
    key: (Uuid, u64),
    strength: Option<Strength>,
    history: Vec<HistoryItem>,
    damaged_history: usize,
    /// The entry's TOTP value read into a code generator, or why it gives
    /// no code (`None` when the entry has none).
    totp: Option<Result<Totp, TotpError>>,
}

impl PasswordsState {
    fn details(&mut self, vault: &Vault, entry: &Entry) -> &Details {
        let key = (entry.uuid, vault.revision());
        if self.details.as_ref().is_some_and(|d| d.key != key) {
            self.details = None;
        }
        self.details.get_or_insert_with(|| {
            let (history, damaged_history) = vault.history(entry.uuid).unwrap_or_default();
            let strength =
                (!entry.password.is_empty()).then(|| strength::estimate(&entry.password, &[]));
            let totp = entry.totp.as_ref().map(|t| Totp::parse(t.expose()));
            Details {
                key,
                strength,
                history,
                damaged_history,
                totp,
            }
        })
    }
}

pub fn detail_ui(
    ui: &mut Ui,
    state: &mut PasswordsState,
    vault: &Vault,
    entry: &Entry,
) -> Option<DetailAction> {
    let mut action = None;
    let uuid = entry.uuid;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            ui.heading(entry.title.expose());
        });
        ui.horizontal(|ui| {
            if entry.is_trashed() {
                if ui.button("Restore").clicked() {
                    action = Some(DetailAction::Restore(uuid));
                }
                if ui.button("Delete for good…").clicked() {
                    action = Some(DetailAction::Purge(uuid));
                }
            } else {
                let star = if entry.favorite {
                    "Unfavorite"
                } else {
                    "Favorite"
                };
                if ui
                    .button(star)
                    .on_hover_text("Favorites come first and have their own filter")
                    .clicked()
                {
                    action = Some(DetailAction::ToggleFavorite(uuid));
                }
                if ui.button("Edit").clicked() {
                    action = Some(DetailAction::Edit(uuid));
                }
                if ui.button("Delete").clicked() {
                    action = Some(DetailAction::Trash(uuid));
                }
            }
        });
        ui.separator();

        let mut row = |ui: &mut Ui, label: &str, value: &str, copy: Option<CopyWhat>| {
            ui.label(RichText::new(label).small().weak());
            ui.horizontal(|ui| {
                ui.label(value);
                if let Some(what) = copy
                    && !value.is_empty()
                    && ui
                        .button(format!("Copy {}", label.to_lowercase()))
                        .clicked()
                {
                    action = Some(DetailAction::Copy(uuid, what));
                }
            });
        };
        row(
            ui,
            "Username",
            entry.username.expose(),
            Some(CopyWhat::Username),
        );
        let shown = if state.reveal {
            entry.password.expose().to_owned()
        } else {
            "••••••••••".to_owned()
        };
        row(ui, "Password", &shown, Some(CopyWhat::Password));
        ui.checkbox(&mut state.reveal, "Reveal password");
        if !entry.password.is_empty() {
            let details = state.details(vault, entry);
            if let Some(strength) = &details.strength {
                widgets::strength_meter(ui, strength);
            }
        }
        for (i, url) in entry.urls.iter().enumerate() {
            ui.label(
                RichText::new(if i == 0 { "URL" } else { "Other URL" })
                    .small()
                    .weak(),
            );
            ui.horizontal(|ui| {
                ui.hyperlink_to(url.expose(), url.expose());
                if i == 0 && ui.button("Copy URL").clicked() {
                    action = Some(DetailAction::Copy(uuid, CopyWhat::Url));
                }
            });
        }
        let mut facts = Vec::new();
        if !entry.category.is_empty() {
            facts.push(format!("Category: {}", entry.category.expose()));
        }
        if !entry.tags.is_empty() {
            let tags: Vec<&str> = entry.tags.iter().map(|t| t.expose()).collect();
            facts.push(format!("Tags: {}", tags.join(", ")));
        }
        if let Some(expires) = entry.expires_at {
            facts.push(format!("Expires: {}", time::format_date(expires)));
        }
        facts.push(format!("Modified: {}", date(Some(entry.updated_at))));
        if let Some(mark) = &entry.imported {
            facts.push(format!(
                "Imported from {} on {}",
                mark.format,
                time::format_date(mark.at)
            ));
        }
        for fact in facts {
            ui.label(fact);
        }
        if let Some(totp) = &state.details(vault, entry).totp
            && totp_ui(ui, totp)
        {
            action = Some(DetailAction::Copy(uuid, CopyWhat::Totp));
        }
        for (i, field) in entry.fields.iter().enumerate() {
            ui.label(RichText::new(field.name.expose()).small().weak());
            ui.horizontal(|ui| {
                let value = if field.hidden && !state.reveal {
                    "••••••"
                } else {
                    field.value.expose()
                };
                ui.label(value);
                if ui.button(format!("Copy {}", field.name.expose())).clicked() {
                    action = Some(DetailAction::Copy(uuid, CopyWhat::Field(i)));
                }
            });
        }
        if !entry.notes.is_empty() {
            ui.label(RichText::new("Notes").small().weak());
            ui.label(entry.notes.expose());
        }
        let reveal = state.reveal;
        history_ui(ui, state.details(vault, entry), reveal);
    });
    action
}

/// The current two-factor code with a countdown ring and a copy button, or
/// why the stored value gives none. Returns whether Copy code was clicked.
fn totp_ui(ui: &mut Ui, totp: &Result<Totp, TotpError>) -> bool {
    ui.label(RichText::new("Two-factor code").small().weak());
    let totp = match totp {
        Ok(totp) => totp,
        Err(error) => {
            let message = format!("{}.", widgets::capitalized(&error.to_string()));
            ui.colored_label(theme::DANGER, message);
            return false;
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let code = totp.code_at(now.as_secs());
    let left = totp.seconds_left(now.as_secs());

    let mut copy = false;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(totp::grouped(code.expose()))
                .monospace()
                .size(22.0)
                .strong(),
        );
        ui.add_space(theme::GAP);
        countdown_ring(ui, left, totp.period());
        ui.label(countdown_text(left))
            .on_hover_text("Until the next code");
        copy = ui.button("Copy code").clicked();
    });
    for warning in totp.warnings() {
        ui.colored_label(theme::WARNING, warning.to_string());
    }

    // Redraw at the next whole second, when the countdown (and maybe the
    // code) changes.
    let into_second = Duration::from_nanos(u64::from(now.subsec_nanos()));
    ui.ctx()
        .request_repaint_after(Duration::from_secs(1).saturating_sub(into_second));
    copy
}

/// A ring that empties clockwise from twelve o'clock as the code ages.
fn countdown_ring(ui: &mut Ui, left: u64, period: u64) {
    const SIZE: f32 = 20.0;
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(SIZE), Sense::hover());
    let painter = ui.painter();
    let center = rect.center();
    let radius = SIZE / 2.0 - 2.0;
    let track = ui.visuals().widgets.noninteractive.bg_stroke.color;
    painter.circle_stroke(center, radius, Stroke::new(2.0, track));

    let fraction = left as f32 / period as f32;
    // Red for the last five seconds: too late to start typing the code.
    let color = if left <= 5 && period > 10 {
        theme::DANGER
    } else {
        theme::ACCENT
    };
    let steps = (48.0 * fraction).ceil().max(2.0) as usize;
    let points = (0..=steps)
        .map(|i| {
            let angle = -FRAC_PI_2 + TAU * fraction * i as f32 / steps as f32;
            center + radius * Vec2::angled(angle)
        })
        .collect();
    painter.add(Shape::line(points, Stroke::new(2.5, color)));
}

/// Time left in the unit that suits the period: `12 s`, `7 min`, `5 h`.
fn countdown_text(left: u64) -> String {
    match left {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

fn history_ui(ui: &mut Ui, details: &Details, reveal: bool) {
    let (items, damaged) = (&details.history, details.damaged_history);
    if items.is_empty() && damaged == 0 {
        return;
    }
    ui.add_space(theme::GAP);
    ui.label(RichText::new("Password history").strong());
    for item in items {
        let password = if reveal {
            item.password.expose()
        } else {
            "••••••"
        };
        let source = item
            .source
            .as_deref()
            .map_or(String::new(), |s| format!(", from {s}"));
        ui.label(format!(
            "{}  {}  ({} by {}{source})",
            time::format_rfc3339(item.changed_at),
            password,
            item.reason,
            item.changed_by
        ));
    }
    if damaged > 0 {
        widgets::error_line(
            ui,
            &format!("{damaged} older passwords failed their integrity check"),
        );
    }
}
