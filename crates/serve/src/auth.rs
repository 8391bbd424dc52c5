//! Who may read: a bearer token (`EVIDENT_SERVE_TOKEN`), compared in constant time, on
//! everything but `/healthz`; and the read-only guard (only GET and HEAD).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The access rule: a token every request but `/healthz` must carry, or none (open).
#[derive(Clone)]
pub struct AuthPolicy {
    token: Option<Arc<str>>,
}

impl std::fmt::Debug for AuthPolicy {
    // Never the token itself, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPolicy")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl AuthPolicy {
    /// Requests must carry `Authorization: Bearer <token>`.
    pub fn token(token: &str) -> Self {
        Self {
            token: Some(Arc::from(token)),
        }
    }

    /// Anyone who reaches the address may read (the binary allows it on loopback, or with
    /// `--insecure-no-auth`).
    pub fn open() -> Self {
        Self { token: None }
    }

    /// Whether a token is required.
    pub fn requires_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether the `Authorization` header value carries the token; constant time in the
    /// token's bytes.
    fn admits(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let Some(given) = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
        else {
            return false;
        };
        given.as_bytes().ct_eq(expected.as_bytes()).into()
    }
}

/// Whether `addr` is reachable from this machine only (127.0.0.0/8, ::1).
pub fn is_loopback_listen(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Refuses a request without the token (401 with `WWW-Authenticate: Bearer`), except
/// `/healthz`, which probes and load balancers call without one.
pub(crate) async fn require_token(
    State(policy): State<AuthPolicy>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == "/healthz"
        || policy.admits(request.headers().get(header::AUTHORIZATION))
    {
        return next.run(request).await;
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "401 unauthorized: send Authorization: Bearer <EVIDENT_SERVE_TOKEN>\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"evident\""),
    );
    response
}

/// Answers 405 to anything but GET and HEAD, whatever the path: the server changes
/// nothing.
pub(crate) async fn read_only(request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        "405 method not allowed: evident serve is read-only\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_is_admitted() {
        let p = AuthPolicy::token("s3cret");
        let h = |s: &str| HeaderValue::from_str(s).ok();
        assert!(p.admits(h("Bearer s3cret").as_ref()));
        assert!(!p.admits(h("Bearer s3cre").as_ref()));
        assert!(!p.admits(h("Bearer s3cret2").as_ref()));
        assert!(!p.admits(h("Basic s3cret").as_ref()));
        assert!(!p.admits(None));
        assert!(AuthPolicy::open().admits(None));
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn loopback_is_told_apart() {
        let a = |s: &str| s.parse::<SocketAddr>().expect("addr");
        assert!(is_loopback_listen(&a("127.0.0.1:8080")));
        assert!(is_loopback_listen(&a("[::1]:8080")));
        assert!(!is_loopback_listen(&a("0.0.0.0:8080")));
        assert!(!is_loopback_listen(&a("10.1.2.3:8080")));
    }
}
