//! The only code that touches disk.
pub mod files;
