//! What a CI job does, read from its shell lines and the actions it uses.
//!
//! Rules decide "deploys automatically", "runs tests", "checks API compatibility" from
//! the `kinds` a job is given here, so each kind must come from a command a person would
//! recognise, and each is recorded with the line that caused it. Commands are matched by
//! words (program, then subcommand words), never by substrings of the line, so
//! `kubectl get` is not a deploy and `helm lint` is a lint, not a release.

use std::collections::BTreeSet;

/// What a job does. The order is the order `kinds` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    /// Compiles or packages.
    Build,
    /// Runs tests.
    Test,
    /// Lints, formats or validates.
    Lint,
    /// Scans for vulnerabilities, secrets or weaknesses.
    Security,
    /// Changes a running environment.
    Deploy,
    /// Publishes an artifact (image, package, release) without deploying it.
    Release,
    /// Verifies consumer-driven contracts.
    ContractTest,
    /// Checks an API definition for breaking changes.
    ApiCompat,
    /// Applies database migrations.
    DbMigration,
    /// Load or synthetic checks against a running service.
    Synthetic,
    /// Applies infrastructure code.
    InfraApply,
}

impl Kind {
    /// The name used in facts.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Build => "build",
            Kind::Test => "test",
            Kind::Lint => "lint",
            Kind::Security => "security",
            Kind::Deploy => "deploy",
            Kind::Release => "release",
            Kind::ContractTest => "contract_test",
            Kind::ApiCompat => "api_compat",
            Kind::DbMigration => "db_migration",
            Kind::Synthetic => "synthetic",
            Kind::InfraApply => "infra_apply",
        }
    }
}

/// One reason to give a job a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// The kind.
    pub kind: Kind,
    /// For deploys: the tool that deploys (`kubectl`, `action:azure/k8s-deploy`).
    pub target: Option<String>,
}

/// A kind without a deploy target.
pub(crate) fn hit(kind: Kind) -> Hit {
    Hit { kind, target: None }
}

/// A deploy by `target`.
pub(crate) fn deploy(target: &str) -> Hit {
    Hit {
        kind: Kind::Deploy,
        target: Some(target.to_owned()),
    }
}

/// What one command or action showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Detection {
    /// Kinds it gives the job.
    pub hits: Vec<Hit>,
    /// It creates a throwaway cluster (kind, k3d, minikube).
    pub local_cluster: bool,
}

impl Detection {
    /// What a named step, task or plugin does, without a command line to read.
    pub(crate) fn of(hits: Vec<Hit>) -> Self {
        Self {
            hits,
            local_cluster: false,
        }
    }
    fn cluster() -> Self {
        Self {
            hits: Vec::new(),
            local_cluster: true,
        }
    }
    fn is_empty(&self) -> bool {
        self.hits.is_empty() && !self.local_cluster
    }
}

/// One simple command of a shell line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellCommand {
    /// The line the command starts on.
    pub line: u32,
    /// Its words, quotes removed.
    pub words: Vec<String>,
    /// The command piped into this one, if any (`kustomize build | kubectl apply -f -`).
    pub piped_from: Option<Vec<String>>,
}

/// Splits shell lines into simple commands: joins `\` continuations, drops comments,
/// splits on `&&`, `||`, `;` and `|`.
pub(crate) fn shell_commands(lines: &[(u32, String)]) -> Vec<ShellCommand> {
    let mut logical: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (n, raw) in lines {
        let text = strip_comment(raw);
        let (continued, body) = match text.trim_end().strip_suffix('\\') {
            Some(body) => (true, body.to_owned()),
            None => (false, text.to_owned()),
        };
        let entry = match pending.take() {
            Some((start, mut acc)) => {
                acc.push(' ');
                acc.push_str(&body);
                (start, acc)
            }
            None => (*n, body),
        };
        if continued {
            pending = Some(entry);
        } else {
            logical.push(entry);
        }
    }
    if let Some(entry) = pending {
        logical.push(entry);
    }
    let mut out = Vec::new();
    for (line, text) in logical {
        for chain in split_any(&text, &["&&", "||", ";"]) {
            let mut previous: Option<Vec<String>> = None;
            for segment in chain.split('|') {
                let words = words_of(segment);
                if words.is_empty() {
                    continue;
                }
                out.push(ShellCommand {
                    line,
                    words: words.clone(),
                    piped_from: previous.take(),
                });
                previous = Some(words);
            }
        }
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return "";
    }
    match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    }
}

fn split_any<'a>(text: &'a str, separators: &[&str]) -> Vec<&'a str> {
    let mut parts = vec![text];
    for sep in separators {
        parts = parts.into_iter().flat_map(|p| p.split(sep)).collect();
    }
    parts
}

fn words_of(segment: &str) -> Vec<String> {
    segment
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '(' | ')' | '{' | '}'))
                .trim_start_matches("$(")
                .to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The program's name without its directory and the wrapper words people put in front
