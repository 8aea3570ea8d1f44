//! `GET /cameras/{id}/stream`: a camera's live MJPEG video, relayed from
//! its upstream address (`stream_url` in the device list, which no viewer
//! ever learns). Admission and roles are the snapshots': a role token in
//! `Authorization`, tourists refused, only cameras visible to the role.
//! The gateway opens its own HTTP connection to the camera (no token goes
//! upstream), relays the body as it arrives and reads it through
//! [`MjpegParser`] on the way, so a broken camera ends the stream with a
//! logged reason instead of relaying garbage. Open streams are capped
//! ([`crate::Limits::max_camera_streams`]); a viewer that leaves or stalls
//! closes the camera's connection.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use sontinh_feeds::{MjpegParser, Role, parse_stream_url};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::Shared;

/// Longest wait for the camera's TCP connection, then for its answer's headers.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A camera silent this long is taken as gone.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
struct Relay {
    shared: Arc<Shared>,
    streams: Arc<Semaphore>,
}

/// The route, with its own cap on open streams.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let streams = Arc::new(Semaphore::new(shared.limits.max_camera_streams));
    Router::new()
        .route("/cameras/{id}/stream", get(stream_handler))
        .with_state(Relay { shared, streams })
}

async fn stream_handler(State(relay): State<Relay>, UrlPath(id): UrlPath<String>, request: Request) -> Response {
    let role = match crate::http::admit_request(&relay.shared, &request) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    if role == Role::Tourist {
        return (StatusCode::FORBIDDEN, "live camera video is for operators and planners").into_response();
    }
    let shown: String = id.chars().take(64).collect();
    let url = {
        let state = relay.shared.state.read().await;
        state.registry().get(&id).and_then(|d| d.stream_url_for(role)).map(str::to_owned)
    };
    let Some(url) = url else {
        // The same answer whether the camera is another role's, has no stream or does not exist.
        return (StatusCode::NOT_FOUND, format!("no camera \"{shown}\" with live video")).into_response();
    };
    let Ok(permit) = relay.streams.clone().try_acquire_owned() else {
        let limit = relay.shared.limits.max_camera_streams;
        return (StatusCode::SERVICE_UNAVAILABLE, format!("the gateway relays at most {limit} camera streams at once; try again later")).into_response();
    };
    match open(&url).await {
        Ok(upstream) => respond(shown, upstream, permit, &relay.shared),
        Err(why) => {
            // Neither the log nor the answer names the camera's address.
            eprintln!("feeds gateway: camera {shown}: live video unavailable: {why}");
            (StatusCode::BAD_GATEWAY, format!("camera \"{shown}\": live video unavailable: {why}")).into_response()
        }
    }
}

/// The camera's answer being read: its body, its parser, and the task
/// driving its connection.
struct Upstream {
    body: BodyDataStream,
    parser: MjpegParser,
    _connection: AbortOnDrop,
}

/// A task aborted (here: the camera's socket closed) when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Connects to the camera and checks that it answers with MJPEG.
async fn open(url: &str) -> Result<Upstream, String> {
    let address = parse_stream_url(url).map_err(|_| "its stream address is not valid".to_owned())?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((address.host.as_str(), address.port)))
        .await
        .map_err(|_| format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()))?
        .map_err(|e| format!("cannot connect ({e})"))?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("HTTP failed ({e})"))?;
    let connection = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let request = hyper::Request::get(address.path.as_str())
        .header(header::HOST, address.host_header())
        .header(header::ACCEPT, "multipart/x-mixed-replace")
        .header(header::USER_AGENT, concat!("sontinh-feeds-gateway/", env!("CARGO_PKG_VERSION")))
        .body(Body::empty())
        .map_err(|e| format!("bad request ({e})"))?;
    let response = match tokio::time::timeout(CONNECT_TIMEOUT, sender.send_request(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return Err(format!("the camera did not answer ({e})")),
        Err(_) => return Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    };
    if response.status() != StatusCode::OK {
        return Err(format!("the camera answered {}", response.status()));
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("(none)");
    let parser = MjpegParser::new(content_type).map_err(|e| e.to_string())?;
    Ok(Upstream {
        body: Body::new(response.into_body()).into_data_stream(),
        parser,
        _connection: connection,
    })
}

/// The viewer's response: the camera's body, chunk by chunk, from a task
/// that holds the stream's permit and the camera's connection.
fn respond(camera: String, mut upstream: Upstream, permit: OwnedSemaphorePermit, shared: &Shared) -> Response {
    let Ok(content_type) = HeaderValue::from_str(&upstream.parser.content_type()) else {
        return (StatusCode::BAD_GATEWAY, format!("camera \"{camera}\": live video unavailable: unusable boundary")).into_response();
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let send_timeout = shared.limits.send_timeout;
    let mut closing = shared.closing.subscribe();
    tokio::spawn(async move {
        let ended = tokio::select! {
            ended = pump(&mut upstream, &tx, send_timeout) => ended,
            // The gateway stops: its streams with it.
            _ = closing.wait_for(|stopping| *stopping) => Ok(()),
        };
        if let Err(why) = &ended {
            eprintln!("feeds gateway: camera {camera}: live video ended: {why}");
            // An error ends the viewer's response without its last chunk: a cut, not a clean end.
            let _ = tokio::time::timeout(send_timeout, tx.send(Err(std::io::Error::other(why.clone())))).await;
        }
        // The permit first: once the camera sees its connection close, another stream may start.
        drop(permit);
        drop(upstream);
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Relays until the camera ends (Ok), the viewer leaves (Ok), or something breaks (Err).
async fn pump(upstream: &mut Upstream, tx: &mpsc::Sender<Result<Bytes, std::io::Error>>, send_timeout: Duration) -> Result<(), String> {
    loop {
        let next = tokio::select! {
            () = tx.closed() => return Ok(()),
            next = tokio::time::timeout(IDLE_TIMEOUT, upstream.body.next()) => next,
        };
        let chunk = match next {
            Err(_) => return Err(format!("nothing from the camera for {} s", IDLE_TIMEOUT.as_secs())),
            Ok(None) if upstream.parser.is_finished() => return Ok(()),
            Ok(None) => return Err(format!("the camera closed its stream after {} frames", upstream.parser.frames())),
            Ok(Some(Err(e))) => return Err(format!("reading the camera failed ({e})")),
            Ok(Some(Ok(chunk))) => chunk,
        };
        upstream.parser.push(&chunk).map_err(|e| format!("not a valid MJPEG stream: {e}"))?;
        match tokio::time::timeout(send_timeout, tx.send(Ok(chunk))).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Ok(()),
            Err(_) => return Err(format!("the viewer took more than {} s to take a chunk", send_timeout.as_secs())),
        }
    }
}
