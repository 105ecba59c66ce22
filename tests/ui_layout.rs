//! The window's layout and keyboard, driven through egui_kittest: the service picker, the
//! command palette, the composer's split at two widths, History's Export menu, the F1 help.

// Test code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use snap_console::snap::catalog;
use snap_console::store::paths::AppPaths;
use snap_console::ui::SnapApp;
use snap_console::ui::composer::ComposerPanel;
use snap_console::ui::scenarios::ScenariosPanel;
use snap_console::ui::split::Arrangement;

struct Window {
    harness: Harness<'static, SnapApp>,
    _runtime: tokio::runtime::Runtime,
}

fn open(home: &Path, size: [f32; 2]) -> Window {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = SnapApp::new(runtime.handle(), AppPaths::under(home));
    let harness = Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut SnapApp| app.show(ui), app);
    Window {
        harness,
        _runtime: runtime,
    }
}

impl Window {
    fn wait_for(
        &mut self,
        what: &str,
        mut done: impl FnMut(&mut Harness<'static, SnapApp>) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.harness.step();
            if done(&mut self.harness) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for_label(&mut self, label: &str) {
        let owned = label.to_string();
        self.wait_for(label, move |h| {
            h.query_all_by_label_contains(&owned).next().is_some()
        });
    }

    fn steps(&mut self, n: usize) {
        for _ in 0..n {
            self.harness.step();
        }
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.steps(2);
    }

    fn type_into(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness.get_by_label(label).type_text(text);
        self.steps(2);
    }

    fn key(&mut self, key: Key) {
        self.harness.key_press(key);
        self.steps(2);
    }

    fn composer(&self) -> &ComposerPanel {
        self.harness
            .state()
            .panel::<ComposerPanel>()
            .expect("composer panel")
    }

    /// The composer, with the sandbox running (sending works).
    fn ready_composer(&mut self) {
        self.wait_for_label("Sandbox: running at http://127.0.0.1:");
        self.click("Composer");
        self.wait_for("the token service preselected", |h| {
            h.state()
                .panel::<ComposerPanel>()
                .expect("composer")
                .service_id
                == "snap-73"
        });
    }
}

fn title_of(id: &str) -> String {
    catalog::services()
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.title())
        .unwrap_or_default()
}

#[test]
fn the_service_picker_filters_as_you_type_moves_with_arrows_and_picks_with_enter() {
    let home = tempfile::tempdir().expect("tmp");
    let mut window = open(home.path(), [1280.0, 900.0]);
    window.ready_composer();
    window.type_into("Service", "va payment");
    window.wait_for_label("25 VA Payment");
    let matches: Vec<String> = window
        .composer()
        .service_matches()
        .iter()
        .map(|s| s.id.clone())
        .collect();
    assert!(matches.len() >= 2, "{matches:?}");
    assert_eq!(matches[0], "snap-25", "{matches:?}");
    // Down, Up, Down: the second match (the highlight stops at the ends); Enter picks it.
    window.key(Key::ArrowDown);
    assert_eq!(window.composer().picker.index, 1);
    window.key(Key::ArrowUp);
    window.key(Key::ArrowUp);
    assert_eq!(window.composer().picker.index, 0);
    window.key(Key::ArrowDown);
    window.key(Key::Enter);
    assert_eq!(window.composer().service_id, matches[1]);
    assert!(
        !window.composer().picker.open,
        "the list closes after a pick"
    );
    // A code alone finds its service; a click picks too.
    window.type_into("Service", "26");
    let title = title_of(&catalog::by_code("26").expect("service 26").id);
    window.wait_for_label(&title);
    window.click(&title);
    assert_eq!(
        window.composer().service_id,
        catalog::by_code("26").expect("26").id
    );
    // Esc closes the list without picking.
    window.type_into("Service", "qr");
    assert!(window.composer().picker.open);
    window.key(Key::Escape);
    assert!(!window.composer().picker.open);
    assert_eq!(
        window.composer().service_id,
        catalog::by_code("26").expect("26").id
    );
}

#[test]
fn the_command_palette_jumps_to_panels_and_picks_services() {
    let home = tempfile::tempdir().expect("tmp");
    let mut window = open(home.path(), [1280.0, 900.0]);
    window.wait_for_label("Local sandbox (active)");
    window
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::K);
    window.steps(2);
    window.wait_for_label("Command palette");
    window
        .harness
        .get_by_label("Command")
        .type_text("go to hist");
    window.steps(2);
    window.key(Key::Enter);
    assert_eq!(window.harness.state().current(), "History");
    assert!(!window.harness.state().overlays.palette_open);

