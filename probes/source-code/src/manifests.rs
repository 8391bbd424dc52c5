//! Declared dependencies, from each ecosystem's own manifest, read with real parsers.
//!
//! Cargo with `cargo_toml`; npm, yarn and pnpm `package.json` and .NET
//! `packages.lock.json` with `serde_json`; `pyproject.toml` and `Pipfile` with `toml`;
//! Maven `pom.xml` and MSBuild projects with `roxmltree`; `pnpm-workspace.yaml` with YAML.
//! Three formats have no maintained Rust parser and get a small line grammar, each said
//! where it is: `go.mod` (its grammar is line based: `module`, `require` lines and
//! blocks), Gradle build scripts (Groovy or Kotlin programs; only dependency lines with a
//! literal `group:name:version` or `project(':x')` are read) and `requirements*.txt`
//! (one PEP 508 requirement per line; the name is what PEP 508 allows before a version,
//! extra or marker).
//! Lines are found after parsing, by looking for the parsed name in the text, so every
//! dependency cites the line it was declared on.

use serde_json::Value;

/// Which ecosystem a manifest belongs to.
pub(crate) fn ecosystem_of(file_name: &str) -> Option<&'static str> {
    let lower = file_name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "cargo.toml" => "cargo",
        "package.json" => "npm",
        "go.mod" => "go",
        "pom.xml" => "maven",
        "build.gradle" | "build.gradle.kts" => "gradle",
        "pyproject.toml" | "pipfile" => "python",
        "packages.lock.json" => "nuget",
        _ if lower.starts_with("requirements") && lower.ends_with(".txt") => "python",
        _ if lower.ends_with(".csproj")
            || lower.ends_with(".fsproj")
            || lower.ends_with(".vbproj") =>
        {
            "nuget"
        }
        _ => return None,
    })
}

/// Lock files: bounded in size like any file, and listed; their contents repeat what the
/// manifests declare (plus transitive packages), so only .NET's `packages.lock.json`,
/// whose direct entries stand in for a project without `PackageReference`s, is parsed.
pub(crate) fn is_lock_file(file_name: &str) -> bool {
    matches!(
        file_name,
        "Cargo.lock"
            | "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "go.sum"
            | "poetry.lock"
            | "Pipfile.lock"
            | "uv.lock"
            | "gradle.lockfile"
            | "packages.lock.json"
    )
}

/// One dependency line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Declared {
    /// The package as its ecosystem names it (`group:artifact` for Maven and Gradle).
    pub name: String,
    /// The version requirement as written, when there is one.
    pub version: Option<String>,
    /// `runtime`, `dev` or `build`.
    pub scope: &'static str,
    /// One-based line of the declaration.
    pub line: u32,
}

/// What one manifest says.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Parsed {
    /// Names this manifest publishes (a crate, an npm package, a Go module, a Maven
    /// `group:artifact`, a Python project, a .NET project).
    pub publishes: Vec<String>,
    /// Declared dependencies.
    pub dependencies: Vec<Declared>,
    /// Workspace members it names (paths or globs), for Cargo, npm and pnpm workspaces.
    pub members: Vec<String>,
}

/// Parses `text` as the manifest `file_name`; the error is what `unreadable[]` says.
pub(crate) fn parse(file_name: &str, text: &str) -> Result<Parsed, String> {
    let lower = file_name.to_ascii_lowercase();
    match lower.as_str() {
        "cargo.toml" => cargo(text),
        "package.json" => npm(text),
        "go.mod" => Ok(gomod(text)),
        "pom.xml" => maven(text),
        "build.gradle" | "build.gradle.kts" => Ok(gradle(text)),
        "pyproject.toml" => pyproject(text),
        "pipfile" => pipfile(text),
        "packages.lock.json" => nuget_lock(text),
        _ if lower.starts_with("requirements") => Ok(requirements(text)),
        _ => msbuild(file_name, text),
    }
}

