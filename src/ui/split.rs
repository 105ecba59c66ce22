//! Two panes sharing the space left in a panel: side by side or one above the other, with a
//! handle between them that drags the share. Each pane fills its part of the height, so a
//! body editor or a list inside it can use the whole window.

use egui::{Align, CursorIcon, Layout, Rect, Sense, Ui, UiBuilder, vec2};

const HANDLE: f32 = 8.0;
const MIN_SHARE: f32 = 0.2;
const MAX_SHARE: f32 = 0.8;

/// How the panes sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    Beside,
    Stacked,
}

/// Take the remaining space and cut it in two with a handle; `share` is the first pane's
/// part (dragging the handle changes it). Returns the two panes' rectangles, to draw into
/// with [`pane`].
pub fn split(
    ui: &mut Ui,
    id_salt: &str,
    arrangement: Arrangement,
    share: &mut f32,
) -> (Rect, Rect) {
    let rect = ui.available_rect_before_wrap();
    *share = share.clamp(MIN_SHARE, MAX_SHARE);
    let (first_rect, handle, second_rect) = cut(rect, arrangement, *share);
    let id = ui.scope_id().with(id_salt);
    let response = ui
        .interact(handle, id, Sense::drag())
        .on_hover_cursor(match arrangement {
            Arrangement::Beside => CursorIcon::ResizeHorizontal,
            Arrangement::Stacked => CursorIcon::ResizeVertical,
        });
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Splitter, true, format!("Resize {id_salt}"))
    });
    if response.dragged() {
        let delta = response.drag_delta();
        let (moved, length) = match arrangement {
            Arrangement::Beside => (delta.x, rect.width()),
            Arrangement::Stacked => (delta.y, rect.height()),
        };
        if length > HANDLE {
            *share = (*share + moved / (length - HANDLE)).clamp(MIN_SHARE, MAX_SHARE);
        }
    }
    let stroke = if response.hovered() || response.dragged() {
        ui.visuals().widgets.active.bg_stroke
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    let line = match arrangement {
        Arrangement::Beside => [handle.center_top(), handle.center_bottom()],
        Arrangement::Stacked => [handle.left_center(), handle.right_center()],
    };
    ui.painter().line_segment(line, stroke);
    ui.allocate_rect(rect, Sense::hover());
    (first_rect, second_rect)
}

/// Draw into one pane's rectangle, clipped to it.
pub fn pane(ui: &mut Ui, rect: Rect, add: impl FnOnce(&mut Ui)) {
    ui.scope_builder(
        UiBuilder::new()
            .max_rect(rect)
            .layout(Layout::top_down(Align::Min)),
        |ui| {
            ui.set_clip_rect(rect.intersect(ui.clip_rect()));
            add(ui);
        },
    );
}

fn cut(rect: Rect, arrangement: Arrangement, share: f32) -> (Rect, Rect, Rect) {
    match arrangement {
        Arrangement::Beside => {
            let first = (rect.width() - HANDLE).max(0.0) * share;
            let a = Rect::from_min_size(rect.min, vec2(first, rect.height()));
            let h = Rect::from_min_size(a.right_top(), vec2(HANDLE, rect.height()));
            let b = Rect::from_min_max(h.right_top(), rect.max);
            (a, h, b)
        }
        Arrangement::Stacked => {
            let first = (rect.height() - HANDLE).max(0.0) * share;
            let a = Rect::from_min_size(rect.min, vec2(rect.width(), first));
            let h = Rect::from_min_size(a.left_bottom(), vec2(rect.width(), HANDLE));
            let b = Rect::from_min_max(h.left_bottom(), rect.max);
            (a, h, b)
        }
    }
}
