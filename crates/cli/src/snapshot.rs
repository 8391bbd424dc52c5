//! Replayable scans on the command line: `scan --snapshot DIR`, `evident replay DIR`,
//! `bundle --snapshot DIR` and `verify --replay` (docs/snapshot.md).

use crate::cli::ReplayArgs;
use crate::{EXIT_BELOW, EXIT_OK, EXIT_USAGE};
use anyhow::Context;
use evident_core::ScanResult;
use evident_scan::ScanPlan;
use evident_scan::replay::{Comparison, MAY_DIFFER, Overrides};
use evident_snapshot::{RunMeta, Tape};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scan being recorded into a snapshot directory.
pub struct Recording {
    tape: Tape,
    dir: PathBuf,
}

/// Puts a recording tape on `plan`, redacting with every secret the plan knows, and
/// fixes the plan's observation time (a replay stamps the same one, and DORA windows
/// end there, so both judge the same instant).
pub fn start(plan: &mut ScanPlan, dir: &Path) -> anyhow::Result<Recording> {
    let tape = Tape::record(dir, Arc::new(plan.redactor()))
        .with_context(|| format!("--snapshot {}", dir.display()))?;
    plan.observed_at.get_or_insert_with(|| {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    plan.snapshot = tape.clone();
    Ok(Recording {
        tape,
        dir: dir.to_owned(),
    })
}

/// The bytes `scan --format json` writes for `result`.
pub fn json_bytes(result: &ScanResult) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    evident_report::write_json(result, &mut out)?;
    Ok(out)
}

impl Recording {
    /// Writes the run (`scan.json` = `scan_json`, the exact bytes the scan wrote, the
    /// index, `run.json` with the plan) and says on stderr what was kept.
    pub fn finish(
        &self,
        plan: &ScanPlan,
        result: &ScanResult,
        scan_json: &[u8],
    ) -> anyhow::Result<()> {
        let meta = RunMeta {
            schema: evident_snapshot::RUN_SCHEMA.into(),
            run: result.scan.id.clone(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            // Fixed on the plan before the scan; should a caller not have, the time the
            // evidence carries (never an empty time, which no replay could place).
            observed_at: plan.observed_at.clone().unwrap_or_else(|| {
                result
                    .evidence
                    .values()
                    .next()
                    .map_or_else(|| result.scan.started_at.clone(), |e| e.observed_at.clone())
            }),
            plan: serde_json::to_value(plan).context("writing the plan into the snapshot")?,
            scan_sha256: String::new(),
        };
        let stats = self.tape.stats();
        let problems = self
            .tape
            .finish(meta, scan_json)
            .with_context(|| format!("writing the snapshot into {}", self.dir.display()))?;
        for p in &problems {
            tracing::warn!("snapshot: {p}");
        }
        eprintln!(
            "snapshot: {} answers, {} new blobs, {:.1} MB in {}{}",
            stats.answers,
            stats.new_blobs,
            stats.new_bytes as f64 / 1_000_000.0,
            self.dir.display(),
            if problems.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} answers could not be kept: the snapshot is incomplete)",
                    problems.len()
                )
            }
        );
        Ok(())
    }
}

/// `evident replay DIR`.
pub fn replay(args: &ReplayArgs) -> anyhow::Result<u8> {
    let overrides = Overrides {
        policies: (!args.policies.is_empty()).then(|| args.policies.clone()),
        models: (!args.models.is_empty()).then(|| args.models.clone()),
    };
    let recorded = match evident_scan::replay::open(&args.dir, args.run.as_deref(), &overrides) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", crate::logs::redact(&e.to_string()));
            return Ok(EXIT_USAGE);
        }
    };
    crate::logs::use_redactor(recorded.plan.redactor());
    let mut result = crate::plan::block_on(evident_scan::scan(&recorded.plan))??;
    crate::commands::emit(&result, args.format, args.output.as_deref(), args.details)?;
    let comparison = compare_results(&recorded.scan_json, &mut result)?;
    let rejudged = overrides.any() || recorded.meta.tool_version != env!("CARGO_PKG_VERSION");
    Ok(say(&recorded.meta, &comparison, rejudged, &overrides))
}

