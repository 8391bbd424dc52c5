//! The state the handlers share, its cache of parsed results, and the routes.

use crate::auth::{AuthPolicy, read_only, require_token};
use crate::{ScanRecord, ScanStats, ScanStore, ServeError};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use evident_core::ScanResult;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The most parsed results kept in memory; past it the cache starts over.
const CACHE_LIMIT: usize = 256;

/// What every handler reads.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The history.
    pub store: Arc<dyn ScanStore>,
    /// The scheduler's counters.
    pub stats: Arc<ScanStats>,
    /// How many stored scans the trends and lists cover.
    pub trend_scans: u32,
    /// The page templates.
    pub pages: Arc<minijinja::Environment<'static>>,
    /// Parsed results by scan id: a stored result never changes, so it is parsed once.
    cache: Arc<Mutex<HashMap<String, Arc<ScanResult>>>>,
}

/// A request that could not be answered, as the reader sees it.
pub(crate) enum AppError {
    /// The store did not answer: 503, never "no scans".
    Store(String),
    /// Nothing by that name.
    NotFound(String),
    /// A template failed to render (a bug of this build).
    Render(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Self::Store(e) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("503: the history store did not answer: {e}\n"),
            ),
            Self::NotFound(what) => (StatusCode::NOT_FOUND, format!("404: no {what}\n")),
            Self::Render(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("500: the page could not be rendered: {e}\n"),
            ),
        };
        (status, text).into_response()
    }
}

impl AppState {
    /// The state over `store`, with the page templates compiled.
    pub fn new(
        store: Arc<dyn ScanStore>,
        stats: Arc<ScanStats>,
        trend_scans: u32,
    ) -> Result<Self, ServeError> {
        Ok(Self {
            store,
            stats,
            trend_scans: trend_scans.max(1),
            pages: Arc::new(crate::pages::environment()?),
            cache: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The newest scans the page covers, newest first.
    pub async fn records(&self) -> Result<Vec<ScanRecord>, AppError> {
        self.store
            .list(self.trend_scans)
            .await
            .map_err(AppError::Store)
    }

    /// One scan's parsed result, from the cache when it was read before.
    pub async fn load(&self, id: &str) -> Result<Option<Arc<ScanResult>>, AppError> {
        if let Ok(cache) = self.cache.lock()
            && let Some(hit) = cache.get(id)
        {
            return Ok(Some(hit.clone()));
        }
        let Some(result) = self.store.load(id).await.map_err(AppError::Store)? else {
            return Ok(None);
        };
        let result = Arc::new(result);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(id.to_owned(), result.clone());
        }
        Ok(Some(result))
    }

    /// The successful scans among `records`, oldest first, with their results.
    pub async fn results(
        &self,
        records: &[ScanRecord],
    ) -> Result<Vec<(ScanRecord, Arc<ScanResult>)>, AppError> {
        let mut out = Vec::new();
        for r in records.iter().rev().filter(|r| r.ok) {
            if let Some(result) = self.load(&r.id).await? {
                out.push((r.clone(), result));
            }
        }
        Ok(out)
    }
}

/// Marks an HTML answer: no script may run, nothing is loaded from elsewhere.
pub(crate) fn html(body: String) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Every route, behind the token and the read-only guard.
pub(crate) fn routes(state: AppState, auth: AuthPolicy) -> Router {
    Router::new()
        .route("/", get(crate::pages::overview))
        .route("/scans", get(crate::pages::scans))
        .route("/services/{id}", get(crate::pages::service))
        .route("/metrics", get(crate::api::metrics))
        .route("/healthz", get(crate::api::healthz))
        .route("/api/scans", get(crate::api::scans))
        .route("/api/scans/{id}", get(crate::api::scan))
        .route("/api/services", get(crate::api::services))
        .route("/api/services/{id}/history", get(crate::api::history))
        .route("/api/diff/latest", get(crate::api::latest_diff))
        .with_state(state)
        .layer(from_fn_with_state(auth, require_token))
        .layer(from_fn(read_only))
}
