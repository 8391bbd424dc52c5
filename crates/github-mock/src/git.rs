//! A real git smart-HTTP server: each request runs `git http-backend` as a CGI program on the
//! model's bare repository, so the probe clones and fetches exactly as it would from GitHub.
//! Also `BareRepo`, to make such repositories in tests with files and commit dates. Route
//! faults named `git` apply here (status, reset and delay; the others are API-only), latency
//! does not.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use base64::Engine as _;
use http_body_util::BodyExt as _;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{ChildStdout, Command};

use crate::body::{self, Body, ChannelBody};
use crate::server::Shared;

fn plain(status: u16, text: &str, extra: &[(&str, &str)]) -> Response<Body> {
    let mut resp = Response::new(body::full(Bytes::from(text.to_string())));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    for (k, v) in extra {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::try_from(*k),
            hyper::header::HeaderValue::try_from(*v),
        ) {
            h.insert(k, v);
        }
    }
    resp
}

/// The password (or token-as-username) of a basic `Authorization` header.
fn basic_secrets(headers: &hyper::HeaderMap) -> Vec<String> {
    let Some(v) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Vec::new();
    };
    if let Some(t) = crate::api::bearer(headers) {
        return vec![t];
    }
    let Some(b64) = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))
    else {
        return Vec::new();
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&raw).into_owned();
    match text.split_once(':') {
        Some((user, pass)) => vec![pass.to_string(), user.to_string()],
        None => vec![text],
    }
}

/// Handles one git request: `/{owner}/{repo}.git/<git path>`.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> io::Result<Response<Body>> {
    let (parts, incoming) = req.into_parts();
    let path = parts.uri.path().to_string();
    let mut segs = path.trim_start_matches('/').splitn(3, '/');
    let (owner, repo, rest) = (
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
    );
    let repo_name = repo.strip_suffix(".git").unwrap_or(repo).to_string();
    let bare = {
        let mut st = shared.lock();
        let secrets = basic_secrets(&parts.headers);
        let token = secrets.first().cloned().unwrap_or_else(|| "<none>".into());
        st.stats.received("git", &token);
        let authorised = !st.model.git_auth
            || secrets
                .iter()
                .any(|s| st.model.tokens.iter().any(|t| &t.token == s));
        if !authorised {
            st.stats.unauthorized += 1;
            return Ok(plain(
                401,
                "Invalid username or token.\n",
                &[("www-authenticate", "Basic realm=\"GitHub\"")],
            ));
        }
        let fault = crate::api::take_fault(&mut st, "git", Some(&format!("{owner}/{repo_name}")));
        (
            st.model
                .repo(owner, &repo_name)
                .and_then(|(_, r)| r.git.clone()),
            fault,
        )
    };
    let (bare, fault) = bare;
    match fault {
        Some(crate::faults::Fault::Reset) => {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset on purpose",
            ));
        }
        Some(crate::faults::Fault::Status(code)) => {
            return Ok(plain(code, "Internal Server Error\n", &[]));
        }
        Some(crate::faults::Fault::Delay(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await
        }
        _ => {}
    }
    let Some(bare) = bare else {
        return Ok(plain(404, "Repository not found.\n", &[]));
    };
    let body = incoming
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes();
    let cgi = Cgi {
        bare: &bare,
        git_path: rest,
        parts: &parts,
        peer,
        body,
    };
    match cgi.run().await {
        Ok(resp) => Ok(resp),
        Err(e) => Ok(plain(500, &format!("git http-backend failed: {e}\n"), &[])),
    }
}

struct Cgi<'a> {
    bare: &'a Path,
    git_path: &'a str,
    parts: &'a hyper::http::request::Parts,
    peer: SocketAddr,
    body: Bytes,
}

