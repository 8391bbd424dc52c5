//! DORA measurements, per service, from what the GitHub probe read (`facts.github`) and
//! what the on-call probes read (`facts.oncall`, through the typed
//! [`evident_oncall::OncallFacts`]; see `dora_incidents`).
//!
//! Fixed semantics like level inference, so Rust rather than Rego: the definitions are
//! DORA's, not a policy's. Each repository is read once and its deployments split among
//! its services once; each service then walks only its own repositories' deployments
//! and pull requests, so the work grows with the estate, not with its square.
//!
//! # Definitions
//!
//! - **Deployment frequency**: how often the service is deployed to production. Counted:
//!   deployments whose environment GitHub marks production (`production: true`, the
//!   probe's rule on environment names) and that reached a `success` status
//!   (`succeeded_at`), with `succeeded_at` in the window. Value: count / window weeks
//!   (`deployments/week`), with `per_day` = count / window days.
//! - **Lead time for changes**: for each pull request merged in the window, from its
//!   first commit (`first_commit_at`, else the pull request's `created_at`) to the
//!   `succeeded_at` of the first successful production deployment of the same repository
//!   created at or after `merged_at`. Deployments of the default branch are cumulative:
//!   a later deployment ships every change merged before it. Value: the median in hours
//!   (`p90` too, nearest rank); merged changes with no such deployment yet are counted in
//!   `not_deployed`, never in the median.
//! - **Time to restore**: for each incident of the service's on-call services
//!   (`svc.oncall.services`, resolution's join) triggered in the on-call window (the
//!   account's `window_days`, default 90) and resolved, `resolved_at - created_at`.
//!   Value: the median in hours (`p90` too); open incidents counted in `open`.
//! - **Change failure rate**: the successful production deployments of the window (as
//!   for deployment frequency) followed within 24 hours by an incident of the service's
//!   on-call services (triggered after the deployment succeeded) or by a rollback (the
//!   next production deployment, within 24 hours, ships a commit that was deployed to
//!   production before), divided by those deployments, in percent.
//! - Both are `not_computed` without an on-call source, and `unknown` (with the reason)
//!   when the on-call source failed, its incidents were not read for the service's
//!   accounts, or the service has no on-call join (`no_oncall_join`): an unread
//!   incident list is never taken for no incidents.
//!
//! # Bands
//!
//! The four performance clusters of the Accelerate State of DevOps reports 2023 and 2024
//! (DORA, Google Cloud; report at dora.dev/research). Their published wording, checked
//! against summaries of the 2024 report (octopus.com/blog/2024-devops-performance-clusters,
//! agileplays.co.uk/dora-2024-software-delivery-performance):
//!
//! | band | deployment frequency | change lead time |
//! |---|---|---|
//! | elite | on demand (multiple deploys per day) | less than one day |
//! | high | between once per day and once per week | between one day and one week |
//! | medium | between once per week and once per month | between one week and one month |
//! | low | between once per month and once every six months (here: less than once per month) | between one month and six months (here: more than one month) |
//!
//! | band | time to restore (failed deployment recovery) | change failure rate |
//! |---|---|---|
//! | elite | less than one hour | 5% (here: at most 5%) |
//! | high | less than one day | 10% (here: at most 10%) |
//! | medium | between one day and one week (here: less than one week) | 15% (here: at most 15%) |
//! | low | between one week and one month (here: a week or more) | 64% (here: above 15%) |
//!
//! Read as thresholds on the measured rate: elite more than 1 per day; high at least 1
//! per week up to 1 per day; medium at least 1 per 30 days and less than 1 per week; low
//! less than 1 per 30 days. Lead time: elite under 24 h; high under 7 days; medium under
//! 30 days; low 30 days or more. A band is the survey's cluster boundary applied to one
//! service's number; the survey asked people, this measures events.
//!
//! # Monorepos
//!
//! All services of a repository share its deployments, unless a deployment's
//! environment names a service of that repository (the environment name contains the
//! service name, case-insensitively, the longest matching names winning: `prod-web-admin`
//! is `web-admin`'s, not `web`'s): then it counts for the services it names only. Pull
//! requests are shared by all services of the repository (their files are not mapped to
//! services here), each matched against that service's deployments.

use chrono::{DateTime, Duration, Utc};
use evident_core::{DoraBand, DoraMeasure, DoraMeasures, DoraStatus};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The window DORA's deployment frequency and lead time are measured over, in days.
pub const WINDOW_DAYS: u32 = 30;

/// How deployment frequency is computed, as the result states it.
pub const DEPLOYMENT_FREQUENCY_FORMULA: &str = "successful production deployments (environment marked production, a success status) with succeeded_at in the last window_days days, divided by window_days / 7 (per_day: divided by window_days)";

/// How lead time is computed, as the result states it.
pub const LEAD_TIME_FORMULA: &str = "median over pull requests merged in the last window_days days of (succeeded_at of the first successful production deployment created at or after merged_at) - (first_commit_at, else created_at), in hours; p90 by nearest rank; merged changes not yet deployed counted in not_deployed";

pub use crate::dora_incidents::{
    CHANGE_FAILURE_FORMULA, FAILURE_HOURS, TIME_TO_RESTORE_FORMULA, failure_band, restore_band,
};
use crate::dora_incidents::{DeployEvent, OncallView};

/// Band of a deployment rate given in deployments per day (see the module's table).
pub fn deployment_band(per_day: f64) -> DoraBand {
    if per_day > 1.0 {
        DoraBand::Elite
    } else if per_day >= 1.0 / 7.0 {
        DoraBand::High
    } else if per_day >= 1.0 / 30.0 {
        DoraBand::Medium
    } else {
        DoraBand::Low
    }
}

/// Band of a lead time given in hours (see the module's table).
pub fn lead_time_band(hours: f64) -> DoraBand {
    if hours < 24.0 {
        DoraBand::Elite
    } else if hours < 24.0 * 7.0 {
        DoraBand::High
    } else if hours < 24.0 * 30.0 {
        DoraBand::Medium
    } else {
        DoraBand::Low
    }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// `Some(None)` for an absent or null time, `Some(Some(t))` for one that parses, `None`
/// for one that does not.
fn time_or_null(v: Option<&Value>) -> Option<Option<DateTime<Utc>>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(t) => time(t).map(Some),
    }
}

fn evidence_id(v: &Value) -> Option<String> {
    v.get("evidence").and_then(Value::as_str).map(str::to_owned)
}

