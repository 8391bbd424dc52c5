//! Mock Opsgenie REST API (v2 for teams, users, schedules and escalations; v1 for services
//! and incidents), answering from an [`OpsgenieModel`] built in code.
//!
//! Shaped on `opsgenie-oas` (`definitions/` and `paths/`): every answer is the envelope
//! `{"data": ..., "took": ..., "requestId": ...}` (`BaseResponse`), lists that page
//! (`ListUsersResponse`, `ListIncidentsResponse`) add `paging {next, first, last}` (absolute
//! URLs, `PageDetails`) and `totalCount`, paged by `offset`/`limit` with `sort`/`order`
//! (users: `sortField`), and errors are `ErrorResponse` (`{"message", "took",
//! "requestId"}`). Every answer carries `X-Request-ID`, `X-Response-Time` and
//! `X-RateLimit-State`; a 429 adds `X-RateLimit-Reason` and `X-RateLimit-Period-In-Sec`,
//! the rate-limit headers the description lists (the server adds `Retry-After`).
//!
//! The Service API (`/v1/services`) is not in `opsgenie-oas`; it follows Opsgenie's
//! documented Service API (docs.opsgenie.com/docs/service-api): services with `id`,
//! `name`, `description`, `teamId`, `tags`, paged like the other v1 lists. The incident
//! list adds `impactedServices` (service ids), which the documented Incident API gives
//! and the description's `BaseIncident` omits.
//!
//! Faults the API renders itself: `WrongShape` answers a list route with `data` an
//! object and a single-object route with `data` a string; `ErrorBody200` answers 200
//! with the `ErrorResponse` body (no `data`); `EndlessPages` makes `paging.next` always
//! present on the paged lists (`users`, `services`, `incidents`), past the end too (the
//! unpaged lists, as Opsgenie answers them, are unchanged). With the echo canary on, the
//! caller's key is reflected into names (`fromUser` too) and error messages.

use crate::faults::Fault;
use crate::server::{Api, MockAnswer, MockRequest};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The key the mock accepts unless told otherwise ([`OpsgenieApi::with_keys`]).
pub const KEY: &str = "ogkey-5b1e0c7a-evident-canary-3f9d";

/// A user (`User`): `username` is the login email.
#[derive(Debug, Clone)]
pub struct User {
    /// Opsgenie id.
    pub id: String,
    /// Login email.
    pub username: String,
    /// Display name.
    pub full_name: String,
}

/// A team (`Team`) and its members' user ids.
#[derive(Debug, Clone)]
pub struct Team {
    /// Opsgenie id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Member user ids.
    pub members: Vec<String>,
}

/// One period of a schedule's final timeline (`TimelinePeriod`).
#[derive(Debug, Clone)]
pub struct Period {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// The user on call (a `user` recipient).
    pub user: String,
    /// The user the rotation had before an override took the period; `Some` makes the
    /// period an override (`type: "override"`, `fromUser`).
    pub from_user: Option<String>,
}

/// A rotation and its rendered periods.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// Opsgenie id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Participant user ids (as configured, `participants`).
    pub participants: Vec<String>,
    /// Its periods, overrides applied.
    pub periods: Vec<Period>,
}

/// A schedule (`Schedule`).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Opsgenie id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner team id.
    pub owner_team: Option<String>,
    /// Rotations.
    pub rotations: Vec<Rotation>,
}

/// An escalation (`Escalation`): owner team and rule recipients `(type, id)`.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// Opsgenie id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner team id.
    pub owner_team: Option<String>,
    /// Rule recipients: `("user" | "schedule" | "team", id)`.
    pub recipients: Vec<(String, String)>,
}

