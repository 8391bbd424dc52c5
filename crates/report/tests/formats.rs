//! Every format rendered from one fixture result that covers every status, checked
//! against snapshots and, for SARIF and OSCAL, against the published schemas.

use evident_core::ScanResult;
use evident_report::{
    Format, TableOptions, render, render_csv, render_html, render_json, render_markdown,
    render_oscal, render_sarif,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

const XSS: &str = "<img src=x onerror=alert(1)>";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> ScanResult {
    let path = root().join("fixtures/scan-results/all-statuses.json");
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture is a scan result")
}

fn schema_errors(schema_file: &Path, doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schema_file)
            .unwrap_or_else(|e| panic!("{}: {e}", schema_file.display())),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(20)
        .collect()
}

#[test]
fn fixture_matches_the_scan_result_schema_and_covers_every_status() {
    let result = fixture();
    let doc = serde_json::to_value(&result).expect("json");
    let errors = schema_errors(&root().join("schemas/scan-result.v2.json"), &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    for status in evident_core::Status::ALL {
        assert!(
            result.results.iter().any(|r| r.status == status),
            "fixture lacks {status}"
        );
    }
}

#[test]
fn json_round_trips() {
    let result = fixture();
    let json = render_json(&result).expect("json");
    let back: ScanResult = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, result);
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("html", render_html(&fixture()).expect("html"));
}

#[test]
fn html_escapes_scanned_values_and_loads_nothing() {
    let html = render_html(&fixture()).expect("html");
    assert!(!html.contains(XSS), "raw scanned markup reached the page");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<script"), "the page must run no script");
    for external in ["src=\"http", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(external), "external resource: {external}");
    }
    for section in [
        "id=\"cover\"",
        "id=\"sources\"",
        "id=\"summary\"",
        "id=\"services\"",
        "id=\"criteria\"",
        "id=\"unknowns\"",
        "id=\"manual\"",
        "id=\"evidence\"",
    ] {
        assert!(html.contains(section), "missing section {section}");
    }
    // Attested: who, when and why are on the page.
    assert!(html.contains("attested by Jane Doe &lt;jane@example.com&gt; on 2026-09-01"));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", render_markdown(&fixture()));
}

#[test]
fn markdown_escapes_scanned_values() {
    let md = render_markdown(&fixture());
    assert!(!md.contains('<'), "no raw HTML in the summary");
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let cells = line.matches(" | ").count();
        let header = md
            .lines()
            .find(|h| h.starts_with("| service | criterion"))
            .map(|h| h.matches(" | ").count());
        if line.contains("=HYPERLINK") {
            assert_eq!(Some(cells), header, "a scanned pipe split a row: {line}");
        }
    }
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!("csv", render_csv(&fixture()).expect("csv"));
}

#[test]
fn csv_has_one_row_per_verdict_and_no_formula() {
    let result = fixture();
    let text = render_csv(&result).expect("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), result.results.len());
    for row in &rows {
        for cell in row {
            assert!(
                !matches!(cell.chars().next(), Some('=' | '+' | '-' | '@')),
                "formula cell {cell:?}"
            );
        }
    }
}

#[test]
fn sarif_snapshot_and_schema() {
    let text = render_sarif(&fixture()).expect("sarif");
    insta::assert_snapshot!("sarif", text);
    let doc: Value = serde_json::from_str(&text).expect("json");
    let errors = schema_errors(
        &root().join("../shared/schemas/sarif-schema-2.1.0.json"),
        &doc,
    );
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");
    let run = &doc["runs"][0];
    let results = run["results"].as_array().expect("results");
    // One result per not_met verdict, each with a location and a fingerprint.
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(r["partialFingerprints"]["evidentFinding/v1"].is_string());
    }
    // One rule per criterion.
    assert_eq!(
        run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .len(),
        fixture().criteria.len()
    );
}

