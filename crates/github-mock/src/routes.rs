//! REST routing, query strings, sorting, filtering and `Link` pagination as GitHub does them.

use crate::model::{MockRepo, Model, Org, Run};

/// A recognised API route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /rate_limit`.
    RateLimit,
    /// `GET /orgs/{org}/repos` or `/organizations/{id}/repos` (what `Link` points at).
    OrgRepos(Owner),
    /// `GET /users/{user}/repos` or `/user/{id}/repos`.
    UserRepos(Owner),
    /// `GET /repos/{owner}/{repo}` or `/repositories/{id}`.
    Repo(RepoRef),
    /// `GET /repos/{owner}/{repo}/actions/runs` or `/repositories/{id}/actions/runs`.
    Runs(RepoRef),
    /// `POST /graphql`.
    Graphql,
    /// `POST /app/installations/{id}/access_tokens`.
    AppToken(u64),
    /// Anything else.
    Unknown,
}

/// An owner by login or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    Login(String),
    Id(u64),
}

/// A repository by owner and name or by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RepoRef {
    Name(String, String),
    Id(u64),
}

impl Route {
    /// Classifies a request.
    pub(crate) fn parse(method: &hyper::Method, path: &str) -> Route {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let get = method == hyper::Method::GET || method == hyper::Method::HEAD;
        let id = |s: &str| s.parse::<u64>().ok();
        match (get, segs.as_slice()) {
            (false, ["graphql"]) if method == hyper::Method::POST => Route::Graphql,
            (false, ["app", "installations", n, "access_tokens"])
                if method == hyper::Method::POST =>
            {
                id(n).map_or(Route::Unknown, Route::AppToken)
            }
            (true, ["rate_limit"]) => Route::RateLimit,
            (true, ["orgs", org, "repos"]) => Route::OrgRepos(Owner::Login(decode(org))),
            (true, ["organizations", n, "repos"]) => {
                id(n).map_or(Route::Unknown, |n| Route::OrgRepos(Owner::Id(n)))
            }
            (true, ["users", user, "repos"]) => Route::UserRepos(Owner::Login(decode(user))),
            (true, ["user", n, "repos"]) => {
                id(n).map_or(Route::Unknown, |n| Route::UserRepos(Owner::Id(n)))
            }
            (true, ["repos", o, r]) => Route::Repo(RepoRef::Name(decode(o), decode(r))),
            (true, ["repositories", n]) => {
                id(n).map_or(Route::Unknown, |n| Route::Repo(RepoRef::Id(n)))
            }
            (true, ["repos", o, r, "actions", "runs"]) => {
                Route::Runs(RepoRef::Name(decode(o), decode(r)))
            }
            (true, ["repositories", n, "actions", "runs"]) => {
                id(n).map_or(Route::Unknown, |n| Route::Runs(RepoRef::Id(n)))
            }
            _ => Route::Unknown,
        }
    }

    /// The route's name in counters and fault settings.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Route::RateLimit => "rate_limit",
            Route::OrgRepos(_) => "orgs.repos",
            Route::UserRepos(_) => "users.repos",
            Route::Repo(_) => "repos.get",
            Route::Runs(_) => "actions.runs",
            Route::Graphql => "graphql",
            Route::AppToken(_) => "app.token",
            Route::Unknown => "unknown",
        }
    }
}

/// Percent-decodes a URL component (`+` as space in query strings).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value the way GitHub's `Link` URLs carry them.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The decoded query parameters, in order.
pub(crate) fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The first value of a query parameter.
pub(crate) fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Resolves an owner route to the owner and whether it is an organisation.
pub(crate) fn find_owner<'a>(model: &'a Model, owner: &Owner, orgs: bool) -> Option<&'a Org> {
    let list = if orgs { &model.orgs } else { &model.users };
    match owner {
        Owner::Login(l) => list.iter().find(|o| o.login.eq_ignore_ascii_case(l)),
        Owner::Id(id) => list.iter().find(|o| o.id == *id),
    }
}

/// Resolves a repository route to its owner, whether the owner is an organisation, and the
/// repository (`strip` undoes the echo canary's renaming).
pub(crate) fn find_repo<'a>(
    model: &'a Model,
    r: &RepoRef,
    strip: impl Fn(&str) -> String,
) -> Option<(&'a Org, bool, &'a MockRepo)> {
    let owners = model
        .orgs
        .iter()
        .map(|o| (o, true))
        .chain(model.users.iter().map(|o| (o, false)));
    for (org, is_org) in owners {
        let hit = match r {
            RepoRef::Name(o, n) if org.login.eq_ignore_ascii_case(o) => {
                let n = strip(n);
                org.repos.iter().find(|x| x.name.eq_ignore_ascii_case(&n))
            }
            RepoRef::Name(..) => None,
            RepoRef::Id(id) => org.repos.iter().find(|x| x.id == *id),
        };
        if let Some(repo) = hit {
            return Some((org, is_org, repo));
        }
    }
    None
}

