//! Short messages in the corner of the window, some with an Undo button.

use std::time::{Duration, Instant};

use uuid::Uuid;

/// What an Undo button brings back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Restore an entry moved to the trash.
    Restore(Uuid),
}

/// One message.
pub struct Toast {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
    /// What Undo does, if offered.
    pub undo: Option<Undo>,
    shown_until: Instant,
}

/// The messages on screen.
#[derive(Default)]
pub struct Toasts {
    items: Vec<Toast>,
}

impl Toasts {
    /// Shows an information message.
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(text.into(), false, None, Duration::from_secs(4));
    }

    /// Shows an error message (it stays longer).
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(text.into(), true, None, Duration::from_secs(8));
    }

    /// Shows a message with an Undo button.
    pub fn with_undo(&mut self, text: impl Into<String>, undo: Undo) {
        self.push(text.into(), false, Some(undo), Duration::from_secs(8));
    }

    fn push(&mut self, text: String, error: bool, undo: Option<Undo>, keep: Duration) {
        self.items.push(Toast {
            text,
            error,
            undo,
            shown_until: Instant::now() + keep,
        });
        if self.items.len() > 4 {
            self.items.remove(0);
        }
    }

    /// Draws the messages; returns an Undo that was clicked.
    pub fn toasts_ui(&mut self, ctx: &egui::Context) -> Option<Undo> {
        let now = Instant::now();
        self.items.retain(|t| t.shown_until > now);
        if self.items.is_empty() {
            return None;
        }
        ctx.request_repaint_after(Duration::from_millis(500));
        let mut chosen = None;
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -40.0))
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                for toast in &self.items {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            let text = egui::RichText::new(&toast.text);
                            let text = if toast.error {
                                text.color(super::theme::DANGER)
                            } else {
                                text
                            };
                            ui.label(text);
                            if let Some(undo) = toast.undo
                                && ui.button("Undo").clicked()
                            {
                                chosen = Some(undo);
                            }
                        });
                    });
                }
            });
        if chosen.is_some() {
            self.items.retain(|t| t.undo != chosen);
        }
        chosen
    }
}
