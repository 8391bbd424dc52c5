//! The REST resources: status, body and `Link` header for each route, from the model.

use serde_json::{Value, json};

use crate::api::bases;
use crate::names;
use crate::rest;
use crate::routes::{self, Route};
use crate::server::{Shared, State};

fn not_found(canary: Option<&str>) -> (u16, Value, Option<String>) {
    let msg = match canary {
        Some(t) => format!("Not Found (token {t})"),
        None => "Not Found".to_string(),
    };
    (404, rest::error(&msg, 404), None)
}

/// What a REST request asks, and who asks.
pub(crate) struct Ask<'a> {
    /// The route.
    pub route: &'a Route,
    /// The decoded query parameters.
    pub params: &'a [(String, String)],
    /// The caller's token.
    pub token: &'a str,
    /// The caller's token when the echo canary is on.
    pub canary: Option<&'a str>,
    /// Whether the token is an admin one.
    pub admin: bool,
    /// Whether list routes always announce a next page.
    pub endless: bool,
}

/// Answers a REST route (the caller has already checked authentication and quota).
pub(crate) fn answer(st: &State, shared: &Shared, ask: &Ask) -> (u16, Value, Option<String>) {
    let Ask {
        route,
        params,
        token,
        canary,
        admin,
        endless,
    } = *ask;
    let b = bases(shared, canary, admin);
    let strip = |n: &str| names::strip_canary(n, canary).to_string();
    match route {
        Route::RateLimit => {
            let f = &st.model.faults;
            let reset = shared.reset_epoch;
            let core = rest::rate(
                f.core_limit,
                st.core_used.get(token).copied().unwrap_or(0),
                reset,
            );
            let graphql = rest::rate(
                f.graphql_limit,
                st.graphql_used.get(token).copied().unwrap_or(0),
                reset,
            );
            (200, rest::rate_limit_overview(core, graphql, reset), None)
        }
        Route::OrgRepos(owner) | Route::UserRepos(owner) => {
            let is_org = matches!(route, Route::OrgRepos(_));
            let Some(org) = routes::find_owner(&st.model, owner, is_org) else {
                return not_found(canary);
            };
            let list = routes::list_repos(org, is_org, params);
            let base = if is_org {
                format!("{}/organizations/{}/repos", shared.api_base, org.id)
            } else {
                format!("{}/user/{}/repos", shared.api_base, org.id)
            };
            let page = routes::paginate(list, params, &base, endless);
            let items = page
                .items
                .into_iter()
                .map(|r| rest::minimal_repo(&b, org, is_org, r))
                .collect();
            (200, Value::Array(items), page.link)
        }
        Route::Repo(r) => match routes::find_repo(&st.model, r, strip) {
            Some((org, is_org, repo)) => (200, rest::full_repo(&b, org, is_org, repo), None),
            None => not_found(canary),
        },
        Route::Runs(r) => {
            let Some((org, is_org, repo)) = routes::find_repo(&st.model, r, strip) else {
                return not_found(canary);
            };
            let mut runs: Vec<_> = repo
                .workflow_runs
                .iter()
                .filter(|run| routes::run_matches(run, params))
                .collect();
            runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            let total = runs.len();
            let base = format!("{}/repositories/{}/actions/runs", shared.api_base, repo.id);
            let page = routes::paginate(runs, params, &base, endless);
            let items: Vec<Value> = page
                .items
                .into_iter()
                .map(|run| rest::workflow_run(&b, org, is_org, repo, run))
                .collect();
            (
                200,
                json!({"total_count": total, "workflow_runs": items}),
                page.link,
            )
        }
        Route::Graphql | Route::AppToken(_) | Route::Unknown => not_found(canary),
    }
}
