//! SNAP Console: the SNAP BI rules (`snap`), the network side (`net`), and the command line.
pub mod cli;
pub mod net;
pub mod store;
pub mod snap;
