//! A fixture input document in which one service, `web`, meets every criterion the
//! repository can decide; tests mutate it to produce the other statuses.

#![allow(dead_code)]

use chrono::NaiveDate;
use evident_core::{CriterionResult, Status};
use evident_engine::{AttestationSet, Catalog, Evaluation, Evaluator};
use serde_json::{Value, json};
use std::collections::HashSet;

pub fn container(name: &str, image: Value) -> Value {
    json!({
        "name": name, "image": image, "sidecar": false,
        "readiness_probe": true, "liveness_probe": true, "startup_probe": false,
        "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"},
        "read_only_root_filesystem": true,
        "ports": [{"name": "http", "container_port": 8080, "protocol": "TCP", "app_protocol": null}],
        "env_names": ["DATABASE_URL", "PORT"], "env_from": ["secret:web-db"], "env_ip_literals": [],
        "pre_stop": true
    })
}

pub fn image(raw: &str, repository: &str, pinning: &str) -> Value {
    json!({"raw": raw, "registry": "ghcr.io", "repository": repository, "tag": "1.4.2", "digest": null,
           "pinned": pinning == "digest" || pinning == "version_tag", "pinning": pinning})
}

pub fn workload(kind: &str, name: &str, app_image: Value, evidence: &str) -> Value {
    json!({
        "key": format!("{kind}/shop/{name}"), "kind": kind, "namespace": "shop", "name": name,
        "app": name, "team": null, "long_running": true,
        "replicas": 3, "effective_replicas": 3,
        "strategy": {"type": "RollingUpdate", "max_unavailable": 0, "max_unavailable_pods": 0},
        "progressive_delivery": null,
        "containers": [container("app", app_image)], "init_containers": [],
        "volumes": [{"name": "config", "type": "configMap"}], "volume_claim_templates": 0,
        "restart_policy": null, "termination_grace_period_seconds": null,
        "anti_affinity_keys": ["kubernetes.io/hostname"],
        "topology_spread_keys": ["topology.kubernetes.io/zone"],
        "managers": [{"tool": "helm", "via": "label app.kubernetes.io/managed-by=Helm"}],
        "selected_by_services": [format!("Service/shop/{name}")],
        "pdbs": [format!("PodDisruptionBudget/shop/{name}")],
        "hpas": [format!("HorizontalPodAutoscaler/shop/{name}")],
        "min_replicas": 3,
        "evidence": [evidence]
    })
}

pub fn job(name: &str, kinds: &[&str], start: u32, evidence: &str) -> Value {
    json!({
        "id": format!(".github/workflows/ci.yaml#{name}"), "name": name, "system": "github-actions",
        "path": ".github/workflows/ci.yaml", "start_line": start, "end_line": start + 9,
        "triggers": {"push_default_branch": true, "push_other": false, "pull_request": true,
                     "tag": false, "schedule": false, "manual": false, "other": []},
        "automatic": true, "kinds": kinds, "deploy_targets": [], "local_cluster": false,
        "environment": null, "reuses": [], "evidence": evidence, "signals": []
    })
}

pub fn entry(path: &str, tool: &str, evidence: &str) -> Value {
    json!({"path": path, "tool": tool, "evidence": evidence})
}