/// (`sudo`, `FOO=1`, `npx`, `poetry run`, `python -m`, `bash script.sh`).
fn unwrap_command(words: &[String]) -> Vec<String> {
    let mut w: Vec<String> = words.to_vec();
    loop {
        let Some(first) = w.first().map(|s| basename(s)) else {
            return w;
        };
        let skip = match first.as_str() {
            _ if w[0].contains('=') && !w[0].starts_with('-') && !w[0].starts_with('=') => 1,
            "sudo" | "time" | "env" | "exec" | "nohup" | "command" | "npx" | "bunx" | "pnpx"
            | "-E" | "--yes" | "-y" | "run-with-retry" | "retry" => 1,
            "poetry" | "pipenv" | "uv" | "hatch" | "pdm"
                if w.get(1).map(String::as_str) == Some("run") =>
            {
                2
            }
            "bundle" if w.get(1).map(String::as_str) == Some("exec") => 2,
            "pnpm" | "npm" | "yarn"
                if matches!(w.get(1).map(String::as_str), Some("exec" | "dlx")) =>
            {
                2
            }
            "python" | "python3" | "py" if w.get(1).map(String::as_str) == Some("-m") => 2,
            "bash" | "sh" | "zsh" if w.get(1).map(String::as_str) == Some("-c") => 2,
            "bash" | "sh" | "zsh" | "source" | "."
                if w.get(1).is_some_and(|a| !a.starts_with('-')) =>
            {
                1
            }
            _ => 0,
        };
        if skip == 0 || skip > w.len() {
            break;
        }
        w.drain(..skip);
    }
    if let Some(first) = w.first_mut() {
        *first = normalize_program(&basename(first));
    }
    w
}

fn basename(word: &str) -> String {
    word.rsplit('/').next().unwrap_or(word).to_lowercase()
}

fn normalize_program(name: &str) -> String {
    match name {
        "mvnw" => "mvn".to_owned(),
        "gradlew" => "gradle".to_owned(),
        "python3" => "python".to_owned(),
        "docker-compose" => "docker-compose".to_owned(),
        "podman" | "nerdctl" => "docker".to_owned(),
        "tofu" | "terragrunt" => "terraform".to_owned(),
        "helmfile" => "helmfile".to_owned(),
        "oc" => "kubectl".to_owned(),
        "py.test" => "pytest".to_owned(),
        "sls" => "serverless".to_owned(),
        "flyctl" => "fly".to_owned(),
        other => other.to_owned(),
    }
}

/// Arguments of a command that are not flags.
struct Args<'a> {
    all: &'a [String],
    positional: Vec<&'a str>,
}

impl<'a> Args<'a> {
    fn new(rest: &'a [String]) -> Self {
        Self {
            all: rest,
            positional: rest
                .iter()
                .map(String::as_str)
                .filter(|w| !w.starts_with('-'))
                .collect(),
        }
    }
    fn first(&self) -> Option<&'a str> {
        self.positional.first().copied()
    }
    fn has(&self, word: &str) -> bool {
        self.positional.contains(&word)
    }
    fn has_any(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.has(w))
    }
    fn pair(&self, a: &str, b: &str) -> bool {
        self.positional.windows(2).any(|p| p[0] == a && p[1] == b)
    }
    fn flag(&self, prefix: &str) -> bool {
        self.all.iter().any(|w| w.starts_with(prefix))
    }
}

/// What one shell command does.
///
/// The programs are tried family by family, in a fixed order (deploys and local
/// clusters, builds and packages, delivery checks, tests, linters and scanners); the
/// first arm that matches wins, as in one match.
pub(crate) fn classify_command(command: &ShellCommand) -> Detection {
    let words = unwrap_command(&command.words);
    let Some(program) = words.first() else {
        return Detection::default();
    };
    let args = Args::new(&words[1..]);
    let piped_from = command
        .piped_from
        .as_ref()
        .map(|w| unwrap_command(w))
        .unwrap_or_default();
    let dry_run = args.flag("--dry-run") || args.flag("--server-dry-run");
    if let Some(detection) = deploy_command(program, &args, &piped_from, dry_run) {
        return detection;
    }
    let hits = build_command(program, &args)
        .or_else(|| delivery_check_command(program, &args))
        .or_else(|| test_lint_or_scan_command(program, &args))
        .unwrap_or_else(|| match program.as_str() {
            other if other.contains('.') || command.words[0].contains('/') => script(other),
            _ => vec![],
        });
    Detection::of(hits)
}

