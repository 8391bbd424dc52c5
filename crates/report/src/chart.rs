//! The levels chart at the top of the HTML report: attained level per service and
//! leveled model, as inline SVG (no script, no external file), so an auditor sees the
//! estate at a glance before reading any verdict.
//!
//! One panel per leveled model, one horizontal bar per service: its length is the
//! attained level, and a dashed box marks a next level that only `unknown` verdicts
//! block (it may already be attained; evident could not see). Profiles have no levels
//! and are left out; the panel says so. A panel shows at most [`MAX_ROWS`] services.

use crate::html::escape_html;
use evident_core::{LevelReport, ScanResult};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Services shown per model panel; the rest are counted in a line below it.
pub const MAX_ROWS: usize = 60;

const LABEL_W: u32 = 200;
const PLOT_W: u32 = 640;
const ROW_H: u32 = 20;
const TOP: u32 = 34;

/// One model's bars.
struct Panel<'a> {
    model: &'a str,
    /// Level number to name, from the reports' shares and attained names.
    names: BTreeMap<u8, &'a str>,
    rows: Vec<&'a LevelReport>,
}

fn panels(result: &ScanResult) -> Vec<Panel<'_>> {
    let mut by_model: BTreeMap<&str, Panel<'_>> = BTreeMap::new();
    for r in &result.levels {
        let Some(attained) = r.attained else { continue };
        let panel = by_model.entry(r.model.as_str()).or_insert_with(|| Panel {
            model: &r.model,
            names: BTreeMap::new(),
            rows: Vec::new(),
        });
        if let Some(name) = r.attained_name.as_deref() {
            panel.names.entry(attained).or_insert(name);
        }
        for s in &r.shares {
            if let Some(l) = s.level {
                panel.names.entry(l).or_insert(s.name.as_str());
            }
        }
        panel.rows.push(r);
    }
    by_model.into_values().collect()
}

/// The chart as an `<svg>` element, or `None` when no model of the scan has levels.
pub fn levels_svg(result: &ScanResult) -> Option<String> {
    let panels = panels(result);
    if panels.is_empty() {
        return None;
    }
    let mut body = String::new();
    let mut y = 0;
    for panel in &panels {
        y = draw_panel(panel, y, &mut body);
    }
    let width = LABEL_W + PLOT_W + 120;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"levels-chart\" role=\"img\" viewBox=\"0 0 {width} {y}\" width=\"{width}\" height=\"{y}\" font-family=\"system-ui, sans-serif\" font-size=\"12\"><title>Attained level per service and model</title>{body}</svg>"
    ))
}

/// Draws one panel from `y` down; returns where the next one starts.
fn draw_panel(panel: &Panel<'_>, y: u32, out: &mut String) -> u32 {
    let max = panel.names.keys().copied().max().unwrap_or(1).max(1);
    let min = panel.names.keys().copied().min().unwrap_or(0).min(1);
    let unit = PLOT_W / u32::from(max);
    let x0 = LABEL_W;
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{}\" font-weight=\"600\" font-size=\"14\">{}</text>",
        y + 16,
        escape_html(panel.model)
    );
    // Level ticks with their names, and a grid line per level.
    for (&level, name) in panel.names.range(min.max(1)..) {
        let x = x0 + u32::from(level) * unit;
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#d0d7de\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#57606a\">L{level} {}</text>",
            y + TOP - 6,
            y + TOP + ROW_H * panel.rows.len().min(MAX_ROWS) as u32,
            x.saturating_sub(3),
            y + TOP - 10,
            escape_html(name)
        );
    }
    let mut row_y = y + TOP;
    for r in panel.rows.iter().take(MAX_ROWS) {
        let attained = r.attained.unwrap_or(0);
        let w = u32::from(attained) * unit;
        let label = format!(
            "{}: L{attained} {}{}",
            r.service,
            r.attained_name.as_deref().unwrap_or_default(),
            if r.next_undetermined {
                "; next level undetermined"
            } else {
                ""
            }
        );
        let _ = write!(
            out,
            "<g><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{x0}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#1a7f37\"/>",
            escape_html(&label),
            LABEL_W - 8,
            row_y + 14,
            escape_html(&shorten(&r.service)),
            row_y + 3,
            ROW_H - 6,
        );
        if r.next_undetermined && attained < max {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{unit}\" height=\"{}\" fill=\"none\" stroke=\"#9a6700\" stroke-dasharray=\"4 3\"/>",
                x0 + w,
                row_y + 3,
                ROW_H - 6
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"#1f2328\">L{attained} {}</text></g>",
            x0 + w + if r.next_undetermined { unit + 4 } else { 4 },
            row_y + 14,
            escape_html(r.attained_name.as_deref().unwrap_or_default())
        );
        row_y += ROW_H;
    }
    if panel.rows.len() > MAX_ROWS {
        let _ = write!(
            out,
            "<text x=\"{x0}\" y=\"{}\" fill=\"#57606a\">… and {} more services (see the summary table)</text>",
            row_y + 14,
            panel.rows.len() - MAX_ROWS
        );
        row_y += ROW_H;
    }
    row_y + 14
}

/// A service id short enough for the label column; the full id is in the bar's title.
fn shorten(id: &str) -> String {
    const MAX: usize = 28;
    if id.chars().count() <= MAX {
        return id.to_owned();
    }
    let head: String = id.chars().take(MAX - 1).collect();
    format!("{head}…")
}
