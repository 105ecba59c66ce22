//! User suites in the window, driven through egui_kittest: Save to suite in the composer
//! (the suite file appears with that step, and the Scenarios panel runs it against the
//! built-in sandbox and it passes), Save to suite in the history (a second case), and
//! Duplicate a built-in suite into the suites folder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use snap_console::snap::scenario::{Suite, parse_suite};
use snap_console::store::paths::AppPaths;
use snap_console::ui::SnapApp;
use snap_console::ui::composer::ComposerPanel;
use snap_console::ui::scenarios::ScenariosPanel;

struct Window {
    harness: Harness<'static, SnapApp>,
    _runtime: tokio::runtime::Runtime,
}

fn open(home: &Path) -> Window {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = SnapApp::new(runtime.handle(), AppPaths::under(home));
    let harness = Harness::builder()
        .with_size([1280.0, 900.0])
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
            let notices: Vec<String> = self
                .harness
                .state()
                .ctx
                .notices
                .iter()
                .map(|n| n.text.clone())
                .collect();
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; notices: {notices:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    fn type_into(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness.get_by_label(label).type_text(text);
        self.harness.step();
        self.harness.step();
    }

    fn composer(&self) -> &ComposerPanel {
        self.harness.state().panel::<ComposerPanel>().unwrap()
    }

    fn scenarios(&self) -> &ScenariosPanel {
        self.harness.state().panel::<ScenariosPanel>().unwrap()
    }
}

fn read_suite(path: &Path) -> Option<Suite> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(parse_suite(&path.display().to_string(), &text).unwrap())
}

#[test]
fn save_to_suite_from_composer_and_history_then_run_it_and_duplicate_a_built_in() {
    let home = tempfile::tempdir().unwrap();
    let suites_dir = AppPaths::under(home.path()).suites_dir();
    let saved = suites_dir.join("saved.json");
    let mut window = open(home.path());
    window.wait_for("the sandbox", |h| {
        h.query_all_by_label_contains("Sandbox: running at http://127.0.0.1:")
            .next()
            .is_some()
    });

    // Composer: VA payment from its template, sent to the sandbox, then saved to a new suite.
    window.click("Composer");
    window.wait_for("the composer", |h| {
        h.state().panel::<ComposerPanel>().unwrap().service_id == "snap-73"
    });
    // The one service field: type, then click the entry it offers.
    window.type_into("Service", "25 VA Payment");
    window.wait_for("the service list", |h| {
        h.query_all_by_label("25 VA Payment").next().is_some()
    });
    window.harness.get_by_label("25 VA Payment").click();
    window.harness.step();
    window.harness.step();
    window.wait_for("the VA payment template", |h| {
        h.state()
            .panel::<ComposerPanel>()
            .unwrap()
            .body
            .contains("paymentRequestId")
    });
    window.click("Send");
    window.wait_for("the payment's answer", |h| {
        h.state().panel::<ComposerPanel>().unwrap().report.is_some()
    });
    assert!(
        window
            .composer()
            .report
            .as_ref()
            .unwrap()
            .response
            .is_some()
    );
    window.click("Save to suite");
    window.type_into("Suite id", "saved");
    window.click("Save step");
    window.wait_for("the suite file", |_| saved.exists());
    let suite = read_suite(&saved).unwrap();
    assert_eq!(suite.id, "saved");
    assert_eq!(suite.cases.len(), 1);
    let step = &suite.cases[0].steps[0];
    assert_eq!(suite.cases[0].id, "request-1");
    assert_eq!(step.service, "snap-25");
    assert!(
        step.body
            .as_ref()
            .is_some_and(|b| b.get("paymentRequestId").is_some()),
        "{step:?}"
    );
    assert_eq!(step.expect.status, Some(200));
    assert_eq!(step.expect.response_code.as_deref(), Some("2002500"));
    let raw = std::fs::read_to_string(&saved).unwrap();
    assert!(!raw.contains("Bearer"), "no token in a saved suite");

    // Scenarios: the user suite is offered; run it alone against the sandbox.
    window.click("Scenarios");
    window.wait_for("the user suites", |h| {
        !h.state()
            .panel::<ScenariosPanel>()
            .unwrap()
            .user_suites
            .is_empty()
    });
    window.click("aspi-va-payment"); // ticked by default: untick
    window.click("saved");
    window.click("Run");
    window.wait_for("the run to end", |h| {
        let panel = h.state().panel::<ScenariosPanel>().unwrap();
        !panel.running && panel.report.is_some()
    });
    let report = window.scenarios().report.clone().unwrap();
    let reasons: Vec<String> = report.cases().map(|c| c.reason.clone()).collect();
    assert_eq!(report.counts(), (1, 0, 0), "{reasons:?}");
    assert_eq!(report.suites[0].id, "saved");

    // Duplicate a built-in: the copy lands in the suites folder and is offered.
    window.click("Duplicate biller");
    let copy = suites_dir.join("biller-copy.json");
    window.wait_for("the copy", |h| {
        copy.exists()
            && h.state()
                .panel::<ScenariosPanel>()
                .unwrap()
                .user_suites
                .iter()
                .any(|(u, _)| u.suite.id == "biller-copy")
    });
    assert_eq!(read_suite(&copy).unwrap().cases.len(), {
        let panel = window.scenarios();
        panel
            .suites
            .iter()
            .find(|(s, _)| s.id == "biller")
            .unwrap()
            .0
            .cases
            .len()
    });

    // History: the payment sent from the composer, saved as a second case.
    window.click("History");
    window.wait_for("the payment in the history", |h| {
        h.query_all_by_label_contains("out POST   200 2002500 25 VA Payment")
            .next()
            .is_some()
    });
    // Two payments (the composer's and the run's): either is a request to keep.
    window
        .harness
        .query_all_by_label_contains("out POST   200 2002500 25 VA Payment")
        .next()
        .unwrap()
        .click();
    window.harness.step();
    window.wait_for("the entry read", |h| {
        h.query_by_label("Save to suite").is_some()
    });
    window.click("Save to suite");
    window.type_into("Suite id", "saved");
    window.type_into("Case id (optional)", "from-history");
    window.click("Save step");
    window.wait_for("the second case", |_| {
        read_suite(&saved).is_some_and(|s| s.cases.len() == 2)
    });
    let suite = read_suite(&saved).unwrap();
    assert_eq!(suite.cases[1].id, "from-history");
    assert_eq!(suite.cases[1].steps[0].service, "snap-25");
    assert_eq!(suite.cases[1].steps[0].expect.status, Some(200));
}