/// Deploy tools, cloud CLIs and local clusters; `None` when `program` is none of them.
fn deploy_command(
    program: &str,
    args: &Args<'_>,
    piped_from: &[String],
    dry_run: bool,
) -> Option<Detection> {
    use Kind::*;
    let hits: Vec<Hit> = match program {
        "kubectl" => {
            let deploys = args.has_any(&["apply", "create", "replace"])
                || args.pair("set", "image")
                || args.pair("rollout", "restart");
            if deploys && dry_run {
                vec![hit(Lint)]
            } else if deploys {
                let mut hits = vec![deploy("kubectl")];
                let kustomized = args.flag("-k")
                    || args.flag("--kustomize")
                    || (piped_from.first().map(String::as_str) == Some("kustomize")
                        && piped_from.iter().any(|w| w == "build"));
                if kustomized {
                    hits.push(deploy("kustomize"));
                }
                hits
            } else {
                vec![]
            }
        }
        "helm" => match args.first() {
            Some("install" | "upgrade") if dry_run => vec![hit(Lint)],
            Some("install" | "upgrade") => vec![deploy("helm")],
            Some("lint") => vec![hit(Lint)],
            Some("push" | "cm-push") => vec![hit(Release)],
            Some("package") => vec![hit(Build)],
            _ => vec![],
        },
        "helmfile" if args.has_any(&["apply", "sync", "deploy"]) => vec![deploy("helm")],
        "skaffold" => match args.first() {
            Some("run" | "deploy") => vec![deploy("skaffold")],
            Some("build") => vec![hit(Build)],
            _ => vec![],
        },
        "argocd" if args.pair("app", "sync") => vec![deploy("argocd")],
        "gke-deploy" if args.has_any(&["run", "apply"]) => vec![deploy("gke-deploy")],
        "flux" if args.has("reconcile") => vec![deploy("flux")],
        "terraform" => {
            if args.has("apply") {
                vec![deploy("terraform"), hit(InfraApply)]
            } else if args.has_any(&["validate", "fmt"]) {
                vec![hit(Lint)]
            } else {
                vec![]
            }
        }
        "pulumi" if args.has("up") => vec![deploy("pulumi"), hit(InfraApply)],
        "gcloud"
            if args.pair("run", "deploy")
                || args.pair("app", "deploy")
                || args.pair("functions", "deploy")
                || (args.pair("deploy", "releases") && args.has("create")) =>
        {
            vec![deploy("gcloud")]
        }
        "aws" => {
            if args.pair("cloudformation", "deploy") {
                vec![deploy("aws"), hit(InfraApply)]
            } else if args.pair("ecs", "update-service")
                || args.pair("lambda", "update-function-code")
                || args.pair("deploy", "create-deployment")
            {
                vec![deploy("aws")]
            } else {
                vec![]
            }
        }
        "az" => {
            if args.pair("deployment", "group") && args.has("create") {
                vec![deploy("az"), hit(InfraApply)]
            } else if args.pair("webapp", "deploy")
                || args.pair("webapp", "up")
                || args.pair("containerapp", "update")
                || args.pair("containerapp", "up")
                || (args.has("functionapp") && args.has("deployment"))
            {
                vec![deploy("az")]
            } else {
                vec![]
            }
        }
        "cdk" if args.has("deploy") => vec![deploy("aws"), hit(InfraApply)],
        "sam" | "eb" if args.has("deploy") => vec![deploy("aws")],
        "serverless" if args.has("deploy") => vec![deploy("serverless")],
        "fly" if args.has("deploy") => vec![deploy("fly")],
        "vercel" if args.has("deploy") || args.flag("--prod") => vec![deploy("vercel")],
        "netlify" if args.has("deploy") => vec![deploy("netlify")],
        "heroku" if args.has_any(&["container:release", "releases:promote"]) => {
            vec![deploy("heroku")]
        }
        "cf" if args.has("push") => vec![deploy("cloudfoundry")],
        "kind" if args.pair("create", "cluster") => return Some(Detection::cluster()),
        "k3d" if args.pair("cluster", "create") => return Some(Detection::cluster()),
        "minikube" if args.has("start") => return Some(Detection::cluster()),
        "ctlptl" if args.has("create") => return Some(Detection::cluster()),
        _ => return None,
    };
    Some(Detection::of(hits))
}

/// Builds, packages and their releases (containers, language toolchains, GitHub
/// releases); `None` when `program` is none of them.
fn build_command(program: &str, args: &Args<'_>) -> Option<Vec<Hit>> {
    use Kind::*;
    let hits: Vec<Hit> = match program {
        "docker" | "buildah" => docker(args),
        "docker-compose" if args.has("push") => vec![hit(Release)],
        "goreleaser" => {
            if args.has("build") || args.flag("--snapshot") {
                vec![hit(Build)]
            } else {
                vec![hit(Release)]
            }
        }
        "npm" | "yarn" | "pnpm" | "bun" => node(program, args),
        "cargo" => match args.first() {
            Some("test" | "nextest" | "tarpaulin" | "llvm-cov") => vec![hit(Test)],
            Some("build" | "auditable") => vec![hit(Build)],
            Some("clippy" | "fmt") => vec![hit(Lint)],
            Some("audit" | "deny" | "vet") => vec![hit(Security)],
            Some("publish") => vec![hit(Release)],
            Some("sqlx") if args.pair("migrate", "run") => vec![hit(DbMigration)],
            _ => vec![],
        },
        "go" => match args.first() {
            Some("test") => vec![hit(Test)],
            Some("build" | "install") => vec![hit(Build)],
            Some("vet") => vec![hit(Lint)],
            _ => vec![],
        },
        "mvn" => maven(args),
        "gradle" => gradle(args),
        "make" => make(args),
        "dotnet" => match args.first() {
            Some("test") => vec![hit(Test)],
            Some("build" | "publish" | "pack") => vec![hit(Build)],
            Some("format") => vec![hit(Lint)],
            Some("nuget") if args.has("push") => vec![hit(Release)],
            Some("ef") if args.pair("database", "update") => vec![hit(DbMigration)],
            _ => vec![],
        },
        "python" => match args.first() {
            Some("manage.py") if args.has("migrate") => vec![hit(DbMigration)],
            Some("manage.py") if args.has("test") => vec![hit(Test)],
            Some("setup.py") if args.has("test") => vec![hit(Test)],
            Some("unittest" | "pytest") => vec![hit(Test)],
            Some("build") => vec![hit(Build)],
            _ => vec![],
        },
        "manage.py" if args.has("migrate") => vec![hit(DbMigration)],
        "rails" | "rake" => {
            if args.has_any(&["db:migrate", "db:prepare"]) {
                vec![hit(DbMigration)]
            } else if args.has_any(&["test", "spec", "test:system"]) {
                vec![hit(Test)]
            } else {
                vec![]
            }
        }
        "gem" if args.has("push") => vec![hit(Release)],
        "twine" if args.has("upload") => vec![hit(Release)],
        "poetry" if args.has("publish") => vec![hit(Release)],
        "poetry" if args.has("build") => vec![hit(Build)],
        "gh" if args.pair("release", "create") || args.pair("release", "upload") => {
            vec![hit(Release)]
        }
        _ => return None,
    };
    Some(hits)
}

