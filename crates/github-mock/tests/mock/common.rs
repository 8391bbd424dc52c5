//! A minimal HTTP/1.1 client (one request per connection) that reports exactly what came over
//! the wire, cut-short bodies and resets included, and a small estate to test against.

use evident_github_mock::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const ADMIN: &str = "ghp_admin_token";
pub const READER: &str = "ghp_reader_token";

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The connection ended before the headers were complete (a reset).
    pub no_response: bool,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

pub async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let addr = base.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Resp {
            status: 0,
            headers: Vec::new(),
            body: raw,
            no_response: true,
        };
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
        no_response: false,
    }
}

pub async fn get(base: &str, path: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    send(
        base,
        "GET",
        path,
        &[
            ("Authorization", &auth),
            ("Accept", "application/vnd.github+json"),
        ],
        b"",
    )
    .await
}

pub async fn graphql(base: &str, token: &str, query: &str, variables: Value) -> Resp {
    let auth = format!("bearer {token}");
    let body = serde_json::json!({"query": query, "variables": variables}).to_string();
    send(
        base,
        "POST",
        "/graphql",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .await
}

pub fn repository_query() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../probes/github/src/queries/repository.graphql"
    ))
    .unwrap()
}

pub fn teams_query() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../probes/github/src/queries/teams.graphql"
    ))
    .unwrap()
}

/// One organisation with a fully described repository, a bare one, an archived fork, two teams;
/// a user account with one repository; an admin and a reader token.
pub fn estate() -> Model {
    let mut api = MockRepo::new("api").with_protection(&["ci/build", "ci/test"], 2);
    api.created_at = "2021-03-01T00:00:00Z".into();
    api.rulesets.push(Ruleset {
        name: "main".into(),
        rules: vec![
            Rule::RequiredStatusChecks(vec!["ci/build".into()]),
            Rule::PullRequest(1),
            Rule::Other("DELETION".into()),
        ],
        ..Ruleset::default()
    });
    api.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![
            Reviewer::User("alice".into()),
            Reviewer::Team("platform".into()),
        ],
        wait_timer: 15,
    });
    api.environments.push(Environment::new("staging"));
    api.deployments.push(Deployment {
        id: 11,
        created_at: "2024-05-01T10:00:00Z".into(),
        sha: "a".repeat(40),
        statuses: vec![
            Status {
                state: "in_progress".into(),
                created_at: "2024-05-01T10:00:05Z".into(),
                log_url: None,
            },
            Status {
                state: "success".into(),
                created_at: "2024-05-01T10:03:00Z".into(),
                log_url: Some("https://example.invalid/log".into()),
            },
        ],
        ..Deployment::default()
    });
    api.deployments.push(Deployment {
        id: 12,
        created_at: "2024-05-02T10:00:00Z".into(),
        sha: "b".repeat(40),
        creator_login: "alice".into(),
        creator_type: "User".into(),
        ..Deployment::default()
    });
    api.releases.push(Release {
        tag_name: "v1.0.0".into(),
        created_at: "2024-04-01T00:00:00Z".into(),
        published_at: Some("2024-04-01T01:00:00Z".into()),
        ..Release::default()
    });
    api.tags.push(Tag {
        name: "v1.0.0".into(),
        commit_oid: "c".repeat(40),
        committed_date: "2024-04-01T00:00:00Z".into(),
        tag_oid: Some("d".repeat(40)),
    });
    api.tags.push(Tag {
        name: "v0.9.0".into(),
        commit_oid: "e".repeat(40),
        committed_date: "2024-03-01T00:00:00Z".into(),
        tag_oid: None,
    });
    api.pull_requests.push(PullRequest {
        number: 7,
        created_at: "2024-04-20T00:00:00Z".into(),
        merged_at: Some("2024-04-21T00:00:00Z".into()),
        additions: 10,
        deletions: 2,
        merge_sha: Some("f".repeat(40)),
        first_commit_at: Some("2024-04-19T00:00:00Z".into()),
        files: vec!["src/main.rs".into(), "README.md".into()],
        ..PullRequest::default()
    });
    api.pull_requests.push(PullRequest {
        number: 8,
        author: None,
        ..PullRequest::default()
    });
    for (i, day) in ["2024-05-01", "2024-05-03", "2024-04-28"]
        .iter()
        .enumerate()
    {
        api.workflow_runs.push(Run {
            id: 100 + i as u64,
            created_at: format!("{day}T12:00:00Z"),
            ..Run::default()
        });
    }
    let mut old = MockRepo::new("legacy");
    old.archived = true;
    old.fork = true;
    old.visibility = Visibility::Private;
    old.created_at = "2019-01-01T00:00:00Z".into();
    let mut platform = Team::new("platform");
    platform.name = "Platform".into();
    platform.members = vec!["alice".into(), "bob".into()];
    platform.repos = vec![
        ("api".into(), Permission::Admin),
        ("legacy".into(), Permission::Write),
    ];
    let mut web = Team::new("web");
    web.members = vec!["carol".into()];
    web.repos = vec![("web".into(), Permission::Read)];
    let org = Org::new("acme")
        .with_repo(api)
        .with_repo(MockRepo::new("web"))
        .with_repo(old)
        .with_team(platform)
        .with_team(web);
    Model::default()
        .with_org(org)
        .with_user(Org::new("octocat").with_repo(MockRepo::new("dotfiles")))
        .with_token(ADMIN, true)
        .with_token(READER, false)
}

pub fn schema_for(def: &str) -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/rest.json")).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    schema["$ref"] = Value::String(format!("#/$defs/{def}"));
    jsonschema::validator_for(&schema).unwrap()
}

pub fn assert_valid(def: &str, v: &Value) {
    let validator = schema_for(def);
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{def}: {errors:#?}");
}
