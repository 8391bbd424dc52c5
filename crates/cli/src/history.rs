//! The history store on the command line: `scan --store` saving, `evident history` and
//! `evident diff`. The store and the diff rule live in `evident-store`; this module only
//! resolves what the user named and renders.

use crate::cli::{DiffArgs, HistoryArgs, ListFormat, StoreArgs};
use crate::commands::{print_stdout, read_scan};
use crate::plan::block_on;
use crate::{EXIT_BELOW, EXIT_OK};
use anyhow::{Context, bail};
use evident_core::{ScanResult, Status};
use evident_store::diff::{CriterionChange, Direction, ScanDiff};
use evident_store::{HistoryPoint, Retention, Store};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The value of `schema` in `evident history --format json`.
pub const HISTORY_SCHEMA: &str = "evident/history/v1";

/// Saves `result` (as the bytes `--format json` prints) and prunes by the retention
/// flags.
pub fn save_scan(args: &StoreArgs, result: &ScanResult) -> anyhow::Result<()> {
    let Some(location) = &args.store else {
        return Ok(());
    };
    let json = evident_report::render_json(result)?;
    let retention = Retention {
        keep_last: args.keep_last,
        max_age_days: args.keep_days,
    };
    block_on(async {
        let store = Store::open(location).await?;
        let id = store.save(&json).await?;
        tracing::info!(scan = %id, store = %store.location(), "scan saved");
        if retention.keep_last.is_some() || retention.max_age_days.is_some() {
            let pruned = store.prune(&retention).await?;
            tracing::info!(pruned, "old scans pruned");
        }
        Ok::<_, evident_store::StoreError>(())
    })?
    .context("saving the scan in the history store")
}

/// Records a scan that failed (started at `started_at`, ending now) and why.
pub fn save_failure(location: &str, started_at: &str, error: &str) -> anyhow::Result<()> {
    let finished_at = chrono::Utc::now().to_rfc3339();
    block_on(async {
        let store = Store::open(location).await?;
        store.save_failure(started_at, &finished_at, error).await
    })?
    .context("recording the failed scan in the history store")
}

