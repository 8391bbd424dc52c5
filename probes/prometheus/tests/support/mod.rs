//! Test harness: a tiny HTTP server (scrape targets and API mocks) and a real Prometheus
//! started on a free 127.0.0.1 port with a temporary data directory.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A parsed request: path and decoded query parameters.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
}

/// A response: status, content type, body, and an optional delay before answering.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub delay: Option<Duration>,
    /// A `Retry-After` header value.
    pub retry_after: Option<&'static str>,
}

impl Response {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: body.into(),
            delay: None,
            retry_after: None,
        }
    }
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            status: 200,
            content_type: "text/plain; version=0.0.4",
            body: body.into(),
            delay: None,
            retry_after: None,
        }
    }
}

pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves `handler` on a free 127.0.0.1 port until the runtime ends; returns the port.
pub async fn serve(handler: Handler) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let mut lines = head.lines();
                let target = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or("/")
                    .to_owned();
                let authorization = lines
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v.trim().to_owned());
                let (path, q) = target.split_once('?').unwrap_or((&target, ""));
                let query = q
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (decode(k), decode(v))
                    })
                    .collect();
                let resp = handler(Request {
                    path: path.to_owned(),
                    query,
                    authorization,
                });
                if let Some(d) = resp.delay {
                    tokio::time::sleep(d).await;
                }
                let retry = resp
                    .retry_after
                    .map(|r| format!("Retry-After: {r}\r\n"))
                    .unwrap_or_default();
                let reason = match resp.status {
                    200 => "OK",
                    401 => "Unauthorized",
                    503 => "Service Unavailable",
                    _ => "Status",
                };
                let out = format!(
                    "HTTP/1.1 {} {reason}\r\n{retry}Content-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    resp.status,
                    resp.content_type,
                    resp.body.len(),
                    resp.body
                );
                let _ = sock.write_all(out.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    port
}

/// A free port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The Prometheus binary, or a failure that names the missing package.
pub fn prometheus_bin() -> PathBuf {
    if let Ok(p) = std::env::var("EVIDENT_PROMETHEUS_BIN") {
        return PathBuf::from(p);
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join("prometheus");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "the `prometheus` binary is missing: install the Debian package `prometheus` \
         (apt-get install -y prometheus; scripts/test does this) to run the real-server tests"
    );
}

/// A running Prometheus, killed on drop.
pub struct Prometheus {
    pub url: String,
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts Prometheus with `config` (the placeholder `RULES` is replaced by the rule
/// file's path) and `rules`, and waits until it answers.
pub async fn start_prometheus(config: &str, rules: &str) -> Prometheus {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules_path = dir.path().join("rules.yml");
    std::fs::write(&rules_path, rules).expect("write rules");
    let config = config.replace("RULES", &rules_path.display().to_string());
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).expect("write config");
    let port = closed_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
    let child = tokio::process::Command::new(prometheus_bin())
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("start prometheus");
    let p = Prometheus {
        url: format!("http://127.0.0.1:{port}"),
        child,
        _dir: dir,
    };
    let log_path = p._dir.path().join("prometheus.log");
    wait_for(Duration::from_secs(60), "Prometheus to answer", || async {
        get_json(&format!("{}/-/ready", p.url)).await.is_some() || ready_text(&p.url).await
    })
    .await
    .unwrap_or_else(|e| {
        panic!(
            "{e}; log: {}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        )
    });
    p
}

async fn ready_text(url: &str) -> bool {
    reqwest::get(format!("{url}/-/ready"))
        .await
        .is_ok_and(|r| r.status().is_success())
}

pub async fn get_json(url: &str) -> Option<serde_json::Value> {
    reqwest::get(url).await.ok()?.json().await.ok()
}

/// Polls `check` until it holds or `limit` passes (then an error naming `what`).
pub async fn wait_for<F, Fut>(limit: Duration, what: &str, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("gave up waiting for {what} after {limit:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How one part of the first server's read went (its source report's `parts`).
pub fn part(out: &evident_core::ProbeOutput, name: &str) -> evident_core::PartReport {
    out.sources
        .first()
        .and_then(|s| s.parts.get(name))
        .cloned()
        .unwrap_or_else(|| panic!("no part {name} in {:?}", out.sources))
}

/// A part as JSON (`status`, `detail`, `incomplete`).
pub fn part_json(out: &evident_core::ProbeOutput, name: &str) -> serde_json::Value {
    serde_json::to_value(part(out, name)).unwrap_or_default()
}

/// A part's detail as JSON (a string, or null).
pub fn json_detail(out: &evident_core::ProbeOutput, name: &str) -> serde_json::Value {
    part_json(out, name)["detail"].clone()
}
