//! Real clones and fetches through `git http-backend`, with and without a token.

use evident_github_mock::*;

use crate::common::*;

fn clone_url(gh: &MockGithub, owner: &str, repo: &str) -> String {
    format!("{}/{owner}/{repo}.git", gh.git_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git2_clones_then_fetches_a_new_commit() {
    let dir = tempfile::tempdir().unwrap();
    let bare = BareRepo::with_files(
        dir.path(),
        "api",
        &[("README.md", "hello\n"), ("src/lib.rs", "// lib\n")],
        "2024-01-02T03:04:05Z",
    )
    .unwrap();
    let first = bare.head("main").unwrap();
    let mut model = estate();
    model.orgs[0].repos[0].git = Some(bare.path.clone());
    let gh = MockGithub::start(model).await.unwrap();
    let listed = get(gh.url(), "/repos/acme/api", ADMIN).await.json();
    let url = listed["clone_url"].as_str().unwrap().to_string();
    assert_eq!(url, clone_url(&gh, "acme", "api"));
    let head = graphql(
        gh.url(),
        ADMIN,
        &repository_query(),
        serde_json::json!({"owner": "acme", "name": "api"}),
    )
    .await
    .json();
    assert_eq!(
        head["data"]["repository"]["defaultBranchRef"]["target"]["oid"],
        first.as_str(),
        "GraphQL reads the bare repo's head"
    );

    let work = dir.path().join("clone");
    let (url2, work2) = (url.clone(), work.clone());
    let cloned =
        tokio::task::spawn_blocking(move || git2::Repository::clone(&url2, &work2).unwrap())
            .await
            .unwrap();
    {
        let head = cloned.head().unwrap().peel_to_commit().unwrap();
        assert_eq!(head.id().to_string(), first);
        assert_eq!(head.time().seconds(), 1704164645);
    }
    assert_eq!(
        std::fs::read_to_string(work.join("src/lib.rs")).unwrap(),
        "// lib\n"
    );

    let second = bare
        .commit(
            "main",
            &[("CHANGELOG.md", "v2\n")],
            "second",
            "2024-02-01T00:00:00Z",
        )
        .unwrap();
    let fetched = tokio::task::spawn_blocking(move || {
        let mut remote = cloned.find_remote("origin").unwrap();
        remote.fetch(&["main"], None, None).unwrap();
        let oid = cloned.refname_to_id("refs/remotes/origin/main").unwrap();
        let c = cloned.find_commit(oid).unwrap();
        (
            oid.to_string(),
            c.parent_count(),
            c.tree()
                .unwrap()
                .get_path(std::path::Path::new("README.md"))
                .is_ok(),
        )
    })
    .await
    .unwrap();
    assert_eq!(fetched, (second, 1, true));
    assert!(gh.stats().route("git").requests >= 4);
    gh.set_faults(Faults {
        routes: vec![RouteFault::new("git", Fault::Status(500))],
        ..Faults::default()
    });
    let url3 = url.clone();
    let failed = tokio::task::spawn_blocking(move || {
        git2::Repository::clone(&url3, tempfile::tempdir().unwrap().path().join("x")).is_err()
    });
    assert!(failed.await.unwrap(), "a git fault fails the clone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_auth_wants_a_known_token_as_x_access_token_password() {
    let dir = tempfile::tempdir().unwrap();
    let bare = BareRepo::with_files(
        dir.path(),
        "web",
        &[("index.html", "<p>hi</p>\n")],
        "2024-01-01T00:00:00Z",
    )
    .unwrap();
    let mut model = estate();
    model.orgs[0].repos[1].git = Some(bare.path.clone());
    model.git_auth = true;
    let gh = MockGithub::start(model).await.unwrap();
    let url = clone_url(&gh, "acme", "web");
    let r = send(
        gh.git_url(),
        "GET",
        "/acme/web.git/info/refs?service=git-upload-pack",
        &[],
        b"",
    )
    .await;
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Basic realm=\"GitHub\""))
    );
    let clone_with = |password: &'static str, to: std::path::PathBuf, url: String| {
        tokio::task::spawn_blocking(move || {
            let mut cb = git2::RemoteCallbacks::new();
            let mut tries = 0;
            cb.credentials(move |_, _, _| {
                tries += 1;
                if tries > 1 {
                    return Err(git2::Error::from_str("refused"));
                }
                git2::Cred::userpass_plaintext("x-access-token", password)
            });
            let mut fo = git2::FetchOptions::new();
            fo.remote_callbacks(cb);
            git2::build::RepoBuilder::new()
                .fetch_options(fo)
                .clone(&url, &to)
                .map(|_| ())
        })
    };
    assert!(
        clone_with(ADMIN, dir.path().join("ok"), url.clone())
            .await
            .unwrap()
            .is_ok()
    );
    assert!(
        clone_with("wrong", dir.path().join("bad"), url)
            .await
            .unwrap()
            .is_err()
    );
    let missing = send(
        gh.git_url(),
        "GET",
        "/acme/api.git/info/refs?service=git-upload-pack",
        &[("Authorization", &format!("Bearer {ADMIN}"))],
        b"",
    )
    .await;
    assert_eq!(
        missing.status, 404,
        "a repository without git answers not found"
    );
}

#[test]
fn bare_repos_take_tags_and_copies() {
    let dir = tempfile::tempdir().unwrap();
    let bare =
        BareRepo::with_files(dir.path(), "lib", &[("a.txt", "a")], "2024-01-01T00:00:00Z").unwrap();
    let head = bare.head("main").unwrap();
    let tag = bare.tag("v1", &head, true, "2024-01-02T00:00:00Z").unwrap();
    assert_ne!(tag, head);
    assert_eq!(
        bare.tag("v1-light", &head, false, "2024-01-02T00:00:00Z")
            .unwrap(),
        head
    );
    let copy = bare_repo_from(&bare.path, dir.path(), "copy").unwrap();
    assert_eq!(BareRepo::open(&copy).unwrap().head("main"), Some(head));
    assert!(matches!(
        bare.commit("main", &[], "x", "yesterday"),
        Err(RepoError::Time(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_git_cli_clones_with_protocol_v2_and_gzip_bodies_pass_through() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let bare = BareRepo::with_files(
        dir.path(),
        "api",
        &[("a.txt", "a\n")],
        "2024-01-01T00:00:00Z",
    )
    .unwrap();
    let head = bare.head("main").unwrap();
    let mut model = estate();
    model.orgs[0].repos[0].git = Some(bare.path.clone());
    let gh = MockGithub::start(model).await.unwrap();
    let url = clone_url(&gh, "acme", "api");
    let to = dir.path().join("cli");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("git")
            .args(["-c", "protocol.version=2", "clone", "--quiet", &url])
            .arg(&to)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A gzip'ed upload-pack request (as git sends large negotiations) gets a pack back.
    let want = format!("want {head}\n");
    let request = format!("{:04x}{want}00000009done\n", want.len() + 4);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(request.as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    let r = send(
        gh.git_url(),
        "POST",
        "/acme/api.git/git-upload-pack",
        &[
            ("Content-Type", "application/x-git-upload-pack-request"),
            ("Content-Encoding", "gzip"),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/x-git-upload-pack-result")
    );
    let text = String::from_utf8_lossy(&r.body);
    assert!(text.contains("NAK") && text.contains("PACK"), "{text:?}");
}