/// A service of the Service API.
#[derive(Debug, Clone)]
pub struct Service {
    /// Opsgenie id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Team id.
    pub team_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// An incident (`BaseIncident` plus `impactedServices`).
#[derive(Debug, Clone)]
pub struct Incident {
    /// Opsgenie id.
    pub id: String,
    /// Short id.
    pub tiny_id: String,
    /// Message.
    pub message: String,
    /// `open`, `resolved`, `closed`.
    pub status: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change (for a resolved incident, the resolution unless it changed since).
    pub updated_at: DateTime<Utc>,
    /// `P1`..`P5`.
    pub priority: String,
    /// Impacted service ids.
    pub impacted_services: Vec<String>,
    /// Owner team id.
    pub owner_team: Option<String>,
}

/// The estate the mock answers from.
#[derive(Debug, Clone)]
pub struct OpsgenieModel {
    /// The mock's present: `on-calls` without `date` and the default timeline start.
    pub now: DateTime<Utc>,
    /// Users.
    pub users: Vec<User>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Schedules.
    pub schedules: Vec<Schedule>,
    /// Escalations.
    pub escalations: Vec<Escalation>,
    /// Services.
    pub services: Vec<Service>,
    /// Incidents.
    pub incidents: Vec<Incident>,
}

fn user(id: &str, email: &str, name: &str) -> User {
    User {
        id: id.into(),
        username: email.into(),
        full_name: name.into(),
    }
}

impl OpsgenieModel {
    /// A small estate the probe tests assert field by field: two teams (`web`: alice,
    /// bob; `data`: carol), three users and dave (on no team), one schedule of `web`
    /// whose weekly rotation alternates alice and bob with dave overriding one day
    /// (so dave is a participant only through the override), one escalation of `web`
    /// paging the schedule, carol and the `data` team, two services (`checkout` of
    /// `web` tagged `payments`, `reports` of `data`) and three incidents in the last 90
    /// days (resolved, closed, open) plus one older than the window.
    pub fn small(now: DateTime<Utc>) -> Self {
        let users = vec![
            user("u-alice", "Alice@Example.com", "Alice Example"),
            user("u-bob", "bob@example.com", "Bob Example"),
            user("u-carol", "carol@example.com", "Carol Example"),
            user("u-dave", "dave@example.com", "Dave Example"),
        ];
        let teams = vec![
            Team {
                id: "t-web".into(),
                name: "web".into(),
                members: vec!["u-alice".into(), "u-bob".into()],
            },
            Team {
                id: "t-data".into(),
                name: "data".into(),
                members: vec!["u-carol".into()],
            },
        ];
        let schedules = vec![Schedule {
            id: "s-web".into(),
            name: "web on call".into(),
            owner_team: Some("t-web".into()),
            rotations: vec![small_rotation(now)],
        }];
        let escalations = vec![Escalation {
            id: "e-web".into(),
            name: "web escalation".into(),
            owner_team: Some("t-web".into()),
            recipients: vec![
                ("schedule".into(), "s-web".into()),
                ("user".into(), "u-carol".into()),
                ("team".into(), "t-data".into()),
            ],
        }];
        let services = vec![
            Service {
                id: "svc-checkout".into(),
                name: "checkout".into(),
                team_id: Some("t-web".into()),
                tags: vec!["payments".into()],
            },
            Service {
                id: "svc-reports".into(),
                name: "reports".into(),
                team_id: Some("t-data".into()),
                tags: vec![],
            },
        ];
        let incidents = small_incidents(now);
        Self {
            now,
            users,
            teams,
            schedules,
            escalations,
            services,
            incidents,
        }
    }