/// Compares the replayed result with the recorded bytes. First the cheap way: with the
/// fields that may differ set to the recorded values, the replayed result must serialise
/// to exactly the recorded bytes (no JSON tree of a 25 MB estate result is built, which
/// tripled the replay's memory); only when it does not are both compared as JSON trees to
/// say what differs.
fn compare_results(recorded: &[u8], result: &mut ScanResult) -> anyhow::Result<Comparison> {
    #[derive(serde::Deserialize)]
    struct Head {
        scan: evident_core::ScanInfo,
    }
    if let Ok(head) = serde_json::from_slice::<Head>(recorded) {
        // Exactly the fields of MAY_DIFFER, nothing else of the header.
        let own = (
            std::mem::replace(&mut result.scan.id, head.scan.id),
            std::mem::replace(&mut result.scan.started_at, head.scan.started_at),
            std::mem::replace(&mut result.scan.finished_at, head.scan.finished_at),
        );
        let same = json_bytes(result)? == recorded;
        (
            result.scan.id,
            result.scan.started_at,
            result.scan.finished_at,
        ) = own;
        if same {
            return Ok(Comparison {
                identical: true,
                ..Comparison::default()
            });
        }
    }
    compare_bytes(recorded, &json_bytes(result)?)
}

/// Compares two results given as the JSON bytes written.
fn compare_bytes(recorded: &[u8], replayed: &[u8]) -> anyhow::Result<Comparison> {
    let a: serde_json::Value =
        serde_json::from_slice(recorded).context("the recorded scan.json is not JSON")?;
    let b: serde_json::Value = serde_json::from_slice(replayed)?;
    Ok(evident_scan::replay::compare(&a, &b))
}

/// Prints the outcome of a replay on stderr and returns the exit code: 0 identical (when
/// re-judged: no verdict differs), 1 otherwise.
fn say(meta: &RunMeta, c: &Comparison, rejudged: bool, overrides: &Overrides) -> u8 {
    let except: Vec<String> = MAY_DIFFER
        .iter()
        .map(|p| p.trim_start_matches('/').replace('/', "."))
        .collect();
    if c.identical {
        eprintln!(
            "replayed run {}: identical to the recorded scan (except {})",
            meta.run,
            except.join(", ")
        );
        return EXIT_OK;
    }
    let mut with = String::new();
    if let Some(p) = &overrides.policies {
        let shown: Vec<String> = p.iter().map(|d| d.display().to_string()).collect();
        with.push_str(&format!(" and --policy {}", shown.join(" --policy ")));
    }
    if let Some(m) = &overrides.models {
        with.push_str(&format!(" and --model {}", m.join(" --model ")));
    }
    if rejudged {
        eprintln!(
            "re-judged with evident {}{with} (recorded with {}): {} verdicts differ from the recorded scan",
            env!("CARGO_PKG_VERSION"),
            meta.tool_version,
            c.verdicts.len()
        );
    } else {
        eprintln!(
            "replayed run {}: differs from the recorded scan: {} verdicts and {} other fields differ",
            meta.run,
            c.verdicts.len(),
            c.fields.len()
        );
    }
    for v in &c.verdicts {
        eprintln!("  {v}");
    }
    if !rejudged {
        for f in &c.fields {
            eprintln!("  field {f}");
        }
    }
    if rejudged && c.verdicts.is_empty() {
        EXIT_OK
    } else {
        EXIT_BELOW
    }
}