/// Release tools, contract and API-compatibility checks and database migrations;
/// `None` when `program` is none of them.
fn delivery_check_command(program: &str, args: &Args<'_>) -> Option<Vec<Hit>> {
    use Kind::*;
    let hits: Vec<Hit> = match program {
        "semantic-release" | "changeset" if !args.has("version") => vec![hit(Release)],
        "crane" | "skopeo" if args.has_any(&["push", "copy"]) => vec![hit(Release)],
        "pact-broker" => {
            if args.has("can-i-deploy") {
                vec![hit(ContractTest), hit(ApiCompat)]
            } else {
                vec![hit(ContractTest)]
            }
        }
        "pact" | "pact-provider-verifier" | "pact-verifier" | "pact_verifier_cli" => {
            vec![hit(ContractTest)]
        }
        "buf" => match args.first() {
            Some("breaking") => vec![hit(ApiCompat)],
            Some("lint" | "format") => vec![hit(Lint)],
            Some("build" | "generate") => vec![hit(Build)],
            _ => vec![],
        },
        "oasdiff" | "openapi-diff" | "optic" => vec![hit(ApiCompat)],
        "graphql-inspector" if args.has("diff") => vec![hit(ApiCompat)],
        "flyway" if args.has("migrate") => vec![hit(DbMigration)],
        "liquibase" if args.has_any(&["update", "updateSQL", "update-sql"]) => {
            vec![hit(DbMigration)]
        }
        "alembic" if args.has("upgrade") => vec![hit(DbMigration)],
        "migrate"
            if args.flag("-path")
                || args.flag("-source")
                || args.flag("-database")
                || args.has("up") =>
        {
            vec![hit(DbMigration)]
        }
        "sqlx" if args.pair("migrate", "run") => vec![hit(DbMigration)],
        "prisma" if args.pair("migrate", "deploy") => vec![hit(DbMigration)],
        "goose" | "dbmate" if args.has_any(&["up", "migrate"]) => vec![hit(DbMigration)],
        "atlas" if args.pair("migrate", "apply") => vec![hit(DbMigration)],
        "diesel" if args.pair("migration", "run") => vec![hit(DbMigration)],
        "knex" if args.has("migrate:latest") => vec![hit(DbMigration)],
        "sequelize" if args.has("db:migrate") => vec![hit(DbMigration)],
        "typeorm" if args.has("migration:run") => vec![hit(DbMigration)],
        _ => return None,
    };
    Some(hits)
}

/// Load tests, test runners, linters and security scanners; `None` when `program` is
/// none of them.
fn test_lint_or_scan_command(program: &str, args: &Args<'_>) -> Option<Vec<Hit>> {
    use Kind::*;
    let hits: Vec<Hit> = match program {
        "k6" | "locust" | "artillery" | "gatling" | "gatling.sh" | "jmeter" | "checkly" => {
            vec![hit(Synthetic)]
        }
        "pytest" | "tox" | "nox" | "rspec" | "jest" | "vitest" | "mocha" | "karma" | "ava"
        | "phpunit" | "pest" | "ctest" | "gotestsum" | "behave" | "cucumber" | "robot"
        | "cypress" | "playwright" | "codeceptjs" | "tap" => vec![hit(Test)],
        "mix" | "swift" | "bazel" | "bazelisk" | "sbt" | "lein" | "flutter" | "deno" | "cabal"
        | "stack" | "zig"
            if args.has("test") =>
        {
            vec![hit(Test)]
        }
        "eslint"
        | "prettier"
        | "stylelint"
        | "shellcheck"
        | "hadolint"
        | "yamllint"
        | "markdownlint"
        | "markdownlint-cli2"
        | "actionlint"
        | "kubeval"
        | "kubeconform"
        | "kube-linter"
        | "tflint"
        | "pre-commit"
        | "ktlint"
        | "detekt"
        | "swiftlint"
        | "rustfmt"
        | "gofmt"
        | "goimports"
        | "golangci-lint"
        | "staticcheck"
        | "revive"
        | "flake8"
        | "ruff"
        | "pylint"
        | "black"
        | "isort"
        | "mypy"
        | "pyright"
        | "rubocop"
        | "standardrb"
        | "phpcs"
        | "phpstan"
        | "psalm"
        | "tsc"
        | "clang-tidy"
        | "clang-format"
        | "cppcheck"
        | "checkstyle"
        | "editorconfig-checker" => {
            if program == "tsc" {
                vec![hit(Build)]
            } else {
                vec![hit(Lint)]
            }
        }
        "codeql"
        | "trivy"
        | "snyk"
        | "gosec"
        | "semgrep"
        | "scorecard"
        | "grype"
        | "bandit"
        | "safety"
        | "pip-audit"
        | "gitleaks"
        | "trufflehog"
        | "checkov"
        | "tfsec"
        | "kubesec"
        | "osv-scanner"
        | "dependency-check"
        | "dependency-check.sh"
        | "zap-baseline.py"
        | "zap-full-scan.py"
        | "zap-api-scan.py"
        | "brakeman"
        | "bundle-audit"
        | "govulncheck"
        | "kube-bench"
        | "terrascan"
        | "dockle" => {
            vec![hit(Security)]
        }
        _ => return None,
    };
    Some(hits)
}

