//! Reading a repository's files: the commit at HEAD through git2, or the working tree.
//!
//! Facts must describe what is committed (what CI runs and reviewers saw), so HEAD is
//! the default; `--worktree` and plain directories read the disk instead. Either way the
//! walk lists paths first and reads only the files a parser wants, so a large repository
//! costs a tree walk, not a read of every blob. Symlinks are never followed: a link to
//! `/etc/passwd` in a scanned repository must not end up in a report.

use evident_snapshot::{Answer, Replayed, Tape};
use git2::{ErrorCode, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Files larger than this are not read: no configuration file is this big, and a scan
/// must stay fast and bounded in memory whatever a repository holds.
pub(crate) const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// The walk stops after this many entries, so a huge monorepo cannot stall a scan.
pub(crate) const MAX_TREE_ENTRIES: usize = 200_000;
/// Directories of third-party or generated content, never the project's own config.
const SKIPPED_DIRS: [&str; 4] = [".git", "node_modules", "target", "vendor"];

/// Why a repository could not be read at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The path is missing or not a directory.
    #[error("{0} is not a directory")]
    NotADirectory(String),
    /// git2 failed on something that looks like a repository.
    #[error("could not read the git repository: {0}")]
    Git(String),
    /// The working tree could not be listed.
    #[error("could not list the directory: {0}")]
    Io(String),
    /// On replay: the recorded open failed with this message, or the snapshot does not
    /// hold this repository's tree.
    #[error("{0}")]
    Recorded(String),
}

/// Why one file was not read; the message is what `unreadable[].reason` says.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    /// Over [`MAX_FILE_BYTES`].
    #[error("skipped: {size_mb:.1} MB is over the 5 MB limit")]
    TooLarge {
        /// Size in megabytes.
        size_mb: f64,
    },
    /// Binary or not UTF-8.
    #[error("not text")]
    NotText,
    /// A symbolic link, which is never followed.
    #[error("symlink not followed")]
    Symlink,
    /// Not in the tree.
    #[error("no such file")]
    Missing,
    /// Reading failed.
    #[error("could not read: {0}")]
    Io(String),
}

impl ReadError {
    /// The class a snapshot records this failure under.
    fn class(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::NotText => "not_text",
            Self::Symlink => "symlink",
            Self::Missing => "missing",
            Self::Io(_) => "io",
        }
    }

    /// The failure a snapshot recorded as `class` with `message` (its display).
    fn from_recorded(class: &str, message: &str) -> Self {
        match class {
            "too_large" => Self::TooLarge {
                size_mb: message
                    .strip_prefix("skipped: ")
                    .and_then(|m| m.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0.0),
            },
            "not_text" => Self::NotText,
            "symlink" => Self::Symlink,
            "missing" => Self::Missing,
            _ => Self::Io(
                message
                    .strip_prefix("could not read: ")
                    .unwrap_or(message)
                    .to_owned(),
            ),
        }
    }
}

/// The bytes of one file as read, with the digest evidence cites.
#[derive(Debug, Clone)]
pub(crate) struct FileBytes {
    /// The bytes (on replay: as the snapshot stored them, secrets redacted).
    pub bytes: Vec<u8>,
    /// sha256 of the bytes as they were read from the repository.
    pub sha256: String,
    /// Whether they were text (UTF-8 without NUL) when read.
    pub text: bool,
    /// On replay: whether redaction changed the stored bytes (a secret was in the file).
    pub redacted: bool,
}

/// What a replayed file's `[redacted]` is read as, so that it parses as the secret it
/// replaced did (a plain YAML scalar: `token: [redacted]` would be a list), and what the
/// probe's own redaction turns back into `[redacted]` in every excerpt.
pub(crate) const REPLAYED_SECRET: &str = "evident-replayed-secret-b7e2c91d";

