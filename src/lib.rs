//! SNAP Console: the SNAP BI rules (`snap`), the network side (`net`), the disk (`store`),
//! the window (`ui`) and its background worker (`worker`), and the command line (`cli`).
pub mod cli;
pub mod flows;
pub mod model;
pub mod net;
pub mod presets;
pub mod snap;
pub mod store;
pub mod ui;
pub mod worker;