/// `evident history`.
pub fn history(args: &HistoryArgs) -> anyhow::Result<u8> {
    let points = block_on(async {
        let store = Store::open(&args.store).await?;
        store
            .history_limited(&args.service, args.criterion.as_deref(), args.last)
            .await
    })??;
    let text = match args.format {
        ListFormat::Json => {
            let doc = serde_json::json!({
                "schema": HISTORY_SCHEMA,
                "service": args.service,
                "criterion": args.criterion,
                "points": points,
            });
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        ListFormat::Table => history_table(&args.service, args.criterion.as_deref(), &points),
    };
    print_stdout(&text)?;
    Ok(EXIT_OK)
}

/// One line per scan, oldest first: with a criterion its status and reason; without one,
/// the level per model and the count of each status.
fn history_table(service: &str, criterion: Option<&str>, points: &[HistoryPoint]) -> String {
    let mut out = String::new();
    if points.is_empty() {
        let _ = writeln!(out, "no stored scan judged service {service}");
        return out;
    }
    let what = criterion
        .map(|c| format!(", criterion {c}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "history of {service}{what}: {} scans, oldest first\n",
        points.len()
    );
    let models: BTreeSet<&str> = points
        .iter()
        .flat_map(|p| p.levels.iter().map(|l| l.model.as_str()))
        .collect();
    let mut header = format!("{:<25}  {:<36}", "started", "scan");
    match criterion {
        Some(_) => header.push_str("  status          reason"),
        None => {
            for m in &models {
                let _ = write!(header, "  {m}");
            }
            header.push_str("  verdicts");
        }
    }
    let _ = writeln!(out, "{}", header.trim_end());
    for p in points {
        let mut line = format!("{:<25}  {:<36}", p.started_at, p.scan_id);
        match criterion {
            Some(_) => match p.verdicts.first() {
                Some(v) => {
                    let _ = write!(
                        line,
                        "  {:<14}  {}",
                        v.status.as_str(),
                        v.reason.as_deref().unwrap_or("")
                    );
                }
                None => line.push_str("  (not judged)"),
            },
            None => {
                for m in &models {
                    let level = p
                        .levels
                        .iter()
                        .find(|l| l.model == *m)
                        .map_or("-".to_owned(), |l| {
                            l.attained.map_or("none".to_owned(), |a| format!("L{a}"))
                        });
                    let _ = write!(line, "  {level:<width$}", width = m.len());
                }
                let counts: Vec<String> = Status::ALL
                    .iter()
                    .filter_map(|s| {
                        let n = p.verdicts.iter().filter(|v| v.status == *s).count();
                        (n > 0).then(|| format!("{n} {}", s.as_str()))
                    })
                    .collect();
                let _ = write!(line, "  {}", counts.join(", "));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// Reads what a diff side names: a scan JSON file, or `latest`, `previous` or a scan id
/// in the store.
async fn resolve_side(reference: &str, store: Option<&Store>) -> anyhow::Result<ScanResult> {
    let path = std::path::Path::new(reference);
    if path.is_file() {
        return read_scan(path);
    }
    let Some(store) = store else {
        bail!(
            "{reference:?} is not a scan JSON file, and no --store (or EVIDENT_STORE) was given to look it up as a scan id"
        );
    };
    let Some(id) = store.resolve(reference).await? else {
        bail!(
            "no scan {reference:?} in the store {} (and no such file)",
            store.location()
        );
    };
    let Some(result) = store.load(&id).await? else {
        bail!("scan {id} has no result in the store {}", store.location());
    };
    Ok(result)
}

/// `evident diff`: exit 1 when anything regressed.
pub fn diff(args: &DiffArgs) -> anyhow::Result<u8> {
    let (before, after) = block_on(async {
        let store = match &args.store {
            Some(location) => Some(Store::open(location).await?),
            None => None,
        };
        let before = resolve_side(&args.before, store.as_ref()).await?;
        let after = resolve_side(&args.after, store.as_ref()).await?;
        Ok::<_, anyhow::Error>((before, after))
    })??;
    let diff = evident_store::diff::diff(&before, &after);
    let text = match args.format {
        ListFormat::Json => format!("{}\n", serde_json::to_string_pretty(&diff)?),
        ListFormat::Table => diff_table(&diff),
    };
    print_stdout(&crate::plan::env_redactor().redact(&text))?;
    Ok(if diff.has_regression() {
        EXIT_BELOW
    } else {
        EXIT_OK
    })
}

/// The diff for people: one block per kind of change, then a one-line count.
fn diff_table(diff: &ScanDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "diff {} ({}) -> {} ({})",
        diff.before.id, diff.before.started_at, diff.after.id, diff.after.started_at
    );
    for (title, list) in [
        ("regressions", &diff.regressions),
        ("improvements", &diff.improvements),
        ("other changes", &diff.changes),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} ({}):", list.len());
        for c in list {
            let _ = writeln!(out, "  {}", change_line(c));
        }
    }
    if !diff.levels.is_empty() {
        let _ = writeln!(out, "\nlevels ({}):", diff.levels.len());
        for l in &diff.levels {
            let _ = writeln!(
                out,
                "  {}  {}  {} -> {}  ({})",
                l.service,
                l.model,
                level_name(l.before),
                level_name(l.after),
                direction_name(l.direction)
            );
        }
    }
    for (title, list) in [
        ("services added", &diff.services_added),
        ("services removed", &diff.services_removed),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{title} ({}): {}", list.len(), list.join(", "));
        }
    }
    let level_regressions = diff
        .levels
        .iter()
        .filter(|l| l.direction == Direction::Regression)
        .count();
    let _ = writeln!(
        out,
        "\n{} regressions ({} criteria, {} levels), {} improvements, {} other changes",
        diff.regressions.len() + level_regressions,
        diff.regressions.len(),
        level_regressions,
        diff.improvements.len() + diff.levels.len() - level_regressions,
        diff.changes.len()
    );
    out
}

/// `service  model  criterion  before -> after  [reason]  summary`.
fn change_line(c: &CriterionChange) -> String {
    let status = |s: Option<Status>| s.map_or("(not judged)", Status::as_str);
    let mut line = format!(
        "{}  {}  {}  {} -> {}",
        c.service,
        c.model,
        c.criterion,
        status(c.before),
        status(c.after)
    );
    if let Some(reason) = &c.reason {
        let _ = write!(line, "  [{reason}]");
    }
    if let Some(summary) = &c.summary {
        let _ = write!(line, "  {summary}");
    }
    line
}

fn level_name(level: Option<u8>) -> String {
    level.map_or("none".to_owned(), |l| format!("L{l}"))
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Regression => "regression",
        Direction::Improvement => "improvement",
        Direction::Change => "change",
    }
}

/// `scan --shard I/N --run-id R --store L`: one pod of a sharded estate. The shard's
/// facts are saved under the run; the shard whose save completes the run (and wins the
/// store's claim, so exactly one does even when two finish together) judges every
/// shard as one scan, prints and saves it, and applies `--fail-under`. The others exit 0
/// saying how many shards the run has so far.
pub fn scan_shard(
    plan: &evident_scan::ScanPlan,
    args: &crate::cli::ScanArgs,
    store_args: &StoreArgs,
    shard: evident_scan::Shard,
    required: Option<(String, u8)>,
) -> anyhow::Result<u8> {
    let (Some(location), Some(run_id)) = (&store_args.store, &args.run_id) else {
        bail!(
            "--shard needs either --collect-only -o FILE (then `evident merge` judges every \
             shard) or --store LOCATION and --run-id ID (the shard that completes the run judges it)"
        );
    };
    let facts = block_on(evident_scan::collect_shard(plan))??;
    let json = serde_json::to_string(&facts).context("writing the shard's facts")?;
    let claimed = block_on(async {
        let store = Store::open(location).await?;
        store
            .save_shard(run_id, shard.index, shard.total, &json)
            .await?;
        let complete = matches!(
            store.shard_count(run_id).await?,
            Some((saved, total)) if saved == total
        );
        if complete && store.claim_run(run_id).await? {
            Ok::<_, evident_store::StoreError>(Some(store.load_shards(run_id).await?))
        } else {
            Ok(None)
        }
    })??;
    let Some(texts) = claimed else {
        eprintln!(
            "shard {}/{} of run {run_id} saved; the shard that completes the run judges it",
            shard.index, shard.total
        );
        return Ok(EXIT_OK);
    };
    let shards = texts
        .iter()
        .map(|t| serde_json::from_str::<evident_scan::ShardFacts>(t))
        .collect::<Result<Vec<_>, _>>()
        .context("a shard saved in the store does not read back")?;
    let result = block_on(evident_scan::judge_shards(plan, shards))??;
    crate::commands::emit(&result, args.format, args.output.as_deref(), args.details)?;
    save_scan(store_args, &result)?;
    Ok(match required {
        Some((model, level)) => crate::commands::gate(&result, &model, level),
        None => EXIT_OK,
    })
}
