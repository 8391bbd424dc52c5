//! Listing and reading a repository's files: the commit at HEAD through git2 (bare mirrors
//! included), or the directory on disk for `--worktree` and plain directories.
//!
//! The bounds are the git probe's, kept here because probes never depend on one another:
//! symlinks are never followed (a link out of the repository must not be read), a walk
//! stops after [`MAX_TREE_ENTRIES`] entries, and a caller asks for a file's size before
//! reading it, so a 200 MB lock file is never loaded.

use git2::{ErrorCode, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The walk stops after this many entries, as the git probe's does.
pub(crate) const MAX_TREE_ENTRIES: usize = 200_000;

/// One regular file of the tree (symlinks are listed apart and never read).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    blob: Option<Oid>,
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
}

enum Backing {
    Git(Repository),
    Disk(PathBuf),
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
}

/// Directories never walked: git's own, and build output that is nobody's source.
const NEVER_WALKED: [&str; 1] = [".git"];

impl Tree {
    /// Opens `path` at HEAD, or its working tree when `worktree` is set or it is not a
    /// repository.
    pub(crate) fn open(path: &Path, worktree: bool) -> Result<Self, OpenError> {
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
            });
        };
        let (files, symlinks, cut) = walk_git(&repo, head)?;
        Ok(Self {
            backing: Backing::Git(repo),
            files,
            symlinks,
            head: head_sha,
            cut,
        })
    }

    fn from_disk(root: &Path, head: Option<String>) -> Result<Self, OpenError> {
        let mut files = Vec::new();
        let mut symlinks = Vec::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        let mut walked = 0usize;
        let mut cut = false;
        while let Some((dir, prefix)) = stack.pop() {
            let listing = match fs::read_dir(&dir) {
                Ok(listing) => listing,
                Err(e) if prefix.is_empty() => return Err(OpenError::Io(e.to_string())),
                Err(_) => continue,
            };
            for item in listing.flatten() {
                walked += 1;
                if walked > MAX_TREE_ENTRIES {
                    cut = true;
                    break;
                }
                let name = item.file_name().to_string_lossy().into_owned();
                let Ok(meta) = fs::symlink_metadata(item.path()) else {
                    continue;
                };
                let rel = format!("{prefix}{name}");
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
        Ok(Self {
            backing: Backing::Disk(root.to_path_buf()),
            files,
            symlinks,
            head,
            cut,
        })
    }

    /// Reads a file the caller has checked the size of; `limit` bytes at most.
    pub(crate) fn read(&self, entry: &Entry, limit: u64) -> Result<Vec<u8>, String> {
        if entry.size > limit {
            return Err(format!(
                "skipped: {:.1} MB is over the {} MB limit",
                entry.size as f64 / 1_048_576.0,
                limit / 1_048_576
            ));
        }
        match &self.backing {
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
