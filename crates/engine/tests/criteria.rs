//! Table-driven: for every criterion that has a rule, one `met`, one `not_met` and one
//! `unknown` case from fixture facts.

mod common;

use common::*;
use evident_core::Status::{self, *};
use serde_json::{Value, json};

type Mutation = fn(&mut Value);

fn none(_: &mut Value) {}

fn git(i: &mut Value) -> &mut Value {
    &mut i["facts"]["git"]
}
fn repo(i: &mut Value) -> &mut Value {
    &mut i["facts"]["git"]["repos"]["web"]
}
fn web(i: &mut Value) -> &mut Value {
    &mut i["facts"]["git"]["workloads"]["Deployment/shop/web"]
}
fn app(i: &mut Value) -> &mut Value {
    &mut i["facts"]["git"]["workloads"]["Deployment/shop/web"]["containers"][0]
}
fn jobs(i: &mut Value) -> &mut Vec<Value> {
    repo(i)["ci"]["jobs"].as_array_mut().expect("jobs")
}
fn drop_jobs_of_kind(i: &mut Value, kind: &str) {
    jobs(i).retain(|j| {
        !j["kinds"]
            .as_array()
            .is_some_and(|k| k.contains(&json!(kind)))
    });
}
fn git_error(i: &mut Value) {
    i["sources"]["git"] = json!({"status": "error", "detail": "could not open /src/web"});
}
fn no_workloads(i: &mut Value) {
    i["services"]["web"]["workloads"] = json!([]);
    git(i)["workloads"] = json!({});
}
fn no_alerts(i: &mut Value) {
    git(i)["prometheus_rules"] = json!([]);
}
fn kubernetes_ok_without_managers(i: &mut Value) {
    i["sources"]["kubernetes"] = json!({"status": "ok"});
    let mut live = i["facts"]["git"]["workloads"]["Deployment/shop/web"].clone();
    live["managers"] = json!([]);
    i["facts"]["kubernetes"] = json!({"workloads": {"Deployment/shop/web": live}});
}

/// History of the `web` repository as the git_history probe reports it: small changes,
/// monthly small releases, one long-lived branch under the limits.
fn history(i: &mut Value) {
    i["sources"]["git_history"] = json!({"status": "ok", "detail": ""});
    i["facts"]["git_history"] = json!({"repos": {"web": {
        "key": "web", "root": "/src/web", "default_branch": "main", "head": "abc",
        "window_days": 180, "since": "2026-05-27T00:00:00Z", "complete": true,
        "truncated": null, "sampled": null, "commits": 120, "commits_per_week": 4.7,
        "authors": 6, "weeks_with_commits": 24,
        "changes": {"days": 180, "count": 5, "measured": 5, "median_lines": 40, "p90_lines": 300},
        "changes_90d": {"days": 90, "count": 3, "measured": 3, "median_lines": 40, "p90_lines": 300},
        "change_lines": [12, 40, 300, 25, 80], "largest_changes": [],
        "releases": [
            {"tag": "v1.1.0", "commit": "c1", "time": "2026-06-01T00:00:00Z", "interval_days": 20.0, "diff_lines": 400},
            {"tag": "v1.2.0", "commit": "c2", "time": "2026-06-25T00:00:00Z", "interval_days": 24.0, "diff_lines": 600},
            {"tag": "v1.3.0", "commit": "c3", "time": "2026-07-20T00:00:00Z", "interval_days": 25.0, "diff_lines": 900}
        ],
        "median_release_interval_days": 24.0, "median_release_diff_lines": 600,
        "stale_branches": [{"name": "spike", "unmerged_commits": 12, "oldest_unmerged": "2026-01-01T00:00:00Z", "age_days": 300, "evidence": "E-branch"}],
        "branches_examined": 3, "evidence": "E-history", "release_evidence": "E-releases"
    }}});
}
fn history_repo(i: &mut Value) -> &mut Value {
    &mut i["facts"]["git_history"]["repos"]["web"]
}
fn shallow_clone(i: &mut Value) {
    history(i);
    i["sources"]["git_history"] = json!({"status": "error", "detail": "the clone is shallow"});
    i["facts"]["git_history"] = json!({"repos": {}});
}
/// Prometheus and Grafana answered: `web` is scraped, exports domain and HTTP metrics,
/// sits in the service graph, has SLO rules, a burn-rate alert, a blackbox probe, a
/// clean `up` history, and a dashboard panel selecting its job.
fn prom_ok(i: &mut Value) {
    i["sources"]["grafana"] = json!({"status": "ok", "detail": "3 dashboards read"});
    let parts: serde_json::Map<String, Value> = [
        "targets",
        "rules",
        "metrics",
        "availability",
        "synthetic",
        "edges",
    ]
    .iter()
    .map(|p| ((*p).to_owned(), json!({"status": "ok", "detail": ""})))
    .collect();
    i["sources"]["prometheus"] =
        json!({"status": "ok", "detail": "Prometheus 2.53 answered", "parts": parts});
    i["services"]["web"]["prometheus"] = json!(["web"]);
    i["services"]["web"]["prometheus_rules"] = json!([0, 1, 2]);
    i["facts"]["prometheus"] = json!({
        "window": "30d", "edge_window": "7d",
        "services": {"web": {
            "jobs": ["shop/web"], "namespaces": ["shop"], "mapped_by": ["label app_kubernetes_io_name"],
            "targets_total": 3, "targets_up": 3,
            "metrics": ["go_goroutines", "http_request_duration_seconds_bucket", "http_requests_total", "orders_placed_total"],
            "families": {"runtime": ["go_goroutines"], "http": ["http_request_duration_seconds_bucket", "http_requests_total"], "infra": [], "domain": ["orders_placed_total"]},
            "own_metrics": ["orders_placed_total"],
            "request_counters": ["http_requests_total"], "latency_histograms": ["http_request_duration_seconds_bucket"],
            "metrics_evidence": ["P-metrics"],
            "availability": {"points": 720, "down_points": 0, "evidence": ["P-up"]},
            "evidence": ["P-targets", "P-metrics"]
        }},
        "rules": [
            {"group": "sloth", "name": "slo:sli_error:ratio_rate5m", "kind": "record", "expr": "sum(rate(http_requests_total{code=~\"5..\"}[5m]))", "labels": {"sloth_service": "web"}, "runbook_url": null, "service_hint": "web", "metrics": ["http_requests_total"], "slo_tool": "sloth", "burn_rate": false, "evidence": "P-rule-slo"},
            {"group": "sloth", "name": "WebAvailabilityPage", "kind": "alert", "expr": "slo:sli_error:ratio_rate5m > 0.0144", "labels": {"sloth_severity": "page"}, "runbook_url": "https://runbooks/web/slo", "service_hint": "web", "metrics": ["slo:sli_error:ratio_rate5m"], "slo_tool": null, "burn_rate": true, "evidence": "P-rule-burn"},
            {"group": "web", "name": "WebOrdersStalled", "kind": "alert", "expr": "rate(orders_placed_total[10m]) == 0", "labels": {}, "runbook_url": "https://runbooks/web/orders", "service_hint": "web", "metrics": ["orders_placed_total"], "slo_tool": null, "burn_rate": false, "evidence": "P-rule-orders"}
        ],
        "synthetic": [{"job": "blackbox", "instance": "http://web.shop.svc/healthz", "service": "web", "success_ratio": 1.0, "evidence": "P-probe"}],
        "edges": [{"source": "web", "destination": "cart", "metric": "istio_requests_total", "requests": 1200.0, "evidence": "P-edge"}],
        "targets": [], "servers": []
    });
    i["facts"]["grafana"] = json!({"dashboards": [
        {"uid": "web", "title": "Web RED", "source": "api", "panels": [],
         "metrics": ["http_requests_total"],
         "matchers": [{"label": "job", "op": "=", "value": "shop/web", "templated": false}],
         "unparsed": 0, "evidence": "G-dash-web"}
    ]});
}
fn prom_part(i: &mut Value, part: &str, status: &str) {
    i["sources"]["prometheus"]["parts"][part] =
        json!({"status": status, "detail": "GET /api/v1/query answered HTTP 503"});
}
fn prom_web(i: &mut Value) -> &mut Value {
    &mut i["facts"]["prometheus"]["services"]["web"]
}
/// Nothing about SLOs, alerts or synthetic checks in the repository: only Prometheus
/// can decide.
fn repo_without_monitoring(i: &mut Value) {
    no_alerts(i);
    i["services"]["web"]["rules"] = json!([]);
    drop_jobs_of_kind(i, "synthetic");
}
/// The scan read cluster `prod`, which runs the fixture's workloads (keys qualified by
/// the cluster, as the kubernetes probe writes them) and a fluent-bit DaemonSet.
fn live_cluster(i: &mut Value) {
    i["sources"]["kubernetes"] = json!({"status": "ok", "detail": "cluster prod: 42 objects"});
    let q = |v: &Value| -> Value {
        match v {
            Value::String(s) => json!(format!("prod/{s}")),
            Value::Array(a) => a
                .iter()
                .map(|x| json!(format!("prod/{}", x.as_str().unwrap_or_default())))
                .collect(),
            other => other.clone(),
        }
    };
    let mut workloads = serde_json::Map::new();
    for (k, w) in git(i)["workloads"].as_object().cloned().unwrap_or_default() {
        let mut w = w;
        for f in ["key", "selected_by_services", "pdbs", "hpas"] {
            w[f] = q(&w[f]);
        }
        w["cluster"] = json!("prod");
        w["evidence"] = json!([format!("k8s:prod:{k}@4711")]);
        w["live"] = json!({"desired_replicas": 3, "ready_replicas": 3, "available_replicas": 3, "updated_replicas": 3, "pods": 3, "restarts": 0, "pods_not_ready": 0});
        workloads.insert(format!("prod/{k}"), w);
    }
    let mut hpas = serde_json::Map::new();
    for (k, h) in git(i)["hpas"].as_object().cloned().unwrap_or_default() {
        let mut h = h;
        h["key"] = q(&h["key"]);
        h["target"] = q(&h["target"]);
        h["evidence"] = json!(format!("k8s:prod:{k}@4712"));
        hpas.insert(format!("prod/{k}"), h);
    }
    workloads.insert("prod/DaemonSet/logging/fluent-bit".into(), json!({
        "key": "prod/DaemonSet/logging/fluent-bit", "kind": "DaemonSet", "name": "fluent-bit", "namespace": "logging",
        "long_running": true, "cluster": "prod", "containers": [], "evidence": ["k8s:prod:DaemonSet/logging/fluent-bit@7"],
        "live": {"desired_replicas": 3, "ready_replicas": 3, "available_replicas": 3, "updated_replicas": 3, "pods": 3, "restarts": 0, "pods_not_ready": 0}
    }));
    i["facts"]["kubernetes"] = json!({
        "clusters": {"prod": {"name": "prod", "kind": "context", "status": "ok"}},
        "workloads": workloads, "hpas": hpas, "services": {}, "pdbs": {}, "bare_pods": [],
        "log_shippers": [{"key": "prod/DaemonSet/logging/fluent-bit", "tool": "fluent-bit", "evidence": "k8s:prod:DaemonSet/logging/fluent-bit@7", "cluster": "prod"}],
        "prometheus_rules": [], "mesh_control_planes": [], "gitops_controllers": [], "skipped": [],
        "unread": [], "forbidden": []
    });
    i["services"]["web"]["live_workloads"] = json!(["prod/Deployment/shop/web"]);
}

