//! No arguments: the window. Arguments: a CLI subcommand.
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().len() > 1 {
        return snap_console::cli::main();
    }
    snap_console::ui::app::main()
}
