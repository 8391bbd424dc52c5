//! Renders a scan result for people (a terminal table) and for scripts (JSON).
//!
//! Renderers take a saved [`ScanResult`] and nothing else, so any format can be produced
//! later from a stored result without touching the scanned systems again.

mod table;

pub use table::{TableOptions, render_table};

use evident_core::ScanResult;

/// Why a result could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// JSON serialisation failed (never expected for a well-formed result).
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The scan result as pretty JSON with a trailing newline: the versioned document
/// scripts parse.
pub fn render_json(result: &ScanResult) -> Result<String, RenderError> {
    let mut out = serde_json::to_string_pretty(result)?;
    out.push('\n');
    Ok(out)
}
