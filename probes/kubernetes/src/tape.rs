//! Recording a live cluster read into a snapshot, and replaying it from one.
//!
//! The seam is the tower service under `kube::Client`: every request the probe makes,
//! discovery included (which runs inside kube's `Discovery` and never passes through
//! the probe's own list code), goes through it. Recording wraps the real stack in
//! [`RecordLayer`], which sits outside kube's auth and base-URI layers: it sees the
//! request as a path and query, before any credential is attached, and the answer's
//! status, headers and body (buffered up to [`MAX_BODY_BYTES`]). Replaying builds the
//! client on [`ReplayService`], which answers from the tape and holds no connection,
//! no kubeconfig and no token.
//!
//! Failures before an answer are kept as a class and the probe's own message
//! ([`TapeError`]), so a replay gives the same failure as the recorded read: a request
//! abandoned at the probe's time bound (`timeout`), a transport failure (`transport`,
//! `transport_timeout`), a body beyond the bound (`too_large`).

use crate::read::{MAX_BODY_BYTES, classify_failure};
use evident_core::SourceStatus;
use evident_snapshot::{Answer, Replayed, Tape};
use kube::client::{Body, DynBody};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::BoxError;

/// The snapshot key of what the probe derived from the kubeconfig before any request.
pub(crate) const CONTEXT_KEY: &str = "value:context";

/// A failure before any answer, as recorded or replayed: the class says how the probe
/// reads it, the message is the detail it reports.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub(crate) struct TapeError {
    /// `timeout`, `transport`, `transport_timeout`, `too_large` or `not_recorded`.
    pub class: String,
    /// The detail, as the probe words it.
    pub message: String,
}

impl TapeError {
    /// The source status a failure of this class is reported with.
    pub(crate) fn status(&self) -> SourceStatus {
        match self.class.as_str() {
            "timeout" | "transport_timeout" => SourceStatus::Timeout,
            _ => SourceStatus::Error,
        }
    }

    /// Whether the request was abandoned at the probe's own time bound: the probe then
    /// words the timeout itself, as it does when its own bound expires.
    pub(crate) fn abandoned(&self) -> bool {
        self.class == "timeout"
    }
}

/// The tape's failure inside a kube error, when it is one.
pub(crate) fn tape_error(error: &kube::Error) -> Option<&TapeError> {
    match error {
        kube::Error::Service(e) => e.downcast_ref::<TapeError>(),
        _ => None,
    }
}

/// The request as the snapshot names it: the method, the path and query as sent, and
/// the representation asked for when the Accept header asks for one (`as=...`: the
/// same path is asked for aggregated and for legacy discovery, for a full list and
/// for a metadata-only list).
pub(crate) fn request_key<B>(request: &http::Request<B>) -> String {
    let uri = request.uri();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let variant = request
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .and_then(|a| {
            a.split([';', ','])
                .find_map(|p| p.trim().strip_prefix("as=").map(str::to_owned))
        });
    match variant {
        Some(v) => format!("{} {target} as={v}", request.method()),
        None => format!("{} {target}", request.method()),
    }
}

/// Wraps the real client stack so every answer is recorded under `source`.
#[derive(Clone)]
pub(crate) struct RecordLayer {
    /// Where answers go.
    pub tape: Tape,
    /// `kubernetes:<context>`.
    pub source: String,
}

impl<S> tower::Layer<S> for RecordLayer {
    type Service = RecordService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RecordService {
            inner,
            tape: self.tape.clone(),
            source: self.source.clone(),
        }
    }
}

/// The recording service: the real stack inside, each answer buffered and recorded.
pub(crate) struct RecordService<S> {
    inner: S,
    tape: Tape,
    source: String,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Records that a request got no answer when its future is dropped unfinished: the
/// probe abandoned it at its time bound (the only reason it drops one).
struct Pending {
    tape: Tape,
    source: String,
    key: String,
    done: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            self.tape.record_failure(
                &self.source,
                &self.key,
                "timeout",
                "no answer within the probe's time bound; the request was abandoned",
            );
        }
    }
}

/// A client error as kube hands it to the probe (kube's own conversion of a service
/// error), as the tape keeps it: the probe's classification and detail.
fn transport(error: BoxError) -> TapeError {
    let error = match error.downcast::<kube::Error>() {
        Ok(e) => *e,
        Err(e) => kube::Error::Service(e),
    };
    let (status, message) = classify_failure(&error);
    TapeError {
        class: if status == SourceStatus::Timeout {
            "transport_timeout".into()
        } else {
            "transport".into()
        },
        message,
    }
}

