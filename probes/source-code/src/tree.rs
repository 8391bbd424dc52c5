//! Listing and reading a repository's files: the commit at HEAD through git2 (bare mirrors
//! included), or the directory on disk for `--worktree` and plain directories.
//!
//! The bounds are the git probe's, kept here because probes never depend on one another:
//! symlinks are never followed (a link out of the repository must not be read), a walk
//! stops after [`MAX_TREE_ENTRIES`] entries, and a caller asks for a file's size before
//! reading it, so a 200 MB lock file is never loaded.

use evident_snapshot::{Answer, Replayed, Tape};
use git2::{ErrorCode, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The walk stops after this many entries, as the git probe's does.
pub(crate) const MAX_TREE_ENTRIES: usize = 200_000;

/// One regular file of the tree (symlinks are listed apart and never read).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    #[serde(default, with = "oid_hex", skip_serializing_if = "Option::is_none")]
    blob: Option<Oid>,
}

/// Blob ids written as hex in a snapshot.
mod oid_hex {
    use git2::Oid;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(oid: &Option<Oid>, s: S) -> Result<S::Ok, S::Error> {
        match oid {
            Some(oid) => s.serialize_str(&oid.to_string()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        Ok(text.and_then(|t| Oid::from_str(&t).ok()))
    }
}

/// A part of the tree the walk could not list: reported, never taken as absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Unlisted {
    /// Path relative to the root.
    pub path: String,
    /// What the operating system said.
    pub reason: String,
}

/// The bytes of one file as read, with the digest evidence cites.
pub(crate) struct FileBytes {
    /// The bytes (on replay: as the snapshot stored them, secrets redacted).
    pub bytes: Vec<u8>,
    /// sha256 of the bytes as read from the repository.
    pub sha256: String,
    /// Whether they were UTF-8 when read.
    pub utf8: bool,
    /// On replay: whether redaction changed the stored bytes (a secret was in the file).
    pub redacted: bool,
}

/// What a replayed file's `[redacted]` is read as, so it parses as the secret it
/// replaced did (`token: [redacted]` would be a YAML list); the probe's redaction turns
/// it back into `[redacted]` in every excerpt.
pub(crate) const REPLAYED_SECRET: &str = "evident-replayed-secret-b7e2c91d";

/// The snapshot status of a file read that was not UTF-8 (bytes kept for the digest).
const NOT_UTF8_STATUS: u16 = 415;

/// What a snapshot keeps of [`Tree::open`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum RecordedTree {
    /// Opened and listed.
    Opened {
        files: Vec<Entry>,
        symlinks: Vec<String>,
        head: Option<String>,
        cut: bool,
        #[serde(default)]
        unlisted: Vec<Unlisted>,
    },
    /// Not opened: the error's message.
    Failed { error: String },
}

/// What stands for the repository's local path in a recorded message.
const ROOT_MARK: &str = "<repository>";

/// The snapshot request of a repository's listing.
const TREE_REQUEST: &str = "value:tree";

/// The snapshot source of the repository with key `key` (never its local path).
pub(crate) fn source_key(key: &str) -> String {
    format!("source_code:{key}")
}

/// Why a repository could not be listed at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The path is missing or not a directory.
    #[error("{0} is not a directory")]
    NotADirectory(String),
    /// git2 failed on something that looks like a repository.
    #[error("could not read the git repository: {0}")]
    Git(String),
    /// The directory could not be listed.
    #[error("could not list the directory: {0}")]
    Io(String),
    /// On replay: the recorded open failed with this message, or the snapshot lacks it.
    #[error("{0}")]
    Recorded(String),
}

enum Backing {
    Git(Repository),
    Disk(PathBuf),
    /// Replayed from a snapshot: the repository is never touched.
    Recorded,
}

/// A repository opened for reading, with every file listed.
pub(crate) struct Tree {
    backing: Backing,
    /// Regular files, in path order.
    pub files: Vec<Entry>,
    /// Paths of symbolic links, never followed.
    pub symlinks: Vec<String>,
    /// HEAD's sha, when read from git.
    pub head: Option<String>,
    /// Set when the walk was cut at [`MAX_TREE_ENTRIES`].
    pub cut: bool,
    /// Directories and entries the walk could not read.
    pub unlisted: Vec<Unlisted>,
    /// Where reads are recorded or replayed from.
    pub tape: Tape,
    /// This repository's snapshot source ([`source_key`]).
    pub source: String,
}

/// Directories never walked: git's own, and build output that is nobody's source.
const NEVER_WALKED: [&str; 1] = [".git"];

