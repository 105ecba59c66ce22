//! The window (egui/eframe): one file a panel, no I/O, no crypto that can block.
pub mod app;
pub mod composer;
pub mod composer_response;
pub mod context;
pub mod credentials;
pub mod credentials_connection;
pub mod finder;
pub mod history;
pub mod inbox;
pub mod json_view;
pub mod palette;
pub mod save_to_suite;
pub mod scenarios;
pub mod split;
pub mod widgets;
pub mod workbench;

pub use app::{SnapApp, run_native};
