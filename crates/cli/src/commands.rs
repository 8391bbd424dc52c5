//! What each subcommand does.

/// `println!` that returns an error instead of panicking when stdout is closed
/// (`evident models | head -1`); `main` ends quietly on a broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

use crate::cli::{
    BundleArgs, Cli, Command, ExplainArgs, Format, KeygenArgs, MergeArgs, ModelsArgs,
    PolicyCommand, ReportArgs, ScanArgs, VerifyArgs,
};
use crate::{EXIT_BELOW, EXIT_OK, EXIT_USAGE};
use anyhow::{Context, bail};
use evident_core::ScanResult;
use evident_engine::{Catalog, ModelKind, run_policy_tests};
use evident_report::TableOptions;
use evident_scan::load_catalog;
use std::io::IsTerminal;

/// Colour only for people: not when `NO_COLOR` is set (any value) or output is piped.
fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Whether log lines on stderr may use colour.
pub fn use_color_on_stderr() -> bool {
    color_allowed() && std::io::stderr().is_terminal()
}

/// Dispatches a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Services(args) => crate::services::run(&args),
        Command::Models(args) => models(args),
        Command::Explain(args) => explain(args),
        Command::Policy(PolicyCommand::Test { dir }) => policy_test(&dir),
        Command::Report(args) => report(args),
        Command::Keygen(args) => keygen(args),
        Command::Bundle(args) => bundle(args),
        Command::Verify(args) => verify(args),
        Command::Replay(args) => crate::snapshot::replay(&args),
        Command::Merge(args) => merge(args),
        Command::History(args) => crate::history::history(&args),
        Command::Diff(args) => crate::history::diff(&args),
        Command::Serve(args) => crate::serve::run(args),
    }
}

/// Writes to stdout; a reader that closed the pipe (`evident scan | head -1`) ends the
/// output quietly instead of a panic.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Renders `result` and writes it to `output` or stdout.
pub(crate) fn emit(
    result: &ScanResult,
    format: Format,
    output: Option<&std::path::Path>,
    details: bool,
) -> anyhow::Result<()> {
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    // JSON is streamed to the file: an estate's result is hundreds of megabytes, and
    // building it as one string first would double the peak memory.
    if let (Format::Json, Some(path)) = (format, output) {
        let file =
            std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
        evident_report::write_json(result, std::io::BufWriter::new(file))
            .with_context(|| format!("writing {}", path.display()))?;
        return Ok(());
    }
    let text = evident_report::render(
        result,
        format,
        TableOptions {
            color: to_terminal && color_allowed(),
            width: to_terminal.then(terminal_width),
            details,
        },
    )?;
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print_stdout(&text)?,
    }
    Ok(())
}

/// Reads a saved scan result, refusing documents of another schema. Results of an older
/// schema this version still reads (v1) are upgraded in memory by the deserializer.
pub fn read_scan(path: &std::path::Path) -> anyhow::Result<ScanResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // The schema first, skipping the rest: parsing into a `Value` tree before the result
    // would hold an estate's document twice.
    #[derive(serde::Deserialize)]
    struct Head {
        schema: Option<String>,
    }
    let head: Head =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let schema = head.schema.as_deref();
    if !schema.is_some_and(|s| evident_core::SCAN_RESULT_SCHEMAS_READ.contains(&s)) {
        bail!(
            "{} is not an evident scan result (expected \"schema\": \"{}\"); write one with `evident scan --format json -o FILE`",
            path.display(),
            evident_core::SCAN_RESULT_SCHEMA
        );
    }
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid scan result", path.display()))
}

fn report(args: ReportArgs) -> anyhow::Result<u8> {
    let result = crate::plan::env_redactor().redact_serde(read_scan(&args.scan)?)?;
    emit(&result, args.format, args.output.as_deref(), args.details)?;
    Ok(EXIT_OK)
}

