//! The Scenarios panel driven through egui_kittest: run a built-in suite against the
//! embedded sandbox, open a case, re-run one case against a dead server and read why it
//! failed, export the run as HTML and read it back.
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
use snap_console::store::paths::AppPaths;
use snap_console::ui::SnapApp;
use snap_console::ui::scenarios::ScenariosPanel;

#[path = "common/servers.rs"]
mod servers;

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
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    fn panel(&self) -> &ScenariosPanel {
        self.harness.state().panel::<ScenariosPanel>().unwrap()
    }
}

#[test]
fn run_a_suite_open_a_failed_case_and_export_the_evidence() {
    let home = tempfile::tempdir().unwrap();
    let mut window = open(home.path());
    window.wait_for("the sandbox", |h| {
        h.query_all_by_label_contains("Sandbox: running at http://127.0.0.1:")
            .next()
            .is_some()
    });
    window.click("Scenarios");
    // aspi-va-payment is ticked by default; tick the others too (va-notification and the
    // biller's callback come back to the window's inbox, which the sandbox notifies).
    assert!(window.panel().suites[0].1);
    for id in [
        "biller",
        "nicepay-direct-debit",
        "qris-transaction-list",
        "va-notification",
    ] {
        window.click(id);
    }
    window.click("Run");
    window.wait_for("the run to end", |h| {
        let panel = h.state().panel::<ScenariosPanel>().unwrap();
        !panel.running && panel.report.is_some()
    });
    let report = window.panel().report.clone().unwrap();
    let (passed, failed, skipped) = report.counts();
    let failures: Vec<String> = report
        .cases()
        .filter(|c| !c.passed)
        .map(|c| format!("{}/{}: {}", c.suite, c.id, c.reason))
        .collect();
    assert_eq!((failed, skipped), (0, 0), "{failures:?}");
    let total: usize = window
        .panel()
        .suites
        .iter()
        .map(|(s, _)| s.cases.len())
        .sum();
    assert_eq!(passed, total);
    // The table shows every case; opening one shows its exchanges.
    window.click("aspi-va-payment/payment");
    assert!(
        window.harness.query_by_label("Request 1").is_some(),
        "the payment request"
    );
    assert!(window.harness.query_by_label("stringToSign 1").is_some());

    // Point the profile at a server that never answers and re-run just that case.
    let silent = servers::silent();
    {
        let state = window.harness.state_mut();
        let id = state.ctx.book.active.clone().unwrap();
        let profile = state
            .ctx
            .book
            .profiles
            .iter_mut()
            .find(|p| p.id == id)
            .unwrap();
        profile.base_url = silent.url();
        profile.timeout_seconds = 1;
    }
    window.click("Re-run this case");
    window.wait_for("the re-run to end", |h| {
        let panel = h.state().panel::<ScenariosPanel>().unwrap();
        !panel.running && panel.report.is_some()
    });
    assert_eq!(window.panel().cases.len(), 1);
    window.click("aspi-va-payment/payment");
    assert!(
        window
            .harness
            .query_all_by_label_contains("Why: no answer within 1 s")
            .next()
            .is_some(),
        "the failed case says why"
    );

    // Export the run to a typed path.
    let out = home.path().join("evidence.html");
    window.harness.get_by_label("Evidence path").focus();
    window.harness.step();
    window
        .harness
        .get_by_label("Evidence path")
        .type_text(out.to_str().unwrap());
    window.harness.step();
    window.harness.step();
    window.harness.get_by_label_contains("Export").click();
    window.harness.step();
    window.harness.step();
    window.wait_for("the Export menu", |h| {
        h.query_by_label("Export HTML to path").is_some()
    });
    window.click("Export HTML to path");
    window.wait_for("the export", |h| {
        out.exists()
            || h.state()
                .ctx
                .notices
                .iter()
                .any(|n| n.text.contains("evidence") || n.text.contains("error"))
    });
    let notices: Vec<String> = window
        .harness
        .state()
        .ctx
        .notices
        .iter()
        .map(|n| n.text.clone())
        .collect();
    assert!(out.exists(), "{notices:?}");
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("data-case=\"aspi-va-payment/payment\""));
    assert!(page.contains("FAIL"));
    assert!(page.contains("no answer within 1 s"));
}
