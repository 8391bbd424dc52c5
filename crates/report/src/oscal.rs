//! OSCAL 1.0.6 assessment results (JSON), for GRC tools that import NIST's format.
//!
//! Mapping: each service is a `component` (the assessment subject); each verdict is an
//! `observation` of that component (a team or estate finding is one observation whose
//! subjects are every service it covers), collected automatically by the tool component
//! (method `EXAMINE`: evident examines configuration and API state), with every cited evidence
//! record as `relevant-evidence` pointing at a back-matter resource that carries its
//! provenance, digest and raw excerpt; each criterion is a `finding` whose target
//! status is `satisfied` only when no service fails or is undetermined for it.
//!
//! UUIDs are version 5, derived from the scan id and the item's identity, so the same
//! scan renders byte-identical OSCAL (stable snapshots, diffable exports) while two
//! scans never share ids.

use crate::RenderError;
use crate::view::results_by_service;
use evident_core::{CriterionResult, ScanResult, SharedScope, SourceStatus, Status};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// The OSCAL version this output follows (the schema in `../shared/schemas`).
pub const OSCAL_VERSION: &str = "1.0.6";
/// Namespace of evident's own OSCAL properties.
const NS: &str = "https://evident.invalid/ns/oscal";

struct Ids {
    ns: Uuid,
}

impl Ids {
    fn new(scan_id: &str) -> Self {
        Ids {
            ns: Uuid::new_v5(
                &Uuid::NAMESPACE_URL,
                format!("urn:evident:scan:{scan_id}").as_bytes(),
            ),
        }
    }
    fn of(&self, name: &str) -> String {
        Uuid::new_v5(&self.ns, name.as_bytes()).to_string()
    }
}

/// A value OSCAL's StringDatatype accepts: one line, no surrounding blanks, not empty.
fn one_line(value: &str) -> Option<String> {
    let flat = value.split_whitespace().collect::<Vec<_>>().join(" ");
    (!flat.is_empty()).then_some(flat)
}

/// A value OSCAL's TokenDatatype (an XML NCName) accepts.
fn token(value: &str) -> String {
    let mut out: String = value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.chars().next().is_some_and(char::is_alphabetic) {
        out.insert(0, '_');
    }
    out
}

fn prop(name: &str, value: &str) -> Option<Value> {
    one_line(value).map(|v| json!({ "name": name, "ns": NS, "value": v }))
}

/// Percent-encodes a relative path into a URI reference.
fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn finding_status(rows: &[&CriterionResult]) -> (&'static str, &'static str, String) {
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let (not_met, unknown, manual) = (
        count(Status::NotMet),
        count(Status::Unknown),
        count(Status::Manual),
    );
    if not_met > 0 {
        (
            "not-satisfied",
            "fail",
            format!("{not_met} service(s) have evidence that the criterion is not met."),
        )
    } else if unknown + manual > 0 {
        (
            "not-satisfied",
            "other",
            format!(
                "Not shown to be satisfied: {unknown} service(s) could not be judged (a source was missing or did not answer) and {manual} need a manual assessment; no evidence says it is not met."
            ),
        )
    } else {
        (
            "satisfied",
            "pass",
            "Every service meets it, is attested or is out of scope.".to_owned(),
        )
    }
}

/// What an observation reports: a service's verdict or a shared finding.
struct Verdict<'a> {
    status: Status,
    reason: Option<&'a str>,
    summary: &'a str,
    missing: &'a [String],
    evidence: &'a [String],
}

