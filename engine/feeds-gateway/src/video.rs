//! The native viewer's HTTP requests besides its link: a camera's live
//! video (a thread GETs the gateway's `/cameras/<id>/stream`, the token in
//! the header, never in the address, and pushes what arrives into a
//! [`VideoReceiver`] until the stream ends or the viewer stops watching),
//! and pages such as a period's report.

use std::io::Read;
use std::time::Duration;

use sontinh_feeds::{SharedVideo, VideoReceiver, camera_stream_path};

use crate::link::{GatewayAddress, gateway_agent, get_with_token};

/// Bytes read from the stream at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// Starts watching `camera` through the gateway of `gateway_url`
/// (`ws://host:port/ws`); frames land in `slot`.
pub fn spawn_video(gateway_url: &str, token: &str, camera: &str, slot: SharedVideo) -> Result<(), String> {
    let address = GatewayAddress::parse(gateway_url)?;
    let url = address.http_url(&camera_stream_path(camera));
    let authorization = format!("Bearer {token}");
    std::thread::Builder::new()
        .name("sontinh-camera-video".to_owned())
        .spawn(move || {
            // Only the receiver holds the slot: the viewer letting go of it is what stops the reading.
            let weak = std::sync::Arc::downgrade(&slot);
            let outcome = watch(&url, &authorization, slot);
            if let Some(slot) = weak.upgrade() {
                sontinh_feeds::video_end(&slot, outcome.err());
            }
        })
        .map_err(|e| format!("cannot start the camera's video: {e}"))?;
    Ok(())
}

/// GETs one of the gateway's pages (a report) with the token in the
/// header: its bytes, or the gateway's refusal in words. Blocking.
pub fn fetch_page(gateway_url: &str, token: &str, path: &str) -> Result<Vec<u8>, String> {
    let url = GatewayAddress::parse(gateway_url)?.http_url(path);
    get_with_token(&url, token, Duration::from_secs(60), 64 * 1024 * 1024)
}

fn watch(url: &str, authorization: &str, slot: SharedVideo) -> Result<(), String> {
    // No whole-exchange timeout: a stream has no end to wait for (the gateway cuts a camera that stops sending).
    let agent = gateway_agent(None);
    let mut response = agent.get(url).header("Authorization", authorization).call().map_err(|e| format!("cannot reach the gateway: {e}"))?;
    let status = response.status().as_u16();
    if status != 200 {
        let text = response.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
        return Err(format!("{status}: {}", text.trim()));
    }
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut receiver = VideoReceiver::new(&content_type, slot)?;
    // Unlimited: the parser bounds every frame and buffer itself.
    let mut reader = response.into_body().into_with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; CHUNK_BYTES];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Err("the gateway closed the stream".to_owned()),
            Ok(n) => {
                if !receiver.push(&buf[..n]) {
                    return Ok(());
                }
            }
            Err(e) => return Err(format!("the stream was cut: {e}")),
        }
    }
}