#[test]
fn sarif_fingerprints_ignore_wording_and_lines() {
    let a = fixture();
    let mut b = a.clone();
    for r in &mut b.results {
        r.summary.push_str(" (reworded)");
    }
    for e in b.evidence.values_mut() {
        if let Some(l) = &mut e.location {
            l.start_line += 3;
            l.end_line += 3;
        }
    }
    let prints = |r: &ScanResult| -> Vec<Value> {
        let doc: Value = serde_json::from_str(&render_sarif(r).expect("sarif")).expect("json");
        doc["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|x| x["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(prints(&a), prints(&b));
}

#[test]
fn oscal_snapshot_and_schema() {
    let text = render_oscal(&fixture()).expect("oscal");
    insta::assert_snapshot!("oscal", text);
    let doc: Value = serde_json::from_str(&text).expect("json");
    let errors = schema_errors(
        &root().join("../shared/schemas/oscal_assessment-results_schema-1.0.6.json"),
        &doc,
    );
    assert!(errors.is_empty(), "OSCAL invalid: {errors:#?}");
    let result = &doc["assessment-results"]["results"][0];
    let findings = result["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), fixture().criteria.len());
    let state = |id: &str| {
        findings
            .iter()
            .find(|f| f["target"]["target-id"] == id)
            .map(|f| f["target"]["status"]["state"].clone())
    };
    assert_eq!(state("ds.process.ci-all"), Some("not-satisfied".into()));
    assert_eq!(
        state("ds.devops.zero-downtime"),
        Some("not-satisfied".into())
    );
    assert_eq!(state("ds.arch.idempotency"), Some("not-satisfied".into()));
    let observations = result["observations"].as_array().expect("observations");
    assert_eq!(observations.len(), fixture().results.len());
    assert!(observations.iter().all(|o| o["methods"][0] == "EXAMINE"));
    // Same scan, same bytes: UUIDs derive from the scan id.
    assert_eq!(text, render_oscal(&fixture()).expect("oscal"));
}

#[test]
fn the_schema_checks_would_catch_a_broken_document() {
    // Guards the two tests above: the validators reject what they must.
    let mut sarif: Value =
        serde_json::from_str(&render_sarif(&fixture()).expect("sarif")).expect("json");
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    let errors = schema_errors(
        &root().join("../shared/schemas/sarif-schema-2.1.0.json"),
        &sarif,
    );
    assert!(!errors.is_empty());
    let mut oscal: Value =
        serde_json::from_str(&render_oscal(&fixture()).expect("oscal")).expect("json");
    oscal["assessment-results"]["results"][0]["observations"][0]["uuid"] = "not-a-uuid".into();
    oscal["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        "maybe".into();
    let errors = schema_errors(
        &root().join("../shared/schemas/oscal_assessment-results_schema-1.0.6.json"),
        &oscal,
    );
    assert!(errors.len() >= 2, "{errors:#?}");
}

#[test]
fn table_and_dispatch_render_every_format() {
    let result = fixture();
    for format in [
        Format::Table,
        Format::Json,
        Format::Html,
        Format::Markdown,
        Format::Csv,
        Format::Sarif,
        Format::Oscal,
    ] {
        let out = render(&result, format, TableOptions::default()).expect("render");
        assert!(!out.is_empty(), "{format:?}");
    }
}

#[test]
fn html_collapses_and_condenses_many_services() {
    let base = fixture();
    let mut many = base.clone();
    many.services.clear();
    many.results.clear();
    many.levels.clear();
    for n in 0..25 {
        for s in &base.services {
            let mut s = s.clone();
            let old = s.id.clone();
            s.id = format!("{old}-{n:02}");
            for r in base.results.iter().filter(|r| r.service == old) {
                let mut r = r.clone();
                r.service = s.id.clone();
                many.results.push(r);
            }
            many.services.push(s);
        }
    }
    let html = render_html(&many).expect("html");
    assert!(!html.contains("<details class=\"service\" id=\"s-0\" open"));
    assert!(html.contains("<details class=\"service\" id=\"s-0\">"));
    // Unknown verdicts are grouped by reason instead of one row each.
    assert!(html.contains("unknown (not_configured)</span>"));
    assert!(!html.contains(XSS));
    let small = render_html(&base).expect("html");
    assert!(small.contains("<details class=\"service\" id=\"s-0\" open>"));
}

/// A result saved by the version 1 scanner: 6 services, the estate finding of
/// ds.org.conways-law copied onto every row. Read, it is upgraded to shared entries.
fn v1_estate() -> ScanResult {
    let path = root().join("fixtures/scan-results/v1-estate.json");
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("a v1 result reads as a scan result")
}

#[test]
fn a_v1_result_is_upgraded_to_shared_entries_and_validates_as_v2() {
    let result = v1_estate();
    assert_eq!(result.schema, evident_core::SCAN_RESULT_SCHEMA);
    let doc = serde_json::to_value(&result).expect("json");
    let errors = schema_errors(&root().join("schemas/scan-result.v2.json"), &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let conway: Vec<_> = result
        .results
        .scoped
        .iter()
        .filter(|x| x.criterion == "ds.org.conways-law")
        .collect();
    assert_eq!(conway.len(), 1);
    assert_eq!(conway[0].services.len(), result.services.len());
    for r in result
        .results
        .iter()
        .filter(|r| r.criterion == "ds.org.conways-law")
    {
        assert_eq!(r.scoped.as_deref(), Some("ds.org.conways-law@estate"));
        assert!(
            r.missing.is_empty(),
            "rows carry no copy of the estate's gaps"
        );
    }
}

#[test]
fn a_shared_finding_is_rendered_once_per_format() {
    let result = v1_estate();
    let not_met: Vec<_> = result
        .results
        .scoped
        .iter()
        .filter(|x| x.status == evident_core::Status::NotMet)
        .collect();
    assert!(
        !not_met.is_empty(),
        "the fixture has a shared not-met finding"
    );
    let sarif: Value = serde_json::from_str(&render_sarif(&result).expect("sarif")).expect("json");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    for x in &not_met {
        let n = results
            .iter()
            .filter(|r| r["ruleId"] == x.criterion.as_str())
            .count();
        assert_eq!(
            n, 1,
            "{}: one SARIF result, not one per service",
            x.criterion
        );
    }
    let conway = results
        .iter()
        .find(|r| r["ruleId"] == "ds.org.conways-law")
        .expect("conway result");
    assert_eq!(conway["properties"]["scope"], "estate");
    assert_eq!(conway["properties"]["serviceCount"], 6);
    assert!(
        conway["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("estate: ownership is missing or split")),
        "{}",
        conway["message"]
    );

    let oscal: Value = serde_json::from_str(&render_oscal(&result).expect("oscal")).expect("json");
    let observations = oscal["assessment-results"]["results"][0]["observations"]
        .as_array()
        .expect("observations");
    let shared: Vec<_> = observations
        .iter()
        .filter(|o| {
            o["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("ds.org.conways-law "))
        })
        .collect();
    assert_eq!(shared.len(), 1, "one observation for the estate finding");
    assert_eq!(shared[0]["subjects"].as_array().map(Vec::len), Some(6));

    let markdown = render_markdown(&result);
    assert_eq!(
        markdown
            .matches("| estate | `ds.org.conways-law` |")
            .count(),
        1,
        "{markdown}"
    );
    let html = render_html(&result).expect("html");
    assert!(
        html.contains("<a href=\"#x-"),
        "rows link to the shared finding"
    );
    assert!(html.contains("id=\"shared\""));
    let table = render(&result, Format::Table, TableOptions::default()).expect("table");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.contains("ds.org.conways-law (estate, 6 service(s))"))
            .count(),
        1,
        "{table}"
    );
}

/// The fixture with DORA measures on its first service: one measured with a band, one
/// measured from a partial read, one unknown, one not computed, and scanned text in a
/// note (it must be escaped like every value from a scanned system).
fn with_dora() -> ScanResult {
    let mut result = fixture();
    let service = result.services[0].id.clone();
    let measure = |status: &str, value: Value, unit: &str, band: Value, note: &str| {
        serde_json::json!({
            "status": status, "value": value, "unit": unit, "window_days": 30,
            "sample_size": if value.is_null() { 0 } else { 12 }, "band": band,
            "formula": "see the engine", "evidence": [], "note": note,
        })
    };
    let mut lead = measure(
        "measured",
        serde_json::json!(30.5),
        "hours",
        serde_json::json!("high"),
        "12 merged changes measured in 30 days.",
    );
    lead["details"] = serde_json::json!({"p90": 80.25, "not_deployed": 2.0});
    lead["complete"] = serde_json::json!(false);
    let mut unknown = measure(
        "unknown",
        Value::Null,
        "percent",
        Value::Null,
        &format!("incidents of {XSS} could not be read"),
    );
    unknown["reason"] = serde_json::json!("forbidden");
    let mut restore = measure(
        "measured",
        serde_json::json!(4.0),
        "hours",
        serde_json::json!("high"),
        "3 resolved incidents in 90 days. 1 incidents are still open and not in the median.",
    );
    restore["window_days"] = serde_json::json!(90);
    restore["details"] = serde_json::json!({"p90": 30.0, "open": 1.0});
    let measures = serde_json::json!({
        "repos": ["shop"],
        "deployment_frequency": measure("measured", serde_json::json!(2.8), "deployments/week", serde_json::json!("high"), "12 successful production deployments in 30 days."),
        "lead_time_for_changes": lead,
        "change_failure_rate": unknown,
        "time_to_restore": restore,
    });
    result.dora.insert(
        service,
        serde_json::from_value(measures).expect("DORA measures"),
    );
    result
}

#[test]
fn dora_measures_render_in_every_human_format_and_validate() {
    let result = with_dora();
    let doc = serde_json::to_value(&result).expect("json");
    let errors = schema_errors(&root().join("schemas/scan-result.v2.json"), &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let back: ScanResult =
        serde_json::from_str(&render_json(&result).expect("json")).expect("parse");
    assert_eq!(back, result, "JSON carries the DORA section whole");

    let md = render_markdown(&result);
    let section = md
        .split("### DORA measurements")
        .nth(1)
        .and_then(|rest| rest.split("\n### ").next())
        .expect("a DORA section");
    insta::assert_snapshot!("markdown_dora", section);
    assert!(!md.contains(XSS));

    let table = render(&result, Format::Table, TableOptions::default()).expect("table");
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("DORA"))
        .expect("a DORA line");
    insta::assert_snapshot!("table_dora", line);
    let incidents = table
        .lines()
        .find(|l| l.trim_start().starts_with("DORA incidents"))
        .expect("a DORA incidents line");
    insta::assert_snapshot!("table_dora_incidents", incidents);

    let html = render_html(&result).expect("html");
    assert!(html.contains("DORA measurements"));
    assert!(
        html.contains(
            "<td>2.8 deployments/week, high</td><td>30 days</td><td>12</td><td>high</td>"
        ),
        "value, window, sample and band"
    );
    assert!(html.contains("median 30.5 hours, p90 80.25 hours, high, partial read"));
    assert!(html.contains("unknown: forbidden"));
    assert!(html.contains("median 4 hours, p90 30 hours, high"));
    assert!(
        !html.contains(XSS),
        "scanned text in a DORA note is escaped"
    );

    // Without a GitHub source there is no section at all.
    let plain = fixture();
    assert!(!render_markdown(&plain).contains("DORA"));
    assert!(
        !render(&plain, Format::Table, TableOptions::default())
            .expect("table")
            .contains("DORA")
    );
    assert!(
        serde_json::to_value(&plain)
            .expect("json")
            .get("dora")
            .is_none()
    );
}

/// The table's summary groups unknowns by the source that would decide them, sends
/// people to configure only what this version can read (a capability whose source says
/// "not yet supported" is named apart, never a next step), and lists at most three next
/// steps.
#[test]
fn the_summary_groups_unknowns_by_source_and_keeps_three_next_steps() {
    let mut result = fixture();
    let (service, model) = (
        result.results[0].service.clone(),
        result.results[0].model.clone(),
    );
    let rows: Vec<usize> = (0..result.results.len())
        .filter(|&i| result.results[i].service == service && result.results[i].model == model)
        .collect();
    assert!(
        rows.len() >= 3,
        "the fixture has three rows of one service and model"
    );
    for (n, &i) in rows.iter().enumerate() {
        let r = &mut result.results.rows[i];
        if n < 3 {
            r.status = evident_core::Status::Unknown;
            r.reason = Some("not_configured".into());
            r.missing = vec![if n == 0 { "source_code" } else { "github" }.into()];
            r.summary = format!("needs {} (not_configured: a long detail)", r.missing[0]);
        }
    }
    result.sources.push(evident_core::SourceReport::new(
        "source_code",
        "source_code",
        evident_core::SourceStatus::NotConfigured,
        Some("not yet supported: code size is not read by this version of evident".into()),
    ));
    let table = render(&result, Format::Table, TableOptions::default()).expect("table");
    assert!(table.contains("need github: --github ORG"), "{table}");
    assert!(
        table.contains("need source_code: not yet supported by this version of evident"),
        "{table}"
    );
    assert!(table.contains("not yet supported: source_code"), "{table}");
    assert!(!table.contains("read source_code"), "{table}");
    assert!(table.contains("read github (--github ORG"), "{table}");
    assert!(
        !table.contains("      4. "),
        "three next steps at most: {table}"
    );
    // The summary lists no criterion line; --details does, with the short reason.
    let details = render(
        &result,
        Format::Table,
        TableOptions {
            details: true,
            ..TableOptions::default()
        },
    )
    .expect("table");
    assert!(
        details.contains("needs github (not configured)"),
        "{details}"
    );
    assert!(!details.contains("a long detail"), "{details}");
    assert!(details.lines().count() > table.lines().count());
}

/// The whole table, summary and details, at a narrow terminal width: lines wrap at
/// words and are never cut with an ellipsis.
#[test]
fn the_table_wraps_and_never_cuts() {
    let result = fixture();
    for details in [false, true] {
        let table = render(
            &result,
            Format::Table,
            TableOptions {
                color: false,
                width: Some(80),
                details,
            },
        )
        .expect("table");
        assert!(!table.contains('…'), "{table}");
        for line in table.lines() {
            // A single word longer than the width (a URL, an id) stays whole.
            if line.contains(' ') && !line.trim().contains(' ') {
                continue;
            }
            assert!(
                line.chars().count() <= 80 || line.split(' ').any(|w| w.chars().count() > 40),
                "{line}"
            );
        }
        insta::assert_snapshot!(
            if details {
                "table_details"
            } else {
                "table_summary"
            },
            table
        );
    }
}

/// Table cells wrap at word boundaries: `overflow-wrap:anywhere` let the browser shrink a
/// column to one letter and break `not_configured` letter by letter.
#[test]
fn html_cells_never_wrap_letter_by_letter() {
    let html = render_html(&fixture()).expect("html");
    assert!(!html.contains("overflow-wrap:anywhere; } th"), "td rule");
    assert!(html.contains("vertical-align:top; overflow-wrap:break-word; }"));
}

#[test]
fn unused_attestations_are_warned_in_every_format() {
    let mut result = fixture();
    result.warnings = vec![
        "git:shop@abc1234:.evident/attestations.yaml#L2-L6 (attestation for acme.no.such): no model of this scan has this criterion; the attestation is ignored".into(),
        "git:shop@abc1234:.evident/attestations.yaml#L8-L12 (attestation for ds.devops.health-checks): its source (git or kubernetes) is configured, so the evidence decides; the attestation is ignored".into(),
    ];
    let doc = serde_json::to_value(&result).expect("json");
    let errors = schema_errors(&root().join("schemas/scan-result.v2.json"), &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let back: ScanResult =
        serde_json::from_str(&render_json(&result).expect("json")).expect("parse");
    assert_eq!(back.warnings, result.warnings, "JSON carries the warnings");

    let table = render(&result, Format::Table, TableOptions::default()).expect("table");
    let section: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("warning:"))
        .take_while(|l| l.starts_with("warning:") || l.starts_with("  "))
        .collect();
    insta::assert_snapshot!("table_warnings", section.join("\n"));

    let md = render_markdown(&result);
    let section = md
        .split("**Warning:")
        .nth(1)
        .and_then(|rest| {
            rest.split("\n\n")
                .take(2)
                .collect::<Vec<_>>()
                .join("\n\n")
                .into()
        })
        .map(|s: String| format!("**Warning:{s}"))
        .expect("a warning section");
    insta::assert_snapshot!("markdown_warnings", section);

    let html = render_html(&result).expect("html");
    let section = html
        .split("<h3 class=\"warn\">")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("a warning section");
    insta::assert_snapshot!("html_warnings", section);
}

#[test]
fn html_shows_the_window_the_evidence_covers_and_a_levels_chart() {
    let mut result = fixture();
    let source = result
        .sources
        .iter_mut()
        .find(|s| s.status == evident_core::SourceStatus::Ok)
        .expect("an ok source");
    source.window = Some(evident_core::TimeWindow {
        from: "2026-05-27T00:00:00Z".into(),
        to: "2026-11-23T00:00:00Z".into(),
        what: "commits and merges on main, 180 days".into(),
    });
    let html = render_html(&result).expect("html");
    let cover = html
        .split("<dt>Time window of the evidence</dt>")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .expect("a time window");
    assert!(
        cover.contains(
            "2026-05-27T00:00:00Z to 2026-11-23T00:00:00Z: commits and merges on main, 180 days"
        ),
        "{cover}"
    );
    let svg = html
        .split("<svg ")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .expect("an inline SVG chart");
    insta::assert_snapshot!("html_levels_chart", svg);
    assert!(!html.contains("<script"), "no script");

    // An evidence cell of more than three records is collapsed, saying how many.
    let ids: Vec<String> = result.evidence.keys().take(5).cloned().collect();
    assert_eq!(ids.len(), 5, "the fixture has five evidence records");
    let row = result
        .results
        .rows
        .iter_mut()
        .find(|r| r.scoped.is_none() && r.status == evident_core::Status::Met)
        .expect("a met row");
    row.evidence = ids;
    let html = render_html(&result).expect("html");
    assert!(
        html.contains("<details class=\"ev\"><summary>5 records</summary>"),
        "collapsed evidence cell"
    );
}
