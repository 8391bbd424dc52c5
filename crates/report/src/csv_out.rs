//! CSV: one row per service × criterion, for spreadsheets. A row that is part of a team
//! or estate finding names it in `shared_finding` (the finding's id in the JSON result)
//! and carries only the service's part, so the file stays linear in the estate.
//!
//! Spreadsheets execute cells that start with `=`, `+`, `-`, `@` (and tab or carriage
//! return), so every cell taken from a scanned system that starts with one of them is
//! prefixed with a single quote: the value shows as text and nothing is evaluated.

use crate::RenderError;
use crate::view::results_by_service;
use evident_core::ScanResult;

const HEADER: [&str; 15] = [
    "service",
    "team",
    "model",
    "criterion",
    "title",
    "level",
    "dimension",
    "status",
    "reason",
    "summary",
    "missing",
    "evidence",
    "locations",
    "scan_id",
    "shared_finding",
];

/// Neutralises spreadsheet formulas: a cell starting with a formula trigger gets a
/// leading `'`.
pub(crate) fn guard_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// Renders the CSV (RFC 4180 quoting, `\n` line ends, a header row).
pub fn render_csv(result: &ScanResult) -> Result<String, RenderError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    let by_service = results_by_service(result);
    for service in &result.services {
        let Some(rows) = by_service.get(service.id.as_str()) else {
            continue;
        };
        for r in rows {
            let info = result.criteria.get(&r.criterion);
            let locations: Vec<String> = r
                .evidence
                .iter()
                .filter_map(|id| result.evidence.get(id))
                .map(|e| match &e.location {
                    Some(l) => format!("{}{}", l.path, l.fragment()),
                    None => e.locator.clone(),
                })
                .collect();
            let record = [
                service.id.clone(),
                service.team.clone().unwrap_or_default(),
                r.model.clone(),
                r.criterion.clone(),
                info.map(|c| c.title.clone()).unwrap_or_default(),
                info.and_then(|c| c.level)
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
                info.map(|c| c.dimension.clone()).unwrap_or_default(),
                r.status.as_str().to_owned(),
                r.reason.clone().unwrap_or_default(),
                r.summary.clone(),
                r.missing.join("; "),
                r.evidence.join("; "),
                locations.join("; "),
                result.scan.id.clone(),
                r.scoped.clone().unwrap_or_default(),
            ];
            writer.write_record(record.iter().map(|c| guard_cell(c)))?;
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| RenderError::CsvFinish(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| RenderError::CsvFinish(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::guard_cell;

    #[test]
    fn formula_triggers_are_quoted() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(guard_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(guard_cell("cart"), "cart");
        assert_eq!(guard_cell(""), "");
    }
}