impl Cgi<'_> {
    /// Runs `git http-backend` with the CGI environment, pipes the request body in, parses the
    /// CGI headers out and streams the rest.
    async fn run(self) -> io::Result<Response<Body>> {
        let root = self.bare.parent().unwrap_or(Path::new("/"));
        let dir = self
            .bare
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let header = |h: hyper::header::HeaderName| {
            self.parts
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let mut cmd = Command::new("git");
        cmd.arg("http-backend")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("PATH_INFO", format!("/{dir}/{}", self.git_path))
            .env("QUERY_STRING", self.parts.uri.query().unwrap_or(""))
            .env("REQUEST_METHOD", self.parts.method.as_str())
            .env("CONTENT_TYPE", header(hyper::header::CONTENT_TYPE))
            .env("CONTENT_LENGTH", self.body.len().to_string())
            .env("REMOTE_ADDR", self.peer.ip().to_string())
            .env("REMOTE_USER", "x-access-token")
            .env("GATEWAY_INTERFACE", "CGI/1.1")
            .env("SERVER_PROTOCOL", "HTTP/1.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let encoding = header(hyper::header::CONTENT_ENCODING);
        if !encoding.is_empty() {
            cmd.env("HTTP_CONTENT_ENCODING", encoding);
        }
        if let Some(proto) = self
            .parts
            .headers
            .get("git-protocol")
            .and_then(|v| v.to_str().ok())
        {
            cmd.env("HTTP_GIT_PROTOCOL", proto);
        }
        let mut child = cmd.spawn()?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin pipe"))?;
        let body = self.body.clone();
        tokio::spawn(async move {
            // http-backend may stop reading early (an error it reports on stdout); that is fine.
            let _ = stdin.write_all(&body).await;
        });
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout pipe"))?;
        let (head, rest) = read_cgi_head(&mut stdout).await?;
        let mut resp = cgi_response(&head)?;
        let (tx, streamed) = ChannelBody::channel(16);
        *resp.body_mut() = streamed;
        tokio::spawn(async move {
            if !rest.is_empty() && tx.send(Ok(Bytes::from(rest))).await.is_err() {
                return;
            }
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match stdout.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx
                            .send(Ok(Bytes::copy_from_slice(&buf[..n])))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        break;
                    }
                }
            }
            let _ = child.wait().await;
        });
        Ok(resp)
    }
}

/// Reads CGI output up to the blank line ending its headers; returns the headers and what was
/// read past them.
async fn read_cgi_head(stdout: &mut ChildStdout) -> io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let crlf = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| (p, 4));
        let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
        let end = match (crlf, lf) {
            (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        if let Some((pos, len)) = end {
            let head = String::from_utf8_lossy(&buf[..pos]).into_owned();
            return Ok((head, buf[pos + len..].to_vec()));
        }
        let n = stdout.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "git http-backend ended before its headers",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 64 * 1024 {
            return Err(io::Error::other("git http-backend headers too long"));
        }
    }
}