    /// A large estate for benchmarks: `services` services over `services / 5` teams (at
    /// least one) of six members each, `schedules` schedules (weekly rotations over the
    /// last `days` days and the next week, one override each), one escalation per team,
    /// and `incidents` incidents spread over the window.
    pub fn sample(services: usize, schedules: usize, incidents: usize, days: u32) -> Self {
        let now = Utc::now();
        let team_count = (services / 5).max(1);
        let mut users = Vec::new();
        let mut teams = Vec::new();
        for t in 0..team_count {
            let members: Vec<String> = (0..6).map(|m| format!("u-{t}-{m}")).collect();
            for (m, id) in members.iter().enumerate() {
                users.push(user(
                    id,
                    &format!("user{t}.{m}@example.com"),
                    &format!("User {t}.{m}"),
                ));
            }
            teams.push(Team {
                id: format!("t-{t}"),
                name: format!("team-{t}"),
                members,
            });
        }
        let schedules = (0..schedules)
            .map(|s| sample_schedule(s, &teams[s % team_count], now, days))
            .collect();
        let escalations = teams
            .iter()
            .enumerate()
            .map(|(t, team)| Escalation {
                id: format!("e-{t}"),
                name: format!("{} escalation", team.name),
                owner_team: Some(team.id.clone()),
                recipients: vec![
                    ("schedule".into(), format!("s-{t}")),
                    ("user".into(), team.members[0].clone()),
                    ("team".into(), team.id.clone()),
                ],
            })
            .collect();
        let services_list = (0..services)
            .map(|s| Service {
                id: format!("svc-{s}"),
                name: format!("service-{s}"),
                team_id: Some(format!("t-{}", s % team_count)),
                tags: vec![format!("tier{}", s % 3)],
            })
            .collect();
        let incidents = sample_incidents(incidents, services.max(1), now, days);
        Self {
            now,
            users,
            teams,
            schedules,
            escalations,
            services: services_list,
            incidents,
        }
    }
}

/// Alice and bob alternate weekly over the last 13 weeks and the next; dave overrides
/// one day of alice's week ten days ago; alice is on call now.
fn small_rotation(now: DateTime<Utc>) -> Rotation {
    let start = now - Duration::days(91) + Duration::hours(1);
    let mut periods = Vec::new();
    for w in 0..14 {
        let from = start + Duration::weeks(w);
        let to = from + Duration::weeks(1);
        let on = if w % 2 == 1 { "u-alice" } else { "u-bob" };
        periods.push(Period {
            start: from,
            end: to,
            user: on.into(),
            from_user: None,
        });
    }
    // Week 12 (alice's, now - 7 days ± a week) has dave for a day in the middle.
    let i = periods
        .iter()
        .position(|p| p.start <= now - Duration::days(10) && now - Duration::days(10) < p.end)
        .unwrap_or(0);
    let base = periods[i].clone();
    let cut = now - Duration::days(10);
    let back = cut + Duration::days(1);
    periods.splice(
        i..=i,
        [
            Period {
                end: cut,
                ..base.clone()
            },
            Period {
                start: cut,
                end: back,
                user: "u-dave".into(),
                from_user: Some(base.user.clone()),
            },
            Period {
                start: back,
                ..base
            },
        ],
    );
    // Whoever holds now: make it alice for a stable assertion.
    for p in &mut periods {
        if p.start <= now && now < p.end && p.from_user.is_none() {
            p.user = "u-alice".into();
        }
    }
    Rotation {
        id: "r-web".into(),
        name: "weekly".into(),
        participants: vec!["u-alice".into(), "u-bob".into()],
        periods,
    }
}

fn small_incidents(now: DateTime<Utc>) -> Vec<Incident> {
    let inc = |id: &str, tiny: &str, status: &str, age_h: i64, dur_h: i64, svc: &[&str]| Incident {
        id: id.into(),
        tiny_id: tiny.into(),
        message: format!("incident {tiny}"),
        status: status.into(),
        created_at: now - Duration::hours(age_h),
        updated_at: now - Duration::hours(age_h) + Duration::hours(dur_h),
        priority: "P2".into(),
        impacted_services: svc.iter().map(|s| (*s).to_owned()).collect(),
        owner_team: Some("t-web".into()),
    };
    vec![
        inc("i-old", "1", "closed", 24 * 120, 2, &["svc-checkout"]),
        inc("i-1", "2", "resolved", 24 * 30, 3, &["svc-checkout"]),
        inc(
            "i-2",
            "3",
            "closed",
            24 * 5,
            1,
            &["svc-checkout", "svc-reports"],
        ),
        inc("i-3", "4", "open", 2, 1, &["svc-reports"]),
    ]
}

fn sample_schedule(s: usize, team: &Team, now: DateTime<Utc>, days: u32) -> Schedule {
    let start = now - Duration::days(i64::from(days)) - Duration::hours(1);
    let weeks = i64::from(days) / 7 + 3;
    let mut periods: Vec<Period> = (0..weeks)
        .map(|w| Period {
            start: start + Duration::weeks(w),
            end: start + Duration::weeks(w + 1),
            user: team.members[(w as usize) % team.members.len()].clone(),
            from_user: None,
        })
        .collect();
    if let Some(p) = periods.get_mut(1) {
        p.from_user = Some(p.user.clone());
        p.user = team.members[(s + 3) % team.members.len()].clone();
    }
    Schedule {
        id: format!("s-{s}"),
        name: format!("schedule-{s}"),
        owner_team: Some(team.id.clone()),
        rotations: vec![Rotation {
            id: format!("r-{s}"),
            name: "weekly".into(),
            participants: team.members.clone(),
            periods,
        }],
    }
}

fn sample_incidents(n: usize, services: usize, now: DateTime<Utc>, days: u32) -> Vec<Incident> {
    let window = i64::from(days) * 24 * 3600 - 3600;
    (0..n)
        .map(|i| {
            let age = window - (window * i as i64) / (n.max(1) as i64);
            let created = now - Duration::seconds(age);
            let status = ["resolved", "closed", "open"][i % 3];
            Incident {
                id: format!("i-{i}"),
                tiny_id: (i + 1).to_string(),
                message: format!("incident {i}"),
                status: status.into(),
                created_at: created,
                updated_at: created + Duration::minutes(30 + (i % 90) as i64),
                priority: format!("P{}", i % 5 + 1),
                impacted_services: vec![format!("svc-{}", i % services)],
                owner_team: None,
            }
        })
        .collect()
}

/// The mock Opsgenie API: an [`OpsgenieModel`] behind the routes the probe reads.
///
/// Routes: `teams` (`/v2/teams`), `teams.get` (`/v2/teams/{id}`), `users` (`/v2/users`),
/// `schedules` (`/v2/schedules`), `schedules.timeline` (`/v2/schedules/{id}/timeline`),
/// `schedules.on-calls` (`/v2/schedules/{id}/on-calls`), `escalations`
/// (`/v2/escalations`), `services` (`/v1/services`), `incidents` (`/v1/incidents`).
#[derive(Debug, Clone)]
pub struct OpsgenieApi {
    model: OpsgenieModel,
    keys: Vec<String>,
}

impl OpsgenieApi {
    /// The API over `model`, accepting [`KEY`].
    pub fn new(model: OpsgenieModel) -> Self {
        Self {
            model,
            keys: vec![KEY.to_owned()],
        }
    }

