//! Serves a generated on-call estate on 127.0.0.1 for benchmarks and manual runs:
//!
//! ```text
//! cargo run -p evident-oncall-mock --example serve -- --vendor pagerduty \
//!     --services 500 --schedules 200 --incidents 10000 --days 90 --latency-ms 50
//! ```
//!
//! `--vendor pagerduty` (default) serves `PagerdutyModel::sample`, `--vendor opsgenie`
//! `OpsgenieModel::sample`. Prints `url <base>` and `token <credential>` (for
//! `EVIDENT_PAGERDUTY_TOKEN` / `EVIDENT_OPSGENIE_KEY`), then serves until interrupted,
//! printing the request counters each second they change as `requests <total> <routes>`.

use evident_oncall_mock::opsgenie::{KEY, OpsgenieApi, OpsgenieModel};
use evident_oncall_mock::pagerduty::{PagerdutyApi, PagerdutyModel};
use evident_oncall_mock::{Faults, MockServer};
use std::io::Write;
use std::time::Duration;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let vendor = args
        .iter()
        .position(|a| a == "--vendor")
        .and_then(|i| args.get(i + 1))
        .map_or("pagerduty", String::as_str);
    let services = arg(&args, "--services", 500) as usize;
    let schedules = arg(&args, "--schedules", 200) as usize;
    let incidents = arg(&args, "--incidents", 10_000) as usize;
    let days = arg(&args, "--days", 90) as u32;
    let faults = Faults {
        latency_ms: arg(&args, "--latency-ms", 50),
        ..Faults::default()
    };
    let (server, token) = match vendor {
        "opsgenie" => {
            let model = OpsgenieModel::sample(services, schedules, incidents, days);
            (
                MockServer::start(OpsgenieApi::new(model), faults).await?,
                KEY,
            )
        }
        _ => {
            let model = PagerdutyModel::sample(services, schedules, incidents, days);
            let api = PagerdutyApi::new(model);
            (MockServer::start(api, faults).await?, PagerdutyModel::TOKEN)
        }
    };
    let mut out = std::io::stdout();
    writeln!(out, "url {}", server.url())?;
    writeln!(out, "token {token}")?;
    out.flush()?;
    let mut last = u64::MAX;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let stats = server.stats();
        if stats.total != last {
            last = stats.total;
            writeln!(out, "requests {} {:?}", stats.total, stats.routes)?;
            out.flush()?;
        }
    }
}
