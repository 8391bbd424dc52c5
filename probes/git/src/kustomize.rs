//! Kustomize overlays: rendered with `kubectl kustomize` when it is on PATH, disclosed
//! when it is not.
//!
//! A base read file by file shows what the base declares; an overlay can add a
//! container, drop a probe, pin an image or change replicas, so judging the base alone
//! can leave a `met` standing that the deployed objects do not earn. Decisions:
//!
//! - An *overlay* is a kustomization that no other kustomization of the repository lists
//!   (it is not only a base of another) and that builds on something: a resource that is
//!   another kustomization's directory, a component, a patch, or an `images` / `replicas`
//!   override. A kustomization that
//!   only lists its own files renders to those files, already read one by one; it is not
//!   rendered again. A repository without kustomizations renders nothing.
//! - Rendering runs on a copy of the repository's kustomization directories as the scan
//!   read them (the commit at HEAD unless `--worktree`), never on the live working tree,
//!   with a time bound and an output cap. Nothing that fetches is passed to it: an
//!   overlay that lists a remote resource (a URL, `github.com/...`, `git@...`) is not
//!   rendered and is listed as unreadable, and the network is closed to the child (a
//!   proxy that refuses, no git prompts). kubectl's defaults keep exec/KRM plugins and
//!   Helm chart inflation off, so an overlay that needs them fails to render and is
//!   disclosed.
//! - Rendered objects are judged beside the bases' (copies of one object are judged one
//!   by one) with evidence pointing at the overlay's kustomization file.
//! - Without kubectl, or when rendering fails, the overlay is listed in `unreadable[]`
//!   and every workload it patches or builds on is marked `unrendered_overlay`: rules
//!   about containers and rollouts answer `unknown` for them rather than judge the base.

use crate::evidence::{EvidenceBook, SourceFile};
use crate::manifests::join_relative;
use crate::repo::{EntryKind, RepoReader};
use crate::yaml_pos::{self, Node};
use evident_kube_facts::SourcedObject;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `kubectl kustomize` may run.
const RENDER_TIMEOUT: Duration = Duration::from_secs(30);
/// The most output read from one render; more is a failed render.
const MAX_RENDER_BYTES: u64 = 32 * 1024 * 1024;
/// The most bytes copied for rendering, all overlays of a repository together.
const MAX_COPY_BYTES: u64 = 64 * 1024 * 1024;

/// What one kustomization file refers to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kustomization {
    /// The kustomization file.
    pub path: String,
    /// Its directory.
    pub dir: String,
    /// Local paths of `resources`, `bases` and `components` entries, resolved.
    pub refs: Vec<String>,
    /// Entries that would be fetched (URLs, `github.com/...`).
    pub remote: Vec<String>,
    /// Whether it lists components or patches (it changes what it includes).
    pub changes: bool,
    /// `(kind, name)` targets of its inline patches.
    pub targets: Vec<(String, String)>,
}

impl Kustomization {
    /// Reads the references of one kustomization document.
    pub(crate) fn read(path: &str, doc: &Node) -> Self {
        let dir = crate::inventory::dir_of(path).to_owned();
        let mut k = Kustomization {
            path: path.to_owned(),
            dir: dir.clone(),
            ..Default::default()
        };
        for key in ["resources", "bases", "components"] {
            for item in yaml_pos::get(doc, key)
                .map(yaml_pos::items)
                .unwrap_or_default()
            {
                let Some(text) = yaml_pos::scalar_text(item) else {
                    continue;
                };
                let text = text.trim();
                if is_remote(text) {
                    k.remote.push(text.to_owned());
                } else if let Some(joined) = join_relative(&dir, text) {
                    k.refs.push(joined);
                }
                if key == "components" {
                    k.changes = true;
                }
            }
        }
        // Image and replica overrides change what the criteria judge as much as patches.
        if ["images", "replicas"]
            .iter()
            .any(|key| yaml_pos::get(doc, key).is_some())
        {
            k.changes = true;
        }
        for key in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
            let Some(list) = yaml_pos::get(doc, key) else {
                continue;
            };
            k.changes = true;
            for item in yaml_pos::items(list) {
                if let Some(target) = yaml_pos::get(item, "target") {
                    let field =
                        |f: &str| yaml_pos::get_str(target, f).unwrap_or_default().to_owned();
                    k.targets.push((field("kind"), field("name")));
                }
            }
        }
        k
    }
}

/// Whether a kustomization entry names something kustomize would fetch.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
}

/// A workload an unrendered overlay patches or builds on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OverlayGap {
    /// Object kind (`Deployment`); empty matches any kind.
    pub kind: String,
    /// Object name.
    pub name: String,
    /// `<overlay kustomization>: <why it was not rendered>`.
    pub note: String,
}

