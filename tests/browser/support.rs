//! What the browser tests stand on: the shipped site built by the real `dars` binary, a tiny
//! static HTTP server for it on 127.0.0.1, and headless Chromium driven through chromedriver.
//!
//! Every test gets its own site, server, chromedriver and browser profile, and tears all of
//! them down when it ends, also when it fails.

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Chromium binary (`DARS_CHROMIUM` overrides it) and the chromedriver one
/// (`DARS_CHROMEDRIVER`, else `chromedriver` from PATH).
fn chromium_binary() -> String {
    std::env::var("DARS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}
fn chromedriver_binary() -> String {
    std::env::var("DARS_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())
}

// ---------------------------------------------------------------------------------------
// The site and its server
// ---------------------------------------------------------------------------------------

/// The shipped site, built into a temporary folder, served over HTTP.
pub struct Site {
    pub base: String,
    _server: Option<Server>,
    _dir: Option<tempfile::TempDir>,
}

impl Site {
    pub fn build() -> Site {
        let root = project_root();
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("output");
        let result = Command::new(env!("CARGO_BIN_EXE_dars"))
            .arg("build")
            .arg("--content")
            .arg(root.join("content"))
            .arg("--theme")
            .arg(root.join("themes/default"))
            .arg("--output")
            .arg(&output)
            .output()
            .expect("the dars binary runs");
        assert!(result.status.success(), "dars build failed:\n{}", String::from_utf8_lossy(&result.stderr));
        Site::serve(dir, output)
    }

    /// Serves `output` (a folder below `dir`, kept as long as the site) over HTTP; a missing
    /// file gets the site's `404.html` with status 404, as web servers are set up to do.
    pub fn serve(dir: tempfile::TempDir, output: PathBuf) -> Site {
        let server = Server::start(output);
        let base = format!("http://127.0.0.1:{}/", server.port);
        Site { base, _server: Some(server), _dir: Some(dir) }
    }

    /// A site served by someone else (`dars serve`), at `base` (ending in `/`).
    #[allow(dead_code)]
    pub fn at(base: String) -> Site {
        Site { base, _server: None, _dir: None }
    }

    /// The built site's folder (to open its pages from `file://`; tests/search.rs).
    #[allow(dead_code)]
    pub fn output(&self) -> PathBuf {
        self._dir.as_ref().expect("a site built here").path().join("output")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }
}

/// A static file server: one thread accepting, one short-lived thread per connection,
/// `Connection: close`. Directories answer with their `index.html`.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let root = Arc::new(root);
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve_one(&root, stream);
                });
            }
        });
        Server { port, stop, thread: Some(thread) }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, "405 Method Not Allowed", "text/plain", b"method not allowed", false);
    }
    let path = percent_decode(target.split(['?', '#']).next().unwrap_or("/"));
    let Some(file) = resolve(root, &path) else {
        let body = std::fs::read(root.join("404.html")).unwrap_or_else(|_| b"not found".to_vec());
        return respond(&mut stream, "404 Not Found", "text/html; charset=utf-8", &body, method == "HEAD");
    };
    let body = std::fs::read(&file)?;
    // Pages are asked again on every visit; the files they use (CSS, fonts, images) are kept
    // by the browser for a while, as a static host lets it: what a second page costs.
    let cache = if content_type(&file).starts_with("text/html") { "no-store" } else { "max-age=3600" };
    respond_cached(&mut stream, "200 OK", content_type(&file), &body, method == "HEAD", cache)
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8], head: bool) -> std::io::Result<()> {
    respond_cached(stream, status, kind, body, head, "no-store")
}

fn respond_cached(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8], head: bool, cache: &str) -> std::io::Result<()> {
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: {cache}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    // Drain what the client may still send so that closing does not reset the connection.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = stream.read(&mut [0u8; 512]);
    Ok(())
}

/// The file a URL path names below `root`; `None` when missing or escaping the root.
/// A first folder named `~anything` is a second mount of the whole site: its URLs are new
/// to the browser's cache, so a test can view a page as on a first visit (every link of the
/// site is relative, so the pages it leads to stay below that mount).
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut file = root.to_path_buf();
    let mut url_path = url_path.trim_start_matches('/');
    if url_path.starts_with('~') {
        url_path = url_path.split_once('/').map_or("", |(_, rest)| rest);
    }
    for component in Path::new(url_path).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------
// chromedriver and the browser
// ---------------------------------------------------------------------------------------

/// A running chromedriver, in a process group of its own so that the browser it starts
/// goes with it.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let binary = chromedriver_binary();
        let mut last_error = String::new();
        // A free port can be taken between the probe and chromedriver's bind: try a few.
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(&binary)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn();
            let child = match child {
                Ok(child) => child,
                Err(e) => panic!(
                    "cannot start chromedriver ({binary}): {e}.\nThe browser tests need Chromium and its driver: \
                     `apt-get install chromium chromium-driver` (scripts/test.sh installs them), or set \
                     DARS_CHROMEDRIVER / DARS_CHROMIUM to their paths."
                ),
            };
            let mut driver = Driver { child, port };
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    last_error = format!("chromedriver exited with {status}");
                    break;
                }
                if driver.ready() {
                    return driver;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if last_error.is_empty() {
                last_error = "chromedriver did not answer on its port within 15 s".into();
            }
        }
        panic!("cannot start chromedriver ({binary}): {last_error}");
    }

    /// `GET /status` answers with `"ready": true`.
    fn ready(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", self.port);
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.contains("\"ready\":true") || answer.contains("\"ready\": true")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser process it left behind.
        let pgid = self.child.id();
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The arguments Chromium runs with.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A browser window on the site: what a test gets.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    pub site: Arc<Site>,
}

