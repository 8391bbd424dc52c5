//! The API server's request handling: authentication, secondary and primary limits, injected
//! faults, conditional requests, then the REST or GraphQL answer with GitHub's headers.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::body::{self, Body};
use crate::faults::{Fault, GraphqlRateLimitStyle};
use crate::graphql;
use crate::rest::{self, Bases};
use crate::routes::{self, Route};
use crate::server::{Shared, State};

/// An answer decided under the lock, sent after it is released.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub truncate: bool,
}

enum Outcome {
    Reply(Reply),
    Reset,
}

/// The caller's token from `Authorization: Bearer <t>` or `token <t>`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get(hyper::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim().to_string())
}

/// Handles one API request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> io::Result<Response<Body>> {
    let (parts, incoming) = req.into_parts();
    let body = incoming
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes();
    let route = Route::parse(&parts.method, parts.uri.path());
    let (outcome, delay) = {
        let mut st = shared.lock();
        let latency = Duration::from_millis(st.model.faults.latency_ms);
        let (outcome, extra) = decide(&shared, &mut st, &route, &parts, &body);
        (outcome, latency + extra)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match outcome {
        Outcome::Reset => Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset on purpose",
        )),
        Outcome::Reply(r) => Ok(build(r, parts.method == hyper::Method::HEAD)),
    }
}

fn build(r: Reply, head: bool) -> Response<Body> {
    let len = r.body.len();
    let body = if head {
        body::full(Bytes::new())
    } else if r.truncate {
        body::truncated(r.body)
    } else {
        body::full(r.body)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::try_from(k),
            hyper::header::HeaderValue::try_from(v),
        ) {
            h.append(k, v);
        }
    }
    if r.status != 304 && (r.truncate || head) {
        h.insert(
            hyper::header::CONTENT_LENGTH,
            hyper::header::HeaderValue::from(len),
        );
    }
    resp
}

/// Decides the answer: the order is GitHub's (authentication, secondary limit, primary limit,
/// then the resource), with injected faults after authentication.
fn decide(
    shared: &Shared,
    st: &mut State,
    route: &Route,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> (Outcome, Duration) {
    st.seq += 1;
    let token = bearer(&parts.headers);
    let shown = token.clone().unwrap_or_else(|| "<none>".into());
    st.stats.received(route.name(), &shown);
    let known = token
        .as_deref()
        .and_then(|t| st.model.tokens.iter().find(|s| s.token == t))
        .cloned();
    let canary = if st.model.faults.echo_canary {
        token.clone()
    } else {
        None
    };
    let mut ctx = ReqCtx {
        shared,
        route,
        token: shown,
        admin: false,
        canary,
        graphql: *route == Route::Graphql,
    };
    if let Route::AppToken(installation) = route {
        return (
            Outcome::Reply(app_token(st, &ctx, *installation, token.as_deref())),
            Duration::ZERO,
        );
    }
    let Some(spec) = known else {
        st.stats.unauthorized += 1;
        let doc = if ctx.graphql {
            "https://docs.github.com/graphql"
        } else {
            "https://docs.github.com/rest"
        };
        let msg = ctx.with_canary("Bad credentials");
        let b = json!({"message": msg, "documentation_url": doc, "status": "401"});
        return (
            Outcome::Reply(ctx.json(st, 401, &b, Vec::new())),
            Duration::ZERO,
        );
    };
    ctx.admin = spec.admin;
    if let Some(reply) = secondary_limit(st, &ctx) {
        return (Outcome::Reply(reply), Duration::ZERO);
    }
    let about = request_repo(parts.uri.path(), ctx.graphql.then_some(body));
    let fault = take_fault(st, route.name(), about.as_deref());
    let mut delay = Duration::ZERO;
    let mut endless = false;
    let mut truncate = false;
    match &fault {
        Some(Fault::Reset) => return (Outcome::Reset, Duration::ZERO),
        Some(Fault::Delay(ms)) => delay = Duration::from_millis(*ms),
        Some(Fault::EndlessPagination) => endless = true,
        Some(Fault::Truncated) => truncate = true,
        Some(
            f @ (Fault::Status(_) | Fault::NonJson | Fault::HtmlError | Fault::ErrorObject200),
        ) => {
            return (Outcome::Reply(fault_reply(st, &ctx, f)), Duration::ZERO);
        }
        _ => {}
    }
    let mut reply = if ctx.graphql {
        graphql_answer(st, &ctx, body)
    } else {
        rest_answer(st, &ctx, parts, endless, fault == Some(Fault::WrongShape))
    };
    reply.truncate = truncate && reply.status == 200;
    (Outcome::Reply(reply), delay)
}

/// One request's context while deciding.
struct ReqCtx<'a> {
    shared: &'a Shared,
    route: &'a Route,
    token: String,
    admin: bool,
    canary: Option<String>,
    graphql: bool,
}

