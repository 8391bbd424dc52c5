//! Cluster dumps: `kubectl get ... -A -o json` (a `List`) read offline.
//!
//! An auditor handed a snapshot, or an air-gapped estate, has no API to ask. A dump's
//! items go through the same reduction as live list items, so the facts are the same as
//! a live read of the same objects. A dump says nothing about what was left out of it:
//! the kinds it holds are taken as the whole cluster (docs/facts.md gives the command
//! that dumps everything the rules need).

use crate::ingest::{Ingest, Keep, ingest};
use crate::read::{ClusterError, ClusterRead};
use evident_core::SourceStatus;
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
    let size = std::fs::metadata(path)
        .map_err(|e| error(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > MAX_DUMP_BYTES {
        return Err(error(format!(
            "{} is {size} bytes, more than the {MAX_DUMP_BYTES} a dump may have",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(format!("cannot read {}: {e}", path.display())))?;
    let json = if text.trim_start().starts_with('{') {
        text
    } else {
        // YAML (`kubectl get -o yaml`, or the multi-document manifests a cluster was
        // given with `kubectl apply -f`): converted once to one JSON List.
        yaml_to_list(&text).map_err(|e| {
            error(format!(
                "{} is neither a JSON nor a YAML Kubernetes List: {e}",
                path.display()
            ))
        })?
    };
    let file: ListFile = serde_json::from_str(&json).map_err(|e| {
        error(format!(
            "{} is not a Kubernetes List (kubectl get -o json): {e}",
            path.display()
        ))
    })?;
    let items: Vec<Box<RawValue>> = match (file.kind.as_deref(), file.items) {
        (Some(k), Some(items)) if k.ends_with("List") => items,
        (_, None) => {
            let single = RawValue::from_string(json)
                .map_err(|e| error(format!("{}: {e}", path.display())))?;
            vec![single]
        }
        (_, Some(items)) => items,
    };
    let mut read = ClusterRead {
        discovery: "dump".into(),
        ..ClusterRead::default()
    };
    for raw in &items {
        let keep = Keep::Full;
        match ingest(raw, None, None, keep) {
            Some(Ingest::Object(item)) => read.objects.push(item),
            Some(Ingest::OwnedPod(pod)) => read.owned_pods.push(pod),
            None => {}
        }
    }
    Ok(read)
}
