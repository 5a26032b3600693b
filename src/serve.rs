//! `dars serve`: builds the site into memory, serves it on loopback, watches content and
//! theme, rebuilds what a change touches and tells open tabs to reload. On an error the
//! last good site stays served and the error is shown in the browser and the terminal.
//! output/ is never written: a broken edit cannot clobber a good build.
//!
//! HTTP is hyper's, on a single-threaded tokio runtime, so an open connection costs a task
//! of a few kilobytes, not a thread: tiny_http, used before, gave every connection a thread
//! from an unbounded pool (9,000 idle connections made 9,009 threads and 1.4 GB) and never
//! timed out a silent client. Answering may block (a rebuild holds the site; a copied file is
//! read from disk), so it runs on tokio's blocking pool, which has at most
//! MAX_BLOCKING_THREADS threads.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::error::Diagnostics;
use crate::render::Contents;
use crate::session::{Session, Update, watched_dirs};

/// The live-reload client, injected into served HTML pages only.
const CLIENT_JS: &str = include_str!("serve_client.js");
pub const EVENTS_PATH: &str = "/__dars/events";
pub const STATUS_PATH: &str = "/__dars/status";
const CLIENT_PATH: &str = "/__dars/client.js";

/// A client has this long to send a request's headers, on a new connection and between two
/// requests on a kept-alive one; then the connection is closed. Only headers are timed: a
/// live-reload stream, whose request was read, stays open as long as its tab.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once. Every tab holds one for live reload, and loads a page over a
/// few more. Past the bound a new connection is answered 503 at once and closed rather than
/// left waiting in the kernel's queue: the author sees why, instead of a page that hangs.
const MAX_CONNECTIONS: usize = 512;
/// Connections being answered 503 at once; past that they are closed without an answer, so a
/// flood of connections costs no memory.
const MAX_REFUSING: usize = 64;
/// Requests answered at once, each on a thread of the blocking pool; more wait their turn.
const MAX_BLOCKING_THREADS: usize = 8;
/// Largest request head read (hyper's default is about 400 kB); a GET needs far less.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Silence after which the event stream sends a comment, which notices a closed tab.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long a request for a PDF (or the zip of them) waits for the handouts being
/// typeset after a change; then the previous version is served.
const HANDOUT_WAIT: Duration = Duration::from_secs(120);

type ServeBody = UnsyncBoxBody<Bytes, Infallible>;

pub struct ServeOptions {
    pub addr: SocketAddr,
    pub follow: bool,
}

/// The bounds above. Tests shorten them through DARS_SERVE_HEADER_TIMEOUT_MS and
/// DARS_SERVE_MAX_CONNECTIONS; these variables are for tests only, not for authors.
#[derive(Clone, Copy)]
struct Limits {
    header_timeout: Duration,
    max_connections: usize,
}

impl Limits {
    fn from_env() -> Limits {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok()).filter(|&n| n > 0);
        Limits {
            header_timeout: var("DARS_SERVE_HEADER_TIMEOUT_MS").map_or(HEADER_TIMEOUT, Duration::from_millis),
            max_connections: var("DARS_SERVE_MAX_CONNECTIONS").map_or(MAX_CONNECTIONS, |n| n as usize),
        }
    }
}

/// The names this server answers to in the Host header. A page on another site can point its
/// own name at 127.0.0.1 and have the browser fetch this server as if it were that site (DNS
/// rebinding); the browser then sends that site's name, which is refused. Names are checked,
/// ports are not: an SSH tunnel or a port forward changes the port, and a port proves nothing
/// that a rebinding page could not match too.
pub struct Hosts {
    /// The address the server is bound to.
    bound: IpAddr,
    /// This machine's name, lowercase.
    machine: Option<String>,
}

impl Hosts {
    pub fn new(bound: IpAddr, machine: Option<String>) -> Hosts {
        Hosts { bound, machine: machine.map(|m| m.to_ascii_lowercase()) }
    }

    /// The machine's name as the kernel has it (Linux); None elsewhere.
    fn machine_name() -> Option<String> {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
        Some(name.trim().to_string()).filter(|n| !n.is_empty())
    }

