//! The Logs section: a viewer of `logs/password_manager.log` and its rotated
//! files, with a level filter, a text filter, follow mode and copying.
//!
//! Large logs stay responsive: the file is indexed (line start offsets) a
//! few megabytes per frame, filters are applied a slice of lines per frame,
//! and only the visible lines are read from disk.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use egui::{RichText, Ui};

use super::theme;
use crate::core::paths::Paths;

/// Bytes indexed per frame.
const INDEX_CHUNK: usize = 4 << 20;
/// Lines filtered per frame.
const FILTER_CHUNK: usize = 20_000;
const LEVELS: [&str; 4] = ["ERROR", "WARN", "INFO", "DEBUG"];

/// The viewer's state.
pub struct LogsView {
    file_choice: usize,
    path: PathBuf,
    /// Byte offset where each indexed line starts.
    starts: Vec<u64>,
    indexed_to: u64,
    /// Lowest level shown (index into LEVELS; 3 shows everything).
    level: usize,
    filter: String,
    /// Lines passing the filter, when a filter is set.
    matches: Vec<usize>,
    filtered_to: usize,
    filter_key: (usize, String),
    follow: bool,
    jump_to_end: bool,
    selected: BTreeSet<usize>,
}

impl LogsView {
    /// A viewer of the current log file.
    pub fn new(paths: &Paths) -> Self {
        Self {
            file_choice: 0,
            path: paths.log_file(),
            starts: Vec::new(),
            indexed_to: 0,
            level: 3,
            filter: String::new(),
            matches: Vec::new(),
            filtered_to: 0,
            filter_key: (3, String::new()),
            follow: true,
            jump_to_end: true,
            selected: BTreeSet::new(),
        }
    }

    fn filtering(&self) -> bool {
        self.level < 3 || !self.filter.trim().is_empty()
    }