/// The first line at or after `from` (one-based) on which `name` stands as a whole token
/// (not part of a longer name); `from` itself when no line has it.
pub(crate) fn line_of(text: &str, name: &str, from: u32) -> u32 {
    let is_name_char =
        |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':');
    for (i, line) in text
        .lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
    {
        let mut start = 0;
        while let Some(pos) = line[start..].find(name) {
            let at = start + pos;
            let before = line[..at].chars().next_back();
            let after = line[at + name.len()..].chars().next();
            if !before.is_some_and(is_name_char)
                && !after.is_some_and(|c| is_name_char(c) && c != ':')
            {
                return u32::try_from(i + 1).unwrap_or(u32::MAX);
            }
            start = at + name.len().max(1);
            if start >= line.len() {
                break;
            }
        }
    }
    from.max(1)
}

/// The line of the first line starting (after blanks) with `header`, else 1.
fn header_line(text: &str, header: &str) -> u32 {
    text.lines()
        .position(|l| l.trim_start().starts_with(header))
        .map_or(1, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

fn cargo(text: &str) -> Result<Parsed, String> {
    let manifest = cargo_toml::Manifest::from_slice(text.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    if let Some(package) = &manifest.package {
        out.publishes.push(package.name.clone());
    }
    if let Some(workspace) = &manifest.workspace {
        out.members.extend(workspace.members.iter().cloned());
    }
    let sections = [
        (&manifest.dependencies, "runtime", "[dependencies"),
        (&manifest.dev_dependencies, "dev", "[dev-dependencies"),
        (&manifest.build_dependencies, "build", "[build-dependencies"),
    ];
    for (deps, scope, header) in sections {
        let from = header_line(text, header);
        for (key, dep) in deps {
            let name = dep.package().unwrap_or(key).to_owned();
            let version = match dep {
                cargo_toml::Dependency::Simple(v) => Some(v.to_string()),
                cargo_toml::Dependency::Detailed(d) => d.version.as_ref().map(ToString::to_string),
                cargo_toml::Dependency::Inherited(_) => Some("workspace".to_owned()),
            };
            out.dependencies.push(Declared {
                line: line_of(text, key, from),
                name,
                version: version.filter(|v| v != "*"),
                scope,
            });
        }
    }
    Ok(out)
}

fn npm(text: &str) -> Result<Parsed, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(obj) = doc.as_object() else {
        return Err("package.json is not a JSON object".to_owned());
    };
    let mut out = Parsed::default();
    if let Some(name) = obj.get("name").and_then(Value::as_str) {
        out.publishes.push(name.to_owned());
    }
    match obj.get("workspaces") {
        Some(Value::Array(members)) => out
            .members
            .extend(members.iter().filter_map(Value::as_str).map(str::to_owned)),
        Some(Value::Object(w)) => out.members.extend(
            w.get("packages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        ),
        _ => {}
    }
    for (field, scope) in [
        ("dependencies", "runtime"),
        ("optionalDependencies", "runtime"),
        ("devDependencies", "dev"),
    ] {
        let Some(deps) = obj.get(field).and_then(Value::as_object) else {
            continue;
        };
        let from = line_of(text, &format!("\"{field}\""), 1);
        for (name, version) in deps {
            out.dependencies.push(Declared {
                name: name.clone(),
                version: version.as_str().map(str::to_owned),
                scope,
                line: line_of(text, &format!("\"{name}\""), from),
            });
        }
    }
    Ok(out)
}

/// `pnpm-workspace.yaml`: its `packages:` globs.
pub(crate) fn pnpm_workspace(text: &str) -> Result<Vec<String>, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    Ok(doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect())
}

/// go.mod by its line grammar (no maintained Rust parser): `module PATH`, `require PATH
/// VERSION` and `require ( ... )` blocks; `// indirect` requirements are kept as `build`
/// scope, since the module does not import them itself.
fn gomod(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut in_require = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (code, comment) = match raw.find("//") {
            Some(at) => (&raw[..at], &raw[at..]),
            None => (raw, ""),
        };
        let words: Vec<&str> = code.split_whitespace().collect();
        let require = |out: &mut Parsed, words: &[&str]| {
            if let [path, version, ..] = words {
                out.dependencies.push(Declared {
                    name: path.trim_matches('"').to_owned(),
                    version: Some((*version).to_owned()),
                    scope: if comment.contains("indirect") {
                        "build"
                    } else {
                        "runtime"
                    },
                    line: line_no,
                });
            }
        };
        match words.as_slice() {
            [")"] if in_require => in_require = false,
            _ if in_require => require(&mut out, &words),
            ["module", path, ..] => out.publishes.push(path.trim_matches('"').to_owned()),
            ["require", "("] => in_require = true,
            ["require", rest @ ..] => require(&mut out, rest),
            _ => {}
        }
    }
    out
}

fn element<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    element(node, name)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn xml_line(doc: &roxmltree::Document<'_>, node: roxmltree::Node<'_, '_>) -> u32 {
    doc.text_pos_at(node.range().start).row
}

fn maven(text: &str) -> Result<Parsed, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return Err("pom.xml has no <project> root".to_owned());
    }
    let mut out = Parsed::default();
    let group = child_text(project, "groupId")
        .or_else(|| element(project, "parent").and_then(|p| child_text(p, "groupId")));
    if let (Some(group), Some(artifact)) = (group, child_text(project, "artifactId")) {
        out.publishes.push(format!("{group}:{artifact}"));
    }
    if let Some(modules) = element(project, "modules") {
        out.members.extend(
            modules
                .children()
                .filter(|c| c.tag_name().name() == "module")
                .filter_map(|c| c.text().map(|t| t.trim().to_owned())),
        );
    }
    let Some(deps) = element(project, "dependencies") else {
        return Ok(out);
    };
    for dep in deps
        .children()
        .filter(|c| c.tag_name().name() == "dependency")
    {
        let (Some(group), Some(artifact)) =
            (child_text(dep, "groupId"), child_text(dep, "artifactId"))
        else {
            continue;
        };
        let scope = match child_text(dep, "scope").as_deref() {
            Some("test") => "dev",
            Some("provided") | Some("system") => "build",
            _ => "runtime",
        };
        out.dependencies.push(Declared {
            name: format!("{group}:{artifact}"),
            version: child_text(dep, "version"),
            scope,
            line: xml_line(&doc, dep),
        });
    }
    Ok(out)
}