    /// Accepts these keys instead.
    pub fn with_keys(mut self, keys: &[&str]) -> Self {
        self.keys = keys.iter().map(|k| (*k).to_owned()).collect();
        self
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The credential of a `GenieKey` header, as sent.
fn credential(req: &MockRequest) -> String {
    req.authorization()
        .map(|a| a.strip_prefix("GenieKey ").unwrap_or(a).to_owned())
        .unwrap_or_default()
}

/// `name`, with the caller's credential reflected into it when the canary is on.
fn named(name: &str, req: &MockRequest) -> String {
    if req.echo_canary {
        format!("{name} [{}]", credential(req))
    } else {
        name.to_owned()
    }
}

fn request_id(req: &MockRequest) -> String {
    let n = req.path.len() * 7919 + req.query.len() * 104_729;
    format!("7f0c9a3e-{:04x}-4b6e-9d1a-{:012x}", n % 0xffff, n)
}

fn base_headers(req: &MockRequest) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("x-request-id".into(), request_id(req)),
        ("x-response-time".into(), "0.004".into()),
        ("x-ratelimit-state".into(), "OK".into()),
    ]
}

/// `data` in the success envelope.
fn envelope(data: Value, extra: Option<Value>, req: &MockRequest) -> MockAnswer {
    let mut body = json!({"data": data, "took": 0.004, "requestId": request_id(req)});
    if let (Some(Value::Object(extra)), Some(obj)) = (extra, body.as_object_mut()) {
        obj.extend(extra);
    }
    let mut answer = MockAnswer::json(200, &body);
    answer.headers = base_headers(req);
    answer
}

/// One page of `items` as `offset`/`limit` ask (`limit` at most 100), with `paging`
/// links built on the request's own host and query, and `totalCount`. Only the page's
/// items are rendered (`render`), so a large estate answers each page in little time.
fn paged<T>(
    items: &[T],
    render: impl Fn(&T) -> Value,
    default_limit: usize,
    req: &MockRequest,
) -> MockAnswer {
    let limit = req
        .param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(default_limit)
        .clamp(1, 100);
    let offset = req
        .param("offset")
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let page: Vec<Value> = items.iter().skip(offset).take(limit).map(render).collect();
    let link = |off: usize| {
        let mut q: Vec<String> = req
            .query
            .iter()
            .filter(|(k, _)| k != "offset" && k != "limit")
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('>', "%3E")))
            .collect();
        q.push(format!("offset={off}"));
        q.push(format!("limit={limit}"));
        let host = req
            .headers
            .get("host")
            .map_or("api.opsgenie.com", String::as_str);
        format!("http://{host}{}?{}", req.path, q.join("&"))
    };
    let last = total.saturating_sub(1) / limit * limit;
    let mut paging = json!({"first": link(0), "last": link(last)});
    let endless = req.fault == Some(Fault::EndlessPages);
    if offset + limit < total || endless {
        paging["next"] = json!(link(offset + limit));
    }
    if offset > 0 {
        paging["prev"] = json!(link(offset.saturating_sub(limit)));
    }
    envelope(
        Value::Array(page),
        Some(json!({"paging": paging, "totalCount": total})),
        req,
    )
}

impl OpsgenieApi {
    fn user_json(&self, u: &User, req: &MockRequest) -> Value {
        json!({"id": u.id, "username": u.username, "fullName": named(&u.full_name, req),
               "role": {"id": "User", "name": "User"}, "timeZone": "Europe/Istanbul",
               "locale": "en_US", "blocked": false, "verified": true,
               "createdAt": "2024-02-01T10:00:00.000Z"})
    }

