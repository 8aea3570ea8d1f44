#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    sontinh::cli::main()
}

/// The browser does not run this binary: its entry is the `sontinh-web`
/// library (engine/web), which the page's loader starts. The binary only
/// keeps compiling for wasm32 (`cargo check -p sontinh --target wasm32-unknown-unknown`).
#[cfg(target_arch = "wasm32")]
fn main() {}