impl Tree {
    /// Opens `path` at HEAD, or its working tree when `worktree` is set or it is not a
    /// repository. With a recording `tape` the listing is kept under
    /// `source_code:<key>`; with a replaying one it comes from the snapshot and `path` is
    /// never looked at.
    pub(crate) fn open(
        path: &Path,
        worktree: bool,
        tape: &Tape,
        key: &str,
    ) -> Result<Self, OpenError> {
        let source = source_key(key);
        let opened = if tape.is_replaying() {
            match tape.replay_value::<RecordedTree>(&source, TREE_REQUEST) {
                Ok(RecordedTree::Opened {
                    files,
                    symlinks,
                    head,
                    cut,
                    unlisted,
                }) => Ok(Self {
                    backing: Backing::Recorded,
                    files,
                    symlinks,
                    head,
                    cut,
                    unlisted,
                    tape: Tape::off(),
                    source: String::new(),
                }),
                Ok(RecordedTree::Failed { error }) => Err(OpenError::Recorded(
                    error.replace(ROOT_MARK, &path.display().to_string()),
                )),
                Err(e) => Err(OpenError::Recorded(e.to_string())),
            }
        } else {
            let opened = Self::open_live(path, worktree);
            if tape.is_recording() {
                let recorded = match &opened {
                    Ok(t) => RecordedTree::Opened {
                        files: t.files.clone(),
                        symlinks: t.symlinks.clone(),
                        head: t.head.clone(),
                        cut: t.cut,
                        unlisted: t.unlisted.clone(),
                    },
                    Err(e) => RecordedTree::Failed {
                        error: e
                            .to_string()
                            .replace(&path.display().to_string(), ROOT_MARK),
                    },
                };
                tape.record_value(&source, TREE_REQUEST, &recorded);
            }
            opened
        };
        opened.map(|mut tree| {
            tree.tape = tape.clone();
            tree.source = source;
            tree
        })
    }

    /// Whether the files come from a snapshot.
    pub(crate) fn is_replayed(&self) -> bool {
        matches!(self.backing, Backing::Recorded)
    }

    fn open_live(path: &Path, worktree: bool) -> Result<Self, OpenError> {
        let meta =
            fs::metadata(path).map_err(|_| OpenError::NotADirectory(path.display().to_string()))?;
        if !meta.is_dir() {
            return Err(OpenError::NotADirectory(path.display().to_string()));
        }
        let repo = match Repository::open(path) {
            Ok(repo) => repo,
            Err(e) if e.code() == ErrorCode::NotFound => return Self::from_disk(path, None),
            Err(e) => return Err(OpenError::Git(e.message().to_owned())),
        };
        let head = match repo.head() {
            Ok(reference) => match reference.peel_to_commit() {
                Ok(commit) => Some(commit.id()),
                Err(e) => return Err(OpenError::Git(e.message().to_owned())),
            },
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
            Err(e) => return Err(OpenError::Git(e.message().to_owned())),
        };
        let head_sha = head.map(|h| h.to_string());
        if worktree && let Some(dir) = repo.workdir() {
            let dir = dir.to_path_buf();
            return Self::from_disk(&dir, head_sha);
        }
        let Some(head) = head else {
            return Ok(Self {
                backing: Backing::Git(repo),
                files: Vec::new(),
                symlinks: Vec::new(),
                head: None,
                cut: false,
                unlisted: Vec::new(),
                tape: Tape::off(),
                source: String::new(),
            });
        };
        let (files, symlinks, cut) = walk_git(&repo, head)?;
        Ok(Self {
            backing: Backing::Git(repo),
            files,
            symlinks,
            head: head_sha,
            cut,
            unlisted: Vec::new(),
            tape: Tape::off(),
            source: String::new(),
        })
    }