fn keygen(args: KeygenArgs) -> anyhow::Result<u8> {
    let private_path = args.output.clone();
    let mut public_path = args.output.into_os_string();
    public_path.push(".pub");
    let public_path = std::path::PathBuf::from(public_path);
    if !args.force {
        for p in [&private_path, &public_path] {
            if p.exists() {
                bail!("{} exists; pass --force to replace it", p.display());
            }
        }
    }
    let (private, public) = evident_bundle::generate_key()?;
    write_private(&private_path, private.as_bytes())?;
    std::fs::write(&public_path, public)
        .with_context(|| format!("writing {}", public_path.display()))?;
    let key = evident_bundle::verifying_key_from_pem(&std::fs::read_to_string(&public_path)?)?;
    out!(
        "wrote {} (private, keep it secret) and {} (public, give it to verifiers)\nkey id {}",
        private_path.display(),
        public_path.display(),
        evident_bundle::key_id(&key)
    );
    Ok(EXIT_OK)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        // An existing file keeps its mode on open: set it explicitly.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
    }
    #[cfg(not(unix))]
    {
        let mut file = options
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        file.write_all(bytes)?;
    }
    Ok(())
}

fn bundle(args: BundleArgs) -> anyhow::Result<u8> {
    let read = read_scan(&args.scan)?;
    let env = crate::plan::env_redactor();
    // The given file's bytes are kept as scan.json unless a secret must come out of it.
    let raw = if env.finds_anything_in(&read)? {
        None
    } else {
        Some(
            std::fs::read(&args.scan)
                .with_context(|| format!("reading {}", args.scan.display()))?,
        )
    };
    let result = env.redact_serde(read)?;
    let pem = std::fs::read_to_string(&args.sign)
        .with_context(|| format!("reading {}", args.sign.display()))?;
    let key = evident_bundle::signing_key_from_pem(&pem)?;
    let extra = match &args.snapshot {
        Some(dir) => crate::snapshot::bundle_files(dir, &result, raw.as_deref())?,
        None => Vec::new(),
    };
    let bytes = evident_bundle::create_bundle_with(&result, raw.as_deref(), &extra, &key)?;
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("writing {}", args.output.display()))?;
    out!(
        "wrote {} ({} bytes, {} evidence excerpts{}), signed by key {}",
        args.output.display(),
        bytes.len(),
        result.evidence.len(),
        if extra.is_empty() {
            String::new()
        } else {
            format!(", a snapshot of {} files", extra.len())
        },
        evident_bundle::key_id(&key.verifying_key())
    );
    Ok(EXIT_OK)
}

fn verify(args: VerifyArgs) -> anyhow::Result<u8> {
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("reading {}", args.key.display()))?;
    let key = evident_bundle::verifying_key_from_pem(&pem)?;
    let bytes = std::fs::read(&args.bundle)
        .with_context(|| format!("reading {}", args.bundle.display()))?;
    // Not gzip at all: the wrong file was given (a usage error, exit 2), not a bundle
    // that was altered (exit 1).
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        anyhow::bail!(
            "{} is not an evidence bundle: not a gzip file (a bundle is the .tar.gz `evident bundle` writes)",
            args.bundle.display()
        );
    }
    let v = evident_bundle::verify_bundle(&bytes, &key);
    let replay_found = if args.replay {
        match crate::snapshot::verify_replay(&bytes)? {
            Ok(found) => found,
            Err(code) => {
                print_problems(&args.bundle, &v)?;
                return Ok(code.max(if v.ok() { EXIT_OK } else { EXIT_BELOW }));
            }
        }
    } else {
        false
    };
    if v.ok() && replay_found {
        out!(
            "FAILED: {} is intact and signed, but its snapshot does not give its verdicts (see above)",
            args.bundle.display()
        );
        return Ok(EXIT_BELOW);
    }
    if v.ok() {
        out!(
            "OK: {} intact; {} files match the statement signed by key {}{}",
            args.bundle.display(),
            v.verified_files,
            evident_bundle::key_id(&key),
            v.scan_id
                .map(|id| format!(" (scan {id})"))
                .unwrap_or_default()
        );
        return Ok(EXIT_OK);
    }
    print_problems(&args.bundle, &v)?;
    Ok(EXIT_BELOW)
}

/// What verification found wrong, one line each (nothing when nothing).
fn print_problems(
    bundle: &std::path::Path,
    v: &evident_bundle::Verification,
) -> anyhow::Result<()> {
    if v.ok() {
        return Ok(());
    }
    out!(
        "FAILED: {} does not verify ({} problem(s)):",
        bundle.display(),
        v.problems.len()
    );
    for p in &v.problems {
        out!("  {p}");
    }
    Ok(())
}

