//! Renders a scan result for people (terminal table, HTML, Markdown), for spreadsheets
//! (CSV), for tools (JSON, SARIF) and for auditors' systems (OSCAL assessment results).
//!
//! Renderers take a saved [`ScanResult`] and nothing else, so any format can be produced
//! later from a stored result without touching the scanned systems again.

mod chart;
mod csv_out;
mod explain;
mod html;
mod markdown;
mod oscal;
mod sarif;
mod table;
mod view;

pub use csv_out::render_csv;
pub use explain::explain_verdict;
pub use html::render_html;
pub use markdown::render_markdown;
pub use oscal::render_oscal;
pub use sarif::{SARIF_MAX_RESULTS, render_sarif};
pub use table::{TableOptions, render_table};

use evident_core::ScanResult;

/// Why a result could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// JSON serialisation failed (never expected for a well-formed result).
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The HTML template failed to render (a bug in the template, not in the input).
    #[error("could not render the HTML report: {0}")]
    Template(#[from] minijinja::Error),
    /// The CSV writer failed.
    #[error("could not write CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The CSV writer produced bytes that are not UTF-8 (never expected).
    #[error("could not write CSV: {0}")]
    CsvFinish(String),
    /// Writing a streamed output (JSON to a file) failed.
    #[error("could not write the output: {0}")]
    Io(#[from] std::io::Error),
}

/// Every output format, so the CLI's `--format` of `scan` and `report` and the bundle
/// share one list and one dispatcher. With the `clap` feature the CLI parses it directly
/// and these doc comments are its `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// A table for people: levels, blockers, every criterion with a one-line reason.
    Table,
    /// The versioned scan result (schema evident/scan-result/v2) for scripts.
    Json,
    /// One self-contained HTML page for auditors (prints to PDF).
    Html,
    /// A compact summary for a pull-request comment or CI step summary.
    Markdown,
    /// One row per service and criterion, for spreadsheets.
    Csv,
    /// SARIF 2.1.0 for code scanning (one result per criterion not met).
    Sarif,
    /// OSCAL 1.0.6 assessment results (JSON).
    Oscal,
}

/// Renders `result` in `format`; `table` only matters for [`Format::Table`].
pub fn render(
    result: &ScanResult,
    format: Format,
    table: TableOptions,
) -> Result<String, RenderError> {
    match format {
        Format::Table => Ok(render_table(result, table)),
        Format::Json => render_json(result),
        Format::Html => render_html(result),
        Format::Markdown => Ok(render_markdown(result)),
        Format::Csv => render_csv(result),
        Format::Sarif => render_sarif(result),
        Format::Oscal => render_oscal(result),
    }
}

/// The scan result as JSON with a trailing newline: the versioned document scripts
/// parse. Indented for people up to [`JSON_PRETTY_UP_TO`] verdicts, compact beyond
/// (indentation adds a third to an estate's document).
pub fn render_json(result: &ScanResult) -> Result<String, RenderError> {
    let mut out = Vec::new();
    write_json(result, &mut out)?;
    // serde_json writes only UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Writes what [`render_json`] returns to `out` without building it in memory first:
/// an estate's result is hundreds of megabytes.
pub fn write_json(result: &ScanResult, mut out: impl std::io::Write) -> Result<(), RenderError> {
    if result.results.len() <= JSON_PRETTY_UP_TO {
        serde_json::to_writer_pretty(&mut out, result)?;
    } else {
        serde_json::to_writer(&mut out, result)?;
    }
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Verdict count up to which the JSON result is indented (the OSCAL document's bound).
pub const JSON_PRETTY_UP_TO: usize = oscal::PRETTY_UP_TO;
