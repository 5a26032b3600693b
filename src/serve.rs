//! `dars serve`: builds the site into memory, serves it on loopback, watches content and
//! theme, rebuilds what a change touches and tells open tabs to reload. On an error the
//! last good site stays served and the error is shown in the browser and the terminal.
//! output/ is never written: a broken edit cannot clobber a good build.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use serde_json::json;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::error::Diagnostics;
use crate::render::Contents;
use crate::session::{Session, Update, watched_dirs};

/// The live-reload client, injected into served HTML pages only.
const CLIENT_JS: &str = include_str!("serve_client.js");
pub const EVENTS_PATH: &str = "/__dars/events";
pub const STATUS_PATH: &str = "/__dars/status";
const CLIENT_PATH: &str = "/__dars/client.js";

pub struct ServeOptions {
    pub addr: SocketAddr,
    pub follow: bool,
}

/// State shared by the request threads, the watcher and the rebuilds.
struct Shared {
    session: RwLock<Session>,
    /// The errors of the last rebuild, empty when it succeeded.
    errors: RwLock<Diagnostics>,
    clients: Mutex<Vec<Sender<String>>>,
    follow: bool,
}

impl Shared {
    fn broadcast(&self, event: &str, data: &serde_json::Value) {
        let message = format!("event: {event}\ndata: {data}\n\n");
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| c.send(message.clone()).is_ok());
    }

    fn status(&self) -> serde_json::Value {
        let errors = self.errors.read().unwrap_or_else(|e| e.into_inner());
        let list: Vec<serde_json::Value> = errors
            .0
            .iter()
            .map(|d| json!({ "file": d.file.display().to_string(), "line": d.line, "column": d.column, "message": d.message, "text": d.to_string() }))
            .collect();
        json!({ "ok": !errors.has_errors(), "errors": list })
    }
}

pub fn serve(session: Session, options: ServeOptions) -> Result<(), String> {
    let server = Server::http(options.addr).map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let server = Arc::new(server);
    let local = server.server_addr().to_ip().map(|a| a.to_string()).unwrap_or_else(|| options.addr.to_string());
    let dirs: Vec<PathBuf> = watched_dirs(&session.opts).into_iter().map(PathBuf::from).collect();
    let shared = Arc::new(Shared { session: RwLock::new(session), errors: RwLock::new(Diagnostics::new()), clients: Mutex::new(Vec::new()), follow: options.follow });

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        let server = Arc::clone(&server);
        ctrlc::set_handler(move || {
            stop.store(true, Ordering::SeqCst);
            server.unblock();
        })
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    }
    rebuild(&shared, None);
    println!("serving on http://{local}/ (Ctrl-C stops)");

    let (tx, rx) = channel();
    let mut debouncer = new_debouncer(Duration::from_millis(120), None, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            let paths: Vec<PathBuf> = events.into_iter().filter(|e| is_content_change(&e.event.kind)).flat_map(|e| e.event.paths.clone()).collect();
            if !paths.is_empty() {
                let _ = tx.send(paths);
            }
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    for dir in &dirs {
        debouncer.watch(dir, RecursiveMode::Recursive).map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    }
    let watcher_shared = Arc::clone(&shared);
    std::thread::spawn(move || watch_loop(&watcher_shared, &rx));

    for request in server.incoming_requests() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || handle(&shared, request));
    }
    drop(debouncer);
    println!("stopped");
    Ok(())
}

/// Writes, creations, removals and renames; not the reads a build itself makes.
fn is_content_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

fn watch_loop(shared: &Arc<Shared>, rx: &Receiver<Vec<PathBuf>>) {
    while let Ok(mut paths) = rx.recv() {
        // Editors save in bursts; take what has arrived meanwhile in the same rebuild.
        while let Ok(more) = rx.try_recv() {
            paths.extend(more);
        }
        paths.sort();
        paths.dedup();
        rebuild(shared, Some(&paths));
    }
}

