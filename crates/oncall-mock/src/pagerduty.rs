//! Mock PagerDuty REST API v2, shaped on PagerDuty's published description
//! (`PagerDuty/api-schema`, `reference/REST/openapiv3.json`).
//!
//! The estate is a [`PagerdutyModel`] built in code: services (with their integrations),
//! escalation policies, schedules (shifts and overrides, rendered into
//! `final_schedule.rendered_schedule_entries` over the asked window), users with emails,
//! teams with members, incidents and change events. [`PagerdutyApi`] serves it with the
//! vendor's classic paging (`offset`, `limit`, `more`, `total`), its error body
//! (`{"error": {"message", "code", "errors"}}`) and its rate-limit headers, so the probe is
//! tested against the shapes it meets in production rather than against its own idea of
//! them.
//!
//! One field the published description leaves out: the `integration_key` of an Events API
//! integration (`include[]=integrations`). PagerDuty's live API returns it (it is the
//! routing key catalog annotations name); the mock serves it so the probe's hashing of it
//! is tested.

use crate::faults::Fault;
use crate::server::{Api, MockAnswer, MockRequest};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The API base PagerDuty answers `self` links with.
const SELF_BASE: &str = "https://api.pagerduty.com";
/// Where `html_url`s point.
const HTML_BASE: &str = "https://acme.pagerduty.com";
/// PagerDuty's largest page (`limit` above it is capped).
pub const MAX_LIMIT: usize = 100;
/// PagerDuty's default page size when no `limit` is given.
pub const DEFAULT_LIMIT: usize = 25;
/// Classic pagination stops here: `offset + limit` past it is answered 400.
pub const MAX_OFFSET: usize = 10_000;
/// The longest `since`..`until` range `/incidents` accepts (six months).
pub const MAX_INCIDENT_RANGE_DAYS: i64 = 180;

/// An integration of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct PdIntegration {
    /// Integration id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The routing key of an Events API integration; `None` for e-mail integrations.
    pub key: Option<String>,
}

/// A PagerDuty service.
#[derive(Debug, Clone, PartialEq)]
pub struct PdService {
    /// Id (`PSVC1`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `active`, `warning`, `critical`, `maintenance`, `disabled`.
    pub status: String,
    /// Escalation policy id.
    pub escalation_policy: Option<String>,
    /// Team ids.
    pub teams: Vec<String>,
    /// Integrations.
    pub integrations: Vec<PdIntegration>,
}

/// What an escalation rule pages.
#[derive(Debug, Clone, PartialEq)]
pub enum PdTarget {
    /// A user id.
    User(String),
    /// A schedule id.
    Schedule(String),
}

/// An escalation policy: rules in order, each with its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct PdPolicy {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Rules, each a list of targets.
    pub rules: Vec<Vec<PdTarget>>,
    /// Team ids.
    pub teams: Vec<String>,
}

/// One stretch of on-call.
#[derive(Debug, Clone, PartialEq)]
pub struct PdShift {
    /// User id.
    pub user: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

/// A schedule: its layer's shifts and the overrides on top of them.
#[derive(Debug, Clone, PartialEq)]
pub struct PdSchedule {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Team ids.
    pub teams: Vec<String>,
    /// Users configured in the layer (on call or not).
    pub users: Vec<String>,
    /// The layer's shifts.
    pub shifts: Vec<PdShift>,
    /// Overrides: they replace the layer wherever they overlap it.
    pub overrides: Vec<PdShift>,
}

/// A user.
#[derive(Debug, Clone, PartialEq)]
pub struct PdUser {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Login email.
    pub email: String,
}

/// A team.
#[derive(Debug, Clone, PartialEq)]
pub struct PdTeam {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Member user ids.
    pub members: Vec<String>,
}

/// An incident.
#[derive(Debug, Clone, PartialEq)]
pub struct PdIncident {
    /// Id.
    pub id: String,
    /// Incident number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Service id.
    pub service: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// `triggered`, `acknowledged`, `resolved`.
    pub status: String,
    /// `high` / `low`.
    pub urgency: String,
    /// First acknowledgement (listed in `acknowledgements` only while acknowledged, as
    /// PagerDuty does).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Resolution time.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A change event.
#[derive(Debug, Clone, PartialEq)]
pub struct PdChangeEvent {
    /// Id.
    pub id: String,
    /// Summary.
    pub summary: String,
    /// When.
    pub timestamp: DateTime<Utc>,
    /// Service ids.
    pub services: Vec<String>,
}

/// The estate the mock serves.
#[derive(Debug, Clone, Default)]
pub struct PagerdutyModel {
    /// Services.
    pub services: Vec<PdService>,
    /// Escalation policies.
    pub policies: Vec<PdPolicy>,
    /// Schedules.
    pub schedules: Vec<PdSchedule>,
    /// Users.
    pub users: Vec<PdUser>,
    /// Teams.
    pub teams: Vec<PdTeam>,
    /// Incidents.
    pub incidents: Vec<PdIncident>,
    /// Change events.
    pub change_events: Vec<PdChangeEvent>,
    /// Tokens accepted (`Authorization: Token token=<t>`).
    pub tokens: Vec<String>,
    /// "Now" for `/oncalls` without `since`; the real time when `None`.
    pub now: Option<DateTime<Utc>>,
}

fn at(now: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    now - Duration::hours(hours)
}

impl PagerdutyModel {
    /// The token [`PagerdutyModel::small`] and [`PagerdutyModel::sample`] accept.
    pub const TOKEN: &'static str = "pd-test-token-7f3a9c";