impl ReqCtx<'_> {
    fn with_canary(&self, msg: &str) -> String {
        match &self.canary {
            Some(t) => format!("{msg} (token {t})"),
            None => msg.to_string(),
        }
    }

    /// GitHub's common headers plus the rate-limit ones for the route's resource.
    fn headers(&self, st: &State, extra: Vec<(String, String)>) -> Vec<(String, String)> {
        let f = &st.model.faults;
        let (resource, limit, used) = if self.graphql {
            (
                "graphql",
                f.graphql_limit,
                st.graphql_used.get(&self.token).copied().unwrap_or(0),
            )
        } else {
            (
                "core",
                f.core_limit,
                st.core_used.get(&self.token).copied().unwrap_or(0),
            )
        };
        let mut h = vec![
            ("x-github-request-id".to_string(), request_id(st.seq)),
            ("x-github-media-type".into(), "github.v3; format=json".into()),
            ("x-github-api-version-selected".into(), "2022-11-28".into()),
            ("x-ratelimit-limit".into(), limit.to_string()),
            ("x-ratelimit-remaining".into(), limit.saturating_sub(used).to_string()),
            ("x-ratelimit-used".into(), used.to_string()),
            ("x-ratelimit-reset".into(), self.shared.reset_epoch.to_string()),
            ("x-ratelimit-resource".into(), resource.into()),
            ("access-control-expose-headers".into(), "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset".into()),
        ];
        h.extend(extra);
        h
    }

    fn json(&self, st: &State, status: u16, body: &Value, extra: Vec<(String, String)>) -> Reply {
        let mut headers = self.headers(st, extra);
        headers.push((
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        ));
        Reply {
            status,
            headers,
            body: Bytes::from(body.to_string()),
            truncate: false,
        }
    }
}

fn request_id(seq: u64) -> String {
    format!(
        "{:04X}:{:05X}:{:07X}:{:07X}:{:08X}",
        seq % 0xFFFF,
        seq % 0xFFFFF,
        seq * 7,
        seq * 13,
        seq
    )
}

fn secondary_limit(st: &mut State, ctx: &ReqCtx) -> Option<Reply> {
    if *ctx.route == Route::RateLimit {
        return None;
    }
    let limit = st.model.faults.secondary.clone()?;
    st.secondary_seen += 1;
    let n = st.secondary_seen;
    if n <= limit.after || n > limit.after + limit.count {
        return None;
    }
    st.stats.secondary_limited += 1;
    let id = request_id(st.seq);
    let msg = ctx.with_canary(&format!(
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID {id}."
    ));
    let body = json!({
        "message": msg,
        "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
    });
    let extra = vec![(
        "retry-after".to_string(),
        limit.retry_after_secs.to_string(),
    )];
    Some(ctx.json(st, limit.status, &body, extra))
}

/// The repository (`owner/name`) a request is about: a REST `/repos/{owner}/{name}/...`
/// path, or a GraphQL body whose `variables` give `owner` and `name`.
fn request_repo(path: &str, graphql_body: Option<&[u8]>) -> Option<String> {
    if let Some(body) = graphql_body {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let vars = v.get("variables")?;
        let owner = vars.get("owner")?.as_str()?;
        let name = vars.get("name")?.as_str()?;
        return Some(format!("{owner}/{name}"));
    }
    let mut segs = path.trim_start_matches('/').split('/');
    if segs.next()? != "repos" {
        return None;
    }
    Some(format!("{}/{}", segs.next()?, segs.next()?))
}