    /// Indexes the next chunk of the file; starts over if it shrank
    /// (rotated).
    fn index_more(&mut self) -> bool {
        let Ok(mut file) = File::open(&self.path) else {
            return false;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.indexed_to {
            self.starts.clear();
            self.indexed_to = 0;
            self.reset_filter();
        }
        if len == self.indexed_to {
            return false;
        }
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        let want = ((len - self.indexed_to) as usize).min(INDEX_CHUNK);
        let mut buffer = vec![0u8; want];
        if file.seek(SeekFrom::Start(self.indexed_to)).is_err()
            || file.read_exact(&mut buffer).is_err()
        {
            return false;
        }
        for i in memchr::memchr_iter(b'\n', &buffer) {
            self.starts.push(self.indexed_to + i as u64 + 1);
        }
        self.indexed_to += want as u64;
        true
    }

    /// Complete lines indexed so far (a trailing partial line waits).
    fn line_count(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    fn read_lines(&self, first: usize, count: usize) -> Vec<String> {
        let last = (first + count).min(self.line_count());
        if first >= last {
            return Vec::new();
        }
        let (from, to) = (self.starts[first], self.starts[last]);
        let mut bytes = vec![0u8; (to - from) as usize];
        let read = File::open(&self.path).and_then(|mut f| {
            f.seek(SeekFrom::Start(from))
                .and_then(|_| f.read_exact(&mut bytes))
        });
        if read.is_err() {
            return Vec::new();
        }
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn reset_filter(&mut self) {
        self.matches.clear();
        self.filtered_to = 0;
    }

    fn filter_more(&mut self) -> bool {
        let key = (self.level, self.filter.trim().to_lowercase());
        if key != self.filter_key {
            self.filter_key = key;
            self.reset_filter();
        }
        if !self.filtering() || self.filtered_to >= self.line_count() {
            return false;
        }
        let lines = self.read_lines(self.filtered_to, FILTER_CHUNK);
        let needle = self.filter_key.1.clone();
        let allowed = &LEVELS[..=self.level];
        for (i, line) in lines.iter().enumerate() {
            let level_ok = line
                .split_whitespace()
                .nth(1)
                .is_some_and(|l| allowed.contains(&l));
            if level_ok && (needle.is_empty() || line.to_lowercase().contains(&needle)) {
                self.matches.push(self.filtered_to + i);
            }
        }
        self.filtered_to += lines.len().max(1);
        true
    }
}

/// Draws the section.
pub fn logs_ui(ui: &mut Ui, view: &mut LogsView, paths: &Paths) {
    let mut busy = view.index_more();
    busy |= view.filter_more();
    if busy {
        ui.ctx().request_repaint();
    } else if view.follow {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(500));
    }

    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        let files = ["Current log", "Older 1", "Older 2", "Older 3", "Older 4"];
        let before = view.file_choice;
        egui::ComboBox::from_label("File")
            .selected_text(files[view.file_choice])
            .show_ui(ui, |ui| {
                for (i, name) in files.iter().enumerate() {
                    ui.selectable_value(&mut view.file_choice, i, *name);
                }
            });
        if view.file_choice != before {
            let mut fresh = LogsView::new(paths);
            fresh.file_choice = view.file_choice;
            if view.file_choice > 0 {
                let mut name = paths.log_file().into_os_string();
                name.push(format!(".{}", view.file_choice));
                fresh.path = PathBuf::from(name);
            }
            *view = fresh;
        }
        egui::ComboBox::from_label("Level")
            .selected_text(LEVELS[view.level])
            .show_ui(ui, |ui| {
                for (i, level) in LEVELS.iter().enumerate() {
                    ui.selectable_value(&mut view.level, i, *level);
                }
            });
        let label = ui.label("Filter");
        ui.add(egui::TextEdit::singleline(&mut view.filter).desired_width(220.0))
            .labelled_by(label.id);
        ui.checkbox(&mut view.follow, "Follow");
        if ui.button("Jump to newest").clicked() {
            view.jump_to_end = true;
        }
        let copy = ui.add_enabled(
            !view.selected.is_empty(),
            egui::Button::new("Copy selected"),
        );
        if copy.clicked() {
            let text: Vec<String> = view
                .selected
                .iter()
                .flat_map(|&line| view.read_lines(line, 1))
                .collect();
            ui.ctx().copy_text(text.join("\n"));
        }
    });
    ui.separator();

    let shown = if view.filtering() {
        view.matches.len()
    } else {
        view.line_count()
    };
    if shown == 0 {
        ui.label(if view.line_count() == 0 {
            "The log is empty."
        } else {
            "No lines match."
        });
        return;
    }
    // Rows are exactly this tall (no spacing, thin padding), so the scroll
    // area can place any line without laying out the others.
    let padding = 1.0;
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0 * padding;
    let mut area = egui::ScrollArea::both()
        .auto_shrink([false, false])
        .stick_to_bottom(view.follow);
    if view.jump_to_end {
        area = area.vertical_scroll_offset(shown as f32 * row_height);
        view.jump_to_end = false;
    }
    area.show_rows(ui, row_height, shown, |ui, rows| {
        ui.spacing_mut().item_spacing.y = 0.0;
        ui.spacing_mut().button_padding.y = padding;
        let numbers: Vec<usize> = if view.filtering() {
            view.matches[rows.clone()].to_vec()
        } else {
            rows.clone().collect()
        };
        let first = numbers.first().copied().unwrap_or(0);
        let span = numbers.last().map_or(0, |last| last - first + 1);
        let lines = view.read_lines(first, span);
        for number in numbers {
            let text = lines.get(number - first).cloned().unwrap_or_default();
            let color = if text.contains(" ERROR ") {
                Some(theme::DANGER)
            } else if text.contains(" WARN ") {
                Some(theme::WARNING)
            } else {
                None
            };
            let mut rich = RichText::new(text).monospace();
            if let Some(color) = color {
                rich = rich.color(color);
            }
            let selected = view.selected.contains(&number);
            if ui.selectable_label(selected, rich).clicked() && !view.selected.remove(&number) {
                view.selected.insert(number);
            }
        }
    });
}
