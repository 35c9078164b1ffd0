//! The password generator panel: length, character classes, look-alike
//! exclusion, passphrase mode, and the entropy and strength of the result.

use egui::{RichText, Ui};

use super::widgets;
use crate::core::generator::{self, PasswordPolicy};
use crate::core::secret::SecretString;
use crate::core::strength::{self, Strength};

/// The generator's options and its latest result.
pub struct GeneratorState {
    /// Characters in a password.
    pub length: usize,
    /// Include digits.
    pub digits: bool,
    /// Include symbols.
    pub symbols: bool,
    /// Leave out look-alike characters.
    pub exclude_ambiguous: bool,
    /// Make a passphrase instead.
    pub passphrase: bool,
    /// Words in a passphrase.
    pub words: usize,
    /// Between passphrase words.
    pub separator: String,
    current: SecretString,
    strength: Option<Strength>,
    error: Option<String>,
}

impl Default for GeneratorState {
    fn default() -> Self {
        let mut state = Self {
            length: generator::DEFAULT_LENGTH,
            digits: true,
            symbols: true,
            exclude_ambiguous: false,
            passphrase: false,
            words: generator::DEFAULT_WORDS,
            separator: "-".to_owned(),
            current: SecretString::default(),
            strength: None,
            error: None,
        };
        state.regenerate();
        state
    }
}

impl GeneratorState {
    /// Makes a new password with the current options.
    pub fn regenerate(&mut self) {
        let made = if self.passphrase {
            generator::passphrase(self.words, &self.separator)
        } else {
            generator::password(&PasswordPolicy {
                length: self.length,
                digits: self.digits,
                symbols: self.symbols,
                exclude_ambiguous: self.exclude_ambiguous,
            })
        };
        match made {
            Ok(secret) => {
                self.strength = Some(strength::estimate(&secret, &[]));
                self.current = secret;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The latest generated password.
    pub fn current(&self) -> &SecretString {
        &self.current
    }

    /// Bits of entropy of the generator's output with these options.
    pub fn entropy_bits(&self) -> f64 {
        if self.passphrase {
            return self.words as f64 * (generator::wordlist().len() as f64).log2();
        }
        let policy = PasswordPolicy {
            length: self.length,
            digits: self.digits,
            symbols: self.symbols,
            exclude_ambiguous: self.exclude_ambiguous,
        };
        self.length as f64 * (generator::alphabet(&policy).len() as f64).log2()
    }
}

/// Draws the generator; returns true when "Use this password" is clicked.
pub fn generator_ui(ui: &mut Ui, state: &mut GeneratorState) -> bool {
    let mut changed = false;
    changed |= ui
        .checkbox(&mut state.passphrase, "Passphrase (words)")
        .changed();
    if state.passphrase {
        changed |= ui
            .add(egui::Slider::new(&mut state.words, 3..=12).text("Words"))
            .changed();
        ui.horizontal(|ui| {
            let label = ui.label("Separator");
            let edit = egui::TextEdit::singleline(&mut state.separator).desired_width(40.0);
            changed |= ui.add(edit).labelled_by(label.id).changed();
        });
    } else {
        changed |= ui
            .add(egui::Slider::new(&mut state.length, 8..=128).text("Length"))
            .changed();
        ui.horizontal_wrapped(|ui| {
            changed |= ui.checkbox(&mut state.digits, "Digits").changed();
            changed |= ui.checkbox(&mut state.symbols, "Symbols").changed();
            changed |= ui
                .checkbox(&mut state.exclude_ambiguous, "No look-alikes")
                .changed();
        });
    }
    if changed {
        state.regenerate();
    }
    let preview = state.current.expose().to_owned();
    ui.label(RichText::new(preview).monospace());
    ui.label(RichText::new(format!("About {:.0} bits of entropy", state.entropy_bits())).small());
    if let Some(strength) = &state.strength {
        widgets::strength_meter(ui, strength);
    }
    if let Some(error) = &state.error {
        widgets::error_line(ui, error);
    }
    let mut used = false;
    ui.horizontal(|ui| {
        if ui.button("Generate again").clicked() {
            state.regenerate();
        }
        used = ui.button("Use this password").clicked();
    });
    used
}