/// Rebuilds (everything when `paths` is None), reports one line, tells the browsers.
fn rebuild(shared: &Shared, paths: Option<&[PathBuf]>) {
    let result = {
        let mut session = shared.session.write().unwrap_or_else(|e| e.into_inner());
        match paths {
            Some(p) if session.has_site() => session.apply(p),
            _ => session.full(),
        }
    };
    let what = paths.map(describe).unwrap_or_else(|| "start".to_string());
    match result {
        Ok(update) => {
            let had_errors = {
                let mut errors = shared.errors.write().unwrap_or_else(|e| e.into_inner());
                std::mem::replace(&mut *errors, Diagnostics::new()).has_errors()
            };
            if update.kind == "nothing" && !had_errors {
                return;
            }
            announce(shared, &what, &update, had_errors);
            // Pages first, so the browser reloads at once; then the day's handouts.
            let more = shared.session.read().unwrap_or_else(|e| e.into_inner()).has_stale_handouts();
            if more {
                let result = shared.session.write().unwrap_or_else(|e| e.into_inner()).finish();
                match result {
                    Ok(update) => announce(shared, &what, &update, false),
                    Err(diags) => {
                        eprintln!("{what}: handouts failed, still serving the last good ones\n{diags}");
                        *shared.errors.write().unwrap_or_else(|e| e.into_inner()) = diags;
                        shared.broadcast("error", &shared.status());
                    }
                }
            }
        }
        Err(diags) => {
            eprintln!("{what}: build failed, still serving the last good site\n{diags}");
            *shared.errors.write().unwrap_or_else(|e| e.into_inner()) = diags;
            shared.broadcast("error", &shared.status());
        }
    }
}

fn announce(shared: &Shared, what: &str, update: &Update, recovered: bool) {
    report(what, update);
    let follow = update.follow.as_ref().filter(|_| shared.follow).map(|p| format!("/{p}"));
    let changed: Vec<String> = update.changed.iter().map(|p| format!("/{p}")).collect();
    shared.broadcast("reload", &json!({ "changed": changed, "follow": follow, "recovered": recovered }));
}

fn describe(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().take(3).map(|p| p.display().to_string()).collect();
    let more = paths.len().saturating_sub(3);
    if more > 0 { format!("{} and {more} more", names.join(", ")) } else { names.join(", ") }
}

fn report(what: &str, update: &Update) {
    println!("{what}: rebuilt ({}) {} files in {:.0?}", update.kind, update.changed.len(), update.elapsed);
}

fn handle(shared: &Shared, request: Request) {
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let _ = request.respond(Response::from_string("only GET and HEAD").with_status_code(405));
        return;
    }
    let url = request.url().split(['?', '#']).next().unwrap_or("/").to_string();
    match url.as_str() {
        EVENTS_PATH => return events(shared, request),
        STATUS_PATH => return respond(request, 200, "application/json", shared.status().to_string().into_bytes(), method == Method::Head),
        CLIENT_PATH => return respond(request, 200, "text/javascript; charset=utf-8", CLIENT_JS.as_bytes().to_vec(), method == Method::Head),
        _ => {}
    }
    let Some(path) = site_path(&url) else {
        return respond(request, 400, "text/plain; charset=utf-8", b"bad path".to_vec(), method == Method::Head);
    };
    let session = shared.session.read().unwrap_or_else(|e| e.into_inner());
    let (status, path, body) = match lookup(&session, &path) {
        Some((p, body)) => (200, p, body),
        None => match lookup(&session, "404.html") {
            Some((p, body)) => (404, p, body),
            None => (404, "404.txt".to_string(), b"not found".to_vec()),
        },
    };
    drop(session);
    let content_type = content_type(&path);
    let body = if content_type.starts_with("text/html") { inject_client(body) } else { body };
    respond(request, status, content_type, body, method == Method::Head);
}

