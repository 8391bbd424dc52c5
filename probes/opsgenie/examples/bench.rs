//! One read of a large Opsgenie estate from the mock, for the numbers the probe is held
//! to: requests, wall time (and, run under `/usr/bin/time -v`, peak RSS).
//!
//! `cargo run --release -p evident-probe-opsgenie --example bench [services schedules
//! incidents days latency_ms]` (default `500 200 10000 90 50`). The mock runs in the same
//! process, so the peak RSS holds its estate too.

use chrono::SecondsFormat;
use evident_core::{Probe, Redactor, ScanContext};
use evident_oncall::OncallFacts;
use evident_oncall_mock::opsgenie::{KEY, OpsgenieApi, OpsgenieModel};
use evident_oncall_mock::{Faults, MockServer};
use evident_probe_opsgenie::{OpsgenieConfig, OpsgenieProbe};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let arg = |i: usize, d: usize| args.get(i).copied().unwrap_or(d);
    let days = u32::try_from(arg(3, 90))?;
    let model = OpsgenieModel::sample(arg(0, 500), arg(1, 200), arg(2, 10_000), days);
    let observed_at = model.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let faults = Faults {
        latency_ms: arg(4, 50) as u64,
        ..Faults::default()
    };
    let server = MockServer::start(OpsgenieApi::new(model), faults).await?;
    let mut config = OpsgenieConfig::none();
    config.api_url = Some(server.url().to_owned());
    config.token = Some(KEY.to_owned());
    config.window_days = days;
    let mut ctx = ScanContext::new(vec![], observed_at);
    ctx.redactor = Arc::new(Redactor::new().with_secret(KEY));
    let probe = OpsgenieProbe::new(config);
    let started = Instant::now();
    let out = probe.collect(&ctx).await;
    let wall = started.elapsed();
    let facts = OncallFacts::from_value(&out.facts)?.unwrap_or_default();
    let stats = server.stats();
    println!("wall: {:.2} s", wall.as_secs_f64());
    println!(
        "requests: {} (probe counted {})",
        stats.total,
        probe.requests_sent()
    );
    for (route, n) in &stats.routes {
        println!("  {route}: {n}");
    }
    println!(
        "read: {} services, {} escalations, {} schedules ({} rendered), {} users, {} teams, {} incidents, {} evidence records",
        facts.services.len(),
        facts.escalation_policies.len(),
        facts.schedules.len(),
        facts.schedules.values().filter(|s| s.rendered).count(),
        facts.users.len(),
        facts.teams.len(),
        facts.incidents.len(),
        out.evidence.len()
    );
    let report = &out.sources[0];
    println!(
        "source: {} ({})",
        report.status,
        report.detail.clone().unwrap_or_default()
    );
    let account = facts.accounts.get("opsgenie").cloned().unwrap_or_default();
    println!("unread: {:?}", account.unread.keys().collect::<Vec<_>>());
    println!("partial: {:?}", account.partial);
    Ok(())
}
