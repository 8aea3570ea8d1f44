use std::process::ExitCode;

fn main() -> ExitCode {
    sontinh::cli::main()
}
