//! What each subcommand does.

use crate::cli::{Cli, Command, ExplainArgs, Format, ModelsArgs, PolicyCommand, ScanArgs};
use crate::scan::{ScanOptions, load_catalog, run_scan};
use crate::{EXIT_BELOW, EXIT_OK, EXIT_USAGE};
use anyhow::{Context, bail};
use evident_core::ScanResult;
use evident_engine::{Catalog, ModelKind, run_policy_tests};
use evident_report::{TableOptions, render_json, render_table};
use std::io::IsTerminal;
use std::time::Duration;

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
        Command::Models(args) => models(args),
        Command::Explain(args) => explain(args),
        Command::Policy(PolicyCommand::Test { dir }) => policy_test(&dir),
    }
}

fn scan(args: ScanArgs) -> anyhow::Result<u8> {
    let required = args
        .fail_under
        .as_deref()
        .map(parse_fail_under)
        .transpose()?;
    let options = ScanOptions {
        paths: args.paths.clone(),
        models: args.models.clone(),
        policies: args.policies.clone(),
        strict: args.strict,
        worktree: args.worktree,
        timeout: Duration::from_secs(args.timeout.max(1)),
        history_days: args.history_days,
        dump_input: args.dump_input.clone(),
        prometheus: args.prometheus.clone(),
        grafana: args.grafana.clone(),
        ca_cert: args.ca_cert.clone(),
        kube_contexts: args.kube_contexts.clone(),
        kube_current: args.kube_current,
        kube_dumps: args.kube_dumps.clone(),
    };
    if let Some((model, _)) = &required
        && !args.models.is_empty()
        && !args.models.contains(model)
    {
        bail!("--fail-under names model {model}, which --model leaves out");
    }
    let result = run_scan(&options)?;
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Json => render_json(&result)?,
        Format::Table => render_table(
            &result,
            TableOptions {
                color: to_terminal && color_allowed(),
                width: to_terminal.then(terminal_width),
            },
        ),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
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
fn gate(result: &ScanResult, model: &str, level: u8) -> u8 {
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
        println!("{}", serde_json::to_string_pretty(&catalog.models)?);
        return Ok(EXIT_OK);
    }
    for model in &catalog.models {
        println!(
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
            println!(
                "  {:<34} {:<22} {:<8} {:<7} {}",
                c.id,
                level,
                c.scope.as_str(),
                c.observability.as_str(),
                judged
            );
        }
        println!();
    }
    Ok(EXIT_OK)
}

fn explain(args: ExplainArgs) -> anyhow::Result<u8> {
    let catalog = load_catalog(&args.policies, &[])?;
    let Some((model, c)) = catalog.criterion(&args.criterion) else {
        eprintln!(
            "error: no criterion {:?}; `evident models` lists them",
            args.criterion
        );
        return Ok(EXIT_USAGE);
    };
    println!("{}  {}", c.id, c.title);
    println!("model:         {} ({})", model.id, model.name);
    if let Some(l) = c.level {
        println!("level:         {l} {}", model.level_name(l));
    }
    println!("dimension:     {}", c.dimension);
    println!("scope:         {}", c.scope.as_str());
    println!("observability: {}", c.observability.as_str());
    if c.smell {
        println!("smell:         yes (met means the smell is absent)");
    }
    if !c.sources.is_empty() {
        println!("needs:         {}", c.sources.join(", "));
    }
    if !c.optional_sources.is_empty() {
        println!(
            "also uses:     {} (when configured)",
            c.optional_sources.join(", ")
        );
    }
    println!("\nmet when:\n  {}", c.met_when);
    println!("\nremediation:\n  {}", c.remediation);
    let judged = c
        .same_as
        .as_deref()
        .and_then(|id| catalog.criterion(id))
        .map_or(c, |(_, t)| t);
    match catalog.rule_for(&judged.package()) {
        Some(rule) => {
            println!("\nrule: data.{}.result ({})", judged.package(), rule.path);
            println!(
                "{}",
                rule.doc
                    .lines()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        None if c.observability == evident_engine::Observability::None => {
            println!(
                "\nNo system can prove this: it is reported as manual unless .evident/attestations.yaml attests it."
            );
        }
        None => println!(
            "\nNo rule yet: the sources it needs are not read by this version, so it is reported as unknown."
        ),
    }
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
            println!("PASS {} ({})", o.name, o.file);
        } else {
            failed += 1;
            println!(
                "FAIL {} ({}): {}",
                o.name,
                o.file,
                o.detail.as_deref().unwrap_or_default()
            );
        }
    }
    let passed = outcomes.len() - failed;
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 { EXIT_OK } else { EXIT_BELOW })
}
