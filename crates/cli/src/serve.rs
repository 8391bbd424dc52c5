//! `evident serve`: the scan flags mapped onto a runner, the store opened, the server run.

use crate::cli::{ScanArgs, ServeArgs};
use crate::{EXIT_OK, EXIT_USAGE};
use anyhow::bail;
use evident_serve::{AuthPolicy, ScanRunner, ScanStore, Schedule, ServeOptions};
use std::sync::Arc;

/// The schedule when neither `--schedule` nor the estate config names one: hourly.
pub const DEFAULT_SCHEDULE: &str = "0 * * * *";

/// The environment variable holding the bearer token of the page, the API and /metrics.
pub const TOKEN_ENV: &str = "EVIDENT_SERVE_TOKEN";

/// Runs one scan from the same flags as `evident scan`, building the plan anew each time
/// (so a repository added to a directory target or a rotated credential is picked up).
struct PlanRunner {
    args: ScanArgs,
}

#[async_trait::async_trait]
impl ScanRunner for PlanRunner {
    async fn run(&self) -> Result<String, String> {
        let shown = |e: anyhow::Error| crate::logs::redact(&format!("{e:#}"));
        let mut plan = crate::plan::scan_plan(&self.args).map_err(shown)?;
        // `--snapshot DIR`: every scheduled scan is a run of DIR (shared answers once).
        let recording = match &self.args.snapshot {
            Some(dir) => Some(crate::snapshot::start(&mut plan, dir).map_err(shown)?),
            None => None,
        };
        let result = evident_scan::scan(&plan)
            .await
            .map_err(|e| crate::logs::redact(&e.to_string()))?;
        if let Some(recording) = &recording {
            let bytes = crate::snapshot::json_bytes(&result).map_err(shown)?;
            recording.finish(&plan, &result, &bytes).map_err(shown)?;
        }
        serde_json::to_string(&result).map_err(|e| format!("writing the result as JSON: {e}"))
    }
}

/// The schedule: `--schedule`, else (hook for the estate config) the config's, else
/// [`DEFAULT_SCHEDULE`].
fn schedule(args: &ServeArgs) -> anyhow::Result<Schedule> {
    if let Some(pattern) = &args.schedule {
        return Schedule::parse(pattern).map_err(|e| anyhow::anyhow!("--schedule {e}"));
    }
    if let Some(path) = &args.scan.sources.config {
        let estate = evident_estate::load(path)?;
        if let Some(pattern) = &estate.file.schedule {
            return Schedule::parse(pattern)
                .map_err(|e| anyhow::anyhow!("{}: schedule {e}", path.display()));
        }
    }
    Schedule::parse(DEFAULT_SCHEDULE).map_err(|e| anyhow::anyhow!("schedule {e}"))
}

/// The token rule: a token from [`TOKEN_ENV`] when set; none on loopback; none elsewhere
/// only with `--insecure-no-auth`.
fn auth(args: &ServeArgs) -> anyhow::Result<AuthPolicy> {
    let token = std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    match token {
        Some(t) => Ok(AuthPolicy::token(&t)),
        None if evident_serve::is_loopback_listen(&args.listen) || args.insecure_no_auth => {
            if !evident_serve::is_loopback_listen(&args.listen) {
                tracing::warn!(
                    "--insecure-no-auth: anyone who reaches {} reads every finding",
                    args.listen
                );
            }
            Ok(AuthPolicy::open())
        }
        None => bail!(
            "--listen {} is reachable from other machines: set {TOKEN_ENV} (clients then send Authorization: Bearer <token>), listen on 127.0.0.1, or pass --insecure-no-auth",
            args.listen
        ),
    }
}

/// `evident serve`.
pub fn run(args: ServeArgs) -> anyhow::Result<u8> {
    if args.scan.output.is_some() || args.scan.fail_under.is_some() {
        bail!("-o/--output and --fail-under are for `scan`; `serve` keeps every scan in --store");
    }
    if args.scan.dump_input.is_some() {
        bail!("--dump-input is for `scan`; `serve` keeps every scan in --store");
    }
    let schedule = schedule(&args)?;
    let auth = auth(&args)?;
    // A plan that cannot be built is a usage error now, not a failed scan every hour.
    crate::plan::scan_plan(&args.scan)?;
    let options = ServeOptions {
        listen: args.listen,
        schedule,
        scan_now: args.scan_now,
        auth,
        trend_scans: args.trend_scans.max(1),
    };
    let stored = crate::estate::store_args(&args.scan.store, args.scan.sources.config.as_deref())?;
    let Some(location) = stored.store else {
        bail!(
            "serve keeps every scan in a history store: pass --store LOCATION (or EVIDENT_STORE), or name `store:` in the estate config"
        );
    };
    let runner: Arc<dyn ScanRunner> = Arc::new(PlanRunner { args: args.scan });
    crate::plan::block_on(async move {
        let store = match evident_store::Store::open(&location).await {
            Ok(s) => s,
            Err(e) => {
                print_stderr(&format!("error: --store: {e}"));
                return Ok(EXIT_USAGE);
            }
        };
        let store: Arc<dyn ScanStore> = Arc::new(evident_serve::RetainedStore {
            store,
            retention: evident_store::Retention {
                keep_last: stored.keep_last,
                max_age_days: stored.keep_days,
            },
        });
        print_stderr(&format!(
            "evident serve: listening on http://{} (schedule {}, store {})",
            options.listen,
            options.schedule,
            evident_store::Location::parse(&location)
                .map(|l| l.display())
                .unwrap_or_default()
        ));
        evident_serve::serve(options, runner, store).await?;
        Ok(EXIT_OK)
    })?
}

/// One line on stderr, secrets redacted; a closed stderr is no reason to stop serving.
fn print_stderr(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{}", crate::logs::redact(line));
}