pub fn base_input() -> Value {
    let mut deploy = job("deploy", &["deploy"], 40, "E-job-deploy");
    deploy["deploy_targets"] = json!(["kubectl"]);
    deploy["triggers"]["pull_request"] = json!(false);
    deploy["reuses"] = json!(["acme/templates/.github/workflows/deploy.yml@v1"]);
    let mut synthetic = job("synthetic", &["synthetic"], 80, "E-job-synthetic");
    synthetic["triggers"]["schedule"] = json!(true);
    let mut contract = job("contracts", &["contract_test"], 60, "E-job-contracts");
    contract["signals"] = json!([{"kind": "contract_test", "line": 65, "text": "pact-broker can-i-deploy --pacticipant web"}]);
    let web = workload(
        "Deployment",
        "web",
        image("ghcr.io/acme/web:1.4.2", "acme/web", "version_tag"),
        "E-wl-web",
    );
    let mut postgres = workload(
        "StatefulSet",
        "postgres",
        image("postgres:16.1", "postgres", "mutable_tag"),
        "E-wl-pg",
    );
    postgres["app"] = json!("postgres");
    let mut kafka = workload(
        "StatefulSet",
        "kafka",
        image("bitnami/kafka:3.6.1", "bitnami/kafka", "version_tag"),
        "E-wl-kafka",
    );
    kafka["app"] = json!("kafka");
    json!({
        "config": {"on_call_share": 0.8, "max_team_size": 10},
        "sources": {
            "git": {"status": "ok", "detail": "read /src/web"},
            "git_history": {"status": "not_configured", "detail": "history is not read by this version"},
            "github": {"status": "not_configured", "detail": "no GitHub token"},
            "kubernetes": {"status": "not_configured", "detail": "no --kube-context"},
            "prometheus": {"status": "not_configured", "detail": "no --prometheus"},
            "grafana": {"status": "not_configured", "detail": "no --grafana"},
            "oncall": {"status": "not_configured", "detail": "no on-call tool"},
            "source_code": {"status": "not_configured", "detail": "not read by this version"}
        },
        "services": {
            "web": {"id": "web", "team": "team-web", "team_source": "catalog-info.yaml", "resolved_from": "catalog",
                    "repos": ["web"], "workloads": ["Deployment/shop/web"], "found_in": ["E-catalog"],
                    "rules": [0, 1, 2, 3],
                    "dockerfiles": [{"repo": "web", "path": "Dockerfile"}], "compose": []}
        },
        "teams": {"team-web": {"id": "team-web", "services": ["web"]}},
        "facts": {"git": {
            "repos": {"web": {
                "key": "web", "root": "/src/web", "head": "abc", "default_branch": "main",
                "ci": {
                    "files": [{"path": ".github/workflows/ci.yaml", "system": "github-actions", "evidence": "E-ci", "error": null}],
                    "jobs": [
                        job("test", &["build", "test", "lint"], 10, "E-job-test"),
                        deploy,
                        job("api", &["api_compat"], 30, "E-job-api"),
                        contract,
                        job("migrate", &["db_migration"], 70, "E-job-migrate"),
                        synthetic,
                        job("infra", &["infra_apply"], 90, "E-job-infra")
                    ]
                },
                "dockerfiles": [{"path": "Dockerfile", "healthcheck": true, "base_images": ["golang:1.22.3"], "user": "app", "evidence": "E-docker"}],
                "compose_files": [],
                "inventory": {
                    "config_as_code": [entry("chart/Chart.yaml", "helm", "E-helm")],
                    "dependency_updates": [entry(".github/dependabot.yml", "dependabot", "E-dependabot")],
                    "api_definitions": [entry("api/web.proto", "protobuf", "E-proto")],
                    "contracts": [entry("pacts/shop-web.json", "pact", "E-pact")],
                    "migrations": [entry("db/migration/V1__init.sql", "flyway", "E-flyway")],
                    "runbooks": [entry("runbooks/high-errors.md", "runbooks", "E-runbook")],
                    "soap_esb": [],
                    "deploy_scripts": []
                },
                "codeowners": {"path": ".github/CODEOWNERS", "default_owners": ["@acme/web"],
                               "rules": [{"pattern": "*", "owners": ["@acme/web"], "line": 1},
                                         {"pattern": "/deploy/", "owners": ["@acme/web", "@acme/sre"], "line": 2}],
                               "evidence": "E-codeowners"},
                "catalog": [{"name": "web", "kind": "Component", "owner": "team-web", "system": "shop", "annotations": {}, "evidence": "E-catalog"}],
                "unreadable": []
            }},
            "workloads": {"Deployment/shop/web": web, "StatefulSet/shop/postgres": postgres, "StatefulSet/shop/kafka": kafka},
            "services": {"Service/shop/web": {"key": "Service/shop/web", "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "app_protocol": null}], "evidence": "E-svc"}},
            "pdbs": {"PodDisruptionBudget/shop/web": {"key": "PodDisruptionBudget/shop/web", "min_available": 1, "max_unavailable": null, "evidence": "E-pdb"}},
            "hpas": {"HorizontalPodAutoscaler/shop/web": {"key": "HorizontalPodAutoscaler/shop/web", "target": "Deployment/shop/web", "min_replicas": 3, "max_replicas": 10, "metrics": ["cpu"], "evidence": "E-hpa"}},
            "bare_pods": [],
            "prometheus_rules": [
                {"group": "web", "name": "WebHighErrorRate", "kind": "alert", "expr": "sum(rate(http_requests_total{job=\"web\",code=~\"5..\"}[5m])) > 1", "labels": {"severity": "page"}, "runbook_url": "https://runbooks/web/errors", "service_hint": "web", "evidence": "E-alert-errors"},
                {"group": "web-slo", "name": "slo:sli_error:ratio_rate5m", "kind": "record", "expr": "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))", "labels": {"sloth_service": "web"}, "runbook_url": null, "service_hint": "web", "evidence": "E-rec-slo"},
                {"group": "web-slo", "name": "WebErrorBudgetBurn", "kind": "alert", "expr": "slo:sli_error:ratio_rate1h > (14.4 * 0.001)", "labels": {}, "runbook_url": "https://runbooks/web/burn", "service_hint": "web", "evidence": "E-alert-burn"},
                {"group": "web", "name": "web:latency:p99", "kind": "record", "expr": "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", "labels": {}, "runbook_url": null, "service_hint": "web", "evidence": "E-rec-latency"}
            ]
        }}
    })
}

/// Every evidence id the fixture cites, so verdicts may cite them.
pub fn known_evidence(input: &Value) -> HashSet<String> {
    let mut ids = HashSet::new();
    collect(input, &mut ids);
    ids
}

fn collect(v: &Value, ids: &mut HashSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "evidence" || k.ends_with("_evidence") || k == "found_in" {
                    match x {
                        Value::String(s) => {
                            ids.insert(s.clone());
                        }
                        Value::Array(a) => a.iter().filter_map(Value::as_str).for_each(|s| {
                            ids.insert(s.to_owned());
                        }),
                        _ => {}
                    }
                }
                collect(x, ids);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, ids)),
        _ => {}
    }
}