/// What rendering the overlays gave.
#[derive(Default)]
pub(crate) struct Rendered {
    /// Objects of rendered overlays, cited by their kustomization file.
    pub objects: Vec<SourcedObject>,
    /// Overlays that could not be rendered: `(kustomization path, reason)`.
    pub unreadable: Vec<(String, String)>,
    /// Workloads those overlays patch or build on.
    pub gaps: Vec<OverlayGap>,
}

/// The kustomizations to render: those no other kustomization lists, that build on a
/// base, a component or a patch.
fn overlays(all: &[Kustomization]) -> Vec<&Kustomization> {
    let dirs: BTreeSet<&str> = all.iter().map(|k| k.dir.as_str()).collect();
    let listed: BTreeSet<&str> = all
        .iter()
        .flat_map(|k| k.refs.iter().map(String::as_str))
        .filter(|r| dirs.contains(r))
        .collect();
    all.iter()
        .filter(|k| !listed.contains(k.dir.as_str()))
        .filter(|k| {
            k.changes || !k.remote.is_empty() || k.refs.iter().any(|r| dirs.contains(r.as_str()))
        })
        .collect()
}

/// `kubectl` on PATH, if any.
pub(crate) fn find_kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
}

/// Renders every overlay of the repository (see the module documentation).
pub(crate) fn render(
    reader: &RepoReader,
    all: &[Kustomization],
    objects: &[(String, String, String)],
    texts: &std::collections::BTreeMap<String, SourceFile>,
    book: &mut EvidenceBook<'_>,
) -> Rendered {
    let mut out = Rendered::default();
    let overlays = overlays(all);
    if overlays.is_empty() {
        return out;
    }
    let (tape, source) = reader.tape();
    let replaying = tape.is_replaying();
    // On replay neither PATH nor kubectl is consulted: each render comes from the tape.
    let kubectl = if replaying { None } else { find_kubectl() };
    let copy = match &kubectl {
        _ if replaying => Err(String::new()),
        Some(_) => copy_tree(reader, all)
            .map_err(|e| format!("could not copy the kustomization directories: {e}")),
        None => Err(
            "not rendered: kubectl is not on PATH (install kubectl to render kustomize overlays)"
                .to_owned(),
        ),
    };
    for overlay in overlays {
        let request = format!("value:kustomize:{}", overlay.dir);
        let result = match (&kubectl, &copy) {
            _ if !overlay.remote.is_empty() => Err(format!(
                "not rendered: lists remote resources, which evident does not fetch ({})",
                overlay.remote.join(", ")
            )),
            _ if replaying => tape
                .replay_value::<Result<String, String>>(source, &request)
                .unwrap_or_else(|e| Err(format!("not rendered: {e}"))),
            (Some(kubectl), Ok(dir)) => run(kubectl, &dir.path().join(&overlay.dir)),
            (_, Err(e)) => Err(e.clone()),
            (None, _) => Err("not rendered: kubectl is not on PATH".to_owned()),
        };
        if overlay.remote.is_empty() {
            tape.record_value(source, &request, &result);
        }
        let file = texts.get(&overlay.path);
        match (result, file) {
            (Ok(yaml), Some(file)) => match yaml_pos::load_documents(&yaml) {
                Ok(docs) => {
                    let evidence = book.cite(file, 1, file.line_count().max(1));
                    out.objects
                        .extend(docs.iter().filter(|d| yaml_pos::is_mapping(d)).map(|d| {
                            SourcedObject {
                                object: yaml_pos::to_json(d),
                                evidence: evidence.clone(),
                            }
                        }));
                }
                Err(e) => disclose(
                    &mut out,
                    overlay,
                    all,
                    objects,
                    format!("rendered output did not parse: {e}"),
                ),
            },
            (Ok(_), None) => {}
            (Err(why), _) => disclose(&mut out, overlay, all, objects, why),
        }
    }
    tracing::debug!(
        rendered = out.objects.len(),
        failed = out.unreadable.len(),
        "kustomize overlays"
    );
    out
}

/// Lists an overlay that was not rendered and marks what it patches or builds on.
fn disclose(
    out: &mut Rendered,
    overlay: &Kustomization,
    all: &[Kustomization],
    objects: &[(String, String, String)],
    why: String,
) {
    let note = format!("{}: kustomize overlay {why}", overlay.path);
    let mut dirs = vec![overlay.dir.clone()];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while let Some(dir) = dirs.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        if let Some(k) = all.iter().find(|k| k.dir == dir) {
            dirs.extend(k.refs.iter().cloned());
            for (kind, name) in &k.targets {
                out.gaps.push(OverlayGap {
                    kind: kind.clone(),
                    name: name.clone(),
                    note: note.clone(),
                });
            }
        }
    }
    let under = |origin: &str| {
        seen.iter()
            .any(|d| d.is_empty() || origin == d || origin.starts_with(&format!("{d}/")))
    };
    for (kind, name, origin) in objects {
        if under(origin) {
            out.gaps.push(OverlayGap {
                kind: kind.clone(),
                name: name.clone(),
                note: note.clone(),
            });
        }
    }
    out.unreadable
        .push((overlay.path.clone(), format!("kustomize overlay {why}")));
}