    /// A small estate for field-by-field tests, relative to `now`: two services (one on
    /// an escalation policy paging a schedule and a user), one schedule whose second
    /// week is overridden by a user not in its layer, three users, one team, three
    /// incidents (one resolved, one acknowledged, one triggered) and one change event.
    pub fn small(now: DateTime<Utc>) -> Self {
        let user = |id: &str, name: &str, email: &str| PdUser {
            id: id.into(),
            name: name.into(),
            email: email.into(),
        };
        let shift = |user: &str, from_h: i64, to_h: i64| PdShift {
            user: user.into(),
            start: at(now, from_h),
            end: at(now, to_h),
        };
        Self {
            services: small_services(),
            policies: vec![PdPolicy {
                id: "PEP1".into(),
                name: "Checkout escalation".into(),
                rules: vec![
                    vec![PdTarget::Schedule("PS1".into())],
                    vec![PdTarget::User("PU3".into())],
                ],
                teams: vec!["PT1".into()],
            }],
            schedules: vec![PdSchedule {
                id: "PS1".into(),
                name: "Checkout primary".into(),
                teams: vec!["PT1".into()],
                users: vec!["PU1".into(), "PU2".into()],
                // Weekly rotation PU1, PU2, PU1 over the last three weeks (and on).
                shifts: vec![
                    shift("PU1", 21 * 24, 14 * 24),
                    shift("PU2", 14 * 24, 7 * 24),
                    shift("PU1", 7 * 24, -7 * 24),
                ],
                // PU3 covers the middle of PU2's week.
                overrides: vec![shift("PU3", 12 * 24, 11 * 24)],
            }],
            users: vec![
                user("PU1", "Alice Example", "Alice@Example.com"),
                user("PU2", "Bob Example", "bob@example.com"),
                user("PU3", "Carol Example", "carol@example.com"),
            ],
            teams: vec![PdTeam {
                id: "PT1".into(),
                name: "Web".into(),
                members: vec!["PU1".into(), "PU2".into()],
            }],
            incidents: small_incidents(now),
            change_events: vec![PdChangeEvent {
                id: "01CE1".into(),
                summary: "deploy checkout v42".into(),
                timestamp: at(now, 50),
                services: vec!["PSVC1".into()],
            }],
            tokens: vec![Self::TOKEN.into()],
            now: Some(now),
        }
    }

    /// A generated estate for benchmarks: `services` services, `schedules` schedules
    /// (weekly rotations of four users, one override a fortnight), three users per
    /// schedule, a team per ten services, an escalation policy per two services,
    /// `incidents` incidents and one change event per five incidents, spread evenly over
    /// the last `days` days before `now`. Deterministic.
    pub fn sample(services: usize, schedules: usize, incidents: usize, days: u32) -> Self {
        let now = Utc::now();
        let since = now - Duration::days(i64::from(days));
        let users = (schedules * 3).max(4);
        let teams = services.div_ceil(10).max(1);
        let policies = services.div_ceil(2).max(1);
        let mut m = Self {
            tokens: vec![Self::TOKEN.into()],
            now: Some(now),
            ..Self::default()
        };
        m.users = (0..users)
            .map(|i| PdUser {
                id: format!("PU{i:05}"),
                name: format!("User {i}"),
                email: format!("user{i}@example.com"),
            })
            .collect();
        m.teams = (0..teams)
            .map(|t| PdTeam {
                id: format!("PT{t:04}"),
                name: format!("Team {t}"),
                members: (0..10)
                    .map(|k| format!("PU{:05}", (t * 10 + k) % users))
                    .collect(),
            })
            .collect();
        m.schedules = (0..schedules)
            .map(|s| sample_schedule(s, users, teams, since, now))
            .collect();
        m.policies = (0..policies)
            .map(|p| PdPolicy {
                id: format!("PEP{p:04}"),
                name: format!("Policy {p}"),
                rules: vec![
                    vec![PdTarget::Schedule(format!("PS{:04}", p % schedules.max(1)))],
                    vec![PdTarget::User(format!("PU{:05}", p % users))],
                ],
                teams: vec![format!("PT{:04}", p % teams)],
            })
            .collect();
        m.services = (0..services)
            .map(|i| PdService {
                id: format!("PSV{i:04}"),
                name: format!("service-{i}"),
                status: "active".into(),
                escalation_policy: Some(format!("PEP{:04}", i / 2)),
                teams: vec![format!("PT{:04}", i / 10)],
                integrations: vec![PdIntegration {
                    id: format!("PIN{i:04}"),
                    name: "Events API v2".into(),
                    key: Some(format!("{:032x}", i as u128 * 7919 + 1)),
                }],
            })
            .collect();
        m.incidents = sample_incidents(incidents, services, since, now);
        m.change_events = (0..incidents / 5)
            .map(|i| PdChangeEvent {
                id: format!("01CE{i:08}"),
                summary: format!("deploy {i}"),
                timestamp: spread(i, incidents / 5, since, now),
                services: vec![format!("PSV{:04}", i % services.max(1))],
            })
            .collect();
        m
    }