    /// Whether a Host header (None: there was none) names this server.
    pub fn allows(&self, host: Option<&str>) -> bool {
        match host {
            // HTTP/1.0 allows a request without Host. Browsers always send one, so such a
            // request is no rebinding attack: it is accepted on loopback, where only this
            // machine's programs can connect. From the network every request must name this
            // server, as HTTP/1.1 requires, so that one rule covers all of them.
            None => self.bound.is_loopback(),
            Some(host) => host_name(host).is_some_and(|name| self.allows_name(&name)),
        }
    }

    fn allows_name(&self, name: &str) -> bool {
        match name.parse::<IpAddr>() {
            // An address cannot be rebound, only a name can; bound to all addresses
            // (0.0.0.0), the server is reached by any of the machine's addresses.
            Ok(ip) => ip == self.bound || ip == Ipv4Addr::LOCALHOST || ip == Ipv6Addr::LOCALHOST || self.bound.is_unspecified(),
            Err(_) => name == "localhost" || self.machine.as_deref() == Some(name),
        }
    }

    /// Checks the Host header, and the host of an absolute URL in the request line
    /// (`GET http://name/ HTTP/1.1`), which HTTP says wins over the header.
    fn allows_request<B>(&self, request: &Request<B>) -> bool {
        let mut hosts = request.headers().get_all(HOST).iter();
        let host = hosts.next().map(|h| h.to_str().unwrap_or(""));
        let authority = request.uri().authority().map(|a| a.as_str());
        hosts.next().is_none() && self.allows(host) && authority.is_none_or(|a| self.allows(Some(a)))
    }

    /// What the server answers to, for messages.
    fn describe(&self) -> String {
        let address = if self.bound.is_unspecified() { "any address of this machine".to_string() } else { self.bound.to_string() };
        let machine = self.machine.as_deref().map(|m| format!(", {m}")).unwrap_or_default();
        format!("{address}, localhost, 127.0.0.1, [::1]{machine}")
    }
}

/// The name in a Host header, lowercase, without port, brackets or final dot; None when the
/// header is malformed.
fn host_name(host: &str) -> Option<String> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']')?;
            inner.parse::<Ipv6Addr>().ok()?;
            (inner, if after.is_empty() { None } else { Some(after.strip_prefix(':')?) })
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return None;
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// State shared by the connections, the watcher and the rebuilds.
struct Shared {
    session: RwLock<Session>,
    /// The errors of the last rebuild, empty when it succeeded.
    errors: RwLock<Diagnostics>,
    clients: Mutex<Vec<mpsc::UnboundedSender<String>>>,
    follow: bool,
    hosts: Hosts,
    /// True while handouts are being typeset for the last change: PDF requests wait.
    handouts_pending: watch::Sender<bool>,
    /// Wakes the thread that typesets handouts (see `handout_loop`).
    handouts_wanted: Mutex<Sender<()>>,
    /// Warnings already printed in the terminal: each is printed once.
    warned: Mutex<HashSet<String>>,
}

impl Shared {
    fn broadcast(&self, event: &str, data: &serde_json::Value) {
        let message = format!("event: {event}\ndata: {data}\n\n");
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| c.send(message.clone()).is_ok());
    }

    fn status(&self) -> serde_json::Value {
        let errors = self.errors.read().unwrap_or_else(|e| e.into_inner());
        let warnings = self.session.read().unwrap_or_else(|e| e.into_inner()).warnings();
        json!({ "ok": !errors.has_errors(), "errors": findings(&errors), "warnings": findings(&warnings) })
    }

    /// Prints the warnings not printed yet, and tells the pages the current ones.
    fn warn(&self) {
        let warnings = self.session.read().unwrap_or_else(|e| e.into_inner()).warnings();
        let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        for w in &warnings.0 {
            if warned.insert(w.to_string()) {
                eprintln!("{w}");
            }
        }
        drop(warned);
        self.broadcast("warnings", &json!({ "warnings": findings(&warnings) }));
    }

    /// Marks handouts as pending when the session has some to make, and wakes their thread.
    /// Called with the session held, so the handout thread cannot clear the mark in between.
    fn want_handouts(&self, session: &Session) {
        if session.has_stale_handouts() {
            self.handouts_pending.send_replace(true);
            let _ = self.handouts_wanted.lock().unwrap_or_else(|e| e.into_inner()).send(());
        }
    }
}

