//! "Save to suite", shared by the composer and the history: a button that opens a small
//! form (suite id, optional case id) and, on "Save step", the command that appends the
//! request to one of the user's suites. The worker does the rest (files, the outcome as a
//! notice); this file only draws and builds the command.

use egui::{TextEdit, Ui};

use crate::model::Exchange;
use crate::model::RequestDraft;
use crate::worker::Command;
use crate::worker::composer::SendReport;
use crate::worker::scenarios::{Answer, SaveSource, SaveTarget, ScenariosCommand};

/// The form's state, one per panel.
#[derive(Debug, Default, Clone)]
pub struct SaveToSuite {
    pub open: bool,
    pub suite: String,
    pub case: String,
    problem: Option<String>,
}

impl SaveToSuite {
    /// Draw the button (and the form when open); the target once the user confirms.
    pub fn show(&mut self, ui: &mut Ui) -> Option<SaveTarget> {
        if ui
            .button("Save to suite")
            .on_hover_text("Append this request as a step to one of your suites (made when new)")
            .clicked()
        {
            self.open = !self.open;
            self.problem = None;
        }
        if !self.open {
            return None;
        }
        let mut target = None;
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Suite id");
            ui.add(
                TextEdit::singleline(&mut self.suite)
                    .hint_text("my-requests")
                    .desired_width(140.0),
            )
            .labelled_by(l.id);
            let l = ui.label("Case id (optional)");
            ui.add(
                TextEdit::singleline(&mut self.case)
                    .hint_text("request-N")
                    .desired_width(120.0),
            )
            .labelled_by(l.id);
            if ui.button("Save step").clicked() {
                target = self.confirm();
            }
            if ui.button("Close").clicked() {
                self.open = false;
            }
        });
        if let Some(problem) = &self.problem {
            super::widgets::error_text(ui, problem);
        }
        target
    }

    fn confirm(&mut self) -> Option<SaveTarget> {
        let suite = self.suite.trim();
        if suite.is_empty() {
            self.problem = Some("give the id of a suite of yours (new or existing)".into());
            return None;
        }
        self.problem = None;
        self.open = false;
        let case = Some(self.case.trim().to_string()).filter(|c| !c.is_empty());
        Some(SaveTarget {
            suite: suite.to_string(),
            case,
        })
    }
}

/// The composer's draft, with what came back when it was last sent as the expectation.
pub fn from_draft(target: SaveTarget, draft: RequestDraft, last: Option<&SendReport>) -> Command {
    let answer = Answer {
        status: last.and_then(|r| r.response.as_ref()).map(|r| r.status),
        response_code: last
            .and_then(|r| r.summary.as_ref())
            .and_then(|s| s.response_code.clone()),
    };
    Command::Scenarios(ScenariosCommand::SaveToSuite {
        target,
        source: SaveSource::Draft {
            draft: Box::new(draft),
            answer,
        },
    })
}

/// A request from the history.
pub fn from_exchange(target: SaveTarget, exchange: Exchange) -> Command {
    Command::Scenarios(ScenariosCommand::SaveToSuite {
        target,
        source: SaveSource::Exchange(Box::new(exchange)),
    })
}
