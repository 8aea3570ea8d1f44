//! The native viewer's link to the gateway: a WebSocket on its own thread
//! that reconnects with backoff, asks for the history on every connection,
//! fetches camera snapshots for roles that may see them, and reports
//! everything as [`LinkEvent`]s for a [`sontinh_feeds::FeedClient`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sontinh_feeds::{ClientRequest, FeedClient, LinkEvent, Reading, Role, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

/// Where to connect and as whom.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// `ws://host:port/ws`.
    pub url: String,
    /// A signed role token (`sontinh feeds token`).
    pub token: String,
    /// First and longest wait between attempts.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl LinkConfig {
    pub fn new(url: &str, token: &str) -> LinkConfig {
        LinkConfig {
            url: url.to_owned(),
            token: token.to_owned(),
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Checks a gateway address before any thread starts.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("feed gateway \"{url}\": expected ws://host:port/path (wss:// is not supported by the native viewer yet)"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("feed gateway \"{url}\": no host"));
    }
    Ok(())
}

/// Where the link delivers what it receives.
pub trait LinkSink: Send + 'static {
    /// False when nobody is listening any more: the link stops.
    fn deliver(&self, event: LinkEvent) -> bool;
}

impl LinkSink for mpsc::Sender<LinkEvent> {
    fn deliver(&self, event: LinkEvent) -> bool {
        self.send(event).is_ok()
    }
}

/// Straight into a shared client: the feed is applied on the link's thread,
/// so that a burst of thousands of updates costs the viewer's frame only
/// the redrawing of what changed.
impl LinkSink for Arc<Mutex<FeedClient>> {
    fn deliver(&self, event: LinkEvent) -> bool {
        if Arc::strong_count(self) == 1 {
            return false; // the viewer is gone
        }
        match self.lock() {
            Ok(mut client) => {
                client.handle(event);
                true
            }
            Err(_) => false,
        }
    }
}

/// Starts the link; it runs until the receiver is dropped.
pub fn spawn_link(config: LinkConfig) -> Result<mpsc::Receiver<LinkEvent>, String> {
    let (tx, rx) = mpsc::channel();
    spawn_link_into(config, tx)?;
    Ok(rx)
}

/// Starts the link delivering into `sink`; it runs while the sink listens.
pub fn spawn_link_into(config: LinkConfig, tx: impl LinkSink) -> Result<(), String> {
    check_url(&config.url)?;
    std::thread::Builder::new()
        .name("sontinh-feed-link".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.deliver(LinkEvent::Disconnected(format!("cannot start the feed link: {e}")));
                    return;
                }
            };
            runtime.block_on(run_link(config, tx));
        })
        .map_err(|e| format!("cannot start the feed link: {e}"))?;
    Ok(())
}

/// The HTTP base (`http://host:port`) of a `ws://host:port/...` address.
fn http_base(url: &str) -> String {
    let rest = url.strip_prefix("ws://").unwrap_or(url);
    let host = rest.split('/').next().unwrap_or(rest);
    format!("http://{host}")
}

fn with_token(url: &str, token: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}token={token}")
}

async fn run_link(config: LinkConfig, tx: impl LinkSink) {
    let mut backoff = config.min_backoff;
    let mut fetched: HashSet<String> = HashSet::new();
    loop {
        if !tx.deliver(LinkEvent::Connecting) {
            return;
        }
        match tokio_tungstenite::connect_async(with_token(&config.url, &config.token)).await {
            Ok((socket, _)) => {
                backoff = config.min_backoff;
                if !tx.deliver(LinkEvent::Connected) {
                    return;
                }
                let reason = serve(socket, &config, &tx, &mut fetched).await;
                match reason {
                    None => return, // the viewer went away
                    Some(reason) => {
                        if !tx.deliver(LinkEvent::Disconnected(reason)) {
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                if !tx.deliver(LinkEvent::Disconnected(format!("cannot reach the feed gateway at {}: {e}", config.url))) {
                    return;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// One connection; `None` when the viewer is gone, otherwise why it ended.
async fn serve(
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    config: &LinkConfig,
    tx: &impl LinkSink,
    fetched: &mut HashSet<String>,
) -> Option<String> {
    let (mut write, mut read) = socket.split();
    let request = ClientRequest::History {
        from_ms: i64::MIN,
        to_ms: i64::MAX,
    };
    let text = serde_json::to_string(&request).unwrap_or_default();
    if let Err(e) = write.send(Message::Text(text.into())).await {
        return Some(format!("feed gateway: {e}"));
    }
    let mut role = None;
    // Pings the gateway so that a silently cut connection is noticed.
    let mut keepalive = tokio::time::interval(Duration::from_secs(2));
    let mut pending_pong = false;
    loop {
        tokio::select! {
            frame = read.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    // Parsed here, off the viewer's frame; what does not parse goes on as text to be counted.
                    let (event, urls) = match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => {
                            let urls = snapshot_urls(&message, &mut role);
                            (LinkEvent::Message(message), urls)
                        }
                        Err(_) => (LinkEvent::Text(text.to_string()), Vec::new()),
                    };
                    if !tx.deliver(event) {
                        return None;
                    }
                    if role.is_some_and(|r| r != Role::Tourist) {
                        for url in urls {
                            if fetched.insert(url.clone())
                                && let Some(bytes) = fetch(&config.url, &config.token, &url).await
                                && !tx.deliver(LinkEvent::Image { url, bytes })
                            {
                                return None;
                            }
                        }
                    }
                }
                Some(Ok(Message::Pong(_))) => pending_pong = false,
                Some(Ok(Message::Close(_))) | None => return Some("the feed gateway closed the connection".to_owned()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Some(format!("feed gateway connection lost: {e}")),
            },
            _ = keepalive.tick() => {
                if pending_pong {
                    return Some("the feed gateway stopped answering".to_owned());
                }
                pending_pong = true;
                if let Err(e) = write.send(Message::Ping(Vec::new().into())).await {
                    return Some(format!("feed gateway connection lost: {e}"));
                }
            }
        }
    }
}

/// Snapshot addresses mentioned by a message; notes the role from a snapshot.
fn snapshot_urls(message: &ServerMessage, role: &mut Option<Role>) -> Vec<String> {
    let mut urls = Vec::new();
    let mut take = |reading: &Reading| urls.extend(reading.snapshot_url().map(str::to_owned));
    match message {
        ServerMessage::Snapshot { role: r, snapshot, .. } => {
            *role = Some(*r);
            snapshot.latest.iter().for_each(|o| take(&o.reading));
        }
        ServerMessage::Observation { observation } => take(&observation.reading),
        _ => {}
    }
    urls
}

/// GETs a snapshot (an address relative to the gateway, or absolute http://).
async fn fetch(ws_url: &str, token: &str, url: &str) -> Option<Vec<u8>> {
    let full = if url.starts_with("http://") { url.to_owned() } else { format!("{}{url}", http_base(ws_url)) };
    let full = with_token(&full, token);
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
        let mut response = agent.get(&full).call().ok()?;
        response.body_mut().with_config().limit(32 * 1024 * 1024).read_to_vec().ok()
    })
    .await
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(http_base("ws://127.0.0.1:8787/ws"), "http://127.0.0.1:8787");
        assert_eq!(with_token("ws://h:1/ws", "abc"), "ws://h:1/ws?token=abc");
        assert!(check_url("http://h/ws").unwrap_err().contains("expected ws://"));
        assert!(check_url("ws:///ws").unwrap_err().contains("no host"));
        assert!(check_url("ws://127.0.0.1:8787/ws").is_ok());
    }
}