    fn from_disk(root: &Path, head: Option<String>) -> Result<Self, OpenError> {
        let mut files = Vec::new();
        let mut symlinks = Vec::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        let mut walked = 0usize;
        let mut cut = false;
        let mut unlisted = Vec::new();
        let dir_path = |prefix: &str| prefix.trim_end_matches('/').to_owned();
        while let Some((dir, prefix)) = stack.pop() {
            let listing = match fs::read_dir(&dir) {
                Ok(listing) => listing,
                Err(e) if prefix.is_empty() => return Err(OpenError::Io(e.to_string())),
                Err(e) => {
                    unlisted.push(Unlisted {
                        path: dir_path(&prefix),
                        reason: format!("directory not listed: {e}"),
                    });
                    continue;
                }
            };
            for item in listing {
                let item = match item {
                    Ok(item) => item,
                    Err(e) => {
                        unlisted.push(Unlisted {
                            path: dir_path(&prefix),
                            reason: format!("directory not fully listed: {e}"),
                        });
                        break;
                    }
                };
                walked += 1;
                if walked > MAX_TREE_ENTRIES {
                    cut = true;
                    break;
                }
                let name = item.file_name().to_string_lossy().into_owned();
                let rel = format!("{prefix}{name}");
                let meta = match fs::symlink_metadata(item.path()) {
                    Ok(meta) => meta,
                    Err(e) => {
                        unlisted.push(Unlisted {
                            path: rel,
                            reason: format!("not read: {e}"),
                        });
                        continue;
                    }
                };
                if meta.file_type().is_symlink() {
                    symlinks.push(rel);
                } else if meta.is_dir() {
                    if !NEVER_WALKED.contains(&name.as_str()) {
                        stack.push((item.path(), format!("{rel}/")));
                    }
                } else if meta.is_file() {
                    files.push(Entry {
                        path: rel,
                        size: meta.len(),
                        blob: None,
                    });
                }
            }
            if cut {
                break;
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        unlisted.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self {
            backing: Backing::Disk(root.to_path_buf()),
            files,
            symlinks,
            head,
            cut,
            unlisted,
            tape: Tape::off(),
            source: String::new(),
        })
    }

    /// Reads a file, `limit` bytes at most, with its digest; recorded as `file:<path>`
    /// (or replayed from it).
    pub(crate) fn read(&self, entry: &Entry, limit: u64) -> Result<FileBytes, String> {
        if entry.size > limit {
            return Err(over_limit(entry.size, limit));
        }
        let request = format!("file:{}", entry.path);
        if self.is_replayed() {
            return match self.tape.replay_answer(&self.source, &request) {
                Ok(Replayed::Response {
                    status,
                    body,
                    raw_sha256,
                    ..
                }) => Ok(FileBytes {
                    redacted: evident_core::sha256_hex(&body) != raw_sha256,
                    bytes: body,
                    sha256: raw_sha256,
                    utf8: status != NOT_UTF8_STATUS,
                }),
                Ok(Replayed::Failure { message, .. }) => Err(message),
                Err(e) => Err(e.to_string()),
            };
        }
        let read = self.read_unrecorded(entry, limit);
        match &read {
            Ok(bytes) => self.tape.record_answer(
                &self.source,
                &request,
                Answer {
                    status: if std::str::from_utf8(bytes).is_ok() {
                        200
                    } else {
                        NOT_UTF8_STATUS
                    },
                    headers: &[],
                    body: bytes,
                },
            ),
            Err(e) => self.tape.record_failure(&self.source, &request, "io", e),
        }
        read.map(|bytes| FileBytes {
            sha256: evident_core::sha256_hex(&bytes),
            utf8: std::str::from_utf8(&bytes).is_ok(),
            redacted: false,
            bytes,
        })
    }

    /// Reads a file the caller has checked the size of; `limit` bytes at most; never
    /// recorded (what is derived from it is). Nothing on replay.
    pub(crate) fn read_unrecorded(&self, entry: &Entry, limit: u64) -> Result<Vec<u8>, String> {
        if entry.size > limit {
            return Err(over_limit(entry.size, limit));
        }
        match &self.backing {
            Backing::Recorded => {
                Err("a replayed repository is read through the snapshot only".to_owned())
            }
            Backing::Git(repo) => {
                let oid = entry.blob.ok_or_else(|| "no blob".to_owned())?;
                let blob = repo.find_blob(oid).map_err(|e| e.message().to_owned())?;
                Ok(blob.content().to_vec())
            }
            Backing::Disk(root) => {
                let path = root.join(&entry.path);
                // Re-checked at read time: the walk saw a regular file, but a file swapped
                // for a link since must still not be followed.
                let meta = fs::symlink_metadata(&path).map_err(|e| e.to_string())?;
                if meta.file_type().is_symlink() {
                    return Err("symlink not followed".to_owned());
                }
                let file = fs::File::open(&path).map_err(|e| e.to_string())?;
                let mut bytes = Vec::new();
                file.take(limit.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map_err(|e| e.to_string())?;
                if bytes.len() as u64 > limit {
                    return Err(format!("skipped: over the {} MB limit", limit / 1_048_576));
                }
                Ok(bytes)
            }
        }
    }
}

fn over_limit(size: u64, limit: u64) -> String {
    format!(
        "skipped: {:.1} MB is over the {} MB limit",
        size as f64 / 1_048_576.0,
        limit / 1_048_576
    )
}

type Walked = (Vec<Entry>, Vec<String>, bool);

fn walk_git(repo: &Repository, head: Oid) -> Result<Walked, OpenError> {
    let commit = repo
        .find_commit(head)
        .map_err(|e| OpenError::Git(e.message().to_owned()))?;
    let tree = commit
        .tree()
        .map_err(|e| OpenError::Git(e.message().to_owned()))?;
    let odb = repo
        .odb()
        .map_err(|e| OpenError::Git(e.message().to_owned()))?;
    let mut files = Vec::new();
    let mut symlinks = Vec::new();
    let mut walked = 0usize;
    let mut cut = false;
    let walk = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        walked += 1;
        if walked > MAX_TREE_ENTRIES {
            cut = true;
            return TreeWalkResult::Abort;
        }
        let name = entry.name().unwrap_or_default();
        let path = format!("{dir}{name}");
        match entry.kind() {
            Some(ObjectType::Blob) if entry.filemode() == 0o120000 => symlinks.push(path),
            Some(ObjectType::Blob) => {
                let size = odb
                    .read_header(entry.id())
                    .map(|(size, _)| size as u64)
                    .unwrap_or(u64::MAX);
                files.push(Entry {
                    path,
                    size,
                    blob: Some(entry.id()),
                });
            }
            _ => {}
        }
        TreeWalkResult::Ok
    });
    if let Err(e) = walk
        && !cut
    {
        return Err(OpenError::Git(e.message().to_owned()));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, symlinks, cut))
}