fn docker(args: &Args<'_>) -> Vec<Hit> {
    use Kind::*;
    let pushes = args.flag("--push") || args.flag("--output=type=registry");
    match args.first() {
        Some("push") => vec![hit(Release)],
        Some("build") if pushes => vec![hit(Build), hit(Release)],
        Some("build") => vec![hit(Build)],
        Some("buildx") if args.has_any(&["build", "bake"]) && pushes => {
            vec![hit(Build), hit(Release)]
        }
        Some("buildx") if args.has_any(&["build", "bake"]) => vec![hit(Build)],
        Some("compose") if args.has("push") => vec![hit(Release)],
        Some("image") if args.has("push") => vec![hit(Release)],
        _ => vec![],
    }
}

/// Kinds suggested by a script, target or template name (`deploy-prod`, `run-tests`);
/// a deploy names `deploy_target`.
pub(crate) fn script_name_kinds(name: &str, deploy_target: &str) -> Vec<Hit> {
    use Kind::*;
    let name = name.to_lowercase();
    if name.contains("pact") || name.contains("contract") {
        vec![hit(ContractTest)]
    } else if name.contains("deploy") || name.starts_with("release-to") || name == "rollout" {
        vec![deploy(deploy_target)]
    } else if name.contains("migrat") {
        vec![hit(DbMigration)]
    } else if name.contains("test") || name.contains("e2e") || name.contains("spec") {
        vec![hit(Test)]
    } else if name.contains("lint") || name == "fmt" || name.contains("format") || name == "vet" {
        vec![hit(Lint)]
    } else if name.contains("audit") || name.contains("security") || name.contains("scan") {
        vec![hit(Security)]
    } else if name.contains("publish") || name.contains("release") || name == "push" {
        vec![hit(Release)]
    } else if name.contains("build") || name == "all" || name == "compile" {
        vec![hit(Build)]
    } else {
        vec![]
    }
}

fn node(program: &str, args: &Args<'_>) -> Vec<Hit> {
    use Kind::*;
    let Some(first) = args.first() else {
        return vec![];
    };
    match first {
        "publish" => vec![hit(Release)],
        "test" | "t" => vec![hit(Test)],
        "audit" => vec![hit(Security)],
        "install" | "ci" | "add" | "i" => vec![],
        "run" | "run-script" => args
            .positional
            .get(1)
            .map(|s| script_name_kinds(s, "script"))
            .unwrap_or_default(),
        // `yarn build`, `pnpm lint`: scripts run without `run`.
        script if program != "npm" => script_name_kinds(script, "script"),
        _ => vec![],
    }
}

fn maven(args: &Args<'_>) -> Vec<Hit> {
    use Kind::*;
    let mut hits = Vec::new();
    for goal in &args.positional {
        let goal = goal.to_lowercase();
        let h = match goal.as_str() {
            "test" | "verify" | "integration-test" => hit(Test),
            "package" | "compile" | "install" => hit(Build),
            "deploy" => hit(Release),
            g if g.ends_with("flyway:migrate") || g.ends_with("liquibase:update") => {
                hit(DbMigration)
            }
            g if g.contains("pact") => hit(ContractTest),
            g if g.contains("dependency-check") => hit(Security),
            g if g.contains("checkstyle") || g.contains("spotless") => hit(Lint),
            _ => continue,
        };
        if !hits.contains(&h) {
            hits.push(h);
        }
    }
    hits
}

fn gradle(args: &Args<'_>) -> Vec<Hit> {
    use Kind::*;
    let mut hits = Vec::new();
    for task in &args.positional {
        let task = task.rsplit(':').next().unwrap_or(task).to_lowercase();
        let h = match task.as_str() {
            "test" | "check" | "integrationtest" => hit(Test),
            "build" | "assemble" | "jar" | "bootjar" => hit(Build),
            "publish" => hit(Release),
            "flywaymigrate" | "update" => hit(DbMigration),
            t if t.contains("pact") || t.contains("contracttest") => hit(ContractTest),
            t if t.contains("dependencycheck") => hit(Security),
            t if t.contains("lint") || t.contains("detekt") || t.contains("spotlesscheck") => {
                hit(Lint)
            }
            _ => continue,
        };
        if !hits.contains(&h) {
            hits.push(h);
        }
    }
    hits
}

fn make(args: &Args<'_>) -> Vec<Hit> {
    let targets: Vec<&str> = args
        .positional
        .iter()
        .copied()
        .filter(|t| !t.contains('='))
        .collect();
    if targets.is_empty() {
        return vec![hit(Kind::Build)];
    }
    let mut hits = Vec::new();
    for target in targets {
        for h in script_name_kinds(target, "make") {
            if !hits.contains(&h) {
                hits.push(h);
            }
        }
    }
    hits
}

fn script(name: &str) -> Vec<Hit> {
    let stem = name
        .trim_end_matches(".sh")
        .trim_end_matches(".bash")
        .trim_end_matches(".ps1")
        .trim_end_matches(".py");
    script_name_kinds(stem, "script")
}

