//! `evident services`: which services the sources describe and how each was tied.

use crate::cli::{ListFormat, ServicesArgs};
use evident_scan::ServiceListing;
use std::fmt::Write as _;

/// Lists services, their items and join keys, then what joined nothing. Exit 0.
pub fn run(args: &ServicesArgs) -> anyhow::Result<u8> {
    let plan = crate::plan::source_plan(&args.sources)?;
    let listing = crate::plan::block_on(evident_scan::list_services(&plan))??;
    let text = match args.format {
        ListFormat::Json => {
            let mut json = serde_json::to_string_pretty(&listing)?;
            json.push('\n');
            json
        }
        ListFormat::Table => table(&listing),
    };
    crate::commands::print_stdout(&text)?;
    Ok(crate::EXIT_OK)
}

/// One block per service (id, how found, team, environments), one line per item with
/// the key that tied it, then the unresolved items and failed sources.
fn table(listing: &ServiceListing) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} service(s)", listing.services.len());
    for s in &listing.services {
        let team = match (&s.team, &s.team_source) {
            (Some(t), Some(src)) => format!("team {t} ({src})"),
            (Some(t), None) => format!("team {t}"),
            _ => "no owning team".into(),
        };
        let _ = writeln!(out, "\n{}  [{}; {team}]", s.id, s.resolved_from);
        if !s.environments.is_empty() {
            let _ = writeln!(out, "  runs in: {}", s.environments.join(", "));
        }
        for j in &s.joins {
            let _ = writeln!(out, "  {:<10} {}  ← {}", j.source, j.item, j.by);
        }
    }
    if !listing.unresolved.is_empty() {
        let _ = writeln!(out, "\n{} unresolved item(s)", listing.unresolved.len());
        for u in &listing.unresolved {
            let _ = writeln!(out, "  {:<10} {}: {}", u.source, u.item, u.reason);
        }
    }
    let failed: Vec<_> = listing
        .sources
        .iter()
        .filter(|r| {
            !matches!(
                r.status,
                evident_core::SourceStatus::Ok | evident_core::SourceStatus::NotConfigured
            )
        })
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nsources that failed (their items may be missing):");
        for r in failed {
            let _ = writeln!(
                out,
                "  {} {}: {} {}",
                r.probe,
                r.source,
                r.status.as_str(),
                r.detail.as_deref().unwrap_or_default()
            );
        }
    }
    out
}
