//! The only code that talks HTTP.
pub mod client;
pub mod http;
pub mod inbox;
pub mod sandbox;
pub mod utilities;