/// Diagnostics as the page's client reads them.
fn findings(diags: &Diagnostics) -> Vec<serde_json::Value> {
    diags.0.iter().map(|d| json!({ "file": d.file.display().to_string(), "line": d.line, "column": d.column, "message": d.message, "text": d.to_string() })).collect()
}

pub fn serve(session: Session, options: ServeOptions) -> Result<(), String> {
    let limits = Limits::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let listener = runtime.block_on(TcpListener::bind(options.addr)).map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let local = listener.local_addr().map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let dirs: Vec<PathBuf> = watched_dirs(&session.opts).into_iter().map(PathBuf::from).collect();
    let hosts = Hosts::new(local.ip(), Hosts::machine_name());
    let (wanted, handouts_wanted) = channel();
    let shared = Arc::new(Shared {
        session: RwLock::new(session),
        errors: RwLock::new(Diagnostics::new()),
        clients: Mutex::new(Vec::new()),
        follow: options.follow,
        hosts,
        handouts_pending: watch::Sender::new(false),
        handouts_wanted: Mutex::new(wanted),
        warned: Mutex::new(HashSet::new()),
    });
    {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || handout_loop(&shared, &handouts_wanted));
    }

    let stop = Arc::new(Notify::new());
    {
        let stop = Arc::clone(&stop);
        // notify_one keeps the wake-up when the accept loop is not waiting yet.
        ctrlc::set_handler(move || stop.notify_one()).map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    }
    rebuild(&shared, None);
    if let Some(warning) = public_warning(local, &shared.hosts) {
        eprintln!("{warning}");
    }
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

    runtime.block_on(accept_loop(listener, shared, limits, stop));
    // Open connections (live-reload streams) are dropped, not waited for.
    runtime.shutdown_background();
    drop(debouncer);
    println!("stopped");
    Ok(())
}

/// Loopback is this machine only; any other address puts the site on the network, which
/// the author should know.
fn public_warning(local: SocketAddr, hosts: &Hosts) -> Option<String> {
    if local.ip().is_loopback() {
        return None;
    }
    Some(format!(
        "warning: listening on {local}, not on loopback: other machines on the network can open this site. \
         Requests are answered only when their Host names {}; --bind 127.0.0.1 keeps the site to this machine.",
        hosts.describe()
    ))
}

/// Accepts connections until Ctrl-C, within the bounds of `limits`.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, limits: Limits, stop: Arc<Notify>) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    loop {
        let stream = tokio::select! {
            _ = stop.notified() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, say: try again shortly rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Ok(permit) = Arc::clone(&open).try_acquire_owned() {
            tokio::spawn(connection(stream, Arc::clone(&shared), limits.header_timeout, permit));
        } else if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
            tokio::spawn(refuse_busy(stream, permit));
        }
        // Otherwise the stream is dropped here, which closes it.
    }
}

