//! SARIF 2.1.0: one rule per criterion and one result per `not_met` verdict, so code
//! scanning tools show maturity gaps beside the files that prove them. A team or estate
//! finding is one result (not one per service it covers): its rows in the scan result
//! are parts of that one finding.
//!
//! Kept within GitHub code scanning's published limits: at most
//! [`SARIF_MAX_RESULTS`] results per run (the rest are counted in a tool notification,
//! never dropped silently), at most [`MAX_LOCATIONS`] locations per result, and message
//! texts cut to [`MAX_MESSAGE`] characters. Fingerprints hash what identifies a gap
//! (criterion, service, file), not line numbers or wording, so a gap keeps its identity
//! across scans while the file around it changes.

use crate::RenderError;
use crate::view::{results_by_service, truncate_chars};
use evident_core::{Evidence, ScanResult, SharedScope, Status};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

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

/// The declaration a `missing[]` entry is about (`k8s/web.yaml#L1-L80: <text>`, as
/// docs/facts.md gives the format), as a SARIF location: code scanning then points at
/// the failing copy, not at every declaration the verdict cites. Entries without a file
/// location (a live object's evidence id, a missing source) give none.
fn missing_location(entry: &str) -> Option<Value> {
    let (at, text) = entry.split_once(": ")?;
    let (path, range) = at.rsplit_once("#L")?;
    if path.is_empty() || path.contains(':') {
        return None;
    }
    let (start, end) = match range.split_once("-L") {
        Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
        None => {
            let line = range.parse::<u32>().ok()?;
            (line, line)
        }
    };
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": path },
            "region": { "startLine": start.max(1), "endLine": end.max(start).max(1) }
        },
        "message": { "text": truncate_chars(text, MAX_MESSAGE) }
    }))
}

/// How many service ids a shared finding lists in its properties (the JSON result has
/// them all).
const MAX_SERVICES_LISTED: usize = 100;

/// One SARIF result before it is written: a service's not-met verdict, or a team or
/// estate finding.
struct Finding<'a> {
    criterion: &'a str,
    model: &'a str,
    /// What the message starts with: the service id, `estate` or `team <id>`.
    subject: String,
    /// What identifies the gap besides criterion and file: the service id, or the
    /// shared finding's id.
    identity: &'a str,
    summary: &'a str,
    missing: &'a [String],
    evidence: &'a [String],
    /// Where the subject was found, for when the evidence has no file location.
    found_in: Vec<&'a str>,
    properties: Value,
}

/// The not-met rows that are the service's own (not part of a shared finding), in
/// service then report order.
fn service_results(result: &ScanResult) -> impl Iterator<Item = Finding<'_>> {
    let by_service = results_by_service(result);
    result.services.iter().flat_map(move |service| {
        by_service
            .get(service.id.as_str())
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.status == Status::NotMet && r.scoped.is_none())
            .map(move |r| Finding {
                criterion: &r.criterion,
                model: &r.model,
                subject: service.id.clone(),
                identity: &service.id,
                summary: &r.summary,
                missing: &r.missing,
                evidence: &r.evidence,
                found_in: service.found_in.iter().map(String::as_str).collect(),
                properties: json!({ "service": service.id }),
            })
    })
}

/// One result per team or estate finding that is not met.
fn shared_results(result: &ScanResult) -> impl Iterator<Item = Finding<'_>> {
    let found_in: HashMap<&str, &[String]> = result
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.found_in.as_slice()))
        .collect();
    result
        .results
        .scoped
        .iter()
        .filter(|x| x.status == Status::NotMet)
        .map(move |x| Finding {
            criterion: &x.criterion,
            model: &x.model,
            subject: match x.scope {
                SharedScope::Estate => "estate".to_owned(),
                SharedScope::Team => format!("team {}", x.subject),
            },
            identity: &x.id,
            summary: &x.summary,
            missing: &x.missing,
            evidence: &x.evidence,
            found_in: x
                .services
                .iter()
                .take(MAX_LOCATIONS)
                .filter_map(|s| found_in.get(s.as_str()))
                .flat_map(|ids| ids.iter().map(String::as_str))
                .collect(),
            properties: json!({
                "scope": x.scope.as_str(),
                "subject": x.subject,
                "sharedFinding": x.id,
                "serviceCount": x.services.len(),
                "services": x.services.iter().take(MAX_SERVICES_LISTED).collect::<Vec<_>>(),
            }),
        })
}

