//! SARIF 2.1.0: one rule per criterion and one result per `not_met` verdict, so code
//! scanning tools show maturity gaps beside the files that prove them.
//!
//! Kept within GitHub code scanning's published limits: at most
//! [`SARIF_MAX_RESULTS`] results per run (the rest are counted in a tool notification,
//! never dropped silently), at most [`MAX_LOCATIONS`] locations per result, and message
//! texts cut to [`MAX_MESSAGE`] characters. Fingerprints hash what identifies a gap
//! (criterion, service, file), not line numbers or wording, so a gap keeps its identity
//! across scans while the file around it changes.

use crate::RenderError;
use crate::view::{results_by_service, truncate_chars};
use evident_core::{Evidence, ScanResult, Status};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// GitHub code scanning's limit of results per run.
pub const SARIF_MAX_RESULTS: usize = 25_000;
/// GitHub displays at most ten locations per result.
pub const MAX_LOCATIONS: usize = 10;
/// Longest message text written, in characters.
pub const MAX_MESSAGE: usize = 1_000;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update(p.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn location(e: &Evidence) -> Option<Value> {
    let l = e.location.as_ref()?;
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": l.path },
            "region": { "startLine": l.start_line.max(1), "endLine": l.end_line.max(l.start_line).max(1) }
        },
        "message": { "text": truncate_chars(&e.locator, MAX_MESSAGE) }
    }))
}

/// Renders the SARIF log (pretty JSON, trailing newline).
pub fn render_sarif(result: &ScanResult) -> Result<String, RenderError> {
    let rule_ids: Vec<&String> = result.criteria.keys().collect();
    let rules: Vec<Value> = result
        .criteria
        .iter()
        .map(|(id, c)| {
            let mut props = json!({
                "model": c.model,
                "dimension": c.dimension,
                "scope": c.scope,
                "observability": c.observability,
                "tags": ["maturity", c.model],
            });
            if let Some(level) = c.level {
                props["level"] = json!(level);
            }
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": truncate_chars(&c.title, MAX_MESSAGE) },
                "fullDescription": { "text": truncate_chars(&format!("Met when: {}", c.met_when), MAX_MESSAGE) },
                "help": {
                    "text": truncate_chars(&c.remediation, MAX_MESSAGE),
                    "markdown": truncate_chars(&crate::markdown::md_text(&c.remediation), MAX_MESSAGE)
                },
                "defaultConfiguration": { "level": "warning" },
                "properties": props
            })
        })
        .collect();

    let by_service = results_by_service(result);
    let mut results = Vec::new();
    let mut omitted = 0usize;
    for service in &result.services {
        let Some(rows) = by_service.get(service.id.as_str()) else {
            continue;
        };
        for r in rows.iter().filter(|r| r.status == Status::NotMet) {
            if results.len() >= SARIF_MAX_RESULTS {
                omitted += 1;
                continue;
            }
            let cited: Vec<&Evidence> = r
                .evidence
                .iter()
                .filter_map(|id| result.evidence.get(id))
                .collect();
            let mut locations: Vec<Value> = cited.iter().filter_map(|e| location(e)).collect();
            if locations.is_empty() {
                // Code scanning shows only results with a location: fall back to where
                // the service itself was found.
                locations = service
                    .found_in
                    .iter()
                    .filter_map(|id| result.evidence.get(id))
                    .filter_map(location)
                    .collect();
            }
            locations.truncate(MAX_LOCATIONS);
            let primary = cited
                .iter()
                .find_map(|e| e.location.as_ref().map(|l| l.path.as_str()))
                .unwrap_or("");
            let mut message = format!("{}: {}", service.id, r.summary);
            if !r.missing.is_empty() {
                message.push_str(" Missing: ");
                message.push_str(&r.missing.join("; "));
            }
            let mut entry = json!({
                "ruleId": r.criterion,
                "level": "warning",
                "kind": "fail",
                "message": { "text": truncate_chars(&message, MAX_MESSAGE) },
                "partialFingerprints": {
                    "evidentFinding/v1": fingerprint(&[&r.criterion, &service.id, primary])
                },
                "properties": {
                    "service": service.id,
                    "model": r.model,
                    "evidence": r.evidence,
                }
            });
            if let Some(index) = rule_ids.iter().position(|id| **id == r.criterion) {
                entry["ruleIndex"] = json!(index);
            }
            if !locations.is_empty() {
                entry["locations"] = Value::Array(locations);
            }
            results.push(entry);
        }
    }
    let mut notifications = Vec::new();
    if omitted > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{omitted} not-met verdict(s) were left out to stay within code scanning's limit of {SARIF_MAX_RESULTS} results per run; the JSON or HTML report has them all"
            ) }
        }));
    }
    let mut invocation = json!({
        "executionSuccessful": true,
        "startTimeUtc": result.scan.started_at,
        "endTimeUtc": result.scan.finished_at,
    });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": result.scan.tool.name,
                "version": result.scan.tool.version,
                "semanticVersion": result.scan.tool.version,
                "rules": rules
            }},
            "automationDetails": { "id": "evident/" },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "scanId": result.scan.id,
                "targets": result.scan.targets,
            }
        }]
    });
    let mut out = serde_json::to_string_pretty(&log)?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["a"]).len(), 32);
    }
}
