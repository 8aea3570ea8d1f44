//! The live feeds in the page: the browser's own WebSocket feeding the same
//! `FeedClient` the native link feeds. Reconnects with backoff (1 s doubling
//! to 30 s); the whole history is asked for page by page after each
//! connection; camera snapshots are fetched for roles that may see them,
//! from the gateway's own `/snapshots/<file>` only, with the token in an
//! `Authorization` header (the WebSocket itself can only take it in its
//! address: browsers cannot set its headers).

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use sontinh_feeds::{ClientRequest, FeedClient, HistoryCursor, LinkEvent, Role, ServerMessage, snapshot_file};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

const MIN_BACKOFF_MS: i32 = 1000;
const MAX_BACKOFF_MS: i32 = 30_000;

/// Where the page's gateway is: the same origin as the page (`sontinh serve
/// --feeds`), `ws:` or `wss:` as the page is `http:` or `https:`.
pub fn same_origin_gateway(location: &web_sys::Location) -> Result<String, JsValue> {
    let scheme = if location.protocol()? == "https:" { "wss" } else { "ws" };
    Ok(format!("{scheme}://{}/ws", location.host()?))
}

struct Link {
    url: String,
    token: String,
    client: Arc<Mutex<FeedClient>>,
    backoff_ms: Cell<i32>,
    fetched: std::cell::RefCell<HashSet<String>>,
    /// Set once the viewer dropped the client (signed out): no more retries.
    stopped: Cell<bool>,
}

/// Starts the link; it lives as long as the page.
pub fn connect(client: Arc<Mutex<FeedClient>>, url: String, token: String) {
    let link = Rc::new(Link {
        url,
        token,
        client,
        backoff_ms: Cell::new(MIN_BACKOFF_MS),
        fetched: Default::default(),
        stopped: Cell::new(false),
    });
    pump_acknowledgements(link.clone());
    open(link);
}

/// Every quarter second, sends the acknowledgements the operator asked for
/// (`POST /acknowledge` on this origin, the token in the header) and files
/// the gateway's answers; stops with the link.
fn pump_acknowledgements(link: Rc<Link>) {
    if link.stopped.get() || Arc::strong_count(&link.client) == 1 {
        return;
    }
    let requests = link.client.lock().map(|mut c| c.take_acknowledgement_requests()).unwrap_or_default();
    for request in requests {
        let link = link.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = post_acknowledgement(&link.token, &request).await;
            if let Ok(mut client) = link.client.lock() {
                client.acknowledgement_answered(request.alarm_id, answer);
            }
        });
    }
    let again = Closure::once_into_js(move || pump_acknowledgements(link));
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), 250);
    }
}

async fn post_acknowledgement(token: &str, request: &sontinh_feeds::AcknowledgementRequest) -> Result<String, String> {
    let body = serde_json::json!({"device": request.device, "alarm_time": request.alarm_time_ms}).to_string();
    let response = request_with_token(token, "/acknowledge", Some(&body)).await?;
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    sontinh_feeds::acknowledgement_answer(response.status(), &text.as_string().unwrap_or_default())
}

/// False once nobody listens (the viewer signed out and holds a new client).
fn deliver(link: &Link, event: LinkEvent) -> bool {
    if link.stopped.get() || Arc::strong_count(&link.client) == 1 {
        link.stopped.set(true);
        return false;
    }
    if let Ok(mut client) = link.client.lock() {
        client.handle(event);
    }
    true
}

fn history(after: Option<HistoryCursor>) -> String {
    serde_json::to_string(&ClientRequest::History {
        from_ms: i64::MIN,
        to_ms: i64::MAX,
        after,
    })
    .unwrap_or_default()
}