/// Gradle build scripts are programs (Groovy or Kotlin): no parser can read them without
/// running them. This reads only declarations a person can see: a configuration name
/// followed by a literal `'group:name[:version]'` or `project(':path')`.
fn gradle(text: &str) -> Parsed {
    const CONFIGS: [(&str, &str); 9] = [
        ("implementation", "runtime"),
        ("api", "runtime"),
        ("compile", "runtime"),
        ("runtimeOnly", "runtime"),
        ("compileOnly", "build"),
        ("annotationProcessor", "build"),
        ("kapt", "build"),
        ("testImplementation", "dev"),
        ("testRuntimeOnly", "dev"),
    ];
    let mut out = Parsed::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let Some((config, scope)) = CONFIGS.iter().find(|(c, _)| {
            line.strip_prefix(c)
                .is_some_and(|rest| rest.starts_with([' ', '(', '\'', '"']))
        }) else {
            continue;
        };
        let rest = line[config.len()..].trim_start_matches([' ', '(']);
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (name, version) = if let Some(project) = rest.strip_prefix("project(") {
            let path = project.trim_matches(|c| matches!(c, '\'' | '"' | ')' | ' '));
            (path.trim_start_matches(':').replace(':', "/"), None)
        } else {
            let Some(quote) = rest.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
                continue;
            };
            let literal: String = rest[1..].chars().take_while(|c| *c != quote).collect();
            let parts: Vec<&str> = literal.split(':').collect();
            match parts.as_slice() {
                [group, artifact] => (format!("{group}:{artifact}"), None),
                [group, artifact, version, ..] => {
                    (format!("{group}:{artifact}"), Some((*version).to_owned()))
                }
                _ => continue,
            }
        };
        out.dependencies.push(Declared {
            name,
            version,
            scope,
            line: line_no,
        });
    }
    out
}

/// The name of a PEP 508 requirement: letters, digits, `.`, `-`, `_`, starting and
/// ending with a letter or digit; and what follows it up to a marker, as the version.
fn pep508(spec: &str) -> Option<(String, Option<String>)> {
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(spec.len());
    let name = spec[..end].trim_end_matches(['.', '-', '_']);
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let rest = spec[end..].split(';').next().unwrap_or("");
    let rest = match rest.trim_start().strip_prefix('[') {
        Some(extras) => extras.split_once(']').map_or("", |(_, v)| v),
        None => rest,
    };
    let version = rest.trim().trim_matches(|c| c == '(' || c == ')').trim();
    Some((
        name.to_owned(),
        (!version.is_empty()).then(|| version.to_owned()),
    ))
}