/// Builds the site, starts chromedriver and a headless Chromium with a fresh profile, runs
/// `test` with a window of `width` × `height` CSS pixels, and then closes everything, also
/// when `test` panics (the panic is passed on).
pub async fn with_browser<F, Fut>(width: u32, height: u32, test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    with_browser_on(Site::build(), width, height, test).await
}

/// As `with_browser`, on a site served by the caller (`Site::serve`).
pub async fn with_browser_on<F, Fut>(site: Site, width: u32, height: u32, test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let site = Arc::new(site);
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    args.push(format!("--window-size={width},{height}"));
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("pageLoadStrategy".into(), json!("normal"));
    caps.insert("goog:chromeOptions".into(), json!({ "binary": chromium_binary(), "args": args }));
    let client = ClientBuilder::rustls()
        .expect("TLS roots for the WebDriver client")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium ({}): {e}", chromium_binary()));
    client
        .update_timeouts(TimeoutConfiguration::new(Some(Duration::from_secs(60)), Some(Duration::from_secs(30)), None))
        .await
        .unwrap();
    let browser = Browser { client: client.clone(), site };
    browser.set_viewport(width, height).await;
    let outcome = CatchUnwind(Box::pin(test(browser))).await;
    let _ = client.close().await;
    drop(driver);
    drop(profile);
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}

/// A future that turns a panic while polling into an `Err`, so that the browser can be
/// closed before the test fails.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

impl Browser {
    /// Opens a page of the site by its path below the output folder.
    pub async fn open(&self, path: &str) {
        let url = self.site.url(path);
        self.client.goto(&url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        let state = self.js("return document.readyState").await;
        assert_eq!(state, "complete", "{url} did not finish loading");
    }

    /// Runs a script (a function body; `arguments` holds `args`) and returns its value.
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    pub async fn js(&self, script: &str) -> Value {
        self.js_with(script, vec![]).await
    }

    /// Runs an asynchronous script: it ends by calling `arguments[arguments.length - 1]`.
    pub async fn js_async(&self, script: &str) -> Value {
        self.client.execute_async(script, vec![]).await.unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
    }

    pub async fn current_path(&self) -> String {
        let url = self.client.current_url().await.unwrap().to_string();
        url.strip_prefix(&self.site.base).map(str::to_string).unwrap_or(url)
    }

    /// `[innerWidth, innerHeight]` once the browser has laid out a frame at the window's size.
    async fn inner_size(&self) -> Value {
        self.js_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done([window.innerWidth, window.innerHeight])));",
        )
        .await
    }

    /// Resizes the window so that the page's viewport (`innerWidth` × `innerHeight`) is
    /// `width` × `height`, whatever the window decorations take.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let (mut w, mut h) = (width, height);
        for _ in 0..3 {
            self.client.set_window_size(w, h).await.unwrap();
            let inner = self.inner_size().await;
            let (iw, ih) = (inner[0].as_u64().unwrap() as i64, inner[1].as_u64().unwrap() as i64);
            if iw == width as i64 && ih == height as i64 {
                return;
            }
            w = (w as i64 + width as i64 - iw).max(1) as u32;
            h = (h as i64 + height as i64 - ih).max(1) as u32;
        }
        let inner = self.js("return [window.innerWidth, window.innerHeight]").await;
        panic!("cannot get a {width}×{height} viewport: the page has {inner}");
    }

    /// Like `set_viewport`, for a window taller than the screen, whose height the browser
    /// may round: the width must be exact, the height at least `height`.
    pub async fn set_viewport_width(&self, width: u32, height: u32) {
        let (mut w, mut h) = (width, height);
        for _ in 0..6 {
            self.client.set_window_size(w, h).await.unwrap();
            let inner = self.inner_size().await;
            let (iw, ih) = (inner[0].as_i64().unwrap(), inner[1].as_i64().unwrap());
            if iw == width as i64 && ih >= height as i64 {
                return;
            }
            w = (w as i64 + width as i64 - iw).max(1) as u32;
            h = (h as i64 + (height as i64 - ih).max(0)) as u32;
        }
        let inner = self.js("return [window.innerWidth, window.innerHeight]").await;
        panic!("cannot get a viewport {width} px wide and at least {height} px high: the page has {inner}");
    }

    pub async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
        element.click().await.unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Waits until the URL's path below the site is `path` and the page has loaded.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let current = self.current_path().await;
            if current == path && self.js("return document.readyState").await == "complete" {
                return;
            }
            assert!(Instant::now() < deadline, "expected to reach {path}, still at {current}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
