//! The JSON API under `/api/`, `/metrics` and `/healthz`.

use crate::state::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use evident_core::ScanResult;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The most scans one `/api/scans` answer lists.
const MAX_LIST: u32 = 1000;

/// `/healthz`, without a token: 200 while the newest stored scans hold a success (or no
/// scan ran yet), 503 when every one of them failed or the store does not answer.
pub(crate) async fn healthz(State(state): State<AppState>) -> Response {
    let running = state
        .stats
        .running
        .load(std::sync::atomic::Ordering::SeqCst);
    let records = match state.store.list(state.trend_scans).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("healthz: the store did not answer: {e}");
            let body = json!({"status": "store_unavailable", "running": running});
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        }
    };
    let success = records.iter().find(|r| r.ok);
    let last = records.first();
    let (code, status) = match (last, success) {
        (None, _) => (StatusCode::OK, "no_scan_yet"),
        (Some(_), Some(_)) => (StatusCode::OK, "ok"),
        (Some(_), None) => (StatusCode::SERVICE_UNAVAILABLE, "failing"),
    };
    let body = json!({
        "status": status,
        "running": running,
        "last_success": success.map(|r| r.finished_at.clone()),
        "last_scan": last.map(|r| json!({"id": r.id, "finished_at": r.finished_at, "ok": r.ok})),
    });
    (code, Json(body)).into_response()
}

/// The newest successful result among the newest stored scans, with the records.
async fn latest(
    state: &AppState,
) -> Result<(Vec<crate::ScanRecord>, Option<std::sync::Arc<ScanResult>>), AppError> {
    let records = state.records().await?;
    let mut result = None;
    if let Some(r) = records.iter().find(|r| r.ok) {
        result = state.load(&r.id).await?;
    }
    Ok((records, result))
}

/// `/metrics`.
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let (records, result) = latest(&state).await?;
    let text = crate::metrics::render_metrics(result.as_deref(), &records, &state.stats);
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}

/// `?limit=N`.
#[derive(Deserialize)]
pub(crate) struct Limit {
    limit: Option<u32>,
}

/// `/api/scans`: the newest scans, failures included, newest first.
pub(crate) async fn scans(
    State(state): State<AppState>,
    Query(q): Query<Limit>,
) -> Result<Response, AppError> {
    let limit = q.limit.unwrap_or(state.trend_scans).clamp(1, MAX_LIST);
    let records = state.store.list(limit).await.map_err(AppError::Store)?;
    Ok(Json(json!({"schema": "evident/serve-scans/v1", "scans": records})).into_response())
}

/// `/api/scans/{id}`: the stored result, byte for byte (`latest` for the newest success).
pub(crate) async fn scan(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = if id == "latest" {
        let records = state.records().await?;
        match records.into_iter().find(|r| r.ok) {
            Some(r) => r.id,
            None => return Err(AppError::NotFound("successful scan yet".into())),
        }
    } else {
        id
    };
    match state.store.load_json(&id).await.map_err(AppError::Store)? {
        Some(text) => Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response()),
        None => Err(AppError::NotFound(format!("scan {id}"))),
    }
}

/// A service with its levels, as `/api/services` lists it.
#[derive(Serialize)]
struct ServiceLevels<'a> {
    id: &'a str,
    team: Option<&'a str>,
    levels: BTreeMap<&'a str, Option<u8>>,
}

/// `/api/services`: the services of the newest successful scan and their levels.
pub(crate) async fn services(State(state): State<AppState>) -> Result<Response, AppError> {
    let (_, result) = latest(&state).await?;
    let Some(result) = result else {
        return Ok(Json(
            json!({"schema": "evident/serve-services/v1", "scan": null, "services": []}),
        )
        .into_response());
    };
    let list: Vec<ServiceLevels<'_>> = result
        .services
        .iter()
        .map(|s| ServiceLevels {
            id: &s.id,
            team: s.team.as_deref(),
            levels: result
                .levels
                .iter()
                .filter(|l| l.service == s.id)
                .map(|l| (l.model.as_str(), l.attained))
                .collect(),
        })
        .collect();
    Ok(Json(json!({
        "schema": "evident/serve-services/v1",
        "scan": result.scan.id,
        "services": list,
    }))
    .into_response())
}

/// `?criterion=ID`.
#[derive(Deserialize)]
pub(crate) struct CriterionFilter {
    criterion: Option<String>,
}

/// One service in one scan, for its history.
pub(crate) fn history_point(
    result: &ScanResult,
    service: &str,
    criterion: Option<&str>,
) -> Option<Value> {
    if !result.services.iter().any(|s| s.id == service) {
        return None;
    }
    let levels: BTreeMap<&str, Option<u8>> = result
        .levels
        .iter()
        .filter(|l| l.service == service)
        .map(|l| (l.model.as_str(), l.attained))
        .collect();
    let verdicts: Vec<Value> = result
        .results
        .iter()
        .filter(|r| r.service == service && criterion.is_none_or(|c| r.criterion == c))
        .map(|r| json!({"model": r.model, "criterion": r.criterion, "status": r.status, "reason": r.reason}))
        .collect();
    Some(json!({
        "scan": result.scan.id,
        "finished_at": result.scan.finished_at,
        "levels": levels,
        "verdicts": verdicts,
    }))
}

/// `/api/services/{id}/history[?criterion=ID]`: the service in each stored successful
/// scan, oldest first.
pub(crate) async fn history(
    State(state): State<AppState>,
    Path(service): Path<String>,
    Query(q): Query<CriterionFilter>,
) -> Result<Response, AppError> {
    let records = state.records().await?;
    let points: Vec<Value> = state
        .results(&records)
        .await?
        .iter()
        .filter_map(|(_, r)| history_point(r, &service, q.criterion.as_deref()))
        .collect();
    if points.is_empty() {
        return Err(AppError::NotFound(format!(
            "service {service} in the stored scans"
        )));
    }
    Ok(Json(json!({
        "schema": "evident/serve-history/v1",
        "service": service,
        "criterion": q.criterion,
        "points": points,
    }))
    .into_response())
}

/// The two newest successful results, older first.
pub(crate) async fn last_two(
    state: &AppState,
) -> Result<Option<(std::sync::Arc<ScanResult>, std::sync::Arc<ScanResult>)>, AppError> {
    let records = state.records().await?;
    let mut ok = records.iter().filter(|r| r.ok);
    let (Some(after), Some(before)) = (ok.next(), ok.next()) else {
        return Ok(None);
    };
    match (state.load(&before.id).await?, state.load(&after.id).await?) {
        (Some(b), Some(a)) => Ok(Some((b, a))),
        _ => Ok(None),
    }
}

/// `/api/diff/latest`: what changed between the two newest successful scans.
pub(crate) async fn latest_diff(State(state): State<AppState>) -> Result<Response, AppError> {
    let Some((before, after)) = last_two(&state).await? else {
        return Err(AppError::NotFound(
            "two successful scans to compare yet".into(),
        ));
    };
    let diff = crate::pages::diff_json(&before, &after);
    Ok(Json(json!({
        "schema": "evident/serve-diff/v1",
        "before": before.scan.id,
        "after": after.scan.id,
        "diff": diff,
    }))
    .into_response())
}
