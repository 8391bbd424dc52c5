//! TEMPORARY stub while the real probe is written on branch git-probe; never committed.
use async_trait::async_trait;
use evident_core::{Probe, ProbeOutput, ScanContext};
/// stub
#[derive(Default)]
pub struct GitProbe;
impl GitProbe {
    /// stub
    pub fn new() -> Self {
        Self
    }
}
#[async_trait]
impl Probe for GitProbe {
    fn name(&self) -> &'static str {
        "git"
    }
    async fn collect(&self, _ctx: &ScanContext) -> ProbeOutput {
        ProbeOutput::default()
    }
}