    // A service through the palette: the composer shows it.
    window
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::K);
    window.steps(2);
    window
        .harness
        .get_by_label("Command")
        .type_text("service: 25 va");
    window.steps(2);
    window.key(Key::Enter);
    assert_eq!(window.harness.state().current(), "Composer");
    assert_eq!(
        window.composer().service_id,
        catalog::by_code("25").expect("25").id
    );

    // A suite through the palette: the Scenarios panel runs it against the sandbox.
    window.wait_for_label("Sandbox: running");
    window
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::K);
    window.steps(2);
    window
        .harness
        .get_by_label("Command")
        .type_text("run suite: biller");
    window.steps(2);
    window.key(Key::Enter);
    assert_eq!(window.harness.state().current(), "Scenarios");
    window.wait_for("the biller suite to finish", |h| {
        let panel = h
            .state()
            .panel::<ScenariosPanel>()
            .expect("scenarios panel");
        !panel.running && panel.report.is_some()
    });
    let panel = window
        .harness
        .state()
        .panel::<ScenariosPanel>()
        .expect("scenarios panel");
    assert!(!panel.cases.is_empty());
    assert!(
        panel.cases.iter().all(|c| c.suite == "biller"),
        "only the chosen suite ran"
    );
    let failed: Vec<_> = panel
        .cases
        .iter()
        .filter(|c| !c.passed && !c.skipped)
        .collect();
    assert!(failed.is_empty(), "failed: {failed:?}");

    // Profiles are listed; Esc closes the palette.
    window
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::K);
    window.steps(2);
    window.wait_for_label("Profile: Local sandbox");
    window.key(Key::Escape);
    assert!(!window.harness.state().overlays.palette_open);
    assert!(window.harness.query_by_label("Command palette").is_none());
}

#[test]
fn the_answer_sits_beside_the_request_when_wide_and_below_it_when_narrow() {
    let home = tempfile::tempdir().expect("tmp");
    // The default window size: the answer must be in view with the request after Send.
    let mut window = open(home.path(), [1200.0, 800.0]);
    window.ready_composer();
    window.click("Send");
    window.wait_for_label("responseCode 2007300");
    window.steps(2);
    assert_eq!(window.composer().arrangement, Some(Arrangement::Beside));
    let request = window
        .harness
        .get_by_role_and_label(Role::MultilineTextInput, "Body")
        .rect();
    let status = window.harness.get_by_label("HTTP 200").rect();
    let code = window
        .harness
        .get_by_label_contains("responseCode 2007300")
        .rect();
    let body = window
        .harness
        .get_by_role_and_label(Role::MultilineTextInput, "Response body");
    assert!(body.value().unwrap_or_default().contains("accessToken"));
    let body = body.rect();
    for (what, rect) in [("status", status), ("code", code), ("body", body)] {
        assert!(
            rect.left() >= request.right(),
            "{what} beside the request: {rect:?} vs {request:?}"
        );
        assert!(
            rect.top() < 800.0,
            "{what} in view without scrolling: {rect:?}"
        );
    }
    assert!(
        body.top() + 60.0 < 800.0,
        "the first body lines are in view: {body:?}"
    );

    // Narrow: stacked, the answer under the request.
    window.harness.set_size(egui::vec2(900.0, 800.0));
    window.steps(3);
    assert_eq!(window.composer().arrangement, Some(Arrangement::Stacked));
    let request = window
        .harness
        .get_by_role_and_label(Role::MultilineTextInput, "Body")
        .rect();
    let status = window.harness.get_by_label("HTTP 200").rect();
    assert!(
        status.top() >= request.bottom(),
        "status below the request: {status:?} vs {request:?}"
    );
    assert!(status.top() < 800.0);
}

#[test]
fn history_exports_through_its_menu_and_asks_for_a_path_without_a_dialog() {
    let home = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let mut window = open(home.path(), [1280.0, 900.0]);
    window.ready_composer();
    window.click("Send");
    window.wait_for_label("responseCode 2007300");
    window.click("History");
    window.wait_for_label("1 of 1 exchanges");
    window
        .harness
        .get_by_label_contains("out POST   200 2007300 73 Access Token B2B")
        .click();
    window.steps(2);
    window.wait_for_label("Open in composer");
    // List and detail side by side.
    let row = window
        .harness
        .get_by_label_contains("out POST   200 2007300 73 Access Token B2B")
        .rect();
    let open_button = window.harness.get_by_label("Open in composer").rect();
    assert!(
        open_button.left() > row.left() + 200.0,
        "{open_button:?} vs {row:?}"
    );

    window.harness.get_by_label_contains("Export").click();
    window.steps(2);
    window.wait_for_label("Evidence report");
    assert!(window.harness.query_by_label("cURL script").is_some());
    // Paths rather than a dialog (ticked by itself where the worker finds no dialog; how
    // fast a missing dialog fails depends on the machine's load, so the test ticks it).
    window.click("Type a path instead of a dialog");
    if window.harness.query_by_label("JSON").is_none() {
        window.harness.get_by_label_contains("Export").click();
        window.steps(2);
    }
    window.click("JSON");
    window.wait_for_label("type where to write it");
    let path = out.path().join("export.json");
    window.type_into("Export path", &path.display().to_string());
    window.click("Export");
    window.wait_for("the export file", |_| path.exists());
    let text = std::fs::read_to_string(&path).expect("export");
    assert!(text.contains("2007300"), "{text}");
    // Retention lives in the settings popover.
    window.harness.get_by_label_contains("Settings").click();
    window.steps(2);
    window.wait_for_label("Apply retention");
}

