//! `dars serve` as an author uses it: start it on a free port against a copy of a site,
//! edit, add, break and fix lessons, and watch what the browser would get.

mod common;
#[allow(dead_code)]
#[path = "browser/support.rs"]
mod support;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    /// What dars printed on its standard output and error, line by line, as it came.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits (at most 60 s) for a line of the log that `check` accepts; returns its index.
    fn wait_log(&self, what: &str, from: usize, check: impl Fn(&str) -> bool) -> usize {
        let start = Instant::now();
        loop {
            if let Some(i) = self.log().iter().skip(from).position(|l| check(l)) {
                return from + i;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no {what} in:\n{}", self.log().join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    start_with(&[])
}

/// `dars serve` with extra environment variables (the limits tests shorten).
fn start_with(env: &[(&str, &str)]) -> Server {
    start_site(env, &[], |_| {})
}

/// `dars serve ARGS` on a copy of the minimal site that `prepare` may change first.
fn start_site(env: &[(&str, &str)], args: &[&str], prepare: impl FnOnce(&Path)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &root.join("content"));
    copy_tree(&theme_dir(), &root.join("themes/default"));
    prepare(&root);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dars"))
        .args(["serve", "--port", "0", "--root", root.to_str().unwrap()])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dars serve starts");
    let log = Arc::new(Mutex::new(Vec::new()));
    // Both streams are read to their end, so the server never blocks on a full pipe.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let errors = Arc::clone(&log);
    std::thread::spawn(move || stderr.lines().map_while(Result::ok).for_each(|l| errors.lock().unwrap().push(l)));
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("dars serve prints its address").unwrap();
        log.lock().unwrap().push(line.clone());
        if let Some(rest) = line.strip_prefix("serving on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let output = Arc::clone(&log);
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| output.lock().unwrap().push(l)));
    Server { child, addr, _dir: dir, root, log }
}

