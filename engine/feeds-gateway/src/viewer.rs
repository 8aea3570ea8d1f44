//! One WebSocket viewer: the snapshot, then every visible delta; the
//! broker's state whenever it changes; history on request, page by page.
//! A viewer that stalls is dropped after the send timeout; one that falls
//! behind gets a fresh snapshot; the connection closes when its token expires.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sontinh_feeds::{ClientRequest, Role, ServerMessage, parse_request};
use tokio::sync::{OwnedSemaphorePermit, broadcast};

use crate::http::{Bucket, bearer_claims, verify};
use crate::server::ConnectionPermit;
use crate::token::Claims;
use crate::{Delta, Shared, role_slot, to_text};
use futures_util::SinkExt;

/// WebSocket close code for an expired token (4000–4999: the application's own).
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;

pub(crate) async fn ws_handler(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    connection: Option<axum::Extension<ConnectionPermit>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Browsers cannot set a WebSocket's headers: here alone `?token=` is accepted.
    let claims = match bearer_claims(&shared, &headers) {
        Ok(Some(claims)) => claims,
        Ok(None) => match query.get("token") {
            Some(token) => match verify(&shared, token) {
                Ok(claims) => claims,
                Err(e) => return e.into_response(),
            },
            None => {
                return (
                    StatusCode::UNAUTHORIZED,
                    "a role token is required (Authorization: Bearer … or ?token=)",
                )
                    .into_response();
            }
        },
        Err(e) => return e.into_response(),
    };
    let Ok(permit) = shared.viewers.clone().try_acquire_owned() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many viewers; try again later").into_response();
    };
    let frame_cap = shared.limits.max_client_frame_bytes;
    upgrade
        .max_message_size(frame_cap)
        .max_frame_size(frame_cap)
        .on_upgrade(move |socket| serve_viewer(socket, shared, claims, (permit, connection)))
}

/// Sends within the send timeout; false when the viewer is gone or stalled.
async fn send(socket: &mut WebSocket, message: Message, timeout: Duration) -> bool {
    matches!(tokio::time::timeout(timeout, socket.send(message)).await, Ok(Ok(())))
}

/// Deltas sent in one write at most: a bound on the time one viewer holds its task.
const MAX_DELTAS_PER_WRITE: usize = 256;

/// Sends `first` and whatever deltas are already queued behind it as frames
/// written together with one flush (one system call for many frames, not one
/// per frame per viewer: with hundreds of viewers that is what keeps the
/// relay fast), within the send timeout. `Some(Ok(n))` when draining found
/// the viewer `n` deltas behind (the caller sends a fresh snapshot), `None`
/// when the viewer is gone or stalled.
async fn send_queued(
    socket: &mut WebSocket,
    deltas: &mut broadcast::Receiver<Arc<Delta>>,
    first: &Delta,
    slot: usize,
    timeout: Duration,
) -> Option<Result<(), u64>> {
    let mut lagged = None;
    let write = async {
        if let Some(text) = &first[slot] {
            socket.feed(Message::Text(text.clone())).await?;
        }
        for _ in 1..MAX_DELTAS_PER_WRITE {
            match deltas.try_recv() {
                Ok(delta) => {
                    if let Some(text) = &delta[slot] {
                        socket.feed(Message::Text(text.clone())).await?;
                    }
                }
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    lagged = Some(n);
                    break;
                }
                Err(_) => break,
            }
        }
        socket.flush().await
    };
    match tokio::time::timeout(timeout, write).await {
        Ok(Ok(())) => Some(lagged.map_or(Ok(()), Err)),
        _ => None,
    }
}

