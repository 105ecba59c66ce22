//! A bare eframe window built with the console's eframe features: the baseline that
//! `scripts/measure_window.sh` compares SNAP Console against (first frame, RSS, idle CPU).

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

fn main() -> eframe::Result {
    eframe::run_native(
        "hello",
        eframe::NativeOptions::default(),
        Box::new(|_| Ok(Box::new(Hello(false)))),
    )
}

/// Whether the first frame was traced.
struct Hello(bool);

impl eframe::App for Hello {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if !self.0 {
            self.0 = true;
            snap_console::ui::app::trace_first_frame();
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Hello");
        });
    }
}