/// What a GitHub Action (or a GitLab component) does, from its name and inputs.
///
/// `action` is `owner/repo[/path]`, without the `@ref`; `with` gives the inputs that
/// matter (`push` of docker/build-push-action, `command` of pulumi/actions).
pub(crate) fn classify_action(action: &str, with: &dyn Fn(&str) -> Option<String>) -> Detection {
    use Kind::*;
    let action = action.to_lowercase();
    let mut segments = action.split('/');
    let owner = segments.next().unwrap_or_default();
    let repo = segments.next().unwrap_or_default();
    let owner_repo = format!("{owner}/{repo}");
    let target = || deploy(&format!("action:{owner_repo}"));
    let truthy = |key: &str| {
        with(key).is_some_and(|v| {
            let v = v.trim().to_lowercase();
            v != "false" && !v.is_empty()
        })
    };
    let hits = match owner_repo.as_str() {
        "helm/kind-action"
        | "absaoss/k3d-action"
        | "medyagh/setup-minikube"
        | "engineerd/setup-kind"
        | "nolar/setup-k3d-k3s"
        | "container-tools/kind-action" => {
            return Detection::cluster();
        }
        "azure/k8s-deploy"
        | "google-github-actions/deploy-cloudrun"
        | "google-github-actions/deploy-appengine"
        | "google-github-actions/deploy-cloud-functions"
        | "aws-actions/amazon-ecs-deploy-task-definition"
        | "azure/webapps-deploy"
        | "azure/functions-action"
        | "azure/container-apps-deploy-action"
        | "azure/arm-deploy"
        | "aws-actions/aws-cloudformation-github-deploy"
        | "cloudflare/wrangler-action"
        | "amondnet/vercel-action"
        | "superfly/flyctl-actions"
        | "akhileshns/heroku-deploy"
        | "deliverybot/helm"
        | "wahyd4/kubectl-helm-action"
        | "appleboy/kubernetes-action"
        | "steebchen/kubectl" => vec![target()],
        "pulumi/actions" => match with("command").as_deref() {
            Some("up") => vec![deploy("pulumi"), hit(InfraApply)],
            _ => vec![],
        },
        "docker/build-push-action" => {
            if truthy("push") {
                vec![hit(Build), hit(Release)]
            } else {
                vec![hit(Build)]
            }
        }
        "softprops/action-gh-release"
        | "goreleaser/goreleaser-action"
        | "ncipollo/release-action"
        | "actions/create-release"
        | "pypa/gh-action-pypi-publish"
        | "js-devtools/npm-publish"
        | "katyo/publish-crates"
        | "google-github-actions/release-please-action"
        | "googleapis/release-please-action"
        | "changesets/action" => vec![hit(Release)],
        "github/codeql-action"
        | "aquasecurity/trivy-action"
        | "aquasecurity/tfsec-action"
        | "snyk/actions"
        | "securego/gosec"
        | "returntocorp/semgrep-action"
        | "semgrep/semgrep-action"
        | "ossf/scorecard-action"
        | "anchore/scan-action"
        | "gitleaks/gitleaks-action"
        | "zricethezav/gitleaks-action"
        | "trufflesecurity/trufflehog"
        | "actions/dependency-review-action"
        | "bridgecrewio/checkov-action"
        | "zaproxy/action-baseline"
        | "zaproxy/action-full-scan"
        | "golang/govulncheck-action"
        | "rustsec/audit-check"
        | "actions-rust-lang/audit"
        | "embarkstudios/cargo-deny-action" => vec![hit(Security)],
        "golangci/golangci-lint-action"
        | "github/super-linter"
        | "super-linter/super-linter"
        | "pre-commit/action"
        | "davidanson/markdownlint-cli2-action"
        | "hadolint/hadolint-action"
        | "ludeeus/action-shellcheck"
        | "actions-rust-lang/rustfmt"
        | "wearerequired/lint-action"
        | "reviewdog/action-actionlint"
        | "helm/chart-testing-action" => vec![hit(Lint)],
        "bufbuild/buf-breaking-action"
        | "oasdiff/oasdiff-action"
        | "kamilkisiela/graphql-inspector" => {
            vec![hit(ApiCompat)]
        }
        "bufbuild/buf-lint-action" => vec![hit(Lint)],
        "pactflow/actions" => vec![hit(ContractTest)],
        "grafana/k6-action" | "grafana/run-k6-action" | "artilleryio/action-cli" => {
            vec![hit(Synthetic)]
        }
        "liquibase-github-actions/update" | "joshuaavalon/flyway-action" => vec![hit(DbMigration)],
        "dorny/test-reporter" | "codecov/codecov-action" | "coverallsapp/github-action" => {
            vec![hit(Test)]
        }
        _ => vec![],
    };
    Detection::of(hits)
}

/// Cluster tools whose installs into a job's own throwaway cluster are tests.
const CLUSTER_TOOLS: [&str; 6] = ["kubectl", "helm", "kustomize", "skaffold", "argocd", "flux"];

/// One classified line, before the job's own context (a local cluster) is applied.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    /// What was seen.
    pub detection: Detection,
    /// The line.
    pub line: u32,
    /// The file, when not the job's own (a template from an included file).
    pub path: Option<String>,
}

