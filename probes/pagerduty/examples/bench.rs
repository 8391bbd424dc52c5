//! One read of a large PagerDuty account from the mock, for the numbers the probe is held
//! to: requests, wall time (and, run under `/usr/bin/time -v`, peak RSS).
//!
//! `cargo run --release -p evident-probe-pagerduty --example bench [services schedules
//! incidents days latency_ms]` (default `500 200 10000 90 50`). The mock runs in the same
//! process, so the peak RSS holds its estate too.

use chrono::{SecondsFormat, Utc};
use evident_core::{Probe, Redactor, ScanContext};
use evident_oncall::OncallFacts;
use evident_oncall_mock::pagerduty::{PagerdutyApi, PagerdutyModel};
use evident_oncall_mock::{Faults, MockServer};
use evident_probe_pagerduty::{PagerdutyConfig, PagerdutyProbe};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let arg = |i: usize, d: usize| args.get(i).copied().unwrap_or(d);
    let days = u32::try_from(arg(3, 90))?;
    let model = PagerdutyModel::sample(arg(0, 500), arg(1, 200), arg(2, 10_000), days);
    let faults = Faults {
        latency_ms: arg(4, 50) as u64,
        ..Faults::default()
    };
    let server = MockServer::start(PagerdutyApi::new(model), faults).await?;
    let config = PagerdutyConfig {
        api_url: Some(server.url().to_owned()),
        token: Some(PagerdutyModel::TOKEN.to_owned()),
        window_days: days,
        request_timeout: Duration::from_secs(30),
        ..PagerdutyConfig::none()
    };
    let mut ctx = ScanContext::new(
        vec![],
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    ctx.redactor = Arc::new(Redactor::new().with_secret(PagerdutyModel::TOKEN));
    let probe = PagerdutyProbe::new(config);
    let started = Instant::now();
    let out = probe.collect(&ctx).await;
    let wall = started.elapsed();
    let facts = OncallFacts::from_value(&out.facts)?.unwrap_or_default();
    let status = out.sources.first().map(|s| s.status);
    println!(
        "{} requests, {:.2} s, status {status:?}: {} services, {} schedules ({} rendered), {} users, {} incidents, {} change events, {} evidence records",
        probe.requests_sent(),
        wall.as_secs_f64(),
        facts.services.len(),
        facts.schedules.len(),
        facts.schedules.values().filter(|s| s.rendered).count(),
        facts.users.len(),
        facts.incidents.len(),
        facts.change_events.len(),
        out.evidence.len(),
    );
    println!("requests per route: {:?}", server.stats().routes);
    Ok(())
}
