//! The real window driven through egui_kittest with its worker on a real runtime and the
//! profiles in a temp dir: shared by the test files that drive one panel. Included with
//! `#[path]`; not every file uses every helper.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use snap_console::store::paths::AppPaths;
use snap_console::ui::SnapApp;

pub struct Window {
    pub harness: Harness<'static, SnapApp>,
    _runtime: tokio::runtime::Runtime,
    _one_window: std::sync::MutexGuard<'static, ()>,
}

/// One window at a time in a test binary: a window runs its own sandbox, inbox and worker,
/// and several at once on two cores made typed text land late enough to time out.
static ONE_WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn open(home: &Path) -> Window {
    // A test that failed while holding it poisons it; the next one may still run.
    let one_window = ONE_WINDOW
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = SnapApp::new(runtime.handle(), AppPaths::under(home));
    let harness = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_ui_state(|ui, app: &mut SnapApp| app.show(ui), app);
    Window {
        harness,
        _runtime: runtime,
        _one_window: one_window,
    }
}

impl Window {
    pub fn wait_for(
        &mut self,
        what: &str,
        mut done: impl FnMut(&Harness<'static, SnapApp>) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.harness.step();
            if done(&self.harness) {
                return;
            }
            if Instant::now() >= deadline {
                let notices: Vec<String> = self
                    .harness
                    .state()
                    .ctx
                    .notices
                    .iter()
                    .map(|n| n.text.clone())
                    .collect();
                panic!("timed out waiting for {what}; notices {notices:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for_label(&mut self, label: &str) {
        let wanted = label.to_string();
        self.wait_for(label, move |h| {
            h.query_all_by_label_contains(&wanted).next().is_some()
        });
    }

    pub fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    /// Select everything in a field and type over it.
    pub fn replace_text(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.get_by_label(label).type_text(text);
        self.harness.step();
        self.harness.step();
    }

    pub fn type_into(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness.get_by_label(label).type_text(text);
        self.harness.step();
        self.harness.step();
    }
}
