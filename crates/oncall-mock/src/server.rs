//! The generic mock server: one listener on 127.0.0.1, an [`Api`] behind it, the faults
//! and counters a test holds through [`MockServer`].

use crate::faults::{Fault, Faults};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as an [`Api`] sees it.
#[derive(Debug, Clone, Default)]
pub struct MockRequest {
    /// `GET`, `POST`...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Query pairs in order, percent-decoded (`statuses[]` stays as given).
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The fault the server picked for this request that the API must render itself
    /// (`WrongShape`, `ErrorBody200`, `EndlessPages`), if any.
    pub fault: Option<Fault>,
    /// Whether to reflect the credential into names and messages.
    pub echo_canary: bool,
}

impl MockRequest {
    /// A `GET path?query` with `authorization`, as a test of an [`Api`] builds it.
    pub fn get(path: &str, query: &[(&str, &str)], authorization: &str) -> Self {
        let mut r = MockRequest {
            method: "GET".into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            ..MockRequest::default()
        };
        r.headers
            .insert("authorization".into(), authorization.to_owned());
        r
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `name` (`statuses[]=a&statuses[]=b`).
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `Authorization` header, if any.
    pub fn authorization(&self) -> Option<&str> {
        self.headers.get("authorization").map(String::as_str)
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct MockAnswer {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl MockAnswer {
    /// A JSON answer.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }
}

/// A vendor API the server runs.
pub trait Api: Send + Sync + 'static {
    /// The route name of a request (`services`, `schedules.get`), for counters and faults;
    /// `None` for a path the API does not serve (answered 404 by [`Api::error`]).
    fn route(&self, req: &MockRequest) -> Option<&'static str>;
    /// Whether the request carries an accepted credential.
    fn authorized(&self, req: &MockRequest) -> bool;
    /// The vendor's error answer for `status` with `message`.
    fn error(&self, status: u16, message: &str, req: &MockRequest) -> MockAnswer;
    /// The answer of an authorized request on a known route.
    fn answer(&self, route: &'static str, req: &MockRequest) -> MockAnswer;
}

/// Requests counted per route.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Requests per route name (`?` for unknown paths).
    pub routes: BTreeMap<String, u64>,
    /// Every request.
    pub total: u64,
}

impl Stats {
    /// Requests of `route`.
    pub fn route(&self, route: &str) -> u64 {
        self.routes.get(route).copied().unwrap_or(0)
    }
}

struct State {
    faults: Faults,
    /// Per route fault: matching requests seen, times fired.
    seen: Vec<(u64, u64)>,
    stats: Stats,
}

struct Shared {
    api: Box<dyn Api>,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running mock; dropping it stops the server.
pub struct MockServer {
    base: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// Starts `api` on 127.0.0.1 (a port the system picks) with `faults`.
    pub async fn start(api: impl Api, faults: Faults) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let seen = vec![(0, 0); faults.routes.len()];
        let shared = Arc::new(Shared {
            api: Box::new(api),
            state: Mutex::new(State {
                faults,
                seen,
                stats: Stats::default(),
            }),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Self { base, shared, task })
    }

    /// `http://127.0.0.1:port`, no trailing slash.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    /// Replaces the faults (from the next request on).
    pub fn set_faults(&self, faults: Faults) {
        let mut s = self.shared.lock();
        s.seen = vec![(0, 0); faults.routes.len()];
        s.faults = faults;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let shared = shared.clone();
                async move { serve(shared, req).await }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, io::Error>;

fn request_of(req: &Request<Incoming>) -> MockRequest {
    let query = req
        .uri()
        .query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect()
        })
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    MockRequest {
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        query,
        headers,
        fault: None,
        echo_canary: false,
    }
}

/// Percent-decoding of one query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fault that fires for this request of `route`, bookkeeping included.
fn pick_fault(state: &mut State, route: &str) -> Option<Fault> {
    let State { faults, seen, .. } = state;
    for (i, rf) in faults.routes.iter().enumerate() {
        if rf.route != "*" && rf.route != route {
            continue;
        }
        let (matched, fired) = &mut seen[i];
        *matched += 1;
        if *matched <= rf.after || rf.times.is_some_and(|t| *fired >= t) {
            continue;
        }
        *fired += 1;
        return Some(rf.fault.clone());
    }
    None
}

async fn serve(shared: Arc<Shared>, req: Request<Incoming>) -> io::Result<Response<Body>> {
    let mut request = request_of(&req);
    let route = shared.api.route(&request);
    let (fault, latency, echo) = {
        let mut s = shared.lock();
        s.stats.total += 1;
        *s.stats
            .routes
            .entry(route.unwrap_or("?").to_owned())
            .or_default() += 1;
        let fault = route.and_then(|r| pick_fault(&mut s, r));
        (fault, s.faults.latency_ms, s.faults.echo_canary)
    };
    request.echo_canary = echo;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let answer = match (route, fault) {
        (None, _) => shared.api.error(404, "not found", &request),
        (Some(_), _) if !shared.api.authorized(&request) => {
            shared.api.error(401, "unauthorized", &request)
        }
        (Some(route), Some(fault)) => render_fault(&shared, route, fault, request).await,
        (Some(route), None) => shared.api.answer(route, &request),
    };
    Ok(to_response(answer))
}

async fn render_fault(
    shared: &Shared,
    route: &'static str,
    fault: Fault,
    mut request: MockRequest,
) -> MockAnswer {
    let api = &shared.api;
    match fault {
        Fault::Status(code) => api.error(code, "injected failure", &request),
        Fault::RateLimited { retry_after_secs } => {
            let mut a = api.error(429, "rate limit exceeded", &request);
            a.headers
                .push(("retry-after".into(), retry_after_secs.to_string()));
            a
        }
        Fault::Hang { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            api.answer(route, &request)
        }
        Fault::NotJson => MockAnswer {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html><body>Maintenance</body></html>".to_vec(),
        },
        Fault::Truncated => {
            let mut a = api.answer(route, &request);
            a.body.truncate(a.body.len() / 2);
            a
        }
        Fault::Huge { bytes } => {
            let mut body = Vec::with_capacity(bytes + 16);
            body.extend_from_slice(b"{\"pad\":\"");
            body.resize(bytes, b'x');
            body.extend_from_slice(b"\"}");
            MockAnswer {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            }
        }
        f @ (Fault::WrongShape | Fault::ErrorBody200 | Fault::EndlessPages) => {
            request.fault = Some(f);
            api.answer(route, &request)
        }
    }
}

fn to_response(answer: MockAnswer) -> Response<Body> {
    let mut builder = Response::builder().status(answer.status);
    for (k, v) in &answer.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = Full::new(Bytes::from(answer.body))
        .map_err(|never| match never {})
        .boxed();
    builder.body(body).unwrap_or_else(|_| {
        let empty = Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed();
        let mut r = Response::new(empty);
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_decoded() {
        assert_eq!(decode("statuses%5B%5D"), "statuses[]");
        assert_eq!(decode("a+b%2Cc"), "a b,c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
    }
}
