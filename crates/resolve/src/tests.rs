use super::*;
use serde_json::json;

fn ids(r: &Resolution) -> Vec<&str> {
    r.services.iter().map(|s| s.id.as_str()).collect()
}

fn service<'a>(r: &'a Resolution, id: &str) -> &'a ResolvedService {
    r.services
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no service {id} in {:?}", ids(r)))
}

fn facts() -> Value {
    json!({"git": {
        "repos": {
            "shop": {"key": "shop", "codeowners": {"default_owners": ["@acme/web"], "evidence": "git:shop@1:CODEOWNERS#L1"},
                      "catalog": [{"kind": "Component", "name": "cart", "owner": "team-cart", "evidence": "git:shop@1:catalog-info.yaml#L1-L9"}],
                      "dockerfiles": [{"path": "Dockerfile"}, {"path": "src/cart/Dockerfile"}, {"path": "src/frontend/Dockerfile"}],
                      "compose_files": [{"path": "docker-compose.yml", "services": [{"name": "frontend"}, {"name": "tools"}]}]},
            "tools": {"key": "tools", "codeowners": null, "catalog": [], "dockerfiles": [{"path": "Dockerfile"}]}
        },
        "workloads": {
            "shop/Deployment/default/cart": {"kind": "Deployment", "name": "cart", "app": "cart", "long_running": true, "repo": "shop",
                "containers": [{"image": {"registry": "gcr.io", "repository": "acme/cart"}}], "evidence": ["git:shop@1:k8s/cart.yaml#L1-L20"]},
            "shop/Deployment/default/front": {"kind": "Deployment", "name": "front-v2", "app": "frontend", "team": "label-team", "long_running": true, "repo": "shop",
                "containers": [{"image": {"repository": "acme/frontend"}}], "evidence": ["git:shop@1:k8s/front.yaml#L1-L20"]}
        }
    }})
}

#[test]
fn catalog_then_workloads_then_repository() {
    let r = resolve(&facts(), &ResolveConfig::default());
    assert_eq!(ids(&r), ["cart", "frontend", "tools"]);
    let cart = service(&r, "cart");
    assert_eq!(cart.team.as_deref(), Some("team-cart"));
    assert_eq!(cart.resolved_from, "catalog");
    assert_eq!(cart.workloads, ["shop/Deployment/default/cart"]);
    let front = service(&r, "frontend");
    assert_eq!(
        front.team.as_deref(),
        Some("@acme/web"),
        "CODEOWNERS beats labels"
    );
    assert_eq!(front.team_source.as_deref(), Some("CODEOWNERS"));
    let tools = service(&r, "tools");
    assert_eq!(tools.resolved_from, "repository");
    assert_eq!(tools.team, None);
    assert_eq!(r.teams["@acme/web"], ["frontend"]);
}

#[test]
fn a_service_gets_only_its_own_container_files() {
    let r = resolve(&facts(), &ResolveConfig::default());
    let paths = |s: &ResolvedService| -> Vec<String> {
        s.dockerfiles.iter().map(|f| f.path.clone()).collect()
    };
    assert_eq!(paths(service(&r, "frontend")), ["src/frontend/Dockerfile"]);
    assert_eq!(
        paths(service(&r, "tools")),
        ["Dockerfile"],
        "a repository service owns its files"
    );
    assert!(
        !paths(service(&r, "cart")).contains(&"Dockerfile".to_owned()),
        "the root Dockerfile is not cited for a workload that does not build from it"
    );
    let compose: Vec<&str> = service(&r, "frontend")
        .compose
        .iter()
        .map(|c| c.service.as_str())
        .collect();
    assert_eq!(compose, ["frontend"]);
}

#[test]
fn two_repositories_declaring_frontend_are_two_services_each_with_its_owner() {
    let f = json!({"git": {
        "repos": {
            "a": {"codeowners": {"default_owners": ["@org/team-a"]}},
            "b": {"codeowners": {"default_owners": ["@org/team-b"]}}
        },
        "workloads": {
            "a/Deployment/default/frontend": {"kind": "Deployment", "name": "frontend", "long_running": true, "repo": "a"},
            "b/Deployment/default/frontend": {"kind": "Deployment", "name": "frontend", "long_running": true, "repo": "b"}
        }
    }});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["a/frontend", "b/frontend"]);
    assert_eq!(
        service(&r, "a/frontend").team.as_deref(),
        Some("@org/team-a")
    );
    assert_eq!(
        service(&r, "b/frontend").team.as_deref(),
        Some("@org/team-b")
    );
    assert_eq!(service(&r, "a/frontend").repos, ["a"]);
    assert_eq!(
        service(&r, "b/frontend").workloads,
        ["b/Deployment/default/frontend"]
    );
}

#[test]
fn batch_workloads_join_the_service_their_part_of_names_and_hooks_do_not_become_services() {
    let f = json!({"git": {
        "repos": {"shop": {}},
        "workloads": {
            "shop/Deployment/default/frontend": {"kind": "Deployment", "name": "frontend", "long_running": true, "repo": "shop"},
            "shop/CronJob/default/cleanup": {"kind": "CronJob", "name": "cleanup", "part_of": "frontend", "repo": "shop"},
            "shop/Job/default/migrate": {"kind": "Job", "name": "migrate", "hook": "argocd", "repo": "shop"},
            "shop/CronJob/default/report": {"kind": "CronJob", "name": "report", "repo": "shop"}
        }
    }});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["frontend", "report"]);
    let front = service(&r, "frontend");
    assert!(
        front
            .workloads
            .contains(&"shop/CronJob/default/cleanup".to_owned())
    );
    let by: Vec<&str> = front.joins.iter().map(|j| j.by.as_str()).collect();
    assert!(
        by.contains(&"label app.kubernetes.io/part-of=frontend"),
        "{by:?}"
    );
    assert_eq!(r.unresolved.len(), 1);
    assert!(
        r.unresolved[0]
            .reason
            .contains("argocd hook migrate names no service")
    );
    assert_eq!(
        service(&r, "report").workloads,
        ["shop/CronJob/default/report"],
        "a batch-only service"
    );
}