fn scan(args: ScanArgs) -> anyhow::Result<u8> {
    let required = args
        .fail_under
        .as_deref()
        .map(parse_fail_under)
        .transpose()?;
    let mut plan = crate::plan::scan_plan(&args)?;
    if let Some(bars) = crate::progress::Bars::for_stderr(false) {
        plan.progress = evident_scan::ProgressSink(bars);
    }
    if let Some((model, _)) = &required
        && !args.models.is_empty()
        && !args.models.contains(model)
    {
        bail!("--fail-under names model {model}, which --model leaves out");
    }
    if args.collect_only {
        return collect_only(&plan, args.output.as_deref());
    }
    let store = crate::estate::store_args(&args.store, args.sources.config.as_deref())?;
    if let Some(shard) = plan.shard {
        return crate::history::scan_shard(&plan, &args, &store, shard, required);
    }
    let recording = match &args.snapshot {
        Some(dir) => Some(crate::snapshot::start(&mut plan, dir)?),
        None => None,
    };
    let started_at = chrono::Utc::now().to_rfc3339();
    let result = match crate::plan::block_on(evident_scan::scan(&plan))? {
        Ok(result) => result,
        Err(err) => {
            let err = anyhow::Error::from(err);
            if let Some(location) = &store.store {
                let why = crate::logs::redact(&format!("{err:#}"));
                crate::history::save_failure(location, &started_at, &why)?;
            }
            return Err(err);
        }
    };
    if plan.github.is_some() {
        // What GitHub cost, so a person can plan the next run within the quota.
        for s in result.sources.iter().filter(|s| s.probe == "github") {
            tracing::info!(
                "GitHub {}: {}",
                s.status.as_str(),
                s.detail.as_deref().unwrap_or("")
            );
        }
    }
    emit(&result, args.format, args.output.as_deref(), args.details)?;
    if let Some(recording) = &recording {
        // The exact bytes written when they are JSON in a file; else those `--format
        // json` would write.
        let bytes = match (args.format, args.output.as_deref()) {
            (Format::Json, Some(path)) => {
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
            }
            _ => crate::snapshot::json_bytes(&result)?,
        };
        recording.finish(&plan, &result, &bytes)?;
    }
    if store.store.is_some() {
        crate::history::save_scan(&store, &result)?;
    }
    // Under --strict, input the scan could not use (an attestation for an unknown
    // criterion, or one the evidence overrides) is an error: exit 2, each named.
    if result.scan.strict && !result.warnings.is_empty() {
        for w in &result.warnings {
            eprintln!("error: {w}");
        }
        eprintln!(
            "error: --strict: {} attestation(s) could not be used; fix or remove them",
            result.warnings.len()
        );
        return Ok(EXIT_USAGE);
    }
    match required {
        Some((model, level)) => Ok(gate(&result, &model, level)),
        None => Ok(EXIT_OK),
    }
}

/// `scan --shard I/N --collect-only -o FILE`: the shard's facts, redacted, as JSON.
fn collect_only(
    plan: &evident_scan::ScanPlan,
    output: Option<&std::path::Path>,
) -> anyhow::Result<u8> {
    let Some(path) = output else {
        bail!("--collect-only needs -o FILE");
    };
    let facts = crate::plan::block_on(evident_scan::collect_shard(plan))??;
    let file =
        std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
    serde_json::to_writer(std::io::BufWriter::new(file), &facts)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(EXIT_OK)
}

