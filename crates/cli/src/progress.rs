//! A progress bar on stderr for long reads (hundreds of GitHub repositories), drawn only
//! when stderr is a terminal: piped output and CI logs get no bar characters.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// The scan's progress, one bar per phase.
#[derive(Debug, Default)]
pub struct Bars {
    /// One drawing of every bar at once: probes run side by side (PagerDuty and Opsgenie
    /// read together), and bars drawn on their own would overwrite each other's line.
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    /// Bars for a terminal, or nothing at all when stderr is piped (or `--quiet`).
    pub fn for_stderr(quiet: bool) -> Option<Arc<Self>> {
        (!quiet && std::io::stderr().is_terminal()).then(|| Arc::new(Self::default()))
    }
}

impl evident_core::Progress for Bars {
    fn begin(&self, phase: &str, total: u64) {
        let bar = self.multi.add(ProgressBar::new(total));
        let style = ProgressStyle::with_template("{msg:24} [{bar:30}] {pos}/{len} ({eta} left)")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(phase.to_owned());
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        bars.insert(phase.to_owned(), bar);
    }

    fn advance(&self, phase: &str) {
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bars.get(phase) {
            bar.inc(1);
        }
    }

    fn end(&self, phase: &str) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bars.remove(phase) {
            bar.finish_and_clear();
        }
    }
}