pub fn evaluator() -> Evaluator {
    Evaluator::new(Catalog::builtin().expect("builtin catalog")).expect("rules compile")
}

/// Every verdict, as rows: a row that is part of a team or estate finding carries the
/// finding's whole summary, evidence and missing, so rule tests check what the rule said
/// (what a row shows on its own is tested with [`evaluate_full`]).
pub fn evaluate(ev: &Evaluator, input: &Value) -> Vec<CriterionResult> {
    let out = evaluate_full(ev, input);
    let shared = out.results.scoped_by_id();
    out.results
        .rows
        .iter()
        .map(
            |r| match r.scoped.as_deref().and_then(|id| shared.get(id)) {
                Some(x) => CriterionResult {
                    summary: x.summary.clone(),
                    evidence: x.evidence.clone(),
                    missing: x.missing.clone(),
                    ..r.clone()
                },
                None => r.clone(),
            },
        )
        .collect()
}

/// The evaluation as the evaluator returns it: rows and shared entries.
pub fn evaluate_full(ev: &Evaluator, input: &Value) -> Evaluation {
    let mut input = input.clone();
    // Indexes a test set (reused_jobs) are kept; rule_metrics is computed as the scan does.
    let metrics = json!(evident_engine::resolve::rule_metrics(
        &input["facts"]["git"]
    ));
    if !input["index"].is_object() {
        input["index"] = json!({});
    }
    input["index"]["rule_metrics"] = metrics;
    let input = &input;
    let json = serde_json::to_string(input).expect("json");
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let out = ev
        .evaluate(
            input,
            &json,
            &known_evidence(input),
            &AttestationSet::default(),
            today,
        )
        .expect("evaluation");
    assert!(
        out.rule_errors.is_empty(),
        "rule errors: {:?}",
        out.rule_errors
    );
    out
}