/// The text a replayed file is parsed from: its stored text with every `[redacted]`
/// the snapshot's redaction wrote read as [`REPLAYED_SECRET`].
pub(crate) fn as_recorded(text: String, redacted: bool) -> String {
    if redacted && text.contains(evident_core::REDACTED) {
        text.replace(evident_core::REDACTED, REPLAYED_SECRET)
    } else {
        text
    }
}

/// Whether `bytes` pass [`decode_text`].
fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// The snapshot status of a file read that was not text (bytes kept for the digest).
const NOT_TEXT_STATUS: u16 = 415;

/// What a snapshot keeps of [`RepoReader::open`]: everything it produced, so a replay
/// serves the same listing without the repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum RecordedTree {
    /// The repository was opened and listed.
    Opened(Listing),
    /// It could not be opened: the error's message.
    Failed { error: String },
}

/// A recorded listing: every field [`RepoReader`] exposes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Listing {
    entries: Vec<RecordedEntry>,
    head: Option<String>,
    default_branch: Option<String>,
    origin_owner: Option<String>,
    worktree: bool,
    walk_note: Option<String>,
    empty_note: Option<String>,
    #[serde(default)]
    unreadable: Vec<UnreadableEntry>,
}

/// One path of a recorded listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordedEntry {
    path: String,
    kind: EntryKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blob: Option<String>,
}

/// A part of the tree the walk could not list (a directory it may not read, an entry
/// whose metadata could not be read): reported, never taken as absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UnreadableEntry {
    /// Path relative to the root.
    pub path: String,
    /// What the operating system said.
    pub reason: String,
}

/// The snapshot request of a repository's listing.
pub(crate) const TREE_REQUEST: &str = "value:tree";

/// The snapshot source of the repository with key `key`: the key, never the local path
/// (which differs between machines, and is a temporary directory for clones).
pub(crate) fn source_key(key: &str) -> String {
    format!("git:{key}")
}

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EntryKind {
    /// A regular (or executable) file.
    File,
    /// A symbolic link.
    Symlink,
}

/// One path of the tree.
#[derive(Debug, Clone)]
pub(crate) struct TreeEntry {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// File or symlink.
    pub kind: EntryKind,
    blob: Option<Oid>,
}

enum Backing {
    Git(Repository),
    Disk(PathBuf),
    /// Replayed from a snapshot: the repository is never touched.
    Recorded,
}

/// A repository (or directory) opened for reading.
pub(crate) struct RepoReader {
    backing: Backing,
    /// Every file and symlink, in path order.
    pub entries: Vec<TreeEntry>,
    index: HashMap<String, usize>,
    /// Full HEAD sha when the repository has commits.
    pub head: Option<String>,
    /// The branch CI treats as default.
    pub default_branch: Option<String>,
    /// Owner (user or organisation) of the `origin` remote, for telling the org's shared
    /// CI templates from public actions.
    pub origin_owner: Option<String>,
    /// Whether the files come from the working tree rather than HEAD.
    pub worktree: bool,
    /// Set when the walk was cut short.
    pub walk_note: Option<String>,
    /// Set for a repository without commits.
    pub empty_note: Option<String>,
    /// Directories and entries the walk could not read.
    pub unreadable: Vec<UnreadableEntry>,
    /// Where reads are recorded or replayed from.
    tape: Tape,
    /// The snapshot source of this repository ([`source_key`]).
    source: String,
}

impl RepoReader {
    /// Opens `path` as a git repository at HEAD, or its working tree when `worktree` is
    /// set or it is not a repository. With a recording `tape` the listing is kept under
    /// `git:<key>`; with a replaying one it comes from the snapshot and `path` is never
    /// looked at (it may not exist on this machine).
    pub(crate) fn open(
        path: &Path,
        worktree: bool,
        tape: &Tape,
        key: &str,
    ) -> Result<Self, OpenError> {
        let source = source_key(key);
        if tape.is_replaying() {
            let recorded = tape
                .replay_value::<RecordedTree>(&source, TREE_REQUEST)
                .map_err(|e| OpenError::Recorded(e.to_string()))?;
            return Self::replayed(recorded, tape, source, path);
        }
        let opened = Self::open_live(path, worktree);
        if tape.is_recording() {
            tape.record_value(&source, TREE_REQUEST, &Self::to_recorded(&opened, path));
        }
        opened.map(|mut reader| {
            reader.tape = tape.clone();
            reader.source = source;
            reader
        })
    }

