fn main() -> std::process::ExitCode {
    snap_console::cli::main()
}
