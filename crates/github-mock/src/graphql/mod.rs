//! GraphQL: parse the query, resolve its root fields from the model into "rich" values (every
//! field the mock knows, connections and forbidden fields marked), then answer exactly what the
//! query selects, with GitHub's errors for unknown fields, missing pagination bounds,
//! forbidden fields and unknown repositories.

pub mod parse;
mod resolve;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::model::Model;
use parse::{Field, Selection};

/// What the executor needs besides the query: the model, the caller's rights, the quota.
pub(crate) struct Ctx<'a> {
    /// The estate.
    pub model: &'a Model,
    /// Whether the token may read protection rules.
    pub admin: bool,
    /// `rateLimit` fields after this query's cost is charged.
    pub rate: RateInfo,
    /// The caller's token, when the echo canary is on.
    pub canary: Option<&'a str>,
}

/// The caller's GraphQL quota as `rateLimit` reports it.
#[derive(Debug, Clone)]
pub(crate) struct RateInfo {
    /// Points this query cost.
    pub cost: u64,
    /// The limit.
    pub limit: u64,
    /// Points left.
    pub remaining: u64,
    /// Points used.
    pub used: u64,
    /// When the window resets (RFC 3339).
    pub reset_at: String,
}

/// Executes a GraphQL request body and returns the JSON answer (always HTTP 200, as GitHub).
pub(crate) fn execute(body: &[u8], ctx: &Ctx) -> Value {
    let req: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return json!({"errors": [{"message": format!("Problems parsing JSON: {e}")}]}),
    };
    let Some(query) = req.get("query").and_then(Value::as_str) else {
        return json!({"errors": [{"message": "A query attribute must be specified and must be a string."}]});
    };
    let vars = req
        .get("variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let op_name = req.get("operationName").and_then(Value::as_str);
    let op = match parse::parse(query, op_name, &vars) {
        Ok(op) => op,
        Err(msg) => return json!({"errors": [{"message": msg, "locations": []}]}),
    };
    let op_path = match &op.name {
        Some(n) => format!("query {n}"),
        None => "query".to_string(),
    };
    let mut ex = Exec {
        errors: Vec::new(),
        invalid: Vec::new(),
        op_path,
    };
    let mut data = Map::new();
    let mut path = Vec::new();
    for sel in &op.selections {
        let Selection::Field(f) = sel else {
            ex.invalid(
                "Fragments on the Query root are not supported by this mock",
                f_loc(sel),
                &[],
            );
            continue;
        };
        if f.name == "__typename" {
            data.insert(f.key().to_string(), json!("Query"));
            continue;
        }
        let rich = match resolve::root(f, ctx) {
            resolve::Root::Value(v) => v,
            resolve::Root::NotFound(kind, message) => {
                ex.errors.push(json!({"type": kind, "path": [f.key()], "locations": [loc(f)], "message": message}));
                Value::Null
            }
            resolve::Root::Unknown => {
                ex.undefined(f, "Query", &[]);
                continue;
            }
        };
        path.push(json!(f.key()));
        let v = ex.value(&rich, f, &mut path);
        path.pop();
        data.insert(f.key().to_string(), v);
    }
    if !ex.invalid.is_empty() {
        return json!({"errors": ex.invalid});
    }
    let mut out = Map::new();
    out.insert("data".into(), Value::Object(data));
    if !ex.errors.is_empty() {
        out.insert("errors".into(), Value::Array(ex.errors));
    }
    Value::Object(out)
}

fn loc(f: &Field) -> Value {
    json!({"line": f.line, "column": f.column})
}

fn f_loc(sel: &Selection) -> Value {
    match sel {
        Selection::Field(f) => loc(f),
        Selection::Inline { .. } => json!({"line": 0, "column": 0}),
    }
}

/// The opaque cursor of the item at `index`, base64 as GitHub's are.
pub(crate) fn cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{index}"))
}

fn cursor_index(c: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("cursor:v2:")?
        .parse()
        .ok()
}

struct Exec {
    /// Execution errors (partial data).
    errors: Vec<Value>,
    /// Validation errors (no data at all).
    invalid: Vec<Value>,
    op_path: String,
}

impl Exec {
    fn invalid(&mut self, message: &str, location: Value, path: &[Value]) {
        let mut p = vec![json!(self.op_path)];
        p.extend(path.iter().cloned());
        self.invalid
            .push(json!({"path": p, "locations": [location], "message": message}));
    }