    /// What a snapshot keeps of an open.
    fn to_recorded(opened: &Result<Self, OpenError>, path: &Path) -> RecordedTree {
        match opened {
            Err(e) => RecordedTree::Failed {
                error: e
                    .to_string()
                    .replace(&path.display().to_string(), crate::history::ROOT_MARK),
            },
            Ok(r) => RecordedTree::Opened(Listing {
                entries: r
                    .entries
                    .iter()
                    .map(|e| RecordedEntry {
                        path: e.path.clone(),
                        kind: e.kind,
                        blob: e.blob.map(|b| b.to_string()),
                    })
                    .collect(),
                head: r.head.clone(),
                default_branch: r.default_branch.clone(),
                origin_owner: r.origin_owner.clone(),
                worktree: r.worktree,
                walk_note: r.walk_note.clone(),
                empty_note: r.empty_note.clone(),
                unreadable: r.unreadable.clone(),
            }),
        }
    }

    /// A reader over a recorded listing.
    fn replayed(
        recorded: RecordedTree,
        tape: &Tape,
        source: String,
        path: &Path,
    ) -> Result<Self, OpenError> {
        let listing = match recorded {
            RecordedTree::Failed { error } => {
                let error = error.replace(crate::history::ROOT_MARK, &path.display().to_string());
                return Err(OpenError::Recorded(error));
            }
            RecordedTree::Opened(listing) => listing,
        };
        let entries = listing
            .entries
            .into_iter()
            .map(|e| TreeEntry {
                path: e.path,
                kind: e.kind,
                blob: e.blob.and_then(|b| Oid::from_str(&b).ok()),
            })
            .collect();
        let mut reader = Self::assemble(
            Backing::Recorded,
            entries,
            listing.head,
            listing.default_branch,
            listing.origin_owner,
            listing.worktree,
            listing.walk_note,
        );
        reader.empty_note = listing.empty_note;
        reader.unreadable = listing.unreadable;
        reader.tape = tape.clone();
        reader.source = source;
        Ok(reader)
    }

    /// Opens the repository itself (no tape).
    fn open_live(path: &Path, worktree: bool) -> Result<Self, OpenError> {
        let meta =
            fs::metadata(path).map_err(|_| OpenError::NotADirectory(path.display().to_string()))?;
        if !meta.is_dir() {
            return Err(OpenError::NotADirectory(path.display().to_string()));
        }
        let repo = match Repository::open(path) {
            Ok(repo) => Some(repo),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(OpenError::Git(e.message().to_owned())),
        };
        let Some(repo) = repo else {
            return Self::from_disk(path, None, None, None);
        };
        let default_branch = Some(default_branch(&repo));
        let origin_owner = origin_owner(&repo);
        let head: Option<Oid> = match repo.head() {
            Ok(reference) => match reference.peel_to_commit() {
                Ok(commit) => Some(commit.id()),
                Err(e) => return Err(OpenError::Git(e.message().to_owned())),
            },
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
            Err(e) => return Err(OpenError::Git(e.message().to_owned())),
        };
        let head_sha = head.map(|oid| oid.to_string());
        if worktree && let Some(workdir) = repo.workdir() {
            let workdir = workdir.to_path_buf();
            return Self::from_disk(&workdir, head_sha, default_branch, origin_owner);
        }
        let Some(head) = head else {
            let mut reader = Self::assemble(
                Backing::Git(repo),
                Vec::new(),
                None,
                default_branch,
                origin_owner,
                false,
                None,
            );
            reader.empty_note = Some("repository has no commits".to_owned());
            return Ok(reader);
        };
        let (entries, cut) = walk_tree(&repo, head)?;
        let walk_note = cut.then(|| {
            format!(
                "the tree has more than {MAX_TREE_ENTRIES} entries; only the first {MAX_TREE_ENTRIES} were read"
            )
        });
        Ok(Self::assemble(
            Backing::Git(repo),
            entries,
            head_sha,
            default_branch,
            origin_owner,
            false,
            walk_note,
        ))
    }

