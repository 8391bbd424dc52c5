//! On-call services (PagerDuty, Opsgenie) tied to services, and what each pages.
//!
//! An on-call service is a pager route, not a deployable: it never makes a service of
//! its own. It joins at most one service, strongest key first: a catalog Component's
//! annotation (`pagerduty.com/service-id`, `pagerduty.com/integration-key` compared by
//! hash, `opsgenie.com/component-selector` by tag, `opsgenie.com/team` by team name),
//! then the plan's override (`ServiceOverride.oncall`), then the name. A key that names
//! several services is ambiguous and an on-call service no key ties is unresolved: a
//! pager route is never given to a service by guess. Every lookup goes through maps
//! built once, so the join is linear in services plus on-call services.

use crate::phases::{Draft, State};
use crate::view::CatalogView;
use crate::{OncallView, ResolveConfig};
use evident_core::{ServiceJoin, sha256_hex};
use evident_oncall::{OncallFacts, OncallService, Tool};
use std::collections::{BTreeMap, BTreeSet};

/// The catalog annotation naming a PagerDuty service by id.
const SERVICE_ID: &str = "pagerduty.com/service-id";
/// The catalog annotation holding a PagerDuty integration (routing) key.
const INTEGRATION_KEY: &str = "pagerduty.com/integration-key";
/// The catalog annotation selecting Opsgenie services (`tag:"x"` / `tag:x`).
const COMPONENT_SELECTOR: &str = "opsgenie.com/component-selector";
/// The catalog annotation naming an Opsgenie team.
const OPSGENIE_TEAM: &str = "opsgenie.com/team";

/// Parts whose gaps leave a service's pager route incompletely known.
const ROUTE_PARTS: [&str; 3] = ["escalation_policies", "schedules", "teams"];

/// A join key a catalog Component's annotations give for on-call services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OncallKey {
    /// `pagerduty.com/service-id`: the PagerDuty service's id.
    PagerdutyService(String),
    /// `pagerduty.com/integration-key`, hashed (the key is never kept in clear): the
    /// hash of the value as written and of its lower-cased form.
    IntegrationKey(Vec<String>),
    /// `opsgenie.com/component-selector` `tag:x`: Opsgenie services tagged `x`.
    OpsgenieTag(String),
    /// `opsgenie.com/team`: the Opsgenie services of that team (name, lower-cased).
    OpsgenieTeam(String),
}

impl OncallKey {
    /// The on-call keys of one catalog entry's annotations.
    pub(crate) fn of_catalog(entry: &CatalogView) -> Vec<OncallKey> {
        let mut out = Vec::new();
        if let Some(id) = entry.annotation(SERVICE_ID) {
            out.push(OncallKey::PagerdutyService(id.to_owned()));
        }
        if let Some(key) = entry.annotation(INTEGRATION_KEY) {
            let mut hashes = vec![sha256_hex(key.as_bytes())];
            let lower = sha256_hex(key.to_lowercase().as_bytes());
            if lower != hashes[0] {
                hashes.push(lower);
            }
            out.push(OncallKey::IntegrationKey(hashes));
        }
        if let Some(tag) = entry.annotation(COMPONENT_SELECTOR).and_then(selector_tag) {
            out.push(OncallKey::OpsgenieTag(tag));
        }
        if let Some(team) = entry.annotation(OPSGENIE_TEAM) {
            out.push(OncallKey::OpsgenieTeam(team.to_lowercase()));
        }
        out
    }
}

/// The tag of an Opsgenie component selector: `tag:"x"` or `tag:x`. Other forms (`OR`
/// expressions, other fields) are not evaluated and select nothing.
fn selector_tag(text: &str) -> Option<String> {
    let rest = text.trim().strip_prefix("tag:")?.trim();
    let tag = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(rest);
    let plain = !tag.is_empty() && !tag.contains('"') && !tag.contains(' ');
    plain.then(|| tag.to_owned())
}