/// One client connection, until the client closes it, its headers time out or dars stops.
async fn connection(stream: TcpStream, shared: Arc<Shared>, header_timeout: Duration, _permit: OwnedSemaphorePermit) {
    let service = service_fn(move |request| route(Arc::clone(&shared), request));
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Past MAX_CONNECTIONS: a short 503 the author can read. The request is read first (within
/// a second), so that closing does not reset the connection before the answer arrives.
async fn refuse_busy(stream: TcpStream, _permit: OwnedSemaphorePermit) {
    let service = service_fn(|_| async { Ok::<_, Infallible>(text(503, "dars serve: too many open connections; close some tabs or try again in a moment\n")) });
    let connection = http1::Builder::new().keep_alive(false).serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(Duration::from_secs(1), connection).await;
}

/// Refuses other hosts, then answers on the blocking pool.
async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<ServeBody>, Infallible> {
    if !shared.hosts.allows_request(&request) {
        let message = format!("dars serve: this server answers only requests for {} (other host names are refused, against DNS rebinding)\n", shared.hosts.describe());
        return Ok(text(421, &message));
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    if is_typeset(&path) {
        // A PDF asked for while its day is being typeset: the new one, once it is ready.
        let mut pending = shared.handouts_pending.subscribe();
        let _ = tokio::time::timeout(HANDOUT_WAIT, pending.wait_for(|p| !*p)).await;
    }
    let answer = tokio::task::spawn_blocking(move || answer(&shared, &method, &path)).await;
    Ok(answer.unwrap_or_else(|_| text(500, "dars serve: internal error\n")))
}

/// Files the handout thread makes: the PDFs and their zip.
fn is_typeset(path: &str) -> bool {
    path.ends_with(".pdf") || path.ends_with(".zip")
}

/// Typesets the handouts (and checks for warnings) after each change, away from the
/// session: pages are served meanwhile; a change made meanwhile makes the job start again.
fn handout_loop(shared: &Arc<Shared>, wanted: &Receiver<()>) {
    while wanted.recv().is_ok() {
        while wanted.try_recv().is_ok() {}
        loop {
            let job = {
                let mut session = shared.session.write().unwrap_or_else(|e| e.into_inner());
                let job = session.handout_job();
                if job.is_none() {
                    shared.handouts_pending.send_replace(false);
                }
                job
            };
            let Some(job) = job else { break };
            let made = job.run();
            let result = shared.session.write().unwrap_or_else(|e| e.into_inner()).complete(made);
            match result {
                Ok(update) => {
                    shared.warn();
                    // Tabs reload for what changed; an empty list would reload them all.
                    if update.kind != "nothing" {
                        report("handouts", &update);
                    }
                    if !update.changed.is_empty() {
                        announce(shared, &update, false);
                    }
                }
                Err(diags) => {
                    eprintln!("handouts failed, still serving the last good ones\n{diags}");
                    *shared.errors.write().unwrap_or_else(|e| e.into_inner()) = diags;
                    shared.broadcast("error", &shared.status());
                }
            }
        }
    }
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
        let result = match paths {
            Some(p) if session.has_site() => session.apply(p),
            _ => session.full(),
        };
        shared.want_handouts(&session);
        result
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
            // Pages first, so the browser reloads at once; the handouts follow (see
            // `handout_loop`).
            report(&what, &update);
            announce(shared, &update, had_errors);
            shared.warn();
        }
        Err(diags) => {
            eprintln!("{what}: build failed, still serving the last good site\n{diags}");
            *shared.errors.write().unwrap_or_else(|e| e.into_inner()) = diags;
            shared.broadcast("error", &shared.status());
        }
    }
}

/// Tells the open tabs what changed.
fn announce(shared: &Shared, update: &Update, recovered: bool) {
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

fn answer(shared: &Shared, method: &Method, url: &str) -> Response<ServeBody> {
    if method != Method::GET && method != Method::HEAD {
        return text(405, "only GET and HEAD");
    }
    let head_only = method == Method::HEAD;
    match url {
        EVENTS_PATH => return events(shared),
        STATUS_PATH => return respond(200, "application/json", shared.status().to_string().into_bytes(), head_only),
        CLIENT_PATH => return respond(200, "text/javascript; charset=utf-8", CLIENT_JS.as_bytes().to_vec(), head_only),
        _ => {}
    }
    let Some(path) = site_path(url) else {
        return respond(400, "text/plain; charset=utf-8", b"bad path".to_vec(), head_only);
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
    respond(status, content_type, body, head_only)
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

fn text(status: u16, message: &str) -> Response<ServeBody> {
    respond(status, "text/plain; charset=utf-8", message.as_bytes().to_vec(), false)
}

fn respond(status: u16, content_type: &'static str, body: Vec<u8>, head_only: bool) -> Response<ServeBody> {
    let length = body.len();
    let body = if head_only { Vec::new() } else { body };
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if head_only {
        // The length the GET would have; hyper keeps it for a HEAD with an empty body.
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

/// Server-sent events: the current state first, then one event per rebuild.
fn events(shared: &Shared) -> Response<ServeBody> {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = shared.status();
    let first = if state["ok"].as_bool().unwrap_or(true) { "event: hello\ndata: {}\n\n".to_string() } else { format!("event: error\ndata: {state}\n\n") };
    let _ = tx.send(first);
    if !state["warnings"].as_array().is_none_or(|w| w.is_empty()) {
        let _ = tx.send(format!("event: warnings\ndata: {}\n\n", json!({ "warnings": state["warnings"] })));
    }
    shared.clients.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
    let mut response = Response::new(EventStream { rx, silence: None }.boxed_unsync());
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The body of an event stream: events as they are broadcast, and a comment after
/// KEEP_ALIVE of silence, whose failed write notices a closed tab. It never ends; hyper
/// drops it when the connection closes, and the next broadcast forgets its sender.
struct EventStream {
    rx: mpsc::UnboundedReceiver<String>,
    /// Made on first poll, inside the runtime.
    silence: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if let Poll::Ready(message) = this.rx.poll_recv(cx) {
            this.silence = None;
            return Poll::Ready(message.map(|m| Ok(Frame::data(Bytes::from(m)))));
        }
        let silence = this.silence.get_or_insert_with(|| Box::pin(tokio::time::sleep(KEEP_ALIVE)));
        ready!(silence.as_mut().poll(cx));
        this.silence = None;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b": keep-alive\n\n")))))
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

    #[test]
    fn host_names_are_read_without_port_brackets_or_case() {
        assert_eq!(host_name("127.0.0.1:8000").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_name("LocalHost").as_deref(), Some("localhost"));
        assert_eq!(host_name("localhost.:80").as_deref(), Some("localhost"));
        assert_eq!(host_name("[::1]:8000").as_deref(), Some("::1"));
        assert_eq!(host_name("[::1]").as_deref(), Some("::1"));
        for bad in ["", ":8000", "::1", "[::1", "[evil]:80", "[::1]x", "localhost:port", "localhost:99999", "a:1:2"] {
            assert_eq!(host_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn on_loopback_only_loopback_names_and_the_machine_are_served() {
        let hosts = Hosts::new(IpAddr::V4(Ipv4Addr::LOCALHOST), Some("Atelier".to_string()));
        for good in ["127.0.0.1:8000", "127.0.0.1", "localhost:8000", "localhost:9000", "[::1]:8000", "atelier:8000", "ATELIER"] {
            assert!(hosts.allows(Some(good)), "{good}");
        }
        for bad in ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.2:8000", "192.168.1.5:8000", "atelier.evil.example", ""] {
            assert!(!hosts.allows(Some(bad)), "{bad}");
        }
        assert!(hosts.allows(None), "HTTP/1.0 without Host, from this machine");
    }

    #[test]
    fn on_the_network_the_bound_address_is_served_too() {
        let lan: IpAddr = "192.168.1.5".parse().unwrap();
        let hosts = Hosts::new(lan, None);
        assert!(hosts.allows(Some("192.168.1.5:8000")));
        assert!(hosts.allows(Some("localhost:8000")));
        assert!(!hosts.allows(Some("192.168.1.6:8000")));
        assert!(!hosts.allows(Some("evil.example:8000")));
        assert!(!hosts.allows(None), "a request from the network must name the server");

        let all = Hosts::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), None);
        assert!(all.allows(Some("10.0.0.7:8000")), "bound to all addresses: any address of the machine");
        assert!(!all.allows(Some("evil.example:8000")));
        assert!(!all.allows(None));
    }

    #[test]
    fn serving_beyond_loopback_is_warned_about() {
        let hosts = Hosts::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), Some("atelier".to_string()));
        let warning = public_warning("0.0.0.0:8000".parse().unwrap(), &hosts).unwrap();
        assert!(warning.contains("other machines on the network") && warning.contains("any address of this machine") && warning.contains("atelier"), "{warning}");
        let hosts = Hosts::new(IpAddr::V4(Ipv4Addr::LOCALHOST), None);
        assert_eq!(public_warning("127.0.0.1:8000".parse().unwrap(), &hosts), None);
        assert_eq!(public_warning("[::1]:8000".parse().unwrap(), &hosts), None);
    }

    #[test]
    fn a_request_line_with_another_host_is_refused() {
        let hosts = Hosts::new(IpAddr::V4(Ipv4Addr::LOCALHOST), None);
        let request = |uri: &str, host_headers: &[&str]| {
            let mut builder = Request::builder().uri(uri);
            for h in host_headers {
                builder = builder.header(HOST, *h);
            }
            hosts.allows_request(&builder.body(()).unwrap())
        };
        assert!(request("/fr/", &["127.0.0.1:8000"]));
        assert!(!request("http://evil.example/fr/", &["127.0.0.1:8000"]));
        assert!(!request("/fr/", &["127.0.0.1:8000", "evil.example"]), "two Host headers");
        assert!(request("/fr/", &[]), "no Host on loopback");
    }
}