    fn from_disk(
        root: &Path,
        head: Option<String>,
        default_branch: Option<String>,
        origin_owner: Option<String>,
    ) -> Result<Self, OpenError> {
        let mut entries = Vec::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        let mut walked = 0usize;
        let mut cut = false;
        let mut unreadable = Vec::new();
        while let Some((dir, prefix)) = stack.pop() {
            let listing = fs::read_dir(&dir).map_err(|e| OpenError::Io(e.to_string()));
            let listing = match listing {
                Ok(listing) => listing,
                // The root must be listable; a subdirectory that is not is reported.
                Err(e) if prefix.is_empty() => return Err(e),
                Err(e) => {
                    unreadable.push(UnreadableEntry {
                        path: prefix.trim_end_matches('/').to_owned(),
                        reason: format!("directory not listed: {e}"),
                    });
                    continue;
                }
            };
            for item in listing {
                let item = match item {
                    Ok(item) => item,
                    Err(e) => {
                        unreadable.push(UnreadableEntry {
                            path: prefix.trim_end_matches('/').to_owned(),
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
                        unreadable.push(UnreadableEntry {
                            path: rel,
                            reason: format!("not read: {e}"),
                        });
                        continue;
                    }
                };
                if meta.file_type().is_symlink() {
                    entries.push(TreeEntry {
                        path: rel,
                        kind: EntryKind::Symlink,
                        blob: None,
                    });
                } else if meta.is_dir() {
                    if !SKIPPED_DIRS.contains(&name.as_str()) {
                        stack.push((item.path(), format!("{rel}/")));
                    }
                } else if meta.is_file() {
                    entries.push(TreeEntry {
                        path: rel,
                        kind: EntryKind::File,
                        blob: None,
                    });
                }
            }
            if cut {
                break;
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let walk_note = cut.then(|| {
            format!(
                "the directory has more than {MAX_TREE_ENTRIES} entries; only the first {MAX_TREE_ENTRIES} were read"
            )
        });
        let mut reader = Self::assemble(
            Backing::Disk(root.to_path_buf()),
            entries,
            head,
            default_branch,
            origin_owner,
            true,
            walk_note,
        );
        unreadable.sort_by(|a, b| a.path.cmp(&b.path));
        reader.unreadable = unreadable;
        Ok(reader)
    }

    fn assemble(
        backing: Backing,
        entries: Vec<TreeEntry>,
        head: Option<String>,
        default_branch: Option<String>,
        origin_owner: Option<String>,
        worktree: bool,
        walk_note: Option<String>,
    ) -> Self {
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.clone(), i))
            .collect();
        Self {
            backing,
            entries,
            index,
            head,
            default_branch,
            origin_owner,
            worktree,
            walk_note,
            empty_note: None,
            unreadable: Vec::new(),
            tape: Tape::off(),
            source: String::new(),
        }
    }

    /// The entry at `path`, if the tree has one.
    pub(crate) fn entry(&self, path: &str) -> Option<&TreeEntry> {
        self.index.get(path).and_then(|&i| self.entries.get(i))
    }

    /// Whether a file or symlink exists at `path`.
    pub(crate) fn exists(&self, path: &str) -> bool {
        self.index.contains_key(path)
    }

    /// The bytes of the regular file at `path`, within the size limit, with their digest;
    /// recorded as `file:<path>` (or replayed from it).
    pub(crate) fn read_file(&self, path: &str) -> Result<FileBytes, ReadError> {
        let entry = self.entry(path).ok_or(ReadError::Missing)?;
        if entry.kind == EntryKind::Symlink {
            return Err(ReadError::Symlink);
        }
        let request = format!("file:{path}");
        if let Backing::Recorded = self.backing {
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
                    text: status != NOT_TEXT_STATUS,
                }),
                Ok(Replayed::Failure { class, message }) => {
                    Err(ReadError::from_recorded(&class, &message))
                }
                Err(e) => Err(ReadError::Io(e.to_string())),
            };
        }
        let read = self.read_bytes(path);
        if self.tape.is_recording() {
            match &read {
                Ok(bytes) => self.tape.record_answer(
                    &self.source,
                    &request,
                    Answer {
                        status: if is_text(bytes) { 200 } else { NOT_TEXT_STATUS },
                        headers: &[],
                        body: bytes,
                    },
                ),
                Err(e) => {
                    self.tape
                        .record_failure(&self.source, &request, e.class(), &e.to_string())
                }
            }
        }
        read.map(|bytes| FileBytes {
            sha256: evident_core::sha256_hex(&bytes),
            text: is_text(&bytes),
            redacted: false,
            bytes,
        })
    }

    /// The bytes of the regular file at `path`, within the size limit, read from the
    /// repository and never recorded (a copy for rendering). Nothing on replay.
    pub(crate) fn read_bytes(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        let entry = self.entry(path).ok_or(ReadError::Missing)?;
        if entry.kind == EntryKind::Symlink {
            return Err(ReadError::Symlink);
        }
        match (&self.backing, entry.blob) {
            (Backing::Git(repo), Some(oid)) => {
                let odb = repo
                    .odb()
                    .map_err(|e| ReadError::Io(e.message().to_owned()))?;
                let (size, _) = odb
                    .read_header(oid)
                    .map_err(|e| ReadError::Io(e.message().to_owned()))?;
                check_size(size as u64)?;
                let blob = repo
                    .find_blob(oid)
                    .map_err(|e| ReadError::Io(e.message().to_owned()))?;
                Ok(blob.content().to_vec())
            }
            (Backing::Disk(root), _) => {
                let full = root.join(path);
                let meta = fs::symlink_metadata(&full).map_err(|e| ReadError::Io(e.to_string()))?;
                if meta.file_type().is_symlink() {
                    return Err(ReadError::Symlink);
                }
                check_size(meta.len())?;
                fs::read(&full).map_err(|e| ReadError::Io(e.to_string()))
            }
            (Backing::Git(_), None) => Err(ReadError::Missing),
            (Backing::Recorded, _) => Err(ReadError::Io(
                "a replayed repository is read through the snapshot only".to_owned(),
            )),
        }
    }

    /// The snapshot tape and this repository's source on it (for what the scan derives
    /// from the files and records itself, such as kustomize renders).
    pub(crate) fn tape(&self) -> (&Tape, &str) {
        (&self.tape, &self.source)
    }

    /// Whether the symlink at `path` points outside the repository (absolute, or climbing
    /// above the root). Reads only the link itself, never its target.
    pub(crate) fn symlink_escapes(&self, path: &str) -> bool {
        let Some(entry) = self.entry(path) else {
            return false;
        };
        let request = format!("link:{path}");
        if let Backing::Recorded = self.backing {
            // Not in the snapshot: said as not followed, the cautious reading.
            return self
                .tape
                .replay_value::<bool>(&self.source, &request)
                .unwrap_or(true);
        }
        let escapes = self.symlink_escapes_live(entry);
        self.tape.record_value(&self.source, &request, &escapes);
        escapes
    }

    fn symlink_escapes_live(&self, entry: &TreeEntry) -> bool {
        let path = entry.path.as_str();
        let target = match (&self.backing, entry.blob) {
            (Backing::Git(repo), Some(oid)) => match repo.find_blob(oid) {
                Ok(blob) if blob.size() < 4096 => {
                    String::from_utf8_lossy(blob.content()).into_owned()
                }
                _ => return true,
            },
            (Backing::Disk(root), _) => match fs::read_link(root.join(path)) {
                Ok(t) => t.to_string_lossy().into_owned(),
                Err(_) => return true,
            },
            (Backing::Git(_), None) | (Backing::Recorded, _) => return true,
        };
        link_escapes(path, &target)
    }
}

