#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The site server over real sockets: what is reachable, ranges as RFC 9110
//! defines them, validators, the pre-compressed bundle.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sontinh_site::{Catalog, RequestLog};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SCENE: &str = r#"format = 1
[site]
id = "test-site"
name = { vi = "Thử", en = "Test" }
description = { vi = "Thử", en = "Test" }
[origin]
crs = "EPSG:4326"
position = [106.0, 16.7, 0.0]
[[layer]]
id = "plinth"
kind = "mesh"
path = "models/plinth.obj"
name = { vi = "Bệ", en = "Plinth" }
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -25.0, 10.0]
target = [0.0, 0.0, 0.0]
fov_deg = 50.0
"#;

/// A site folder: a scene naming an OBJ (which names its MTL, which names
/// a texture, which has a world file), a secret beside them that no scene
/// names, and a bundle.
fn site_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenes/models/tex")).unwrap();
    std::fs::write(root.join("scenes/site.toml"), SCENE).unwrap();
    std::fs::write(root.join("scenes/models/plinth.obj"), "mtllib plinth.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl stone\nf 1 2 3\n").unwrap();
    std::fs::write(root.join("scenes/models/plinth.mtl"), "newmtl stone\nKd 1 1 1\nmap_Kd tex/stone.png\n").unwrap();
    std::fs::write(root.join("scenes/models/tex/stone.png"), (0..=255u8).cycle().take(1000).collect::<Vec<u8>>()).unwrap();
    // A world file beside an image is served with it (a drape's reader asks for it).
    std::fs::write(root.join("scenes/models/tex/stone.pgw"), "1 0 0 -1 0 0").unwrap();
    std::fs::write(root.join("scenes/models/secret.txt"), "not for the web").unwrap();
    std::fs::write(root.join("secret.txt"), "not for the web").unwrap();
    std::fs::create_dir_all(root.join("dist/webgl2")).unwrap();
    std::fs::write(root.join("dist/index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(root.join("dist/webgl2/sontinh_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(root.join("dist/webgl2/sontinh_bg.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(root.join("dist/webgl2/sontinh_bg.wasm.gz"), b"gzip bytes").unwrap();
    dir
}

struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _runtime: tokio::runtime::Runtime,
}

fn start(catalog: Catalog) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = lines.clone();
    let log: RequestLog = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move {
        sontinh_site::serve(catalog, listener, None, log, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Server {
        base: format!("http://{address}"),
        log: lines,
        _stop: stop,
        _runtime: runtime,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A GET over a raw socket, so that the path goes out exactly as written
/// (HTTP libraries normalise `..` and escapes away).
fn raw_get(base: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8(bytes[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).collect();
    Reply {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().get(format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
    let body = response.body_mut().read_to_vec().unwrap();
    Reply { status, headers, body }
}

#[test]
fn only_the_scenes_and_the_files_they_reference_are_reachable() {
    let dir = site_folder();
    let catalog = Catalog::build(&[dir.path().join("scenes/site.toml")], Some(&dir.path().join("dist"))).unwrap();
    let mut addresses: Vec<&str> = catalog.addresses().collect();
    addresses.sort_unstable();
    assert_eq!(
        addresses,
        [
            "/index.html",
            "/scenes/models/plinth.mtl",
            "/scenes/models/plinth.obj",
            "/scenes/models/tex/stone.pgw",
            "/scenes/models/tex/stone.png",
            "/scenes/site.toml",
            "/webgl2/sontinh_bg.wasm"
        ]
    );
    let server = start(catalog);
    assert_eq!(get(&server.base, "/scenes/models/tex/stone.png", &[]).status, 200);
    assert_eq!(get(&server.base, "/", &[]).body, b"<!doctype html><title>t</title>");
    for path in [
        "/scenes/models/secret.txt",
        "/secret.txt",
        "/scenes/../secret.txt",
        "/scenes/models/..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/scenes/models/tex/..%2F..%2F..%2Fsecret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/scenes/models/plinth.obj%00.png",
        "/webgl2/sontinh_bg.wasm.br",
    ] {
        let reply = raw_get(&server.base, path, &[]);
        assert!(reply.status == 404 || reply.status == 400, "{path}: {}", reply.status);
        assert!(!String::from_utf8_lossy(&reply.body).contains("not for the web"), "{path} leaked the secret");
    }
}

#[test]
fn a_link_or_a_reference_out_of_its_folder_stops_the_site_from_starting() {
    let dir = site_folder();
    let models = dir.path().join("scenes/models");
    std::fs::remove_file(models.join("tex/stone.png")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), models.join("tex/stone.png")).unwrap();
    let err = Catalog::build(&[dir.path().join("scenes/site.toml")], None).unwrap_err();
    assert!(err.contains("is a link"), "{err}");

    std::fs::write(models.join("plinth.mtl"), "newmtl stone\nmap_Kd ../../secret.txt\n").unwrap();
    let err = Catalog::build(&[dir.path().join("scenes/site.toml")], None).unwrap_err();
    assert!(err.contains("outside its own folder"), "{err}");

    let err = Catalog::build(&[dir.path().join("dist/index.html")], None).unwrap_err();
    assert!(err.contains("index.html"), "{err}");
}

#[test]
fn ranges_are_answered_as_rfc_9110_defines_them() {
    let dir = site_folder();
    let file = dir.path().join("scenes/models/tex/stone.png");
    let bytes = std::fs::read(&file).unwrap();
    let server = start(Catalog::build(&[dir.path().join("scenes/site.toml")], None).unwrap());
    let path = "/scenes/models/tex/stone.png";

    let whole = get(&server.base, path, &[]);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.body, bytes);

    let part = get(&server.base, path, &[("Range", "bytes=10-19")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(part.body, &bytes[10..20]);

    let suffix = get(&server.base, path, &[("Range", "bytes=-5")]);
    assert_eq!(suffix.status, 206);
    assert_eq!(suffix.body, &bytes[995..]);

    let open = get(&server.base, path, &[("Range", "bytes=990-")]);
    assert_eq!(open.header("content-range"), Some("bytes 990-999/1000"));

    let beyond = get(&server.base, path, &[("Range", "bytes=1000-1010")]);
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("content-range"), Some("bytes */1000"));

    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains(&format!("GET {path} range=bytes=10-19 206")), "{log}");
    assert!(log.contains(&format!("GET {path} range=bytes=1000-1010 416")), "{log}");
}

#[test]
fn validators_let_browsers_revalidate_and_the_bundle_goes_compressed() {
    let dir = site_folder();
    let server = start(Catalog::build(&[dir.path().join("scenes/site.toml")], Some(&dir.path().join("dist"))).unwrap());
    let first = get(&server.base, "/scenes/site.toml", &[]);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert!(first.header("last-modified").is_some());
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let again = get(&server.base, "/scenes/site.toml", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    // Another validator: the whole file again.
    assert_eq!(get(&server.base, "/scenes/site.toml", &[("If-None-Match", "\"other\"")]).body, SCENE.as_bytes());

    let brotli = raw_get(&server.base, "/webgl2/sontinh_bg.wasm", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(brotli.status, 200);
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    assert_eq!(brotli.header("content-type"), Some("application/wasm"));
    assert_eq!(brotli.body, b"brotli bytes");
    // RFC 9110 12.5.5 and 8.8.3: the response varies with Accept-Encoding,
    // and each encoding is a representation with its own entity tag.
    assert_eq!(brotli.header("vary"), Some("accept-encoding"));
    let brotli_tag = brotli.header("etag").expect("an ETag").to_owned();
    let identity_tag = raw_get(&server.base, "/webgl2/sontinh_bg.wasm", &[]).header("etag").expect("an ETag").to_owned();
    assert_ne!(brotli_tag, identity_tag);
    let revalidated = raw_get(&server.base, "/webgl2/sontinh_bg.wasm", &[("Accept-Encoding", "br"), ("If-None-Match", &brotli_tag)]);
    assert_eq!(revalidated.status, 304);
    assert_eq!(revalidated.header("etag"), Some(brotli_tag.as_str()));
    let gzip = raw_get(&server.base, "/webgl2/sontinh_bg.wasm", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.body, b"gzip bytes");
    let identity = raw_get(&server.base, "/webgl2/sontinh_bg.wasm", &[]);
    assert_eq!(identity.body, b"\0asm\x01\0\0\0");
}

#[test]
fn the_shipped_scenes_make_a_site() {
    let scenes: Vec<PathBuf> = ["relic-gallery", "cesium-tilesets", "quang-tri-citadel"].iter().map(|s| repository().join(format!("scenes/{s}.toml"))).collect();
    let catalog = Catalog::build(&scenes, None).unwrap_or_else(|e| panic!("{e} (the shared test data: set SONTINH_SHARED_DATA or put it in ../shared/data)"));
    let addresses: Vec<&str> = catalog.addresses().collect();
    for expected in [
        "/assets/models/plinth.obj",
        "/assets/models/plinth.mtl",
        "/shared/dem/N44W072.hgt",
        "/shared/tiles/TilesetWithDiscreteLOD/tileset.json",
        "/shared/tiles/SparseImplicitQuadtree/tileset.json",
    ] {
        assert!(addresses.contains(&expected), "{expected} missing from {addresses:?}");
    }
    // Contents a tileset names, and implicit subtrees found from their template.
    assert!(addresses.iter().any(|a| a.starts_with("/shared/tiles/TilesetWithDiscreteLOD/") && a.ends_with(".b3dm")), "{addresses:?}");
    assert!(addresses.iter().any(|a| a.starts_with("/shared/tiles/SparseImplicitQuadtree/") && a.ends_with(".subtree")), "{addresses:?}");
}

#[test]
fn a_laz_layer_is_served_as_the_copc_file_converted_ahead_of_time() {
    let cache = tempfile::tempdir().unwrap();
    let conversion = sontinh_site::Conversion {
        cache_dir: cache.path().to_owned(),
        progress: &sontinh_pointcloud::convert::Silent,
    };
    let scene = repository().join("scenes/autzen-lidar.toml");
    let catalog = Catalog::build_converting(&[scene], None, &conversion)
        .unwrap_or_else(|e| panic!("{e} (the shared test data: set SONTINH_SHARED_DATA or put it in ../shared/data)"));
    let served = catalog.get("/shared/lidar/autzen_trim.laz").expect("the scene's LAZ has its address").path.clone();
    assert!(served.starts_with(cache.path()), "{} is not the conversion", served.display());
    // Read back on its own: COPC, with the 110,000 points the data README gives for autzen_trim.
    let copc = sontinh_pointcloud::PointCloudFile::open(&served).unwrap();
    let (_, hierarchy) = copc.copc.as_ref().expect("the served file is COPC");
    assert_eq!(hierarchy.nodes.values().map(|e| e.point_count).sum::<u64>(), 110_000);
    let server = start(catalog);
    let head = get(&server.base, "/shared/lidar/autzen_trim.laz", &[("Range", "bytes=0-3")]);
    assert_eq!(head.status, 206);
    assert_eq!(head.body, b"LASF");
    let length = std::fs::metadata(&served).unwrap().len();
    assert_eq!(head.header("content-range"), Some(format!("bytes 0-3/{length}").as_str()));
}

#[test]
fn a_flood_results_folder_serves_its_rasters_and_the_snapshots_its_index_names() {
    let site = site_folder();
    let run = site.path().join("runs/thach-han");
    std::fs::create_dir_all(run.join("snapshots")).unwrap();
    for (file, text) in [
        ("terrain.tif", "terrain"),
        ("max_depth.tif", "max"),
        ("places.csv", "id,kind\n"),
        ("notes.txt", "not for the web"),
        ("snapshots/depth_0000000s.tif", "t0"),
        ("snapshots/depth_0000600s.tif", "t600"),
        ("snapshots/depth_0001200s.tif", "not in the index"),
        ("snapshots/index.json", r#"{"snapshots": [{"seconds": 0, "file": "depth_0000000s.tif"}, {"seconds": 600, "file": "depth_0000600s.tif"}]}"#),
    ] {
        std::fs::write(run.join(file), text).unwrap();
    }
    let mut catalog = Catalog::build(&[site.path().join("scenes/site.toml")], Some(&site.path().join("dist"))).unwrap();
    assert_eq!(catalog.add_flood_results(&run).unwrap(), "/floods/thach-han");
    let server = start(catalog);
    for (path, body) in [
        ("/floods/thach-han/terrain.tif", "terrain"),
        ("/floods/thach-han/max_depth.tif", "max"),
        ("/floods/thach-han/snapshots/index.json", "{"),
        ("/floods/thach-han/snapshots/depth_0000600s.tif", "t600"),
    ] {
        let reply = get(&server.base, path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        assert!(String::from_utf8_lossy(&reply.body).starts_with(body), "{path}");
    }
    for path in ["/floods/thach-han/notes.txt", "/floods/thach-han/snapshots/depth_0001200s.tif", "/floods/thach-han/../secret.txt", "/floods/"] {
        assert_eq!(raw_get(&server.base, path, &[]).status, 404, "{path}");
    }

    // A folder that is not a run's output, or with an index naming other files, is refused.
    let mut catalog = Catalog::default();
    let empty = site.path().join("runs/empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(catalog.add_flood_results(&empty).unwrap_err().contains("terrain.tif"));
    std::fs::write(run.join("snapshots/index.json"), r#"{"snapshots": [{"seconds": 0, "file": "../notes.txt"}]}"#).unwrap();
    assert!(catalog.add_flood_results(&run).unwrap_err().contains("../notes.txt"));
    let odd = site.path().join("runs/a b");
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("terrain.tif"), "terrain").unwrap();
    assert!(catalog.add_flood_results(&odd).unwrap_err().contains("plain name"));
}
