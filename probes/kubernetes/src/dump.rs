//! Cluster dumps: `kubectl get ... -A -o json` (a `List`) read offline.
//!
//! An auditor handed a snapshot, or an air-gapped estate, has no API to ask. A dump's
//! items go through the same reduction as live list items, so the facts are the same as
//! a live read of the same objects. A dump is the whole cluster only for the kinds it
//! holds: a kind it holds no object of may have been left out of the dump, so for the
//! built-in kinds whose absence a rule would judge (no PodDisruptionBudget, no
//! autoscaler, no log-shipping DaemonSet, no Service) it is reported as not read
//! ([`kinds_not_held`]). Custom resources it does not hold are taken as not installed,
//! as a live cluster without their CRD (docs/facts.md gives the command that dumps
//! everything the rules need).

use crate::ingest::{Ingest, Keep, ingest};
use crate::read::{ClusterError, ClusterRead};
use evident_core::SourceStatus;
use evident_snapshot::{Answer, Replayed, Tape};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::path::Path;

/// The largest dump read (bytes); bigger files are refused rather than exhausting memory.
pub const MAX_DUMP_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Deserialize)]
struct ListFile {
    kind: Option<String>,
    items: Option<Vec<Box<RawValue>>>,
}

/// Built-in kinds whose absence from a dump is reported as not read: `(group, plural,
/// Kind)`. Rules that judge a service's own workloads judge the workloads the dump holds;
/// these are the kinds a rule would otherwise take as absent from the whole cluster.
pub const ABSENCE_JUDGED_KINDS: [(&str, &str, &str); 4] = [
    ("", "services", "Service"),
    ("policy", "poddisruptionbudgets", "PodDisruptionBudget"),
    (
        "autoscaling",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
    ),
    ("apps", "daemonsets", "DaemonSet"),
];

/// The `unread` entries of a dump for each [`ABSENCE_JUDGED_KINDS`] kind it holds no
/// object of, marked `absent_from_dump` (status `not_configured`: nobody gave evident
/// those objects, nothing refused them).
pub fn kinds_not_held(cluster: &str, read: &ClusterRead) -> Vec<serde_json::Value> {
    let held: std::collections::HashSet<&str> = read
        .objects
        .iter()
        .filter_map(|o| o.object.get("kind").and_then(serde_json::Value::as_str))
        .collect();
    ABSENCE_JUDGED_KINDS
        .iter()
        .filter(|(_, _, kind)| !held.contains(kind))
        .map(|(group, plural, kind)| {
            serde_json::json!({
                "cluster": cluster, "group": group, "resource": plural,
                "status": SourceStatus::NotConfigured.as_str(),
                "detail": format!("the dump holds no {kind}; a dump shows only the kinds it holds (add them to the kubectl get that made it)"),
                "absent_from_dump": true,
            })
        })
        .collect()
}

/// The cluster name of a dump: its file name without extension.
pub fn default_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into())
}

fn error(detail: String) -> ClusterError {
    ClusterError {
        status: SourceStatus::Error,
        detail,
    }
}

/// Every YAML document of `text` as items of one List: a document that is itself a List
/// contributes its items; empty documents (a trailing `---`) are skipped.
fn yaml_to_list(text: &str) -> Result<String, String> {
    use serde::Deserialize;
    let mut items: Vec<serde_json::Value> = Vec::new();
    for (n, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value =
            serde_json::Value::deserialize(doc).map_err(|e| format!("document {}: {e}", n + 1))?;
        let is_list = value
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|k| k.ends_with("List"));
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::Object(mut list) if is_list => {
                if let Some(serde_json::Value::Array(inner)) = list.remove("items") {
                    items.extend(inner);
                }
            }
            object @ serde_json::Value::Object(_) => items.push(object),
            // A scalar or a sequence is no Kubernetes object: the file is not a dump,
            // and reading it as an empty cluster would be absence nobody saw.
            _ => return Err(format!("document {} is not a Kubernetes object", n + 1)),
        }
    }
    Ok(serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string())
}

/// Reads a dump file: a JSON `List` (or a single object), or the same as YAML.
pub fn read_dump(path: &Path) -> Result<ClusterRead, ClusterError> {
    read_dump_taped(path, &Tape::off())
}

/// The file name a dump is recorded under (`kubernetes:dump:<file name>`,
/// `file:<file name>`): never the directory, which is the machine's own.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into())
}

/// The detail of a dump that could not be read: `class` is how it failed (`unreadable`:
/// the operating system's message; `too_large`: the size), as the snapshot keeps it,
/// so a replay words it as the recorded read did.
fn unreadable(path: &Path, class: &str, message: &str) -> ClusterError {
    let shown = path.display();
    error(match class {
        "too_large" => {
            format!("{shown} is {message} bytes, more than the {MAX_DUMP_BYTES} a dump may have")
        }
        _ => format!("cannot read {shown}: {message}"),
    })
}

/// The dump's bytes, or how reading them failed (`(class, message)`).
fn load(path: &Path) -> Result<Vec<u8>, (&'static str, String)> {
    let size = std::fs::metadata(path)
        .map_err(|e| ("unreadable", e.to_string()))?
        .len();
    if size > MAX_DUMP_BYTES {
        return Err(("too_large", size.to_string()));
    }
    std::fs::read(path).map_err(|e| ("unreadable", e.to_string()))
}

