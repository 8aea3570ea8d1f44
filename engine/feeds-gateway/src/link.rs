//! The native viewer's link to the gateway: a WebSocket on its own thread
//! that reconnects with backoff, asks for the history on every connection,
//! fetches camera snapshots for roles that may see them, and reports
//! everything as [`LinkEvent`]s for a [`sontinh_feeds::FeedClient`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sontinh_feeds::{AcknowledgementRequest, ClientRequest, FeedClient, LinkEvent, Role, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

/// Where to connect and as whom. `Debug` leaves the token out: configs end
/// up in logs.
#[derive(Clone)]
pub struct LinkConfig {
    /// `ws://host:port/ws`.
    pub url: String,
    /// A signed role token (`sontinh feeds token`).
    pub token: String,
    /// First and longest wait between attempts.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl std::fmt::Debug for LinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkConfig")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("min_backoff", &self.min_backoff)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
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

/// A gateway address, parsed once: its authority (`host:port`, no user
/// info) and path. Every address the link contacts is built from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayAddress {
    authority: String,
    path: String,
}

impl GatewayAddress {
    /// `ws://host[:port]/path`.
    pub fn parse(url: &str) -> Result<GatewayAddress, String> {
        let uri: tokio_tungstenite::tungstenite::http::Uri = url.parse().map_err(|e| format!("feed gateway \"{url}\": {e}"))?;
        match uri.scheme_str() {
            Some("ws") => {}
            _ => {
                return Err(format!(
                    "feed gateway \"{url}\": expected ws://host:port/path (wss:// is not supported by the native viewer yet)"
                ));
            }
        }
        let authority = uri.authority().ok_or_else(|| format!("feed gateway \"{url}\": no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!("feed gateway \"{url}\": user info in the address is not allowed"));
        }
        if authority.host().is_empty() {
            return Err(format!("feed gateway \"{url}\": no host"));
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        Ok(GatewayAddress {
            authority: authority.as_str().to_owned(),
            path,
        })
    }

    /// The WebSocket address.
    pub fn ws_url(&self) -> String {
        format!("ws://{}{}", self.authority, self.path)
    }

    /// The HTTP address of a snapshot this gateway serves: only its own
    /// `/snapshots/<file>` paths (checked as the feed parser checks them).
    pub fn snapshot_url(&self, snapshot_path: &str) -> Result<String, String> {
        let file = sontinh_feeds::snapshot_file(snapshot_path)?;
        Ok(format!("http://{}{}{file}", self.authority, sontinh_feeds::SNAPSHOT_PATH_PREFIX))
    }
}

impl GatewayAddress {
    /// Where an operator's acknowledgement goes.
    pub fn acknowledge_url(&self) -> String {
        self.http_url("/acknowledge")
    }

    /// The gateway's HTTP address of `path` (which starts with `/`).
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.authority)
    }
}

/// Checks a gateway address before any thread starts.
pub fn check_url(url: &str) -> Result<(), String> {
    GatewayAddress::parse(url).map(|_| ())
}

/// Where the link delivers what it receives.
pub trait LinkSink: Send + 'static {
    /// False when nobody is listening any more: the link stops.
    fn deliver(&self, event: LinkEvent) -> bool;

    /// Acknowledgements the viewer asked to send.
    fn take_acknowledgements(&self) -> Vec<AcknowledgementRequest> {
        Vec::new()
    }

    /// The gateway's answer to one of them: who it recorded, or why not.
    fn acknowledgement_answered(&self, _alarm_id: u64, _answer: Result<String, String>) {}
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

    fn take_acknowledgements(&self) -> Vec<AcknowledgementRequest> {
        self.lock().map(|mut c| c.take_acknowledgement_requests()).unwrap_or_default()
    }

    fn acknowledgement_answered(&self, alarm_id: u64, answer: Result<String, String>) {
        if let Ok(mut client) = self.lock() {
            client.acknowledgement_answered(alarm_id, answer);
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
    let address = GatewayAddress::parse(&config.url)?;
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
            runtime.block_on(run_link(config, address, tx));
        })
        .map_err(|e| format!("cannot start the feed link: {e}"))?;
    Ok(())
}

/// The WebSocket handshake, with the token in its `Authorization` header.
fn ws_request(address: &GatewayAddress, token: &str) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = address.ws_url().into_client_request().map_err(|e| format!("feed gateway: {e}"))?;
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| "the feed token is not valid header text".to_owned())?;
    request.headers_mut().insert("Authorization", value);
    Ok(request)
}