/// A raw HTTP/1.1 request; returns (status, body).
fn request(addr: &str, method: &str, path: &str) -> (u16, String) {
    exchange(addr, &format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"))
}

/// Sends `raw` as it is and reads the answer to its end; returns (status, body).
fn exchange(addr: &str, raw: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(raw.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn get(addr: &str, path: &str) -> (u16, String) {
    request(addr, "GET", path)
}

/// Polls until `check` holds on a GET of `path`, for at most 10 s.
fn wait_for(addr: &str, path: &str, what: &str, check: impl Fn(u16, &str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let (status, body) = get(addr, path);
        if check(status, &body) {
            return body;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting for {what} at {path}: {status}\n{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from));
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn edits_are_served_errors_are_shown_and_the_last_good_site_stays() {
    let server = start();
    let addr = &server.addr;
    let lesson = server.root.join("content/day-1/01-first.fr.md");

    let (status, page) = get(addr, "/fr/day-1/first/index.html");
    assert_eq!(status, 200);
    assert!(page.contains("Première leçon"));
    assert!(page.contains("/__dars/client.js"), "served pages get the live-reload client");

    // An edit is served within a bounded wait.
    edit(&lesson, "title: \"Première leçon\"", "title: \"Leçon retouchée\"");
    wait_for(addr, "/fr/day-1/first/index.html", "the edited title", |s, b| s == 200 && b.contains("Leçon retouchée"));
    let day = get(addr, "/fr/day-1/").1;
    assert!(day.contains("Leçon retouchée"), "the day page follows");
    wait_for(addr, "/fr/day-1/handout/trainer.html", "the day's handout", |s, b| s == 200 && b.contains("Leçon retouchée"));

    // A new lesson shows on its day page.
    for lang in ["fr", "ar"] {
        let src = server.root.join(format!("content/day-2/01-third.{lang}.md"));
        let text = fs::read_to_string(&src).unwrap().replace("order: 1", "order: 2").replace("title: \"Troisième leçon\"", "title: \"Leçon ajoutée\"");
        fs::write(server.root.join(format!("content/day-2/02-added.{lang}.md")), text).unwrap();
    }
    wait_for(addr, "/fr/day-2/index.html", "the added lesson", |s, b| s == 200 && b.contains("Leçon ajoutée"));
    assert_eq!(get(addr, "/fr/day-2/added/index.html").0, 200);

    // Broken YAML: the error names file and line, the previous page is still served.
    edit(&lesson, "order: 1\n", "order: [1\n");
    let status = wait_for(addr, "/__dars/status", "the error", |_, b| b.contains("\"ok\":false"));
    // `order: [1` never closes: YAML's reader notices on the next line (5), at the `:` of the
    // next key, and says so there.
    assert!(status.contains("01-first.fr.md") && status.contains("\"line\":5"), "{status}");
    let (code, page) = get(addr, "/fr/day-1/first/index.html");
    assert_eq!(code, 200);
    assert!(page.contains("Leçon retouchée"), "the last good page is still served");

    // Fixed: the error goes away.
    edit(&lesson, "order: [1\n", "order: 1\n");
    wait_for(addr, "/__dars/status", "the recovery", |_, b| b.contains("\"ok\":true"));

    // Removing a lesson removes its page.
    for lang in ["fr", "ar"] {
        fs::remove_file(server.root.join(format!("content/day-2/02-added.{lang}.md"))).unwrap();
    }
    wait_for(addr, "/fr/day-2/added/index.html", "the removed page", |s, _| s == 404);
}

#[test]
fn no_file_outside_the_site_is_served() {
    let server = start();
    let addr = &server.addr;
    fs::write(server.root.join("secret.txt"), "TOP-SECRET").unwrap();
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/fr/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt", "/..\\secret.txt", "/content/programme.yaml", "/themes/default/templates/base.html", "/etc/passwd"] {
        let (status, body) = get(addr, path);
        assert!(status == 400 || status == 404, "{path}: {status}");
        assert!(!body.contains("TOP-SECRET") && !body.contains("root:"), "{path} leaked a file");
    }
}

#[test]
fn content_types_head_and_not_found() {
    let server = start();
    let addr = &server.addr;
    // The web fonts are named by their contents: the stylesheet says where the first one is.
    let (_, css) = get(addr, "/static/style.css");
    let font = css.split("url(\"").nth(1).and_then(|u| u.split('"').next()).expect("style.css names a font");
    let font = format!("/static/{font}");
    for (path, ty) in [("/static/style.css", "text/css"), ("/sitemap.xml", "application/xml"), ("/fr/day-1/handout/day-1-learner-fr.pdf", "application/pdf"), (font.as_str(), "font/woff2"), ("/fr/", "text/html")] {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "HEAD {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut head = String::new();
        stream.read_to_string(&mut head).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        assert!(head.to_ascii_lowercase().contains(&format!("content-type: {ty}")), "{path}: {head}");
        let body = head.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("missing end of headers");
        assert!(body.is_empty(), "{path}: HEAD has no body");
    }
    let (status, body) = get(addr, "/fr/nowhere/index.html");
    assert_eq!(status, 404);
    assert!(body.contains("Page introuvable"), "the site's own 404 page");
}

#[test]
fn many_requests_at_once_are_answered() {
    let server = start();
    let addr = server.addr.clone();
    let threads: Vec<_> = (0..32)
        .map(|i| {
            let addr = addr.clone();
            std::thread::spawn(move || get(&addr, if i % 2 == 0 { "/fr/index.html" } else { "/ar/index.html" }).0)
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
}

#[test]
fn open_tabs_are_told_to_reload_the_edited_page() {
    let server = start();
    let mut events = TcpStream::connect(&server.addr).unwrap();
    events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(events, "GET /__dars/events HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).unwrap();
    let mut reader = BufReader::new(events);
    let mut seen = String::new();
    let mut read_until = |needle: &str, seen: &mut String| {
        let start = Instant::now();
        while !seen.contains(needle) {
            assert!(start.elapsed() < Duration::from_secs(10), "no {needle} in:\n{seen}");
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) > 0 {
                seen.push_str(&line);
            }
        }
    };
    read_until("event: hello", &mut seen);
    edit(&server.root.join("content/day-1/01-first.ar.md"), "title: \"الدرس الأول\"", "title: \"درس معدل\"");
    read_until("event: reload", &mut seen);
    read_until("/ar/day-1/first/index.html", &mut seen);
}

#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let mut server = start();
    // SAFETY: sends SIGINT to the child we started.
    assert_eq!(unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "dars serve did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn requests_for_other_host_names_are_refused() {
    let server = start();
    let addr = &server.addr;
    let port = addr.rsplit(':').next().unwrap();
    let get_as = |host: &str| exchange(addr, &format!("GET /fr/index.html HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));

    // A page of evil.example whose name was pointed at 127.0.0.1 (DNS rebinding).
    for host in ["evil.example".to_string(), format!("evil.example:{port}"), format!("localhost.evil.example:{port}")] {
        let (status, body) = get_as(&host);
        assert_eq!(status, 421, "Host: {host}");
        assert!(body.contains("DNS rebinding") && !body.contains("<html"), "Host: {host}: {body}");
    }
    let (status, _) = exchange(addr, &format!("GET http://evil.example/fr/index.html HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"));
    assert_eq!(status, 421, "an absolute URL naming another host");
    let (status, _) = exchange(addr, &format!("GET /__dars/events HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n"));
    assert_eq!(status, 421, "the event stream is refused too");

    for host in [addr.to_string(), format!("localhost:{port}"), "localhost".to_string(), format!("[::1]:{port}")] {
        let (status, body) = get_as(&host);
        assert_eq!(status, 200, "Host: {host}");
        assert!(body.contains("/__dars/client.js"), "Host: {host}");
    }
    // HTTP/1.0 without Host: accepted, the server being on loopback.
    assert_eq!(exchange(addr, "GET /fr/index.html HTTP/1.0\r\n\r\n").0, 200);
}

/// Reads until the server closes the connection; true when it did within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let start = Instant::now();
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buf = [0u8; 1024];
    while start.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {} // a 408 before closing is fine
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true, // reset
        }
    }
    false
}

#[test]
fn silent_and_slow_clients_are_dropped_but_live_reload_stays_open() {
    let server = start_with(&[("DARS_SERVE_HEADER_TIMEOUT_MS", "500")]);
    let addr = server.addr.clone();

    let mut events = TcpStream::connect(&addr).unwrap();
    events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(events, "GET /__dars/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();

    // Connects and sends nothing.
    let start = Instant::now();
    let mut silent = TcpStream::connect(&addr).unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5)), "a silent connection is still open after 5 s");
    assert!(start.elapsed() >= Duration::from_millis(400), "closed before its time: {:?}", start.elapsed());

    // Sends its headers a byte every 100 ms: they would take 7 s.
    let mut slow = TcpStream::connect(&addr).unwrap();
    let mut writer = slow.try_clone().unwrap();
    let head = format!("GET /fr/index.html HTTP/1.1\r\nHost: {addr}\r\nX-Slow: {}\r\n\r\n", "x".repeat(10));
    std::thread::spawn(move || {
        for byte in head.bytes() {
            if writer.write_all(&[byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert!(closed_within(&mut slow, Duration::from_secs(3)), "a client sending its headers byte by byte is still served after 3 s");

    // The live-reload stream outlived three header timeouts and still gets events.
    let mut reader = BufReader::new(events);
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut edited = false;
    while !seen.contains("event: reload") {
        assert!(Instant::now() < deadline, "no reload event in:\n{seen}");
        if !edited && seen.contains("event: hello") {
            edit(&server.root.join("content/day-1/01-first.fr.md"), "title: \"Première leçon\"", "title: \"Leçon retouchée\"");
            edited = true;
        }
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the event stream was closed:\n{seen}");
        seen.push_str(&line);
    }
    assert_eq!(get(&addr, "/fr/index.html").0, 200, "a prompt client is served");
}

/// A line of /proc/PID/status, e.g. Threads or VmRSS, as a number.
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Sockets the process holds open: its listener and its connections.
fn sockets(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.flatten().filter(|e| fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))).count()).unwrap_or(0)
}

/// Opens `n` connections that send nothing, and waits (5 s at most) until the server has
/// accepted them all.
fn idle_connections(server: &Server, n: usize) -> Vec<TcpStream> {
    let pid = server.child.id();
    // Earlier requests' connections may still be closing: count from a steady state, and
    // keep the highest count seen (one of those closing late must not look like a refusal).
    let before = steady_sockets(pid);
    let idle: Vec<TcpStream> = (0..n).map(|_| TcpStream::connect(&server.addr).unwrap()).collect();
    let start = Instant::now();
    let mut most = sockets(pid);
    while most < before + n && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
        most = most.max(sockets(pid));
    }
    assert!(most >= before + n, "the server accepted {} of {n} connections", most.saturating_sub(before));
    idle
}

/// The process's socket count once two readings 200 ms apart agree (2 s at most).
fn steady_sockets(pid: u32) -> usize {
    let start = Instant::now();
    let mut last = sockets(pid);
    while start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(200));
        let now = sockets(pid);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

#[test]
fn idle_connections_take_no_threads_and_do_not_block_others() {
    let server = start();
    let pid = server.child.id();
    assert_eq!(get(&server.addr, "/fr/index.html").0, 200);
    let (threads, memory) = (proc_status(pid, "Threads"), proc_status(pid, "VmRSS"));

    let idle = idle_connections(&server, 300);
    let (busy_threads, busy_memory) = (proc_status(pid, "Threads"), proc_status(pid, "VmRSS"));
    eprintln!("dars serve: {threads} threads, {memory} kB; with 300 idle connections: {busy_threads} threads, {busy_memory} kB");
    assert!(busy_threads <= threads + 16, "300 idle connections took the server from {threads} to {busy_threads} threads");
    let (status, body) = get(&server.addr, "/fr/index.html");
    assert_eq!(status, 200, "a request among 300 idle connections: {body}");
    drop(idle);
}

#[test]
fn past_the_connection_bound_new_connections_are_told_503() {
    let server = start_with(&[("DARS_SERVE_MAX_CONNECTIONS", "20")]);
    let idle = idle_connections(&server, 20);
    let (status, body) = get(&server.addr, "/fr/index.html");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("too many open connections"), "{body}");

    // Closed connections free their places.
    drop(idle);
    wait_for(&server.addr, "/fr/index.html", "a free connection", |s, _| s == 200);
}

/// Reads server-sent events from `addr` on a thread; their text so far is in the result.
fn listen(addr: &str) -> Arc<Mutex<String>> {
    let mut events = TcpStream::connect(addr).unwrap();
    write!(events, "GET /__dars/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let into = Arc::clone(&seen);
    std::thread::spawn(move || {
        for line in BufReader::new(events).lines().map_while(Result::ok) {
            into.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    seen
}

/// A theme edit (a line of CSS) tells the tabs to reload as soon as the pages are made, and
/// the PDFs follow apart, later: the reload does not wait for typesetting. A PDF asked for
/// meanwhile is answered (it waits for the new one). A lesson edit too: pages, then handouts.
#[test]
fn a_css_edit_reloads_the_pages_before_the_pdfs_are_typeset() {
    let server = start();
    let addr = &server.addr;
    server.wait_log("the first handouts", 0, |l| l.starts_with("handouts: rebuilt"));
    let events = listen(addr);
    let start = Instant::now();
    while !events.lock().unwrap().contains("event: hello") {
        assert!(start.elapsed() < Duration::from_secs(10), "no hello event");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The PDFs of the start may be announced still: only events after the edit count.
    std::thread::sleep(Duration::from_millis(300));
    let before = events.lock().unwrap().len();
    let from = server.log().len();
    let css = server.root.join("themes/default/static/style.css");
    fs::write(&css, fs::read_to_string(&css).unwrap() + "\n.edited-by-the-test { color: red }\n").unwrap();

    // The first reload comes before any PDF is typeset.
    let start = Instant::now();
    let reload = loop {
        let seen = events.lock().unwrap()[before..].to_string();
        if let Some(line) = seen.lines().skip_while(|l| *l != "event: reload").nth(1) {
            break line.to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no reload event:\n{seen}");
        std::thread::sleep(Duration::from_millis(10));
    };
    // (A copied file such as the style sheet is not listed: an empty list reloads every tab.)
    assert!(!reload.contains(".pdf"), "the reload waits for no PDF: {reload}");
    let (status, pdf) = request(addr, "GET", "/fr/day-1/handout/day-1-learner-fr.pdf");
    assert!(status == 200 && pdf.starts_with("%PDF"), "a PDF asked for during typesetting is answered: {status}");
    assert!(get(addr, "/static/style.css").1.contains(".edited-by-the-test"), "the new style sheet is served");

    // In the terminal: the pages were rebuilt, then the handouts, in that order.
    let pages = server.wait_log("the pages rebuilt", from, |l| l.contains("style.css: rebuilt (full)"));
    let handouts = server.wait_log("the handouts typeset", from, |l| l.starts_with("handouts: rebuilt"));
    assert!(pages < handouts, "{:?}", server.log());

    // A lesson edit likewise: its pages, then its day's handouts, which show the edit.
    let from = handouts + 1;
    edit(&server.root.join("content/day-1/01-first.fr.md"), "title: \"Première leçon\"", "title: \"Leçon retouchée\"");
    let pages = server.wait_log("the lesson's pages", from, |l| l.contains("01-first.fr.md: rebuilt (lesson)"));
    let handouts = server.wait_log("the day's handouts", from, |l| l.starts_with("handouts: rebuilt"));
    assert!(pages < handouts, "{:?}", server.log());
    wait_for(addr, "/fr/day-1/handout/learner.html", "the edited handout", |s, b| s == 200 && b.contains("Leçon retouchée"));
}

/// The text of the warnings notice in the page, or null.
async fn notice_text(b: &support::Browser) -> serde_json::Value {
    b.js("const n = document.getElementById('dars-warnings'); return n ? n.innerText : null;").await
}

/// Waits (at most 20 s) for the warnings notice to show `want`; returns its text.
async fn wait_notice(b: &support::Browser, want: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(text) = notice_text(b).await.as_str()
            && text.contains(want)
        {
            return text.to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no warning notice with {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `--drafts`: a draft lesson is shown with a banner in each language, under the theme's
/// label. Warnings (a file no lesson uses) are printed once in the terminal and shown in the
/// page as a notice that can be dismissed, and that comes back for a new warning only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_are_a_dismissible_notice_and_drafts_have_a_banner() {
    let server = start_site(&[], &["--drafts"], |root| {
        fs::write(root.join("content/day-1/oubli.txt"), "personne ne me lit").unwrap();
        let draft = root.join("content/day-2/01-third.fr.md");
        fs::write(&draft, fs::read_to_string(&draft).unwrap().replacen("order: 1\n", "order: 1\ndraft: true\n", 1)).unwrap();
    });
    let site = support::Site::at(format!("http://{}/", server.addr));
    let root = server.root.clone();
    let server = Arc::new(server);
    let log = Arc::clone(&server);
    support::with_browser_on(site, 1280, 900, move |b| async move {
        // The draft, with its banner, in French and in Arabic; a published lesson has none.
        for (lang, label) in [("fr", "Brouillon"), ("ar", "مسودة")] {
            b.open(&format!("{lang}/day-2/third/index.html")).await;
            let banner = b.js("const e = document.querySelector('.draft-banner'); if (!e) return null; const r = e.getBoundingClientRect(); return [e.innerText, r.width > 0 && r.height > 0, getComputedStyle(e).display];").await;
            assert!(banner[0].as_str().is_some_and(|t| t.contains(label)) && banner[1] == true && banner[2] != "none", "{lang}: {banner}");
        }
        b.open("fr/day-1/first/index.html").await;
        assert!(b.js("return document.querySelector('.draft-banner') === null").await == true, "a published lesson has no banner");

        // The warning, shown; dismissed, it stays away through a reload.
        let text = wait_notice(&b, "oubli.txt").await;
        assert!(text.contains("no lesson uses this file"), "{text}");
        b.client.find(fantoccini::Locator::Css("#dars-warnings-dismiss")).await.unwrap().click().await.unwrap();
        assert_eq!(notice_text(&b).await, serde_json::Value::Null, "dismissed");
        b.open("fr/day-1/first/index.html").await;
        let start = Instant::now();
        while b.js("return document.documentElement.getAttribute('data-dars-warnings')").await.is_null() {
            assert!(start.elapsed() < Duration::from_secs(20), "the reloaded page never heard of the warnings");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(notice_text(&b).await, serde_json::Value::Null, "a dismissed warning stays dismissed");

        // A new warning brings the notice back, with the new warning only.
        fs::write(root.join("content/day-1/autre.txt"), "moi non plus").unwrap();
        let text = wait_notice(&b, "autre.txt").await;
        assert!(!text.contains("oubli.txt"), "{text}");
    })
    .await;
    let printed = log.log().iter().filter(|l| l.contains("oubli.txt: warning: no lesson uses this file")).count();
    assert_eq!(printed, 1, "each warning once in the terminal:\n{}", log.log().join("\n"));
}