/// [`read_dump`], recording the file's bytes into `tape` (or, when it replays, parsing
/// the recorded bytes without opening the file). A file that could not be read is
/// recorded as that failure and replays as the same error.
pub fn read_dump_taped(path: &Path, tape: &Tape) -> Result<ClusterRead, ClusterError> {
    let file = file_name(path);
    let source = format!("kubernetes:dump:{file}");
    let request = format!("file:{file}");
    let bytes = if tape.is_replaying() {
        match tape.replay_answer(&source, &request) {
            Ok(Replayed::Response { body, .. }) => body,
            Ok(Replayed::Failure { class, message }) => {
                return Err(unreadable(path, &class, &message));
            }
            Err(e) => return Err(error(e.to_string())),
        }
    } else {
        match load(path) {
            Ok(bytes) => {
                let answer = Answer {
                    status: 200,
                    headers: &[],
                    body: &bytes,
                };
                tape.record_answer(&source, &request, answer);
                bytes
            }
            Err((class, message)) => {
                tape.record_failure(&source, &request, class, &message);
                return Err(unreadable(path, class, &message));
            }
        }
    };
    // Worded as reading the file as text words it.
    let text = String::from_utf8(bytes)
        .map_err(|_| unreadable(path, "unreadable", "stream did not contain valid UTF-8"))?;
    read_dump_text(text, &path.display().to_string())
}

/// Checks, before a scan starts, that `path` is a dump at all: a readable file of JSON or
/// YAML Kubernetes objects. The wrong file given to `--kube-dump` (a log, a CSV, a
/// truncated download) is the caller's mistake, so the CLI refuses it with this message
/// (exit 2) rather than reading it as a cluster that failed; an empty file holds no
/// cluster either. The message names the file and what is wrong, never a Rust type.
pub fn check_dump(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    if meta.len() > MAX_DUMP_BYTES {
        return Err(format!(
            "{shown} is {} bytes, more than the {MAX_DUMP_BYTES} a dump may have",
            meta.len()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!("{shown}: cannot read it as text ({e}); a dump is the JSON or YAML of kubectl get")
    })?;
    check_dump_text(&text).map_err(|what| {
        format!(
            "{shown} is not a Kubernetes dump (the output of kubectl get -A -o json or -o yaml): {what}"
        )
    })
}

/// What is wrong with a dump's text, if anything: not JSON or YAML, empty, or a document
/// that is not an object.
fn check_dump_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the file is empty".into());
    }
    if text.trim_start().starts_with('{') {
        return serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map(|_| ())
            .map_err(|e| format!("invalid JSON at line {} column {}", e.line(), e.column()));
    }
    let mut objects = 0usize;
    for (n, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let shape = Shape::deserialize(doc).map_err(|e| match e.location() {
            Some(at) => format!("invalid YAML at line {} column {}", at.line(), at.column()),
            None => format!("invalid YAML in document {}", n + 1),
        })?;
        match shape {
            Shape::Empty => {}
            Shape::Mapping => objects += 1,
            Shape::Other => {
                return Err(format!(
                    "document {} is not a Kubernetes object (a mapping with kind and metadata)",
                    n + 1
                ));
            }
        }
    }
    if objects == 0 {
        return Err("the file holds no object".into());
    }
    Ok(())
}

/// The shape of one YAML document, read without keeping its content.
enum Shape {
    Empty,
    Mapping,
    Other,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Kubernetes object")
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape::Empty)
            }
            fn visit_none<E>(self) -> Result<Shape, E> {
                Ok(Shape::Empty)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Shape, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Shape::Mapping)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Shape, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Shape::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A dump's bytes read as [`read_dump`] reads a file's, for the fuzz targets (`fuzz/`,
/// `crates/fuzz-harness`): bytes that are not UTF-8 are refused as a file would be.
#[doc(hidden)]
pub fn fuzz_dump(data: &[u8]) -> Result<ClusterRead, ClusterError> {
    let text = std::str::from_utf8(data).map_err(|e| error(format!("fuzz: {e}")))?;
    read_dump_text(text.to_owned(), "fuzz")
}

/// A dump's text; `shown` names it in errors and in the unreadable items.
fn read_dump_text(text: String, shown: &str) -> Result<ClusterRead, ClusterError> {
    let json = if text.trim_start().starts_with('{') {
        text
    } else {
        // YAML (`kubectl get -o yaml`, or the multi-document manifests a cluster was
        // given with `kubectl apply -f`): converted once to one JSON List.
        yaml_to_list(&text).map_err(|e| {
            error(format!(
                "{shown} is neither a JSON nor a YAML Kubernetes List: {e}"
            ))
        })?
    };
    let file: ListFile = serde_json::from_str(&json).map_err(|e| {
        error(format!(
            "{shown} is not a Kubernetes List (kubectl get -o json): {e}"
        ))
    })?;
    let items: Vec<Box<RawValue>> = match (file.kind.as_deref(), file.items) {
        (Some(k), Some(items)) if k.ends_with("List") => items,
        (_, None) => {
            let single = RawValue::from_string(json).map_err(|e| error(format!("{shown}: {e}")))?;
            vec![single]
        }
        (_, Some(items)) => items,
    };
    let mut read = ClusterRead {
        discovery: "dump".into(),
        ..ClusterRead::default()
    };
    for (i, raw) in items.iter().enumerate() {
        match ingest(raw, None, None, Keep::Full) {
            Ok(Some(Ingest::Object(item))) => read.objects.push(item),
            Ok(Some(Ingest::OwnedPod(pod))) => read.owned_pods.push(pod),
            Ok(None) => {}
            Err(junk) => read
                .unreadable
                .push(crate::read::junk_item(shown, 1, i, junk)),
        }
    }
    Ok(read)
}