/// Copies every file under the repository's kustomization directories into a fresh
/// temporary directory, as the scan read them.
fn copy_tree(reader: &RepoReader, all: &[Kustomization]) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix("evident-kustomize")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let roots: BTreeSet<&str> = all
        .iter()
        .flat_map(|k| std::iter::once(k.dir.as_str()).chain(k.refs.iter().map(String::as_str)))
        .collect();
    let inside = |p: &str| {
        roots
            .iter()
            .any(|r| r.is_empty() || p == *r || p.starts_with(&format!("{r}/")))
    };
    let mut copied = 0u64;
    for entry in reader
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File && inside(&e.path))
    {
        let Ok(bytes) = reader.read_bytes(&entry.path) else {
            continue;
        };
        copied += bytes.len() as u64;
        if copied > MAX_COPY_BYTES {
            return Err(format!(
                "over {} MB to copy",
                MAX_COPY_BYTES / (1024 * 1024)
            ));
        }
        let target = dir.path().join(&entry.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&target, bytes).map_err(|e| e.to_string())?;
    }
    Ok(dir)
}

/// Runs `kubectl kustomize <dir>` with the network closed, a time bound and an output
/// cap; returns its output or why it failed.
fn run(kubectl: &Path, dir: &Path) -> Result<String, String> {
    let mut child = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("https_proxy", "http://127.0.0.1:9")
        .env("NO_PROXY", "")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", "file")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("not rendered: could not run kubectl: {e}"))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    // A read that failed or a reader that stopped is no render: half an output judged as
    // the whole overlay would hide what the rest deploys.
    let out_reader = std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        if let Some(s) = stdout {
            s.take(MAX_RENDER_BYTES + 1).read_to_end(&mut buf)?;
        }
        Ok(buf)
    });
    let err_reader = std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        if let Some(s) = stderr {
            s.take(64 * 1024).read_to_end(&mut buf)?;
        }
        Ok(buf)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > RENDER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "not rendered: kubectl kustomize did not finish in {} s",
                    RENDER_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("not rendered: {e}")),
        }
    };
    let out = match out_reader.join() {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(format!(
                "not rendered: reading kubectl's output failed: {e}"
            ));
        }
        Err(_) => return Err("not rendered: reading kubectl's output stopped".to_owned()),
    };
    // stderr only words the failure; an unreadable one leaves the message out.
    let err = err_reader
        .join()
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    if !status.success() {
        let message = String::from_utf8_lossy(&err);
        let first = message
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(format!(
            "not rendered: kubectl kustomize failed: {}",
            without_log_header(first)
        ));
    }
    if out.len() as u64 > MAX_RENDER_BYTES {
        return Err(format!(
            "not rendered: output over {} MB",
            MAX_RENDER_BYTES / (1024 * 1024)
        ));
    }
    String::from_utf8(out).map_err(|_| "not rendered: output is not UTF-8".to_owned())
}

/// kubectl's own log header (`E1201 10:59:31.579028   17106 run.go:72] `) says nothing
/// about the overlay and changes on every run: only the message after it is kept.
fn without_log_header(line: &str) -> &str {
    let klog = line.starts_with(['E', 'W', 'I', 'F'])
        && line
            .get(1..5)
            .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()));
    match line.split_once("] ") {
        Some((_, rest)) if klog => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_log_headers_are_dropped() {
        assert_eq!(
            without_log_header(
                "E1201 10:59:31.579028   17106 run.go:72] \"command failed\" err=\"x\""
            ),
            "\"command failed\" err=\"x\""
        );
        assert_eq!(
            without_log_header("Error: accumulating resources"),
            "Error: accumulating resources"
        );
    }

    #[test]
    fn only_roots_that_build_on_something_are_overlays() {
        let k = |dir: &str, refs: &[&str], changes: bool| Kustomization {
            path: format!("{dir}/kustomization.yaml"),
            dir: dir.to_owned(),
            refs: refs.iter().map(|r| (*r).to_owned()).collect(),
            changes,
            ..Default::default()
        };
        let all = [
            k("k8s/base", &["k8s/base/web.yaml"], false),
            k("k8s/prod", &["k8s/base"], false),
            k("k8s/dev", &["k8s/base"], true),
            k("other", &["other/a.yaml"], false),
            k("patched", &["patched/a.yaml"], true),
        ];
        let names: Vec<&str> = overlays(&all).iter().map(|o| o.dir.as_str()).collect();
        assert_eq!(names, ["k8s/prod", "k8s/dev", "patched"]);
        assert!(is_remote("github.com/acme/base?ref=v1"));
        assert!(is_remote("https://example.com/x.yaml"));
        assert!(!is_remote("../base"));
    }
}
