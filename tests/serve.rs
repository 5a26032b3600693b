//! `dars serve` as an author uses it: start it on a free port against a copy of a site,
//! edit, add, break and fix lessons, and watch what the browser would get.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &root.join("content"));
    copy_tree(&theme_dir(), &root.join("themes/default"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dars"))
        .args(["serve", "--port", "0", "--root", root.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dars serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("dars serve prints its address").unwrap();
        if let Some(rest) = line.strip_prefix("serving on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr, _dir: dir, root }
}

/// A raw HTTP/1.1 request; returns (status, body).
fn request(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
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
    assert!(status.contains("01-first.fr.md") && status.contains("\"line\":4"), "{status}");
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
    for (path, ty) in [("/static/style.css", "text/css"), ("/sitemap.xml", "application/xml"), ("/fr/day-1/handout/day-1-learner-fr.pdf", "application/pdf"), ("/static/fonts/NotoNaskhArabic-Regular.ttf", "font/ttf"), ("/fr/", "text/html")] {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
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
    write!(events, "GET /__dars/events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
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
