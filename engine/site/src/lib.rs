//! `sontinh serve`: one server for a site of the twin. It serves the browser
//! bundle, the scenes and exactly the files they reference ([`Catalog`]),
//! each with HTTP range requests (206, `Content-Range`, 416), `ETag` and
//! `Last-Modified` validators, `Cache-Control`, and the bundle's brotli and
//! gzip variants; with a feeds configuration, the gateway's WebSocket and
//! REST on the same origin. Every request is logged (method, address,
//! range, status) so that tests can see how files were fetched.

mod catalog;
mod references;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
pub use catalog::{Catalog, Conversion, FileKind, SiteFile};
use sontinh_feeds_gateway::{GatewayConfig, Limits};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Where each request's log line goes.
pub type RequestLog = Arc<dyn Fn(&str) + Send + Sync>;

struct SiteState {
    catalog: Catalog,
    log: RequestLog,
}

/// The site's router (every address in `catalog`, nothing else).
pub fn router(catalog: Catalog, log: RequestLog) -> Router {
    Router::new().fallback(serve_file).with_state(Arc::new(SiteState { catalog, log }))
}

/// Serves `catalog` on `listener` until `shutdown`; with `feeds`, the
/// gateway runs on the same listener's address (its `listen` is replaced).
pub async fn serve(
    catalog: Catalog,
    listener: tokio::net::TcpListener,
    feeds: Option<GatewayConfig>,
    log: RequestLog,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let site = router(catalog, log);
    match feeds {
        None => {
            sontinh_feeds_gateway::serve_router(listener, site, &Limits::default(), shutdown).await;
            Ok(())
        }
        Some(mut config) => {
            // The gateway binds its own listener: hand it this address.
            let address: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
            drop(listener);
            config.listen = address.to_string();
            sontinh_feeds_gateway::run_gateway_with_site(config, Limits::default(), Some(site), None, shutdown).await
        }
    }
}

async fn serve_file(State(site): State<Arc<SiteState>>, request: Request) -> Response {
    let method = request.method().clone();
    let raw = request.uri().path().to_owned();
    let range = request.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let response = answer(&site.catalog, request).await;
    let status = response.status().as_u16();
    let range = if range.is_empty() { String::new() } else { format!(" range={range}") };
    (site.log)(&format!("{method} {raw}{range} {status}"));
    response
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.to_owned()).into_response()
}

async fn answer(catalog: &Catalog, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let decoded = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8();
    let Ok(decoded) = decoded else {
        return plain(StatusCode::BAD_REQUEST, "the address is not UTF-8");
    };
    let address = if decoded == "/" { "/index.html" } else { &*decoded };
    let Some(file) = catalog.get(address) else {
        return plain(StatusCode::NOT_FOUND, "not part of this site");
    };
    let metadata = match tokio::fs::metadata(&file.path).await {
        Ok(m) => m,
        Err(_) => return plain(StatusCode::NOT_FOUND, "the file is gone"),
    };
    let modified = metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let etag = format!("\"{:x}-{modified:x}\"", metadata.len());
    let cache = match file.kind {
        // Names do not change between builds: always revalidate (cheap with the ETag).
        FileKind::Bundle | FileKind::Scene => "no-cache",
        FileKind::Data => "public, max-age=3600",
    };
    // Each encoding of a bundle file is its own representation, with its own tag.
    let variants = [etag.clone(), encoded_tag(&etag, "br"), encoded_tag(&etag, "gzip")];
    if let Some(tags) = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
        && let Some(matched) = tags.split(',').map(|t| t.trim()).find_map(|t| {
            let bare = t.strip_prefix("W/").unwrap_or(t);
            if bare == "*" { Some(etag.clone()) } else { variants.iter().find(|v| *v == bare).cloned() }
        })
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        insert_validators(&mut response, &matched, cache);
        return response;
    }
    let mut service = ServeFile::new(&file.path);
    if file.kind == FileKind::Bundle {
        service = ServeFile::new(&file.path).precompressed_br().precompressed_gzip();
    }
    let mut response = match service.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status().is_success() {
        let encoding = response.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let tag = encoding.map_or(etag.clone(), |e| encoded_tag(&etag, &e));
        insert_validators(&mut response, &tag, cache);
    }
    if file.kind == FileKind::Bundle {
        // Caches must key the pre-compressed variants by what the client accepts.
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if file.kind != FileKind::Bundle {
        response.headers_mut().insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    response
}

/// `"tag"` with an encoding: `"tag-br"`.
fn encoded_tag(etag: &str, encoding: &str) -> String {
    format!("{}-{encoding}\"", etag.trim_end_matches('"'))
}

fn insert_validators(response: &mut Response, etag: &str, cache: &'static str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
}