/// `live_cluster`, but the cluster refused to list `resource` (403).
fn forbid(i: &mut Value, resource: &str) {
    live_cluster(i);
    i["facts"]["kubernetes"]["unread"] = json!([{"cluster": "prod", "group": "", "resource": resource, "status": "forbidden",
        "detail": format!("403 {resource} is forbidden: User \"system:serviceaccount:evident:evident\" cannot list resource \"{resource}\"")}]);
    i["facts"]["kubernetes"]["forbidden"] = json!([resource]);
}

fn live_web(i: &mut Value) -> &mut Value {
    &mut i["facts"]["kubernetes"]["workloads"]["prod/Deployment/shop/web"]
}

/// The service `web` is made only of a CronJob (`app.kubernetes.io/part-of: web`):
/// resolution attached it, and nothing long-running belongs to the service.
fn batch_only(i: &mut Value) {
    let mut cron = web(i).clone();
    cron["key"] = json!("CronJob/shop/cache-warm");
    cron["kind"] = json!("CronJob");
    cron["name"] = json!("cache-warm");
    cron["part_of"] = json!("web");
    cron["hook"] = Value::Null;
    cron["batch"] = json!(true);
    cron["long_running"] = json!(false);
    cron["replicas"] = Value::Null;
    cron["effective_replicas"] = Value::Null;
    cron["strategy"] = json!({"type": null, "max_unavailable": null, "max_unavailable_pods": null});
    cron["selected_by_services"] = json!([]);
    cron["pdbs"] = json!([]);
    cron["hpas"] = json!([]);
    cron["min_replicas"] = Value::Null;
    cron["containers"][0]["readiness_probe"] = json!(false);
    cron["containers"][0]["liveness_probe"] = json!(false);
    cron["containers"][0]["ports"] = json!([]);
    cron["evidence"] = json!(["git:web@abc1234:k8s/cache-warm.yaml#L1-L30"]);
    git(i)["workloads"]["CronJob/shop/cache-warm"] = cron;
    i["services"]["web"]["workloads"] = json!(["CronJob/shop/cache-warm"]);
}
fn cron(i: &mut Value) -> &mut Value {
    &mut i["facts"]["git"]["workloads"]["CronJob/shop/cache-warm"]
}

/// `web` is declared three times (a base, a release copy, an alternative manifest
/// set), as kube-facts keys copies: `Kind/ns/name`, `#2`, `#3`.
fn three_copies(i: &mut Value) {
    web(i)["evidence"] = json!(["git:web@abc1234:k8s/web.yaml#L1-L40"]);
    for (n, path) in [
        (2, "release/web.yaml#L10-L52"),
        (3, "kustomize/base/web.yaml#L1-L38"),
    ] {
        let mut copy = web(i).clone();
        copy["key"] = json!(format!("Deployment/shop/web#{n}"));
        copy["evidence"] = json!([format!("git:web@abc1234:{path}")]);
        git(i)["workloads"][format!("Deployment/shop/web#{n}")] = copy;
        i["services"]["web"]["workloads"]
            .as_array_mut()
            .expect("workloads")
            .push(json!(format!("Deployment/shop/web#{n}")));
    }
}

/// A second workflow of `web`, the one that held the test job, could not be read.
fn broken_workflow(i: &mut Value) {
    drop_jobs_of_kind(i, "test");
    repo(i)["ci"]["files"]
        .as_array_mut()
        .expect("files")
        .push(json!({"path": ".github/workflows/test.yaml", "system": "github-actions", "evidence": "E-ci-broken",
                     "error": "stream did not contain valid UTF-8"}));
}

/// `web` is deployed only by a Cloud Build file, whose triggers live in the Google Cloud
/// project (the probe writes `external-trigger`, not automatic).
fn cloud_build_deploy(i: &mut Value) {
    drop_jobs_of_kind(i, "deploy");
    let mut cb = job(
        "cloudbuild.yaml#steps",
        &["build", "deploy"],
        1,
        "E-cloudbuild",
    );
    cb["system"] = json!("cloud-build");
    cb["path"] = json!("cloudbuild.yaml");
    cb["deploy_targets"] = json!(["gke-deploy"]);
    cb["automatic"] = json!(false);
    cb["triggers"] = json!({"push_default_branch": false, "push_other": false, "pull_request": false,
                            "tag": false, "schedule": false, "manual": false, "other": ["external-trigger"]});
    jobs(i).push(cb);
}

/// The deploy job keeps only its call of a reusable workflow; `read`: the called file is
/// in the scan (its kinds are the caller's), else the call is unresolved.
fn reused_deploy(i: &mut Value, read: bool) {
    for j in jobs(i) {
        if j["name"] == "deploy" {
            j["kinds"] = json!([]);
            j["deploy_targets"] = json!([]);
        }
    }
    repo(i)["inventory"]["config_as_code"] = json!([]);
    let entry = if read {
        json!({"reuses": ["acme/templates/.github/workflows/deploy.yml@v1"], "kinds": ["deploy"],
               "deploy_targets": ["helm"], "evidence": ["E-job-deploy"], "jobs": [], "unresolved": []})
    } else {
        json!({"reuses": ["acme/templates/.github/workflows/deploy.yml@v1"], "kinds": [],
               "deploy_targets": [], "evidence": [], "jobs": [],
               "unresolved": [{"reuses": "acme/templates/.github/workflows/deploy.yml@v1", "why": "acme/templates is not in this scan"}]})
    };
    i["index"] = json!({"reused_jobs": {"web/.github/workflows/ci.yaml#deploy": entry}});
}

/// source_code read: `web` is one small Go deployable with a Postgres driver and an
/// internal kit used by 3 of 4 deployables, the kit itself small.
fn source_code(i: &mut Value) {
    i["sources"]["source_code"] = json!({"status": "ok", "detail": "1 deployable(s)"});
    i["facts"]["source_code"] = json!({
        "repos": {"web": {"key": "web", "deployables": [{
            "id": "web", "repo": "web", "dir": "", "marker": "Dockerfile", "code_lines": 12000,
            "comment_lines": 900, "files": 40, "languages": {"Go": {"code": 12000, "files": 40}},
            "excluded": {"vendored_files": 0, "generated_files": 3, "large_files": 0, "unreadable_files": 0},
            "manifests": ["go.mod"], "publishes": ["github.com/acme/web"],
            "dependencies": [
                {"name": "github.com/lib/pq", "ecosystem": "go", "version": "v1.10.9", "scope": "runtime",
                 "manifest": "go.mod", "line": 5, "internal": false, "esb": null,
                 "datastore": {"technology": "postgres", "kind": "sql"}, "evidence": "E-dep-pq"},
                {"name": "github.com/acme/kit", "ecosystem": "go", "version": "v0.3.0", "scope": "runtime",
                 "manifest": "go.mod", "line": 6, "internal": true, "esb": null, "datastore": null,
                 "evidence": "E-dep-kit"}
            ],
            "evidence": ["E-dockerfile"]
        }]}},
        "deployable_count": 4,
        "internal_packages": [{"name": "github.com/acme/kit", "ecosystem": "go", "repo": "kit", "dir": "",
                               "code_lines": 800, "used_by": ["web", "cart", "orders"],
                               "evidence": ["E-kit", "E-dep-kit"]}],
        "esb": [],
        "datastores": [{"technology": "postgres", "kind": "sql", "deployable": "web",
                        "dependency": "github.com/lib/pq", "scope": "runtime", "evidence": "E-dep-pq"}],
        "unreadable": []
    });
}
fn big_framework(i: &mut Value) {
    source_code(i);
    i["facts"]["source_code"]["internal_packages"][0]["code_lines"] = json!(45000);
}
fn big_deployable(i: &mut Value) {
    source_code(i);
    i["facts"]["source_code"]["repos"]["web"]["deployables"][0]["code_lines"] = json!(350000);
}
fn source_code_no_dependencies(i: &mut Value) {
    source_code(i);
    i["facts"]["source_code"]["repos"]["web"]["deployables"][0]["dependencies"] = json!([]);
    i["facts"]["source_code"]["internal_packages"] = json!([]);
}
fn source_code_partial(i: &mut Value) {
    source_code(i);
    i["sources"]["source_code"]["incomplete"] =
        json!([{"location": "web:package.json", "reason": "does not parse"}]);
}
fn no_database_in_env(i: &mut Value) {
    repo(i)["inventory"]["migrations"] = json!([]);
    app(i)["env_names"] = json!(["PORT"]);
    app(i)["env_from"] = json!([]);
}
/// A second service whose workload reads the same database credentials as `web`.
fn shared_credentials(i: &mut Value) {
    source_code(i);
    let mut api = i["facts"]["git"]["workloads"]["Deployment/shop/web"].clone();
    api["name"] = json!("api");
    api["key"] = json!("Deployment/shop/api");
    git(i)["workloads"]["Deployment/shop/api"] = api;
    i["services"]["api"] = json!({"id": "api", "team": "team-web", "team_source": "catalog-info.yaml",
        "resolved_from": "catalog", "repos": ["web"], "workloads": ["Deployment/shop/api"],
        "found_in": ["E-catalog"], "rules": [], "dockerfiles": [], "compose": []});
}