impl<S> tower::Service<http::Request<Body>> for RecordService<S>
where
    S: tower::Service<
            http::Request<Body>,
            Response = http::Response<Box<DynBody>>,
            Error = BoxError,
        >,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // Created here, not in the future: a future dropped before it is first polled
        // is abandoned all the same.
        let mut pending = Pending {
            tape: self.tape.clone(),
            source: self.source.clone(),
            key: request_key(&request),
            done: false,
        };
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = buffer(answer.await).await;
            pending.done = true;
            let (tape, source, key) = (&pending.tape, &pending.source, &pending.key);
            match result {
                Ok((parts, body)) => {
                    let headers: Vec<(&str, &str)> = parts
                        .headers
                        .iter()
                        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
                        .collect();
                    let answer = Answer {
                        status: parts.status.as_u16(),
                        headers: &headers,
                        body: &body,
                    };
                    tape.record_answer(source, key, answer);
                    Ok(http::Response::from_parts(parts, Body::from(body)))
                }
                Err(e) => {
                    tape.record_failure(source, key, &e.class, &e.message);
                    Err(BoxError::from(e))
                }
            }
        })
    }
}

/// The whole body of an answer, up to [`MAX_BODY_BYTES`].
async fn buffer(
    answer: Result<http::Response<Box<DynBody>>, BoxError>,
) -> Result<(http::response::Parts, Vec<u8>), TapeError> {
    use http_body_util::BodyExt as _;
    let (parts, mut body) = answer.map_err(transport)?.into_parts();
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(transport)?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > MAX_BODY_BYTES {
                return Err(TapeError {
                    class: "too_large".into(),
                    message: crate::read::too_large(),
                });
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok((parts, bytes))
}

/// Answers every request from the tape: the recorded status, kept headers and body, or
/// the recorded failure; a request never recorded fails (`not_recorded`).
#[derive(Clone)]
pub(crate) struct ReplayService {
    /// Where answers come from.
    pub tape: Tape,
    /// `kubernetes:<context>`.
    pub source: String,
}

impl ReplayService {
    fn answer(&self, request: &http::Request<Body>) -> Result<http::Response<Body>, TapeError> {
        let key = request_key(request);
        match self.tape.replay_answer(&self.source, &key) {
            Ok(Replayed::Response {
                status,
                headers,
                body,
                ..
            }) => {
                let mut response = http::Response::builder().status(status);
                for (name, value) in &headers {
                    response = response.header(name.as_str(), value.as_str());
                }
                response.body(Body::from(body)).map_err(|e| TapeError {
                    class: "transport".into(),
                    message: format!("the snapshot's answer to {key} is no HTTP answer: {e}"),
                })
            }
            Ok(Replayed::Failure { class, message }) => Err(TapeError { class, message }),
            Err(e) => Err(TapeError {
                class: "not_recorded".into(),
                message: e.to_string(),
            }),
        }
    }
}

impl tower::Service<http::Request<Body>> for ReplayService {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = std::future::Ready<Result<http::Response<Body>, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        std::future::ready(self.answer(&request).map_err(BoxError::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_the_path_query_and_representation() {
        let plain = http::Request::get("/api/v1/pods?limit=7").body(()).unwrap();
        assert_eq!(request_key(&plain), "GET /api/v1/pods?limit=7");
        let meta = http::Request::get("/api/v1/namespaces?limit=7")
            .header(
                "accept",
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
            )
            .body(())
            .unwrap();
        assert_eq!(
            request_key(&meta),
            "GET /api/v1/namespaces?limit=7 as=PartialObjectMetadataList"
        );
    }

    #[test]
    fn failure_classes_map_to_statuses() {
        let e = |class: &str| TapeError {
            class: class.into(),
            message: "m".into(),
        };
        assert_eq!(e("timeout").status(), SourceStatus::Timeout);
        assert!(e("timeout").abandoned());
        assert_eq!(e("transport_timeout").status(), SourceStatus::Timeout);
        assert!(!e("transport_timeout").abandoned());
        assert_eq!(e("not_recorded").status(), SourceStatus::Error);
    }
}