fn cgi_response(head: &str) -> io::Result<Response<Body>> {
    let mut resp = Response::new(body::full(Bytes::new()));
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("status") {
            let code = v
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .unwrap_or(500);
            *resp.status_mut() = StatusCode::from_u16(code).map_err(io::Error::other)?;
        } else if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::try_from(k),
            hyper::header::HeaderValue::try_from(v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    Ok(resp)
}

/// Why making a test repository failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A libgit2 failure.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// A file-system failure.
    #[error("io: {0}")]
    Io(#[from] io::Error),
    /// A commit time that is not RFC 3339.
    #[error("bad time {0:?} (want RFC 3339)")]
    Time(String),
}

/// A bare repository made for a test, served by the git server when a `MockRepo.git` points at
/// its `path`.
pub struct BareRepo {
    /// The bare repository's directory (`<parent>/<name>.git`).
    pub path: PathBuf,
    repo: git2::Repository,
}

impl BareRepo {
    /// Creates an empty bare repository `<parent>/<name>.git` whose HEAD is `refs/heads/main`.
    pub fn create(parent: &Path, name: &str) -> Result<BareRepo, RepoError> {
        let path = parent.join(format!("{name}.git"));
        let mut opts = git2::RepositoryInitOptions::new();
        opts.bare(true).initial_head("main");
        let repo = git2::Repository::init_opts(&path, &opts)?;
        Ok(BareRepo { path, repo })
    }

    /// Creates a bare repository with one commit of `files` on `main` at `when` (RFC 3339).
    pub fn with_files(
        parent: &Path,
        name: &str,
        files: &[(&str, &str)],
        when: &str,
    ) -> Result<BareRepo, RepoError> {
        let repo = BareRepo::create(parent, name)?;
        repo.commit("main", files, "initial commit", when)?;
        Ok(repo)
    }

    /// Opens an existing bare repository.
    pub fn open(path: &Path) -> Result<BareRepo, RepoError> {
        Ok(BareRepo {
            path: path.to_path_buf(),
            repo: git2::Repository::open_bare(path)?,
        })
    }

    /// Commits `files` (path, content; added or replaced, the rest of the tree kept) on
    /// `branch` with author and committer time `when` (RFC 3339); returns the commit id.
    pub fn commit(
        &self,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
        when: &str,
    ) -> Result<String, RepoError> {
        let t = chrono::DateTime::parse_from_rfc3339(when)
            .map_err(|_| RepoError::Time(when.to_string()))?;
        let sig = git2::Signature::new(
            "Evident Test",
            "test@example.invalid",
            &git2::Time::new(t.timestamp(), 0),
        )?;
        let refname = format!("refs/heads/{branch}");
        let parent = self
            .repo
            .find_reference(&refname)
            .ok()
            .and_then(|r| r.peel_to_commit().ok());
        let mut index = git2::Index::new()?;
        if let Some(p) = &parent {
            index.read_tree(&p.tree()?)?;
        }
        for (path, content) in files {
            let blob = self.repo.blob(content.as_bytes())?;
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry)?;
        }
        let tree = self.repo.find_tree(index.write_tree_to(&self.repo)?)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let oid = self
            .repo
            .commit(Some(&refname), &sig, &sig, message, &tree, &parents)?;
        Ok(oid.to_string())
    }

    /// Tags `oid`: annotated (returns the tag object's id) or lightweight (returns `oid`).
    pub fn tag(
        &self,
        name: &str,
        oid: &str,
        annotated: bool,
        when: &str,
    ) -> Result<String, RepoError> {
        let target = self.repo.find_object(git2::Oid::from_str(oid)?, None)?;
        if annotated {
            let t = chrono::DateTime::parse_from_rfc3339(when)
                .map_err(|_| RepoError::Time(when.to_string()))?;
            let sig = git2::Signature::new(
                "Evident Test",
                "test@example.invalid",
                &git2::Time::new(t.timestamp(), 0),
            )?;
            Ok(self.repo.tag(name, &target, &sig, name, false)?.to_string())
        } else {
            self.repo.tag_lightweight(name, &target, false)?;
            Ok(oid.to_string())
        }
    }

    /// The commit `branch` points at, if it exists.
    pub fn head(&self, branch: &str) -> Option<String> {
        self.repo
            .find_reference(&format!("refs/heads/{branch}"))
            .ok()?
            .target()
            .map(|o| o.to_string())
    }
}

/// Makes a bare copy `<dest>/<name>.git` of an existing repository directory (work tree or
/// bare), for serving: all branches and tags are copied.
pub fn bare_repo_from(dir: &Path, dest: &Path, name: &str) -> Result<PathBuf, RepoError> {
    let target = dest.join(format!("{name}.git"));
    let status = std::process::Command::new("git")
        .args(["clone", "--bare", "--quiet", "--no-local"])
        .arg(dir)
        .arg(&target)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(RepoError::Io(io::Error::other(format!(
            "git clone --bare {} failed: {status}",
            dir.display()
        ))));
    }
    Ok(target)
}