/// Evaluates with the given attestations (dated 2026-11-23, as [`evaluate_full`]).
pub fn evaluate_attested(ev: &Evaluator, input: &Value, set: &AttestationSet) -> Evaluation {
    let json = serde_json::to_string(input).expect("json");
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    ev.evaluate(input, &json, &known_evidence(input), set, today)
        .expect("evaluation")
}

pub fn status_of(results: &[CriterionResult], criterion: &str, service: &str) -> (Status, String) {
    let r = results
        .iter()
        .find(|r| r.criterion == criterion && r.service == service)
        .unwrap_or_else(|| panic!("no result for {criterion}/{service}"));
    (
        r.status,
        format!(
            "{} | missing: {:?} | reason: {:?}",
            r.summary, r.missing, r.reason
        ),
    )
}

// --- GitHub (facts.github) -------------------------------------------------------------

/// The scan's observation time in the GitHub fixtures.
pub const GH_NOW: &str = "2026-12-01T12:00:00Z";

/// `GH_NOW` minus `hours`, as RFC 3339.
pub fn gh_ago(hours: i64) -> String {
    let now = chrono::DateTime::parse_from_rfc3339(GH_NOW).expect("now");
    (now - chrono::Duration::hours(hours))
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A successful production deployment `hours` ago by the Actions bot, from run `run`.
pub fn gh_deployment(repo: &str, id: u64, env: &str, hours: i64, run: u64) -> Value {
    json!({
        "id": id, "environment": env, "production": true,
        "created_at": gh_ago(hours), "sha": format!("sha{id}"), "task": "deploy",
        "creator": "github-actions[bot]", "creator_type": "Bot", "by_automation": true,
        "run_id": run, "state": "success", "succeeded_at": gh_ago(hours - 1),
        "evidence": format!("github:acme/{repo}:deployment:{id}")
    })
}

/// A merged pull request `hours` ago.
pub fn gh_pull(
    repo: &str,
    number: u64,
    author: &str,
    hours: i64,
    lines: u64,
    files: &[&str],
) -> Value {
    json!({
        "number": number, "author": author, "created_at": gh_ago(hours + 20), "merged_at": gh_ago(hours),
        "first_commit_at": gh_ago(hours + 30), "additions": lines, "deletions": 0, "lines": lines,
        "merge_sha": format!("m{number}"), "files": files, "files_complete": true,
        "evidence": format!("github:acme/{repo}:pull:{number}")
    })
}

/// A GitHub repository record in which everything GitHub-backed is met: a required
/// check, a recent CI run, a production environment its own team approves, fourteen
/// automated production deploys six days apart (each an hour after a small pull request
/// that touched code, tests and deploy config).
pub fn gh_repo(key: &str) -> Value {
    let deployments: Vec<Value> = (0..14)
        .map(|i| gh_deployment(key, 100 + i, "production", 48 + 144 * i as i64, 9000 + i))
        .collect();
    let authors = ["alice", "bob"];
    let pulls: Vec<Value> = (0..14)
        .map(|i| {
            gh_pull(
                key,
                10 + i,
                authors[(i % 2) as usize],
                49 + 144 * i as i64,
                40 + i,
                &["src/server.go", "src/server_test.go", "k8s/deployment.yaml"],
            )
        })
        .collect();
    json!({
        "key": key, "full_name": format!("acme/{key}"), "url": format!("https://github.com/acme/{key}"),
        "default_branch": "main", "pushed_at": gh_ago(5), "archived": false, "fork": false,
        "evidence": format!("github:acme/{key}:repository"),
        "unread": {},
        "protection": {"branch": "main", "required_checks": ["test"], "required_reviews": 1,
                       "sources": ["branch protection rule main"], "evidence": format!("github:acme/{key}:protection")},
        "environments": [{"name": "production", "production": true,
                          "reviewers": [{"type": "user", "login": "alice"}, {"type": "team", "team": "acme/web"}],
                          "wait_timer_minutes": 0, "evidence": format!("github:acme/{key}:environment:production")}],
        "runs": {"since": gh_ago(720), "count": 42, "complete": true,
                 "workflows": [{"path": ".github/workflows/ci.yaml", "name": "CI", "runs": 42, "last_run_at": gh_ago(3),
                                "events": ["pull_request", "push"], "conclusions": {"success": 40, "failure": 2}}],
                 "evidence": format!("github:acme/{key}:runs")},
        "deployments": deployments,
        "deployments_complete": true,
        "releases": [], "tags": [],
        "pull_requests": {"complete": true, "items": pulls}
    })
}

/// GitHub configured and read for `web` (team-web is the GitHub team acme/web: alice and
/// bob), with a platform team owning a `tools` repository that alice contributed to.
pub fn with_github(i: &mut Value) {
    i["sources"]["github"] = json!({"status": "ok", "detail": "read 2 repositories of acme"});
    i["teams"]["team-web"]["github_team"] = json!("acme/web");
    let mut tools = gh_repo("tools");
    tools["pull_requests"]["items"] =
        json!([gh_pull("tools", 7, "alice", 500, 30, &["lib/deploy.sh"])]);
    i["facts"]["github"] = json!({
        "api": "https://api.github.com", "now": GH_NOW,
        "windows": {"runs_days": 30, "deployments_days": 90, "pull_requests_days": 180},
        "repos": {"web": gh_repo("web"), "tools": tools},
        "teams": {
            "acme/web": {"id": "acme/web", "org": "acme", "slug": "web", "name": "Web",
                         "members": ["alice", "bob"], "member_count": 2, "members_complete": true,
                         "repos": {"web": "admin"}, "evidence": "github:acme:team:web"},
            "acme/platform": {"id": "acme/platform", "org": "acme", "slug": "platform", "name": "Platform",
                              "members": ["carol"], "member_count": 1, "members_complete": true,
                              "repos": {"tools": "admin"}, "evidence": "github:acme:team:platform"}
        },
        "teams_read": true, "unread": {}, "skipped": []
    });
}

pub fn gh_web(i: &mut Value) -> &mut Value {
    &mut i["facts"]["github"]["repos"]["web"]
}

/// One part of the `web` repository unread with `status` (the part's facts dropped).
pub fn gh_unread(i: &mut Value, part: &str, status: &str) {
    let r = gh_web(i);
    r["unread"][part] = json!({"status": status, "detail": format!("{part}: {status} by GitHub")});
    match part {
        "protection" => r["protection"] = Value::Null,
        "pull_requests" | "runs" | "environments" | "deployments" | "releases" => {
            if let Some(o) = r.as_object_mut() {
                o.remove(part);
            }
        }
        _ => {}
    }
}

/// A second service `api` of team-api (GitHub team acme/api) in its own repository,
/// every production deploy of which came from the same workflow runs as web's.
pub fn with_coupled_api(i: &mut Value) {
    let mut api = i["services"]["web"].clone();
    api["id"] = json!("api");
    api["name"] = json!("api");
    api["team"] = json!("team-api");
    api["repos"] = json!(["api"]);
    api["workloads"] = json!([]);
    i["services"]["api"] = api;
    i["teams"]["team-api"] =
        json!({"id": "team-api", "services": ["api"], "github_team": "acme/api"});
    let mut repo = i["facts"]["git"]["repos"]["web"].clone();
    repo["key"] = json!("api");
    i["facts"]["git"]["repos"]["api"] = repo;
    let mut gh = gh_repo("api");
    for (n, d) in gh["deployments"]
        .as_array_mut()
        .expect("deployments")
        .iter_mut()
        .enumerate()
    {
        d["run_id"] = json!(9000 + n as u64);
    }
    i["facts"]["github"]["repos"]["api"] = gh;
    i["facts"]["github"]["teams"]["acme/api"] = json!({"id": "acme/api", "org": "acme", "slug": "api", "name": "API",
        "members": ["dave"], "member_count": 1, "members_complete": true, "repos": {"api": "admin"}, "evidence": "github:acme:team:api"});
}

// --- on-call (facts.oncall, svc.oncall, index.people, team members) -----------------
//
// Built by hand to the contract of docs/facts.md ("OncallFacts" and "What resolution
// adds for on-call"), as resolution would write it.

/// An on-call user record of `account` (`pagerduty/PU1`).
pub fn oc_user(account: &str, id: &str, name: &str) -> Value {
    json!({"key": format!("{account}/{id}"), "account": account, "id": id, "name": name,
           "email_hash": format!("hash-{id}"), "evidence": format!("oncall:{account}:user:{id}")})
}

/// A rendered schedule of `account` with these participant keys.
pub fn oc_schedule(account: &str, id: &str, name: &str, participants: &[&str]) -> Value {
    json!({"key": format!("{account}/{id}"), "account": account, "id": id, "name": name, "teams": [],
           "participants": participants, "on_call_now": participants.first().map_or(vec![], |p| vec![*p]),
           "rendered": true, "evidence": format!("oncall:{account}:schedule:{id}")})
}

/// An incident on `service` triggered `hours_ago` before GH_NOW, resolved after
/// `resolve_hours` (open when None).
pub fn oc_incident(
    account: &str,
    id: &str,
    service: &str,
    hours_ago: i64,
    resolve_hours: Option<i64>,
) -> Value {
    json!({"key": format!("{account}/{id}"), "account": account, "id": id, "services": [service],
           "created_at": gh_ago(hours_ago), "acknowledged_at": null,
           "resolved_at": resolve_hours.map(|h| gh_ago(hours_ago - h)),
           "status": if resolve_hours.is_some() { "resolved" } else { "triggered" },
           "urgency": "high", "evidence": format!("oncall:{account}:incident:{id}")})
}

/// The account record of `tool`, read at GH_NOW over 90 days.
pub fn oc_account(tool: &str) -> Value {
    json!({"tool": tool, "api": format!("https://api.{tool}.example"), "now": GH_NOW,
           "since": gh_ago(90 * 24), "window_days": 90, "unread": {}, "partial": {}})
}

/// PagerDuty read for `web`: service PWEB (escalation policy PEP1, paging schedule PS1
/// with alice and bob), a platform schedule PS2 (carol, dave), three resolved incidents
/// of web (60 days ago in 4 h, 10 days ago in 2 h, 5 days ago in 1 h) and one change
/// event. Resolution joined PWEB to web by name, every user to a login, and team-web has
/// the members alice and bob (a catalog Group).
pub fn with_oncall(i: &mut Value) {
    i["sources"]["oncall"] = json!({"status": "ok", "detail": "read pagerduty"});
    let users: serde_json::Map<String, Value> = [
        ("PU1", "Alice Example"),
        ("PU2", "Bob Example"),
        ("PU3", "Carol Example"),
        ("PU4", "Dave Example"),
    ]
    .iter()
    .map(|(id, name)| (format!("pagerduty/{id}"), oc_user("pagerduty", id, name)))
    .collect();
    i["facts"]["oncall"] = json!({
        "accounts": {"pagerduty": oc_account("pagerduty")},
        "services": {"pagerduty/PWEB": {"key": "pagerduty/PWEB", "account": "pagerduty", "id": "PWEB", "name": "web",
            "escalation_policy": "pagerduty/PEP1", "teams": [], "integration_key_hashes": [], "tags": [],
            "status": "active", "evidence": "oncall:pagerduty:service:PWEB"}},
        "escalation_policies": {"pagerduty/PEP1": {"key": "pagerduty/PEP1", "account": "pagerduty", "id": "PEP1",
            "name": "Web", "users": [], "schedules": ["pagerduty/PS1"], "teams": [],
            "evidence": "oncall:pagerduty:escalation_policy:PEP1"}},
        "schedules": {
            "pagerduty/PS1": oc_schedule("pagerduty", "PS1", "Web primary", &["pagerduty/PU1", "pagerduty/PU2"]),
            "pagerduty/PS2": oc_schedule("pagerduty", "PS2", "Platform primary", &["pagerduty/PU3", "pagerduty/PU4"])
        },
        "users": users,
        "teams": {},
        "incidents": [
            oc_incident("pagerduty", "PI1", "pagerduty/PWEB", 60 * 24, Some(4)),
            oc_incident("pagerduty", "PI2", "pagerduty/PWEB", 10 * 24, Some(2)),
            oc_incident("pagerduty", "PI3", "pagerduty/PWEB", 5 * 24, Some(1))
        ],
        "change_events": [{"key": "pagerduty/PC1", "account": "pagerduty", "id": "PC1",
            "services": ["pagerduty/PWEB"], "timestamp": gh_ago(30), "evidence": "oncall:pagerduty:change_event:PC1"}]
    });
    i["services"]["web"]["oncall"] = json!({
        "services": ["pagerduty/PWEB"], "escalation_policies": ["pagerduty/PEP1"],
        "schedules": ["pagerduty/PS1"], "responders": ["pagerduty/PU1", "pagerduty/PU2"],
        "complete": true,
        "evidence": ["oncall:pagerduty:service:PWEB", "oncall:pagerduty:escalation_policy:PEP1", "oncall:pagerduty:schedule:PS1"]
    });
    i["services"]["web"]["joins"] = json!([{"source": "oncall", "item": "pagerduty/PWEB", "by": "matched by name",
        "evidence": ["resolve:web:oncall:pagerduty/PWEB"]}]);
    i["index"]["people"] = json!({
        "pagerduty/PU1": {"login": "alice", "by": "catalog User alice", "name": "Alice Example"},
        "pagerduty/PU2": {"login": "bob", "by": "catalog User bob", "name": "Bob Example"},
        "pagerduty/PU3": {"login": "carol", "by": "people mapping", "name": "Carol Example"},
        "pagerduty/PU4": {"login": "dave", "by": "commit author in acme/api", "name": "Dave Example"}
    });
    i["index"]["unresolved_people"] = json!([]);
    i["teams"]["team-web"]["members"] = json!(["alice", "bob"]);
    i["teams"]["team-web"]["members_source"] = json!("catalog Group web");
    i["teams"]["team-web"]["members_complete"] = json!(true);
}

pub fn oc_facts(i: &mut Value) -> &mut Value {
    &mut i["facts"]["oncall"]
}

pub fn web_oncall(i: &mut Value) -> &mut Value {
    &mut i["services"]["web"]["oncall"]
}

/// An on-call part not read by the pagerduty account (its facts emptied), and the
/// source's part failed as the probe reports it when `gate` is true.
pub fn oc_unread(i: &mut Value, part: &str, status: &str, gate: bool) {
    let detail = format!("GET /{part} answered {status}");
    oc_facts(i)["accounts"]["pagerduty"]["unread"][part] =
        json!({"status": status, "detail": detail});
    oc_facts(i)[part] = if part == "incidents" || part == "change_events" {
        json!([])
    } else {
        json!({})
    };
    if gate {
        i["sources"]["oncall"]["parts"] = json!({part: {"status": status, "detail": detail}});
    }
}

/// The on-call user `id` of pagerduty could not be joined to a login.
pub fn oc_unjoined(i: &mut Value, id: &str) {
    let key = format!("pagerduty/{id}");
    i["index"]["people"][&key]["login"] = Value::Null;
    i["index"]["people"][&key]["by"] = Value::Null;
    i["index"]["unresolved_people"]
        .as_array_mut()
        .expect("unresolved_people")
        .push(json!(key));
}