impl Finding<'_> {
    fn into_json(self, result: &ScanResult, rule_index: &HashMap<&str, usize>) -> Value {
        let cited: Vec<&Evidence> = self
            .evidence
            .iter()
            .filter_map(|id| result.evidence.get(id))
            .collect();
        // The failing declarations first; the cited evidence when no entry names one.
        let mut locations: Vec<Value> = self
            .missing
            .iter()
            .filter_map(|m| missing_location(m))
            .collect();
        if locations.is_empty() {
            locations = cited.iter().filter_map(|e| location(e)).collect();
        }
        if locations.is_empty() {
            // Code scanning shows only results with a location: fall back to where the
            // subject itself was found.
            locations = self
                .found_in
                .iter()
                .filter_map(|id| result.evidence.get(*id))
                .filter_map(location)
                .collect();
        }
        locations.truncate(MAX_LOCATIONS);
        let primary = locations
            .first()
            .and_then(|l| l.pointer("/physicalLocation/artifactLocation/uri"))
            .and_then(Value::as_str)
            .or_else(|| {
                cited
                    .iter()
                    .find_map(|e| e.location.as_ref().map(|l| l.path.as_str()))
            })
            .unwrap_or("")
            .to_owned();
        let mut message = format!("{}: {}", self.subject, self.summary);
        if !self.missing.is_empty() {
            message.push_str(" Missing: ");
            // Cut before joining: an estate finding can miss something for every service.
            let shown = self.missing.len().min(MAX_LOCATIONS * 5);
            message.push_str(&self.missing[..shown].join("; "));
            if shown < self.missing.len() {
                message.push_str(&format!("; and {} more", self.missing.len() - shown));
            }
        }
        let mut properties = self.properties;
        properties["model"] = json!(self.model);
        properties["evidence"] = json!(self.evidence);
        let mut entry = json!({
            "ruleId": self.criterion,
            "level": "warning",
            "kind": "fail",
            "message": { "text": truncate_chars(&message, MAX_MESSAGE) },
            "partialFingerprints": {
                "evidentFinding/v1": fingerprint(&[self.criterion, self.identity, &primary])
            },
            "properties": properties
        });
        if let Some(index) = rule_index.get(self.criterion) {
            entry["ruleIndex"] = json!(index);
        }
        if !locations.is_empty() {
            entry["locations"] = Value::Array(locations);
        }
        entry
    }
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

    let rule_index: HashMap<&str, usize> = rule_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut results = Vec::new();
    let mut omitted = 0usize;
    for entry in shared_results(result).chain(service_results(result)) {
        if results.len() >= SARIF_MAX_RESULTS {
            omitted += 1;
            continue;
        }
        results.push(entry.into_json(result, &rule_index));
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
mod missing_location_tests {
    use super::*;

    #[test]
    fn a_located_missing_entry_points_at_its_declaration_and_others_at_nothing() {
        let l = missing_location("k8s/web.yaml#L3-L40: web container app has no readiness probe")
            .expect("located");
        assert_eq!(
            l["physicalLocation"]["artifactLocation"]["uri"],
            "k8s/web.yaml"
        );
        assert_eq!(l["physicalLocation"]["region"]["startLine"], 3);
        assert_eq!(l["physicalLocation"]["region"]["endLine"], 40);
        assert!(missing_location("k8s:prod:Deployment/shop/web@4711: no probe").is_none());
        assert!(missing_location("kubernetes").is_none());
    }
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