fn cases() -> Vec<(&'static str, Status, Mutation)> {
    vec![
        // GitHub-backed criteria (tests/github.rs checks their summaries and reasons)
        ("ds.org.small-teams", Met, with_github),
        ("ds.org.small-teams", NotMet, |i| {
            with_github(i);
            i["facts"]["github"]["teams"]["acme/web"]["member_count"] = json!(14);
        }),
        ("ds.org.small-teams", Unknown, |i| {
            with_github(i);
            i["teams"]["team-web"]["github_team"] = Value::Null;
        }),
        ("ds.org.cross-functional", Met, with_github),
        ("ds.org.cross-functional", NotMet, |i| {
            with_github(i);
            for p in gh_web(i)["pull_requests"]["items"]
                .as_array_mut()
                .expect("pulls")
            {
                p["files"] = json!(["src/server.go"]);
            }
        }),
        ("ds.org.cross-functional", Unknown, |i| {
            with_github(i);
            gh_unread(i, "pull_requests", "rate_limited");
        }),
        ("ds.org.independent-cd", Met, with_github),
        ("ds.org.independent-cd", NotMet, |i| {
            with_github(i);
            for d in gh_web(i)["deployments"]
                .as_array_mut()
                .expect("deployments")
            {
                d["by_automation"] = json!(false);
            }
        }),
        ("ds.org.independent-cd", Unknown, |i| {
            with_github(i);
            gh_unread(i, "deployments", "forbidden");
        }),
        ("ds.process.min-bureaucracy", Met, with_github),
        ("ds.process.min-bureaucracy", NotMet, |i| {
            with_github(i);
            for d in gh_web(i)["deployments"]
                .as_array_mut()
                .expect("deployments")
            {
                d["succeeded_at"] = json!("2026-12-01T11:59:00Z");
            }
        }),
        ("ds.process.min-bureaucracy", Unknown, |i| {
            with_github(i);
            gh_unread(i, "environments", "forbidden");
        }),
        ("ds.process.small-deliverables", Met, with_github),
        ("ds.process.small-deliverables", NotMet, |i| {
            with_github(i);
            for p in gh_web(i)["pull_requests"]["items"]
                .as_array_mut()
                .expect("pulls")
            {
                p["lines"] = json!(450);
            }
        }),
        ("ds.process.small-deliverables", Unknown, |i| {
            with_github(i);
            gh_unread(i, "pull_requests", "rate_limited");
        }),
        ("ds.smell.release-handovers", Met, with_github),
        ("ds.smell.release-handovers", NotMet, |i| {
            with_github(i);
            gh_web(i)["environments"][0]["reviewers"] =
                json!([{"type": "user", "login": "mallory"}]);
        }),
        ("ds.smell.release-handovers", Unknown, |i| {
            with_github(i);
            gh_unread(i, "environments", "forbidden");
        }),
        ("ds.smell.coupled-releases", Met, with_github),
        ("ds.smell.coupled-releases", NotMet, |i| {
            with_github(i);
            with_coupled_api(i);
        }),
        ("ds.smell.coupled-releases", Unknown, |i| {
            with_github(i);
            gh_unread(i, "all", "rate_limited");
        }),
        // A deploy job that only calls a reusable workflow: judged by what it calls.
        ("ds.devops.auto-deploy", Met, |i| reused_deploy(i, true)),
        ("ds.devops.auto-deploy", Unknown, |i| {
            reused_deploy(i, false)
        }),
        ("cams.sharing.cross-team-tooling", Met, with_github),
        ("cams.sharing.cross-team-tooling", NotMet, |i| {
            with_github(i);
            i["facts"]["github"]["repos"]["tools"]["pull_requests"]["items"][0]["author"] =
                json!("carol");
        }),
        ("cams.sharing.cross-team-tooling", Unknown, |i| {
            with_github(i);
            i["facts"]["github"]["teams_read"] = json!(false);
            i["facts"]["github"]["unread"] =
                json!({"teams": {"status": "forbidden", "detail": "403 read:org"}});
        }),
        ("ds.process.ci-all", Unknown, broken_workflow),
        ("ds.devops.auto-deploy", Unknown, cloud_build_deploy),
        ("ds.smell.manual-routines", Unknown, cloud_build_deploy),
        // ds.org.no-big-projects (estate)
        ("ds.org.no-big-projects", Met, history),
        ("ds.org.no-big-projects", NotMet, |i| {
            history(i);
            history_repo(i)["stale_branches"][0]["unmerged_commits"] = json!(51);
        }),
        ("ds.org.no-big-projects", NotMet, |i| {
            history(i);
            history_repo(i)["change_lines"] = json!([400, 900, 12]);
        }),
        ("ds.org.no-big-projects", Unknown, shallow_clone),
        ("ds.org.no-big-projects", Unknown, |i| {
            history(i);
            history_repo(i)["change_lines"] = json!([]);
        }),
        // ds.smell.periodic-big-releases (met = absent)
        ("ds.smell.periodic-big-releases", Met, history),
        // rare but small releases: absent
        ("ds.smell.periodic-big-releases", Met, |i| {
            history(i);
            for r in history_repo(i)["releases"]
                .as_array_mut()
                .expect("releases")
            {
                r["interval_days"] = json!(90.0);
            }
        }),
        ("ds.smell.periodic-big-releases", NotMet, |i| {
            history(i);
            for r in history_repo(i)["releases"]
                .as_array_mut()
                .expect("releases")
            {
                r["interval_days"] = json!(90.0);
                r["diff_lines"] = json!(5000);
            }
        }),
        ("ds.smell.periodic-big-releases", Unknown, shallow_clone),
        // history read for another repository, not for this service's: unknown (error)
        ("ds.smell.periodic-big-releases", Unknown, |i| {
            history(i);
            i["services"]["web"]["repos"] = json!(["web-shallow"]);
        }),
        ("ds.smell.periodic-big-releases", Unknown, |i| {
            history(i);
            history_repo(i)["releases"] = json!([]);
        }),
        // ds.devops.dashboards
        ("ds.devops.dashboards", Met, prom_ok),
        ("ds.devops.dashboards", Met, |i| {
            // a templated panel on the service label shows any service
            prom_ok(i);
            i["facts"]["grafana"]["dashboards"][0]["matchers"] = json!([{"label": "service_name", "op": "=~", "value": "$service", "templated": true}]);
        }),
        ("ds.devops.dashboards", Met, |i| {
            // a dashboard kept as code selecting a metric only this service exports
            prom_ok(i);
            i["facts"]["grafana"]["dashboards"] = json!([]);
            repo(i)["dashboards"] = json!([{"title": "Orders", "metrics": ["orders_placed_total"], "matchers": [], "evidence": "E-dash"}]);
        }),
        ("ds.devops.dashboards", NotMet, |i| {
            prom_ok(i);
            i["facts"]["grafana"]["dashboards"][0]["matchers"][0]["value"] = json!("shop/cart");
        }),
        ("ds.devops.dashboards", NotMet, |i| {
            prom_ok(i);
            i["services"]["web"]["prometheus"] = json!([]);
        }),
        ("ds.devops.dashboards", Unknown, |i| {
            prom_ok(i);
            prom_part(i, "metrics", "timeout");
        }),
        // ds.devops.dependency-graph
        ("ds.devops.dependency-graph", Met, prom_ok),
        ("ds.devops.dependency-graph", NotMet, |i| {
            prom_ok(i);
            i["facts"]["prometheus"]["edges"] = json!([]);
        }),
        ("ds.devops.dependency-graph", NotMet, |i| {
            prom_ok(i);
            i["facts"]["prometheus"]["edges"][0]["source"] = json!("frontend");
        }),
        ("ds.devops.dependency-graph", Unknown, |i| {
            prom_ok(i);
            prom_part(i, "edges", "error");
        }),
        // cams.measurement.business
        ("cams.measurement.business", Met, prom_ok),
        ("cams.measurement.business", NotMet, |i| {
            prom_ok(i);
            prom_web(i)["families"]["domain"] = json!([]);
        }),
        ("cams.measurement.business", Unknown, |i| {
            prom_ok(i);
            prom_part(i, "metrics", "timeout");
        }),
        // cams.measurement.technical
        ("cams.measurement.technical", Met, prom_ok),
        ("cams.measurement.technical", Met, |i| {
            // mesh metrics for traffic into the service count
            prom_ok(i);
            prom_web(i)["latency_histograms"] = json!([]);
            i["facts"]["prometheus"]["edges"][0]["destination"] = json!("web");
            i["facts"]["prometheus"]["edges"][0]["source"] = json!("frontend");
        }),
        ("cams.measurement.technical", NotMet, |i| {
            prom_ok(i);
            prom_web(i)["latency_histograms"] = json!([]);
        }),
        ("cams.measurement.technical", Unknown, |i| {
            prom_ok(i);
            prom_part(i, "targets", "forbidden");
        }),
        // Prometheus alone decides what the repository does not show
        ("ds.devops.sla-monitored", Met, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
        }),
        ("ds.devops.sla-monitored", NotMet, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
            i["facts"]["prometheus"]["synthetic"] = json!([]);
        }),
        ("ds.devops.sla-monitored", Unknown, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
            i["services"]["web"]["prometheus_rules"] = json!([]);
            prom_part(i, "rules", "error");
        }),
        ("ops.metric-driven", Met, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
        }),
        ("ops.metric-driven", Unknown, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
            i["services"]["web"]["prometheus_rules"] = json!([]);
            prom_part(i, "rules", "timeout");
        }),
        ("ops.metric-driven", NotMet, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
            i["services"]["web"]["prometheus_rules"] = json!([2]);
        }),
        ("ops.sops-codified", Met, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
        }),
        ("ops.sops-codified", NotMet, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
            i["facts"]["prometheus"]["rules"][2]["runbook_url"] = json!(null);
        }),
        ("ops.sops-codified", Unknown, |i| {
            prom_ok(i);
            repo_without_monitoring(i);
            i["services"]["web"]["prometheus_rules"] = json!([]);
            prom_part(i, "rules", "forbidden");
        }),
        // zero downtime from up history
        ("ds.devops.zero-downtime", Met, prom_ok),
        ("ds.devops.zero-downtime", NotMet, |i| {
            prom_ok(i);
            prom_web(i)["availability"]["down_points"] = json!(4);
        }),
        // ds.devops.auto-deploy
        ("ds.devops.auto-deploy", Met, none),
        ("ds.devops.auto-deploy", NotMet, |i| {
            for j in jobs(i).iter_mut() {
                j["triggers"] = json!({"push_default_branch": false, "push_other": false, "pull_request": false, "tag": false, "schedule": false, "manual": true, "other": []});
            }
        }),
        ("ds.devops.auto-deploy", Unknown, |i| {
            drop_jobs_of_kind(i, "deploy");
            repo(i)["inventory"]["config_as_code"] = json!([]);
        }),
        ("ds.devops.auto-deploy", NotMet, |i| {
            drop_jobs_of_kind(i, "deploy");
            kubernetes_ok_without_managers(i);
        }),
        // a deploy job that waits for a person (when: manual, input, approval) is not automatic
        ("ds.devops.auto-deploy", NotMet, |i| {
            for j in jobs(i).iter_mut() {
                j["automatic"] = json!(false);
            }
        }),
        // a Jenkins shared library is a shared template
        ("cams.sharing.reused-patterns", Met, |i| {
            for j in jobs(i).iter_mut() {
                j["reuses"] = json!(["jenkins-library:pipeline-lib@v2"]);
            }
        }),
        // a Bitbucket pipe alone is a vendor tool
        ("cams.sharing.reused-patterns", NotMet, |i| {
            for j in jobs(i).iter_mut() {
                j["reuses"] = json!(["pipe:atlassian/aws-ecs-deploy:1.6.0"]);
            }
        }),
        // a deploy into a kind cluster the job creates is a test
        ("ds.devops.auto-deploy", Unknown, |i| {
            for j in jobs(i).iter_mut() {
                j["local_cluster"] = json!(true);
            }
        }),
        // ds.devops.health-checks
        ("ds.devops.health-checks", Met, none),
        ("ds.devops.health-checks", NotMet, |i| {
            app(i)["readiness_probe"] = json!(false)
        }),
        ("ds.devops.health-checks", NotMet, |i| {
            no_workloads(i);
            repo(i)["dockerfiles"][0]["healthcheck"] = json!(false);
        }),
        ("ds.devops.health-checks", Met, |i| no_workloads(i)),
        ("ds.devops.health-checks", Unknown, |i| {
            no_workloads(i);
            repo(i)["dockerfiles"] = json!([]);
        }),
        // sidecars are not judged
        ("ds.devops.health-checks", Met, |i| {
            let mut proxy = app(i).clone();
            proxy["name"] = json!("istio-proxy");
            proxy["sidecar"] = json!(true);
            proxy["readiness_probe"] = json!(false);
            web(i)["containers"]
                .as_array_mut()
                .expect("containers")
                .push(proxy);
        }),
        // live workloads are judged when the cluster runs the service
        ("ds.devops.health-checks", Met, live_cluster),
        ("ds.devops.health-checks", NotMet, |i| {
            live_cluster(i);
            live_web(i)["containers"][0]["readiness_probe"] = json!(false);
        }),
        ("ds.devops.health-checks", Unknown, |i| {
            forbid(i, "deployments")
        }),
        // a workload whose containers are all flagged sidecars is never vacuously met
        ("ds.devops.health-checks", NotMet, |i| {
            live_cluster(i);
            live_web(i)["containers"][0]["sidecar"] = json!(true);
        }),
        // a cluster that does not run the service: judged from manifests
        ("ds.devops.health-checks", Met, |i| {
            live_cluster(i);
            i["services"]["web"]["live_workloads"] = json!([]);
        }),
        ("ds.arch.discovery", Met, live_cluster),
        ("ds.arch.discovery", Unknown, |i| forbid(i, "services")),
        ("ops.self-healing", Met, live_cluster),
        ("ops.self-healing", NotMet, |i| {
            live_cluster(i);
            live_web(i)["pdbs"] = json!([]);
        }),
        ("ops.self-healing", Unknown, |i| forbid(i, "pods")),
        ("ops.capacity-quantitative", Met, live_cluster),
        ("ops.capacity-quantitative", Unknown, |i| {
            forbid(i, "horizontalpodautoscalers")
        }),
        // a second cluster that could not be read at all is a gap for every resource
        ("ds.devops.health-checks", Unknown, |i| forbid(i, "*")),
        // a 403 on pods leaves criteria that do not need pods judged
        ("ds.arch.discovery", Met, |i| forbid(i, "pods")),
        // ds.devops.central-logging (estate, kubernetes only)
        ("ds.devops.central-logging", Met, live_cluster),
        ("ds.devops.central-logging", NotMet, |i| {
            live_cluster(i);
            i["facts"]["kubernetes"]["log_shippers"] = json!([]);
        }),
        ("ds.devops.central-logging", NotMet, |i| {
            live_cluster(i);
            i["facts"]["kubernetes"]["workloads"]["prod/DaemonSet/logging/fluent-bit"]["live"]["ready_replicas"] =
                json!(2);
        }),
        ("ds.devops.central-logging", Unknown, |i| {
            forbid(i, "daemonsets")
        }),
        ("ds.devops.central-logging", Unknown, none),
        // ds.process.ci-all
        ("ds.process.ci-all", Met, none),
        ("ds.process.ci-all", NotMet, |i| {
            drop_jobs_of_kind(i, "test")
        }),
        ("ds.process.ci-all", Unknown, git_error),
        // ds.smell.limited-ci
        ("ds.smell.limited-ci", Met, none),
        ("ds.smell.limited-ci", NotMet, |i| {
            repo(i)["ci"] = json!({"files": [], "jobs": []})
        }),
        ("ds.smell.limited-ci", Unknown, git_error),
        // ds.smell.manual-routines
        ("ds.smell.manual-routines", Met, none),
        ("ds.smell.manual-routines", NotMet, |i| {
            for j in jobs(i).iter_mut() {
                j["triggers"] = json!({"push_default_branch": false, "push_other": false, "pull_request": false, "tag": false, "schedule": false, "manual": true, "other": []});
            }
            repo(i)["inventory"]["config_as_code"] = json!([]);
        }),
        (
            "ds.smell.manual-routines",
            NotMet,
            kubernetes_ok_without_managers,
        ),
        ("ds.smell.manual-routines", Unknown, |i| {
            drop_jobs_of_kind(i, "deploy")
        }),
        // ops.production-scripted
        ("ops.production-scripted", Met, none),
        ("ops.production-scripted", Met, |i| {
            drop_jobs_of_kind(i, "deploy");
            repo(i)["inventory"]["deploy_scripts"] =
                json!([entry("scripts/deploy.sh", "script", "E-script")]);
        }),
        ("ops.production-scripted", NotMet, |i| {
            drop_jobs_of_kind(i, "deploy");
            kubernetes_ok_without_managers(i);
        }),
        ("ops.production-scripted", Unknown, |i| {
            drop_jobs_of_kind(i, "deploy")
        }),
        // ds.arch.discovery
        ("ds.arch.discovery", Met, none),
        ("ds.arch.discovery", NotMet, |i| {
            app(i)["env_ip_literals"] = json!(["PEER_ADDR"])
        }),
        ("ds.arch.discovery", NotMet, |i| {
            web(i)["selected_by_services"] = json!([])
        }),
        ("ds.arch.discovery", Unknown, no_workloads),
        // ds.arch.simple-protocols
        ("ds.arch.simple-protocols", Met, none),
        ("ds.arch.simple-protocols", Met, |i| {
            // unnamed container port, but the Service port targeting it is named grpc
            app(i)["ports"] = json!([{"name": null, "container_port": 80, "protocol": "TCP", "app_protocol": null}]);
            git(i)["services"]["Service/shop/web"]["ports"] =
                json!([{"name": "grpc", "port": 80, "app_protocol": null}]);
        }),
        ("ds.arch.simple-protocols", NotMet, |i| {
            app(i)["ports"] = json!([{"name": "tcp-redis", "container_port": 6379, "protocol": "TCP", "app_protocol": null}]);
        }),
        ("ds.arch.simple-protocols", NotMet, |i| {
            repo(i)["inventory"]["soap_esb"] = json!([entry("api/legacy.wsdl", "wsdl", "E-wsdl")])
        }),
        ("ds.arch.simple-protocols", Unknown, no_workloads),
        ("ds.arch.simple-protocols", NotApplicable, |i| {
            app(i)["ports"] = json!([])
        }),
        // ds.devops.zero-downtime
        ("ds.devops.zero-downtime", Met, none),
        (
            "ds.devops.zero-downtime",
            NotMet,
            |i| {
                web(i)["strategy"] = json!({"type": "Recreate", "max_unavailable": null, "max_unavailable_pods": null})
            },
        ),
        ("ds.devops.zero-downtime", NotMet, |i| {
            web(i)["effective_replicas"] = json!(1);
            web(i)["replicas"] = Value::Null;
            web(i)["strategy"] = json!({"type": "RollingUpdate", "max_unavailable": "25%", "max_unavailable_pods": 0});
            app(i)["readiness_probe"] = json!(false);
        }),
        ("ds.devops.zero-downtime", Met, |i| {
            web(i)["strategy"] =
                json!({"type": "Canary", "max_unavailable": null, "max_unavailable_pods": null});
            web(i)["progressive_delivery"] = json!("argo-rollouts");
        }),
        ("ds.devops.zero-downtime", Unknown, no_workloads),
        // ds.devops.config-automated (and its same_as twins)
        ("ds.devops.config-automated", Unknown, none),
        ("ds.devops.config-automated", NotMet, |i| {
            repo(i)["inventory"]["config_as_code"] = json!([])
        }),
        ("ds.devops.config-automated", Met, |i| {
            i["sources"]["kubernetes"] = json!({"status": "ok"});
            let live = i["facts"]["git"]["workloads"]["Deployment/shop/web"].clone();
            i["facts"]["kubernetes"] = json!({"workloads": {"Deployment/shop/web": live}});
        }),
        (
            "ds.devops.config-automated",
            NotMet,
            kubernetes_ok_without_managers,
        ),
        ("cams.automation.iac", NotMet, |i| {
            repo(i)["inventory"]["config_as_code"] = json!([])
        }),
        ("cams.sharing.config-management", Unknown, none),
        // ds.org.conways-law
        ("ds.org.conways-law", Met, none),
        ("ds.org.conways-law", NotMet, |i| {
            i["services"]["web"]["team"] = Value::Null;
            i["services"]["web"]["team_source"] = Value::Null;
            repo(i)["codeowners"] = Value::Null;
        }),
        ("ds.org.conways-law", NotMet, |i| {
            i["services"]["web"]["team_source"] = json!("CODEOWNERS");
            repo(i)["codeowners"]["default_owners"] = json!(["@acme/web", "@acme/platform"]);
        }),
        ("ds.org.conways-law", Unknown, git_error),
        // ds.arch.stateless
        ("ds.arch.stateless", Met, none),
        (
            "ds.arch.stateless",
            NotMet,
            |i| web(i)["volumes"] = json!([{"name": "data", "type": "persistentVolumeClaim"}]),
        ),
        ("ds.arch.stateless", NotApplicable, |i| {
            i["services"]["web"]["workloads"] = json!(["StatefulSet/shop/postgres"]);
        }),
        ("ds.arch.stateless", Unknown, no_workloads),
        // ds.arch.failover-lb and ops.ha-failover
        ("ds.arch.failover-lb", Met, none),
        ("ds.arch.failover-lb", NotMet, |i| {
            web(i)["pdbs"] = json!([])
        }),
        ("ds.arch.failover-lb", Met, |i| {
            web(i)["effective_replicas"] = json!(1);
            web(i)["min_replicas"] = json!(2);
        }),
        ("ds.arch.failover-lb", Unknown, no_workloads),
        ("ops.ha-failover", NotMet, |i| {
            web(i)["anti_affinity_keys"] = json!([]);
            web(i)["topology_spread_keys"] = json!([]);
        }),
        // ds.arch.versioning-compat
        ("ds.arch.versioning-compat", Met, none),
        ("ds.arch.versioning-compat", Met, |i| {
            drop_jobs_of_kind(i, "api_compat")
        }), // can-i-deploy
        ("ds.arch.versioning-compat", NotMet, |i| {
            drop_jobs_of_kind(i, "api_compat");
            drop_jobs_of_kind(i, "contract_test");
        }),
        ("ds.arch.versioning-compat", NotMet, |i| {
            repo(i)["inventory"]["api_definitions"] = json!([])
        }),
        ("ds.arch.versioning-compat", Unknown, git_error),
        // ds.devops.sla-monitored
        ("ds.devops.sla-monitored", Met, none),
        ("ds.devops.sla-monitored", Unknown, |i| {
            drop_jobs_of_kind(i, "synthetic")
        }),
        ("ds.devops.sla-monitored", NotMet, |i| {
            drop_jobs_of_kind(i, "synthetic");
            i["sources"]["prometheus"] = json!({"status": "ok"});
        }),
        // ds.devops.immutable
        ("ds.devops.immutable", Met, none),
        ("ds.devops.immutable", NotMet, |i| {
            app(i)["image"] = image("ghcr.io/acme/web:latest", "acme/web", "latest")
        }),
        ("ds.devops.immutable", NotMet, |i| {
            web(i)["volumes"] = json!([{"name": "docker", "type": "hostPath"}])
        }),
        ("ds.devops.immutable", Unknown, no_workloads),
        // ds.devops.infra-fully-automated
        ("ds.devops.infra-fully-automated", Unknown, none),
        ("ds.devops.infra-fully-automated", NotMet, |i| {
            drop_jobs_of_kind(i, "infra_apply");
        }),
        ("ds.devops.infra-fully-automated", Met, |i| {
            i["sources"]["kubernetes"] = json!({"status": "ok"});
            let live = i["facts"]["git"]["workloads"]["Deployment/shop/web"].clone();
            i["facts"]["kubernetes"] = json!({"workloads": {"Deployment/shop/web": live}});
        }),
        // ds.process.consumer-contracts
        ("ds.process.consumer-contracts", Met, none),
        ("ds.process.consumer-contracts", NotMet, |i| {
            repo(i)["inventory"]["contracts"] = json!([])
        }),
        ("ds.process.consumer-contracts", Unknown, git_error),
        // ds.arch.polyglot-persistence
        ("ds.arch.polyglot-persistence", Unknown, none),
        ("ds.arch.polyglot-persistence", NotMet, |i| {
            git(i)["workloads"]
                .as_object_mut()
                .expect("workloads")
                .remove("StatefulSet/shop/kafka");
        }),
        ("ds.arch.polyglot-persistence", Met, |i| {
            i["sources"]["kubernetes"] = json!({"status": "ok"})
        }),
        ("ds.arch.polyglot-persistence", Met, source_code),
        ("ds.arch.polyglot-persistence", NotMet, shared_credentials),
        // ds.arch.twelve-factor
        ("ds.arch.twelve-factor", Met, none),
        ("ds.arch.twelve-factor", NotMet, |i| {
            web(i)["volumes"] = json!([{"name": "app-logs", "type": "emptyDir"}])
        }),
        ("ds.arch.twelve-factor", Unknown, no_workloads),
        // ds.smell.separate-units
        ("ds.smell.separate-units", Met, none),
        ("ds.smell.separate-units", NotMet, |i| {
            repo(i)["codeowners"]["rules"] = json!([{"pattern": "*", "owners": ["@acme/web"], "line": 1}, {"pattern": "/tests/", "owners": ["@acme/qa"], "line": 2}]);
        }),
        ("ds.smell.separate-units", NotApplicable, |i| {
            repo(i)["codeowners"] = Value::Null
        }),
        ("ds.smell.separate-units", Unknown, git_error),
        // ds.smell.esb
        ("ds.smell.esb", Met, none),
        ("ds.smell.esb", NotMet, |i| {
            app(i)["image"] = image(
                "mulesoft/mule-runtime:4.4.0",
                "mulesoft/mule-runtime",
                "version_tag",
            )
        }),
        ("ds.smell.esb", Unknown, no_workloads),
        ("ds.smell.esb", NotMet, |i| {
            source_code(i);
            i["facts"]["source_code"]["esb"] = json!([{"product": "MuleSoft", "deployable": "web",
                "dependency": "org.mule.runtime:mule-core", "evidence": "E-dep-mule"}]);
        }),
        ("ds.smell.esb", Unknown, source_code_partial),
        // ds.org.vertical-splits
        ("ds.org.vertical-splits", Unknown, none),
        ("ds.org.vertical-splits", NotMet, |i| {
            repo(i)["codeowners"]["rules"] = json!([{"pattern": "*", "owners": ["@acme/web"], "line": 1}, {"pattern": "/deploy/", "owners": ["@acme/sre"], "line": 2}]);
        }),
        ("ds.org.vertical-splits", NotMet, |i| {
            web(i)["team"] = json!("payments")
        }),
        ("ds.org.vertical-splits", Met, with_oncall),
        ("ds.org.vertical-splits", NotMet, |i| {
            with_oncall(i);
            i["services"]["web"]["oncall"]["responders"] = json!(["pagerduty/PU3"]);
        }),
        // criteria an on-call source decides (tests/oncall.rs has the details)
        ("ds.devops.team-on-call", Met, with_oncall),
        ("ds.devops.team-on-call", NotMet, |i| {
            with_oncall(i);
            oc_unjoined(i, "PU2");
        }),
        ("ds.devops.team-on-call", Unknown, |i| {
            with_oncall(i);
            oc_unread(i, "schedules", "forbidden", false);
        }),
        ("ds.smell.few-responsible", Met, with_oncall),
        ("ds.smell.few-responsible", NotMet, |i| {
            with_oncall(i);
            i["facts"]["oncall"]["schedules"]["pagerduty/PS2"]["participants"] =
                json!(["pagerduty/PU1"]);
        }),
        ("ds.smell.few-responsible", Unknown, |i| {
            with_oncall(i);
            i["facts"]["oncall"]["schedules"]["pagerduty/PS2"]["rendered"] = json!(false);
        }),
        ("ds.process.own-production", Met, |i| {
            with_oncall(i);
            with_github(i);
        }),
        ("ds.process.own-production", NotMet, |i| {
            with_oncall(i);
            with_github(i);
            i["services"]["web"]["oncall"]["responders"] = json!(["pagerduty/PU3"]);
        }),
        ("ds.process.own-production", Unknown, with_oncall),
        ("cams.feedback.ops-to-dev", Met, with_oncall),
        ("cams.feedback.ops-to-dev", NotMet, |i| {
            with_oncall(i);
            i["services"]["web"]["oncall"]["escalation_policies"] = json!([]);
        }),
        ("cams.feedback.ops-to-dev", Unknown, |i| {
            with_oncall(i);
            i["services"]["web"]["oncall"] = Value::Null;
        }),
        ("ops.ttr-measured", Met, with_oncall),
        ("ops.ttr-measured", NotMet, |i| {
            with_oncall(i);
            i["facts"]["oncall"]["incidents"] = json!([]);
        }),
        ("ops.ttr-measured", Unknown, |i| {
            with_oncall(i);
            oc_unread(i, "incidents", "forbidden", false);
        }),
        ("cams.measurement.ops", Met, |i| {
            with_oncall(i);
            with_github(i);
        }),
        ("cams.measurement.ops", NotMet, |i| {
            with_oncall(i);
            with_github(i);
            gh_web(i)["deployments"] = json!([]);
        }),
        ("cams.measurement.ops", Unknown, with_oncall),
        ("cams.measurement.rca", Met, with_oncall),
        ("cams.measurement.rca", NotMet, |i| {
            with_oncall(i);
            i["facts"]["oncall"]["change_events"] = json!([]);
        }),
        ("cams.measurement.rca", Unknown, |i| {
            with_oncall(i);
            oc_unread(i, "change_events", "forbidden", false);
        }),
        // ops.capacity-reactive
        ("ops.capacity-reactive", Met, none),
        ("ops.capacity-reactive", NotMet, |i| {
            app(i)["requests"] = json!({"cpu": "100m"})
        }),
        ("ops.capacity-reactive", Unknown, no_workloads),
        // ops.production-automated is auto-deploy
        ("ops.production-automated", Met, none),
        ("ops.production-automated", Unknown, |i| {
            drop_jobs_of_kind(i, "deploy");
            repo(i)["inventory"]["config_as_code"] = json!([]);
        }),
        // ops.sops-codified
        ("ops.sops-codified", Met, none),
        ("ops.sops-codified", NotMet, |i| {
            for r in git(i)["prometheus_rules"].as_array_mut().expect("rules") {
                r["runbook_url"] = Value::Null;
            }
        }),
        ("ops.sops-codified", Unknown, no_alerts),
        // ops.maintenance-proactive
        ("ops.maintenance-proactive", Met, none),
        ("ops.maintenance-proactive", NotMet, |i| {
            repo(i)["inventory"]["dependency_updates"] = json!([])
        }),
        ("ops.maintenance-proactive", Unknown, no_alerts),
        // ops.metric-driven
        ("ops.metric-driven", Met, none),
        ("ops.metric-driven", Unknown, |i| {
            git(i)["prometheus_rules"] = json!([{"group": "g", "name": "Down", "kind": "alert", "expr": "up{job=\"web\"} == 0", "labels": {}, "runbook_url": null, "service_hint": "web", "evidence": "E-alert-up"}]);
        }),
        ("ops.metric-driven", NotMet, |i| {
            git(i)["prometheus_rules"] = json!([{"group": "g", "name": "Down", "kind": "alert", "expr": "avg by (job) (up{job=\"web\"}) < 1", "labels": {}, "runbook_url": null, "service_hint": "web", "evidence": "E-alert-up"}]);
            i["sources"]["prometheus"] = json!({"status": "ok"});
        }),
        ("ops.metric-driven", NotMet, |i| {
            // alerts on the scrape or on other alerts are Prometheus' own series
            git(i)["prometheus_rules"] = json!([{"group": "g", "name": "Slow", "kind": "alert", "expr": "scrape_duration_seconds{job=\"web\"} > 5 or ALERTS{alertname=\"X\"}", "labels": {}, "runbook_url": null, "service_hint": "web", "evidence": "E-alert-up"}]);
            i["sources"]["prometheus"] = json!({"status": "ok"});
        }),
        // ops.capacity-quantitative
        ("ops.capacity-quantitative", Met, none),
        ("ops.capacity-quantitative", NotMet, |i| {
            web(i)["hpas"] = json!([])
        }),
        ("ops.capacity-quantitative", Unknown, no_workloads),
        // ops.self-healing
        ("ops.self-healing", Met, none),
        ("ops.self-healing", NotMet, |i| {
            app(i)["liveness_probe"] = json!(false)
        }),
        ("ops.self-healing", NotMet, |i| {
            git(i)["bare_pods"] = json!(["Pod/shop/debug"]);
            i["services"]["web"]["workloads"]
                .as_array_mut()
                .expect("w")
                .push(json!("Pod/shop/debug"));
        }),
        ("ops.self-healing", Unknown, no_workloads),
        // ops.redundant
        ("ops.redundant", Met, none),
        ("ops.redundant", NotMet, |i| {
            web(i)["topology_spread_keys"] = json!(["kubernetes.io/hostname"])
        }),
        ("ops.redundant", Unknown, no_workloads),
        // cams.automation.pipeline
        ("cams.automation.pipeline", Met, none),
        ("cams.automation.pipeline", NotMet, |i| {
            drop_jobs_of_kind(i, "deploy")
        }),
        ("cams.automation.pipeline", Unknown, git_error),
        // cams.automation.db-migrations
        ("cams.automation.db-migrations", Met, none),
        ("cams.automation.db-migrations", NotMet, |i| {
            drop_jobs_of_kind(i, "db_migration")
        }),
        ("cams.automation.db-migrations", NotMet, |i| {
            repo(i)["inventory"]["migrations"] = json!([])
        }),
        ("cams.automation.db-migrations", NotApplicable, |i| {
            repo(i)["inventory"]["migrations"] = json!([]);
            app(i)["env_names"] = json!(["PORT"]);
            app(i)["env_from"] = json!([]);
        }),
        ("cams.automation.db-migrations", Unknown, git_error),
        // a Postgres driver in go.mod is a database although the environment names none
        ("cams.automation.db-migrations", NotMet, |i| {
            no_database_in_env(i);
            source_code(i);
        }),
        // ds.arch.tiny-libs
        ("ds.arch.tiny-libs", Met, source_code),
        ("ds.arch.tiny-libs", NotMet, big_framework),
        ("ds.arch.tiny-libs", Unknown, none),
        ("ds.arch.tiny-libs", Unknown, source_code_partial),
        ("ds.arch.tiny-libs", Unknown, source_code_no_dependencies),
        // ds.smell.monolith
        ("ds.smell.monolith", Met, source_code),
        ("ds.smell.monolith", NotMet, big_deployable),
        ("ds.smell.monolith", NotMet, big_framework),
        ("ds.smell.monolith", Unknown, none),
        ("ds.smell.monolith", Unknown, source_code_partial),
        // ds.smell.predefined-frameworks
        ("ds.smell.predefined-frameworks", Met, source_code),
        ("ds.smell.predefined-frameworks", NotMet, big_framework),
        ("ds.smell.predefined-frameworks", Unknown, none),
        // cams.sharing.team-monitoring
        ("cams.sharing.team-monitoring", Met, none),
        ("cams.sharing.team-monitoring", Unknown, no_alerts),
        ("cams.sharing.team-monitoring", NotMet, |i| {
            no_alerts(i);
            i["sources"]["prometheus"] = json!({"status": "ok"});
        }),
        // cams.sharing.reused-patterns
        ("cams.sharing.reused-patterns", Met, none),
        ("cams.sharing.reused-patterns", NotMet, |i| {
            for j in jobs(i).iter_mut() {
                j["reuses"] = json!(["actions/checkout@v4"]);
            }
        }),
        ("cams.sharing.reused-patterns", Unknown, git_error),
        // a service made only of batch workloads: not applicable for long-running criteria
        ("ds.devops.health-checks", NotApplicable, batch_only),
        ("ds.devops.zero-downtime", NotApplicable, batch_only),
        ("ds.devops.zero-downtime", NotApplicable, |i| {
            prom_ok(i);
            batch_only(i);
            prom_web(i)["availability"]["down_points"] = json!(4);
        }),
        ("ds.arch.failover-lb", NotApplicable, batch_only),
        ("ds.arch.discovery", NotApplicable, batch_only),
        ("ds.arch.discovery", NotMet, |i| {
            batch_only(i);
            cron(i)["containers"][0]["env_ip_literals"] = json!(["PEER_ADDR"]);
        }),
        ("ds.arch.simple-protocols", NotApplicable, batch_only),
        ("ds.arch.stateless", NotApplicable, batch_only),
        ("ds.arch.twelve-factor", NotApplicable, batch_only),
        ("ops.redundant", NotApplicable, batch_only),
        ("ops.self-healing", NotApplicable, batch_only),
        ("ops.capacity-quantitative", NotApplicable, batch_only),
        ("ops.ha-failover", NotApplicable, batch_only),
        // ...and still judged on requests and image pinning
        ("ops.capacity-reactive", Met, batch_only),
        ("ops.capacity-reactive", NotMet, |i| {
            batch_only(i);
            cron(i)["containers"][0]["requests"] = json!({"cpu": "10m"});
        }),
        ("ds.devops.immutable", Met, batch_only),
        ("ds.devops.immutable", NotMet, |i| {
            batch_only(i);
            cron(i)["containers"][0]["image"] = image("acme/warm:latest", "acme/warm", "latest");
        }),
        // a batch workload beside a long-running one: the long-running one is judged
        ("ds.devops.health-checks", Met, |i| {
            batch_only(i);
            i["services"]["web"]["workloads"] =
                json!(["Deployment/shop/web", "CronJob/shop/cache-warm"]);
        }),
        // the root Dockerfile does not belong to a service that does not build from it
        ("ds.devops.health-checks", Unknown, |i| {
            no_workloads(i);
            i["services"]["web"]["dockerfiles"] = json!([]);
        }),
        // the service's own compose service decides
        ("ds.devops.health-checks", NotMet, |i| {
            no_workloads(i);
            i["services"]["web"]["dockerfiles"] = json!([]);
            i["services"]["web"]["compose"] =
                json!([{"repo": "web", "path": "docker-compose.yml", "service": "web"}]);
            repo(i)["compose_files"] = json!([{"path": "docker-compose.yml", "services": [
                {"name": "web", "healthcheck": false, "restart": null},
                {"name": "db", "healthcheck": true, "restart": null}], "evidence": "git:web@abc1234:docker-compose.yml#L1-L20"}]);
        }),
        // copies: judged one by one
        ("ds.devops.health-checks", Met, three_copies),
        ("ds.devops.health-checks", NotMet, |i| {
            three_copies(i);
            git(i)["workloads"]["Deployment/shop/web#2"]["containers"][0]["readiness_probe"] =
                json!(false);
        }),
    ]
}