    fn users(&self, req: &MockRequest) -> MockAnswer {
        let mut users: Vec<&User> = self.model.users.iter().collect();
        match req.param("sortField") {
            Some("fullName") => users.sort_by(|a, b| a.full_name.cmp(&b.full_name)),
            Some("username") => users.sort_by(|a, b| a.username.cmp(&b.username)),
            _ => {}
        }
        if req.param("order") == Some("desc") {
            users.reverse();
        }
        paged(&users, |u| self.user_json(u, req), 100, req)
    }

    fn teams(&self, req: &MockRequest) -> MockAnswer {
        let items = self
            .model
            .teams
            .iter()
            .map(|t| json!({"id": t.id, "name": named(&t.name, req), "description": ""}))
            .collect();
        envelope(
            Value::Array(items),
            Some(json!({"expandable": ["member"]})),
            req,
        )
    }

    fn team(&self, id: &str, req: &MockRequest) -> MockAnswer {
        let by_name = req.param("identifierType") == Some("name");
        let Some(t) = self
            .model
            .teams
            .iter()
            .find(|t| if by_name { t.name == id } else { t.id == id })
        else {
            return self.error(404, "No team exists with id", req);
        };
        let members: Vec<Value> = t
            .members
            .iter()
            .filter_map(|m| self.model.users.iter().find(|u| &u.id == m))
            .map(|u| json!({"user": {"id": u.id, "username": u.username}, "role": "user"}))
            .collect();
        envelope(
            json!({"id": t.id, "name": named(&t.name, req), "description": "", "members": members}),
            None,
            req,
        )
    }

    fn schedules(&self, req: &MockRequest) -> MockAnswer {
        let expand = req.param("expand").is_some_and(|e| e.contains("rotation"));
        let items = self
            .model
            .schedules
            .iter()
            .map(|s| {
                let mut v = json!({"id": s.id, "name": named(&s.name, req), "description": "",
                                   "timezone": "Europe/Istanbul", "enabled": true,
                                   "ownerTeam": s.owner_team.as_ref().map(|t| self.team_meta(t))});
                if expand {
                    v["rotations"] = s.rotations.iter().map(|r| rotation_json(r, s)).collect();
                }
                v
            })
            .collect();
        envelope(
            Value::Array(items),
            Some(json!({"expandable": ["rotation"]})),
            req,
        )
    }