/// One successful production deployment of one repository, as counted.
#[derive(Clone)]
struct Deploy {
    created: DateTime<Utc>,
    succeeded: DateTime<Utc>,
    environment: String,
    sha: Option<String>,
    evidence: Option<String>,
}

/// What one repository offers every service of it, read once.
struct RepoView<'a> {
    key: &'a str,
    name: String,
    /// Why deployments cannot be counted (`unread` status, no production environment).
    deployments_unknown: Option<(String, String)>,
    /// Why pull requests cannot be read.
    pull_requests_unknown: Option<(String, String)>,
    deploys: Vec<Deploy>,
    deployments_complete: bool,
    pull_requests: Vec<&'a Value>,
    pull_requests_complete: bool,
}

fn unread_status(repo: &Value, part: &str) -> Option<(String, String)> {
    let unread = repo.get("unread")?;
    let entry = unread.get("all").or_else(|| unread.get(part))?;
    let status = entry
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("error")
        .to_owned();
    let detail = entry
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((status, detail))
}

fn repo_view<'a>(key: &'a str, repo: &'a Value) -> RepoView<'a> {
    let name = repo
        .get("full_name")
        .and_then(Value::as_str)
        .unwrap_or(key)
        .to_owned();
    let mut deployments_unknown = unread_status(repo, "deployments").map(|(s, d)| {
        (
            s.clone(),
            format!(
                "deployments of {name} could not be read ({s}{}{d})",
                if d.is_empty() { "" } else { ": " }
            ),
        )
    });
    let listed = repo.get("deployments").and_then(Value::as_array);
    if deployments_unknown.is_none() && listed.is_none() {
        deployments_unknown = Some((
            "error".into(),
            format!("the GitHub facts of {name} carry no deployments list"),
        ));
    }
    let all: &[Value] = listed.map(Vec::as_slice).unwrap_or(&[]);
    let production_deployment = all
        .iter()
        .any(|d| d.get("production").and_then(Value::as_bool) == Some(true));
    if deployments_unknown.is_none() && !production_deployment {
        let environments = repo.get("environments").and_then(Value::as_array);
        let production_environment = environments.is_some_and(|envs| {
            envs.iter()
                .any(|e| e.get("production").and_then(Value::as_bool) == Some(true))
        });
        if !production_environment {
            let seen: Vec<&str> = environments
                .map(|envs| {
                    envs.iter()
                        .filter_map(|e| e.get("name").and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            let why = match (environments.is_some(), seen.is_empty()) {
                (false, _) => format!(
                    "{name} has no production deployment in the deployments read and its environments were not read; evident does not guess which environment is production"
                ),
                (true, true) => format!(
                    "{name} has no deployment environment at all; evident does not guess which deployments reach production"
                ),
                (true, false) => format!(
                    "{name} has no production environment (environments: {}); evident does not guess which one is production",
                    seen.join(", ")
                ),
            };
            deployments_unknown = Some(("no_production_environment".into(), why));
        }
    }
    let deploys = all
        .iter()
        .filter(|d| d.get("production").and_then(Value::as_bool) == Some(true))
        .filter_map(|d| {
            Some(Deploy {
                created: time(d.get("created_at")?)?,
                succeeded: time(d.get("succeeded_at")?)?,
                environment: d
                    .get("environment")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_lowercase(),
                sha: d.get("sha").and_then(Value::as_str).map(str::to_owned),
                evidence: evidence_id(d),
            })
        })
        .collect();
    // A production deployment whose times do not parse is not a deployment that never
    // happened: the facts are not of their documented shape, so the measure is unknown.
    let unparsed = all
        .iter()
        .filter(|d| d.get("production").and_then(Value::as_bool) == Some(true))
        .filter(|d| {
            d.get("created_at").and_then(time).is_none()
                || time_or_null(d.get("succeeded_at")).is_none()
        })
        .count();
    if deployments_unknown.is_none() && unparsed > 0 {
        deployments_unknown = Some((
            "error".into(),
            format!("{unparsed} production deployment(s) of {name} carry times that do not parse"),
        ));
    }
    let items_shape_wrong = repo
        .get("pull_requests")
        .is_some_and(|p| !p.get("items").is_some_and(Value::is_array));
    let pull_requests_unknown = unread_status(repo, "pull_requests")
        .map(|(s, d)| {
            (
                s.clone(),
                format!(
                    "pull requests of {name} could not be read ({s}{}{d})",
                    if d.is_empty() { "" } else { ": " }
                ),
            )
        })
        .or_else(|| {
            repo.get("pull_requests").is_none().then(|| {
                (
                    "error".to_owned(),
                    format!("the GitHub facts of {name} carry no pull requests"),
                )
            })
        })
        .or_else(|| {
            items_shape_wrong.then(|| {
                (
                    "error".to_owned(),
                    format!("the pull requests of {name} are not a list of items"),
                )
            })
        });
    let prs = repo.get("pull_requests");
    RepoView {
        key,
        name,
        deployments_unknown,
        pull_requests_unknown,
        deploys,
        deployments_complete: repo
            .get("deployments_complete")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        pull_requests: prs
            .and_then(|p| p.get("items"))
            .and_then(Value::as_array)
            .map(|items| items.iter().collect())
            .unwrap_or_default(),
        pull_requests_complete: prs
            .and_then(|p| p.get("complete"))
            .and_then(Value::as_bool)
            .unwrap_or(true),
    }
}

/// Which deployments of one repository are whose, computed once per repository: a
/// deployment whose environment names services of the repository (the longest matching
/// names winning) is theirs; the others are shared by every service of it.
struct Split {
    shared: Vec<usize>,
    named: HashMap<String, Vec<usize>>,
}

fn split(view: &RepoView<'_>, siblings: &[String]) -> Split {
    let mut out = Split {
        shared: vec![],
        named: HashMap::new(),
    };
    for (i, d) in view.deploys.iter().enumerate() {
        let named: Vec<&String> = siblings
            .iter()
            .filter(|s| !s.is_empty() && d.environment.contains(s.as_str()))
            .collect();
        // A name inside a longer matching name (web in web-admin) does not count.
        let mut owners: Vec<&String> = named
            .iter()
            .copied()
            .filter(|s| {
                !named
                    .iter()
                    .any(|o| o.len() > s.len() && o.contains(s.as_str()))
            })
            .collect();
        owners.dedup();
        if owners.is_empty() {
            out.shared.push(i);
        }
        for o in owners {
            out.named.entry(o.clone()).or_default().push(i);
        }
    }
    out
}

/// The deployments of `view` that count for `service`, in the order GitHub listed them.
fn deploys_for<'v>(view: &'v RepoView<'_>, split: &Split, service: &str) -> Vec<&'v Deploy> {
    let mut at: Vec<usize> = split.shared.clone();
    if let Some(own) = split.named.get(&service.to_lowercase()) {
        at.extend(own);
        at.sort_unstable();
    }
    at.into_iter().filter_map(|i| view.deploys.get(i)).collect()
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

pub(crate) fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

pub(crate) fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn window_of(github: &Value, field: &str) -> u32 {
    github
        .get("windows")
        .and_then(|w| w.get(field))
        .and_then(Value::as_u64)
        .map_or(WINDOW_DAYS, |read| WINDOW_DAYS.min(read as u32))
}

/// The DORA measures of every service of the rule input (`services`, `sources`,
/// `facts.github`, `facts.oncall`), keyed by service id.
///
/// Empty when neither a GitHub nor an on-call source was configured (no section in the
/// result). When GitHub was configured but produced no facts, every service's
/// deployment measures are `unknown` with the source's status. `now` is the scan's
/// observation time; `facts.github.now` wins when present, because the probe counted
/// its windows back from it.
pub fn measure(input: &Value, now: DateTime<Utc>) -> BTreeMap<String, DoraMeasures> {
    let mut out = BTreeMap::new();
    let Some(services) = input.get("services").and_then(Value::as_object) else {
        return out;
    };
    let github = input.get("facts").and_then(|f| f.get("github"));
    let status_of = |cap: &str| {
        input
            .get("sources")
            .and_then(|s| s.get(cap))
            .and_then(|s| s.get("status"))
            .and_then(Value::as_str)
    };
    let source_status = status_of("github");
    let no_github = github.is_none() && matches!(source_status, None | Some("not_configured"));
    if no_github && matches!(status_of("oncall"), None | Some("not_configured")) {
        return out;
    }
    let empty = Value::Null;
    let github = github.unwrap_or(&empty);
    let now = github.get("now").and_then(time).unwrap_or(now);
    let deploy_days = window_of(github, "deployments_days");
    let pr_days = window_of(github, "pull_requests_days");
    let repos = github.get("repos").and_then(Value::as_object);
    let oncall = OncallView::read(input);

    let (views, siblings, splits) = index_repos(services, repos);
    for (id, svc) in services {
        let name = service_name(svc);
        let keys: Vec<&str> = svc_repos(svc).collect();
        let read: Vec<&RepoView<'_>> = keys.iter().filter_map(|k| views.get(k)).collect();
        let not_on_github: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !views.contains_key(k))
            .collect();
        let ttr = crate::dora_incidents::time_to_restore(oncall.service(svc));
        let (df, lt, cfr) = if read.is_empty() {
            let (status, why) = github_absent(source_status, &keys);
            let unknown = |unit: &str, days: u32, formula: &str| {
                DoraMeasure::without_value(
                    DoraStatus::Unknown,
                    unit,
                    days,
                    formula,
                    Some(status.clone()),
                    why.clone(),
                )
            };
            (
                unknown(
                    "deployments/week",
                    deploy_days,
                    DEPLOYMENT_FREQUENCY_FORMULA,
                ),
                unknown("hours", pr_days, LEAD_TIME_FORMULA),
                crate::dora_incidents::change_failure_rate(
                    Err((status.clone(), why.clone())),
                    oncall.service(svc),
                    now,
                    deploy_days,
                ),
            )
        } else {
            let mut per_repo: Vec<(&RepoView<'_>, Vec<&Deploy>)> = Vec::new();
            for view in &read {
                let deploys = splits
                    .get(view.key)
                    .map(|sp| deploys_for(view, sp, &name))
                    .unwrap_or_default();
                per_repo.push((view, deploys));
            }
            let shared: Vec<&str> = read
                .iter()
                .filter(|v| siblings.get(v.key).is_some_and(|s| s.len() > 1))
                .map(|v| v.name.as_str())
                .collect();
            (
                deployment_frequency(&per_repo, now, deploy_days, &not_on_github, &shared),
                lead_time(&per_repo, now, pr_days, &not_on_github),
                failure_rate(&per_repo, oncall.service(svc), now, deploy_days),
            )
        };
        out.insert(
            id.clone(),
            DoraMeasures {
                repos: read.iter().map(|v| v.key.to_owned()).collect(),
                deployment_frequency: df,
                lead_time_for_changes: lt,
                change_failure_rate: cfr,
                time_to_restore: ttr,
            },
        );
    }
    out
}

/// Every repository's view, the services it has and its deployments' split among them.
type RepoIndex<'a> = (
    HashMap<&'a str, RepoView<'a>>,
    HashMap<&'a str, Vec<String>>,
    HashMap<&'a str, Split>,
);

/// Each repository once: its view, the lower-cased names of the services it has, and
/// which of its deployments are whose.
fn index_repos<'a>(
    services: &'a serde_json::Map<String, Value>,
    repos: Option<&'a serde_json::Map<String, Value>>,
) -> RepoIndex<'a> {
    let mut views: HashMap<&str, RepoView<'_>> = HashMap::new();
    let mut siblings: HashMap<&str, Vec<String>> = HashMap::new();
    for svc in services.values() {
        let name = service_name(svc);
        for key in svc_repos(svc) {
            siblings.entry(key).or_default().push(name.to_lowercase());
            if let Some(repo) = repos.and_then(|r| r.get(key)) {
                views.entry(key).or_insert_with(|| repo_view(key, repo));
            }
        }
    }
    let splits: HashMap<&str, Split> = views
        .iter()
        .map(|(k, v)| {
            let sibs = siblings.get(k).map(Vec::as_slice).unwrap_or(&[]);
            (*k, split(v, sibs))
        })
        .collect();
    (views, siblings, splits)
}

/// The reason and note of deployment measures for a service GitHub holds nothing of.
fn github_absent(source_status: Option<&str>, keys: &[&str]) -> (String, String) {
    let status = match source_status {
        Some(s) if s != "ok" => s.to_owned(),
        None => "not_configured".to_owned(),
        _ => "not_read".to_owned(),
    };
    let why = if status == "not_configured" {
        "no GitHub source was configured; deployments and pull requests come from GitHub".to_owned()
    } else if keys.is_empty() {
        "the service has no repository, so GitHub holds no deployments or pull requests of it"
            .to_owned()
    } else if status == "not_read" {
        format!(
            "no repository of this service ({}) was read from GitHub",
            keys.join(", ")
        )
    } else {
        format!("the GitHub source answered {}", status.replace('_', " "))
    };
    (status, why)
}

/// Change failure rate from the service's deployments (as deployment frequency counts
/// them) and its incidents.
fn failure_rate(
    per_repo: &[(&RepoView<'_>, Vec<&Deploy>)],
    incidents: Result<
        crate::dora_incidents::ServiceIncidents<'_>,
        crate::dora_incidents::NoIncidents,
    >,
    now: DateTime<Utc>,
    days: u32,
) -> DoraMeasure {
    if let Some((status, why)) = per_repo
        .iter()
        .find_map(|(v, _)| v.deployments_unknown.as_ref())
    {
        return crate::dora_incidents::change_failure_rate(
            Err((status.clone(), why.clone())),
            incidents,
            now,
            days,
        );
    }
    let events: Vec<DeployEvent> = per_repo
        .iter()
        .flat_map(|(_, ds)| ds.iter())
        .map(|d| DeployEvent {
            succeeded: d.succeeded,
            sha: d.sha.clone(),
            evidence: d.evidence.clone(),
        })
        .collect();
    let complete = per_repo.iter().all(|(v, _)| v.deployments_complete);
    crate::dora_incidents::change_failure_rate(Ok((&events, complete)), incidents, now, days)
}

fn service_name(svc: &Value) -> String {
    svc.get("name")
        .or_else(|| svc.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn svc_repos(svc: &Value) -> impl Iterator<Item = &str> {
    svc.get("repos")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn skipped_note(not_on_github: &[&str]) -> String {
    if not_on_github.is_empty() {
        String::new()
    } else {
        format!(
            " Not counted: {} (not read from GitHub in this scan).",
            not_on_github.join(", ")
        )
    }
}

fn deployment_frequency(
    per_repo: &[(&RepoView<'_>, Vec<&Deploy>)],
    now: DateTime<Utc>,
    days: u32,
    not_on_github: &[&str],
    shared: &[&str],
) -> DoraMeasure {
    const UNIT: &str = "deployments/week";
    if let Some((status, why)) = per_repo
        .iter()
        .find_map(|(v, _)| v.deployments_unknown.as_ref())
    {
        return DoraMeasure::without_value(
            DoraStatus::Unknown,
            UNIT,
            days,
            DEPLOYMENT_FREQUENCY_FORMULA,
            Some(status.clone()),
            format!("{why}; evidence that could not be read is not taken for no deployments."),
        );
    }
    let since = now - Duration::days(i64::from(days));
    let mut evidence = Vec::new();
    let mut count = 0u64;
    let mut latest: Option<DateTime<Utc>> = None;
    for (_, deploys) in per_repo {
        for d in deploys {
            latest = latest.max(Some(d.succeeded));
            if d.succeeded > since && d.succeeded <= now {
                count += 1;
                evidence.extend(d.evidence.clone());
            }
        }
    }
    let complete = per_repo.iter().all(|(v, _)| v.deployments_complete);
    let mut note = String::new();
    if !complete {
        note.push_str("More deployments were in the window than GitHub returned in one page: the count is a lower bound. ");
    }
    if !shared.is_empty() {
        note.push_str(&format!(
            "Deployments of {} are shared by all its services unless the environment names one. ",
            shared.join(", ")
        ));
    }
    note.push_str(skipped_note(not_on_github).trim_start());
    if count == 0 {
        return match latest {
            // Read, and older successful production deployments exist: fewer than one
            // in the window is a measured rate.
            Some(last) => DoraMeasure {
                status: DoraStatus::Measured,
                value: Some(0.0),
                unit: UNIT.into(),
                window_days: days,
                sample_size: 0,
                band: Some(DoraBand::Low),
                formula: DEPLOYMENT_FREQUENCY_FORMULA.into(),
                evidence: vec![],
                note: format!(
                    "No successful production deployment in the last {days} days; the last one succeeded at {}. {note}",
                    last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
                .trim_end()
                .to_owned(),
                reason: None,
                complete,
                details: BTreeMap::from([("per_day".to_owned(), 0.0)]),
            },
            None => DoraMeasure::without_value(
                DoraStatus::InsufficientData,
                UNIT,
                days,
                DEPLOYMENT_FREQUENCY_FORMULA,
                None,
                format!(
                    "No successful production deployment in the deployments read: fewer than one a month, or production is not deployed through GitHub deployments. {note}"
                )
                .trim_end()
                .to_owned(),
            ),
        };
    }
    let per_day = count as f64 / f64::from(days);
    DoraMeasure {
        status: DoraStatus::Measured,
        value: Some(round(per_day * 7.0, 2)),
        unit: UNIT.into(),
        window_days: days,
        sample_size: count,
        band: Some(deployment_band(per_day)),
        formula: DEPLOYMENT_FREQUENCY_FORMULA.into(),
        evidence,
        note: format!("{count} successful production deployments in {days} days. {note}")
            .trim_end()
            .to_owned(),
        reason: None,
        complete,
        details: BTreeMap::from([("per_day".to_owned(), round(per_day, 3))]),
    }
}

fn lead_time(
    per_repo: &[(&RepoView<'_>, Vec<&Deploy>)],
    now: DateTime<Utc>,
    days: u32,
    not_on_github: &[&str],
) -> DoraMeasure {
    const UNIT: &str = "hours";
    let unknown = per_repo
        .iter()
        .find_map(|(v, _)| v.pull_requests_unknown.as_ref())
        .or_else(|| {
            per_repo
                .iter()
                .find_map(|(v, _)| v.deployments_unknown.as_ref())
        });
    if let Some((status, why)) = unknown {
        return DoraMeasure::without_value(
            DoraStatus::Unknown,
            UNIT,
            days,
            LEAD_TIME_FORMULA,
            Some(status.clone()),
            format!("{why}; lead time needs both merged pull requests and production deployments."),
        );
    }
    let since = now - Duration::days(i64::from(days));
    let mut hours = Vec::new();
    let mut evidence = Vec::new();
    let mut not_deployed = 0u64;
    for (view, deploys) in per_repo {
        // Oldest first, so the first deployment created at or after a merge is a binary
        // search away: n log n per repository, not n times m.
        let mut sorted: Vec<&Deploy> = deploys.clone();
        sorted.sort_by_key(|d| d.created);
        for pr in &view.pull_requests {
            let Some(merged) = pr.get("merged_at").and_then(time) else {
                continue;
            };
            if merged <= since || merged > now {
                continue;
            }
            let start = pr
                .get("first_commit_at")
                .and_then(time)
                .or_else(|| pr.get("created_at").and_then(time));
            let Some(start) = start else { continue };
            let at = sorted.partition_point(|d| d.created < merged);
            match sorted.get(at) {
                Some(d) => {
                    let h = (d.succeeded - start).num_seconds() as f64 / 3600.0;
                    hours.push(h.max(0.0));
                    evidence.extend(evidence_id(pr));
                    evidence.extend(d.evidence.clone());
                }
                None => not_deployed += 1,
            }
        }
    }
    evidence.sort();
    evidence.dedup();
    let prs_complete = per_repo.iter().all(|(v, _)| v.pull_requests_complete);
    let deploys_complete = per_repo.iter().all(|(v, _)| v.deployments_complete);
    let mut note = String::new();
    if not_deployed > 0 {
        note.push_str(&format!(
            "{not_deployed} merged changes are not deployed to production yet and are not in the median. "
        ));
    }
    if !prs_complete {
        note.push_str("Only the newest merged pull requests GitHub returned in one page were read: the value is from a sample of the window. ");
    }
    if !deploys_complete {
        note.push_str("Not every deployment of the window was read: a change's first deployment may be missing, so lead times may be overestimated. ");
    }
    note.push_str(skipped_note(not_on_github).trim_start());
    if hours.is_empty() {
        return DoraMeasure {
            details: BTreeMap::from([("not_deployed".to_owned(), not_deployed as f64)]),
            complete: prs_complete && deploys_complete,
            ..DoraMeasure::without_value(
                DoraStatus::InsufficientData,
                UNIT,
                days,
                LEAD_TIME_FORMULA,
                None,
                format!("No merged change reached production in the last {days} days. {note}")
                    .trim_end()
                    .to_owned(),
            )
        };
    }
    hours.sort_by(f64::total_cmp);
    let med = median(&hours);
    DoraMeasure {
        status: DoraStatus::Measured,
        value: Some(round(med, 2)),
        unit: UNIT.into(),
        window_days: days,
        sample_size: hours.len() as u64,
        band: Some(lead_time_band(med)),
        formula: LEAD_TIME_FORMULA.into(),
        evidence,
        note: format!(
            "{} merged changes measured in {days} days. {note}",
            hours.len()
        )
        .trim_end()
        .to_owned(),
        reason: None,
        complete: prs_complete && deploys_complete,
        details: BTreeMap::from([
            ("p90".to_owned(), round(nearest_rank(&hours, 0.9), 2)),
            ("not_deployed".to_owned(), not_deployed as f64),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2026-12-01T12:00:00Z";

    fn now() -> DateTime<Utc> {
        time(&json!(NOW)).expect("now")
    }

    /// RFC 3339 time `days` (fractional) before NOW.
    fn ago(days: f64) -> String {
        (now() - Duration::seconds((days * 86400.0) as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    fn deploy(id: u64, env: &str, created_days_ago: f64, ok: bool) -> Value {
        json!({
            "id": id, "environment": env, "production": env.contains("prod"),
            "created_at": ago(created_days_ago), "sha": "abc",
            "state": if ok { "success" } else { "failure" },
            "succeeded_at": if ok { json!(ago(created_days_ago - 0.01)) } else { Value::Null },
            "evidence": format!("github:acme/shop:deployment:{id}"),
        })
    }

    fn pr(number: u64, first_commit_days_ago: f64, merged_days_ago: f64) -> Value {
        json!({
            "number": number, "author": "alice",
            "created_at": ago(first_commit_days_ago - 0.1), "merged_at": ago(merged_days_ago),
            "first_commit_at": ago(first_commit_days_ago),
            "evidence": format!("github:acme/shop:pull:{number}"),
        })
    }

    fn repo(deployments: Vec<Value>, prs: Vec<Value>) -> Value {
        json!({
            "key": "shop", "full_name": "acme/shop", "default_branch": "main",
            "environments": [{"name": "production", "production": true}],
            "deployments": deployments, "deployments_complete": true,
            "pull_requests": {"complete": true, "items": prs},
        })
    }

    fn input(services: &[(&str, &[&str])], repos: Value) -> Value {
        let services: serde_json::Map<String, Value> = services
            .iter()
            .map(|(id, repos)| {
                (
                    (*id).to_owned(),
                    json!({"id": id, "name": id, "repos": repos}),
                )
            })
            .collect();
        json!({
            "sources": {"github": {"status": "ok"}, "oncall": {"status": "not_configured"}},
            "services": services,
            "facts": {"github": {"now": NOW, "windows": {"deployments_days": 90, "pull_requests_days": 180}, "repos": repos}},
        })
    }

    fn one(repo_value: Value) -> DoraMeasures {
        let m = measure(
            &input(&[("shop", &["shop"])], json!({"shop": repo_value})),
            now(),
        );
        m.get("shop").cloned().expect("shop measured")
    }

    /// `n` successful production deployments spread evenly over the last 30 days.
    fn spread(n: u64) -> Vec<Value> {
        (0..n)
            .map(|i| deploy(i + 1, "production", 0.5 + 29.0 * i as f64 / n as f64, true))
            .collect()
    }

    #[test]
    fn deployment_frequency_bands_follow_the_published_clusters() {
        for (n, band) in [
            (45, DoraBand::Elite),
            (10, DoraBand::High),
            (2, DoraBand::Medium),
        ] {
            let df = one(repo(spread(n), vec![])).deployment_frequency;
            assert_eq!(df.status, DoraStatus::Measured, "{n}");
            assert_eq!(df.band, Some(band), "{n} deployments in 30 days");
            assert_eq!(df.sample_size, n);
            assert_eq!(df.window_days, 30);
            assert_eq!(df.evidence.len() as u64, n);
            assert_eq!(df.value, Some(round(n as f64 / 30.0 * 7.0, 2)));
            assert_eq!(df.details.get("per_day"), Some(&round(n as f64 / 30.0, 3)));
            assert!(
                df.note
                    .starts_with(&format!("{n} successful production deployments in 30 days")),
                "{}",
                df.note
            );
        }
        // Nothing in 30 days, one 60 days ago: fewer than once a month, measured.
        let df = one(repo(vec![deploy(1, "production", 60.0, true)], vec![])).deployment_frequency;
        assert_eq!(
            (df.status, df.value, df.band),
            (DoraStatus::Measured, Some(0.0), Some(DoraBand::Low))
        );
        assert!(
            df.note
                .contains("No successful production deployment in the last 30 days"),
            "{}",
            df.note
        );
        // Boundaries: exactly once a day is high, not elite; exactly once a week is high.
        assert_eq!(deployment_band(1.0), DoraBand::High);
        assert_eq!(deployment_band(1.0 / 7.0), DoraBand::High);
        assert_eq!(deployment_band(1.0 / 30.0), DoraBand::Medium);
        assert_eq!(deployment_band(0.5 / 30.0), DoraBand::Low);
    }

    #[test]
    fn failed_and_staging_deployments_are_not_counted() {
        let df = one(repo(
            vec![
                deploy(1, "production", 1.0, true),
                deploy(2, "production", 2.0, false),
                deploy(3, "staging", 3.0, true),
            ],
            vec![],
        ))
        .deployment_frequency;
        assert_eq!(df.sample_size, 1);
        assert_eq!(df.evidence, ["github:acme/shop:deployment:1"]);
    }

    #[test]
    fn facts_of_the_wrong_shape_are_unknown_never_no_deployments() {
        let mut bad = deploy(1, "production", 1.0, true);
        bad["succeeded_at"] = json!("yesterday");
        let m = one(repo(vec![bad, deploy(2, "production", 2.0, true)], vec![]));
        assert_eq!(m.deployment_frequency.status, DoraStatus::Unknown);
        assert!(
            m.deployment_frequency
                .note
                .contains("carry times that do not parse"),
            "{}",
            m.deployment_frequency.note
        );
        let mut items = repo(vec![deploy(1, "production", 1.0, true)], vec![]);
        items["pull_requests"]["items"] = json!({"number": 1});
        let m = one(items);
        assert_eq!(m.lead_time_for_changes.status, DoraStatus::Unknown);
        assert!(
            m.lead_time_for_changes.note.contains("not a list of items"),
            "{}",
            m.lead_time_for_changes.note
        );
    }

    #[test]
    fn lead_time_runs_from_first_commit_to_the_first_production_deploy_after_merge() {
        let m = one(repo(
            vec![
                deploy(1, "production", 10.0, true),
                deploy(2, "production", 5.0, true),
                deploy(3, "production", 1.0, true),
            ],
            vec![
                pr(1, 12.0, 11.0), // deployed by 1: ~2 days
                pr(2, 8.0, 6.0),   // deployed by 2: ~3 days
                pr(3, 5.5, 5.2), // deployed by 2 (created 5.0 days ago, after the merge): ~0.5 day
                pr(4, 3.0, 2.0), // deployed by 3: ~2 days
                pr(5, 0.8, 0.5), // merged after the last deploy: not deployed
                pr(6, 60.0, 40.0), // merged before the window
            ],
        ));
        let lt = m.lead_time_for_changes;
        assert_eq!(lt.status, DoraStatus::Measured);
        assert_eq!(lt.sample_size, 4);
        assert_eq!(lt.details.get("not_deployed"), Some(&1.0));
        // Each deployment succeeds 0.01 day after it is created: 2.01, 3.01, 0.51 and 2.01
        // days, sorted 12.24, 48.24, 48.24, 72.24 hours.
        assert_eq!(lt.value, Some(48.24));
        assert_eq!(lt.details.get("p90"), Some(&72.24));
        assert_eq!(lt.band, Some(DoraBand::High));
        assert!(
            lt.note.contains("1 merged changes are not deployed"),
            "{}",
            lt.note
        );
        assert!(lt.evidence.contains(&"github:acme/shop:pull:3".to_owned()));
        assert!(!lt.evidence.contains(&"github:acme/shop:pull:5".to_owned()));
        assert_eq!(lead_time_band(23.9), DoraBand::Elite);
        assert_eq!(lead_time_band(24.0 * 7.0), DoraBand::Medium);
        assert_eq!(lead_time_band(24.0 * 30.0), DoraBand::Low);
    }

    #[test]
    fn lead_time_falls_back_to_created_at_and_bands_elite() {
        let mut p = pr(1, 0.0, 0.3);
        p["first_commit_at"] = Value::Null;
        p["created_at"] = json!(ago(0.4));
        let lt = one(repo(vec![deploy(1, "production", 0.2, true)], vec![p])).lead_time_for_changes;
        assert_eq!(lt.band, Some(DoraBand::Elite));
        assert_eq!(lt.value, Some(round((0.4 - 0.19) * 24.0, 2)));
    }

    #[test]
    fn empty_samples_are_insufficient_data_not_zero() {
        let m = one(repo(vec![], vec![]));
        assert_eq!(m.deployment_frequency.status, DoraStatus::InsufficientData);
        assert_eq!(m.deployment_frequency.value, None);
        assert_eq!(m.deployment_frequency.band, None);
        assert_eq!(m.lead_time_for_changes.status, DoraStatus::InsufficientData);
        assert!(
            m.lead_time_for_changes
                .note
                .starts_with("No merged change reached production")
        );
        // Merged but never deployed: still no lead time, the change is counted apart.
        let lt = one(repo(vec![], vec![pr(1, 3.0, 2.0)])).lead_time_for_changes;
        assert_eq!(lt.status, DoraStatus::InsufficientData);
        assert_eq!(lt.details.get("not_deployed"), Some(&1.0));
    }

    #[test]
    fn unread_parts_make_measures_unknown_never_absent() {
        let mut r = repo(spread(10), vec![pr(1, 3.0, 2.0)]);
        r["unread"] = json!({"deployments": {"status": "forbidden", "detail": "Resource not accessible by integration"}});
        r.as_object_mut().map(|o| o.remove("deployments"));
        let m = one(r);
        assert_eq!(m.deployment_frequency.status, DoraStatus::Unknown);
        assert_eq!(m.deployment_frequency.reason.as_deref(), Some("forbidden"));
        assert!(m.deployment_frequency.note.contains("deployments of acme/shop could not be read (forbidden: Resource not accessible by integration)"), "{}", m.deployment_frequency.note);
        assert_eq!(m.lead_time_for_changes.status, DoraStatus::Unknown);

        let mut r = repo(spread(10), vec![]);
        r["unread"] = json!({"pull_requests": {"status": "rate_limited"}});
        let m = one(r);
        assert_eq!(m.deployment_frequency.status, DoraStatus::Measured);
        assert_eq!(
            m.lead_time_for_changes.reason.as_deref(),
            Some("rate_limited")
        );

        let mut r = repo(spread(10), vec![]);
        r["unread"] = json!({"all": {"status": "timeout"}});
        let m = one(r);
        assert_eq!(m.deployment_frequency.reason.as_deref(), Some("timeout"));
        assert_eq!(m.lead_time_for_changes.reason.as_deref(), Some("timeout"));
    }

    #[test]
    fn incomplete_reads_are_lower_bounds_and_samples() {
        let mut r = repo(spread(10), vec![pr(1, 3.0, 2.0)]);
        r["deployments_complete"] = json!(false);
        r["pull_requests"]["complete"] = json!(false);
        let m = one(r);
        assert!(!m.deployment_frequency.complete);
        assert!(
            m.deployment_frequency.note.contains("lower bound"),
            "{}",
            m.deployment_frequency.note
        );
        assert!(!m.lead_time_for_changes.complete);
        assert!(
            m.lead_time_for_changes.note.contains("sample"),
            "{}",
            m.lead_time_for_changes.note
        );
    }

    #[test]
    fn no_production_environment_is_said_not_guessed() {
        let mut r = repo(vec![deploy(1, "staging", 1.0, true)], vec![]);
        r["environments"] = json!([{"name": "staging", "production": false}, {"name": "preview", "production": false}]);
        let df = one(r).deployment_frequency;
        assert_eq!(df.status, DoraStatus::Unknown);
        assert_eq!(df.reason.as_deref(), Some("no_production_environment"));
        assert!(
            df.note.contains(
                "acme/shop has no production environment (environments: staging, preview)"
            ),
            "{}",
            df.note
        );
    }

    #[test]
    fn monorepo_services_share_deployments_unless_the_environment_names_one() {
        let r = repo(
            vec![
                deploy(1, "production", 1.0, true),
                deploy(2, "production-web", 2.0, true),
                deploy(3, "production-web-admin", 3.0, true),
                deploy(4, "prod-api", 4.0, true),
            ],
            vec![],
        );
        let m = measure(
            &input(
                &[
                    ("web", &["shop"]),
                    ("web-admin", &["shop"]),
                    ("api", &["shop"]),
                ],
                json!({"shop": r}),
            ),
            now(),
        );
        let ids = |s: &str| m[s].deployment_frequency.evidence.clone();
        let d = |n: u32| format!("github:acme/shop:deployment:{n}");
        assert_eq!(ids("web"), [d(1), d(2)]);
        assert_eq!(ids("web-admin"), [d(1), d(3)]);
        assert_eq!(ids("api"), [d(1), d(4)]);
        assert!(m["api"].deployment_frequency.note.contains("Deployments of acme/shop are shared by all its services unless the environment names one"));
    }

    #[test]
    fn incidents_need_an_on_call_source_and_no_github_means_no_section() {
        let m = one(repo(spread(2), vec![]));
        assert_eq!(m.change_failure_rate.status, DoraStatus::NotComputed);
        assert_eq!(m.change_failure_rate.value, None);
        assert_eq!(
            m.change_failure_rate.reason.as_deref(),
            Some("needs an on-call source (not configured)")
        );
        assert_eq!(
            m.time_to_restore.reason.as_deref(),
            Some("needs an on-call source (not configured)")
        );

        let mut i = input(&[("shop", &["shop"])], json!({}));
        i["facts"] = json!({});
        i["sources"]["github"]["status"] = json!("not_configured");
        assert!(measure(&i, now()).is_empty());
        // Configured but failed: every service unknown with the source's status.
        i["sources"]["github"]["status"] = json!("error");
        let m = measure(&i, now());
        assert_eq!(
            m["shop"].deployment_frequency.reason.as_deref(),
            Some("error")
        );
    }

    #[test]
    fn a_repository_not_on_github_is_named_and_left_out() {
        let i = input(
            &[("shop", &["shop", "local"])],
            json!({"shop": repo(spread(2), vec![])}),
        );
        let m = measure(&i, now());
        assert_eq!(m["shop"].repos, ["shop"]);
        assert!(
            m["shop"]
                .deployment_frequency
                .note
                .contains("Not counted: local"),
            "{}",
            m["shop"].deployment_frequency.note
        );
        let i = input(
            &[("other", &["local"])],
            json!({"shop": repo(spread(2), vec![])}),
        );
        assert_eq!(
            measure(&i, now())["other"]
                .deployment_frequency
                .reason
                .as_deref(),
            Some("not_read")
        );
    }

    /// `input` with PagerDuty read: on-call service PWEB tied to `shop`, and `incidents`
    /// (`[id, triggered days ago, resolved after hours or None]`) on it.
    fn with_incidents(mut i: Value, incidents: &[(&str, f64, Option<f64>)]) -> Value {
        let list: Vec<Value> = incidents
            .iter()
            .map(|(id, days, hours)| {
                let created = now() - Duration::seconds((days * 86400.0) as i64);
                json!({"key": format!("pagerduty/{id}"), "account": "pagerduty", "id": id,
                       "services": ["pagerduty/PWEB"],
                       "created_at": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                       "resolved_at": hours.map(|h| (created + Duration::seconds((h * 3600.0) as i64)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                       "status": if hours.is_some() { "resolved" } else { "triggered" },
                       "evidence": format!("oncall:pagerduty:incident:{id}")})
            })
            .collect();
        i["sources"]["oncall"] = json!({"status": "ok"});
        i["facts"]["oncall"] = json!({
            "accounts": {"pagerduty": {"tool": "pagerduty", "api": "https://api.pagerduty.com", "now": NOW,
                                       "since": ago(90.0), "window_days": 90}},
            "incidents": list,
        });
        for (_, svc) in i["services"].as_object_mut().expect("services").iter_mut() {
            svc["oncall"] = json!({"services": ["pagerduty/PWEB"], "escalation_policies": [], "schedules": [],
                                   "responders": [], "complete": true, "evidence": []});
        }
        i
    }

    fn one_with(repo_value: Value, incidents: &[(&str, f64, Option<f64>)]) -> DoraMeasures {
        let i = with_incidents(
            input(&[("shop", &["shop"])], json!({"shop": repo_value})),
            incidents,
        );
        measure(&i, now())
            .get("shop")
            .cloned()
            .expect("shop measured")
    }

    #[test]
    fn time_to_restore_is_the_median_of_resolved_incidents_with_its_band() {
        let ttr = one_with(
            repo(spread(2), vec![]),
            &[
                ("PI1", 60.0, Some(30.0)),
                ("PI2", 20.0, Some(2.0)),
                ("PI3", 10.0, Some(4.0)),
                ("PI4", 1.0, None),
            ],
        )
        .time_to_restore;
        assert_eq!(ttr.status, DoraStatus::Measured);
        assert_eq!(
            (ttr.value, ttr.sample_size, ttr.window_days),
            (Some(4.0), 3, 90)
        );
        assert_eq!(ttr.band, Some(DoraBand::High));
        assert_eq!(ttr.details.get("open"), Some(&1.0));
        assert_eq!(ttr.details.get("p90"), Some(&30.0));
        assert!(
            !ttr.evidence
                .contains(&"oncall:pagerduty:incident:PI4".to_owned())
        );
        assert!(
            ttr.note
                .starts_with("3 resolved incidents in 90 days. 1 incidents are still open"),
            "{}",
            ttr.note
        );
        assert_eq!(restore_band(0.9), DoraBand::Elite);
        assert_eq!(restore_band(1.0), DoraBand::High);
        assert_eq!(restore_band(24.0), DoraBand::Medium);
        assert_eq!(restore_band(24.0 * 7.0), DoraBand::Low);
        // Only open incidents: nothing to measure, not zero.
        let ttr = one_with(repo(vec![], vec![]), &[("PI1", 1.0, None)]).time_to_restore;
        assert_eq!(ttr.status, DoraStatus::InsufficientData);
        assert_eq!(ttr.value, None);
    }

    #[test]
    fn change_failure_rate_counts_deploys_followed_within_24_hours_by_an_incident_or_a_rollback() {
        let mut deploys = vec![
            deploy(1, "production", 20.0, true),
            deploy(2, "production", 15.0, true), // incident 2 h later
            deploy(3, "production", 10.0, true), // deploy 4 rolls back to deploy 1's commit
            deploy(4, "production", 9.8, true),
            deploy(5, "production", 5.0, true), // incident 30 h later: not its failure
        ];
        for (n, d) in deploys.iter_mut().enumerate() {
            d["sha"] = json!(format!("c{}", [1, 2, 3, 1, 5][n]));
        }
        let cfr = one_with(
            repo(deploys, vec![]),
            &[
                ("PI1", 15.0 - 2.0 / 24.0, Some(1.0)),
                ("PI2", 5.0 - 30.0 / 24.0, Some(1.0)),
            ],
        )
        .change_failure_rate;
        assert_eq!(cfr.status, DoraStatus::Measured);
        assert_eq!((cfr.value, cfr.sample_size), (Some(40.0), 5));
        assert_eq!(cfr.band, Some(DoraBand::Low));
        assert_eq!(cfr.details.get("by_incident"), Some(&1.0));
        assert_eq!(cfr.details.get("by_rollback"), Some(&1.0));
        assert_eq!(
            cfr.evidence,
            [
                "github:acme/shop:deployment:2",
                "github:acme/shop:deployment:3"
            ]
        );
        assert!(
            cfr.note.starts_with("2 of 5 production deployments in 30 days were followed within 24 hours by an incident (1) or a rollback (1)"),
            "{}",
            cfr.note
        );
        assert!(cfr.formula.contains("within 24 hours"));
        assert_eq!(failure_band(5.0), DoraBand::Elite);
        assert_eq!(failure_band(10.0), DoraBand::High);
        assert_eq!(failure_band(15.0), DoraBand::Medium);
        assert_eq!(failure_band(15.1), DoraBand::Low);
        // No incident after any deploy: 0%, elite.
        let cfr = one_with(repo(spread(4), vec![]), &[]).change_failure_rate;
        assert_eq!((cfr.value, cfr.band), (Some(0.0), Some(DoraBand::Elite)));
    }

    #[test]
    fn unread_incidents_and_a_missing_join_are_unknown_with_the_reason() {
        let mut i = with_incidents(
            input(
                &[("shop", &["shop"])],
                json!({"shop": repo(spread(3), vec![])}),
            ),
            &[("PI1", 2.0, Some(1.0))],
        );
        i["facts"]["oncall"]["accounts"]["pagerduty"]["unread"] =
            json!({"incidents": {"status": "forbidden", "detail": "GET /incidents answered 403"}});
        let m = &measure(&i, now())["shop"];
        for x in [&m.time_to_restore, &m.change_failure_rate] {
            assert_eq!(x.status, DoraStatus::Unknown);
            assert_eq!(x.reason.as_deref(), Some("forbidden"));
            assert!(
                x.note.contains("incidents of pagerduty could not be read (forbidden: GET /incidents answered 403)"),
                "{}",
                x.note
            );
        }
        let mut i = with_incidents(
            input(
                &[("shop", &["shop"])],
                json!({"shop": repo(spread(3), vec![])}),
            ),
            &[],
        );
        i["services"]["shop"]
            .as_object_mut()
            .map(|o| o.remove("oncall"));
        let m = &measure(&i, now())["shop"];
        assert_eq!(m.time_to_restore.reason.as_deref(), Some("no_oncall_join"));
        assert_eq!(
            m.change_failure_rate.reason.as_deref(),
            Some("no_oncall_join")
        );
        // Facts of the wrong shape are an error, never no incidents.
        let mut i = with_incidents(input(&[("shop", &["shop"])], json!({})), &[]);
        i["facts"]["oncall"]["incidents"] = json!({"not": "a list"});
        let m = &measure(&i, now())["shop"];
        assert_eq!(m.time_to_restore.status, DoraStatus::Unknown);
        assert_eq!(m.time_to_restore.reason.as_deref(), Some("error"));
    }

    #[test]
    fn an_on_call_source_alone_measures_time_to_restore() {
        let mut i = with_incidents(
            input(&[("shop", &["shop"])], json!({})),
            &[("PI1", 2.0, Some(0.5))],
        );
        i["sources"]["github"]["status"] = json!("not_configured");
        i["facts"].as_object_mut().map(|f| f.remove("github"));
        let m = &measure(&i, now())["shop"];
        assert_eq!(m.time_to_restore.value, Some(0.5));
        assert_eq!(m.time_to_restore.band, Some(DoraBand::Elite));
        assert_eq!(
            m.deployment_frequency.reason.as_deref(),
            Some("not_configured")
        );
        assert_eq!(m.change_failure_rate.status, DoraStatus::Unknown);
        assert!(
            m.change_failure_rate
                .note
                .contains("no GitHub source was configured"),
            "{}",
            m.change_failure_rate.note
        );
    }
}
