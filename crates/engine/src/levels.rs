//! Level inference: fixed semantics, so they live in Rust rather than in any policy.
//!
//! A level is attained when every criterion of it and of every lower level passes (no
//! leap-frogging, as in CMM). `not_met` blocks; `unknown` blocks too but is reported
//! apart, because "we could not see" is not "it is missing"; `manual` blocks only in
//! strict mode, where `attested` counts as met. An attestation standing in for a source
//! that is not configured passes by default and blocks as `unknown` under strict.

use crate::catalog::{Catalog, ModelKind};
use evident_core::{
    Blockers, CriterionResult, LevelReport, LevelShare, Service, Status, UnknownBlocker,
};
use std::collections::HashMap;

enum Gate {
    Pass,
    NotMet,
    Unknown,
    Manual,
}

fn gate(r: &CriterionResult, strict: bool) -> Gate {
    match r.status {
        // Attested while its source is not configured: a team's word where evidence
        // would decide, which `--strict` does not take.
        Status::Attested
            if strict && r.reason.as_deref() == Some(crate::evaluate::ATTESTED_NO_SOURCE) =>
        {
            Gate::Unknown
        }
        Status::Met | Status::NotApplicable | Status::Attested => Gate::Pass,
        Status::NotMet => Gate::NotMet,
        Status::Unknown => Gate::Unknown,
        Status::Manual if strict => Gate::Manual,
        Status::Manual => Gate::Pass,
    }
}

fn unknown_reason(r: &CriterionResult) -> String {
    if r.reason.as_deref() == Some(crate::evaluate::ATTESTED_NO_SOURCE) {
        let source = r.missing.first().map_or("its source", String::as_str);
        return format!("{source} not configured (attested; --strict takes evidence only)");
    }
    let status = r.reason.clone().unwrap_or_else(|| "unknown".into());
    match r.missing.first() {
        Some(cap) => format!("{cap} {}", status.replace('_', " ")),
        None => status.replace('_', " "),
    }
}

/// Under `--strict`, an attestation standing in for an unconfigured source counts as
/// what it gates as (unknown), so the share agrees with the level beside it.
fn share(
    level: Option<u8>,
    name: String,
    results: &[&CriterionResult],
    strict: bool,
) -> LevelShare {
    let counted: Vec<_> = results
        .iter()
        .filter(|r| r.status != Status::NotApplicable)
        .collect();
    let met = counted
        .iter()
        .filter(|r| {
            matches!(gate(r, strict), Gate::Pass)
                && matches!(r.status, Status::Met | Status::Attested)
        })
        .count() as u32;
    let total = counted.len() as u32;
    let share = if total == 0 {
        0.0
    } else {
        f64::from(met) / f64::from(total)
    };
    LevelShare {
        level,
        name,
        met,
        total,
        share,
    }
}

