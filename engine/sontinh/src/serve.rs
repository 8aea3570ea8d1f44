//! `sontinh serve`: the twin's web site (see `sontinh-site`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sontinh_feeds_gateway::GatewayConfig;
use sontinh_site::{Catalog, Conversion, RequestLog};

/// The scenes served when none are named: every scene of the repository.
fn default_scenes() -> Result<Vec<PathBuf>, String> {
    let dir = crate::default_scene_path().parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("scenes"));
    let mut scenes: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenes.sort();
    Ok(scenes)
}

/// Serves until Ctrl-C.
pub fn serve(scenes: &[PathBuf], host: &str, port: u16, bundle: &Path, feeds: Option<&Path>, floods: &[PathBuf]) -> Result<String, String> {
    let scenes = if scenes.is_empty() { default_scenes()? } else { scenes.to_vec() };
    // Plain LAS/LAZ layers are converted to COPC now, with their progress shown.
    let bar = crate::pc::Bar::new();
    let conversion = Conversion {
        cache_dir: sontinh_pointcloud::convert::default_cache_dir(),
        progress: &bar,
    };
    let catalog = Catalog::build_converting(&scenes, Some(bundle), &conversion);
    bar.finish();
    let mut catalog = catalog?;
    for dir in floods {
        catalog.add_flood_results(dir)?;
    }
    let feeds = feeds.map(GatewayConfig::load).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port)).await.map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let shown = if address.ip().is_unspecified() { format!("localhost:{}", address.port()) } else { address.to_string() };
        println!("Sơn Tinh: open http://{shown}/ in a browser (Ctrl-C stops)");
        for scene in &catalog.scenes {
            println!("  http://{shown}/?scene={}", scene.trim_start_matches('/'));
            for flood in &catalog.floods {
                println!("  http://{shown}/?scene={}&flood={}", scene.trim_start_matches('/'), flood.trim_start_matches('/'));
            }
        }
        let log: RequestLog = Arc::new(|line: &str| println!("{line}"));
        sontinh_site::serve(catalog, listener, feeds, log, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    })?;
    Ok("stopped".to_owned())
}