/// `evident merge --config F SHARD...`: every shard judged as one scan.
fn merge(args: MergeArgs) -> anyhow::Result<u8> {
    let required = args
        .fail_under
        .as_deref()
        .map(parse_fail_under)
        .transpose()?;
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let facts: evident_scan::ShardFacts = serde_json::from_str(&text).map_err(|_| {
            anyhow::anyhow!(
                "{} is not an evident shard (schema {}); write one with `evident scan --config F --shard I/N --collect-only -o FILE`",
                path.display(),
                evident_scan::SHARD_SCHEMA
            )
        })?;
        shards.push(facts);
    }
    let scan_args = crate::cli::ScanArgs {
        sources: crate::cli::SourceArgs::for_config(args.config.clone()),
        models: Vec::new(),
        format: args.format,
        output: None,
        fail_under: None,
        policies: Vec::new(),
        strict: false,
        on_call_share: evident_scan::RuleConfig::default().on_call_share,
        dump_input: None,
        shard: None,
        collect_only: false,
        details: false,
        run_id: None,
        snapshot: None,
        store: crate::cli::StoreArgs {
            store: None,
            keep_last: None,
            keep_days: None,
        },
    };
    let plan = crate::plan::scan_plan(&scan_args)?;
    let result = crate::plan::block_on(evident_scan::judge_shards(&plan, shards))??;
    emit(&result, args.format, args.output.as_deref(), false)?;
    match required {
        Some((model, level)) => Ok(gate(&result, &model, level)),
        None => Ok(EXIT_OK),
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

/// Parses `--fail-under`: `MODEL:LEVEL` (number or name) or a level name that only one
/// leveled model has.
fn parse_fail_under(spec: &str) -> anyhow::Result<(String, u8)> {
    let catalog = Catalog::builtin()?;
    let leveled: Vec<_> = catalog
        .models
        .iter()
        .filter(|m| m.kind == ModelKind::Leveled)
        .collect();
    let find_level = |model: &evident_engine::Model, level: &str| -> Option<u8> {
        level
            .parse::<u8>()
            .ok()
            .filter(|n| model.levels.iter().any(|l| l.level == *n))
            .or_else(|| {
                model
                    .levels
                    .iter()
                    .find(|l| l.name.eq_ignore_ascii_case(level))
                    .map(|l| l.level)
            })
    };
    if let Some((model_id, level)) = spec.split_once(':') {
        let Some(model) = leveled.iter().find(|m| m.id == model_id) else {
            let ids: Vec<_> = leveled.iter().map(|m| m.id.as_str()).collect();
            bail!(
                "--fail-under: no leveled model {model_id:?}; leveled models: {}",
                ids.join(", ")
            );
        };
        let Some(n) = find_level(model, level) else {
            bail!("--fail-under: model {model_id} has no level {level:?}");
        };
        return Ok((model.id.clone(), n));
    }
    let matches: Vec<_> = leveled
        .iter()
        .filter_map(|m| {
            m.levels
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(spec))
                .map(|l| (m.id.clone(), l.level))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            let names: Vec<String> = leveled
                .iter()
                .flat_map(|m| {
                    m.levels
                        .iter()
                        .map(move |l| format!("{} ({}:{})", l.name.to_lowercase(), m.id, l.level))
                })
                .collect();
            bail!(
                "--fail-under: unknown level {spec:?}; use one of: {}",
                names.join(", ")
            )
        }
        _ => bail!("--fail-under: {spec:?} is a level of several models; write MODEL:LEVEL"),
    }
}

/// Exit 1 when a service's attained level in `model` is below `level`, naming each.
pub(crate) fn gate(result: &ScanResult, model: &str, level: u8) -> u8 {
    let mut below = 0;
    for report in result.levels.iter().filter(|l| l.model == model) {
        if let Some(attained) = report.attained
            && attained < level
        {
            below += 1;
            let why = if report.next_undetermined {
                " (undetermined: configure the missing sources)"
            } else {
                ""
            };
            eprintln!(
                "{}: {model} level {attained} {} is below the required level {level}{why}",
                report.service,
                report.attained_name.as_deref().unwrap_or_default()
            );
        }
    }
    if below > 0 { EXIT_BELOW } else { EXIT_OK }
}

fn models(args: ModelsArgs) -> anyhow::Result<u8> {
    let catalog = load_catalog(&args.policies, &[])?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&catalog.models)?);
        return Ok(EXIT_OK);
    }
    for model in &catalog.models {
        out!(
            "{} ({}){}",
            model.id,
            model.name,
            model
                .seed
                .as_deref()
                .map(|s| format!(" · seed: {s}"))
                .unwrap_or_default()
        );
        for c in &model.criteria {
            let level = c.level.map_or_else(
                || c.dimension.clone(),
                |l| format!("L{l} {}", model.level_name(l)),
            );
            let judged = if c.observability == evident_engine::Observability::None {
                "manual".to_owned()
            } else if let Some(same) = &c.same_as {
                format!("as {same}")
            } else if catalog.rule_for(&c.package()).is_some() {
                format!("needs {}", c.sources.join("+"))
            } else {
                format!("needs {} (no probe yet)", c.sources.join("+"))
            };
            out!(
                "  {:<34} {:<22} {:<8} {:<7} {}",
                c.id,
                level,
                c.scope.as_str(),
                c.observability.as_str(),
                judged
            );
        }
        out!();
    }
    Ok(EXIT_OK)
}

