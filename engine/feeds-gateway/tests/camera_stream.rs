#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Live camera video through the gateway: a test camera serves MJPEG on
//! loopback, the device list names it as a camera's `stream_url`, and
//! viewers read `/cameras/<id>/stream` with their role tokens (a real
//! mosquitto behind the gateway, as in production).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use sontinh_feeds::{MjpegParser, Role};
use sontinh_feeds_gateway::{GatewayConfig, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

mod common;

use common::*;

/// Frame `k` of the test camera: a solid colour whose red is `k * 40`.
fn colour_frame(k: usize) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(32, 24, image::Rgb([(k * 40) as u8, 90, 160]));
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&image).unwrap();
    bytes
}

const COLOURS: usize = 6;

/// An MJPEG camera on 127.0.0.1:0. Paths: `/a` (boundary `frame`, parts
/// with Content-Length), `/b` (quoted boundary `cam b`, no lengths),
/// `/html` (not MJPEG), `/broken` (two frames, then a part that is no
/// JPEG), `/huge` (a part announcing 9 MiB, then its bytes).
/// Frames repeat the colours 0..6 every 10 ms until the connection closes.
struct Camera {
    address: SocketAddr,
    frames: Vec<Vec<u8>>,
    /// Each request's head, as it arrives.
    requests: mpsc::UnboundedReceiver<String>,
    /// The path of each connection the gateway closed.
    closed: mpsc::UnboundedReceiver<String>,
}

impl Camera {
    async fn start() -> Camera {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let frames: Vec<Vec<u8>> = (0..COLOURS).map(colour_frame).collect();
        let (requests_tx, requests) = mpsc::unbounded_channel();
        let (closed_tx, closed) = mpsc::unbounded_channel();
        let served = frames.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(tcp, served.clone(), requests_tx.clone(), closed_tx.clone()));
            }
        });
        Camera { address, frames, requests, closed }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Waits until the gateway has closed a connection to `path`.
    async fn wait_closed(&mut self, path: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.closed.recv()).await {
                Ok(Some(p)) if p == path => return,
                Ok(Some(_)) => {}
                _ => panic!("the gateway did not close its connection to the camera's {path}"),
            }
        }
    }
}

async fn serve(tcp: tokio::net::TcpStream, frames: Vec<Vec<u8>>, requests: mpsc::UnboundedSender<String>, closed: mpsc::UnboundedSender<String>) {
    let (mut read, mut write) = tcp.into_split();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if read.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1).unwrap_or("").to_owned();
    let _ = requests.send(head);
    let (content_type, boundary, lengths) = match path.as_str() {
        "/a" | "/broken" | "/huge" => ("multipart/x-mixed-replace; boundary=frame", "frame", true),
        "/b" => ("multipart/x-mixed-replace;boundary=\"cam b\"", "cam b", false),
        _ => ("text/html", "", false),
    };
    let mut out = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n").into_bytes();
    if boundary.is_empty() {
        out.extend_from_slice(b"<html>not video</html>");
    }
    let part = |frame: &[u8]| {
        let mut p = format!("--{boundary}\r\nContent-Type: image/jpeg\r\n").into_bytes();
        if lengths {
            p.extend_from_slice(format!("Content-Length: {}\r\n", frame.len()).as_bytes());
        }
        p.extend_from_slice(b"\r\n");
        p.extend_from_slice(frame);
        p.extend_from_slice(b"\r\n");
        p
    };
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut sent = 0;
    loop {
        let mut scratch = [0u8; 64];
        tokio::select! {
            n = read.read(&mut scratch) => if n.unwrap_or(0) == 0 { break },
            _ = tick.tick() => {
                if path == "/huge" {
                    if sent == 0 {
                        out.extend_from_slice(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 9437184\r\n\r\n\xFF\xD8");
                    }
                    out.resize(out.len() + 64 * 1024, 0);
                    sent += 1;
                } else if !boundary.is_empty() {
                    out.extend(part(&frames[sent % COLOURS]));
                    if path == "/broken" && sent == 1 {
                        out.extend(part(b"<html>this is no JPEG</html>"));
                    }
                    sent += 1;
                }
                if write.write_all(&out).await.is_err() {
                    break;
                }
                out.clear();
            }
        }
    }
    let _ = closed.send(path);
}

