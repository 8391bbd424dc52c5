//! The client's recording against a server that echoes the token in headers and a body
//! (what the mock GitHub does not do): the snapshot holds none of it, and the replay of
//! the answer cites the digest of the bytes as they were read.

use evident_core::Redactor;
use evident_github::{Client, GithubConfig};
use evident_snapshot::{RunMeta, Tape};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

/// Not a GitHub token shape: only the client's own scrubbing can find it.
const TOKEN: &str = "installation-token-canary-5150";

/// Answers every connection with one JSON answer whose headers and body echo `TOKEN`.
fn echo_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = format!("{{\"message\":\"hello {TOKEN}\",\"n\":1}}");
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\netag: \"{TOKEN}\"\r\nx-ratelimit-resource: core-{TOKEN}\r\nlink: <http://{addr}/last?t={TOKEN}>; rel=\"last\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    format!("http://{addr}")
}

fn walk(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.push_str(&walk(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn a_token_echoed_in_headers_and_body_is_not_recorded_and_the_digest_survives() {
    let api = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::record(dir.path(), Arc::new(Redactor::new())).unwrap();
    let client = Client::new(GithubConfig::new(&api, Some(TOKEN.into())))
        .unwrap()
        .with_tape(tape.clone());
    let live = client.get("/orgs/acme").await.unwrap();
    assert_eq!(live.json["n"], 1);
    let meta = RunMeta {
        schema: String::new(),
        run: "r".into(),
        tool_version: "test".into(),
        observed_at: "2026-11-30T12:00:00Z".into(),
        plan: serde_json::Value::Null,
        scan_sha256: String::new(),
    };
    assert!(tape.finish(meta, b"{}").unwrap().is_empty());
    let everything = walk(dir.path());
    assert!(!everything.contains(TOKEN), "{everything}");
    assert!(everything.contains("x-ratelimit-resource"), "{everything}");

    let (replay, _) = Tape::replay(dir.path(), None).unwrap();
    let client = Client::new(GithubConfig::new("http://127.0.0.1:1", None))
        .unwrap()
        .with_tape(replay);
    assert_eq!(client.api(), api, "the recorded API base comes back");
    let again = client.get("/orgs/acme").await.unwrap();
    assert_eq!(
        again.sha256, live.sha256,
        "evidence cites the bytes as read"
    );
    assert_eq!(again.json["message"], "hello [redacted]");
    let missing = client.get("/orgs/other").await.unwrap_err();
    assert_eq!(missing.status(), evident_core::SourceStatus::Error);
    assert!(
        missing.to_string().contains("not in the snapshot"),
        "{missing}"
    );
}