/// requirements files: one PEP 508 requirement per line; options (`-r`, `-e`,
/// `--index-url`), URLs and comments are not dependencies of a name and are passed over.
fn requirements(text: &str) -> Parsed {
    let mut out = Parsed::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with(['#', '-']) || line.contains("://") {
            continue;
        }
        if let Some((name, version)) = pep508(line) {
            out.dependencies.push(Declared {
                name,
                version,
                scope: "runtime",
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            });
        }
    }
    out
}

fn pyproject(text: &str) -> Result<Parsed, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    let project = doc.get("project").and_then(toml::Value::as_table);
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(toml::Value::as_table);
    if let Some(name) = project
        .and_then(|p| p.get("name"))
        .or_else(|| poetry.and_then(|p| p.get("name")))
        .and_then(toml::Value::as_str)
    {
        out.publishes.push(name.to_owned());
    }
    let specs = project
        .and_then(|p| p.get("dependencies"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str);
    let from = header_line(text, "[project");
    for spec in specs {
        if let Some((name, version)) = pep508(spec) {
            let line = line_of(text, &name, from);
            out.dependencies.push(Declared {
                name,
                version,
                scope: "runtime",
                line,
            });
        }
    }
    if let Some(poetry) = poetry {
        let mut tables: Vec<(&toml::Table, &'static str)> = Vec::new();
        if let Some(t) = poetry.get("dependencies").and_then(toml::Value::as_table) {
            tables.push((t, "runtime"));
        }
        if let Some(t) = poetry
            .get("dev-dependencies")
            .and_then(toml::Value::as_table)
        {
            tables.push((t, "dev"));
        }
        for group in poetry
            .get("group")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|g| g.values())
        {
            if let Some(t) = group.get("dependencies").and_then(toml::Value::as_table) {
                tables.push((t, "dev"));
            }
        }
        let from = header_line(text, "[tool.poetry");
        for (table, scope) in tables {
            push_toml_table(&mut out, text, table, scope, from, &["python"]);
        }
    }
    Ok(out)
}

fn push_toml_table(
    out: &mut Parsed,
    text: &str,
    table: &toml::Table,
    scope: &'static str,
    from: u32,
    skip: &[&str],
) {
    for (name, spec) in table {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let version = match spec {
            toml::Value::String(v) => Some(v.clone()),
            toml::Value::Table(t) => t
                .get("version")
                .and_then(toml::Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
        out.dependencies.push(Declared {
            name: name.clone(),
            version: version.filter(|v| v != "*"),
            scope,
            line: line_of(text, name, from),
        });
    }
}

fn pipfile(text: &str) -> Result<Parsed, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    for (section, scope) in [("packages", "runtime"), ("dev-packages", "dev")] {
        if let Some(t) = doc.get(section).and_then(toml::Value::as_table) {
            let from = header_line(text, &format!("[{section}]"));
            push_toml_table(&mut out, text, t, scope, from, &[]);
        }
    }
    Ok(out)
}

/// MSBuild projects: `PackageReference` items, `ProjectReference`s (by project name) and
/// the name the project publishes (`PackageId`, else `AssemblyName`, else its file name).
fn msbuild(file_name: &str, text: &str) -> Result<Parsed, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let named = |tag: &str| {
        doc.descendants()
            .find(|n| n.tag_name().name() == tag)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_owned())
    };
    out.publishes.push(
        named("PackageId")
            .or_else(|| named("AssemblyName"))
            .unwrap_or_else(|| stem.to_owned()),
    );
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        let Some(include) = node
            .attribute("Include")
            .or_else(|| node.attribute("Update"))
        else {
            continue;
        };
        let (name, version) = match tag {
            "PackageReference" => (
                include.to_owned(),
                node.attribute("Version")
                    .map(str::to_owned)
                    .or_else(|| child_text(node, "Version")),
            ),
            "ProjectReference" => {
                let file = include.rsplit(['/', '\\']).next().unwrap_or(include);
                (
                    file.rsplit_once('.').map_or(file, |(s, _)| s).to_owned(),
                    None,
                )
            }
            _ => continue,
        };
        let scope =
            if name.contains("Test") || name.starts_with("xunit") || name.starts_with("NUnit") {
                "dev"
            } else {
                "runtime"
            };
        out.dependencies.push(Declared {
            name,
            version,
            scope,
            line: xml_line(&doc, node),
        });
    }
    Ok(out)
}