/// Lists the files and symlinks of the tree of commit `head`; `true` when the walk was
/// cut at [`MAX_TREE_ENTRIES`].
fn walk_tree(repo: &Repository, head: Oid) -> Result<(Vec<TreeEntry>, bool), OpenError> {
    let git = |e: git2::Error| OpenError::Git(e.message().to_owned());
    let commit = repo.find_commit(head).map_err(git)?;
    let tree = commit.tree().map_err(git)?;
    let mut entries = Vec::new();
    let mut walked = 0usize;
    let mut cut = false;
    let walk = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        walked += 1;
        if walked > MAX_TREE_ENTRIES {
            cut = true;
            return TreeWalkResult::Abort;
        }
        let name = entry.name().unwrap_or_default();
        match entry.kind() {
            Some(ObjectType::Tree) if SKIPPED_DIRS.contains(&name) => TreeWalkResult::Skip,
            Some(ObjectType::Blob) => {
                let kind = if entry.filemode() == 0o120000 {
                    EntryKind::Symlink
                } else {
                    EntryKind::File
                };
                if !name.is_empty() {
                    entries.push(TreeEntry {
                        path: format!("{dir}{name}"),
                        kind,
                        blob: Some(entry.id()),
                    });
                }
                TreeWalkResult::Ok
            }
            // Subtrees are entered; submodules (commits) are not this repository's files.
            _ => TreeWalkResult::Ok,
        }
    });
    if let Err(e) = walk
        && !cut
    {
        return Err(git(e));
    }
    Ok((entries, cut))
}