#[test]
fn live_workloads_alone_are_services_with_environments_and_system_namespaces_are_left_out() {
    let f = json!({"kubernetes": {"workloads": {
        "prod/Deployment/shop/cart": {"kind": "Deployment", "name": "cart", "app": "cart", "namespace": "shop", "long_running": true, "cluster": "prod", "evidence": ["k8s:prod:Deployment/shop/cart@1"]},
        "stage/Deployment/shop/cart-v2": {"kind": "Deployment", "name": "cart-v2", "app": "cart", "namespace": "shop", "long_running": true, "cluster": "stage"},
        "prod/Deployment/kube-system/coredns": {"kind": "Deployment", "name": "coredns", "app": "kube-dns", "namespace": "kube-system", "long_running": true, "cluster": "prod"}
    }}});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["cart"]);
    let cart = service(&r, "cart");
    assert_eq!(cart.resolved_from, "cluster");
    assert_eq!(cart.environments, ["prod/shop", "stage/shop"]);
    assert_eq!(cart.live_workloads.len(), 2);
    assert_eq!(r.unresolved.len(), 1);
    assert!(
        r.unresolved[0]
            .reason
            .contains("system namespace kube-system")
    );
}

#[test]
fn repository_cluster_and_prometheus_views_of_one_service_are_one_service_with_three_joins() {
    let mut f = facts();
    f["kubernetes"] = json!({"workloads": {
        "prod/Deployment/shop/cart-canary": {"kind": "Deployment", "name": "cart-canary", "namespace": "shop", "long_running": true, "cluster": "prod",
            "containers": [{"image": {"registry": "gcr.io", "repository": "acme/cart"}}], "evidence": ["k8s:prod:Deployment/shop/cart-canary@7"]}
    }});
    f["prometheus"] = json!({"services": {"cart-canary": {"jobs": ["cart"], "namespaces": ["shop"], "evidence": ["prometheus:p:9090:/api/v1/targets"]}},
                             "rules": [{"service_hint": "cart-canary"}, {"service_hint": null}]});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["cart", "frontend", "tools"]);
    let cart = service(&r, "cart");
    let joins: Vec<(&str, &str)> = cart
        .joins
        .iter()
        .map(|j| (j.source.as_str(), j.by.as_str()))
        .collect();
    assert_eq!(
        joins,
        [
            ("git", "catalog entry in catalog-info.yaml"),
            ("git", "catalog Component cart"),
            ("kubernetes", "image gcr.io/acme/cart"),
            ("prometheus", "name cart-canary (matched by name)"),
        ]
    );
    assert_eq!(cart.prometheus, ["cart-canary"]);
    assert_eq!(cart.prometheus_rules, [0]);
    assert!(
        cart.found_in
            .contains(&"resolve:cart:kubernetes:prod/Deployment/shop/cart-canary".to_owned())
    );
    let evidence = r.join_evidence("2026-12-01T00:00:00Z");
    assert!(
        evidence
            .iter()
            .any(|e| e.excerpt.contains("by image gcr.io/acme/cart"))
    );
}

#[test]
fn a_live_name_two_repositories_declare_is_ambiguous_and_reported() {
    let f = json!({"git": {
        "repos": {"a": {}, "b": {}},
        "workloads": {
            "a/Deployment/default/frontend": {"kind": "Deployment", "name": "frontend", "long_running": true, "repo": "a"},
            "b/Deployment/default/frontend": {"kind": "Deployment", "name": "frontend", "long_running": true, "repo": "b"}
        }},
        "kubernetes": {"workloads": {
            "prod/Deployment/web/frontend": {"kind": "Deployment", "name": "frontend", "namespace": "web", "long_running": true, "cluster": "prod"}
        }}
    });
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["a/frontend", "b/frontend"]);
    assert!(service(&r, "a/frontend").live_workloads.is_empty());
    assert_eq!(r.unresolved.len(), 1);
    assert!(
        r.unresolved[0]
            .reason
            .starts_with("ambiguous: name frontend"),
        "{}",
        r.unresolved[0].reason
    );
}

#[test]
fn two_catalog_components_claiming_one_workload_is_ambiguous() {
    let f = json!({"git": {
        "repos": {"shop": {"catalog": [
            {"kind": "Component", "name": "web", "evidence": "git:shop@1:catalog-info.yaml#L1-L5"},
            {"kind": "Component", "name": "web-legacy", "annotations": {"backstage.io/kubernetes-id": "web"}, "evidence": "git:shop@1:catalog-info.yaml#L7-L12"}
        ]}},
        "workloads": {"shop/Deployment/default/web": {"kind": "Deployment", "name": "web", "long_running": true, "repo": "shop"}}
    }});
    let r = resolve(&f, &ResolveConfig::default());
    assert!(service(&r, "web").workloads.is_empty());
    assert_eq!(r.unresolved.len(), 1);
    assert!(
        r.unresolved[0]
            .reason
            .contains("claimed by catalog Components web, web-legacy")
    );
}