/// The kinds of a job, with the lines that show them.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobKinds {
    /// Kinds, in canonical order.
    pub kinds: BTreeSet<Kind>,
    /// Deploy tools.
    pub deploy_targets: BTreeSet<String>,
    /// Whether the job creates its own cluster.
    pub local_cluster: bool,
    /// (kind name, line, path) for each reason, in the order seen.
    pub reasons: Vec<(&'static str, u32, Option<String>)>,
}

/// Folds a job's observations into its kinds: in a job that creates its own cluster,
/// kubectl/helm installs test that cluster and are never deploys.
pub(crate) fn summarize(observed: &[Observed]) -> JobKinds {
    let local_cluster = observed.iter().any(|o| o.detection.local_cluster);
    let mut out = JobKinds {
        local_cluster,
        ..JobKinds::default()
    };
    for o in observed {
        if o.detection.is_empty() {
            continue;
        }
        if o.detection.local_cluster {
            push_reason(&mut out.reasons, ("local_cluster", o.line, o.path.clone()));
        }
        for h in &o.detection.hits {
            let kind = match (&h.kind, &h.target) {
                (Kind::Deploy, Some(t)) if local_cluster && CLUSTER_TOOLS.contains(&t.as_str()) => {
                    Kind::Test
                }
                (k, _) => *k,
            };
            if kind == Kind::Deploy
                && let Some(t) = &h.target
            {
                out.deploy_targets.insert(t.clone());
            }
            out.kinds.insert(kind);
            push_reason(&mut out.reasons, (kind.as_str(), o.line, o.path.clone()));
        }
    }
    out
}