    fn undefined(&mut self, f: &Field, type_name: &str, path: &[Value]) {
        let mut p = vec![json!(self.op_path)];
        p.extend(path.iter().filter(|v| v.is_string()).cloned());
        p.push(json!(f.name));
        self.invalid.push(json!({
            "path": p,
            "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": f.name},
            "locations": [loc(f)],
            "message": format!("Field '{}' doesn't exist on type '{}'", f.name, type_name),
        }));
    }

    /// Answers field `f` whose rich value is `v`.
    fn value(&mut self, v: &Value, f: &Field, path: &mut Vec<Value>) -> Value {
        match v {
            Value::Object(o) if o.contains_key("$forbidden") => {
                self.errors.push(json!({
                    "type": "FORBIDDEN",
                    "path": path.clone(),
                    "extensions": {"saml_failure": false},
                    "locations": [loc(f)],
                    "message": "Resource not accessible by integration",
                }));
                Value::Null
            }
            Value::Object(o) if o.contains_key("$conn") => self.connection(o, f, path),
            Value::Object(_) if f.selections.is_empty() => {
                let t = v
                    .get("__typename")
                    .and_then(Value::as_str)
                    .unwrap_or("Object");
                let msg = format!(
                    "Field must have selections (field '{}' returns {t} but has no selections)",
                    f.name
                );
                self.invalid(&msg, loc(f), path);
                Value::Null
            }
            Value::Object(_) => self.object(v, &f.selections, path),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(json!(i));
                    out.push(if item.is_object() {
                        self.value(item, f, path)
                    } else {
                        item.clone()
                    });
                    path.pop();
                }
                Value::Array(out)
            }
            scalar if !f.selections.is_empty() && !scalar.is_null() => {
                self.invalid(
                    &format!("Selections can't be made on scalars (field '{}')", f.name),
                    loc(f),
                    path,
                );
                Value::Null
            }
            scalar => scalar.clone(),
        }
    }

    fn object(&mut self, v: &Value, sels: &[Selection], path: &mut Vec<Value>) -> Value {
        let mut out = Map::new();
        self.collect(v, sels, path, &mut out);
        Value::Object(out)
    }

    fn collect(
        &mut self,
        v: &Value,
        sels: &[Selection],
        path: &mut Vec<Value>,
        out: &mut Map<String, Value>,
    ) {
        let type_name = v
            .get("__typename")
            .and_then(Value::as_str)
            .unwrap_or("Object")
            .to_string();
        for sel in sels {
            match sel {
                Selection::Field(f) if f.name == "__typename" => {
                    out.insert(f.key().to_string(), json!(type_name));
                }
                Selection::Field(f) => match v.get(&f.name) {
                    None => self.undefined(f, &type_name, path),
                    Some(child) => {
                        path.push(json!(f.key()));
                        let answered = self.value(child, f, path);
                        path.pop();
                        out.insert(f.key().to_string(), answered);
                    }
                },
                Selection::Inline { on, selections } => {
                    let implements = v.get("$implements").and_then(Value::as_array);
                    let applies = match on {
                        None => true,
                        Some(t) => {
                            *t == type_name || implements.is_some_and(|i| i.iter().any(|x| x == t))
                        }
                    };
                    if applies {
                        self.collect(v, selections, path, out);
                    }
                }
            }
        }
    }

    /// Answers a connection field: `first`/`after` pagination, then `nodes`, `edges`,
    /// `totalCount`, `pageInfo` as selected.
    fn connection(&mut self, conn: &Map<String, Value>, f: &Field, path: &mut Vec<Value>) -> Value {
        let items: &[Value] = conn
            .get("$conn")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let type_name = conn
            .get("__typename")
            .and_then(Value::as_str)
            .unwrap_or("Connection")
            .to_string();
        let Some(first) = f.args.get("first").and_then(Value::as_u64) else {
            let msg = format!(
                "You must provide a `first` or `last` value to properly paginate the `{}` connection.",
                f.name
            );
            self.errors.push(json!({"type": "MISSING_PAGINATION_BOUNDARIES", "path": path.clone(), "locations": [loc(f)], "message": msg}));
            return Value::Null;
        };
        if first > 100 {
            let msg = format!(
                "Requesting {first} records on the `{}` connection exceeds the `first` limit of 100 records.",
                f.name
            );
            self.errors.push(json!({"type": "EXCESSIVE_PAGINATION", "path": path.clone(), "locations": [loc(f)], "message": msg}));
            return Value::Null;
        }
        let start = f
            .args
            .get("after")
            .and_then(Value::as_str)
            .and_then(cursor_index)
            .map_or(0, |i| i + 1);
        let start = start.min(items.len());
        let end = (start + first as usize).min(items.len());
        let page_info = json!({
            "__typename": "PageInfo",
            "hasNextPage": end < items.len(),
            "hasPreviousPage": start > 0,
            "startCursor": if end > start { json!(cursor(start)) } else { Value::Null },
            "endCursor": if end > start { json!(cursor(end - 1)) } else { Value::Null },
        });
        let mut edges = Vec::new();
        let mut nodes = Vec::new();
        for (i, item) in items.iter().enumerate().take(end).skip(start) {
            let node = item.get("$node").cloned().unwrap_or_else(|| item.clone());
            let mut edge = item
                .get("$edge")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            edge.insert(
                "__typename".into(),
                json!(type_name.replace("Connection", "Edge")),
            );
            edge.insert("cursor".into(), json!(cursor(i)));
            edge.insert("node".into(), node.clone());
            edges.push(Value::Object(edge));
            nodes.push(node);
        }
        let rich = json!({
            "__typename": type_name,
            "totalCount": items.len(),
            "pageInfo": page_info,
            "nodes": nodes,
            "edges": edges,
        });
        self.object(&rich, &f.selections, path)
    }
}
