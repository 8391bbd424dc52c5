//! Command-line interface: what each command and flag means, in `--help`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// evident: how mature is your software delivery and operations, from evidence.
///
/// evident reads your systems and judges three maturity models criterion by criterion.
/// Probes (each read only when its flag or config asks; `evident scan --help` for the
/// flags): git (repositories: CI configs, manifests, Dockerfiles, CODEOWNERS,
/// catalog-info.yaml, history), GitHub (--github), Kubernetes (--kube-context, --kube,
/// --kube-dump), Prometheus (--prometheus), Grafana (--grafana), PagerDuty (--pagerduty)
/// and Opsgenie (--opsgenie).
///
/// Every verdict is one of: met, not_met, unknown (a source was not configured or did
/// not answer; never guessed), not_applicable, manual (no system can show it) or attested
/// (a committed attestation says so).
///
/// Exit codes, for every command: 0 the command did its work; 2 a usage or configuration
/// error (bad flag or value, a path that does not exist or is no repository, a file that
/// is not what the flag takes, a policy that does not compile), and nothing is judged.
/// Exit 1 means a finding, for the commands that have one: `scan`, a service is below
/// --fail-under; `policy test`, a policy test failed; `verify`, the bundle was altered or
/// its signature is bad (with --replay: a verdict does not follow from its snapshot);
/// `replay`, the replayed result differs from the recorded one; `diff`, something
/// regressed. Every other command exits only 0 or 2.
#[derive(Debug, Parser)]
#[command(name = "evident", version, about, long_about, propagate_version = true)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace). Also RUST_LOG.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process; the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan repositories, clusters and servers, and judge every criterion for every
    /// service found. Exit 0 judged, 1 a service below --fail-under, 2 usage error.
    Scan(ScanArgs),
    /// List the services the sources describe, the items tied to each and by which key
    /// (catalog annotation, image, label, name), and the items that joined nothing.
    Services(ServicesArgs),
    /// List the models and their criteria.
    Models(ModelsArgs),
    /// Explain one criterion: what it means, what evidence makes it met, the rule's
    /// decisions.
    Explain(ExplainArgs),
    /// Work with custom policies (`policy test`: exit 0 passed, 1 a test failed, 2 usage
    /// error).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Render a saved scan result (from `scan --format json`) in any format, without
    /// touching the scanned systems.
    Report(ReportArgs),
    /// Make an ed25519 key pair for signing evidence bundles.
    Keygen(KeygenArgs),
    /// Pack a saved scan result, its HTML report, every evidence excerpt and a manifest
    /// of sha256 digests into a signed .tar.gz (in-toto statement in a DSSE envelope).
    Bundle(BundleArgs),
    /// Check an evidence bundle: every digest and the signature (with --replay, also that
    /// its snapshot gives every verdict). Exit 0 intact, 1 altered (says which file
    /// changed, is missing or was added, or that the signature is bad; with --replay,
    /// which verdicts do not follow and which blobs were altered), 2 usage error.
    Verify(VerifyArgs),
    /// Judge a scan recorded with `scan --snapshot DIR` again from its raw answers, with
    /// no network and no repository: the same result but for scan.id, started_at and
    /// finished_at, or (with --policy/--model, or a newer evident) the verdicts that
    /// differ. Exit 0 identical (re-judged: no verdict differs), 1 a difference, 2 the
    /// snapshot is unreadable or a usage error.
    Replay(ReplayArgs),
    /// Merge the shards of an estate (written by `scan --config F --shard I/N
    /// --collect-only -o FILE`) and judge them as one scan: the same result as an
    /// unsharded scan but for scan.id, started_at and finished_at.
    Merge(MergeArgs),
    /// Show how one service's levels and verdicts changed over the scans kept in a
    /// history store (`scan --store`), oldest first.
    History(HistoryArgs),
    /// Compare two scans: regressions, improvements and other changes per service and
    /// criterion, and level changes. Exit 1 when anything regressed (for CI gates), 0
    /// otherwise, 2 usage error.
    Diff(DiffArgs),
    /// Run scans on a cron schedule, keep them in the history store, and serve a web
    /// page (levels, trends, verdicts with evidence, the last diff), a JSON API under
    /// /api/, /metrics for Prometheus and /healthz. Read-only.
    Serve(ServeArgs),
}

/// `evident merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The estate config the shards were collected with.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The shard files, every shard of the split once.
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when any service is below this level, as for `scan`.
    #[arg(long, value_name = "LEVEL")]
    pub fail_under: Option<String>,
}