/// Infers levels (or the practice profile) of every service in every model.
///
/// The share of each level counts `met` and `attested` over all criteria that apply
/// (`not_applicable` ones are left out of both sides).
pub fn infer_levels(
    catalog: &Catalog,
    results: &[CriterionResult],
    services: &[Service],
    strict: bool,
) -> Vec<LevelReport> {
    let mut by_key: HashMap<(&str, &str), Vec<&CriterionResult>> = HashMap::new();
    for r in results {
        by_key
            .entry((r.model.as_str(), r.service.as_str()))
            .or_default()
            .push(r);
    }
    let mut reports = Vec::new();
    for model in &catalog.models {
        let level_of: HashMap<&str, Option<u8>> = model
            .criteria
            .iter()
            .map(|c| (c.id.as_str(), c.level))
            .collect();
        // Looked up per result; a scan over every criterion per result would make a
        // profile cost criteria² per service.
        let dimension_of: HashMap<&str, &str> = model
            .criteria
            .iter()
            .map(|c| (c.id.as_str(), c.dimension.as_str()))
            .collect();
        for service in services {
            let rs = by_key
                .get(&(model.id.as_str(), service.id.as_str()))
                .cloned()
                .unwrap_or_default();
            match model.kind {
                ModelKind::Profile => {
                    let shares = model
                        .dimensions
                        .iter()
                        .map(|d| {
                            let in_dim: Vec<&CriterionResult> = rs
                                .iter()
                                .copied()
                                .filter(|r| {
                                    dimension_of.get(r.criterion.as_str()) == Some(&d.as_str())
                                })
                                .collect();
                            share(None, d.clone(), &in_dim, strict)
                        })
                        .collect();
                    reports.push(LevelReport {
                        model: model.id.clone(),
                        service: service.id.clone(),
                        attained: None,
                        attained_name: None,
                        next: None,
                        next_undetermined: false,
                        blocked_by: Blockers::default(),
                        shares,
                    });
                }
                ModelKind::Leveled => {
                    let mut levels: Vec<u8> = model.levels.iter().map(|l| l.level).collect();
                    levels.sort_unstable();
                    let floor = model.floor.or_else(|| levels.first().copied()).unwrap_or(0);
                    let mut attained = floor;
                    let mut next = None;
                    let mut blocked_by = Blockers::default();
                    for &level in levels.iter().filter(|&&l| l > floor) {
                        let mut b = Blockers::default();
                        for r in &rs {
                            let Some(Some(l)) = level_of.get(r.criterion.as_str()) else {
                                continue;
                            };
                            if *l > level {
                                continue;
                            }
                            match gate(r, strict) {
                                Gate::Pass => {}
                                Gate::NotMet => b.not_met.push(r.criterion.clone()),
                                Gate::Unknown => b.unknown.push(UnknownBlocker {
                                    criterion: r.criterion.clone(),
                                    reason: unknown_reason(r),
                                }),
                                Gate::Manual => b.manual.push(r.criterion.clone()),
                            }
                        }
                        if b.not_met.is_empty() && b.unknown.is_empty() && b.manual.is_empty() {
                            attained = level;
                        } else {
                            next = Some(level);
                            blocked_by = b;
                            break;
                        }
                    }
                    let shares = levels
                        .iter()
                        .map(|&l| {
                            let at: Vec<&CriterionResult> = rs
                                .iter()
                                .copied()
                                .filter(|r| level_of.get(r.criterion.as_str()) == Some(&Some(l)))
                                .collect();
                            share(Some(l), model.level_name(l), &at, strict)
                        })
                        .collect();
                    let next_undetermined = next.is_some()
                        && blocked_by.not_met.is_empty()
                        && !blocked_by.unknown.is_empty();
                    reports.push(LevelReport {
                        model: model.id.clone(),
                        service: service.id.clone(),
                        attained: Some(attained),
                        attained_name: Some(model.level_name(attained)),
                        next,
                        next_undetermined,
                        blocked_by,
                        shares,
                    });
                }
            }
        }
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Criterion, LevelDef, Model, Observability, Scope};

    fn criterion(id: &str, level: u8) -> Criterion {
        Criterion {
            id: id.into(),
            title: id.into(),
            level: Some(level),
            dimension: "D".into(),
            scope: Scope::Service,
            observability: Observability::Direct,
            smell: false,
            sources: vec!["git".into()],
            optional_sources: vec![],
            met_needs: vec![],
            same_as: None,
            rule: None,
            met_when: String::new(),
            remediation: String::new(),
        }
    }

    fn catalog() -> Catalog {
        Catalog {
            models: vec![Model {
                id: "m".into(),
                name: "M".into(),
                seed: None,
                kind: ModelKind::Leveled,
                floor: Some(0),
                levels: (0..=3)
                    .map(|l| LevelDef {
                        level: l,
                        name: format!("L{l}"),
                    })
                    .collect(),
                dimensions: vec!["D".into()],
                criteria: vec![
                    criterion("a0", 0),
                    criterion("a1", 1),
                    criterion("b1", 1),
                    criterion("a2", 2),
                    criterion("a3", 3),
                ],
            }],
            ..Catalog::default()
        }
    }

    fn result(criterion: &str, status: Status) -> CriterionResult {
        CriterionResult {
            model: "m".into(),
            criterion: criterion.into(),
            service: "s".into(),
            status,
            reason: (status == Status::Unknown).then(|| "not_configured".into()),
            summary: String::new(),
            evidence: vec![],
            missing: if status == Status::Unknown {
                vec!["prometheus".into()]
            } else {
                vec![]
            },
            scoped: None,
        }
    }

    fn service() -> Vec<Service> {
        vec![Service {
            id: "s".into(),
            team: None,
            team_source: None,
            resolved_from: "repository".into(),
            found_in: vec![],
            ..Default::default()
        }]
    }

    fn infer(statuses: &[(&str, Status)], strict: bool) -> LevelReport {
        let rs: Vec<_> = statuses.iter().map(|(c, s)| result(c, *s)).collect();
        infer_levels(&catalog(), &rs, &service(), strict).remove(0)
    }

    use Status::*;

    #[test]
    fn all_met_reaches_the_top() {
        let r = infer(
            &[
                ("a0", Met),
                ("a1", Met),
                ("b1", Met),
                ("a2", Met),
                ("a3", Met),
            ],
            false,
        );
        assert_eq!(r.attained, Some(3));
        assert_eq!(r.next, None);
    }

    #[test]
    fn leap_frogging_is_refused() {
        // Level 2 and 3 fully met, level 1 not: the service stays at the floor.
        let r = infer(
            &[
                ("a0", Met),
                ("a1", NotMet),
                ("b1", Met),
                ("a2", Met),
                ("a3", Met),
            ],
            false,
        );
        assert_eq!(r.attained, Some(0));
        assert_eq!(r.next, Some(1));
        assert_eq!(r.blocked_by.not_met, ["a1"]);
        assert_eq!(r.shares[2].share, 1.0, "progress above is still shown");
    }

    #[test]
    fn a_smell_at_the_floor_blocks_baseline() {
        let r = infer(&[("a0", NotMet), ("a1", Met), ("b1", Met)], false);
        assert_eq!(r.attained, Some(0));
        assert_eq!(r.blocked_by.not_met, ["a0"]);
    }

    #[test]
    fn unknown_blocks_but_is_reported_apart_from_not_met() {
        let r = infer(
            &[
                ("a0", Met),
                ("a1", Met),
                ("b1", Met),
                ("a2", Unknown),
                ("a3", Met),
            ],
            false,
        );
        assert_eq!(r.attained, Some(1));
        assert_eq!(r.next, Some(2));
        assert!(r.next_undetermined);
        assert!(r.blocked_by.not_met.is_empty());
        assert_eq!(r.blocked_by.unknown[0].criterion, "a2");
        assert_eq!(r.blocked_by.unknown[0].reason, "prometheus not configured");

        let r = infer(&[("a0", Met), ("a1", Unknown), ("b1", NotMet)], false);
        assert!(
            !r.next_undetermined,
            "a not_met makes the next level determined: not attained"
        );
        assert_eq!(r.blocked_by.not_met, ["b1"]);
        assert_eq!(r.blocked_by.unknown.len(), 1);
    }

    #[test]
    fn manual_does_not_gate_unless_strict_and_attested_counts_as_met() {
        let statuses = [
            ("a0", Met),
            ("a1", Manual),
            ("b1", Attested),
            ("a2", Met),
            ("a3", NotApplicable),
        ];
        assert_eq!(infer(&statuses, false).attained, Some(3));
        let strict = infer(&statuses, true);
        assert_eq!(strict.attained, Some(0));
        assert_eq!(strict.blocked_by.manual, ["a1"]);
    }

    #[test]
    fn attested_without_a_source_passes_by_default_never_under_strict() {
        let mut rs: Vec<_> = [("a0", Met), ("a1", Met), ("b1", Met), ("a2", Met)]
            .iter()
            .map(|(c, s)| result(c, *s))
            .collect();
        let mut attested = result("a3", Attested);
        attested.reason = Some(crate::evaluate::ATTESTED_NO_SOURCE.into());
        attested.missing = vec!["pagerduty or opsgenie".into()];
        rs.push(attested);
        let lenient = infer_levels(&catalog(), &rs, &service(), false).remove(0);
        assert_eq!(lenient.attained, Some(3));
        let strict = infer_levels(&catalog(), &rs, &service(), true).remove(0);
        assert_eq!(strict.attained, Some(2));
        assert_eq!(strict.blocked_by.unknown[0].criterion, "a3");
        assert_eq!(
            strict.blocked_by.unknown[0].reason,
            "pagerduty or opsgenie not configured (attested; --strict takes evidence only)"
        );
        let l3 = |r: &LevelReport| {
            let s = r
                .shares
                .iter()
                .find(|s| s.level == Some(3))
                .expect("level 3 share");
            (s.met, s.total)
        };
        let (lenient_met, total) = l3(&lenient);
        assert_eq!(lenient_met, total, "the attestation counts by default");
        assert_eq!(
            l3(&strict),
            (total - 1, total),
            "and not under --strict, as its gate says"
        );
    }

    #[test]
    fn shares_leave_out_not_applicable() {
        let r = infer(&[("a0", Met), ("a1", NotApplicable), ("b1", NotMet)], false);
        let l1 = &r.shares[1];
        assert_eq!((l1.met, l1.total), (0, 1));
    }
}