/// `_permits` (the viewer's place and its connection's) are held until the viewer ends.
async fn serve_viewer(
    mut socket: WebSocket,
    shared: Arc<Shared>,
    claims: Claims,
    _permits: (OwnedSemaphorePermit, Option<axum::Extension<ConnectionPermit>>),
) {
    let role = claims.role;
    let timeout = shared.limits.send_timeout;
    // Subscribe before the snapshot so that nothing falls between them.
    let mut deltas = shared.deltas.subscribe();
    // The broker state the viewer is told is the one later changes are compared with.
    let mut connected = shared.broker_connected.load(Ordering::Relaxed);
    let snapshot = snapshot_message(&shared, role, 0, connected).await;
    if !send(&mut socket, Message::Text(snapshot), timeout).await {
        return;
    }
    // A viewer that connects after a warning still sees it (every role: a
    // flood warning is public).
    let last_warning = shared.last_warning.read().await.clone();
    if let Some(warning) = last_warning
        && !send(&mut socket, Message::Text(to_text(&ServerMessage::FloodWarning { warning })), timeout).await
    {
        return;
    }
    let left = (claims.exp - chrono::Utc::now().timestamp()).max(0);
    let expired = tokio::time::sleep(Duration::from_secs(u64::try_from(left).unwrap_or(0)));
    let mut expired = std::pin::pin!(expired);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let slot = role_slot(role);
    let mut closing = shared.closing.subscribe();
    let rate = shared.limits.requests_per_second;
    let mut requests = Bucket::new(rate);
    loop {
        tokio::select! {
            _ = closing.changed() => {
                let _ = send(&mut socket, Message::Close(None), timeout).await;
                return;
            }
            () = &mut expired => {
                let frame = CloseFrame { code: CLOSE_TOKEN_EXPIRED, reason: Utf8Bytes::from_static("token expired") };
                let _ = send(&mut socket, Message::Close(Some(frame)), timeout).await;
                return;
            }
            delta = deltas.recv() => match delta {
                Ok(delta) => match send_queued(&mut socket, &mut deltas, &delta, slot, timeout).await {
                    None => return,
                    Some(Ok(())) => {}
                    Some(Err(n)) => {
                        connected = shared.broker_connected.load(Ordering::Relaxed);
                        let text = snapshot_message(&shared, role, n, connected).await;
                        if !send(&mut socket, Message::Text(text), timeout).await {
                            return;
                        }
                    }
                },
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // A slow viewer gets a fresh snapshot instead of a gap.
                    connected = shared.broker_connected.load(Ordering::Relaxed);
                    let text = snapshot_message(&shared, role, n, connected).await;
                    if !send(&mut socket, Message::Text(text), timeout).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                let now = shared.broker_connected.load(Ordering::Relaxed);
                if now != connected {
                    connected = now;
                    if !send(&mut socket, Message::Text(to_text(&ServerMessage::Status { broker_connected: now })), timeout).await {
                        return;
                    }
                }
            }
            incoming = socket.recv() => match incoming {
                // Oversized frames end here as errors, before they are buffered.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(Message::Text(text))) => {
                    let reply = if requests.take(rate, Instant::now()) {
                        answer_request(&shared, role, &text).await
                    } else {
                        to_text(&ServerMessage::Error { message: "too many requests; slow down".to_owned() })
                    };
                    if !send(&mut socket, Message::Text(reply), timeout).await {
                        return;
                    }
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn snapshot_message(shared: &Shared, role: Role, lagged: u64, broker_connected: bool) -> Utf8Bytes {
    let state = shared.state.read().await;
    to_text(&ServerMessage::Snapshot {
        role,
        snapshot: state.snapshot_for(role),
        broker_connected,
        lagged,
    })
}

/// A viewer's request, answered with one page of what its role may see.
async fn answer_request(shared: &Shared, role: Role, text: &str) -> Utf8Bytes {
    let reply = match parse_request(text) {
        Ok(ClientRequest::History { from_ms, to_ms, after }) => {
            let state = shared.state.read().await;
            let visible: Vec<&str> = state
                .registry()
                .devices()
                .iter()
                .filter(|d| d.visible_to(role))
                .map(|d| d.id.as_str())
                .collect();
            let (page, next) = state.history_page(&visible, from_ms, to_ms, after.as_ref(), shared.limits.history_page);
            ServerMessage::History {
                observations: page.iter().map(|o| o.view_for(role)).collect(),
                next,
            }
        }
        Err(message) => ServerMessage::Error { message },
    };
    to_text(&reply)
}