/// An owner's repositories filtered by `type` and ordered by `sort`/`direction` as GitHub does
/// (organisations default to newest created first, users to `full_name`).
pub(crate) fn list_repos<'a>(
    org: &'a Org,
    is_org: bool,
    params: &[(String, String)],
) -> Vec<&'a MockRepo> {
    use crate::model::Visibility;
    let kind = param(params, "type").unwrap_or(if is_org { "all" } else { "owner" });
    let mut list: Vec<&MockRepo> = org
        .repos
        .iter()
        .filter(|r| match kind {
            "public" => r.visibility == Visibility::Public,
            "private" => r.visibility != Visibility::Public,
            "forks" => r.fork,
            "sources" => !r.fork,
            _ => true,
        })
        .collect();
    let sort = param(params, "sort").unwrap_or(if is_org { "created" } else { "full_name" });
    let asc = match param(params, "direction") {
        Some(d) => d == "asc",
        None => sort == "full_name",
    };
    list.sort_by(|a, b| {
        let ord = match sort {
            "full_name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "pushed" | "updated" => a.pushed_at.cmp(&b.pushed_at),
            _ => a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)),
        };
        if asc { ord } else { ord.reverse() }
    });
    list
}

/// Whether a run passes the `created`, `branch`, `event` and `status` filters.
pub(crate) fn run_matches(run: &Run, params: &[(String, String)]) -> bool {
    if let Some(b) = param(params, "branch")
        && run.head_branch != b
    {
        return false;
    }
    if let Some(e) = param(params, "event")
        && run.event != e
    {
        return false;
    }
    if let Some(s) = param(params, "status")
        && run.status != s
        && run.conclusion.as_deref() != Some(s)
    {
        return false;
    }
    param(params, "created").is_none_or(|c| created_matches(&run.created_at, c))
}

/// GitHub's date-range syntax: `>=D`, `>D`, `<=D`, `<D`, `D..D` (`*` open), or `D`; dates or
/// timestamps, compared on the bound's length.
pub(crate) fn created_matches(created: &str, filter: &str) -> bool {
    let cut = |bound: &str| created.get(..bound.len()).unwrap_or(created).to_string();
    if let Some((lo, hi)) = filter.split_once("..") {
        return (lo == "*" || cut(lo).as_str() >= lo) && (hi == "*" || cut(hi).as_str() <= hi);
    }
    for (op, f) in [(">=", 0), ("<=", 1), (">", 2), ("<", 3)] {
        if let Some(bound) = filter.strip_prefix(op) {
            let c = cut(bound);
            let c = c.as_str();
            return match f {
                0 => c >= bound,
                1 => c <= bound,
                2 => c > bound,
                _ => c < bound,
            };
        }
    }
    cut(filter) == filter
}

/// One page of a list plus its `Link` header (rel prev, next, last, first, in GitHub's order).
pub(crate) struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The `Link` header, if there is more than one page (or pagination is endless).
    pub link: Option<String>,
}

/// Pages `items` by `per_page` (default 30, at most 100) and `page` (from 1); `link_base` is
/// the URL without query the links point at.
pub(crate) fn paginate<T: Clone>(
    items: Vec<T>,
    params: &[(String, String)],
    link_base: &str,
    endless: bool,
) -> Page<T> {
    let per_page = param(params, "per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = param(params, "page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(items.len());
    let end = (start + per_page).min(items.len());
    let page_items: Vec<T> = items[start..end].to_vec();
    let url = |p: usize| {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        q.push(format!("page={p}"));
        format!("<{link_base}?{}>", q.join("&"))
    };
    let mut rels = Vec::new();
    if page > 1 {
        rels.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    if endless {
        rels.push(format!("{}; rel=\"next\"", url(page + 1)));
    } else if page < last {
        rels.push(format!("{}; rel=\"next\"", url(page + 1)));
        rels.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        rels.push(format!("{}; rel=\"first\"", url(1)));
    }
    Page {
        items: page_items,
        link: if rels.is_empty() {
            None
        } else {
            Some(rels.join(", "))
        },
    }
}