/// One observation of `subjects` (component uuids), citing the verdict's evidence.
fn observation<'r>(
    result: &'r ScanResult,
    evidence_uuid: &std::collections::HashMap<&str, String>,
    uuid: String,
    title: String,
    v: &Verdict<'_>,
    subjects: Vec<String>,
) -> Observation<'r> {
    let cited: Vec<_> = v
        .evidence
        .iter()
        .filter_map(|id| result.evidence.get(id))
        .collect();
    let collected = cited
        .iter()
        .map(|e| e.observed_at.as_str())
        .max()
        .unwrap_or(result.scan.finished_at.as_str());
    let mut description = v.summary.to_owned();
    if !v.missing.is_empty() {
        description.push_str(&format!(" Missing: {}.", v.missing.join("; ")));
    }
    // Kept to what the title and subject do not say: a 1,000-service estate has
    // 72,000 observations.
    let props: Vec<Prop> = [
        typed_prop("status", v.status.as_str()),
        v.reason.and_then(|x| typed_prop("reason", x)),
    ]
    .into_iter()
    .flatten()
    .collect();
    Observation {
        uuid,
        title,
        description,
        props,
        methods: ["EXAMINE"],
        subjects: subjects
            .into_iter()
            .map(|subject_uuid| Subject {
                subject_uuid,
                kind: "component",
            })
            .collect(),
        collected,
        relevant_evidence: cited
            .iter()
            .map(|e| Relevant {
                href: format!(
                    "#{}",
                    evidence_uuid
                        .get(e.id.as_str())
                        .cloned()
                        .unwrap_or_default()
                ),
                description: format!("{} ({})", e.locator, e.source),
                props: e
                    .sha256
                    .as_deref()
                    .and_then(|s| typed_prop("sha256", s))
                    .into_iter()
                    .collect(),
            })
            .collect(),
    }
}