/// Flags given on the command line or by their environment variable (not defaults), so
/// an estate config fills only what the command line left out.
static GIVEN: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();

/// Records which flags were given, from the parsed matches of the whole command line.
pub fn record_given(matches: &clap::ArgMatches) {
    let mut given = std::collections::HashSet::new();
    let mut current = Some(matches);
    while let Some(m) = current {
        for id in m.ids() {
            if matches!(
                m.value_source(id.as_str()),
                Some(
                    clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable
                )
            ) {
                given.insert(id.as_str().to_owned());
            }
        }
        current = m.subcommand().map(|(_, sub)| sub);
    }
    let _ = GIVEN.set(given);
}

/// Whether the flag with this id was given (not defaulted).
pub fn given(id: &str) -> bool {
    GIVEN.get().is_some_and(|g| g.contains(id))
}

/// `I/N` for `--shard`.
fn shard(text: &str) -> Result<evident_scan::Shard, String> {
    text.parse()
}

/// `evident serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// What each scan reads and judges: the same flags as `scan`.
    #[command(flatten)]
    pub scan: ScanArgs,

    /// Address to listen on. Any address but loopback needs EVIDENT_SERVE_TOKEN set
    /// (or --insecure-no-auth).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,

    /// When to scan: a cron expression in UTC, five fields (minute hour day month
    /// weekday) or six (seconds first). Default: hourly, on the hour.
    #[arg(long, value_name = "CRON")]
    pub schedule: Option<String>,

    /// Also scan once at start-up, before the first tick.
    #[arg(long)]
    pub scan_now: bool,

    /// Serve without a token on a non-loopback address: anyone who reaches it reads the
    /// estate's findings.
    #[arg(long)]
    pub insecure_no_auth: bool,

    /// How many of the newest stored scans the trends and the scan list cover.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub trend_scans: u32,
}

/// Output formats of `scan` and `report`: the report crate's own list.
pub use evident_report::Format;

/// `evident report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A scan result written by `evident scan --format json`.
    pub scan: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Table: every criterion with its reason, and every source's detail (default: a
    /// one-screen summary).
    #[arg(long)]
    pub details: bool,
}

/// `evident keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, mode 0600); the public key goes to
    /// FILE.pub.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

/// `evident bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// A scan result written by `evident scan --format json`.
    pub scan: PathBuf,
    /// The private key to sign with (from `evident keygen`).
    #[arg(long, value_name = "KEY")]
    pub sign: PathBuf,
    /// Where to write the bundle (.tar.gz).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also pack the snapshot of this scan (the run of DIR with the scan's id, from `scan
    /// --snapshot DIR`) under snapshot/, signed like every other file, so `verify
    /// --replay` can re-derive each verdict.
    #[arg(long, value_name = "DIR")]
    pub snapshot: Option<PathBuf>,
}

/// `evident verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle written by `evident bundle`.
    pub bundle: PathBuf,
    /// The public key (KEY.pub from `evident keygen`) the bundle must be signed with.
    #[arg(long, value_name = "PUB")]
    pub key: PathBuf,
    /// Also replay the snapshot the bundle carries (`bundle --snapshot`): list every
    /// verdict of its scan.json that does not follow from the recorded answers, and
    /// every altered blob. Exit 1 when any.
    #[arg(long)]
    pub replay: bool,
}

/// `evident replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The snapshot directory (`scan --snapshot DIR`).
    pub dir: PathBuf,
    /// The run to replay (a scan id under DIR/runs); default: the latest.
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Table: every criterion with its reason, and every source's detail.
    #[arg(long)]
    pub details: bool,
    /// Judge with these policy directories instead of the recorded ones (repeatable):
    /// preview a rule change against the recorded estate.
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Judge only these models instead of the recorded ones (repeatable).
    #[arg(long = "model", value_name = "MODEL")]
    pub models: Vec<String>,
}