#[test]
fn f1_shows_the_shortcuts_and_esc_closes_them() {
    let home = tempfile::tempdir().expect("tmp");
    let mut window = open(home.path(), [1280.0, 900.0]);
    window.wait_for_label("Local sandbox (active)");
    window.key(Key::F1);
    window.wait_for_label("Keyboard shortcuts");
    for (keys, _) in snap_console::ui::palette::SHORTCUTS {
        assert!(window.harness.query_by_label(keys).is_some(), "{keys}");
    }
    window.key(Key::Escape);
    window.steps(2);
    assert!(
        window
            .harness
            .query_by_label("Keyboard shortcuts")
            .is_none()
    );
    assert!(!window.harness.state().overlays.help_open);
}

#[test]
fn the_window_remembers_its_panel_and_theme_in_the_config_dir() {
    use snap_console::worker::window;
    let home = tempfile::tempdir().expect("tmp");
    let paths = AppPaths::under(home.path());
    {
        let mut window = open(home.path(), [1280.0, 900.0]);
        window.wait_for_label("Local sandbox (active)");
        window.click("History");
        window
            .harness
            .get_by_role_and_label(Role::ComboBox, "Theme")
            .click();
        window.steps(2);
        window.click("Light");
        assert!(!(window.harness.ctx.theme() == egui::Theme::Dark));
        window.wait_for("window.json", |_| {
            let state = window::load(&paths);
            state.panel.as_deref() == Some("History") && state.theme.as_deref() == Some("light")
        });
    }
    // A new window comes back to it (read before it opens, as `run_native` does).
    let remembered = window::load(&paths);
    let mut window = open(home.path(), [1280.0, 900.0]);
    let ctx = window.harness.ctx.clone();
    window.harness.state_mut().restore(&remembered, &ctx);
    window.steps(2);
    assert_eq!(window.harness.state().current(), "History");
    assert!(!(window.harness.ctx.theme() == egui::Theme::Dark));
}

#[path = "common/servers.rs"]
mod servers;

#[test]
fn a_5_mb_answer_is_shown_cut_with_its_size_and_frames_stay_short() {
    let home = tempfile::tempdir().expect("tmp");
    let mut window = open(home.path(), [1200.0, 800.0]);
    window.ready_composer();
    let mut body = String::from("{\"responseCode\":\"2007300\",\"items\":[");
    let mut n = 0;
    while body.len() < 5 * 1024 * 1024 + 1000 {
        body.push_str(&format!(
            "{{\"n\":{n},\"text\":\"lorem ipsum dolor sit amet\"}},\n"
        ));
        n += 1;
    }
    body.push_str("{}]}");
    let server = servers::canned(servers::http_response(
        "200 OK",
        "application/json",
        body.as_bytes(),
    ));
    {
        let state = window.harness.state_mut();
        let id = state.ctx.book.active.clone().expect("active");
        if let Some(p) = state.ctx.book.profiles.iter_mut().find(|p| p.id == id) {
            p.base_url = server.url();
        }
    }
    window.click("Send");
    window.wait_for_label("large body: showing the first 5 MB of");
    assert!(
        window
            .harness
            .query_all_by_label_contains(&format!("{} bytes in all", body.len()))
            .next()
            .is_some()
    );
    assert!(window.harness.query_by_label("Save…").is_some());
    // Only the lines in view are on screen (and in the accessibility tree).
    let lines = window
        .harness
        .query_all_by_label_contains("lorem ipsum")
        .count();
    assert!((5..200).contains(&lines), "{lines} lines laid out");
    // Frames after the first (which lays the text out once) reuse the cached layout.
    window.steps(2);
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        window.harness.step();
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("slowest frame with a 5 MB answer on screen (debug build): {slowest:?}");
    assert!(slowest < Duration::from_millis(150), "{slowest:?}");
}
