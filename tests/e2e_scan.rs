//! The built binary scans a real git repository made by the test: a workflow that runs
//! tests and deploys with kubectl, one Deployment with probes and one without. The JSON
//! result must say exactly which criteria are met, citing the right files and lines.

mod support;

use serde_json::Value;
use support::*;

const WORKFLOW: &str = "name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo test --workspace
  deploy:
    needs: test
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    env:
      API_TOKEN: evident-canary-7f3a9c1e
    steps:
      - uses: actions/checkout@v4
      - run: kubectl apply -f k8s/
";

const MANIFESTS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  labels:
    app: cart
spec:
  replicas: 2
  selector:
    matchLabels:
      app: cart
  template:
    metadata:
      labels:
        app: cart
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/cart:1.2.3
          env:
            - name: DB_PASSWORD
              value: evident-canary-7f3a9c1e
          readinessProbe:
            httpGet: {path: /healthz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mailer
spec:
  selector:
    matchLabels:
      app: mailer
  template:
    metadata:
      labels:
        app: mailer
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/mailer:latest
";

fn shop() -> (Repo, String) {
    let repo = Repo::new("shop");
    repo.write(".github/workflows/ci.yaml", WORKFLOW)
        .write("k8s/app.yaml", MANIFESTS);
    let sha = repo.commit("initial");
    (repo, sha)
}

fn met(result: &Value, service: &str) -> Vec<String> {
    let mut ids: Vec<String> = result["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["service"] == service && r["status"] == "met")
        .map(|r| r["criterion"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn scan_says_exactly_which_criteria_are_met_with_file_and_line_evidence() {
    let (repo, sha) = shop();
    let result = scan_json(&repo.path());
    let short = &sha[..7];

    let services: Vec<&str> = result["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(services, ["cart", "mailer"]);

    // Exactly these, nothing more: every other criterion is not met, unknown (its source
    // is not read), not applicable or manual.
    let cart_met = met(&result, "cart");
    let mailer_met = met(&result, "mailer");
    insta::assert_yaml_snapshot!("met_cart", cart_met);
    insta::assert_yaml_snapshot!("met_mailer", mailer_met);
    assert!(cart_met.contains(&"ds.devops.health-checks".to_owned()));
    assert!(!mailer_met.contains(&"ds.devops.health-checks".to_owned()));
    assert!(
        cart_met.contains(&"ds.devops.immutable".to_owned()),
        "1.2.3 is an immutable tag"
    );
    assert!(
        !mailer_met.contains(&"ds.devops.immutable".to_owned()),
        "latest is not"
    );

    // The deploy criterion cites the deploy job, lines 12-20 of the workflow at HEAD.
    let deploy = result_of(&result, "ds.devops.auto-deploy", "cart");
    assert_eq!(deploy["status"], "met");
    let ev = cited(&result, deploy);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0]["id"],
        format!("git:shop@{short}:.github/workflows/ci.yaml#L12-L20")
    );
    assert_eq!(ev[0]["location"]["path"], ".github/workflows/ci.yaml");
    assert_eq!(ev[0]["location"]["start_line"], 12);
    assert_eq!(ev[0]["location"]["end_line"], 20);
    assert_eq!(ev[0]["revision"], sha.as_str());
    assert_eq!(
        ev[0]["sha256"],
        evident_core::sha256_hex(WORKFLOW.as_bytes())
    );
    assert!(
        ev[0]["excerpt"]
            .as_str()
            .expect("excerpt")
            .contains("kubectl apply -f k8s/")
    );

    // CI runs tests on every change: the test job, lines 7-11.
    let ci = result_of(&result, "ds.process.ci-all", "cart");
    assert_eq!(ci["status"], "met");
    assert_eq!(
        cited(&result, ci)[0]["id"],
        format!("git:shop@{short}:.github/workflows/ci.yaml#L7-L11")
    );
    assert!(
        ci["summary"].as_str().expect("summary").contains("github"),
        "the unchecked GitHub part is named"
    );

    // Health checks: cart's Deployment document (lines 1-26) proves it; mailer's gap is
    // named container by container, each entry located at its document (lines 28-43).
    let cart = result_of(&result, "ds.devops.health-checks", "cart");
    assert_eq!(cart["status"], "met");
    assert_eq!(
        cited(&result, cart)[0]["id"],
        format!("git:shop@{short}:k8s/app.yaml#L1-L26")
    );
    let mailer = result_of(&result, "ds.devops.health-checks", "mailer");
    assert_eq!(mailer["status"], "not_met");
    assert_eq!(
        cited(&result, mailer)[0]["id"],
        format!("git:shop@{short}:k8s/app.yaml#L28-L43")
    );
    let missing: Vec<&str> = mailer["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|m| m.as_str().expect("str"))
        .collect();
    assert_eq!(
        missing,
        [
            "k8s/app.yaml#L28-L43: Deployment/mailer container worker has no readiness probe",
            "k8s/app.yaml#L28-L43: Deployment/mailer container worker has no liveness or startup probe"
        ]
    );

    // A source this build does not read never turns into not_met.
    let oncall = result_of(&result, "ds.devops.team-on-call", "cart");
    assert_eq!(oncall["status"], "unknown");
    assert_eq!(oncall["reason"], "not_configured");

    // Levels: the Baseline is blocked by evidence (not met) and by unknowns, reported apart.
    let level = result["levels"]
        .as_array()
        .expect("levels")
        .iter()
        .find(|l| l["model"] == "distributed-systems" && l["service"] == "mailer")
        .expect("level");
    assert_eq!(level["attained"], 0);
    assert!(
        level["blocked_by"]["not_met"]
            .as_array()
            .expect("not_met")
            .iter()
            .any(|c| c == "ds.devops.health-checks")
    );
    assert!(
        !level["blocked_by"]["unknown"]
            .as_array()
            .expect("unknown")
            .is_empty()
    );
}

#[test]
fn secrets_in_the_repository_never_reach_any_output() {
    let (repo, _) = shop();
    let path = repo.path();
    let path = path.to_str().expect("utf-8");
    for format in ["json", "table"] {
        let out = evident(&["-vvv", "scan", path, "--format", format]);
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stdout.contains(CANARY), "{format} output leaks the canary");
        assert!(!stderr.contains(CANARY), "logs leak the canary");
    }
    // The env var's name is still evidence; its value is not.
    let result = scan_json(&repo.path());
    let cart = result_of(&result, "ds.devops.health-checks", "cart");
    let excerpt = cited(&result, cart)[0]["excerpt"]
        .as_str()
        .expect("excerpt")
        .to_owned();
    assert!(excerpt.contains("DB_PASSWORD"), "{excerpt}");
    assert!(excerpt.contains("[redacted]"), "{excerpt}");
}

#[test]
fn output_file_and_table_format() {
    let (repo, _) = shop();
    let out_file = repo.dir.path().join("result.json");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--format",
        "json",
        "-o",
        out_file.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("file")).expect("json");
    assert_valid(&saved);

    let table = evident(&["scan", repo.path().to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("cart"), "{text}");
    assert!(text.contains("ds.devops.health-checks"), "{text}");
    assert!(text.contains("next:"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "NO_COLOR and a pipe mean no escape codes"
    );
}

#[test]
fn fail_under_gives_ci_an_exit_code() {
    let (repo, _) = shop();
    let path = repo.path();
    let path = path.to_str().expect("utf-8");
    let below = evident(&["scan", path, "--fail-under", "baseline"]);
    assert_eq!(below.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&below.stderr).contains("below the required level 1"));
    let floor = evident(&["scan", path, "--fail-under", "operations:1"]);
    assert_eq!(
        floor.status.code(),
        Some(0),
        "every service is at least Ad hoc"
    );
    let bad = evident(&["scan", path, "--fail-under", "legendary"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown level"));
}

#[test]
fn attestations_turn_manual_into_attested_with_their_lines_as_evidence() {
    let (repo, _) = shop();
    repo.write(
        ".evident/attestations.yaml",
        "attestations:\n  - criterion: ds.process.agile\n    who: Jane Doe <jane@example.com>\n    when: 2026-09-01\n    why: Two-week iterations with reviews\n",
    );
    repo.commit("attest");
    let result = scan_json(&repo.path());
    let agile = result_of(&result, "ds.process.agile", "cart");
    assert_eq!(agile["status"], "attested");
    assert!(
        agile["summary"]
            .as_str()
            .expect("summary")
            .contains("Jane Doe")
    );
    let ev = cited(&result, agile);
    assert!(
        ev[0]["id"]
            .as_str()
            .expect("id")
            .ends_with(".evident/attestations.yaml#L2-L5"),
        "{}",
        ev[0]["id"]
    );
    assert_eq!(
        result_of(&result, "ds.process.self-organized", "cart")["status"],
        "manual"
    );
}

#[test]
fn an_uncommitted_attestation_is_not_accepted_and_what_was_read_is_cited() {
    let (repo, _) = shop();
    let committed = "attestations:\n  - criterion: ds.process.agile\n    who: Jane Doe <jane@example.com>\n    when: 2026-09-01\n    why: Two-week iterations with reviews\n";
    repo.write(".evident/attestations.yaml", committed);
    let sha = repo.commit("attest agile");
    // Written after the commit, never committed: nobody reviewed it.
    repo.write(
        ".evident/attestations.yaml",
        format!("{committed}  - criterion: ds.process.self-organized\n    who: Jim Roe <jim@example.com>\n    when: 2026-09-02\n    why: Teams pick their own goals\n"),
    );
    let result = scan_json(&repo.path());
    let agile = result_of(&result, "ds.process.agile", "cart");
    assert_eq!(agile["status"], "attested");
    let ev = cited(&result, agile);
    assert_eq!(ev[0]["revision"], sha.as_str(), "{}", ev[0]);
    assert_eq!(
        ev[0]["id"],
        format!("git:shop@{}:.evident/attestations.yaml#L2-L5", &sha[..7]).as_str()
    );
    assert_eq!(
        result_of(&result, "ds.process.self-organized", "cart")["status"],
        "manual",
        "the uncommitted entry must not count"
    );
    // --worktree reads the working tree, and says so in what it cites.
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--worktree",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    let org = result_of(&result, "ds.process.self-organized", "cart");
    assert_eq!(org["status"], "attested", "{org}");
    let ev = cited(&result, org);
    assert!(ev[0]["revision"].is_null(), "{}", ev[0]);
    assert_eq!(
        ev[0]["id"],
        "git:shop@worktree:.evident/attestations.yaml#L6-L9"
    );
}

const BASE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/web:1.2.3
          readinessProbe:
            httpGet: {path: /healthz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
";

/// A base whose Deployment has probes, and an overlay that patches in a container
/// without any.
fn kustomized() -> Repo {
    let repo = Repo::new("kshop");
    repo.write("k8s/base/web.yaml", BASE_DEPLOYMENT)
        .write(
            "k8s/base/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - web.yaml\n",
        )
        .write(
            "k8s/overlays/prod/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\npatches:\n  - path: add-cache.yaml\n",
        )
        .write(
            "k8s/overlays/prod/add-cache.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: cache\n          image: ghcr.io/acme/cache:2.0.0\n",
        );
    repo.commit("kustomize");
    repo
}

#[test]
fn a_kustomize_overlay_is_rendered_and_its_container_without_probes_is_judged() {
    assert!(
        std::process::Command::new("kubectl")
            .arg("version")
            .arg("--client")
            .output()
            .is_ok(),
        "kubectl is needed (scripts/test installs Debian's kubernetes-client)"
    );
    let repo = kustomized();
    let result = scan_json(&repo.path());
    let hc = result_of(&result, "ds.devops.health-checks", "web");
    assert_eq!(hc["status"], "not_met", "{hc}");
    let missing: Vec<&str> = hc["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        missing.iter().any(
            |m| m.starts_with("k8s/overlays/prod/kustomization.yaml#L1-L6: ")
                && m.contains("container cache")
        ),
        "{missing:?}"
    );
    assert!(
        result["unreadable"]
            .as_array()
            .expect("unreadable")
            .is_empty(),
        "{}",
        result["unreadable"]
    );
}

#[test]
fn without_kubectl_an_overlay_is_disclosed_and_the_containers_it_patches_are_unknown() {
    let repo = kustomized();
    let empty = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .args([
            "scan",
            repo.path().to_str().expect("utf-8"),
            "--format",
            "json",
        ])
        .env("NO_COLOR", "1")
        .env("PATH", empty.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&result);
    let unreadable = result["unreadable"].as_array().expect("unreadable");
    assert!(
        unreadable
            .iter()
            .any(|u| u["location"] == "k8s/overlays/prod/kustomization.yaml"
                && u["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("kubectl is not on PATH")),
        "{unreadable:?}"
    );
    for criterion in [
        "ds.devops.health-checks",
        "ops.capacity-reactive",
        "ds.devops.immutable",
    ] {
        let r = result_of(&result, criterion, "web");
        assert_eq!(r["status"], "unknown", "{criterion}: {r}");
        assert_eq!(r["reason"], "error", "{criterion}: {r}");
        assert!(
            r["summary"].as_str().expect("summary").contains(
                "k8s/overlays/prod/kustomization.yaml: kustomize overlay not rendered: kubectl is not on PATH"
            ),
            "{criterion}: {r}"
        );
    }
}

#[test]
fn scanning_the_online_boutique_corpus_reports_its_known_facts() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/online-boutique/kubernetes-manifests");
    assert!(
        corpus.is_dir(),
        "the shared corpus is missing at {}",
        corpus.display()
    );
    let out = evident(&[
        "scan",
        corpus.to_str().expect("utf-8"),
        "--format",
        "json",
        "--worktree",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&result);
    for service in [
        "adservice",
        "cartservice",
        "checkoutservice",
        "currencyservice",
        "emailservice",
        "frontend",
        "paymentservice",
        "productcatalogservice",
        "recommendationservice",
        "shippingservice",
    ] {
        assert_eq!(
            result_of(&result, "ds.devops.health-checks", service)["status"],
            "met",
            "{service}"
        );
        // No PodDisruptionBudget anywhere in the corpus.
        let lb = result_of(&result, "ds.arch.failover-lb", service);
        assert_eq!(lb["status"], "not_met", "{service}");
        assert!(
            lb["missing"]
                .as_array()
                .expect("missing")
                .iter()
                .any(|m| m.as_str().expect("s").contains("PodDisruptionBudget")),
            "{service}"
        );
    }
    assert_eq!(
        result_of(&result, "ds.devops.health-checks", "loadgenerator")["status"],
        "not_met"
    );
    let redis = result_of(&result, "ds.devops.immutable", "redis-cart");
    assert_eq!(redis["status"], "not_met");
    assert!(
        redis["missing"]
            .as_array()
            .expect("missing")
            .iter()
            .any(|m| m.as_str().expect("s").contains("redis:alpine"))
    );
}