/// The files of the snapshot run of `result` under `dir`, as `(path in the bundle,
/// bytes)`. The run must be the one that wrote exactly `scan_bytes` (when given).
pub fn bundle_files(
    dir: &Path,
    result: &ScanResult,
    scan_bytes: Option<&[u8]>,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let run = &result.scan.id;
    let meta = evident_snapshot::read_meta(dir, run)
        .with_context(|| format!("--snapshot {}: no run of scan {run}", dir.display()))?;
    if let Some(bytes) = scan_bytes
        && evident_snapshot::sha256_hex(bytes) != meta.scan_sha256
    {
        anyhow::bail!(
            "--snapshot {}: run {run} recorded another scan.json than the one given",
            dir.display()
        );
    }
    let mut out = Vec::new();
    for rel in evident_snapshot::run_files(dir, run)? {
        let path = dir.join(&rel);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let name: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        out.push((
            format!("{}{}", evident_bundle::SNAPSHOT_DIR, name.join("/")),
            bytes,
        ));
    }
    Ok(out)
}

/// `verify --replay`: replays the snapshot inside the bundle and prints every verdict of
/// the bundled scan.json the answers do not give, and every altered blob. Returns
/// whether anything was found, or the exit code when nothing could be replayed.
pub fn verify_replay(bundle: &[u8]) -> anyhow::Result<Result<bool, u8>> {
    let files = match evident_bundle::bundle_files(bundle) {
        Ok(f) => f,
        Err(problems) => {
            for p in problems {
                eprintln!("replay: {p}");
            }
            return Ok(Err(EXIT_BELOW));
        }
    };
    let Some(scan_json) = files.get("scan.json") else {
        eprintln!("replay: the bundle has no scan.json");
        return Ok(Err(EXIT_BELOW));
    };
    let scratch = tempfile::Builder::new()
        .prefix("evident-replay-")
        .tempdir()?;
    let mut runs = std::collections::BTreeSet::new();
    for (name, bytes) in &files {
        let Some(rel) = name.strip_prefix(evident_bundle::SNAPSHOT_DIR) else {
            continue;
        };
        let rel = Path::new(rel);
        // Only plain relative names: an entry can never be written outside the scratch.
        if !rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            eprintln!("replay: {name} is not a plain relative path; not extracted");
            continue;
        }
        if let Ok(run) = rel.strip_prefix("runs")
            && let Some(first) = run.components().next()
        {
            runs.insert(first.as_os_str().to_string_lossy().into_owned());
        }
        let path = scratch.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
    }
    let run = match runs.len() {
        0 => {
            eprintln!(
                "replay: the bundle carries no snapshot (make it with `evident bundle --snapshot DIR`)"
            );
            return Ok(Err(EXIT_USAGE));
        }
        1 => runs.into_iter().next().unwrap_or_default(),
        n => {
            eprintln!("replay: the bundle carries {n} snapshot runs; expected one");
            return Ok(Err(EXIT_BELOW));
        }
    };
    let altered = evident_snapshot::check_blobs(scratch.path(), &run)?;
    let recorded =
        match evident_scan::replay::open(scratch.path(), Some(&run), &Overrides::default()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("replay: {}", crate::logs::redact(&e.to_string()));
                return Ok(Err(EXIT_BELOW));
            }
        };
    let result = crate::plan::block_on(evident_scan::scan(&recorded.plan))??;
    let comparison = compare_bytes(scan_json, &json_bytes(&result)?)?;
    let mut text = String::new();
    for (sha, what) in &altered {
        text.push_str(&format!("  altered blob {sha}: {what}\n"));
    }
    if comparison.verdicts.is_empty() {
        text.push_str(&format!(
            "replay: every verdict of scan.json follows from the snapshot (run {run}){}\n",
            if comparison.identical {
                ", and the replayed result is identical"
            } else {
                ""
            }
        ));
    } else {
        text.push_str(&format!(
            "replay: {} verdicts of scan.json do not follow from the snapshot (run {run}):\n",
            comparison.verdicts.len()
        ));
        for v in &comparison.verdicts {
            text.push_str(&format!("  {v}\n"));
        }
    }
    crate::commands::print_stdout(&text)?;
    Ok(Ok(!altered.is_empty() || !comparison.verdicts.is_empty()))
}
