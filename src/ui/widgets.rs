//! Small shared widgets. Every input is wired to its label (`labelled_by`) so that screen
//! readers and egui_kittest find it by the label's text.

use egui::{Color32, Response, RichText, TextEdit, Ui};

/// A labelled single-line text field in a two-column grid row.
pub fn text_row(ui: &mut Ui, label: &str, value: &mut String) -> Response {
    let label = ui.label(label);
    let response = ui
        .add(TextEdit::singleline(value).desired_width(f32::INFINITY))
        .labelled_by(label.id);
    ui.end_row();
    response
}

/// A labelled secret field: masked unless revealed, with a copy button.
pub fn secret_row(ui: &mut Ui, label: &str, value: &mut String, revealed: &mut bool) -> Response {
    let label_response = ui.label(label);
    let response = ui
        .horizontal(|ui| {
            let field = ui
                .add(
                    TextEdit::singleline(value)
                        .password(!*revealed)
                        .desired_width(ui.available_width() - 110.0),
                )
                .labelled_by(label_response.id);
            let toggle = if *revealed { "Hide" } else { "Reveal" };
            if ui
                .button(toggle)
                .on_hover_text(format!("{toggle} {label}"))
                .clicked()
            {
                *revealed = !*revealed;
            }
            copy_button(ui, &format!("Copy {label}"), value);
            field
        })
        .inner;
    ui.end_row();
    response
}

/// A labelled multi-line field (bodies, PEM).
pub fn multiline(ui: &mut Ui, label: &str, value: &mut String, rows: usize) -> Response {
    let label = ui.label(label);
    ui.add(
        TextEdit::multiline(value)
            .code_editor()
            .desired_rows(rows)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id)
}

/// A small "Copy" button; its hover text names what it copies (and kittest finds it so).
pub fn copy_button(ui: &mut Ui, what: &str, text: &str) {
    if ui.small_button("Copy").on_hover_text(what).clicked() {
        ui.ctx().copy_text(text.to_string());
    }
}

/// A read-only output value with its label and a copy button. The value is a read-only
/// TextEdit (selectable, and readable by screen readers and tests as the label's value).
pub fn output_row(ui: &mut Ui, label: &str, value: &str) {
    let label_id = label_with_copy(ui, label, value);
    let mut shown = value;
    ui.add(
        TextEdit::multiline(&mut shown)
            .code_editor()
            .desired_rows(1)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label_id);
    ui.end_row();
}

/// A read-only, copyable value under its label, as wide as the space it is given: for a
/// side pane, where a two-column grid would push long values past its right edge.
pub fn stacked_output(ui: &mut Ui, label: &str, value: &str) {
    let label_id = label_with_copy(ui, label, value);
    let mut shown = value;
    let width = ui.available_width();
    ui.add(
        TextEdit::multiline(&mut shown)
            .code_editor()
            .desired_rows(1)
            .desired_width(width),
    )
    .labelled_by(label_id);
    ui.add_space(4.0);
}

/// A value's label with its Copy button; the label's id names the value's field.
fn label_with_copy(ui: &mut Ui, label: &str, value: &str) -> egui::Id {
    ui.horizontal(|ui| {
        let label_response = ui.label(RichText::new(label).strong());
        copy_button(ui, &format!("Copy {label}"), value);
        label_response.id
    })
    .inner
}

pub const ERROR: Color32 = Color32::from_rgb(0xE0, 0x50, 0x50);
pub const OK: Color32 = Color32::from_rgb(0x3C, 0xB3, 0x71);
pub const WARN: Color32 = Color32::from_rgb(0xE0, 0xA0, 0x30);

pub fn error_text(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).color(ERROR));
}

pub fn warning_text(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(format!("Warning: {text}")).color(WARN));
}

/// A label and a single-line field side by side in a grid row, without ending the row.
pub fn text_row_inline(ui: &mut Ui, label: &str, value: &mut String, width: f32) -> Response {
    let label = ui.label(label);
    // Grids size cells from the previous frame; a minimum keeps the first frame right.
    ui.add(
        TextEdit::singleline(value)
            .min_size(egui::vec2(width, 0.0))
            .desired_width(width),
    )
    .labelled_by(label.id)
}
