//! The only code that talks HTTP.
pub mod sandbox;
pub mod utilities;
