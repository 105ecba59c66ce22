//! The only code that talks HTTP.
pub mod client;
pub mod sandbox;
pub mod utilities;