/// The tool an account belongs to: as the account says, else by its key's prefix.
fn tool_of(facts: &OncallFacts, account: &str) -> Option<Tool> {
    facts
        .accounts
        .get(account)
        .and_then(|a| a.tool)
        .or_else(|| {
            Tool::ALL
                .into_iter()
                .find(|t| account.starts_with(t.as_str()))
        })
}

type Ids = BTreeMap<String, BTreeSet<usize>>;

/// The drafts by every key an on-call service can be looked up with, built once.
#[derive(Default)]
struct Keys {
    pagerduty_ids: Ids,
    integration_hashes: Ids,
    tags: Ids,
    teams: Ids,
    /// Lower-cased service name.
    names: Ids,
    /// Exact service name (what an override's `service` gives).
    exact_names: Ids,
    /// Lower-cased on-call service name or key → services overrides give it to.
    overrides: BTreeMap<String, BTreeSet<String>>,
}

impl Keys {
    fn of(drafts: &[Draft], config: &ResolveConfig) -> Self {
        let mut k = Keys::default();
        for (i, d) in drafts.iter().enumerate() {
            for key in &d.oncall_keys {
                let (map, values): (&mut Ids, Vec<String>) = match key {
                    OncallKey::PagerdutyService(id) => (&mut k.pagerduty_ids, vec![id.clone()]),
                    OncallKey::IntegrationKey(h) => (&mut k.integration_hashes, h.clone()),
                    OncallKey::OpsgenieTag(t) => (&mut k.tags, vec![t.clone()]),
                    OncallKey::OpsgenieTeam(t) => (&mut k.teams, vec![t.clone()]),
                };
                for v in values {
                    map.entry(v).or_default().insert(i);
                }
            }
            k.names.entry(d.name.to_lowercase()).or_default().insert(i);
            k.exact_names.entry(d.name.clone()).or_default().insert(i);
        }
        for o in &config.overrides {
            for item in &o.oncall {
                k.overrides
                    .entry(item.trim().to_lowercase())
                    .or_default()
                    .insert(o.service.clone());
            }
        }
        k
    }
}

fn found_in(map: &Ids, values: impl IntoIterator<Item = String>) -> BTreeSet<usize> {
    values
        .into_iter()
        .filter_map(|v| map.get(&v))
        .flatten()
        .copied()
        .collect()
}

/// The services one key found for an on-call service, and how to say it.
struct Found {
    candidates: BTreeSet<usize>,
    by: String,
}

fn found(candidates: BTreeSet<usize>, by: String) -> Option<Found> {
    (!candidates.is_empty()).then_some(Found { candidates, by })
}

impl Keys {
    /// The strongest catalog annotation that names services for `svc`.
    fn by_annotation(&self, facts: &OncallFacts, svc: &OncallService) -> Option<Found> {
        let tool = tool_of(facts, &svc.account);
        let annotation = |name: &str| format!("catalog annotation {name}");
        if tool != Some(Tool::Opsgenie) {
            let by_id = found_in(&self.pagerduty_ids, [svc.id.clone()]);
            if let Some(f) = found(by_id, annotation(SERVICE_ID)) {
                return Some(f);
            }
            let hashes = svc.integration_key_hashes.iter().map(|h| h.to_lowercase());
            let by_key = found_in(&self.integration_hashes, hashes);
            if let Some(f) = found(by_key, annotation(INTEGRATION_KEY)) {
                return Some(f);
            }
        }
        if tool != Some(Tool::Pagerduty) {
            let by_tag = found_in(&self.tags, svc.tags.iter().cloned());
            if let Some(f) = found(by_tag, annotation(COMPONENT_SELECTOR)) {
                return Some(f);
            }
            let team_names = svc
                .teams
                .iter()
                .filter_map(|t| facts.teams.get(t))
                .map(|t| t.name.trim().to_lowercase());
            let by_team = found_in(&self.teams, team_names);
            if let Some(f) = found(by_team, annotation(OPSGENIE_TEAM)) {
                return Some(f);
            }
        }
        None
    }