/// A viewer's request for a stream: status, Content-Type, the body, and
/// the task holding the connection (abort it to hang up).
async fn get_stream(gateway: SocketAddr, path: &str, token: &str) -> (u16, String, BodyDataStream, tokio::task::JoinHandle<()>) {
    let tcp = tokio::net::TcpStream::connect(gateway).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(tcp)).await.unwrap();
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = hyper::Request::get(path)
        .header("Host", "gateway")
        .header("Authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, Body::new(response.into_body()).into_data_stream(), connection)
}

/// Reads `n` frames, or fails after ten seconds.
async fn read_frames(body: &mut BodyDataStream, parser: &mut MjpegParser, n: usize) -> Vec<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut frames = Vec::new();
    while frames.len() < n {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => frames.extend(parser.push(&chunk).unwrap()),
            other => panic!("the stream stopped after {} frames: {other:?}", frames.len()),
        }
    }
    frames
}

/// The frames came in order from frame 0, byte for byte, and decode to their colours.
fn assert_in_order(got: &[Vec<u8>], served: &[Vec<u8>]) {
    for (i, frame) in got.iter().enumerate() {
        assert!(*frame == served[i % COLOURS], "frame {i} is not the one served");
        let pixel = image::load_from_memory_with_format(frame, image::ImageFormat::Jpeg).unwrap().to_rgb8().get_pixel(16, 12).0;
        let red = ((i % COLOURS) * 40) as i32;
        assert!((i32::from(pixel[0]) - red).abs() <= 4 && (i32::from(pixel[2]) - 160).abs() <= 4, "frame {i}: {pixel:?}");
    }
}

