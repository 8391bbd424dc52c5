//! A fault-injecting HTTP proxy for end-to-end tests: it forwards every GET to a real
//! upstream (a real Prometheus, a fake Grafana, a fake Kubernetes API server) and, on
//! requests whose path starts with a chosen prefix, answers with a fault instead (a
//! status, a delay, a truncated or replaced body). It counts requests, so a test can
//! prove a probe stayed within its request budget.
//!
//! Plain threads and blocking sockets, no async runtime: it serves the built binary,
//! which runs in its own process. Upstream requests are sent as HTTP/1.0 so the answer
//! is never chunked and ends with the connection; each answer goes back with its own
//! Content-Length and `Connection: close`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A body computed per request from the request target (path and query).
pub type BodyFn = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// What the proxy does to a request on the faulted prefix.
#[derive(Clone)]
pub enum Fault {
    /// Forward it untouched.
    None,
    /// Answer with this status, content type, body and optional `Retry-After`.
    Status {
        /// HTTP status code.
        code: u16,
        /// Content-Type header.
        content_type: &'static str,
        /// The body.
        body: String,
        /// A `Retry-After` header value.
        retry_after: Option<String>,
    },
    /// Forward it after this delay (past the client's request timeout: a timeout).
    Delay(Duration),
    /// Forward it, then cut the upstream body to half its length (announced so).
    Truncate,
    /// Answer 200 with a JSON body computed from the request target.
    Body(BodyFn),
}

impl Fault {
    /// A JSON answer with `code`.
    pub fn status(code: u16, body: &str) -> Self {
        Self::Status {
            code,
            content_type: "application/json",
            body: body.to_owned(),
            retry_after: None,
        }
    }

    /// A JSON 200 answer with a fixed body.
    pub fn body(body: &str) -> Self {
        let body = body.as_bytes().to_vec();
        Self::Body(Arc::new(move |_| body.clone()))
    }
}

/// A running proxy; it serves until the test process ends.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<AtomicUsize>,
    faulted: Arc<AtomicUsize>,
    setting: Arc<Mutex<(String, Fault)>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:9090`) that injects nothing yet.
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let requests = Arc::new(AtomicUsize::new(0));
        let faulted = Arc::new(AtomicUsize::new(0));
        let setting = Arc::new(Mutex::new((String::new(), Fault::None)));
        let (r, f, s) = (
            Arc::clone(&requests),
            Arc::clone(&faulted),
            Arc::clone(&setting),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (upstream, r, f, s) = (
                    upstream.clone(),
                    Arc::clone(&r),
                    Arc::clone(&f),
                    Arc::clone(&s),
                );
                std::thread::spawn(move || handle(stream, &upstream, &r, &f, &s));
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            faulted,
            setting,
        }
    }

    /// Injects `fault` on every request whose path starts with `prefix` from now on, and
    /// resets the counters.
    pub fn inject(&self, prefix: &str, fault: Fault) {
        *self.setting.lock().expect("proxy setting") = (prefix.to_owned(), fault);
        self.requests.store(0, Ordering::Relaxed);
        self.faulted.store(0, Ordering::Relaxed);
    }

    /// Requests seen since the last [`Self::inject`].
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests that got the fault since the last [`Self::inject`].
    pub fn faulted(&self) -> usize {
        self.faulted.load(Ordering::Relaxed)
    }
}

fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn handle(
    mut client: TcpStream,
    upstream: &str,
    requests: &AtomicUsize,
    faulted: &AtomicUsize,
    setting: &Mutex<(String, Fault)>,
) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    requests.fetch_add(1, Ordering::Relaxed);
    let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let (prefix, fault) = setting.lock().expect("proxy setting").clone();
    let fault = if !prefix.is_empty() && path.starts_with(&prefix) {
        faulted.fetch_add(1, Ordering::Relaxed);
        fault
    } else {
        Fault::None
    };
    let answer = match fault {
        Fault::Status {
            code,
            content_type,
            body,
            retry_after,
        } => {
            let extra = retry_after
                .map(|r| format!("Retry-After: {r}\r\n"))
                .unwrap_or_default();
            (code, content_type.to_owned(), extra, body.into_bytes())
        }
        Fault::Body(f) => (
            200,
            "application/json".to_owned(),
            String::new(),
            f(&target),
        ),
        Fault::Delay(d) => {
            std::thread::sleep(d);
            forward(&head, upstream)
        }
        Fault::Truncate => {
            let (code, ct, extra, mut body) = forward(&head, upstream);
            body.truncate(body.len() / 2);
            (code, ct, extra, body)
        }
        Fault::None => forward(&head, upstream),
    };
    let (code, content_type, extra, body) = answer;
    let out = format!(
        "HTTP/1.1 {code} Status\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = client.write_all(out.as_bytes());
    let _ = client.write_all(&body);
    let _ = client.flush();
}

/// Sends the request upstream (as HTTP/1.0, headers kept but Host and Connection) and
/// returns its status, content type and body.
fn forward(head: &str, upstream: &str) -> (u16, String, String, Vec<u8>) {
    let bad = |why: &str| {
        (
            502,
            "text/plain".to_owned(),
            String::new(),
            why.as_bytes().to_vec(),
        )
    };
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return bad("upstream refused");
    };
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let target = first.split(' ').nth(1).unwrap_or("/");
    let mut request = format!("GET {target} HTTP/1.0\r\nHost: {upstream}\r\n");
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name != "host" && name != "connection" {
            request.push_str(line);
            request.push_str("\r\n");
        }
    }
    request.push_str("\r\n");
    if up.write_all(request.as_bytes()).is_err() {
        return bad("upstream write failed");
    }
    let mut raw = Vec::new();
    if up.read_to_end(&mut raw).is_err() {
        return bad("upstream read failed");
    }
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return bad("upstream answered no head");
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(502);
    let content_type = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or("application/json".to_owned(), |(_, v)| v.trim().to_owned());
    (code, content_type, String::new(), body)
}