/// The first per-route fault that fires on this request (about repository `about`, if
/// known), with its bookkeeping updated.
pub(crate) fn take_fault(st: &mut State, route: &str, about: Option<&str>) -> Option<Fault> {
    let n = st.model.faults.routes.len();
    st.fault_seen.resize(n, (0, 0));
    for i in 0..n {
        let rf = &st.model.faults.routes[i];
        if rf.route != "*" && rf.route != route {
            continue;
        }
        if let Some(want) = &rf.repo
            && !about.is_some_and(|a| a.eq_ignore_ascii_case(want))
        {
            continue;
        }
        let (seen, fired) = &mut st.fault_seen[i];
        *seen += 1;
        if *seen <= rf.skip || rf.times.is_some_and(|t| *fired >= t) {
            continue;
        }
        *fired += 1;
        st.stats.faults += 1;
        return Some(rf.fault.clone());
    }
    None
}

fn fault_reply(st: &State, ctx: &ReqCtx, fault: &Fault) -> Reply {
    match fault {
        Fault::Status(code) => {
            let msg = ctx.with_canary(if *code == 502 {
                "Server Error"
            } else {
                "Something went wrong"
            });
            ctx.json(st, *code, &rest::error(&msg, *code), Vec::new())
        }
        Fault::ErrorObject200 => ctx.json(
            st,
            200,
            &rest::error(&ctx.with_canary("Server Error"), 500),
            Vec::new(),
        ),
        Fault::NonJson => Reply {
            status: 200,
            headers: ctx.headers(
                st,
                vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            ),
            body: Bytes::from(ctx.with_canary("this is not JSON")),
            truncate: false,
        },
        _ => Reply {
            status: 503,
            headers: ctx.headers(
                st,
                vec![("content-type".into(), "text/html; charset=utf-8".into())],
            ),
            body: Bytes::from(format!(
                "<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head><body><p>This page is taking too long to load.</p><p>{}</p></body></html>\n",
                ctx.with_canary("Sorry about that.")
            )),
            truncate: false,
        },
    }
}

fn graphql_answer(st: &mut State, ctx: &ReqCtx, body: &[u8]) -> Reply {
    let f = st.model.faults.clone();
    let used = st.graphql_used.get(&ctx.token).copied().unwrap_or(0);
    if used + f.graphql_cost > f.graphql_limit {
        st.stats.rate_limited += 1;
        let b = match f.graphql_rate_limit_style {
            GraphqlRateLimitStyle::Documented => {
                let msg = ctx.with_canary("API rate limit exceeded for user ID 1.");
                json!({"errors": [{"type": "RATE_LIMITED", "message": msg}]})
            }
            GraphqlRateLimitStyle::Code => {
                let msg = ctx.with_canary("API rate limit already exceeded for user ID 1.");
                json!({"errors": [{"type": "RATE_LIMIT", "code": "graphql_rate_limit", "message": msg}]})
            }
        };
        let mut reply = ctx.json(st, f.graphql_rate_limit_status, &b, Vec::new());
        set_header(&mut reply.headers, "x-ratelimit-remaining", "0".into());
        return reply;
    }
    let used = used + f.graphql_cost;
    st.graphql_used.insert(ctx.token.clone(), used);
    st.stats.counted(ctx.route.name(), &ctx.token);
    let op = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.get("query")
            .and_then(Value::as_str)
            .and_then(operation_name)
    });
    *st.stats
        .per_operation
        .entry(op.unwrap_or_else(|| "<anonymous>".into()))
        .or_default() += 1;
    let reset_at = chrono::DateTime::from_timestamp(ctx.shared.reset_epoch as i64, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let gctx = graphql::Ctx {
        model: &st.model,
        admin: ctx.admin,
        rate: graphql::RateInfo {
            cost: f.graphql_cost,
            limit: f.graphql_limit,
            remaining: f.graphql_limit.saturating_sub(used),
            used,
            reset_at,
        },
        canary: ctx.canary.as_deref(),
    };
    let answer = graphql::execute(body, &gctx);
    ctx.json(st, 200, &answer, Vec::new())
}