    /// Every key in order: annotations, overrides, then the name. `Err` is why the
    /// on-call service joins none (an override naming no service found).
    fn lookup(&self, facts: &OncallFacts, svc: &OncallService) -> Result<Option<Found>, String> {
        if let Some(f) = self.by_annotation(facts, svc) {
            return Ok(Some(f));
        }
        let mut targets: BTreeSet<&String> = BTreeSet::new();
        for item in [svc.key.to_lowercase(), svc.name.trim().to_lowercase()] {
            targets.extend(self.overrides.get(&item).into_iter().flatten());
        }
        if !targets.is_empty() {
            let names: Vec<&str> = targets.iter().map(|s| s.as_str()).collect();
            let by_config = found_in(&self.exact_names, targets.iter().map(|s| (*s).clone()));
            let by = format!("config: service {} lists {}", names.join(", "), svc.name);
            return match found(by_config, by) {
                Some(f) => Ok(Some(f)),
                None => Err(format!(
                    "config gives it to service {}, which no source found; on-call services make no service of their own",
                    names.join(", ")
                )),
            };
        }
        let by_name = found_in(&self.names, [svc.name.trim().to_lowercase()]);
        Ok(found(by_name, "matched by name".into()))
    }
}

impl State {
    /// Phase: on-call services join the services found so far (never making one), and
    /// each service with on-call services gets its [`OncallView`].
    pub(crate) fn join_oncall(&mut self, facts: &OncallFacts, config: &ResolveConfig) {
        let keys = Keys::of(&self.drafts, config);
        let mut joined: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for svc in facts.services.values() {
            let evidence: Vec<String> = Some(svc.evidence.clone())
                .filter(|e| !e.is_empty())
                .into_iter()
                .collect();
            let f = match keys.lookup(facts, svc) {
                Ok(Some(f)) => f,
                Ok(None) => {
                    let reason = "no catalog annotation, configuration entry or service name ties it to a service; on-call services make no service of their own".to_owned();
                    self.unresolved("oncall", &svc.key, reason, evidence);
                    continue;
                }
                Err(reason) => {
                    self.unresolved("oncall", &svc.key, reason, evidence);
                    continue;
                }
            };
            let [i] = f.candidates.iter().copied().collect::<Vec<_>>()[..] else {
                let names: Vec<String> = f
                    .candidates
                    .iter()
                    .map(|&i| format!("{} ({})", self.drafts[i].name, self.drafts[i].scope))
                    .collect();
                let reason = format!(
                    "ambiguous: {} matches services {}; not resolved by guess",
                    f.by,
                    names.join(", ")
                );
                self.unresolved("oncall", &svc.key, reason, evidence);
                continue;
            };
            let d = &mut self.drafts[i];
            d.found_in.extend(evidence.iter().cloned());
            d.joins.push(ServiceJoin {
                source: "oncall".into(),
                item: svc.key.clone(),
                by: f.by,
                evidence,
            });
            joined.entry(i).or_default().push(svc.key.clone());
        }
        let routes = Routes::of(facts);
        for (i, services) in joined {
            self.drafts[i].oncall = Some(routes.view(&services));
        }
    }
}

/// What an on-call service's policies page, with the Opsgenie team routes indexed once.
struct Routes<'a> {
    facts: &'a OncallFacts,
    /// Team key → escalation policies whose teams include it.
    team_policies: BTreeMap<&'a str, Vec<&'a str>>,
    /// Team key → schedules whose teams include it.
    team_schedules: BTreeMap<&'a str, Vec<&'a str>>,
}

/// The sets a view is gathered in.
#[derive(Default)]
struct Acc {
    policies: BTreeSet<String>,
    schedules: BTreeSet<String>,
    teams: BTreeSet<String>,
    responders: BTreeSet<String>,
    evidence: BTreeSet<String>,
    incomplete: bool,
}