async fn run_link(config: LinkConfig, address: GatewayAddress, tx: impl LinkSink) {
    let mut backoff = config.min_backoff;
    let mut fetched: HashSet<String> = HashSet::new();
    loop {
        if !tx.deliver(LinkEvent::Connecting) {
            return;
        }
        let request = match ws_request(&address, &config.token) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.deliver(LinkEvent::Disconnected(e));
                return;
            }
        };
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => {
                backoff = config.min_backoff;
                if !tx.deliver(LinkEvent::Connected) {
                    return;
                }
                let reason = serve(socket, &config, &address, &tx, &mut fetched).await;
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
                if !tx.deliver(LinkEvent::Disconnected(format!(
                    "cannot reach the feed gateway at {}: {e}",
                    config.url
                ))) {
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
    address: &GatewayAddress,
    tx: &impl LinkSink,
    fetched: &mut HashSet<String>,
) -> Option<String> {
    let (mut write, mut read) = socket.split();
    let history = |after: Option<sontinh_feeds::HistoryCursor>| {
        let request = ClientRequest::History {
            from_ms: i64::MIN,
            to_ms: i64::MAX,
            after,
        };
        Message::Text(serde_json::to_string(&request).unwrap_or_default().into())
    };
    if let Err(e) = write.send(history(None)).await {
        return Some(format!("feed gateway: {e}"));
    }
    let mut role = None;
    // Pings the gateway so that a silently cut connection is noticed.
    let mut keepalive = tokio::time::interval(Duration::from_secs(2));
    let mut pending_pong = false;
    // The operator's acknowledgements go out within a quarter of a second.
    let mut outbox = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            frame = read.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    // Parsed here, off the viewer's frame; what does not parse goes on as text to be counted.
                    let (event, urls, next_page) = match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => {
                            let urls = message.snapshot_urls(&mut role);
                            let next_page = match &message {
                                ServerMessage::History { next, .. } => next.clone(),
                                _ => None,
                            };
                            (LinkEvent::Message(message), urls, next_page)
                        }
                        Err(_) => (LinkEvent::Text(text.to_string()), Vec::new(), None),
                    };
                    if !tx.deliver(event) {
                        return None;
                    }
                    // The history comes a page at a time.
                    if let Some(after) = next_page
                        && let Err(e) = write.send(history(Some(after))).await
                    {
                        return Some(format!("feed gateway connection lost: {e}"));
                    }
                    if role.is_some_and(|r| r != Role::Tourist) {
                        for url in urls {
                            if fetched.insert(url.clone())
                                && let Some(bytes) = fetch(address, &config.token, &url).await
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
            _ = outbox.tick() => {
                for request in tx.take_acknowledgements() {
                    let answer = post_acknowledgement(address, &config.token, &request).await;
                    tx.acknowledgement_answered(request.alarm_id, answer);
                }
            }
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

/// GETs a snapshot from the gateway: only its own `/snapshots/<file>`
/// paths, the token in the `Authorization` header, never in the URL.
async fn fetch(address: &GatewayAddress, token: &str, snapshot_path: &str) -> Option<Vec<u8>> {
    let full = address.snapshot_url(snapshot_path).ok()?;
    let token = token.to_owned();
    tokio::task::spawn_blocking(move || get_with_token(&full, &token, Duration::from_secs(10), 32 * 1024 * 1024).ok())
        .await
        .ok()
        .flatten()
}

/// POSTs an acknowledgement with the token in the header; the name the
/// gateway recorded, or its refusal in words.
async fn post_acknowledgement(address: &GatewayAddress, token: &str, request: &AcknowledgementRequest) -> Result<String, String> {
    let url = address.acknowledge_url();
    let authorization = format!("Bearer {token}");
    let body = serde_json::json!({"device": request.device, "alarm_time": request.alarm_time_ms}).to_string();
    tokio::task::spawn_blocking(move || {
        let mut response = gateway_agent(Some(Duration::from_secs(10)))
            .post(&url)
            .header("Authorization", &authorization)
            .header("Content-Type", "application/json")
            .send(body.as_bytes())
            .map_err(|e| format!("cannot reach the gateway: {e}"))?;
        let status = response.status();
        let text = response.body_mut().with_config().limit(64 * 1024).read_to_string().map_err(|e| format!("the gateway's answer: {e}"))?;
        sontinh_feeds::acknowledgement_answer(status.as_u16(), &text)
    })
    .await
    .map_err(|e| format!("acknowledgement: {e}"))?
}

/// The viewer's HTTP client for its gateway: no redirects (the token must
/// not follow one elsewhere), every status answered rather than an error,
/// `timeout` for the whole exchange (none for a stream, which still must
/// start answering within 15 s).
pub(crate) fn gateway_agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(timeout)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_recv_response(Some(Duration::from_secs(15)))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// GETs `url` with the token in the header (blocking): the body, at most
/// `limit` bytes, or the refusal as "STATUS: its text".
pub(crate) fn get_with_token(url: &str, token: &str, timeout: Duration, limit: u64) -> Result<Vec<u8>, String> {
    let mut response = gateway_agent(Some(timeout))
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| format!("cannot reach the gateway: {e}"))?;
    let status = response.status().as_u16();
    let bytes = response.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| format!("the gateway's answer: {e}"))?;
    if status != 200 {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes).trim()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn addresses() {
        let gateway = GatewayAddress::parse("ws://127.0.0.1:8787/ws").unwrap();
        assert_eq!(gateway.ws_url(), "ws://127.0.0.1:8787/ws");
        assert_eq!(
            gateway.snapshot_url("/snapshots/human.jpg").unwrap(),
            "http://127.0.0.1:8787/snapshots/human.jpg"
        );
        assert!(check_url("http://h/ws").unwrap_err().contains("expected ws://"));
        assert!(check_url("ws:///ws").is_err());
        assert!(check_url("ws://user:pw@h:1/ws").unwrap_err().contains("user info"));
        assert!(check_url("ws://127.0.0.1:8787/ws").is_ok());
    }

    /// `"@evil:80/x"` glued onto the gateway address used to send the token to `evil`.
    #[test]
    fn debug_never_shows_the_token() {
        let config = LinkConfig::new("ws://127.0.0.1:8787/ws", "v1.operator.9999999999.secret-signature");
        let printed = format!("{config:?}");
        assert!(!printed.contains("secret-signature"), "{printed}");
        assert!(printed.contains("127.0.0.1:8787"), "{printed}");
    }

    #[test]
    fn forged_snapshot_addresses_never_leave_the_gateway() {
        let gateway = GatewayAddress::parse("ws://127.0.0.1:8787/ws").unwrap();
        for forged in [
            "@evil:80/x.jpg",
            "http://evil/x.jpg",
            "//evil/x.jpg",
            "/snapshots/../x.jpg",
            "/snapshots/x.jpg@evil",
            "/snapshots/x.jpg?token=1",
        ] {
            assert!(gateway.snapshot_url(forged).is_err(), "{forged}");
        }
    }
}