/// The operation name in a query text (`query Name(...)`), for the counters.
fn operation_name(query: &str) -> Option<String> {
    let rest = query.split("query").nth(1)?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

fn set_header(headers: &mut [(String, String)], key: &str, value: String) {
    for (k, v) in headers.iter_mut() {
        if k == key {
            *v = value.clone();
        }
    }
}

fn rest_answer(
    st: &mut State,
    ctx: &ReqCtx,
    parts: &hyper::http::request::Parts,
    endless: bool,
    wrong_shape: bool,
) -> Reply {
    let counts = *ctx.route != Route::RateLimit;
    let f = &st.model.faults;
    let used = st.core_used.get(&ctx.token).copied().unwrap_or(0);
    if counts && used >= f.core_limit {
        st.stats.rate_limited += 1;
        let body = json!({
            "message": ctx.with_canary("API rate limit exceeded for user ID 1."),
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        });
        let status = f.rate_limit_status;
        return ctx.json(st, status, &body, Vec::new());
    }
    let params = routes::query_params(parts.uri.query());
    let ask = crate::rest_routes::Ask {
        route: ctx.route,
        params: &params,
        token: &ctx.token,
        canary: ctx.canary.as_deref(),
        admin: ctx.admin,
        endless,
    };
    let (status, mut value, link) = crate::rest_routes::answer(st, ctx.shared, &ask);
    if wrong_shape && status == 200 {
        value = match value {
            Value::Array(items) => json!({"total_count": items.len(), "items": items}),
            other => json!([other]),
        };
    }
    let text = value.to_string();
    let etag = format!("W/\"{:x}\"", Sha256::digest(text.as_bytes()));
    let mut extra = vec![
        ("etag".to_string(), etag.clone()),
        (
            "cache-control".into(),
            "private, max-age=60, s-maxage=60".into(),
        ),
    ];
    if let Some(l) = link {
        extra.push(("link".into(), l));
    }
    let inm = parts
        .headers
        .get(hyper::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if status == 200 && inm.is_some_and(|v| etag_matches(v, &etag)) {
        st.stats.not_modified(ctx.route.name(), &ctx.token);
        let headers = ctx.headers(st, extra);
        return Reply {
            status: 304,
            headers,
            body: Bytes::new(),
            truncate: false,
        };
    }
    if counts {
        st.core_used.insert(ctx.token.clone(), used + 1);
        st.stats.counted(ctx.route.name(), &ctx.token);
    }
    let mut reply = ctx.json(st, status, &value, extra);
    reply.body = Bytes::from(text);
    reply
}

/// `If-None-Match` against an ETag, weak comparison (as GitHub: `"x"` matches `W/"x"`).
fn etag_matches(header: &str, etag: &str) -> bool {
    let bare = |s: &str| s.trim().trim_start_matches("W/").to_string();
    header
        .split(',')
        .any(|c| c.trim() == "*" || bare(c) == bare(etag))
}

/// The URL bases and caller facts the REST bodies are built with.
pub(crate) fn bases<'a>(shared: &'a Shared, canary: Option<&'a str>, admin: bool) -> Bases<'a> {
    Bases {
        api: &shared.api_base,
        git: &shared.git_base,
        canary,
        admin,
    }
}

/// The `iss` claim of a JWT, read without checking its signature (the mock trusts the
/// shape; GitHub checks the signature against the App's public key).
fn jwt_issuer(jwt: &str) -> Option<u64> {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("iss")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `POST /app/installations/{id}/access_tokens`: a JWT of the model's App mints an
/// installation token (201, `installation-token` shape) the server accepts from then on.
fn app_token(st: &mut State, ctx: &ReqCtx, installation: u64, jwt: Option<&str>) -> Reply {
    let Some(app) = st.model.app.clone() else {
        let b = json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"});
        return ctx.json(st, 404, &b, Vec::new());
    };
    let issuer = jwt.and_then(jwt_issuer);
    if issuer != Some(app.app_id) {
        st.stats.unauthorized += 1;
        let b = json!({"message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest", "status": "401"});
        return ctx.json(st, 401, &b, Vec::new());
    }
    if installation != app.installation_id {
        let b = json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app", "status": "404"});
        return ctx.json(st, 404, &b, Vec::new());
    }
    let token = format!("ghs_mockinstallation{:020}", st.seq);
    st.model.tokens.push(crate::model::TokenSpec {
        token: token.clone(),
        admin: app.admin,
    });
    let expires = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let b = json!({
        "token": token,
        "expires_at": expires,
        "permissions": {"contents": "read", "metadata": "read", "actions": "read", "deployments": "read", "pull_requests": "read", "members": "read", "administration": if app.admin { "read" } else { "none" }},
        "repository_selection": "all"
    });
    ctx.json(st, 201, &b, Vec::new())
}