fn open(link: Rc<Link>) {
    if !deliver(&link, LinkEvent::Connecting) {
        return;
    }
    let address = format!("{}?token={}", link.url, js_sys::encode_uri_component(&link.token));
    let socket = match web_sys::WebSocket::new(&address) {
        Ok(s) => s,
        Err(e) => {
            if deliver(&link, LinkEvent::Disconnected(format!("cannot open {}: {e:?}", link.url))) {
                retry(link);
            }
            return;
        }
    };
    let role: Rc<Cell<Option<Role>>> = Rc::new(Cell::new(None));

    let on_open = {
        let link = link.clone();
        let socket = socket.clone();
        Closure::<dyn FnMut()>::new(move || {
            link.backoff_ms.set(MIN_BACKOFF_MS);
            if !deliver(&link, LinkEvent::Connected) {
                let _ = socket.close();
                return;
            }
            let _ = socket.send_with_str(&history(None));
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();

    let on_message = {
        let link = link.clone();
        let socket = socket.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if link.stopped.get() || Arc::strong_count(&link.client) == 1 {
                link.stopped.set(true);
                let _ = socket.close();
                return;
            }
            let Some(text) = event.data().as_string() else { return };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(message) => {
                    let mut known = role.get();
                    let urls = message.snapshot_urls(&mut known);
                    role.set(known);
                    if let ServerMessage::History { next: Some(after), .. } = &message {
                        let _ = socket.send_with_str(&history(Some(after.clone())));
                    }
                    let _ = deliver(&link, LinkEvent::Message(message));
                    if known.is_some_and(|r| r != Role::Tourist) {
                        for url in urls {
                            fetch_snapshot(link.clone(), url);
                        }
                    }
                }
                Err(_) => {
                    let _ = deliver(&link, LinkEvent::Text(text));
                }
            }
        })
    };
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();

    let on_close = {
        let link = link.clone();
        Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
            if link.stopped.get() {
                return;
            }
            let reason = match (event.code(), event.reason()) {
                (4001, _) => "the role token expired: sign in again".to_owned(),
                (code, reason) if !reason.is_empty() => format!("the feed gateway closed the connection ({code}: {reason})"),
                (code, _) => format!("the feed gateway connection closed ({code})"),
            };
            if deliver(&link, LinkEvent::Disconnected(reason)) && event.code() != 4001 {
                retry(link.clone());
            }
        })
    };
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_close.forget();
}

fn retry(link: Rc<Link>) {
    let delay = link.backoff_ms.get();
    link.backoff_ms.set((delay.saturating_mul(2)).min(MAX_BACKOFF_MS));
    let again = Closure::once_into_js(move || open(link));
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), delay);
    }
}

/// A camera image, fetched once per address, only from the gateway's own
/// snapshot path (anything else a message names is never requested).
fn fetch_snapshot(link: Rc<Link>, url: String) {
    if snapshot_file(&url).is_err() || !link.fetched.borrow_mut().insert(url.clone()) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(bytes) = fetch_page(&link.token, &url).await else { return };
        let _ = deliver(&link, LinkEvent::Image { url, bytes });
    });
}

/// Streams a camera's live video from this origin's gateway
/// (`/cameras/<id>/stream`, the token in the header) into `slot`, chunk by
/// chunk, until the stream ends or the viewer lets go of the slot.
pub fn watch_video(token: String, camera: String, slot: sontinh_feeds::SharedVideo) {
    wasm_bindgen_futures::spawn_local(async move {
        // Only the receiver holds the slot: the viewer dropping it stops the reading.
        let weak = Arc::downgrade(&slot);
        let outcome = read_video(&token, &camera, slot).await;
        if let Some(slot) = weak.upgrade() {
            sontinh_feeds::video_end(&slot, outcome.err());
        }
    });
}

async fn read_video(token: &str, camera: &str, slot: sontinh_feeds::SharedVideo) -> Result<(), String> {
    let response = request_with_token(token, &sontinh_feeds::camera_stream_path(camera), None).await?;
    if !response.ok() {
        let text = match response.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        return Err(format!("{}: {}", response.status(), text.trim()));
    }
    let content_type = response.headers().get("content-type").ok().flatten().unwrap_or_default();
    let mut receiver = sontinh_feeds::VideoReceiver::new(&content_type, slot)?;
    let body = response.body().ok_or("the stream has no body")?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().dyn_into().map_err(|_| "the stream cannot be read".to_owned())?;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("the stream was cut: {e:?}"))?;
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            return Err("the gateway closed the stream".to_owned());
        }
        let value = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|e| format!("{e:?}"))?;
        let bytes = js_sys::Uint8Array::new(&value).to_vec();
        if !receiver.push(&bytes) {
            // Nobody watches any more, or the stream ended: let the gateway know.
            let _ = reader.cancel();
            return Ok(());
        }
    }
}

/// GETs one of this origin's gateway pages (a report) with the token in the
/// header: its bytes, or the refusal in words.
pub async fn fetch_page(token: &str, path: &str) -> Result<Vec<u8>, String> {
    let response = request_with_token(token, path, None).await?;
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if !response.ok() {
        return Err(format!("{}: {}", response.status(), String::from_utf8_lossy(&bytes).trim()));
    }
    Ok(bytes)
}

/// A GET of this origin's `path` (a POST of `json`, when given) with the
/// token in the header, never in the address, refusing redirects.
async fn request_with_token(token: &str, path: &str, json: Option<&str>) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    let headers = web_sys::Headers::new().map_err(|e| format!("{e:?}"))?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    if let Some(body) = json {
        init.set_method("POST");
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    init.set_redirect(web_sys::RequestRedirect::Error);
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init)).await.map_err(|e| format!("cannot reach the gateway: {e:?}"))?;
    response.dyn_into().map_err(|_| "not a response".to_owned())
}