fn explain(args: ExplainArgs) -> anyhow::Result<u8> {
    let (service, criterion) = match args.names.as_slice() {
        [c] => (None, c.clone()),
        [s, c] => (Some(s.clone()), c.clone()),
        _ => bail!("explain takes CRITERION, or SERVICE CRITERION with --scan FILE"),
    };
    match (&service, &args.scan) {
        (Some(service), Some(scan)) => return explain_verdict(scan, service, &criterion),
        (Some(_), None) => {
            bail!(
                "explain SERVICE CRITERION reads a scan result: pass --scan FILE (from evident scan --format json -o FILE)"
            )
        }
        (None, Some(_)) => {
            bail!("--scan needs a service: evident explain SERVICE CRITERION --scan FILE")
        }
        (None, None) => {}
    }
    let catalog = load_catalog(&args.policies, &[])?;
    let Some((model, c)) = catalog.criterion(&criterion) else {
        eprintln!("error: no criterion {criterion:?}; `evident models` lists them");
        return Ok(EXIT_USAGE);
    };
    out!("{}  {}", c.id, c.title);
    out!("model:         {} ({})", model.id, model.name);
    if let Some(l) = c.level {
        out!("level:         {l} {}", model.level_name(l));
    }
    out!("dimension:     {}", c.dimension);
    out!("scope:         {}", c.scope.as_str());
    out!("observability: {}", c.observability.as_str());
    if c.smell {
        out!("smell:         yes (met means the smell is absent)");
    }
    if !c.sources.is_empty() {
        out!("needs:         {}", c.sources.join(", "));
    }
    if !c.met_needs.is_empty() {
        out!(
            "met needs:     {} (without it: not_met or unknown, never met)",
            c.met_needs.join(", ")
        );
    }
    if !c.optional_sources.is_empty() {
        out!(
            "also uses:     {} (when configured)",
            c.optional_sources.join(", ")
        );
    }
    out!("\nmet when:\n  {}", c.met_when);
    out!("\nremediation:\n  {}", c.remediation);
    let judged = c
        .same_as
        .as_deref()
        .and_then(|id| catalog.criterion(id))
        .map_or(c, |(_, t)| t);
    match catalog.rule_for(&judged.package()) {
        Some(rule) => {
            out!("\nrule: data.{}.result ({})", judged.package(), rule.path);
            out!(
                "{}",
                rule.doc
                    .lines()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        None if c.observability == evident_engine::Observability::None => {
            out!(
                "\nNo system can prove this: it is reported as manual unless .evident/attestations.yaml attests it."
            );
        }
        None => out!(
            "\nNo rule yet: the sources it needs are not read by this version, so it is reported as unknown."
        ),
    }
    Ok(EXIT_OK)
}

/// One verdict of a saved scan in full: everything the JSON holds for it, for a person.
fn explain_verdict(scan: &std::path::Path, service: &str, criterion: &str) -> anyhow::Result<u8> {
    let result = read_scan(scan)?;
    let Some(r) = result
        .results
        .iter()
        .find(|r| r.service == service && r.criterion == criterion)
    else {
        let known = result.services.iter().any(|s| s.id == service);
        bail!(
            "{} holds no verdict of {criterion} for {service}{}",
            scan.display(),
            if known {
                ""
            } else {
                " (no such service in it; `evident report FILE` lists them)"
            }
        );
    };
    out!("{}", evident_report::explain_verdict(&result, r));
    Ok(EXIT_OK)
}

fn policy_test(dir: &std::path::Path) -> anyhow::Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let outcomes = run_policy_tests(dir)?;
    if outcomes.is_empty() {
        eprintln!("error: no test_ rules found in {}", dir.display());
        return Ok(EXIT_USAGE);
    }
    let mut failed = 0;
    for o in &outcomes {
        if o.passed {
            out!("PASS {} ({})", o.name, o.file);
        } else {
            failed += 1;
            out!(
                "FAIL {} ({}): {}",
                o.name,
                o.file,
                o.detail.as_deref().unwrap_or_default()
            );
        }
    }
    let passed = outcomes.len() - failed;
    out!("{passed} passed, {failed} failed");
    Ok(if failed == 0 { EXIT_OK } else { EXIT_BELOW })
}
