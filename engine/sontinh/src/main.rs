#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    sontinh::cli::main()
}

/// In the browser there is no command line: show the default scene.
#[cfg(target_arch = "wasm32")]
fn main() {
    match sontinh::embedded_default_scene() {
        Ok(scene) => {
            sontinh::viewer::run(scene, None, None);
        }
        Err(errors) => bevy::log::error!("{errors}"),
    }
}
