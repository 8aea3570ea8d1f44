//! The HTTP server loop: axum's router behind hyper's HTTP/1 connection
//! builder, so that header-read time is bounded (no slowloris) and the
//! number of open connections is capped; each request knows its peer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::Limits;

/// Serves `router` until `shutdown` completes; connections still open then
/// are asked to finish (in-flight requests complete, upgraded WebSockets are
/// closed by the gateway itself).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut logged_full = false;
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A peer that reset before accept, or no file descriptors left: keep serving.
                Err(_) => continue,
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            if !logged_full {
                eprintln!(
                    "feeds gateway: {} connections open; refusing more until some close",
                    limits.max_connections
                );
                logged_full = true;
            }
            drop(stream);
            continue;
        };
        logged_full = false;
        let _ = stream.set_nodelay(true);
        // A viewer keeps its connection's permit after the upgrade, when
        // hyper's connection future (and this task's own copy) has ended.
        let permit = ConnectionPermit(Arc::new(permit));
        let router = router.clone();
        let mut stop = stop_rx.clone();
        let header_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let permit_for_requests = permit.clone();
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(permit_for_requests.clone());
                router.clone().oneshot(request)
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
            drop(permit);
        });
    }
    let _ = stop_tx.send(true);
}

/// One TCP connection's place under `max_connections`, held by the
/// connection and by a WebSocket upgraded from it.
#[derive(Clone)]
pub(crate) struct ConnectionPermit(#[allow(dead_code)] Arc<tokio::sync::OwnedSemaphorePermit>);

/// Completes once the server stops (or its sender is gone).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// The peer of a request served by [`serve`].
pub(crate) fn peer(parts: &axum::http::Extensions) -> Option<SocketAddr> {
    parts.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}