/// The text of a file's bytes: UTF-8 without NUL bytes (a byte-order mark dropped),
/// else [`ReadError::NotText`].
pub(crate) fn decode_text(bytes: Vec<u8>) -> Result<String, ReadError> {
    if bytes.contains(&0) {
        return Err(ReadError::NotText);
    }
    let text = String::from_utf8(bytes).map_err(|_| ReadError::NotText)?;
    Ok(lone_carriage_returns_as_line_feeds(
        match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        },
    ))
}

/// `text` with every carriage return not followed by a line feed (old Mac line ends)
/// made a line feed. YAML counts a lone CR as a line break and `str::lines` does not, so
/// without this a parser's line numbers pointed past the lines evidence can cite (found
/// by `cargo fuzz run ci_config`); editors count it as a break too.
pub(crate) fn lone_carriage_returns_as_line_feeds(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

fn check_size(size: u64) -> Result<(), ReadError> {
    if size > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            size_mb: size as f64 / (1024.0 * 1024.0),
        });
    }
    Ok(())
}

/// Whether a link at `link_path` (relative to the root) with `target` leaves the root.
pub(crate) fn link_escapes(link_path: &str, target: &str) -> bool {
    let target = Path::new(target);
    if target.is_absolute() {
        return true;
    }
    let mut depth: i64 = link_path.matches('/').count() as i64;
    for component in target.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// `refs/remotes/origin/HEAD`'s branch, else the checked-out branch, else `main`.
pub(crate) fn default_branch(repo: &Repository) -> String {
    if let Ok(reference) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Ok(Some(target)) = reference.symbolic_target()
        && let Some(branch) = target.strip_prefix("refs/remotes/origin/")
    {
        return branch.to_owned();
    }
    if let Ok(reference) = repo.find_reference("HEAD")
        && let Ok(Some(target)) = reference.symbolic_target()
        && let Some(branch) = target.strip_prefix("refs/heads/")
    {
        return branch.to_owned();
    }
    "main".to_owned()
}

/// The owner part of `origin`'s URL (`git@host:owner/repo.git`, `https://host/owner/repo`).
fn origin_owner(repo: &Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    owner_of_url(remote.url().ok()?)
}

pub(crate) fn owner_of_url(url: &str) -> Option<String> {
    let rest = if let Some((_, after)) = url.split_once("://") {
        after.split_once('/')?.1
    } else if let Some((_, after)) = url.split_once(':') {
        after
    } else {
        return None;
    };
    let owner = rest.trim_start_matches('/').split('/').next()?;
    (!owner.is_empty()).then(|| owner.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_that_climb_out_or_are_absolute_escape() {
        assert!(link_escapes("a/link", "../../etc/passwd"));
        assert!(link_escapes("link", "/etc/passwd"));
        assert!(!link_escapes("a/b/link", "../c.yaml"));
        assert!(!link_escapes("link", "./docs/x.md"));
    }

    #[test]
    fn origin_owner_from_ssh_and_https() {
        assert_eq!(
            owner_of_url("git@github.com:Acme/shop.git").as_deref(),
            Some("acme")
        );
        assert_eq!(
            owner_of_url("https://github.com/acme/shop").as_deref(),
            Some("acme")
        );
        assert_eq!(
            owner_of_url("ssh://git@gitlab.example/grp/sub/x.git").as_deref(),
            Some("grp")
        );
        assert_eq!(owner_of_url("nonsense"), None);
    }
}

/// One file of a repository, read where the scan reads: the blob at HEAD, or the disk
/// with `--worktree` or for a plain directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedFile {
    /// The file's text (a leading byte-order mark dropped).
    pub text: String,
    /// The commit it was read at; `None` when it was read from the disk.
    pub revision: Option<String>,
}

/// Reads `path` of the repository at `root` as the probe reads every file: from the
/// commit at HEAD unless `worktree` is set or `root` is not a git repository, so that a
/// file nobody committed (an attestation written a minute ago) is never taken as part
/// of the repository, and the revision it cites is the one it was read from. `Ok(None)`
/// when the file is not there (or the repository has no commits). Symlinks are never
/// followed.
pub fn read_committed(
    root: &Path,
    path: &str,
    worktree: bool,
) -> Result<Option<CommittedFile>, ReadError> {
    let repo = match Repository::open(root) {
        Ok(repo) => Some(repo),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(ReadError::Io(e.message().to_owned())),
    };
    let repo = match repo {
        Some(repo) if !worktree => repo,
        Some(repo) => {
            let dir = repo
                .workdir()
                .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
            return read_from_disk(&dir, path);
        }
        None => return read_from_disk(root, path),
    };
    let head = match repo.head() {
        Ok(reference) => reference
            .peel_to_commit()
            .map_err(|e| ReadError::Io(e.message().to_owned()))?,
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
            return Ok(None);
        }
        Err(e) => return Err(ReadError::Io(e.message().to_owned())),
    };
    let tree = head
        .tree()
        .map_err(|e| ReadError::Io(e.message().to_owned()))?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(entry) => entry,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e.message().to_owned())),
    };
    if entry.filemode() == 0o120_000 {
        return Err(ReadError::Symlink);
    }
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| ReadError::Io(e.message().to_owned()))?;
    check_size(blob.size() as u64)?;
    Ok(Some(CommittedFile {
        text: decode_text(blob.content().to_vec())?,
        revision: Some(head.id().to_string()),
    }))
}

fn read_from_disk(root: &Path, path: &str) -> Result<Option<CommittedFile>, ReadError> {
    let full = root.join(path);
    let meta = match fs::symlink_metadata(&full) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e.to_string())),
    };
    if meta.file_type().is_symlink() {
        return Err(ReadError::Symlink);
    }
    if !meta.is_file() {
        return Ok(None);
    }
    check_size(meta.len())?;
    let bytes = fs::read(&full).map_err(|e| ReadError::Io(e.to_string()))?;
    Ok(Some(CommittedFile {
        text: decode_text(bytes)?,
        revision: None,
    }))
}