#[test]
fn prometheus_alone_yields_the_services_its_jobs_name_and_config_joins_win() {
    let f = json!({"prometheus": {"services": {
        "checkout": {"jobs": ["checkout"], "mapped_by": ["job name"]},
        "payments-api": {"jobs": ["payments"], "mapped_by": ["label app"]}
    }}});
    let config = ResolveConfig {
        overrides: vec![ServiceOverride {
            service: "payments".into(),
            prometheus: vec!["payments-api".into()],
            team: Some("team-pay".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let r = resolve(&f, &config);
    assert_eq!(ids(&r), ["checkout", "payments"]);
    assert_eq!(service(&r, "checkout").resolved_from, "prometheus");
    let pay = service(&r, "payments");
    assert_eq!(pay.prometheus, ["payments-api"]);
    assert_eq!(pay.team.as_deref(), Some("team-pay"));
    assert_eq!(
        pay.joins[0].by,
        "config: service payments lists payments-api"
    );
}

#[test]
fn items_of_the_wrong_shape_are_unresolved_and_the_rest_resolves() {
    let f = json!({"git": {
        "repos": {"shop": {}},
        "workloads": {
            "shop/Deployment/default/web": {"kind": "Deployment", "name": "web", "long_running": true, "repo": "shop"},
            "shop/Deployment/default/broken": {"kind": 7}
        }
    }, "kubernetes": {"workloads": {"prod/x": "oops"}}});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["web"]);
    let items: Vec<&str> = r.unresolved.iter().map(|u| u.item.as_str()).collect();
    assert_eq!(items, ["shop/Deployment/default/broken", "prod/x"]);
}

#[test]
fn git_rules_belong_to_the_service_they_name_else_to_their_repository() {
    let mut f = facts();
    f["git"]["prometheus_rules"] = json!([
        {"service_hint": "frontend", "repo": "shop"},
        {"service_hint": null, "evidence": "git:shop@1:rules.yaml#L1-L4"},
        {"service_hint": null, "repo": "tools"}
    ]);
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(service(&r, "frontend").rules, [0, 1]);
    assert_eq!(service(&r, "cart").rules, [1]);
    assert_eq!(service(&r, "tools").rules, [2]);
}

#[test]
fn no_facts_means_no_services() {
    assert!(
        resolve(&json!({}), &ResolveConfig::default())
            .services
            .is_empty()
    );
}

#[test]
fn a_backstage_kubernetes_id_label_joins_a_live_workload_whatever_its_name() {
    let mut f = facts();
    f["kubernetes"] = json!({"workloads": {
        "prod/Deployment/shop/basket-v9": {"kind": "Deployment", "name": "basket-v9", "namespace": "shop", "long_running": true,
            "cluster": "prod", "kubernetes_id": "cart"}
    }});
    let r = resolve(&f, &ResolveConfig::default());
    let cart = service(&r, "cart");
    assert_eq!(cart.live_workloads, ["prod/Deployment/shop/basket-v9"]);
    let by: Vec<&str> = cart.joins.iter().map(|j| j.by.as_str()).collect();
    assert!(
        by.contains(&"label backstage.io/kubernetes-id=cart"),
        "{by:?}"
    );
}

#[test]
fn a_catalog_label_selector_joins_the_workloads_it_selects() {
    let f = json!({"git": {
        "repos": {"shop": {"catalog": [
            {"kind": "Component", "name": "payments", "annotations": {"backstage.io/kubernetes-label-selector": "app=pay,tier=api"},
             "evidence": "git:shop@1:catalog-info.yaml#L1-L9"}
        ]}},
        "workloads": {"shop/Deployment/default/pay-api": {"kind": "Deployment", "name": "pay-api", "long_running": true, "repo": "shop",
            "labels": {"app": "pay", "tier": "api", "version": "2"}}}
    }, "kubernetes": {"workloads": {
        "prod/Deployment/pay/pay-api-blue": {"kind": "Deployment", "name": "pay-api-blue", "namespace": "pay", "long_running": true,
            "cluster": "prod", "labels": {"app": "pay", "tier": "api"}},
        "prod/Deployment/pay/pay-worker": {"kind": "Deployment", "name": "pay-worker", "namespace": "pay", "long_running": true,
            "cluster": "prod", "labels": {"app": "pay", "tier": "worker"}}
    }}});
    let r = resolve(&f, &ResolveConfig::default());
    let pay = service(&r, "payments");
    assert_eq!(pay.workloads, ["shop/Deployment/default/pay-api"]);
    assert_eq!(
        pay.live_workloads,
        ["prod/Deployment/pay/pay-api-blue"],
        "the worker's tier does not match"
    );
    assert!(
        pay.joins.iter().any(|j| j.by
            == "catalog annotation backstage.io/kubernetes-label-selector=app=pay,tier=api")
    );
    assert_eq!(
        view::parse_label_selector("app in (a,b)"),
        None,
        "set-based selectors are not guessed at"
    );
}

#[test]
fn a_repository_whose_facts_cannot_be_read_makes_no_service_and_loses_no_item() {
    let f = json!({"git": {
        "repos": {"shop": {"dockerfiles": "oops"}, "ok": {}},
        "workloads": {"shop/Deployment/default/web": {"kind": "Deployment", "name": "web", "long_running": true, "repo": "shop"}}
    }});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(ids(&r), ["ok"]);
    let items: Vec<&str> = r.unresolved.iter().map(|u| u.item.as_str()).collect();
    assert_eq!(items, ["shop", "shop/Deployment/default/web"]);
    assert!(
        r.unresolved[0]
            .reason
            .starts_with("repository facts could not be read")
    );
}

fn github_facts() -> Value {
    json!({
        "git": {"repos": {
            "lib": {"key": "lib", "codeowners": null, "catalog": [], "dockerfiles": [],
                    "ci": {"jobs": []}},
            "shared": {"key": "shared", "codeowners": null, "catalog": [], "dockerfiles": [],
                       "ci": {"jobs": []}},
            "pay": {"key": "pay", "codeowners": null,
                    "catalog": [{"kind": "Component", "name": "pay", "owner": "group:default/payments", "evidence": "git:pay@1:catalog-info.yaml#L1"}]},
            "web": {"key": "web", "codeowners": {"default_owners": ["@Acme/Web"], "evidence": "git:web@1:CODEOWNERS#L1"}, "catalog": []}
        }},
        "github": {
            "repos": {
                "lib": {"key": "lib", "full_name": "acme/lib", "evidence": "github:acme/lib:repository"},
                "shared": {"key": "shared", "full_name": "acme/shared", "evidence": "github:acme/shared:repository"},
                "pay": {"key": "pay", "full_name": "acme/pay", "evidence": "github:acme/pay:repository"},
                "web": {"key": "web", "full_name": "acme/web", "evidence": "github:acme/web:repository"}
            },
            "teams": {
                "acme/core": {"id": "acme/core", "org": "acme", "slug": "core", "name": "Core",
                              "repos": {"lib": "admin", "shared": "maintain"}, "evidence": "github:acme:team:core"},
                "acme/ops": {"id": "acme/ops", "org": "acme", "slug": "ops", "name": "Ops",
                             "repos": {"lib": "maintain", "shared": "admin"}, "evidence": "github:acme:team:ops"},
                "acme/sre": {"id": "acme/sre", "org": "acme", "slug": "sre", "name": "SRE",
                             "repos": {"shared": "admin"}, "evidence": "github:acme:team:sre"},
                "acme/payments": {"id": "acme/payments", "org": "acme", "slug": "payments", "name": "Payments",
                                  "repos": {}, "evidence": "github:acme:team:payments"},
                "acme/web": {"id": "acme/web", "org": "acme", "slug": "web", "name": "Web",
                             "repos": {"web": "admin"}, "evidence": "github:acme:team:web"}
            },
            "teams_read": true
        }
    })
}

#[test]
fn a_service_nobody_names_an_owner_of_is_owned_by_the_github_team_with_admin_rights() {
    let r = resolve(&github_facts(), &ResolveConfig::default());
    let lib = service(&r, "lib");
    assert_eq!(lib.team.as_deref(), Some("@acme/core"));
    assert_eq!(lib.team_source.as_deref(), Some("github admin"));
    let join = lib
        .joins
        .iter()
        .find(|j| j.source == "github")
        .expect("github join");
    assert_eq!(join.item, "team acme/core");
    assert_eq!(join.by, "admin rights on repository acme/lib");
    assert_eq!(join.evidence, ["github:acme:team:core"]);
    assert!(
        lib.found_in
            .contains(&"resolve:lib:github:team acme/core".to_owned()),
        "{:?}",
        lib.found_in
    );
    // Teams with admin (ops, sre) on `shared`: ambiguous, unowned, never a guess; the
    // maintain right of core does not break the tie.
    let shared = service(&r, "shared");
    assert_eq!(shared.team, None);
    let u = r
        .unresolved
        .iter()
        .find(|u| u.source == "github" && u.item == "owner of shared")
        .expect("ambiguity listed");
    assert!(
        u.reason
            .contains("teams acme/ops, acme/sre all have admin rights on repository acme/shared"),
        "{}",
        u.reason
    );
}

#[test]
fn owners_named_by_catalog_or_codeowners_are_tied_to_their_github_teams() {
    let r = resolve(&github_facts(), &ResolveConfig::default());
    // CODEOWNERS beats repository rights; the catalog owner is not replaced either.
    assert_eq!(
        service(&r, "web").team_source.as_deref(),
        Some("CODEOWNERS")
    );
    assert_eq!(
        service(&r, "pay").team.as_deref(),
        Some("group:default/payments")
    );
    assert_eq!(r.github_teams["@Acme/Web"], "acme/web");
    assert_eq!(r.github_teams["group:default/payments"], "acme/payments");
    assert_eq!(r.github_teams["@acme/core"], "acme/core");
    let teams = r.input_teams();
    assert_eq!(
        teams["group:default/payments"]["github_team"],
        "acme/payments"
    );
    assert_eq!(teams["@acme/core"]["services"], json!(["lib"]));
}

#[test]
fn a_slug_two_organisations_share_is_tied_by_the_organisation_of_the_repositories() {
    let mut f = github_facts();
    f["github"]["teams"]["other/payments"] = json!({"id": "other/payments", "org": "other", "slug": "payments", "repos": {}, "evidence": "github:other:team:payments"});
    let r = resolve(&f, &ResolveConfig::default());
    assert_eq!(r.github_teams["group:default/payments"], "acme/payments");
    f["github"]["repos"]["pay"]["full_name"] = json!("third/pay");
    let r = resolve(&f, &ResolveConfig::default());
    assert!(
        !r.github_teams.contains_key("group:default/payments"),
        "two candidates and neither organisation holds the repository: none"
    );
}

#[test]
fn the_reused_jobs_index_gives_a_caller_the_called_workflows_kinds() {
    let mut f = github_facts();
    f["git"]["repos"]["shared"]["ci"]["jobs"] = json!([
        {"id": ".github/workflows/deploy.yml#deploy", "path": ".github/workflows/deploy.yml",
         "kinds": ["deploy"], "deploy_targets": ["helm"], "local_cluster": false, "reuses": [],
         "evidence": "git:shared@1:.github/workflows/deploy.yml#L5-L30"},
        {"id": ".github/workflows/deploy.yml#smoke", "path": ".github/workflows/deploy.yml",
         "kinds": ["test", "deploy"], "deploy_targets": ["helm"], "local_cluster": true, "reuses": [],
         "evidence": "git:shared@1:.github/workflows/deploy.yml#L31-L50"}
    ]);
    f["git"]["repos"]["lib"]["ci"]["jobs"] = json!([
        {"id": ".github/workflows/ci.yml#release", "path": ".github/workflows/ci.yml", "kinds": [],
         "reuses": ["Acme/Shared/.github/workflows/deploy.yml@v2"], "evidence": "git:lib@1:.github/workflows/ci.yml#L3-L9"},
        {"id": ".github/workflows/ci.yml#external", "path": ".github/workflows/ci.yml", "kinds": [],
         "reuses": ["elsewhere/templates/.github/workflows/build.yml@main", "orb:circleci/node@5"],
         "evidence": "git:lib@1:.github/workflows/ci.yml#L10-L14"},
        {"id": ".github/workflows/ci.yml#plain", "path": ".github/workflows/ci.yml", "kinds": ["build"],
         "reuses": ["orb:circleci/node@5"], "evidence": "git:lib@1:.github/workflows/ci.yml#L15-L20"}
    ]);
    let r = resolve(&f, &ResolveConfig::default());
    let index = r.input_index();
    let jobs = index["reused_jobs"].as_object().expect("index");
    let release = &jobs["lib/.github/workflows/ci.yml#release"];
    // The smoke job installs into its own cluster: its deploy is a test.
    assert_eq!(release["kinds"], json!(["deploy", "test"]));
    assert_eq!(release["deploy_targets"], json!(["helm"]));
    assert_eq!(
        release["jobs"],
        json!([
            "shared/.github/workflows/deploy.yml#deploy",
            "shared/.github/workflows/deploy.yml#smoke"
        ])
    );
    assert_eq!(release["unresolved"], json!([]));
    let external = &jobs["lib/.github/workflows/ci.yml#external"];
    assert_eq!(external["kinds"], json!([]));
    assert_eq!(
        external["unresolved"],
        json!([{"reuses": "elsewhere/templates/.github/workflows/build.yml@main", "why": "elsewhere/templates is not in this scan"}])
    );
    assert!(
        !jobs.contains_key("lib/.github/workflows/ci.yml#plain"),
        "an orb is not a reusable workflow"
    );
}

#[test]
fn maintain_rights_own_a_service_when_no_team_has_admin_and_users_are_no_github_team() {
    let mut f = github_facts();
    f["github"]["teams"]["acme/core"]["repos"] = json!({"lib": "maintain"});
    f["github"]["teams"]["acme/ops"]["repos"] = json!({"lib": "write"});
    f["git"]["repos"]["pay"]["catalog"][0]["owner"] = json!("user:alice");
    let r = resolve(&f, &ResolveConfig::default());
    let lib = service(&r, "lib");
    assert_eq!(lib.team.as_deref(), Some("@acme/core"));
    assert_eq!(lib.team_source.as_deref(), Some("github maintain"));
    assert!(!r.github_teams.contains_key("user:alice"));
    // Without facts.github nothing changes: the service stays unowned.
    let mut bare = f.clone();
    bare.as_object_mut().expect("facts").remove("github");
    let r = resolve(&bare, &ResolveConfig::default());
    assert_eq!(service(&r, "lib").team, None);
    assert!(r.github_teams.is_empty());
    assert_eq!(r.input_index()["reused_jobs"], json!({}));
}

fn component(name: &str, annotations: Value) -> Value {
    json!({"kind": "Component", "name": name, "owner": "team-x", "annotations": annotations,
           "evidence": format!("git:shop@1:{name}/catalog-info.yaml#L1-L9")})
}

fn oncall_facts() -> Value {
    let svc = |key: &str, name: &str, extra: Value| {
        let (account, id) = key.split_once('/').unwrap_or_default();
        let mut s = json!({"key": key, "account": account, "id": id, "name": name,
                           "evidence": format!("oncall:{account}:service:{id}")});
        for (k, v) in extra.as_object().into_iter().flatten() {
            s[k] = v.clone();
        }
        (key.to_owned(), s)
    };
    let services: serde_json::Map<String, Value> = [
        svc(
            "pagerduty/PSVC1",
            "checkout-pager",
            json!({"escalation_policy": "pagerduty/PEP1", "teams": ["pagerduty/PT1"]}),
        ),
        svc(
            "pagerduty/PSVC2",
            "pay",
            json!({"escalation_policy": "pagerduty/PEP2",
            "integration_key_hashes": [evident_core::sha256_hex(b"abc123key")]}),
        ),
        svc(
            "opsgenie/S1",
            "search-og",
            json!({"tags": ["search"], "teams": ["opsgenie/T1"]}),
        ),
        svc(
            "opsgenie/S2",
            "stock-svc",
            json!({"teams": ["opsgenie/T2"]}),
        ),
        svc("pagerduty/PBILL", "Billing pager", json!({})),
        svc("pagerduty/PFRONT", "Frontend", json!({})),
        svc("pagerduty/PAPI", "api", json!({})),
        svc("pagerduty/PORPH", "orphan", json!({})),
    ]
    .into_iter()
    .collect();
    json!({
        "accounts": {
            "pagerduty": {"tool": "pagerduty", "api": "https://api.pagerduty.com", "now": "2026-12-01T12:00:00Z", "since": "2026-09-02T12:00:00Z", "window_days": 90},
            "opsgenie": {"tool": "opsgenie", "api": "https://api.opsgenie.com", "now": "2026-12-01T12:00:00Z", "since": "2026-09-02T12:00:00Z", "window_days": 90}
        },
        "services": services,
        "escalation_policies": {
            "pagerduty/PEP1": {"key": "pagerduty/PEP1", "account": "pagerduty", "id": "PEP1", "name": "Checkout",
                               "users": ["pagerduty/PU1"], "schedules": ["pagerduty/PS1"], "teams": ["pagerduty/PT1"], "evidence": "oncall:pagerduty:escalation_policy:PEP1"},
            "pagerduty/PEP2": {"key": "pagerduty/PEP2", "account": "pagerduty", "id": "PEP2", "name": "Pay",
                               "schedules": ["pagerduty/PS2"], "evidence": "oncall:pagerduty:escalation_policy:PEP2"},
            "opsgenie/E1": {"key": "opsgenie/E1", "account": "opsgenie", "id": "E1", "name": "Search_escalation",
                            "teams": ["opsgenie/T1"], "evidence": "oncall:opsgenie:escalation_policy:E1"},
            "opsgenie/E2": {"key": "opsgenie/E2", "account": "opsgenie", "id": "E2", "name": "Stock_escalation",
                            "users": ["opsgenie/OU5"], "teams": ["opsgenie/T2"], "evidence": "oncall:opsgenie:escalation_policy:E2"}
        },
        "schedules": {
            "pagerduty/PS1": {"key": "pagerduty/PS1", "account": "pagerduty", "id": "PS1", "name": "Checkout primary",
                              "participants": ["pagerduty/PU3", "pagerduty/PU2"], "rendered": true, "evidence": "oncall:pagerduty:schedule:PS1"},
            "pagerduty/PS2": {"key": "pagerduty/PS2", "account": "pagerduty", "id": "PS2", "name": "Pay",
                              "rendered": false, "evidence": "oncall:pagerduty:schedule:PS2"},
            "opsgenie/SC1": {"key": "opsgenie/SC1", "account": "opsgenie", "id": "SC1", "name": "Search_schedule", "teams": ["opsgenie/T1"],
                             "participants": ["opsgenie/OU3"], "rendered": true, "evidence": "oncall:opsgenie:schedule:SC1"}
        },
        "teams": {
            "pagerduty/PT1": {"key": "pagerduty/PT1", "account": "pagerduty", "id": "PT1", "name": "Checkout team",
                              "members": ["pagerduty/PU9"], "members_complete": true, "evidence": "oncall:pagerduty:team:PT1"},
            "opsgenie/T1": {"key": "opsgenie/T1", "account": "opsgenie", "id": "T1", "name": "Search",
                            "members": ["opsgenie/OU2", "opsgenie/OU1"], "members_complete": true, "evidence": "oncall:opsgenie:team:T1"},
            "opsgenie/T2": {"key": "opsgenie/T2", "account": "opsgenie", "id": "T2", "name": "Stock",
                            "members": ["opsgenie/OU4"], "members_complete": false, "evidence": "oncall:opsgenie:team:T2"}
        }
    })
}

fn oncall_estate() -> Value {
    json!({
        "git": {"repos": {
            "shop": {"catalog": [
                component("checkout", json!({"pagerduty.com/service-id": "PSVC1"})),
                component("payments", json!({"pagerduty.com/integration-key": "abc123key"})),
                component("search", json!({"opsgenie.com/component-selector": "tag:\"search\""})),
                component("inventory", json!({"opsgenie.com/team": "stock"})),
                component("billing", json!({})),
                component("frontend", json!({}))
            ]},
            "a": {"catalog": [component("api", json!({}))]},
            "b": {"catalog": [component("api", json!({}))]}
        }},
        "oncall": oncall_facts()
    })
}

fn oncall_config() -> ResolveConfig {
    ResolveConfig {
        overrides: vec![ServiceOverride {
            service: "billing".into(),
            oncall: vec!["billing PAGER".into()],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn oncall_join<'a>(r: &'a Resolution, id: &str) -> Vec<(&'a str, &'a str)> {
    service(r, id)
        .joins
        .iter()
        .filter(|j| j.source == "oncall")
        .map(|j| (j.item.as_str(), j.by.as_str()))
        .collect()
}

#[test]
fn pagerduty_annotations_join_by_service_id_and_by_integration_key_hash() {
    let r = resolve(&oncall_estate(), &oncall_config());
    assert_eq!(
        oncall_join(&r, "checkout"),
        [(
            "pagerduty/PSVC1",
            "catalog annotation pagerduty.com/service-id"
        )]
    );
    assert_eq!(
        oncall_join(&r, "payments"),
        [(
            "pagerduty/PSVC2",
            "catalog annotation pagerduty.com/integration-key"
        )]
    );
    let joins = &service(&r, "payments").joins;
    assert!(
        !serde_json::to_string(joins)
            .unwrap_or_default()
            .contains("abc123key"),
        "the integration key is never written"
    );
    let checkout = service(&r, "checkout");
    assert!(
        checkout
            .found_in
            .contains(&"resolve:checkout:oncall:pagerduty/PSVC1".to_owned())
    );
    assert!(
        checkout
            .found_in
            .contains(&"oncall:pagerduty:service:PSVC1".to_owned())
    );
    let evidence = r.join_evidence("2026-12-01T00:00:00Z");
    let record = evidence
        .iter()
        .find(|e| e.id == "resolve:checkout:oncall:pagerduty/PSVC1")
        .expect("join evidence");
    assert!(
        record
            .excerpt
            .contains("by catalog annotation pagerduty.com/service-id")
    );
}

#[test]
fn opsgenie_annotations_join_by_component_selector_tag_and_by_team() {
    let r = resolve(&oncall_estate(), &oncall_config());
    assert_eq!(
        oncall_join(&r, "search"),
        [(
            "opsgenie/S1",
            "catalog annotation opsgenie.com/component-selector"
        )]
    );
    assert_eq!(
        oncall_join(&r, "inventory"),
        [("opsgenie/S2", "catalog annotation opsgenie.com/team")]
    );
    // The unquoted form selects too; other forms are not evaluated.
    let mut f = oncall_estate();
    f["git"]["repos"]["shop"]["catalog"][2]["annotations"] =
        json!({"opsgenie.com/component-selector": "tag:search"});
    let r = resolve(&f, &oncall_config());
    assert_eq!(oncall_join(&r, "search").len(), 1);
    assert_eq!(oncall::selector_tag_for_tests("tag:a OR tag:b"), None);
}

#[test]
fn the_plan_override_then_the_name_join_and_the_rest_is_unresolved() {
    let r = resolve(&oncall_estate(), &oncall_config());
    assert_eq!(
        oncall_join(&r, "billing"),
        [(
            "pagerduty/PBILL",
            "config: service billing lists Billing pager"
        )]
    );
    assert_eq!(
        oncall_join(&r, "frontend"),
        [("pagerduty/PFRONT", "matched by name")]
    );
    let oncall: Vec<(&str, &str)> = r
        .unresolved
        .iter()
        .filter(|u| u.source == "oncall")
        .map(|u| (u.item.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(oncall.len(), 2, "{oncall:?}");
    assert_eq!(oncall[0].0, "pagerduty/PAPI");
    assert!(
        oncall[0]
            .1
            .starts_with("ambiguous: matched by name matches services api (a), api (b)"),
        "{}",
        oncall[0].1
    );
    assert_eq!(oncall[1].0, "pagerduty/PORPH");
    assert!(oncall[1].1.contains("make no service of their own"));
    assert!(service(&r, "a/api").oncall.is_none());
    assert_eq!(
        ids(&r),
        [
            "a/api",
            "b/api",
            "billing",
            "checkout",
            "frontend",
            "inventory",
            "payments",
            "search"
        ],
        "on-call services never create services"
    );
}

#[test]
fn an_annotation_beats_the_override_and_an_override_to_no_service_joins_none() {
    let mut config = oncall_config();
    config.overrides.push(ServiceOverride {
        service: "frontend".into(),
        oncall: vec!["pagerduty/PSVC1".into()],
        ..Default::default()
    });
    config.overrides.push(ServiceOverride {
        service: "ghost".into(),
        oncall: vec!["orphan".into()],
        ..Default::default()
    });
    let r = resolve(&oncall_estate(), &config);
    assert_eq!(oncall_join(&r, "checkout").len(), 1);
    assert_eq!(
        oncall_join(&r, "frontend"),
        [("pagerduty/PFRONT", "matched by name")]
    );
    let orphan = r
        .unresolved
        .iter()
        .find(|u| u.item == "pagerduty/PORPH")
        .expect("orphan");
    assert!(
        orphan
            .reason
            .contains("service ghost, which no source found"),
        "{}",
        orphan.reason
    );
    assert!(!ids(&r).contains(&"ghost"));
}

#[test]
fn responders_are_direct_users_schedule_participants_and_paged_team_members() {
    let r = resolve(&oncall_estate(), &oncall_config());
    let checkout = service(&r, "checkout")
        .oncall
        .clone()
        .expect("on-call view");
    assert_eq!(checkout.services, ["pagerduty/PSVC1"]);
    assert_eq!(checkout.escalation_policies, ["pagerduty/PEP1"]);
    assert_eq!(checkout.schedules, ["pagerduty/PS1"]);
    // PU1 directly, PU2 and PU3 on the schedule; PU9 is in the team that owns the
    // PagerDuty policy, which pages no team.
    assert_eq!(
        checkout.responders,
        ["pagerduty/PU1", "pagerduty/PU2", "pagerduty/PU3"]
    );
    assert!(checkout.complete);
    assert_eq!(
        checkout.evidence,
        [
            "oncall:pagerduty:escalation_policy:PEP1",
            "oncall:pagerduty:schedule:PS1",
            "oncall:pagerduty:service:PSVC1"
        ]
    );
    let payments = service(&r, "payments").oncall.clone().expect("view");
    assert!(!payments.complete, "a schedule not rendered");
    assert!(payments.responders.is_empty());
    let billing = service(&r, "billing").oncall.clone().expect("view");
    assert!(billing.escalation_policies.is_empty() && billing.responders.is_empty());
    let input = r.input_services();
    assert!(input["checkout"]["oncall"].is_object());
    assert!(
        input["a/api"].get("oncall").is_none(),
        "absent when none joined"
    );
}

#[test]
fn opsgenie_services_are_paged_through_their_team_escalations_and_schedules() {
    let r = resolve(&oncall_estate(), &oncall_config());
    let search = service(&r, "search").oncall.clone().expect("view");
    assert_eq!(search.escalation_policies, ["opsgenie/E1"]);
    assert_eq!(search.schedules, ["opsgenie/SC1"]);
    assert_eq!(
        search.responders,
        ["opsgenie/OU1", "opsgenie/OU2", "opsgenie/OU3"],
        "team members paged by the escalation, the team's schedule participants"
    );
    assert!(search.complete);
    assert!(
        search
            .evidence
            .contains(&"oncall:opsgenie:team:T1".to_owned())
    );
    let inventory = service(&r, "inventory").oncall.clone().expect("view");
    assert_eq!(inventory.responders, ["opsgenie/OU4", "opsgenie/OU5"]);
    assert!(!inventory.complete, "the team's members were cut");
}

#[test]
fn an_unread_route_part_marks_the_view_incomplete_and_a_wrong_document_is_unresolved() {
    let mut f = oncall_estate();
    f["oncall"]["accounts"]["pagerduty"]["unread"] =
        json!({"schedules": {"status": "forbidden", "detail": "GET /schedules answered HTTP 403"}});
    let r = resolve(&f, &oncall_config());
    assert!(
        !service(&r, "checkout")
            .oncall
            .clone()
            .expect("view")
            .complete
    );
    f["oncall"] = json!({"services": [1]});
    let r = resolve(&f, &oncall_config());
    let u = r
        .unresolved
        .iter()
        .find(|u| u.source == "oncall")
        .expect("listed");
    assert_eq!(u.item, "facts.oncall");
    assert!(u.reason.contains("documented shape"));
    assert!(r.services.iter().all(|s| s.oncall.is_none()));
}

fn people_estate() -> Value {
    let user = |id: &str, name: &str, email: Option<&str>| {
        json!({"key": format!("pagerduty/{id}"), "account": "pagerduty", "id": id, "name": name,
               "email_hash": email.map(evident_oncall::email_key), "evidence": format!("oncall:pagerduty:user:{id}")})
    };
    let mut f = oncall_estate();
    f["oncall"]["users"] = json!({
        "pagerduty/PU1": user("PU1", "Alice", Some("alice@example.com")),
        "pagerduty/PU2": user("PU2", "Bob", Some("bob@example.com")),
        "pagerduty/PU3": user("PU3", "Carol", Some("carol@example.com")),
        "pagerduty/PU4": user("PU4", "Dave", None),
        "pagerduty/PU7": user("PU7", "Eve", Some("eve@example.com")),
        "pagerduty/PU8": user("PU8", "Frank", Some("frank@example.com"))
    });
    f["git"]["repos"]["people"] = json!({"catalog": [
        {"kind": "User", "name": "alice", "annotations": {"github.com/user-login": "alice-cat"},
         "email_hash": evident_oncall::email_key("alice@example.com"), "evidence": "git:people@1:users.yaml#L1-L9"},
        {"kind": "User", "name": "bob", "annotations": {"github.com/user-login": "Bob-GH"},
         "email_hash": evident_oncall::email_key("BOB@example.com "), "evidence": "git:people@1:users.yaml#L10-L19"}
    ]});
    let author = |email: &str, login: &str| json!({"email_hash": evident_oncall::email_key(email), "login": login});
    f["github"] = json!({"repos": {"shop": {"key": "shop", "full_name": "acme/shop", "commit_authors": [
        author("bob@example.com", "bob-commit"),
        author("carol@example.com", "Carol"),
        author("frank@example.com", "frank1"),
        author("frank@example.com", "frank2")
    ]}}});
    f
}

fn people_config() -> ResolveConfig {
    ResolveConfig {
        people: vec![
            PersonMapping {
                login: "alice-map".into(),
                emails: vec![" Alice@Example.com".into()],
                oncall: vec![],
            },
            PersonMapping {
                login: "@dave".into(),
                emails: vec![],
                oncall: vec!["pagerduty/PU4".into()],
            },
        ],
        ..oncall_config()
    }
}

#[test]
fn people_join_by_mapping_then_catalog_user_then_commit_author() {
    let r = resolve(&people_estate(), &people_config());
    let joined = |key: &str| {
        let p = &r.people[key];
        (p.login.as_deref(), p.by.as_deref())
    };
    assert_eq!(
        joined("pagerduty/PU1"),
        (Some("alice-map"), Some("people mapping")),
        "mapping beats catalog"
    );
    assert_eq!(
        joined("pagerduty/PU4"),
        (Some("dave"), Some("people mapping")),
        "by on-call key"
    );
    assert_eq!(
        joined("pagerduty/PU2"),
        (Some("bob-gh"), Some("catalog User bob")),
        "catalog beats commit author"
    );
    assert_eq!(
        joined("pagerduty/PU3"),
        (Some("carol"), Some("commit author in acme/shop"))
    );
    assert_eq!(joined("pagerduty/PU7"), (None, None));
    assert_eq!(
        joined("pagerduty/PU8"),
        (None, None),
        "two logins for one email: never a guess"
    );
    assert_eq!(r.unresolved_people, ["pagerduty/PU7", "pagerduty/PU8"]);
    let index = r.input_index();
    assert_eq!(
        index["people"]["pagerduty/PU3"],
        json!({"login": "carol", "by": "commit author in acme/shop", "name": "Carol"})
    );
    assert_eq!(
        index["unresolved_people"],
        json!(["pagerduty/PU7", "pagerduty/PU8"])
    );
    let text = serde_json::to_string(&index).unwrap_or_default();
    assert!(!text.contains("example.com"), "no email in clear");
}

#[test]
fn without_oncall_facts_the_people_index_is_empty() {
    let r = resolve(&github_facts(), &people_config());
    assert!(r.people.is_empty() && r.unresolved_people.is_empty());
    assert_eq!(r.input_index()["people"], json!({}));
}

#[test]
fn team_members_come_from_the_github_team_else_a_catalog_group() {
    let mut f = github_facts();
    f["github"]["teams"]["acme/web"]["members"] = json!(["Alice", "bob"]);
    f["github"]["teams"]["acme/web"]["members_complete"] = json!(false);
    f["git"]["repos"]["platform"] = json!({"catalog": [
        {"kind": "Component", "name": "infra", "owner": "group:default/platform", "evidence": "git:platform@1:catalog-info.yaml#L1-L9"},
        {"kind": "Group", "name": "platform", "members": ["alice", "user:default/bob"], "evidence": "git:platform@1:catalog-info.yaml#L10-L19"},
        {"kind": "User", "name": "alice", "annotations": {"github.com/user-login": "Alice-GH"}, "evidence": "git:platform@1:catalog-info.yaml#L20-L29"},
        {"kind": "Group", "name": "web", "members": ["zed"], "evidence": "git:platform@1:catalog-info.yaml#L30-L39"}
    ]});
    let r = resolve(&f, &ResolveConfig::default());
    let teams = r.input_teams();
    let web = &teams["@Acme/Web"];
    assert_eq!(
        web["members"],
        json!(["alice", "bob"]),
        "the GitHub team beats a Group of the same name"
    );
    assert_eq!(web["members_source"], "github team acme/web");
    assert_eq!(web["members_complete"], false);
    let platform = &teams["group:default/platform"];
    assert_eq!(platform["members"], json!(["alice-gh", "bob"]));
    assert_eq!(platform["members_source"], "catalog Group platform");
    assert_eq!(platform["members_complete"], true);
    assert!(
        teams["@acme/core"].get("members").is_some(),
        "a GitHub team read without members"
    );
    assert_eq!(teams["@acme/core"]["members_complete"], false);
}
