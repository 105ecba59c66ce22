//! A bare eframe window built with the console's eframe features: the baseline that
//! `scripts/measure_window.sh` compares SNAP Console against (first frame, RSS, idle CPU).

fn main() -> eframe::Result {
    eframe::run_native(
        "hello",
        eframe::NativeOptions::default(),
        Box::new(|_| Ok(Box::new(Hello))),
    )
}

struct Hello;

impl eframe::App for Hello {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Hello");
        });
    }
}