#[test]
fn every_criterion_with_a_rule_has_met_not_met_and_unknown_cases() {
    let ev = evaluator();
    let base = base_input();
    let mut failures = Vec::new();
    let mut covered: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for (criterion, expected, mutate) in cases() {
        let mut input = base.clone();
        mutate(&mut input);
        let results = evaluate(&ev, &input);
        let (got, why) = status_of(&results, criterion, "web");
        if got != expected {
            failures.push(format!(
                "{criterion}: expected {expected}, got {got}: {why}"
            ));
        }
        if got == Met {
            let r = results
                .iter()
                .find(|r| r.criterion == criterion)
                .expect("result");
            if r.evidence.is_empty() {
                failures.push(format!("{criterion}: met without evidence"));
            }
        }
        covered
            .entry(criterion)
            .or_default()
            .insert(expected.as_str());
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Completeness: each criterion judged by its own rule has all three outcomes.
    let catalog = ev.catalog();
    for model in &catalog.models {
        for c in &model.criteria {
            if c.same_as.is_some() || catalog.rule_for(&c.package()).is_none() {
                continue;
            }
            let seen = covered.get(c.id.as_str()).cloned().unwrap_or_default();
            for needed in ["met", "not_met", "unknown"] {
                assert!(seen.contains(needed), "{} has no {needed} case", c.id);
            }
        }
    }
}

#[test]
fn live_verdicts_say_which_cluster_and_a_forbidden_resource_is_named() {
    let ev = evaluator();
    let mut input = base_input();
    live_cluster(&mut input);
    let (status, why) = status_of(&evaluate(&ev, &input), "ds.devops.health-checks", "web");
    assert_eq!(status, Met);
    assert!(why.contains("judged from cluster prod"), "{why}");
    // A cluster called "cluster" (a dump named cluster.json) is not named twice.
    let mut input = base_input();
    live_cluster(&mut input);
    for w in input["facts"]["kubernetes"]["workloads"]
        .as_object_mut()
        .into_iter()
        .flat_map(|m| m.values_mut())
    {
        w["cluster"] = json!("cluster");
    }
    let (status, why) = status_of(&evaluate(&ev, &input), "ds.devops.health-checks", "web");
    assert_eq!(status, Met);
    assert!(
        why.contains("judged from the live cluster") && !why.contains("cluster cluster"),
        "{why}"
    );
    let mut input = base_input();
    forbid(&mut input, "services");
    let results = evaluate(&ev, &input);
    let r = results
        .iter()
        .find(|r| r.criterion == "ds.arch.discovery" && r.service == "web")
        .expect("result");
    assert_eq!(r.status, Unknown);
    assert_eq!(r.reason.as_deref(), Some("forbidden"));
    assert!(
        r.summary.contains("services in cluster prod"),
        "{}",
        r.summary
    );
}

#[test]
fn criteria_whose_sources_are_not_built_are_unknown_not_configured() {
    let ev = evaluator();
    let results = evaluate(&ev, &base_input());
    for id in [
        "ds.devops.team-on-call",
        "ds.devops.dashboards",
        "ds.process.small-deliverables",
        "ds.smell.monolith",
        "cams.measurement.business",
        "ops.ttr-measured",
    ] {
        let r = results.iter().find(|r| r.criterion == id).expect("result");
        assert_eq!(r.status, Unknown, "{id}");
        assert_eq!(r.reason.as_deref(), Some("not_configured"), "{id}");
        assert!(r.summary.starts_with("needs "), "{id}: {}", r.summary);
    }
}

#[test]
fn observability_none_is_manual() {
    let results = evaluate(&evaluator(), &base_input());
    for id in [
        "ds.process.agile",
        "ds.arch.idempotency",
        "ds.smell.fixed-price",
    ] {
        let r = results.iter().find(|r| r.criterion == id).expect("result");
        assert_eq!(r.status, Manual, "{id}");
    }
}

/// Every part of the Prometheus read, and the criteria that name it in their model
/// (a failed part makes exactly these unknown, with the part's status as the reason).
const PART_READERS: &[(&str, &[&str])] = &[
    (
        "targets",
        &[
            "ds.devops.dashboards",
            "ds.devops.zero-downtime",
            "cams.measurement.business",
            "cams.measurement.technical",
        ],
    ),
    (
        "metrics",
        &[
            "ds.devops.dashboards",
            "cams.measurement.business",
            "cams.measurement.technical",
        ],
    ),
    ("availability", &["ds.devops.zero-downtime"]),
    (
        "rules",
        &[
            "ds.devops.sla-monitored",
            "ops.sops-codified",
            "ops.maintenance-proactive",
            "ops.metric-driven",
            "cams.sharing.team-monitoring",
        ],
    ),
    ("synthetic", &["ds.devops.sla-monitored"]),
    (
        "edges",
        &["ds.devops.dependency-graph", "cams.measurement.technical"],
    ),
];

#[test]
fn a_failed_prometheus_part_makes_only_the_criteria_reading_it_unknown() {
    let ev = evaluator();
    let mut healthy = base_input();
    prom_ok(&mut healthy);
    let before = evaluate(&ev, &healthy);
    // The service that is down: not met on its up history, never met by the fallback.
    let mut down = healthy.clone();
    prom_web(&mut down)["availability"]["down_points"] = json!(4);
    assert_eq!(
        status_of(&evaluate(&ev, &down), "ds.devops.zero-downtime", "web").0,
        NotMet
    );
    for (part, readers) in PART_READERS {
        for status in ["error", "timeout", "forbidden", "rate_limited"] {
            let mut input = down.clone();
            prom_part(&mut input, part, status);
            let after = evaluate(&ev, &input);
            for (b, a) in before.iter().zip(&after) {
                assert_eq!((&b.criterion, &b.service), (&a.criterion, &a.service));
                if readers.contains(&a.criterion.as_str()) {
                    assert_eq!(
                        a.status, Unknown,
                        "{part} {status}: {} {}",
                        a.criterion, a.summary
                    );
                    assert_eq!(a.reason.as_deref(), Some(status), "{part}: {}", a.criterion);
                    assert!(
                        a.summary.contains(&format!("prometheus.{part}")),
                        "{part}: {} {}",
                        a.criterion,
                        a.summary
                    );
                } else if a.criterion != "ds.devops.zero-downtime" {
                    assert_eq!(
                        (a.status, &a.summary),
                        (b.status, &b.summary),
                        "{part} {status} changed {}",
                        a.criterion
                    );
                }
            }
        }
    }
}

#[test]
fn items_prometheus_could_not_read_keep_met_and_never_prove_not_met() {
    let ev = evaluator();
    let mut input = base_input();
    prom_ok(&mut input);
    repo_without_monitoring(&mut input);
    input["sources"]["prometheus"]["parts"]["rules"]["incomplete"] = json!([{"location": "/api/v1/rules group broken", "reason": "invalid type: string, expected a sequence"}]);
    let results = evaluate(&ev, &input);
    assert_eq!(status_of(&results, "ops.sops-codified", "web").0, Met);
    input["facts"]["prometheus"]["rules"][2]["runbook_url"] = json!(null);
    let results = evaluate(&ev, &input);
    let r = results
        .iter()
        .find(|r| r.criterion == "ops.sops-codified" && r.service == "web")
        .expect("result");
    assert_eq!(r.status, Unknown);
    assert_eq!(r.reason.as_deref(), Some("partial"));
    assert!(
        r.summary.contains("/api/v1/rules group broken"),
        "{}",
        r.summary
    );
}

#[test]
fn a_failed_source_is_never_not_met() {
    let ev = evaluator();
    let mut input = base_input();
    git_error(&mut input);
    input["facts"] = json!({});
    for r in evaluate(&ev, &input) {
        assert!(
            matches!(r.status, Unknown | Manual),
            "{} became {} with git failing",
            r.criterion,
            r.status
        );
    }
}

#[test]
fn rule_outputs_snapshot() {
    let results = evaluate(&evaluator(), &base_input());
    let lines: Vec<String> = results
        .iter()
        .map(|r| {
            format!(
                "{} [{}] {} | evidence: {}",
                r.criterion,
                r.status,
                r.summary,
                r.evidence.join(" ")
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn every_builtin_rule_runs_on_the_compiled_vm() {
    let ev = evaluator();
    let mut engine = ev.policy_engine().clone();
    for rule in ev.rule_paths() {
        assert!(
            engine.precompile(&rule),
            "{rule} falls back to the interpreter"
        );
    }
}

#[test]
fn the_compiled_vm_and_the_interpreter_agree() {
    // Every fixture case, plus services whose workloads are missing from the facts, on
    // both engines: regorus' RVM is younger than its interpreter and has differed before.
    let interpreter = evaluator().with_vm_threshold(usize::MAX);
    let vm = evaluator().with_vm_threshold(0);
    let mut inputs: Vec<Value> = cases()
        .into_iter()
        .map(|(_, _, mutate)| {
            let mut input = base_input();
            mutate(&mut input);
            input
        })
        .collect();
    let mut several = base_input();
    let web = several["services"]["web"].clone();
    for (id, workload) in [
        ("db", "StatefulSet/shop/postgres"),
        ("gone", "Deployment/shop/missing"),
    ] {
        let mut s = web.clone();
        s["id"] = json!(id);
        s["workloads"] = json!([workload]);
        several["services"][id] = s;
    }
    inputs.push(several);
    for input in &inputs {
        // Rows as written (with the services' own parts) and the shared entries.
        let a = evaluate_full(&interpreter, input).results;
        let b = evaluate_full(&vm, input).results;
        assert_eq!(a.rows.len(), b.rows.len());
        for (x, y) in a.rows.iter().zip(&b.rows) {
            assert_eq!(
                x, y,
                "{} / {} differs between interpreter and RVM",
                x.criterion, x.service
            );
        }
        assert_eq!(
            a.scoped, b.scoped,
            "shared entries differ between interpreter and RVM"
        );
    }
}

#[test]
fn rule_outputs_with_prometheus_and_grafana_snapshot() {
    let mut input = base_input();
    prom_ok(&mut input);
    let results = evaluate(&evaluator(), &input);
    let lines: Vec<String> = results
        .iter()
        .filter(|r| {
            [
                "ds.devops.dashboards",
                "ds.devops.dependency-graph",
                "ds.devops.sla-monitored",
                "ds.devops.zero-downtime",
                "cams.measurement.business",
                "cams.measurement.technical",
                "ops.metric-driven",
                "ops.sops-codified",
            ]
            .contains(&r.criterion.as_str())
        })
        .map(|r| {
            format!(
                "{} [{}] {} | evidence: {}",
                r.criterion,
                r.status,
                r.summary,
                r.evidence.join(" ")
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

fn result_of<'a>(
    results: &'a [evident_core::CriterionResult],
    criterion: &str,
) -> &'a evident_core::CriterionResult {
    results
        .iter()
        .find(|r| r.criterion == criterion && r.service == "web")
        .unwrap_or_else(|| panic!("no result for {criterion}"))
}

#[test]
fn a_batch_only_service_says_why_long_running_criteria_do_not_apply() {
    let ev = evaluator();
    let mut input = base_input();
    batch_only(&mut input);
    let results = evaluate(&ev, &input);
    for (criterion, what) in [
        ("ds.devops.health-checks", "health probes"),
        ("ds.devops.zero-downtime", "rollouts"),
        ("ds.arch.failover-lb", "replicas and failover"),
        ("ops.redundant", "zone spreading"),
        ("ops.self-healing", "self healing"),
        ("ops.capacity-quantitative", "autoscaling"),
        ("ds.arch.stateless", "statelessness"),
    ] {
        let r = result_of(&results, criterion);
        assert_eq!(r.status, NotApplicable, "{criterion}: {}", r.summary);
        assert_eq!(
            r.summary,
            format!(
                "only batch workloads (CronJob/cache-warm); {what} apply to long-running workloads"
            ),
            "{criterion}"
        );
    }
    // Requests are judged on the batch container, and cite its declaration.
    cron(&mut input)["containers"][0]["requests"] = json!({"cpu": "10m"});
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ops.capacity-reactive");
    assert_eq!(r.status, NotMet, "{}", r.summary);
    assert_eq!(
        r.missing,
        ["k8s/cache-warm.yaml#L1-L30: CronJob/cache-warm container app has no memory request"]
    );
    assert_eq!(r.evidence, ["git:web@abc1234:k8s/cache-warm.yaml#L1-L30"]);
}

#[test]
fn health_checks_read_only_the_service_s_own_dockerfiles_and_compose_services() {
    let ev = evaluator();
    // The repository has a root Dockerfile with a HEALTHCHECK, but the service does not
    // build from it: nothing to judge, and the root Dockerfile is not cited.
    let mut input = base_input();
    no_workloads(&mut input);
    input["services"]["web"]["dockerfiles"] = json!([]);
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ds.devops.health-checks");
    assert_eq!(r.status, Unknown, "{}", r.summary);
    assert!(
        !r.evidence.contains(&"E-docker".to_owned()),
        "{:?}",
        r.evidence
    );
    // Its own compose service has none; the other compose service is not its concern.
    input["services"]["web"]["compose"] =
        json!([{"repo": "web", "path": "docker-compose.yml", "service": "web"}]);
    input["facts"]["git"]["repos"]["web"]["compose_files"] = json!([{"path": "docker-compose.yml", "services": [
        {"name": "web", "healthcheck": false, "restart": null},
        {"name": "db", "healthcheck": false, "restart": null}], "evidence": "git:web@abc1234:docker-compose.yml#L1-L20"}]);
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ds.devops.health-checks");
    assert_eq!(r.status, NotMet, "{}", r.summary);
    assert_eq!(
        r.missing,
        ["docker-compose.yml#L1-L20: compose service web (docker-compose.yml) has no healthcheck"]
    );
    assert_eq!(
        r.summary,
        "containers without a health check: docker-compose.yml service web (no Kubernetes workload declared for the service)"
    );
    // The Dockerfile the service builds from decides.
    input["services"]["web"]["compose"] = json!([]);
    input["services"]["web"]["dockerfiles"] = json!([{"repo": "web", "path": "Dockerfile"}]);
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ds.devops.health-checks");
    assert_eq!(r.status, Met, "{}", r.summary);
    assert_eq!(r.evidence, ["E-docker"]);
    // A batch-only service never falls back to files, and never says "no Kubernetes
    // workloads".
    let mut input = base_input();
    batch_only(&mut input);
    let r = evaluate(&ev, &input);
    let r = result_of(&r, "ds.devops.health-checks");
    assert_eq!(r.status, NotApplicable);
    assert!(!r.summary.contains("no Kubernetes"), "{}", r.summary);
}

#[test]
fn copies_of_one_declaration_are_counted_per_container_and_located() {
    let ev = evaluator();
    let mut input = base_input();
    three_copies(&mut input);
    input["facts"]["git"]["workloads"]["Deployment/shop/web#2"]["containers"][0]["readiness_probe"] =
        json!(false);
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ds.devops.health-checks");
    assert_eq!(r.status, NotMet);
    assert_eq!(
        r.summary,
        "1 container(s) lack a probe: web/app: no readiness probe in 1 of 3 declarations (judged from manifests)"
    );
    assert_eq!(
        r.missing,
        [
            "release/web.yaml#L10-L52: Deployment/web container app has no readiness probe in 1 of 3 declarations"
        ]
    );
    assert_eq!(r.evidence.len(), 3, "every declaration is cited");
    // All three lack both probes: one container, two probes, three located entries each.
    for k in [
        "Deployment/shop/web",
        "Deployment/shop/web#2",
        "Deployment/shop/web#3",
    ] {
        let c = &mut input["facts"]["git"]["workloads"][k]["containers"][0];
        c["readiness_probe"] = json!(false);
        c["liveness_probe"] = json!(false);
    }
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ds.devops.health-checks");
    assert_eq!(
        r.summary,
        "1 container(s) lack a probe: web/app: no liveness or startup probe in 3 of 3 declarations; web/app: no readiness probe in 3 of 3 declarations (judged from manifests)"
    );
    assert_eq!(r.missing.len(), 6);
    for loc in [
        "k8s/web.yaml#L1-L40: ",
        "release/web.yaml#L10-L52: ",
        "kustomize/base/web.yaml#L1-L38: ",
    ] {
        assert_eq!(
            r.missing.iter().filter(|m| m.starts_with(loc)).count(),
            2,
            "{loc}: {:?}",
            r.missing
        );
    }
    // Other workload rules locate their entries too.
    input["facts"]["git"]["workloads"]["Deployment/shop/web#3"]["pdbs"] = json!([]);
    let results = evaluate(&ev, &input);
    let r = result_of(&results, "ds.arch.failover-lb");
    assert_eq!(
        r.missing,
        ["kustomize/base/web.yaml#L1-L38: Deployment/web: no PodDisruptionBudget covers it"]
    );
}

#[test]
fn an_unreadable_ci_file_makes_every_ci_verdict_but_met_unknown_naming_the_file() {
    let ev = evaluator();
    let mut input = base_input();
    broken_workflow(&mut input);
    drop_jobs_of_kind(&mut input, "deploy");
    let results = evaluate(&ev, &input);
    for criterion in [
        "ds.process.ci-all",
        "cams.automation.pipeline",
        "ds.devops.auto-deploy",
        "ds.smell.manual-routines",
        "ops.production-scripted",
    ] {
        let r = result_of(&results, criterion);
        assert_eq!(r.status, Unknown, "{criterion}: {}", r.summary);
        assert_eq!(r.reason.as_deref(), Some("error"), "{criterion}");
        assert!(
            r.summary.starts_with(
                "CI not fully read: .github/workflows/test.yaml could not be read (stream did not contain valid UTF-8)"
            ),
            "{criterion}: {}",
            r.summary
        );
        assert!(
            r.evidence.contains(&"E-ci-broken".to_owned()),
            "{criterion}"
        );
        assert_eq!(
            r.missing,
            vec![".github/workflows/test.yaml: stream did not contain valid UTF-8".to_owned()],
            "{criterion}"
        );
    }
    // What the files read already prove stands: the other workflow deploys on push and
    // reuses a template.
    let mut input = base_input();
    broken_workflow(&mut input);
    let kept = evaluate(&ev, &input);
    for criterion in ["cams.sharing.reused-patterns", "ds.devops.auto-deploy"] {
        let r = result_of(&kept, criterion);
        assert_eq!(r.status, Met, "{criterion}: {}", r.summary);
    }
    // A CI file exists: a CI server is in use.
    assert_eq!(result_of(&results, "ds.smell.limited-ci").status, Met);
    // Without the broken file the same jobs are a confident not_met.
    let mut whole = base_input();
    drop_jobs_of_kind(&mut whole, "test");
    let (status, why) = status_of(&evaluate(&ev, &whole), "ds.process.ci-all", "web");
    assert_eq!(status, NotMet, "{why}");
}

#[test]
fn a_cloud_build_deploy_is_not_started_by_hand_its_trigger_is_not_in_the_repository() {
    let ev = evaluator();
    let mut input = base_input();
    cloud_build_deploy(&mut input);
    let results = evaluate(&ev, &input);
    for criterion in ["ds.smell.manual-routines", "ds.devops.auto-deploy"] {
        let r = result_of(&results, criterion);
        assert_eq!(r.status, Unknown, "{criterion}: {}", r.summary);
        assert_eq!(r.reason.as_deref(), Some("not_configured"), "{criterion}");
        assert_eq!(
            r.summary,
            "deploys run from cloudbuild.yaml#steps (cloudbuild.yaml:1-10); what starts them is not readable from the repository: the trigger lives in Cloud Build (the Google Cloud project's build triggers)",
            "{criterion}"
        );
        assert_eq!(r.evidence, vec!["E-cloudbuild".to_owned()], "{criterion}");
    }
    // It is still a scripted deploy.
    assert_eq!(result_of(&results, "ops.production-scripted").status, Met);
    // Other evidence decides: a live GitOps manager makes the deploy automatic.
    live_cluster(&mut input);
    live_web(&mut input)["managers"] =
        json!([{"tool": "argocd", "via": "label argocd.argoproj.io/instance"}]);
    let r = status_of(&evaluate(&ev, &input), "ds.devops.auto-deploy", "web");
    assert_eq!(r.0, Met, "{}", r.1);
    // A hand-started deploy beside it is still not proof that every deploy is manual.
    let mut input = base_input();
    cloud_build_deploy(&mut input);
    let mut manual = job("release", &["deploy"], 120, "E-job-release");
    manual["automatic"] = json!(false);
    manual["triggers"] = json!({"push_default_branch": false, "push_other": false, "pull_request": false,
                                "tag": false, "schedule": false, "manual": true, "other": []});
    jobs(&mut input).push(manual);
    let (status, _) = status_of(&evaluate(&ev, &input), "ds.smell.manual-routines", "web");
    assert_eq!(status, Unknown);
}

#[test]
fn publishing_branches_are_not_big_projects_and_the_summary_names_them() {
    let ev = evaluator();
    let mut input = base_input();
    history(&mut input);
    // gh-pages carries hundreds of commits nobody merges: the probe set it aside.
    history_repo(&mut input)["excluded_branches"] = json!([
        {"name": "gh-pages", "why": "publishing branch (GitHub Pages), never merged"}
    ]);
    let (status, why) = status_of(&evaluate(&ev, &input), "ds.org.no-big-projects", "web");
    assert_eq!(status, Met, "{why}");
    assert!(
        why.contains("not counted, never merged by design: gh-pages (publishing branch (GitHub Pages), never merged)"),
        "{why}"
    );
}

/// A kustomize overlay of `web`'s repository patches its Deployment and could not be
/// rendered (the git probe marks the workload).
fn unrendered_overlay(i: &mut Value) {
    web(i)["unrendered_overlay"] = json!(
        "k8s/overlays/prod/kustomization.yaml: kustomize overlay not rendered: kubectl is not on PATH"
    );
}

#[test]
fn an_unrendered_overlay_makes_the_container_criteria_of_what_it_patches_unknown() {
    let ev = evaluator();
    let mut input = base_input();
    unrendered_overlay(&mut input);
    let results = evaluate(&ev, &input);
    for criterion in [
        "ds.devops.health-checks",
        "ops.capacity-reactive",
        "ds.devops.zero-downtime",
        "ds.arch.stateless",
        "ds.devops.immutable",
        "ds.arch.failover-lb",
    ] {
        let r = result_of(&results, criterion);
        assert_eq!(r.status, Unknown, "{criterion}: {}", r.summary);
        assert_eq!(r.reason.as_deref(), Some("error"), "{criterion}");
        assert!(
            r.summary.starts_with(
                "Deployment/web is changed by an overlay evident could not render: k8s/overlays/prod/kustomization.yaml: kustomize overlay not rendered: kubectl is not on PATH (from the bases alone: "
            ),
            "{criterion}: {}",
            r.summary
        );
        assert_eq!(
            r.missing,
            vec!["E-wl-web: k8s/overlays/prod/kustomization.yaml: kustomize overlay not rendered: kubectl is not on PATH".to_owned()],
            "{criterion}"
        );
    }
    // A live cluster shows what runs: the overlay no longer matters.
    live_cluster(&mut input);
    let (status, why) = status_of(&evaluate(&ev, &input), "ds.devops.health-checks", "web");
    assert_eq!(status, Met, "{why}");
}

#[test]
fn verdicts_on_what_could_not_be_read_snapshot() {
    let ev = evaluator();
    let mut lines = Vec::new();
    let cases: [(&str, Mutation, &[&str]); 3] = [
        (
            "broken workflow",
            broken_workflow,
            &[
                "ds.process.ci-all",
                "ds.smell.limited-ci",
                "cams.automation.pipeline",
            ],
        ),
        (
            "cloud build deploy",
            cloud_build_deploy,
            &[
                "ds.devops.auto-deploy",
                "ds.smell.manual-routines",
                "ops.production-scripted",
            ],
        ),
        (
            "unrendered overlay",
            unrendered_overlay,
            &["ds.devops.health-checks", "ops.capacity-reactive"],
        ),
    ];
    for (name, mutate, criteria) in cases {
        let mut input = base_input();
        mutate(&mut input);
        let results = evaluate(&ev, &input);
        for criterion in criteria {
            let r = result_of(&results, criterion);
            lines.push(format!(
                "{name}: {} [{}{}] {} | evidence: {} | missing: {}",
                r.criterion,
                r.status,
                r.reason
                    .as_deref()
                    .map(|x| format!(", {x}"))
                    .unwrap_or_default(),
                r.summary,
                r.evidence.join(" "),
                r.missing.join("; ")
            ));
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn source_code_verdicts_give_their_reasons() {
    let ev = evaluator();
    let check = |mutate: Mutation, criterion: &str, service: &str, expect: &[&str]| {
        let mut input = base_input();
        mutate(&mut input);
        let (_, why) = status_of(&evaluate(&ev, &input), criterion, service);
        for e in expect {
            assert!(why.contains(e), "{criterion}: {e:?} not in {why}");
        }
    };
    check(
        big_framework,
        "ds.arch.tiny-libs",
        "web",
        &["github.com/acme/kit (go) is declared by 3 of 4 deployables and holds 45000 lines"],
    );
    check(
        source_code,
        "ds.arch.tiny-libs",
        "web",
        &["1 internal package(s) over 4 deployable(s); the most used is declared by 3"],
    );
    check(
        source_code_partial,
        "ds.arch.tiny-libs",
        "web",
        &[
            "could not be read",
            "web:package.json: does not parse",
            "reason: Some(\"partial\")",
        ],
    );
    check(
        source_code_no_dependencies,
        "ds.arch.tiny-libs",
        "web",
        &[
            "no manifest in any of 4 deployable(s) declares a dependency",
            "reason: Some(\"insufficient_data\")",
        ],
    );
    check(
        big_deployable,
        "ds.smell.monolith",
        "web",
        &["web holds 350000 lines of code (over 300,000)"],
    );
    check(
        source_code,
        "ds.smell.monolith",
        "web",
        &["web: 12000 lines; no shared internal framework"],
    );
    check(
        shared_credentials,
        "ds.arch.polyglot-persistence",
        "web",
        &["credentials secret:web-db (services api and web)"],
    );
    check(
        source_code,
        "ds.arch.polyglot-persistence",
        "web",
        &["datastores kafka, postgres", "hosts not compared"],
    );
    check(
        |i| {
            no_database_in_env(i);
            source_code(i);
        },
        "cams.automation.db-migrations",
        "web",
        &["uses a database"],
    );
    check(
        no_database_in_env,
        "cams.automation.db-migrations",
        "web",
        &["database drivers not checked (source_code: not_configured)"],
    );
    check(
        none,
        "ds.smell.esb",
        "web",
        &["package dependencies not checked (source_code: not_configured)"],
    );
    check(
        |i| {
            source_code(i);
            i["facts"]["source_code"]["esb"] = json!([{"product": "MuleSoft", "deployable": "web", "dependency": "org.mule.runtime:mule-core", "evidence": "E-dep-mule"}]);
        },
        "ds.smell.esb",
        "web",
        &["web declares org.mule.runtime:mule-core (MuleSoft)"],
    );
}

fn attestation(criterion: &str, expires: Option<&str>) -> evident_engine::Attestation {
    let date = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
    evident_engine::Attestation {
        criterion: criterion.into(),
        service: Some("web".into()),
        who: "Jane Doe".into(),
        when: date("2026-10-01"),
        why: "incidents are timed in our own tool".into(),
        expires: expires.map(date),
        evidence: "git:web@abc1234:.evident/attestations.yaml#L2-L6".into(),
    }
}

#[test]
fn a_direct_criterion_is_attested_only_while_its_source_is_not_configured() {
    let ev = evaluator();
    let input = base_input();
    let set = evident_engine::AttestationSet {
        items: vec![
            attestation("ops.ttr-measured", Some("2027-03-31")),
            attestation("ds.devops.health-checks", None),
            attestation("acme.no.such-criterion", None),
        ],
    };
    let out = evaluate_attested(&ev, &input, &set);
    let rows: Vec<_> = out.results.rows.clone();
    let r = rows
        .iter()
        .find(|r| r.criterion == "ops.ttr-measured" && r.service == "web")
        .expect("row");
    assert_eq!(r.status, Attested);
    assert_eq!(r.reason.as_deref(), Some("attestation_no_source"));
    assert!(
        r.summary.starts_with(
            "attested by Jane Doe on 2026-10-01, until 2027-03-31: incidents are timed in our own tool; no source: needs"
        ),
        "{}",
        r.summary
    );
    assert_eq!(
        r.evidence,
        ["git:web@abc1234:.evident/attestations.yaml#L2-L6"]
    );
    // The git source is configured: the evidence verdict wins and the attestation is
    // reported as ignored, as is the one for a criterion no model has.
    let (status, _) = status_of(&rows, "ds.devops.health-checks", "web");
    assert_eq!(status, Met);
    assert_eq!(
        out.attestation_warnings.len(),
        2,
        "{:?}",
        out.attestation_warnings
    );
    assert!(
        out.attestation_warnings[0].contains("(attestation for ds.devops.health-checks): its source (git or kubernetes) is configured, so the evidence decides; the attestation is ignored"),
        "{:?}",
        out.attestation_warnings
    );
    assert!(
        out.attestation_warnings[1].starts_with("git:web@abc1234:.evident/attestations.yaml#L2-L6 (attestation for acme.no.such-criterion): no model of this scan has this criterion"),
        "{:?}",
        out.attestation_warnings
    );
    // An expired attestation leaves the unknown, and says so.
    let expired = evident_engine::AttestationSet {
        items: vec![attestation("ops.ttr-measured", Some("2026-01-31"))],
    };
    let out = evaluate_attested(&ev, &input, &expired);
    let (status, why) = status_of(&out.results.rows, "ops.ttr-measured", "web");
    assert_eq!(status, Unknown);
    assert!(
        why.contains("the attestation by Jane Doe expired on 2026-01-31"),
        "{why}"
    );
    assert!(why.contains("reason: Some(\"not_configured\")"), "{why}");
}