/// Renders the assessment results (pretty JSON, trailing newline).
pub fn render_oscal(result: &ScanResult) -> Result<String, RenderError> {
    let ids = Ids::new(&result.scan.id);
    let tool_uuid = ids.of("component:tool");
    let plan_uuid = ids.of("resource:method");

    let mut components = vec![json!({
        "uuid": tool_uuid,
        "type": "software",
        "title": format!("{} {}", result.scan.tool.name, result.scan.tool.version),
        "description": "The tool that collected the evidence and judged the criteria automatically.",
        "status": { "state": "operational" }
    })];
    for s in &result.services {
        let mut description = format!("Service {}", s.id);
        match &s.team {
            Some(team) => description.push_str(&format!(", owned by {team}")),
            None => description.push_str(", no owning team resolved"),
        }
        description.push_str(&format!("; recognised from {}.", s.resolved_from));
        let mut c = json!({
            "uuid": ids.of(&format!("component:service:{}", s.id)),
            "type": "service",
            "title": s.id,
            "description": description,
            "status": { "state": "operational" }
        });
        let props: Vec<Value> = [
            prop("service", &s.id),
            s.team.as_deref().and_then(|t| prop("team", t)),
            s.team_source
                .as_deref()
                .and_then(|t| prop("team-source", t)),
        ]
        .into_iter()
        .flatten()
        .collect();
        c["props"] = Value::Array(props);
        components.push(c);
    }

    // Evidence: one back-matter resource per record, cited by uuid.
    let mut resources = vec![json!({
        "uuid": plan_uuid,
        "title": "Assessment method: evident models and rules",
        "description": format!(
            "No separate assessment plan: evident {} collected evidence automatically from the targets ({}) and judged {} criteria with its built-in Rego rules{}. Manual criteria count only when a committed attestation names who, when and why.",
            result.scan.tool.version,
            result.scan.targets.join(", "),
            result.criteria.len(),
            if result.scan.policies.is_empty() { String::new() } else { format!(" and the policies in {}", result.scan.policies.join(", ")) }
        ),
    })];
    let mut evidence_uuid = std::collections::HashMap::new();
    for (id, e) in &result.evidence {
        let uuid = ids.of(&format!("evidence:{id}"));
        evidence_uuid.insert(id.as_str(), uuid.clone());
        let mut r = json!({
            "uuid": uuid,
            "title": e.locator,
            "description": format!(
                "Collected by the {} probe from {} at {}{}.",
                e.probe,
                e.source,
                e.observed_at,
                e.revision.as_deref().map(|r| format!(", revision {r}")).unwrap_or_default()
            ),
        });
        let props: Vec<Value> = [
            prop("evidence-id", id),
            prop("probe", &e.probe),
            prop("source", &e.source),
            prop("locator", &e.locator),
            e.revision.as_deref().and_then(|r| prop("revision", r)),
            prop("observed-at", &e.observed_at),
        ]
        .into_iter()
        .flatten()
        .collect();
        r["props"] = Value::Array(props);
        if let Some(l) = &e.location {
            let mut link = json!({ "href": format!("{}{}", uri_path(&l.path), l.fragment()) });
            if let Some(sha) = &e.sha256 {
                link["hashes"] = json!([{ "algorithm": "SHA-256", "value": sha }]);
            }
            r["rlinks"] = json!([link]);
        }
        if !e.excerpt.is_empty() {
            r["base64"] = json!({
                "filename": "excerpt.txt",
                "media-type": "text/plain",
                "value": base64(e.excerpt.as_bytes())
            });
        }
        resources.push(r);
    }

    // Observations: one per service verdict, and one per team or estate finding (whose
    // subjects are every service it covers) instead of one per covered service.
    let by_service = results_by_service(result);
    let mut observations = Vec::new();
    let mut observation_of = std::collections::HashMap::new();
    let service_uuid = |id: &str| ids.of(&format!("component:service:{id}"));
    for x in &result.results.scoped {
        let uuid = ids.of(&format!("observation:{}:{}", x.model, x.id));
        observation_of
            .entry(x.criterion.as_str())
            .or_insert_with(Vec::new)
            .push(uuid.clone());
        let subject = match x.scope {
            SharedScope::Estate => "the estate".to_owned(),
            SharedScope::Team => format!("team {}", x.subject),
        };
        let verdict = Verdict {
            status: x.status,
            reason: x.reason.as_deref(),
            summary: &x.summary,
            missing: &x.missing,
            evidence: &x.evidence,
        };
        let subjects = x.services.iter().map(|s| service_uuid(s)).collect();
        observations.push(observation(
            result,
            &evidence_uuid,
            uuid,
            format!("{} for {subject}", x.criterion),
            &verdict,
            subjects,
        ));
    }
    for s in &result.services {
        for r in by_service.get(s.id.as_str()).cloned().unwrap_or_default() {
            if r.scoped.is_some() {
                continue;
            }
            let uuid = ids.of(&format!("observation:{}:{}:{}", r.model, r.criterion, s.id));
            observation_of
                .entry(r.criterion.as_str())
                .or_insert_with(Vec::new)
                .push(uuid.clone());
            let verdict = Verdict {
                status: r.status,
                reason: r.reason.as_deref(),
                summary: &r.summary,
                missing: &r.missing,
                evidence: &r.evidence,
            };
            observations.push(observation(
                result,
                &evidence_uuid,
                uuid,
                format!("{} for {}", r.criterion, s.id),
                &verdict,
                vec![service_uuid(&s.id)],
            ));
        }
    }

    // Findings: one per criterion.
    let mut findings = Vec::new();
    let mut by_criterion: std::collections::HashMap<&str, Vec<&CriterionResult>> =
        std::collections::HashMap::new();
    for r in &result.results {
        by_criterion
            .entry(r.criterion.as_str())
            .or_default()
            .push(r);
    }
    for (id, c) in &result.criteria {
        let rows = by_criterion.remove(id.as_str()).unwrap_or_default();
        if rows.is_empty() {
            continue;
        }
        let (state, reason, remarks) = finding_status(&rows);
        let mut props: Vec<Value> = vec![];
        for s in Status::ALL {
            let n = rows.iter().filter(|r| r.status == s).count();
            if n > 0 {
                props.extend(prop(
                    &format!("count-{}", token(s.as_str())),
                    &n.to_string(),
                ));
            }
        }
        props.extend(prop("model", &c.model));
        if let Some(level) = c.level {
            props.extend(prop("level", &level.to_string()));
        }
        props.extend(prop("observability", &c.observability));
        let related: Vec<Value> = observation_of
            .get(id.as_str())
            .map(|v| v.iter().map(|u| json!({ "observation-uuid": u })).collect())
            .unwrap_or_default();
        let mut f = json!({
            "uuid": ids.of(&format!("finding:{id}")),
            "title": c.title,
            "description": format!("Met when: {}", c.met_when),
            "props": props,
            "target": {
                "type": "objective-id",
                "target-id": token(id),
                "title": c.title,
                "status": { "state": state, "reason": reason, "remarks": remarks },
            },
            "remarks": format!("Remediation: {}", c.remediation),
        });
        if !related.is_empty() {
            f["related-observations"] = Value::Array(related);
        }
        findings.push(f);
    }

    let mut result_json = json!({
        "uuid": ids.of("result"),
        "title": format!("evident scan {}", result.scan.id),
        "description": format!(
            "Automated assessment of {} service(s) in {} against {} criteria.",
            result.services.len(),
            result.scan.targets.join(", "),
            result.criteria.len()
        ),
        "start": result.scan.started_at,
        "end": result.scan.finished_at,
        "props": ([prop("scan-id", &result.scan.id), prop("strict", if result.scan.strict { "true" } else { "false" })]
            .into_iter().flatten().collect::<Vec<_>>()),
        "local-definitions": { "components": components },
        "reviewed-controls": { "control-selections": [{
            "description": "The criteria of the maturity models judged in this scan.",
        }] },
    });
    if result.criteria.is_empty() {
        result_json["reviewed-controls"]["control-selections"][0]["include-all"] = json!({});
    } else {
        result_json["reviewed-controls"]["control-selections"][0]["include-controls"] = result
            .criteria
            .keys()
            .map(|id| json!({ "control-id": token(id) }))
            .collect();
    }
    let problems: Vec<String> = result
        .sources
        .iter()
        .filter(|s| s.status != SourceStatus::Ok)
        .map(|s| {
            format!(
                "{} {}: {}{}",
                s.probe,
                s.source,
                s.status,
                s.detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let remarks = (!problems.is_empty()).then(|| {
        format!(
            "Sources that did not answer (criteria needing them are reported as not determined): {}",
            problems.join("; ")
        )
    });

    let doc = Document {
        assessment_results: AssessmentResults {
            uuid: ids.of("assessment-results"),
            metadata: json!({
                "title": format!("evident assessment results: {}", result.scan.targets.join(", ")),
                "last-modified": result.scan.finished_at,
                "version": result.scan.id,
                "oscal-version": OSCAL_VERSION,
                "props": ([prop("tool", &format!("{} {}", result.scan.tool.name, result.scan.tool.version))]
                    .into_iter().flatten().collect::<Vec<_>>()),
            }),
            import_ap: json!({
                "href": format!("#{plan_uuid}"),
                "remarks": "evident has no separate assessment plan; the back-matter resource describes the method."
            }),
            results: [ResultDoc {
                head: result_json,
                observations,
                findings,
                remarks,
            }],
            back_matter: json!({ "resources": resources }),
        },
    };
    // Indentation would add a third to an estate's document: pretty only while small.
    let mut out = if result.results.len() <= PRETTY_UP_TO {
        serde_json::to_string_pretty(&doc)?
    } else {
        serde_json::to_string(&doc)?
    };
    out.push('\n');
    Ok(out)
}

/// The document; typed where it is large (observations), so an estate's tens of
/// thousands of observations serialise without building a JSON tree first.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults<'a>,
}

#[derive(Serialize)]
struct AssessmentResults<'a> {
    uuid: String,
    metadata: Value,
    #[serde(rename = "import-ap")]
    import_ap: Value,
    results: [ResultDoc<'a>; 1],
    #[serde(rename = "back-matter")]
    back_matter: Value,
}

#[derive(Serialize)]
struct ResultDoc<'a> {
    #[serde(flatten)]
    head: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    observations: Vec<Observation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
struct Observation<'a> {
    uuid: String,
    title: String,
    description: String,
    props: Vec<Prop>,
    methods: [&'static str; 1],
    subjects: Vec<Subject>,
    collected: &'a str,
    #[serde(rename = "relevant-evidence", skip_serializing_if = "Vec::is_empty")]
    relevant_evidence: Vec<Relevant>,
}

#[derive(Serialize)]
struct Prop {
    name: &'static str,
    ns: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Subject {
    #[serde(rename = "subject-uuid")]
    subject_uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Relevant {
    href: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
}

fn typed_prop(name: &'static str, value: &str) -> Option<Prop> {
    one_line(value).map(|value| Prop {
        name,
        ns: NS,
        value,
    })
}

/// Verdict count up to which the document is indented for people.
pub const PRETTY_UP_TO: usize = 5_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn tokens_are_ncnames() {
        assert_eq!(token("ds.devops.health-checks"), "ds.devops.health-checks");
        assert_eq!(token("1x y"), "_1x_y");
    }

    #[test]
    fn uuids_are_stable_per_scan_and_differ_between_scans() {
        let a = Ids::new("scan-a");
        assert_eq!(a.of("x"), Ids::new("scan-a").of("x"));
        assert_ne!(a.of("x"), Ids::new("scan-b").of("x"));
    }
}