fn push_reason(
    reasons: &mut Vec<(&'static str, u32, Option<String>)>,
    reason: (&'static str, u32, Option<String>),
) {
    if !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds_of(line: &str) -> Vec<(&'static str, Option<String>)> {
        let cmds = shell_commands(&[(1, line.to_owned())]);
        cmds.iter()
            .flat_map(|c| classify_command(c).hits)
            .map(|h| (h.kind.as_str(), h.target))
            .collect()
    }

    fn is_deploy(line: &str) -> bool {
        kinds_of(line).iter().any(|(k, _)| *k == "deploy")
    }

    #[test]
    fn deploy_commands_are_recognised_by_words() {
        for line in [
            "kubectl apply -f k8s/",
            "kubectl -n prod set image deploy/web web=img:1",
            "kubectl rollout restart deployment/web",
            "helm upgrade --install web ./chart",
            "sudo KUBECONFIG=x kubectl apply -f x",
            "skaffold run -p prod",
            "argocd app sync web",
            "flux reconcile kustomization apps",
            "terraform -chdir=infra apply -auto-approve",
            "pulumi up --yes",
            "gcloud run deploy web --image x",
            "aws ecs update-service --cluster c --service s",
            "az webapp deploy --name x",
            "npx cdk deploy --all",
            "serverless deploy --stage prod",
            "make deploy",
            "./scripts/deploy-prod.sh",
        ] {
            assert!(is_deploy(line), "{line}");
        }
        for line in [
            "kubectl get pods",
            "kubectl apply --dry-run=client -f k8s/",
            "helm lint ./chart",
            "helm template x ./chart",
            "terraform plan",
            "echo deploying",
            "docker push img:1",
            "kubectl-apply-is-not-a-word",
        ] {
            assert!(!is_deploy(line), "{line}");
        }
    }

    #[test]
    fn deploy_clis_api_checks_contracts_load_tests_and_migrations_of_every_ci_system() {
        for (line, kind, target) in [
            ("gcloud run deploy web --image x", "deploy", Some("gcloud")),
            (
                "gcloud deploy releases create r1 --delivery-pipeline p",
                "deploy",
                Some("gcloud"),
            ),
            (
                "gke-deploy run --filename=k8s/ --cluster=c",
                "deploy",
                Some("gke-deploy"),
            ),
            (
                "aws ecs update-service --cluster c --service s",
                "deploy",
                Some("aws"),
            ),
            (
                "az webapp deploy --name x --src-path app.zip",
                "deploy",
                Some("az"),
            ),
            ("flyctl deploy --remote-only", "deploy", Some("fly")),
            ("cf push web", "deploy", Some("cloudfoundry")),
            (
                "serverless deploy --stage prod",
                "deploy",
                Some("serverless"),
            ),
            ("pulumi up --yes --stack prod", "deploy", Some("pulumi")),
            ("terraform apply -auto-approve", "infra_apply", None),
            ("helm upgrade --install web ./chart", "deploy", Some("helm")),
            ("argocd app sync web", "deploy", Some("argocd")),
            ("flux reconcile kustomization apps", "deploy", Some("flux")),
            ("skaffold run -p prod", "deploy", Some("skaffold")),
            (
                "kubectl rollout restart deploy/web",
                "deploy",
                Some("kubectl"),
            ),
            (
                "kubectl apply -k overlays/prod",
                "deploy",
                Some("kustomize"),
            ),
            (
                "buf breaking --against .git#branch=main",
                "api_compat",
                None,
            ),
            ("oasdiff breaking old.yaml new.yaml", "api_compat", None),
            (
                "openapi-diff old.yaml new.yaml --fail-on-incompatible",
                "api_compat",
                None,
            ),
            (
                "graphql-inspector diff old.graphql schema.graphql",
                "api_compat",
                None,
            ),
            (
                "pact-broker publish pacts --consumer-app-version 1",
                "contract_test",
                None,
            ),
            ("k6 run load.js", "synthetic", None),
            ("locust -f locustfile.py --headless", "synthetic", None),
            ("artillery run smoke.yml", "synthetic", None),
            ("gatling.sh -s Sim", "synthetic", None),
            (
                "flyway -locations=filesystem:db migrate",
                "db_migration",
                None,
            ),
            ("liquibase update", "db_migration", None),
            ("alembic upgrade head", "db_migration", None),
            (
                "migrate -path db/migrations -database $DB up",
                "db_migration",
                None,
            ),
            ("sqlx migrate run", "db_migration", None),
            ("npx prisma migrate deploy", "db_migration", None),
            ("bin/rails db:migrate", "db_migration", None),
            ("python manage.py migrate --noinput", "db_migration", None),
            ("dotnet ef database update", "db_migration", None),
        ] {
            let got = kinds_of(line);
            assert!(
                got.iter()
                    .any(|(k, t)| *k == kind && (target.is_none() || t.as_deref() == target)),
                "{line}: {got:?}"
            );
        }
    }

    #[test]
    fn kustomize_piped_into_kubectl_names_both_targets() {
        let got = kinds_of("kustomize build overlays/prod | kubectl apply -f -");
        assert!(
            got.contains(&("deploy", Some("kustomize".into()))),
            "{got:?}"
        );
        assert!(got.contains(&("deploy", Some("kubectl".into()))), "{got:?}");
    }

    #[test]
    fn publishing_is_release_not_deploy() {
        assert_eq!(
            kinds_of("docker push ghcr.io/x/y:1"),
            vec![("release", None)]
        );
        assert_eq!(kinds_of("cargo publish"), vec![("release", None)]);
        assert_eq!(
            kinds_of("npm publish --access public"),
            vec![("release", None)]
        );
        assert_eq!(kinds_of("gh release create v1"), vec![("release", None)]);
        let buildx = kinds_of("docker buildx build --push -t x .");
        assert!(buildx.contains(&("release", None)) && buildx.contains(&("build", None)));
    }

    #[test]
    fn tests_builds_lints_and_the_rest() {
        assert_eq!(kinds_of("cargo test --workspace"), vec![("test", None)]);
        assert_eq!(kinds_of("poetry run pytest -q"), vec![("test", None)]);
        assert_eq!(kinds_of("python -m pytest"), vec![("test", None)]);
        assert_eq!(kinds_of("./gradlew check"), vec![("test", None)]);
        assert_eq!(kinds_of("npm run test:unit"), vec![("test", None)]);
        assert_eq!(kinds_of("yarn lint"), vec![("lint", None)]);
        assert_eq!(kinds_of("go vet ./..."), vec![("lint", None)]);
        assert_eq!(kinds_of("trivy image x"), vec![("security", None)]);
        assert_eq!(
            kinds_of("buf breaking --against .git#branch=main"),
            vec![("api_compat", None)]
        );
        assert_eq!(
            kinds_of("flyway -url=x migrate"),
            vec![("db_migration", None)]
        );
        assert_eq!(kinds_of("k6 run load.js"), vec![("synthetic", None)]);
        assert_eq!(
            kinds_of("pact-broker can-i-deploy --pacticipant x"),
            vec![("contract_test", None), ("api_compat", None)]
        );
        assert!(kinds_of("cargo build --release && cargo test").len() == 2);
    }

    #[test]
    fn continuations_and_comments() {
        let lines = vec![
            (3, "# kubectl apply -f nope".to_owned()),
            (4, "kubectl \\".to_owned()),
            (5, "  apply -f k8s/".to_owned()),
            (6, "echo done # helm install x".to_owned()),
        ];
        let cmds = shell_commands(&lines);
        let deploys: Vec<u32> = cmds
            .iter()
            .filter(|c| !classify_command(c).hits.is_empty())
            .map(|c| c.line)
            .collect();
        assert_eq!(deploys, vec![4]);
    }

    #[test]
    fn a_local_cluster_turns_installs_into_tests() {
        let obs = |line: &str, n: u32| Observed {
            detection: shell_commands(&[(n, line.to_owned())])
                .iter()
                .map(classify_command)
                .fold(Detection::default(), |mut acc, d| {
                    acc.hits.extend(d.hits);
                    acc.local_cluster |= d.local_cluster;
                    acc
                }),
            line: n,
            path: None,
        };
        let summary = summarize(&[
            obs("kind create cluster", 1),
            obs("kubectl apply -f k8s/", 2),
        ]);
        assert!(summary.local_cluster);
        assert!(!summary.kinds.contains(&Kind::Deploy));
        assert!(summary.kinds.contains(&Kind::Test));
        assert!(summary.deploy_targets.is_empty());
    }

    #[test]
    fn actions() {
        let none = |_: &str| None;
        let push = |k: &str| (k == "push").then(|| "true".to_owned());
        assert_eq!(
            classify_action("azure/k8s-deploy", &none).hits,
            vec![deploy("action:azure/k8s-deploy")]
        );
        assert!(classify_action("helm/kind-action", &none).local_cluster);
        assert_eq!(
            classify_action("docker/build-push-action", &push).hits,
            vec![hit(Kind::Build), hit(Kind::Release)]
        );
        assert_eq!(
            classify_action("github/codeql-action/analyze", &none).hits,
            vec![hit(Kind::Security)]
        );
    }
}
