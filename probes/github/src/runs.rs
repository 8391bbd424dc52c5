//! Workflow runs of the window: REST only (GraphQL has none), conditional, paginated.

use crate::Window;
use crate::facts::{GithubRepo, Runs, WorkflowRuns};
use evident_core::Evidence;
use evident_github::{Client, GithubError};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Pages of 100 runs read at most per repository: 1,000 runs in 30 days is more than
/// any criterion needs to say CI runs; past it the count is a lower bound.
const MAX_RUN_PAGES: usize = 10;

#[derive(Debug, Deserialize)]
struct Run {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    path: Option<String>,
    event: String,
    #[serde(default)]
    conclusion: Option<String>,
    created_at: String,
}

fn runs_of(v: &Value) -> Option<&Vec<Value>> {
    v.get("workflow_runs")?.as_array()
}

/// The runs of `full` created since the window's start, and each run's event by id
/// (which tells a deployment a person started from one a push started).
pub(crate) async fn read(
    client: &Client,
    full: &str,
    window: &Window,
) -> Result<(Runs, HashMap<u64, String>), GithubError> {
    let first = format!(
        "/repos/{full}/actions/runs?created=%3E%3D{}&per_page=100",
        window.runs_since_date
    );
    let mut pages = client.get_pages(&first, runs_of).await?;
    pages.items.truncate(MAX_RUN_PAGES * 100);
    let complete = pages.cut.is_none();
    let mut by_path: BTreeMap<String, WorkflowRuns> = BTreeMap::new();
    let mut events = HashMap::new();
    let mut count = 0;
    for item in &pages.items {
        let run: Run = serde_json::from_value(item.clone()).map_err(|e| GithubError::Error {
            path: first.clone(),
            reason: format!("a workflow run is not of the documented shape: {e}"),
        })?;
        count += 1;
        events.insert(run.id, run.event.clone());
        let path = run.path.clone().unwrap_or_default();
        let path = path.split('@').next().unwrap_or_default().to_owned();
        let entry = by_path.entry(path.clone()).or_insert_with(|| WorkflowRuns {
            path,
            name: run.name.clone().unwrap_or_default(),
            ..WorkflowRuns::default()
        });
        entry.runs += 1;
        if run.created_at > entry.last_run_at {
            entry.last_run_at = run.created_at.clone();
        }
        if !entry.events.contains(&run.event) {
            entry.events.push(run.event.clone());
            entry.events.sort();
        }
        let conclusion = run.conclusion.unwrap_or_else(|| "in_progress".into());
        *entry.conclusions.entry(conclusion).or_default() += 1;
    }
    Ok((
        Runs {
            since: window.runs_since.clone(),
            count,
            complete,
            workflows: by_path.into_values().collect(),
            evidence: format!("github:{full}:runs"),
        },
        events,
    ))
}

/// Deployments made by a workflow run learn the run's event: a run a person started
/// (`workflow_dispatch`) made a deployment by hand, whatever bot account created it.
pub(crate) fn join_deployments(repo: &mut GithubRepo, events: &HashMap<u64, String>) {
    const BY_HAND: [&str; 1] = ["workflow_dispatch"];
    for d in repo.deployments.iter_mut().flatten() {
        let Some(event) = d.run_id.and_then(|id| events.get(&id)) else {
            continue;
        };
        d.run_event = Some(event.clone());
        d.by_automation = !BY_HAND.contains(&event.as_str());
    }
}

/// The evidence record of the runs listing.
pub(crate) fn evidence(full: &str, runs: &Runs, window: &Window, observed_at: &str) -> Evidence {
    let workflows: BTreeSet<String> = runs
        .workflows
        .iter()
        .map(|w| format!("{} ({} runs, last {})", w.path, w.runs, w.last_run_at))
        .collect();
    Evidence {
        id: runs.evidence.clone(),
        probe: "github".into(),
        source: full.to_owned(),
        locator: format!(
            "GET /repos/{full}/actions/runs?created=>={}",
            window.runs_since_date
        ),
        location: None,
        observed_at: observed_at.to_owned(),
        revision: None,
        sha256: None,
        excerpt: format!(
            "{}{} workflow runs since {}: {}",
            runs.count,
            if runs.complete { "" } else { "+" },
            window.runs_since_date,
            workflows.into_iter().collect::<Vec<_>>().join("; ")
        ),
    }
}