/// `evident scan`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// What to read.
    #[command(flatten)]
    pub sources: SourceArgs,

    /// Judge only these models (repeatable): distributed-systems, operations,
    /// devops-cams, or a model from --policy.
    #[arg(long = "model", value_name = "MODEL")]
    pub models: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Table: every criterion with its reason, and every source's detail (default: a
    /// one-screen summary).
    #[arg(long)]
    pub details: bool,

    /// Exit 1 when any service is below this level. A level name (baseline,
    /// intermediate, repeatable, ...) or MODEL:LEVEL (distributed-systems:1).
    #[arg(long, value_name = "LEVEL")]
    pub fail_under: Option<String>,

    /// Load extra models and Rego rules from this directory (repeatable). A rule with
    /// the package of a built-in one replaces it.
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<PathBuf>,

    /// Let manual criteria gate levels (attested ones count as met).
    #[arg(long)]
    pub strict: bool,

    /// Share of a team's members that must be on the on-call of the team's services for
    /// ds.devops.team-on-call (0 to 1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.8, allow_negative_numbers = true, value_parser = share)]
    pub on_call_share: f64,

    /// Also write the rule input (facts, services, source statuses) as JSON to this
    /// file: what `input` holds for your own Rego policies.
    #[arg(long, value_name = "FILE")]
    pub dump_input: Option<PathBuf>,

    /// Collect only this shard of the estate's targets (I/N, I from 0): each target
    /// (repository, GitHub org or repo, cluster, server, on-call account) belongs to the
    /// shard its stable hash names. With --collect-only, writes the shard's facts.
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub shard: Option<evident_scan::Shard>,

    /// Collect without judging: write the shard's facts (JSON, schema evident/shard/v1)
    /// for `evident merge`. Needs --shard and -o.
    #[arg(long, requires = "shard", requires = "output")]
    pub collect_only: bool,

    /// The run this shard belongs to, with --shard and --store: the shard's facts are
    /// saved in the store under it, and the shard that completes the run judges every
    /// shard as one scan and saves the result (a Kubernetes Indexed Job passes its job
    /// name, so each pod is one shard of one run).
    #[arg(long, value_name = "ID", requires = "shard")]
    pub run_id: Option<String>,
    /// Where to keep the scan's history.
    #[command(flatten)]
    pub store: StoreArgs,

    /// Keep every raw answer the probes read (HTTP bodies, cluster lists, the files and
    /// history read from repositories), redacted, in this directory, with the plan and
    /// the result, so `evident replay DIR` can judge the same scan again offline
    /// (docs/snapshot.md). One DIR can keep many runs; shared answers are stored once.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["shard", "collect_only"])]
    pub snapshot: Option<PathBuf>,
}

/// `--store` and retention: where `scan` keeps every scan and how many.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Save every scan in this history store: its JSON result (the bytes `--format json`
    /// prints), or that it failed and why. A SQLite file (a path or sqlite:PATH, created
    /// when absent) or a PostgreSQL database (postgres://... URL).
    #[arg(
        long = "store",
        value_name = "LOCATION",
        env = "EVIDENT_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,

    /// After saving, delete all but the newest N scans from the store.
    #[arg(long, value_name = "N", requires = "store", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_last: Option<u32>,

    /// After saving, delete the scans that started more than DAYS days ago.
    #[arg(long, value_name = "DAYS", requires = "store", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_days: Option<u32>,
}

/// `evident history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The service id, as `evident services` lists it.
    pub service: String,

    /// Show only this criterion's verdicts (e.g. ds.devops.health-checks).
    #[arg(long, value_name = "ID")]
    pub criterion: Option<String>,

    /// The history store (`scan --store`).
    #[arg(
        long = "store",
        value_name = "LOCATION",
        env = "EVIDENT_STORE",
        hide_env_values = true
    )]
    pub store: String,

    /// How many of the newest scans to look back over.
    #[arg(long, value_name = "N", default_value_t = evident_store::DEFAULT_HISTORY_SCANS, value_parser = clap::value_parser!(u32).range(1..=i64::from(evident_store::MAX_LIST)))]
    pub last: u32,

    /// Output format: a table, or JSON for scripts (`"schema": "evident/history/v1"`).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// `evident diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older scan: a scan id in the store, `latest`, `previous`, or a scan JSON file.
    pub before: String,

    /// The newer scan, as BEFORE.
    pub after: String,

    /// The history store that scan ids, `latest` and `previous` are looked up in.
    #[arg(
        long = "store",
        value_name = "LOCATION",
        env = "EVIDENT_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,

    /// Output format: a table, or JSON for scripts (`"schema": "evident/scan-diff/v1"`).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// `evident services`.
#[derive(Debug, Args)]
pub struct ServicesArgs {
    /// What to read (the same sources as `scan`).
    #[command(flatten)]
    pub sources: SourceArgs,

    /// Output format: a table, or JSON for scripts (`"schema": "evident/services/v1"`).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Formats of `evident services`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// One block per service: its items and the key that tied each.
    Table,
    /// The listing as JSON.
    Json,
}

