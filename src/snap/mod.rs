//! The SNAP rules, pure: no I/O, no async, no UI. Everything else in the crate builds on these.
pub mod biller;
pub mod catalog;
pub mod diagnose;
pub mod fill;
pub mod headers;
pub mod keys;
pub mod minify;
pub mod notification;
pub mod response;
pub mod scenario;
pub mod services;
pub mod signature;
pub mod templates;
pub mod text;
pub mod timestamp;
pub mod validate;