/// The file for `path`, or `path/index.html` for a folder.
fn lookup(session: &Session, path: &str) -> Option<(String, Vec<u8>)> {
    let candidates = if path.is_empty() || path.ends_with('/') { vec![format!("{path}index.html")] } else { vec![path.to_string(), format!("{path}/index.html")] };
    candidates.into_iter().find_map(|p| {
        let body = match session.file(&p)? {
            Contents::Bytes(b) => b.clone(),
            Contents::CopyOf(src) => std::fs::read(src).ok()?,
            // Watch mode keeps its site in memory; nothing is staged.
            Contents::Staged { .. } => return None,
        };
        Some((p, body))
    })
}

/// A request path as a path below the site, or None when it tries to leave the site.
pub fn site_path(url: &str) -> Option<String> {
    let decoded = percent_decode(url)?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s => parts.push(s),
        }
    }
    let mut path = parts.join("/");
    if decoded.ends_with('/') && !path.is_empty() {
        path.push('/');
    }
    Some(path)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

fn inject_client(body: Vec<u8>) -> Vec<u8> {
    let html = String::from_utf8_lossy(&body);
    let tag = format!("<script src=\"{CLIENT_PATH}\" defer></script>");
    match html.rfind("</body>") {
        Some(i) => format!("{}{tag}{}", &html[..i], &html[i..]).into_bytes(),
        None => format!("{html}{tag}").into_bytes(),
    }
}

fn respond(request: Request, status: u16, content_type: &str, body: Vec<u8>, head_only: bool) {
    let mut response = Response::from_data(if head_only { Vec::new() } else { body.clone() }).with_status_code(StatusCode(status));
    if let Ok(h) = Header::from_bytes("Content-Type", content_type) {
        response.add_header(h);
    }
    if let Ok(h) = Header::from_bytes("Cache-Control", "no-store") {
        response.add_header(h);
    }
    if head_only && let Ok(h) = Header::from_bytes("Content-Length", body.len().to_string()) {
        response.add_header(h);
    }
    let _ = request.respond(response);
}

/// Server-sent events: the current state first, then one event per rebuild. tiny_http
/// buffers chunked bodies, so the stream is written straight to the connection, with a
/// body that ends when the connection closes.
fn events(shared: &Shared, request: Request) {
    let (tx, rx) = channel();
    let state = shared.status();
    let first = if state["ok"].as_bool().unwrap_or(true) { "event: hello\ndata: {}\n\n".to_string() } else { format!("event: error\ndata: {state}\n\n") };
    let _ = tx.send(first);
    shared.clients.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    if out.write_all(head.as_bytes()).and_then(|_| out.flush()).is_err() {
        return;
    }
    loop {
        // A comment every 15 s keeps the connection open and notices a closed tab.
        let message = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => ": keep-alive\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if out.write_all(message.as_bytes()).and_then(|_| out.flush()).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_site_are_refused() {
        assert_eq!(site_path("/fr/index.html").as_deref(), Some("fr/index.html"));
        assert_eq!(site_path("/fr/").as_deref(), Some("fr/"));
        assert_eq!(site_path("/").as_deref(), Some(""));
        assert_eq!(site_path("/../Cargo.toml"), None);
        assert_eq!(site_path("/%2e%2e/Cargo.toml"), None);
        assert_eq!(site_path("/fr/%2E%2E/%2e%2e/etc/passwd"), None);
        assert_eq!(site_path("/..%5c..%5cwin.ini"), None);
        assert_eq!(site_path("//etc/passwd").as_deref(), Some("etc/passwd"));
    }

    #[test]
    fn client_script_is_injected_before_body_end() {
        let html = inject_client(b"<html><body><p>x</p></body></html>".to_vec());
        assert!(String::from_utf8(html).unwrap().ends_with("<script src=\"/__dars/client.js\" defer></script></body></html>"));
    }
}