/// The sources a scan reads, shared by `scan` and `services`.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// An estate config (estate.yaml; docs/estate.md): sources, credentials by env var
    /// or file, joins, rules, models, policies. Flags given beside it win (lists add).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Repositories or directories to scan. Default: the current directory, unless only
    /// clusters, dumps or servers are given (then no repository is read).
    pub paths: Vec<PathBuf>,

    /// Read the working tree instead of the committed HEAD.
    #[arg(long)]
    pub worktree: bool,

    /// Longest time one probe may take, in seconds, before its sources count as timed
    /// out.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,

    /// Longest time one HTTP request to --prometheus, --grafana, a cluster, --pagerduty
    /// or --opsgenie may take, in seconds; a request past it makes its part, resource type or source `timeout`.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    pub request_timeout: u64,

    /// How many days of commit history to read (merged changes, releases, stale
    /// branches), counted back from now.
    #[arg(long, value_name = "DAYS", default_value_t = 180, allow_negative_numbers = true, value_parser = |s: &str| whole("days", s, 1, 3650))]
    pub history_days: u32,

    /// Do not keep measured change sizes between scans. By default they are kept in
    /// $EVIDENT_CACHE_DIR, else $XDG_CACHE_HOME/evident, else ~/.cache/evident: sizes of
    /// immutable commits, never facts that can go stale.
    #[arg(long)]
    pub no_cache: bool,
    /// Prometheus server to read (repeatable): targets, rules, SLOs, probes, up history,
    /// service-graph edges. Credentials only from the environment:
    /// EVIDENT_PROMETHEUS_TOKEN (bearer), or EVIDENT_PROMETHEUS_USER and
    /// EVIDENT_PROMETHEUS_PASSWORD, or user:password@ in the URL (not both: exit 2).
    #[arg(long = "prometheus", value_name = "URL")]
    pub prometheus: Vec<String>,

    /// Grafana to read dashboards from. Service-account token only from the environment
    /// (EVIDENT_GRAFANA_TOKEN), or user:password@ in the URL (not both: exit 2).
    #[arg(long, value_name = "URL")]
    pub grafana: Option<String>,

    /// Extra CA certificate (PEM) trusted for --prometheus and --grafana.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Read this kubeconfig context's cluster, read-only (repeatable: several clusters in
    /// one scan). Without any --kube* flag no cluster is read.
    #[arg(long = "kube-context", value_name = "NAME")]
    pub kube_contexts: Vec<String>,

    /// Read the cluster of the current kubeconfig context ($KUBECONFIG or
    /// ~/.kube/config), or the pod's service account when evident runs in a cluster.
    #[arg(long = "kube")]
    pub kube_current: bool,

    /// Read a cluster dump instead of a live cluster: the output of `kubectl get ... -A
    /// -o json` (a List; YAML works too). Repeatable.
    #[arg(long = "kube-dump", value_name = "FILE")]
    pub kube_dumps: Vec<PathBuf>,

    /// Read an organisation (every repository it owns) or one OWNER/REPO from GitHub
    /// (repeatable): each repository is cloned into the cache and scanned, and GitHub's
    /// records (merge requirements, environments, workflow runs, deployments, releases,
    /// merged pull requests, teams) decide what files cannot. Token only from the
    /// environment: EVIDENT_GITHUB_TOKEN, else GITHUB_TOKEN, else GH_TOKEN.
    #[arg(long = "github", value_name = "ORG|OWNER/REPO")]
    pub github: Vec<String>,

    /// GitHub Enterprise Server API (https://HOST/api/v3); default https://api.github.com.
    #[arg(long = "github-url", value_name = "URL")]
    pub github_url: Option<String>,

    /// Also scan archived repositories of --github organisations.
    #[arg(long)]
    pub github_include_archived: bool,

    /// Also scan forks in --github organisations.
    #[arg(long)]
    pub github_include_forks: bool,

    /// GitHub requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub github_concurrency: u64,

    /// Most GitHub requests one scan may send; past it, what still needs GitHub is
    /// unknown (reason rate_limited) and the scan finishes.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub github_max_requests: u64,

    /// When GitHub's hourly quota runs out, wait for it to reset (logged) instead of
    /// answering unknown (rate_limited) for what is left.
    #[arg(long)]
    pub wait_for_rate_limit: bool,

    /// Read a PagerDuty account (REST API v2): services, escalation policies, schedules
    /// as they were rendered (who was actually on call, overrides included), users,
    /// teams, incidents and change events of the last --oncall-days. Token only from the
    /// environment: EVIDENT_PAGERDUTY_TOKEN. Without this flag PagerDuty is not read.
    #[arg(long)]
    pub pagerduty: bool,

    /// PagerDuty service region: us (api.pagerduty.com) or eu (api.eu.pagerduty.com).
    #[arg(long, value_enum, default_value_t = Region::Us)]
    pub pagerduty_region: Region,

    /// PagerDuty API base URL (a proxy, a test server); implies --pagerduty and wins over
    /// --pagerduty-region.
    #[arg(long, value_name = "URL")]
    pub pagerduty_url: Option<String>,

    /// Read an Opsgenie account: teams and members, schedules and their final timelines,
    /// escalations, services and incidents of the last --oncall-days. API key only from
    /// the environment: EVIDENT_OPSGENIE_KEY. Without this flag Opsgenie is not read.
    #[arg(long)]
    pub opsgenie: bool,

    /// Opsgenie region: us (api.opsgenie.com) or eu (api.eu.opsgenie.com).
    #[arg(long, value_enum, default_value_t = Region::Us)]
    pub opsgenie_region: Region,

    /// Opsgenie API base URL (a proxy, a test server); implies --opsgenie and wins over
    /// --opsgenie-region.
    #[arg(long, value_name = "URL")]
    pub opsgenie_url: Option<String>,

    /// A package name prefix that marks a dependency internal to the estate although no
    /// scanned repository publishes it: an npm scope (@acme/), a Maven group (com.acme),
    /// a Go module path (github.com/acme/), a NuGet prefix (Acme.). Repeatable.
    #[arg(long = "internal-package-prefix", value_name = "PREFIX")]
    pub internal_package_prefix: Vec<String>,

    /// How many days of on-call schedules and incidents to read, counted back from now.
    #[arg(long, value_name = "DAYS", default_value_t = 90, allow_negative_numbers = true, value_parser = |s: &str| whole("days", s, 1, 365))]
    pub oncall_days: u32,

    /// A YAML file that says who is who across tools, for people no system joins: a list
    /// of `{login: <GitHub login>, emails: [...], oncall: [<tool>/<user id>]}`. Emails are
    /// compared hashed and never written to any output.
    #[arg(long, value_name = "FILE")]
    pub people: Option<PathBuf>,
}

