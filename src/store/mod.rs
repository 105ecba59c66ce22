//! The only code that touches disk.
pub mod files;
pub mod history;
pub mod paths;
pub mod profiles;
pub mod secrets;
pub mod suites;
pub mod window;