/// The gateway with cameras on the test camera's paths, one closed port,
/// and one camera without video.
async fn setup(dir: &std::path::Path, broker_url: &str, camera: &Camera, limits: Limits) -> (SocketAddr, GatewayConfig, tokio::sync::oneshot::Sender<()>) {
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut config = gateway_config(dir, broker_url, "127.0.0.1:0");
    let cam = |id: &str, stream: Option<String>, roles: &str| {
        let stream = stream.map(|s| format!(r#""stream_url": "{s}","#)).unwrap_or_default();
        format!(
            r#"{{"id": "{id}", "names": {{"vi": "{id}", "en": "{id}"}}, "kind": "camera", "heading_deg": 0.0, "pitch_deg": -10.0,
               "fov_deg": 60.0, {stream} "position": [107.19, 16.75, 5.0], "owner": "IOC", "visible_to": [{roles}], "expected_period_s": 60}}"#
        )
    };
    let devices = [
        cam("cam-live", Some(camera.url("/a")), r#""tourist", "operator""#),
        cam("cam-quoted", Some(camera.url("/b")), r#""operator", "planner""#),
        cam("cam-html", Some(camera.url("/html")), r#""operator""#),
        cam("cam-broken", Some(camera.url("/broken")), r#""operator""#),
        cam("cam-huge", Some(camera.url("/huge")), r#""operator""#),
        cam("cam-down", Some(format!("http://{down}/a")), r#""operator""#),
        cam("cam-still", None, r#""operator", "planner""#),
    ];
    config.devices = dir.join("camera-devices.json");
    std::fs::write(&config.devices, format!("[{}]", devices.join(",\n"))).unwrap();
    let (address, stop) = start_gateway_with(config.clone(), limits).await;
    (address, config, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_watches_live_video_frame_by_frame_and_broken_cameras_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let mut camera = Camera::start().await;
    let limits = Limits {
        max_camera_streams: 1,
        ..Limits::default()
    };
    let (address, config, _stop) = setup(dir.path(), &broker.url(), &camera, limits).await;
    let operator = bearer(&config, Role::Operator);

    // Parts with Content-Length: every frame, in order, as served.
    let (status, content_type, mut body, connection) = get_stream(address, "/cameras/cam-live/stream", &operator).await;
    assert_eq!((status, content_type.as_str()), (200, "multipart/x-mixed-replace; boundary=frame"));
    let mut parser = MjpegParser::new(&content_type).unwrap();
    assert_in_order(&read_frames(&mut body, &mut parser, 2 * COLOURS + 1).await, &camera.frames);
    let head = camera.requests.recv().await.unwrap();
    assert!(head.starts_with("GET /a HTTP/1.1\r\n"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("authorization") && !head.contains(&operator), "no token goes to the camera: {head}");

    // One stream at a time here: the next waits.
    let refused = http_get(address, "/cameras/cam-quoted/stream", Some(&operator)).await;
    assert!(refused.starts_with("HTTP/1.1 503") && refused.contains("at most 1 camera stream"), "{refused}");

    // The viewer hangs up: the gateway closes the camera's connection and frees its place.
    drop(body);
    connection.abort();
    camera.wait_closed("/a").await;

    // A quoted boundary and parts without Content-Length.
    let (status, content_type, mut body, connection) = get_stream(address, "/cameras/cam-quoted/stream", &operator).await;
    assert_eq!((status, content_type.as_str()), (200, "multipart/x-mixed-replace; boundary=\"cam b\""));
    let mut parser = MjpegParser::new(&content_type).unwrap();
    assert_in_order(&read_frames(&mut body, &mut parser, COLOURS + 2).await, &camera.frames);
    drop(body);
    connection.abort();
    camera.wait_closed("/b").await;

    // A camera that sends a part that is no JPEG, or a frame over the limit:
    // the stream stops there, nothing of the bad part relayed.
    for (id, path, most) in [("cam-broken", "/broken", 2), ("cam-huge", "/huge", 0)] {
        let (status, content_type, mut body, _connection) = get_stream(address, &format!("/cameras/{id}/stream"), &operator).await;
        assert_eq!(status, 200);
        let mut parser = MjpegParser::new(&content_type).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let (mut frames, mut relayed) = (Vec::new(), 0);
        loop {
            match tokio::time::timeout_at(deadline, body.next()).await {
                Ok(Some(Ok(chunk))) => {
                    relayed += chunk.len();
                    frames.extend(parser.push(&chunk).expect("only valid parts are relayed"));
                }
                Ok(Some(Err(_)) | None) => break,
                Err(_) => panic!("the stream of {id} did not end"),
            }
        }
        assert!(frames.len() <= most && relayed < 1024 * 1024, "{id}: {} frames, {relayed} bytes", frames.len());
        assert_in_order(&frames, &camera.frames);
        camera.wait_closed(path).await;
    }

    // Not MJPEG, or nobody there: 502 naming the camera, never its address.
    for (id, why) in [("cam-html", "not an MJPEG stream"), ("cam-down", "cannot connect")] {
        let response = http_get(address, &format!("/cameras/{id}/stream"), Some(&operator)).await;
        assert!(response.starts_with("HTTP/1.1 502"), "{id}: {response}");
        let text = String::from_utf8_lossy(body_of(&response)).into_owned();
        assert!(text.contains(id) && text.contains(why) && !text.contains("127.0.0.1"), "{id}: {text}");
    }
}

fn body_of(response: &str) -> &[u8] {
    body(response.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_roles_that_see_snapshots_watch_and_no_viewer_learns_the_cameras_address() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let mut camera = Camera::start().await;
    let (address, config, _stop) = setup(dir.path(), &broker.url(), &camera, Limits::default()).await;
    let (tourist, operator, planner) = (bearer(&config, Role::Tourist), bearer(&config, Role::Operator), bearer(&config, Role::Planner));

    let status = |response: &str| response.split(' ').nth(1).unwrap_or("").to_owned();
    let path = "/cameras/cam-live/stream";
    assert_eq!(status(&http_get(address, path, None).await), "401", "no token");
    assert_eq!(status(&http_get(address, &format!("{path}?token={operator}"), None).await), "401", "a token in the URL");
    let to_tourist = http_get(address, path, Some(&tourist)).await;
    assert!(to_tourist.starts_with("HTTP/1.1 403") && to_tourist.contains("operators and planners"), "{to_tourist}");
    // Another role's camera, a camera without video and no camera answer alike.
    for (id, token) in [("cam-live", &planner), ("cam-still", &operator), ("nobody", &operator)] {
        let response = http_get(address, &format!("/cameras/{id}/stream"), Some(token)).await;
        assert!(response.starts_with("HTTP/1.1 404") && response.contains(&format!("no camera \"{id}\" with live video")), "{response}");
    }
    // A planner watches a planner's camera.
    let (status, _, stream, connection) = get_stream(address, "/cameras/cam-quoted/stream", &planner).await;
    assert_eq!(status, 200);
    drop(stream);
    connection.abort();
    camera.wait_closed("/b").await;
    let head = camera.requests.recv().await.unwrap();
    assert!(head.starts_with("GET /b HTTP/1.1\r\n"), "only the planner's request reached the camera: {head}");
    assert!(camera.requests.try_recv().is_err(), "refused requests never reach the camera");

    // What viewers are told: which cameras have video, never where it comes from.
    let upstream = camera.address.to_string();
    for (role, token) in [(Role::Tourist, &tourist), (Role::Operator, &operator), (Role::Planner, &planner)] {
        let devices: serde_json::Value = serde_json::from_slice(body(&http_get_bytes(address, "/devices", Some(token)).await)).unwrap();
        let text = devices.to_string();
        assert!(!text.contains(&upstream) && !text.contains("stream_url"), "{role:?}: {text}");
        let with_video: Vec<&str> = devices["devices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["stream"] == true)
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        let expected: &[&str] = match role {
            Role::Tourist => &[],
            Role::Operator => &["cam-live", "cam-quoted", "cam-html", "cam-broken", "cam-huge", "cam-down"],
            Role::Planner => &["cam-quoted"],
        };
        assert_eq!(with_video, expected, "{role:?}");
        let mut ws = viewer(address, token).await;
        let first = collect(&mut ws, |m| !m.is_empty()).await;
        assert!(first[0].contains("\"snapshot\"") && first[0].contains("cam-") && !first[0].contains(&upstream), "{role:?}: {}", first[0]);
    }
    for other in ["/devices.geojson", "/v1.1/Things"] {
        let text = http_get(address, other, Some(&operator)).await;
        assert!(text.starts_with("HTTP/1.1 200") && !text.contains(&upstream) && !text.contains("stream_url"), "{other}: {text}");
    }
}

/// The native viewer's video client: frames of the test camera arrive in
/// its slot through the gateway and decode to the colours served; letting
/// go of the slot ends the watching (the gateway's stream is freed for the
/// next viewer); a refusal is kept in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_native_viewer_watches_through_its_video_client_and_stops_when_it_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let mut camera = Camera::start().await;
    let limits = Limits {
        max_camera_streams: 1,
        ..Limits::default()
    };
    let (address, config, _stop) = setup(dir.path(), &broker.url(), &camera, limits).await;
    let operator = bearer(&config, Role::Operator);
    let gateway = format!("ws://{address}/ws");
    // Waits on the slot's own signal (on a blocking thread: the gateway runs on this runtime).
    let wait = |slot: &sontinh_feeds::SharedVideo, done: fn(&sontinh_feeds::VideoSlot) -> bool| {
        let slot = slot.clone();
        tokio::task::spawn_blocking(move || slot.wait_until(Duration::from_secs(20), done))
    };

    let slot = sontinh_feeds::SharedVideo::default();
    sontinh_feeds_gateway::video::spawn_video(&gateway, &operator, "cam-live", slot.clone()).unwrap();
    let mut reds = Vec::new();
    while reds.len() < 5 {
        assert!(wait(&slot, |s| s.latest.is_some()).await.unwrap(), "five frames within 20 s; got {reds:?}, slot {:?}", slot.lock().unwrap().error);
        let jpeg = slot.lock().unwrap().latest.take().unwrap();
        let decoded = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        reds.push(decoded.get_pixel(16, 12)[0]);
    }
    // Each frame is one the camera served (red = k·40, JPEG within a few levels).
    for red in &reds {
        assert!((0..COLOURS).any(|k| (i32::from(*red) - (k * 40) as i32).abs() <= 3), "red {red} was never served");
    }
    assert!(slot.lock().unwrap().frames >= 5);

    // Letting go: the client stops, the gateway closes the camera's
    // connection, and its one stream is free for the next viewer.
    drop(slot);
    camera.wait_closed("/a").await;
    let reply = http_get_head(address, "/cameras/cam-quoted/stream", &operator).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    // A tourist's client gets the refusal in words, and no frame.
    let refused = sontinh_feeds::SharedVideo::default();
    sontinh_feeds_gateway::video::spawn_video(&gateway, &bearer(&config, Role::Tourist), "cam-live", refused.clone()).unwrap();
    assert!(wait(&refused, |s| s.ended).await.unwrap(), "the tourist's refusal did not come within 20 s");
    let s = refused.lock().unwrap();
    assert!(s.frames == 0 && s.error.as_deref().is_some_and(|e| e.starts_with("403")), "{:?}", s.error);
}

/// A GET's status line and headers only (a stream's body never ends).
async fn http_get_head(address: SocketAddr, path: &str, token: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}