impl SourceArgs {
    /// The sources of an estate config alone, every other flag at its default (for
    /// `evident merge`, which takes no source flags).
    pub fn for_config(config: PathBuf) -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            sources: SourceArgs,
        }
        let mut sources = Only::try_parse_from(["evident"])
            .map(|o| o.sources)
            .unwrap_or_else(|e| e.exit());
        sources.config = Some(config);
        sources
    }
}

/// Where an on-call vendor hosts an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Region {
    /// The United States service region.
    Us,
    /// The European service region.
    Eu,
}

impl Region {
    /// The name the probes' `REGIONS` lists use.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
        }
    }
}

/// A whole number from `min` to `max`, for flags whose values have a range. A negative
/// number reaches this parser (`allow_negative_numbers`), so the message says the range
/// instead of clap's tip to pass `-5` after `--`, which would be wrong advice.
fn whole(unit: &str, text: &str, min: u32, max: u32) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(v) if (i64::from(min)..=i64::from(max)).contains(&v) => {
            u32::try_from(v).map_err(|_| format!("{text} is out of range"))
        }
        _ => Err(format!(
            "{text} is not a whole number of {unit} from {min} to {max}"
        )),
    }
}

/// A share between 0 and 1.
fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text} is not a share between 0 and 1 (0.8 is 80%)"
        )),
    }
}

/// `evident models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Also load models from this directory.
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `evident explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// `CRITERION` (e.g. ds.devops.health-checks): what it means and how it is judged; or
    /// `SERVICE CRITERION` with --scan: that one verdict in full (summary, what is
    /// missing, every piece of evidence with file and line).
    #[arg(value_name = "SERVICE CRITERION", num_args = 1..=2, required = true)]
    pub names: Vec<String>,
    /// A scan result (`evident scan --format json -o FILE`) to read the verdict from.
    #[arg(long, value_name = "FILE")]
    pub scan: Option<PathBuf>,
    /// Also load models and rules from this directory.
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
}

/// `evident policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the `test_` rules of a policy directory, as `opa test` does.
    Test {
        /// The directory with your .rego files (and model YAML).
        dir: PathBuf,
    },
}
