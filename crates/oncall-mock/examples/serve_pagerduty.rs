//! Serves `PagerdutyModel::sample` on 127.0.0.1 for benchmarks and manual runs:
//!
//! ```text
//! cargo run -p evident-oncall-mock --example serve_pagerduty -- \
//!     --services 500 --schedules 200 --incidents 10000 --days 90 --latency-ms 50
//! ```
//!
//! Prints the base URL and the token to use (`EVIDENT_PAGERDUTY_TOKEN`), then serves until
//! interrupted, printing the request counters every ten seconds.

use evident_oncall_mock::pagerduty::{PagerdutyApi, PagerdutyModel};
use evident_oncall_mock::{Faults, MockServer};
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
    let model = PagerdutyModel::sample(
        arg(&args, "--services", 500) as usize,
        arg(&args, "--schedules", 200) as usize,
        arg(&args, "--incidents", 10_000) as usize,
        arg(&args, "--days", 90) as u32,
    );
    let faults = Faults {
        latency_ms: arg(&args, "--latency-ms", 50),
        ..Faults::default()
    };
    let server = MockServer::start(PagerdutyApi::new(model), faults).await?;
    println!("url {}", server.url());
    println!("token {}", PagerdutyModel::TOKEN);
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let stats = server.stats();
        println!("requests {} {:?}", stats.total, stats.routes);
    }
}