    fn team_meta(&self, id: &str) -> Value {
        let name = self
            .model
            .teams
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.clone());
        json!({"id": id, "name": name})
    }

    fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.model.schedules.iter().find(|s| s.id == id)
    }

    fn timeline(&self, id: &str, req: &MockRequest) -> MockAnswer {
        let Some(s) = self.schedule(id) else {
            return self.error(404, "Schedule with the identifier does not exist", req);
        };
        let from = req
            .param("date")
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map_or(self.model.now, |d| d.with_timezone(&Utc));
        let n = req
            .param("interval")
            .and_then(|i| i.parse::<i64>().ok())
            .unwrap_or(1);
        let span = match req.param("intervalUnit") {
            Some("days") => Duration::days(n),
            Some("months") => Duration::days(30 * n),
            _ => Duration::weeks(n),
        };
        let to = from + span;
        let final_rotations: Vec<Value> = s
            .rotations
            .iter()
            .map(|r| {
                let periods: Vec<Value> = r
                    .periods
                    .iter()
                    .filter(|p| p.start < to && p.end > from)
                    .map(|p| self.period_json(p, from, to, req))
                    .collect();
                json!({"id": r.id, "name": r.name, "order": 0.0, "periods": periods})
            })
            .collect();
        envelope(
            json!({"_parent": {"id": s.id, "name": named(&s.name, req), "enabled": true},
                   "startDate": ts(from), "endDate": ts(to),
                   "finalTimeline": {"rotations": final_rotations}}),
            Some(json!({"expandable": ["base", "forwarding", "override"]})),
            req,
        )
    }

    fn period_json(
        &self,
        p: &Period,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        req: &MockRequest,
    ) -> Value {
        let name = self
            .model
            .users
            .iter()
            .find(|u| u.id == p.user)
            .map(|u| u.username.clone());
        let mut v = json!({"startDate": ts(p.start.max(from)), "endDate": ts(p.end.min(to)),
                           "type": if p.from_user.is_some() { "override" } else { "default" },
                           "recipient": {"id": p.user, "type": "user", "name": name}});
        if let Some(from_user) = &p.from_user {
            let from_name = self.model.users.iter().find(|u| &u.id == from_user);
            v["fromUser"] = json!(from_name.map(|u| named(&u.username, req)));
        }
        v
    }

    fn on_calls(&self, id: &str, req: &MockRequest) -> MockAnswer {
        let Some(s) = self.schedule(id) else {
            return self.error(404, "Schedule with the identifier does not exist", req);
        };
        let at = req
            .param("date")
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map_or(self.model.now, |d| d.with_timezone(&Utc));
        let on: Vec<Value> = s
            .rotations
            .iter()
            .flat_map(|r| r.periods.iter())
            .filter(|p| p.start <= at && at < p.end)
            .map(|p| json!({"id": p.user, "type": "user", "name": p.user}))
            .collect();
        envelope(
            json!({"_parent": {"id": s.id, "name": named(&s.name, req), "enabled": true},
                   "onCallParticipants": on}),
            None,
            req,
        )
    }

    fn escalations(&self, req: &MockRequest) -> MockAnswer {
        let items = self
            .model
            .escalations
            .iter()
            .map(|e| {
                let rules: Vec<Value> = e
                    .recipients
                    .iter()
                    .enumerate()
                    .map(|(i, (kind, id))| {
                        json!({"condition": "if-not-acked", "notifyType": "default",
                               "delay": {"timeAmount": i * 5, "timeUnit": "minutes"},
                               "recipient": {"type": kind, "id": id}})
                    })
                    .collect();
                json!({"id": e.id, "name": named(&e.name, req), "description": "",
                       "ownerTeam": e.owner_team.as_ref().map(|t| self.team_meta(t)),
                       "rules": rules,
                       "repeat": {"waitInterval": 10, "count": 1, "resetRecipientStates": false,
                                  "closeAlertAfterAll": false}})
            })
            .collect();
        envelope(Value::Array(items), None, req)
    }

    fn services(&self, req: &MockRequest) -> MockAnswer {
        let render = |s: &Service| {
            json!({"id": s.id, "name": named(&s.name, req), "description": "",
                   "teamId": s.team_id, "tags": s.tags, "isExternal": false})
        };
        paged(&self.model.services, render, 20, req)
    }

    fn incidents(&self, req: &MockRequest) -> MockAnswer {
        let Some(query) = req.param("query") else {
            return self.error(422, "query is required", req);
        };
        let since = created_after(query);
        let mut list: Vec<&Incident> = self
            .model
            .incidents
            .iter()
            .filter(|i| {
                since.is_none_or(|(ms, inclusive)| {
                    let t = i.created_at.timestamp_millis();
                    t > ms || (inclusive && t == ms)
                })
            })
            .collect();
        list.sort_by_key(|i| i.created_at);
        if req.param("order") != Some("asc") {
            list.reverse();
        }
        let render = |i: &&Incident| {
            json!({"id": i.id, "tinyId": i.tiny_id, "message": named(&i.message, req),
                       "status": i.status, "isSeen": true, "tags": [],
                       "createdAt": ts(i.created_at), "updatedAt": ts(i.updated_at),
                       "source": "API", "owner": "", "priority": i.priority,
                       "responders": i.owner_team.iter().map(|t| json!({"type": "team", "id": t})).collect::<Vec<_>>(),
                       "ownerTeam": i.owner_team.clone().unwrap_or_default(),
                       "impactedServices": i.impacted_services, "extraProperties": {}})
        };
        paged(&list, render, 20, req)
    }

    /// The answer a fault asks the API itself to render, if it is one of those.
    fn faulty(&self, route: &str, req: &MockRequest) -> Option<MockAnswer> {
        let list = matches!(
            route,
            "teams" | "users" | "schedules" | "escalations" | "services" | "incidents"
        );
        match req.fault {
            Some(Fault::WrongShape) => {
                let data = if list {
                    json!({"id": "not-a-list"})
                } else {
                    json!("not-an-object")
                };
                Some(envelope(data, None, req))
            }
            Some(Fault::ErrorBody200) => {
                let mut a = self.error(500, "Internal Server Error", req);
                a.status = 200;
                Some(a)
            }
            _ => None,
        }
    }
}

/// `createdAt>N` / `createdAt>=N` (epoch milliseconds) of an incident query.
fn created_after(query: &str) -> Option<(i64, bool)> {
    let rest = query.trim().strip_prefix("createdAt")?.trim_start();
    let (inclusive, rest) = match rest.strip_prefix(">=") {
        Some(r) => (true, r),
        None => (false, rest.strip_prefix('>')?),
    };
    let digits: String = rest
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(|ms| (ms, inclusive))
}