/// .NET `packages.lock.json`: the `Direct` entries of each target framework, once.
fn nuget_lock(text: &str) -> Result<Parsed, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    let Some(frameworks) = doc.get("dependencies").and_then(Value::as_object) else {
        return Err("packages.lock.json has no dependencies object".to_owned());
    };
    for packages in frameworks.values().filter_map(Value::as_object) {
        for (name, entry) in packages {
            if entry.get("type").and_then(Value::as_str) != Some("Direct")
                || out.dependencies.iter().any(|d| &d.name == name)
            {
                continue;
            }
            out.dependencies.push(Declared {
                name: name.clone(),
                version: entry
                    .get("resolved")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                scope: "runtime",
                line: line_of(text, &format!("\"{name}\""), 1),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_blocks_and_single_lines() {
        let p = gomod(
            "module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/lib/pq v1.10.9\n\tgolang.org/x/net v0.1.0 // indirect\n)\nrequire cloud.google.com/go/spanner v1.2.0\n",
        );
        assert_eq!(p.publishes, vec!["example.com/shop"]);
        let got: Vec<_> = p
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.scope, d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("github.com/lib/pq", "runtime", 6),
                ("golang.org/x/net", "build", 7),
                ("cloud.google.com/go/spanner", "runtime", 9)
            ]
        );
    }

    #[test]
    fn requirements_names_per_pep_508() {
        let p = requirements(
            "# pinned\n-r base.txt\nFlask[async]==3.0.0 ; python_version > '3.8'\nredis>=5\ngit+https://x/y.git\npsycopg2-binary\n",
        );
        let got: Vec<_> = p
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.version.as_deref(), d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Flask", Some("==3.0.0"), 3),
                ("redis", Some(">=5"), 4),
                ("psycopg2-binary", None, 6)
            ]
        );
    }

    #[test]
    fn gradle_literal_coordinates_and_projects() {
        let p = gradle(
            "dependencies {\n  implementation 'org.postgresql:postgresql:42.7.1'\n  testImplementation(\"junit:junit:4.13\")\n  implementation project(':libs:core')\n  implementation libs.guava\n}\n",
        );
        let got: Vec<_> = p
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.scope, d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("org.postgresql:postgresql", "runtime", 2),
                ("junit:junit", "dev", 3),
                ("libs/core", "runtime", 4)
            ]
        );
    }

    #[test]
    fn maven_dependencies_cite_their_element() {
        let pom = "<project>\n  <groupId>com.acme</groupId>\n  <artifactId>orders</artifactId>\n  <dependencies>\n    <dependency>\n      <groupId>org.mule.runtime</groupId>\n      <artifactId>mule-core</artifactId>\n    </dependency>\n  </dependencies>\n</project>\n";
        let p = maven(pom).expect("parses");
        assert_eq!(p.publishes, vec!["com.acme:orders"]);
        assert_eq!(p.dependencies[0].name, "org.mule.runtime:mule-core");
        assert_eq!(p.dependencies[0].line, 5);
    }

    #[test]
    fn package_json_and_cargo_lines() {
        let p = npm("{\n  \"name\": \"@acme/web\",\n  \"dependencies\": {\n    \"pg\": \"^8\",\n    \"@acme/framework\": \"1.0.0\"\n  }\n}\n").expect("parses");
        let got: Vec<_> = p
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.line))
            .collect();
        assert_eq!(got, vec![("pg", 4), ("@acme/framework", 5)]);
        let c = cargo("[package]\nname = \"cart\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\nutil = { path = \"../util\" }\n").expect("parses");
        assert_eq!(c.publishes, vec!["cart"]);
        let got: Vec<_> = c
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.line))
            .collect();
        assert!(
            got.contains(&("serde", 6)) && got.contains(&("util", 7)),
            "{got:?}"
        );
    }

    #[test]
    fn broken_manifests_say_why() {
        assert!(npm("{ not json").is_err());
        assert!(cargo("[package\nname=").is_err());
        assert!(maven("<project>").is_err());
    }
}