    /// The schedule's final layer over `since`..`until`: the layer's shifts with the
    /// overrides cut out of them, plus the overrides, each clipped to the range, in time
    /// order (PagerDuty's `final_schedule.rendered_schedule_entries`).
    pub fn render(s: &PdSchedule, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<PdShift> {
        let mut out: Vec<PdShift> = Vec::new();
        for shift in &s.shifts {
            let mut pieces = vec![(shift.start, shift.end)];
            for o in &s.overrides {
                pieces = pieces
                    .into_iter()
                    .flat_map(|(a, b)| {
                        if o.end <= a || o.start >= b {
                            vec![(a, b)]
                        } else {
                            [(a, o.start), (o.end, b)]
                                .into_iter()
                                .filter(|(x, y)| x < y)
                                .collect()
                        }
                    })
                    .collect();
            }
            out.extend(pieces.into_iter().map(|(a, b)| PdShift {
                user: shift.user.clone(),
                start: a,
                end: b,
            }));
        }
        out.extend(s.overrides.iter().cloned());
        let mut out: Vec<PdShift> = out
            .into_iter()
            .filter(|e| e.end > since && e.start < until)
            .map(|e| PdShift {
                start: e.start.max(since),
                end: e.end.min(until),
                user: e.user,
            })
            .collect();
        out.sort_by_key(|e| e.start);
        out
    }
}

/// The two services of [`PagerdutyModel::small`]: one with an Events API key and an
/// e-mail integration, one disabled with nothing.
fn small_services() -> Vec<PdService> {
    vec![
        PdService {
            id: "PSVC1".into(),
            name: "checkout".into(),
            status: "active".into(),
            escalation_policy: Some("PEP1".into()),
            teams: vec!["PT1".into()],
            integrations: vec![
                PdIntegration {
                    id: "PINT1".into(),
                    name: "Events API v2".into(),
                    key: Some("a1b2c3d4e5f60718293a4b5c6d7e8f90".into()),
                },
                PdIntegration {
                    id: "PINT2".into(),
                    name: "Email".into(),
                    key: None,
                },
            ],
        },
        PdService {
            id: "PSVC2".into(),
            name: "search".into(),
            status: "disabled".into(),
            escalation_policy: None,
            teams: vec![],
            integrations: vec![],
        },
    ]
}

/// The three incidents of [`PagerdutyModel::small`]: resolved, acknowledged, triggered.
fn small_incidents(now: DateTime<Utc>) -> Vec<PdIncident> {
    vec![
        PdIncident {
            id: "PI1".into(),
            number: 1,
            title: "checkout is down".into(),
            service: "PSVC1".into(),
            created_at: at(now, 48),
            status: "resolved".into(),
            urgency: "high".into(),
            acknowledged_at: Some(at(now, 47)),
            resolved_at: Some(at(now, 46)),
        },
        PdIncident {
            id: "PI2".into(),
            number: 2,
            title: "checkout is slow".into(),
            service: "PSVC1".into(),
            created_at: at(now, 5),
            status: "acknowledged".into(),
            urgency: "low".into(),
            acknowledged_at: Some(at(now, 4)),
            resolved_at: None,
        },
        PdIncident {
            id: "PI3".into(),
            number: 3,
            title: "search errors".into(),
            service: "PSVC2".into(),
            created_at: at(now, 1),
            status: "triggered".into(),
            urgency: "high".into(),
            acknowledged_at: None,
            resolved_at: None,
        },
    ]
}

fn spread(i: usize, n: usize, since: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let span = (now - since).num_seconds().max(1);
    let offset = (i as i64).saturating_mul(span) / (n.max(1) as i64);
    since + Duration::seconds(offset)
}

fn sample_schedule(
    s: usize,
    users: usize,
    teams: usize,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> PdSchedule {
    let members: Vec<String> = (0..4)
        .map(|k| format!("PU{:05}", (s * 3 + k) % users))
        .collect();
    let week = Duration::days(7);
    let mut shifts = Vec::new();
    let mut start = since - week;
    let mut k = 0;
    while start < now + week {
        shifts.push(PdShift {
            user: members[k % members.len()].clone(),
            start,
            end: start + week,
        });
        start += week;
        k += 1;
    }
    let mut overrides = Vec::new();
    let mut o = since + Duration::days(3);
    while o < now {
        overrides.push(PdShift {
            user: format!("PU{:05}", (s * 3 + 5) % users),
            start: o,
            end: o + Duration::hours(12),
        });
        o += Duration::days(14);
    }
    PdSchedule {
        id: format!("PS{s:04}"),
        name: format!("Schedule {s}"),
        teams: vec![format!("PT{:04}", s % teams)],
        users: members,
        shifts,
        overrides,
    }
}

fn sample_incidents(
    n: usize,
    services: usize,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<PdIncident> {
    (0..n)
        .map(|i| {
            let created = spread(i, n, since, now);
            let status = match i % 10 {
                0 => "triggered",
                1 => "acknowledged",
                _ => "resolved",
            };
            let ack = (status != "triggered").then(|| created + Duration::minutes(5));
            let resolved = (status == "resolved").then(|| created + Duration::minutes(45));
            PdIncident {
                id: format!("PI{i:06}"),
                number: i as u64 + 1,
                title: format!("incident {i}"),
                service: format!("PSV{:04}", i % services.max(1)),
                created_at: created,
                status: status.into(),
                urgency: if i % 3 == 0 { "low" } else { "high" }.into(),
                acknowledged_at: ack,
                resolved_at: resolved,
            }
        })
        .collect()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The token of a `Token token=<t>` header.
fn token_of(req: &MockRequest) -> Option<&str> {
    req.authorization()?.strip_prefix("Token token=")
}

/// PagerDuty's error code for an HTTP status.
fn error_code(status: u16) -> u64 {
    match status {
        400 => 2001,
        401 => 2006,
        402 => 2012,
        403 => 2010,
        404 => 2100,
        429 => 2020,
        _ => 2000,
    }
}

/// The mock PagerDuty API over a [`PagerdutyModel`].
#[derive(Debug, Clone)]
pub struct PagerdutyApi {
    model: PagerdutyModel,
    by_user: BTreeMap<String, usize>,
    by_service: BTreeMap<String, usize>,
}

impl PagerdutyApi {
    /// Serves `model`.
    pub fn new(model: PagerdutyModel) -> Self {
        let by_user = model
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        let by_service = model
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Self {
            model,
            by_user,
            by_service,
        }
    }

    /// The model served.
    pub fn model(&self) -> &PagerdutyModel {
        &self.model
    }

    /// `name`, with the caller's token appended when the echo canary is on.
    fn name(&self, name: &str, req: &MockRequest) -> String {
        match (req.echo_canary, token_of(req)) {
            (true, Some(t)) => format!("{name} (token {t})"),
            _ => name.to_owned(),
        }
    }

    fn reference(&self, kind: &str, plural: &str, id: &str, summary: &str) -> Value {
        json!({
            "id": id, "type": format!("{kind}_reference"), "summary": summary,
            "self": format!("{SELF_BASE}/{plural}/{id}"),
            "html_url": format!("{HTML_BASE}/{plural}/{id}"),
        })
    }

    fn user_ref(&self, id: &str, req: &MockRequest) -> Value {
        let name = self
            .by_user
            .get(id)
            .and_then(|i| self.model.users.get(*i))
            .map_or(id.to_owned(), |u| self.name(&u.name, req));
        self.reference("user", "users", id, &name)
    }

    fn team_ref(&self, id: &str) -> Value {
        let name = self
            .model
            .teams
            .iter()
            .find(|t| t.id == id)
            .map_or(id, |t| t.name.as_str());
        self.reference("team", "teams", id, name)
    }
}

/// One page of `items` as PagerDuty's classic pagination answers it, or its 400 for an
/// offset past [`MAX_OFFSET`]; faults rendered in PagerDuty's shapes.
fn page(api: &PagerdutyApi, field: &str, items: Vec<Value>, req: &MockRequest) -> MockAnswer {
    page_of(api, field, items, |v| v, req)
}

/// [`page`] over model items, only the page's slice rendered (`render`), so a long list
/// costs one page of JSON per request, not the whole list.
fn page_of<T>(
    api: &PagerdutyApi,
    field: &str,
    items: Vec<T>,
    render: impl Fn(T) -> Value,
    req: &MockRequest,
) -> MockAnswer {
    let offset: usize = req
        .param("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let limit: usize = req
        .param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    if offset + limit > MAX_OFFSET {
        return api.error(
            400,
            "Offset must be less than 10000 (classic pagination)",
            req,
        );
    }
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(render)
        .collect();
    let mut more = offset + limit < total;
    let want_total = req.param("total") == Some("true");
    match &req.fault {
        Some(Fault::WrongShape) => {
            return MockAnswer::json(
                200,
                &json!({field: {"id": "not-a-list"}, "limit": limit, "offset": offset, "more": false, "total": null}),
            );
        }
        Some(Fault::ErrorBody200) => return error_body(api, 200, "Internal Error", req),
        Some(Fault::EndlessPages) => more = true,
        _ => {}
    }
    MockAnswer::json(
        200,
        &json!({
            field: slice, "limit": limit, "offset": offset, "more": more,
            "total": if want_total { json!(total) } else { Value::Null },
        }),
    )
}

fn error_body(api: &PagerdutyApi, status: u16, message: &str, req: &MockRequest) -> MockAnswer {
    let message = api.name(message, req);
    let mut a = MockAnswer::json(
        status,
        &json!({"error": {"message": message, "code": error_code(status), "errors": [message]}}),
    );
    if status == 429 {
        a.headers.extend([
            ("ratelimit-limit".to_owned(), "960".to_owned()),
            ("ratelimit-remaining".to_owned(), "0".to_owned()),
            ("ratelimit-reset".to_owned(), "1".to_owned()),
        ]);
    }
    a
}

impl Api for PagerdutyApi {
    fn route(&self, req: &MockRequest) -> Option<&'static str> {
        if req.method != "GET" {
            return None;
        }
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        Some(match segments.as_slice() {
            ["services"] => "services",
            ["escalation_policies"] => "escalation_policies",
            ["schedules"] => "schedules",
            ["schedules", _] => "schedules.get",
            ["oncalls"] => "oncalls",
            ["users"] => "users",
            ["teams"] => "teams",
            ["teams", _, "members"] => "teams.members",
            ["incidents"] => "incidents",
            ["change_events"] => "change_events",
            _ => return None,
        })
    }

    fn authorized(&self, req: &MockRequest) -> bool {
        token_of(req).is_some_and(|t| self.model.tokens.iter().any(|k| k == t))
    }

    fn error(&self, status: u16, message: &str, req: &MockRequest) -> MockAnswer {
        error_body(self, status, message, req)
    }

    fn answer(&self, route: &'static str, req: &MockRequest) -> MockAnswer {
        match route {
            "services" => page(self, "services", self.services(req), req),
            "escalation_policies" => page(self, "escalation_policies", self.policies(req), req),
            "schedules" => page(self, "schedules", self.schedule_list(req), req),
            "schedules.get" => self.schedule_get(req),
            "oncalls" => page(self, "oncalls", self.oncalls(req), req),
            "users" => page(self, "users", self.users(req), req),
            "teams" => page(self, "teams", self.teams(req), req),
            "teams.members" => match self.members(req) {
                Some(items) => page(self, "members", items, req),
                None => self.error(404, "Not Found", req),
            },
            "incidents" => match self.incidents(req) {
                Ok(items) => page_of(
                    self,
                    "incidents",
                    items,
                    |i| self.incident_value(i, req),
                    req,
                ),
                Err(message) => self.error(400, &message, req),
            },
            "change_events" => page_of(
                self,
                "change_events",
                self.change_events(req),
                |c| self.change_event_value(c, req),
                req,
            ),
            _ => self.error(404, "Not Found", req),
        }
    }
}

impl PagerdutyApi {
    fn services(&self, req: &MockRequest) -> Vec<Value> {
        let integrations = req.params("include[]").contains(&"integrations");
        self.model
            .services
            .iter()
            .map(|s| {
                let name = self.name(&s.name, req);
                let ints: Vec<Value> = s
                    .integrations
                    .iter()
                    .map(|i| {
                        let path = format!("services/{}/integrations", s.id);
                        if !integrations {
                            return self.reference("inbound_integration", &path, &i.id, &i.name);
                        }
                        let kind = if i.key.is_some() {
                            "events_api_v2_inbound_integration"
                        } else {
                            "generic_email_inbound_integration"
                        };
                        let mut v = json!({
                            "id": i.id, "type": kind, "summary": i.name, "name": i.name,
                            "self": format!("{SELF_BASE}/{path}/{}", i.id),
                            "html_url": format!("{HTML_BASE}/{path}/{}", i.id),
                            "created_at": "2024-01-01T00:00:00Z",
                            "service": self.reference("service", "services", &s.id, &name),
                        });
                        match &i.key {
                            Some(k) => v["integration_key"] = json!(k),
                            None => v["integration_email"] = json!(format!("{}@acme.pagerduty.com", i.id.to_lowercase())),
                        }
                        v
                    })
                    .collect();
                json!({
                    "id": s.id, "type": "service", "summary": name, "name": name,
                    "self": format!("{SELF_BASE}/services/{}", s.id),
                    "html_url": format!("{HTML_BASE}/service-directory/{}", s.id),
                    "description": null, "auto_resolve_timeout": 14400, "acknowledgement_timeout": 600,
                    "created_at": "2024-01-01T00:00:00Z", "status": s.status,
                    "alert_creation": "create_alerts_and_incidents",
                    "escalation_policy": s.escalation_policy.as_ref().map(|p| self.reference("escalation_policy", "escalation_policies", p, p)),
                    "teams": s.teams.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>(),
                    "integrations": ints,
                    "incident_urgency_rule": {"type": "constant", "urgency": "high"},
                })
            })
            .collect()
    }

    fn policies(&self, req: &MockRequest) -> Vec<Value> {
        self.model
            .policies
            .iter()
            .map(|p| {
                let rules: Vec<Value> = p
                    .rules
                    .iter()
                    .enumerate()
                    .map(|(i, targets)| {
                        let targets: Vec<Value> = targets
                            .iter()
                            .map(|t| match t {
                                PdTarget::User(u) => self.user_ref(u, req),
                                PdTarget::Schedule(s) => self.reference("schedule", "schedules", s, s),
                            })
                            .collect();
                        json!({"id": format!("R{}{i}", p.id), "escalation_delay_in_minutes": 30, "targets": targets})
                    })
                    .collect();
                let services: Vec<Value> = self
                    .model
                    .services
                    .iter()
                    .filter(|s| s.escalation_policy.as_deref() == Some(p.id.as_str()))
                    .map(|s| self.reference("service", "services", &s.id, &s.name))
                    .collect();
                let name = self.name(&p.name, req);
                json!({
                    "id": p.id, "type": "escalation_policy", "summary": name, "name": name,
                    "self": format!("{SELF_BASE}/escalation_policies/{}", p.id),
                    "html_url": format!("{HTML_BASE}/escalation_policies/{}", p.id),
                    "on_call_handoff_notifications": "if_has_services", "num_loops": 0,
                    "escalation_rules": rules, "services": services,
                    "teams": p.teams.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    fn schedule_value(&self, s: &PdSchedule, req: &MockRequest) -> Value {
        let name = self.name(&s.name, req);
        let policies: Vec<Value> = self
            .model
            .policies
            .iter()
            .filter(|p| {
                p.rules
                    .iter()
                    .flatten()
                    .any(|t| *t == PdTarget::Schedule(s.id.clone()))
            })
            .map(|p| self.reference("escalation_policy", "escalation_policies", &p.id, &p.name))
            .collect();
        json!({
            "id": s.id, "type": "schedule", "summary": name, "name": name,
            "self": format!("{SELF_BASE}/schedules/{}", s.id),
            "html_url": format!("{HTML_BASE}/schedules/{}", s.id),
            "time_zone": "Etc/UTC", "description": null,
            "escalation_policies": policies,
            "users": s.users.iter().map(|u| self.user_ref(u, req)).collect::<Vec<_>>(),
            "teams": s.teams.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>(),
        })
    }

    fn schedule_list(&self, req: &MockRequest) -> Vec<Value> {
        self.model
            .schedules
            .iter()
            .map(|s| self.schedule_value(s, req))
            .collect()
    }

    fn entries(&self, shifts: &[PdShift], req: &MockRequest) -> Value {
        json!(
            shifts
                .iter()
                .map(|e| json!({"user": self.user_ref(&e.user, req), "start": ts(e.start), "end": ts(e.end)}))
                .collect::<Vec<_>>()
        )
    }

    /// `/schedules/{id}`: the schedule with its layer, overrides and final schedule
    /// rendered over `since`..`until` (two weeks from `since` by default, as PagerDuty).
    fn schedule_get(&self, req: &MockRequest) -> MockAnswer {
        let id = req.path.trim_matches('/').split('/').nth(1).unwrap_or("");
        let Some(s) = self.model.schedules.iter().find(|s| s.id == id) else {
            return self.error(404, "Not Found", req);
        };
        match &req.fault {
            Some(Fault::WrongShape) => {
                return MockAnswer::json(200, &json!({"schedule": "not-an-object"}));
            }
            Some(Fault::ErrorBody200) => return error_body(self, 200, "Internal Error", req),
            _ => {}
        }
        let now = self.model.now.unwrap_or_else(Utc::now);
        let since = parse_time(req.param("since")).unwrap_or(now);
        let until = parse_time(req.param("until")).unwrap_or(since + Duration::days(14));
        let final_entries = PagerdutyModel::render(s, since, until);
        let clip = |v: &[PdShift]| -> Vec<PdShift> {
            v.iter()
                .filter(|e| e.end > since && e.start < until)
                .map(|e| PdShift {
                    user: e.user.clone(),
                    start: e.start.max(since),
                    end: e.end.min(until),
                })
                .collect()
        };
        let mut v = self.schedule_value(s, req);
        v["schedule_layers"] = json!([{
            "id": format!("L{}", s.id), "name": "Layer 1",
            "start": ts(since), "end": null, "rotation_virtual_start": ts(since),
            "rotation_turn_length_seconds": 604800,
            "users": s.users.iter().map(|u| json!({"user": self.user_ref(u, req)})).collect::<Vec<_>>(),
            "restrictions": [],
            "rendered_schedule_entries": self.entries(&clip(&s.shifts), req),
            "rendered_coverage_percentage": 100.0,
        }]);
        v["overrides_subschedule"] = json!({
            "name": "Overrides", "rendered_schedule_entries": self.entries(&clip(&s.overrides), req),
            "rendered_coverage_percentage": 0.0,
        });
        v["final_schedule"] = json!({
            "name": "Final Schedule", "rendered_schedule_entries": self.entries(&final_entries, req),
            "rendered_coverage_percentage": 100.0,
        });
        MockAnswer::json(200, &json!({"schedule": v}))
    }

    fn oncalls(&self, req: &MockRequest) -> Vec<Value> {
        let now = self.model.now.unwrap_or_else(Utc::now);
        let since = parse_time(req.param("since")).unwrap_or(now);
        let until = parse_time(req.param("until")).unwrap_or(since + Duration::seconds(1));
        let wanted = req.params("schedule_ids[]");
        let mut out = Vec::new();
        for p in &self.model.policies {
            for (level, rule) in p.rules.iter().enumerate() {
                for t in rule {
                    let PdTarget::Schedule(sid) = t else { continue };
                    if !wanted.is_empty() && !wanted.contains(&sid.as_str()) {
                        continue;
                    }
                    let Some(s) = self.model.schedules.iter().find(|s| &s.id == sid) else {
                        continue;
                    };
                    for e in PagerdutyModel::render(s, since, until) {
                        out.push(json!({
                            "user": self.user_ref(&e.user, req),
                            "schedule": self.reference("schedule", "schedules", &s.id, &s.name),
                            "escalation_policy": self.reference("escalation_policy", "escalation_policies", &p.id, &p.name),
                            "escalation_level": level + 1, "start": ts(e.start), "end": ts(e.end),
                        }));
                    }
                }
            }
        }
        out
    }

    fn users(&self, req: &MockRequest) -> Vec<Value> {
        self.model
            .users
            .iter()
            .map(|u| {
                let name = self.name(&u.name, req);
                let teams: Vec<Value> = self
                    .model
                    .teams
                    .iter()
                    .filter(|t| t.members.contains(&u.id))
                    .map(|t| self.team_ref(&t.id))
                    .collect();
                json!({
                    "id": u.id, "type": "user", "summary": name, "name": name, "email": u.email,
                    "self": format!("{SELF_BASE}/users/{}", u.id),
                    "html_url": format!("{HTML_BASE}/users/{}", u.id),
                    "time_zone": "Etc/UTC", "color": "green", "role": "user",
                    "avatar_url": "https://pd-static-assets.pagerduty.com/users/blank-avatar.png",
                    "description": null, "invitation_sent": false, "job_title": null,
                    "created_via_sso": false, "teams": teams,
                    "contact_methods": [], "notification_rules": [],
                })
            })
            .collect()
    }

    fn teams(&self, req: &MockRequest) -> Vec<Value> {
        self.model
            .teams
            .iter()
            .map(|t| {
                let name = self.name(&t.name, req);
                json!({
                    "id": t.id, "type": "team", "summary": name, "name": name,
                    "self": format!("{SELF_BASE}/teams/{}", t.id),
                    "html_url": format!("{HTML_BASE}/teams/{}", t.id),
                    "description": null, "default_role": "manager",
                })
            })
            .collect()
    }

    fn members(&self, req: &MockRequest) -> Option<Vec<Value>> {
        let id = req.path.trim_matches('/').split('/').nth(1)?;
        let team = self.model.teams.iter().find(|t| t.id == id)?;
        Some(
            team.members
                .iter()
                .map(|u| json!({"user": self.user_ref(u, req), "role": "responder"}))
                .collect(),
        )
    }

    /// `/incidents?since=&until=&statuses[]=`: incidents created in the range (one month
    /// back by default; a range over six months is a 400, as PagerDuty answers it).
    fn incidents(&self, req: &MockRequest) -> Result<Vec<&PdIncident>, String> {
        let now = self.model.now.unwrap_or_else(Utc::now);
        let until = parse_time(req.param("until")).unwrap_or(now);
        let since = parse_time(req.param("since")).unwrap_or(until - Duration::days(30));
        if until - since > Duration::days(MAX_INCIDENT_RANGE_DAYS) {
            return Err("Invalid Query Date Range: the range is more than 6 months".into());
        }
        let statuses = req.params("statuses[]");
        Ok(self
            .model
            .incidents
            .iter()
            .filter(|i| i.created_at >= since && i.created_at < until)
            .filter(|i| statuses.is_empty() || statuses.contains(&i.status.as_str()))
            .collect())
    }

    fn incident_value(&self, i: &PdIncident, req: &MockRequest) -> Value {
        let service = self
            .by_service
            .get(&i.service)
            .and_then(|n| self.model.services.get(*n));
        let service_name = service.map_or(i.service.as_str(), |s| s.name.as_str());
        let acks: Vec<Value> = match (i.status.as_str(), i.acknowledged_at) {
            ("acknowledged", Some(t)) => {
                vec![json!({"at": ts(t), "acknowledger": self.user_ref("PU1", req)})]
            }
            _ => vec![],
        };
        let last_change = i.resolved_at.or(i.acknowledged_at).unwrap_or(i.created_at);
        let title = self.name(&i.title, req);
        json!({
            "id": i.id, "type": "incident", "summary": format!("[#{}] {title}", i.number),
            "self": format!("{SELF_BASE}/incidents/{}", i.id),
            "html_url": format!("{HTML_BASE}/incidents/{}", i.id),
            "incident_number": i.number, "title": title,
            "created_at": ts(i.created_at), "updated_at": ts(last_change),
            "status": i.status, "incident_key": format!("key-{}", i.id),
            "service": self.reference("service", "services", &i.service, service_name),
            "assignments": [], "assigned_via": "escalation_policy",
            "last_status_change_at": ts(last_change),
            "resolved_at": i.resolved_at.map(ts),
            "acknowledgements": acks,
            "escalation_policy": service.and_then(|s| s.escalation_policy.as_ref()).map(|p| self.reference("escalation_policy", "escalation_policies", p, p)),
            "teams": service.map(|s| s.teams.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>()).unwrap_or_default(),
            "urgency": i.urgency, "is_mergeable": true,
        })
    }

    fn change_events(&self, req: &MockRequest) -> Vec<&PdChangeEvent> {
        let since = parse_time(req.param("since"));
        let until = parse_time(req.param("until"));
        self.model
            .change_events
            .iter()
            .filter(|c| {
                since.is_none_or(|s| c.timestamp >= s) && until.is_none_or(|u| c.timestamp < u)
            })
            .collect()
    }

    fn change_event_value(&self, c: &PdChangeEvent, req: &MockRequest) -> Value {
        json!({
            "id": c.id, "type": "change_event", "summary": self.name(&c.summary, req),
            "timestamp": ts(c.timestamp), "source": "acme-deploy-pipeline",
            "integration": {"id": "PCEINT", "type": "inbound_integration_reference"},
            "services": c.services.iter().map(|s| json!({"id": s, "type": "service_reference"})).collect::<Vec<_>>(),
            "custom_details": {}, "links": [],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, query: &[(&str, &str)]) -> MockRequest {
        MockRequest::get(
            path,
            query,
            &format!("Token token={}", PagerdutyModel::TOKEN),
        )
    }

    fn body(a: &MockAnswer) -> Value {
        serde_json::from_slice(&a.body).unwrap_or(Value::Null)
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn routes_and_tokens() {
        let api = PagerdutyApi::new(PagerdutyModel::small(now()));
        assert_eq!(
            api.route(&req("/schedules/PS1", &[])),
            Some("schedules.get")
        );
        assert_eq!(
            api.route(&req("/teams/PT1/members", &[])),
            Some("teams.members")
        );
        assert_eq!(api.route(&req("/nope", &[])), None);
        assert!(api.authorized(&req("/users", &[])));
        let mut bad = req("/users", &[]);
        bad.headers
            .insert("authorization".into(), "Token token=nope".into());
        assert!(!api.authorized(&bad));
    }

    #[test]
    fn pages_follow_offset_limit_more_total() {
        let api = PagerdutyApi::new(PagerdutyModel::small(now()));
        let a = api.answer(
            "users",
            &req("/users", &[("limit", "2"), ("total", "true")]),
        );
        let v = body(&a);
        assert_eq!(v["users"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            (v["more"].clone(), v["total"].clone()),
            (json!(true), json!(3))
        );
        let v = body(&api.answer("users", &req("/users", &[("limit", "2"), ("offset", "2")])));
        assert_eq!(v["users"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            (v["more"].clone(), v["total"].clone()),
            (json!(false), Value::Null)
        );
        let a = api.answer(
            "users",
            &req("/users", &[("limit", "100"), ("offset", "9950")]),
        );
        assert_eq!(a.status, 400);
    }

    #[test]
    fn the_final_schedule_includes_overrides() {
        let m = PagerdutyModel::small(now());
        let since = now() - Duration::days(14);
        let entries = PagerdutyModel::render(&m.schedules[0], since, now());
        let users: Vec<&str> = entries.iter().map(|e| e.user.as_str()).collect();
        assert_eq!(users, ["PU2", "PU3", "PU2", "PU1"]);
        assert_eq!(entries[1].start, now() - Duration::days(12));
        assert_eq!(entries[3].end, now(), "clipped to the range");
    }

    #[test]
    fn errors_are_pagerduty_shaped_and_429_has_rate_limit_headers() {
        let api = PagerdutyApi::new(PagerdutyModel::small(now()));
        let a = api.error(429, "rate limit exceeded", &req("/users", &[]));
        assert_eq!(body(&a)["error"]["code"], json!(2020));
        assert!(a.headers.iter().any(|(k, _)| k == "ratelimit-reset"));
        let mut r = req("/users", &[]);
        r.echo_canary = true;
        let v = body(&api.error(403, "Access Denied", &r));
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(PagerdutyModel::TOKEN))
        );
    }

    #[test]
    fn incidents_filter_by_range_and_refuse_long_ranges() {
        let api = PagerdutyApi::new(PagerdutyModel::small(now()));
        let since = ts(now() - Duration::hours(10));
        let until = ts(now());
        let a = api.answer(
            "incidents",
            &req("/incidents", &[("since", &since), ("until", &until)]),
        );
        let v = body(&a);
        assert_eq!(v["incidents"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            v["incidents"][0]["acknowledgements"][0]["at"],
            json!(ts(now() - Duration::hours(4)))
        );
        let long = ts(now() - Duration::days(200));
        let a = api.answer(
            "incidents",
            &req("/incidents", &[("since", &long), ("until", &until)]),
        );
        assert_eq!(a.status, 400);
    }

    #[test]
    fn the_sample_has_the_asked_sizes() {
        let m = PagerdutyModel::sample(50, 20, 1000, 90);
        assert_eq!(
            (m.services.len(), m.schedules.len(), m.incidents.len()),
            (50, 20, 1000)
        );
        assert_eq!(m.change_events.len(), 200);
        assert!(m.schedules.iter().all(|s| !s.overrides.is_empty()));
    }
}