fn rotation_json(r: &Rotation, s: &Schedule) -> Value {
    let start = r.periods.first().map(|p| ts(p.start));
    json!({"id": r.id, "name": r.name, "startDate": start, "type": "weekly", "length": 1,
           "participants": r.participants.iter().map(|p| json!({"type": "user", "id": p})).collect::<Vec<_>>(),
           "_parent": {"id": s.id, "name": s.name, "enabled": true}})
}

/// The path's segments after `prefix`, when it starts with it.
fn tail<'a>(path: &'a str, prefix: &str) -> Option<Vec<&'a str>> {
    let rest = path.strip_prefix(prefix)?;
    Some(
        rest.trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

impl Api for OpsgenieApi {
    fn route(&self, req: &MockRequest) -> Option<&'static str> {
        if req.method != "GET" {
            return None;
        }
        let p = req.path.as_str();
        match p.trim_end_matches('/') {
            "/v2/teams" => return Some("teams"),
            "/v2/users" => return Some("users"),
            "/v2/schedules" => return Some("schedules"),
            "/v2/escalations" => return Some("escalations"),
            "/v1/services" => return Some("services"),
            "/v1/incidents" => return Some("incidents"),
            _ => {}
        }
        if let Some(seg) = tail(p, "/v2/teams/") {
            return (seg.len() == 1).then_some("teams.get");
        }
        match tail(p, "/v2/schedules/")?.as_slice() {
            [_, "timeline"] => Some("schedules.timeline"),
            [_, "on-calls"] => Some("schedules.on-calls"),
            _ => None,
        }
    }

    fn authorized(&self, req: &MockRequest) -> bool {
        let Some(header) = req.authorization() else {
            return false;
        };
        self.keys.iter().any(|k| header == format!("GenieKey {k}"))
    }

    fn error(&self, status: u16, message: &str, req: &MockRequest) -> MockAnswer {
        let message = if req.echo_canary {
            format!("{message} (key {})", credential(req))
        } else {
            match status {
                401 => "Could not authenticate".to_owned(),
                403 => "You are not authorized for this operation".to_owned(),
                429 => "You are making too many requests! To avoid errors, we recommend you limit requests.".to_owned(),
                _ => message.to_owned(),
            }
        };
        let body = json!({"message": message, "took": 0.002, "requestId": request_id(req)});
        let mut a = MockAnswer::json(status, &body);
        a.headers = base_headers(req);
        if status == 429 {
            a.headers.retain(|(k, _)| k != "x-ratelimit-state");
            a.headers
                .push(("x-ratelimit-state".into(), "THROTTLED".into()));
            a.headers
                .push(("x-ratelimit-reason".into(), "INTEGRATION".into()));
            a.headers
                .push(("x-ratelimit-period-in-sec".into(), "60".into()));
        }
        a
    }

    fn answer(&self, route: &'static str, req: &MockRequest) -> MockAnswer {
        if let Some(a) = self.faulty(route, req) {
            return a;
        }
        let id = req
            .path
            .trim_end_matches('/')
            .split('/')
            .nth(3)
            .unwrap_or("");
        match route {
            "teams" => self.teams(req),
            "teams.get" => self.team(id, req),
            "users" => self.users(req),
            "schedules" => self.schedules(req),
            "schedules.timeline" => self.timeline(id, req),
            "schedules.on-calls" => self.on_calls(id, req),
            "escalations" => self.escalations(req),
            "services" => self.services(req),
            "incidents" => self.incidents(req),
            _ => self.error(404, "not found", req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, query: &[(&str, &str)]) -> MockRequest {
        let mut r = MockRequest::get(path, query, &format!("GenieKey {KEY}"));
        r.headers.insert("host".into(), "127.0.0.1:1".into());
        r
    }

    fn body(a: &MockAnswer) -> Value {
        serde_json::from_slice(&a.body).unwrap_or(Value::Null)
    }

    #[test]
    fn routes_are_named() {
        let api = OpsgenieApi::new(OpsgenieModel::small(Utc::now()));
        for (path, route) in [
            ("/v2/teams", Some("teams")),
            ("/v2/teams/t-web", Some("teams.get")),
            ("/v2/schedules/s-web/timeline", Some("schedules.timeline")),
            ("/v2/schedules/s-web/on-calls", Some("schedules.on-calls")),
            ("/v1/incidents/", Some("incidents")),
            ("/v2/alerts", None),
        ] {
            assert_eq!(api.route(&req(path, &[])), route, "{path}");
        }
    }

    #[test]
    fn users_page_with_links_and_total() {
        let api = OpsgenieApi::new(OpsgenieModel::small(Utc::now()));
        let r = req("/v2/users", &[("limit", "3"), ("offset", "0")]);
        let b = body(&api.answer("users", &r));
        assert_eq!(b["data"].as_array().map(Vec::len), Some(3));
        assert_eq!(b["totalCount"], 4);
        assert!(
            b["paging"]["next"]
                .as_str()
                .is_some_and(|n| n.contains("offset=3"))
        );
        let r = req("/v2/users", &[("limit", "3"), ("offset", "3")]);
        let b = body(&api.answer("users", &r));
        assert_eq!(b["data"].as_array().map(Vec::len), Some(1));
        assert!(b["paging"].get("next").is_none());
        assert!(b["requestId"].is_string() && b["took"].is_number());
    }

    #[test]
    fn incidents_filter_on_created_at_and_sort() {
        let now = Utc::now();
        let api = OpsgenieApi::new(OpsgenieModel::small(now));
        let since = (now - Duration::days(90)).timestamp_millis();
        let q = format!("createdAt>{since}");
        let r = req(
            "/v1/incidents",
            &[("query", &q), ("order", "asc"), ("limit", "100")],
        );
        let b = body(&api.answer("incidents", &r));
        let ids: Vec<&str> = b["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"].as_str())
            .collect();
        assert_eq!(ids, ["i-1", "i-2", "i-3"]);
        assert_eq!(
            api.answer("incidents", &req("/v1/incidents", &[])).status,
            422
        );
    }

    #[test]
    fn the_timeline_holds_the_override() {
        let now = Utc::now();
        let api = OpsgenieApi::new(OpsgenieModel::small(now));
        let date = ts(now - Duration::days(90));
        let r = req(
            "/v2/schedules/s-web/timeline",
            &[
                ("date", &date),
                ("interval", "91"),
                ("intervalUnit", "days"),
            ],
        );
        let b = body(&api.answer("schedules.timeline", &r));
        let periods = &b["data"]["finalTimeline"]["rotations"][0]["periods"];
        let over: Vec<&Value> = periods
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["type"] == "override")
            .collect();
        assert_eq!(over.len(), 1);
        assert_eq!(over[0]["recipient"]["id"], "u-dave");
    }

    #[test]
    fn faults_render_in_opsgenie_shapes() {
        let api = OpsgenieApi::new(OpsgenieModel::small(Utc::now()));
        let mut r = req("/v2/teams", &[]);
        r.fault = Some(Fault::WrongShape);
        assert!(body(&api.answer("teams", &r))["data"].is_object());
        r.fault = Some(Fault::ErrorBody200);
        let a = api.answer("teams", &r);
        assert_eq!(a.status, 200);
        assert!(body(&a)["message"].is_string() && body(&a).get("data").is_none());
        let mut r = req("/v2/users", &[("limit", "100")]);
        r.fault = Some(Fault::EndlessPages);
        assert!(body(&api.answer("users", &r))["paging"]["next"].is_string());
        let e = api.error(429, "x", &r);
        assert!(
            e.headers
                .iter()
                .any(|(k, v)| k == "x-ratelimit-state" && v == "THROTTLED")
        );
    }

    #[test]
    fn the_canary_reflects_the_key() {
        let api = OpsgenieApi::new(OpsgenieModel::small(Utc::now()));
        let mut r = req("/v2/teams", &[]);
        r.echo_canary = true;
        let text = String::from_utf8_lossy(&api.answer("teams", &r).body).into_owned();
        assert!(text.contains(KEY));
        let text = String::from_utf8_lossy(&api.error(403, "no", &r).body).into_owned();
        assert!(text.contains(KEY));
        assert!(api.authorized(&req("/v2/teams", &[])));
        let mut bad = req("/v2/teams", &[]);
        bad.headers
            .insert("authorization".into(), "GenieKey nope".into());
        assert!(!api.authorized(&bad));
    }

    #[test]
    fn the_sample_has_the_asked_size() {
        let m = OpsgenieModel::sample(50, 20, 300, 90);
        assert_eq!(
            (m.services.len(), m.schedules.len(), m.incidents.len()),
            (50, 20, 300)
        );
        assert_eq!(m.teams.len(), 10);
        assert!(
            m.incidents
                .iter()
                .all(|i| i.created_at > m.now - Duration::days(90))
        );
    }
}