impl<'a> Routes<'a> {
    fn of(facts: &'a OncallFacts) -> Self {
        let mut team_policies: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for p in facts.escalation_policies.values() {
            for t in &p.teams {
                team_policies.entry(t).or_default().push(&p.key);
            }
        }
        let mut team_schedules: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for s in facts.schedules.values() {
            for t in &s.teams {
                team_schedules.entry(t).or_default().push(&s.key);
            }
        }
        Routes {
            facts,
            team_policies,
            team_schedules,
        }
    }

    fn is_opsgenie(&self, account: &str) -> bool {
        tool_of(self.facts, account) == Some(Tool::Opsgenie)
    }

    /// `Service.oncall` of the service these on-call services joined.
    fn view(&self, services: &[String]) -> OncallView {
        let mut acc = Acc::default();
        for key in services {
            let Some(svc) = self.facts.services.get(key) else {
                continue;
            };
            acc.evidence.insert(svc.evidence.clone());
            acc.policies.extend(svc.escalation_policy.iter().cloned());
            if self.is_opsgenie(&svc.account) {
                for t in &svc.teams {
                    let policies = self.team_policies.get(t.as_str()).into_iter().flatten();
                    acc.policies.extend(policies.map(|p| (*p).to_owned()));
                    let schedules = self.team_schedules.get(t.as_str()).into_iter().flatten();
                    acc.schedules.extend(schedules.map(|s| (*s).to_owned()));
                }
            }
            if let Some(account) = self.facts.accounts.get(&svc.account) {
                let gap =
                    |p: &str| account.unread.contains_key(p) || account.partial.contains_key(p);
                acc.incomplete |= ROUTE_PARTS.iter().any(|p| gap(p));
            }
        }
        self.page(&mut acc);
        OncallView {
            services: sorted(services.iter().cloned()),
            escalation_policies: acc.policies.into_iter().collect(),
            schedules: acc.schedules.into_iter().collect(),
            responders: acc.responders.into_iter().collect(),
            complete: !acc.incomplete,
            evidence: acc.evidence.into_iter().filter(|e| !e.is_empty()).collect(),
        }
    }

    /// Who the gathered policies reach: their users, their schedules' participants, and
    /// the members of the teams Opsgenie policies page (PagerDuty escalation rules page
    /// only users and schedules; a PagerDuty policy's teams own it, they are not paged).
    fn page(&self, acc: &mut Acc) {
        for key in &acc.policies {
            let Some(p) = self.facts.escalation_policies.get(key) else {
                acc.incomplete = true;
                continue;
            };
            acc.evidence.insert(p.evidence.clone());
            acc.responders.extend(p.users.iter().cloned());
            acc.schedules.extend(p.schedules.iter().cloned());
            if self.is_opsgenie(&p.account) {
                acc.teams.extend(p.teams.iter().cloned());
            }
        }
        for key in &acc.schedules {
            let Some(s) = self.facts.schedules.get(key) else {
                acc.incomplete = true;
                continue;
            };
            acc.evidence.insert(s.evidence.clone());
            acc.incomplete |= !s.rendered;
            acc.responders.extend(s.participants.iter().cloned());
        }
        for key in &acc.teams {
            let Some(t) = self.facts.teams.get(key) else {
                acc.incomplete = true;
                continue;
            };
            acc.evidence.insert(t.evidence.clone());
            acc.incomplete |= !t.members_complete;
            acc.responders.extend(t.members.iter().cloned());
        }
    }
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let set: BTreeSet<String> = items.into_iter().collect();
    set.into_iter().collect()
}

/// [`selector_tag`], for the crate's tests.
#[cfg(test)]
pub(crate) fn selector_tag_for_tests(text: &str) -> Option<String> {
    selector_tag(text)
}
